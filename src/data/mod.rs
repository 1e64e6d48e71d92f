//! Applicant data: a batch of cases as a JSON array, JSON Lines or CSV → typed facts.
//!
//! The policy is the schema: a case may carry exactly the policy's declared inputs. Each
//! record becomes a case (facts in slots indexed by input) or the [`crate::data::DataError`]s that
//! name its case, field and line or row. Records are handed to the caller one at a time,
//! so JSON Lines and CSV stream; a JSON array is read whole, then parsed element by element.

/// Case ids held once per batch.
mod ids;
mod readers;
/// The data contract as a JSON Schema.
pub mod schema;
/// Workbooks: one sheet's rows, read as CSV rows are.
mod sheet;
mod value;

pub use ids::{CaseId, CaseIds};
pub use readers::{read_batch, split_batch, Chunk, IdOwners};
pub use value::money_text;

use crate::check::checked::{InputId, Policy, Type};
use crate::lang::say;
use crate::money::Date;
use rust_decimal::Decimal;
use std::fmt;

/// One typed fact of a case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fact {
    Money(Decimal),
    Ratio(Decimal),
    Integer(i64),
    Quantity(Decimal),
    PerUnit(Decimal),
    Bool(bool),
    Date(Date),
    /// Shared, so that keys and recipients copy a pointer, not the text.
    Text(std::sync::Arc<str>),
    /// An enum value, by its position in the enum.
    Enum(u32),
}

impl Fact {
    /// A literal of the policy as a fact of a case: an input's default, a threshold.
    pub fn of_literal(value: &crate::check::checked::Value) -> Fact {
        use crate::check::checked::Value;
        match value {
            Value::Money(amount) => Fact::Money(*amount),
            Value::Ratio(ratio) => Fact::Ratio(*ratio),
            Value::Integer(value) => Fact::Integer(*value),
            Value::Quantity(value) => Fact::Quantity(*value),
            Value::PerUnit(amount) => Fact::PerUnit(*amount),
            Value::Bool(flag) => Fact::Bool(*flag),
            Value::Date(date) => Fact::Date(*date),
            Value::Text(text) => Fact::Text(text.as_str().into()),
            Value::Enum(_, position) => Fact::Enum(*position),
        }
    }
}

/// A readable case: its id, date, where it came from, and its facts by input slot.
#[derive(Clone, Debug)]
pub struct Case {
    /// Shared with its `Fact::Text` and with the batch's summary of the case: one copy.
    pub id: std::sync::Arc<str>,
    pub date: Date,
    pub location: Location,
    /// `facts[input]` is `None` when the case does not give that input.
    pub facts: Vec<Option<Fact>>,
}

impl Case {
    /// The case's facts as text that two readings of the same values share: `"250万"` and
    /// `2500000` give one fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut text = String::with_capacity(self.facts.len() * 8);
        for fact in &self.facts {
            match fact {
                None => text.push('-'),
                Some(fact) => fact.encode_into(&mut text),
            }
            text.push('\u{1f}');
        }
        text
    }
}

impl Fact {
    /// The fact as tagged text, which [`Fact::decode`] reads back: how keys and facts are
    /// stored in a ledger.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    /// [`Fact::encode`], appended to `out` (a ledger writes millions).
    pub fn encode_into(&self, out: &mut String) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = match self {
            Fact::Money(value) => write!(out, "m{}", value.normalize()),
            Fact::Ratio(value) => write!(out, "r{}", value.normalize()),
            Fact::Integer(value) => write!(out, "i{value}"),
            Fact::Quantity(value) => write!(out, "q{}", value.normalize()),
            Fact::PerUnit(value) => write!(out, "p{}", value.normalize()),
            Fact::Bool(flag) => write!(out, "b{flag}"),
            Fact::Date(date) => write!(out, "d{date}"),
            Fact::Text(text) => {
                out.push('t');
                out.push_str(text);
                Ok(())
            }
            Fact::Enum(position) => write!(out, "e{position}"),
        };
    }

    pub fn decode(text: &str) -> Option<Fact> {
        let mut chars = text.chars();
        let tag = chars.next()?;
        let rest = chars.as_str();
        let decimal = || rest.parse::<Decimal>().ok();
        Some(match tag {
            'm' => Fact::Money(decimal()?),
            'r' => Fact::Ratio(decimal()?),
            'i' => Fact::Integer(rest.parse().ok()?),
            'q' => Fact::Quantity(decimal()?),
            'p' => Fact::PerUnit(decimal()?),
            'b' => Fact::Bool(rest == "true"),
            'd' => Fact::Date(Date::parse(rest)?),
            't' => Fact::Text(rest.into()),
            'e' => Fact::Enum(rest.parse().ok()?),
            _ => return None,
        })
    }
}

/// Where a record sits in its file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Location {
    /// A JSON Lines line, 1-based.
    Line { line: u64 },
    /// An element of a JSON array: its 0-based index (as in a JSON Pointer, `/3`) and the
    /// 1-based line and column (in characters) where it starts.
    Element { element: u64, line: u64, column: u64 },
    /// A CSV row (the file's line number, the header being line 1) and 1-based column.
    Row {
        row: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<usize>,
    },
    /// A row of a workbook's sheet (1-based, as the spreadsheet numbers it) and the
    /// column's letters (`C`).
    Cell {
        sheet: std::sync::Arc<str>,
        row: u64,
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "column_letters")]
        column: Option<u32>,
    },
}

impl Location {
    /// Where the record is, in words of `lang`: `line 3`, `row 5, column 2`, … in
    /// English; `第3行`, `第5行第2列`, `工作表“申报”单元格D4`, … in Chinese.
    pub fn words(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
        match (lang, self) {
            (Lang::En, location) => location.to_string(),
            (Lang::Zh, Location::Line { line }) => format!("第{line}行"),
            (Lang::Zh, Location::Element { element, line, column }) => {
                format!("第{element}个元素（第{line}行第{column}字）")
            }
            (Lang::Zh, Location::Row { row, column: Some(column) }) => format!("第{row}行第{column}列"),
            (Lang::Zh, Location::Row { row, column: None }) => format!("第{row}行"),
            (Lang::Zh, Location::Cell { sheet, row, column: Some(column) }) => {
                format!("工作表“{sheet}”单元格{}{row}", column_name(*column))
            }
            (Lang::Zh, Location::Cell { sheet, row, column: None }) => format!("工作表“{sheet}”第{row}行"),
        }
    }
}

/// A spreadsheet column's letters from its 1-based number: 1 is `A`, 27 is `AA`.
pub fn column_name(column: u32) -> String {
    let mut letters = Vec::new();
    let mut rest = column;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        rest = (rest - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn column_letters<S: serde::Serializer>(column: &Option<u32>, serializer: S) -> Result<S::Ok, S::Error> {
    match column {
        Some(column) => serializer.serialize_str(&column_name(*column)),
        None => serializer.serialize_none(),
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line { line } => write!(f, "line {line}"),
            Location::Element { element, line, column } => {
                write!(f, "element {element} (line {line}, column {column})")
            }
            Location::Row { row, column: Some(column) } => write!(f, "row {row}, column {column}"),
            Location::Row { row, column: None } => write!(f, "row {row}"),
            Location::Cell { sheet, row, column: Some(column) } => {
                write!(f, "sheet `{sheet}`, cell {}{row}", column_name(*column))
            }
            Location::Cell { sheet, row, column: None } => write!(f, "sheet `{sheet}`, row {row}"),
        }
    }
}

/// A problem with one field of one record (or with a whole record, when `field` is
/// `None`). The record's case does not run; the others do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DataError {
    /// The case id, when the record has a readable one.
    pub case: Option<String>,
    pub field: Option<String>,
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// A problem that makes the whole batch unusable (exit status 2, no result).
///
/// ```
/// let policy = polc::compile("p09.pol", include_str!("../../policies/shapes/P09-exact-fraction.pol"))?;
/// let error = polc::run(&policy, "[{".as_bytes(), polc::InputFormat::Json).err().unwrap();
/// assert_eq!(miette::Diagnostic::code(&error).unwrap().to_string(), "E0905");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchError(pub String);

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// Code E0905: the batch as a whole cannot be read (a record's own errors are not this;
/// they are reported in the result, and the other records run).
impl miette::Diagnostic for BatchError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(crate::diag::failure::FailureKind::Batch.id()))
    }
}

/// The shapes of applicant data polc reads.
///
/// ```
/// use polc::InputFormat;
/// assert_eq!(InputFormat::from_extension("round-2.jsonl"), Some(InputFormat::JsonLines));
/// assert_eq!(InputFormat::from_extension("cases.xlsx"), Some(InputFormat::Xlsx { sheet: None }));
/// assert_eq!(InputFormat::from_extension("cases.txt"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Json,
    JsonLines,
    Csv,
    /// An Excel workbook (`.xlsx`): the named sheet, or the first.
    Xlsx {
        sheet: Option<String>,
    },
}

impl InputFormat {
    /// The format a file name implies: `.json`, `.jsonl`/`.ndjson`, `.csv`, `.xlsx`.
    pub fn from_extension(path: &str) -> Option<InputFormat> {
        let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(InputFormat::Json),
            "jsonl" | "ndjson" => Some(InputFormat::JsonLines),
            "csv" => Some(InputFormat::Csv),
            "xlsx" => Some(InputFormat::Xlsx { sheet: None }),
            _ => None,
        }
    }
}

/// One record as read: a case, or the errors that keep it from running.
pub enum Record {
    Case(Case),
    Failed(Vec<DataError>),
}

/// The policy's inputs by name: the data contract.
pub struct Schema<'p> {
    policy: &'p Policy,
    by_name: foldhash::HashMap<&'p str, InputId>,
    /// The inputs with a default, and the fact a missing one takes.
    defaults: Vec<(InputId, Fact)>,
}

impl<'p> Schema<'p> {
    pub fn new(policy: &'p Policy) -> Self {
        let by_name = policy.inputs.iter().enumerate().map(|(id, input)| (input.name.as_str(), id)).collect();
        let defaults = policy
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(id, input)| Some((id, Fact::of_literal(input.default.as_ref()?))))
            .collect();
        Schema { policy, by_name, defaults }
    }

    pub fn input(&self, name: &str) -> Option<InputId> {
        self.by_name.get(name).copied()
    }

    fn type_of(&self, id: InputId) -> Option<Type> {
        self.policy.inputs.get(id).map(|input| input.ty)
    }
}

/// Texts held once however often they repeat: a firm's id repeats in every case it
/// applies in (the reader pools a chunk's) and in every committed award (the ledger
/// pools a history's), and awards keep it as their recipient, in their facts and keys.
#[derive(Default)]
pub(crate) struct TextPool {
    held: foldhash::HashSet<std::sync::Arc<str>>,
}

impl TextPool {
    /// The pool's copy of `text`, which is kept when it is the first.
    pub(crate) fn hold(&mut self, text: std::sync::Arc<str>) -> std::sync::Arc<str> {
        match self.held.get(&*text) {
            Some(held) => held.clone(),
            None => {
                self.held.insert(text.clone());
                text
            }
        }
    }

    /// The pool's copy of `text`; only a text not held yet allocates.
    pub(crate) fn text(&mut self, text: &str) -> std::sync::Arc<str> {
        match self.held.get(text) {
            Some(held) => held.clone(),
            None => self.hold(std::sync::Arc::from(text)),
        }
    }
}

/// The inputs a record has given so far: a bit each, on the stack for the first 128 (a
/// policy rarely has more), so that reading a record allocates only its facts.
#[derive(Default)]
struct Given {
    first: u128,
    rest: Vec<InputId>,
}

impl Given {
    /// Notes `input` as given; whether it was already.
    fn again(&mut self, input: InputId) -> bool {
        match u32::try_from(input).ok().and_then(|bit| 1u128.checked_shl(bit)) {
            Some(bit) => {
                let again = self.first & bit != 0;
                self.first |= bit;
                again
            }
            None if self.rest.contains(&input) => true,
            None => {
                self.rest.push(input);
                false
            }
        }
    }
}

/// Builds a case from its fields, checking each against the schema. `location_of`
/// says where a field sits (CSV adds its column).
fn build_case<'v>(
    schema: &Schema<'_>,
    texts: &mut TextPool,
    fields: impl Iterator<Item = (&'v str, value::Raw<'v>)>,
    location_of: impl Fn(Option<&str>) -> Location,
) -> Record {
    let policy = schema.policy;
    let mut facts: Vec<Option<Fact>> = vec![None; policy.inputs.len()];
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut given = Given::default();
    for (name, raw) in fields {
        let Some(id) = schema.input(name) else {
            if policy.also_known.iter().any(|known| known == name) {
                continue;
            }
            let message = say!(
                policy.lang,
                format!("unknown field `{name}`: the policy declares no such input"),
                format!("未知字段 `{name}`：政策没有声明这项申报数据")
            );
            problems.push((name.to_string(), message));
            continue;
        };
        if given.again(id) {
            let message = say!(
                policy.lang,
                format!("field `{name}` is given twice in this record"),
                format!("字段 `{name}` 在这条记录中出现了两次")
            );
            problems.push((name.to_string(), message));
            continue;
        }
        let Some(ty) = schema.type_of(id) else { continue };
        match value::read(raw, ty, &policy.enums, policy.lang) {
            Ok(fact) => {
                // The case's id is its own: only the texts that repeat are pooled.
                let fact = match fact {
                    Some(Fact::Text(text)) if id != policy.case_id => Some(Fact::Text(texts.hold(text))),
                    fact => fact,
                };
                if let Some(slot) = facts.get_mut(id) {
                    *slot = fact;
                }
            }
            Err(message) => problems.push((name.to_string(), message)),
        }
    }
    for (id, input) in policy.inputs.iter().enumerate() {
        let given = facts.get(id).is_some_and(Option::is_some);
        let already_bad = problems.iter().any(|(field, _)| *field == input.name);
        let needed = input.required || id == policy.case_id || id == policy.case_date;
        if needed && !given && !already_bad {
            let message = say!(
                policy.lang,
                format!("missing required field `{}`", input.name),
                format!("缺少必填字段 `{}`（{}）", input.name, input.description.as_deref().unwrap_or(&input.name))
            );
            problems.push((input.name.clone(), message));
        }
    }
    // A missing fact with a default takes it (after the required check: a default does not
    // make a required field optional).
    for (id, default) in &schema.defaults {
        if let Some(slot @ None) = facts.get_mut(*id) {
            *slot = Some(default.clone());
        }
    }
    let id = match facts.get(policy.case_id) {
        Some(Some(Fact::Text(id))) => Some(id.clone()),
        _ => None,
    };
    let date = match facts.get(policy.case_date) {
        Some(Some(Fact::Date(date))) => Some(*date),
        _ => None,
    };
    match (problems.is_empty(), id, date) {
        (true, Some(id), Some(date)) => Record::Case(Case { id, date, location: location_of(None), facts }),
        (_, id, _) => Record::Failed(
            problems
                .into_iter()
                .map(|(field, message)| DataError {
                    case: id.as_deref().map(str::to_string),
                    location: location_of(Some(&field)),
                    field: Some(field),
                    message,
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{Given, TextPool};
    use std::sync::Arc;

    #[test]
    fn a_pool_holds_one_copy_of_each_text() {
        let mut pool = TextPool::default();
        let first = pool.hold(Arc::from("E101"));
        let again = pool.hold(Arc::from("E101"));
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &pool.hold(Arc::from("E102"))));
    }

    #[test]
    fn an_input_given_again_is_noticed_past_the_first_128_too() {
        let mut given = Given::default();
        for input in [0, 127, 128, 500] {
            assert!(!given.again(input), "{input} the first time");
            assert!(given.again(input), "{input} the second time");
        }
        assert!(!given.again(1));
    }
}
