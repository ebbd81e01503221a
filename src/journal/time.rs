//! RFC 3339 timestamps from `SystemTime`, without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and milliseconds since the Unix epoch (negative before 1970).
fn split(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_millis(),
        ),
        Err(e) => {
            // Before the epoch: floor to the whole second below, keep millis positive.
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_millis() {
                0 => (-secs, 0),
                ms => (-secs - 1, 1000 - ms),
            }
        }
    }
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339(t: SystemTime) -> String {
    let (secs, millis) = split(t);
    rfc3339_from_unix(secs, millis)
}

/// Unix seconds plus milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub fn rfc3339_from_unix(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        millis.min(999)
    )
}

/// Proleptic Gregorian date for a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`, valid for negative counts too).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365, year starting in March
    let mp = (5 * doy + 2) / 153; // 0..=11, March = 0
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is 1..=31 and m is 1..=12 by construction.
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_timestamps() {
        assert_eq!(rfc3339_from_unix(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_from_unix(951_782_400, 0),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_from_unix(1_709_164_800, 7),
            "2024-02-29T00:00:00.007Z"
        );
        assert_eq!(
            rfc3339_from_unix(1_700_000_000, 123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            rfc3339_from_unix(4_107_542_400, 0),
            "2100-03-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_from_unix(253_402_300_799, 999),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(rfc3339_from_unix(-1, 0), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn from_system_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_846_203_123);
        assert_eq!(rfc3339(t), "2026-11-28T06:10:03.123Z");
        let before = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(rfc3339(before), "1969-12-31T23:59:59.999Z");
    }

    /// Walk day by day across four centuries: every step is the next calendar day, so month
    /// lengths and leap years (1900 no, 2000 yes, 2100 no) all come out right.
    #[test]
    fn consecutive_days() {
        let start = -25_567; // 1900-01-01
        assert_eq!(civil_from_days(start), (1900, 1, 1));
        let mut prev = civil_from_days(start);
        for days in start + 1..start + 146_097 {
            let cur = civil_from_days(days);
            let (py, pm, pd) = prev;
            let next_day = (py, pm, pd + 1);
            let next_month = (py, pm + 1, 1);
            let next_year = (py + 1, 1, 1);
            assert!(
                cur == next_day || (cur == next_month && pm < 12) || (cur == next_year && pm == 12),
                "{prev:?} -> {cur:?}"
            );
            if cur.1 != pm {
                let leap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
                let len = match pm {
                    2 if leap => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                assert_eq!(pd, len, "length of {py}-{pm}");
            }
            prev = cur;
        }
        assert_eq!(prev, (2299, 12, 31));
    }
}
