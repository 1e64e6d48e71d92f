//! The data contract a policy declares, as a JSON Schema (draft 2020-12) for one case
//! record, so data producers can validate their exports before a run.

use crate::check::checked::{Policy, Type};
use serde_json::{json, Map, Value};

// The patterns state exactly what the reader (`data::value`) accepts, digit limits
// included (`money::MONEY_DIGITS` and friends): "at most N significant digits" is
// `0*\d{1,N}` before the point and `\d{1,N}0*` after it. tests/schema.rs checks the two
// against each other on generated values of every type.

/// Money: ungrouped (leading zeros allowed) or grouped in threes (no leading zero), at most
/// 20 digits before the point and 8 after it (trailing zeros free), an optional unit.
const MONEY_PATTERN: &str =
    r"^(0*\d{1,20}|[1-9]\d{0,2}(,\d{3}){1,5}|[1-9]\d?(,\d{3}){6})(\.\d{1,8}0*)?(元|万|亿|万元|亿元)?$";
/// A ratio as a decimal within 0..=1 (28 decimals), or a percentage within 0%..=100% (26).
const RATIO_PATTERN: &str = r"^(0*[01](\.0+)?|0*0\.\d{1,28}0*|0*\d{1,2}(\.\d{1,26}0*)?%|0*100(\.0+)?%)$";
/// A quantity: a signed plain decimal, at most 20 digits before the point and 8 after it.
const QUANTITY_PATTERN: &str = r"^-?0*\d{1,20}(\.\d{1,8}0*)?$";
const DATE_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}$";
/// Money below 10^20 yuan, as the reader takes a JSON number.
const MONEY_NUMBER_LIMIT: &str = "100000000000000000000";

/// The schema of one case record of `policy`'s applicant data.
pub fn json_schema(policy: &Policy) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (id, input) in policy.inputs.iter().enumerate() {
        let must = input.required || id == policy.case_id || id == policy.case_date;
        let mut schema = type_schema(policy, input.ty);
        if let (Some(description), Value::Object(object)) = (&input.description, &mut schema) {
            object.insert("description".into(), Value::String(description.clone()));
        }
        let schema = if must {
            required.push(Value::String(input.name.clone()));
            schema
        } else {
            json!({ "anyOf": [schema, { "type": "null" }] })
        };
        properties.insert(input.name.clone(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{}: one case", policy.title),
        "description": "One record of applicant data. A batch is a JSON array of these, JSON Lines, or CSV with these columns.",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn type_schema(policy: &Policy, ty: Type) -> Value {
    match ty {
        Type::Money => json!({
            "oneOf": [
                { "type": "number", "minimum": 0, "exclusiveMaximum": number(MONEY_NUMBER_LIMIT) },
                { "type": "string", "pattern": MONEY_PATTERN }
            ],
            "$comment": "money in yuan: a number, or a string with optional thousands separators and unit 元/万/亿; at most 20 digits before the point and 8 after it (a JSON number with more decimals, or -0, is refused too, which a schema cannot say)"
        }),
        Type::Ratio => json!({
            "oneOf": [
                { "type": "number", "minimum": 0, "maximum": 1 },
                { "type": "string", "pattern": RATIO_PATTERN }
            ],
            "$comment": "a share between 0 and 1: 0.6 or \"60%\"; at most 28 decimals (26 in a percentage)"
        }),
        Type::Integer => json!({
            "type": "integer",
            "minimum": number(&i64::MIN.to_string()),
            "maximum": number(&i64::MAX.to_string())
        }),
        Type::Quantity | Type::PerUnit => json!({
            "oneOf": [
                { "type": "number", "exclusiveMinimum": number(&format!("-{MONEY_NUMBER_LIMIT}")), "exclusiveMaximum": number(MONEY_NUMBER_LIMIT) },
                { "type": "string", "pattern": QUANTITY_PATTERN }
            ],
            "$comment": "a plain number that is not money (亩, people, units): at most 20 digits before the point and 8 after it"
        }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Date => json!({ "type": "string", "format": "date", "pattern": DATE_PATTERN }),
        Type::Text => json!({ "type": "string", "minLength": 1 }),
        Type::Entity => json!({ "type": "string", "minLength": 1, "$comment": "an entity id" }),
        Type::Enum(id) => {
            let values: Vec<&str> = policy
                .enums
                .get(id)
                .map(|def| def.values.iter().map(|value| value.name.as_str()).collect())
                .unwrap_or_default();
            json!({ "type": "string", "enum": values })
        }
    }
}

/// A JSON number written exactly (serde_json keeps its digits: `arbitrary_precision`).
fn number(digits: &str) -> Value {
    digits.parse::<serde_json::Number>().map_or(Value::Null, Value::Number)
}
