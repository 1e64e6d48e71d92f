//! The two databases a ledger lives in, behind one small surface: SQLite (a file) and
//! PostgreSQL (a `postgres://` URL). The ledger writes its SQL once, with `?N` parameters
//! and `{now}`, `{id}` and `{bytes}` placeholders; this module turns it into each database's dialect, runs it
//! inside transactions that serialise writers, and bulk-inserts a round's rows.

use super::LedgerError;
use postgres::fallible_iterator::FallibleIterator;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// A value passed to a statement.
#[derive(Clone, Copy, Debug)]
pub(super) enum Param<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Self {
        Param::Text(text)
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Param::Null, Param::Text)
    }
}

impl From<i64> for Param<'_> {
    fn from(number: i64) -> Self {
        Param::Int(number)
    }
}

/// One row of a result, read by column position.
pub(super) enum Row<'a, 'stmt> {
    Sqlite(&'a rusqlite::Row<'stmt>),
    Postgres(&'a postgres::Row),
}

impl Row<'_, '_> {
    pub(super) fn int(&self, column: usize) -> Result<i64, LedgerError> {
        match self {
            Row::Sqlite(row) => Ok(row.get(column)?),
            Row::Postgres(row) => row.try_get(column).map_err(postgres_error),
        }
    }

    pub(super) fn text(&self, column: usize) -> Result<String, LedgerError> {
        match self {
            Row::Sqlite(row) => Ok(row.get(column)?),
            Row::Postgres(row) => row.try_get(column).map_err(postgres_error),
        }
    }

    pub(super) fn optional_text(&self, column: usize) -> Result<Option<String>, LedgerError> {
        match self {
            Row::Sqlite(row) => Ok(row.get(column)?),
            Row::Postgres(row) => row.try_get(column).map_err(postgres_error),
        }
    }

    /// A truth value: SQLite gives an integer, PostgreSQL a boolean.
    pub(super) fn flag(&self, column: usize) -> Result<bool, LedgerError> {
        match self {
            Row::Sqlite(row) => Ok(row.get(column)?),
            Row::Postgres(row) => row.try_get(column).map_err(postgres_error),
        }
    }
}

/// How many rows one SQLite `INSERT` writes.
const ROWS_PER_INSERT: usize = 64;

pub(super) enum Store {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>),
}

/// The advisory lock every writing PostgreSQL transaction takes first, so that two
/// commits to one ledger run one after the other (SQLite's `BEGIN IMMEDIATE` does the same).
const WRITER_LOCK: i64 = 0x706f_6c63; // "polc"

/// How long a connection to an unreachable PostgreSQL server is tried before giving up,
/// unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    pub(super) fn is_postgres_url(location: &str) -> bool {
        location.starts_with("postgres://") || location.starts_with("postgresql://")
    }

    pub(super) fn open(location: &str) -> Result<Store, LedgerError> {
        if Self::is_postgres_url(location) {
            let mut config: postgres::Config =
                location.parse().map_err(|error| LedgerError::Database(format!("the URL: {error}")))?;
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(CONNECT_TIMEOUT);
            }
            let mut client = config.connect(postgres::NoTls).map_err(postgres_error)?;
            // Notices ("relation already exists, skipping") are not the user's business.
            client.batch_execute("SET client_min_messages = warning").map_err(postgres_error)?;
            return Ok(Store::Postgres(Box::new(client)));
        }
        let connection = rusqlite::Connection::open(location)?;
        // Two processes committing at once wait for each other rather than fail.
        connection.busy_timeout(Duration::from_secs(60))?;
        // A new ledger's pages are 16 KiB, not 4: a round writes a million rows at once,
        // and larger pages split less often (about a fifth faster). An existing database
        // keeps its own.
        connection.pragma_update(None, "page_size", 16384)?;
        Ok(Store::Sqlite(connection))
    }

    /// The names of the tables the database holds (in the ledger's schema).
    pub(super) fn table_names(&mut self) -> Result<Vec<String>, LedgerError> {
        let sql = match self {
            Store::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Store::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        };
        let mut names = Vec::new();
        self.query(sql, &[], |row| {
            names.push(row.text(0)?);
            Ok(())
        })?;
        Ok(names)
    }

    /// Runs `work` in one transaction: committed when it returns `Ok`, rolled back
    /// otherwise. A `write` transaction holds the ledger's write lock from its start, so
    /// what it reads is what it writes after.
    pub(super) fn transaction<T>(
        &mut self,
        write: bool,
        work: impl FnOnce(&mut Store) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let begin = match (&self, write) {
            (Store::Sqlite(_), true) => "BEGIN IMMEDIATE".to_string(),
            (Store::Sqlite(_), false) => "BEGIN DEFERRED".to_string(),
            (Store::Postgres(_), true) => format!("BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})"),
            // One snapshot for every query of a read.
            (Store::Postgres(_), false) => "BEGIN ISOLATION LEVEL REPEATABLE READ".to_string(),
        };
        self.batch(&begin)?;
        match work(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(error) => {
                // The error that stopped the work is the one to report.
                let _ = self.batch("ROLLBACK");
                Err(error)
            }
        }
    }

    /// Runs statements without parameters (the schema, transaction control).
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(connection) => Ok(connection.execute_batch(&Self::dialect_sqlite(sql))?),
            Store::Postgres(client) => client.batch_execute(&Self::dialect_postgres(sql)).map_err(postgres_error),
        }
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, LedgerError> {
        match self {
            Store::Sqlite(connection) => {
                let mut statement = connection.prepare_cached(&Self::dialect_sqlite(sql))?;
                let changed = statement.execute(rusqlite::params_from_iter(params.iter().map(sqlite_value)))?;
                Ok(u64::try_from(changed).unwrap_or(u64::MAX))
            }
            Store::Postgres(client) => {
                let values: Vec<PostgresParam> = params.iter().map(PostgresParam::from).collect();
                let references: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    values.iter().map(PostgresParam::as_sql).collect();
                client.execute(Self::dialect_postgres(sql).as_ref(), &references).map_err(postgres_error)
            }
        }
    }

    /// Runs a query, handing each row to `each` as it arrives (nothing is collected).
    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut each: impl FnMut(&Row) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(connection) => {
                let mut statement = connection.prepare_cached(&Self::dialect_sqlite(sql))?;
                let mut rows = statement.query(rusqlite::params_from_iter(params.iter().map(sqlite_value)))?;
                while let Some(row) = rows.next()? {
                    each(&Row::Sqlite(row))?;
                }
                Ok(())
            }
            Store::Postgres(client) => {
                let values: Vec<PostgresParam> = params.iter().map(PostgresParam::from).collect();
                let references = values.iter().map(PostgresParam::as_sql);
                let mut rows =
                    client.query_raw(Self::dialect_postgres(sql).as_ref(), references).map_err(postgres_error)?;
                while let Some(row) = rows.next().map_err(postgres_error)? {
                    each(&Row::Postgres(&row))?;
                }
                Ok(())
            }
        }
    }

    /// The first column of the first row, if there is one.
    pub(super) fn query_int(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<i64>, LedgerError> {
        let mut found = None;
        self.query(sql, params, |row| {
            if found.is_none() {
                found = Some(row.int(0)?);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Inserts many rows into `table`, each with the `shared` columns' values and its own
    /// for `columns`: in SQLite many rows to a statement, the shared values bound once
    /// (a text bound is copied); in PostgreSQL one `COPY` stream (a statement per row
    /// would cost a round trip each).
    pub(super) fn insert_rows<'r, Row: AsRef<[Param<'r>]>>(
        &mut self,
        table: &str,
        shared: &[(&str, Param<'r>)],
        columns: &[&str],
        rows: impl Iterator<Item = Row>,
    ) -> Result<(), LedgerError> {
        let names: Vec<&str> = shared.iter().map(|(name, _)| *name).chain(columns.iter().copied()).collect();
        match self {
            Store::Sqlite(connection) => {
                let statement_for = |count: usize| {
                    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
                    let mut number = shared.len();
                    for row in 0..count {
                        sql.push_str(if row == 0 { "(" } else { ", (" });
                        let shared_numbers = (1..=shared.len()).map(|n| format!("?{n}"));
                        let own_numbers = (0..columns.len()).map(|_| {
                            number += 1;
                            format!("?{number}")
                        });
                        sql.push_str(&shared_numbers.chain(own_numbers).collect::<Vec<_>>().join(", "));
                        sql.push(')');
                    }
                    sql
                };
                let full = statement_for(ROWS_PER_INSERT);
                let mut chunk: Vec<Row> = Vec::with_capacity(ROWS_PER_INSERT);
                let mut rows = rows.peekable();
                while rows.peek().is_some() {
                    chunk.clear();
                    chunk.extend(rows.by_ref().take(ROWS_PER_INSERT));
                    let partial;
                    let sql = if chunk.len() == ROWS_PER_INSERT {
                        &full
                    } else {
                        partial = statement_for(chunk.len());
                        &partial
                    };
                    let mut statement = connection.prepare_cached(sql)?;
                    let own = chunk.iter().flat_map(|row| row.as_ref().iter());
                    let values = shared.iter().map(|(_, value)| value).chain(own).map(sqlite_value);
                    statement.execute(rusqlite::params_from_iter(values))?;
                }
                Ok(())
            }
            Store::Postgres(client) => {
                let sql = format!("COPY {table} ({}) FROM STDIN", names.join(", "));
                let mut writer = client.copy_in(&sql).map_err(postgres_error)?;
                let mut line = String::new();
                for row in rows {
                    line.clear();
                    let values = shared.iter().map(|(_, value)| value).chain(row.as_ref().iter());
                    for (index, value) in values.enumerate() {
                        if index > 0 {
                            line.push('\t');
                        }
                        copy_text(&mut line, *value);
                    }
                    line.push('\n');
                    writer.write_all(line.as_bytes()).map_err(|error| LedgerError::Database(error.to_string()))?;
                }
                writer.finish().map_err(postgres_error)?;
                Ok(())
            }
        }
    }

    /// The SQL that gives the current time as text (UTC, to the second).
    fn now(postgres: bool) -> &'static str {
        if postgres {
            "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        } else {
            "datetime('now')"
        }
    }

    fn dialect_sqlite(sql: &str) -> Cow<'_, str> {
        if sql.contains('{') {
            // SQLite compares text byte by byte unless told otherwise.
            Cow::Owned(
                sql.replace("{now}", Self::now(false)).replace("{id}", "INTEGER PRIMARY KEY").replace("{bytes}", ""),
            )
        } else {
            Cow::Borrowed(sql)
        }
    }

    /// `?N` becomes `$N`; `{now}`, `{id}` and `{bytes}` become PostgreSQL's forms.
    fn dialect_postgres(sql: &str) -> Cow<'_, str> {
        if !sql.contains(['?', '{']) {
            return Cow::Borrowed(sql);
        }
        let sql = sql
            .replace("{now}", Self::now(true))
            .replace("{id}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            // Batch order compares ids by code point, as the database's "C" collation does.
            .replace("{bytes}", " COLLATE \"C\"");
        Cow::Owned(sql.replace('?', "$"))
    }
}

fn sqlite_value<'a>(param: &'a Param<'a>) -> rusqlite::types::ToSqlOutput<'a> {
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};
    match param {
        Param::Int(number) => ToSqlOutput::Owned(Value::Integer(*number)),
        Param::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        Param::Null => ToSqlOutput::Owned(Value::Null),
    }
}

/// A parameter as PostgreSQL's client takes it: owned, so a reference to it lives long
/// enough. A null is sent untyped text, which the server casts to the column's type.
enum PostgresParam<'a> {
    Int(i64),
    Text(Option<&'a str>),
}

impl<'a> From<&Param<'a>> for PostgresParam<'a> {
    fn from(param: &Param<'a>) -> Self {
        match param {
            Param::Int(number) => PostgresParam::Int(*number),
            Param::Text(text) => PostgresParam::Text(Some(text)),
            Param::Null => PostgresParam::Text(None),
        }
    }
}

impl PostgresParam<'_> {
    fn as_sql(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            PostgresParam::Int(number) => number,
            PostgresParam::Text(text) => text,
        }
    }
}

/// A value in `COPY`'s text format: `\N` is null; backslash, tab and line ends escaped.
fn copy_text(line: &mut String, value: Param<'_>) {
    match value {
        Param::Null => line.push_str("\\N"),
        Param::Int(number) => {
            let _ = write!(line, "{number}");
        }
        Param::Text(text) => {
            for character in text.chars() {
                match character {
                    '\\' => line.push_str("\\\\"),
                    '\t' => line.push_str("\\t"),
                    '\n' => line.push_str("\\n"),
                    '\r' => line.push_str("\\r"),
                    other => line.push(other),
                }
            }
        }
    }
}

pub(super) fn postgres_error(error: postgres::Error) -> LedgerError {
    match error.as_db_error() {
        Some(database) => LedgerError::Database(database.message().to_string()),
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                let cause = cause.to_string();
                if !text.contains(&cause) {
                    text.push_str(": ");
                    text.push_str(&cause);
                }
                source = cause_of(source);
            }
            LedgerError::Database(text)
        }
    }
}

fn cause_of<'e>(error: Option<&'e (dyn std::error::Error + 'static)>) -> Option<&'e (dyn std::error::Error + 'static)> {
    error.and_then(std::error::Error::source)
}
