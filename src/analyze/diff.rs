//! `polc diff`: what changed between two versions of a policy, in the policy's own terms,
//! and, given a batch both versions ran on, what the change does to each case, recipient
//! and clause.
//!
//! Versions are compared by meaning, not by text: expressions are compared as the
//! checker resolved them, written back in the language's notation, so layout and
//! comments never differ. A condition's change is classed (widened, narrowed, rewritten)
//! only when [`crate::analyze::domain`] proves it; otherwise it is only "changed".

use super::bounds;
use super::domain::{self, Domains, Presence};
use crate::check::checked::{Award, Cap, Class, Clause, Expr, ExprKind, Key, Policy, Type, TypeName};
use crate::eval::BatchResult;
use crate::lang::Lang;
use crate::money;
use crate::render::show;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One difference between the versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// What changed: `policy`, `input x`, `clause 1.1`, `cap over 4.2`, ...
    pub subject: String,
    /// Which part: `added`, `removed`, `condition`, `amount`, `cap`, `once`, ...
    pub part: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// What the change means, where it can be said: the numbers that changed inside an
    /// expression, whether a condition widened or narrowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

/// Everything `polc diff` finds.
#[derive(Debug, Serialize)]
pub struct Report {
    pub old: String,
    pub new: String,
    pub changes: Vec<Change>,
    /// With a batch: what the change does to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
}

/// What the change does to one batch both versions ran on.
#[derive(Debug, Serialize)]
pub struct Population {
    pub cases: usize,
    /// Every award that changed: per case, clause, recipient and role.
    pub awards: Vec<AwardChange>,
    pub per_recipient: Vec<TotalChange>,
    pub per_clause: Vec<TotalChange>,
    /// Cases that got something under both and more under the new.
    pub gaining: Vec<String>,
    /// Cases that got something under both and less under the new.
    pub losing: Vec<String>,
    /// Cases that got nothing under the old and something under the new.
    pub starting: Vec<String>,
    /// Cases that got something under the old and nothing under the new.
    pub stopping: Vec<String>,
    /// The money of every award, before and after.
    pub cost: TotalChange,
    /// Records one version could not run, and its words for why.
    pub errors: Vec<VersionError>,
}

#[derive(Debug, Serialize)]
pub struct AwardChange {
    pub case: String,
    pub clause: String,
    pub recipient: String,
    pub role: String,
    /// Yuan, `benefit`, `undetermined`; `None` when that version gives no such award.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The clause's changed parts, or the rule around it that changed.
    pub why: String,
}

#[derive(Debug, Serialize)]
pub struct TotalChange {
    pub name: String,
    pub before: String,
    pub after: String,
    pub change: String,
}

#[derive(Debug, Serialize)]
pub struct VersionError {
    /// `old` or `new`.
    pub version: &'static str,
    pub case: Option<String>,
    pub message: String,
}

/// The static difference of two versions.
pub fn diff(old: &Policy, new: &Policy) -> Report {
    let (old, new) = (in_notation(old), in_notation(new));
    let mut changes = Vec::new();
    header(&old, &new, &mut changes);
    vocabulary(&old, &new, &mut changes);
    gates(&old, &new, &mut changes);
    clauses(&old, &new, &mut changes);
    caps(&old, &new, &mut changes);
    classes(&old, &new, &mut changes);
    articles(&old, &new, &mut changes);
    Report { old: old.title.clone(), new: new.title.clone(), changes, population: None }
}

/// A copy that writes expressions in the language's notation (the form analysts edit),
/// whatever language its results are in.
fn in_notation(policy: &Policy) -> Policy {
    let mut policy = policy.clone();
    policy.lang = Lang::En;
    policy
}

fn change(subject: impl Into<String>, part: &str, from: Option<String>, to: Option<String>) -> Change {
    Change { subject: subject.into(), part: part.to_string(), from, to, effect: None }
}

fn text(policy: &Policy, expr: &Expr) -> String {
    show::expr(policy, expr, None)
}

fn header(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    if old.title != new.title {
        changes.push(change("policy", "title", Some(old.title.clone()), Some(new.title.clone())));
    }
    let validity = |policy: &Policy| policy.validity.map(|validity| format!("{} – {}", validity.from, validity.until));
    if validity(old) != validity(new) {
        changes.push(change("policy", "validity", validity(old), validity(new)));
    }
    if old.issued_by != new.issued_by {
        changes.push(change("policy", "issued by", old.issued_by.clone(), new.issued_by.clone()));
    }
    if old.interpreted_by != new.interpreted_by {
        changes.push(change("policy", "interpreted by", old.interpreted_by.clone(), new.interpreted_by.clone()));
    }
}

fn type_name(policy: &Policy, ty: Type) -> String {
    TypeName(ty, &policy.enums).to_string()
}

/// Inputs, enums and named values: the data contract and the figures rules share.
fn vocabulary(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    for input in &old.inputs {
        let subject = format!("input {}", input.name);
        let Some(other) = new.inputs.iter().find(|other| other.name == input.name) else {
            changes.push(change(subject, "removed", Some(type_name(old, input.ty)), None));
            continue;
        };
        let (from, to) = (type_name(old, input.ty), type_name(new, other.ty));
        if from != to {
            changes.push(change(subject.clone(), "type", Some(from), Some(to)));
        }
        if input.required != other.required {
            let word = |required: bool| Some(if required { "required" } else { "optional" }.to_string());
            changes.push(change(subject.clone(), "required", word(input.required), word(other.required)));
        }
        if input.default != other.default {
            let shown = |value: &Option<crate::check::checked::Value>| value.as_ref().map(|value| format!("{value:?}"));
            changes.push(change(subject, "default", shown(&input.default), shown(&other.default)));
        }
    }
    for input in new.inputs.iter().filter(|input| !old.inputs.iter().any(|other| other.name == input.name)) {
        changes.push(change(format!("input {}", input.name), "added", None, Some(type_name(new, input.ty))));
    }
    for def in &old.enums {
        let values = |def: &crate::check::checked::EnumDef| {
            def.values.iter().map(|value| value.name.clone()).collect::<Vec<_>>().join(", ")
        };
        match new.enums.iter().find(|other| other.name == def.name) {
            None => changes.push(change(format!("enum {}", def.name), "removed", Some(values(def)), None)),
            Some(other) if values(def) != values(other) => {
                let mut change = change(format!("enum {}", def.name), "values", Some(values(def)), Some(values(other)));
                let names = |def: &crate::check::checked::EnumDef| {
                    def.values.iter().map(|value| value.name.clone()).collect::<BTreeSet<_>>()
                };
                let (before, after) = (names(def), names(other));
                let added: Vec<_> = after.difference(&before).cloned().collect();
                let removed: Vec<_> = before.difference(&after).cloned().collect();
                change.effect = Some(added_removed(&added, &removed));
                changes.push(change);
            }
            Some(_) => {}
        }
    }
    for def in new.enums.iter().filter(|def| !old.enums.iter().any(|other| other.name == def.name)) {
        let values = def.values.iter().map(|value| value.name.clone()).collect::<Vec<_>>().join(", ");
        changes.push(change(format!("enum {}", def.name), "added", None, Some(values)));
    }
    for value in &old.values {
        let subject = format!("value {}", value.name);
        match new.values.iter().find(|other| other.name == value.name) {
            None => changes.push(change(subject, "removed", Some(text(old, &value.expr)), None)),
            Some(other) => {
                let (from, to) = (text(old, &value.expr), text(new, &other.expr));
                if from != to {
                    let mut change = change(subject, "definition", Some(from), Some(to));
                    change.effect = numbers_changed(old, &value.expr, new, &other.expr);
                    changes.push(change);
                }
            }
        }
    }
    for value in new.values.iter().filter(|value| !old.values.iter().any(|other| other.name == value.name)) {
        changes.push(change(format!("value {}", value.name), "added", None, Some(text(new, &value.expr))));
    }
}

fn added_removed(added: &[String], removed: &[String]) -> String {
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    if parts.is_empty() {
        REORDERED.0.to_string()
    } else {
        parts.join("; ")
    }
}

/// Gates, compared as a set of conditions: one dropped, one added.
fn gates(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    let texts =
        |policy: &Policy| -> Vec<String> { policy.gates.iter().map(|gate| text(policy, &gate.condition)).collect() };
    let (before, after) = (texts(old), texts(new));
    for gate in before.iter().filter(|gate| !after.contains(gate)) {
        changes.push(change("gate", "removed", Some(format!("require {gate}")), None));
    }
    for gate in after.iter().filter(|gate| !before.contains(gate)) {
        changes.push(change("gate", "added", None, Some(format!("require {gate}"))));
    }
}

fn keys_text(policy: &Policy, keys: &[Key]) -> String {
    keys.iter()
        .map(|key| match key {
            Key::Recipient => "recipient".to_string(),
            Key::Tier => "tier".to_string(),
            Key::Year => "year".to_string(),
            Key::Input(input) => policy.inputs.get(*input).map_or_else(|| "?".to_string(), |input| input.name.clone()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An award's amount in the notation, with its cap.
fn award_text(policy: &Policy, award: &Award) -> String {
    let capped = |text: String, cap: &Option<Expr>| match cap {
        Some(cap) => format!("{text} max {}", show::expr(policy, cap, None)),
        None => text,
    };
    match award {
        Award::Grant { amount, cap } => capped(text(policy, amount), cap),
        Award::UpTo { max } => format!("up to {}", text(policy, max)),
        Award::Range { low, high, cap } => {
            capped(format!("between {} and {}", text(policy, low), text(policy, high)), cap)
        }
        Award::Open { label, base, maximum, negotiated } => {
            let mut out = format!("{} \"{label}\"", if *negotiated { "negotiated" } else { "open" });
            if let Some(base) = base {
                out.push_str(&format!(" of {}", text(policy, base)));
            }
            if let Some(maximum) = maximum {
                out.push_str(&format!(" max {}", text(policy, maximum)));
            }
            out
        }
        Award::Benefit { description } => format!("benefit \"{description}\""),
    }
}

fn clauses(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    let old_bounds = bounds::bounds(old);
    let new_bounds = bounds::bounds(new);
    for (index, clause) in old.clauses.iter().enumerate() {
        let subject = format!("clause {}", clause.id);
        let Some((new_index, other)) = new.clauses.iter().enumerate().find(|(_, other)| other.id == clause.id) else {
            changes.push(change(subject, "removed", Some(award_text(old, &clause.award)), None));
            continue;
        };
        let before = changes.len();
        clause_parts(old, clause, new, other, &subject, changes);
        // Where the clause's rules changed, what that does to one award's greatest.
        if changes.len() > before {
            let most = |report: &bounds::Report, index: usize| {
                report.clauses.get(index).map(|bounds| match &bounds.greatest {
                    Some(bound) => bound.amount.parse().map(show::money_text).unwrap_or_else(|_| bound.amount.clone()),
                    None => "unbounded".to_string(),
                })
            };
            let (from, to) = (most(&old_bounds, index), most(&new_bounds, new_index));
            if from != to {
                changes.push(change(subject, "greatest award", from, to));
            }
        }
    }
    for clause in new.clauses.iter().filter(|clause| !old.clauses.iter().any(|other| other.id == clause.id)) {
        let mut added = change(format!("clause {}", clause.id), "added", None, Some(award_text(new, &clause.award)));
        added.effect = clause.condition.as_ref().map(|condition| format!("when {}", text(new, condition)));
        changes.push(added);
    }
}

fn clause_parts(old: &Policy, clause: &Clause, new: &Policy, other: &Clause, subject: &str, changes: &mut Vec<Change>) {
    // The condition, classed where the domains prove how it moved.
    let condition =
        |policy: &Policy, clause: &Clause| clause.condition.as_ref().map(|condition| text(policy, condition));
    let (from, to) = (condition(old, clause), condition(new, other));
    if from != to {
        let mut changed = change(subject, "condition", from, to);
        changed.effect = condition_effect(old, clause.condition.as_ref(), new, other.condition.as_ref());
        changes.push(changed);
    }
    if clause.award.kind_name() != other.award.kind_name() {
        changes.push(change(
            subject,
            "kind",
            Some(clause.award.kind_name().to_string()),
            Some(other.award.kind_name().to_string()),
        ));
    }
    let (from, to) = (award_text(old, &clause.award), award_text(new, &other.award));
    if from != to {
        let mut changed = change(subject, "award", Some(from), Some(to));
        changed.effect = award_numbers(old, &clause.award, new, &other.award);
        changes.push(changed);
    }
    let recipients = |policy: &Policy, clause: &Clause| {
        clause
            .recipients
            .iter()
            .map(|recipient| {
                let name = policy.inputs.get(recipient.input).map_or("?", |input| input.name.as_str());
                if name == recipient.role {
                    name.to_string()
                } else {
                    format!("{name} as {}", recipient.role)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (from, to) = (recipients(old, clause), recipients(new, other));
    if from != to {
        changes.push(change(subject, "recipients", Some(from), Some(to)));
    }
    let once = |policy: &Policy, clause: &Clause| {
        clause.once.as_ref().map(|keys| format!("once per {}", keys_text(policy, keys)))
    };
    let (from, to) = (once(old, clause), once(new, other));
    if from != to {
        changes.push(change(subject, "once", from, to));
    }
    let years = |policy: &Policy, clause: &Clause| {
        clause.years.as_ref().map(|limit| {
            let consecutive = if limit.consecutive { "consecutive " } else { "" };
            format!("for at most {} {consecutive}years per {}", limit.years, keys_text(policy, &limit.per))
        })
    };
    let (from, to) = (years(old, clause), years(new, other));
    if from != to {
        changes.push(change(subject, "years", from, to));
    }
    let instalments = |policy: &Policy, clause: &Clause| {
        clause.instalments.as_ref().map(|instalments| {
            let shares: Vec<String> =
                instalments.shares.iter().map(|share| format!("{}%", share * Decimal::ONE_HUNDRED)).collect();
            let milestones = policy.inputs.get(instalments.milestones).map_or("?", |input| input.name.as_str());
            format!("in instalments {} by {milestones}", shares.join(", "))
        })
    };
    let (from, to) = (instalments(old, clause), instalments(new, other));
    if from != to {
        changes.push(change(subject, "instalments", from, to));
    }
    if clause.subject_to_review != other.subject_to_review {
        let word = |review: bool| Some(if review { "subject to review" } else { "not reviewed" }.to_string());
        changes.push(change(subject, "review", word(clause.subject_to_review), word(other.subject_to_review)));
    }
}

/// The numbers that differ between two expressions of the same shape (`10% → 12%`), or
/// `None` when their shapes differ.
fn numbers_changed(old: &Policy, before: &Expr, new: &Policy, after: &Expr) -> Option<String> {
    let mut found = Vec::new();
    same_shape(old, before, new, after, &mut found).then_some(())?;
    (!found.is_empty()).then(|| found.join("; "))
}

fn award_numbers(old: &Policy, before: &Award, new: &Policy, after: &Award) -> Option<String> {
    let pairs: Vec<(Option<&Expr>, Option<&Expr>, &str)> = match (before, after) {
        (Award::Grant { amount: a, cap: c }, Award::Grant { amount: b, cap: d }) => {
            vec![(Some(a), Some(b), ""), (c.as_ref(), d.as_ref(), "max ")]
        }
        (Award::UpTo { max: a }, Award::UpTo { max: b }) => vec![(Some(a), Some(b), "up to ")],
        (Award::Range { low: a, high: b, cap: c }, Award::Range { low: d, high: e, cap: f }) => {
            vec![(Some(a), Some(d), "low "), (Some(b), Some(e), "high "), (c.as_ref(), f.as_ref(), "max ")]
        }
        (Award::Open { maximum: a, .. }, Award::Open { maximum: b, .. }) => vec![(a.as_ref(), b.as_ref(), "max ")],
        _ => return None,
    };
    // Tier tables of one subject: the tiers added, removed and re-priced.
    if let Some((Some(before), Some(after), _)) = pairs.first() {
        if let Some(tiers) = tier_changes(old, before, new, after) {
            return Some(tiers);
        }
    }
    let mut found = Vec::new();
    for (before, after, label) in pairs {
        match (before, after) {
            (Some(before), Some(after)) => {
                let mut here = Vec::new();
                if !same_shape(old, before, new, after, &mut here) {
                    return None;
                }
                found.extend(here.into_iter().map(|change| format!("{label}{change}")));
            }
            (None, None) => {}
            (None, Some(after)) => found.push(format!("{label}added: {}", text(new, after))),
            (Some(before), None) => found.push(format!("{label}removed: {}", text(old, before))),
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

/// How two tier tables over one subject differ, tier by tier (`added tier 20亿 => 40万`);
/// `None` unless both are tier tables of one subject with different tiers.
fn tier_changes(old: &Policy, before: &Expr, new: &Policy, after: &Expr) -> Option<String> {
    let (
        ExprKind::Tiers { subject: a, since: x, tiers: before_tiers },
        ExprKind::Tiers { subject: b, since: y, tiers: after_tiers },
    ) = (&before.kind, &after.kind)
    else {
        return None;
    };
    let since = |policy: &Policy, since: &Option<Box<Expr>>| since.as_deref().map(|since| text(policy, since));
    if text(old, a) != text(new, b) || since(old, x) != since(new, y) || before_tiers.len() == after_tiers.len() {
        return None;
    }
    // Each tier by its threshold's value, with the threshold as written and the amount.
    let tiers = |policy: &Policy, tiers: &[crate::check::checked::Tier]| -> BTreeMap<Decimal, (String, String)> {
        tiers
            .iter()
            .filter_map(|tier| {
                let written = Expr { kind: ExprKind::Literal(tier.threshold.clone()), ty: b.ty, span: after.span };
                Some((domain::literal_number(&tier.threshold)?, (text(policy, &written), text(policy, &tier.amount))))
            })
            .collect()
    };
    let (was, now) = (tiers(old, before_tiers), tiers(new, after_tiers));
    let mut found = Vec::new();
    for (at, (threshold, amount)) in &now {
        match was.get(at) {
            None => found.push(format!("added tier {threshold} => {amount}")),
            Some((_, earlier)) if earlier != amount => found.push(format!("tier {threshold}: {earlier} → {amount}")),
            Some(_) => {}
        }
    }
    for (threshold, amount) in was.iter().filter(|(at, _)| !now.contains_key(at)).map(|(_, tier)| tier) {
        found.push(format!("removed tier {threshold} => {amount}"));
    }
    Some(found.join("; "))
}

/// Whether two expressions have one shape (the same operators, inputs and values in the
/// same places, whatever their numbers); the numbers that differ are added to `found`.
// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn same_shape(old: &Policy, before: &Expr, new: &Policy, after: &Expr, found: &mut Vec<String>) -> bool {
    match (&before.kind, &after.kind) {
        (ExprKind::Literal(_), ExprKind::Literal(_)) => {
            let (a, b) = (text(old, before), text(new, after));
            if a != b {
                found.push(format!("{a} → {b}"));
            }
            true
        }
        (ExprKind::Input(a), ExprKind::Input(b)) => {
            old.inputs.get(*a).map(|input| &input.name) == new.inputs.get(*b).map(|input| &input.name)
        }
        (ExprKind::Named(a), ExprKind::Named(b)) => {
            old.values.get(*a).map(|value| &value.name) == new.values.get(*b).map(|value| &value.name)
        }
        (ExprKind::Tiers { tiers: a, since: x, .. }, ExprKind::Tiers { tiers: b, since: y, .. })
            if a.len() == b.len() && x.is_some() == y.is_some() =>
        {
            for (x, y) in a.iter().zip(b) {
                let threshold = |value: &crate::check::checked::Value| {
                    domain::literal_number(value)
                        .map_or_else(|| "?".to_string(), |number| number.normalize().to_string())
                };
                let (from, to) = (threshold(&x.threshold), threshold(&y.threshold));
                if from != to {
                    found.push(format!("tier threshold {from} → {to}"));
                }
            }
            children_alike(old, &before.children(), new, &after.children(), found)
        }
        (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            // Same operator: its own parts (comparison, function, table arms) must match
            // as written, and then its children.
            let (a_children, b_children) = (before.children(), after.children());
            if a_children.len() != b_children.len() {
                return false;
            }
            if a_children.is_empty() {
                return text(old, before) == text(new, after);
            }
            if !operator_alike(old, before, new, after) {
                return false;
            }
            children_alike(old, &a_children, new, &b_children, found)
        }
        _ => false,
    }
}

fn children_alike(old: &Policy, a: &[&Expr], new: &Policy, b: &[&Expr], found: &mut Vec<String>) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_shape(old, x, new, y, found))
}

/// Whether two nodes of one kind are the same operator apart from their children: the
/// comparison, the function, a table's arm values, a bracket's ends.
fn operator_alike(old: &Policy, before: &Expr, new: &Policy, after: &Expr) -> bool {
    match (&before.kind, &after.kind) {
        (ExprKind::Compare(_, a, _), ExprKind::Compare(_, b, _)) => a == b,
        (ExprKind::Call(a, _), ExprKind::Call(b, _)) => a == b,
        (ExprKind::Sum(_, a), ExprKind::Sum(_, b)) => {
            a.iter().map(|(sign, _)| *sign).collect::<Vec<_>>() == b.iter().map(|(sign, _)| *sign).collect::<Vec<_>>()
        }
        (ExprKind::Product { factors: a, .. }, ExprKind::Product { factors: b, .. }) => {
            a.iter().map(|(op, _)| *op).collect::<Vec<_>>() == b.iter().map(|(op, _)| *op).collect::<Vec<_>>()
        }
        (ExprKind::Table { subject: s, arms: a, .. }, ExprKind::Table { subject: t, arms: b, .. }) => {
            let names = |policy: &Policy, subject: &Expr, values: &[u32]| -> Vec<String> {
                let Some(Type::Enum(id)) = subject_type(policy, subject) else { return Vec::new() };
                values
                    .iter()
                    .filter_map(|value| Some(policy.enums.get(id)?.values.get(*value as usize)?.name.clone()))
                    .collect()
            };
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| names(old, s, &x.values) == names(new, t, &y.values))
        }
        (ExprKind::InSet { .. }, ExprKind::InSet { .. }) | (ExprKind::Brackets { .. }, ExprKind::Brackets { .. }) => {
            // Their sets and ranges are part of what they say: compare as written, apart
            // from the children they hold.
            strip_children(old, before) == strip_children(new, after)
        }
        (ExprKind::DateShift(_, a), ExprKind::DateShift(_, b)) => a == b,
        _ => true,
    }
}

/// An expression's text with its children's text taken out: what the node itself says.
fn strip_children(policy: &Policy, expr: &Expr) -> String {
    let mut whole = text(policy, expr);
    for child in expr.children() {
        whole = whole.replacen(&text(policy, child), "_", 1);
    }
    whole
}

fn subject_type(policy: &Policy, subject: &Expr) -> Option<Type> {
    match &subject.kind {
        ExprKind::Input(input) => policy.inputs.get(*input).map(|input| input.ty),
        _ => None,
    }
}

/// Whether the new condition holds for more cases, fewer, or the same, where that can
/// be proved; each version's gates left aside (a gate change is its own change).
fn condition_effect(old: &Policy, before: Option<&Expr>, new: &Policy, after: Option<&Expr>) -> Option<String> {
    let implies = |from: (&Policy, Option<&Expr>), to: (&Policy, Option<&Expr>)| -> Option<bool> {
        implies(from.0, from.1, to.0, to.1)
    };
    let widened = implies((old, before), (new, after));
    let narrowed = implies((new, after), (old, before));
    Some(
        match (widened, narrowed) {
            (Some(true), Some(true)) => SAME_CASES.0,
            (Some(true), Some(false)) => WIDENED.0,
            (Some(false), Some(true)) => NARROWED.0,
            (Some(false), Some(false)) => CHANGED.0,
            (Some(true), None) => WIDENED_OR_SAME.0,
            (None, Some(true)) => NARROWED_OR_SAME.0,
            _ => return None,
        }
        .to_string(),
    )
}

/// Whether every case that meets `from` meets `to` (`Some(true)`), some case meets `from`
/// and not `to` (`Some(false)`), or the domains cannot tell (`None`). The inputs are
/// matched by name; an input one version lacks is undecided.
fn implies(from_policy: &Policy, from: Option<&Expr>, to_policy: &Policy, to: Option<&Expr>) -> Option<bool> {
    let Some(to) = to else { return Some(true) };
    // Both conditions must read inputs of one meaning: the same names and types.
    let mut read = BTreeSet::new();
    super::witness::collect(to_policy, to, &mut read);
    let mut names = BTreeMap::new();
    for input in &read {
        let declared = to_policy.inputs.get(*input)?;
        let (index, other) = from_policy.inputs.iter().enumerate().find(|(_, other)| other.name == declared.name)?;
        if type_name(from_policy, other.ty) != type_name(to_policy, declared.ty) {
            return None;
        }
        names.insert(*input, index);
    }
    // `to` must hold wherever `from` does: no alternative of `from` leaves a case where
    // `to` is false, and none where it is unknown (a fact it reads may be missing).
    let base = Domains::of_policy(from_policy);
    let from_branches = match from {
        Some(from) => domain::branches(from_policy, from)?,
        None => vec![Vec::new()],
    };
    let not_to = domain::branches_not(to_policy, to)?;
    // A test the domains cannot read constrains nothing there: a case they find might not
    // exist, so nothing is claimed.
    let unread = |branches: &[Vec<domain::Atom<'_>>]| {
        branches.iter().flatten().any(|atom| matches!(atom, domain::Atom::Opaque(..)))
    };
    if unread(&not_to) || unread(&from_branches) {
        return None;
    }
    for branch in &from_branches {
        let Some(domains) = base.with_all(branch) else { continue };
        for input in names.values() {
            if domains.inputs.get(input).is_none_or(|domain| domain.presence != Presence::Given) {
                // A case may lack a fact `to` reads: it is unknown there, not true.
                return if from_branches.len() == 1 && branch.is_empty() { Some(false) } else { None };
            }
        }
        for failing in &not_to {
            let renamed: Option<Vec<domain::Atom<'_>>> = failing.iter().map(|atom| rename(atom, &names)).collect();
            if domains.with_all(&renamed?).is_some() {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// An atom of one version's condition over the other version's inputs.
fn rename<'e>(atom: &domain::Atom<'e>, names: &BTreeMap<usize, usize>) -> Option<domain::Atom<'e>> {
    Some(match atom {
        domain::Atom::Within(input, interval) => domain::Atom::Within(*names.get(input)?, *interval),
        domain::Atom::OneOf(input, values) => domain::Atom::OneOf(*names.get(input)?, values.clone()),
        domain::Atom::Given(input, given) => domain::Atom::Given(*names.get(input)?, *given),
        domain::Atom::Opaque(..) => return None,
    })
}

fn cap_text(policy: &Policy, cap: &Cap) -> String {
    let clauses: Vec<&str> =
        cap.clauses.iter().filter_map(|clause| policy.clauses.get(*clause)).map(|clause| clause.id.as_str()).collect();
    let per = if cap.per.is_empty() { String::new() } else { format!(" per {}", keys_text(policy, &cap.per)) };
    format!("over {}{per}", clauses.join(", "))
}

fn cap_amount(policy: &Policy, cap: &Cap) -> String {
    let mut out = show::money_text(cap.amount);
    if let Some((relaxed, condition)) = &cap.relaxed {
        out.push_str(&format!(" relaxed to {} when {}", show::money_text(*relaxed), text(policy, condition)));
    }
    if cap.pro_rata {
        out.push_str(" pro rata");
    }
    out
}

/// Caps, matched by the clauses and keys they hold.
fn caps(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    for cap in &old.caps {
        let place = cap_text(old, cap);
        match new.caps.iter().find(|other| cap_text(new, other) == place) {
            None => changes.push(change(format!("cap {place}"), "removed", Some(cap_amount(old, cap)), None)),
            Some(other) => {
                let (from, to) = (cap_amount(old, cap), cap_amount(new, other));
                if from != to {
                    let mut changed = change(format!("cap {place}"), "amount", Some(from), Some(to));
                    changed.effect = Some(
                        match other.amount.cmp(&cap.amount) {
                            std::cmp::Ordering::Greater => LOOSENED.0,
                            std::cmp::Ordering::Less => TIGHTENED.0,
                            std::cmp::Ordering::Equal => TERMS_CHANGED.0,
                        }
                        .to_string(),
                    );
                    changes.push(changed);
                }
            }
        }
    }
    for cap in new.caps.iter().filter(|cap| !old.caps.iter().any(|other| cap_text(old, other) == cap_text(new, cap))) {
        changes.push(change(format!("cap {}", cap_text(new, cap)), "added", None, Some(cap_amount(new, cap))));
    }
}

fn class_text(policy: &Policy, class: &Class) -> String {
    let clauses: Vec<String> = class
        .clauses
        .iter()
        .filter_map(|clause| policy.clauses.get(*clause))
        .map(|clause| clause.id.clone())
        .chain(class.imported.iter().map(|label| format!("imported \"{label}\"")))
        .collect();
    format!("of {} keep highest per {}", clauses.join(", "), keys_text(policy, &class.per))
}

fn classes(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    for class in &old.classes {
        let subject = format!("class {}", class.name);
        match new.classes.iter().find(|other| other.name == class.name) {
            None => changes.push(change(subject, "removed", Some(class_text(old, class)), None)),
            Some(other) => {
                let (from, to) = (class_text(old, class), class_text(new, other));
                if from != to {
                    changes.push(change(subject, "members", Some(from), Some(to)));
                }
            }
        }
    }
    for class in new.classes.iter().filter(|class| !old.classes.iter().any(|other| other.name == class.name)) {
        changes.push(change(format!("class {}", class.name), "added", None, Some(class_text(new, class))));
    }
}

/// The policy's own text, article by article: a change there is a change of what the
/// rules cite, even where the rules stay.
fn articles(old: &Policy, new: &Policy, changes: &mut Vec<Change>) {
    for article in &old.articles {
        let subject = format!("article {}", article.number);
        match new.articles.iter().find(|other| other.number == article.number) {
            None => changes.push(change(subject, "removed", Some(article.title.clone()), None)),
            Some(other) => {
                if article.title != other.title {
                    changes.push(change(
                        subject.clone(),
                        "title",
                        Some(article.title.clone()),
                        Some(other.title.clone()),
                    ));
                }
                let squeeze = |text: &Option<String>| {
                    text.as_deref().map(|text| text.split_whitespace().collect::<String>()).unwrap_or_default()
                };
                if squeeze(&article.text) != squeeze(&other.text) {
                    changes.push(change(subject, "text", None, None));
                }
            }
        }
    }
    for article in
        new.articles.iter().filter(|article| !old.articles.iter().any(|other| other.number == article.number))
    {
        changes.push(change(format!("article {}", article.number), "added", None, Some(article.title.clone())));
    }
}

/// The fields each version reads that the other does not declare: set aside by the other
/// when both run on one batch.
pub fn fields_only_in(one: &Policy, other: &Policy) -> Vec<String> {
    one.inputs
        .iter()
        .filter(|input| !other.inputs.iter().any(|known| known.name == input.name))
        .map(|input| input.name.clone())
        .collect()
}

/// What an award is, for comparing: money in yuan, or its kind.
fn award_value(policy: &Policy, award: &crate::eval::AwardRecord) -> String {
    match award.amount() {
        Some(amount) => money::format_yuan(amount),
        None => award.kind(policy).to_string(),
    }
}

/// One award's place: case, clause, recipient, role.
type AwardKey = (String, String, String, String);

fn awards_of(policy: &Policy, result: &BatchResult) -> BTreeMap<AwardKey, (String, Decimal)> {
    let mut awards = BTreeMap::new();
    for case in result.cases.iter().filter(|case| case.round == crate::eval::THIS_BATCH) {
        let id = result.cases.id(case).to_string();
        for award in result.case_awards(case) {
            let Some(clause) = policy.clauses.get(award.clause) else { continue };
            let role =
                clause.recipients.get(award.recipient_index as usize).map_or("", |recipient| recipient.role.as_str());
            let key = (id.clone(), clause.id.clone(), award.recipient.to_string(), role.to_string());
            awards.insert(key, (award_value(policy, award), award.amount().unwrap_or(Decimal::ZERO)));
        }
    }
    awards
}

/// What the change does to a batch: `before` is the old version's result, `after` the
/// new's, both on the same records. `changes` are the static changes ([`diff`]), to say
/// why each award moved.
pub fn population(
    old: &Policy,
    before: &BatchResult,
    new: &Policy,
    after: &BatchResult,
    changes: &[Change],
) -> Population {
    let (was, now) = (awards_of(old, before), awards_of(new, after));
    let mut keys: BTreeSet<&AwardKey> = was.keys().collect();
    keys.extend(now.keys());
    let mut awards = Vec::new();
    let mut per_recipient: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut per_clause: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    let mut per_case: BTreeMap<String, (Decimal, Decimal, bool, bool)> = BTreeMap::new();
    for key in keys {
        let (case, clause, recipient, role) = key;
        let from = was.get(key);
        let to = now.get(key);
        let money = |side: Option<&(String, Decimal)>| side.map_or(Decimal::ZERO, |(_, amount)| *amount);
        let (a, b) = (money(from), money(to));
        let recipient_total = per_recipient.entry(recipient.clone()).or_default();
        recipient_total.0 += a;
        recipient_total.1 += b;
        let clause_total = per_clause.entry(clause.clone()).or_default();
        clause_total.0 += a;
        clause_total.1 += b;
        let case_total = per_case.entry(case.clone()).or_default();
        case_total.0 += a;
        case_total.1 += b;
        // Something is an award of money above zero, or a benefit or an open amount.
        let something = |side: Option<&(String, Decimal)>| {
            side.is_some_and(|(value, amount)| !amount.is_zero() || value.parse::<Decimal>().is_err())
        };
        case_total.2 |= something(from);
        case_total.3 |= something(to);
        let (from, to) = (from.map(|(value, _)| value.clone()), to.map(|(value, _)| value.clone()));
        if from != to {
            awards.push(AwardChange {
                case: case.clone(),
                clause: clause.clone(),
                recipient: recipient.clone(),
                role: role.clone(),
                from,
                to,
                why: why(clause, changes, new.lang),
            });
        }
    }
    // Cases that got nothing in either version still count, and are in neither list.
    let ids = |result: &BatchResult| -> BTreeSet<String> {
        result
            .cases
            .iter()
            .filter(|case| case.round == crate::eval::THIS_BATCH)
            .map(|case| result.cases.id(case).to_string())
            .collect()
    };
    let mut all = ids(before);
    all.extend(ids(after));
    let (mut gaining, mut losing, mut starting, mut stopping) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (case, (a, b, had, has)) in &per_case {
        match (had, has) {
            (false, true) => starting.push(case.clone()),
            (true, false) => stopping.push(case.clone()),
            (true, true) if b > a => gaining.push(case.clone()),
            (true, true) if b < a => losing.push(case.clone()),
            _ => {}
        }
    }
    let total = |name: String, (a, b): (Decimal, Decimal)| TotalChange {
        name,
        before: money::format_yuan(a),
        after: money::format_yuan(b),
        change: signed(b - a),
    };
    let moved = |totals: BTreeMap<String, (Decimal, Decimal)>| -> Vec<TotalChange> {
        totals.into_iter().filter(|(_, (a, b))| a != b).map(|(name, sums)| total(name, sums)).collect()
    };
    let cost = per_clause.values().fold((Decimal::ZERO, Decimal::ZERO), |(a, b), (x, y)| (a + x, b + y));
    let mut errors = Vec::new();
    for (version, result) in [("old", before), ("new", after)] {
        errors.extend(result.errors.iter().map(|error| VersionError {
            version,
            case: error.case.clone(),
            message: error.message.clone(),
        }));
    }
    Population {
        cases: all.len(),
        awards,
        per_recipient: moved(per_recipient),
        per_clause: moved(per_clause),
        gaining,
        losing,
        starting,
        stopping,
        cost: total("total".to_string(), cost),
        errors,
    }
}

/// An amount with its sign, `+0.00` for none.
fn signed(amount: Decimal) -> String {
    if amount.is_sign_negative() && !amount.is_zero() {
        money::format_yuan(amount)
    } else {
        format!("+{}", money::format_yuan(amount))
    }
}

/// Why a clause's award moved: its own changed parts, or else the rules around it that
/// changed (a cap or class holding it, a gate, the vocabulary), or else other awards that
/// a cross-case rule counts with it. In `lang`, the words of [`subject_words`],
/// [`part_words`] and [`effect_words`].
fn why(clause: &str, changes: &[Change], lang: Lang) -> String {
    let subject = format!("clause {clause}");
    let own: Vec<(&str, String)> = changes
        .iter()
        .filter(|change| change.subject == subject && change.part != "greatest award")
        .map(|change| {
            let part = part_words(&change.part, lang);
            let words = match (&change.effect, change.part.as_str()) {
                (Some(effect), "award" | "definition") => {
                    format!("{part}{}{}", lang.pick(": ", "："), effect_words(effect, lang))
                }
                (Some(effect), "condition") => {
                    let verdict = effect.split(':').next().unwrap_or(effect);
                    format!("{part}{}{}", lang.pick(" ", ""), effect_words(verdict, lang))
                }
                _ => part,
            };
            (change.part.as_str(), words)
        })
        .collect();
    let separator = lang.pick("; ", "；");
    match own.first().map(|(part, _)| *part) {
        Some("added") => return lang.choose(format!("clause {clause} is new"), format!("条款 {clause} 为新增")),
        Some("removed") => return lang.choose(format!("clause {clause} was removed"), format!("条款 {clause} 已删除")),
        Some(_) => {
            let parts: Vec<&str> = own.iter().map(|(_, words)| words.as_str()).collect();
            let parts = parts.join(separator);
            return lang.choose(format!("clause {clause} changed: {parts}"), format!("条款 {clause} 有改动：{parts}"));
        }
        None => {}
    }
    let said = |change: &Change, what: String| format!("{} {what}", subject_words(&change.subject, lang));
    let around: Vec<String> = changes
        .iter()
        .filter(|change| {
            let holds = |text: &Option<String>| {
                text.as_deref().is_some_and(|text| text.split([',', ' ']).any(|word| word == clause))
            };
            (change.subject.starts_with("cap ") && change.subject.split([',', ' ']).any(|word| word == clause))
                || (change.subject.starts_with("class ") && (holds(&change.from) || holds(&change.to)))
        })
        .map(|change| match &change.effect {
            Some(effect) => said(change, effect_words(effect, lang)),
            None => said(change, part_words(&change.part, lang)),
        })
        .collect();
    if !around.is_empty() {
        return around.join(separator);
    }
    let general: Vec<String> = changes
        .iter()
        .filter(|change| {
            change.subject == "gate" || change.subject.starts_with("value ") || change.subject.starts_with("input ")
        })
        .map(|change| said(change, part_words(&change.part, lang)))
        .collect();
    if !general.is_empty() {
        return general.join(separator);
    }
    lang.pick(
        "the clause is unchanged: a cross-case rule (once, a class, a cap) counts other awards that changed",
        "条款本身未变：某项跨案例规则（once、类别、上限）计入了其他发生变化的奖励",
    )
    .to_string()
}

/// An effect's words as the report keeps them (English: stable for a program reading the
/// JSON) and as a Chinese reader reads them, each written here once: the analysis takes
/// the first, [`effect_words`] finds the second.
type EffectWords = (&'static str, &'static str);

const SAME_CASES: EffectWords = ("the same cases, rewritten", "适用的案例不变，只是改写");
const WIDENED: EffectWords =
    ("widened: every case it held for still qualifies, and more do", "放宽：原来适用的案例仍然适用，且有更多案例适用");
const NARROWED: EffectWords = ("narrowed: fewer cases qualify, none newly", "收紧：适用的案例变少，没有新适用的案例");
const CHANGED: EffectWords =
    ("changed: some cases newly qualify and some no longer do", "改变：有些案例新适用，有些不再适用");
const WIDENED_OR_SAME: EffectWords =
    ("widened or the same: every case it held for still qualifies", "放宽或不变：原来适用的案例仍然适用");
const NARROWED_OR_SAME: EffectWords = ("narrowed or the same: no case newly qualifies", "收紧或不变：没有新适用的案例");
const LOOSENED: EffectWords = ("loosened", "放宽");
const TIGHTENED: EffectWords = ("tightened", "收紧");
const TERMS_CHANGED: EffectWords = ("its terms changed", "条件改变");
const REORDERED: EffectWords = ("reordered", "顺序调整");
const EFFECTS: [EffectWords; 10] = [
    SAME_CASES,
    WIDENED,
    NARROWED,
    CHANGED,
    WIDENED_OR_SAME,
    NARROWED_OR_SAME,
    LOOSENED,
    TIGHTENED,
    TERMS_CHANGED,
    REORDERED,
];

/// A change's subject (`clause 1.1`, `input x`) in `lang`. The report keeps its subjects,
/// parts and effects in English, stable for a program reading the JSON; a person reads
/// them in the run's language.
pub fn subject_words(subject: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return subject.to_string();
    }
    let (kind, rest) = subject.split_once(' ').unwrap_or((subject, ""));
    let kind = match kind {
        "policy" => "政策",
        "input" => "申报数据",
        "enum" => "枚举",
        "value" => "命名值",
        "clause" => "条款",
        "cap" => "上限",
        "class" => "类别",
        "gate" => "准入条件",
        "article" => return format!("第{rest}条"),
        _ => return subject.to_string(),
    };
    if rest.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} {rest}")
    }
}

/// A change's part (`added`, `condition`, `greatest award`) in `lang`.
pub fn part_words(part: &str, lang: Lang) -> String {
    let chinese = match part {
        "added" => "新增",
        "removed" => "删除",
        "amount" => "金额",
        "award" => "奖励",
        "condition" => "条件",
        "default" => "默认值",
        "definition" => "定义",
        "greatest award" => "单笔最高奖励",
        "instalments" => "分期",
        "interpreted by" => "解释机关",
        "issued by" => "发布机关",
        "members" => "成员",
        "once" => "限享一次",
        "recipients" => "受益主体",
        "required" => "必填",
        "review" => "评审",
        "text" => "原文",
        "title" => "标题",
        "type" => "类型",
        "validity" => "有效期",
        "years" => "年限",
        "values" => "取值",
        _ => part,
    };
    lang.pick(part, chinese).to_string()
}

/// What a change means (`widened: …`, `tightened`, `added tier 20亿 => 40万`) in `lang`;
/// numbers and the policy's own text are left as they are.
pub fn effect_words(effect: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return effect.to_string();
    }
    for (english, chinese) in EFFECTS {
        if effect == english {
            return chinese.to_string();
        }
        // A verdict's head alone (`widened`), as an award's reason quotes it.
        if let (Some((head, _)), Some((head_zh, _))) = (english.split_once(": "), chinese.split_once('：')) {
            if effect == head {
                return head_zh.to_string();
            }
        }
    }
    let pieces: Vec<String> = effect
        .split("; ")
        .map(|piece| {
            for (english, chinese) in [
                ("added tier ", "新增档次 "),
                ("removed tier ", "删除档次 "),
                ("tier threshold ", "档次门槛 "),
                ("tier ", "档次 "),
                ("added ", "新增 "),
                ("removed ", "删除 "),
                ("when ", "适用条件："),
            ] {
                if let Some(rest) = piece.strip_prefix(english) {
                    return format!("{chinese}{rest}");
                }
            }
            piece.to_string()
        })
        .collect();
    pieces.join("；")
}
