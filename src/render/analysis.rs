//! The findings of `polc bounds` and `polc diff`, for a reviewer's terminal.

use super::show;
use super::table::{kind_words, render_rows};
use crate::analyze::bounds::{Bound, Report};
use crate::analyze::diff;
use crate::check::checked::Policy;
use crate::lang::Lang;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// `polc bounds` as sections of aligned lines: each clause's least and greatest award,
/// the most for one recipient, dead clauses, overlaps, and what was left undecided. Each
/// witness case is printed in the data format, ready for `polc run`.
pub fn bounds_table(policy: &Policy, report: &Report) -> String {
    let lang = policy.lang;
    let mut out = String::new();
    let header = match lang {
        Lang::En => ["clause", "kind", "least", "greatest", "note"],
        Lang::Zh => ["条款", "类型", "最低", "最高", "说明"],
    };
    let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
    let mut witnesses: Vec<(String, &Map<String, Value>)> = Vec::new();
    let dead: Vec<&str> = report.dead.iter().map(|dead| dead.clause.as_str()).collect();
    for clause in &report.clauses {
        let mut note = Vec::new();
        let is_dead = dead.contains(&clause.clause.as_str());
        if is_dead {
            note.push(lang.pick("never applies", "不可能适用").to_string());
        }
        if let Some(input) = &clause.unbounded_by {
            note.push(match lang {
                Lang::En => format!("unbounded: grows with `{input}`"),
                Lang::Zh => format!("无上限：随 `{input}` 增长"),
            });
        } else if clause.kind == "undetermined" && clause.greatest.is_none() && !is_dead {
            note.push(lang.pick("unbounded: the policy states no maximum", "无上限：政策未规定最高额").to_string());
        } else if clause.greatest.is_none() && clause.least.is_some() {
            note.push(
                lang.pick("unbounded: nothing found bounds its arithmetic", "无上限：未发现限制其计算结果的条件")
                    .to_string(),
            );
        }
        let ends = [(lang.pick("least", "最低"), &clause.least), (lang.pick("greatest", "最高"), &clause.greatest)];
        for (end, bound) in ends {
            if let Some(witness) = bound.as_ref().and_then(|bound| bound.witness.as_ref()) {
                witnesses.push((format!("{} {end}", clause.clause), witness));
            }
        }
        rows.push(vec![
            clause.clause.clone(),
            kind_words(lang, clause.kind).to_string(),
            amount_cell(lang, clause.least.as_ref(), false),
            amount_cell(lang, clause.greatest.as_ref(), clause.greatest.is_none() && clause.least.is_some()),
            note.join("; "),
        ]);
    }
    out.push_str(&render_rows(&rows, &[2, 3]));
    out.push_str(lang.pick(
        "(* reached by a case below; an amount without * is a bound no award passes, not shown reached)\n",
        "（* 表示下列某个案例恰好达到；无 * 的金额是任何奖励都不会超过的界限，但未找到恰好达到的案例）\n",
    ));

    out.push('\n');
    let per = &report.per_recipient;
    let most = |amount: &Option<String>| match amount {
        Some(amount) => amount.parse::<Decimal>().map(show::money_text).unwrap_or_else(|_| amount.clone()),
        None => lang.pick("unbounded", "无上限").to_string(),
    };
    out.push_str(&match lang {
        Lang::En => format!(
            "One recipient, at most: {} in a calendar year, {} over the policy's validity.\n",
            most(&per.per_year),
            most(&per.over_validity)
        ),
        Lang::Zh => format!(
            "单个受益主体最多可得：每个自然年 {}，政策有效期内 {}。\n",
            most(&per.per_year),
            most(&per.over_validity)
        ),
    });
    for because in &per.unbounded_because {
        out.push_str(&format!("  - {because}\n"));
    }

    out.push('\n');
    section(&mut out, lang, lang.pick("Dead clauses", "不可能适用的条款"), report.dead.len());
    for dead in &report.dead {
        out.push_str(&format!("  {}{}{}\n", dead.clause, lang.pick(": ", "："), dead.reason));
    }
    out.push('\n');
    section(
        &mut out,
        lang,
        lang.pick(
            "Overlaps (clauses in no shared class that pay the same case)",
            "重叠（不在同一类别、可对同一案例同时支付的条款）",
        ),
        report.overlaps.len(),
    );
    for overlap in &report.overlaps {
        let [first, second] = &overlap.clauses;
        out.push_str(&format!("  {first} + {second}\n"));
        witnesses.push((format!("{first} + {second}"), &overlap.witness));
    }
    out.push('\n');
    section(&mut out, lang, lang.pick("Undecided", "未能判定"), report.unknown.len());
    for unknown in &report.unknown {
        out.push_str(&format!("  {unknown}\n"));
    }
    if !witnesses.is_empty() {
        out.push('\n');
        out.push_str(lang.pick(
            "Witness cases (each a JSON line `polc run` reads, as .jsonl):\n",
            "见证案例（每行一个 JSON 案例，可存为 .jsonl 交给 `polc run`）：\n",
        ));
        for (finding, case) in witnesses {
            let case = serde_json::to_string(case).unwrap_or_default();
            out.push_str(&format!("  {finding}{}{case}\n", lang.pick(": ", "：")));
        }
    }
    out
}

/// A section's heading with its count, or "none".
fn section(out: &mut String, lang: Lang, title: &str, count: usize) {
    let colon = lang.pick(": ", "：");
    if count == 0 {
        out.push_str(&format!("{title}{colon}-\n"));
    } else {
        out.push_str(&format!("{title}{colon}{count}\n"));
    }
}

/// A bound in yuan, grouped, starred when a case reaches it.
fn amount_cell(lang: Lang, bound: Option<&Bound>, unbounded: bool) -> String {
    match bound {
        Some(bound) => {
            let amount = bound.amount.parse::<Decimal>().map(show::money_text).unwrap_or_else(|_| bound.amount.clone());
            if bound.witness.is_some() {
                format!("{amount}*")
            } else {
                amount
            }
        }
        None if unbounded => lang.pick("unbounded", "无上限").to_string(),
        None => "-".to_string(),
    }
}

/// `polc diff` for a reviewer: the changes clause by clause, then, with a batch, every
/// award that moved, the totals that moved, who gains, loses, starts and stops, and the
/// cost.
pub fn diff_table(lang: Lang, report: &diff::Report) -> String {
    let mut out = String::new();
    if report.changes.is_empty() {
        out.push_str(lang.pick(
            "The versions do not differ: the same rules, whatever the layout and comments.\n",
            "两个版本没有差别：规则相同（排版和注释不计）。\n",
        ));
    } else {
        let header = match lang {
            Lang::En => ["what", "part", "from", "to", "effect"],
            Lang::Zh => ["对象", "部分", "原", "新", "影响"],
        };
        let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
        for change in &report.changes {
            rows.push(vec![
                diff::subject_words(&change.subject, lang),
                diff::part_words(&change.part, lang),
                change.from.clone().unwrap_or_else(|| "-".into()),
                change.to.clone().unwrap_or_else(|| "-".into()),
                change.effect.as_deref().map(|effect| diff::effect_words(effect, lang)).unwrap_or_default(),
            ]);
        }
        out.push_str(&render_rows(&rows, &[]));
    }
    let Some(population) = &report.population else { return out };
    out.push('\n');
    out.push_str(&match lang {
        Lang::En => format!("On {} cases:\n", population.cases),
        Lang::Zh => format!("在 {} 个案例上：\n", population.cases),
    });
    let money = |text: &Option<String>| match text {
        Some(text) => text.parse::<Decimal>().map(show::money_text).unwrap_or_else(|_| text.clone()),
        None => "-".to_string(),
    };
    if population.awards.is_empty() {
        out.push_str(lang.pick("No award changes.\n", "没有奖励发生变化。\n"));
    } else {
        let header = match lang {
            Lang::En => ["case", "clause", "recipient", "role", "from", "to", "why"],
            Lang::Zh => ["案例", "条款", "受益主体", "角色", "原", "新", "原因"],
        };
        let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
        for award in &population.awards {
            rows.push(vec![
                award.case.clone(),
                award.clause.clone(),
                award.recipient.clone(),
                award.role.clone(),
                money(&award.from),
                money(&award.to),
                award.why.clone(),
            ]);
        }
        out.push_str(&render_rows(&rows, &[4, 5]));
    }
    for (title, totals) in [
        (lang.pick("Per recipient", "按受益主体"), &population.per_recipient),
        (lang.pick("Per clause", "按条款"), &population.per_clause),
    ] {
        out.push('\n');
        let colon = lang.pick(": ", "：");
        if totals.is_empty() {
            out.push_str(&format!("{title}{colon}-\n"));
            continue;
        }
        out.push_str(&format!("{title}{}\n", colon.trim_end()));
        let header = match lang {
            Lang::En => ["", "before", "after", "change"],
            Lang::Zh => ["", "原", "新", "变化"],
        };
        let mut rows: Vec<Vec<String>> = vec![header.map(String::from).to_vec()];
        for total in totals {
            rows.push(total_row(total));
        }
        out.push_str(&render_rows(&rows, &[1, 2, 3]));
    }
    out.push('\n');
    for (title, cases) in [
        (lang.pick("Gaining", "增加"), &population.gaining),
        (lang.pick("Losing", "减少"), &population.losing),
        (lang.pick("Starting to get something", "新获得"), &population.starting),
        (lang.pick("Stopping getting anything", "不再获得"), &population.stopping),
    ] {
        let listed = if cases.is_empty() { "-".to_string() } else { cases.join(", ") };
        out.push_str(&match lang {
            Lang::En => format!("{title} ({}): {listed}\n", cases.len()),
            Lang::Zh => format!("{title}（{}）：{listed}\n", cases.len()),
        });
    }
    let cost = &population.cost;
    let number = |text: &str| text.trim_start_matches('+').parse::<Decimal>().map(show::money_text).unwrap_or_default();
    let sign = if cost.change.starts_with('+') { "+" } else { "" };
    out.push_str(&match lang {
        Lang::En => format!(
            "Cost: {} before, {} after: {sign}{}\n",
            number(&cost.before),
            number(&cost.after),
            number(&cost.change)
        ),
        Lang::Zh => format!(
            "资金总额：原 {}，新 {}，变化 {sign}{}\n",
            number(&cost.before),
            number(&cost.after),
            number(&cost.change)
        ),
    });
    if !population.errors.is_empty() {
        out.push('\n');
        out.push_str(lang.pick("Records a version could not run:\n", "某一版本无法运行的记录：\n"));
        for error in &population.errors {
            let case = error.case.as_deref().unwrap_or("?");
            out.push_str(&format!("  {} {case}: {}\n", error.version, error.message));
        }
    }
    out
}

fn total_row(total: &crate::analyze::diff::TotalChange) -> Vec<String> {
    let grouped = |text: &str| {
        let (sign, digits) = match text.strip_prefix('+') {
            Some(digits) => ("+", digits),
            None => ("", text),
        };
        digits
            .parse::<Decimal>()
            .map(|amount| format!("{sign}{}", show::money_text(amount)))
            .unwrap_or_else(|_| text.to_string())
    };
    vec![total.name.clone(), grouped(&total.before), grouped(&total.after), grouped(&total.change)]
}
