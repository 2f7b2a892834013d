//! STIX timestamps: RFC 3339, UTC only (`Z`), upper-case `T` and `Z`, optional fraction.
//!
//! Parsing is hand-written and allocation-free: it sits on the validation and import hot path.

use std::cmp::Ordering;
use std::fmt;

// The calendar arithmetic has one owner, shared with the pattern language's instants.
use pacto_pattern::time::{civil_from_days, days_from_civil, days_in_month};

/// A parsed STIX timestamp. Equality and ordering compare instants, ignoring how many fraction
/// digits were written (`.1Z` equals `.100Z`).
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (may be negative).
    pub secs: i64,
    /// Nanoseconds within the second (sub-nanosecond digits are truncated).
    pub nanos: u32,
    /// How many fraction digits the text carried (0 when there was no `.`).
    pub frac_digits: u8,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("expected YYYY-MM-DDTHH:MM:SS[.fraction]Z (RFC 3339 in UTC), found {0:?}")]
    Form(String),
    #[error("{0} is out of range in {1:?}")]
    Range(&'static str, String),
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

impl Timestamp {
    /// Parse the STIX timestamp form (`2016-05-12T08:17:27.000Z`).
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let b = s.as_bytes();
        let form = || TimestampError::Form(s.to_string());
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[b.len() - 1] != b'Z'
        {
            return Err(form());
        }
        let year = digits(&b[0..4]).ok_or_else(form)?;
        let month = digits(&b[5..7]).ok_or_else(form)?;
        let day = digits(&b[8..10]).ok_or_else(form)?;
        let hour = digits(&b[11..13]).ok_or_else(form)?;
        let min = digits(&b[14..16]).ok_or_else(form)?;
        let sec = digits(&b[17..19]).ok_or_else(form)?;
        let (nanos, frac_digits) = if b.len() == 20 {
            (0, 0)
        } else {
            if b[19] != b'.' || b.len() == 21 {
                return Err(form());
            }
            let frac = &b[20..b.len() - 1];
            if frac.len() > 255 || !frac.iter().all(u8::is_ascii_digit) {
                return Err(form());
            }
            let mut n = 0u32;
            for i in 0..9 {
                n = n * 10 + frac.get(i).map_or(0, |c| u32::from(c - b'0'));
            }
            (n, frac.len() as u8)
        };
        let range = |what| TimestampError::Range(what, s.to_string());
        if !(1..=12).contains(&month) {
            return Err(range("month"));
        }
        if day == 0 || day > days_in_month(i64::from(year), month) {
            return Err(range("day"));
        }
        if hour > 23 {
            return Err(range("hour"));
        }
        if min > 59 {
            return Err(range("minute"));
        }
        // RFC 3339 admits a leap second (60); it is counted as the last second of the minute.
        if sec > 60 {
            return Err(range("second"));
        }
        let days = days_from_civil(i64::from(year), month, day);
        let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec);
        Ok(Timestamp { secs, nanos, frac_digits })
    }

    /// Current wall-clock time, millisecond precision.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp { secs: d.as_secs() as i64, nanos: d.subsec_millis() * 1_000_000, frac_digits: 3 }
    }

    /// From microseconds since the epoch (the store's integer form), written with 6 digits.
    pub fn from_micros(us: i64) -> Self {
        Timestamp { secs: us.div_euclid(1_000_000), nanos: (us.rem_euclid(1_000_000) * 1000) as u32, frac_digits: 6 }
    }

    /// Microseconds since the epoch.
    pub fn as_micros(&self) -> i64 {
        self.secs * 1_000_000 + i64::from(self.nanos / 1000)
    }

    /// Write with exactly `digits` fraction digits (0..=9), e.g. 3 for STIX's millisecond form.
    pub fn format(&self, digits: usize) -> String {
        let (y, m, d) = civil_from_days(self.secs.div_euclid(86_400));
        let rem = self.secs.rem_euclid(86_400);
        let mut s = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, rem / 3600, (rem / 60) % 60, rem % 60);
        if digits > 0 {
            let f = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(&f[..digits.min(9)]);
        }
        s.push('Z');
        s
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        (self.secs, self.nanos) == (other.secs, other.nanos)
    }
}

impl Eq for Timestamp {}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.secs, self.nanos).hash(state);
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(usize::from(self.frac_digits.clamp(3, 9))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_spec_forms() {
        for s in [
            "2016-05-12T08:17:27Z",
            "2016-05-12T08:17:27.000Z",
            "2016-05-12T08:17:27.123456789Z",
            "2020-02-29T00:00:00Z",
            "1969-12-31T23:59:59.5Z",
        ] {
            Timestamp::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }

    #[test]
    fn rejects_bad_forms() {
        for s in [
            "2016-05-12t08:17:27Z",
            "2016-05-12T08:17:27z",
            "2016-05-12T08:17:27+00:00",
            "2016-05-12 08:17:27Z",
            "2016-05-12T08:17:27.Z",
            "2016-5-12T08:17:27Z",
            "2016-05-12T08:17Z",
            "2019-02-29T00:00:00Z",
            "2016-13-01T00:00:00Z",
            "2016-04-31T00:00:00Z",
            "2016-05-12T24:00:00Z",
            "",
            "2016-05-12T08:17:27.1a3Z",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s} was accepted");
        }
    }

    #[test]
    fn compares_instants() {
        let a = Timestamp::parse("2016-05-12T08:17:27.1Z").unwrap();
        let b = Timestamp::parse("2016-05-12T08:17:27.100Z").unwrap();
        let c = Timestamp::parse("2016-05-12T08:17:27.1001Z").unwrap();
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert_eq!(a, b, "equality agrees with ordering");
        assert!(c > a);
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(secs in -62_135_596_800i64..253_402_300_799i64, nanos in 0u32..1_000_000_000) {
            let t = Timestamp { secs, nanos, frac_digits: 9 };
            let back = Timestamp::parse(&t.format(9)).unwrap();
            prop_assert_eq!(back, t);
        }

        /// `Timestamp` and the pattern language's instants read every timestamp of 0001-9999
        /// as the same instant, and format/parse round trips through the shared arithmetic.
        #[test]
        fn agrees_with_the_pattern_language(
            year in 1i64..=9999, month in 1u32..=12, day in 1u32..=31,
            h in 0u32..24, mi in 0u32..60, sec in 0u32..60, nanos in 0u32..1_000_000_000,
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{h:02}:{mi:02}:{sec:02}.{nanos:09}Z");
            let ours = Timestamp::parse(&text).ok();
            let theirs = pacto_pattern::time::parse(&text);
            prop_assert_eq!(ours.is_some(), day <= days_in_month(year, month));
            prop_assert_eq!(ours.map(|t| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos)), theirs);
            if let Some(t) = ours {
                prop_assert_eq!(t.format(9), text);
            }
        }
    }
}
