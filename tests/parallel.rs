//! The differential test of the parallel pipeline: reading, evaluating and rendering
//! spread over threads in small chunks give, byte for byte, what one thread gives, for
//! every input format and every result format, with good and bad data mixed, on the
//! Chengdu policy and every shape policy's worked cases.

mod common;

use polc::check::checked::Policy;
use polc::data::InputFormat;
use polc::eval;
use polc::parallel::Parallelism;
use polc::render;
use proptest::prelude::*;
use serde_json::Value;

fn policy(source: &str) -> Policy {
    let report = polc::check_source(source);
    report.policy.unwrap_or_else(|| panic!("{:?}", report.diagnostics))
}

/// Tiny chunks, so that a batch of a few dozen records is cut into many and the workers
/// finish them out of order.
fn spread(threads: usize, chunk_bytes: usize) -> Parallelism {
    Parallelism { threads, chunk_bytes }
}

/// Everything a person or a program reads of a run: the JSON and CSV results, the
/// explanation of one case, and the coverage.
fn everything(policy: &Policy, data: &[u8], format: InputFormat, parallelism: Parallelism, explain: &str) -> String {
    let pending = match eval::evaluate_in(parallelism, policy, data, format, Some(explain), true, None) {
        Ok(pending) => pending,
        Err(error) => return format!("unusable: {error}"),
    };
    let result = eval::finish(policy, pending, None);
    let mut out = Vec::new();
    render::json_in(parallelism, policy, &result, &mut out).unwrap();
    render::csv_in(parallelism, policy, &result, &mut out).unwrap();
    out.extend(render::explain(policy, &result).unwrap_or_default().into_bytes());
    out.extend(format!("{:?}", result.coverage).into_bytes());
    String::from_utf8(out).unwrap()
}

fn assert_same_spread(policy: &Policy, data: &[u8], format: InputFormat, explain: &str) {
    let alone = everything(policy, data, format.clone(), Parallelism::SEQUENTIAL, explain);
    for (threads, chunk_bytes) in [(2, 1), (3, 40), (2, 300), (4, 4096)] {
        let spread_out = everything(policy, data, format.clone(), spread(threads, chunk_bytes), explain);
        assert!(
            alone == spread_out,
            "{format:?} with {threads} threads in chunks of {chunk_bytes} bytes differs from one thread\n{}",
            first_difference(&alone, &spread_out)
        );
    }
}

fn first_difference(left: &str, right: &str) -> String {
    let at = left.bytes().zip(right.bytes()).position(|(l, r)| l != r).unwrap_or(left.len().min(right.len()));
    let start = at.saturating_sub(200);
    let window = |text: &str| text.get(start..(at + 200).min(text.len())).unwrap_or("").to_string();
    format!("one thread: …{}…\nspread:     …{}…", window(left), window(right))
}

/// A record of the Chengdu policy's data, good or bad, as a JSON object.
fn record_strategy() -> impl Strategy<Value = Value> {
    let money = prop::sample::select(vec!["860万", "2500000", "1,888,888.88", "0", "12.345", "-5万", "lots"]);
    (
        0usize..6,
        0u32..3,
        prop::sample::select(vec!["enterprise", "university", "institution", "robot"]),
        prop::option::of(money),
        prop::option::of(any::<bool>()),
        0u8..10,
    )
        .prop_map(|(applicant, year, kind, amount, flag, defect)| {
            let mut case = serde_json::json!({
                "date": format!("{}-0{}-1{}", 2024 + year, 1 + applicant % 9, applicant % 10),
                "applicant": format!("E{applicant}"),
                "entity_type": kind,
                "independent_legal_person": true,
            });
            let fields = case.as_object_mut().unwrap();
            if let Some(amount) = amount {
                fields.insert("first_version_certified".into(), Value::Bool(true));
                fields.insert("developer".into(), Value::String(format!("E{applicant}")));
                fields.insert("user".into(), Value::String(format!("E{}", applicant + 1)));
                fields.insert("contract_amount".into(), Value::String(amount.into()));
            }
            if let Some(flag) = flag {
                fields.insert("in_chengdu".into(), Value::Bool(true));
                fields.insert("domestic_framework_product".into(), Value::Bool(flag));
                fields.insert("national_major_result".into(), Value::Bool(!flag));
                fields.insert("project".into(), Value::String(format!("P{}", applicant % 2)));
            }
            // Some records are broken in one of the ways data breaks.
            match defect {
                0 => {
                    fields.insert("no_such_field".into(), Value::Bool(true));
                }
                1 => {
                    fields.remove("date");
                }
                2 => {
                    fields.insert("independent_legal_person".into(), Value::String("yes".into()));
                }
                _ => {}
            }
            case
        })
}

/// Ids drawn from a few, so that duplicates are common.
fn batch_strategy() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((record_strategy(), 0u32..40), 1..60).prop_map(|records| {
        records
            .into_iter()
            .map(|(mut record, id)| {
                record.as_object_mut().unwrap().insert("id".into(), Value::String(format!("C{id:02}")));
                record
            })
            .collect()
    })
}

fn as_json_lines(records: &[Value], unreadable_every: usize) -> String {
    let mut text = String::new();
    for (index, record) in records.iter().enumerate() {
        text.push_str(&record.to_string());
        text.push('\n');
        if unreadable_every > 0 && index % unreadable_every == 0 {
            // A line that is not JSON, and a blank one.
            text.push_str("{\"id\": \"broken\n\n");
        }
    }
    text
}

fn as_csv(records: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for record in records {
        for key in record.as_object().unwrap().keys() {
            if !columns.contains(key) && key != "no_such_field" {
                columns.push(key.clone());
            }
        }
    }
    for needed in ["id", "date", "applicant", "entity_type", "independent_legal_person"] {
        if !columns.iter().any(|column| column == needed) {
            columns.push(needed.to_string());
        }
    }
    common::as_csv(&columns, records.iter().filter_map(Value::as_object))
}

/// A CSV file as a workbook of text cells, a row per CSV row.
fn as_xlsx(csv_text: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv_text.as_bytes());
    for (row, record) in (0u32..).zip(reader.records()) {
        for (column, cell) in (0u16..).zip(record.unwrap().iter()) {
            if !cell.is_empty() {
                sheet.write_string(row, column, cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn chengdu_batches_give_the_same_bytes_on_any_number_of_threads(
        records in batch_strategy(),
        unreadable_every in 0usize..5,
        explain in 0u32..40,
    ) {
        let chengdu = policy(include_str!("../policies/chengdu-ai-2024.pol"));
        let explain = format!("C{explain:02}");
        let array = serde_json::to_string_pretty(&records).unwrap();
        assert_same_spread(&chengdu, array.as_bytes(), InputFormat::Json, &explain);
        let lines = format!("\u{feff}{}", as_json_lines(&records, unreadable_every));
        assert_same_spread(&chengdu, lines.as_bytes(), InputFormat::JsonLines, &explain);
        let csv_text = as_csv(&records);
        assert_same_spread(&chengdu, csv_text.as_bytes(), InputFormat::Csv, &explain);
        assert_same_spread(&chengdu, &as_xlsx(&csv_text), InputFormat::Xlsx { sheet: None }, &explain);
    }
}

#[test]
fn every_shape_gives_the_same_bytes_on_any_number_of_threads() {
    let mut shapes = 0;
    for path in common::shape_policies() {
        let shape = policy(&std::fs::read_to_string(&path).unwrap());
        let examples: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("examples.json")).unwrap()).unwrap();
        // Every worked case of the shape as one batch (ids made unique), and each example alone.
        let mut all = Vec::new();
        for (number, example) in examples["examples"].as_array().unwrap().iter().enumerate() {
            let cases = example["cases"].as_array().unwrap();
            let first_id = cases.first().and_then(|case| case["id"].as_str()).unwrap_or("").to_string();
            let batch = serde_json::to_string(cases).unwrap();
            assert_same_spread(&shape, batch.as_bytes(), InputFormat::Json, &first_id);
            all.extend(cases.iter().cloned().map(|mut case| {
                let id = format!("{number}-{}", case["id"].as_str().unwrap_or(""));
                case["id"] = Value::String(id);
                case
            }));
        }
        let lines: String = all.iter().map(|case| format!("{case}\n")).collect();
        assert_same_spread(&shape, lines.as_bytes(), InputFormat::JsonLines, "0-A1");
        shapes += 1;
    }
    assert!(shapes >= 25, "found only {shapes} shape policies");
}

#[test]
fn a_json_array_that_breaks_late_is_unusable_on_any_number_of_threads() {
    let chengdu = policy(include_str!("../policies/chengdu-ai-2024.pol"));
    let mut records: Vec<String> =
        (0..50).map(|id| format!("{{\"id\": \"C{id}\", \"date\": \"2024-05-01\", \"applicant\": \"E1\"}}")).collect();
    records.push("{\"id\": ".into());
    let data = format!("[{}", records.join(","));
    for parallelism in [Parallelism::SEQUENTIAL, spread(2, 1), spread(3, 100)] {
        assert_eq!(
            everything(&chengdu, data.as_bytes(), InputFormat::Json, parallelism, "C1"),
            "unusable: the data is not a JSON array of case objects"
        );
    }
}
