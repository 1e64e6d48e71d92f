//! `polc fmt` is idempotent, keeps every comment, and never changes meaning: the
//! formatted policy's checked form equals the original's, for every `.pol` file in the
//! repository and for generated layouts of the shipped policy.

use proptest::prelude::*;
use std::path::{Path, PathBuf};

const SHIPPED: &str = include_str!("../policies/chengdu-ai-2024.pol");

fn repository_policies() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["policies", "tests/diagnostics", "tests/fmt", "tests/examples", "tests/syntax"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|extension| extension == "pol") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn comment_texts(source: &str) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in source.lines() {
        if line.matches("\"\"\"").count() % 2 == 1 {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let mut in_string = false;
        for (index, ch) in line.char_indices() {
            match ch {
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    texts.push(line[index..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    texts.sort();
    texts
}

/// Formatting `source` is idempotent, keeps its comments and its meaning.
fn assert_formatting_keeps_meaning(name: &str, source: &str) {
    let Ok(formatted) = polc::fmt::format(source) else { return };
    let again = polc::fmt::format(&formatted)
        .unwrap_or_else(|errors| panic!("{name}: formatted text does not parse: {errors:?}\n{formatted}"));
    assert_eq!(again, formatted, "{name}: formatting is not idempotent");
    assert_eq!(comment_texts(&formatted), comment_texts(source), "{name}: comments changed");
    let before = polc::check_source(source);
    let after = polc::check_source(&formatted);
    assert_eq!(after.policy, before.policy, "{name}: the checked policy changed");
    let codes =
        |report: &polc::CheckReport| report.diagnostics.iter().map(|diagnostic| diagnostic.code).collect::<Vec<_>>();
    let (mut before_codes, mut after_codes) = (codes(&before), codes(&after));
    before_codes.sort_by_key(|code| code.id());
    after_codes.sort_by_key(|code| code.id());
    assert_eq!(after_codes, before_codes, "{name}: diagnostics changed");
}

#[test]
fn every_policy_in_the_repository_formats_without_changing_meaning() {
    let files = repository_policies();
    assert!(files.len() > 30);
    for path in files {
        // E0105's example is GBK on purpose: it is not a policy text fmt can read.
        let Ok(source) = std::fs::read_to_string(&path) else { continue };
        assert_formatting_keeps_meaning(&path.display().to_string(), &source);
    }
}

#[test]
fn the_shipped_policy_is_formatted() {
    assert_eq!(polc::fmt::format(SHIPPED).unwrap(), SHIPPED);
}

#[test]
fn layout_and_comment_placement_snapshot() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fmt/messy.pol")).unwrap();
    insta::assert_snapshot!("messy_formatted", polc::fmt::format(&source).unwrap());
}

/// Rewrites the shipped policy's layout: each run of spaces between tokens (outside
/// strings, text blocks and comments) becomes one space, two, or a line break with
/// indentation; some lines gain a trailing comment; some blank lines go.
fn relayout(choices: &[u8]) -> String {
    let mut choice = choices.iter().copied().cycle();
    let mut out = String::new();
    let mut in_block = false;
    let mut comment_number = 0;
    for line in SHIPPED.lines() {
        let opens_or_closes = line.matches("\"\"\"").count() % 2 == 1;
        if in_block || opens_or_closes || line.trim_start().starts_with('#') {
            if opens_or_closes {
                in_block = !in_block;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if line.trim().is_empty() {
            if choice.next().unwrap_or(0) % 3 != 0 {
                out.push('\n');
            }
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        out.push_str(&line[..indent]);
        let mut in_string = false;
        let mut previous_space = false;
        for ch in line[indent..].chars() {
            if ch == '"' {
                in_string = !in_string;
            }
            if ch == '#' && !in_string {
                out.push_str(&line[line.find('#').unwrap_or(line.len())..]);
                break;
            }
            if ch == ' ' && !in_string {
                if !previous_space {
                    match choice.next().unwrap_or(0) % 4 {
                        0 => out.push_str("\n      "),
                        1 => out.push_str("  "),
                        _ => out.push(' '),
                    }
                }
                previous_space = true;
                continue;
            }
            previous_space = false;
            out.push(ch);
        }
        if choice.next().unwrap_or(0) % 5 == 0 && !line.contains('#') {
            comment_number += 1;
            out.push_str(&format!("  # note {comment_number}"));
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_layouts_format_to_the_same_meaning(choices in prop::collection::vec(any::<u8>(), 1..64)) {
        let source = relayout(&choices);
        let report = polc::check_source(&source);
        prop_assert!(report.policy.is_some(), "the relayout must still check: {:?}", report.diagnostics);
        assert_formatting_keeps_meaning("relayout", &source);
        let formatted = polc::fmt::format(&source).unwrap();
        prop_assert_eq!(polc::check_source(&formatted).policy, polc::check_source(SHIPPED).policy);
    }
}

#[test]
fn a_text_block_line_of_only_spaces_is_empty_before_and_after_fmt() {
    // Found by the fuzz harness: a line of two spaces inside a text block whose lines are
    // indented by one kept a space in the checked text, which fmt then wrote as empty.
    let source = "policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\narticle 1 \"a\"\n  text \"\"\"\n   first\n  \n second\n  \"\"\"\n";
    assert_formatting_keeps_meaning("space-only line", source);
}

#[test]
fn a_comment_between_the_last_arm_and_the_brace_stays_in_the_block() {
    // Found by the fuzz harness: a comment inside an arm's value list moved to just before
    // the `}` on the first format, and out of the block on the second.
    let source = "policy \"p\"\n  cases identified by id, dated by date\nenum level: national, provincial, order\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput level: level\narticle 1 \"a\"\n  clause 1.1\n    award by level {\n      national => 100万  order, # top\n      # lower\n      provincial => 50万 }\n    to applicant\n";
    assert_formatting_keeps_meaning("comment in an arm", source);
    let once = polc::fmt::format(source).unwrap();
    assert!(once.contains("      # lower\n    }\n"), "{once}");
}

#[test]
fn long_lines_break_and_written_brackets_stay() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fmt/long-lines.pol")).unwrap();
    let formatted = polc::fmt::format(&source).unwrap();
    assert_formatting_keeps_meaning("tests/fmt/long-lines.pol", &source);
    assert!(formatted.lines().all(|line| polc::width::display_width(line) <= 100), "{formatted}");
    insta::assert_snapshot!("long_lines_formatted", formatted);
}
