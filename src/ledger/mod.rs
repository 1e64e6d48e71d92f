//! The award ledger: what earlier rounds decided, kept in SQLite (a file, created on
//! first use), so that a policy run over many rounds decides as one run over all of them.
//!
//! Input: a ledger location and a checked policy. Output: the history as the cross-case
//! rules read it ([`Prior`]), and, on commit, the run recorded in one transaction. Nothing
//! is ever deleted: a committed award that a later round changes (a higher award of its
//! class) gains a revision row.

use crate::check::checked::Policy;
use crate::data::Fact;
use crate::eval::{AwardRecord, BatchResult, CapKey, CaseSummary, KeyValues, Prior};
use crate::money::{self, Date};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The schema this polc writes. An older ledger is migrated; a newer one is refused.
pub const SCHEMA_VERSION: i64 = 1;

/// Why a ledger cannot be used. Nothing was changed.
#[derive(Debug)]
pub enum LedgerError {
    /// The file exists but is not a polc ledger.
    NotALedger(String),
    /// Written by a newer polc.
    Newer { found: i64 },
    /// The database refused: the message says why.
    Database(String),
    /// A case, run or award the ledger does not hold.
    Unknown(String),
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
            LedgerError::Unknown(what) => f.write_str(what),
        }
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

/// An open ledger.
pub struct Ledger {
    connection: Connection,
}

/// What a decision against the ledger produced.
pub struct Decision {
    pub result: BatchResult,
    /// The run's id when it was committed.
    pub run: Option<u64>,
    /// How many committed cases the history held.
    pub history_cases: usize,
}

const SCHEMA: &str = "
CREATE TABLE polc_schema (version INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    policy TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    case_count INTEGER NOT NULL,
    award_count INTEGER NOT NULL,
    amount_total TEXT NOT NULL
);
CREATE TABLE cases (
    policy TEXT NOT NULL,
    case_id TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    date TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (policy, case_id)
);
CREATE TABLE awards (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    policy TEXT NOT NULL,
    case_id TEXT NOT NULL,
    clause TEXT NOT NULL,
    recipient_index INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    computed TEXT,
    amount TEXT,
    keys TEXT NOT NULL,
    reasons TEXT NOT NULL
);
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    award_id INTEGER NOT NULL REFERENCES awards(id),
    run_id INTEGER NOT NULL REFERENCES runs(id),
    amount TEXT,
    reason TEXT NOT NULL
);
CREATE TABLE revocations (
    id INTEGER PRIMARY KEY,
    award_id INTEGER NOT NULL REFERENCES awards(id),
    revoked_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    award_id INTEGER NOT NULL REFERENCES awards(id),
    amount TEXT NOT NULL,
    granted_at TEXT NOT NULL
);
CREATE INDEX awards_by_policy ON awards (policy, id);
-- Each award as it stands now: the latest review grant, else the latest revision, else
-- what was committed; and whether it was revised, granted or revoked. The one place that
-- says which row wins.
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
";

impl Ledger {
    /// Opens the ledger at `path`, creating it (and its schema) on first use.
    pub fn open(path: &str) -> Result<Ledger, LedgerError> {
        if path.starts_with("postgres://") || path.starts_with("postgresql://") {
            return Err(LedgerError::Database(
                "PostgreSQL ledgers are not supported by this polc yet; use a file path (SQLite)".into(),
            ));
        }
        let connection = Connection::open(path)?;
        // Two processes committing at once wait for each other rather than fail.
        connection.busy_timeout(std::time::Duration::from_secs(60))?;
        let ledger = Ledger { connection };
        ledger.migrate()?;
        Ok(ledger)
    }

    fn migrate(&self) -> Result<(), LedgerError> {
        let tables: i64 =
            self.connection
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |row| row.get(0))?;
        let has_schema: i64 = self.connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'polc_schema'",
            [],
            |row| row.get(0),
        )?;
        if has_schema == 0 {
            if tables > 0 {
                return Err(LedgerError::NotALedger("the database has tables, but no polc schema".into()));
            }
            self.connection.execute_batch(&format!(
                "BEGIN; {SCHEMA} INSERT INTO polc_schema (version) VALUES ({SCHEMA_VERSION}); COMMIT;"
            ))?;
            return Ok(());
        }
        let found: Option<i64> = self
            .connection
            .query_row("SELECT max(version) FROM polc_schema", [], |row| row.get(0))
            .optional()?
            .flatten();
        match found {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(found) if found > SCHEMA_VERSION => Err(LedgerError::Newer { found }),
            // Version 1 is the first: there is nothing older to migrate from yet.
            _ => Err(LedgerError::NotALedger("its schema version is unreadable".into())),
        }
    }

    /// Runs `decide` after the policy's history and, with `commit`, records what it
    /// decided. Reading the history and writing the run are one transaction, which holds
    /// the ledger's write lock throughout when committing: two commits are serialised,
    /// and a commit killed at any point leaves the ledger as it was.
    pub fn decide<E>(
        &mut self,
        policy: &Policy,
        commit: bool,
        decide: impl FnOnce(&Prior) -> Result<BatchResult, E>,
    ) -> Result<Result<Decision, E>, LedgerError> {
        let behaviour = if commit { TransactionBehavior::Immediate } else { TransactionBehavior::Deferred };
        let transaction = self.connection.transaction_with_behavior(behaviour)?;
        let (prior, award_ids) = read_history(&transaction, policy)?;
        let result = match decide(&prior) {
            Ok(result) => result,
            Err(error) => return Ok(Err(error)),
        };
        let history_cases = prior.cases.len();
        // A round with nothing new (every case already decided) writes nothing at all.
        let anything_new = !result.cases.is_empty() || !result.revisions.is_empty();
        let run =
            if commit && anything_new { Some(write_run(&transaction, policy, &result, &award_ids)?) } else { None };
        transaction.commit()?;
        Ok(Ok(Decision { result, run, history_cases }))
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
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known: i64 = transaction.query_row(
            "SELECT count(*) FROM cases WHERE policy = ?1 AND case_id = ?2",
            params![policy, case],
            |row| row.get(0),
        )?;
        if known == 0 {
            return Err(LedgerError::Unknown(format!("no committed case `{case}` of policy \"{policy}\"")));
        }
        let revoked = transaction.execute(
            "INSERT INTO revocations (award_id, revoked_at, revoked_by, reason)
             SELECT a.id, datetime('now'), ?4, ?5 FROM awards a
             WHERE a.policy = ?1 AND a.case_id = ?2 AND (?3 IS NULL OR a.clause = ?3)
               AND NOT EXISTS (SELECT 1 FROM revocations v WHERE v.award_id = a.id)",
            params![policy, case, clause, by, reason],
        )?;
        if revoked == 0 {
            let what = clause.map_or(String::new(), |clause| format!(" of clause {clause}"));
            return Err(LedgerError::Unknown(format!("case `{case}` has no award{what} left to revoke")));
        }
        transaction.commit()?;
        Ok(revoked)
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
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: Vec<(i64, String, Option<String>)> = {
            let mut statement = transaction.prepare(
                "SELECT id, kind, computed FROM awards
                 WHERE policy = ?1 AND case_id = ?2 AND clause = ?3 AND (?4 IS NULL OR recipient = ?4)",
            )?;
            let rows = statement.query_map(params![policy, case, clause, recipient], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let (award, kind, maximum) = match found.as_slice() {
            [only] => only.clone(),
            [] => return Err(LedgerError::Unknown(format!("case `{case}` has no committed award of clause {clause}"))),
            _ => {
                return Err(LedgerError::Unknown(format!(
                    "case `{case}` has several awards of clause {clause}: name the recipient"
                )))
            }
        };
        if kind != "up_to" && kind != "range" {
            return Err(LedgerError::Unknown(format!("the award is a `{kind}`: only `up_to` and `range` are granted")));
        }
        let maximum = maximum.and_then(|maximum| maximum.parse::<Decimal>().ok()).unwrap_or_default();
        if amount > maximum {
            return Err(LedgerError::Unknown(format!(
                "{} is above the award's maximum of {}",
                money::format_yuan(amount),
                money::format_yuan(maximum)
            )));
        }
        transaction.execute(
            "INSERT INTO grants (award_id, amount, granted_at) VALUES (?1, ?2, datetime('now'))",
            params![award, exact_text(amount)],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Sums of what stands (revoked awards count nothing) per the given groups: any of
    /// `recipient`, `year`, `clause`, `policy`.
    pub fn totals(&self, by: &[&str]) -> Result<Vec<Value>, LedgerError> {
        let mut sums: std::collections::BTreeMap<Vec<String>, Decimal> = std::collections::BTreeMap::new();
        for award in self.awards()? {
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
    pub fn awards(&self) -> Result<Vec<Value>, LedgerError> {
        let mut statement = self.connection.prepare(
            "SELECT s.id, s.run_id, s.policy, s.case_id, s.clause, s.recipient, s.kind, s.standing_amount,
                    s.revised, s.revoked_because, c.date, s.granted
             FROM standing s JOIN cases c ON c.policy = s.policy AND c.case_id = s.case_id ORDER BY s.id",
        )?;
        let rows = statement.query_map([], |row| {
            let revised: bool = row.get(8)?;
            let granted: Option<String> = row.get(11)?;
            let amount: Option<String> = row.get(7)?;
            // Stored with every digit; shown in yuan to the fen.
            let amount = amount.and_then(|amount| amount.parse::<Decimal>().ok()).map(money::format_yuan);
            let revocation: Option<String> = row.get(9)?;
            let status = match (&revocation, &granted, revised) {
                (Some(_), _, _) => "revoked",
                (None, Some(_), _) => "granted",
                (None, None, false) => "decided",
                (None, None, true) => "revised",
            };
            Ok(json!({
                "run": row.get::<_, i64>(1)?,
                "policy": row.get::<_, String>(2)?,
                "case": row.get::<_, String>(3)?,
                "date": row.get::<_, String>(10)?,
                "clause": row.get::<_, String>(4)?,
                "recipient": row.get::<_, String>(5)?,
                "kind": if granted.is_some() { "grant".to_string() } else { row.get::<_, String>(6)? },
                "amount": amount,
                "status": status,
                "revoked_because": revocation,
            }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What is wrong with the ledger, if anything: every run's stored counts and totals
    /// against its rows.
    pub fn verify(&self) -> Result<Vec<String>, LedgerError> {
        let mut problems = Vec::new();
        let mut statement =
            self.connection.prepare("SELECT id, case_count, award_count, amount_total FROM runs ORDER BY id")?;
        let runs: Vec<(i64, i64, i64, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<Result<_, _>>()?;
        for (run, case_count, award_count, total) in runs {
            let cases: i64 =
                self.connection.query_row("SELECT count(*) FROM cases WHERE run_id = ?1", [run], |row| row.get(0))?;
            let mut awards = self.connection.prepare("SELECT amount FROM awards WHERE run_id = ?1")?;
            let amounts: Vec<Option<String>> = awards.query_map([run], |row| row.get(0))?.collect::<Result<_, _>>()?;
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
        Ok(problems)
    }
}

fn read_history(connection: &Connection, policy: &Policy) -> Result<(Prior, Vec<i64>), LedgerError> {
    let mut prior = Prior::default();
    let mut case_index: HashMap<String, usize> = HashMap::new();
    let mut statement = connection.prepare(
        "SELECT case_id, run_id, date, fingerprint FROM cases WHERE policy = ?1 ORDER BY run_id, date, case_id",
    )?;
    let rows = statement.query_map([&policy.title], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?))
    })?;
    for row in rows {
        let (id, run, date, fingerprint) = row?;
        let round = u64::try_from(run).unwrap_or_default();
        let date = Date::parse(&date).ok_or_else(|| LedgerError::NotALedger(format!("case {id} has no date")))?;
        case_index.insert(id.clone(), prior.cases.len());
        prior.decided.insert(id.clone(), (round, fingerprint, prior.cases.len()));
        prior.cases.push(CaseSummary {
            id,
            date,
            round,
            location: crate::data::Location::Line { line: 0 },
            gate_failure: None,
            first_award: 0,
            award_count: 0,
        });
    }
    // Awards, grouped by case in the cases' order.
    let mut per_case: Vec<Vec<(i64, AwardRecord)>> = prior.cases.iter().map(|_| Vec::new()).collect();
    let mut statement = connection.prepare(
        "SELECT id, case_id, clause, recipient_index, recipient, computed, standing_amount, keys,
                revoked_because IS NOT NULL, granted
         FROM standing WHERE policy = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([&policy.title], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, Option<String>>(6)?,
            row.get::<_, String>(7)?,
            row.get::<_, bool>(8)?,
            row.get::<_, Option<String>>(9)?,
        ))
    })?;
    for row in rows {
        let (award_id, case_id, clause_id, recipient_index, recipient, computed, amount, keys, revoked, granted) = row?;
        // A review's grant replaces the maximum: caps and classes count what was granted
        // (the standing amount is the grant already).
        let computed = granted.or(computed);
        let Some(&case) = case_index.get(&case_id) else { continue };
        // A clause the policy no longer has takes part in no rule of this version.
        let Some(clause) = policy.clauses.iter().position(|clause| clause.id == clause_id) else { continue };
        let decimal = |text: Option<String>| text.and_then(|text| text.parse::<Decimal>().ok());
        let record = AwardRecord {
            case_index: u32::try_from(case).unwrap_or(u32::MAX),
            clause,
            recipient_index: u32::try_from(recipient_index).unwrap_or(0),
            recipient: Arc::from(recipient.as_str()),
            computed: decimal(computed),
            // A revoked award pays nothing from then on.
            amount: if revoked { decimal(amount).map(|_| Decimal::ZERO) } else { decimal(amount) },
            trace: Default::default(),
            facts: Box::new([]),
            adjustments: Vec::new(),
            revoked,
            settled: None,
            keys: decode_keys(&keys),
        };
        if let Some(list) = per_case.get_mut(case) {
            list.push((award_id, record));
        }
    }
    let mut award_ids = Vec::new();
    for (case, awards) in prior.cases.iter_mut().zip(per_case) {
        case.first_award = prior.awards.len();
        case.award_count = awards.len();
        for (id, award) in awards {
            award_ids.push(id);
            prior.awards.push(award);
        }
    }
    Ok((prior, award_ids))
}

fn write_run(
    connection: &Connection,
    policy: &Policy,
    result: &BatchResult,
    history_award_ids: &[i64],
) -> Result<u64, LedgerError> {
    let total = result
        .awards
        .iter()
        .filter_map(|award| award.amount)
        .try_fold(Decimal::ZERO, |sum, amount| sum.checked_add(amount))
        .ok_or_else(|| LedgerError::Database("the run's awards overflow a total".into()))?;
    connection.execute(
        "INSERT INTO runs (policy, policy_version, committed_at, case_count, award_count, amount_total)
         VALUES (?1, ?2, datetime('now'), ?3, ?4, ?5)",
        params![
            policy.title,
            policy_version(policy),
            i64::try_from(result.cases.len()).unwrap_or(i64::MAX),
            i64::try_from(result.awards.len()).unwrap_or(i64::MAX),
            money::format_yuan(total)
        ],
    )?;
    let run = connection.last_insert_rowid();
    let mut case_statement = connection
        .prepare("INSERT INTO cases (policy, case_id, run_id, date, fingerprint) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut award_statement = connection.prepare(
        "INSERT INTO awards (run_id, policy, case_id, clause, recipient_index, recipient, kind, computed, amount, keys, reasons)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (index, case) in result.cases.iter().enumerate() {
        let fingerprint = result.fingerprints.get(index).map_or("", String::as_str);
        case_statement.execute(params![policy.title, case.id, run, case.date.to_string(), fingerprint])?;
        for award in result.case_awards(case) {
            let clause = policy.clauses.get(award.clause).map_or("?", |clause| clause.id.as_str());
            let reasons: Vec<&str> = award.adjustments.iter().map(|adjustment| adjustment.reason.as_str()).collect();
            award_statement.execute(params![
                run,
                policy.title,
                case.id,
                clause,
                i64::from(award.recipient_index),
                &*award.recipient,
                award.kind(policy),
                award.computed.map(exact_text),
                award.amount.map(exact_text),
                encode_keys(&award.keys),
                serde_json::to_string(&reasons).unwrap_or_default()
            ])?;
        }
    }
    let mut revision_statement =
        connection.prepare("INSERT INTO revisions (award_id, run_id, amount, reason) VALUES (?1, ?2, ?3, ?4)")?;
    for (index, amount, adjustments) in &result.revisions {
        let Some(award_id) = history_award_ids.get(*index) else { continue };
        let reason = adjustments.iter().map(|adjustment| adjustment.reason.as_str()).collect::<Vec<_>>().join("; ");
        revision_statement.execute(params![award_id, run, amount.map(exact_text), reason])?;
    }
    Ok(u64::try_from(run).unwrap_or_default())
}

/// An amount as stored: every digit, so that it reads back as the same value.
fn exact_text(amount: Decimal) -> String {
    amount.to_string()
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

fn encode_facts(facts: &Option<Vec<Fact>>) -> Value {
    match facts {
        None => Value::Null,
        Some(facts) => Value::Array(facts.iter().map(|fact| Value::String(fact.encode())).collect()),
    }
}

fn decode_facts(value: &Value) -> Option<Vec<Fact>> {
    value.as_array()?.iter().map(|fact| fact.as_str().and_then(Fact::decode)).collect()
}

fn encode_keys(keys: &KeyValues) -> String {
    json!({
        "once": encode_facts(&keys.once),
        "classes": keys.classes.iter().map(|(class, key)| json!([class, encode_facts(key)])).collect::<Vec<_>>(),
        "caps": keys.caps.iter().map(|cap| json!([cap.cap, encode_facts(&cap.key), cap.relaxed])).collect::<Vec<_>>(),
    })
    .to_string()
}

fn decode_keys(text: &str) -> KeyValues {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let index = |value: Option<&Value>| value?.as_u64().and_then(|index| usize::try_from(index).ok());
    let list = |name: &str| value.get(name).and_then(Value::as_array).into_iter().flatten();
    KeyValues {
        once: value.get("once").and_then(decode_facts),
        classes: list("classes")
            .filter_map(|entry| Some((index(entry.get(0))?, entry.get(1).and_then(decode_facts))))
            .collect(),
        caps: list("caps")
            .filter_map(|entry| {
                Some(CapKey {
                    cap: index(entry.get(0))?,
                    key: entry.get(1).and_then(decode_facts),
                    relaxed: entry.get(2).and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect(),
    }
}
