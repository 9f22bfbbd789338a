//! Limits on what a send may carry, checked where input enters: the CLI before it sends and
//! the api before it stores. One function, so both say the same thing.
//!
//! Neither side may rely on the other's check: both call `check_send`.

use std::collections::HashSet;

use crate::api::SendRequest;
use crate::problem::Violation;

/// Most recipients of one send.
pub const MAX_RECIPIENTS: usize = 100;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 250;
/// Longest body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Most tags on one notification.
pub const MAX_TAGS: usize = 10;
/// Longest tag or thread key, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Largest request body the api reads, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Checks a send against every limit and returns every violation found (empty when valid).
pub fn check_send(request: &SendRequest) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut add = |field: &str, message: String| violations.push(Violation::new(field, message));

    if request.to.len() > MAX_RECIPIENTS {
        add(
            "to",
            format!(
                "at most {MAX_RECIPIENTS} recipients per send, got {}",
                request.to.len()
            ),
        );
    }
    let mut seen = HashSet::new();
    if let Some(dup) = request.to.iter().find(|user| !seen.insert(*user)) {
        add("to", format!("recipient {dup} is named twice"));
    }
    if let Some(title) = &request.title {
        let chars = title.chars().count();
        if chars == 0 || chars > MAX_TITLE_CHARS {
            add(
                "title",
                format!("the title must have 1 to {MAX_TITLE_CHARS} characters, got {chars}"),
            );
        }
        if title.chars().any(char::is_control) {
            add(
                "title",
                "the title must be one line without control characters".into(),
            );
        }
    }
    if request.body.trim().is_empty() {
        add("body", "the message is empty".into());
    }
    if request.body.len() > MAX_BODY_BYTES {
        add(
            "body",
            format!(
                "the message has {} bytes; at most {MAX_BODY_BYTES} are allowed",
                request.body.len()
            ),
        );
    }
    if request
        .body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        add(
            "body",
            "the message may not contain control characters other than newline and tab".into(),
        );
    }
    if request.tags.len() > MAX_TAGS {
        add(
            "tags",
            format!("at most {MAX_TAGS} tags, got {}", request.tags.len()),
        );
    }
    for tag in &request.tags {
        if let Err(why) = check_key(tag) {
            add("tags", format!("tag {tag:?} {why}"));
        }
    }
    if let Some(thread) = &request.thread
        && let Err(why) = check_key(thread)
    {
        add("thread", format!("thread {thread:?} {why}"));
    }
    let mut channels = HashSet::new();
    if let Some(dup) = request.channels.iter().find(|c| !channels.insert(*c)) {
        add("channels", format!("channel {dup:?} is named twice"));
    }
    violations
}

/// Tags and thread keys: 1 to [`MAX_TAG_CHARS`] characters, no white space, commas or control
/// characters (so they stay one shell word and one filter term).
fn check_key(key: &str) -> Result<(), String> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS {
        return Err(format!("must have 1 to {MAX_TAG_CHARS} characters"));
    }
    if key
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        return Err("may not contain white space, commas or control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;
    use crate::api::{Channel, Priority};

    /// Breaks one rule of a valid request.
    type Breaker = Box<dyn Fn(&mut SendRequest)>;

    fn request() -> SendRequest {
        SendRequest {
            to: vec![UserId::parse("alice").expect("valid")],
            title: Some("Deploy".into()),
            body: "finished".into(),
            priority: Priority::Normal,
            tags: vec!["ci".into()],
            channels: vec![],
            thread: None,
            deliver_at: None,
        }
    }

    #[test]
    fn a_plain_send_is_valid() {
        assert_eq!(check_send(&request()), vec![]);
    }

    #[test]
    fn each_limit_names_its_field() {
        let cases: Vec<(&str, Breaker)> = vec![
            (
                "to",
                Box::new(|r| r.to = vec![UserId::parse("bob").expect("valid"); 2]),
            ),
            (
                "to",
                Box::new(|r| {
                    r.to = (0..=MAX_RECIPIENTS)
                        .map(|i| UserId::parse(format!("u{i}")).expect("valid"))
                        .collect()
                }),
            ),
            (
                "title",
                Box::new(|r| r.title = Some("x".repeat(MAX_TITLE_CHARS + 1))),
            ),
            ("title", Box::new(|r| r.title = Some("two\nlines".into()))),
            ("title", Box::new(|r| r.title = Some(String::new()))),
            ("body", Box::new(|r| r.body = "  ".into())),
            (
                "body",
                Box::new(|r| r.body = "x".repeat(MAX_BODY_BYTES + 1)),
            ),
            ("body", Box::new(|r| r.body = "bell\u{7}".into())),
            (
                "tags",
                Box::new(|r| r.tags = vec!["t".into(); MAX_TAGS + 1]),
            ),
            ("tags", Box::new(|r| r.tags = vec!["two words".into()])),
            ("tags", Box::new(|r| r.tags = vec![String::new()])),
            (
                "thread",
                Box::new(|r| r.thread = Some("x".repeat(MAX_TAG_CHARS + 1))),
            ),
            (
                "channels",
                Box::new(|r| r.channels = vec![Channel::Email, Channel::Email]),
            ),
        ];
        for (field, break_it) in cases {
            let mut r = request();
            break_it(&mut r);
            let violations = check_send(&r);
            assert!(
                violations.iter().any(|v| v.field == field),
                "expected a violation of {field}, got {violations:?}"
            );
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let mut r = request();
        r.title = Some("é".repeat(MAX_TITLE_CHARS));
        r.body = "x".repeat(MAX_BODY_BYTES);
        r.tags = vec!["t".into(); MAX_TAGS];
        assert_eq!(check_send(&r), vec![]);
    }
}
