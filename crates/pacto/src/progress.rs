//! Progress for long work: a bar on a terminal, a plain line every few seconds otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: Option<u64>,
    plain: bool,
    last_line: Instant,
    started: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// `total` is in bytes when known.
    pub fn new(label: &str, total: Option<u64>, disabled: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (tty && !disabled).then(|| {
            let bar = match total {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::new_spinner(),
            };
            let style = ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            plain: !tty,
            last_line: Instant::now(),
            started: Instant::now(),
        }
    }

    /// Progress counted in items (no byte total known): `label` names them.
    pub fn items(label: &str, what: &str, disabled: bool) -> Progress {
        let mut p = Progress::new(label, None, true);
        let tty = std::io::stderr().is_terminal();
        p.bar = (tty && !disabled).then(|| {
            let bar = ProgressBar::new_spinner();
            let style =
                ProgressStyle::with_template(&format!("{{msg}} [{{elapsed_precise}}] {{pos}} {what} ({{per_sec}})"))
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        p
    }

    pub fn update(&mut self, bytes: u64, objects: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            return;
        }
        if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            match self.total {
                Some(t) if t > 0 => eprintln!(
                    "{}: {} of {} MB ({:.0}%), {objects} objects, {:.0} objects/s",
                    self.label,
                    bytes / 1_000_000,
                    t / 1_000_000,
                    bytes as f64 * 100.0 / t as f64,
                    objects as f64 / secs
                ),
                _ => eprintln!(
                    "{}: {} MB, {objects} objects, {:.0} objects/s",
                    self.label,
                    bytes / 1_000_000,
                    objects as f64 / secs
                ),
            }
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
