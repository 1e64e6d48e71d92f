//! The three readers: JSON array, JSON Lines, CSV. Each turns its records into
//! [`Record`]s in file order and hands them to the caller.

use super::value::Raw;
use super::{build_case, BatchError, DataError, InputFormat, Location, Record, Schema};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};

/// Reads a batch, calling `sink` with each record in file order. Duplicate case ids are
/// errors on `id` for every record after the first. Returns an error only when the whole
/// batch is unusable.
pub fn read_batch(
    reader: impl Read,
    format: InputFormat,
    schema: &Schema<'_>,
    mut sink: impl FnMut(Record),
) -> Result<(), BatchError> {
    let mut seen_ids: HashSet<String> = HashSet::new();
    let id_field = schema.policy.inputs.get(schema.policy.case_id).map(|input| input.name.clone()).unwrap_or_default();
    let duplicate = |id: &str, location: Location| DataError {
        case: Some(id.to_string()),
        field: Some(id_field.clone()),
        location,
        message: format!("duplicate case id `{id}`: an earlier record has it"),
    };
    // A record with a readable id owns it, even when another field is bad; only a record
    // that cannot be read at all owns none.
    let mut deliver = |record: Record| {
        let record = match record {
            Record::Case(case) if !seen_ids.insert(case.id.clone()) => {
                Record::Failed(vec![duplicate(&case.id, case.location)])
            }
            Record::Failed(mut errors) => {
                let owner = errors.iter().find_map(|error| error.case.clone().map(|id| (id, error.location)));
                if let Some((id, location)) = owner {
                    if !seen_ids.insert(id.clone()) {
                        errors.push(duplicate(&id, location));
                    }
                }
                Record::Failed(errors)
            }
            other => other,
        };
        sink(record);
    };
    match format {
        InputFormat::Json => read_json_array(reader, schema, &mut deliver),
        InputFormat::JsonLines => read_json_lines(reader, schema, &mut deliver),
        InputFormat::Csv => read_csv(reader, schema, &mut deliver),
    }
}

/// A JSON record's fields in the order written, repeats included (a JSON map would keep
/// only the last of a repeated key, silently).
enum JsonRecord {
    Object(Vec<(String, Value)>),
    NotObject,
}

impl<'de> serde::Deserialize<'de> for JsonRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(RecordVisitor)?;
        Ok(value)
    }
}

struct RecordVisitor;

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = JsonRecord;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonRecord, A::Error> {
        let mut fields = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            // serde_json hands an exact (arbitrary-precision) number to a visitor as a
            // one-entry map under this private key: that is a number, not a record.
            if name == "$serde_json::private::Number" {
                map.next_value::<serde::de::IgnoredAny>()?;
                return Ok(JsonRecord::NotObject);
            }
            fields.push((name, map.next_value::<Value>()?));
        }
        Ok(JsonRecord::Object(fields))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<JsonRecord, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(JsonRecord::NotObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_i64<E>(self, _: i64) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_u64<E>(self, _: u64) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_f64<E>(self, _: f64) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_str<E>(self, _: &str) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_unit<E>(self) -> Result<JsonRecord, E> {
        Ok(JsonRecord::NotObject)
    }
}

fn json_record(bytes: &[u8], line: u64, schema: &Schema<'_>) -> Record {
    let fields = match serde_json::from_slice::<JsonRecord>(bytes) {
        Ok(JsonRecord::Object(fields)) => fields,
        Ok(JsonRecord::NotObject) => return unreadable(line, "a record must be a JSON object".to_string()),
        Err(error) => return unreadable(line, format!("not a JSON object: {}", strip_position(&error))),
    };
    build_case(schema, fields.iter().map(|(name, value)| (name.as_str(), Raw::Json(value))), |_| Location::Line {
        line,
    })
}

fn unreadable(line: u64, message: String) -> Record {
    Record::Failed(vec![DataError { case: None, field: None, location: Location::Line { line }, message }])
}

fn read_json_lines(reader: impl Read, schema: &Schema<'_>, sink: &mut impl FnMut(Record)) -> Result<(), BatchError> {
    let mut reader = BufReader::new(reader);
    let mut buffer = Vec::new();
    let mut line_number = 0u64;
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|error| BatchError(format!("cannot read the data: {error}")))?;
        if read == 0 {
            return Ok(());
        }
        line_number += 1;
        let mut line = buffer.as_slice();
        if line_number == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        sink(json_record(line, line_number, schema));
    }
}

fn read_json_array(
    mut reader: impl Read,
    schema: &Schema<'_>,
    sink: &mut impl FnMut(Record),
) -> Result<(), BatchError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|error| BatchError(format!("cannot read the data: {error}")))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let not_array = || BatchError("the data is not a JSON array of case objects".to_string());
    let mut scanner = ArrayScanner { text, at: 0, line: 1 };
    scanner.skip_whitespace();
    if !scanner.eat(b'[') {
        return Err(not_array());
    }
    scanner.skip_whitespace();
    if scanner.eat(b']') {
        return scanner.expect_end().ok_or_else(not_array);
    }
    loop {
        scanner.skip_whitespace();
        let (start, line) = (scanner.at, scanner.line);
        let end = scanner.element_end().ok_or_else(not_array)?;
        let element = text.get(start..end).unwrap_or_default();
        sink(json_record(element, line, schema));
        if scanner.eat(b']') {
            return scanner.expect_end().ok_or_else(not_array);
        }
        // A trailing comma (`[{...},]`) is not JSON: the array as a whole is unusable.
        if !scanner.eat(b',') || scanner.eat(b']') {
            return Err(not_array());
        }
    }
}

/// Finds the elements of a top-level JSON array without parsing them, counting lines so
/// each record's errors can name its line.
struct ArrayScanner<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl ArrayScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn advance(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.advance();
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_end(&mut self) -> Option<()> {
        self.skip_whitespace();
        (self.at == self.text.len()).then_some(())
    }

    /// Moves to the end of the element starting here: the next `,` or `]` outside
    /// strings and brackets. `None` when the array never closes.
    fn element_end(&mut self) -> Option<usize> {
        let mut depth = 0usize;
        let mut in_string = false;
        while let Some(byte) = self.peek() {
            if in_string {
                match byte {
                    b'\\' => self.advance(),
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => return Some(self.at),
                    _ => {}
                }
            }
            self.advance();
        }
        None
    }
}

fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(index) => text.get(..index).unwrap_or(&text).to_string(),
        None => text,
    }
}

fn read_csv(reader: impl Read, schema: &Schema<'_>, sink: &mut impl FnMut(Record)) -> Result<(), BatchError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(reader);
    let mut rows = csv.records();
    let header = match rows.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => return Err(BatchError(format!("cannot read the CSV header: {error}"))),
        None => return Err(BatchError("the CSV file is empty: it needs a header row".to_string())),
    };
    let columns: Vec<String> = header
        .iter()
        .enumerate()
        .map(
            |(index, name)| if index == 0 { name.trim_start_matches('\u{feff}').to_string() } else { name.to_string() },
        )
        .collect();
    let mut seen = HashSet::new();
    for (index, name) in columns.iter().enumerate() {
        if name.is_empty() {
            return Err(BatchError(format!("CSV column {} has an empty name", index + 1)));
        }
        if schema.input(name).is_none() {
            return Err(BatchError(format!("CSV column {} `{name}` is not an input of the policy", index + 1)));
        }
        if !seen.insert(name.as_str()) {
            return Err(BatchError(format!("CSV column `{name}` appears twice")));
        }
    }
    let policy = schema.policy;
    for (id, input) in policy.inputs.iter().enumerate() {
        let needed = input.required || id == policy.case_id || id == policy.case_date;
        if needed && !seen.contains(input.name.as_str()) {
            return Err(BatchError(format!("the CSV header has no column for the required field `{}`", input.name)));
        }
    }
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                sink(Record::Failed(vec![DataError {
                    case: None,
                    field: None,
                    location: Location::Row { row: line, column: None },
                    message: format!("cannot read this row: {error}"),
                }]));
                continue;
            }
        };
        let line = row.position().map_or(0, csv::Position::line);
        if row.len() != columns.len() {
            sink(Record::Failed(vec![DataError {
                case: None,
                field: None,
                location: Location::Row { row: line, column: None },
                message: format!("this row has {} cells, but the header has {}", row.len(), columns.len()),
            }]));
            continue;
        }
        let fields = columns.iter().zip(row.iter()).map(|(name, cell)| (name.as_str(), Raw::Csv(cell)));
        let column_of = |field: Option<&str>| Location::Row {
            row: line,
            column: field.and_then(|field| columns.iter().position(|name| name == field)).map(|index| index + 1),
        };
        sink(build_case(schema, fields, column_of));
    }
    Ok(())
}
