//! Every example in docs/language.md and in its Chinese edition docs/zh/language.md is
//! real: a `pol` block is a whole policy that checks and is formatted; a `pol-part` block
//! parses; every inline example that starts with a clause or article keyword parses as
//! that part. The pages cannot drift from the compiler.

/// The language guide in English and in Chinese.
const PAGES: [(&str, &str); 2] = [
    ("docs/language.md", include_str!("../docs/language.md")),
    ("docs/zh/language.md", include_str!("../docs/zh/language.md")),
];

/// The fenced blocks with the given info string.
fn blocks(page: &str, info: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{info}") => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => found.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    found
}

/// The inline code spans outside fenced blocks (a span may run over a line break, which
/// reads as a space).
fn inline_spans(page: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in page.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            prose.push_str(line.trim_start());
            prose.push(' ');
        }
    }
    prose.split('`').skip(1).step_by(2).map(|span| span.trim().to_string()).collect()
}

fn syntax_errors(text: &str) -> Vec<String> {
    polc::syntax::parse(text).1.into_iter().map(|diagnostic| diagnostic.message).collect()
}

#[test]
fn whole_policies_check_and_are_formatted() {
    for (name, page) in PAGES {
        let policies = blocks(page, "pol");
        assert!(!policies.is_empty(), "{name}");
        whole_policies(policies);
    }
}

fn whole_policies(policies: Vec<String>) {
    for policy in policies {
        let report = polc::check_source(&policy);
        assert_eq!(report.error_count(), 0, "{policy}\n{:#?}", report.diagnostics);
        assert_eq!(polc::fmt::format(&policy).unwrap(), policy);
    }
}

#[test]
fn parts_of_policies_parse() {
    for (name, page) in PAGES {
        let parts = blocks(page, "pol-part");
        assert!(parts.len() >= 6, "{name}: {}", parts.len());
        policy_parts(parts);
    }
}

fn policy_parts(parts: Vec<String>) {
    for part in parts {
        // A clause on its own sits in an article.
        let whole = if part.trim_start().starts_with("clause") { format!("article 5 \"x\"\n{part}") } else { part };
        assert_eq!(syntax_errors(&whole), Vec::<String>::new(), "{whole}");
    }
}

#[test]
fn inline_examples_parse_as_the_part_they_start() {
    for (name, page) in PAGES {
        let checked = inline_examples(page);
        // The page's tables and bullets hold dozens of such examples; far fewer means the
        // extraction broke, not that the page changed.
        assert!(checked >= 30, "{name}: only {checked} inline examples found");
    }
}

/// Checks a page's inline examples; how many it checked.
fn inline_examples(page: &str) -> usize {
    let mut checked = 0;
    for span in inline_spans(page) {
        // Templates (`award open|negotiated "…" [of BASE]`, `input NAME: TYPE`) stand for
        // forms, not examples: they have placeholders in capitals, or elisions.
        let placeholder = span
            .split(|ch: char| !ch.is_ascii_alphabetic())
            .any(|word| word.len() >= 2 && word.chars().all(|ch| ch.is_ascii_uppercase()));
        if placeholder || span.contains('…') || span.contains("...") {
            continue;
        }
        let mut words = span.split_whitespace();
        let first = words.next().unwrap_or_default();
        // A keyword on its own names a form; it is not an example.
        if words.next().is_none() {
            continue;
        }
        let wrapped = match first {
            "award" | "when" | "once" => format!("article 1 \"x\"\n  clause 1.1\n    {span}\n"),
            "cap" | "class" | "require" => format!("article 1 \"x\"\n  {span}\n"),
            "value" | "input" | "enum" | "section" | "chapter" => format!("{span}\n"),
            _ => continue,
        };
        assert_eq!(syntax_errors(&wrapped), Vec::<String>::new(), "`{span}`");
        checked += 1;
    }
    checked
}
