//! `polc bounds` against brute force: small policies are generated over small domains,
//! every case of those domains is run, and every finding is held to what the runs show.
//!
//! The domains are chosen so that enumeration is complete for what the generator writes:
//! every money threshold is tried at itself and a fen either side, every whole-number
//! threshold lies inside the integers tried, and every fact is also tried missing. So a
//! condition that some case meets is met by an enumerated one, and an amount's extremes
//! (piecewise linear between thresholds) fall on enumerated cases.

mod common;

use polc::analyze::bounds::{bounds, Report};
use polc::check::checked::Policy;
use polc::data::InputFormat;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [&str; 3] = ["a", "b", "c"];

#[derive(Clone, Debug)]
enum Cond {
    KindIs(usize),
    KindIn(usize, usize),
    KindIsNot(usize),
    Flag(bool),
    N(&'static str, i64),
    NBetween(i64, i64),
    /// Money compared with a threshold in 万.
    M(&'static str, i64),
    MPresent,
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

#[derive(Clone, Debug)]
enum Amount {
    /// 万.
    Fixed(i64),
    /// A percentage of `m`, capped in 万.
    Rate(i64, Option<i64>),
    ByKind([i64; 3]),
    /// Thresholds of `m` and amounts, both in 万.
    Tiers(Vec<(i64, i64)>),
    UpTo(i64),
    IfFlag(Box<Amount>, Box<Amount>),
    Min(Box<Amount>, i64),
}

#[derive(Clone, Debug)]
struct ClauseSpec {
    condition: Option<Cond>,
    amount: Amount,
    once: bool,
}

#[derive(Clone, Debug)]
struct PolicySpec {
    /// `require not (m is present) or m <= N万`: money is bounded, as enumeration needs.
    money_gate: i64,
    /// `require n between A and B`.
    number_gate: Option<(i64, i64)>,
    clauses: Vec<ClauseSpec>,
    /// `class … of` these clauses (indices) `keep highest per recipient`.
    class: Option<(usize, usize)>,
    /// `cap N万 per recipient, year over` every clause.
    cap: Option<i64>,
}

fn op() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(">"), Just(">="), Just("<"), Just("<="), Just("="), Just("!=")]
}

fn condition() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        (0..3usize).prop_map(Cond::KindIs),
        (0..3usize, 0..3usize).prop_map(|(a, b)| Cond::KindIn(a, b)),
        (0..3usize).prop_map(Cond::KindIsNot),
        any::<bool>().prop_map(Cond::Flag),
        (op(), 0..6i64).prop_map(|(op, n)| Cond::N(op, n)),
        (0..6i64, 0..6i64).prop_map(|(a, b)| Cond::NBetween(a.min(b), a.max(b))),
        (op(), 0..11i64).prop_map(|(op, m)| Cond::M(op, m)),
        Just(Cond::MPresent),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Cond::Not(Box::new(a))),
        ]
    })
}

fn award_amount() -> impl Strategy<Value = Amount> {
    let leaf = prop_oneof![
        (1..20i64).prop_map(Amount::Fixed),
        (1..60i64, proptest::option::of(1..8i64)).prop_map(|(rate, cap)| Amount::Rate(rate, cap)),
        (1..9i64, 1..9i64, 1..9i64).prop_map(|(a, b, c)| Amount::ByKind([a, b, c])),
        proptest::collection::btree_map(1..11i64, 1..9i64, 1..4)
            .prop_map(|tiers| Amount::Tiers(tiers.into_iter().collect())),
        (1..20i64).prop_map(Amount::UpTo),
    ];
    prop_oneof![
        4 => leaf.clone(),
        1 => (leaf.clone(), leaf.clone()).prop_filter("`up to` is an award, not a value", |(a, b)| {
            !matches!(a, Amount::UpTo(_)) && !matches!(b, Amount::UpTo(_))
        }).prop_map(|(a, b)| Amount::IfFlag(Box::new(a), Box::new(b))),
        1 => (leaf, 1..9i64).prop_filter("`up to` is an award, not a value", |(a, _)| !matches!(a, Amount::UpTo(_)))
            .prop_map(|(a, limit)| Amount::Min(Box::new(a), limit)),
    ]
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    let clause = (proptest::option::weighted(0.85, condition()), award_amount(), any::<bool>())
        .prop_map(|(condition, amount, once)| ClauseSpec { condition, amount, once });
    (
        3..11i64,
        proptest::option::of((0..6i64, 0..6i64)),
        proptest::collection::vec(clause, 1..4),
        proptest::option::of((0..3usize, 0..3usize)),
        proptest::option::weighted(0.3, 5..30i64),
    )
        .prop_map(|(money_gate, number_gate, clauses, class, cap)| {
            let class = class.filter(|(a, b)| a != b && *a < clauses.len() && *b < clauses.len());
            let number_gate = number_gate.map(|(a, b)| (a.min(b), a.max(b)));
            PolicySpec { money_gate, number_gate, clauses, class, cap }
        })
}

fn write_condition(cond: &Cond) -> String {
    match cond {
        Cond::KindIs(k) => format!("kind is {}", KINDS[*k]),
        Cond::KindIn(a, b) => format!("kind in {{{}, {}}}", KINDS[*a], KINDS[*b]),
        Cond::KindIsNot(k) => format!("kind is not {}", KINDS[*k]),
        Cond::Flag(true) => "flag".to_string(),
        Cond::Flag(false) => "not flag".to_string(),
        Cond::N(op, n) => format!("n {op} {n}"),
        Cond::NBetween(a, b) => format!("n between {a} and {b}"),
        Cond::M(op, m) => format!("m {op} {m}万"),
        Cond::MPresent => "m is present".to_string(),
        Cond::And(a, b) => format!("({} and {})", write_condition(a), write_condition(b)),
        Cond::Or(a, b) => format!("({} or {})", write_condition(a), write_condition(b)),
        Cond::Not(a) => format!("not ({})", write_condition(a)),
    }
}

/// An amount; `inner` when it is part of another (where an award's own `max` cannot go).
fn write_amount(amount: &Amount, inner: bool) -> String {
    match amount {
        Amount::Fixed(a) => format!("{a}万"),
        Amount::Rate(rate, _) if inner => format!("{rate}% of m"),
        Amount::Rate(rate, None) => format!("{rate}% of m"),
        Amount::Rate(rate, Some(cap)) => format!("{rate}% of m max {cap}万"),
        Amount::ByKind([a, b, c]) => format!("by kind {{ a => {a}万  b => {b}万  c => {c}万 }}"),
        Amount::Tiers(tiers) => {
            let arms: Vec<String> = tiers.iter().map(|(t, a)| format!("{t}万 => {a}万")).collect();
            format!("tiers of m {{ {} }}", arms.join("  "))
        }
        Amount::UpTo(a) => format!("up to {a}万"),
        Amount::IfFlag(a, b) => format!("(if flag then {} else {})", write_amount(a, true), write_amount(b, true)),
        Amount::Min(a, limit) => format!("min({}, {limit}万)", write_amount(a, true)),
    }
}

/// The policy's text.
fn write_policy(spec: &PolicySpec) -> String {
    let mut text = String::from(
        "policy \"generated\"\n  valid from 2024-01-01 for 2 years\n  cases identified by id, dated by date\n\n\
         enum kind_values \"kinds\": a, b, c\n\n\
         input id: text required\ninput date: date required\ninput applicant: entity required\n\
         input kind: kind_values\ninput flag: bool\ninput n: integer\ninput m: money\n\n\
         article 1 \"generated\"\n",
    );
    text.push_str(&format!("  require not (m is present) or m <= {}万\n", spec.money_gate));
    if let Some((low, high)) = spec.number_gate {
        text.push_str(&format!("  require n between {low} and {high}\n"));
    }
    for (index, clause) in spec.clauses.iter().enumerate() {
        text.push_str(&format!("\n  clause 1.{}\n", index + 1));
        if let Some(condition) = &clause.condition {
            text.push_str(&format!("    when {}\n", write_condition(condition)));
        }
        text.push_str(&format!("    award {}\n    to applicant\n", write_amount(&clause.amount, false)));
        if clause.once {
            text.push_str("    once per recipient\n");
        }
    }
    if let Some(cap) = spec.cap {
        let all: Vec<String> = (1..=spec.clauses.len()).map(|index| format!("1.{index}")).collect();
        text.push_str(&format!("\n  cap {cap}万 per recipient, year over {}\n", all.join(", ")));
    }
    if let Some((a, b)) = spec.class {
        text.push_str(&format!("\n  class same \"same\" of 1.{}, 1.{} keep highest per recipient\n", a + 1, b + 1));
    }
    text
}

/// The money values tried: every whole 万 from 0 to 12, and each a fen either side.
fn money_values() -> Vec<Option<Decimal>> {
    let fen = Decimal::new(1, 2);
    let mut values = BTreeSet::new();
    for wan in 0..=12i64 {
        let value = Decimal::from(wan * 10_000);
        values.insert(value);
        values.insert(value + fen);
        if wan > 0 {
            values.insert(value - fen);
        }
    }
    std::iter::once(None).chain(values.into_iter().map(Some)).collect()
}

/// Every case of the small domains: kind, flag, n and m each missing or any tried value.
fn every_case() -> Vec<Map<String, Value>> {
    let mut cases = Vec::new();
    let kinds: Vec<Option<&str>> = std::iter::once(None).chain(KINDS.iter().copied().map(Some)).collect();
    let flags = [None, Some(false), Some(true)];
    let numbers: Vec<Option<i64>> = std::iter::once(None).chain((-1..=7).map(Some)).collect();
    let money = money_values();
    for kind in &kinds {
        for flag in &flags {
            for n in &numbers {
                for m in &money {
                    let mut case = Map::new();
                    case.insert("id".into(), json!(format!("C{}", cases.len())));
                    case.insert("date".into(), json!("2024-06-01"));
                    case.insert("applicant".into(), json!(format!("E{}", cases.len())));
                    if let Some(kind) = kind {
                        case.insert("kind".into(), json!(kind));
                    }
                    if let Some(flag) = flag {
                        case.insert("flag".into(), json!(flag));
                    }
                    if let Some(n) = n {
                        case.insert("n".into(), json!(n));
                    }
                    if let Some(m) = m {
                        case.insert("m".into(), json!(m.to_string()));
                    }
                    cases.push(case);
                }
            }
        }
    }
    cases
}

fn run(policy: &Policy, cases: &[Map<String, Value>]) -> polc::eval::BatchResult {
    let records: Vec<Value> = cases.iter().cloned().map(Value::Object).collect();
    let bytes = serde_json::to_vec(&records).unwrap();
    polc::eval::run(policy, bytes.as_slice(), InputFormat::Json, None).unwrap()
}

/// Per case, per clause index: the amounts it computed (before any cross-case rule).
fn computed(policy: &Policy, cases: &[Map<String, Value>]) -> Vec<BTreeMap<usize, Option<Decimal>>> {
    let result = run(policy, cases);
    assert!(result.errors.is_empty(), "{:?}", result.errors.first().map(|error| error.message.clone()));
    result
        .cases
        .iter()
        .map(|case| result.case_awards(case).iter().map(|award| (award.clause, award.computed())).collect())
        .collect()
}

fn yuan(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Holds every finding of `report` to the runs of every case.
fn hold_to_brute_force(policy: &Policy, report: &Report) -> Result<(), TestCaseError> {
    let cases = every_case();
    let outcomes = computed(policy, &cases);
    let dead: BTreeSet<&str> = report.dead.iter().map(|dead| dead.clause.as_str()).collect();
    for (index, clause) in policy.clauses.iter().enumerate() {
        let found = &report.clauses[index];
        prop_assert_eq!(&found.clause, &clause.id);
        let amounts: Vec<Option<Decimal>> = outcomes.iter().filter_map(|awards| awards.get(&index).copied()).collect();
        if dead.contains(clause.id.as_str()) {
            prop_assert!(amounts.is_empty(), "clause {} is called dead, yet {} cases get it", clause.id, amounts.len());
            continue;
        }
        if amounts.is_empty() {
            // No case gets it: the analysis must not claim an amount reached, and says it
            // may be dead.
            prop_assert!(
                report.unknown.iter().any(|unknown| unknown.starts_with(&format!("clause {}:", clause.id))),
                "clause {} gets no case but is neither dead nor undecided",
                clause.id
            );
            prop_assert!(found.greatest.as_ref().is_none_or(|bound| bound.witness.is_none()));
            continue;
        }
        let paid: Vec<Decimal> = amounts.iter().flatten().copied().collect();
        // `BOUNDS_STATS=1` prints, per bound, whether it was shown reached and whether
        // the enumeration reaches it: how tight the analysis is, beyond sound.
        if std::env::var_os("BOUNDS_STATS").is_some() {
            for (end, bound, brute) in
                [("greatest", &found.greatest, paid.iter().max()), ("least", &found.least, paid.iter().min())]
            {
                let shown = bound.as_ref().is_some_and(|bound| bound.witness.is_some());
                let reached = bound.as_ref().is_some_and(|bound| Some(&yuan(&bound.amount)) == brute);
                eprintln!("BOUNDS_STATS {end} shown={shown} reached={reached}");
            }
        }
        let (Some(most), Some(least)) = (paid.iter().max(), paid.iter().min()) else { continue };
        match &found.greatest {
            Some(bound) => {
                prop_assert!(*most <= yuan(&bound.amount), "clause {}: {most} > bound {}", clause.id, bound.amount);
                if let Some(witness) = &bound.witness {
                    prop_assert_eq!(*most, yuan(&bound.amount), "clause {} claims its greatest reached", &clause.id);
                    let again = computed(policy, std::slice::from_ref(witness));
                    prop_assert_eq!(again[0].get(&index).copied().flatten(), Some(yuan(&bound.amount)));
                }
            }
            None => prop_assert!(found.unbounded_by.is_some(), "clause {}: no bound and no reason", clause.id),
        }
        if let Some(bound) = &found.least {
            prop_assert!(*least >= yuan(&bound.amount), "clause {}: {least} < least {}", clause.id, bound.amount);
            if let Some(witness) = &bound.witness {
                prop_assert_eq!(*least, yuan(&bound.amount), "clause {} claims its least reached", &clause.id);
                let again = computed(policy, std::slice::from_ref(witness));
                prop_assert_eq!(again[0].get(&index).copied().flatten(), Some(yuan(&bound.amount)));
            }
        }
    }
    // Overlaps: every one reported pays twice on its witness; every pair the cases show
    // paying twice is reported, or left undecided.
    let pays = |awards: &BTreeMap<usize, Option<Decimal>>, clause: usize| {
        awards.get(&clause).is_some_and(|amount| amount.is_none_or(|amount| !amount.is_zero()))
    };
    let index_of = |id: &str| policy.clauses.iter().position(|clause| clause.id == id).unwrap();
    for overlap in &report.overlaps {
        let [a, b] = &overlap.clauses;
        let again = computed(policy, std::slice::from_ref(&overlap.witness));
        prop_assert!(pays(&again[0], index_of(a)) && pays(&again[0], index_of(b)), "overlap {a} + {b} not shown");
    }
    let classed: BTreeSet<(usize, usize)> = policy
        .classes
        .iter()
        .flat_map(|class| class.clauses.iter().flat_map(|a| class.clauses.iter().map(move |b| (*a, *b))))
        .collect();
    for first in 0..policy.clauses.len() {
        for second in first + 1..policy.clauses.len() {
            if classed.contains(&(first, second)) {
                continue;
            }
            let shown = outcomes.iter().any(|awards| pays(awards, first) && pays(awards, second));
            let (a, b) = (&policy.clauses[first].id, &policy.clauses[second].id);
            let reported = report.overlaps.iter().any(|overlap| overlap.clauses == [a.clone(), b.clone()]);
            let undecided = report.unknown.iter().any(|unknown| unknown.starts_with(&format!("clauses {a} and {b}:")));
            prop_assert!(!shown || reported || undecided, "{a} and {b} pay one case, and bounds does not say so");
        }
    }
    // One recipient's most: every case for one applicant in each of two years, so every
    // cross-case rule applies, stays within the year's and the validity's bound.
    let mut both_years = Vec::new();
    for (year, date) in [(0, "2024-06-01"), (1, "2025-06-01")] {
        for (index, case) in cases.iter().enumerate() {
            let mut case = case.clone();
            case.insert("id".into(), json!(format!("Y{year}-{index}")));
            case.insert("date".into(), json!(date));
            case.insert("applicant".into(), json!("E1"));
            both_years.push(case);
        }
    }
    let first_year = run(policy, &both_years[..cases.len()]);
    let total = |result: &polc::eval::BatchResult| {
        result.totals.iter().map(|(_, total)| total.granted.unwrap() + total.up_to.unwrap()).sum::<Decimal>()
    };
    if let Some(per_year) = &report.per_recipient.per_year {
        prop_assert!(total(&first_year) <= yuan(per_year), "{} > per year {per_year}", total(&first_year));
    }
    if let Some(over_validity) = &report.per_recipient.over_validity {
        let both = run(policy, &both_years);
        prop_assert!(total(&both) <= yuan(over_validity), "{} > over the validity {over_validity}", total(&both));
    }
    Ok(())
}

proptest! {
    // 48 policies by default, each run on ~2,400 cases; `PROPTEST_CASES` asks for more.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn bounds_hold_against_every_case(spec in policy_spec()) {
        let text = write_policy(&spec);
        let (_, checked) = polc::check_bytes(text.as_bytes());
        let Some(policy) = checked.policy else {
            let errors: Vec<String> = checked.diagnostics.iter().map(|d| d.message.clone()).collect();
            return Err(TestCaseError::fail(format!("generated policy does not check: {errors:?}\n{text}")));
        };
        let report = bounds(&policy);
        hold_to_brute_force(&policy, &report).map_err(|error| TestCaseError::fail(format!("{error}\n{text}")))?;
    }
}

/// A clause whose tests contradict each other is dead, with the reason; one the gates
/// rule out is too; and one that can apply is not.
#[test]
fn contradictions_are_dead_clauses_with_their_reason() {
    let text = include_str!("data/bounds/dead.pol");
    let (_, checked) = polc::check_bytes(text.as_bytes());
    let policy = checked.policy.expect("the policy checks");
    let report = bounds(&policy);
    let dead: Vec<(&str, &str)> = report.dead.iter().map(|dead| (dead.clause.as_str(), dead.reason.as_str())).collect();
    insta::assert_debug_snapshot!(dead);
    let greatest = report.clauses[3].greatest.as_ref().unwrap();
    assert_eq!(greatest.amount, "10000.00");
    assert!(greatest.witness.is_some());
    assert_eq!(report.clauses[3].least.as_ref().unwrap().amount, "8000.00");
    hold_to_brute_force(&policy, &report).unwrap();
}

/// Every shipped policy: the analysis decides everything (nothing left unknown), and each
/// witness it gives, run again as `polc run` would, shows what it claims.
#[test]
fn every_shipped_policy_is_decided_and_its_witnesses_hold() {
    for path in common::shipped_policies() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, checked) = polc::check_bytes(text.as_bytes());
        let policy = checked.policy.unwrap();
        let report = bounds(&policy);
        assert_eq!(report.unknown, Vec::<String>::new(), "{}", path.display());
        for (index, clause) in report.clauses.iter().enumerate() {
            for bound in [&clause.least, &clause.greatest].into_iter().flatten() {
                if let Some(witness) = &bound.witness {
                    let again = computed(&policy, std::slice::from_ref(witness));
                    assert_eq!(
                        again[0].get(&index).copied().flatten(),
                        Some(yuan(&bound.amount)),
                        "{} clause {}",
                        path.display(),
                        clause.clause
                    );
                }
            }
        }
        for overlap in &report.overlaps {
            let again = computed(&policy, std::slice::from_ref(&overlap.witness));
            for id in &overlap.clauses {
                let index = policy.clauses.iter().position(|clause| &clause.id == id).unwrap();
                assert!(again[0].contains_key(&index), "{}: overlap {:?}", path.display(), overlap.clauses);
            }
        }
    }
}

/// What `polc --lang LANG bounds POLICY` prints; it must succeed.
fn bounds_table(lang: &str, policy: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--lang", lang, "bounds", policy])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout).unwrap()
}

/// `polc bounds` on the Chengdu policy, as a reviewer reads it.
#[test]
fn chengdu_bounds_table() {
    insta::assert_snapshot!(bounds_table("en", "policies/chengdu-ai-2024.pol"));
}

/// `--lang zh`: the findings themselves, not only the headings, in Chinese.
#[test]
fn dead_clauses_in_chinese() {
    insta::assert_snapshot!(bounds_table("zh", "tests/data/bounds/dead.pol"));
}
