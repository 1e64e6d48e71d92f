//! Exact money, ratios and calendar dates: the value types of the language.
//!
//! Money is `rust_decimal::Decimal` yuan, never a float. Rounding to the fen happens in
//! exactly one function, [`round_to_fen`], which rounds half away from zero (四舍五入) as
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

    fn factor(self) -> Decimal {
        match self {
            MoneyUnit::Yuan => Decimal::ONE,
            MoneyUnit::Wan => Decimal::from(10_000),
            MoneyUnit::Yi => Decimal::from(100_000_000),
        }
    }
}

/// Parses a plain unsigned decimal (`123`, `12.50`) exactly; `None` when it is not one or
/// does not fit in a `Decimal`.
pub fn parse_decimal(digits: &str) -> Option<Decimal> {
    let mut seen_point = false;
    let mut seen_digit = false;
    for ch in digits.chars() {
        match ch {
            '0'..='9' => seen_digit = true,
            '.' if !seen_point && seen_digit => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit || digits.ends_with('.') {
        return None;
    }
    digits.parse::<Decimal>().ok()
}

/// `digits` times the unit, exactly; `None` on overflow.
pub fn money_in_yuan(digits: &str, unit: MoneyUnit) -> Option<Decimal> {
    parse_decimal(digits)?.checked_mul(unit.factor())
}

/// The one rounding function: to 0.01 yuan, half away from zero.
pub fn round_to_fen(amount: Decimal) -> Decimal {
    #[allow(clippy::disallowed_methods, reason = "this is the one sanctioned rounding call")]
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Formats a yuan amount with two decimals, as results carry it (`2500000.00`).
pub fn format_yuan(amount: Decimal) -> String {
    let mut fen = round_to_fen(amount);
    fen.rescale(2);
    fen.to_string()
}

/// Formats money the way analysts write it: `250万`, `3.5亿`, else yuan with grouping.
pub fn format_money_readable(amount: Decimal) -> String {
    let yi = Decimal::from(100_000_000);
    let wan = Decimal::from(10_000);
    if amount >= yi && (amount % (yi / Decimal::from(100))).is_zero() {
        format!("{}亿", (amount / yi).normalize())
    } else if amount >= wan && (amount % Decimal::from(100)).is_zero() {
        format!("{}万", (amount / wan).normalize())
    } else if amount.fract().is_zero() {
        format!("{}元", group_thousands(&amount.trunc().normalize().to_string()))
    } else {
        format!("{}元", group_thousands(&format_yuan(amount)))
    }
}

/// `1234567.80` → `1,234,567.80`.
pub fn group_thousands(plain: &str) -> String {
    let (whole, frac) = match plain.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (plain, None),
    };
    let mut grouped = String::new();
    for (index, ch) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(frac) => format!("{grouped}.{frac}"),
        None => grouped,
    }
}

/// Formats a ratio as a percentage: `0.1` → `10%`, `0.0001` → `0.01%`.
pub fn format_percent(ratio: Decimal) -> String {
    match ratio.checked_mul(Decimal::ONE_HUNDRED) {
        Some(percent) => format!("{}%", percent.normalize()),
        None => ratio.normalize().to_string(),
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
    fn units_scale_exactly() {
        assert_eq!(money_in_yuan("250", MoneyUnit::Wan), Some(Decimal::from(2_500_000)));
        assert_eq!(money_in_yuan("3.5", MoneyUnit::Yi), Some(Decimal::from(350_000_000)));
        assert_eq!(parse_decimal("1."), None);
        assert_eq!(parse_decimal(".5"), None);
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
    }
}
