//! Delivery times as people type them for `notify send --at` and `--in`, read in the user's
//! time zone.
//!
//! Pure: the caller passes "now" (in the zone to read times in), so tests use a fixed time
//! and a fixed offset. Forms, with examples:
//!
//! | form | means |
//! |---|---|
//! | `2026-12-01T09:00Z`, `2026-12-01T09:00:00+01:00` | that instant (RFC 3339) |
//! | `2026-12-01T09:00`, `2026-12-01 09:00[:00]` | that wall-clock time, local |
//! | `09:00`, `9am`, `5:30pm`, `noon`, `midnight` | today, or tomorrow if already past |
//! | `today 18:00`, `tomorrow 9am` | that day |
//! | `friday 9am`, `fri 9am` | the next such day after today |
//! | `next friday 17:30` | that day of next week (weeks start on Monday) |

use std::time::Duration as StdDuration;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};

/// How far ahead a send may be scheduled (the server's default limit).
pub const MAX_AHEAD: StdDuration = StdDuration::from_secs(365 * 86_400);

const FORMS: &str = "use 2026-12-01 09:00, 09:00, 9am, 5:30pm, tomorrow 9am, friday 17:30, \
                     next monday 8am, or RFC 3339 (2026-12-01T09:00:00Z)";

/// Reads `text` as a time, in `now`'s zone, and checks that it lies ahead of `now` by at most
/// [`MAX_AHEAD`]. Errors name the time understood.
pub fn parse_at<Tz: TimeZone>(text: &str, now: &DateTime<Tz>) -> Result<DateTime<Utc>, String>
where
    Tz::Offset: std::fmt::Display,
{
    let at = read(text, now)?;
    check_ahead(at, now)
}

/// `now` + `after`, checked against [`MAX_AHEAD`].
pub fn after<Tz: TimeZone>(after: StdDuration, now: &DateTime<Tz>) -> Result<DateTime<Utc>, String>
where
    Tz::Offset: std::fmt::Display,
{
    if after > MAX_AHEAD {
        return Err(format!(
            "{} is too far ahead: a send can be scheduled at most 365 days ahead",
            crate::duration::format_span(after)
        ));
    }
    let delta = chrono::Duration::from_std(after).map_err(|_| "the duration is too long")?;
    Ok(now.with_timezone(&Utc) + delta)
}

/// `at` as the user reads it, in `tz`: `Tue 2026-12-01 09:00 +01:00`.
pub fn local<Tz: TimeZone>(at: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    at.with_timezone(tz)
        .format("%a %Y-%m-%d %H:%M %:z")
        .to_string()
}

fn check_ahead<Tz: TimeZone>(at: DateTime<Utc>, now: &DateTime<Tz>) -> Result<DateTime<Utc>, String>
where
    Tz::Offset: std::fmt::Display,
{
    let shown = local(at, &now.timezone());
    let now_utc = now.with_timezone(&Utc);
    if at <= now_utc {
        return Err(format!(
            "{shown} is in the past: give a time ahead of now ({})",
            local(now_utc, &now.timezone())
        ));
    }
    if (at - now_utc).to_std().unwrap_or_default() > MAX_AHEAD {
        return Err(format!(
            "{shown} is too far ahead: a send can be scheduled at most 365 days ahead"
        ));
    }
    Ok(at)
}

/// Reads `text` without checking the window.
fn read<Tz: TimeZone>(text: &str, now: &DateTime<Tz>) -> Result<DateTime<Utc>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("empty time: {FORMS}"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(at.with_timezone(&Utc));
    }
    let upper = trimmed.to_ascii_uppercase();
    for format in [
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%d %H:%M:%S%#z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(&upper, format) {
            return Ok(at.with_timezone(&Utc));
        }
        if let Ok(naive) = NaiveDateTime::parse_from_str(&upper, format) {
            return Ok(naive.and_utc());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(trimmed, format) {
            return in_zone(naive, &now.timezone(), trimmed);
        }
    }
    let lower = trimmed.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let today = now.date_naive();
    let (day, time) = match words.as_slice() {
        [time] => {
            let time = clock(time).ok_or_else(|| not_a_time(text))?;
            let at = in_zone(today.and_time(time), &now.timezone(), trimmed)?;
            if at > now.with_timezone(&Utc) {
                return Ok(at);
            }
            (next_day(today, 1), time)
        }
        ["today", time] => (today, clock(time).ok_or_else(|| not_a_time(text))?),
        ["tomorrow", time] => (
            next_day(today, 1),
            clock(time).ok_or_else(|| not_a_time(text))?,
        ),
        [day, time] => {
            let weekday = weekday(day).ok_or_else(|| not_a_time(text))?;
            let time = clock(time).ok_or_else(|| not_a_time(text))?;
            let ahead =
                (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            // The next such day after today: `friday` on a Friday is a week away.
            (next_day(today, if ahead == 0 { 7 } else { ahead }), time)
        }
        ["next", day, time] => {
            let weekday = weekday(day).ok_or_else(|| not_a_time(text))?;
            let time = clock(time).ok_or_else(|| not_a_time(text))?;
            // That day of next week: `next friday` on a Thursday is eight days away, not
            // tomorrow (that is `friday`).
            let next_monday = 7 - today.weekday().num_days_from_monday();
            (
                next_day(today, next_monday + weekday.num_days_from_monday()),
                time,
            )
        }
        _ => return Err(not_a_time(text)),
    };
    in_zone(day.and_time(time), &now.timezone(), trimmed)
}

fn not_a_time(text: &str) -> String {
    format!("{text:?} is not a time: {FORMS}")
}

fn next_day(day: NaiveDate, days: u32) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(day)
}

/// A wall-clock time in `tz`; the earlier one when clocks go back, an error when they skip it.
fn in_zone<Tz: TimeZone>(
    naive: NaiveDateTime,
    tz: &Tz,
    text: &str,
) -> Result<DateTime<Utc>, String> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("{text:?} does not exist in your time zone (the clocks skip it)"))
}

/// `09:00`, `9:00`, `17:30:15`, `9am`, `9 am` is two words (refused), `5:30pm`, `12am`,
/// `noon`, `midnight`.
fn clock(word: &str) -> Option<NaiveTime> {
    match word {
        "noon" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let (digits, meridiem) = if let Some(rest) = word.strip_suffix("am") {
        (rest, Some(false))
    } else if let Some(rest) = word.strip_suffix("pm") {
        (rest, Some(true))
    } else {
        (word, None)
    };
    let mut parts = digits.split(':');
    let number = |part: Option<&str>| -> Option<u32> {
        let part = part?;
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let hour = number(parts.next())?;
    let (minute, second) = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) if meridiem.is_some() => (0, 0),
        (Some(m), None, _) if m.len() == 2 => (number(Some(m))?, 0),
        (Some(m), Some(s), None) if m.len() == 2 && s.len() == 2 => {
            (number(Some(m))?, number(Some(s))?)
        }
        _ => return None,
    };
    let hour = match meridiem {
        None => hour,
        Some(_) if hour == 0 || hour > 12 => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

fn weekday(word: &str) -> Option<Weekday> {
    let days = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    days.iter()
        .find(|(name, _)| word.len() >= 3 && name.starts_with(word))
        .map(|(_, day)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    /// Wednesday 2026-11-25 14:00 at UTC+01:00.
    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T14:00:00+01:00").expect("valid")
    }

    /// A local time at +01:00, in UTC.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+01:00"))
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn every_documented_form() {
        let cases = [
            ("2026-12-01T09:00", at("2026-12-01T09:00:00")),
            ("2026-12-01 09:00", at("2026-12-01T09:00:00")),
            ("2026-12-01 09:00:30", at("2026-12-01T09:00:30")),
            ("2026-12-01T09:00:00Z", at("2026-12-01T10:00:00")),
            ("2026-12-01T09:00Z", at("2026-12-01T10:00:00")),
            ("2026-12-01T09:00:00+09:00", at("2026-12-01T01:00:00")),
            ("2026-12-01T09:00+09:00", at("2026-12-01T01:00:00")),
            ("18:00", at("2026-11-25T18:00:00")),
            ("09:00", at("2026-11-26T09:00:00")),
            ("9:00", at("2026-11-26T09:00:00")),
            ("9am", at("2026-11-26T09:00:00")),
            ("5:30pm", at("2026-11-25T17:30:00")),
            ("5PM", at("2026-11-25T17:00:00")),
            ("12am", at("2026-11-26T00:00:00")),
            ("12pm", at("2026-11-26T12:00:00")),
            ("noon", at("2026-11-26T12:00:00")),
            ("midnight", at("2026-11-26T00:00:00")),
            ("14:00", at("2026-11-26T14:00:00")),
            ("today 18:00", at("2026-11-25T18:00:00")),
            ("tomorrow 9am", at("2026-11-26T09:00:00")),
            ("Tomorrow 17:30", at("2026-11-26T17:30:00")),
            ("friday 9am", at("2026-11-27T09:00:00")),
            ("next friday 17:30", at("2026-12-04T17:30:00")),
            ("next wednesday 15:00", at("2026-12-02T15:00:00")),
            ("next monday 8am", at("2026-11-30T08:00:00")),
            ("fri 9am", at("2026-11-27T09:00:00")),
            ("monday 8am", at("2026-11-30T08:00:00")),
            ("wednesday 15:00", at("2026-12-02T15:00:00")),
            ("  tomorrow   9am ", at("2026-11-26T09:00:00")),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_at(text, &now()), Ok(expected), "{text}");
        }
    }

    #[test]
    fn next_friday_on_a_thursday_is_next_week_and_friday_is_tomorrow() {
        let thursday = DateTime::parse_from_rfc3339("2026-11-26T14:00:00+01:00").expect("valid");
        assert_eq!(
            parse_at("friday 17:30", &thursday),
            Ok(at("2026-11-27T17:30:00"))
        );
        assert_eq!(
            parse_at("next friday 17:30", &thursday),
            Ok(at("2026-12-04T17:30:00"))
        );
        let sunday = DateTime::parse_from_rfc3339("2026-11-29T14:00:00+01:00").expect("valid");
        assert_eq!(
            parse_at("next sunday 9am", &sunday),
            Ok(at("2026-12-06T09:00:00"))
        );
    }

    #[test]
    fn the_past_and_the_far_future_are_refused_naming_the_time() {
        let past = parse_at("today 9am", &now()).expect_err("past");
        assert_eq!(
            past,
            "Wed 2026-11-25 09:00 +01:00 is in the past: give a time ahead of now \
             (Wed 2026-11-25 14:00 +01:00)"
        );
        assert!(parse_at("2026-11-25T14:00", &now()).is_err());
        assert!(
            parse_at("2020-01-01T00:00:00Z", &now())
                .expect_err("past")
                .contains("past")
        );
        let far = parse_at("2027-11-26 09:00", &now()).expect_err("far");
        assert!(
            far.starts_with("Fri 2027-11-26 09:00 +01:00 is too far ahead"),
            "{far}"
        );
        assert!(parse_at("2027-11-25 09:00", &now()).is_ok());
    }

    #[test]
    fn garbage_is_refused_with_the_forms() {
        for text in [
            "",
            "soon",
            "25:00",
            "9",
            "9:5",
            "13pm",
            "0am",
            "9 am",
            "yesterday 9am",
            "fr 9am",
            "next 9am",
            "friday",
            "2026-13-01 09:00",
            "tomorrow 9:00 pm",
            "9:00:00:00",
        ] {
            let error = parse_at(text, &now()).expect_err(text);
            assert!(
                error.contains("not a time") || error.contains("empty"),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn durations_are_counted_from_now_and_capped() {
        let in_90 = after(StdDuration::from_secs(5_400), &now()).expect("ok");
        assert_eq!(in_90, at("2026-11-25T15:30:00"));
        let far = after(StdDuration::from_secs(366 * 86_400), &now()).expect_err("far");
        assert!(far.contains("too far ahead"), "{far}");
    }

    #[test]
    fn local_times_show_the_day_and_offset() {
        let tz = FixedOffset::east_opt(3_600).expect("valid");
        assert_eq!(
            local(at("2026-12-01T09:00:00"), &tz),
            "Tue 2026-12-01 09:00 +01:00"
        );
    }
}
