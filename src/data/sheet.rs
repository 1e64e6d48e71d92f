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
use crate::lang::{say, Lang};
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
    let lang = schema.policy.lang;
    reader.read_to_end(&mut bytes).map_err(|error| {
        BatchError(say!(lang, format!("cannot read the data: {error}"), format!("无法读取数据：{error}")))
    })?;
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|error| {
        BatchError(say!(
            lang,
            format!("not an Excel workbook (.xlsx): {error}"),
            format!("不是 Excel 工作簿（.xlsx）：{error}")
        ))
    })?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|name| *name == wanted).cloned().ok_or_else(|| {
            BatchError(say!(
                lang,
                format!("the workbook has no sheet `{wanted}`; its sheets are {}", quoted_list(&names)),
                format!("工作簿中没有工作表 `{wanted}`；现有工作表：{}", quoted_list(&names))
            ))
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| BatchError(lang.pick("the workbook has no sheet", "工作簿中没有工作表").to_string()))?,
    };
    let sheet: Arc<str> = Arc::from(name.as_str());
    let cells = sheet_cells(&mut workbook, &name, lang)?;
    // The sheet's rows, each its cells by column, in order; the first is the header. A
    // table need not start at A1: rows and columns keep the numbers the sheet gives them.
    let mut rows: Vec<(u32, Vec<(u32, Data)>)> = Vec::new();
    for (row, column, value) in cells {
        match rows.last_mut() {
            Some((last, cells)) if *last == row => cells.push((column, value)),
            _ => rows.push((row, vec![(column, value)])),
        }
    }
    let Some((_, header_cells)) = rows.first() else {
        return Err(BatchError(say!(
            lang,
            format!("sheet `{sheet}` is empty: it needs a header row"),
            format!("工作表 `{sheet}` 为空：需要一行表头")
        )));
    };
    // A column with no name and no value anywhere is formatting, not data.
    let mut used: Vec<(u32, String)> = header_cells
        .iter()
        .filter(|(_, value)| !is_blank(value))
        .map(|(column, value)| (*column, cell_text(value)))
        .collect();
    for (_, cells) in rows.iter().skip(1) {
        for (column, value) in cells {
            if !is_blank(value) && !used.iter().any(|(named, _)| named == column) {
                used.push((*column, String::new()));
            }
        }
    }
    used.sort_by_key(|(column, _)| *column);
    let describe = |place: usize, name: Option<&str>| {
        let letters = super::column_name(used.get(place).map_or(0, |(column, _)| column + 1));
        match (name, lang) {
            (Some(name), Lang::En) => format!("column {letters} `{name}` of sheet `{sheet}`"),
            (None, Lang::En) => format!("column {letters} of sheet `{sheet}`"),
            (Some(name), Lang::Zh) => format!("工作表 `{sheet}` 的 {letters} 列 `{name}`"),
            (None, Lang::Zh) => format!("工作表 `{sheet}` 的 {letters} 列"),
        }
    };
    let header_words = say!(lang, format!("the header row of sheet `{sheet}`"), format!("工作表 `{sheet}` 的表头"));
    let header = Header { column: &describe, header: &header_words, lang };
    header.check(schema, used.iter().map(|(_, name)| name.as_str()))?;
    let columns: SheetColumns = used.iter().map(|(column, name)| (name.clone(), column + 1)).collect();

    let mut chunk = Vec::new();
    let mut bytes_in_chunk = 0;
    for (row, values) in rows.into_iter().skip(1) {
        let cells: Vec<Cell> = used
            .iter()
            .map(|(column, _)| match values.iter().find(|(at, _)| at == column).map(|(_, value)| value) {
                Some(Data::Error(error)) => Cell::Error(error.to_string()),
                Some(value) => Cell::Text(cell_text(value)),
                None => Cell::Text(String::new()),
            })
            .collect();
        // A blank row between cases is skipped, as a blank line of a CSV file is.
        if cells.iter().all(|cell| cell.text().is_empty()) {
            continue;
        }
        bytes_in_chunk += cells.iter().map(|cell| 1 + cell.text().len()).sum::<usize>();
        // Spreadsheet rows are numbered from 1.
        chunk.push(SheetRow { row: u64::from(row) + 1, cells });
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

/// The rows of a sheet below Excel's limits: no reference past them is a cell.
const LAST_ROW: u32 = 1_048_575;
const LAST_COLUMN: u32 = 16_383;

/// Every cell of sheet `name` with a value, by its 0-based row and column, in row order.
/// Read cell by cell, not as one rectangle: a damaged file's cell reference far out
/// (`XFD1048576` and beyond) would make a rectangle of billions of cells.
fn sheet_cells(
    workbook: &mut calamine::Xlsx<Cursor<Vec<u8>>>,
    name: &str,
    lang: Lang,
) -> Result<Vec<(u32, u32, Data)>, BatchError> {
    let unreadable = |error: calamine::XlsxError| {
        BatchError(say!(
            lang,
            format!("cannot read sheet `{name}` of the workbook: {error}"),
            format!("无法读取工作簿中的工作表 `{name}`：{error}")
        ))
    };
    // calamine is a parser of untrusted bytes that may have a bug a damaged file finds:
    // its panic is this workbook's error, never the end of the run.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut reader = workbook.worksheet_cells_reader(name).map_err(unreadable)?;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let (row, column) = cell.get_position();
            if row > LAST_ROW || column > LAST_COLUMN {
                return Err(BatchError(say!(
                    lang,
                    format!("sheet `{name}` is damaged: a cell lies past the last row or column a sheet can have"),
                    format!("工作表 `{name}` 已损坏：有单元格超出了工作表的最大行或列")
                )));
            }
            let value = Data::from(cell.get_value().clone());
            if value != Data::Empty {
                cells.push((row, column, value));
            }
        }
        Ok(cells)
    }));
    let mut cells = match read {
        Ok(cells) => cells?,
        Err(_) => {
            return Err(BatchError(say!(
                lang,
                format!("sheet `{name}` of the workbook is damaged and cannot be read"),
                format!("工作簿中的工作表 `{name}` 已损坏，无法读取")
            )))
        }
    };
    // Written in row order by every spreadsheet program; sorted in case a file is not.
    cells.sort_by_key(|(row, column, _)| (*row, *column));
    Ok(cells)
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
