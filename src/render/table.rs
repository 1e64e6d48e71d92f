//! A table for terminals: one row per award, then totals per entity and the errors.

use super::why::{AwardText, Wording};
use super::{clause_facts, escape_controls, no_award_reason, one_line_why, show, total_error};
use crate::check::checked::Policy;
use crate::eval::BatchResult;
use crate::lang::Lang;
use crate::width::display_width;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A table for terminals: one row per award, then totals per entity and the errors, in
/// the policy's language.
pub fn table(policy: &Policy, result: &BatchResult) -> String {
    let lang = policy.lang;
    let wording = Wording::new(policy);
    let mut why = AwardText::default();
    let header = match lang {
        Lang::En => ["case", "clause", "recipient", "role", "kind", "amount", "note"],
        Lang::Zh => ["案例", "条款", "受益主体", "角色", "类型", "金额（元）", "说明"],
    };
    let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
    for case in &result.cases {
        if result.case_awards(case).is_empty() {
            rows.push(vec![
                result.cases.id(case).to_string(),
                "-".into(),
                "-".into(),
                "".into(),
                kind_words(lang, "none").into(),
                "".into(),
                no_award_reason(lang, case).to_string(),
            ]);
        }
        for award in result.case_awards(case) {
            let (clause, role, kind, review) = clause_facts(policy, award);
            let amount = award.amount().map(show::money_text).unwrap_or_else(|| "-".into());
            let mut note = one_line_why(&wording, result, award, &mut why);
            if review {
                note = format!("{}{note}", lang.pick("subject to review; ", "经评审；"));
            }
            rows.push(vec![
                result.cases.id(case).to_string(),
                clause.into(),
                award.recipient.to_string(),
                role.into(),
                kind_words(lang, kind).into(),
                amount,
                note,
            ]);
        }
    }
    let mut out = render_rows(&rows, &[5]);
    out.push('\n');
    let total_header = match lang {
        Lang::En => ["recipient", "granted", "up to (set by review)"],
        Lang::Zh => ["受益主体", "核定金额", "最高额（待评审）"],
    };
    let mut total_rows = vec![total_header.map(String::from).to_vec()];
    let sum_text =
        |sum: Option<Decimal>| sum.map_or_else(|| lang.pick("overflow", "溢出").to_string(), show::money_text);
    for (recipient, total) in &result.totals {
        total_rows.push(vec![recipient.to_string(), sum_text(total.granted), sum_text(total.up_to)]);
    }
    out.push_str(lang.pick("Totals per entity\n", "各主体合计\n"));
    out.push_str(&render_rows(&total_rows, &[1, 2]));
    for (recipient, sum) in result.overflowed_totals() {
        let error = total_error(lang, recipient, sum);
        out.push_str(&format!("{}{}\n", lang.pick("error: ", "错误："), escape_controls(&error)));
    }
    if !result.errors.is_empty() {
        let failed = result.failed_records;
        out.push_str(&match lang {
            Lang::En => format!("\n{failed} record{} could not run:\n", if failed == 1 { "" } else { "s" }),
            Lang::Zh => format!("\n{failed} 条记录无法计算：\n"),
        });
        for error in &result.errors {
            let case = escape_controls(error.case.as_deref().unwrap_or(lang.pick("(no case id)", "（无案例编号）")));
            let field = escape_controls(error.field.as_deref().unwrap_or("-"));
            let location = error.location.words(lang);
            let message = escape_controls(&error.message);
            out.push_str(&match lang {
                Lang::En => format!("  {case} {location}, field {field}: {message}\n"),
                Lang::Zh => format!("  {case} {location}，字段 {field}：{message}\n"),
            });
        }
    }
    out
}

/// A kind of award as a person reads it: the result's own word in English, its Chinese
/// name in Chinese.
pub(super) fn kind_words(lang: Lang, kind: &str) -> &str {
    match (lang, kind) {
        (Lang::En, kind) => kind,
        (Lang::Zh, "grant") => "资金",
        (Lang::Zh, "up_to") => "最高额",
        (Lang::Zh, "range") => "区间",
        (Lang::Zh, "undetermined") => "待定",
        (Lang::Zh, "benefit") => "非资金",
        (Lang::Zh, "none") => "无",
        (Lang::Zh, kind) => kind,
    }
}

/// Columns in `right_aligned` are numbers. Cells come from the data, so their control
/// characters are escaped first.
pub(super) fn render_rows(rows: &[Vec<String>], right_aligned: &[usize]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> =
        rows.iter().map(|row| row.iter().map(|cell| escape_controls(cell)).collect()).collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| rows.iter().filter_map(|row| row.get(column)).map(|cell| display_width(cell)).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (row_index, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let width = widths.get(column).copied().unwrap_or(0);
            let pad = " ".repeat(width.saturating_sub(display_width(cell)));
            let last = column + 1 == row.len();
            if right_aligned.contains(&column) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if !last {
                    line.push_str(&pad);
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if row_index == 0 {
            let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}
