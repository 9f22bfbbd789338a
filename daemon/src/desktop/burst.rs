//! The burst rule: right after the daemon (re)connects, desktop deliveries are collected for
//! [`WINDOW`]; more than [`THRESHOLD`] of them make one summary popup ("17 new
//! notifications") instead of a flood.
//!
//! Pure decisions and text; the pipeline in `desktop` applies them.

use std::time::Duration;

use crate::popup::text::{MAX_SUMMARY_CHARS, PopupText, escape, truncate};

/// How long deliveries are collected after a (re)connect.
pub const WINDOW: Duration = Duration::from_millis(750);
/// Most deliveries in one window still shown one by one.
pub const THRESHOLD: usize = 5;
/// Titles a summary lists.
pub const LISTED: usize = 3;

/// Whether `n` deliveries collected in one window become one summary popup.
pub fn summarise(n: usize) -> bool {
    n > THRESHOLD
}

/// The summary popup of `n` deliveries, listing the first few `headlines` (unescaped) in
/// its body, where they are escaped; the summary line is plain text.
pub fn summary_text(n: usize, headlines: &[String]) -> PopupText {
    let mut lines: Vec<String> = headlines
        .iter()
        .take(LISTED)
        .map(|h| escape(&truncate(h, MAX_SUMMARY_CHARS)))
        .collect();
    if n > lines.len() {
        lines.push("…".to_owned());
    }
    PopupText {
        summary: format!("{n} new notifications"),
        body: lines.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_five_become_one_summary() {
        assert!(!summarise(0));
        assert!(!summarise(5));
        assert!(summarise(6));
        assert!(summarise(100));
    }

    #[test]
    fn the_summary_lists_three_titles_escaped() {
        let headlines: Vec<String> = ["<b>one</b>", "two", "three", "four"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let popup = summary_text(17, &headlines);
        assert_eq!(popup.summary, "17 new notifications");
        assert_eq!(popup.body, "&lt;b&gt;one&lt;/b&gt;\ntwo\nthree\n…");
        let popup = summary_text(6, &headlines[..1]);
        assert_eq!(popup.body, "&lt;b&gt;one&lt;/b&gt;\n…");
    }
}
