//! The burst rule: right after the daemon (re)connects, desktop deliveries are collected for
//! [`WINDOW`]; more than [`THRESHOLD`] of them make one summary popup ("17 new
//! notifications") instead of a flood. Live traffic too: once [`THRESHOLD`] popups were
//! shown within [`WINDOW`], the next deliveries go into one summary popup (a person cannot
//! read more, and a notification server shown hundreds of new popups a second falls behind by
//! minutes). A burst goes on while deliveries keep coming less than [`WINDOW`] apart; its
//! summary is updated in place, at most once per [`UPDATE_EVERY`], and a delivery waits at
//! most that long for it.
//!
//! Pure decisions and text; the pipeline in `desktop` applies them.
//!
//! It must not show anything itself: it decides between one popup and a summary, and `deliver.rs`
//! shows.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::popup::text::{MAX_SUMMARY_COLUMNS, PopupText, escape, truncate};

/// How long deliveries are collected after a (re)connect.
pub const WINDOW: Duration = Duration::from_millis(750);
/// Most deliveries in one window still shown one by one.
pub const THRESHOLD: usize = 5;
/// The shortest time between two updates of a burst's summary popup: at most 50 a second
/// (a notification server redraws one popup that fast with a few percent of a core), and a
/// delivery in a burst waits at most this long to be shown.
pub const UPDATE_EVERY: Duration = Duration::from_millis(20);
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

/// Whether a burst whose summary was last updated at `updated` goes on at `now`.
pub fn goes_on(updated: Instant, now: Instant) -> bool {
    now.duration_since(updated) <= WINDOW
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
        summary: if n == 1 {
            "1 new notification".to_owned()
        } else {
            format!("{n} new notifications")
        },
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
    fn a_burst_goes_on_while_deliveries_come_within_the_window() {
        let updated = Instant::now();
        assert!(goes_on(updated, updated + WINDOW));
        assert!(!goes_on(
            updated,
            updated + WINDOW + Duration::from_millis(1)
        ));
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
        let popup = summary_text(1, &headlines[..1]);
        assert_eq!(popup.summary, "1 new notification");
        assert_eq!(popup.body, "&lt;b&gt;one&lt;/b&gt;");
    }
}
