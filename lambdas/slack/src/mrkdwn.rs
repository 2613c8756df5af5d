//! Making untrusted text safe for Slack: mrkdwn escaping, grapheme-safe truncation, links.
//!
//! Slack counts limits in characters, so lengths here are `char` counts, never bytes, and cuts
//! happen only between grapheme clusters: a Japanese character, a voiced-sound mark or an emoji
//! family sequence is never split.

use unicode_segmentation::UnicodeSegmentation;

/// What a shortened text ends with.
pub const ELLIPSIS: &str = "…";

/// Length as Slack counts it: characters.
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Escapes the three characters Slack's mrkdwn gives meaning to. After this, `<!channel>`,
/// `<@U123>` or `<https://x|y>` are shown literally and can neither ping nor link.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut escaped, c);
    }
    escaped
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        other => out.push(other),
    }
}

/// One line of display text: line breaks, tabs and other control characters (which could
/// break a layout or, in a terminal, carry escape sequences) become single spaces, runs of
/// whitespace collapse, and the ends are trimmed.
pub fn single_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !line.is_empty();
        } else {
            if pending_space {
                line.push(' ');
                pending_space = false;
            }
            line.push(c);
        }
    }
    line
}

/// `text` cut to at most `max_chars` characters at a grapheme boundary, ending with `…` when
/// cut. For plain_text fields (not escaped).
pub fn truncate(text: &str, max_chars: usize) -> String {
    fit(text, max_chars, |grapheme, out| out.push_str(grapheme))
}

/// `text` escaped for mrkdwn, at most `max_chars` characters *after* escaping, cut before a
/// whole grapheme (never inside an `&amp;` entity), ending with `…` when cut.
pub fn escape_truncated(text: &str, max_chars: usize) -> String {
    fit(text, max_chars, |grapheme, out| {
        for c in grapheme.chars() {
            push_escaped(out, c);
        }
    })
}

/// Shared truncation: appends each grapheme's rendering while the result (plus an ellipsis if
/// more would follow) stays within `max_chars`.
fn fit(text: &str, max_chars: usize, render: impl Fn(&str, &mut String)) -> String {
    let mut rendered = Vec::new();
    let mut total = 0usize;
    let mut piece = String::new();
    for grapheme in text.graphemes(true) {
        piece.clear();
        render(grapheme, &mut piece);
        let len = char_len(&piece);
        total += len;
        rendered.push((piece.clone(), len));
    }
    if total <= max_chars {
        return rendered.into_iter().map(|(p, _)| p).collect();
    }
    let ellipsis_len = char_len(ELLIPSIS);
    if max_chars < ellipsis_len {
        return String::new();
    }
    let budget = max_chars - ellipsis_len;
    let mut out = String::new();
    let mut used = 0usize;
    for (piece, len) in rendered {
        if used + len > budget {
            break;
        }
        used += len;
        out.push_str(&piece);
    }
    // A cut right after a space would leave "word …"; the ellipsis reads better attached.
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    out.push_str(ELLIPSIS);
    out
}

/// A mrkdwn link `<url|label>`. The label is escaped; in the URL `&` is written as `&amp;`
/// (Slack decodes it back) and the characters that would end the link markup early (`<`,
/// `>`, `|`) or break it (whitespace) are percent-encoded.
pub fn link(url: &str, label: &str) -> String {
    let mut safe_url = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => safe_url.push_str("&amp;"),
            '<' => safe_url.push_str("%3C"),
            '>' => safe_url.push_str("%3E"),
            '|' => safe_url.push_str("%7C"),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    safe_url.push_str(&format!("%{byte:02X}"));
                }
            }
            c => safe_url.push(c),
        }
    }
    format!("<{safe_url}|{}>", escape(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_three_mrkdwn_control_characters() {
        assert_eq!(
            escape("<!channel> pay now & <@U123>"),
            "&lt;!channel&gt; pay now &amp; &lt;@U123&gt;"
        );
        assert_eq!(escape("already &amp;"), "already &amp;amp;");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        let japanese = "決済基盤チーム本番環境";
        assert_eq!(truncate(japanese, 11), japanese);
        assert_eq!(truncate(japanese, 5), "決済基盤…");
        assert_eq!(char_len(&truncate(japanese, 5)), 5);
    }

    #[test]
    fn truncation_never_splits_a_grapheme() {
        // "が" written as か + combining voiced sound mark, and a ZWJ family emoji.
        let text = "か\u{3099}か\u{3099}👨\u{200D}👩\u{200D}👧end";
        let cut = truncate(text, 4);
        assert_eq!(cut, "か\u{3099}…");
        let cut = truncate(text, 10);
        assert_eq!(cut, "か\u{3099}か\u{3099}👨\u{200D}👩\u{200D}👧…");
    }

    #[test]
    fn escaped_truncation_never_cuts_an_entity() {
        let cut = escape_truncated("a&b", 4);
        assert_eq!(cut, "a…");
        assert_eq!(escape_truncated("a&b", 7), "a&amp;b");
        assert_eq!(escape_truncated("<<<<", 9), "&lt;&lt;…");
    }

    #[test]
    fn truncation_to_tiny_limits() {
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn single_line_removes_control_characters() {
        assert_eq!(single_line("  a\n\tb\u{1b}[2J c  "), "a b [2J c");
    }

    #[test]
    fn link_keeps_markup_intact() {
        assert_eq!(
            link("https://x.example/a?b=1&c=<2>|3 4", "Open <here>"),
            "<https://x.example/a?b=1&amp;c=%3C2%3E%7C3%204|Open &lt;here&gt;>"
        );
    }
}
