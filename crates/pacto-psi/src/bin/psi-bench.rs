//! `psi-bench N...`: pacto's PSI on N × N items (10% in common), with the measured cost of the
//! group operations and the lower bound they imply. Prints one JSON line per size.

use std::time::Instant;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use pacto_psi::{HolderSet, Mode, Normalizer, Outcome, Querier, hash_to_group, wire};

fn per_op(f: impl Fn(u64)) -> f64 {
    let n = 20_000u64;
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    t.elapsed().as_secs_f64() / n as f64
}

/// `psi-bench count N M`: one size-only exchange, N query items against a set of M (10% of N
/// in common): time of each step and bytes exchanged.
fn count_bench(n: usize, m: usize) {
    let common = n / 10;
    let h: Vec<Vec<u8>> = (0..m).map(|i| format!("SN{i:010}").into_bytes()).collect();
    let q: Vec<Vec<u8>> = (0..n).map(|i| format!("SN{:010}", i + m - common).into_bytes()).collect();
    let t0 = Instant::now();
    let holder = HolderSet::encode(&h, Normalizer::Serial).expect("encode");
    let t_encode = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let wbytes = wire::encode_blinded_set(&holder.blinded_set());
    let set = wire::decode_blinded_set(&wbytes).expect("decode");
    let cq = pacto_psi::count_query(&q, Normalizer::Serial, &set).expect("count query");
    let cbytes = wire::encode_count_query(&cq);
    let t_query = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let checked = wire::decode_count_query(&cbytes).expect("decode").check().expect("check");
    let count = holder.count(&checked).expect("count");
    let t_count = t2.elapsed().as_secs_f64();
    assert_eq!(count, common, "wrong count");
    println!(
        "{{\"mode\":\"count\",\"n\":{n},\"m\":{m},\"count\":{count},\"encode_s\":{t_encode:.3},\"querier_s\":{t_query:.3},\"holder_s\":{t_count:.3},\"blinded_set_bytes\":{},\"count_query_bytes\":{},\"answer_bytes\":{}}}",
        wbytes.len(),
        cbytes.len(),
        wire::encode_count_answer(&pacto_psi::CountAnswer { normalizer: Normalizer::Serial, count: count as u64 })
            .len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("count") {
        let n = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
        let m = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        count_bench(n, m);
        return;
    }
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The group operations, one core.
    let s = Scalar::from(0x1234_5678_9abc_def0u64);
    let p = hash_to_group(Normalizer::Serial, b"X");
    let c = p.compress();
    let hash = per_op(|i| {
        std::hint::black_box(hash_to_group(Normalizer::Serial, &i.to_le_bytes()));
    });
    let mult = per_op(|_| {
        std::hint::black_box(std::hint::black_box(p) * s);
    });
    let dec = per_op(|_| {
        std::hint::black_box(std::hint::black_box(c).decompress());
    });
    let comp = per_op(|_| {
        std::hint::black_box(std::hint::black_box(p).compress());
    });
    let _: Option<RistrettoPoint> = c.decompress();
    for n in sizes {
        let q: Vec<Vec<u8>> = (0..n).map(|i| format!("SN{i:010}").into_bytes()).collect();
        let common = n / 10;
        let h: Vec<Vec<u8>> = (0..n).map(|i| format!("SN{:010}", i + n - common).into_bytes()).collect();
        let t0 = Instant::now();
        let holder = HolderSet::encode(&h, Normalizer::Serial).expect("encode");
        let t_encode = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let (querier, query) = Querier::start(&q, Normalizer::Serial, Mode::Intersection).expect("query");
        let qbytes = wire::encode_query(&query);
        let t_query = t1.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let answer =
            holder.answer(&wire::decode_query(&qbytes).expect("decode").check().expect("check")).expect("answer");
        let abytes = wire::encode_answer(&answer);
        let t_answer = t2.elapsed().as_secs_f64();
        let t3 = Instant::now();
        let out = querier.finish(&wire::decode_answer(&abytes).expect("decode")).expect("finish");
        let t_finish = t3.elapsed().as_secs_f64();
        let found = match out {
            Outcome::Matches(m) => m.len(),
            Outcome::Count(c) => c,
        };
        assert_eq!(found, common, "wrong intersection");
        let total = t_encode + t_query + t_answer + t_finish;
        // Per item: holder encode = hash + mult + compress; query = hash + mult + compress;
        // answer = decompress + mult + compress; finish = decompress + mult + compress.
        let work = n as f64 * (hash + mult + comp) * 2.0 + n as f64 * (dec + mult + comp) * 2.0;
        let bound = work / threads as f64;
        let bytes = qbytes.len() + abytes.len();
        println!(
            "{{\"n\":{n},\"common\":{common},\"seconds\":{total:.3},\"encode_s\":{t_encode:.3},\"query_s\":{t_query:.3},\"answer_s\":{t_answer:.3},\"finish_s\":{t_finish:.3},\"bytes\":{bytes},\"bytes_per_item\":{:.2},\"lower_bound_s\":{bound:.3},\"ratio_to_bound\":{:.2},\"us_hash\":{:.2},\"us_mult\":{:.2},\"us_decompress\":{:.2},\"us_compress\":{:.2},\"threads\":{threads}}}",
            bytes as f64 / (2 * n) as f64,
            total / bound,
            hash * 1e6,
            mult * 1e6,
            dec * 1e6,
            comp * 1e6
        );
    }
}
