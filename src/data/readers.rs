//! The three readers: JSON array, JSON Lines, CSV. Each turns its records into
//! records in file order and hands them to the caller.

use super::sheet::{Cell, SheetColumns, SheetRow};
use super::value::{Json, Raw, Text, EXACT_NUMBER_KEY};
use super::{build_case, BatchError, CaseId, CaseIds, DataError, InputFormat, Location, Record, Schema};
use crate::lang::{say, Lang};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

/// Reads a batch, calling `sink` with each record in file order. Duplicate case ids are
/// errors on `id` for every record after the first. Returns an error only when the whole
/// batch is unusable.
pub fn read_batch(
    reader: impl Read,
    format: InputFormat,
    schema: &Schema<'_>,
    mut sink: impl FnMut(Record),
) -> Result<(), BatchError> {
    let mut owners = IdOwners::new(schema);
    split_batch(reader, format, schema, DEFAULT_CHUNK_BYTES, &mut |chunk| {
        chunk.records(schema, |record| sink(owners.admit(record)));
    })
}

/// Chunks of about this many bytes when the caller does not choose.
const DEFAULT_CHUNK_BYTES: usize = 512 * 1024;

/// Which record owns each case id: the first that has it. A record with a readable id owns
/// it, even when another field is bad; only a record that cannot be read at all owns none.
pub struct IdOwners {
    ids: CaseIds,
    id_field: String,
    lang: Lang,
}

impl IdOwners {
    pub fn new(schema: &Schema<'_>) -> IdOwners {
        let policy = schema.policy;
        let id_field = policy.inputs.get(policy.case_id).map(|input| input.name.clone()).unwrap_or_default();
        IdOwners { ids: CaseIds::new(), id_field, lang: policy.lang }
    }

    fn duplicate(&self, id: &str, location: &Location) -> DataError {
        DataError {
            case: Some(id.to_string()),
            field: Some(self.id_field.clone()),
            location: location.clone(),
            message: say!(
                self.lang,
                format!("duplicate case id `{id}`: an earlier record has it"),
                format!("案例编号 `{id}` 重复：前面已有记录使用了它")
            ),
        }
    }

    /// The record as the batch sees it: a case whose id an earlier record owns fails.
    pub fn admit(&mut self, record: Record) -> Record {
        match record {
            Record::Case(case) => match self.admit_case(&case.id, &case.location) {
                Err(duplicate) => Record::Failed(vec![duplicate]),
                Ok(_) => Record::Case(case),
            },
            Record::Failed(mut errors) => {
                self.admit_failed(&mut errors);
                Record::Failed(errors)
            }
        }
    }

    /// For a readable case: its id in `IdOwners::ids`, or the duplicate-id error when
    /// an earlier record owns it.
    pub fn admit_case(&mut self, id: &str, location: &Location) -> Result<CaseId, DataError> {
        self.ids.insert(id).map_err(|_| self.duplicate(id, location))
    }

    /// For a record that failed: adds the duplicate-id error when its id is owned.
    pub fn admit_failed(&mut self, errors: &mut Vec<DataError>) {
        let owner = errors.iter().find_map(|error| error.case.clone().map(|id| (id, error.location.clone())));
        if let Some((id, location)) = owner {
            if self.ids.insert(&id).is_err() {
                errors.push(self.duplicate(&id, &location));
            }
        }
    }

    /// The language of the errors it words.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Every id owned, the cases' among them.
    pub fn into_ids(self) -> CaseIds {
        self.ids
    }
}

/// A stretch of a batch's records as read, not yet typed: chunks are typed (and their
/// cases evaluated) on any thread, and taken back in the order they were read.
pub struct Chunk(ChunkKind);

enum ChunkKind {
    /// Whole lines of JSON Lines, the first being line `first_line`.
    Lines { first_line: u64, bytes: Vec<u8> },
    /// Elements of a JSON array: where each is in the text, and its location.
    Elements { text: Arc<Vec<u8>>, elements: Vec<(Range<usize>, Location)> },
    /// CSV rows, with the header's column names.
    Rows { columns: Arc<[String]>, rows: Vec<Row> },
    /// Rows of a workbook's sheet, with its named columns.
    Sheet { sheet: Arc<str>, columns: SheetColumns, rows: Vec<SheetRow> },
}

/// A CSV row: its cells and its line, or the error that it could not be read.
enum Row {
    Cells(csv::StringRecord, u64),
    Failed(Record),
}

impl Chunk {
    pub(super) fn sheet(sheet: Arc<str>, columns: SheetColumns, rows: Vec<SheetRow>) -> Chunk {
        Chunk(ChunkKind::Sheet { sheet, columns, rows })
    }

    /// Types each record of the chunk, in file order. Duplicate ids are the caller's to
    /// find ([`IdOwners`]), across chunks.
    pub fn records(self, schema: &Schema<'_>, mut each: impl FnMut(Record)) {
        // A chunk's repeated texts (recipients, projects) are held once for all its cases.
        let mut texts = super::TextPool::default();
        match self.0 {
            ChunkKind::Lines { first_line, bytes } => {
                let mut lines = bytes.split_inclusive(|byte| *byte == b'\n');
                for line_number in first_line.. {
                    let Some(mut line) = lines.next() else { break };
                    if line_number == 1 {
                        line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
                    }
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    each(json_record(line, Location::Line { line: line_number }, schema, &mut texts));
                }
            }
            ChunkKind::Elements { text, elements } => {
                for (range, location) in elements {
                    each(json_record(text.get(range).unwrap_or_default(), location, schema, &mut texts));
                }
            }
            ChunkKind::Rows { columns, rows } => {
                for row in rows {
                    match row {
                        Row::Failed(record) => each(record),
                        Row::Cells(cells, line) => each(csv_record(schema, &columns, &cells, line, &mut texts)),
                    }
                }
            }
            ChunkKind::Sheet { sheet, columns, rows } => {
                for row in rows {
                    each(sheet_record(schema, &sheet, &columns, &row, &mut texts));
                }
            }
        }
    }
}

/// Reads a batch into chunks of about `chunk_bytes`, in file order. Returns an error only
/// when the whole batch is unusable.
pub fn split_batch(
    reader: impl Read,
    format: InputFormat,
    schema: &Schema<'_>,
    chunk_bytes: usize,
    emit: &mut dyn FnMut(Chunk),
) -> Result<(), BatchError> {
    let chunk_bytes = chunk_bytes.max(1);
    match format {
        InputFormat::Json => read_json_array(reader, chunk_bytes, schema.policy.lang, emit),
        InputFormat::JsonLines => read_json_lines(reader, chunk_bytes, schema.policy.lang, emit),
        InputFormat::Csv => read_csv(reader, schema, chunk_bytes, emit),
        InputFormat::Xlsx { sheet } => super::sheet::read_xlsx(reader, schema, sheet.as_deref(), chunk_bytes, emit),
    }
}

/// A JSON record's fields in the order written, repeats included (a JSON map would keep
/// only the last of a repeated key, silently).
enum JsonRecord<'a> {
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
    NotObject,
}

impl<'de> serde::Deserialize<'de> for JsonRecord<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(RecordVisitor)?;
        Ok(value)
    }
}

struct RecordVisitor;

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = JsonRecord<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<JsonRecord<'de>, A::Error> {
        // Sized for a typical record, so that reading one does not grow the list.
        let mut fields = Vec::with_capacity(16);
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            // serde_json hands an exact (arbitrary-precision) number to a visitor as a
            // one-entry map under this private key: that is a number, not a record.
            if name == EXACT_NUMBER_KEY {
                map.next_value::<serde::de::IgnoredAny>()?;
                return Ok(JsonRecord::NotObject);
            }
            fields.push((name, map.next_value::<Json<'de>>()?));
        }
        Ok(JsonRecord::Object(fields))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<JsonRecord<'de>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(JsonRecord::NotObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_i64<E>(self, _: i64) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_u64<E>(self, _: u64) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_f64<E>(self, _: f64) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_str<E>(self, _: &str) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }

    fn visit_unit<E>(self) -> Result<JsonRecord<'de>, E> {
        Ok(JsonRecord::NotObject)
    }
}

fn json_record(bytes: &[u8], location: Location, schema: &Schema<'_>, texts: &mut super::TextPool) -> Record {
    let fields = match serde_json::from_slice::<JsonRecord>(bytes) {
        Ok(JsonRecord::Object(fields)) => fields,
        Ok(JsonRecord::NotObject) => {
            let message = schema.policy.lang.pick("a record must be a JSON object", "每条记录须是一个 JSON 对象");
            return unreadable(location, message.to_string());
        }
        Err(error) => {
            let message = say!(
                schema.policy.lang,
                format!("not a JSON object: {}", strip_position(&error)),
                format!("不是有效的 JSON 对象：{}", strip_position(&error))
            );
            return unreadable(location, message);
        }
    };
    build_case(schema, texts, fields.iter().map(|(name, value)| (&**name, Raw::Json(value))), |_| location.clone())
}

fn unreadable(location: Location, message: String) -> Record {
    Record::Failed(vec![DataError { case: None, field: None, location, message }])
}

/// Why a batch could not be read at all.
fn unreadable_data(lang: Lang, error: std::io::Error) -> BatchError {
    BatchError(say!(lang, format!("cannot read the data: {error}"), format!("无法读取数据：{error}")))
}

fn read_json_lines(
    mut reader: impl Read,
    chunk_bytes: usize,
    lang: Lang,
    emit: &mut dyn FnMut(Chunk),
) -> Result<(), BatchError> {
    let mut first_line = 1u64;
    let mut pending: Vec<u8> = Vec::new();
    let mut at_end = false;
    while !at_end {
        // Fill to the chunk's size, then cut after its last line break; a line longer
        // than a chunk makes a chunk of its own.
        let mut searched = 0;
        let cut = loop {
            if pending.len() >= chunk_bytes {
                if let Some(last) =
                    pending.get(searched..).and_then(|rest| rest.iter().rposition(|byte| *byte == b'\n'))
                {
                    break searched + last + 1;
                }
                searched = pending.len();
            }
            let before = pending.len();
            pending.resize(before + chunk_bytes.max(8 * 1024), 0);
            let read = loop {
                match reader.read(pending.get_mut(before..).unwrap_or_default()) {
                    Ok(read) => break read,
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(error) => return Err(unreadable_data(lang, error)),
                }
            };
            pending.truncate(before + read);
            if read == 0 {
                at_end = true;
                break pending.len();
            }
        };
        if cut == 0 {
            break;
        }
        let rest = pending.split_off(cut);
        let bytes = std::mem::replace(&mut pending, rest);
        let lines = bytes.iter().filter(|byte| **byte == b'\n').count() as u64;
        // A last line without a line break is a line too.
        let next_line = first_line + lines + u64::from(bytes.last() != Some(&b'\n'));
        emit(Chunk(ChunkKind::Lines { first_line, bytes }));
        first_line = next_line;
    }
    Ok(())
}

fn read_json_array(
    mut reader: impl Read,
    chunk_bytes: usize,
    lang: Lang,
    emit: &mut dyn FnMut(Chunk),
) -> Result<(), BatchError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|error| unreadable_data(lang, error))?;
    let bytes = Arc::new(bytes);
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let text = bytes.get(bom..).unwrap_or_default();
    let not_array = || {
        BatchError(
            lang.pick("the data is not a JSON array of case objects", "数据不是由案例对象组成的 JSON 数组").to_string(),
        )
    };
    let mut scanner = ArrayScanner { text, at: 0, line: 1, column: 1 };
    scanner.skip_whitespace();
    if !scanner.eat(b'[') {
        return Err(not_array());
    }
    scanner.skip_whitespace();
    if scanner.eat(b']') {
        return scanner.expect_end().ok_or_else(not_array);
    }
    let mut elements = Vec::new();
    let mut chunk_start = scanner.at;
    let mut emit_elements = |elements: &mut Vec<_>| {
        if !elements.is_empty() {
            emit(Chunk(ChunkKind::Elements { text: Arc::clone(&bytes), elements: std::mem::take(elements) }));
        }
    };
    for index in 0u64.. {
        scanner.skip_whitespace();
        let (start, line, column) = (scanner.at, scanner.line, scanner.column);
        let end = scanner.element_end().ok_or_else(not_array)?;
        elements.push((bom + start..bom + end, Location::Element { element: index, line, column }));
        if end - chunk_start >= chunk_bytes {
            emit_elements(&mut elements);
            chunk_start = end;
        }
        if scanner.eat(b']') {
            scanner.expect_end().ok_or_else(not_array)?;
            emit_elements(&mut elements);
            return Ok(());
        }
        // A trailing comma (`[{...},]`) is not JSON: the array as a whole is unusable.
        if !scanner.eat(b',') || scanner.eat(b']') {
            return Err(not_array());
        }
    }
    Ok(())
}

/// Finds the elements of a top-level JSON array without parsing them, counting lines and
/// columns (in characters) so each record's errors can say where it is, even when the
/// whole array is on one line.
struct ArrayScanner<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
    column: u64,
}

impl ArrayScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn advance(&mut self) {
        match self.peek() {
            Some(b'\n') => {
                self.line += 1;
                self.column = 1;
            }
            // A UTF-8 continuation byte is part of the character before it.
            Some(byte) if byte & 0xC0 != 0x80 => self.column += 1,
            _ => {}
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

fn read_csv(
    reader: impl Read,
    schema: &Schema<'_>,
    chunk_bytes: usize,
    emit: &mut dyn FnMut(Chunk),
) -> Result<(), BatchError> {
    let lines = Rc::new(RefCell::new(CsvLines::default()));
    let tracked = TrackedReader { inner: reader, lines: Rc::clone(&lines) };
    let mut csv = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(tracked);
    let lang = schema.policy.lang;
    let mut header = csv::StringRecord::new();
    match csv.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            let message = lang.pick("the CSV file is empty: it needs a header row", "CSV 文件为空：需要一行表头");
            return Err(BatchError(message.to_string()));
        }
        Err(error) => {
            return Err(BatchError(say!(
                lang,
                format!("cannot read the CSV header: {error}"),
                format!("无法读取 CSV 表头：{error}")
            )))
        }
    }
    let columns: Arc<[String]> = header
        .iter()
        .enumerate()
        .map(
            |(index, name)| if index == 0 { name.trim_start_matches('\u{feff}').to_string() } else { name.to_string() },
        )
        .collect();
    let column = |index: usize, name: Option<&str>| match (name, lang) {
        (Some(name), Lang::En) => format!("CSV column {} `{name}`", index + 1),
        (None, Lang::En) => format!("CSV column {}", index + 1),
        (Some(name), Lang::Zh) => format!("CSV 第{}列 `{name}`", index + 1),
        (None, Lang::Zh) => format!("CSV 第{}列", index + 1),
    };
    let header = Header { column: &column, header: lang.pick("the CSV header", "CSV 表头"), lang };
    header.check(schema, columns.iter().map(String::as_str))?;
    let mut rows = Vec::new();
    let mut bytes_in_chunk = 0;
    let mut sink = |row: Row, bytes: usize, rows: &mut Vec<Row>| {
        rows.push(row);
        bytes_in_chunk += bytes;
        if bytes_in_chunk >= chunk_bytes {
            bytes_in_chunk = 0;
            emit(Chunk(ChunkKind::Rows { columns: Arc::clone(&columns), rows: std::mem::take(rows) }));
        }
    };
    loop {
        let mut row = csv::StringRecord::new();
        let read = csv.read_record(&mut row);
        let row_error = |line: u64, message: String| {
            Record::Failed(vec![DataError {
                case: None,
                field: None,
                location: Location::Row { row: line, column: None },
                message,
            }])
        };
        match read {
            Ok(true) => {}
            Ok(false) => {
                if !rows.is_empty() {
                    emit(Chunk(ChunkKind::Rows { columns: Arc::clone(&columns), rows }));
                }
                return Ok(());
            }
            Err(error) => {
                let byte = error.position().map_or(0, csv::Position::byte);
                let line = lines.borrow_mut().line_at(byte);
                if let csv::ErrorKind::Io(error) = error.kind() {
                    return Err(BatchError(say!(
                        lang,
                        format!("cannot read the data: {error}"),
                        format!("无法读取数据：{error}")
                    )));
                }
                let message = say!(lang, format!("cannot read this row: {error}"), format!("无法读取这一行：{error}"));
                sink(Row::Failed(row_error(line, message)), 1, &mut rows);
                continue;
            }
        }
        let byte = row.position().map_or(0, csv::Position::byte);
        let line = lines.borrow_mut().line_at(byte);
        if lines.borrow().ends_inside_quotes() {
            let message = lang.pick(
                "this row ends inside a quoted cell: the file ends before its closing `\"`",
                "这一行在引号内结束：文件在闭合的 `\"` 之前就结束了",
            );
            sink(Row::Failed(row_error(line, message.into())), 1, &mut rows);
            continue;
        }
        if row.len() != columns.len() {
            let message = say!(
                lang,
                format!("this row has {} cells, but the header has {}", row.len(), columns.len()),
                format!("这一行有{}个单元格，表头有{}个", row.len(), columns.len())
            );
            sink(Row::Failed(row_error(line, message)), 1, &mut rows);
            continue;
        }
        let bytes = row.as_slice().len() + row.len();
        sink(Row::Cells(row, line), bytes, &mut rows);
    }
}

/// How a table's header row is named in its errors.
pub(super) struct Header<'a> {
    /// A column by its 0-based place among the header's, with its name when it has one:
    /// `CSV column 3 \`colour\``.
    pub column: &'a dyn Fn(usize, Option<&str>) -> String,
    /// The header row itself: `the CSV header`.
    pub header: &'a str,
    pub lang: Lang,
}

impl Header<'_> {
    /// A header row's column names against the schema: each names an input, once, and
    /// every required input has a column.
    pub fn check<'n>(&self, schema: &Schema<'_>, names: impl Iterator<Item = &'n str>) -> Result<(), BatchError> {
        let mut seen = HashSet::new();
        for (index, name) in names.enumerate() {
            let lang = self.lang;
            if name.is_empty() {
                let column = (self.column)(index, None);
                return Err(BatchError(say!(lang, format!("{column} has an empty name"), format!("{column}没有列名"))));
            }
            let column = (self.column)(index, Some(name));
            if schema.input(name).is_none() {
                return Err(BatchError(say!(
                    lang,
                    format!("{column} is not an input of the policy"),
                    format!("{column}不是政策声明的申报数据")
                )));
            }
            if !seen.insert(name) {
                return Err(BatchError(say!(lang, format!("{column} appears twice"), format!("{column}重复出现"))));
            }
        }
        let policy = schema.policy;
        for (id, input) in policy.inputs.iter().enumerate() {
            let needed = input.required || id == policy.case_id || id == policy.case_date;
            if needed && !seen.contains(input.name.as_str()) {
                return Err(BatchError(say!(
                    self.lang,
                    format!("{} has no column for the required field `{}`", self.header, input.name),
                    format!("{}缺少必填字段 `{}` 的列", self.header, input.name)
                )));
            }
        }
        Ok(())
    }
}

/// Types one CSV row read under `columns`.
fn csv_record(
    schema: &Schema<'_>,
    columns: &[String],
    row: &csv::StringRecord,
    line: u64,
    texts: &mut super::TextPool,
) -> Record {
    let fields = columns.iter().zip(row.iter()).map(|(name, cell)| (name.as_str(), Raw::Csv(cell)));
    let column_of = |field: Option<&str>| Location::Row {
        row: line,
        column: field.and_then(|field| columns.iter().position(|name| name == field)).map(|index| index + 1),
    };
    build_case(schema, texts, fields, column_of)
}

/// Types one row of a sheet read under `columns`.
fn sheet_record(
    schema: &Schema<'_>,
    sheet: &Arc<str>,
    columns: &[(String, u32)],
    row: &SheetRow,
    texts: &mut super::TextPool,
) -> Record {
    let fields = columns.iter().zip(&row.cells).map(|((name, _), cell)| {
        let raw = match cell {
            Cell::Text(text) => Raw::Csv(text),
            Cell::Error(error) => Raw::CellError(error),
        };
        (name.as_str(), raw)
    });
    let location_of = |field: Option<&str>| Location::Cell {
        sheet: Arc::clone(sheet),
        row: row.row,
        column: field.and_then(|field| columns.iter().find(|(name, _)| name == field)).map(|(_, column)| *column),
    };
    build_case(schema, texts, fields, location_of)
}

/// Hands bytes to the CSV reader while noting where lines break and whether the text so
/// far ends inside a quoted cell.
struct TrackedReader<R> {
    inner: R,
    lines: Rc<RefCell<CsvLines>>,
}

impl<R: Read> Read for TrackedReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let mut lines = self.lines.borrow_mut();
        lines.note(buffer.get(..count).unwrap_or_default());
        if count == 0 && !buffer.is_empty() {
            lines.at_end = true;
        }
        Ok(count)
    }
}

/// Where a CSV quote leaves the reader, following the csv crate's own rules (a doubled
/// quote inside quotes is a quote; a quote inside an unquoted cell is text).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum QuoteState {
    #[default]
    CellStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Line numbers for CSV records. The csv crate counts records, not lines, once blank lines
/// are skipped, and its byte position of a record is where the previous one ended; so the
/// line is counted here: line breaks before that position, then the blank lines after it.
#[derive(Default)]
struct CsvLines {
    /// Bytes handed to the CSV reader so far.
    consumed: u64,
    /// Offsets of `\r` and `\n` bytes not yet passed by a record, with whether each is `\n`.
    breaks: VecDeque<(u64, bool)>,
    /// Line feeds before the first entry of `breaks`.
    lines_before: u64,
    quote: QuoteState,
    at_end: bool,
}

impl CsvLines {
    fn note(&mut self, bytes: &[u8]) {
        for (offset, &byte) in (self.consumed..).zip(bytes) {
            let line_break = byte == b'\n' || byte == b'\r';
            if line_break {
                self.breaks.push_back((offset, byte == b'\n'));
            }
            self.quote = match (self.quote, byte) {
                (QuoteState::Quoted, b'"') => QuoteState::QuoteInQuoted,
                (QuoteState::Quoted, _) => QuoteState::Quoted,
                (QuoteState::QuoteInQuoted, b'"') | (QuoteState::CellStart, b'"') => QuoteState::Quoted,
                (_, b',') => QuoteState::CellStart,
                _ if line_break => QuoteState::CellStart,
                _ => QuoteState::Unquoted,
            };
        }
        self.consumed += bytes.len() as u64;
    }

    /// The 1-based line of the record the CSV reader places at `byte`.
    fn line_at(&mut self, byte: u64) -> u64 {
        while let Some(&(offset, is_feed)) = self.breaks.front() {
            if offset >= byte {
                break;
            }
            self.lines_before += u64::from(is_feed);
            self.breaks.pop_front();
        }
        // Blank lines between the previous record and this one.
        let mut blank = 0;
        for (expected, &(offset, is_feed)) in (byte..).zip(&self.breaks) {
            if offset != expected {
                break;
            }
            blank += u64::from(is_feed);
        }
        self.lines_before + blank + 1
    }

    /// Whether all the input is read and it ended inside a quoted cell.
    fn ends_inside_quotes(&self) -> bool {
        self.at_end && self.quote == QuoteState::Quoted
    }
}
