//! A workbook for the people who live in spreadsheets: the awards, the errors, the totals
//! per recipient and per clause, and a sheet for each cross-case rule that cut an award.
//!
//! Amounts are numbers in a yuan format, so a spreadsheet sums and sorts them. A number
//! cell is a binary fraction: an amount is written as one only when the number reads back
//! as exactly that amount (every amount below about ten trillion yuan does); any other is
//! written as its exact text, so nothing is rounded on the way.

use super::why::{AwardText, Wording};
use super::{clause_facts, no_award_reason, one_line_why, total_error};
use crate::check::checked::Policy;
use crate::eval::{Adjustment, AwardRecord, BatchResult, EntityTotal, RuleRef};
use crate::lang::Lang;
use crate::money;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// The most rows one sheet holds (Excel's limit); a longer table goes on in a sheet of
/// the same name numbered `(2)`, `(3)`, …
const ROWS_PER_SHEET: u32 = 1_048_576;

/// Excel's limit on a sheet name's length, in characters.
const SHEET_NAME_CHARACTERS: usize = 31;

/// The yuan format of every amount cell.
const YUAN: &str = "\"¥\"#,##0.00";

/// A cell of a row to write.
enum Value<'a> {
    Text(&'a str),
    Money(Option<Decimal>),
    Count(usize),
    Flag(bool),
}

/// The whole result as an `.xlsx` workbook, in memory.
pub fn xlsx(policy: &Policy, result: &BatchResult) -> Result<Vec<u8>, XlsxError> {
    let mut book =
        Book { workbook: Workbook::new(), yuan: Format::new().set_num_format(YUAN), bold: Format::new().set_bold() };
    awards(&mut book, policy, result)?;
    errors(&mut book, policy.lang, result)?;
    recipient_totals(&mut book, policy.lang, result)?;
    clause_totals(&mut book, policy, result)?;
    rule_sheets(&mut book, policy, result)?;
    book.workbook.save_to_buffer()
}

struct Book {
    workbook: Workbook,
    yuan: Format,
    bold: Format,
}

/// A table written row by row into one sheet, or several when it outgrows one.
struct Table<'b> {
    book: &'b mut Book,
    name: String,
    header: &'b [&'b str],
    /// Sheets made so far, the current one last.
    sheets: u32,
    /// The next row of the current sheet.
    row: u32,
    widths: Vec<usize>,
}

impl<'b> Table<'b> {
    fn new(book: &'b mut Book, name: &str, header: &'b [&'b str]) -> Result<Table<'b>, XlsxError> {
        let mut table = Table { book, name: name.to_string(), header, sheets: 0, row: 0, widths: Vec::new() };
        table.next_sheet()?;
        Ok(table)
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        let index = self.book.workbook.worksheets().len().saturating_sub(1);
        self.book.workbook.worksheet_from_index(index)
    }

    fn next_sheet(&mut self) -> Result<(), XlsxError> {
        self.finish_sheet()?;
        self.sheets += 1;
        let name = if self.sheets == 1 { self.name.clone() } else { format!("{} ({})", self.name, self.sheets) };
        let bold = self.book.bold.clone();
        let header = self.header;
        let sheet = self.book.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (column, title) in (0u16..).zip(header) {
            sheet.write_string_with_format(0, column, *title, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.row = 1;
        self.widths = header.iter().map(|title| title.chars().count()).collect();
        Ok(())
    }

    /// Sets the finished sheet's column widths to its longest cells (within reason) and
    /// its filter over the table.
    fn finish_sheet(&mut self) -> Result<(), XlsxError> {
        if self.sheets == 0 {
            return Ok(());
        }
        let (last_row, widths) = (self.row.saturating_sub(1), std::mem::take(&mut self.widths));
        let columns = u16::try_from(widths.len()).unwrap_or(u16::MAX);
        let sheet = self.sheet()?;
        for (column, width) in (0u16..).zip(&widths) {
            sheet.set_column_width(column, (*width as f64 + 2.0).min(80.0))?;
        }
        sheet.autofilter(0, 0, last_row, columns.saturating_sub(1))?;
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> Result<(), XlsxError> {
        if self.row >= ROWS_PER_SHEET {
            self.next_sheet()?;
        }
        let row = self.row;
        let yuan = self.book.yuan.clone();
        for (column, cell) in (0u16..).zip(cells) {
            let shown = match cell {
                Value::Text(text) => text.chars().count(),
                Value::Money(amount) => amount.map_or(0, |amount| money::format_yuan(amount).len() + 4),
                Value::Count(count) => count.to_string().len(),
                Value::Flag(_) => 5,
            };
            if let Some(width) = self.widths.get_mut(usize::from(column)) {
                *width = (*width).max(shown);
            }
            let sheet = self.sheet()?;
            match cell {
                Value::Text("") => {}
                Value::Text(text) => {
                    sheet.write_string(row, column, *text)?;
                }
                Value::Money(None) => {}
                Value::Money(Some(amount)) => {
                    let amount = money::round_to_fen(*amount);
                    match exact_number(amount) {
                        Some(number) => sheet.write_number_with_format(row, column, number, &yuan)?,
                        None => sheet.write_string(row, column, money::format_yuan(amount))?,
                    };
                }
                Value::Count(count) => {
                    sheet.write_number(row, column, *count as f64)?;
                }
                Value::Flag(flag) => {
                    sheet.write_boolean(row, column, *flag)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

impl Drop for Table<'_> {
    fn drop(&mut self) {
        // Widths and the filter are presentation: a sheet without them still holds
        // every value.
        let _ = self.finish_sheet();
    }
}

/// `amount` as a spreadsheet number, when that number is exactly `amount`.
fn exact_number(amount: Decimal) -> Option<f64> {
    let number = amount.to_f64()?;
    // The shortest decimal that is this binary number is what the spreadsheet stores
    // and shows: it must be the amount itself.
    let shown: Decimal = number.to_string().parse().ok()?;
    (shown == amount).then_some(number)
}

fn awards(book: &mut Book, policy: &Policy, result: &BatchResult) -> Result<(), XlsxError> {
    let header = match policy.lang {
        Lang::En => ["case", "clause", "recipient", "role", "kind", "amount", "subject_to_review", "why"],
        Lang::Zh => ["案例", "条款", "受益主体", "角色", "类型", "金额", "需评审", "说明"],
    };
    let mut table = Table::new(book, policy.lang.pick("Awards", "奖励"), &header)?;
    let wording = Wording::new(policy);
    let mut why = AwardText::default();
    for case in &result.cases {
        let id = result.cases.id(case);
        let awards = result.case_awards(case);
        if awards.is_empty() {
            table.row(&[
                Value::Text(id),
                Value::Text(""),
                Value::Text(""),
                Value::Text(""),
                Value::Text(super::table::kind_words(policy.lang, "none")),
                Value::Money(None),
                Value::Text(""),
                Value::Text(no_award_reason(policy.lang, case)),
            ])?;
        }
        for award in awards {
            let (clause, role, kind, review) = clause_facts(policy, award);
            let reasons = one_line_why(&wording, result, award, &mut why);
            table.row(&[
                Value::Text(id),
                Value::Text(clause),
                Value::Text(&award.recipient),
                Value::Text(role),
                Value::Text(super::table::kind_words(policy.lang, kind)),
                Value::Money(award.amount()),
                Value::Flag(review),
                Value::Text(&reasons),
            ])?;
        }
    }
    Ok(())
}

fn errors(book: &mut Book, lang: Lang, result: &BatchResult) -> Result<(), XlsxError> {
    let header = match lang {
        Lang::En => ["case", "field", "location", "message"],
        Lang::Zh => ["案例", "字段", "位置", "错误"],
    };
    let mut table = Table::new(book, lang.pick("Errors", "错误"), &header)?;
    for error in &result.errors {
        let location = error.location.words(lang);
        table.row(&[
            Value::Text(error.case.as_deref().unwrap_or("")),
            Value::Text(error.field.as_deref().unwrap_or("")),
            Value::Text(&location),
            Value::Text(&error.message),
        ])?;
    }
    for (recipient, sum) in result.overflowed_totals() {
        table.row(&[
            Value::Text(""),
            Value::Text(""),
            Value::Text(""),
            Value::Text(&total_error(lang, recipient, sum)),
        ])?;
    }
    Ok(())
}

fn recipient_totals(book: &mut Book, lang: Lang, result: &BatchResult) -> Result<(), XlsxError> {
    let header = match lang {
        Lang::En => ["recipient", "granted", "up to (set by review)"],
        Lang::Zh => ["受益主体", "核定金额", "最高额（待评审）"],
    };
    let mut table = Table::new(book, lang.pick("Totals by recipient", "按主体汇总"), &header)?;
    for (recipient, total) in &result.totals {
        table.row(&[Value::Text(recipient), Value::Money(total.granted), Value::Money(total.up_to)])?;
    }
    Ok(())
}

fn clause_totals(book: &mut Book, policy: &Policy, result: &BatchResult) -> Result<(), XlsxError> {
    let mut counts = vec![0usize; policy.clauses.len()];
    let mut totals = vec![EntityTotal::ZERO; policy.clauses.len()];
    for award in &result.awards {
        if let Some(count) = counts.get_mut(award.clause) {
            *count += 1;
        }
        if let (Some(total), Some(amount)) = (totals.get_mut(award.clause), award.amount()) {
            total.count(policy, award, amount);
        }
    }
    let header = match policy.lang {
        Lang::En => ["clause", "article", "awards", "granted", "up to (set by review)"],
        Lang::Zh => ["条款", "所属条", "奖励笔数", "核定金额", "最高额（待评审）"],
    };
    let mut table = Table::new(book, policy.lang.pick("Totals by clause", "按条款汇总"), &header)?;
    for ((clause, count), total) in policy.clauses.iter().zip(counts).zip(totals) {
        let article = match policy.lang {
            Lang::En => policy.article_heading(clause.article),
            Lang::Zh => super::zh::article_heading(policy, clause.article),
        };
        table.row(&[
            Value::Text(&clause.id),
            Value::Text(&article),
            Value::Count(count),
            Value::Money(total.granted),
            Value::Money(total.up_to),
        ])?;
    }
    Ok(())
}

/// A sheet per cross-case rule that changed an award: each change, with the amounts
/// before and after and the rule's reason.
fn rule_sheets(book: &mut Book, policy: &Policy, result: &BatchResult) -> Result<(), XlsxError> {
    let mut rules: Vec<RuleRef> = Vec::new();
    for award in &result.awards {
        for adjustment in award.adjustments() {
            if !rules.contains(&adjustment.source) {
                rules.push(adjustment.source);
            }
        }
    }
    rules.sort_by_key(|rule| rule_order(*rule));
    let wording = Wording::new(policy);
    let header = match policy.lang {
        Lang::En => ["case", "clause", "recipient", "before", "after", "cut", "reason"],
        Lang::Zh => ["案例", "条款", "受益主体", "调整前", "调整后", "核减", "原因"],
    };
    for rule in rules {
        let name = sheet_name(policy, &wording, rule);
        let mut table = Table::new(book, &name, &header)?;
        for case in &result.cases {
            for award in result.case_awards(case) {
                for adjustment in award.adjustments().iter().filter(|adjustment| adjustment.source == rule) {
                    rule_row(&mut table, &wording, result, case, award, adjustment)?;
                }
            }
        }
    }
    Ok(())
}

fn rule_row(
    table: &mut Table<'_>,
    wording: &Wording<'_>,
    result: &BatchResult,
    case: &crate::eval::CaseSummary,
    award: &AwardRecord,
    adjustment: &Adjustment,
) -> Result<(), XlsxError> {
    let reason = wording.reason(&result.cases, award, adjustment);
    let clause = wording.policy().clauses.get(award.clause).map_or("?", |clause| clause.id.as_str());
    let cut = match (adjustment.from, adjustment.to) {
        (Some(from), Some(to)) => from.checked_sub(to),
        _ => None,
    };
    table.row(&[
        Value::Text(result.cases.id(case)),
        Value::Text(clause),
        Value::Text(&award.recipient),
        Value::Money(adjustment.from),
        Value::Money(adjustment.to),
        Value::Money(cut),
        Value::Text(&reason),
    ])
}

/// The rules in the order the policy applies them.
fn rule_order(rule: RuleRef) -> (u8, usize) {
    match rule {
        RuleRef::Instalments => (0, 0),
        RuleRef::Years => (1, 0),
        RuleRef::History(index) => (2, index),
        RuleRef::Once => (3, 0),
        RuleRef::Class(index) => (4, index),
        RuleRef::Cap(index) => (5, index),
    }
}

/// A rule's sheet: `once`, `class rd_funding`, `cap 2 (4.2)`: within Excel's 31
/// characters and without the characters it forbids in a sheet name.
fn sheet_name(policy: &Policy, wording: &Wording<'_>, rule: RuleRef) -> String {
    let name = match rule {
        RuleRef::Cap(index) => {
            let clauses: Vec<&str> = policy.caps.get(index).map_or_else(Vec::new, |cap| {
                cap.clauses
                    .iter()
                    .filter_map(|clause| policy.clauses.get(*clause))
                    .map(|clause| clause.id.as_str())
                    .collect()
            });
            match policy.lang {
                Lang::En => format!("cap {} ({})", index + 1, clauses.join(", ")),
                Lang::Zh => format!("上限{}（{}）", index + 1, clauses.join("、")),
            }
        }
        RuleRef::History(index) => format!("{} {}", wording.rule_title(rule), index + 1),
        _ => wording.rule_title(rule).into_owned(),
    };
    let name: String = name.chars().map(|ch| if "[]:*?/\\".contains(ch) { '_' } else { ch }).collect();
    let name = name.trim_matches('\'');
    if name.chars().count() <= SHEET_NAME_CHARACTERS {
        return name.to_string();
    }
    let mut short: String = name.chars().take(SHEET_NAME_CHARACTERS - 1).collect();
    short.push('…');
    short
}
