//! `polc diff`: versions compared by meaning, and a batch's changes equal to running both
//! versions and comparing.

mod common;

use polc::analyze::diff::{diff, fields_only_in, population};
use polc::check::checked::Policy;
use polc::data::InputFormat;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const CHENGDU: &str = "policies/chengdu-ai-2024.pol";
const NEXT: &str = "tests/data/diff/chengdu-next.pol";
const CASES: &str = "tests/data/diff/cases.jsonl";

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn policy(text: &str) -> Policy {
    let (_, checked) = polc::check_bytes(text.as_bytes());
    checked.policy.expect("the policy checks")
}

fn polc(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--lang", "en"])
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), String::from_utf8(output.stdout).unwrap())
}

/// The same rules laid out otherwise, without comments, differ in nothing; so does
/// every shape policy from itself.
#[test]
fn versions_alike_but_for_layout_and_comments_do_not_differ() {
    let text = read(CHENGDU);
    let relaid: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| match line.strip_prefix("  clause") {
            Some(rest) => format!("      clause{rest}\n\n"),
            None => format!("{line}\n"),
        })
        .collect();
    assert_ne!(relaid, text);
    let report = diff(&policy(&text), &policy(&relaid));
    assert_eq!(report.changes, Vec::new());
    let (status, out) = polc(&["diff", CHENGDU, "-"]);
    assert_eq!(status, Some(2), "one `-` without input is still read: an empty policy");
    assert!(out.is_empty());
    for path in common::shape_policies() {
        let shape = policy(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(diff(&shape, &shape).changes, Vec::new(), "{}", path.display());
    }
}

/// What changed, in the policy's own terms.
#[test]
fn chengdu_next_version_changes() {
    let (status, out) = polc(&["diff", CHENGDU, NEXT]);
    assert_eq!(status, Some(0));
    insta::assert_snapshot!(out);
}

/// On a batch: every award that moved, the totals, who gains and loses, and the cost.
#[test]
fn chengdu_next_version_on_a_batch() {
    let (status, out) = polc(&["diff", CHENGDU, NEXT, "--cases", CASES]);
    assert_eq!(status, Some(0));
    insta::assert_snapshot!(out);
    let (status, json) = polc(&["diff", CHENGDU, NEXT, "--cases", CASES, "--format", "json"]);
    assert_eq!(status, Some(0));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["population"]["cost"]["change"], "+794000.00");
}

/// Per award, clause, recipient and in total, the report is exactly what running each
/// version on the batch and comparing gives.
#[test]
fn a_batch_diff_is_running_both_versions_and_comparing() {
    let mut old = policy(&read(CHENGDU));
    let mut new = policy(&read(NEXT));
    let report = diff(&old, &new);
    old.also_known = fields_only_in(&new, &old);
    new.also_known = fields_only_in(&old, &new);
    let cases = read(CASES);
    let run = |policy: &Policy| polc::eval::run(policy, cases.as_bytes(), InputFormat::JsonLines, None).unwrap();
    let (before, after) = (run(&old), run(&new));
    assert!(before.errors.is_empty() && after.errors.is_empty(), "the old version sets aside `ai_talents`");
    let found = population(&old, &before, &new, &after, &report.changes);

    // Each version's awards, by case, clause, recipient and role: its money.
    let awards = |policy: &Policy, result: &polc::eval::BatchResult| {
        let mut awards: BTreeMap<(String, String, String, String), Decimal> = BTreeMap::new();
        for case in result.cases.iter() {
            for award in result.case_awards(case) {
                let clause = &policy.clauses[award.clause];
                let role = clause.recipients[award.recipient_index as usize].role.clone();
                let key = (result.cases.id(case).to_string(), clause.id.clone(), award.recipient.to_string(), role);
                awards.insert(key, award.amount().unwrap_or_default());
            }
        }
        awards
    };
    let (was, now) = (awards(&old, &before), awards(&new, &after));
    let mut moved = Vec::new();
    for key in was.keys().chain(now.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (a, b) = (was.get(key), now.get(key));
        if a != b {
            moved.push((key.clone(), a.copied(), b.copied()));
        }
    }
    let reported: Vec<_> = found
        .awards
        .iter()
        .map(|award| {
            let amount = |text: &Option<String>| text.as_ref().map(|text| text.parse::<Decimal>().unwrap());
            (
                (award.case.clone(), award.clause.clone(), award.recipient.clone(), award.role.clone()),
                amount(&award.from),
                amount(&award.to),
            )
        })
        .collect();
    assert_eq!(reported, moved);
    let total = |awards: &BTreeMap<_, Decimal>| awards.values().copied().sum::<Decimal>();
    assert_eq!(found.cost.before.parse::<Decimal>().unwrap(), total(&was));
    assert_eq!(found.cost.after.parse::<Decimal>().unwrap(), total(&now));
    for clause in &found.per_clause {
        let of = |awards: &BTreeMap<(String, String, String, String), Decimal>| {
            awards.iter().filter(|(key, _)| key.1 == clause.name).map(|(_, amount)| *amount).sum::<Decimal>()
        };
        assert_eq!(clause.before.parse::<Decimal>().unwrap(), of(&was), "clause {}", clause.name);
        assert_eq!(clause.after.parse::<Decimal>().unwrap(), of(&now), "clause {}", clause.name);
    }
    assert_eq!(found.starting, vec!["NX-01".to_string()]);
    assert_eq!(found.gaining, vec!["EX-01".to_string()]);
    assert_eq!(found.losing, vec!["EX-07".to_string()]);
}

/// A condition's change is classed only where it is proved.
#[test]
fn conditions_are_classed_widened_narrowed_or_rewritten() {
    let text = read(CHENGDU);
    let with = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        let changed = text.replace(from, to);
        let report = diff(&policy(&text), &policy(&changed));
        report.changes.into_iter().find(|change| change.part == "condition").and_then(|change| change.effect)
    };
    let attendees = "conference_attendees >= 500 and conference_organizer_qualified";
    insta::assert_debug_snapshot!([
        with(attendees, "conference_attendees >= 300 and conference_organizer_qualified"),
        with(attendees, "conference_attendees >= 800 and conference_organizer_qualified"),
        with(attendees, "conference_organizer_qualified and conference_attendees > 499"),
        with(attendees, "conference_attendees between 300 and 800 and conference_organizer_qualified"),
        with(attendees, "conference_attendees >= 500"),
    ]);
}

/// `--lang zh`: subjects, parts, effects and each award's reason in Chinese; the JSON
/// report keeps its English keys for programs.
#[test]
fn chengdu_next_version_in_chinese() {
    let chinese = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_polc"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--lang", "zh", "diff", CHENGDU, NEXT])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8(output.stdout).unwrap()
    };
    insta::assert_snapshot!(chinese(&["--cases", CASES]));
    let json: serde_json::Value = serde_json::from_str(&chinese(&["--format", "json"])).unwrap();
    assert_eq!(json["changes"][1]["subject"], "clause 1.1");
    assert_eq!(json["changes"][1]["part"], "award");
}

/// Each verdict a change's effect can state, and its head alone, has Chinese words.
#[test]
fn every_effect_has_chinese_words() {
    use polc::analyze::diff::effect_words;
    for effect in [
        "the same cases, rewritten",
        "widened: every case it held for still qualifies, and more do",
        "widened",
        "narrowed or the same",
        "changed",
        "tightened",
        "loosened",
        "its terms changed",
        "reordered",
    ] {
        let chinese = effect_words(effect, polc::Lang::Zh);
        assert!(!chinese.chars().any(|ch| ch.is_ascii_alphabetic()), "{effect} → {chinese}");
    }
}
