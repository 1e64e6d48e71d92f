//! Properties of `run`: the result does not depend on the order of cases in the input,
//! and a JSON array, JSON Lines and CSV of the same batch give the same result.

mod common;

use polc::check::checked::Policy;
use polc::data::InputFormat;
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn chengdu() -> Policy {
    polc::check_source(include_str!("../policies/chengdu-ai-2024.pol")).policy.unwrap()
}

/// A case's optional facts, drawn so that cross-case rules collide often: few applicants,
/// few projects, few years.
fn case_strategy() -> impl Strategy<Value = Map<String, Value>> {
    let money = || (0u64..30_000_000).prop_map(|yuan| Value::String(yuan.to_string()));
    let flag = || any::<bool>().prop_map(Value::Bool);
    (
        (0u32..4, 0u32..12, 1u32..28),
        0usize..4,
        prop::sample::select(vec!["enterprise", "institution", "university", "individual"]),
        prop::option::of(flag()),
        prop::option::of(prop::sample::select(vec!["P1", "P2"])),
        prop::option::of((money(), prop::option::of(prop::sample::select(vec!["E1", "E5"])))),
        prop::option::of(prop::sample::select(vec!["international", "national", "industry"])),
        prop::option::of(money()),
        prop::option::of((100u64..1200, 0u64..1200, 0u32..=100)),
        prop::option::of((flag(), flag())),
        prop::option::of(flag()),
    )
        .prop_map(
            |(
                (year, month, day),
                applicant,
                kind,
                legal,
                project,
                first_version,
                standard,
                platform,
                revenue,
                rd,
                giant,
            )| {
                let mut case = Map::new();
                let date = format!("{}-{:02}-{:02}", 2024 + year, month + 1, day);
                case.insert("date".into(), Value::String(date));
                case.insert("applicant".into(), Value::String(format!("E{}", applicant + 1)));
                case.insert("entity_type".into(), Value::String(kind.into()));
                if let Some(legal) = legal {
                    case.insert("independent_legal_person".into(), legal);
                }
                if let Some(project) = project {
                    case.insert("project".into(), Value::String(project.into()));
                }
                if let Some((amount, user)) = first_version {
                    case.insert("first_version_certified".into(), Value::Bool(true));
                    case.insert("developer".into(), Value::String(format!("E{}", applicant + 1)));
                    if let Some(user) = user {
                        case.insert("user".into(), Value::String(user.into()));
                    }
                    case.insert("contract_amount".into(), amount);
                }
                if let Some(standard) = standard {
                    case.insert("standard_led".into(), Value::String(standard.into()));
                }
                if let Some(revenue) = platform {
                    case.insert("public_algorithm_platform".into(), Value::Bool(true));
                    case.insert("platform_service_revenue".into(), revenue);
                }
                if let Some((main, prior, share)) = revenue {
                    case.insert("main_revenue".into(), Value::String(format!("{main}00万")));
                    case.insert("prior_peak_revenue".into(), Value::String(format!("{prior}00万")));
                    case.insert("ai_revenue_share".into(), Value::String(format!("{share}%")));
                }
                if let Some((domestic, major)) = rd {
                    case.insert("in_chengdu".into(), Value::Bool(true));
                    case.insert("domestic_framework_product".into(), domestic);
                    case.insert("national_major_result".into(), major);
                }
                if let Some(giant) = giant {
                    case.insert("new_little_giant".into(), giant);
                }
                case
            },
        )
}

fn batch_strategy() -> impl Strategy<Value = Vec<Map<String, Value>>> {
    prop::collection::vec(case_strategy(), 1..25).prop_map(|cases| {
        cases
            .into_iter()
            .enumerate()
            .map(|(index, mut case)| {
                case.insert("id".into(), Value::String(format!("C{index:03}")));
                case
            })
            .collect()
    })
}

fn as_json(cases: &[Map<String, Value>]) -> String {
    serde_json::to_string_pretty(cases).unwrap()
}

fn as_json_lines(cases: &[Map<String, Value>]) -> String {
    cases.iter().map(|case| serde_json::to_string(case).unwrap() + "\n").collect()
}

fn as_csv(cases: &[Map<String, Value>]) -> String {
    let mut columns: Vec<String> = vec!["id".into(), "date".into(), "applicant".into()];
    for case in cases {
        for key in case.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    common::as_csv(&columns, cases.iter())
}

/// Per case id: its awards (clause, recipient, kind, amount, adjustments) and its gate.
type Outcome = BTreeMap<String, (Vec<(String, String, Option<String>, Vec<String>)>, Option<String>)>;

fn outcome(policy: &Policy, data: &str, format: InputFormat) -> Outcome {
    let result = polc::eval::run(policy, data.as_bytes(), format, None).unwrap();
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let wording = polc::render::why::Wording::new(policy);
    result
        .cases
        .iter()
        .map(|case| {
            let awards = result
                .case_awards(case)
                .iter()
                .map(|award| {
                    (
                        policy.clauses[award.clause].id.clone(),
                        award.recipient.to_string(),
                        award.amount().map(polc::money::format_yuan),
                        wording.reasons(&result.cases, award).collect(),
                    )
                })
                .collect();
            (result.cases.id(case).to_string(), (awards, case.gate_failure.as_deref().map(str::to_string)))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn result_does_not_depend_on_input_order(cases in batch_strategy(), seed in any::<u64>()) {
        let policy = chengdu();
        let mut shuffled = cases.clone();
        // A deterministic shuffle from the seed (Fisher-Yates with an LCG).
        let mut state = seed;
        for index in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let other = (state >> 33) as usize % (index + 1);
            shuffled.swap(index, other);
        }
        prop_assert_eq!(
            outcome(&policy, &as_json_lines(&cases), InputFormat::JsonLines),
            outcome(&policy, &as_json_lines(&shuffled), InputFormat::JsonLines)
        );
    }

    #[test]
    fn json_json_lines_and_csv_agree(cases in batch_strategy()) {
        let policy = chengdu();
        let from_lines = outcome(&policy, &as_json_lines(&cases), InputFormat::JsonLines);
        prop_assert_eq!(&from_lines, &outcome(&policy, &as_json(&cases), InputFormat::Json));
        prop_assert_eq!(&from_lines, &outcome(&policy, &as_csv(&cases), InputFormat::Csv));
    }
}

/// A JSON value of any shape, including extreme numbers.
fn wild_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            "1e999999",
            "79228162514264337593543950335",
            "-0",
            "0.000000000000000000000000000001",
            "2.5e6"
        ])
        .prop_map(|text| serde_json::from_str::<Value>(text).unwrap()),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["99999999999999999999999999亿", "1,000", "60%", "2025-02-29", "national", "是", ""])
            .prop_map(|text| Value::String(text.to_string())),
        Just(serde_json::json!([1, {"a": []}])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any record, in any format, gives awards or errors: never a panic.
    #[test]
    fn wild_data_never_panics(
        records in prop::collection::vec(
            prop::collection::vec((prop::sample::select(chengdu().inputs.iter().map(|input| input.name.clone()).collect::<Vec<_>>()), wild_value()), 0..12),
            1..8,
        ),
        raw_line in ".{0,40}",
    ) {
        let policy = chengdu();
        let cases: Vec<Map<String, Value>> = records.into_iter().map(|fields| fields.into_iter().collect()).collect();
        let mut lines = as_json_lines(&cases);
        lines.push_str(&raw_line);
        for (data, format) in [(lines, InputFormat::JsonLines), (as_json(&cases), InputFormat::Json), (as_csv(&cases), InputFormat::Csv)] {
            if let Ok(result) = polc::eval::run(&policy, data.as_bytes(), format, None) {
                let mut sink = Vec::new();
                polc::render::json(&policy, &result, &mut sink).unwrap();
                polc::render::csv(&policy, &result, &mut sink).unwrap();
                let _ = polc::render::table(&policy, &result);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The first-come pool (a cap without `per`, shape P21) and the yearly instalments
    /// (once per recipient and year, shape P13) decide in batch order, not input order.
    #[test]
    fn pools_and_schedules_do_not_depend_on_input_order(
        draws in proptest::collection::vec((0u32..3, 1u32..28, 0u32..4, 1u64..3000), 1..16),
        seed in any::<u64>(),
    ) {
        let pool = polc::check_source(include_str!("../policies/shapes/P21-first-come-pool.pol")).policy.unwrap();
        let schedule = polc::check_source(include_str!("../policies/shapes/P13-yearly-instalments.pol")).policy.unwrap();
        let lines: Vec<(String, String)> = draws
            .iter()
            .enumerate()
            .map(|(index, (month, day, applicant, amount))| {
                let date = format!("2025-{:02}-{:02}", month + 1, day);
                (
                    format!(r#"{{"id": "C{index}", "date": "{date}", "applicant": "E{applicant}", "contract_amount": "{amount}万"}}"#),
                    format!(r#"{{"id": "C{index}", "date": "{date}", "applicant": "E{applicant}", "entry_year": {}}}"#, 2024 + month),
                )
            })
            .collect();
        let (pool_lines, schedule_lines): (Vec<String>, Vec<String>) = lines.into_iter().unzip();
        let order = shuffled_order(pool_lines.len(), seed);
        let shuffled = |lines: &[String]| order.iter().map(|&index| lines[index].clone()).collect::<Vec<_>>();
        let jsonl = |lines: &[String]| lines.join("\n");
        prop_assert_eq!(
            outcome(&pool, &jsonl(&pool_lines), InputFormat::JsonLines),
            outcome(&pool, &jsonl(&shuffled(&pool_lines)), InputFormat::JsonLines)
        );
        prop_assert_eq!(
            outcome(&schedule, &jsonl(&schedule_lines), InputFormat::JsonLines),
            outcome(&schedule, &jsonl(&shuffled(&schedule_lines)), InputFormat::JsonLines)
        );
    }
}

/// A deterministic shuffle of `0..len` from the seed.
fn shuffled_order(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed | 1;
    for index in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(index, (state % (index as u64 + 1)) as usize);
    }
    order
}

fn shape(source: &str) -> Policy {
    let report = polc::check_source(source);
    assert_eq!(report.error_count(), 0, "{:?}", report.diagnostics);
    report.policy.unwrap()
}

/// Per case id, the amounts of its awards only.
fn amounts_only(outcome: &Outcome) -> BTreeMap<String, Vec<Option<String>>> {
    outcome.iter().map(|(id, (awards, _))| (id.clone(), awards.iter().map(|award| award.2.clone()).collect())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Several caps (P19), relaxed caps (P17), pro-rata caps (P20) and caps over review
    /// outcomes (P22): the result does not depend on input order or format, several caps not on the order they are declared
    /// in, and a pro-rata cap pays exactly its amount when asked for more.
    #[test]
    fn caps_do_not_depend_on_input_declaration_or_format(
        draws in proptest::collection::vec((0u32..2, 0u32..3, 1u32..28, 0u32..3, prop::option::of(0u32..2), 1u64..2500, any::<bool>()), 1..14),
        seed in any::<u64>(),
    ) {
        let several_source = include_str!("../policies/shapes/P19-several-caps.pol");
        let several = shape(several_source);
        let swapped = several_source
            .replace("  cap 300万 per recipient, project over 1.1\n", "")
            .replace("  cap 500万 per recipient, year over 1.1", "  cap 500万 per recipient, year over 1.1\n  cap 300万 per recipient, project over 1.1");
        prop_assert_ne!(&swapped, several_source);
        let swapped = shape(&swapped);
        let relaxed = shape(include_str!("../policies/shapes/P17-relaxed-cap.pol"));
        let pro_rata = shape(include_str!("../policies/shapes/P20-pro-rata-pool.pol"));
        let reviewed = shape(include_str!("../policies/shapes/P22-review-outcomes.pol"));
        let records: Vec<String> = draws
            .iter()
            .enumerate()
            .map(|(index, (year, month, day, applicant, project, amount, flag))| {
                let date = format!("{}-{:02}-{:02}", 2025 + year, month + 1, day);
                let project = project.map(|project| format!(r#", "project": "P{project}""#)).unwrap_or_default();
                // Half the cases carry a review's grant, at most the award's maximum (30%,
                // at most 200万) so that it is never an error.
                let granted = if *flag { format!(r#", "granted_amount": "{}万""#, (amount * 3 / 10).min(200) / 2) } else { String::new() };
                format!(
                    r#"{{"id": "C{index}", "date": "{date}", "applicant": "E{applicant}", "contract_amount": "{amount}万", "compute_spend": "{amount}万", "multimodal_foundation_firm": {flag}{project}{granted}}}"#
                )
            })
            .collect();
        let order = shuffled_order(records.len(), seed);
        let shuffled: Vec<String> = order.iter().map(|&index| records[index].clone()).collect();
        let jsonl = |lines: &[String]| lines.join("\n");
        let json = |lines: &[String]| format!("[{}]", lines.join(","));
        // Each policy reads only its own fields; the others are stripped per policy.
        let only = |policy: &Policy, lines: &[String]| -> Vec<String> {
            lines
                .iter()
                .map(|line| {
                    let mut record: Map<String, Value> = serde_json::from_str(line).unwrap();
                    record.retain(|field, _| policy.inputs.iter().any(|input| &input.name == field));
                    Value::Object(record).to_string()
                })
                .collect()
        };
        for policy in [&several, &relaxed, &pro_rata, &reviewed] {
            let (lines, shuffled) = (only(policy, &records), only(policy, &shuffled));
            let result = outcome(policy, &jsonl(&lines), InputFormat::JsonLines);
            prop_assert_eq!(&result, &outcome(policy, &jsonl(&shuffled), InputFormat::JsonLines));
            prop_assert_eq!(&result, &outcome(policy, &json(&lines), InputFormat::Json));
        }
        let lines = only(&several, &records);
        prop_assert_eq!(
            amounts_only(&outcome(&several, &jsonl(&lines), InputFormat::JsonLines)),
            amounts_only(&outcome(&swapped, &jsonl(&lines), InputFormat::JsonLines))
        );
        // Per year, the pro-rata awards add up to the least of the pool and what was asked.
        let lines = only(&pro_rata, &records);
        let result = polc::eval::run(&pro_rata, jsonl(&lines).as_bytes(), InputFormat::JsonLines, None).unwrap();
        let mut paid: BTreeMap<i32, (rust_decimal::Decimal, rust_decimal::Decimal)> = BTreeMap::new();
        for award in &result.awards {
            let year = result.cases[award.case_index as usize].date.year;
            let entry = paid.entry(year).or_default();
            entry.0 += award.amount().unwrap();
            entry.1 += award.computed().unwrap();
        }
        let pool = rust_decimal::Decimal::from(10_000_000);
        for (year, (total, asked)) in paid {
            prop_assert_eq!(total, asked.min(pool), "year {}", year);
        }
    }
}
