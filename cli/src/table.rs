//! Tables for people: aligned columns without a header, the last column free text cut to the
//! terminal's width. Also finds that width.
//!
//! Cells arrive already cleaned (see [`crate::render`]); widths are display columns, so a wide
//! (CJK, emoji) character counts as two and no row wraps. A row may have a
//! style (bold for unread, red for failed); its escape codes reach the terminal only when
//! colour is on (`main` writes through `anstream`, which drops them for pipes and NO_COLOR).

use std::io::{self, IsTerminal};

use anstyle::Style;
use notify_shared::text;

/// The free-text column keeps at least this many characters however narrow the terminal.
const MIN_LAST: usize = 12;
/// Between two columns.
const GAP: &str = "  ";

/// One row: aligned cells, then the free text (a title) that gets whatever room is left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// Cells padded to their column's widest.
    pub cells: Vec<String>,
    /// The last column, cut to the width.
    pub text: String,
    /// How the whole line looks on a colour terminal; plain by default.
    pub style: Style,
}

/// The rows as lines, each ending in a newline; with `width`, no line is longer than it
/// (unless the aligned cells alone are).
pub fn render(rows: &[Row], width: Option<usize>) -> String {
    let columns = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.cells.get(i))
                .map(|c| text::width(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let prefix_width: usize = widths.iter().map(|w| w + GAP.len()).sum();
    let room = width.map(|w| w.saturating_sub(prefix_width).max(MIN_LAST));
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.cells.iter().zip(&widths) {
            line.push_str(&text::pad(cell, *width));
            line.push_str(GAP);
        }
        match room {
            Some(room) => line.push_str(&text::truncate(&row.text, room)),
            None => line.push_str(&row.text),
        }
        let style = row.style;
        text.push_str(&format!("{style}{}{style:#}\n", line.trim_end()));
    }
    text
}

/// The width to cut tables to: `None` when stdout is not a terminal (a pipe or a file gets
/// everything), else `COLUMNS` when set, else the terminal's width, else 80.
pub fn stdout_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    let terminal = || terminal_size::terminal_size().map(|(width, _)| usize::from(width.0));
    Some(columns.or_else(terminal).filter(|c| *c > 0).unwrap_or(80))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str], text: &str) -> Row {
        Row {
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            text: text.to_owned(),
            style: Style::new(),
        }
    }

    #[test]
    fn a_styled_row_is_wrapped_in_its_escape_codes() {
        let mut bold = row(&["●"], "new");
        bold.style = Style::new().bold();
        let plain = row(&[" "], "old");
        assert_eq!(
            render(&[bold, plain], None),
            "\u{1b}[1m●  new\u{1b}[0m\n   old\n"
        );
    }

    #[test]
    fn columns_align_on_their_widest_cell() {
        let rows = [
            row(&["●", "5m ago", "alice"], "Deploy finished"),
            row(&[" ", "2026-11-02", "bob"], "build log"),
        ];
        assert_eq!(
            render(&rows, None),
            "●  5m ago      alice  Deploy finished\n   2026-11-02  bob    build log\n"
        );
    }

    #[test]
    fn the_last_column_is_cut_to_the_width() {
        let rows = [row(&["abc"], "a rather long title indeed")];
        assert_eq!(render(&rows, Some(20)), "abc  a rather long…\n");
        assert_eq!(render(&rows, Some(80)), "abc  a rather long title indeed\n");
        // A very narrow terminal still shows something of the title.
        assert_eq!(render(&rows, Some(4)), "abc  a rather lo…\n");
    }

    #[test]
    fn wide_characters_take_two_columns_and_rows_never_wrap() {
        let rows = [
            row(
                &["漢字", "bob"],
                "締め切りは明日の朝九時です、忘れないでください",
            ),
            row(&["ab", "alice"], "short"),
        ];
        let shown = render(&rows, Some(30));
        for line in shown.lines() {
            assert!(
                text::width(line) <= 30,
                "{line:?} is {} wide",
                text::width(line)
            );
        }
        assert_eq!(shown.lines().nth(1), Some("ab    alice  short"));
    }

    #[test]
    fn no_trailing_blanks_and_no_rows_no_text() {
        assert_eq!(render(&[row(&["a", "b"], "")], None), "a  b\n");
        assert_eq!(render(&[], Some(80)), "");
    }
}
