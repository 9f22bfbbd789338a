//! What of a delivery address may be written into an event or shown to someone else.
//!
//! Events are immutable, so a secret written into one can never be taken back. A webhook
//! URL's userinfo, path and query are its credential (a Slack-style hook *is* its path), so an
//! event holds only the URL's origin; the full URL stays in the write DB's mutable tables
//! (`user_preferences`, the saga's `deliveries`), where the worker reads it.

use notify_shared::api::Channel;

/// The part of a webhook URL that is no secret: `scheme://host[:port]`, followed by `/…` when
/// anything was left out. Text that is not a URL becomes `…` (it is shown nowhere whole).
pub fn webhook_origin(url: &str) -> String {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return "…".into();
    };
    let origin = parsed.origin().ascii_serialization();
    let hidden = !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.path() != "/"
        || parsed.query().is_some()
        || parsed.fragment().is_some();
    if hidden {
        format!("{origin}/…")
    } else {
        origin
    }
}

/// `address` of a delivery on `channel` as an event may hold it.
pub fn for_event(channel: Channel, address: &str) -> String {
    match channel {
        Channel::Webhook if !address.is_empty() => webhook_origin(address),
        _ => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_keeps_only_its_origin() {
        let cases = [
            (
                "https://hooks.slack.com/services/T0/B0/secret",
                "https://hooks.slack.com/…",
            ),
            ("https://user:pw@example.com/", "https://example.com/…"),
            ("https://example.com/?token=x", "https://example.com/…"),
            ("http://example.com:8080/", "http://example.com:8080"),
            ("https://example.com", "https://example.com"),
            ("not a url with a secret", "…"),
        ];
        for (url, shown) in cases {
            assert_eq!(webhook_origin(url), shown, "{url}");
        }
    }

    #[test]
    fn only_webhook_addresses_are_cut() {
        assert_eq!(for_event(Channel::Email, "a@b.c"), "a@b.c");
        assert_eq!(for_event(Channel::Desktop, "alice"), "alice");
        assert_eq!(for_event(Channel::Webhook, ""), "");
        assert_eq!(
            for_event(Channel::Webhook, "https://h.example/x"),
            "https://h.example/…"
        );
    }
}
