//! The award ledger, on SQLite and on PostgreSQL (every test runs on both): a batch split
//! by date into rounds and committed in order decides exactly what one run of the whole
//! batch decides; re-committing a round changes nothing; a dry run writes nothing; a commit
//! killed midway leaves nothing; concurrent commits are serialised; a database that is not
//! a ledger, or a newer one, is refused.
//!
//! PostgreSQL is reached through `POLC_TEST_POSTGRES`, a URL of a role that may create
//! databases (`.ci/run` starts a server and sets it); each test gets a database of its own.
//! Without it the PostgreSQL tests say so and pass, except under CI, where they fail.

use polc::check::checked::Policy;
use polc::data::InputFormat;
use polc::eval::{self, BatchResult};
use polc::ledger::{Ledger, LedgerError};
use serde_json::Value;
use std::collections::BTreeMap;

fn chengdu() -> Policy {
    polc::check_source(include_str!("../policies/chengdu-ai-2024.pol")).policy.unwrap()
}

/// The cases of the shipped Chengdu examples, in date order: 42 cases over three years,
/// with once-keys, classes and yearly caps that reach across them.
fn chengdu_cases() -> Vec<Value> {
    let examples: Value = serde_json::from_str(include_str!("../policies/chengdu-ai-2024.examples.json")).unwrap();
    let mut cases: Vec<Value> = examples["examples"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|example| example["cases"].as_array().unwrap().clone())
        .collect();
    cases.sort_by(|left, right| left["date"].as_str().cmp(&right["date"].as_str()));
    cases
}

fn jsonl(cases: &[Value]) -> String {
    cases.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

/// The database a test's ledger lives in.
#[derive(Clone, Copy, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    /// The PostgreSQL server's URL, when the tests have one.
    fn postgres_admin() -> Option<String> {
        match std::env::var("POLC_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some() => panic!("CI must set POLC_TEST_POSTGRES (see .ci/run)"),
            _ => {
                eprintln!("POLC_TEST_POSTGRES is not set: the PostgreSQL ledger tests are skipped");
                None
            }
        }
    }
}

/// A fresh, empty ledger: a SQLite file or a PostgreSQL database of its own, removed when
/// the test is done with it.
struct Fresh {
    db: Db,
    location: String,
    /// The PostgreSQL database's name and the server's URL.
    postgres: Option<(String, String)>,
}

impl Fresh {
    fn new(db: Db, name: &str) -> Fresh {
        let tag: String = name
            .chars()
            .map(|character| if character.is_ascii_alphanumeric() { character.to_ascii_lowercase() } else { '_' })
            .collect();
        match db {
            Db::Sqlite => {
                let path = std::env::temp_dir().join(format!("polc-ledger-{}-{tag}.sqlite", std::process::id()));
                let _ = std::fs::remove_file(&path);
                Fresh { db, location: path.to_string_lossy().into_owned(), postgres: None }
            }
            Db::Postgres => {
                let admin = Db::postgres_admin().expect("the PostgreSQL tests run only with a server");
                // PostgreSQL names are at most 63 bytes.
                let database: String =
                    format!("polc_t_{}_{tag}", std::process::id()).chars().take(63).collect::<String>();
                let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).unwrap();
                client.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                let location = format!("{base}/{database}");
                Fresh { db, location, postgres: Some((database, admin)) }
            }
        }
    }

    fn open(&self) -> Ledger {
        Ledger::open(&self.location).unwrap()
    }

    /// Runs SQL on the ledger's database behind polc's back.
    fn tamper(&self, sql: &str) {
        match self.db {
            Db::Sqlite => rusqlite::Connection::open(&self.location).unwrap().execute_batch(sql).unwrap(),
            Db::Postgres => {
                ::postgres::Client::connect(&self.location, ::postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            }
        }
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        match &self.postgres {
            None => {
                let _ = std::fs::remove_file(&self.location);
            }
            Some((database, admin)) => {
                if let Ok(mut client) = ::postgres::Client::connect(admin, ::postgres::NoTls) {
                    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
                }
            }
        }
    }
}

/// Each test, once on SQLite and once on PostgreSQL.
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $test() { super::$test(super::Db::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $test() { if super::Db::postgres_admin().is_some() { super::$test(super::Db::Postgres) } } )*
        }
    };
}

on_both_databases!(
    rounds_committed_in_order_decide_as_one_run,
    a_round_committed_again_changes_nothing_and_other_facts_are_an_error,
    a_dry_run_counts_the_history_and_writes_nothing,
    a_database_that_is_not_a_ledger_or_a_newer_one_is_refused,
    an_older_ledger_is_migrated,
    an_import_records_external_awards_and_a_malformed_row_changes_nothing,
    an_imported_award_takes_part_in_the_classes_that_name_its_label,
    an_amended_policy_and_a_case_dated_before_the_history_are_noted,
    the_readme_rounds_are_what_polc_says,
    a_commit_killed_at_any_point_leaves_the_ledger_as_it_was,
    two_processes_committing_at_once_are_serialised,
    a_revoked_award_frees_its_cap_but_keeps_its_once_key,
    a_review_granted_later_is_what_caps_count_from_then_on,
    a_pro_rata_pool_shares_what_earlier_rounds_left_and_reopens_nothing,
    verify_finds_a_ledger_changed_behind_polcs_back,
    every_shape_split_into_rounds_decides_as_one_run,
    generated_chengdu_batches_split_into_rounds_decide_as_one_run,
    a_later_round_counts_the_history_without_replaying_it,
    a_commit_shows_what_a_dry_run_shows,
    a_class_superseding_an_award_a_cap_counted_replays_the_whole_history,
    a_replayed_history_names_its_cases_and_the_batchs_in_reasons,
);

/// A commit's report is rendered while the run is written and shown once it holds: it is
/// the dry run's, byte for byte, in each format.
fn a_commit_shows_what_a_dry_run_shows(db: Db) {
    for format in ["json", "csv"] {
        let fresh = Fresh::new(db, &format!("shown-{format}"));
        let run = |commit: bool| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_polc"));
            command
                .args(["run", "policies/chengdu-ai-2024.pol", "tests/data/chengdu-examples/cases.json"])
                .args(["--ledger", &fresh.location, "--format", format])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if commit {
                command.arg("--commit");
            }
            command.output().unwrap()
        };
        let dry = run(false);
        let committed = run(true);
        assert_eq!(committed.status.code(), dry.status.code());
        assert!(String::from_utf8_lossy(&committed.stderr).contains("committed run 1"));
        assert!(dry.stdout.len() > 1000, "{format}");
        assert_eq!(String::from_utf8_lossy(&committed.stdout), String::from_utf8_lossy(&dry.stdout), "{format}");
    }
}

/// A round after committed ones starts from what the rules counted; the whole history is
/// replayed only when that cannot say enough (here: an amended policy, then the same
/// policy again, which reads what the amended run recorded).
fn a_later_round_counts_the_history_without_replaying_it(db: Db) {
    let policy = chengdu();
    let cases = chengdu_cases();
    let fresh = Fresh::new(db, "counted");
    let mut ledger = fresh.open();
    let (first, second) = cases.split_at(cases.len() / 2);
    let earlier = decision(&mut ledger, &policy, first, true);
    assert!(!earlier.whole_history);
    let later = decision(&mut ledger, &policy, second, false);
    assert!(!later.whole_history);
    assert_eq!(later.history_cases, earlier.result.cases.len());
    let amended_text = include_str!("../policies/chengdu-ai-2024.pol")
        .replace("cap 100万 per recipient, year over 10.1", "cap 90万 per recipient, year over 10.1");
    let amended = polc::check_source(&amended_text).policy.unwrap();
    assert!(decision(&mut ledger, &amended, second, false).whole_history);
}

/// Round 1: A (60万, class key E1/P) and B (60万, project Q, cut to 40万 by the yearly
/// cap A left). Round 2: C (80万, key E1/P) supersedes A, and in one batch B would then
/// have had its whole 60万: only a replay of the whole history reopens B, and the ledger
/// takes it.
fn a_class_superseding_an_award_a_cap_counted_replays_the_whole_history(db: Db) {
    let source = small_policy(
        "就高与年度上限",
        r#"input project: text required
input amount: money required

article 1 "补助"
  clause 1.1 "项目补助"
    award 10% of amount
    to applicant

  cap 100万 per recipient, year over 1.1
  class best "项目补助" of 1.1 keep highest per recipient, project
"#,
    );
    let checked = polc::check_source(&source);
    let policy = checked.policy.unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let case = |id: &str, date: &str, project: &str, amount: &str| serde_json::json!({"id": id, "date": date, "applicant": "E1", "project": project, "amount": amount});
    let cases = [
        case("A", "2025-01-01", "P", "600万"),
        case("B", "2025-02-01", "Q", "600万"),
        case("C", "2025-03-01", "P", "800万"),
    ];
    let whole = one_run(&policy, &cases);
    let amounts: Vec<Option<String>> = whole.values().cloned().collect();
    assert_eq!(amounts, [Some("0.00".into()), Some("600000.00".into()), Some("400000.00".into())]);
    let fresh = Fresh::new(db, "superseded");
    let mut ledger = fresh.open();
    assert!(!decision(&mut ledger, &policy, &cases[..2], true).whole_history);
    let round = decision(&mut ledger, &policy, &cases[2..], true);
    assert!(round.whole_history);
    assert_eq!(round.result.revisions.len(), 2);
    assert_eq!(held(&mut ledger), whole);
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
}

/// Reasons keep the case they name by its place among the cases cut; a replay of the
/// whole history puts the history's cases first, so its reasons must still name the right
/// case of each kind once the batch stands alone: the committed one with its run, the
/// batch's own by its date.
fn a_replayed_history_names_its_cases_and_the_batchs_in_reasons(db: Db) {
    let source = |amount: &str| {
        let clause = format!("\narticle 1 \"补助\"\n  clause 1.1 \"一次性补助\"\n    award {amount}\n    to applicant\n    once per recipient\n");
        small_policy("一次性", &clause)
    };
    let policy = polc::check_source(&source("1万")).policy.unwrap();
    let amended = polc::check_source(&source("2万")).policy.unwrap();
    let case =
        |id: &str, date: &str, applicant: &str| serde_json::json!({"id": id, "date": date, "applicant": applicant});
    let fresh = Fresh::new(db, "replayed-reasons");
    let mut ledger = fresh.open();
    decide(&mut ledger, &policy, &[case("A", "2025-01-01", "E1")], true);
    // The amended policy makes the ledger replay the whole history with the batch.
    let batch = [case("B", "2025-02-01", "E1"), case("C", "2025-03-01", "E2"), case("D", "2025-04-01", "E2")];
    let round = decision(&mut ledger, &amended, &batch, false);
    assert!(round.whole_history);
    let wording = polc::render::why::Wording::new(&amended);
    let reasons: Vec<Vec<String>> = round
        .result
        .awards
        .iter()
        .map(|award| {
            award
                .adjustments()
                .iter()
                .map(|adjustment| wording.reason(&round.result.cases, award, adjustment))
                .collect()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            vec!["clause 1.1 is paid once per key; case A (2025-01-01, run 1) already has it".to_string()],
            vec![],
            vec!["clause 1.1 is paid once per key; case C (2025-03-01) already has it".to_string()],
        ]
    );
}

/// A small policy's text: its header and the inputs every case has (id, date, applicant),
/// then `rest`.
fn small_policy(title: &str, rest: &str) -> String {
    format!(
        "policy \"{title}\"\n  valid from 2020-01-01 for 20 years\n  cases identified by id, dated by date\n\ninput id: text required\ninput date: date required\ninput applicant: entity required\n{rest}"
    )
}

fn decide(ledger: &mut Ledger, policy: &Policy, cases: &[Value], commit: bool) -> BatchResult {
    decision(ledger, policy, cases, commit).result
}

fn decision(ledger: &mut Ledger, policy: &Policy, cases: &[Value], commit: bool) -> polc::ledger::Decision {
    let data = jsonl(cases);
    ledger
        .decide(policy, commit, |decided| {
            eval::evaluate(policy, data.as_bytes(), InputFormat::JsonLines, None, false, Some(decided))
        })
        .unwrap()
        .unwrap()
}

/// Per (case, clause, recipient): the amount, from one run.
fn one_run(policy: &Policy, cases: &[Value]) -> BTreeMap<(String, String, String), Option<String>> {
    let result = eval::run(policy, jsonl(cases).as_bytes(), InputFormat::JsonLines, None).unwrap();
    result
        .cases
        .iter()
        .flat_map(|case| {
            result.case_awards(case).iter().map(|award| {
                (
                    (
                        result.cases.id(case).to_string(),
                        policy.clauses[award.clause].id.clone(),
                        award.recipient.to_string(),
                    ),
                    award.amount().map(polc::money::format_yuan),
                )
            })
        })
        .collect()
}

/// Per (case, clause, recipient): the amount the ledger holds now.
fn held(ledger: &mut Ledger) -> BTreeMap<(String, String, String), Option<String>> {
    ledger
        .awards()
        .unwrap()
        .into_iter()
        .map(|award| {
            let text = |field: &str| award[field].as_str().unwrap_or_default().to_string();
            ((text("case"), text("clause"), text("recipient")), award["amount"].as_str().map(str::to_string))
        })
        .collect()
}

fn rounds_committed_in_order_decide_as_one_run(db: Db) {
    let policy = chengdu();
    let cases = chengdu_cases();
    let whole = one_run(&policy, &cases);
    assert!(whole.len() > 30, "{}", whole.len());
    // Split at each of several dates: every round's cases are dated on or after the
    // previous round's.
    for boundaries in
        [vec!["2025-01-01"], vec!["2025-01-01", "2025-06-01"], vec!["2024-09-01", "2025-03-03", "2026-01-01"]]
    {
        let path_ledger = Fresh::new(db, &boundaries.join("_"));
        let path = path_ledger.location.clone();
        let mut ledger = Ledger::open(&path).unwrap();
        let mut rest: &[Value] = &cases;
        for boundary in boundaries.iter().chain(std::iter::once(&"9999-12-31")) {
            let split = rest.iter().position(|case| case["date"].as_str().unwrap() >= *boundary).unwrap_or(rest.len());
            let (round, later) = rest.split_at(split);
            decide(&mut ledger, &policy, round, true);
            rest = later;
        }
        assert_eq!(held(&mut ledger), whole, "rounds split at {boundaries:?}");
        assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    }
}

fn a_round_committed_again_changes_nothing_and_other_facts_are_an_error(db: Db) {
    let policy = chengdu();
    let cases = chengdu_cases();
    let path_ledger = Fresh::new(db, "idempotent");
    let path = path_ledger.location.clone();
    let mut ledger = Ledger::open(&path).unwrap();
    decide(&mut ledger, &policy, &cases, true);
    let before = held(&mut ledger);
    let again = decide(&mut ledger, &policy, &cases, true);
    // Every case is already decided but the one whose data has an error (EX-18), which was
    // never committed and is an error again.
    assert_eq!(again.failed_records, 1);
    assert_eq!(again.already_decided.len(), cases.len() - 1);
    // Each is reported with the awards it was committed with.
    let reported: BTreeMap<_, _> = again
        .already_decided
        .iter()
        .flat_map(|decided| {
            decided.awards.iter().map(move |(clause, recipient, amount)| {
                ((decided.id.clone(), clause.clone(), recipient.to_string()), amount.map(polc::money::format_yuan))
            })
        })
        .collect();
    assert_eq!(reported, before);
    assert!(again.awards.is_empty());
    assert_eq!(held(&mut ledger), before);
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    // The same id with another fact: an error on that case, and nothing written.
    let mut changed = cases[0].clone();
    changed["applicant"] = Value::String("SOMEONE-ELSE".into());
    let result = decide(&mut ledger, &policy, &[changed], true);
    assert_eq!(result.errors.len(), 1);
    assert!(result.errors[0].message.contains("with other facts; revoke it first"), "{}", result.errors[0].message);
    assert_eq!(held(&mut ledger), before);
    // The same facts written another way are the same facts: "8,600,000.00" for 860万.
    let mut same = cases.iter().find(|case| case["contract_amount"] == "860万").cloned().unwrap();
    same["contract_amount"] = Value::String("8,600,000.00".into());
    let result = decide(&mut ledger, &policy, &[same], true);
    assert_eq!((result.already_decided.len(), result.errors.len()), (1, 0));
}

fn a_dry_run_counts_the_history_and_writes_nothing(db: Db) {
    let policy = chengdu();
    let cases = chengdu_cases();
    let path_ledger = Fresh::new(db, "dry");
    let path = path_ledger.location.clone();
    let mut ledger = Ledger::open(&path).unwrap();
    let (first, second) = cases.split_at(cases.len() / 2);
    decide(&mut ledger, &policy, first, true);
    let before = held(&mut ledger);
    let dry = decide(&mut ledger, &policy, second, false);
    assert_eq!(held(&mut ledger), before);
    // The dry run decided the second half as a commit would.
    let committed = decide(&mut ledger, &policy, second, true);
    let amounts = |result: &BatchResult| result.awards.iter().map(|award| award.amount()).collect::<Vec<_>>();
    assert_eq!(amounts(&dry), amounts(&committed));
}

fn a_database_that_is_not_a_ledger_or_a_newer_one_is_refused(db: Db) {
    let other = Fresh::new(db, "not-a-ledger");
    match db {
        Db::Sqlite => std::fs::write(
            &other.location,
            "this is a text file, not a database, and it is long enough to have a header",
        )
        .unwrap(),
        Db::Postgres => other.tamper("CREATE TABLE invoices (id BIGINT)"),
    }
    assert!(matches!(Ledger::open(&other.location), Err(LedgerError::NotALedger(_))));
    let newer = Fresh::new(db, "newer");
    drop(newer.open());
    newer.tamper("UPDATE polc_schema SET version = 99");
    match Ledger::open(&newer.location) {
        Err(error @ LedgerError::Newer { found: 99 }) => {
            assert_eq!(
                error.to_string(),
                "the ledger has schema version 99, newer than this polc's 3: use a newer polc"
            )
        }
        other => panic!("{:?}", other.err()),
    }
    // Through the command line: a clear error and exit 2.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["ledger", "show", &newer.location])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("newer than this polc's 3"));
}

/// A version 1 ledger (before imports) is migrated on open and keeps what it held.
fn an_older_ledger_is_migrated(db: Db) {
    let policy = chengdu();
    let fresh = Fresh::new(db, "older");
    let mut ledger = fresh.open();
    decide(&mut ledger, &policy, &chengdu_cases(), true);
    let before = held(&mut ledger);
    drop(ledger);
    // What version 1 had: no imports, no record of what the rules changed (the view is a
    // stand-in that version 3 makes again).
    fresh.tamper(
        "DROP TABLE external_awards; DROP TABLE imports; DROP VIEW standing; ALTER TABLE awards DROP COLUMN changes;
         ALTER TABLE awards DROP COLUMN case_date; DROP INDEX revisions_by_award; DROP INDEX grants_by_award;
         DROP INDEX revocations_by_award; CREATE INDEX awards_by_policy ON awards (policy, id);
         CREATE VIEW standing AS SELECT * FROM awards; DELETE FROM polc_schema WHERE version >= 2",
    );
    let mut ledger = fresh.open();
    assert_eq!(held(&mut ledger), before);
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    assert_eq!(ledger.import("other", &[]).unwrap(), 0);
}

fn an_import_records_external_awards_and_a_malformed_row_changes_nothing(db: Db) {
    let fresh = Fresh::new(db, "import");
    let file = |name: &str, text: &str| {
        let path = std::env::temp_dir().join(format!("polc-import-{}-{db:?}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    };
    let polc = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc")).args(args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // Two malformed rows: each named by row and field; nothing imported.
    let bad = file(
        "bad.csv",
        "recipient,date,amount,class,project\nE1,2024-05-01,80万,研发补助,P1\nE2,2024-13-01,10万,研发补助,\nE3,2024-06-01,很多,研发补助,\n",
    );
    let (status, _, stderr) =
        polc(&["ledger", "import", &fresh.location, bad.to_str().unwrap(), "--source", "省科技厅"]);
    assert_eq!(status, Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().map(|line| line.split_once("` ").map_or(line, |(_, rest)| rest)).collect();
    assert_eq!(
        lines,
        [
            "row 3, field `date`: `2024-13-01` is not a date (write 2025-03-01)",
            "row 4, field `amount`: `很多` is not an amount (write 50万 or 500000)",
            "error: nothing imported: 2 malformed rows",
        ]
    );
    assert!(fresh.open().external_awards().unwrap().is_empty());
    // JSON Lines, well formed: recorded with their source.
    let good = file(
        "good.jsonl",
        "{\"recipient\": \"E1\", \"date\": \"2024-05-01\", \"amount\": \"80万\", \"class\": \"研发补助\", \"project\": \"P1\"}\n\
         {\"recipient\": \"E2\", \"date\": \"2024-04-01\", \"amount\": 100000, \"class\": \"人才\", \"policy\": \"省人才计划\", \"case\": \"R-9\"}\n",
    );
    let (status, stdout, stderr) = polc(&[
        "ledger",
        "import",
        &fresh.location,
        good.to_str().unwrap(),
        "--source",
        "省科技厅",
        "--format",
        "json",
    ]);
    assert_eq!((status, stdout.trim()), (Some(0), r#"{"imported":2,"source":"省科技厅"}"#), "{stderr}");
    let held: Vec<(String, String, String, String, Option<String>)> = fresh
        .open()
        .external_awards()
        .unwrap()
        .into_iter()
        .map(|(source, award)| {
            (source, award.recipient, award.date.to_string(), polc::money::format_yuan(award.amount), award.project)
        })
        .collect();
    assert_eq!(
        held,
        [
            ("省科技厅".into(), "E2".into(), "2024-04-01".into(), "100000.00".into(), None),
            ("省科技厅".into(), "E1".into(), "2024-05-01".into(), "800000.00".into(), Some("P1".into())),
        ]
    );
    assert_eq!(fresh.open().verify().unwrap(), Vec::<String>::new());
    // The register of imported awards, in date order.
    let (status, stdout, stderr) = polc(&["ledger", "show", &fresh.location, "--imported", "--format", "csv"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "source,recipient,date,amount,class,project,policy,case\n\
         省科技厅,E2,2024-04-01,100000.00,人才,,省人才计划,R-9\n\
         省科技厅,E1,2024-05-01,800000.00,研发补助,P1,,\n"
    );
    for path in [bad, good] {
        let _ = std::fs::remove_file(path);
    }
}

fn an_imported_award_takes_part_in_the_classes_that_name_its_label(db: Db) {
    let policy = polc::check_source(include_str!("../policies/shapes/P24-imported-class.pol")).policy.unwrap();
    let fresh = Fresh::new(db, "imported-class");
    let mut ledger = fresh.open();
    let rows = "recipient,date,amount,class,policy\nE1,2025-01-15,80万,省级研发补助,省研发投入后补助\nE2,2025-02-01,90万,省级人才计划,\n";
    let imported = polc::ledger::read_external_awards(rows).unwrap();
    assert_eq!(ledger.import("省科技厅", &imported).unwrap(), 2);
    let case = |id: &str, applicant: &str| serde_json::json!({"id": id, "date": "2025-03-01", "applicant": applicant, "rd_expense": "500万"});
    // A dry run sees the imports too.
    for commit in [false, true] {
        let result = decide(&mut ledger, &policy, &[case("A1", "E1"), case("A2", "E2")], commit);
        let amounts: Vec<String> =
            result.awards.iter().map(|award| polc::money::format_yuan(award.amount().unwrap())).collect();
        // E1's 50万 gives way to its imported 80万; E2's imported award has another label.
        assert_eq!(amounts, ["0.00", "500000.00"]);
        assert!(
            first_reason(&policy, &result).contains("superseded by an imported award \"省级研发补助\" of 800,000.00")
        );
    }
}

fn an_amended_policy_and_a_case_dated_before_the_history_are_noted(db: Db) {
    let text = include_str!("../policies/shapes/P21-first-come-pool.pol");
    let policy = polc::check_source(text).policy.unwrap();
    let amended = polc::check_source(&text.replace("cap 500万 over 1.1", "cap 600万 over 1.1")).policy.unwrap();
    let fresh = Fresh::new(db, "amended");
    let mut ledger = fresh.open();
    let case = |id: &str, date: &str| serde_json::json!({"id": id, "date": date, "applicant": id, "contract_amount": "1500万"});
    decide(&mut ledger, &policy, &[case("A", "2025-03-01"), case("B", "2025-03-02")], true);
    // The same version: nothing to note.
    assert_eq!(decide(&mut ledger, &policy, &[case("C", "2025-04-01")], false).ledger_notes, Vec::<String>::new());
    // Amended, with a case dated before the committed ones: decided after them by the new
    // version (the pool of 600万 has 0 left after 300万 + 300万).
    let result = decide(&mut ledger, &amended, &[case("D", "2025-01-01")], true);
    let version = |policy: &Policy| polc::ledger::policy_version(policy);
    assert_eq!(
        result.ledger_notes,
        [
            format!(
                "the policy is amended: run 1 used version {}, this is {}; the history is read by this version",
                version(&policy),
                version(&amended)
            ),
            "case D (2025-01-01) is dated before committed case B (2025-03-02, run 1): it is decided after the committed history".to_string(),
        ]
    );
    assert_eq!(result.awards[0].amount().map(polc::money::format_yuan).as_deref(), Some("0.00"));
    assert!(first_reason(&amended, &result).contains("600万"), "{:?}", result.awards[0].adjustments());
}

/// An unreachable PostgreSQL server is a clear error, exit 2, after the connect timeout.
#[test]
fn an_unreachable_server_is_a_clear_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["ledger", "show", "postgres://polc:secret@127.0.0.1:1/ledger?connect_timeout=2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: the ledger `postgres://polc:***@127.0.0.1:1/ledger?connect_timeout=2` cannot be used: the ledger database: error connecting to server"), "{stderr}");
    assert!(!stderr.contains("secret"));
}

/// A ledger written by polc before imports existed (schema version 1, committed by that
/// polc: tests/data/ledger-v1.sqlite) is migrated and read.
#[test]
fn a_ledger_written_by_an_earlier_polc_is_migrated() {
    let copy = Fresh::new(Db::Sqlite, "v1-file");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ledger-v1.sqlite"), &copy.location).unwrap();
    let mut ledger = copy.open();
    let awards = ledger.awards().unwrap();
    assert_eq!(awards.len(), 8);
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    // The second README round after the first, committed by the earlier polc.
    let policy = chengdu();
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/rounds/2025-2027.jsonl")).unwrap();
    let decision = ledger
        .decide(&policy, true, |decided| {
            eval::evaluate(&policy, &data[..], InputFormat::JsonLines, None, false, Some(decided))
        })
        .unwrap()
        .unwrap();
    assert_eq!((decision.run, decision.history_cases), (Some(2), 5));
    // The keys the earlier polc wrote are read as its rounds meant: both rounds hold what
    // one run of both batches decides.
    let both: Vec<Value> = ["2024.jsonl", "2025-2027.jsonl"]
        .iter()
        .flat_map(|name| {
            let text =
                std::fs::read_to_string(format!("{}/examples/rounds/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            text.lines().map(|line| serde_json::from_str::<Value>(line).unwrap()).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(held(&mut ledger), one_run(&policy, &both));
}

fn the_readme_rounds_are_what_polc_says(db: Db) {
    let readme = include_str!("../README.md");
    let block = readme.split("```\n$ polc run policies/chengdu-ai-2024.pol examples/rounds/").nth(1).unwrap();
    let block =
        format!("$ polc run policies/chengdu-ai-2024.pol examples/rounds/{}", block.split("```").next().unwrap());
    let path_ledger = Fresh::new(db, "readme");
    let path = path_ledger.location.clone();
    let mut said = String::new();
    for line in block.lines() {
        let Some(command) = line.strip_prefix("$ polc ") else { continue };
        let command = command.split(" > ").next().unwrap().replace("awards.sqlite", &path);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(command.split_whitespace())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{command}: {}", String::from_utf8_lossy(&output.stderr));
        if command.starts_with("ledger") {
            said.push_str(&String::from_utf8_lossy(&output.stdout));
        }
        said.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    let expected: String =
        block.lines().filter(|line| !line.starts_with("$ ")).map(|line| format!("{line}\n")).collect();
    assert_eq!(said.lines().filter(|line| !line.is_empty()).collect::<Vec<_>>(), expected.lines().collect::<Vec<_>>());
}

/// The Chengdu example cases repeated `times` over with distinct ids, as JSON Lines in a
/// temporary file: a round long enough to be stopped while it commits.
fn big_round(name: &str, times: usize, year_shift: i32) -> std::path::PathBuf {
    let cases = chengdu_cases();
    let mut lines = Vec::new();
    for copy in 0..times {
        for case in &cases {
            let mut case = case.clone();
            case["id"] = Value::String(format!("{}-{name}-{copy}", case["id"].as_str().unwrap()));
            if year_shift != 0 {
                let date = case["date"].as_str().unwrap().to_string();
                let year: i32 = date[..4].parse().unwrap();
                case["date"] = Value::String(format!("{}{}", year + year_shift, &date[4..]));
            }
            lines.push(case.to_string());
        }
    }
    let path = std::env::temp_dir().join(format!("polc-round-{}-{name}.jsonl", std::process::id()));
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn commit_command(ledger: &str, round: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_polc"));
    command
        .args(["run", "policies/chengdu-ai-2024.pol"])
        .arg(round)
        .args(["--ledger", ledger, "--commit", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

fn a_commit_killed_at_any_point_leaves_the_ledger_as_it_was(db: Db) {
    let first = big_round("kill-first", 2, -1);
    let round = big_round("kill", 150, 0);
    // The uninterrupted history: a first round, then the round.
    let reference_ledger = Fresh::new(db, "kill-reference");
    let reference = reference_ledger.location.clone();
    commit_command(&reference, &first).status().unwrap();
    commit_command(&reference, &round).status().unwrap();
    let expected = held(&mut Ledger::open(&reference).unwrap());
    let path_ledger = Fresh::new(db, "kill");
    let path = path_ledger.location.clone();
    commit_command(&path, &first).status().unwrap();
    let before = held(&mut Ledger::open(&path).unwrap());
    assert!(expected.len() > before.len() + 1000);
    // SIGKILL the commit of the round at several points; each time the ledger is as it was
    // (or, once the kill comes too late, holds the whole round).
    let mut killed_midway = 0;
    for delay_ms in [5, 20, 60, 120, 250, 400, 700, 1000, 1500] {
        let mut child = commit_command(&path, &round).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().ok();
        child.wait().unwrap();
        let mut ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.verify().unwrap(), Vec::<String>::new(), "after a kill at {delay_ms} ms");
        let now = held(&mut ledger);
        if now == before {
            killed_midway += 1;
            continue;
        }
        assert_eq!(now, expected, "a partial commit after a kill at {delay_ms} ms");
        break;
    }
    assert!(killed_midway > 0, "no kill landed before the commit finished");
    // Committing the round again gives the uninterrupted result.
    commit_command(&path, &round).status().unwrap();
    assert_eq!(held(&mut Ledger::open(&path).unwrap()), expected);
}

fn two_processes_committing_at_once_are_serialised(db: Db) {
    // Rounds long enough that the second starts while the first decides.
    let round_a = big_round("concurrent-a", 120, 0);
    let round_b = big_round("concurrent-b", 120, 0);
    // The two serial orders, each on its own ledger.
    let serial = |first: &std::path::Path, second: &std::path::Path, name: &str| {
        let path_ledger = Fresh::new(db, name);
        let path = path_ledger.location.clone();
        commit_command(&path, first).status().unwrap();
        commit_command(&path, second).status().unwrap();
        held(&mut Ledger::open(&path).unwrap())
    };
    let a_then_b = serial(&round_a, &round_b, "serial-ab");
    let b_then_a = serial(&round_b, &round_a, "serial-ba");
    let path_ledger = Fresh::new(db, "concurrent");
    let path = path_ledger.location.clone();
    drop(Ledger::open(&path).unwrap());
    let mut a = commit_command(&path, &round_a).spawn().unwrap();
    let mut b = commit_command(&path, &round_b).spawn().unwrap();
    a.wait().unwrap();
    b.wait().unwrap();
    let mut ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    let together = held(&mut ledger);
    // One commit went first: no once-key was used twice, no cap overspent.
    assert_ne!(a_then_b, b_then_a, "the rounds compete for once-keys and caps");
    assert!(together == a_then_b || together == b_then_a, "{} awards", together.len());
}

fn a_revoked_award_frees_its_cap_but_keeps_its_once_key(db: Db) {
    let policy = chengdu();
    let cases = chengdu_cases();
    let case = |id: &str| cases.iter().find(|case| case["id"] == id).cloned().unwrap();
    let path_ledger = Fresh::new(db, "revoke");
    let path = path_ledger.location.clone();
    let mut ledger = Ledger::open(&path).unwrap();
    // EX-14 (600,000 of a 100万 yearly cap) and EX-09 (clause 5.2, paid once per key).
    decide(&mut ledger, &policy, &[case("EX-14"), case("EX-09")], true);
    assert_eq!(ledger.revoke(&policy.title, "EX-14", None, "clawed back", "test").unwrap(), 1);
    assert_eq!(ledger.revoke(&policy.title, "EX-09", Some("5.2"), "clawed back", "test").unwrap(), 1);
    // Nothing twice, and nothing unknown: errors that change nothing.
    assert!(matches!(ledger.revoke(&policy.title, "EX-14", None, "again", "test"), Err(LedgerError::Unknown(_))));
    assert!(matches!(ledger.revoke(&policy.title, "NO-SUCH", None, "x", "test"), Err(LedgerError::Unknown(_))));
    let result = decide(&mut ledger, &policy, &[case("EX-15"), case("EX-16")], true);
    let amounts: Vec<String> =
        result.awards.iter().map(|award| polc::money::format_yuan(award.amount().unwrap())).collect();
    // EX-15 gets its whole 600,000 (EX-14 no longer counts); EX-16's once-key is still used.
    assert_eq!(amounts, ["600000.00", "0.00"]);
    let totals = ledger.totals(&["recipient"]).unwrap();
    assert!(totals.iter().any(|row| row["recipient"] == "E113" && row["amount"] == "600000.00"), "{totals:?}");
    let register = ledger.awards().unwrap();
    let statuses: Vec<(&str, &str, &str)> = register
        .iter()
        .map(|award| {
            (award["case"].as_str().unwrap(), award["clause"].as_str().unwrap(), award["status"].as_str().unwrap())
        })
        .collect();
    // EX-09 keeps its other award (clause 6.1), which was not revoked. The register is in
    // the order decided: by run, then in batch order (date, then id).
    assert_eq!(
        statuses,
        [
            ("EX-09", "5.2", "revoked"),
            ("EX-09", "6.1", "decided"),
            ("EX-14", "10.1", "revoked"),
            ("EX-16", "5.2", "decided"),
            ("EX-15", "10.1", "decided")
        ]
    );
    // Nothing is deleted: each award's history has every event, the revocation with why.
    let first = register.iter().find(|award| award["case"] == "EX-14").unwrap();
    let events: Vec<&str> =
        first["history"].as_array().unwrap().iter().map(|event| event["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["decided", "revoked"]);
    assert_eq!(first["history"][1]["reason"], "clawed back");
    assert_eq!(first["history"][0]["amount"], "600000.00");
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
}

fn a_review_granted_later_is_what_caps_count_from_then_on(db: Db) {
    let policy = polc::check_source(include_str!("../policies/shapes/P22-review-outcomes.pol")).policy.unwrap();
    let line = |id: &str, date: &str| serde_json::json!({"id": id, "date": date, "applicant": "E1", "contract_amount": "500万"});
    let path_ledger = Fresh::new(db, "grant");
    let path = path_ledger.location.clone();
    let mut ledger = Ledger::open(&path).unwrap();
    decide(&mut ledger, &policy, &[line("A", "2025-03-01")], true);
    // Up to 150万 (30% of 500万), counted at its maximum by the yearly cap of 200万.
    let dry = decide(&mut ledger, &policy, &[line("B", "2025-04-01")], false);
    assert_eq!(dry.awards[0].amount().map(polc::money::format_yuan).as_deref(), Some("500000.00"));
    // Above the maximum, or of an unknown clause: errors that change nothing.
    let amount = |text: &str| polc::data::money_text(text).unwrap();
    assert!(matches!(ledger.grant(&policy.title, "A", "1.1", None, amount("151万")), Err(LedgerError::Unknown(_))));
    assert!(matches!(ledger.grant(&policy.title, "A", "9.9", None, amount("1万")), Err(LedgerError::Unknown(_))));
    ledger.grant(&policy.title, "A", "1.1", None, amount("50万")).unwrap();
    // Now the cap counts the 50万 granted: B may have its whole 150万.
    let after = decide(&mut ledger, &policy, &[line("B", "2025-04-01")], true);
    assert_eq!(after.awards[0].amount().map(polc::money::format_yuan).as_deref(), Some("1500000.00"));
    let shown = ledger.awards().unwrap();
    assert_eq!(
        (shown[0]["kind"].as_str(), shown[0]["amount"].as_str(), shown[0]["status"].as_str()),
        (Some("grant"), Some("500000.00"), Some("granted"))
    );
    let events: Vec<(&str, &str)> = shown[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| (event["event"].as_str().unwrap(), event["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(events, [("decided", "1500000.00"), ("granted", "500000.00")]);
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
}

fn a_pro_rata_pool_shares_what_earlier_rounds_left_and_reopens_nothing(db: Db) {
    let policy = polc::check_source(include_str!("../policies/shapes/P20-pro-rata-pool.pol")).policy.unwrap();
    let line = |id: &str, date: &str, amount: &str| serde_json::json!({"id": id, "date": date, "applicant": format!("E-{id}"), "contract_amount": amount});
    let path_ledger = Fresh::new(db, "pro-rata");
    let path = path_ledger.location.clone();
    let mut ledger = Ledger::open(&path).unwrap();
    // Round 1: 600万 asked of the year's 1000万 pool, all paid (20% of 1500万 is 300万 each).
    decide(&mut ledger, &policy, &[line("A", "2025-03-01", "1500万"), line("B", "2025-03-02", "1500万")], true);
    // Round 2: 600万 asked of the 400万 left: each scaled by 2/3; round 1 is not reopened.
    let round =
        decide(&mut ledger, &policy, &[line("C", "2025-06-01", "1500万"), line("D", "2025-06-02", "1500万")], true);
    let amounts: Vec<String> =
        round.awards.iter().map(|award| polc::money::format_yuan(award.amount().unwrap())).collect();
    assert_eq!(amounts, ["2000000.00", "2000000.00"]);
    assert!(round.revisions.is_empty());
    assert!(first_reason(&policy, &round).contains("4,000,000.00 left after committed rounds"));
    let held: Vec<Option<String>> =
        ledger.awards().unwrap().iter().map(|award| award["amount"].as_str().map(str::to_string)).collect();
    assert_eq!(
        held,
        [Some("3000000.00".into()), Some("3000000.00".into()), Some("2000000.00".into()), Some("2000000.00".into())]
    );
}

fn verify_finds_a_ledger_changed_behind_polcs_back(db: Db) {
    let policy = chengdu();
    let fresh = Fresh::new(db, "tampered");
    let mut ledger = fresh.open();
    decide(&mut ledger, &policy, &chengdu_cases(), true);
    drop(ledger);
    fresh.tamper(
        "UPDATE awards SET amount = '1' WHERE id = (SELECT min(id) FROM awards WHERE amount IS NOT NULL);
         DELETE FROM cases WHERE case_id = 'EX-01'",
    );
    let problems = fresh.open().verify().unwrap();
    assert_eq!(
        problems,
        [
            "run 1: 40 cases recorded, 41 expected".to_string(),
            "run 1: its awards do not add up to its total 35668672.79".to_string()
        ]
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(["ledger", "verify", &fresh.location])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

/// Commits `cases` in rounds, in batch order (by date, then id), cut at the given
/// positions, and returns what the ledger then holds.
fn committed_in_rounds(
    db: Db,
    name: &str,
    policy: &Policy,
    cases: &[Value],
    cuts: &[usize],
) -> BTreeMap<(String, String, String), Option<String>> {
    let fresh = Fresh::new(db, name);
    let mut ledger = fresh.open();
    let mut sorted = cases.to_vec();
    let order =
        |case: &Value| (case["date"].as_str().unwrap_or("").to_string(), case["id"].as_str().unwrap_or("").to_string());
    sorted.sort_by_key(order);
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&sorted.len())) {
        let cut = cut.clamp(start, sorted.len());
        decide(&mut ledger, policy, &sorted[start..cut], true);
        start = cut;
    }
    assert_eq!(ledger.verify().unwrap(), Vec::<String>::new());
    held(&mut ledger)
}

/// Every shape policy but the pro-rata pool (which by nature shares money within a round):
/// the cases of each of its worked examples cut into two rounds before each case in turn,
/// and into a round per case.
fn every_shape_split_into_rounds_decides_as_one_run(db: Db) {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shapes");
    let mut policies: Vec<_> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "pol"))
        .collect();
    policies.sort();
    let mut splits = 0;
    for path in policies {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("pro rata") {
            continue;
        }
        let policy = polc::check_source(&text).policy.unwrap();
        let number = path.file_name().unwrap().to_string_lossy()[..3].to_string();
        let examples: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("examples.json")).unwrap()).unwrap();
        for (example_index, example) in examples["examples"].as_array().unwrap().iter().enumerate() {
            let cases: Vec<Value> = example["cases"].as_array().unwrap().clone();
            let number = format!("{number}-{example_index}");
            let whole = one_run(&policy, &cases);
            // Two rounds cut at every case in turn, and a round per case.
            for cut in 1..cases.len() {
                let rounds = committed_in_rounds(db, &format!("{number}-{cut}"), &policy, &cases, &[cut]);
                assert_eq!(rounds, whole, "{number} cut before its case {cut} in batch order");
                splits += 1;
            }
            let every: Vec<usize> = (1..cases.len()).collect();
            assert_eq!(committed_in_rounds(db, &format!("{number}-every"), &policy, &cases, &every), whole, "{number}");
        }
    }
    assert!(splits >= 40, "{splits}");
}

/// Generated Chengdu batches: the example cases drawn again with new ids, dates across the
/// policy's years, and applicants and projects from a small pool, so that once-keys,
/// classes and yearly caps collide across rounds.
fn generated_chengdu_batches_split_into_rounds_decide_as_one_run(db: Db) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let policy = chengdu();
    let examples = chengdu_cases();
    let count = examples.len();
    let case = (0..count, 0u32..3, 1u32..13, 1u32..29, 0usize..3, 0usize..3);
    let batch = (proptest::collection::vec(case, 1..40), 0usize..40, 0usize..40);
    let runs = match db {
        Db::Sqlite => 40,
        // A database is created for each.
        Db::Postgres => 16,
    };
    let mut runner = TestRunner::new(Config { cases: runs, failure_persistence: None, ..Config::default() });
    let counter = std::cell::Cell::new(0);
    runner
        .run(&batch, |(drawn, first, second)| {
            counter.set(counter.get() + 1);
            let cases: Vec<Value> = drawn
                .iter()
                .enumerate()
                .map(|(index, &(example, year, month, day, applicant, project))| {
                    let mut case = examples[example].clone();
                    case["id"] = Value::String(format!("G{index}"));
                    case["date"] = Value::String(format!("{}-{month:02}-{day:02}", 2024 + year));
                    for (field, pool) in [("applicant", applicant), ("project", project)] {
                        if case.get(field).is_some() {
                            case[field] = Value::String(format!("{field}-{pool}"));
                        }
                    }
                    case
                })
                .collect();
            let whole = one_run(&policy, &cases);
            let cuts = [first.min(second), first.max(second)];
            let rounds = committed_in_rounds(db, &format!("generated-{}", counter.get()), &policy, &cases, &cuts);
            prop_assert_eq!(rounds, whole);
            Ok(())
        })
        .unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..proptest::prelude::ProptestConfig::default() })]

    /// Any subset of the example cases, split by date at any point into two rounds (and
    /// the second split again), holds the awards of one run of the subset.
    #[test]
    fn any_split_into_rounds_decides_as_one_run(
        keep in proptest::collection::vec(proptest::prelude::any::<bool>(), 42),
        first in 0usize..43,
        second in 0usize..43,
    ) {
        let db = Db::Sqlite;
        let policy = chengdu();
        let cases: Vec<Value> = chengdu_cases().into_iter().zip(&keep).filter(|(_, keep)| **keep).map(|(case, _)| case).collect();
        let whole = one_run(&policy, &cases);
        let path_ledger = Fresh::new(db, &format!("split-{first}-{second}-{}", keep.iter().filter(|k| **k).count()));
    let path = path_ledger.location.clone();
        let mut ledger = Ledger::open(&path).unwrap();
        // Boundaries at case dates, so that every round is dated on or after the one before.
        let date_at = |index: usize| cases.get(index).and_then(|case| case["date"].as_str()).unwrap_or("9999-12-31").to_string();
        let (low, high) = (date_at(first.min(second)), date_at(first.max(second)));
        let rounds: [Vec<Value>; 3] = [
            cases.iter().filter(|case| case["date"].as_str().unwrap() < low.as_str()).cloned().collect(),
            cases.iter().filter(|case| (low.as_str()..high.as_str()).contains(&case["date"].as_str().unwrap())).cloned().collect(),
            cases.iter().filter(|case| case["date"].as_str().unwrap() >= high.as_str()).cloned().collect(),
        ];
        for round in &rounds {
            decide(&mut ledger, &policy, round, true);
        }
        proptest::prop_assert_eq!(held(&mut ledger), whole);
    }
}

/// The reason of the first award's first adjustment, as a result writes it.
fn first_reason(policy: &Policy, result: &polc::eval::BatchResult) -> String {
    let award = &result.awards[0];
    polc::render::why::Wording::new(policy).reason(&result.cases, award, &award.adjustments()[0])
}
