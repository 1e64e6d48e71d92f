//! Workbooks: cases read from `.xlsx` sheets (typed cells and text cells alike), and the
//! result written as a workbook, read back by calamine, a reader independent of the
//! writer polc uses.

mod common;

use calamine::{Data, Reader};
use polc::check::checked::{Policy, Type};
use polc::data::InputFormat;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Map, Value};
use std::io::Cursor;
use std::process::Command;

fn chengdu() -> Policy {
    polc::check_source(include_str!("../policies/chengdu-ai-2024.pol")).policy.unwrap()
}

fn shipped_cases() -> Vec<Map<String, Value>> {
    include_str!("../examples/cases.jsonl")
        .lines()
        .map(|line| serde_json::from_str::<Map<String, Value>>(line).unwrap())
        .collect()
}

/// How a test writes a case's values into a sheet.
#[derive(Clone, Copy, PartialEq)]
enum Cells {
    /// As an analyst types them into a formatted sheet: numbers, bools and dates as
    /// typed cells.
    Typed,
    /// Every value as the text of a text cell, as in CSV.
    Text,
}

/// The cases as a workbook: one sheet named `sheet`, a header row of every field any
/// case has (in the policy's order), then a row per case.
fn workbook(policy: &Policy, records: &[Map<String, Value>], cells: Cells, sheet: &str) -> Vec<u8> {
    let columns: Vec<(&str, Type)> = policy
        .inputs
        .iter()
        .filter(|input| records.iter().any(|record| record.contains_key(&input.name)))
        .map(|input| (input.name.as_str(), input.ty))
        .collect();
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let percent = Format::new().set_num_format("0%");
    let worksheet = book.add_worksheet();
    worksheet.set_name(sheet).unwrap();
    for (column, (name, _)) in (0u16..).zip(&columns) {
        worksheet.write_string(0, column, *name).unwrap();
    }
    for (row, record) in (1u32..).zip(records) {
        for (column, (name, ty)) in (0u16..).zip(&columns) {
            let Some(value) = record.get(*name) else { continue };
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            if cells == Cells::Text {
                worksheet.write_string(row, column, &text).unwrap();
                continue;
            }
            match (ty, value) {
                (_, Value::Bool(flag)) => {
                    worksheet.write_boolean(row, column, *flag).unwrap();
                }
                (Type::Date, _) => {
                    let day = ExcelDateTime::parse_from_str(&text).unwrap();
                    worksheet.write_datetime_with_format(row, column, &day, &date).unwrap();
                }
                (Type::Money, _) => {
                    let amount = polc::data::money_text(&text).unwrap();
                    worksheet.write_number(row, column, amount.to_string().parse::<f64>().unwrap()).unwrap();
                }
                (Type::Ratio, _) => {
                    let ratio = match text.strip_suffix('%') {
                        Some(percent) => percent.parse::<f64>().unwrap() / 100.0,
                        None => text.parse::<f64>().unwrap(),
                    };
                    worksheet.write_number_with_format(row, column, ratio, &percent).unwrap();
                }
                (_, Value::Number(number)) => {
                    worksheet.write_number(row, column, number.to_string().parse::<f64>().unwrap()).unwrap();
                }
                _ => {
                    worksheet.write_string(row, column, &text).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn json_result(policy: &Policy, data: &[u8], format: InputFormat) -> String {
    let result = polc::eval::run(policy, data, format, None).unwrap();
    let mut out = Vec::new();
    polc::render::json(policy, &result, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_workbook_of_typed_or_text_cells_gives_the_result_the_json_lines_give() {
    let policy = chengdu();
    let records = shipped_cases();
    let expected = json_result(&policy, include_bytes!("../examples/cases.jsonl"), InputFormat::JsonLines);
    for cells in [Cells::Typed, Cells::Text] {
        let book = workbook(&policy, &records, cells, "Cases");
        let got = json_result(&policy, &book, InputFormat::Xlsx { sheet: None });
        assert_eq!(got, expected, "{}", if cells == Cells::Typed { "typed cells" } else { "text cells" });
    }
}

/// The shipped workbook was written by openpyxl, another program than the tests' writer:
/// typed dates, bools and numbers beside text such as `860万`.
#[test]
fn the_shipped_workbook_gives_the_result_of_the_shipped_json_lines() {
    let policy = chengdu();
    let expected = json_result(&policy, include_bytes!("../examples/cases.jsonl"), InputFormat::JsonLines);
    let book = include_bytes!("../examples/cases.xlsx");
    assert_eq!(json_result(&policy, book, InputFormat::Xlsx { sheet: Some("申报".into()) }), expected);
    assert_eq!(json_result(&policy, book, InputFormat::Xlsx { sheet: None }), expected);
}

/// A workbook of one sheet from rows of text cells; `None` leaves a cell empty.
fn sheet_of(name: &str, rows: &[&[Option<&str>]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let worksheet = book.add_worksheet();
    worksheet.set_name(name).unwrap();
    for (row, cells) in (0u32..).zip(rows) {
        for (column, cell) in (0u16..).zip(*cells) {
            if let Some(text) = cell {
                worksheet.write_string(row, column, *text).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn errors_name_the_sheet_row_and_cell() {
    let policy = chengdu();
    let header = ["id", "date", "applicant", "contract_amount"].map(Some);
    let good = [Some("A"), Some("2024-05-01"), Some("E1"), Some("100万")];
    let bad_amount = [Some("B"), Some("2024-05-01"), Some("E2"), Some("lots")];
    let bad_date = [Some("C"), Some("2024-13-01"), Some("E3"), None];
    let blank = [None, None, None, None];
    let book = sheet_of("申报", &[&header, &good, &blank, &bad_amount, &bad_date]);
    let result = polc::eval::run(&policy, book.as_slice(), InputFormat::Xlsx { sheet: None }, None).unwrap();
    assert_eq!(result.cases.len(), 1);
    let errors: Vec<(String, String, String)> = result
        .errors
        .iter()
        .map(|error| (error.case.clone().unwrap(), error.location.to_string(), error.message.clone()))
        .collect();
    assert_eq!(
        errors,
        [
            ("B".into(), "sheet `申报`, cell D4".into(), "not a money amount: lots (write 300万 or 3000000)".into()),
            ("C".into(), "sheet `申报`, cell B5".into(), "not a date: 2024-13-01 (write YYYY-MM-DD)".into()),
        ]
    );
    let located = serde_json::to_value(&result.errors[0]).unwrap();
    assert_eq!(located["sheet"], "申报");
    assert_eq!(located["row"], 4);
    assert_eq!(located["column"], "D");
}

#[test]
fn a_sheet_is_chosen_by_name_and_a_missing_one_is_named() {
    let policy = chengdu();
    let mut book = Workbook::new();
    book.add_worksheet().set_name("notes").unwrap().write_string(0, 0, "not cases").unwrap();
    let cases = book.add_worksheet().set_name("cases").unwrap();
    for (column, (name, value)) in (0u16..).zip([("id", "A"), ("date", "2024-05-01"), ("applicant", "E1")]) {
        cases.write_string(0, column, name).unwrap();
        cases.write_string(1, column, value).unwrap();
    }
    let book = book.save_to_buffer().unwrap();
    let run = |sheet: Option<&str>| {
        polc::eval::run(&policy, book.as_slice(), InputFormat::Xlsx { sheet: sheet.map(str::to_string) }, None)
    };
    assert_eq!(run(Some("cases")).unwrap().cases.len(), 1);
    assert_eq!(run(None).err().unwrap().0, "column A `not cases` of sheet `notes` is not an input of the policy");
    assert_eq!(
        run(Some("Cases")).err().unwrap().0,
        "the workbook has no sheet `Cases`; its sheets are `notes`, `cases`"
    );
    assert_eq!(
        polc::eval::run(&policy, &b"id,date\n"[..], InputFormat::Xlsx { sheet: None }, None).err().unwrap().0,
        "not an Excel workbook (.xlsx): Zip error: invalid Zip archive: Could not find EOCD"
    );
}

#[test]
fn a_header_is_checked_as_a_csv_header_is() {
    let policy = chengdu();
    let refuse = |rows: &[&[Option<&str>]]| {
        polc::eval::run(&policy, sheet_of("S", rows).as_slice(), InputFormat::Xlsx { sheet: None }, None)
            .err()
            .map(|error| error.0)
    };
    let row = [Some("A"), Some("2024-05-01"), Some("E1")];
    assert_eq!(
        refuse(&[&[Some("id"), Some("date"), Some("id")], &row]).as_deref(),
        Some("column C `id` of sheet `S` appears twice")
    );
    assert_eq!(
        refuse(&[&[Some("id"), None, Some("applicant")], &[Some("A"), Some("2024-05-01"), Some("E1")]]).as_deref(),
        Some("column B of sheet `S` has an empty name")
    );
    assert_eq!(
        refuse(&[&[Some("id"), Some("date")], &row[..2]]).as_deref(),
        Some("the header row of sheet `S` has no column for the required field `applicant`")
    );
    assert_eq!(refuse(&[]).as_deref(), Some("sheet `S` is empty: it needs a header row"));
    // A column with neither a name nor a value is formatting, not data.
    let book = sheet_of(
        "S",
        &[&[Some("id"), None, Some("date"), Some("applicant")], &[Some("A"), None, Some("2024-05-01"), Some("E1")]],
    );
    assert_eq!(
        polc::eval::run(&policy, book.as_slice(), InputFormat::Xlsx { sheet: None }, None).unwrap().cases.len(),
        1
    );
}

fn polc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polc"))
}

/// Every sheet of a workbook as rows of cells.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

#[test]
fn the_result_workbook_holds_awards_errors_totals_and_each_rule_that_cut() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("result.xlsx");
    let status = polc()
        .args(["run", "policies/chengdu-ai-2024.pol", "examples/cases.jsonl", "--format", "xlsx", "--output"])
        .arg(&output)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let sheets = sheets(&std::fs::read(&output).unwrap());
    let names: Vec<&str> = sheets.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Awards",
            "Errors",
            "Totals by recipient",
            "Totals by clause",
            "once",
            "class rd_funding",
            "cap 1 (4.2)",
            "cap 2 (10.1)"
        ]
    );
    let (_, awards) = &sheets[0];
    let text = |cell: &Data| match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    };
    assert_eq!(
        awards[0].iter().map(text).collect::<Vec<_>>(),
        ["case", "clause", "recipient", "role", "kind", "amount", "subject_to_review", "why"]
    );
    // EX-05: an amount rounded to the fen, a number in a yuan format.
    let ex05 = awards.iter().find(|row| text(&row[0]) == "EX-05").unwrap();
    assert_eq!(ex05[5], Data::Float(188_888.89));
    assert_eq!(ex05[6], Data::Bool(false));
    assert!(text(&ex05[7]).ends_with("rounded half up to the fen: 188,888.89"), "{}", text(&ex05[7]));
    // EX-17 ran and got nothing: a row of kind `none` with the gate that stopped it.
    let ex17 = awards.iter().find(|row| text(&row[0]) == "EX-17").unwrap();
    assert_eq!(text(&ex17[4]), "none");
    assert_eq!(ex17[5], Data::Empty);
    // The totals agree with the table's (README), as numbers.
    let (_, totals) = &sheets[2];
    let r107 = totals.iter().find(|row| text(&row[0]) == "R107").unwrap();
    assert_eq!(r107[1..], [Data::Float(1_000_000.0), Data::Float(3_000_000.0)]);
    let (_, clauses) = &sheets[3];
    let clause_42 = clauses.iter().find(|row| text(&row[0]) == "4.2").unwrap();
    assert_eq!(clause_42[2..], [Data::Float(2.0), Data::Float(1_000_000.0), Data::Float(0.0)]);
    // The cap that cut EX-07's award from 900,000 to 650,000.
    let (_, cap) = &sheets[6];
    assert_eq!(cap.len(), 2);
    assert_eq!(text(&cap[1][0]), "EX-07");
    assert_eq!(cap[1][3..6], [Data::Float(900_000.0), Data::Float(650_000.0), Data::Float(250_000.0)]);
}

#[test]
fn data_errors_go_to_the_errors_sheet_and_only_a_workbook_has_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.csv");
    std::fs::write(&cases, "id,date,applicant,contract_amount\nA,2024-05-01,E1,lots\n").unwrap();
    let output = dir.path().join("out.xlsx");
    let status = polc()
        .args(["run", "policies/chengdu-ai-2024.pol", "--format", "xlsx", "-o"])
        .arg(&output)
        .arg(&cases)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let sheets = sheets(&std::fs::read(&output).unwrap());
    let (_, errors) = &sheets[1];
    assert_eq!(
        errors[1],
        [
            Data::String("A".into()),
            Data::String("contract_amount".into()),
            Data::String("row 2, column 4".into()),
            Data::String("not a money amount: lots (write 300万 or 3000000)".into()),
        ]
    );
    // --sheet only means something for a workbook.
    let output = polc().args(["run", "policies/chengdu-ai-2024.pol", "--sheet", "S"]).arg(&cases).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--sheet names a sheet of a workbook"));
}

/// A new result file gets the permissions any new file gets, not a temporary file's.
#[cfg(unix)]
#[test]
fn a_new_output_file_is_made_with_the_usual_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("awards.xlsx");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 022 && exec \"{}\" run policies/chengdu-ai-2024.pol examples/cases.xlsx --format xlsx -o \"{}\"",
            env!("CARGO_BIN_EXE_polc"),
            output.display()
        ))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(std::fs::metadata(&output).unwrap().permissions().mode() & 0o777, 0o644);
}

#[test]
fn amounts_that_a_number_cell_cannot_hold_exactly_are_written_as_text() {
    let policy = polc::check_source(
        r#"policy "p" issued by "x" valid from 2024-01-01 for 1 years
  cases identified by id, dated by date
input id: text required "id"
input date: date required "date"
input applicant: entity required "a"
input amount: money "amount"
chapter 1 "c"
article 1 "a"
  clause 1.1 "c"
    award amount to applicant
"#,
    )
    .policy
    .unwrap();
    let cases = "{\"id\":\"A\",\"date\":\"2024-02-01\",\"applicant\":\"E\",\"amount\":\"12345678901234567.89\"}\n\
                 {\"id\":\"B\",\"date\":\"2024-02-01\",\"applicant\":\"F\",\"amount\":\"1234567.89\"}\n";
    let result = polc::eval::run(&policy, cases.as_bytes(), InputFormat::JsonLines, None).unwrap();
    let sheets = sheets(&polc::render::xlsx(&policy, &result).unwrap());
    let (_, awards) = &sheets[0];
    assert_eq!(awards[1][5], Data::String("12345678901234567.89".into()));
    assert_eq!(awards[2][5], Data::Float(1_234_567.89));
}

mod mutated {
    use proptest::prelude::*;
    use std::io::{Read, Write};

    /// The shipped workbook with its first sheet's XML changed by `damage`, archived again.
    fn with_damaged_sheet(mut damage: impl FnMut(&mut Vec<u8>)) -> Vec<u8> {
        let original = include_bytes!("../examples/cases.xlsx");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&original[..])).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).unwrap();
            let name = entry.name().unwrap().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                damage(&mut bytes);
            }
            out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    fn run(book: &[u8]) {
        let policy = super::chengdu();
        let _ = polc::eval::run(&policy, book, polc::data::InputFormat::Xlsx { sheet: None }, None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// A damaged archive is an unusable batch, never a panic.
        #[test]
        fn damaged_workbooks_never_panic(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
            keep in prop::option::weighted(0.2, any::<prop::sample::Index>()),
        ) {
            let mut book = include_bytes!("../examples/cases.xlsx").to_vec();
            for (at, byte) in flips {
                let at = at.index(book.len());
                book[at] = byte;
            }
            if let Some(keep) = keep {
                book.truncate(keep.index(book.len() + 1));
            }
            run(&book);
        }

        /// A sheet whose XML is damaged (bytes changed, cell references and values
        /// rewritten) is an unusable batch or cases with errors, never a panic.
        #[test]
        fn damaged_sheets_never_panic(
            flips in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"AZ09<>\"/=rcsvt ".to_vec())), 0..6),
            reference in prop::option::of("[A-Z]{1,12}[0-9]{1,12}"),
        ) {
            let book = with_damaged_sheet(|xml| {
                for (at, byte) in &flips {
                    let at = at.index(xml.len());
                    xml[at] = *byte;
                }
                if let Some(reference) = &reference {
                    let text = String::from_utf8_lossy(xml).replacen("r=\"C3\"", &format!("r=\"{reference}\""), 1);
                    *xml = text.into_bytes();
                }
            });
            run(&book);
        }
    }

    #[test]
    fn a_cell_past_the_last_column_is_a_damaged_sheet() {
        let book = with_damaged_sheet(|xml| {
            *xml = String::from_utf8_lossy(xml).replacen("r=\"C3\"", "r=\"ZZZZZZZZZZ3\"", 1).into_bytes();
        });
        let policy = super::chengdu();
        let error = polc::eval::run(&policy, book.as_slice(), polc::data::InputFormat::Xlsx { sheet: None }, None);
        assert_eq!(
            error.err().unwrap().0,
            "sheet `申报` is damaged: a cell lies past the last row or column a sheet can have"
        );
    }
}

/// A JSON result with its errors' places taken out: an element of a JSON array and a row of
/// a sheet are named differently, and everything else must be the same.
fn without_locations(json: &str) -> Value {
    let mut result: Value = serde_json::from_str(json).unwrap();
    for error in result["errors"].as_array_mut().unwrap() {
        for place in ["element", "line", "column", "sheet", "row"] {
            error.as_object_mut().unwrap().remove(place);
        }
    }
    result
}

/// Every shape policy's worked cases read from a workbook of text cells give the result
/// the same cases give as JSON.
#[test]
fn every_shape_reads_from_a_workbook_as_from_json() {
    let mut shapes = 0;
    for path in common::shape_policies() {
        let policy = polc::check_source(&std::fs::read_to_string(&path).unwrap()).policy.unwrap();
        let examples: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("examples.json")).unwrap()).unwrap();
        for example in examples["examples"].as_array().unwrap() {
            let records: Vec<Map<String, Value>> =
                example["cases"].as_array().unwrap().iter().map(|case| case.as_object().unwrap().clone()).collect();
            let as_json = serde_json::to_vec(&records).unwrap();
            let expected = without_locations(&json_result(&policy, &as_json, InputFormat::Json));
            let book = workbook(&policy, &records, Cells::Text, "cases");
            let got = without_locations(&json_result(&policy, &book, InputFormat::Xlsx { sheet: None }));
            assert_eq!(got, expected, "{}", path.display());
        }
        shapes += 1;
    }
    assert!(shapes >= 25, "found only {shapes} shape policies");
}
