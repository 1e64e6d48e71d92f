//! `polc test` through the real binary: pass/fail lines, diffs, coverage, exit status.

use std::process::Command;

fn polc(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("polc runs");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_shipped_examples_pass_with_full_coverage() {
    let (status, stdout) = polc(&["test", "--coverage", "policies"]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("coverage of policies/chengdu-ai-2024.pol: 106/106 (100.0%)"), "{stdout}");
    assert!(stdout.contains("coverage of policies/shapes/P06-least-of-limits.pol: 5/5 (100.0%)"), "{stdout}");
    assert!(!stdout.contains("not exercised"), "{stdout}");
    // Every example of every policy ran, and passed.
    let examples = example_count("policies") + example_count("policies/shapes");
    assert!(examples >= 9 + 28, "{examples}");
    assert_eq!(stdout.lines().last(), Some(format!("{examples} passed, 0 failed").as_str()));
}

/// How many examples the `.examples.json` files of a folder hold.
fn example_count(folder: &str) -> usize {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".examples.json"))
        .map(|entry| {
            let document: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
            document["examples"].as_array().map_or(0, Vec::len)
        })
        .sum()
}

#[test]
fn coverage_as_json() {
    let (status, stdout) = polc(&["test", "--coverage", "--format", "json", "policies/chengdu-ai-2024.pol"]);
    assert_eq!(status, 0);
    // Standard output is one JSON document and nothing else.
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let reports = &document["coverage"];
    assert_eq!(reports[0]["covered"], 106);
    assert_eq!(reports[0]["total"], 106);
    assert_eq!(reports[0]["groups"][0]["group"], "gate of article 11");
    assert_eq!(document["passed"], 9);
    assert_eq!(document["failed"], 0);
    assert_eq!(document["results"].as_array().map(Vec::len), Some(9));
    assert_eq!(document["results"][0]["passed"], true);
}

#[test]
fn json_without_coverage_is_still_json() {
    let (status, stdout) = polc(&["test", "--format", "json", "tests/examples/small.pol"]);
    assert_eq!(status, 1);
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(document.get("coverage").is_none());
    assert!(document["failed"].as_u64() > Some(0));
    let failing = document["results"].as_array().unwrap().iter().find(|result| result["passed"] == false).unwrap();
    assert!(!failing["differences"].as_array().unwrap().is_empty());
}

#[test]
fn nothing_to_test_is_an_error_not_a_pass() {
    let empty = std::env::temp_dir().join(format!("polc-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for (path, message) in [
        ("no/such/folder", "error: `no/such/folder` does not exist"),
        ("no-such-policy.pol", "error: `no-such-policy.pol` does not exist"),
        ("README.md", "error: `README.md` is not a policy file (`.pol`)"),
        (empty.to_str().unwrap(), "holds no policy files (`.pol`)"),
        ("tests/diagnostics/W0001.pol", "error: none of the policies found has a worked-examples file"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(["test", path])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{path}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{path}: {stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("0 passed, 0 failed"), "{path}");
    }
}

#[test]
fn a_failing_example_shows_expected_and_computed_with_the_reasons() {
    let (status, stdout) = polc(&["test", "--coverage", "tests/examples/small.pol"]);
    assert_eq!(status, 1);
    insta::assert_snapshot!("small_examples", stdout);
}

#[test]
fn a_policy_without_examples_is_reported_beside_those_with_examples() {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["test", "tests/diagnostics/W0001.pol", "policies/chengdu-ai-2024.pol"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no examples (write them in tests/diagnostics/W0001.examples.json)"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().last(), Some("9 passed, 0 failed"));
}

#[test]
fn fmt_rewrites_files_and_check_lists_the_unformatted() {
    let dir = std::env::temp_dir().join(format!("polc-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let messy = dir.join("messy.pol");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fmt/messy.pol"), &messy).unwrap();
    let messy_name = messy.to_str().unwrap();

    let (status, stdout) = polc(&["fmt", "--check", messy_name, "policies/chengdu-ai-2024.pol"]);
    assert_eq!(status, 1);
    assert_eq!(stdout.trim(), messy_name, "only the unformatted file is listed");

    let (status, _) = polc(&["fmt", messy_name]);
    assert_eq!(status, 0);
    let formatted = std::fs::read_to_string(&messy).unwrap();
    assert_eq!(formatted, polc::fmt::format(&formatted).unwrap());
    assert_eq!(polc(&["fmt", "--check", messy_name]).0, 0);

    let broken = dir.join("broken.pol");
    std::fs::write(&broken, "policy \"p\"\narticle 1 \"a\" clause 1.1 award to\n").unwrap();
    let (status, stdout) = polc(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert!(stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "policy \"p\"\narticle 1 \"a\" clause 1.1 award to\n");
    std::fs::remove_dir_all(&dir).ok();
}

/// An example's rounds are committed in turn to a temporary ledger: rounds in another
/// order than the batch decide otherwise (a committed decision stands), and a case in no
/// round, or a round case the example lacks, is reported.
#[test]
fn rounds_that_decide_otherwise_fail_with_what_the_ledger_holds() {
    let (status, stdout) = polc(&["test", "tests/examples/rounds/consecutive.pol"]);
    assert_eq!(status, 1);
    insta::assert_snapshot!("polc_test_rounds", stdout);
}

/// In a Chinese locale the examples still pass: their expected reasons quote polc's
/// English wording, so they run in English, and only the report is in Chinese.
#[test]
fn a_chinese_locale_runs_the_same_examples() {
    let output = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["test", "--coverage", "policies"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("POLC_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .expect("polc runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let examples = example_count("policies") + example_count("policies/shapes");
    assert_eq!(stdout.lines().last(), Some(format!("{examples} 个通过，0 个未通过").as_str()));
    assert!(stdout.contains("policies/chengdu-ai-2024.pol 的覆盖率：106/106（100.0%）"), "{stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("通过   policies/chengdu-ai-2024.pol › ")), "{stdout}");
}
