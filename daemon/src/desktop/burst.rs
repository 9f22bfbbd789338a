//! The burst rule: right after the daemon (re)connects, desktop deliveries are collected for
//! [`WINDOW`]; more than [`THRESHOLD`] of them make one summary popup ("17 new
//! notifications") instead of a flood. Live traffic too: once [`THRESHOLD`] popups were
//! shown within [`WINDOW`], the next deliveries are collected for [`LIVE_WINDOW`] the same
//! way, and the summary is updated in place while the flood goes on (a person cannot read
//! more, and a notification server shown hundreds of popups a second falls behind by minutes).
//!
//! Pure decisions and text; the pipeline in `desktop` applies them.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::popup::text::{MAX_SUMMARY_COLUMNS, PopupText, escape, truncate};

/// How long deliveries are collected after a (re)connect.
pub const WINDOW: Duration = Duration::from_millis(750);
/// Most deliveries in one window still shown one by one.
pub const THRESHOLD: usize = 5;
/// How long deliveries are collected at a time during a live flood: the summary is updated at
/// most 25 times a second (dunst keeps up), and a popup waits at most this long.
pub const LIVE_WINDOW: Duration = Duration::from_millis(40);
/// Titles a summary lists.
pub const LISTED: usize = 3;

/// Whether `n` deliveries collected in one window become one summary popup.
pub fn summarise(n: usize) -> bool {
    n > THRESHOLD
}

/// Notes a popup shown one by one at `now` in `recent` (the times of the last ones); whether
/// the next deliveries come too fast to be shown one by one.
pub fn flooding(recent: &mut VecDeque<Instant>, now: Instant) -> bool {
    while recent
        .front()
        .is_some_and(|shown| now.duration_since(*shown) > WINDOW)
    {
        recent.pop_front();
    }
    recent.len() >= THRESHOLD
}

/// The summary popup of `n` deliveries, listing the first few `headlines` (unescaped) in
/// its body, where they are escaped; the summary line is plain text.
pub fn summary_text(n: usize, headlines: &[String]) -> PopupText {
    let mut lines: Vec<String> = headlines
        .iter()
        .take(LISTED)
        .map(|h| escape(&truncate(h, MAX_SUMMARY_COLUMNS)))
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
    fn five_popups_within_the_window_make_a_flood() {
        let start = Instant::now();
        let mut recent = VecDeque::new();
        for i in 0..4 {
            recent.push_back(start + Duration::from_millis(100 * i));
        }
        assert!(!flooding(&mut recent, start + Duration::from_millis(400)));
        recent.push_back(start + Duration::from_millis(400));
        assert!(flooding(&mut recent, start + Duration::from_millis(500)));
        // Four a second (one every 250 ms) is never a flood.
        assert!(!flooding(&mut recent, start + Duration::from_millis(1_000)));
        assert_eq!(recent.len(), 2, "the older ones are forgotten");
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
