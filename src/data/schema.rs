//! The data contract a policy declares, as a JSON Schema (draft 2020-12) for one case
//! record, so data producers can validate their exports before a run.

use crate::check::checked::{Policy, Type};
use serde_json::{json, Map, Value};

const MONEY_PATTERN: &str = r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?(元|万|亿|万元|亿元)?$";
const RATIO_PATTERN: &str = r"^\d+(\.\d+)?%?$";
const DATE_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}$";

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
                { "type": "number", "minimum": 0 },
                { "type": "string", "pattern": MONEY_PATTERN }
            ],
            "$comment": "money in yuan: a number, or a string with optional thousands separators and unit 元/万/亿"
        }),
        Type::Ratio => json!({
            "oneOf": [
                { "type": "number", "minimum": 0, "maximum": 1 },
                { "type": "string", "pattern": RATIO_PATTERN }
            ],
            "$comment": "a share between 0 and 1: 0.6 or \"60%\""
        }),
        Type::Integer => json!({ "type": "integer" }),
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
