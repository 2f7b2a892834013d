//! Instants for the pattern language: `t'…'` literals, `first_observed` / `last_observed`, and
//! string properties compared against timestamp literals. One form only, as the grammar fixes it:
//! `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, upper-case `T` and `Z`.

/// Nanoseconds since 1970-01-01T00:00:00Z. `i128` spans every four-digit year.
pub type Instant = i128;

const NANOS: i128 = 1_000_000_000;

fn num(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
}

/// Parse a STIX timestamp into an instant. The calendar must be real (no 31 February); a leap
/// second (`:60`) is the instant one second after `:59`.
pub fn parse(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if *b.last()? != b'Z' {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let rest = &b[19..b.len() - 1];
    let nanos = match rest {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() => {
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let mut n = 0i128;
            for i in 0..9 {
                n = n * 10 + digits.get(i).map_or(0, |&c| i128::from(c - b'0'));
            }
            n
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[month as usize - 1] {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since the epoch, counting from 1 March so that leap days fall at the end of a year.
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let days = era * 146_097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year - 719_468;
    let secs = i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second);
    Some(secs * NANOS + nanos)
}

/// Seconds (as written in `WITHIN n SECONDS`) to nanoseconds.
pub fn seconds(s: f64) -> i128 {
    (s * 1e9).round() as i128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("1970-01-02T00:00:00.5Z"), Some(86_400 * NANOS + 500_000_000));
        assert_eq!(parse("2000-03-01T00:00:00Z"), Some(951_868_800 * NANOS));
        assert_eq!(parse("1969-12-31T23:59:59Z"), Some(-NANOS));
        assert_eq!(parse("2016-12-31T23:59:60Z"), parse("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn rejects_what_is_not_a_stix_timestamp() {
        for s in [
            "2020-02-30T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-01-01t00:00:00Z",
            "2020-01-01T00:00:00z",
            "2020-01-01T00:00:00",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+01:00",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert!(parse("2020-02-29T00:00:00Z").is_some());
    }
}
