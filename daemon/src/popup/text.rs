//! What a popup says: the summary and body made from a notification's title and body, cleaned
//! by the rule every surface uses ([`notify_shared::text`]) and cut to a sensible width; the
//! body escaped for the freedesktop body markup (`&`, `<`, `>`). The summary is plain text by the
//! specification and servers show it literally (dunst escapes it itself), so escaping it too
//! would show `&lt;b&gt;`. Also the urgency for a priority.
//!
//! Pure functions over strings; other people's text is never shown as markup.

use notify_rust::Urgency;
use notify_shared::api::Priority;
pub use notify_shared::text::truncate;
use notify_shared::text::{clean_line, clean_text};

/// Widest summary, in columns before escaping.
pub const MAX_SUMMARY_COLUMNS: usize = 120;
/// Widest body, in columns before escaping.
pub const MAX_BODY_COLUMNS: usize = 600;
/// Most body lines.
pub const MAX_BODY_LINES: usize = 10;
/// The summary when a notification has neither title nor text.
const EMPTY_SUMMARY: &str = "New notification";

/// A popup's text, ready for the notification server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupText {
    /// The summary (first line, in bold on most servers): plain text, never markup.
    pub summary: String,
    /// The body (may be empty), escaped for the body markup.
    pub body: String,
}

/// The desktop urgency of a priority: high and urgent are critical (they stay until
/// dismissed).
pub fn urgency(priority: Priority) -> Urgency {
    match priority {
        Priority::Low => Urgency::Low,
        Priority::Normal => Urgency::Normal,
        Priority::High | Priority::Urgent => Urgency::Critical,
    }
}

/// `text` escaped for the freedesktop body markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The one-line headline of a notification, unescaped: its title, else the first non-empty
/// line of its body, else "New notification".
pub fn headline(title: Option<&str>, body: &str) -> String {
    let headline = notify_shared::text::headline(title, body);
    if headline.is_empty() {
        EMPTY_SUMMARY.to_owned()
    } else {
        headline
    }
}

/// The popup of one notification.
pub fn render(title: Option<&str>, body: &str) -> PopupText {
    let cleaned_title = title.map(clean_line);
    let has_title = cleaned_title
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    let cleaned_body = clean_text(body);
    let mut lines = cleaned_body.lines().map(str::trim_end);
    let summary = if has_title {
        headline(title, body)
    } else {
        // The first line is the summary; the body is what follows it.
        let first = lines.by_ref().find(|line| !line.trim().is_empty());
        first.map_or_else(|| EMPTY_SUMMARY.to_owned(), |l| l.trim().to_owned())
    };
    let rest: Vec<&str> = lines.collect();
    let start = rest
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(rest.len());
    let end = rest
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |i| i + 1);
    let shown = &rest[start..end.max(start)];
    let mut body_text = shown
        .iter()
        .take(MAX_BODY_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if shown.len() > MAX_BODY_LINES {
        body_text.push_str("\n…");
    }
    PopupText {
        summary: truncate(&summary, MAX_SUMMARY_COLUMNS),
        body: escape(&truncate(&body_text, MAX_BODY_COLUMNS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_shows_as_text() {
        // The summary is plain text (the server shows it literally); the body is escaped.
        let popup = render(Some("<b>x</b> & co"), "a <i>b</i> & c > d");
        assert_eq!(popup.summary, "<b>x</b> & co");
        assert_eq!(popup.body, "a &lt;i&gt;b&lt;/i&gt; &amp; c &gt; d");
        let untitled = render(None, "<b>first</b>\n<i>second</i>");
        assert_eq!(untitled.summary, "<b>first</b>");
        assert_eq!(untitled.body, "&lt;i&gt;second&lt;/i&gt;");
    }

    #[test]
    fn control_bidi_and_invisible_characters_are_removed() {
        let popup = render(
            Some("pay\u{202E}txt.exe\u{200B}\u{1b}[31m"),
            "line1\r\nline2\u{0}\u{2028}line3",
        );
        assert_eq!(popup.summary, "paytxt.exe[31m");
        assert_eq!(popup.body, "line1\nline2\nline3");
    }

    #[test]
    fn without_a_title_the_first_line_is_the_summary() {
        let popup = render(None, "\n  Deploy finished  \n\nall green\n");
        assert_eq!(popup.summary, "Deploy finished");
        assert_eq!(popup.body, "all green");
        let single = render(None, "just this");
        assert_eq!(single.summary, "just this");
        assert_eq!(single.body, "");
        let blank_title = render(Some("  "), "body");
        assert_eq!(blank_title.summary, "body");
        assert_eq!(render(None, "\u{202E}").summary, EMPTY_SUMMARY);
        assert_eq!(headline(None, "\n x \ny"), "x");
    }

    #[test]
    fn lengths_are_capped() {
        let popup = render(Some(&"t".repeat(500)), &"b".repeat(5_000));
        assert_eq!(popup.summary.chars().count(), MAX_SUMMARY_COLUMNS);
        assert!(popup.summary.ends_with('…'));
        assert_eq!(popup.body.chars().count(), MAX_BODY_COLUMNS);
        let many = (0..30)
            .map(|i| format!("l{i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let popup = render(Some("t"), &many);
        assert_eq!(popup.body.lines().count(), MAX_BODY_LINES + 1);
        assert!(popup.body.ends_with('…'));
        // Escaping happens after cutting, so an entity is never cut in half.
        let popup = render(Some("t"), &"&".repeat(1_000));
        assert!(popup.body.ends_with("&amp;…"), "{}", popup.body);
    }

    #[test]
    fn urgency_follows_priority() {
        assert_eq!(urgency(Priority::Low), Urgency::Low);
        assert_eq!(urgency(Priority::Normal), Urgency::Normal);
        assert_eq!(urgency(Priority::High), Urgency::Critical);
        assert_eq!(urgency(Priority::Urgent), Urgency::Critical);
    }
}
