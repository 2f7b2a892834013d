//! Request counters and latency histograms, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    /// (route, method, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route → latency histogram.
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Objects accepted and refused by POSTs.
    objects: Mutex<(u64, u64)>,
    /// Detection: indicators in force; observations matched and sightings made so far.
    detection: Mutex<(u64, u64, u64)>,
    /// Logins answered 429 by the throttle, without a password check.
    logins_throttled: AtomicU64,
    /// Password checks (argon2 runs) made.
    password_checks: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    pub fn objects_posted(&self, accepted: u64, refused: u64) {
        if let Ok(mut o) = self.objects.lock() {
            o.0 += accepted;
            o.1 += refused;
        }
    }

    pub fn login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn password_checked(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }

    /// After a detection step: the indicators in force, and what the step matched and made.
    pub fn detection(&self, indicators: u64, observations: u64, sightings: u64) {
        if let Ok(mut d) = self.detection.lock() {
            d.0 = indicators;
            d.1 += observations;
            d.2 += sightings;
        }
    }

    /// The Prometheus exposition text; `stored` is the number of object versions in the store,
    /// `commits` the POST group commits made and the requests they stored.
    pub fn render(&self, stored: u64, commits: (u64, u64)) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP pacto_http_requests_total HTTP requests by route, method and status.");
        let _ = writeln!(out, "# TYPE pacto_http_requests_total counter");
        if let Ok(r) = self.requests.lock() {
            for ((route, method, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "pacto_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(out, "# HELP pacto_http_request_duration_seconds Request latency by route.");
        let _ = writeln!(out, "# TYPE pacto_http_request_duration_seconds histogram");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "pacto_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "pacto_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "pacto_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ = writeln!(out, "pacto_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        let (accepted, refused) = self.objects.lock().map(|o| *o).unwrap_or_default();
        let _ = writeln!(out, "# HELP pacto_objects_posted_total Objects received by POST, by outcome.");
        let _ = writeln!(out, "# TYPE pacto_objects_posted_total counter");
        let _ = writeln!(out, "pacto_objects_posted_total{{outcome=\"accepted\"}} {accepted}");
        let _ = writeln!(out, "pacto_objects_posted_total{{outcome=\"refused\"}} {refused}");
        let (indicators, observations, sightings) = self.detection.lock().map(|d| *d).unwrap_or_default();
        for (name, kind, help, value) in [
            ("pacto_objects_stored", "gauge", "Object versions in the store.", stored),
            (
                "pacto_post_commits_total",
                "counter",
                "Transactions that stored POSTed objects (one per group of waiting requests).",
                commits.0,
            ),
            (
                "pacto_post_committed_requests_total",
                "counter",
                "POST requests stored by those transactions.",
                commits.1,
            ),
            ("pacto_detect_indicators", "gauge", "Indicators whose patterns are in force.", indicators),
            (
                "pacto_detect_observations_total",
                "counter",
                "Observed-data matched against the indicators.",
                observations,
            ),
            ("pacto_detect_sightings_total", "counter", "Sightings made.", sightings),
            (
                "pacto_logins_throttled_total",
                "counter",
                "Logins refused (429) by the failed-login throttle, without a password check.",
                self.logins_throttled.load(Ordering::Relaxed),
            ),
            (
                "pacto_password_checks_total",
                "counter",
                "Password hash verifications (argon2) run.",
                self.password_checks.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}
