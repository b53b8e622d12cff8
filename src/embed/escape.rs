//! Escaping for each export format, so that knowledge text (untrusted, DESIGN.md's trust model)
//! stays text in every wiki it is pasted into: it can never open a table cell, a template, a
//! link, a tag or a formula.

use std::borrow::Cow;

/// Plain text for a GitHub-flavoured Markdown table cell or paragraph: one line, with every
/// character that Markdown, GFM tables or GitHub's math and HTML could read as syntax
/// backslash-escaped (or, for `<` and `>`, written as entities so no raw HTML survives).
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_markdown_text(&mut out, text);
    out
}

/// [`markdown_text`], appended to `out`.
pub fn push_markdown_text(out: &mut String, text: &str) {
    push_one_line(out, text, |byte| match byte {
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'&' => Some("&amp;"),
        b'\\' => Some("\\\\"),
        b'`' => Some("\\`"),
        b'*' => Some("\\*"),
        b'_' => Some("\\_"),
        b'[' => Some("\\["),
        b']' => Some("\\]"),
        b'|' => Some("\\|"),
        b'~' => Some("\\~"),
        b'!' => Some("\\!"),
        b'$' => Some("\\$"),
        b'#' => Some("\\#"),
        b'{' => Some("\\{"),
        b'}' => Some("\\}"),
        _ => None,
    });
}

/// Plain text for MediaWiki wikitext: table and template syntax (`|`, `!`, `{{`), links
/// (`[[`, `[`), tags (`<`), quotes (`''`), signatures (`~~~`) and magic words (`__TOC__`) are
/// written as character references, which MediaWiki shows as the characters themselves.
pub fn wikitext_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_wikitext_text(&mut out, text);
    out
}

/// [`wikitext_text`], appended to `out`.
pub fn push_wikitext_text(out: &mut String, text: &str) {
    push_one_line(out, text, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'[' => Some("&#91;"),
        b']' => Some("&#93;"),
        b'{' => Some("&#123;"),
        b'}' => Some("&#125;"),
        b'|' => Some("&#124;"),
        b'!' => Some("&#33;"),
        b'\'' => Some("&#39;"),
        b'~' => Some("&#126;"),
        b'_' => Some("&#95;"),
        b'=' => Some("&#61;"),
        _ => None,
    });
}

/// Text for XML and HTML (Confluence storage format, HTML snippets): the five special
/// characters as entities, and characters XML 1.0 does not allow dropped.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_xml_text(&mut out, text);
    out
}

/// [`xml_text`], appended to `out`.
pub fn push_xml_text(out: &mut String, text: &str) {
    with_xml_chars(text, |text| {
        push_replacing(out, text, |byte| match byte {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'"' => Some("&quot;"),
            b'\'' => Some("&#39;"),
            byte => forbidden_in_xml(byte).then_some(""),
        })
    });
}

/// A URL for a Markdown link destination or a wikitext external link: characters that could
/// end the link or start markup are percent-encoded. URLs reaching here were checked to be
/// http(s) when loaded (or come from the trusted `base_url`).
pub fn url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    push_url(&mut out, url);
    out
}

/// [`url`], appended to `out`.
pub fn push_url(out: &mut String, url: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut run = 0;
    for (i, c) in url.char_indices() {
        if needs_percent_encoding(c) {
            out.push_str(&url[run..i]);
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 0xF)] as char);
            }
            run = i + c.len_utf8();
        }
    }
    out.push_str(&url[run..]);
}

/// [`needs_percent_encoding`] for each ASCII character, worked out once.
const ASCII_TO_PERCENT_ENCODE: [bool; 128] = {
    let mut table = [false; 128];
    let mut byte = 0;
    while byte < 128 {
        table[byte as usize] = ascii_needs_percent_encoding(byte as u8);
        byte += 1;
    }
    table
};

/// Whitespace, control characters and the ASCII characters that could end a link or start
/// markup. ASCII is told apart by one look-up; only other characters need Unicode's tables.
fn needs_percent_encoding(c: char) -> bool {
    match u8::try_from(c) {
        Ok(byte) if byte.is_ascii() => ASCII_TO_PERCENT_ENCODE[usize::from(byte)],
        _ => c.is_whitespace() || c.is_control(),
    }
}

/// [`needs_percent_encoding`] for ASCII: every character up to the space is a control
/// character or whitespace, and so is DEL.
const fn ascii_needs_percent_encoding(byte: u8) -> bool {
    if byte <= b' ' || byte == 0x7F {
        return true;
    }
    let markup = b"\"'<>()[]{}|\\^`";
    let mut i = 0;
    while i < markup.len() {
        if markup[i] == byte {
            return true;
        }
        i += 1;
    }
    false
}

/// One CSV field (RFC 4180): quoted when it holds a separator, a quote or a line break, and,
/// against formula injection (DESIGN.md), prefixed with `'` and quoted when it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return, unless it is a plain number.
pub fn csv_field(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(field);
    let text = if formula {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if formula || text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `-12`, `3.5`, `-0.25`: numbers that spreadsheets read as numbers, never as formulas.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// Sanitized HTML (ammonia's output) as well-formed XHTML for Confluence's storage format:
/// void elements closed (`<br/>`), `<` and `>` escaped inside attribute values, `&nbsp;`
/// as a numeric reference (XML knows only five named entities), and characters XML does not
/// allow dropped. The input is already safe; this only changes its syntax.
pub fn xhtml_from_html(html: &str) -> String {
    const VOID: &[&str] = &["area", "br", "col", "hr", "img", "wbr"];
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        push_xml_chars(&mut out, &numeric_nbsp(&rest[..start]));
        rest = &rest[start..];
        let end = tag_end(rest);
        let tag = &rest[..end];
        rest = &rest[end..];
        let name_length = tag[1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len() - 1);
        let name = &tag[1..1 + name_length];
        push_xml_chars(&mut out, &escape_attribute_values(tag));
        out.push_str(if VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            "/>"
        } else {
            ">"
        });
    }
    push_xml_chars(&mut out, &numeric_nbsp(rest));
    out
}

/// `&nbsp;` as `&#160;`: XML knows only five named entities.
fn numeric_nbsp(text: &str) -> Cow<'_, str> {
    if text.contains('&') {
        Cow::Owned(text.replace("&nbsp;", "&#160;"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A tag without its closing `>` (or `/>`), with `<`, `>` and `&nbsp;` inside its quoted
/// attribute values written as XML allows.
fn escape_attribute_values(tag: &str) -> String {
    let body = tag.trim_end_matches('>').trim_end_matches('/');
    let mut fixed = String::with_capacity(tag.len() + 1);
    let mut in_value = false;
    for c in body.chars() {
        match c {
            '"' => in_value = !in_value,
            '<' if in_value => {
                fixed.push_str("&lt;");
                continue;
            }
            '>' if in_value => {
                fixed.push_str("&gt;");
                continue;
            }
            _ => {}
        }
        fixed.push(c);
    }
    match numeric_nbsp(&fixed) {
        Cow::Owned(numeric) => numeric,
        Cow::Borrowed(_) => fixed,
    }
}

/// The length of the tag at the start of `text` (which starts with `<`), up to and including
/// the `>` that is outside a double-quoted attribute value.
fn tag_end(text: &str) -> usize {
    let mut in_value = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_value = !in_value,
            '>' if !in_value => return i + 1,
            _ => {}
        }
    }
    text.len()
}

fn push_xml_chars(out: &mut String, text: &str) {
    with_xml_chars(text, |text| {
        push_replacing(out, text, |byte| forbidden_in_xml(byte).then_some(""))
    });
}

/// Calls `push` with `text` once the two non-ASCII characters XML forbids (U+FFFE, U+FFFF)
/// are gone; the ASCII ones are left to [`forbidden_in_xml`].
fn with_xml_chars(text: &str, push: impl FnOnce(&str)) {
    // Both start with the byte 0xEF in UTF-8, which most texts lack: a fast search rules
    // them out before the slower search by character.
    if text.as_bytes().contains(&0xEF) && text.contains(['\u{FFFE}', '\u{FFFF}']) {
        let allowed: String = text.chars().filter(|&c| is_xml_char(c)).collect();
        push(&allowed);
    } else {
        push(text);
    }
}

/// The ASCII bytes XML 1.0 does not allow: control characters other than tab and line breaks.
fn forbidden_in_xml(byte: u8) -> bool {
    byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r')
}

/// The characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `text` with line breaks and runs of whitespace as single spaces (a table cell is one
/// line), and each ASCII byte that `replace` maps written as its replacement.
fn push_one_line(out: &mut String, text: &str, replace: impl Fn(u8) -> Option<&'static str>) {
    // Splitting bytes is faster than splitting characters, and the same for ASCII text but
    // for the vertical tab, which is Unicode whitespace and not ASCII whitespace.
    if text.is_ascii() && !text.as_bytes().contains(&0x0B) {
        push_words(out, text.split_ascii_whitespace(), replace);
    } else {
        push_words(out, text.split_whitespace(), replace);
    }
}

/// Appends the words with one space between them, each through [`push_replacing`].
fn push_words<'a>(
    out: &mut String,
    words: impl Iterator<Item = &'a str>,
    replace: impl Fn(u8) -> Option<&'static str>,
) {
    for (i, word) in words.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_replacing(out, word, &replace);
    }
}

/// Appends `text` with each byte that `replace` maps written as its replacement, copying the
/// runs between them whole. Only ASCII bytes may be mapped, so every cut is a char boundary.
fn push_replacing(out: &mut String, text: &str, replace: impl Fn(u8) -> Option<&'static str>) {
    let mut run = 0;
    for (i, byte) in text.bytes().enumerate() {
        if let Some(replacement) = replace(byte) {
            debug_assert!(byte.is_ascii());
            out.push_str(&text[run..i]);
            out.push_str(replacement);
            run = i + 1;
        }
    }
    out.push_str(&text[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_break_out_of_a_cell() {
        assert_eq!(
            markdown_text("a | b\nc <script> *x* [l](u)"),
            "a \\| b c &lt;script&gt; \\*x\\* \\[l\\](u)"
        );
    }

    #[test]
    fn wikitext_text_neutralises_markup() {
        let escaped = wikitext_text("{{tpl}} [[Link]] a|b <b> '''x''' ~~~~ __TOC__");
        for bad in ["{{", "[[", "|", "<", "''", "~~", "__"] {
            assert!(!escaped.contains(bad), "{bad} in {escaped}");
        }
    }

    #[test]
    fn urls_lose_characters_that_end_links() {
        assert_eq!(
            url("https://e.com/?q='x'(y)[z] w"),
            "https://e.com/?q=%27x%27%28y%29%5Bz%5D%20w"
        );
    }

    #[test]
    fn csv_quotes_formulas_but_not_numbers() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field("+1+1"), "\"'+1+1\"");
        assert_eq!(csv_field("-12.5"), "-12.5");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn xhtml_closes_void_elements_and_escapes_attributes() {
        assert_eq!(
            xhtml_from_html("a<br>b<img alt=\"x>y<z\" src=\"u\">&nbsp;<p>c</p>"),
            "a<br/>b<img alt=\"x&gt;y&lt;z\" src=\"u\"/>&#160;<p>c</p>"
        );
    }

    #[test]
    fn escaping_keeps_the_text_between_replacements_whole() {
        assert_eq!(url("https://e.com/é\u{a0}x"), "https://e.com/é%C2%A0x");
        assert_eq!(xml_text("é\u{FFFE}<\u{1}ü\u{FFFF}"), "é&lt;ü");
        assert_eq!(markdown_text("  naïve \n *ok*  "), "naïve \\*ok\\*");
        assert_eq!(wikitext_text("ü | ü"), "ü &#124; ü");
        assert_eq!(xhtml_from_html("<p>a\u{FFFF}\u{2}b</p>"), "<p>ab</p>");
    }

    /// Text mixing the characters each fast path must tell apart: ASCII (the vertical tab
    /// too), Unicode whitespace and controls, and the characters XML forbids.
    const MIXED: &str = "[ -~\t\n\r\u{0B}\u{0C}\u{7F}\u{85}\u{9F}\u{A0}\u{2028}\u{3000}\
                         é\u{F8FF}\u{FFFD}\u{FFFE}\u{FFFF}\u{1}]{0,40}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_paths_escape_as_the_rules_by_character_do(text in MIXED) {
            let one_line = |escape: fn(&str) -> String| {
                text.split_whitespace().map(escape).collect::<Vec<_>>().join(" ")
            };
            proptest::prop_assert_eq!(markdown_text(&text), one_line(markdown_text));
            proptest::prop_assert_eq!(wikitext_text(&text), one_line(wikitext_text));

            let mut by_character = String::new();
            for c in text.chars() {
                if c.is_whitespace() || c.is_control() || "\"'<>()[]{}|\\^`".contains(c) {
                    for byte in c.to_string().bytes() {
                        by_character.push_str(&format!("%{byte:02X}"));
                    }
                } else {
                    by_character.push(c);
                }
            }
            proptest::prop_assert_eq!(url(&text), by_character);

            let allowed: String = text
                .chars()
                .filter(|&c| is_xml_char(c))
                .collect();
            proptest::prop_assert_eq!(xml_text(&text), xml_text(&allowed));
            let forbidden_kept = xml_text(&text).contains(['\u{FFFE}', '\u{FFFF}']);
            proptest::prop_assert!(!forbidden_kept);
        }
    }

    #[test]
    fn xml_text_drops_characters_xml_forbids() {
        assert_eq!(xml_text("a\u{1}<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    }
}
