//! `--error-format json`: every failure of every command reaches standard error as one
//! JSON object per line with its code, and the exit status is the one the words give.

use std::process::Command;

/// Runs polc: (status, stdout, stderr as JSON records).
fn polc_json(args: &[&str], environment: &[(&str, &str)]) -> (i32, String, Vec<serde_json::Value>) {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .env_remove("POLC_ERROR_FORMAT")
        .envs(environment.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let records = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}")))
        .collect();
    (output.status.code().unwrap(), String::from_utf8(output.stdout).unwrap(), records)
}

fn codes(records: &[serde_json::Value]) -> Vec<&str> {
    records.iter().map(|record| record["code"].as_str().unwrap_or(record["severity"].as_str().unwrap())).collect()
}

#[test]
fn a_file_that_cannot_be_read() {
    let (status, _, records) =
        polc_json(&["run", "policies/chengdu-ai-2024.pol", "no-such-cases.jsonl", "--error-format", "json"], &[]);
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0902"]);
    assert!(records[0]["message"].as_str().unwrap().starts_with("cannot read `no-such-cases.jsonl`: "));
}

#[test]
fn a_usage_error_before_the_arguments_parse() {
    let (status, _, records) = polc_json(&["--error-format=json", "runn"], &[]);
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0901"]);
    assert_eq!(records[0]["message"], "unrecognized subcommand 'runn'");
    assert_eq!(records[0]["help"], "run `polc --help`");
}

#[test]
fn the_environment_chooses_json_too() {
    let (status, _, records) = polc_json(&["schema", "no-such-policy.pol"], &[("POLC_ERROR_FORMAT", "json")]);
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0902"]);
    // The flag wins over the environment.
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .env("POLC_ERROR_FORMAT", "json")
        .args(["schema", "no-such-policy.pol", "--error-format", "human"])
        .output()
        .unwrap();
    assert!(String::from_utf8(output.stderr).unwrap().starts_with("error: cannot read `no-such-policy.pol`"));
}

#[test]
fn a_policy_with_errors_gives_its_diagnostics_then_e0904() {
    let (status, _, records) = polc_json(
        &["run", "tests/diagnostics/E0201.pol", "tests/data/diff/cases.jsonl", "--error-format", "json"],
        &[],
    );
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0201", "E0904"]);
    assert_eq!(records[0]["line"], 13);
    assert_eq!(records[0]["fixes"][0]["replacement"], "contract_amount");
}

#[test]
fn check_writes_every_diagnostic_and_a_summary_note() {
    let (status, stdout, records) = polc_json(&["check", "tests/diagnostics/E0201.pol", "--error-format", "json"], &[]);
    assert_eq!(status, 1);
    assert_eq!(stdout, "");
    assert_eq!(codes(&records), ["W0001", "E0201", "note"]);
    assert_eq!(records[2]["message"], "checked 1 file: 1 error, 1 warning");
}

#[test]
fn records_with_errors_are_a_problem_with_a_code() {
    let cases = std::env::temp_dir().join(format!("polc-error-format-{}.jsonl", std::process::id()));
    std::fs::write(
        &cases,
        "{\"id\": \"A1\", \"date\": \"2025-03-01\", \"applicant\": \"G1\", \"city_subsidy\": \"lots\"}\n",
    )
    .unwrap();
    let (status, stdout, records) = polc_json(
        &[
            "run",
            "policies/shapes/P09-exact-fraction.pol",
            cases.to_str().unwrap(),
            "--format",
            "json",
            "--error-format",
            "json",
        ],
        &[],
    );
    std::fs::remove_file(&cases).unwrap();
    assert_eq!(status, 1);
    assert!(stdout.contains("\"errors\""));
    assert_eq!(codes(&records), ["E0909"]);
    assert_eq!(records[0]["message"], "1 record had errors and did not run; see `errors`");
}

#[test]
fn an_unformatted_file_is_a_record_too() {
    let directory = std::env::temp_dir().join(format!("polc-error-format-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let untidy = directory.join("untidy.pol");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/diagnostics/E0201.pol")).unwrap();
    std::fs::write(&untidy, text.replace("  clause 1.1", "      clause   1.1")).unwrap();
    let shown = untidy.to_str().unwrap();
    let (status, stdout, records) =
        polc_json(&["fmt", "--check", shown, "policies/chengdu-ai-2024.pol", "--error-format", "json"], &[]);
    std::fs::remove_dir_all(&directory).unwrap();
    assert_eq!(status, 1);
    assert_eq!(stdout, format!("{shown}\n"));
    assert_eq!(codes(&records), ["E0912"]);
    assert_eq!(
        records[0]["message"],
        format!("`{shown}` is not in the canonical layout; run `polc fmt {shown}`").as_str()
    );
}

#[test]
fn a_ledger_that_is_not_one() {
    let (status, _, records) =
        polc_json(&["ledger", "show", "policies/chengdu-ai-2024.pol", "--error-format", "json"], &[]);
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0906"]);
}

#[test]
fn an_unknown_case_to_explain() {
    let (status, _, records) = polc_json(
        &[
            "run",
            "policies/chengdu-ai-2024.pol",
            "tests/data/diff/cases.jsonl",
            "--explain",
            "nobody",
            "--error-format",
            "json",
        ],
        &[],
    );
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0908"]);
    assert_eq!(records[0]["message"], "no readable case has id `nobody`");
}

#[test]
fn a_batch_that_cannot_be_read() {
    let (status, _, records) = polc_json(
        &[
            "run",
            "policies/chengdu-ai-2024.pol",
            "tests/diagnostics/E0201.pol",
            "--input-format",
            "json",
            "--error-format",
            "json",
        ],
        &[],
    );
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0905"]);
}

#[test]
fn diff_cases_that_cannot_be_read() {
    let (status, _, records) = polc_json(
        &[
            "diff",
            "policies/chengdu-ai-2024.pol",
            "tests/data/diff/chengdu-next.pol",
            "--cases",
            "no-such-cases.jsonl",
            "--error-format",
            "json",
        ],
        &[],
    );
    assert_eq!(status, 2);
    assert_eq!(codes(&records), ["E0902"]);
}
