//! What more than one test file needs.

use serde_json::{Map, Value};

/// Records as CSV under `columns`: a missing or null field is an empty cell, text is
/// itself, anything else its JSON.
pub fn as_csv<'r>(columns: &[String], records: impl Iterator<Item = &'r Map<String, Value>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).unwrap();
    for record in records {
        let row: Vec<String> = columns
            .iter()
            .map(|column| match record.get(column) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}
