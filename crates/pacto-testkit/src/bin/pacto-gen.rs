//! `pacto-gen`: write a generated STIX 2.1 bundle, for benchmarks and soak tests.
//!
//! Usage: pacto-gen [--objects N] [--bytes SIZE[K|M|G]] [--seed S] [--out FILE]

use std::io::{BufWriter, Write};

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() {
    let mut objects = u64::MAX;
    let mut bytes = u64::MAX;
    let mut seed = 1u64;
    let mut out: Option<String> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--objects" => objects = parse_size(&val).unwrap_or_else(|| usage()),
            "--bytes" => bytes = parse_size(&val).unwrap_or_else(|| usage()),
            "--seed" => seed = val.parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(val),
            _ => usage(),
        }
        i += 2;
    }
    if objects == u64::MAX && bytes == u64::MAX {
        objects = 10_000;
    }
    let result = match &out {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 20, f);
            let r = pacto_testkit::write_bundle(&mut w, seed, objects, bytes)?;
            w.flush()?;
            Ok(r)
        }),
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            pacto_testkit::write_bundle(&mut w, seed, objects, bytes).and_then(|r| w.flush().map(|_| r))
        }
    };
    match result {
        Ok((n, b)) => eprintln!("pacto-gen: {n} objects, {b} bytes"),
        Err(e) => {
            eprintln!("pacto-gen: {e}");
            std::process::exit(1);
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: pacto-gen [--objects N] [--bytes SIZE[K|M|G]] [--seed S] [--out FILE]");
    std::process::exit(2);
}
