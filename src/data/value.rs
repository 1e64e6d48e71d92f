//! Reads one field's value, as JSON or as a CSV cell, into a typed fact. The rules are
//! the data contract's: exact money with units, ratios within 0..=1, strict bools,
//! integers and dates.

use super::Fact;
use crate::check::checked::{EnumDef, Type};
use crate::money::{self, Date, MoneyUnit, NumberError};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A JSON field's value, as far as a fact needs it. Lists and objects are never facts, so
/// they are skipped while parsing, not built: a 200 MB list costs no memory.
///
/// Text is borrowed from the record where it has no escapes, so that a typical field costs
/// no allocation.
#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number's text as written, read exactly later.
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    List,
    Object,
}

impl<'de> serde::Deserialize<'de> for Json<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// Text as the record has it: borrowed, or owned when it had escapes to undo.
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> serde::de::Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

/// serde_json hands an exact (arbitrary-precision) number to a visitor as a one-entry map
/// under this private key.
pub(super) const EXACT_NUMBER_KEY: &str = "$serde_json::private::Number";

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let Some(Text(key)) = map.next_key::<Text<'de>>()? else { return Ok(Json::Object) };
        if key == EXACT_NUMBER_KEY {
            return Ok(Json::Number(map.next_value::<Text<'de>>()?.0));
        }
        map.next_value::<serde::de::IgnoredAny>()?;
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(Json::Object)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Json::List)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(number.to_string().into()))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(number.to_string().into()))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(number.to_string().into()))
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(text)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
}

/// A field as the reader found it.
pub enum Raw<'a> {
    Json(&'a Json<'a>),
    /// A cell of a CSV file or a sheet, as text.
    Csv(&'a str),
    /// A sheet's cell that holds a formula's error (`#DIV/0!`).
    CellError(&'a str),
}

/// Reads a field of type `ty`. `Ok(None)` is a missing fact (JSON `null`, an empty CSV
/// cell); `Err` is a message saying why the value is bad.
pub fn read(raw: Raw<'_>, ty: Type, enums: &[EnumDef]) -> Result<Option<Fact>, String> {
    match raw {
        Raw::Json(Json::Null) => Ok(None),
        Raw::Csv("") => Ok(None),
        Raw::Json(value) => read_json(value, ty, enums).map(Some).map_err(|message| match value {
            Json::String(text) | Json::Number(text) => shorten(message, text),
            _ => message,
        }),
        Raw::Csv(cell) => read_text(cell, ty, enums, true).map(Some).map_err(|message| shorten(message, cell)),
        Raw::CellError(error) => {
            Err(format!("the cell holds the spreadsheet error {error}, not {}", expected(ty, enums)))
        }
    }
}

/// The most characters of a bad value an error message repeats.
const SHOWN_CHARACTERS: usize = 64;

/// A message that quotes a long bad value quotes its start only, so that one huge value
/// does not make a huge message (or a huge result).
fn shorten(message: String, value: &str) -> String {
    let length = value.chars().count();
    if length <= SHOWN_CHARACTERS {
        return message;
    }
    let start: String = value.chars().take(SHOWN_CHARACTERS).collect();
    message.replace(value, &format!("{start}… ({length} characters)"))
}

fn read_json(value: &Json<'_>, ty: Type, enums: &[EnumDef]) -> Result<Fact, String> {
    match (ty, value) {
        (_, Json::String(text)) if !matches!(ty, Type::Bool | Type::Integer) => read_text(text, ty, enums, false),
        (Type::Money, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| format!("not a money amount: {text}"))?;
            let amount = money::exact_decimal(&plain, 0, money::MONEY_DIGITS)
                .map_err(|error| number_message("a money amount", text, error))?;
            if negative {
                return Err(format!("money cannot be negative: {text}"));
            }
            Ok(Fact::Money(amount))
        }
        (Type::Ratio, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| format!("not a ratio: {text}"))?;
            let ratio = money::exact_decimal(&plain, 0, money::RATIO_DIGITS)
                .map_err(|error| number_message("a ratio", text, error))?;
            if negative && !ratio.is_zero() {
                return ratio_in_range(-ratio, text);
            }
            ratio_in_range(ratio, text)
        }
        (Type::Integer, Json::Number(text)) => whole_number(text).map(Fact::Integer),
        (Type::Quantity, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| format!("not a quantity: {text}"))?;
            let quantity = money::exact_decimal(&plain, 0, money::MONEY_DIGITS)
                .map_err(|error| number_message("a quantity", text, error))?;
            Ok(Fact::Quantity(if negative { -quantity } else { quantity }))
        }
        (Type::Bool, Json::Bool(flag)) => Ok(Fact::Bool(*flag)),
        (_, other) => Err(format!("expected {}, found {}", expected(ty, enums), describe_json(other))),
    }
}

/// A JSON number that is a whole number in any JSON form (`3`, `3.0`, `3e2`), as JSON
/// Schema's `integer` means it, within 64 bits.
fn whole_number(text: &str) -> Result<i64, String> {
    let not_whole = || format!("not a whole number: {text}");
    let (negative, plain) = money::plain_number(text).ok_or_else(not_whole)?;
    let limits = money::DigitLimits { whole: 20, fraction: 28 };
    let value = money::exact_decimal(&plain, 0, limits).map_err(|_| not_whole())?;
    if !value.fract().is_zero() {
        return Err(not_whole());
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| format!("too large a number: {text}"))
}

/// Why a number is not a value: a bad shape, or past polc's digit limits.
fn number_message(what: &str, text: &str, error: NumberError) -> String {
    match error {
        NumberError::NotANumber => format!("not {what}: {text}"),
        error => format!("{what} that cannot be held exactly: {text} has {error}"),
    }
}

fn read_text(text: &str, ty: Type, enums: &[EnumDef], from_csv: bool) -> Result<Fact, String> {
    if text.is_empty() {
        return Err(format!("an empty string is not {}", expected(ty, enums)));
    }
    match ty {
        Type::Money => money_text(text).map(Fact::Money).map_err(|error| match error {
            NumberError::NotANumber => money_help(text),
            error => number_message("a money amount", text, error),
        }),
        Type::Ratio => {
            let (digits, shift, limits) = match text.strip_suffix('%') {
                Some(digits) => (digits, -2, money::PERCENT_DIGITS),
                None => (text, 0, money::RATIO_DIGITS),
            };
            let ratio = money::exact_decimal(digits, shift, limits).map_err(|error| match error {
                NumberError::NotANumber => format!("not a ratio: {text} (write 0.6 or 60%)"),
                error => number_message("a ratio", text, error),
            })?;
            ratio_in_range(ratio, text)
        }
        Type::Quantity => {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(digits) => (true, digits),
                None => (false, text),
            };
            let quantity = money::exact_decimal(digits, 0, money::MONEY_DIGITS).map_err(|error| match error {
                NumberError::NotANumber => format!("not a quantity: {text} (write a number such as 500.5)"),
                error => number_message("a quantity", text, error),
            })?;
            Ok(Fact::Quantity(if negative { -quantity } else { quantity }))
        }
        Type::Integer if from_csv => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(format!("not a whole number: {text}"));
            }
            text.parse::<i64>().map(Fact::Integer).map_err(|_| format!("too large a number: {text}"))
        }
        Type::Bool if from_csv => match text {
            "true" | "是" => Ok(Fact::Bool(true)),
            "false" | "否" => Ok(Fact::Bool(false)),
            _ => Err(format!("not a bool: {text} (write true, false, 是 or 否)")),
        },
        Type::Integer | Type::Bool | Type::PerUnit => Err(format!("expected {}, found a string", expected(ty, enums))),
        Type::Date => Date::parse(text).map(Fact::Date).ok_or_else(|| format!("not a date: {text} (write YYYY-MM-DD)")),
        Type::Text | Type::Entity => Ok(Fact::Text(text.into())),
        Type::Enum(id) => {
            let def = enums.get(id).ok_or_else(|| "unknown enum".to_string())?;
            def.values
                .iter()
                .position(|value| value.name == text)
                .and_then(|position| u32::try_from(position).ok())
                .map(Fact::Enum)
                .ok_or_else(|| {
                    let names: Vec<&str> = def.values.iter().map(|value| value.name.as_str()).collect();
                    format!("`{text}` is not a value of enum `{}` ({})", def.name, names.join(", "))
                })
        }
    }
}

/// Money text: digits, optionally grouped by commas in threes, optional decimals, an
/// optional unit (`元`, `万`, `亿`, `万元`, `亿元`). No signs, spaces or exponents. Within
/// `money::MONEY_DIGITS` of the unit written, read exactly.
pub fn money_text(text: &str) -> Result<Decimal, NumberError> {
    let digits_end = text.find(|ch: char| !(ch.is_ascii_digit() || ch == ',' || ch == '.')).unwrap_or(text.len());
    let (number, unit_text) = text.split_at(digits_end);
    let unit = if unit_text.is_empty() {
        MoneyUnit::Yuan
    } else {
        MoneyUnit::parse(unit_text).ok_or(NumberError::NotANumber)?
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    if whole.contains(',') {
        let mut groups = whole.split(',');
        let first = groups.next().ok_or(NumberError::NotANumber)?;
        if first.is_empty() || first.len() > 3 || first.starts_with('0') || !groups.all(|group| group.len() == 3) {
            return Err(NumberError::NotANumber);
        }
    }
    let plain = match fraction {
        Some(fraction) => format!("{}.{fraction}", whole.replace(',', "")),
        None => whole.replace(',', ""),
    };
    money::money_in_yuan(&plain, unit)
}

fn money_help(text: &str) -> String {
    format!("not a money amount: {text} (write 300万 or 3000000)")
}

fn ratio_in_range(ratio: Decimal, text: &str) -> Result<Fact, String> {
    if ratio < Decimal::ZERO || ratio > Decimal::ONE {
        return Err(format!("a ratio must lie between 0 and 1 (0% and 100%): {text}"));
    }
    Ok(Fact::Ratio(ratio))
}

fn expected(ty: Type, enums: &[EnumDef]) -> String {
    match ty {
        Type::Money => "a money amount".into(),
        Type::Ratio => "a ratio".into(),
        Type::Integer => "a whole number".into(),
        Type::Quantity => "a quantity (a number)".into(),
        Type::PerUnit => "money per unit".into(),
        Type::Bool => "true or false".into(),
        Type::Date => "a date".into(),
        Type::Text => "text".into(),
        Type::Entity => "an entity id".into(),
        Type::Enum(id) => match enums.get(id) {
            Some(def) => format!("a value of enum `{}`", def.name),
            None => "an enum value".into(),
        },
    }
}

fn describe_json(value: &Json<'_>) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(flag) => format!("{flag}"),
        Json::Number(number) => format!("the number {number}"),
        Json::String(text) => format!("the string \"{text}\""),
        Json::List => "a list".into(),
        Json::Object => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Option<String> {
        money_text(text).ok().map(|amount| amount.normalize().to_string())
    }

    #[test]
    fn money_text_follows_the_contract() {
        assert_eq!(money("250万").as_deref(), Some("2500000"));
        assert_eq!(money("3.5亿").as_deref(), Some("350000000"));
        assert_eq!(money("1,200,000.50").as_deref(), Some("1200000.5"));
        assert_eq!(money("1200000元").as_deref(), Some("1200000"));
        assert_eq!(money("68.5万元").as_deref(), Some("685000"));
        for bad in ["三百万", "-5", "1,20,000", ",100", "1 000", "1e6", "１００", "5万万", "", "."] {
            assert_eq!(money(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_numbers_are_exact() {
        let value: Json = serde_json::from_str("2.5e6").unwrap();
        assert!(
            matches!(read(Raw::Json(&value), Type::Money, &[]), Ok(Some(Fact::Money(amount))) if amount == Decimal::from(2_500_000))
        );
        let value: Json = serde_json::from_str("-0").unwrap();
        assert!(read(Raw::Json(&value), Type::Money, &[]).is_err());
        let value: Json = serde_json::from_str("0.1").unwrap();
        assert!(
            matches!(read(Raw::Json(&value), Type::Ratio, &[]), Ok(Some(Fact::Ratio(ratio))) if ratio.to_string() == "0.1")
        );
        let value: Json = serde_json::from_str("60").unwrap();
        assert!(read(Raw::Json(&value), Type::Ratio, &[]).is_err());
        let value: Json = serde_json::from_str("1.0000000000000000000000000000001").unwrap();
        assert!(read(Raw::Json(&value), Type::Money, &[]).is_err());
        let value: Json = serde_json::from_str("[1, 2, [3]]").unwrap();
        assert_eq!(value, Json::List);
    }

    #[test]
    fn long_bad_values_are_quoted_by_their_start() {
        let long = "x".repeat(1000);
        let message = read(Raw::Csv(&long), Type::Date, &[]).err().unwrap_or_default();
        assert_eq!(message, format!("not a date: {}… (1000 characters) (write YYYY-MM-DD)", "x".repeat(64)));
    }

    #[test]
    fn csv_cells() {
        assert!(matches!(read(Raw::Csv("是"), Type::Bool, &[]), Ok(Some(Fact::Bool(true)))));
        assert!(matches!(read(Raw::Csv("-3"), Type::Integer, &[]), Ok(Some(Fact::Integer(-3)))));
        assert!(matches!(read(Raw::Csv(""), Type::Money, &[]), Ok(None)));
        assert!(read(Raw::Csv("yes"), Type::Bool, &[]).is_err());
        assert!(
            matches!(read(Raw::Csv("72%"), Type::Ratio, &[]), Ok(Some(Fact::Ratio(ratio))) if ratio.to_string() == "0.72")
        );
    }
}
