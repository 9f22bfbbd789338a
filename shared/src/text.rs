//! Other people's text (titles, bodies, tags, addresses, details) made safe to show: one rule
//! for the terminal, the desktop popup, the e-mail subject and the webhook's text.
//!
//! Removed everywhere: every character that could move a cursor, change colours, reorder text
//! or hide text — C0 and C1 controls (ESC, CSI, BEL, NUL, DEL), the bidirectional embeddings,
//! overrides, isolates and marks (the "trojan source" characters), and the invisible format
//! characters (zero-width space, word joiner, byte-order mark, Mongolian vowel separator,
//! invisible operators, interlinear annotations, tag characters used to smuggle hidden text).
//! Zero-width joiner and non-joiner stay: emoji sequences and several scripts need them. Line
//! and paragraph separators (U+2028, U+2029) are line breaks; a tab is a space.
//!
//! Lengths are display widths (`unicode-width`): a CJK character or an emoji takes two columns
//! of a terminal, so a cut to 80 columns fits 80 columns.
//!
//! No surface may show other people's text without passing it through here.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Whether `c` is never shown (see the module documentation).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional embeddings and overrides, isolates, marks.
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                // Invisible format characters.
                | '\u{200B}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{180E}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Whether `c` ends a line.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// `text` as one safe line: line breaks and tabs become spaces, hidden characters go.
pub fn clean_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if is_line_break(c) || c == '\t' => Some(' '),
            c if is_hidden(c) => None,
            c => Some(c),
        })
        .collect()
}

/// `text` made safe, keeping its lines: a line break of any kind (`\r\n`, `\r`, U+2028,
/// U+2029) becomes `\n`, a tab a space, and hidden characters go.
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            c if is_line_break(c) => out.push('\n'),
            '\t' => out.push(' '),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// What a notification is called on one line: its title, else the first line of its body that
/// is not blank, cleaned and trimmed; empty when there is neither.
pub fn headline(title: Option<&str>, body: &str) -> String {
    if let Some(title) = title {
        let title = clean_line(title);
        let title = title.trim();
        if !title.is_empty() {
            return title.to_owned();
        }
    }
    clean_text(body)
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
        .to_owned()
}

/// How many terminal columns `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` columns, ending in `…` when something was cut (with no blank
/// before it).
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    // Room for the `…`, which takes one column.
    let room = max - 1;
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        cut.push(c);
    }
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// `text` padded with spaces to `columns` display columns (unchanged when already as wide).
pub fn pad(text: &str, columns: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile strings and what every surface shows of them as one line.
    const HOSTILE: &[(&str, &str)] = &[
        ("\u{1b}[31mred\u{1b}[0m", "[31mred[0m"),
        ("\u{9b}31mcsi", "31mcsi"),
        ("bell\u{7}null\u{0}del\u{7f}back\u{8}", "bellnulldelback"),
        ("abc\u{202E}cba", "abccba"),
        ("\u{2066}isolated\u{2069}", "isolated"),
        ("mark\u{200E}\u{200F}\u{061C}s", "marks"),
        ("zero\u{200B}width", "zerowidth"),
        ("word\u{2060}joiner\u{FEFF}bom", "wordjoinerbom"),
        ("one\u{2028}two\u{2029}three", "one two three"),
        ("line\r\nbreak\ttab", "line  break tab"),
        ("smuggled\u{E0041}\u{E0042}", "smuggled"),
        (
            "family 👨\u{200D}👩\u{200D}👧",
            "family 👨\u{200D}👩\u{200D}👧",
        ),
        ("نیم\u{200C}فاصله", "نیم\u{200C}فاصله"),
        ("plain <b>&amp;</b>", "plain <b>&amp;</b>"),
    ];

    #[test]
    fn hostile_strings_lose_what_could_hide_move_or_reorder_text() {
        for (hostile, shown) in HOSTILE {
            assert_eq!(clean_line(hostile), *shown, "{hostile:?}");
            assert!(
                clean_text(hostile)
                    .chars()
                    .all(|c| c == '\n' || !is_hidden(c))
            );
        }
    }

    #[test]
    fn every_line_break_is_a_newline_in_text() {
        assert_eq!(
            clean_text("a\r\nb\rc\u{2028}d\u{2029}e\nf"),
            "a\nb\nc\nd\ne\nf"
        );
        assert_eq!(clean_text("tab\there\u{1b}"), "tab here");
    }

    #[test]
    fn the_headline_is_the_title_or_the_first_line() {
        assert_eq!(headline(Some(" Deploy\u{200B} "), "body"), "Deploy");
        assert_eq!(headline(Some("\u{202E} "), "\n\n first \nsecond"), "first");
        assert_eq!(headline(None, " \u{2028} x"), "x");
        assert_eq!(headline(None, ""), "");
    }

    #[test]
    fn truncation_counts_columns() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        assert_eq!(truncate("a little too long", 10), "a little…");
        // Each of these takes two columns.
        let cjk = "漢字漢字漢字";
        assert_eq!(width(cjk), 12);
        assert_eq!(truncate(cjk, 7), "漢字漢…");
        assert!(width(&truncate(cjk, 7)) <= 7);
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(pad("漢", 4), "漢  ");
        assert_eq!(pad("long", 2), "long");
    }
}
