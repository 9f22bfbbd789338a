//! Durations as people type them (`500ms`, `10s`, `2m`, `1h30m`, `1h 30m`, `2d`) and as
//! messages print them.
//!
//! Pure text handling: nothing here sleeps or measures time.

use std::time::Duration;

/// The units, largest first; a value names them in this order, each at most once.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses `500ms`, `10s`, `2m`, `1h30m`, `1h 30m`, `1m30s`, `2d`: whole numbers, each followed
/// by a unit (`d`, `h`, `m`, `s`, `ms`), largest unit first; blanks may separate the parts
/// (not a number from its unit). A bare number or zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let example = "use a number and a unit, for example 500ms, 10s, 2m, 1h30m or 2d";
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty duration: {example}"));
    }
    let mut rest = text;
    let mut millis: u64 = 0;
    // Index into UNITS of the smallest unit seen so far; the next must be smaller.
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("{text:?} is not a duration: {example}"));
        }
        let (number, after) = rest.split_at(digits);
        if after.starts_with(['.', ',']) {
            return Err(format!(
                "{text:?} is not a duration: use whole numbers, for example 1500ms for 1.5s"
            ));
        }
        let letters = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(letters);
        if unit.is_empty() {
            return Err(format!("{text:?} has no unit: {example}"));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(format!(
                "{text:?} has an unknown unit {unit:?}: use d, h, m, s or ms"
            ));
        };
        if index < next_unit {
            return Err(format!("{text:?} names its units out of order: {example}"));
        }
        next_unit = index + 1;
        let value = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(UNITS[index].1))
            .and_then(|ms| millis.checked_add(ms))
            .ok_or_else(|| format!("{text:?} is too long"))?;
        millis = value;
        rest = after.trim_start();
    }
    if millis == 0 {
        return Err("the duration must be more than zero".into());
    }
    Ok(Duration::from_millis(millis))
}

/// A span for people, to the second, its two largest units apart: `3m 12s`, `2h 5m`, `1d 3h`,
/// `45s`; under a second, `0s`.
pub fn format_span(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    let mut parts = Vec::new();
    for (name, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            parts.push(format!("{}{name}", seconds / size));
            seconds %= size;
        } else if !parts.is_empty() {
            // `1h 0m 5s` would read as three parts; stop at the first gap after the largest.
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        return "0s".into();
    }
    parts.join(" ")
}

/// How long until `at`, as every "goes out" line says it: `in 1h 30m` (to the second, rounded,
/// so `--in 2h` reads `in 2h`, not `in 1h 59m`), or `now` once it passed.
pub fn time_left(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    match (at - now).to_std() {
        Ok(left) if left >= Duration::from_millis(500) => {
            format!("in {}", format_span(left + Duration::from_millis(500)))
        }
        _ => "now".into(),
    }
}

/// The shortest text [`parse_duration`] reads back as `duration` (to the millisecond):
/// `500ms`, `30s`, `1m30s`, `2h`.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".into();
    }
    let mut text = String::new();
    for (name, size) in UNITS {
        if millis >= size {
            text.push_str(&format!("{}{name}", millis / size));
            millis %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn reads_each_unit_and_combinations() {
        let cases = [
            ("500ms", ms(500)),
            ("10s", ms(10_000)),
            ("2m", ms(120_000)),
            ("1h", ms(3_600_000)),
            ("1h30m", ms(5_400_000)),
            ("1m30s", ms(90_000)),
            ("1s250ms", ms(1_250)),
            ("90s", ms(90_000)),
            ("2d", ms(172_800_000)),
            ("1h 30m", ms(5_400_000)),
            ("1d 2h  3m", ms(93_780_000)),
            (" 10m ", ms(600_000)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        let cases = [
            ("", "empty"),
            ("10", "no unit"),
            ("s", "not a duration"),
            ("1.5s", "whole numbers"),
            ("-1s", "not a duration"),
            ("10x", "unknown unit"),
            ("10 s", "no unit"),
            ("30m1h", "out of order"),
            ("1s1s", "out of order"),
            ("1h 1d", "out of order"),
            ("1w", "unknown unit"),
            ("1h,30m", "not a duration"),
            ("0s", "more than zero"),
            ("99999999999999999999h", "too long"),
        ];
        for (text, expected) in cases {
            let error = parse_duration(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn formats_what_it_reads() {
        let cases = [
            (ms(500), "500ms"),
            (ms(30_000), "30s"),
            (ms(90_000), "1m30s"),
            (ms(7_200_000), "2h"),
            (ms(5_401_500), "1h30m1s500ms"),
            (Duration::ZERO, "0s"),
            (ms(93_600_000), "1d2h"),
        ];
        for (duration, text) in cases {
            assert_eq!(format_duration(duration), text);
            if !duration.is_zero() {
                assert_eq!(parse_duration(text), Ok(duration));
            }
        }
    }

    #[test]
    fn spans_show_two_units_for_people() {
        let s = Duration::from_secs;
        let cases = [
            (ms(400), "0s"),
            (s(45), "45s"),
            (s(192), "3m 12s"),
            (s(7_500), "2h 5m"),
            (s(7_205), "2h"),
            (s(97_200), "1d 3h"),
            (s(3_660), "1h 1m"),
        ];
        for (duration, text) in cases {
            assert_eq!(format_span(duration), text);
        }
    }
}
