//! Evaluation of every language feature, at its boundaries, and the cross-case rules.
//! Each test runs a small policy on a few JSON Lines cases through the library.

use polc::check::checked::Policy;
use polc::data::InputFormat;
use polc::eval::{self, BatchResult};

const HEADER: &str = r#"
policy "测试政策"
  valid from 2024-02-17 for 3 years
  cases identified by id, dated by date
enum level: national, provincial, municipal
input id: text required
input date: date required
input applicant: entity required
input other: entity
input project: text
input amount: money
input extra: money
input share: ratio
input count: integer
input area: quantity
input flag: bool
input level: level
"#;

fn policy(articles: &str) -> Policy {
    let report = polc::check_source(&format!("{HEADER}\n{articles}"));
    assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
    report.policy.unwrap()
}

/// Every adjustment's reason, award by award, as a result writes them.
fn reasons(policy: &Policy, result: &BatchResult) -> Vec<String> {
    let wording = polc::render::why::Wording::new(policy);
    let mut reasons = Vec::new();
    for award in &result.awards {
        reasons.extend(wording.reasons(&result.cases, award));
    }
    reasons
}

/// The reason of the first adjustment of award `award`.
fn reason(policy: &Policy, result: &BatchResult, award: usize) -> String {
    let award = &result.awards[award];
    polc::render::why::Wording::new(policy).reason(&result.cases, award, &award.adjustments()[0])
}

fn run_on(policy: &Policy, lines: &[impl AsRef<str>]) -> BatchResult {
    let lines: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    eval::run(policy, lines.join("\n").as_bytes(), InputFormat::JsonLines, None).unwrap()
}

/// (case, clause, recipient, amount) for every award, in output order.
fn awards(policy: &Policy, result: &BatchResult) -> Vec<(String, String, String, String)> {
    result
        .cases
        .iter()
        .flat_map(|case| {
            result.case_awards(case).iter().map(move |award| {
                (
                    result.cases.id(case).to_string(),
                    policy.clauses[award.clause].id.clone(),
                    award.recipient.to_string(),
                    award.amount().map(polc::money::format_yuan).unwrap_or_else(|| "-".into()),
                )
            })
        })
        .collect()
}

fn amounts(articles: &str, lines: &[impl AsRef<str>]) -> Vec<String> {
    let policy = policy(articles);
    let result = run_on(&policy, lines);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    awards(&policy, &result).into_iter().map(|(_, _, _, amount)| amount).collect()
}

/// A case of applicant E1, unless `rest` names another applicant.
fn case(id: &str, date: &str, rest: &str) -> String {
    let applicant = if rest.contains("\"applicant\"") { String::new() } else { r#", "applicant": "E1""#.to_string() };
    let sep = if rest.is_empty() { "" } else { ", " };
    format!(r#"{{"id": "{id}", "date": "{date}"{applicant}{sep}{rest}}}"#)
}

const ARTICLE_14: &str = "article 14 \"有效期限\"\n  require date within validity\n";

#[test]
fn validity_edges_are_inclusive() {
    let articles = format!("article 1 \"a\"\n  clause 1.1 award 1万 to applicant\n{ARTICLE_14}");
    let policy = policy(&articles);
    let lines: Vec<String> = ["2024-02-16", "2024-02-17", "2027-02-16", "2027-02-17"]
        .iter()
        .enumerate()
        .map(|(index, date)| case(&format!("C{index}"), date, ""))
        .collect();
    let result = run_on(&policy, &lines.iter().map(String::as_str).collect::<Vec<_>>());
    let awarded: Vec<&str> =
        result.cases.iter().filter(|case| case.award_count > 0).map(|case| result.cases.id(case)).collect();
    assert_eq!(awarded, ["C1", "C2"]);
    assert!(result.cases[0].gate_failure.as_deref().unwrap().starts_with("Article 14 有效期限:"));
}

#[test]
fn thresholds_and_caps_at_their_boundaries() {
    let articles = "article 1 \"a\"\n  clause 1.1 when count >= 500 award 10% of amount max 250万 to applicant\n";
    let amounts = amounts(
        articles,
        &[
            &case("A", "2024-03-01", r#""count": 500, "amount": "2500万""#),
            &case("B", "2024-03-01", r#""count": 499, "amount": "100万""#),
            &case("C", "2024-03-01", r#""count": 501, "amount": "2500.1万""#),
            &case("D", "2024-03-01", r#""count": 501, "amount": 0"#),
        ],
    );
    assert_eq!(amounts, ["2500000.00", "2500000.00", "0.00"]);
}

#[test]
fn rounding_is_half_away_from_zero_once_after_the_cap() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 10% of amount to applicant\n";
    let amounts = amounts(
        articles,
        &[
            &case("A", "2024-03-01", r#""amount": "0.05""#),
            &case("B", "2024-03-01", r#""amount": "0.15""#),
            &case("C", "2024-03-01", r#""amount": "0.04""#),
            &case("D", "2024-03-01", r#""amount": "1,888,888.88""#),
        ],
    );
    // 0.005 and 0.015 are half a fen: both round up (half-to-even would give 0.00 and 0.02).
    assert_eq!(amounts, ["0.01", "0.02", "0.00", "188888.89"]);
}

#[test]
fn tiers_pay_the_highest_newly_crossed() {
    let articles = "article 5 \"a\"\n  clause 5.1 award tiers of amount crossed since extra { 3亿 => 10万  5亿 => 20万  10亿 => 25万 } to applicant once per recipient, tier\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            // Exactly at a threshold counts as crossing it.
            &case("A", "2024-03-01", r#""amount": "3亿", "extra": "2亿""#),
            // Several tiers at once: the highest.
            &case("B", "2024-03-02", r#""applicant": "E2", "amount": "12亿", "extra": "1亿""#),
            // Above a tier but it was crossed before: nothing new.
            &case("C", "2024-03-03", r#""applicant": "E3", "amount": "4亿", "extra": "3亿""#),
            // The same tier again for E1: once per (recipient, tier).
            &case("D", "2024-03-04", r#""amount": "3.5亿", "extra": "2.9亿""#),
            // A higher tier for E1 is a new key.
            &case("E", "2024-03-05", r#""amount": "5亿", "extra": "3.5亿""#),
        ],
    );
    let got: Vec<(String, String)> =
        awards(&policy, &result).into_iter().map(|(case, _, _, amount)| (case, amount)).collect();
    assert_eq!(
        got,
        [
            ("A".into(), "100000.00".into()),
            ("B".into(), "250000.00".into()),
            ("D".into(), "0.00".into()),
            ("E".into(), "200000.00".into())
        ]
    );
}

#[test]
fn tables_by_enum_and_caps_by_enum() {
    let articles = "article 7 \"a\"\n  clause 7.1 when level is present award 万分之一 of amount max by level { national => 100万  provincial => 50万  municipal => 30万 } to applicant\n";
    let amounts = amounts(
        articles,
        &[
            &case("A", "2024-03-01", r#""level": "national", "amount": "86.5亿""#),
            &case("B", "2024-03-01", r#""level": "municipal", "amount": "86.5亿""#),
            &case("C", "2024-03-01", r#""level": "municipal", "amount": "10亿""#),
            &case("D", "2024-03-01", r#""amount": "10亿""#),
        ],
    );
    assert_eq!(amounts, ["865000.00", "300000.00", "100000.00"]);
}

#[test]
fn missing_facts_follow_three_valued_logic() {
    let articles = "article 1 \"a\"\n  clause 1.1 when flag or count > 3 award 1万 to applicant\n  clause 1.2 when flag and count > 3 award 2万 to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""count": 5"#),
            &case("B", "2024-03-01", r#""flag": false"#),
            &case("C", "2024-03-01", r#""flag": true, "count": 9"#),
        ],
    );
    let got: Vec<(String, String)> =
        awards(&policy, &result).into_iter().map(|(case, clause, _, _)| (case, clause)).collect();
    assert_eq!(got, [("A".into(), "1.1".into()), ("C".into(), "1.1".into()), ("C".into(), "1.2".into())]);
}

#[test]
fn several_recipients_each_get_an_award_and_a_missing_one_is_skipped() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 10% of amount to applicant as developer, other as user\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "10万", "other": "E9""#),
            &case("B", "2024-03-01", r#""amount": "10万""#),
        ],
    );
    let got: Vec<(String, String)> =
        awards(&policy, &result).into_iter().map(|(case, _, who, _)| (case, who)).collect();
    assert_eq!(got, [("A".into(), "E1".into()), ("A".into(), "E9".into()), ("B".into(), "E1".into())]);
}

#[test]
fn once_keeps_the_first_in_batch_order_not_input_order() {
    let articles = "article 5 \"a\"\n  clause 5.2 award 30万 to applicant once per recipient\n";
    let policy = policy(articles);
    // Input order: the later date first. Batch order is by date, then id.
    let result =
        run_on(&policy, &[&case("B", "2025-06-01", ""), &case("A2", "2025-01-01", ""), &case("A1", "2025-01-01", "")]);
    let got: Vec<(String, String)> =
        awards(&policy, &result).into_iter().map(|(case, _, _, amount)| (case, amount)).collect();
    assert_eq!(got, [("B".into(), "0.00".into()), ("A2".into(), "0.00".into()), ("A1".into(), "300000.00".into())]);
}

#[test]
fn once_per_project_and_missing_key_facts() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 1万 to applicant once per recipient, project\n";
    let amounts = amounts(
        articles,
        &[
            &case("A", "2024-03-01", r#""project": "P1""#),
            &case("B", "2024-03-02", r#""project": "P1""#),
            &case("C", "2024-03-03", r#""project": "P2""#),
            &case("D", "2024-03-04", ""),
            &case("E", "2024-03-05", ""),
        ],
    );
    assert_eq!(amounts, ["10000.00", "0.00", "10000.00", "10000.00", "10000.00"]);
}

#[test]
fn yearly_caps_hit_exactly_and_overshot() {
    let articles = "article 10 \"a\"\n  clause 10.1 award by level { national => 60万  provincial => 40万  municipal => 25万 } to applicant\n  cap 100万 per recipient, year over 10.1\n";
    let amounts = amounts(
        articles,
        &[
            &case("A", "2026-01-01", r#""level": "national""#),
            &case("B", "2026-02-01", r#""level": "provincial""#),
            &case("C", "2026-03-01", r#""level": "municipal""#),
            &case("D", "2027-01-01", r#""level": "national""#),
            &case("E", "2027-01-02", r#""level": "national""#),
            &case("F", "2027-01-03", r#""level": "national""#),
        ],
    );
    // 2026: 60 + 40 hits 100 exactly, then 0. 2027 (a new year): 60, then 40 of 60, then 0.
    assert_eq!(amounts, ["600000.00", "400000.00", "0.00", "600000.00", "400000.00", "0.00"]);
}

#[test]
fn classes_keep_the_highest_and_ties_go_to_the_earlier() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 10% of amount to applicant\n  clause 1.2 award up to 50万 to applicant\narticle 12 \"b\"\n  class c of 1.1, 1.2 keep highest per recipient, project\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            // One case, two awards of one class on one project: 100万 beats 50万.
            &case("A", "2024-03-01", r#""project": "P1", "amount": "1000万""#),
            // A tie at 50万 on P2: the earlier case's award stands.
            &case("B", "2024-03-02", r#""project": "P2", "amount": "500万""#),
            // No project: never superseded.
            &case("C", "2024-03-03", r#""amount": "1万""#),
        ],
    );
    let got: Vec<(String, String, String)> =
        awards(&policy, &result).into_iter().map(|(case, clause, _, amount)| (case, clause, amount)).collect();
    assert_eq!(
        got,
        [
            ("A".into(), "1.1".into(), "1000000.00".into()),
            ("A".into(), "1.2".into(), "0.00".into()),
            ("B".into(), "1.1".into(), "500000.00".into()),
            ("B".into(), "1.2".into(), "0.00".into()),
            ("C".into(), "1.1".into(), "1000.00".into()),
            ("C".into(), "1.2".into(), "500000.00".into()),
        ]
    );
    let superseded = &result.awards[1];
    assert_eq!(polc::render::why::Wording::new(&policy).rule(&superseded.adjustments()[0]), "class c");
}

#[test]
fn arithmetic_overflow_is_an_error_on_the_case() {
    // Data amounts stay below 10^20 yuan, so only policy literals this large overflow.
    let articles = "article 1 \"a\"\n  clause 1.1 when flag award amount + amount + amount + amount + amount + amount + amount + amount to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""flag": true, "amount": "99999999999999999999亿""#),
            &case("B", "2024-03-01", r#""flag": true, "amount": 2"#),
        ],
    );
    assert_eq!(result.errors.len(), 1);
    assert_eq!(result.failed_records, 1);
    assert_eq!(result.errors[0].case.as_deref(), Some("A"));
    assert_eq!(
        result.errors[0].message,
        "arithmetic overflow in clause 1.1: amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) + amount (9,999,999,999,999,999,999,900,000,000.00) is beyond the largest amount"
    );
    assert_eq!(awards(&policy, &result), [("B".into(), "1.1".into(), "E1".into(), "16.00".into())]);
}

#[test]
fn a_negative_amount_is_an_error_naming_the_clause_and_arithmetic() {
    let articles = "article 9 \"a\"\n  clause 9.1 award 50% of (amount - extra) max 10万 to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "1万", "extra": "3万""#),
            &case("B", "2024-03-01", r#""amount": "3万", "extra": "1万""#),
            &case("C", "2024-03-01", r#""amount": "1万", "extra": "1万""#),
        ],
    );
    assert_eq!(result.failed_records, 1);
    assert_eq!(
        result.errors[0].message,
        "clause 9.1 computes a negative amount: 50% of (amount (10,000.00) - extra (30,000.00)) = -10,000.00; money is never negative"
    );
    assert_eq!(
        awards(&policy, &result),
        [
            ("B".into(), "9.1".into(), "E1".into(), "10000.00".into()),
            ("C".into(), "9.1".into(), "E1".into(), "0.00".into())
        ]
    );
    // Nothing negative is counted in the totals.
    assert_eq!(result.totals.len(), 1);
    assert_eq!(result.totals.first().and_then(|(_, total)| total.granted), Some(10_000.into()));
}

#[test]
fn totals_that_overflow_are_errors_not_saturated() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 50000000000000000000亿 to applicant\n";
    let policy = policy(articles);
    let mut lines: Vec<String> = (0..20).map(|index| case(&format!("A{index:02}"), "2024-03-01", "")).collect();
    lines.push(case("C", "2024-03-03", r#""applicant": "E2""#));
    let result = run_on(&policy, &lines.iter().map(String::as_str).collect::<Vec<_>>());
    let overflowed: Vec<(&str, &str)> = result.overflowed_totals().collect();
    assert_eq!(overflowed, [("E1", "granted")]);
    assert_eq!(result.totals.iter().map(|(_, total)| total.granted.is_some()).collect::<Vec<_>>(), [false, true]);
    let mut json = Vec::new();
    polc::render::json(&policy, &result, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["totals"][0]["granted"], serde_json::Value::Null);
    assert_eq!(
        json["totals"][0]["error"],
        "the granted total of `E1` overflows: it is beyond the largest amount polc holds"
    );
    assert_eq!(json["totals"][1]["granted"], "5000000000000000000000000000.00");
}

#[test]
fn open_amounts_and_benefits_have_no_amount() {
    let articles = "article 6 \"a\"\n  clause 6.1 award open \"一定比例\" of amount to applicant\n  clause 6.2 when flag award benefit \"称号\" to applicant\n";
    let policy = policy(articles);
    let result =
        run_on(&policy, &[&case("A", "2024-03-01", r#""amount": "12亿", "flag": true"#), &case("B", "2024-03-01", "")]);
    assert_eq!(
        awards(&policy, &result),
        [("A".into(), "6.1".into(), "E1".into(), "-".into()), ("A".into(), "6.2".into(), "E1".into(), "-".into())]
    );
}

#[test]
fn a_failed_gate_names_the_parts_that_decide_it() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 1万 to applicant\narticle 11 \"适用范围\"\n  require level is present and (level is national or flag)\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""level": "provincial", "flag": false"#),
            &case("B", "2024-03-01", r#""flag": true"#),
            &case("C", "2024-03-01", r#""level": "provincial""#),
        ],
    );
    let failures: Vec<Option<&str>> = result.cases.iter().map(|case| case.gate_failure.as_deref()).collect();
    assert_eq!(
        failures,
        [
            Some("Article 11 适用范围: level (provincial) is national is false, and flag (false) is false"),
            Some("Article 11 适用范围: `level` is missing"),
            Some("Article 11 适用范围: `flag` is missing"),
        ]
    );
}

#[test]
fn a_cap_over_many_clauses_names_them_once_not_in_every_reason() {
    let clauses: Vec<String> = (1..=6).map(|index| format!("  clause 1.{index} award 1万 to applicant\n")).collect();
    let ids: Vec<String> = (1..=6).map(|index| format!("1.{index}")).collect();
    let articles = format!("article 1 \"a\"\n{}  cap 2万 per recipient over {}\n", clauses.concat(), ids.join(", "));
    let many = policy(&articles);
    let result = run_on(&many, &[&case("A", "2024-03-01", "")]);
    let reasons = reasons(&many, &result);
    assert_eq!(reasons.len(), 4);
    assert_eq!(
        reasons[0],
        "cap 2万 per recipient over the 6 clauses its article lists (Article 1 a): 20,000.00 already counted, 0.00 left (the latest counted: case A (2024-03-01))"
    );
    // A short list is still named in full.
    let articles = "article 1 \"a\"\n  clause 1.1 award 1万 to applicant\n  clause 1.2 award 1万 to applicant\n  cap 1万 per recipient over 1.1, 1.2\n";
    let few = policy(articles);
    let result = run_on(&few, &[&case("A", "2024-03-01", "")]);
    assert_eq!(
        reason(&few, &result, 1),
        "cap 1万 per recipient over clause 1.1, 1.2 (Article 1 a): 10,000.00 already counted, 0.00 left (the latest counted: case A (2024-03-01))"
    );
}

#[test]
fn min_and_max_pick_among_their_arguments() {
    let articles = "article 1 \"a\"\n  clause 1.1 award min(10% of amount, 50% of extra, 100万) to applicant\n  clause 1.2 award max(10% of amount, 1万) to applicant\n  clause 1.3 when min(count, 3) = 3 award 1元 to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "100万", "extra": "100万", "count": 5"#),
            &case("B", "2024-03-01", r#""amount": "100万", "extra": "10万", "count": 3"#),
            &case("C", "2024-03-01", r#""amount": "2亿", "extra": "4亿", "count": 2"#),
            &case("D", "2024-03-01", r#""amount": "5万""#),
        ],
    );
    let got = awards(&policy, &result);
    let row = |case: &str, clause: &str, amount: &str| {
        (case.to_string(), clause.to_string(), "E1".to_string(), amount.to_string())
    };
    assert_eq!(
        got,
        [
            row("A", "1.1", "100000.00"),
            row("A", "1.2", "100000.00"),
            row("A", "1.3", "1.00"),
            row("B", "1.1", "50000.00"),
            row("B", "1.2", "100000.00"),
            row("B", "1.3", "1.00"),
            row("C", "1.1", "1000000.00"),
            row("C", "1.2", "20000000.00"),
            // D: no `extra` makes 1.1 not applicable; 1.2 takes the floor; no count for 1.3.
            row("D", "1.2", "10000.00"),
        ]
    );
    // The reason says which argument was the least.
    let a_first = &result.awards[0];
    assert_eq!(a_first.picks().len(), 1);
    assert_eq!(a_first.picks()[0].arg, 0);
    let why = polc::render::why::award_why(&policy, a_first);
    assert_eq!(why.reasons[1], "min picks the least: 10% of amount (1,000,000.00) = 100,000.00");
}

#[test]
fn min_and_max_take_one_type() {
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award min(amount, share) to applicant\n  clause 1.2 award max(flag, flag) to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(messages.contains(&"`min` compares values of one type: this is ratio, the first is money"), "{messages:?}");
    assert!(messages.contains(&"`max` compares numbers: money, ratios, integers or quantities"), "{messages:?}");
    // `min` needs two or more values, `year` one date.
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award min(amount) to applicant\n  clause 1.2 when year(date, date) > 2024 award 1元 to applicant\n  clause 1.3 when year(count) > 2024 award 1元 to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(messages.contains(&"`min` takes two or more values"), "{messages:?}");
    assert!(messages.contains(&"`year` takes one date"), "{messages:?}");
    assert!(messages.contains(&"`year` takes a date"), "{messages:?}");
}

#[test]
fn if_then_else_takes_the_general_rule_when_the_exception_is_not_shown() {
    let articles = "article 1 \"a\"\n  clause 1.1 award (if flag then 60% else 50%) of amount max 100万 to applicant\n  clause 1.2 when count > 0 award if count >= 10 then 2万 else if count >= 5 then 1万 else 1000元 to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "100万", "flag": true, "count": 10"#),
            &case("B", "2024-03-01", r#""amount": "100万", "flag": false, "count": 9"#),
            &case("C", "2024-03-01", r#""amount": "100万", "count": 4"#),
            &case("D", "2024-03-01", r#""flag": true"#),
        ],
    );
    let row = |case: &str, clause: &str, amount: &str| {
        (case.to_string(), clause.to_string(), "E1".to_string(), amount.to_string())
    };
    assert_eq!(
        awards(&policy, &result),
        [
            row("A", "1.1", "600000.00"),
            row("A", "1.2", "20000.00"),
            row("B", "1.1", "500000.00"),
            row("B", "1.2", "10000.00"),
            // C: no `flag`: the general 50%.
            row("C", "1.1", "500000.00"),
            row("C", "1.2", "1000.00"),
            // D: no `amount`: 1.1 is not applicable; no `count`: 1.2 neither.
        ]
    );
    let formatted = polc::fmt::format(&format!("{HEADER}\n{articles}")).unwrap();
    assert!(formatted.contains("award (if flag then 60% else 50%) of amount max 100万"), "{formatted}");
    assert!(formatted.contains("award if count >= 10 then 2万 else if count >= 5 then 1万 else 1000元"), "{formatted}");
}

#[test]
fn both_branches_of_if_give_one_type() {
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award if flag then 60% else 5万 to applicant\n  clause 1.2 award if amount then 1万 else 2万 to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(
        messages.contains(&"both branches of `if` give one type: `then` gives ratio, `else` gives money"),
        "{messages:?}"
    );
    assert!(
        report.diagnostics.iter().any(|diagnostic| diagnostic.code == polc::diag::Code::ConditionNotBool),
        "{messages:?}"
    );
}

#[test]
fn tables_by_a_number_choose_the_first_range_that_holds_it() {
    let articles = "article 1 \"a\"\n  clause 1.1 award by amount { [100元..500元] => 1万  (500元..1000元) => 2万  >= 1000元 => 3万 } to applicant\n  clause 1.2 award by count { 1 => 5万  2 => 3万  [3..5] => 1万 } to applicant\n  clause 1.3 award by (count + 1) { < 3 => 1元  else => 2元 } to applicant\n  clause 1.4 award by date { <= 2024-06-30 => 1元  > 2024-06-30 => 2元 } to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "99.99", "count": 1"#),
            &case("B", "2024-06-30", r#""amount": "100", "count": 2"#),
            &case("C", "2024-07-01", r#""amount": "500", "count": 5"#),
            &case("D", "2024-07-01", r#""amount": "500.01", "count": 6"#),
            &case("E", "2024-07-01", r#""amount": "1000""#),
        ],
    );
    let row = |case: &str, clause: &str, amount: &str| {
        (case.to_string(), clause.to_string(), "E1".to_string(), amount.to_string())
    };
    assert_eq!(
        awards(&policy, &result),
        [
            // A: below the first range: 1.1 does not apply.
            row("A", "1.2", "50000.00"),
            row("A", "1.3", "1.00"),
            row("A", "1.4", "1.00"),
            row("B", "1.1", "10000.00"),
            row("B", "1.2", "30000.00"),
            row("B", "1.3", "2.00"),
            row("B", "1.4", "1.00"),
            row("C", "1.1", "10000.00"),
            row("C", "1.2", "10000.00"),
            row("C", "1.3", "2.00"),
            row("C", "1.4", "2.00"),
            // D: 6 is in no range of 1.2.
            row("D", "1.1", "20000.00"),
            row("D", "1.3", "2.00"),
            row("D", "1.4", "2.00"),
            row("E", "1.1", "30000.00"),
            row("E", "1.4", "2.00"),
        ]
    );
    let formatted = polc::fmt::format(&format!("{HEADER}\n{articles}")).unwrap();
    assert!(formatted.contains("      (500元..1000元) => 2万\n"), "{formatted}");
    assert!(formatted.contains("    award by (count + 1) {\n"), "{formatted}");
    assert!(formatted.contains("      2      => 3万\n"), "{formatted}");
}

#[test]
fn ranges_are_literals_of_the_subjects_type() {
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award by amount {{ [1..5] => 1万 }} to applicant\n  clause 1.2 award by amount {{ national => 1万 }} to applicant\n  clause 1.3 award by level {{ [1..5] => 1万 }} to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(messages.contains(&"this range holds money, like the table's subject"), "{messages:?}");
    assert!(messages.contains(&"this is money, not an enum"), "{messages:?}");
    assert!(messages.contains(&"a table by an enum names its values (`national => 60万`), not ranges"), "{messages:?}");
    // A range's ends are literals: the grammar says so.
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award by amount {{ > extra => 1万 }} to applicant\n"
    ));
    assert_eq!(report.diagnostics.len(), 1);
    assert!(report.diagnostics[0].message.ends_with("found `extra`"), "{:?}", report.diagnostics);
}

#[test]
fn dates_shift_by_lengths_of_time_keeping_the_day_or_the_months_end() {
    let articles = "article 1 \"a\"\n  clause 1.1 when date <= 2024-01-31 + 1 month award 1元 to applicant\n  clause 1.2 when date >= 2025-03-31 - 1 month - 1 day award 2元 to applicant\n  clause 1.3 when date < 2024-02-29 + 1 year award 3元 to applicant\n";
    let policy = policy(articles);
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-02-29", ""),
            &case("B", "2024-03-01", ""),
            &case("C", "2025-02-27", ""),
            &case("D", "2025-02-28", ""),
        ],
    );
    let row = |case: &str, clause: &str, amount: &str| {
        (case.to_string(), clause.to_string(), "E1".to_string(), amount.to_string())
    };
    // 2024-01-31 + 1 month = 2024-02-29; 2025-03-31 - 1 month - 1 day = 2025-02-27;
    // 2024-02-29 + 1 year = 2025-02-28.
    assert_eq!(
        awards(&policy, &result),
        [
            row("A", "1.1", "1.00"),
            row("A", "1.3", "3.00"),
            row("B", "1.3", "3.00"),
            row("C", "1.2", "2.00"),
            row("C", "1.3", "3.00"),
            row("D", "1.2", "2.00")
        ]
    );
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award 12 months to applicant\n  clause 1.2 when amount + 1 day > 1元 award 1元 to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(messages.contains(&"a length of time only shifts a date"), "{messages:?}");
    assert!(messages.contains(&"a length of time is added to a date"), "{messages:?}");
}

#[test]
fn named_values_read_inputs_and_earlier_values_and_defaults_fill_missing_facts() {
    let header = HEADER.replace("input extra: money\n", "input extra: money default 1万\n");
    let articles = "value doubled = amount + amount\nvalue total = doubled + extra \"合计\"\narticle 1 \"a\"\n  clause 1.1 when extra is present award 10% of total to applicant\n";
    let report = polc::check_source(&format!("{header}\n{articles}"));
    assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
    let policy = report.policy.unwrap();
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-01", r#""amount": "10万""#),
            &case("B", "2024-03-01", r#""amount": "10万", "extra": "5万""#),
            &case("C", "2024-03-01", ""),
        ],
    );
    let row = |case: &str, amount: &str| (case.to_string(), "1.1".to_string(), "E1".to_string(), amount.to_string());
    // A: extra defaults to 1万, so it is present: 10% of (20万 + 1万). C: no amount, so
    // `doubled` is missing and the clause does not apply.
    assert_eq!(awards(&policy, &result), [row("A", "21000.00"), row("B", "25000.00")]);
    let why = polc::render::why::award_why(&policy, &result.awards[0]);
    assert_eq!(why.reasons[1], "where total = doubled + extra (10,000.00) = 210,000.00");
    let formatted = polc::fmt::format(&format!("{header}\n{articles}")).unwrap();
    assert!(formatted.contains("input extra: money default 1万\n"), "{formatted}");
    assert!(
        formatted.contains("\nvalue doubled = amount + amount\nvalue total = doubled + extra \"合计\"\n"),
        "{formatted}"
    );
}

#[test]
fn a_value_sees_only_earlier_values_and_names_stay_unique() {
    let report = polc::check_source(&format!(
        "{HEADER}\nvalue first = later + 1元\nvalue later = amount\nvalue amount = extra\ninput bad: money default 10%\narticle 1 \"a\"\n  clause 1.1 award first to applicant\n"
    ));
    let messages: Vec<&str> = report.diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
    assert!(messages.contains(&"no input is called `later`"), "{messages:?}");
    assert!(messages.contains(&"`amount` is already an input or a value"), "{messages:?}");
    assert!(messages.contains(&"the default of `bad` must be a literal money"), "{messages:?}");
}

#[test]
fn a_cap_without_per_is_one_pool_over_the_batch_in_batch_order() {
    let articles = "article 1 \"a\"\n  clause 1.1 award 10% of amount to applicant\n  cap 3万 over 1.1\n";
    let policy = policy(articles);
    // Input order is not batch order: B (earlier date) is counted first.
    let result = run_on(
        &policy,
        &[
            &case("A", "2024-03-05", r#""amount": "20万""#),
            &case("B", "2024-03-01", r#""amount": "20万", "applicant": "E2""#),
            &case("C", "2024-03-09", r#""amount": "20万", "applicant": "E3""#),
        ],
    );
    let amounts: Vec<String> =
        result.awards.iter().map(|award| polc::money::format_yuan(award.amount().unwrap_or_default())).collect();
    assert_eq!(amounts, ["10000.00", "20000.00", "0.00"]);
    assert_eq!(
        reason(&policy, &result, 0),
        "cap 3万 in all over clause 1.1 (Article 1 a): 20,000.00 already counted, 10,000.00 left (the latest counted: case B (2024-03-01))"
    );
    let formatted = polc::fmt::format(&format!("{HEADER}\n{articles}")).unwrap();
    assert!(formatted.contains("\n  cap 3万 over 1.1\n"), "{formatted}");
}

#[test]
fn units_combine_by_type_and_a_product_divides_once() {
    let lines = [
        case("A", "2024-03-01", r#""amount": "100", "area": "2.5""#),
        case("B", "2024-03-01", r#""amount": "100.01", "area": 3"#),
    ];
    // money × quantity is money; (money ÷ quantity) × quantity divides once, so it is exact.
    assert_eq!(
        amounts("article 1 \"a\"\n  clause 1.1 award 100元 * area to applicant\n", &lines),
        ["250.00", "300.00"]
    );
    assert_eq!(
        amounts("article 1 \"a\"\n  clause 1.1 award amount / area * area to applicant\n", &lines),
        ["100.00", "100.01"]
    );
    // One third, written three ways, is one third exactly: 100.01 / 3 = 33.3366… → 33.34.
    for third in ["三分之一 of amount", "1/3 of amount", "amount / 3", "amount * 1 / 3"] {
        let clause = format!("article 1 \"a\"\n  clause 1.1 award {third} to applicant\n");
        assert_eq!(amounts(&clause, &lines[1..]), ["33.34"], "{third}");
    }
    // A quotient that ends is exact, and a half fen rounds away from zero once.
    let half = [case("C", "2024-03-01", r#""amount": "0.03""#)];
    assert_eq!(amounts("article 1 \"a\"\n  clause 1.1 award amount / 2 to applicant\n", &half), ["0.02"]);
    // money ÷ money is a ratio, which takes a share of money.
    let ratio = [case("D", "2024-03-01", r#""amount": "300", "extra": "1200""#)];
    assert_eq!(
        amounts("article 1 \"a\"\n  clause 1.1 award amount / extra of 1万 to applicant\n", &ratio),
        ["2500.00"]
    );
    // A per-unit value compares with an amount per unit, and integers with quantities.
    let per_unit = "article 1 \"a\"\n  clause 1.1 when amount / area >= 40元 and area > 2 award 1元 to applicant\n";
    assert_eq!(amounts(per_unit, &lines), ["1.00"]);
}

#[test]
fn units_that_do_not_combine_are_type_errors() {
    let report = polc::check_source(&format!(
        "{HEADER}\narticle 1 \"a\"\n  clause 1.1 award amount * extra to applicant\n  clause 1.2 award amount / extra to applicant\n  clause 1.3 award area / amount of 1元 to applicant\n  clause 1.4 when amount / area > 3 award 1元 to applicant\n"
    ));
    let messages: Vec<&str> =
        report.diagnostics.iter().filter(|d| d.is_error()).map(|diagnostic| diagnostic.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "cannot multiply money by money",
            "an award amount must be money, but this is ratio",
            "cannot divide quantity by money",
            "cannot compare money per unit with integer",
        ]
    );
}

#[test]
fn a_zero_divisor_makes_a_rule_not_applicable_with_the_reason() {
    let policy = policy(
        "article 1 \"a\"\n  clause 1.1 when amount / area >= 1万 award 1元 to applicant\n  clause 1.2 award amount / area * area to applicant\n  clause 1.3 when area = 0 or amount / area >= 1万 award 2元 to applicant\n",
    );
    let result = run_on(&policy, &[case("A", "2024-03-01", r#""amount": "5万", "area": 0"#)]);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    // The `or` is decided by its other side; the other two clauses do not apply.
    let paid: Vec<_> = awards(&policy, &result).into_iter().map(|(_, clause, _, amount)| (clause, amount)).collect();
    assert_eq!(paid, [("1.3".to_string(), "2.00".to_string())]);
    let line = case("A", "2024-03-01", r#""amount": "5万", "area": 0"#);
    let explained = eval::run(&policy, line.as_bytes(), InputFormat::JsonLines, Some("A")).unwrap();
    let text = polc::render::explain(&policy, &explained).unwrap();
    assert_eq!(text.matches("not applicable: the divisor area (0) is zero").count(), 2, "{text}");
    // In a gate, the case gets nothing, and the reason names the divisor.
    let gated = policy_with_gate("require amount / area > 0元");
    let result = run_on(&gated, &[case("B", "2024-03-01", r#""amount": "5万", "area": 0"#)]);
    assert_eq!(result.cases[0].gate_failure.as_deref(), Some("Article 1 a: the divisor area (0) is zero"));
}

fn policy_with_gate(gate: &str) -> Policy {
    policy(&format!("article 1 \"a\"\n  {gate}\n  clause 1.1 award 1元 to applicant\n"))
}

#[test]
fn an_undetermined_award_cut_by_once_carries_no_amount() {
    let policy = policy(
        "article 1 \"a\"\n  clause 1.1 award negotiated \"一事一议\" max 50万 to applicant once per recipient\n",
    );
    let lines = [case("A", "2024-03-01", r#""amount": "1元""#), case("B", "2024-04-01", r#""amount": "1元""#)];
    let result = run_on(&policy, &lines);
    assert_eq!(awards(&policy, &result).len(), 2);
    let (first, second) = (&result.awards[0], &result.awards[1]);
    assert_eq!((first.amount(), second.amount()), (None, None));
    assert!(first.adjustments().is_empty());
    let once = &second.adjustments()[0];
    assert_eq!(
        (polc::render::why::Wording::new(&policy).rule(once).as_ref(), once.from, once.to),
        ("once", None, None)
    );
    let once = reason(&policy, &result, 1);
    assert!(once.contains("case A (2024-03-01) already has it"), "{once}");
    let mut json = Vec::new();
    polc::render::json(&policy, &result, &mut json).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(json.contains(r#""adjustments":[{"rule":"once","reason":"#), "{json}");
}

#[test]
fn an_excess_is_zero_at_and_below_its_bound() {
    let clause = "article 1 \"a\"\n  clause 1.1 award excess of amount over extra to applicant\n";
    let lines = [
        case("A", "2024-03-01", r#""amount": "100", "extra": "100.01""#),
        case("B", "2024-03-01", r#""amount": "100", "extra": "100""#),
        case("C", "2024-03-01", r#""amount": "100.01", "extra": "100""#),
    ];
    assert_eq!(amounts(clause, &lines), ["0.00", "0.00", "0.01"]);
}

#[test]
fn sections_and_split_clause_ids_keep_the_policys_numbering() {
    let policy = policy(
        "chapter 1 \"总则\"\nsection 一 \"支持算力建设\"\nsection （一） \"算力券\"\narticle 3 \"算力券\"\n  require amount > 1元\n  clause 3.1.1 award 1元 to applicant\n  clause 3.1.2 award 2元 to applicant\nsection 二 \"支持模型\"\narticle 4 \"模型\"\n  clause 4.1 award 3元 to applicant\n",
    );
    assert_eq!(policy.article_heading(0), "一、支持算力建设 › （一）算力券 › Article 3 算力券");
    // A new `一` level section closes the `（一）` before it.
    assert_eq!(policy.article_heading(1), "二、支持模型 › Article 4 模型");
    let result = run_on(&policy, &[case("A", "2024-03-01", r#""amount": "0""#)]);
    assert_eq!(
        result.cases[0].gate_failure.as_deref(),
        Some("一、支持算力建设 › （一）算力券 › Article 3 算力券: amount (0.00) > 1元 is false")
    );
    let result = run_on(&policy, &[case("B", "2024-03-01", r#""amount": "5""#)]);
    let clauses: Vec<String> = awards(&policy, &result).into_iter().map(|(_, clause, _, _)| clause).collect();
    assert_eq!(clauses, ["3.1.1", "3.1.2", "4.1"]);
    // Three levels below the article is not a clause id; a section number twice is an error.
    let report = polc::check_source(&format!(
        "{HEADER}\nsection 一 \"a\"\nsection 一 \"b\"\narticle 1 \"x\"\n  clause 1.1.1.1 award 1元 to applicant\n"
    ));
    let messages: Vec<&str> =
        report.diagnostics.iter().filter(|d| d.is_error()).map(|diagnostic| diagnostic.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "section 一 is declared twice here",
            "clause `1.1.1.1` sits in article 1, so its id must be `1.N` (or `1.N.M` for a part of a rule)"
        ]
    );
}

/// Amounts of every award, in output order, as yuan text.
fn kept(result: &BatchResult) -> Vec<String> {
    result.awards.iter().map(|award| award.amount().map(polc::money::format_yuan).unwrap_or_default()).collect()
}

#[test]
fn a_pool_exactly_full_cuts_nothing_and_a_fen_over_cuts_to_the_fen() {
    let first_come = policy("article 1 \"a\"\n  clause 1.1 award amount to applicant\n  cap 3万 over 1.1\n");
    let pro_rata = policy("article 1 \"a\"\n  clause 1.1 award amount to applicant\n  cap 3万 pro rata over 1.1\n");
    let exactly = [
        case("A", "2024-03-01", r#""amount": "1万""#),
        case("B", "2024-03-02", r#""amount": "2万", "applicant": "E2""#),
        case("C", "2024-03-03", r#""amount": "0", "applicant": "E3""#),
    ];
    for policy in [&first_come, &pro_rata] {
        let result = run_on(policy, &exactly);
        assert_eq!(kept(&result), ["10000.00", "20000.00", "0.00"]);
        assert!(result.awards.iter().all(|award| award.adjustments().is_empty()));
    }
    // One fen over: paid in order, the last is cut by the fen; pro rata, 30000.01 asked is
    // scaled to 30000.00, and the fens go to the largest remainders.
    let over = [
        case("A", "2024-03-01", r#""amount": "10000.01""#),
        case("B", "2024-03-02", r#""amount": "10000", "applicant": "E2""#),
        case("C", "2024-03-03", r#""amount": "10000", "applicant": "E3""#),
    ];
    assert_eq!(kept(&run_on(&first_come, &over)), ["10000.01", "10000.00", "9999.99"]);
    // In fen: 1000001 × 3000000 / 3000001 = 1000000 rest 2000000, and 1000000 × 3000000 /
    // 3000001 = 999999 rest 2000001 twice. The floors leave 2 fen, which go to the two
    // largest remainders, B's and C's: the awards add up to the pool exactly.
    let result = run_on(&pro_rata, &over);
    assert_eq!(kept(&result), ["10000.00", "10000.00", "10000.00"]);
    // With a tie for the last fen, the earlier case gets it.
    let tied = [
        case("A", "2024-03-01", r#""amount": "1万""#),
        case("B", "2024-03-02", r#""amount": "1万", "applicant": "E2""#),
        case("C", "2024-03-03", r#""amount": "1万", "applicant": "E3""#),
    ];
    let tight = policy("article 1 \"a\"\n  clause 1.1 award amount to applicant\n  cap 100.01元 pro rata over 1.1\n");
    assert_eq!(kept(&run_on(&tight, &tied)), ["33.34", "33.34", "33.33"]);
    let reason = reason(&pro_rata, &result, 0);
    assert!(reason.contains("30,000.01 asked in all, each scaled by 30,000.00 ÷ 30,000.01 ≈ 0.99999966"), "{reason}");
}

#[test]
fn a_progressive_scale_at_its_band_edges() {
    let policy = polc::check_source(include_str!("../policies/shapes/P04-progressive-scale.pol")).policy.unwrap();
    let line = |id: &str, spend: &str| {
        format!(r#"{{"id": "{id}", "date": "2025-03-01", "applicant": "E{id}", "rd_spend": "{spend}"}}"#)
    };
    let result = run_on(
        &policy,
        &[line("1", "500万"), line("2", "5000000.01"), line("3", "2000万"), line("4", "20000000.05"), line("5", "0")],
    );
    // 10% up to 500万; 15% of the part to 2000万; 20% above; each band edge in the lower band.
    assert_eq!(kept(&result), ["500000.00", "500000.00", "2750000.00", "2750000.01", "0.00"]);
    // The reasons give each band on its own.
    let why = polc::render::why::award_why(&policy, &result.awards[2]).reasons;
    assert_eq!(
        why[1..4],
        [
            "10% of min(rd_spend (20,000,000.00), 500万) = 500,000.00",
            "+ 15% of excess of min(rd_spend (20,000,000.00), 2000万) over 500万 = 2,250,000.00",
            "+ 20% of excess of rd_spend (20,000,000.00) over 2000万 = 0.00",
        ]
    );
}
