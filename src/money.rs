//! Exact money, ratios and calendar dates: the value types of the language.
//!
//! Money is `rust_decimal::Decimal` yuan, never a float. Rounding to the fen happens in
//! exactly one function, [`crate::money::round_to_fen`], which rounds half away from zero (四舍五入) as
//! the policies require; `clippy.toml` bans the other rounding methods.

use rust_decimal::Decimal;
use std::fmt;

/// A unit a money amount may carry in policy text or applicant data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyUnit {
    Yuan,
    Wan,
    Yi,
}

impl MoneyUnit {
    /// Reads a unit suffix: `元`, `万`, `亿`, `万元`, `亿元`.
    pub fn parse(text: &str) -> Option<MoneyUnit> {
        match text {
            "元" => Some(MoneyUnit::Yuan),
            "万" | "万元" => Some(MoneyUnit::Wan),
            "亿" | "亿元" => Some(MoneyUnit::Yi),
            _ => None,
        }
    }

    /// How many places the unit moves the point: 万 is 10^4 yuan, 亿 10^8.
    fn places(self) -> i32 {
        match self {
            MoneyUnit::Yuan => 0,
            MoneyUnit::Wan => 4,
            MoneyUnit::Yi => 8,
        }
    }
}

/// How many digits a decimal may have before and after its point, as written (leading
/// zeros before and trailing zeros after do not count). Within these bounds every value
/// is held exactly; past them a value is an error, never rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigitLimits {
    pub whole: usize,
    pub fraction: usize,
}

/// Money, in the unit it is written in: below 10^20 of the unit, to 8 decimal places.
pub const MONEY_DIGITS: DigitLimits = DigitLimits { whole: 20, fraction: 8 };
/// A ratio written as a decimal (`0.6`): to 28 decimal places, the most a decimal holds.
pub const RATIO_DIGITS: DigitLimits = DigitLimits { whole: 20, fraction: 28 };
/// A percentage (`60%`): to 26 decimal places, which is 28 once divided by 100.
pub const PERCENT_DIGITS: DigitLimits = DigitLimits { whole: 20, fraction: 26 };

/// Why a number's text is not a value polc holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not plain digits with an optional point between digits.
    NotANumber,
    /// More digits after the point than the limit.
    TooPrecise { fraction: usize },
    /// More digits before the point than the limit.
    TooLarge { whole: usize },
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::NotANumber => f.write_str("not a number"),
            NumberError::TooPrecise { fraction } => {
                write!(f, "more than {fraction} decimal places; polc keeps at most {fraction} and never rounds a value")
            }
            NumberError::TooLarge { whole } => write!(f, "more than {whole} digits before the point"),
        }
    }
}

/// Reads plain unsigned decimal digits (`123`, `12.50`) exactly, then moves the point
/// `shift` places right (4 for 万, -2 for a percentage). The shift is made on the digits,
/// not by arithmetic, so it never rounds.
pub fn exact_decimal(digits: &str, shift: i32, limits: DigitLimits) -> Result<Decimal, NumberError> {
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (digits, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (digits.contains('.') && fraction.is_empty())
    {
        return Err(NumberError::NotANumber);
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    if whole.len() > limits.whole {
        return Err(NumberError::TooLarge { whole: limits.whole });
    }
    if fraction.len() > limits.fraction {
        return Err(NumberError::TooPrecise { fraction: limits.fraction });
    }
    // value = mantissa × 10^exponent, with the mantissa's digits `whole ++ fraction`.
    let exponent = i64::from(shift) - i64::try_from(fraction.len()).unwrap_or(i64::MAX);
    from_digits(whole, fraction, exponent).ok_or(NumberError::TooLarge { whole: limits.whole })
}

/// `(whole ++ fraction) × 10^exponent` as a decimal, when it fits exactly.
fn from_digits(whole: &str, fraction: &str, exponent: i64) -> Option<Decimal> {
    let significant = whole.len() + fraction.len();
    if significant == 0 {
        return Some(Decimal::ZERO);
    }
    // 29 digits is the most a decimal's 96-bit mantissa can hold; more never fits.
    let zeros = usize::try_from(exponent.max(0)).ok()?;
    if significant.checked_add(zeros)? > 29 {
        return None;
    }
    let mut mantissa: i128 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(digit - b'0'))?;
    }
    for _ in 0..zeros {
        mantissa = mantissa.checked_mul(10)?;
    }
    let scale = u32::try_from((-exponent).max(0)).ok()?;
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// `digits` in `unit`, as yuan, exactly.
pub fn money_in_yuan(digits: &str, unit: MoneyUnit) -> Result<Decimal, NumberError> {
    exact_decimal(digits, unit.places(), MONEY_DIGITS)
}

/// A JSON number's text (sign, digits, point, exponent) as plain digits with the point
/// moved by the exponent, so it can be read exactly; `None` for a text that is not one,
/// or whose exponent is absurd (the bound keeps `1e999999999` from becoming a billion
/// zeros).
pub fn plain_number(text: &str) -> Option<(bool, String)> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.strip_prefix('+').unwrap_or(exponent).parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    if exponent.unsigned_abs() > 64 {
        return None;
    }
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let point = i32::try_from(whole.len()).ok()? + exponent;
    let all: String = format!("{whole}{fraction}");
    if all.is_empty() || !all.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let plain = if point <= 0 {
        format!("0.{}{all}", "0".repeat(usize::try_from(-point).ok()?))
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= all.len() {
            format!("{all}{}", "0".repeat(point - all.len()))
        } else {
            format!("{}.{}", all.get(..point)?, all.get(point..)?)
        }
    };
    Some((negative, plain))
}

/// `a × b`, exactly: `None` when the product overflows or needs more digits than a decimal
/// holds (rust_decimal would round it silently).
pub fn exact_mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (a, b) = (a.normalize(), b.normalize());
    let product = a.checked_mul(b)?;
    (product.is_zero() || product.scale() == a.scale() + b.scale()).then_some(product)
}

/// The one rounding function: to 0.01 yuan, half away from zero.
pub fn round_to_fen(amount: Decimal) -> Decimal {
    #[allow(clippy::disallowed_methods, reason = "this is the one sanctioned rounding call")]
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Formats a yuan amount with two decimals, as results carry it (`2500000.00`).
pub fn format_yuan(amount: Decimal) -> String {
    yuan_digits(amount).as_str().to_string()
}

/// A yuan amount with two decimals, on the stack (`2500000.00`, as [`format_yuan`]).
pub fn yuan_digits(amount: Decimal) -> Digits {
    let mut fen = round_to_fen(amount);
    fen.rescale(2);
    let mut digits = Digits::of(fen);
    if fen.scale() != 2 {
        // Padded as text: near the largest decimal, `rescale(2)` cannot add the zeros.
        match digits.as_str().find('.') {
            Some(point) => {
                let decimals = digits.len - point - 1;
                for _ in decimals..2 {
                    digits.push("0");
                }
            }
            None => digits.push(".00"),
        }
    }
    digits
}

/// A decimal's text on the stack: the longest a `Decimal` writes (29 digits, a sign, a
/// point) and its padding fit.
pub struct Digits {
    bytes: [u8; 40],
    len: usize,
}

impl Digits {
    fn of(value: impl fmt::Display) -> Digits {
        use fmt::Write;
        let mut digits = Digits { bytes: [0; 40], len: 0 };
        let _ = write!(digits, "{value}");
        digits
    }

    fn push(&mut self, text: &str) {
        let _ = fmt::Write::write_str(self, text);
    }

    pub fn as_str(&self) -> &str {
        self.bytes.get(..self.len).and_then(|bytes| std::str::from_utf8(bytes).ok()).unwrap_or("")
    }
}

impl fmt::Write for Digits {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Formats money the way analysts write it: `250万`, `3.5亿`, else yuan with grouping.
pub fn format_money_readable(amount: Decimal) -> String {
    let mut out = String::new();
    write_money_readable(&mut out, amount);
    out
}

/// [`format_money_readable`], written onto `out`.
pub fn write_money_readable(out: &mut String, amount: Decimal) {
    use fmt::Write;
    let yi = Decimal::from(100_000_000);
    let wan = Decimal::from(10_000);
    if amount >= yi && (amount % (yi / Decimal::from(100))).is_zero() {
        let _ = write!(out, "{}亿", (amount / yi).normalize());
    } else if amount >= wan && (amount % Decimal::from(100)).is_zero() {
        let _ = write!(out, "{}万", (amount / wan).normalize());
    } else if amount.fract().is_zero() {
        write_grouped(out, Digits::of(amount.trunc().normalize()).as_str());
        out.push('元');
    } else {
        write_grouped(out, yuan_digits(amount).as_str());
        out.push('元');
    }
}

/// Money as results show it, grouped and to the fen (`1,234,567.80`), written onto `out`.
pub fn write_yuan_grouped(out: &mut String, amount: Decimal) {
    write_grouped(out, yuan_digits(amount).as_str());
}

/// `1234567.80` → `1,234,567.80`.
pub fn group_thousands(plain: &str) -> String {
    let mut grouped = String::with_capacity(plain.len() + plain.len() / 3);
    write_grouped(&mut grouped, plain);
    grouped
}

/// [`group_thousands`], written onto `out`.
pub fn write_grouped(out: &mut String, plain: &str) {
    let unsigned = match plain.strip_prefix('-') {
        Some(unsigned) => {
            out.push('-');
            unsigned
        }
        None => plain,
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    for (index, ch) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
}

/// [`format_percent`], written onto `out`.
pub fn write_percent(out: &mut String, ratio: Decimal) {
    match exact_mul(ratio, Decimal::ONE_HUNDRED) {
        Some(percent) => {
            use fmt::Write;
            let _ = write!(out, "{}%", percent.normalize());
        }
        None => out.push_str(&format_percent(ratio)),
    }
}

/// Formats a ratio as a percentage: `0.1` → `10%`, `0.0001` → `0.01%`.
pub fn format_percent(ratio: Decimal) -> String {
    if let Some(percent) = exact_mul(ratio, Decimal::ONE_HUNDRED) {
        return format!("{}%", percent.normalize());
    }
    // The point moves on the digits: multiplying by 100 can round a ratio of 28 decimals.
    let plain = ratio.normalize().to_string();
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let fraction = format!("{fraction:0<2}");
    let (moved, rest) = fraction.split_at(2);
    let whole = format!("{whole}{moved}");
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    if rest.is_empty() {
        format!("{sign}{whole}%")
    } else {
        format!("{sign}{whole}.{rest}%")
    }
}

/// Reads the digits of a Chinese numeral (`一`, `十五`, `二十`, `一百`) as used in
/// fractions like `万分之一`.
pub fn parse_chinese_numeral(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut pending: Option<u64> = None;
    for ch in text.chars() {
        if ch == '零' {
            // A placeholder between places (一百零五); it adds nothing.
            continue;
        }
        let digit = match ch {
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(digit) = digit {
            if pending.is_some() {
                return None;
            }
            pending = Some(digit);
            continue;
        }
        let scale = match ch {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => return None,
        };
        total = total.checked_add(pending.take().unwrap_or(1).checked_mul(scale)?)?;
    }
    total = total.checked_add(pending.unwrap_or(0))?;
    (total > 0).then_some(total)
}

/// `N` optional decimals held in 64-bit mantissas and one-byte scales: 9 bytes each
/// instead of the 20 of an `Option<Decimal>`. A batch keeps one record per award, so the
/// amounts of a million awards take a third of the room. Every amount a policy pays fits;
/// a value that does not (a mantissa past 2^63, a negative zero) reads as [`Slot::Wide`],
/// and its owner keeps it exactly beside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packed<const N: usize> {
    mantissas: [i64; N],
    scales: [u8; N],
}

/// What a slot of a [`Packed`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Held(Option<Decimal>),
    /// Too wide to pack: its owner keeps the value.
    Wide,
}

impl<const N: usize> Default for Packed<N> {
    fn default() -> Packed<N> {
        Packed { mantissas: [0; N], scales: [Packed::<N>::ABSENT; N] }
    }
}

impl<const N: usize> Packed<N> {
    const ABSENT: u8 = u8::MAX;
    const WIDE: u8 = u8::MAX - 1;

    pub fn get(&self, slot: usize) -> Slot {
        let (Some(&mantissa), Some(&scale)) = (self.mantissas.get(slot), self.scales.get(slot)) else {
            return Slot::Held(None);
        };
        match scale {
            Self::ABSENT => Slot::Held(None),
            Self::WIDE => Slot::Wide,
            // Every held scale came from a decimal, so it is at most 28.
            scale => Decimal::try_from_i128_with_scale(i128::from(mantissa), u32::from(scale))
                .map_or(Slot::Wide, |value| Slot::Held(Some(value))),
        }
    }

    /// Holds `value` in `slot`; false when it is too wide to pack (the slot then says
    /// [`Slot::Wide`]).
    pub fn set(&mut self, slot: usize, value: Option<Decimal>) -> bool {
        let (mantissa, scale) = match value {
            None => (0, Self::ABSENT),
            Some(value) => {
                let narrow =
                    i64::try_from(value.mantissa()).ok().filter(|_| !(value.is_zero() && value.is_sign_negative()));
                match (narrow, u8::try_from(value.scale())) {
                    (Some(mantissa), Ok(scale)) => (mantissa, scale),
                    _ => (0, Self::WIDE),
                }
            }
        };
        if let (Some(held), Some(held_scale)) = (self.mantissas.get_mut(slot), self.scales.get_mut(slot)) {
            *held = mantissa;
            *held_scale = scale;
        }
        scale != Self::WIDE
    }
}

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A real calendar day, or `None`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Reads exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes.iter().enumerate().all(|(index, byte)| match index {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            });
        if !shape_ok {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(5..7)?.parse().ok()?;
        let day = text.get(8..10)?.parse().ok()?;
        Date::new(year, month, day)
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days inverse).
    pub fn day_number(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_day_number(days: i64) -> Option<Date> {
        let days = days + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
    }

    /// The same day `months` later, clamped to the month's end (2024-02-29 + 12 months is
    /// 2025-02-28).
    pub fn add_months(self, months: u32) -> Option<Date> {
        let total = i64::from(self.year) * 12 + i64::from(self.month - 1) + i64::from(months);
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
        Date::new(year, month, self.day.min(days_in_month(year, month)))
    }

    /// The same day `months` later (or earlier, when negative), clamped to the month's end.
    pub fn add_months_signed(self, months: i64) -> Option<Date> {
        let total = (i64::from(self.year) * 12 + i64::from(self.month - 1)).checked_add(months)?;
        let year = i32::try_from(total.div_euclid(12)).ok()?;
        let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
        Date::new(year, month, self.day.min(days_in_month(year, month)))
    }

    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_day_number(self.day_number().checked_add(days)?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_decimals_keep_value_and_scale() {
        let mut packed = Packed::<3>::default();
        assert_eq!(packed.get(0), Slot::Held(None));
        for value in ["2500000.00", "2500000", "-0.005", "0", "92233720368547758.07"] {
            let value: Decimal = value.parse().unwrap();
            assert!(packed.set(1, Some(value)));
            let Slot::Held(Some(back)) = packed.get(1) else { panic!("{value} not held") };
            assert_eq!((back, back.to_string()), (value, value.to_string()));
        }
        assert!(!packed.set(2, Some(Decimal::MAX)));
        assert!(!packed.set(2, Some("1.0000000000000000000000000001".parse().unwrap())));
        assert_eq!(packed.get(2), Slot::Wide);
        assert!(!packed.set(2, Some(-Decimal::ZERO)));
        assert!(packed.set(2, None));
        assert_eq!(packed.get(2), Slot::Held(None));
        assert_eq!(packed.get(9), Slot::Held(None));
    }

    #[test]
    fn units_scale_exactly() {
        assert_eq!(money_in_yuan("250", MoneyUnit::Wan), Ok(Decimal::from(2_500_000)));
        assert_eq!(money_in_yuan("3.5", MoneyUnit::Yi), Ok(Decimal::from(350_000_000)));
        assert_eq!(exact_decimal("1.", 0, RATIO_DIGITS), Err(NumberError::NotANumber));
        assert_eq!(exact_decimal(".5", 0, RATIO_DIGITS), Err(NumberError::NotANumber));
    }

    #[test]
    fn values_are_exact_or_errors() {
        let too_precise = NumberError::TooPrecise { fraction: 8 };
        assert_eq!(money_in_yuan("1.0000000000000000000000000000001", MoneyUnit::Yuan), Err(too_precise));
        assert_eq!(money_in_yuan("1.00000000000000000000000000000000", MoneyUnit::Yuan), Ok(Decimal::ONE));
        assert_eq!(money_in_yuan("123456789012345678901", MoneyUnit::Yuan), Err(NumberError::TooLarge { whole: 20 }));
        assert_eq!(money_in_yuan("0.00000001", MoneyUnit::Yi), Ok(Decimal::ONE));
        assert_eq!(
            exact_decimal("59.99999999999999999999999999999", -2, PERCENT_DIGITS),
            Err(NumberError::TooPrecise { fraction: 26 })
        );
        assert_eq!(exact_decimal("0.59999999999999999999999999999", 0, RATIO_DIGITS).ok(), None);
        let tiny = exact_decimal("0.00000000000000000000000001", -2, PERCENT_DIGITS);
        assert_eq!(tiny.map(|ratio| ratio.to_string()).as_deref(), Ok("0.0000000000000000000000000001"));
        assert_eq!(exact_decimal("0.000000000000000000000000001", -2, PERCENT_DIGITS).ok(), None);
    }

    #[test]
    fn json_numbers_become_plain_digits() {
        assert_eq!(plain_number("2.5e6"), Some((false, "2500000".to_string())));
        assert_eq!(plain_number("-1.25E-2"), Some((true, "0.0125".to_string())));
        assert_eq!(plain_number("12"), Some((false, "12".to_string())));
        assert_eq!(plain_number("1e999999999"), None);
    }

    #[test]
    fn products_are_exact_or_none() {
        let ratio: Decimal = "0.1234567890123456789012345678".parse().unwrap();
        let amount: Decimal = "12345678.9".parse().unwrap();
        assert_eq!(exact_mul(ratio, amount), None);
        let ten_percent: Decimal = "0.10".parse().unwrap();
        assert_eq!(exact_mul(ten_percent, Decimal::from(8_600_000)), Some(Decimal::from(860_000)));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let half_fen: Decimal = "188888.885".parse().unwrap_or_default();
        assert_eq!(format_yuan(half_fen), "188888.89");
        let below: Decimal = "0.004".parse().unwrap_or_default();
        assert_eq!(format_yuan(below), "0.00");
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(parse_chinese_numeral("一"), Some(1));
        assert_eq!(parse_chinese_numeral("十五"), Some(15));
        assert_eq!(parse_chinese_numeral("二十"), Some(20));
        assert_eq!(parse_chinese_numeral("一百零五"), Some(105));
        assert_eq!(parse_chinese_numeral("一一"), None);
    }

    #[test]
    fn dates_are_real_days() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2024-2-29").is_none());
        let start = Date::parse("2024-02-17").unwrap_or(Date { year: 0, month: 1, day: 1 });
        let end = start.add_months(36).and_then(|date| date.add_days(-1));
        assert_eq!(end.map(|date| date.to_string()).as_deref(), Some("2027-02-16"));
        for days in [-1000_i64, 0, 19_000, 20_000] {
            assert_eq!(Date::from_day_number(days).map(Date::day_number), Some(days));
        }
    }

    #[test]
    fn readable_money() {
        assert_eq!(format_money_readable(Decimal::from(2_500_000)), "250万");
        assert_eq!(format_money_readable(Decimal::from(350_000_000)), "3.5亿");
        assert_eq!(group_thousands("1234567.80"), "1,234,567.80");
        assert_eq!(group_thousands("-100000.00"), "-100,000.00");
        let percent = |text: &str| format_percent(text.parse().unwrap_or_default());
        assert_eq!(percent("0.1"), "10%");
        assert_eq!(percent("0.0001"), "0.01%");
        assert_eq!(percent("1"), "100%");
        assert_eq!(percent("0"), "0%");
        assert_eq!(percent("0.1234567890123456789012345678"), "12.34567890123456789012345678%");
    }
}
