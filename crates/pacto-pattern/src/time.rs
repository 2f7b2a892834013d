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
    if !(1..=12).contains(&month) || day < 1 || day > i64::from(days_in_month(year, month as u32)) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second);
    Some(secs * NANOS + nanos)
}

/// Whether a year of the proleptic Gregorian calendar is a leap year.
pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month (1-12) of a year; 0 for a month out of range.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (negative before).
/// The one place pacto does this arithmetic: `pacto_stix::Timestamp` uses it too.
///
/// Counts from 1 March, so that the leap day falls at the end of a computational year, in eras
/// of 400 years (146,097 days). `month` is 1-12 and `day` 1-31; other values give a day count
/// that no real date has, never a panic.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (y, m) = if month <= 2 { (year - 1, i64::from(month) + 9) } else { (year, i64::from(month) - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + i64::from(day) - 1;
    era * 146_097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year - 719_468
}

/// The inverse of [`days_from_civil`]: the (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if month <= 2 { year_of_era + era * 400 + 1 } else { year_of_era + era * 400 }, month, day)
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

    #[test]
    fn civil_days_round_trip_every_day_of_0001_to_9999() {
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let mut expected = (1i64, 1u32, 1u32);
        for d in first..=last {
            assert_eq!(civil_from_days(d), expected, "day {d}");
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), d);
            let (y, m, day) = expected;
            expected = if day < days_in_month(y, m) {
                (y, m, day + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert!(is_leap(2000) && !is_leap(1900) && is_leap(2024) && !is_leap(2023));
    }
}
