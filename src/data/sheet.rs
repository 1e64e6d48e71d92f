//! The cases of one sheet of an Excel workbook (`.xlsx`), read by calamine.
//!
//! The sheet is a table as a CSV file is: a header row naming inputs, then a row per
//! case. A cell typed in the spreadsheet (a number, a bool, a date) is turned into the
//! text a person would type for it, and every cell is then read by the CSV rules, so a
//! typed `2500000` and a text `250万` are the same money, and a bad value gets the same
//! message in either form. Rows and columns are named as the spreadsheet names them
//! (row 5, cell C5), so an analyst finds the cell an error is about.

use super::readers::{Chunk, Header};
use super::{BatchError, Schema};
use calamine::{Data, Reader};
use std::io::{Cursor, Read};
use std::sync::Arc;

/// One row of a sheet: its number in the spreadsheet and its cells, in the order of the
/// header's named columns.
pub(super) struct SheetRow {
    pub row: u64,
    pub cells: Vec<Cell>,
}

/// A cell as the CSV rules read it.
pub(super) enum Cell {
    /// What a person would type for the cell's value; empty for an empty cell.
    Text(String),
    /// A formula's error (`#DIV/0!`): the field is bad, whatever its type.
    Error(String),
}

impl Cell {
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(text) | Cell::Error(text) => text,
        }
    }
}

/// The named columns of a sheet: each name, and its column's 1-based number.
pub(super) type SheetColumns = Arc<[(String, u32)]>;

/// Reads the sheet `sheet` (or the first) of a workbook and emits its rows in chunks of
/// about `chunk_bytes` of cell text. Returns an error only when the whole batch is
/// unusable: not a workbook, no such sheet, a bad header.
pub(super) fn read_xlsx(
    mut reader: impl Read,
    schema: &Schema<'_>,
    sheet: Option<&str>,
    chunk_bytes: usize,
    emit: &mut dyn FnMut(Chunk),
) -> Result<(), BatchError> {
    // A workbook is a zip archive, read from its end: it is read whole.
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|error| BatchError(format!("cannot read the data: {error}")))?;
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes))
        .map_err(|error| BatchError(format!("not an Excel workbook (.xlsx): {error}")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|name| *name == wanted).cloned().ok_or_else(|| {
            BatchError(format!("the workbook has no sheet `{wanted}`; its sheets are {}", quoted_list(&names)))
        })?,
        None => names.first().cloned().ok_or_else(|| BatchError("the workbook has no sheet".to_string()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|error| BatchError(format!("cannot read sheet `{name}` of the workbook: {error}")))?;
    let sheet: Arc<str> = Arc::from(name.as_str());
    // The range starts at the sheet's first used cell, which need not be A1.
    let Some((first_row, first_column)) = range.start() else {
        return Err(BatchError(format!("sheet `{sheet}` is empty: it needs a header row")));
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap_or_default().iter().map(cell_text).collect();
    let column_number = |index: usize| first_column.saturating_add(u32::try_from(index).unwrap_or(u32::MAX)) + 1;
    // A column with no name and no value anywhere is formatting, not data.
    let mut used: Vec<bool> = header.iter().map(|name| !name.is_empty()).collect();
    for row in range.rows().skip(1) {
        for (used, cell) in used.iter_mut().zip(row) {
            *used |= !is_blank(cell);
        }
    }
    let named: Vec<usize> = (0..used.len()).filter(|index| used.get(*index).copied().unwrap_or(false)).collect();
    let describe = |place: usize, name: Option<&str>| {
        let letters = super::column_name(column_number(named.get(place).copied().unwrap_or(place)));
        match name {
            Some(name) => format!("column {letters} `{name}` of sheet `{sheet}`"),
            None => format!("column {letters} of sheet `{sheet}`"),
        }
    };
    let header_row = Header { column: &describe, header: &format!("the header row of sheet `{sheet}`") };
    header_row.check(schema, named.iter().map(|index| header.get(*index).map_or("", String::as_str)))?;
    let columns: SheetColumns =
        named.iter().map(|index| (header.get(*index).cloned().unwrap_or_default(), column_number(*index))).collect();

    let mut chunk = Vec::new();
    let mut bytes_in_chunk = 0;
    for (offset, row) in rows.enumerate() {
        let cells: Vec<Cell> = named
            .iter()
            .map(|index| match row.get(*index) {
                Some(Data::Error(error)) => Cell::Error(error.to_string()),
                Some(cell) => Cell::Text(cell_text(cell)),
                None => Cell::Text(String::new()),
            })
            .collect();
        // A blank row between cases is skipped, as a blank line of a CSV file is.
        if cells.iter().all(|cell| cell.text().is_empty()) {
            continue;
        }
        bytes_in_chunk += cells.iter().map(|cell| 1 + cell.text().len()).sum::<usize>();
        // Spreadsheet rows are 1-based and the header is the range's first row.
        let row = u64::from(first_row) + 2 + offset as u64;
        chunk.push(SheetRow { row, cells });
        if bytes_in_chunk >= chunk_bytes {
            bytes_in_chunk = 0;
            emit(Chunk::sheet(Arc::clone(&sheet), Arc::clone(&columns), std::mem::take(&mut chunk)));
        }
    }
    if !chunk.is_empty() {
        emit(Chunk::sheet(sheet, columns, chunk));
    }
    Ok(())
}

/// A cell's value as a person would type it: a number in plain decimal digits (`2500000`,
/// `0.1`), a bool as `true` or `false`, a date as `YYYY-MM-DD` (with its time, when it
/// has one, so that it is not a date).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        // The shortest decimal that is this binary number: what Excel shows at full
        // precision, and what it wrote into the file.
        Data::Float(number) => number.to_string(),
        Data::Int(number) => number.to_string(),
        Data::Bool(flag) => flag.to_string(),
        Data::DateTime(moment) if moment.is_datetime() => {
            let (year, month, day, hour, minute, second, milli) = moment.to_ymd_hms_milli();
            if (hour, minute, second, milli) == (0, 0, 0, 0) {
                format!("{year:04}-{month:02}-{day:02}")
            } else {
                format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
            }
        }
        Data::DateTime(duration) => duration.as_f64().to_string(),
        Data::DateTimeIso(text) => text.strip_suffix("T00:00:00").unwrap_or(text).to_string(),
        Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

/// Empty, or text of spaces only: what a spreadsheet shows as nothing.
fn is_blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

fn quoted_list(names: &[String]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}
