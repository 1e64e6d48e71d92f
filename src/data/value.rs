//! Reads one field's value, as JSON or as a CSV cell, into a typed fact. The rules are
//! the data contract's: exact money with units, ratios within 0..=1, strict bools,
//! integers and dates.

use super::Fact;
use crate::check::checked::{EnumDef, Type};
use crate::lang::{say, Lang};
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
pub fn read(raw: Raw<'_>, ty: Type, enums: &[EnumDef], lang: Lang) -> Result<Option<Fact>, String> {
    match raw {
        Raw::Json(Json::Null) => Ok(None),
        Raw::Csv("") => Ok(None),
        Raw::Json(value) => read_json(value, ty, enums, lang).map(Some).map_err(|message| match value {
            Json::String(text) | Json::Number(text) => shorten(message, text, lang),
            _ => message,
        }),
        Raw::Csv(cell) => {
            read_text(cell, ty, enums, true, lang).map(Some).map_err(|message| shorten(message, cell, lang))
        }
        Raw::CellError(error) => Err(say!(
            lang,
            format!("the cell holds the spreadsheet error {error}, not {}", expected(ty, enums, lang)),
            format!("单元格是电子表格的错误值 {error}，不是{}", expected(ty, enums, lang))
        )),
    }
}

/// The most characters of a bad value an error message repeats.
const SHOWN_CHARACTERS: usize = 64;

/// A message that quotes a long bad value quotes its start only, so that one huge value
/// does not make a huge message (or a huge result).
fn shorten(message: String, value: &str, lang: Lang) -> String {
    let length = value.chars().count();
    if length <= SHOWN_CHARACTERS {
        return message;
    }
    let start: String = value.chars().take(SHOWN_CHARACTERS).collect();
    let cut = say!(lang, format!("{start}… ({length} characters)"), format!("{start}…（共{length}个字符）"));
    message.replace(value, &cut)
}

fn read_json(value: &Json<'_>, ty: Type, enums: &[EnumDef], lang: Lang) -> Result<Fact, String> {
    match (ty, value) {
        (_, Json::String(text)) if !matches!(ty, Type::Bool | Type::Integer) => read_text(text, ty, enums, false, lang),
        (Type::Money, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| not_a(lang, Number::Money, text))?;
            let amount = money::exact_decimal(&plain, 0, money::MONEY_DIGITS)
                .map_err(|error| number_message(lang, Number::Money, text, error))?;
            if negative {
                return Err(say!(lang, format!("money cannot be negative: {text}"), format!("金额不能为负：{text}")));
            }
            Ok(Fact::Money(amount))
        }
        (Type::Ratio, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| not_a(lang, Number::Ratio, text))?;
            let ratio = money::exact_decimal(&plain, 0, money::RATIO_DIGITS)
                .map_err(|error| number_message(lang, Number::Ratio, text, error))?;
            if negative && !ratio.is_zero() {
                return ratio_in_range(-ratio, text, lang);
            }
            ratio_in_range(ratio, text, lang)
        }
        (Type::Integer, Json::Number(text)) => whole_number(text, lang).map(Fact::Integer),
        (Type::Quantity, Json::Number(text)) => {
            let (negative, plain) = money::plain_number(text).ok_or_else(|| not_a(lang, Number::Quantity, text))?;
            let quantity = money::exact_decimal(&plain, 0, money::MONEY_DIGITS)
                .map_err(|error| number_message(lang, Number::Quantity, text, error))?;
            Ok(Fact::Quantity(if negative { -quantity } else { quantity }))
        }
        (Type::Bool, Json::Bool(flag)) => Ok(Fact::Bool(*flag)),
        (_, other) => Err(say!(
            lang,
            format!("expected {}, found {}", expected(ty, enums, lang), describe_json(other, lang)),
            format!("应为{}，实际为{}", expected(ty, enums, lang), describe_json(other, lang))
        )),
    }
}

/// The kinds of number a value can fail to be.
#[derive(Clone, Copy)]
enum Number {
    Money,
    Ratio,
    Quantity,
    Whole,
}

impl Number {
    fn words(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Number::Money, Lang::En) => "a money amount",
            (Number::Ratio, Lang::En) => "a ratio",
            (Number::Quantity, Lang::En) => "a quantity",
            (Number::Whole, Lang::En) => "a whole number",
            (Number::Money, Lang::Zh) => "金额",
            (Number::Ratio, Lang::Zh) => "比例",
            (Number::Quantity, Lang::Zh) => "数量",
            (Number::Whole, Lang::Zh) => "整数",
        }
    }
}

/// "not a ratio: 1.2.3".
fn not_a(lang: Lang, what: Number, text: &str) -> String {
    say!(lang, format!("not {}: {text}", what.words(lang)), format!("不是有效的{}：{text}", what.words(lang)))
}

/// A JSON number that is a whole number in any JSON form (`3`, `3.0`, `3e2`), as JSON
/// Schema's `integer` means it, within 64 bits.
fn whole_number(text: &str, lang: Lang) -> Result<i64, String> {
    let not_whole = || not_a(lang, Number::Whole, text);
    let (negative, plain) = money::plain_number(text).ok_or_else(not_whole)?;
    let limits = money::DigitLimits { whole: 20, fraction: 28 };
    let value = money::exact_decimal(&plain, 0, limits).map_err(|_| not_whole())?;
    if !value.fract().is_zero() {
        return Err(not_whole());
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| too_large(lang, text))
}

fn too_large(lang: Lang, text: &str) -> String {
    say!(lang, format!("too large a number: {text}"), format!("数值过大：{text}"))
}

/// Why a number is not a value: a bad shape, or past polc's digit limits.
fn number_message(lang: Lang, what: Number, text: &str, error: NumberError) -> String {
    match (error, lang) {
        (NumberError::NotANumber, _) => not_a(lang, what, text),
        (error, Lang::En) => format!("{} that cannot be held exactly: {text} has {error}", what.words(lang)),
        (NumberError::TooPrecise { fraction }, Lang::Zh) => format!(
            "{}无法精确保存：{text} 小数超过{fraction}位；polc 最多保留{fraction}位，且从不舍入",
            what.words(lang)
        ),
        (NumberError::TooLarge { whole }, Lang::Zh) => {
            format!("{}无法精确保存：{text} 整数部分超过{whole}位", what.words(lang))
        }
    }
}

fn read_text(text: &str, ty: Type, enums: &[EnumDef], from_csv: bool, lang: Lang) -> Result<Fact, String> {
    if text.is_empty() {
        return Err(say!(
            lang,
            format!("an empty string is not {}", expected(ty, enums, lang)),
            format!("空字符串不是{}", expected(ty, enums, lang))
        ));
    }
    match ty {
        Type::Money => money_text(text).map(Fact::Money).map_err(|error| match error {
            NumberError::NotANumber => money_help(text, lang),
            error => number_message(lang, Number::Money, text, error),
        }),
        Type::Ratio => {
            let (digits, shift, limits) = match text.strip_suffix('%') {
                Some(digits) => (digits, -2, money::PERCENT_DIGITS),
                None => (text, 0, money::RATIO_DIGITS),
            };
            let ratio = money::exact_decimal(digits, shift, limits).map_err(|error| match error {
                NumberError::NotANumber => {
                    say!(
                        lang,
                        format!("not a ratio: {text} (write 0.6 or 60%)"),
                        format!("不是有效的比例：{text}（请写 0.6 或 60%）")
                    )
                }
                error => number_message(lang, Number::Ratio, text, error),
            })?;
            ratio_in_range(ratio, text, lang)
        }
        Type::Quantity => {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(digits) => (true, digits),
                None => (false, text),
            };
            let quantity = money::exact_decimal(digits, 0, money::MONEY_DIGITS).map_err(|error| match error {
                NumberError::NotANumber => say!(
                    lang,
                    format!("not a quantity: {text} (write a number such as 500.5)"),
                    format!("不是有效的数量：{text}（请写数字，如 500.5）")
                ),
                error => number_message(lang, Number::Quantity, text, error),
            })?;
            Ok(Fact::Quantity(if negative { -quantity } else { quantity }))
        }
        Type::Integer if from_csv => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(not_a(lang, Number::Whole, text));
            }
            text.parse::<i64>().map(Fact::Integer).map_err(|_| too_large(lang, text))
        }
        Type::Bool if from_csv => match text {
            "true" | "是" => Ok(Fact::Bool(true)),
            "false" | "否" => Ok(Fact::Bool(false)),
            _ => Err(say!(
                lang,
                format!("not a bool: {text} (write true, false, 是 or 否)"),
                format!("不是有效的是/否值：{text}（请写 true、false、是 或 否）")
            )),
        },
        Type::Integer | Type::Bool | Type::PerUnit => Err(say!(
            lang,
            format!("expected {}, found a string", expected(ty, enums, lang)),
            format!("应为{}，实际为字符串", expected(ty, enums, lang))
        )),
        Type::Date => Date::parse(text).map(Fact::Date).ok_or_else(|| {
            say!(
                lang,
                format!("not a date: {text} (write YYYY-MM-DD)"),
                format!("不是有效的日期：{text}（请写 YYYY-MM-DD）")
            )
        }),
        Type::Text | Type::Entity => Ok(Fact::Text(text.into())),
        Type::Enum(id) => {
            let def = enums.get(id).ok_or_else(|| lang.pick("unknown enum", "未知的枚举").to_string())?;
            def.values
                .iter()
                .position(|value| value.name == text)
                .and_then(|position| u32::try_from(position).ok())
                .map(Fact::Enum)
                .ok_or_else(|| {
                    let names: Vec<&str> = def.values.iter().map(|value| value.name.as_str()).collect();
                    say!(
                        lang,
                        format!("`{text}` is not a value of enum `{}` ({})", def.name, names.join(", ")),
                        format!("`{text}` 不是枚举 `{}` 的取值（可取：{}）", def.name, names.join("、"))
                    )
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

fn money_help(text: &str, lang: Lang) -> String {
    say!(
        lang,
        format!("not a money amount: {text} (write 300万 or 3000000)"),
        format!("不是有效的金额：{text}（请写 300万 或 3000000）")
    )
}

fn ratio_in_range(ratio: Decimal, text: &str, lang: Lang) -> Result<Fact, String> {
    if ratio < Decimal::ZERO || ratio > Decimal::ONE {
        return Err(say!(
            lang,
            format!("a ratio must lie between 0 and 1 (0% and 100%): {text}"),
            format!("比例须在 0 与 1（0% 与 100%）之间：{text}")
        ));
    }
    Ok(Fact::Ratio(ratio))
}

fn expected(ty: Type, enums: &[EnumDef], lang: Lang) -> String {
    match (ty, lang) {
        (Type::Money, Lang::En) => "a money amount".into(),
        (Type::Ratio, Lang::En) => "a ratio".into(),
        (Type::Integer, Lang::En) => "a whole number".into(),
        (Type::Quantity, Lang::En) => "a quantity (a number)".into(),
        (Type::PerUnit, Lang::En) => "money per unit".into(),
        (Type::Bool, Lang::En) => "true or false".into(),
        (Type::Date, Lang::En) => "a date".into(),
        (Type::Text, Lang::En) => "text".into(),
        (Type::Entity, Lang::En) => "an entity id".into(),
        (Type::Money, Lang::Zh) => "金额".into(),
        (Type::Ratio, Lang::Zh) => "比例".into(),
        (Type::Integer, Lang::Zh) => "整数".into(),
        (Type::Quantity, Lang::Zh) => "数量（数字）".into(),
        (Type::PerUnit, Lang::Zh) => "单价".into(),
        (Type::Bool, Lang::Zh) => "是/否值".into(),
        (Type::Date, Lang::Zh) => "日期".into(),
        (Type::Text, Lang::Zh) => "文本".into(),
        (Type::Entity, Lang::Zh) => "主体编号".into(),
        (Type::Enum(id), lang) => match (enums.get(id), lang) {
            (Some(def), Lang::En) => format!("a value of enum `{}`", def.name),
            (Some(def), Lang::Zh) => format!("枚举 `{}` 的取值", def.name),
            (None, lang) => lang.pick("an enum value", "枚举值").into(),
        },
    }
}

fn describe_json(value: &Json<'_>, lang: Lang) -> String {
    match (value, lang) {
        (Json::Null, _) => "null".into(),
        (Json::Bool(flag), _) => format!("{flag}"),
        (Json::Number(number), Lang::En) => format!("the number {number}"),
        (Json::String(text), Lang::En) => format!("the string \"{text}\""),
        (Json::List, Lang::En) => "a list".into(),
        (Json::Object, Lang::En) => "an object".into(),
        (Json::Number(number), Lang::Zh) => format!("数字 {number}"),
        (Json::String(text), Lang::Zh) => format!("字符串 \"{text}\""),
        (Json::List, Lang::Zh) => "列表".into(),
        (Json::Object, Lang::Zh) => "对象".into(),
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
            matches!(read(Raw::Json(&value), Type::Money, &[], Lang::En), Ok(Some(Fact::Money(amount))) if amount == Decimal::from(2_500_000))
        );
        let value: Json = serde_json::from_str("-0").unwrap();
        assert!(read(Raw::Json(&value), Type::Money, &[], Lang::En).is_err());
        let value: Json = serde_json::from_str("0.1").unwrap();
        assert!(
            matches!(read(Raw::Json(&value), Type::Ratio, &[], Lang::En), Ok(Some(Fact::Ratio(ratio))) if ratio.to_string() == "0.1")
        );
        let value: Json = serde_json::from_str("60").unwrap();
        assert!(read(Raw::Json(&value), Type::Ratio, &[], Lang::En).is_err());
        let value: Json = serde_json::from_str("1.0000000000000000000000000000001").unwrap();
        assert!(read(Raw::Json(&value), Type::Money, &[], Lang::En).is_err());
        let value: Json = serde_json::from_str("[1, 2, [3]]").unwrap();
        assert_eq!(value, Json::List);
    }

    #[test]
    fn long_bad_values_are_quoted_by_their_start() {
        let long = "x".repeat(1000);
        let message = read(Raw::Csv(&long), Type::Date, &[], Lang::En).err().unwrap_or_default();
        assert_eq!(message, format!("not a date: {}… (1000 characters) (write YYYY-MM-DD)", "x".repeat(64)));
    }

    #[test]
    fn csv_cells() {
        assert!(matches!(read(Raw::Csv("是"), Type::Bool, &[], Lang::En), Ok(Some(Fact::Bool(true)))));
        assert!(matches!(read(Raw::Csv("-3"), Type::Integer, &[], Lang::En), Ok(Some(Fact::Integer(-3)))));
        assert!(matches!(read(Raw::Csv(""), Type::Money, &[], Lang::En), Ok(None)));
        assert!(read(Raw::Csv("yes"), Type::Bool, &[], Lang::En).is_err());
        assert!(
            matches!(read(Raw::Csv("72%"), Type::Ratio, &[], Lang::En), Ok(Some(Fact::Ratio(ratio))) if ratio.to_string() == "0.72")
        );
    }
}
