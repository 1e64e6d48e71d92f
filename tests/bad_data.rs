//! Bad applicant data in each format: each error names the case, the field and the line
//! (or row and column), the good cases still run, and nothing is dropped.

use polc::check::checked::Policy;
use polc::data::{InputFormat, Location};
use polc::eval;

fn chengdu() -> Policy {
    polc::check_source(include_str!("../policies/chengdu-ai-2024.pol")).policy.unwrap()
}

/// (case, field, location, message) of one error.
type ErrorFacts = (Option<String>, Option<String>, Location, String);

/// Every error, and the ids that ran.
fn outcome(data: &str, format: InputFormat) -> (Vec<ErrorFacts>, Vec<String>) {
    let policy = chengdu();
    let result = eval::run(&policy, data.as_bytes(), format, None).unwrap();
    let errors = result
        .errors
        .iter()
        .map(|error| (error.case.clone(), error.field.clone(), error.location.clone(), error.message.clone()))
        .collect();
    (errors, result.cases.iter().map(|case| result.cases.id(case).to_string()).collect())
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

const GOOD: &str = r#"{"id": "OK", "date": "2025-05-01", "applicant": "E1", "entity_type": "enterprise", "independent_legal_person": true, "new_little_giant": true}"#;

#[test]
fn json_lines_errors_name_case_field_and_line() {
    let data = [
        GOOD,
        r#"{"id": "U", "date": "2025-05-01", "applicant": "E1", "colour": "red"}"#,
        r#"{"id": "V", "date": "2025-05-01", "applicant": "E1", "contract_amount": "三百万", "ai_revenue_share": 60}"#,
        r#"{"id": "W", "date": "2025-05-01", "applicant": "E1", "standard_led": "regional"}"#,
        r#"{"id": "OK", "date": "2025-05-02", "applicant": "E2"}"#,
        r#"{"id": "X", "applicant": "E1"}"#,
        "",
        r#"[1, 2]"#,
        r#"{"id": "Y", "date": "2025-02-30", "applicant": "", "in_chengdu": "yes", "llm_filing_rank": 1.5}"#,
        r#"{"id": "Z", "date": "2025-05-01", "applicant": "E1", "contract_amount": -1, "project": null}"#,
    ]
    .join("\n");
    let (errors, ran) = outcome(&data, InputFormat::JsonLines);
    let line = |line| Location::Line { line };
    assert_eq!(
        errors,
        [
            (some("U"), some("colour"), line(2), "unknown field `colour`: the policy declares no such input".into()),
            (some("V"), some("contract_amount"), line(3), "not a money amount: 三百万 (write 300万 or 3000000)".into()),
            (some("V"), some("ai_revenue_share"), line(3), "a ratio must lie between 0 and 1 (0% and 100%): 60".into()),
            (
                some("W"),
                some("standard_led"),
                line(4),
                "`regional` is not a value of enum `standard_level` (international, national, industry)".into()
            ),
            (some("OK"), some("id"), line(5), "duplicate case id `OK`: an earlier record has it".into()),
            (some("X"), some("date"), line(6), "missing required field `date`".into()),
            (None, None, line(8), "a record must be a JSON object".into()),
            (some("Y"), some("date"), line(9), "not a date: 2025-02-30 (write YYYY-MM-DD)".into()),
            (some("Y"), some("applicant"), line(9), "an empty string is not an entity id".into()),
            (some("Y"), some("in_chengdu"), line(9), "expected true or false, found the string \"yes\"".into()),
            (some("Y"), some("llm_filing_rank"), line(9), "not a whole number: 1.5".into()),
            (some("Z"), some("contract_amount"), line(10), "money cannot be negative: -1".into()),
        ]
    );
    assert_eq!(ran, ["OK"]);
}

#[test]
fn json_array_errors_name_the_element_line() {
    let data = format!("[\n  {GOOD},\n  {{\"id\": \"B\",\n   \"date\": \"2025-05-01\", \"applicant\": \"E1\", \"conference_attendees\": \"many\"}},\n  42\n]\n");
    let (errors, ran) = outcome(&data, InputFormat::Json);
    assert_eq!(
        errors,
        [
            (
                some("B"),
                some("conference_attendees"),
                Location::Element { element: 1, line: 3, column: 3 },
                "expected a whole number, found the string \"many\"".into()
            ),
            (None, None, Location::Element { element: 2, line: 5, column: 3 }, "a record must be a JSON object".into()),
        ]
    );
    assert_eq!(ran, ["OK"]);
}

#[test]
fn minified_json_array_errors_name_the_element_and_column() {
    // The whole batch on one line, as a program writes it: the line alone says nothing.
    let bad = r#"{"id":"B","date":"2025-05-01","applicant":"E1","in_chengdu":"yes"}"#;
    let data = format!("[{GOOD},{bad},7,{{\"id\":\"政策\",\"date\":\"2025-05-01\",\"applicant\":\"\"}}]");
    let (errors, ran) = outcome(&data, InputFormat::Json);
    let second = 2 + GOOD.chars().count() as u64 + 1;
    let third = second + bad.chars().count() as u64 + 1;
    let fourth = third + 2;
    assert_eq!(
        errors,
        [
            (
                some("B"),
                some("in_chengdu"),
                Location::Element { element: 1, line: 1, column: second },
                "expected true or false, found the string \"yes\"".into()
            ),
            (
                None,
                None,
                Location::Element { element: 2, line: 1, column: third },
                "a record must be a JSON object".into()
            ),
            (
                some("政策"),
                some("applicant"),
                Location::Element { element: 3, line: 1, column: fourth },
                "an empty string is not an entity id".into()
            ),
        ]
    );
    assert_eq!(errors[1].2.to_string(), format!("element 2 (line 1, column {third})"));
    assert_eq!(ran, ["OK"]);
}

#[test]
fn csv_rows_are_file_lines_after_blank_lines() {
    let data = "id,date,applicant\nA,2025-05-01,E1\n\n\nB,2025-05-01\r\n\r\nC,2025-05-01,E3,x\n\"D\nD\",2025-05-01\nE,2025-13-01,E5\n";
    let (errors, _) = outcome(data, InputFormat::Csv);
    let rows: Vec<(Location, &str)> = errors.iter().map(|error| (error.2.clone(), error.3.as_str())).collect();
    let at = |row, column| Location::Row { row, column };
    assert_eq!(
        rows,
        [
            (at(5, None), "this row has 2 cells, but the header has 3"),
            (at(7, None), "this row has 4 cells, but the header has 3"),
            (at(8, None), "this row has 2 cells, but the header has 3"),
            (at(10, Some(2)), "not a date: 2025-13-01 (write YYYY-MM-DD)"),
        ]
    );
}

#[test]
fn csv_ending_inside_quotes_is_an_error_on_that_row() {
    let data = "id,date,applicant\nA,2025-05-01,E1\nB,2025-05-01,\"E2\n";
    let (errors, ran) = outcome(data, InputFormat::Csv);
    assert_eq!(
        errors,
        [(
            None,
            None,
            Location::Row { row: 3, column: None },
            "this row ends inside a quoted cell: the file ends before its closing `\"`".into()
        )]
    );
    assert_eq!(ran, ["A"]);
    // A quote inside an unquoted cell is text, and a closed quoted cell is fine.
    let (errors, ran) = outcome("id,date,applicant\nA,2025-05-01,\"E\"\"1\"\nB,2025-05-01,E\"2\n", InputFormat::Csv);
    assert_eq!(errors, []);
    assert_eq!(ran, ["A", "B"]);
}

#[test]
fn values_more_precise_than_polc_keeps_are_errors() {
    let record = |field: &str, value: &str| {
        format!(
            r#"{{"id": "P", "date": "2025-05-01", "applicant": "E1", "entity_type": "enterprise", "independent_legal_person": true, "{field}": {value}}}"#
        )
    };
    let cases = [
        ("ai_revenue_share", r#""59.99999999999999999999999999999%""#, "a ratio that cannot be held exactly: 59.99999999999999999999999999999% has more than 26 decimal places; polc keeps at most 26 and never rounds a value"),
        ("ai_revenue_share", r#""0.59999999999999999999999999999""#, "a ratio that cannot be held exactly: 0.59999999999999999999999999999 has more than 28 decimal places; polc keeps at most 28 and never rounds a value"),
        ("ai_revenue_share", "0.59999999999999999999999999999", "a ratio that cannot be held exactly: 0.59999999999999999999999999999 has more than 28 decimal places; polc keeps at most 28 and never rounds a value"),
        ("main_revenue", r#""1.0000000000000000000000000000001""#, "a money amount that cannot be held exactly: 1.0000000000000000000000000000001 has more than 8 decimal places; polc keeps at most 8 and never rounds a value"),
        ("main_revenue", "1.0000000000000000000000000000001", "a money amount that cannot be held exactly: 1.0000000000000000000000000000001 has more than 8 decimal places; polc keeps at most 8 and never rounds a value"),
        ("main_revenue", "1e-9", "a money amount that cannot be held exactly: 1e-9 has more than 8 decimal places; polc keeps at most 8 and never rounds a value"),
        ("main_revenue", r#""123456789012345678901万""#, "a money amount that cannot be held exactly: 123456789012345678901万 has more than 20 digits before the point"),
        ("main_revenue", "1e300", "not a money amount: 1e+300"),
    ];
    for (field, value, message) in cases {
        let (errors, ran) = outcome(&record(field, value), InputFormat::JsonLines);
        assert_eq!(errors, [(some("P"), some(field), Location::Line { line: 1 }, message.to_string())], "{value}");
        assert!(ran.is_empty());
    }
    // Trailing zeros past the limit hold the same value exactly: no error.
    let (errors, _) =
        outcome(&record("ai_revenue_share", r#""0.60000000000000000000000000000000""#), InputFormat::JsonLines);
    assert_eq!(errors, []);
}

#[test]
fn a_huge_list_value_is_rejected_without_being_built() {
    // 2 million numbers where a project id goes: rejected as "a list" while parsing.
    let numbers = vec!["1"; 2_000_000].join(",");
    let data = format!(r#"{{"id": "L", "date": "2025-05-01", "applicant": "E1", "project": [{numbers}]}}"#);
    let (errors, _) = outcome(&data, InputFormat::JsonLines);
    assert_eq!(
        errors,
        [(some("L"), some("project"), Location::Line { line: 1 }, "expected text, found a list".into())]
    );
}

#[test]
fn csv_errors_name_row_and_column() {
    let data = "\u{feff}id,date,applicant,entity_type,independent_legal_person,new_little_giant,contract_amount\n\
                OK,2025-05-01,E1,enterprise,是,true,\n\
                B,2025-05-01,E1,enterprise,maybe,true,1\n\
                C,2025-05-01,E1\n\
                OK,2025-05-03,E1,enterprise,否,true,\n\
                D,2025-05-01,,enterprise,true,true,\"1,200,000.50\"\n";
    let (errors, ran) = outcome(data, InputFormat::Csv);
    let at = |row, column| Location::Row { row, column };
    assert_eq!(
        errors,
        [
            (
                some("B"),
                some("independent_legal_person"),
                at(3, Some(5)),
                "not a bool: maybe (write true, false, 是 or 否)".into()
            ),
            (None, None, at(4, None), "this row has 3 cells, but the header has 7".into()),
            (some("OK"), some("id"), at(5, None), "duplicate case id `OK`: an earlier record has it".into()),
            (some("D"), some("applicant"), at(6, Some(3)), "missing required field `applicant`".into()),
        ]
    );
    assert_eq!(ran, ["OK"]);
}

#[test]
fn unusable_batches_are_refused_whole() {
    let policy = chengdu();
    let refuse = |data: &str, format| eval::run(&policy, data.as_bytes(), format, None).err().map(|error| error.0);
    assert_eq!(
        refuse("{\"id\": 1}", InputFormat::Json).as_deref(),
        Some("the data is not a JSON array of case objects")
    );
    assert_eq!(
        refuse("[{\"id\": \"A\"}", InputFormat::Json).as_deref(),
        Some("the data is not a JSON array of case objects")
    );
    assert_eq!(
        refuse("[{\"id\": \"A\"},]", InputFormat::Json).as_deref(),
        Some("the data is not a JSON array of case objects")
    );
    assert_eq!(
        refuse("id,date,colour\n", InputFormat::Csv).as_deref(),
        Some("CSV column 3 `colour` is not an input of the policy")
    );
    assert_eq!(refuse("id,date,id\n", InputFormat::Csv).as_deref(), Some("CSV column 3 `id` appears twice"));
    assert_eq!(refuse("id,,date\n", InputFormat::Csv).as_deref(), Some("CSV column 2 has an empty name"));
    assert_eq!(
        refuse("id,date\n", InputFormat::Csv).as_deref(),
        Some("the CSV header has no column for the required field `applicant`")
    );
}

#[test]
fn exponents_and_units_are_read_exactly() {
    let data = r#"{"id": "A", "date": "2025-05-01", "applicant": "E1", "entity_type": "enterprise", "independent_legal_person": true, "ai_revenue_share": "0.6", "equity_investment": 2.5e6}"#;
    let policy = chengdu();
    let result = eval::run(&policy, data.as_bytes(), InputFormat::JsonLines, None).unwrap();
    assert!(result.errors.is_empty());
    assert_eq!(result.awards.len(), 1);
    assert_eq!(result.awards[0].amount().map(polc::money::format_yuan).as_deref(), Some("250000.00"));
}

#[test]
fn a_record_with_a_readable_id_owns_it_even_when_another_field_is_bad() {
    let data = [
        r#"{"id": "Q", "date": "2025-05-01", "applicant": "E1", "contract_amount": "bad"}"#,
        r#"{"id": "Q", "date": "2025-05-01", "applicant": "E1"}"#,
        r#"{"id": "Q", "date": "2025-05-01", "applicant": "E1", "colour": 1}"#,
        r#"{"id": 7, "date": "2025-05-01", "applicant": "E1"}"#,
        r#"{"id": "7", "date": "2025-05-01", "applicant": "E1", "entity_type": "enterprise", "independent_legal_person": true}"#,
    ]
    .join("\n");
    let (errors, ran) = outcome(&data, InputFormat::JsonLines);
    let fields: Vec<(Option<String>, Option<String>, Location)> =
        errors.into_iter().map(|(case, field, location, _)| (case, field, location)).collect();
    let line = |line| Location::Line { line };
    assert_eq!(
        fields,
        [
            (some("Q"), some("contract_amount"), line(1)),
            (some("Q"), some("id"), line(2)),
            (some("Q"), some("colour"), line(3)),
            (some("Q"), some("id"), line(3)),
            (None, some("id"), line(4)),
        ]
    );
    assert_eq!(ran, ["7"]);
}

#[test]
fn a_field_given_twice_is_an_error_not_a_silent_overwrite() {
    let data =
        [r#"{"id": "A", "date": "2025-05-01", "applicant": "E1", "applicant": "E2"}"#, "123", "1.5e3", r#""text""#]
            .join("\n");
    let (errors, ran) = outcome(&data, InputFormat::JsonLines);
    let line = |line| Location::Line { line };
    assert_eq!(
        errors,
        [
            (some("A"), some("applicant"), line(1), "field `applicant` is given twice in this record".into()),
            (None, None, line(2), "a record must be a JSON object".into()),
            (None, None, line(3), "a record must be a JSON object".into()),
            (None, None, line(4), "a record must be a JSON object".into()),
        ]
    );
    assert!(ran.is_empty());
}
