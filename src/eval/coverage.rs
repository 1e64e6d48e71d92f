//! Clause coverage: which conditions, tiers, enum arms, caps and cross-case rules a set
//! of examples exercised. The evaluator records [`crate::eval::coverage::Probe`]s as it runs; [`crate::eval::coverage::universe`] lists
//! every probe a policy has, so the difference is what no example tried.

use crate::check::checked::{Award, Expr, ExprKind, Policy};
use crate::lang::say;
use crate::render::show;
use std::collections::BTreeSet;

/// Whose expression a probe sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Clause(usize),
    Gate(usize),
    /// The condition of a cap's relaxation.
    Cap(usize),
}

/// One thing an example can exercise. Expressions are named by their source offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// A test in a condition came out true or false.
    Test { owner: Owner, at: usize, outcome: bool },
    /// A tier table paid this tier.
    Tier { owner: Owner, at: usize, tier: usize },
    /// A table chose this arm (the arm count stands for `else`).
    Arm { owner: Owner, at: usize, arm: usize },
    /// `min` or `max` picked this argument (the first of equal ones).
    Pick { owner: Owner, at: usize, arg: usize },
    /// A clause gave an award.
    Applied(usize),
    /// A clause's own `max` cut its amount.
    MaxReached(usize),
    /// A gate stopped a case.
    GateStopped(usize),
    /// `once` cut a repeated award of this clause.
    OnceCut(usize),
    /// `in instalments` paid a share of an award of this clause.
    InstalmentPaid(usize),
    /// `for at most N years` cut an award of this clause in a year past the limit.
    YearsCut(usize),
    /// This `after` or `unless` rule cut an award.
    HistoryCut(usize),
    /// This class kept the highest award and cut another.
    ClassCut(usize),
    /// This cap cut an award.
    CapCut(usize),
}

/// What examples exercised.
pub type Hits = BTreeSet<Probe>;

/// Every probe of `policy`, with the group it is reported under and a description.
pub fn universe(policy: &Policy) -> Vec<(Probe, String, String)> {
    let mut probes = Vec::new();
    let lang = policy.lang;
    let words = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    for (index, gate) in policy.gates.iter().enumerate() {
        let group = match policy.articles.get(gate.article) {
            Some(article) => say!(
                lang,
                format!("gate of article {}", article.number),
                format!("第{}条的申报条件", crate::render::zh::chinese_number(article.number))
            ),
            None => words("gate", "申报条件"),
        };
        probes.push((Probe::GateStopped(index), group.clone(), words("stops a case", "阻止一个案例")));
        condition_probes(policy, Owner::Gate(index), &gate.condition, &group, &mut probes);
    }
    for (index, clause) in policy.clauses.iter().enumerate() {
        let group = say!(lang, format!("clause {}", clause.id), format!("第{}条", clause.id));
        probes.push((Probe::Applied(index), group.clone(), words("applies", "适用")));
        if let Some(condition) = &clause.condition {
            condition_probes(policy, Owner::Clause(index), condition, &group, &mut probes);
        }
        let amounts: Vec<&Expr> = match &clause.award {
            Award::Grant { amount, cap } => {
                if cap.is_some() {
                    probes.push((Probe::MaxReached(index), group.clone(), words("max reached", "达到上限")));
                }
                std::iter::once(amount).chain(cap).collect()
            }
            Award::UpTo { max } => vec![max],
            Award::Open { base, maximum, .. } => base.iter().chain(maximum).collect(),
            Award::Benefit { .. } => Vec::new(),
            Award::Range { low, high, cap } => [Some(low), Some(high), cap.as_ref()].into_iter().flatten().collect(),
        };
        for amount in amounts {
            choice_probes(policy, Owner::Clause(index), amount, &group, &mut probes);
        }
        if clause.once.is_some() {
            probes.push((
                Probe::OnceCut(index),
                group.clone(),
                words("once cuts a repeat", "限享受一次核减重复的奖励"),
            ));
        }
        if clause.instalments.is_some() {
            probes.push((Probe::InstalmentPaid(index), group.clone(), words("pays an instalment", "拨付一期")));
        }
        if let Some(limit) = &clause.years {
            let what = if limit.consecutive { "consecutive years" } else { "years" };
            let description = say!(
                lang,
                format!("at most {} {what} cuts a year", limit.years),
                format!("最多{}{}年的限制核减一年", if limit.consecutive { "连续" } else { "" }, limit.years)
            );
            probes.push((Probe::YearsCut(index), group.clone(), description));
        }
    }
    for (index, rule) in policy.history.iter().enumerate() {
        let clause = policy.clauses.get(rule.clause).map_or("?", |clause| clause.id.as_str());
        let group = say!(lang, format!("clause {clause}"), format!("第{clause}条"));
        let word = if rule.after { "after" } else { "unless" };
        let description = say!(lang, format!("`{word}` cuts an award"), format!("`{word}` 核减一笔奖励"));
        probes.push((Probe::HistoryCut(index), group, description));
    }
    for (index, class) in policy.classes.iter().enumerate() {
        probes.push((
            Probe::ClassCut(index),
            say!(
                lang,
                format!("class {}", class.name),
                format!("类别 {}", class.label.as_deref().unwrap_or(&class.name))
            ),
            words("keeps the highest, cuts another", "保留最高、核减另一笔"),
        ));
    }
    for (index, cap) in policy.caps.iter().enumerate() {
        let clauses: Vec<&str> = cap
            .clauses
            .iter()
            .filter_map(|&clause| policy.clauses.get(clause))
            .map(|clause| clause.id.as_str())
            .collect();
        let group = say!(lang, format!("cap over {}", clauses.join(", ")), format!("第{}条的上限", clauses.join("、")));
        probes.push((Probe::CapCut(index), group.clone(), words("cuts an award", "核减一笔奖励")));
        if let Some((_, condition)) = &cap.relaxed {
            condition_probes(policy, Owner::Cap(index), condition, &group, &mut probes);
        }
    }
    probes
}

/// The tests of a condition: its leaves under `and`, `or` and `not`, each true and false.
// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn condition_probes(
    policy: &Policy,
    owner: Owner,
    expr: &Expr,
    group: &str,
    probes: &mut Vec<(Probe, String, String)>,
) {
    match &expr.kind {
        ExprKind::And(parts) | ExprKind::Or(parts) => {
            parts.iter().for_each(|part| condition_probes(policy, owner, part, group, probes))
        }
        ExprKind::Not(inner) => condition_probes(policy, owner, inner, group, probes),
        _ => {
            let shown = show::expr(policy, expr, None);
            for outcome in [true, false] {
                probes.push((
                    Probe::Test { owner, at: expr.span.start, outcome },
                    group.to_string(),
                    say!(
                        policy.lang,
                        format!("`{shown}` {outcome}"),
                        format!("“{shown}”{}", if outcome { "成立" } else { "不成立" })
                    ),
                ));
            }
        }
    }
}

/// The tiers and table arms inside an amount.
fn choice_probes(policy: &Policy, owner: Owner, expr: &Expr, group: &str, probes: &mut Vec<(Probe, String, String)>) {
    match &expr.kind {
        ExprKind::Table { subject, arms, otherwise } => {
            let described = arms.iter().map(|arm| {
                let names: Vec<String> = arm.values.iter().map(|value| show_value(policy, subject, *value)).collect();
                (
                    say!(policy.lang, format!("arm {}", names.join(", ")), format!("分支 {}", names.join("、"))),
                    &arm.amount,
                )
            });
            let otherwise =
                otherwise.as_deref().map(|amount| (policy.lang.pick("arm else", "分支 其他").to_string(), amount));
            arm_probes(policy, owner, expr.span.start, described.chain(otherwise), group, probes);
        }
        ExprKind::Tiers { tiers, .. } => {
            for (tier_index, tier) in tiers.iter().enumerate() {
                let threshold = match &tier.threshold {
                    crate::check::checked::Value::Money(amount) => crate::money::format_money_readable(*amount),
                    other => format!("{other:?}"),
                };
                probes.push((
                    Probe::Tier { owner, at: expr.span.start, tier: tier_index },
                    group.to_string(),
                    say!(policy.lang, format!("tier {threshold}"), format!("档次 {threshold}")),
                ));
            }
        }
        ExprKind::Sum(first, terms) => {
            choice_probes(policy, owner, first, group, probes);
            terms.iter().for_each(|(_, term)| choice_probes(policy, owner, term, group, probes));
        }
        ExprKind::Of { ratios, base } => {
            ratios.iter().for_each(|ratio| choice_probes(policy, owner, ratio, group, probes));
            choice_probes(policy, owner, base, group, probes);
        }
        ExprKind::Brackets { subject, arms, otherwise } => {
            let described = arms.iter().map(|arm| {
                let range = show::range(policy, subject.ty, arm);
                (say!(policy.lang, format!("range {range}"), format!("区间 {range}")), &arm.amount)
            });
            let otherwise =
                otherwise.as_deref().map(|amount| (policy.lang.pick("range else", "区间 其他").to_string(), amount));
            arm_probes(policy, owner, expr.span.start, described.chain(otherwise), group, probes);
        }
        ExprKind::If { condition, then, otherwise } => {
            condition_probes(policy, owner, condition, group, probes);
            choice_probes(policy, owner, then, group, probes);
            choice_probes(policy, owner, otherwise, group, probes);
        }
        ExprKind::Call(crate::syntax::ast::Function::Year, args) => {
            args.iter().for_each(|arg| choice_probes(policy, owner, arg, group, probes));
        }
        ExprKind::Call(function, args) => {
            for (index, arg) in args.iter().enumerate() {
                let picked = show::expr(policy, arg, None);
                let description = say!(
                    policy.lang,
                    format!("{} picks {picked}", function.name()),
                    format!("{} 选中 {picked}", function.name())
                );
                probes.push((Probe::Pick { owner, at: expr.span.start, arg: index }, group.to_string(), description));
                choice_probes(policy, owner, arg, group, probes);
            }
        }
        _ => {}
    }
}

/// One probe per arm of a table (the `else` arm last, numbered after the others, as the
/// evaluator numbers it), and the probes inside each arm's amount.
fn arm_probes<'e>(
    policy: &Policy,
    owner: Owner,
    at: usize,
    arms: impl Iterator<Item = (String, &'e Expr)>,
    group: &str,
    probes: &mut Vec<(Probe, String, String)>,
) {
    for (arm, (description, amount)) in arms.enumerate() {
        probes.push((Probe::Arm { owner, at, arm }, group.to_string(), description));
        choice_probes(policy, owner, amount, group, probes);
    }
}

fn show_value(policy: &Policy, subject: &Expr, position: u32) -> String {
    match subject.ty {
        crate::check::checked::Type::Enum(id) => policy
            .enums
            .get(id)
            .and_then(|def| def.values.get(position as usize))
            .map_or_else(|| position.to_string(), |value| value.name.clone()),
        _ => position.to_string(),
    }
}
