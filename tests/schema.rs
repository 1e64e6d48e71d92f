//! `polc schema` and the data reader accept the same values: generated valid and invalid
//! values of every type go through both, the reader (a run of one record) and a real JSON
//! Schema validator (the `jsonschema` crate, formats asserted), and must get the same
//! verdict.
//!
//! Two things a JSON Schema cannot say are left out, and documented in docs/running.md:
//! a JSON *number* (not string) with more decimals than polc keeps, and money written as
//! the number `-0`. Strings, where every rule is a pattern, are compared without exception.

use polc::check::checked::Policy;
use polc::data::InputFormat;
use proptest::prelude::*;
use serde_json::Value;

const POLICY: &str = r#"
policy "p"
  cases identified by id, dated by date
enum level: national, provincial
input id: text required
input date: date required
input money_value: money
input ratio_value: ratio
input integer_value: integer
input quantity_value: quantity
input bool_value: bool
input date_value: date
input text_value: text
input entity_value: entity
input enum_value: level
"#;

fn policy() -> Policy {
    polc::check_source(POLICY).policy.unwrap()
}

/// The record for one value of one field, as JSON text (numbers stay as written).
fn record(field: &str, value: &str) -> String {
    format!(r#"{{"id": "A", "date": "2024-01-01", "{field}": {value}}}"#)
}

fn reader_accepts(policy: &Policy, record: &str) -> bool {
    let result = polc::eval::run(policy, record.as_bytes(), InputFormat::JsonLines, None).unwrap();
    result.errors.is_empty()
}

struct Both {
    policy: Policy,
    validator: jsonschema::Validator,
}

impl Both {
    fn new() -> Self {
        let policy = policy();
        let schema = polc::data::schema::json_schema(&policy);
        let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
        Both { policy, validator }
    }

    /// (reader, schema) verdicts on one value of one field.
    fn verdicts(&self, field: &str, value: &str) -> (bool, bool) {
        let text = record(field, value);
        let instance: Value = serde_json::from_str(&text).unwrap();
        (reader_accepts(&self.policy, &text), self.validator.is_valid(&instance))
    }

    fn assert_agree(&self, field: &str, value: &str) {
        let (reader, schema) = self.verdicts(field, value);
        assert_eq!(reader, schema, "{field} = {value}: the reader says {reader}, the schema says {schema}");
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn chosen_values_get_the_same_verdict() {
    let both = Both::new();
    // Both sides do judge: these are the values the schema once accepted and the reader
    // refused, and the ones both accept.
    assert_eq!(both.verdicts("ratio_value", r#""60""#), (false, false));
    assert_eq!(both.verdicts("ratio_value", r#""150%""#), (false, false));
    assert_eq!(both.verdicts("ratio_value", r#""60%""#), (true, true));
    assert_eq!(both.verdicts("money_value", r#""1.0000000000000000000000000000001""#), (false, false));
    assert_eq!(both.verdicts("date_value", r#""2023-02-29""#), (false, false));
    assert_eq!(both.verdicts("money_value", r#""250万""#), (true, true));
    let strings = [
        (
            "money_value",
            vec![
                "250万",
                "3.5亿",
                "1,200,000.50",
                "68.5万元",
                "0",
                "007",
                "1.",
                ".5",
                "1,20,000",
                "0,123",
                "-5",
                "1e6",
                "三百万",
                "",
                "12345678901234567890",
                "123456789012345678901",
                "1.12345678",
                "1.123456789",
                "1.1234567800000",
                "99,999,999,999,999,999,999",
                "1,000,000,000,000,000,000,000",
            ],
        ),
        (
            "ratio_value",
            vec![
                "0.6",
                "60%",
                "60",
                "150%",
                "100%",
                "100.0%",
                "100.5%",
                "1",
                "1.0",
                "1.5",
                "0",
                "00.5",
                "0.59999999999999999999999999999",
                "0.5999999999999999999999999999",
                "59.99999999999999999999999999999%",
                "59.9999999999999999999999999%",
                "7%",
                "%",
                "",
            ],
        ),
        ("date_value", vec!["2024-02-29", "2023-02-29", "2024-2-29", "2024-13-01", "0000-01-01", ""]),
        ("text_value", vec!["x", "", " "]),
        ("entity_value", vec!["E1", ""]),
        ("enum_value", vec!["national", "regional", ""]),
        ("integer_value", vec!["3"]),
        (
            "quantity_value",
            vec!["500.5", "-2", "-0", "0.12345678", "0.123456789", "1.", ".5", "--1", "1e3", "500亩", ""],
        ),
        ("bool_value", vec!["true"]),
    ];
    for (field, values) in strings {
        for value in values {
            both.assert_agree(field, &json_string(value));
        }
    }
    let numbers = [
        ("money_value", vec!["0", "2.5e6", "1.5", "-1", "1e25", "99999999999999999999", "100000000000000000000"]),
        ("ratio_value", vec!["0", "1", "0.6", "1.01", "-0.5", "60", "1e-5"]),
        ("integer_value", vec!["3", "-3", "3.0", "3.5", "1e3", "9223372036854775807", "9223372036854775808"]),
        ("quantity_value", vec!["0", "-3.5", "1e3", "99999999999999999999", "100000000000000000000", "-1e20", "true"]),
        ("bool_value", vec!["true", "false", "1", "null"]),
        ("text_value", vec!["1", "true", "null", "[1]", "{}"]),
        ("money_value", vec!["null", "true", "[1, 2]", "{\"a\": 1}"]),
    ];
    for (field, values) in numbers {
        for value in values {
            both.assert_agree(field, value);
        }
    }
}

/// Text built from the characters values are made of, so that near misses are common.
fn value_text(alphabet: &'static str, max_len: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..=max_len)
        .prop_map(|chars| chars.into_iter().collect())
}

fn money_text() -> impl Strategy<Value = String> {
    prop_oneof![
        value_text("0123456789,.万亿元", 14),
        "[0-9]{1,22}(\\.[0-9]{1,10})?(元|万|亿|万元|亿元)?",
        "[1-9][0-9]{0,2}(,[0-9]{3}){0,7}(\\.[0-9]{1,10})?",
    ]
}

fn ratio_text() -> impl Strategy<Value = String> {
    prop_oneof![value_text("0123456789.%", 8), "0{0,2}[0-9]{0,3}(\\.[0-9]{1,30})?%?", "(0|1|100)(\\.0{1,3})?%?",]
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
        value_text("0123456789-", 11)
    ]
}

/// JSON numbers within what both sides can compare: at most 8 decimals for money (a
/// schema cannot count a number's decimals), no `-0`.
fn json_number(max_decimals: usize) -> impl Strategy<Value = String> {
    (any::<bool>(), 0u64..10_000_000_000u64, 0..=max_decimals, -3i32..=3, any::<bool>()).prop_map(
        |(negative, digits, decimals, exponent, with_exponent)| {
            let text = digits.to_string();
            let text = if decimals > 0 && decimals < text.len() {
                format!("{}.{}", &text[..text.len() - decimals], &text[text.len() - decimals..])
            } else {
                text
            };
            let text = if with_exponent { format!("{text}e{exponent}") } else { text };
            if negative && digits != 0 {
                format!("-{text}")
            } else {
                text
            }
        },
    )
}

fn decimals_of(number: &str) -> usize {
    match polc::money::plain_number(number) {
        Some((_, plain)) => plain.split_once('.').map_or(0, |(_, fraction)| fraction.trim_end_matches('0').len()),
        None => usize::MAX,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_strings_get_the_same_verdict(
        money in money_text(),
        ratio in ratio_text(),
        date in date_text(),
        text in value_text("ab ", 2),
        quantity in prop_oneof![value_text("0123456789.-", 10), "-?[0-9]{1,22}(\\.[0-9]{1,10})?"],
    ) {
        let both = Both::new();
        both.assert_agree("money_value", &json_string(&money));
        both.assert_agree("ratio_value", &json_string(&ratio));
        both.assert_agree("date_value", &json_string(&date));
        both.assert_agree("text_value", &json_string(&text));
        both.assert_agree("entity_value", &json_string(&text));
        both.assert_agree("quantity_value", &json_string(&quantity));
    }

    #[test]
    fn generated_numbers_get_the_same_verdict(money in json_number(10), ratio in json_number(6), integer in json_number(2)) {
        let both = Both::new();
        if decimals_of(&money) <= 8 {
            both.assert_agree("money_value", &money);
            both.assert_agree("quantity_value", &money);
        }
        both.assert_agree("ratio_value", &ratio);
        both.assert_agree("integer_value", &integer);
    }
}
