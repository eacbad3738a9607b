//! AWS's patterns are Java regular expressions; the apiserver checks CRD patterns with Go's
//! RE2, which has no lookaround, backreferences, possessive quantifiers or atomic groups, and
//! no repeat counts over 1000 (an upper bound over it is widened, `maxLength` keeping the
//! length). A
//! pattern RE2 cannot compile would make the whole CRD invalid, so such patterns are dropped
//! from the schema (the emulator, like SageMaker, still checks them) and listed
//! (`DROPPED_PATTERNS` in the generated module, and a test here).

/// Why RE2 cannot take `pattern`, or `None` when it can.
pub fn unsupported(pattern: &str) -> Option<&'static str> {
    let constructs: &[(&str, &str)] = &[
        ("(?=", "lookahead"),
        ("(?!", "negative lookahead"),
        ("(?<=", "lookbehind"),
        ("(?<!", "negative lookbehind"),
        ("(?>", "atomic group"),
        ("*+", "possessive quantifier"),
        ("++", "possessive quantifier"),
        ("?+", "possessive quantifier"),
        ("\\Z", "\\Z"),
        ("\\G", "\\G"),
        ("\\h", "\\h"),
        ("&&", "class intersection"),
        ("\\p{java", "Java character class"),
        ("\\p{Is", "Java Unicode property"),
    ];
    let unescaped = pattern.replace("\\\\", "");
    if let Some((_, why)) = constructs
        .iter()
        .find(|(needle, _)| unescaped.contains(needle))
    {
        return Some(why);
    }
    if (1..=9).any(|digit| unescaped.contains(&format!("\\{digit}"))) {
        return Some("backreference");
    }
    if largest_repeat(&unescaped) > RE2_MAX_REPEAT {
        return Some("repeat count over 1000");
    }
    None
}

/// The largest repeat count RE2 accepts (`{0,1024}` does not compile).
const RE2_MAX_REPEAT: u32 = 1000;

/// `{m,n}` with `n` over RE2's limit becomes `{m,}`: only longer values than the pattern allows
/// would pass, and the member's `maxLength` (AWS gives one with such patterns) refuses those.
/// An exact count over the limit stays, for [`unsupported`] to find.
pub fn widen_repeats(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        out.push_str(before);
        let widened = from_brace[1..].split_once('}').and_then(|(counts, after)| {
            let (low, high) = counts.split_once(',')?;
            let low_ok = low.chars().all(|c| c.is_ascii_digit());
            let high: u32 = high.parse().ok()?;
            (low_ok && high > RE2_MAX_REPEAT).then(|| (format!("{{{low},}}"), after))
        });
        match widened {
            Some((repeat, after)) => {
                out.push_str(&repeat);
                rest = after;
            }
            None => {
                out.push('{');
                rest = &from_brace[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The largest count of the pattern's `{n}`, `{n,}` and `{m,n}` repeats (0 without any).
fn largest_repeat(pattern: &str) -> u32 {
    pattern
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .flat_map(|(counts, _)| counts.split(',').map(str::parse::<u32>))
        .filter_map(Result::ok)
        .max()
        .unwrap_or(0)
}

/// The pattern anchored: AWS matches the whole value, the apiserver any part of it.
pub fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_only_constructs_are_found() {
        let cases: &[(&str, Option<&str>)] = &[
            ("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", None),
            ("([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", None),
            ("(?!\\s*$).+", Some("negative lookahead")),
            (
                "/(?!.*\\.\\.)[a-zA-Z0-9/_.\\-]+",
                Some("negative lookahead"),
            ),
            ("(?<=a)b", Some("lookbehind")),
            ("(a)\\1", Some("backreference")),
            ("a\\\\1", None),
            ("[a-z&&[^b]]", Some("class intersection")),
            ("[\\S\\s]*", None),
            (".{0,1000}", None),
            (".{0,1024}", Some("repeat count over 1000")),
            ("[\\p{L}\\p{N}]{1024}", Some("repeat count over 1000")),
            ("\\p{L}", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(unsupported(pattern), *expected, "{pattern}");
        }
    }

    #[test]
    fn repeats_over_the_limit_are_widened_to_unbounded() {
        let cases = [
            (".{0,1024}", ".{0,}"),
            ("[\\S]{1,2048}", "[\\S]{1,}"),
            ("a{0,1000}", "a{0,1000}"),
            ("a{2048}", "a{2048}"),
            ("x{1,2}y{0,4096}z", "x{1,2}y{0,}z"),
            ("{oops}", "{oops}"),
        ];
        for (pattern, widened) in cases {
            assert_eq!(widen_repeats(pattern), widened, "{pattern}");
        }
        assert_eq!(unsupported(&widen_repeats(".{0,1024}")), None);
    }

    #[test]
    fn patterns_match_whole_values() {
        assert_eq!(anchored("a|b"), "^(?:a|b)$");
    }
}
