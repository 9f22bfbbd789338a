//! Text helpers for human output: times, enum names, text from other people made safe for a
//! terminal, and shell quoting for commands we suggest.
//!
//! Pure functions only: the caller passes "now" and the time zone, so tests are exact. JSON
//! output never goes through here; it carries what the server sent, unchanged.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
/// Other people's text made safe, by the one rule every surface uses.
pub use notify_shared::text::{clean_line, clean_text, headline, truncate};

/// A time as RFC 3339 in UTC to the second: `2026-11-02T14:03:07Z`.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// How long ago `then` was, for a table: `just now`, `5m ago`, `3h ago`, `2d ago`, and a date
/// (`2026-11-02`, in `tz`) from a week on. Future times (scheduled sends) read `in 5m`; a
/// minute either way of `now` is `just now`, so small clock skew does not show.
pub fn relative<Tz: TimeZone>(then: DateTime<Utc>, now: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let seconds = (now - then).num_seconds();
    let (future, seconds) = (seconds < 0, seconds.unsigned_abs());
    let span = match seconds {
        0..60 => return "just now".into(),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        86_400..604_800 => format!("{}d", seconds / 86_400),
        _ => return then.with_timezone(tz).format("%Y-%m-%d").to_string(),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A timestamp followed by how long ago it was: `2026-11-02T14:03:07Z (5m ago)`.
pub fn timestamp_and_relative(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} ({})", timestamp(time), relative(time, now, &Utc))
}

/// `word` as a POSIX shell reads it back: unchanged when it holds only safe characters,
/// otherwise in single quotes.
pub fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@,+=%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, FixedOffset};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn relative_times_step_from_minutes_to_a_date() {
        let now = at("2026-11-09T12:00:00Z");
        let ago = |d: Duration| relative(now - d, now, &Utc);
        assert_eq!(ago(Duration::seconds(0)), "just now");
        assert_eq!(ago(Duration::seconds(59)), "just now");
        assert_eq!(ago(Duration::seconds(60)), "1m ago");
        assert_eq!(ago(Duration::minutes(5)), "5m ago");
        assert_eq!(ago(Duration::minutes(59)), "59m ago");
        assert_eq!(ago(Duration::hours(3)), "3h ago");
        assert_eq!(ago(Duration::hours(23)), "23h ago");
        assert_eq!(ago(Duration::days(2)), "2d ago");
        assert_eq!(ago(Duration::days(6)), "6d ago");
        assert_eq!(ago(Duration::days(7)), "2026-11-02");
        assert_eq!(ago(Duration::days(400)), "2025-10-05");
    }

    #[test]
    fn future_times_read_in_and_skew_is_forgiven() {
        let now = at("2026-11-09T12:00:00Z");
        let ahead = |d: Duration| relative(now + d, now, &Utc);
        assert_eq!(ahead(Duration::seconds(30)), "just now");
        assert_eq!(ahead(Duration::minutes(5)), "in 5m");
        assert_eq!(ahead(Duration::hours(3)), "in 3h");
        assert_eq!(ahead(Duration::days(30)), "2026-12-09");
    }

    #[test]
    fn dates_are_in_the_given_time_zone() {
        let now = at("2026-11-09T12:00:00Z");
        let tokyo = FixedOffset::east_opt(9 * 3600).expect("valid offset");
        assert_eq!(
            relative(at("2026-11-01T20:00:00Z"), now, &tokyo),
            "2026-11-02"
        );
    }

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let time = at("2026-11-02T15:03:07.123456+01:00");
        assert_eq!(timestamp(time), "2026-11-02T14:03:07Z");
        assert_eq!(
            timestamp_and_relative(time, time + Duration::minutes(5)),
            "2026-11-02T14:03:07Z (5m ago)"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("ci"), "ci");
        assert_eq!(shell_word("eyJ0Ijo=/+"), "eyJ0Ijo=/+");
        assert_eq!(shell_word("deploy failed"), "'deploy failed'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
    }
}
