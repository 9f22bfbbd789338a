//! Flags and value parsers shared by several subcommands: paging, waiting, ids, filters.
//!
//! Every limit the server would enforce on a query is checked here too, so a bad value is a
//! usage error (exit 2) and nothing is sent.

use std::time::Duration;

use clap::{Args, ValueEnum};
use notify_shared::api::Channel;
use notify_shared::limits::MAX_TAG_CHARS;
use notify_shared::views::{MAX_PAGE, MAX_SEARCH_CHARS, NotificationStatus};
use uuid::Uuid;

use crate::duration::parse_duration;

/// `--limit` and `--before`, for the listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PageArgs {
    /// How many to show, 1 to 200 [default: 50]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
    pub limit: Option<u32>,
    /// Older than this cursor; a full page prints the next one on stderr
    #[arg(long, value_name = "CURSOR", value_parser = parse_cursor)]
    pub before: Option<String>,
}

/// `--wait` and `--timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct WaitArgs {
    /// Wait until it is done; exit 4 if that takes longer than --timeout
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits: 500ms, 10s, 2m, 1h30m
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, requires = "wait")]
    pub timeout: Duration,
}

/// `--status` values of `notify sent`; the contract's [`NotificationStatus`] stays free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Waiting for its delivery time
    Scheduled,
    /// In the inbox; channels are delivering
    Dispatched,
    /// Every channel succeeded
    Delivered,
    /// Some channels succeeded, the others failed for good
    #[value(name = "partially_delivered", alias = "partially-delivered")]
    PartiallyDelivered,
    /// No channel succeeded: each failed for good
    Failed,
    /// Cancelled before it went out
    Cancelled,
}

impl From<StatusArg> for NotificationStatus {
    fn from(status: StatusArg) -> Self {
        match status {
            StatusArg::Scheduled => Self::Scheduled,
            StatusArg::Dispatched => Self::Dispatched,
            StatusArg::Delivered => Self::Delivered,
            StatusArg::PartiallyDelivered => Self::PartiallyDelivered,
            StatusArg::Failed => Self::Failed,
            StatusArg::Cancelled => Self::Cancelled,
        }
    }
}

/// `--channel` and `--channels` values; the contract's [`Channel`] stays free of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelArg {
    /// A popup on each of the recipient's machines
    Desktop,
    /// An e-mail to the recipient's address
    Email,
    /// An HTTP POST to the recipient's webhook
    Webhook,
}

impl From<ChannelArg> for Channel {
    fn from(channel: ChannelArg) -> Self {
        match channel {
            ChannelArg::Desktop => Self::Desktop,
            ChannelArg::Email => Self::Email,
            ChannelArg::Webhook => Self::Webhook,
        }
    }
}

/// The channels named, in the order first named, each once: `--channel email,email` is a
/// slip, not a request for two e-mails.
pub fn channels(args: &[ChannelArg]) -> Vec<Channel> {
    let mut channels: Vec<Channel> = Vec::with_capacity(args.len());
    for channel in args.iter().copied().map(Channel::from) {
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    channels
}

/// An `--address` filter: an e-mail address or a webhook URL, blanks around it forgiven.
pub fn parse_address(s: &str) -> Result<String, String> {
    let address = s.trim();
    if address.is_empty() {
        return Err("the address is empty: give an e-mail address or a webhook URL".into());
    }
    Ok(address.to_owned())
}

/// A notification or operation id.
pub fn parse_id(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s.trim())
        .map_err(|_| "not an id: ids look like 0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10".into())
}

/// A `--tag` filter: what a tag may be.
pub fn parse_tag(s: &str) -> Result<String, String> {
    let chars = s.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS {
        return Err(format!(
            "a tag has 1 to {MAX_TAG_CHARS} characters, got {chars}"
        ));
    }
    Ok(s.to_owned())
}

/// A `--search` text: not blank, at most [`MAX_SEARCH_CHARS`] characters.
pub fn parse_search(s: &str) -> Result<String, String> {
    let chars = s.chars().count();
    if s.trim().is_empty() {
        return Err("the search text is empty".into());
    }
    if chars > MAX_SEARCH_CHARS {
        return Err(format!(
            "at most {MAX_SEARCH_CHARS} characters, got {chars}"
        ));
    }
    Ok(s.to_owned())
}

/// A `--before` cursor: opaque, but never empty.
fn parse_cursor(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("the cursor is empty: pass the one printed after the previous page".into());
    }
    Ok(s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids() {
        let id = "0190f3a2-7c41-7d3e-9a5b-2f1e4c8d6b10";
        assert_eq!(parse_id(id).expect("valid").to_string(), id);
        assert!(parse_id("42").is_err());
    }

    #[test]
    fn search_and_tag_limits() {
        assert!(parse_search("disk full").is_ok());
        assert!(parse_search("  ").is_err());
        assert!(parse_search(&"é".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(parse_search(&"é".repeat(MAX_SEARCH_CHARS + 1)).is_err());
        assert!(parse_tag("ci").is_ok());
        assert!(parse_tag("").is_err());
        assert!(parse_tag(&"x".repeat(MAX_TAG_CHARS + 1)).is_err());
        assert!(parse_cursor(" ").is_err());
        assert_eq!(parse_address(" a@b.c ").as_deref(), Ok("a@b.c"));
        assert!(parse_address(" ").is_err());
    }

    #[test]
    fn channels_keep_their_first_order_once() {
        use ChannelArg::*;
        assert_eq!(
            channels(&[Webhook, Email, Webhook, Desktop, Email]),
            [Channel::Webhook, Channel::Email, Channel::Desktop]
        );
        assert!(channels(&[]).is_empty());
    }
}
