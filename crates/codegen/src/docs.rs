//! AWS's documentation strings are HTML (`<p>`, `<code>`, `<a href>`, lists): `kubectl explain`
//! shows plain text, so markup goes and paragraphs stay.

/// Plain text of an AWS documentation string: tags removed (`<code>` becomes backticks, list
/// items `- `), entities decoded, whitespace collapsed, one paragraph per returned string.
pub fn plain_paragraphs(html: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        current.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            current.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        match name.as_str() {
            "p" | "ul" | "ol" | "note" | "important" | "br" | "dl" => {
                paragraphs.push(std::mem::take(&mut current))
            }
            "li" | "dt" if !tag.starts_with('/') => {
                paragraphs.push(std::mem::take(&mut current));
                current.push_str("- ");
            }
            "code" => current.push('`'),
            // Inline markup (`<a>`, `<i>`, `<b>`) leaves its text only.
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    current.push_str(rest);
    paragraphs.push(current);
    paragraphs
        .into_iter()
        .map(|paragraph| collapse(&decode_entities(&paragraph)))
        .filter(|paragraph| !paragraph.is_empty() && paragraph != "-")
        .collect()
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `word` after its indefinite article: "an Endpoint", "a Model".
pub fn with_article(word: &str) -> String {
    let article = if word.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

/// The text as doc-comment lines (`///`), paragraphs separated by an empty comment line.
pub fn doc_comment(paragraphs: &[String], indent: &str) -> String {
    let mut out = String::new();
    for (index, paragraph) in paragraphs.iter().enumerate() {
        if index > 0 {
            out.push_str(&format!("{indent}///\n"));
        }
        // Markdown would read `[x]` as a link and `<x>` as HTML; rustdoc lints both.
        let escaped = paragraph
            .replace('\\', "\\\\")
            .replace('[', "\\[")
            .replace(']', "\\]")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        out.push_str(&format!("{indent}/// {escaped}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_stripped_and_paragraphs_kept() {
        let cases: &[(&str, &[&str])] = &[
            ("<p>The name.</p>", &["The name."]),
            (
                "<p>One <code>Value</code> here.</p> <p>Two.</p>",
                &["One `Value` here.", "Two."],
            ),
            (
                "<p>See <a href=\"https://x\">the guide</a>.</p>",
                &["See the guide."],
            ),
            (
                "<p>Either:</p> <ul> <li> <p>A</p> </li> <li> <p>B &amp; C</p> </li> </ul>",
                &["Either:", "A", "B & C"],
            ),
            ("no markup", &["no markup"]),
            ("", &[]),
            ("<p>a &lt;b&gt;</p>", &["a <b>"]),
        ];
        for (html, expected) in cases {
            assert_eq!(plain_paragraphs(html), *expected, "{html}");
        }
    }

    #[test]
    fn articles() {
        assert_eq!(with_article("Endpoint"), "an Endpoint");
        assert_eq!(with_article("InferenceComponent"), "an InferenceComponent");
        assert_eq!(with_article("Model"), "a Model");
    }

    #[test]
    fn doc_comments_escape_markdown_links_and_html() {
        assert_eq!(
            doc_comment(&["a [b] <c>".into(), "d".into()], "    "),
            "    /// a \\[b\\] &lt;c&gt;\n    ///\n    /// d\n"
        );
    }
}
