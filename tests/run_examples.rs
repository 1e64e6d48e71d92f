//! The spec's worked examples, through the real binary: every award (clause, recipient,
//! kind, amount) and every error (case, field) as `expected.json` says.

use serde_json::Value;
use std::process::Command;

fn polc(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("polc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn award_facts(award: &Value) -> (String, String, String, Option<String>) {
    let text = |key: &str| award.get(key).and_then(Value::as_str).map(str::to_string);
    (text("clause").unwrap(), text("recipient").unwrap(), text("kind").unwrap(), text("amount"))
}

#[test]
fn worked_examples_come_out_exactly_as_expected() {
    let (status, stdout, _) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "tests/data/chengdu-examples/cases.json", "--format", "json"]);
    assert_eq!(status, 1, "EX-18 is a data error, so the exit status is 1");
    let actual: Value = serde_json::from_str(&stdout).expect("JSON result");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/chengdu-examples/expected.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(actual["policy"], expected["policy"]);
    let actual_cases = actual["cases"].as_array().unwrap();
    let expected_cases = expected["cases"].as_array().unwrap();
    assert_eq!(actual_cases.len(), expected_cases.len());
    for (actual_case, expected_case) in actual_cases.iter().zip(expected_cases) {
        assert_eq!(actual_case["id"], expected_case["id"]);
        let actual_awards: Vec<_> = actual_case["awards"].as_array().unwrap().iter().map(award_facts).collect();
        let expected_awards: Vec<_> = expected_case["awards"].as_array().unwrap().iter().map(award_facts).collect();
        assert_eq!(actual_awards, expected_awards, "case {}", expected_case["id"]);
    }
    let errors: Vec<(Value, Value)> = actual["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["case"].clone(), error["field"].clone()))
        .collect();
    let expected_errors: Vec<(Value, Value)> = expected["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["case"].clone(), error["field"].clone()))
        .collect();
    assert_eq!(errors, expected_errors);
    assert_eq!(actual["errors"][0]["message"], expected["errors"][0]["message"]);
    assert_eq!(actual["errors"][0]["line"], 19);
}

#[test]
fn the_readme_example_runs_clean_as_a_table() {
    let (status, stdout, stderr) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "table"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("EX-13  9.1     I112       applicant  grant            959,783.90"), "{stdout}");
    assert!(stdout.contains("Totals per entity"));
}

#[test]
fn explain_walks_every_clause_for_one_case() {
    let (status, stdout, _) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--explain", "EX-07"]);
    assert_eq!(status, 0);
    insta::assert_snapshot!("explain_EX-07", stdout);
}

#[test]
fn explain_of_an_unknown_case_is_an_error() {
    let (status, _, stderr) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--explain", "NOPE"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no readable case has id `NOPE`"));
}

#[test]
fn csv_output_has_one_row_per_award() {
    let (status, stdout, _) = polc(&["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "csv"]);
    assert_eq!(status, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "case,clause,recipient,role,kind,amount,subject_to_review,why,field,location");
    // 24 awards and the one case that no clause applies to.
    assert_eq!(lines.len(), 1 + 24 + 1);
    assert!(lines.iter().any(|line| line.starts_with("EX-05,3.2,E106,applicant,grant,188888.89,false,")));
}

#[test]
fn csv_output_accounts_for_every_case_and_error() {
    let (status, stdout, _) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "tests/data/chengdu-examples/cases.json", "--format", "csv"]);
    assert_eq!(status, 1);
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // EX-17 is stopped by the scope gate: a row of kind `none` says why.
    let gated: Vec<&csv::StringRecord> = rows.iter().filter(|row| &row[0] == "EX-17").collect();
    assert_eq!(gated.len(), 1);
    assert_eq!(&gated[0][4], "none");
    assert!(gated[0][7].starts_with("Article 14 有效期限: date (2027-03-01) within validity"), "{:?}", gated[0]);
    // EX-18's data error is a row of kind `error` with its field and place.
    let errors: Vec<&csv::StringRecord> = rows.iter().filter(|row| &row[4] == "error").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(&errors[0][0], "EX-18");
    assert_eq!(&errors[0][8], "purchase_contract_amount");
    assert_eq!(&errors[0][9], "element 17 (line 19, column 3)");
    assert_eq!(&errors[0][7], "not a money amount: 三百万 (write 300万 or 3000000)");
    // Every case of the input is in the file.
    let mut ids: Vec<&str> = rows.iter().map(|row| &row[0]).collect();
    ids.dedup();
    assert_eq!(ids.len(), 18, "{ids:?}");
}

#[test]
fn csv_cells_cannot_run_as_spreadsheet_formulas() {
    let data = "{\"id\": \"=HYPERLINK(\\\"http://x\\\")\", \"date\": \"2025-05-01\", \"applicant\": \"@SUM(1)\", \"entity_type\": \"enterprise\", \"independent_legal_person\": true, \"new_little_giant\": true}\n{\"id\": \"-2+3\", \"date\": \"2025-05-01\", \"applicant\": \"\\tE2\", \"entity_type\": \"enterprise\", \"independent_legal_person\": true, \"new_little_giant\": true}\n";
    let path = std::env::temp_dir().join(format!("polc-inject-{}.jsonl", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let (status, stdout, _) = polc(&["run", "policies/chengdu-ai-2024.pol", path.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(status, 0, "{stdout}");
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[0][2], "'@SUM(1)");
    assert_eq!(&rows[1][0], "'-2+3");
    assert_eq!(&rows[1][2], "'\tE2");
    assert_eq!(&rows[0][5], "300000.00");
}

#[test]
fn control_characters_in_data_are_escaped_on_the_terminal() {
    let data = "{\"id\": \"A\\u001b[2J\", \"date\": \"2025-05-01\", \"applicant\": \"E\\u009b1\", \"entity_type\": \"enterprise\", \"independent_legal_person\": true, \"new_little_giant\": true}\n";
    let path = std::env::temp_dir().join(format!("polc-controls-{}.jsonl", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let (_, table, _) = polc(&["run", "policies/chengdu-ai-2024.pol", path.to_str().unwrap(), "--format", "table"]);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{9b}'), "{table:?}");
    assert!(table.contains("A\\u{1b}[2J"), "{table}");
    assert!(table.contains("E\\u{9b}1"), "{table}");
    let (_, explained, _) =
        polc(&["run", "policies/chengdu-ai-2024.pol", path.to_str().unwrap(), "--explain", "A\u{1b}[2J"]);
    assert!(!explained.contains('\u{1b}'), "{explained:?}");
    assert!(explained.starts_with("Case A\\u{1b}[2J"), "{explained}");
}

#[test]
fn schema_is_the_policys_data_contract() {
    let (status, stdout, _) = polc(&["schema", "policies/chengdu-ai-2024.pol"]);
    assert_eq!(status, 0);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["id", "date", "applicant"]));
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["properties"]["new_demo_park_level"]["anyOf"][0]["enum"],
        serde_json::json!(["national", "provincial", "municipal"])
    );
    assert_eq!(schema["properties"].as_object().unwrap().len(), 38);
}

#[test]
fn check_exit_statuses() {
    assert_eq!(polc(&["check", "policies/chengdu-ai-2024.pol"]).0, 0);
    assert_eq!(polc(&["check", "--deny-warnings", "policies/chengdu-ai-2024.pol"]).0, 1);
    assert_eq!(polc(&["check", "tests/diagnostics/E0201.pol"]).0, 1);
    assert_eq!(polc(&["check", "no/such/file.pol"]).0, 2);
    assert_eq!(polc(&["check", "--format", "nope", "x.pol"]).0, 2);
    let (_, stdout, _) = polc(&["check", "--format", "github", "tests/diagnostics/E0302.pol"]);
    assert!(stdout.starts_with("::error file=tests/diagnostics/E0302.pol,line=14,col=21,"), "{stdout}");
}

#[test]
fn a_policy_with_errors_cannot_run() {
    let (status, _, stderr) = polc(&["run", "tests/diagnostics/E0201.pol", "examples/cases.jsonl"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("E0201"));
}

#[test]
fn cases_can_come_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["run", "policies/chengdu-ai-2024.pol", "-", "--input-format", "jsonl", "--format", "csv"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cases.jsonl")).unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let (_, from_file, _) = polc(&["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "csv"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), from_file);
    let (status, _, stderr) = polc(&["run", "policies/chengdu-ai-2024.pol", "-"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("--input-format"));
}

#[test]
fn an_unusable_batch_exits_2_with_no_result() {
    let (status, stdout, stderr) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "README.md", "--input-format", "json"]);
    assert_eq!(status, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("not a JSON array"), "{stderr}");
}

#[test]
fn explain_of_a_case_with_bad_data_shows_its_errors() {
    let (status, _, stderr) =
        polc(&["run", "policies/chengdu-ai-2024.pol", "tests/data/chengdu-examples/cases.json", "--explain", "EX-18"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("case `EX-18` did not run; its data has errors:"), "{stderr}");
    assert!(
        stderr.contains("element 17 (line 19, column 3), field purchase_contract_amount: not a money amount: 三百万"),
        "{stderr}"
    );
}
