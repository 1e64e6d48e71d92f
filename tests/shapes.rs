//! The clause shapes of other policies (spec/shapes.md, copied to tests/data/shapes/): each
//! of the 22 shapes, written as `policies/shapes/PNN-name.pol`, gives exactly the worked cases' awards
//! (clause, recipient, kind, amount, minimum, maximum) and errors (case, field).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn shape_policy(shape: &str) -> Option<PathBuf> {
    let folder = Path::new(ROOT).join("policies/shapes");
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            name.starts_with(&format!("{shape}-")) && name.ends_with(".pol")
        })
        .collect();
    found.sort();
    found.pop()
}

/// Per case, its id and, per award, the compared fields.
type CaseAwards = Vec<(String, Vec<Vec<Option<String>>>)>;
/// Per error, its case and field.
type Errors = Vec<(Option<String>, Option<String>)>;

/// The fields the worked cases compare, for each award of each case, and the errors.
fn outcome(result: &Value) -> (CaseAwards, Errors) {
    let text = |value: &Value| value.as_str().map(str::to_string);
    let cases = result["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let awards = case["awards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|award| {
                    ["clause", "recipient", "kind", "amount", "minimum", "maximum"]
                        .iter()
                        .map(|field| text(&award[*field]))
                        .collect()
                })
                .collect();
            (case["id"].as_str().unwrap().to_string(), awards)
        })
        .collect();
    let errors = result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (text(&error["case"]), text(&error["field"])))
        .collect();
    (cases, errors)
}

#[test]
fn every_shape_gives_its_worked_cases_exactly() {
    let mut checked = Vec::new();
    for number in 1..=22 {
        let shape = format!("P{number:02}");
        // Every shape of the spec has its policy.
        let policy = shape_policy(&shape).unwrap_or_else(|| panic!("{shape} has no policy in policies/shapes"));
        let cases = Path::new(ROOT).join(format!("tests/data/shapes/{shape}.cases.jsonl"));
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new(ROOT).join(format!("tests/data/shapes/{shape}.expected.json"))).unwrap(),
        )
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(["run", policy.to_str().unwrap(), cases.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        let actual: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!("{shape}: no JSON result ({error}): {}", String::from_utf8_lossy(&output.stderr))
        });
        assert_eq!(outcome(&actual), outcome(&expected), "{shape}: {}", policy.display());
        checked.push(shape);
    }
    assert_eq!(checked.len(), 22);
}
