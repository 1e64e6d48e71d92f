//! The library as an embedding application uses it: strings in, values out, and errors
//! rendered by miette's own handler from the same values polc's renderers read.

use miette::{Diagnostic as _, GraphicalReportHandler, GraphicalTheme};

const BROKEN: &str = include_str!("diagnostics/E0201.pol");
const POLICY: &str = include_str!("../policies/shapes/P09-exact-fraction.pol");

fn miette_text(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .unwrap();
    out
}

#[test]
fn a_policy_error_renders_with_miettes_handler() {
    let error = polc::compile("E0201.pol", BROKEN).unwrap_err();
    insta::assert_snapshot!(miette_text(&error));
}

#[test]
fn the_miette_view_reads_the_same_values_as_the_json_rendering() {
    let report = polc::check_source(BROKEN);
    let source = polc::diag::render::Source { name: "E0201.pol", text: BROKEN };
    let json = polc::diag::render::json_records(&source, &report.diagnostics, polc::Lang::En);
    let view = polc::PolicyReport::new("E0201.pol", BROKEN, report.diagnostics.clone());
    assert_eq!(json.len(), view.diagnostics().count());
    for (record, found) in json.iter().zip(view.diagnostics()) {
        assert_eq!(record["code"], found.code().unwrap().to_string());
        assert_eq!(record["message"], found.to_string());
        assert_eq!(record["help"].as_str(), found.help().map(|help| help.to_string()).as_deref());
        let primary = found.labels().unwrap().find(|label| label.primary()).unwrap();
        assert_eq!(record["label"], primary.label().unwrap());
        let span = found.diagnostic().primary.span;
        assert_eq!((primary.offset(), primary.len()), (span.start, span.end - span.start));
        assert_eq!(
            found.severity().unwrap(),
            if record["severity"] == "error" { miette::Severity::Error } else { miette::Severity::Warning }
        );
    }
}

#[test]
fn chinese_words_reach_the_miette_view() {
    let report = polc::check_source(BROKEN);
    let view = polc::PolicyReport::in_lang("E0201.pol", BROKEN, report.diagnostics, polc::Lang::Zh);
    insta::assert_snapshot!(miette_text(&view));
}

#[test]
fn failures_batch_and_ledger_errors_carry_their_codes() {
    let policy = polc::compile("p09.pol", POLICY).unwrap();
    let batch = polc::run(&policy, "[1, 2".as_bytes(), polc::InputFormat::Json).err().unwrap();
    assert_eq!(batch.code().unwrap().to_string(), "E0905");
    let directory = tempfile::tempdir().unwrap();
    let not_a_ledger = directory.path().join("x.db");
    std::fs::write(&not_a_ledger, "this is not a database, and is long enough to have a header").unwrap();
    let ledger = polc::Ledger::open(not_a_ledger.to_str().unwrap()).err().unwrap();
    assert_eq!(ledger.code().unwrap().to_string(), "E0906");
    let failure = polc::Failure::new(polc::FailureKind::Usage, "no such command").with_help("run `polc --help`");
    insta::assert_snapshot!(miette_text(&failure), @r"
    E0901

      × no such command
      help: run `polc --help`
    ");
    // Every kind has a distinct code, documented.
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md")).unwrap();
    let mut ids: Vec<_> = polc::FailureKind::ALL.iter().map(|kind| kind.id()).collect();
    for id in &ids {
        assert!(docs.contains(&format!("### {id}")), "{id} is not in docs/diagnostics.md");
    }
    ids.dedup();
    assert_eq!(ids.len(), polc::FailureKind::ALL.len());
}

#[test]
fn a_batch_runs_from_a_string_with_the_same_result_as_the_command_line() {
    let policy = polc::compile("p09.pol", POLICY).unwrap();
    let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    let run = polc::run(&policy, cases.as_bytes(), polc::InputFormat::Csv).unwrap();
    let path = std::env::temp_dir().join(format!("polc-library-{}.csv", std::process::id()));
    std::fs::write(&path, cases).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["run", "policies/shapes/P09-exact-fraction.pol", path.to_str().unwrap(), "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("POLC_LANG", "en")
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(String::from_utf8(cli.stdout).unwrap().as_bytes(), run.json_bytes());
    assert!(run.has_problems());
    assert_eq!(run.result().failed_records, 1);
}
