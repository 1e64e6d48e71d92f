//! The award ledger: what earlier rounds decided, kept in SQLite (a file, created on
//! first use) or in a PostgreSQL database a department shares, so that a policy run over
//! many rounds decides as one run over all of them.
//!
//! Input: a ledger location and a checked policy. Output: the history as the cross-case
//! rules read it ([`crate::eval::Prior`]), and, on commit, the run recorded in one transaction. Nothing
//! is ever deleted: a committed award that a later round changes (a higher award of its
//! class) gains a revision row.

use crate::check::checked::Policy;
use crate::data::{Fact, TextPool};
use crate::eval::{
    self, Adjustment, AwardKeys, AwardRecord, BatchResult, CapKey, CaseSummary, CommittedAward, Counted, Decided,
    ExternalAward, InstalmentKey, KeyId, KeyTable, KeyValues, Pending, Prior, RuleRef,
};
use crate::money::{self, Date};
pub use import::{read_external_awards, ImportError};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use store::{Param, Store};

mod import;
mod store;

/// The schema this polc writes. An older ledger is migrated; a newer one is refused.
pub const SCHEMA_VERSION: i64 = 3;

/// Why a ledger cannot be used. Nothing was changed.
///
/// ```
/// let directory = tempfile::tempdir()?;
/// let path = directory.path().join("notes.txt");
/// std::fs::write(&path, "not a database, but long enough to have looked like a header")?;
/// let error = polc::Ledger::open(path.to_str().unwrap()).err().unwrap();
/// assert!(matches!(error, polc::LedgerError::NotALedger(_)));
/// assert_eq!(miette::Diagnostic::code(&error).unwrap().to_string(), "E0906");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub enum LedgerError {
    /// The file exists but is not a polc ledger.
    NotALedger(String),
    /// Written by a newer polc.
    Newer { found: i64 },
    /// The database refused, or cannot be reached: the message says why.
    Database(String),
    /// A case, run or award the ledger does not hold.
    Unknown(String),
    /// An imported file's row is not an award: the line or row, and why.
    Import(String),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::NotALedger(why) => write!(f, "not a polc ledger: {why}"),
            LedgerError::Newer { found } => write!(
                f,
                "the ledger has schema version {found}, newer than this polc's {SCHEMA_VERSION}: use a newer polc"
            ),
            LedgerError::Database(why) => write!(f, "the ledger database: {why}"),
            LedgerError::Unknown(what) | LedgerError::Import(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for LedgerError {}

/// Code E0906 for a ledger that cannot be used, E0907 for a change it refused.
impl miette::Diagnostic for LedgerError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        use crate::diag::failure::FailureKind;
        let kind = match self {
            LedgerError::Unknown(_) | LedgerError::Import(_) => FailureKind::Refused,
            _ => FailureKind::Ledger,
        };
        Some(Box::new(kind.id()))
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(error: rusqlite::Error) -> Self {
        match error {
            rusqlite::Error::SqliteFailure(failure, _) if failure.code == rusqlite::ErrorCode::NotADatabase => {
                LedgerError::NotALedger("the file is not a database".into())
            }
            other => LedgerError::Database(other.to_string()),
        }
    }
}

/// An open ledger: every committed round of every policy decided against it, in SQLite
/// (a file path) or PostgreSQL (a `postgres://` URL).
///
/// ```
/// let directory = tempfile::tempdir()?;
/// let location = directory.path().join("awards.sqlite");
/// let mut ledger = polc::Ledger::open(location.to_str().unwrap())?;
/// assert!(ledger.totals(&["recipient"])?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Ledger {
    store: Store,
}

/// What a decision against the ledger produced ([`crate::run_on_ledger`]).
///
/// ```
/// let policy = polc::compile("p09.pol", include_str!("../../policies/shapes/P09-exact-fraction.pol"))?;
/// let directory = tempfile::tempdir()?;
/// let mut ledger = polc::Ledger::open(directory.path().join("l.db").to_str().unwrap())?;
/// let cases = r#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "3"}"#;
/// let format = polc::InputFormat::JsonLines;
/// let dry = polc::run_on_ledger(&mut ledger, &policy, cases.as_bytes(), format.clone(), false)??;
/// assert_eq!((dry.run, dry.history_cases, dry.result.cases.len()), (None, 0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Decision {
    pub result: BatchResult,
    /// The run's id when it was committed.
    pub run: Option<u64>,
    /// How many committed cases the history held.
    pub history_cases: usize,
    /// Whether the whole history was read and replayed with the batch, rather than only
    /// what its rules counted (see [`Ledger::decide`]).
    pub whole_history: bool,
}

/// Each award as it stands now: the latest review grant, else the latest revision, else
/// what was committed; and whether it was revised, granted or revoked. The one place that
/// says which row wins.
macro_rules! standing_view {
    () => {
        "
CREATE VIEW standing AS
SELECT a.*,
       (SELECT count(*) FROM revisions r WHERE r.award_id = a.id) > 0 AS revised,
       (SELECT g.amount FROM grants g WHERE g.award_id = a.id ORDER BY g.id DESC LIMIT 1) AS granted,
       (SELECT v.reason FROM revocations v WHERE v.award_id = a.id) AS revoked_because,
       CASE
           WHEN EXISTS (SELECT 1 FROM grants g WHERE g.award_id = a.id)
               THEN (SELECT g.amount FROM grants g WHERE g.award_id = a.id ORDER BY g.id DESC LIMIT 1)
           WHEN EXISTS (SELECT 1 FROM revisions r WHERE r.award_id = a.id)
               THEN (SELECT r.amount FROM revisions r WHERE r.award_id = a.id ORDER BY r.id DESC LIMIT 1)
           ELSE a.amount
       END AS standing_amount
FROM awards a;
"
    };
}

/// Each schema version's changes, in order: a new ledger runs them all, an older one the
/// ones it lacks. Written once for both databases (`{id}` is each one's row id).
const MIGRATIONS: &[&str] = &[
    // 1: runs, cases, awards and what happened to them later.
    concat!(
        "
CREATE TABLE polc_schema (version BIGINT NOT NULL);
CREATE TABLE runs (
    id {id},
    policy TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    case_count BIGINT NOT NULL,
    award_count BIGINT NOT NULL,
    amount_total TEXT NOT NULL
);
CREATE TABLE cases (
    policy TEXT NOT NULL,
    case_id TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    date TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (policy, case_id)
);
CREATE TABLE awards (
    id {id},
    run_id BIGINT NOT NULL REFERENCES runs(id),
    policy TEXT NOT NULL,
    case_id TEXT NOT NULL,
    clause TEXT NOT NULL,
    recipient_index BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    computed TEXT,
    amount TEXT,
    keys TEXT NOT NULL,
    reasons TEXT NOT NULL
);
CREATE TABLE revisions (
    id {id},
    award_id BIGINT NOT NULL REFERENCES awards(id),
    run_id BIGINT NOT NULL REFERENCES runs(id),
    amount TEXT,
    reason TEXT NOT NULL
);
CREATE TABLE revocations (
    id {id},
    award_id BIGINT NOT NULL REFERENCES awards(id),
    revoked_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE grants (
    id {id},
    award_id BIGINT NOT NULL REFERENCES awards(id),
    amount TEXT NOT NULL,
    granted_at TEXT NOT NULL
);
CREATE INDEX awards_by_policy ON awards (policy, id);
",
        standing_view!()
    ),
    // 2: awards decided outside polc (other policies, other departments), imported.
    "
CREATE TABLE imports (
    id {id},
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    row_count BIGINT NOT NULL
);
CREATE TABLE external_awards (
    id {id},
    import_id BIGINT NOT NULL REFERENCES imports(id),
    line BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    date TEXT NOT NULL,
    amount TEXT NOT NULL,
    class_label TEXT NOT NULL,
    project TEXT,
    policy TEXT,
    case_id TEXT
);
",
    // 3: what each cross-case rule changed, so that a later round counts an award from
    // its keys and these amounts without replaying the whole history, and its case's date
    // (read with it, not looked up per award). The view is made again: PostgreSQL fixes a
    // view's columns when it is made. What happened to an award later is found by its id.
    // Awards are read in id order, a policy's among the others': an index on (policy, id)
    // repeated the policy's title in every entry, and writing it cost more than it saved.
    concat!(
        "
DROP VIEW standing;
ALTER TABLE awards ADD COLUMN changes TEXT;
ALTER TABLE awards ADD COLUMN case_date TEXT;
CREATE INDEX revisions_by_award ON revisions (award_id, id);
CREATE INDEX grants_by_award ON grants (award_id, id);
CREATE INDEX revocations_by_award ON revocations (award_id);
DROP INDEX awards_by_policy;
",
        standing_view!()
    ),
];

impl Ledger {
    /// Opens the ledger at `location` — a file path (SQLite) or a `postgres://` URL —
    /// creating its schema on first use and migrating an older one.
    pub fn open(location: &str) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger { store: Store::open(location)? };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// The schema version the database holds: `None` for an empty database.
    fn schema_version(store: &mut Store) -> Result<Option<i64>, LedgerError> {
        let tables = store.table_names()?;
        if !tables.iter().any(|table| table == "polc_schema") {
            if tables.is_empty() {
                return Ok(None);
            }
            return Err(LedgerError::NotALedger("the database has tables, but no polc schema".into()));
        }
        match store.query_int("SELECT max(version) FROM polc_schema", &[]) {
            Ok(Some(version)) if version >= 1 => Ok(Some(version)),
            _ => Err(LedgerError::NotALedger("its schema version is unreadable".into())),
        }
    }

    fn migrate(&mut self) -> Result<(), LedgerError> {
        match Self::schema_version(&mut self.store)? {
            Some(SCHEMA_VERSION) => return Ok(()),
            Some(found) if found > SCHEMA_VERSION => return Err(LedgerError::Newer { found }),
            _ => {}
        }
        // Looked at again under the write lock: another process may have just migrated it.
        self.store.transaction(true, |store| {
            let found = Self::schema_version(store)?.unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(LedgerError::Newer { found });
            }
            let missing = MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(usize::MAX));
            for (version, migration) in (found + 1..).zip(missing) {
                store.batch(migration)?;
                store.execute("INSERT INTO polc_schema (version) VALUES (?1)", &[Param::Int(version)])?;
            }
            Ok(())
        })
    }

    /// Decides a batch after the policy's history and, with `commit`, records what it
    /// decided. `evaluate` reads and evaluates the batch's cases, told which case ids are
    /// decided already; the cross-case rules then start from what the history counted
    /// (the rules' keys and running sums, read in one pass without holding the awards),
    /// or, when that cannot say enough, replay the whole history with the batch. Reading
    /// the history and writing the run are one transaction, which holds the ledger's
    /// write lock throughout when committing: two commits are serialised, and a commit
    /// killed at any point leaves the ledger as it was.
    pub fn decide<E>(
        &mut self,
        policy: &Policy,
        commit: bool,
        evaluate: impl FnOnce(&Decided) -> Result<Pending, E>,
    ) -> Result<Result<Decision, E>, LedgerError> {
        let decided = self.decide_alongside(policy, commit, evaluate, |_| ())?;
        Ok(decided.map(|(decision, ())| decision))
    }

    /// [`Ledger::decide`], running `alongside` on the decided result (on another thread)
    /// while the run is written: a caller renders its report meanwhile, and shows it only
    /// once the commit holds.
    pub fn decide_alongside<E, T: Send>(
        &mut self,
        policy: &Policy,
        commit: bool,
        evaluate: impl FnOnce(&Decided) -> Result<Pending, E>,
        alongside: impl FnOnce(&BatchResult) -> T + Send,
    ) -> Result<Result<(Decision, T), E>, LedgerError> {
        self.store.transaction(commit, |store| {
            let (decided, latest) = read_decided(store, policy)?;
            let history_cases = decided.len();
            let pending = match evaluate(&decided) {
                Ok(pending) => pending,
                Err(error) => return Ok(Err(error)),
            };
            drop(decided);
            let external: Vec<ExternalAward> = read_external(store)?.into_iter().map(|(_, award)| award).collect();
            let counted = if one_version(store, policy)? { read_counted(store, policy)? } else { None };
            let pending = match counted {
                Some(counted) => eval::finish_counted(policy, pending, &external, counted),
                None => Err(Box::new(pending)),
            };
            let whole_history = pending.is_err();
            let mut result = match pending {
                Ok(result) => result,
                Err(pending) => eval::finish(policy, *pending, Some(read_history(store, policy, external)?)),
            };
            confirm_already_decided(store, policy, &mut result)?;
            result.ledger_notes = ledger_notes(store, policy, latest, &result)?;
            // A round with nothing new (every case already decided) writes nothing at all.
            let anything_new = !result.cases.is_empty() || !result.revisions.is_empty();
            let (run, beside) = std::thread::scope(|scope| {
                let decided = &result;
                let beside = scope.spawn(move || alongside(decided));
                let run = if commit && anything_new { Some(write_run(store, policy, decided)) } else { None };
                let beside = beside.join().map_err(|_| LedgerError::Database("the report failed".into()));
                (run.transpose(), beside)
            });
            Ok(Ok((Decision { result, run: run?, history_cases, whole_history }, beside?)))
        })
    }

    /// Claws back the committed awards of a case (of one clause, when given): each gains a
    /// revocation row; from then on it counts toward no cap or class and pays nothing, but
    /// its once-key stays used. Returns how many awards were revoked; an unknown case, or a
    /// clause with no award in it, is an error and changes nothing.
    pub fn revoke(
        &mut self,
        policy: &str,
        case: &str,
        clause: Option<&str>,
        reason: &str,
        by: &str,
    ) -> Result<usize, LedgerError> {
        self.store.transaction(true, |store| {
            let known = store
                .query_int(
                    "SELECT count(*) FROM cases WHERE policy = ?1 AND case_id = ?2",
                    &[policy.into(), case.into()],
                )?
                .unwrap_or(0);
            if known == 0 {
                return Err(LedgerError::Unknown(format!("no committed case `{case}` of policy \"{policy}\"")));
            }
            let revoked = store.execute(
                "INSERT INTO revocations (award_id, revoked_at, revoked_by, reason)
                 SELECT a.id, {now}, ?4, ?5 FROM awards a
                 WHERE a.policy = ?1 AND a.case_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR a.clause = ?3)
                   AND NOT EXISTS (SELECT 1 FROM revocations v WHERE v.award_id = a.id)",
                &[policy.into(), case.into(), clause.into(), by.into(), reason.into()],
            )?;
            if revoked == 0 {
                let what = clause.map_or(String::new(), |clause| format!(" of clause {clause}"));
                return Err(LedgerError::Unknown(format!("case `{case}` has no award{what} left to revoke")));
            }
            Ok(usize::try_from(revoked).unwrap_or(usize::MAX))
        })
    }

    /// Records a review panel's outcome for a committed `up_to` or `range` award: from then
    /// on it is a grant of `amount`, which caps and classes count. Above the award's
    /// maximum (its amount when committed), or for an award of another kind, it is an
    /// error and changes nothing.
    pub fn grant(
        &mut self,
        policy: &str,
        case: &str,
        clause: &str,
        recipient: Option<&str>,
        amount: Decimal,
    ) -> Result<(), LedgerError> {
        self.store.transaction(true, |store| {
            let mut found: Vec<(i64, String, Option<String>)> = Vec::new();
            store.query(
                "SELECT id, kind, computed FROM awards
                 WHERE policy = ?1 AND case_id = ?2 AND clause = ?3 AND (CAST(?4 AS TEXT) IS NULL OR recipient = ?4)",
                &[policy.into(), case.into(), clause.into(), recipient.into()],
                |row| {
                    found.push((row.int(0)?, row.text(1)?, row.optional_text(2)?));
                    Ok(())
                },
            )?;
            let (award, kind, maximum) = match found.as_slice() {
                [only] => only.clone(),
                [] => {
                    return Err(LedgerError::Unknown(format!(
                        "case `{case}` has no committed award of clause {clause}"
                    )))
                }
                _ => {
                    return Err(LedgerError::Unknown(format!(
                        "case `{case}` has several awards of clause {clause}: name the recipient"
                    )))
                }
            };
            if kind != "up_to" && kind != "range" {
                return Err(LedgerError::Unknown(format!(
                    "the award is a `{kind}`: only `up_to` and `range` are granted"
                )));
            }
            let maximum = maximum.and_then(|maximum| maximum.parse::<Decimal>().ok()).unwrap_or_default();
            if amount > maximum {
                return Err(LedgerError::Unknown(format!(
                    "{} is above the award's maximum of {}",
                    money::format_yuan(amount),
                    money::format_yuan(maximum)
                )));
            }
            let amount = exact_text(amount);
            store.execute(
                "INSERT INTO grants (award_id, amount, granted_at) VALUES (?1, ?2, {now})",
                &[Param::Int(award), amount.as_str().into()],
            )?;
            Ok(())
        })
    }

    /// Records awards decided outside polc, from `source` (another policy, another
    /// department), in one transaction. Returns how many were imported.
    pub fn import(&mut self, source: &str, awards: &[ExternalAward]) -> Result<usize, LedgerError> {
        self.store.transaction(true, |store| {
            let count = i64::try_from(awards.len()).unwrap_or(i64::MAX);
            let import = store
                .query_int(
                    "INSERT INTO imports (source, imported_at, row_count) VALUES (?1, {now}, ?2) RETURNING id",
                    &[source.into(), Param::Int(count)],
                )?
                .ok_or_else(|| LedgerError::Database("the new import has no id".into()))?;
            let texts: Vec<(String, String)> =
                awards.iter().map(|award| (award.date.to_string(), exact_text(award.amount))).collect();
            store.insert_rows(
                "external_awards",
                &[("import_id", Param::Int(import))],
                &["line", "recipient", "date", "amount", "class_label", "project", "policy", "case_id"],
                awards.iter().zip(&texts).map(|(award, (date, amount))| {
                    [
                        Param::Int(i64::try_from(award.line).unwrap_or(i64::MAX)),
                        award.recipient.as_str().into(),
                        date.as_str().into(),
                        amount.as_str().into(),
                        award.class_label.as_str().into(),
                        award.project.as_deref().into(),
                        award.policy.as_deref().into(),
                        award.case_id.as_deref().into(),
                    ]
                }),
            )?;
            Ok(awards.len())
        })
    }

    /// Every imported award, with its import's source, in date order.
    pub fn external_awards(&mut self) -> Result<Vec<(String, ExternalAward)>, LedgerError> {
        self.store.transaction(false, |store| read_external(store).map(|awards| awards.into_iter().collect()))
    }

    /// Sums of what stands (revoked awards count nothing) per the given groups: any of
    /// `recipient`, `year`, `clause`, `policy`. See [`crate::run_on_ledger`] for one
    /// with awards in it.
    pub fn totals(&mut self, by: &[&str]) -> Result<Vec<Value>, LedgerError> {
        let mut sums: std::collections::BTreeMap<Vec<String>, Decimal> = std::collections::BTreeMap::new();
        // The sums need what stands, not how each award came to stand.
        for award in self.register(false)? {
            let field = |name: &str| award.get(name).cloned().unwrap_or(Value::Null);
            if field("status") == "revoked" {
                continue;
            }
            let Some(amount) = field("amount").as_str().and_then(|amount| amount.parse::<Decimal>().ok()) else {
                continue;
            };
            let key: Vec<String> = by
                .iter()
                .map(|group| match (*group, field(group)) {
                    ("year", _) => field("date").as_str().unwrap_or_default().get(..4).unwrap_or_default().to_string(),
                    (_, Value::String(text)) => text,
                    (_, other) => other.to_string(),
                })
                .collect();
            let sum = sums.entry(key).or_default();
            *sum = sum.checked_add(amount).ok_or_else(|| LedgerError::Database("a total overflows".into()))?;
        }
        Ok(sums
            .into_iter()
            .map(|(key, sum)| {
                let mut row = serde_json::Map::new();
                for (group, value) in by.iter().zip(key) {
                    row.insert((*group).to_string(), Value::String(value));
                }
                row.insert("amount".into(), Value::String(money::format_yuan(sum)));
                Value::Object(row)
            })
            .collect())
    }

    /// Every committed award with its run, case, clause, recipient, amount (after any
    /// revision) and status, in the order committed.
    pub fn awards(&mut self) -> Result<Vec<Value>, LedgerError> {
        self.register(true)
    }

    /// The committed awards as they stand; `with_history` adds each one's events.
    fn register(&mut self, with_history: bool) -> Result<Vec<Value>, LedgerError> {
        let mut awards = Vec::new();
        self.store.transaction(false, |store| {
            let mut events = if with_history { award_events(store)? } else { HashMap::new() };
            store.query(
                "SELECT s.id, s.run_id, s.policy, s.case_id, s.clause, s.recipient, s.kind, s.standing_amount,
                        s.revised, s.revoked_because, c.date, s.granted, s.amount
                 FROM standing s JOIN cases c ON c.policy = s.policy AND c.case_id = s.case_id ORDER BY s.id",
                &[],
                |row| {
                    let revised = row.flag(8)?;
                    let granted = row.optional_text(11)?;
                    // Stored with every digit; shown in yuan to the fen.
                    let amount =
                        row.optional_text(7)?.and_then(|amount| amount.parse::<Decimal>().ok()).map(money::format_yuan);
                    let revocation = row.optional_text(9)?;
                    let status = match (&revocation, &granted, revised) {
                        (Some(_), _, _) => "revoked",
                        (None, Some(_), _) => "granted",
                        (None, None, false) => "decided",
                        (None, None, true) => "revised",
                    };
                    // What happened to it, in order: committed, then every revision,
                    // grant and revocation (nothing is ever overwritten).
                    let mut award = json!({
                        "run": row.int(1)?,
                        "policy": row.text(2)?,
                        "case": row.text(3)?,
                        "date": row.text(10)?,
                        "clause": row.text(4)?,
                        "recipient": row.text(5)?,
                        "kind": if granted.is_some() { "grant".to_string() } else { row.text(6)? },
                        "amount": amount,
                        "status": status,
                        "revoked_because": revocation,
                    });
                    if !with_history {
                        awards.push(award);
                        return Ok(());
                    }
                    let mut history = vec![json!({
                        "event": "decided",
                        "run": row.int(1)?,
                        "amount": row.optional_text(12)?.and_then(|amount| amount.parse::<Decimal>().ok()).map(money::format_yuan),
                    })];
                    history.extend(events.remove(&row.int(0)?).unwrap_or_default().into_iter().map(|(_, event)| event));
                    if let Value::Object(fields) = &mut award {
                        fields.insert("history".into(), Value::Array(history));
                    }
                    awards.push(award);
                    Ok(())
                },
            )
        })?;
        Ok(awards)
    }

    /// What is wrong with the ledger, if anything: every run's stored counts and totals
    /// against its rows.
    pub fn verify(&mut self) -> Result<Vec<String>, LedgerError> {
        self.store.transaction(false, |store| {
            let mut problems = Vec::new();
            let mut runs: Vec<(i64, i64, i64, String)> = Vec::new();
            store.query("SELECT id, case_count, award_count, amount_total FROM runs ORDER BY id", &[], |row| {
                runs.push((row.int(0)?, row.int(1)?, row.int(2)?, row.text(3)?));
                Ok(())
            })?;
            for (run, case_count, award_count, total) in runs {
                let cases =
                    store.query_int("SELECT count(*) FROM cases WHERE run_id = ?1", &[Param::Int(run)])?.unwrap_or(0);
                let mut amounts: Vec<Option<String>> = Vec::new();
                store.query("SELECT amount FROM awards WHERE run_id = ?1", &[Param::Int(run)], |row| {
                    amounts.push(row.optional_text(0)?);
                    Ok(())
                })?;
                let sum = amounts
                    .iter()
                    .flatten()
                    .map(|amount| amount.parse::<Decimal>().ok())
                    .try_fold(Decimal::ZERO, |sum, amount| sum.checked_add(amount?));
                if cases != case_count {
                    problems.push(format!("run {run}: {cases} cases recorded, {case_count} expected"));
                }
                if i64::try_from(amounts.len()).ok() != Some(award_count) {
                    problems.push(format!("run {run}: {} awards recorded, {award_count} expected", amounts.len()));
                }
                if sum.map(money::format_yuan).as_deref() != Some(total.as_str()) {
                    problems.push(format!("run {run}: its awards do not add up to its total {total}"));
                }
            }
            let mut imports: Vec<(i64, i64)> = Vec::new();
            store.query("SELECT id, row_count FROM imports ORDER BY id", &[], |row| {
                imports.push((row.int(0)?, row.int(1)?));
                Ok(())
            })?;
            for (import, row_count) in imports {
                let rows = store
                    .query_int("SELECT count(*) FROM external_awards WHERE import_id = ?1", &[Param::Int(import)])?
                    .unwrap_or(0);
                if rows != row_count {
                    problems.push(format!("import {import}: {rows} awards recorded, {row_count} expected"));
                }
            }
            Ok(problems)
        })
    }
}

/// What deciding this batch after the history means beyond the awards: the policy differs
/// from the version the last run of it used (amended), or a case is dated before a
/// committed one (the ledger's decisions stand; it is decided after them).
fn ledger_notes(
    store: &mut Store,
    policy: &Policy,
    latest: Option<LatestCase>,
    result: &BatchResult,
) -> Result<Vec<String>, LedgerError> {
    let mut notes = Vec::new();
    let mut last: Option<(i64, String)> = None;
    store.query(
        "SELECT id, policy_version FROM runs WHERE policy = ?1 ORDER BY id DESC LIMIT 1",
        &[policy.title.as_str().into()],
        |row| {
            last = Some((row.int(0)?, row.text(1)?));
            Ok(())
        },
    )?;
    let version = policy_version(policy);
    if let Some((run, used)) = last.filter(|(_, used)| *used != version) {
        notes.push(format!(
            "the policy is amended: run {run} used version {used}, this is {version}; the history is read by this version"
        ));
    }
    if let Some((latest, latest_date, run)) = latest {
        for case in result.cases.iter().filter(|case| case.date < latest_date) {
            notes.push(format!(
                "case {} ({}) is dated before committed case {latest} ({latest_date}, run {run}): it is decided after the committed history",
                result.cases.id(case), case.date
            ));
        }
    }
    Ok(notes)
}

/// Per award: its revisions, grants and revocations as events, in the order they were
/// recorded (each table's rows in id order, merged by the time or run they carry).
fn award_events(store: &mut Store) -> Result<HashMap<i64, Vec<(String, Value)>>, LedgerError> {
    let mut events: HashMap<i64, Vec<(String, Value)>> = HashMap::new();
    let yuan = |text: Option<String>| text.and_then(|amount| amount.parse::<Decimal>().ok()).map(money::format_yuan);
    store.query(
        "SELECT v.award_id, v.run_id, v.amount, v.reason, r.committed_at FROM revisions v JOIN runs r ON r.id = v.run_id ORDER BY v.id",
        &[],
        |row| {
            let event = json!({"event": "revised", "run": row.int(1)?, "amount": yuan(row.optional_text(2)?), "reason": row.text(3)?});
            events.entry(row.int(0)?).or_default().push((row.text(4)?, event));
            Ok(())
        },
    )?;
    store.query("SELECT award_id, amount, granted_at FROM grants ORDER BY id", &[], |row| {
        let event = json!({"event": "granted", "amount": yuan(row.optional_text(1)?), "at": row.text(2)?});
        events.entry(row.int(0)?).or_default().push((row.text(2)?, event));
        Ok(())
    })?;
    store.query("SELECT award_id, revoked_at, revoked_by, reason FROM revocations ORDER BY id", &[], |row| {
        let event = json!({"event": "revoked", "at": row.text(1)?, "by": row.text(2)?, "reason": row.text(3)?});
        events.entry(row.int(0)?).or_default().push((row.text(1)?, event));
        Ok(())
    })?;
    for list in events.values_mut() {
        // A stable sort by time keeps each table's own order for rows of the same second.
        list.sort_by(|left, right| left.0.cmp(&right.0));
    }
    Ok(events)
}

fn read_external(store: &mut Store) -> Result<Vec<(String, ExternalAward)>, LedgerError> {
    let mut awards = Vec::new();
    store.query(
        "SELECT i.source, e.line, e.recipient, e.date, e.amount, e.class_label, e.project, e.policy, e.case_id
         FROM external_awards e JOIN imports i ON i.id = e.import_id ORDER BY e.date, e.id",
        &[],
        |row| {
            let date = row.text(3)?;
            let amount = row.text(4)?;
            let unreadable =
                |what: &str| LedgerError::NotALedger(format!("an imported award has an unreadable {what}"));
            awards.push((
                row.text(0)?,
                ExternalAward {
                    line: u64::try_from(row.int(1)?).unwrap_or_default(),
                    recipient: row.text(2)?,
                    date: Date::parse(&date).ok_or_else(|| unreadable("date"))?,
                    amount: amount.parse().map_err(|_| unreadable("amount"))?,
                    class_label: row.text(5)?,
                    project: row.optional_text(6)?,
                    policy: row.optional_text(7)?,
                    case_id: row.optional_text(8)?,
                },
            ));
            Ok(())
        },
    )?;
    Ok(awards)
}

/// A committed case's id, date and run.
type LatestCase = (String, Date, u64);

/// Every committed case id of the policy, with its round and a hash of its facts; and the
/// latest case (for the note on a case dated before it).
fn read_decided(store: &mut Store, policy: &Policy) -> Result<(Decided, Option<LatestCase>), LedgerError> {
    let mut decided = Decided::new();
    let mut latest: Option<LatestCase> = None;
    store.query(
        "SELECT case_id, run_id, date, fingerprint FROM cases WHERE policy = ?1",
        &[policy.title.as_str().into()],
        |row| {
            let (id, run, date, fingerprint) = (row.text(0)?, row.int(1)?, row.text(2)?, row.text(3)?);
            let round = u64::try_from(run).unwrap_or_default();
            let date = Date::parse(&date).ok_or_else(|| LedgerError::NotALedger(format!("case {id} has no date")))?;
            // The last of the latest date in batch order: the latest date, then run, then id.
            if latest.as_ref().is_none_or(|(latest_id, latest, latest_run)| {
                (date, round, id.as_str()) > (*latest, *latest_run, latest_id.as_str())
            }) {
                latest = Some((id.clone(), date, round));
            }
            decided.insert(id.into_boxed_str(), (round, eval::fingerprint_hash(&fingerprint)));
            Ok(())
        },
    )?;
    Ok((decided, latest))
}

/// Whether every run of the policy used this version of it: an amended one reads the
/// history afresh.
fn one_version(store: &mut Store, policy: &Policy) -> Result<bool, LedgerError> {
    let version = policy_version(policy);
    let amended = store.query_int(
        "SELECT count(*) FROM runs WHERE policy = ?1 AND policy_version <> ?2",
        &[policy.title.as_str().into(), version.as_str().into()],
    )?;
    Ok(amended.unwrap_or_default() == 0)
}

/// What the rules counted over the committed awards, read in batch order one award at a
/// time: only the rules' keys and sums are kept.
///
/// Awards are written in batch order, so id order is batch order across runs. A ledger
/// where it is not, or with an award that does not record what the rules changed or its
/// case's date (an older polc wrote it), gives `None`, and the history is replayed.
fn read_counted(store: &mut Store, policy: &Policy) -> Result<Option<Counted>, LedgerError> {
    let mut counted = Counted::new(policy);
    let mut countable = true;
    let mut last: Option<(u64, Date)> = None;
    let mut interned = TextPool::default();
    let clause_of: HashMap<&str, usize> =
        policy.clauses.iter().enumerate().map(|(index, clause)| (clause.id.as_str(), index)).collect();
    let mut case: Option<Arc<str>> = None;
    store.query(
        "SELECT id, case_id, run_id, case_date, clause, computed, standing_amount, keys,
                revoked_because IS NOT NULL, granted, revised, changes
         FROM standing WHERE policy = ?1 ORDER BY id",
        &[policy.title.as_str().into()],
        |row| {
            if !countable {
                return Ok(());
            }
            let (Some(date), Some(changes)) = (row.optional_text(3)?, row.optional_text(11)?) else {
                countable = false;
                return Ok(());
            };
            let case_id = row.text(1)?;
            let round = u64::try_from(row.int(2)?).unwrap_or_default();
            let date =
                Date::parse(&date).ok_or_else(|| LedgerError::NotALedger(format!("case {case_id} has no date")))?;
            if let (Some(last), Some(held)) = (last, &case) {
                if (round, date, case_id.as_str()) < (last.0, last.1, &**held) {
                    countable = false;
                    return Ok(());
                }
            }
            last = Some((round, date));
            // A case's awards come together: its id is held once for them.
            let case = match &case {
                Some(held) if **held == *case_id => held.clone(),
                _ => case.insert(Arc::from(case_id.as_str())).clone(),
            };
            // A clause the policy no longer has takes part in no rule of this version.
            let Some(&clause) = clause_of.get(row.text(4)?.as_str()) else { return Ok(()) };
            let decimal = |text: Option<String>| text.and_then(|text| text.parse::<Decimal>().ok());
            counted.add(
                policy,
                CommittedAward {
                    award_id: row.int(0)?,
                    case,
                    date,
                    round,
                    clause,
                    computed: decimal(row.optional_text(5)?),
                    standing: decimal(row.optional_text(6)?),
                    granted: decimal(row.optional_text(9)?),
                    revised: row.flag(10)?,
                    revoked: row.flag(8)?,
                    changes: decode_changes(&changes),
                    keys: decode_keys(&row.text(7)?, &mut interned),
                },
            );
            Ok(())
        },
    )?;
    Ok(countable.then_some(counted))
}

/// Cases of the batch found decided with the same facts: their facts are compared in full
/// (the history held only a hash of them), and each gains its committed awards.
fn confirm_already_decided(store: &mut Store, policy: &Policy, result: &mut BatchResult) -> Result<(), LedgerError> {
    if result.already_decided.is_empty() {
        return Ok(());
    }
    let position: HashMap<String, usize> =
        result.already_decided.iter().enumerate().map(|(index, decided)| (decided.id.clone(), index)).collect();
    let mut other_facts: Vec<usize> = Vec::new();
    store.query(
        "SELECT case_id, fingerprint FROM cases WHERE policy = ?1",
        &[policy.title.as_str().into()],
        |row| {
            let id = row.text(0)?;
            if let Some(&index) = position.get(&id) {
                let stored = row.text(1)?;
                if result.already_decided.get(index).is_some_and(|decided| decided.fingerprint != stored) {
                    other_facts.push(index);
                }
            }
            Ok(())
        },
    )?;
    store.query(
        "SELECT case_id, clause, recipient, standing_amount FROM standing WHERE policy = ?1 ORDER BY id",
        &[policy.title.as_str().into()],
        |row| {
            let Some(decided) = position.get(&row.text(0)?).and_then(|&index| result.already_decided.get_mut(index))
            else {
                return Ok(());
            };
            let amount = row.optional_text(3)?.and_then(|amount| amount.parse::<Decimal>().ok());
            decided.awards.push((row.text(1)?, Arc::from(row.text(2)?.as_str()), amount));
            Ok(())
        },
    )?;
    // Two different sets of facts with one hash: decided with other facts after all.
    other_facts.sort_unstable();
    for index in other_facts.into_iter().rev() {
        let decided = result.already_decided.remove(index);
        result.failed_records += 1;
        result.errors.push(eval::decided_with_other_facts(policy.lang, decided.id, decided.round, decided.location));
    }
    Ok(())
}

/// Every committed case and award of the policy, for a replay of the whole history.
fn read_history(store: &mut Store, policy: &Policy, external: Vec<ExternalAward>) -> Result<Prior, LedgerError> {
    let mut prior = Prior { external, ..Prior::default() };
    let mut case_index: HashMap<String, usize> = HashMap::new();
    store.query(
        "SELECT case_id, run_id, date FROM cases WHERE policy = ?1 ORDER BY run_id, date, case_id{bytes}",
        &[policy.title.as_str().into()],
        |row| {
            let (id, run, date) = (row.text(0)?, row.int(1)?, row.text(2)?);
            let round = u64::try_from(run).unwrap_or_default();
            let date = Date::parse(&date).ok_or_else(|| LedgerError::NotALedger(format!("case {id} has no date")))?;
            case_index.insert(id.clone(), prior.cases.len());
            let id = prior.cases.intern(&id);
            prior.cases.push(CaseSummary { id, date, round, gate_failure: None, first_award: 0, award_count: 0 });
            Ok(())
        },
    )?;
    // Awards, grouped by case in the cases' order. Their texts (recipients, key facts)
    // repeat across thousands of awards: each is held once.
    let mut interned = TextPool::default();
    let mut per_case: Vec<Vec<(i64, AwardRecord)>> = prior.cases.iter().map(|_| Vec::new()).collect();
    store.query(
        "SELECT id, case_id, clause, recipient_index, recipient, computed, standing_amount, keys,
                revoked_because IS NOT NULL, granted
         FROM standing WHERE policy = ?1 ORDER BY id",
        &[policy.title.as_str().into()],
        |row| {
            let award_id = row.int(0)?;
            let case_id = row.text(1)?;
            let clause_id = row.text(2)?;
            let revoked = row.flag(8)?;
            // A review's grant replaces the maximum: caps and classes count what was
            // granted (the standing amount is the grant already).
            let computed = row.optional_text(9)?.or(row.optional_text(5)?);
            let amount = row.optional_text(6)?;
            let Some(&case) = case_index.get(&case_id) else { return Ok(()) };
            // A clause the policy no longer has takes part in no rule of this version.
            let Some(clause) = policy.clauses.iter().position(|clause| clause.id == clause_id) else { return Ok(()) };
            let decimal = |text: Option<String>| text.and_then(|text| text.parse::<Decimal>().ok());
            let keys = AwardKeys::intern(decode_keys(&row.text(7)?, &mut interned), &mut prior.keys);
            let recipient_index = u32::try_from(row.int(3)?).unwrap_or(0);
            let recipient = interned.text(&row.text(4)?);
            let mut record = AwardRecord::new(
                clause,
                recipient_index,
                recipient,
                decimal(computed),
                Default::default(),
                Box::new([]),
                keys,
            );
            record.case_index = u32::try_from(case).unwrap_or(u32::MAX);
            // A revoked award pays nothing from then on.
            record.set_amount(if revoked { decimal(amount).map(|_| Decimal::ZERO) } else { decimal(amount) });
            if revoked {
                record.set_committed(eval::Committed { revoked, settled: None });
            }
            if let Some(list) = per_case.get_mut(case) {
                list.push((award_id, record));
            }
            Ok(())
        },
    )?;
    for (case, awards) in prior.cases.iter_mut().zip(per_case) {
        case.first_award = u32::try_from(prior.awards.len()).unwrap_or(u32::MAX);
        case.award_count = u32::try_from(awards.len()).unwrap_or(u32::MAX);
        for (id, award) in awards {
            prior.award_ids.push(id);
            prior.awards.push(award);
        }
    }
    Ok(prior)
}

/// The cases of a run, in id order: the index on (policy, case_id) then grows at its end,
/// page by page, instead of taking each case somewhere in the middle.
fn write_cases(store: &mut Store, policy: &Policy, result: &BatchResult, run: i64) -> Result<(), LedgerError> {
    let mut dates = Texts::default();
    for case in &result.cases {
        dates.add(|out| write_date(out, case.date));
    }
    let mut by_id: Vec<usize> = (0..result.cases.len()).collect();
    by_id.sort_by(|&left, &right| {
        let id = |index: usize| result.cases.get(index).map(|case| result.cases.id(case));
        id(left).cmp(&id(right))
    });
    store.insert_rows(
        "cases",
        &[("policy", policy.title.as_str().into()), ("run_id", Param::Int(run))],
        &["case_id", "date", "fingerprint"],
        by_id.into_iter().filter_map(|index| Some((index, result.cases.get(index)?))).map(|(index, case)| {
            let fingerprint = result.fingerprints.get(index).map_or("", String::as_str);
            [result.cases.id(case).into(), dates.get(index).into(), fingerprint.into()]
        }),
    )
}

/// Many short texts in one allocation, each found by its position: a run's rows refer to
/// millions, and a `String` each cost as much to allocate and free as to write.
#[derive(Default)]
struct Texts {
    text: String,
    ends: Vec<usize>,
}

impl Texts {
    /// Adds the text `write` appends; returns nothing, as texts are found by position.
    fn add(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    fn get(&self, index: usize) -> &str {
        let start = index.checked_sub(1).and_then(|before| self.ends.get(before)).copied().unwrap_or(0);
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or_default()
    }

    /// A text that may be absent: absent when empty (no amount is written as nothing).
    fn get_optional(&self, index: usize) -> Option<&str> {
        Some(self.get(index)).filter(|text| !text.is_empty())
    }
}

/// How many texts an award's row refers to: computed, amount, keys, reasons, changes.
const TEXTS_PER_AWARD: usize = 5;

/// A run's awards as rows are made of them: their cases in batch order (date, then id),
/// each case's date, and each award's texts in that order.
struct AwardRows<'r> {
    in_batch_order: Vec<&'r CaseSummary>,
    case_dates: Texts,
    texts: Texts,
}

/// Awards are written in batch order, so that the ledger's ids are batch order across
/// runs and a later round reads the history in id order.
fn award_texts<'r>(policy: &Policy, result: &'r BatchResult) -> AwardRows<'r> {
    let wording = crate::render::why::Wording::new(policy);
    let mut in_batch_order: Vec<&CaseSummary> = result.cases.iter().collect();
    in_batch_order.sort_by(|left, right| (left.date, result.cases.id(left)).cmp(&(right.date, result.cases.id(right))));
    let mut texts = Texts::default();
    for award in in_batch_order.iter().flat_map(|case| result.case_awards(case)) {
        texts.add(|out| award.computed().into_iter().for_each(|amount| write_exact(out, amount)));
        texts.add(|out| award.amount().into_iter().for_each(|amount| write_exact(out, amount)));
        texts.add(|out| encode_keys_into(&award.keys, &result.keys, out));
        texts.add(|out| {
            // Most awards have no adjustment: their reasons are the empty list, not built.
            if award.adjustments().is_empty() {
                out.push_str("[]");
            } else {
                let reasons: Vec<String> = wording.reasons(&result.cases, award).collect();
                out.push_str(&serde_json::to_string(&reasons).unwrap_or_default());
            }
        });
        texts.add(|out| encode_changes_into(award.adjustments(), out));
    }
    let mut case_dates = Texts::default();
    for case in &in_batch_order {
        case_dates.add(|out| write_date(out, case.date));
    }
    AwardRows { in_batch_order, case_dates, texts }
}

fn write_run(store: &mut Store, policy: &Policy, result: &BatchResult) -> Result<u64, LedgerError> {
    let total = result
        .awards
        .iter()
        .filter_map(|award| award.amount())
        .try_fold(Decimal::ZERO, |sum, amount| sum.checked_add(amount))
        .ok_or_else(|| LedgerError::Database("the run's awards overflow a total".into()))?;
    let version = policy_version(policy);
    let total = money::format_yuan(total);
    let run = store
        .query_int(
            "INSERT INTO runs (policy, policy_version, committed_at, case_count, award_count, amount_total)
             VALUES (?1, ?2, {now}, ?3, ?4, ?5) RETURNING id",
            &[
                policy.title.as_str().into(),
                version.as_str().into(),
                Param::Int(i64::try_from(result.cases.len()).unwrap_or(i64::MAX)),
                Param::Int(i64::try_from(result.awards.len()).unwrap_or(i64::MAX)),
                total.as_str().into(),
            ],
        )?
        .ok_or_else(|| LedgerError::Database("the new run has no id".into()))?;
    // The awards' texts are made on another thread while the cases are written.
    let (written, made) = std::thread::scope(|scope| {
        let made = scope.spawn(|| award_texts(policy, result));
        (write_cases(store, policy, result, run), made.join())
    });
    written?;
    let AwardRows { in_batch_order, case_dates, texts } =
        made.map_err(|_| LedgerError::Database("the awards' texts could not be made".into()))?;
    let case_dates = &case_dates;
    let awards = in_batch_order.iter().enumerate().flat_map(|(position, &case)| {
        result.case_awards(case).iter().map(move |award| (case, case_dates.get(position), award))
    });
    store.insert_rows(
        "awards",
        &[("run_id", Param::Int(run)), ("policy", policy.title.as_str().into())],
        &[
            "case_id",
            "clause",
            "recipient_index",
            "recipient",
            "kind",
            "computed",
            "amount",
            "keys",
            "reasons",
            "changes",
            "case_date",
        ],
        awards.enumerate().map(|(index, (case, case_date, award))| {
            let clause = policy.clauses.get(award.clause).map_or("?", |clause| clause.id.as_str());
            let text = |part: usize| texts.get(index * TEXTS_PER_AWARD + part);
            let optional = |part: usize| texts.get_optional(index * TEXTS_PER_AWARD + part);
            [
                result.cases.id(case).into(),
                clause.into(),
                Param::Int(i64::from(award.recipient_index)),
                (*award.recipient).into(),
                award.kind(policy).into(),
                optional(0).into(),
                optional(1).into(),
                text(2).into(),
                text(3).into(),
                text(4).into(),
                case_date.into(),
            ]
        }),
    )?;
    let revisions: Vec<(i64, Option<String>, String)> = result
        .revisions
        .iter()
        .map(|revision| (revision.award_id, revision.amount.map(exact_text), revision.reason.clone()))
        .collect();
    store.insert_rows(
        "revisions",
        &[("run_id", Param::Int(run))],
        &["award_id", "amount", "reason"],
        revisions.iter().map(|(award_id, amount, reason)| {
            [Param::Int(*award_id), amount.as_deref().into(), reason.as_str().into()]
        }),
    )?;
    Ok(u64::try_from(run).unwrap_or_default())
}

/// Whether a ledger location names a PostgreSQL database rather than a SQLite file.
pub fn is_url(location: &str) -> bool {
    Store::is_postgres_url(location)
}

/// A ledger location as messages show it: a URL's password is hidden.
pub fn shown_location(location: &str) -> String {
    if !is_url(location) {
        return if location == "-" { "<stdin>".to_string() } else { location.to_string() };
    }
    let Some((scheme, rest)) = location.split_once("://") else { return location.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        _ => location.to_string(),
    }
}

/// An amount as stored: every digit, so that it reads back as the same value.
fn exact_text(amount: Decimal) -> String {
    amount.to_string()
}

/// A date as stored (`YYYY-MM-DD`), appended to `out`.
fn write_date(out: &mut String, date: Date) {
    use std::fmt::Write as _;
    let _ = write!(out, "{date}");
}

/// [`exact_text`], appended to `out`.
fn write_exact(out: &mut String, amount: Decimal) {
    use std::fmt::Write as _;
    let _ = write!(out, "{amount}");
}

/// The version of a policy a run used: a stable hash (FNV-1a) of its checked form, so an
/// amended policy is told apart from the one an earlier run used.
pub fn policy_version(policy: &Policy) -> String {
    let text = format!("{policy:?}");
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What each cross-case rule changed, as stored (appended to `out`): `RULE=AMOUNT` per change, in order, space
/// separated (`-` for an award without an amount). A rule is `i` (instalments), `o`
/// (once), `y` (years), `hN` (history rule N), `cN` (class N) or `kN` (cap N). Most awards
/// have no change: the empty text.
fn encode_changes_into(adjustments: &[Adjustment], out: &mut String) {
    use std::fmt::Write as _;
    for (index, adjustment) in adjustments.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let _ = match adjustment.source {
            RuleRef::Instalments => write!(out, "i="),
            RuleRef::Once => write!(out, "o="),
            RuleRef::Years => write!(out, "y="),
            RuleRef::History(rule) => write!(out, "h{rule}="),
            RuleRef::Class(class) => write!(out, "c{class}="),
            RuleRef::Cap(cap) => write!(out, "k{cap}="),
        };
        match adjustment.to {
            Some(amount) => write_exact(out, amount),
            None => out.push('-'),
        }
    }
}

/// [`encode_changes_into`] read back; a change it cannot read is left out.
fn decode_changes(text: &str) -> Vec<(RuleRef, Option<Decimal>)> {
    text.split_ascii_whitespace()
        .filter_map(|change| {
            let (rule, amount) = change.split_once('=')?;
            let number = || rule.get(1..)?.parse::<usize>().ok();
            let rule = match rule.get(..1)? {
                "i" => RuleRef::Instalments,
                "o" => RuleRef::Once,
                "y" => RuleRef::Years,
                "h" => RuleRef::History(number()?),
                "c" => RuleRef::Class(number()?),
                "k" => RuleRef::Cap(number()?),
                _ => return None,
            };
            let amount = if amount == "-" { None } else { Some(amount.parse().ok()?) };
            Some((rule, amount))
        })
        .collect()
}

/// One entry of a key list: the rule's position, its key values, and a cap's relaxation.
type KeyEntry<'k> = (usize, Option<&'k [Fact]>, Option<bool>);

/// An award's keys as one JSON object, written by hand: a commit writes one per award,
/// and building `serde_json` values for them cost as much as SQLite's writing. Absent and
/// empty parts are left out; [`decode_keys`] reads both forms.
#[cfg(test)]
fn encode_keys(keys: &KeyValues) -> String {
    let mut table = KeyTable::new();
    let keys = AwardKeys::intern(keys.clone(), &mut table);
    let mut out = String::new();
    encode_keys_into(&keys, &table, &mut out);
    out
}

/// [`encode_keys`] of an award's keys, interned in `table`, appended to `out`.
fn encode_keys_into(keys: &AwardKeys, table: &KeyTable, out: &mut String) {
    use std::fmt::Write as _;
    let mut first = true;
    let mut field = |out: &mut String, name: &str| {
        out.push_str(if first { "{\"" } else { ",\"" });
        first = false;
        out.push_str(name);
        out.push_str("\":");
    };
    if let Some(once) = keys.once {
        field(out, "once");
        write_facts(out, Some(table.facts(once)));
    }
    if let Some(years) = keys.years() {
        field(out, "years");
        write_facts(out, Some(years));
    }
    if let Some(instalment) = keys.instalment() {
        field(out, "instalment");
        out.push('[');
        write_facts(out, instalment.key.as_deref());
        let _ = write!(out, ",{},{}]", instalment.reached, instalment.all_at_once);
    }
    // Each list without gathering its entries first: a commit writes a million.
    let mut list = |out: &mut String, name: &str, entries: &mut dyn Iterator<Item = KeyEntry<'_>>| {
        let mut entries = entries.peekable();
        if entries.peek().is_none() {
            return;
        }
        field(out, name);
        out.push('[');
        for (index, (position, key, relaxed)) in entries.enumerate() {
            if index > 0 {
                out.push(',');
            }
            let _ = write!(out, "[{position},");
            write_facts(out, key);
            if let Some(relaxed) = relaxed {
                let _ = write!(out, ",{relaxed}");
            }
            out.push(']');
        }
        out.push(']');
    };
    list(out, "history", &mut keys.history().iter().map(|(rule, key)| (*rule, key.as_deref(), None)));
    let facts = |key: Option<&KeyId>| key.map(|&id| table.facts(id));
    list(out, "classes", &mut keys.classes().map(|(class, key)| (class, facts(key), None)));
    list(out, "caps", &mut keys.caps().map(|cap| (cap.cap, facts(cap.key), Some(cap.relaxed))));
    out.push_str(if first { "{}" } else { "}" });
}

/// Key facts as a JSON array of encoded facts, or `null` for a missing key.
fn write_facts(out: &mut String, facts: Option<&[Fact]>) {
    let Some(facts) = facts else {
        out.push_str("null");
        return;
    };
    out.push('[');
    let mut encoded = String::new();
    for (index, fact) in facts.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        encoded.clear();
        fact.encode_into(&mut encoded);
        out.push('"');
        for character in encoded.chars() {
            match character {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                control if u32::from(control) < 0x20 => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "\\u{:04x}", u32::from(control));
                }
                other => out.push(other),
            }
        }
        out.push('"');
    }
    out.push(']');
}

/// An award's keys as stored: read into this typed form, not into `serde_json` values
/// (a history holds millions); the texts are borrowed where they have no escapes.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StoredKeys<'a> {
    #[serde(borrow)]
    once: Option<StoredFacts<'a>>,
    #[serde(borrow)]
    years: Option<StoredFacts<'a>>,
    #[serde(borrow)]
    instalment: Option<(Option<StoredFacts<'a>>, i64, bool)>,
    #[serde(borrow)]
    history: Vec<(usize, Option<StoredFacts<'a>>)>,
    #[serde(borrow)]
    classes: Vec<(usize, Option<StoredFacts<'a>>)>,
    #[serde(borrow)]
    caps: Vec<(usize, Option<StoredFacts<'a>>, bool)>,
}

type StoredFacts<'a> = Vec<std::borrow::Cow<'a, str>>;

/// Reads keys written by [`encode_keys`], or by the polc of schema version 1 (every part
/// present, `null` where absent). Texts are held once, in `interned`. A key with a fact
/// that does not read back is missing, as an unreadable fact would be.
fn decode_keys(text: &str, interned: &mut TextPool) -> KeyValues {
    let stored: StoredKeys<'_> = serde_json::from_str(text).unwrap_or_default();
    let mut facts = |stored: Option<StoredFacts<'_>>| -> Option<Vec<Fact>> {
        stored?
            .iter()
            .map(|fact| match fact.strip_prefix('t') {
                Some(text) => Some(Fact::Text(interned.text(text))),
                None => Fact::decode(fact),
            })
            .collect()
    };
    KeyValues::new(
        facts(stored.once),
        facts(stored.years),
        stored.instalment.map(|(key, reached, all_at_once)| InstalmentKey { key: facts(key), reached, all_at_once }),
        stored.history.into_iter().map(|(rule, key)| (rule, facts(key))).collect(),
        stored.classes.into_iter().map(|(class, key)| (class, facts(key))).collect(),
        stored.caps.into_iter().map(|(cap, key, relaxed)| CapKey { cap, key: facts(key), relaxed }).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys written by hand read back as they were, whatever the text of a fact.
    #[test]
    fn keys_read_back_as_written() {
        let texts = ["E1", "引号\"和\\反斜杠", "tab\there\nline", "\u{1}\u{1f}", "", "{\"once\":[]}"];
        for text in texts {
            let fact = |text: &str| Fact::Text(Arc::from(text));
            let keys = KeyValues::new(
                Some(vec![fact(text), Fact::Integer(-3), Fact::Money(Decimal::new(12345, 2))]),
                None,
                Some(InstalmentKey { key: Some(vec![fact(text)]), reached: 2, all_at_once: true }),
                vec![(1, None), (0, Some(vec![fact(text)]))],
                vec![(2, Some(vec![Fact::Bool(true)]))],
                vec![CapKey { cap: 3, key: Some(vec![fact(text), Fact::Enum(4)]), relaxed: true }],
            );
            let written = encode_keys(&keys);
            assert!(serde_json::from_str::<Value>(&written).is_ok(), "{written}");
            assert_eq!(
                format!("{:?}", decode_keys(&written, &mut TextPool::default())),
                format!("{keys:?}"),
                "{written}"
            );
        }
        let empty = decode_keys(&encode_keys(&KeyValues::default()), &mut TextPool::default());
        assert_eq!(format!("{empty:?}"), format!("{:?}", KeyValues::default()));
        // As the polc of schema version 1 wrote them.
        let version_1 = r#"{"once":null,"classes":[[0,["tE1","i2024"]]],"caps":[[1,null,false]]}"#;
        let read = decode_keys(version_1, &mut TextPool::default());
        let expected = KeyValues::new(
            None,
            None,
            None,
            Vec::new(),
            vec![(0, Some(vec![Fact::Text(Arc::from("E1")), Fact::Integer(2024)]))],
            vec![CapKey { cap: 1, key: None, relaxed: false }],
        );
        assert_eq!(format!("{read:?}"), format!("{expected:?}"));
    }
}
