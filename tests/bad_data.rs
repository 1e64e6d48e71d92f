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
        .map(|error| (error.case.clone(), error.field.clone(), error.location, error.message.clone()))
        .collect();
    (errors, result.cases.iter().map(|case| case.id.clone()).collect())
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
                Location::Line { line: 3 },
                "expected a whole number, found the string \"many\"".into()
            ),
            (None, None, Location::Line { line: 5 }, "a record must be a JSON object".into()),
        ]
    );
    assert_eq!(ran, ["OK"]);
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
    assert_eq!(refuse("id,date,id\n", InputFormat::Csv).as_deref(), Some("CSV column `id` appears twice"));
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
    assert_eq!(result.awards[0].amount.map(polc::money::format_yuan).as_deref(), Some("250000.00"));
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
