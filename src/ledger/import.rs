//! Awards decided outside polc — other policies, other departments, earlier years — read
//! from CSV or JSON Lines for `polc ledger import`. Every row is checked before anything is
//! written: one malformed row names its line and field, and nothing is imported.

use crate::data::money_text;
pub use crate::eval::ExternalAward;
use crate::money::Date;
use serde_json::Value;
use std::fmt;

/// A row that is not an award.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// `line 3` or `row 3`.
    pub place: String,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}, field `{field}`: {}", self.place, self.message),
            None => write!(f, "{}: {}", self.place, self.message),
        }
    }
}

/// The fields of an import row: the required ones first.
pub const REQUIRED_FIELDS: [&str; 4] = ["recipient", "date", "amount", "class"];
const OPTIONAL_FIELDS: [&str; 3] = ["project", "policy", "case"];

/// Reads external awards from CSV (a header row naming the fields) or JSON Lines (an
/// object per line), told apart by the first non-blank character. Every error is
/// reported, not only the first.
pub fn read_external_awards(text: &str) -> Result<Vec<ExternalAward>, Vec<ImportError>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    if text.trim_start().starts_with('{') {
        read_json_lines(text)
    } else {
        read_csv(text)
    }
}

/// The rows read so far: the awards, or every error once there is one.
#[derive(Default)]
struct Rows {
    awards: Vec<ExternalAward>,
    errors: Vec<ImportError>,
}

impl Rows {
    fn push(&mut self, row: Result<ExternalAward, ImportError>) {
        match row {
            Ok(award) => self.awards.push(award),
            Err(error) => self.errors.push(error),
        }
    }

    fn finish(self) -> Result<Vec<ExternalAward>, Vec<ImportError>> {
        if self.errors.is_empty() {
            Ok(self.awards)
        } else {
            Err(self.errors)
        }
    }
}

fn read_json_lines(text: &str) -> Result<Vec<ExternalAward>, Vec<ImportError>> {
    let mut rows = Rows::default();
    for (index, line) in text.lines().enumerate() {
        let number = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        let place = format!("line {number}");
        if line.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                rows.push(Err(ImportError { place, field: None, message: "not a JSON object".into() }));
                continue;
            }
            Err(error) => {
                rows.push(Err(ImportError { place, field: None, message: format!("not JSON: {error}") }));
                continue;
            }
        };
        let field = |name: &str| match object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        };
        if let Some(unknown) = object.keys().find(|key| !is_field(key)) {
            rows.push(Err(unknown_field(place.clone(), unknown)));
        }
        rows.push(award(number, &place, field));
    }
    rows.finish()
}

fn read_csv(text: &str) -> Result<Vec<ExternalAward>, Vec<ImportError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(|name| name.trim().to_string()).collect(),
        Err(error) => {
            return Err(vec![ImportError { place: "row 1".into(), field: None, message: error.to_string() }]);
        }
    };
    let mut errors: Vec<ImportError> = header
        .iter()
        .filter(|name| !is_field(name))
        .map(|name| unknown_field("row 1 (the header)".into(), name))
        .collect();
    for required in REQUIRED_FIELDS {
        if !header.iter().any(|name| name == required) {
            errors.push(ImportError {
                place: "row 1 (the header)".into(),
                field: Some(required.into()),
                message: "the header has no such column".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Rows::default();
    for (index, record) in reader.records().enumerate() {
        // Row 1 is the header.
        let number = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(2);
        let place = format!("row {number}");
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                rows.push(Err(ImportError { place, field: None, message: error.to_string() }));
                continue;
            }
        };
        let field = |name: &str| {
            let column = header.iter().position(|column| column == name)?;
            record.get(column).map(str::trim).filter(|text| !text.is_empty()).map(str::to_string)
        };
        rows.push(award(number, &place, field));
    }
    rows.finish()
}

fn is_field(name: &str) -> bool {
    REQUIRED_FIELDS.contains(&name) || OPTIONAL_FIELDS.contains(&name)
}

fn unknown_field(place: String, name: &str) -> ImportError {
    ImportError {
        place,
        field: Some(name.to_string()),
        message: format!(
            "not an import field (the fields are {}, and optionally {})",
            REQUIRED_FIELDS.join(", "),
            OPTIONAL_FIELDS.join(", ")
        ),
    }
}

fn award(line: u64, place: &str, field: impl Fn(&str) -> Option<String>) -> Result<ExternalAward, ImportError> {
    let error =
        |name: &str, message: String| ImportError { place: place.to_string(), field: Some(name.to_string()), message };
    let required = |name: &str| field(name).ok_or_else(|| error(name, "missing: every import row needs it".into()));
    let recipient = required("recipient")?;
    let date_text = required("date")?;
    let date = Date::parse(&date_text)
        .ok_or_else(|| error("date", format!("`{date_text}` is not a date (write 2025-03-01)")))?;
    let amount_text = required("amount")?;
    let amount = money_text(&amount_text)
        .ok()
        .filter(|amount| !amount.is_sign_negative())
        .ok_or_else(|| error("amount", format!("`{amount_text}` is not an amount (write 50万 or 500000)")))?;
    let class_label = required("class")?;
    Ok(ExternalAward {
        line,
        recipient,
        date,
        amount,
        class_label,
        project: field("project"),
        policy: field("policy"),
        case_id: field("case"),
    })
}
