//! Every diagnostic code has a failing example under `tests/diagnostics/CODE.pol`, a
//! snapshot of its rendered message and of its JSON, and an entry in
//! `docs/diagnostics.md`.

use polc::diag::render::{self, Source};
use polc::diag::Code;
use polc::lang::Lang;
use std::path::Path;

/// An example's name, its text as decoded (lossily, for a file that is not UTF-8) and
/// what checking it found.
fn example(code: Code) -> (String, String, polc::CheckReport) {
    let name = format!("tests/diagnostics/{}.pol", code.id());
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(&name))
        .unwrap_or_else(|error| panic!("{name} is missing ({error}): every code needs a failing example"));
    let (text, report) = polc::check_bytes(&bytes);
    (name, text.into_owned(), report)
}

#[test]
fn every_code_has_an_example_that_raises_it() {
    for &code in Code::ALL {
        let (name, _, report) = example(code);
        assert!(
            report.diagnostics.iter().any(|diagnostic| diagnostic.code == code),
            "{name} does not raise {}; it raises {:?}",
            code.id(),
            report.diagnostics.iter().map(|diagnostic| diagnostic.code.id()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn rendered_messages_match_their_snapshots() {
    for &code in Code::ALL {
        let (name, text, report) = example(code);
        let source = Source { name: &name, text: &text };
        let rendered = render::human(&source, &report.diagnostics, false, Lang::En);
        insta::assert_snapshot!(format!("human_{}", code.id()), format!("{text}\n---\n{rendered}"));
    }
}

#[test]
fn json_diagnostics_match_their_snapshots() {
    for &code in Code::ALL {
        let (name, text, report) = example(code);
        let source = Source { name: &name, text: &text };
        let json = render::json(&source, &report.diagnostics, Lang::En);
        for line in json.lines() {
            let object: serde_json::Value = serde_json::from_str(line).expect("each line is one JSON object");
            assert!(object.is_object());
        }
        insta::assert_snapshot!(format!("json_{}", code.id()), json);
    }
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    for &code in Code::ALL {
        assert!(docs.contains(&format!("## {}", code.id())), "docs/diagnostics.md has no section `## {}`", code.id());
    }
}

#[test]
fn github_annotations_carry_file_line_and_code() {
    let (name, text, report) = example(Code::UnknownName);
    let source = Source { name: &name, text: &text };
    let annotations = render::github(&source, &report.diagnostics, Lang::En);
    insta::assert_snapshot!("github_E0201", annotations);
}

#[test]
fn common_syntax_mistakes_get_a_hint() {
    let name = "tests/syntax/common-mistakes.pol";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let report = polc::check_source(&text);
    let rendered = render::human(&Source { name, text: &text }, &report.diagnostics, false, Lang::En);
    insta::assert_snapshot!("syntax_common_mistakes", rendered);
}

#[test]
fn a_hundred_thousand_diagnostics_render_in_linear_time() {
    // 100,000 unused inputs: one W0001 each. Finding each position by rescanning the
    // file made this quadratic (over two minutes for json and github); the bound below
    // guards that complexity with a wide margin, it is not a speed measurement (see
    // docs/performance.md for those).
    let mut text = String::from(
        "policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\n",
    );
    for index in 0..100_000 {
        text.push_str(&format!("input x{index}: money\n"));
    }
    let report = polc::check_source(&text);
    assert_eq!(report.warning_count(), 100_000);
    let source = Source { name: "many.pol", text: &text };
    let started = std::time::Instant::now();
    let json = render::json(&source, &report.diagnostics, Lang::En);
    let github = render::github(&source, &report.diagnostics, Lang::En);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
    assert_eq!(json.lines().count(), 100_000);
    let last: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!((last["line"].as_u64(), last["column"].as_u64()), (Some(100_004), Some(7)));
    assert!(github.lines().last().unwrap().starts_with("::warning file=many.pol,line=100004,col=7,"));
}

#[test]
fn syntax_errors_name_the_fix_and_every_error_of_an_item_is_found() {
    let name = "tests/syntax/more-mistakes.pol";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let report = polc::check_source(&text);
    // Two in the declarations, then several in article 1 alone: one per broken clause.
    assert_eq!(report.error_count(), 10, "{:#?}", report.diagnostics);
    assert!(report.diagnostics.iter().all(|diagnostic| diagnostic.help.is_some()));
    let rendered = render::human(&Source { name, text: &text }, &report.diagnostics, false, Lang::En);
    insta::assert_snapshot!("syntax_more_mistakes", rendered);
}

#[test]
fn the_reserved_words_are_the_grammars() {
    for word in polc::syntax::RESERVED_WORDS {
        let text = format!("input {word}: money\n");
        let report = polc::check_source(&text);
        let help = report.diagnostics.first().and_then(|diagnostic| diagnostic.help.clone()).unwrap_or_default();
        assert!(help.contains("is a reserved word"), "`{word}`: {help}");
    }
    // Words that appear in one spot only stay free as names.
    for word in ["issued", "text", "years", "valid", "from", "cases", "required", "dated"] {
        let text = format!("policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\ninput {word}: money\narticle 1 \"a\"\n  clause 1.1 award 10% of {word} to id\n");
        let report = polc::check_source(&text);
        assert!(
            report.diagnostics.iter().all(|diagnostic| diagnostic.code != polc::diag::Code::SyntaxError),
            "`{word}`: {:?}",
            report.diagnostics
        );
    }
}

const SMALL_HEADER: &str = "policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput amount: money\n";

#[test]
fn every_broken_clause_of_a_long_article_is_reported() {
    let mut text = format!("{SMALL_HEADER}article 1 \"a\"\n");
    for index in 1..=500 {
        text.push_str(&format!("  clause 1.{index} award 10 % of amount to applicant\n"));
        text.push_str(&format!("  clause 1.{index}0 award 1万 to applicant\n"));
    }
    let report = polc::check_source(&text);
    assert_eq!(report.error_count(), 500);
    let first = &report.diagnostics[0];
    assert_eq!(first.help.as_deref(), Some("write a percentage without a space before `%`: `10%`"));
    assert!(report.diagnostics.windows(2).all(|pair| pair[0].primary.span.start < pair[1].primary.span.start));
}

#[test]
fn thousands_of_unknown_names_check_in_linear_time() {
    // Each unknown name was compared with every input: 20,000 x 20,000 edit distances.
    // Suggestions now stop at a budget; the bound guards that, it measures nothing.
    let mut text = String::from(SMALL_HEADER);
    for index in 0..20_000 {
        text.push_str(&format!("input amount_{index}: money\n"));
    }
    text.push_str("article 1 \"a\"\n");
    for index in 0..20_000 {
        text.push_str(&format!("  clause 1.{index} award 10% of amounx_{index} to applicant\n"));
    }
    let started = std::time::Instant::now();
    let report = polc::check_source(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
    let unknown: Vec<_> = report.diagnostics.iter().filter(|diagnostic| diagnostic.code == Code::UnknownName).collect();
    assert_eq!(unknown.len(), 20_000);
    assert_eq!(unknown[0].help.as_deref(), Some("did you mean `amount_0`?"));
    assert_eq!(unknown[19_999].help.as_deref(), Some("declare it: `input amounx_19999: TYPE`"));
}

#[test]
fn a_policy_allows_the_warnings_it_expects_and_only_warnings() {
    let policy = |allow: &str| {
        format!(
            "policy \"p\"\n  cases identified by id, dated by date\n{allow}\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput base: money\narticle 1 \"a\"\n  clause 1.1 award open \"一定比例\" of base to applicant\n  clause 1.2 award negotiated \"一事一议\" to applicant\n"
        )
    };
    let codes = |text: &str| -> Vec<&'static str> {
        polc::check_source(text).diagnostics.iter().map(|diagnostic| diagnostic.code.id()).collect()
    };
    assert_eq!(codes(&policy("")), ["W0002", "W0006"]);
    assert_eq!(codes(&policy("  allow W0006")), ["W0002"]);
    assert_eq!(codes(&policy("  allow W0002, W0006")), Vec::<&str>::new());
    // A code that is no warning silences nothing and says so.
    let report = polc::check_source(&policy("  allow W0006, W0099"));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert_eq!(messages, ["`W0099` is not a warning polc gives", "clause `1.1` leaves its amount open: \"一定比例\""]);
}

#[test]
fn a_subtraction_in_an_amount_needs_a_floor_or_a_guard() {
    let warned = |clause: &str| -> usize {
        let text = format!(
            "policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput a: money\ninput b: money\nvalue gap = a - b\narticle 1 \"x\"\n  clause 1.1\n{clause}\n    to applicant\n"
        );
        let report = polc::check_source(&text);
        assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
        report.diagnostics.iter().filter(|diagnostic| diagnostic.code.id() == "W0007").count()
    };
    // Unguarded: in the amount, in its max, through a named value, in the other branch.
    assert_eq!(warned("    award a - b"), 1);
    assert_eq!(warned("    award 10万 max a - b"), 1);
    assert_eq!(warned("    award 10% of gap"), 1);
    assert_eq!(warned("    award if a > b then 1元 else a - b"), 1);
    assert_eq!(warned("    when a > 0元\n    award a - b"), 1);
    // A floor or a guard says what happens below zero.
    assert_eq!(warned("    award excess of a over b"), 0);
    assert_eq!(warned("    award max(a - b, 0元)"), 0);
    assert_eq!(warned("    when a > b\n    award a - b"), 0);
    assert_eq!(warned("    when b <= a and a > 1元\n    award 10% of (a - b)"), 0);
    assert_eq!(warned("    when a - b > 1万\n    award a - b"), 0);
    assert_eq!(warned("    when gap >= 0元\n    award 10% of gap"), 0);
    assert_eq!(warned("    award if a > b then a - b else 0元"), 0);
    // A subtraction that is only compared is never paid: nothing to report.
    assert_eq!(warned("    when gap > 1万\n    award 1元"), 0);
}

#[test]
fn mistakes_in_the_history_constructs_are_errors_with_a_fix() {
    let name = "tests/syntax/history-mistakes.pol";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let report = polc::check_source(&text);
    assert!(report.diagnostics.iter().all(|diagnostic| diagnostic.help.is_some()), "{:#?}", report.diagnostics);
    let rendered = render::human(&Source { name, text: &text }, &report.diagnostics, false, Lang::En);
    insta::assert_snapshot!("history_mistakes", rendered);
}

#[test]
fn a_form_polc_lacks_gets_the_form_it_has() {
    let name = "tests/syntax/missing-forms.pol";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let report = polc::check_source(&text);
    assert_eq!(report.error_count(), 9, "{:#?}", report.diagnostics);
    assert!(report.diagnostics.iter().all(|diagnostic| diagnostic.help.is_some()), "{:#?}", report.diagnostics);
    let rendered = render::human(&Source { name, text: &text }, &report.diagnostics, false, Lang::En);
    insta::assert_snapshot!("syntax_missing_forms", rendered);
}

#[test]
fn a_word_for_a_form_polc_has_names_the_form() {
    let help = |award: &str| -> Vec<String> {
        let text = format!(
            "policy \"p\"\n  cases identified by id, dated by date\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput amount: money\narticle 1 \"x\"\n  clause 1.1 award {award} to applicant\n"
        );
        polc::check_source(&text).diagnostics.into_iter().filter_map(|diagnostic| diagnostic.help).collect()
    };
    assert_eq!(
        help("least of amount")[0],
        "the least of several values is `min(a, b, …)`: `min(30% of contract_amount, 200万)`"
    );
    assert_eq!(help("third of amount")[0], "a fraction is `1/3`, `三分之一` or `50%`: `1/3 of city_subsidy`");
}
