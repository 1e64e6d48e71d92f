//! Writes expressions and facts back in the policy's own notation, with the case's
//! facts beside the inputs they fill: the arithmetic of every explanation.
//!
//! Each form has a `write_…` function that appends to a buffer: a result writes a few
//! of these per award, for millions of awards, and the text of one goes straight into
//! the text of its result. The functions that return a `String` wrap them.

use crate::check::checked::{Expr, ExprKind, InputId, Policy, Type, Value};
use crate::data::{Case, Fact};
use crate::lang::Lang;
use crate::money;
use crate::syntax::ast::Sign;
use rust_decimal::Decimal;
use std::fmt::Write;

/// Where a shown expression finds the facts its inputs had.
pub trait Facts {
    fn fact(&self, input: InputId) -> Option<&Fact>;
}

impl Facts for Case {
    fn fact(&self, input: InputId) -> Option<&Fact> {
        self.facts.get(input).and_then(Option::as_ref)
    }
}

/// The facts an award kept: the inputs its clause reads, in slot order.
pub struct KeptFacts<'a>(pub &'a [(InputId, Fact)]);

impl Facts for KeptFacts<'_> {
    fn fact(&self, input: InputId) -> Option<&Fact> {
        self.0.iter().find(|(id, _)| *id == input).map(|(_, fact)| fact)
    }
}

/// A fact as analysts write it: `8,600,000.00` for money, `72%` for a ratio.
pub fn fact(policy: &Policy, ty: Type, fact: &Fact) -> String {
    let mut out = String::new();
    write_fact(&mut out, policy, ty, fact);
    out
}

/// [`fact`], written onto `out`; in Chinese ([`Policy::lang`]) as an analyst reads it
/// (`900万元`, `省级`, `是`).
pub fn write_fact(out: &mut String, policy: &Policy, ty: Type, fact: &Fact) {
    if policy.lang == Lang::Zh {
        out.push_str(&super::zh::fact_text(policy, ty, fact));
        return;
    }
    match fact {
        Fact::Money(amount) => money::write_yuan_grouped(out, *amount),
        Fact::Ratio(ratio) => money::write_percent(out, *ratio),
        Fact::Integer(value) => {
            let _ = write!(out, "{value}");
        }
        Fact::Quantity(value) => {
            let _ = write!(out, "{}", value.normalize());
        }
        Fact::PerUnit(amount) => {
            write_exact_money(out, *amount);
            out.push_str(" per unit");
        }
        Fact::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Fact::Date(date) => {
            let _ = write!(out, "{date}");
        }
        Fact::Text(text) => out.push_str(text),
        Fact::Enum(position) => write_enum_value(out, policy, ty, *position),
    }
}

/// Money as results show it: grouped, to the fen.
pub fn money_text(amount: Decimal) -> String {
    let mut out = String::new();
    money::write_yuan_grouped(&mut out, amount);
    out
}

/// Money before rounding: every digit there is, and at least two decimals.
pub fn exact_money(amount: Decimal) -> String {
    let mut out = String::new();
    write_exact_money(&mut out, amount);
    out
}

/// [`exact_money`], written onto `out`.
pub fn write_exact_money(out: &mut String, amount: Decimal) {
    let normalized = amount.normalize();
    if normalized.scale() <= 2 {
        money::write_yuan_grouped(out, amount);
    } else {
        money::write_grouped(out, &normalized.to_string());
    }
}

/// A range of a table by a number, as the policy writes it: `(5000万..1亿]`.
pub fn range(policy: &Policy, ty: Type, arm: &crate::check::checked::Bracket) -> String {
    let low = arm.low.as_ref().map(|(value, included)| (literal(policy, ty, value), *included));
    let high = arm.high.as_ref().map(|(value, included)| (literal(policy, ty, value), *included));
    crate::syntax::ast::range_text(
        low.as_ref().map(|(text, included)| (text.as_str(), *included)),
        high.as_ref().map(|(text, included)| (text.as_str(), *included)),
    )
}

fn write_enum_value(out: &mut String, policy: &Policy, ty: Type, position: u32) {
    let name = match ty {
        Type::Enum(id) => policy.enums.get(id).and_then(|def| def.values.get(position as usize)),
        _ => None,
    };
    match name {
        Some(value) => out.push_str(&value.name),
        None => {
            let _ = write!(out, "{position}");
        }
    }
}

fn literal(policy: &Policy, ty: Type, value: &Value) -> String {
    let mut out = String::new();
    write_literal(&mut out, policy, ty, value);
    out
}

fn write_literal(out: &mut String, policy: &Policy, ty: Type, value: &Value) {
    match value {
        Value::Money(amount) | Value::PerUnit(amount) => money::write_money_readable(out, *amount),
        Value::Ratio(ratio) => money::write_percent(out, *ratio),
        Value::Integer(value) => {
            let _ = write!(out, "{value}");
        }
        Value::Quantity(value) => {
            let _ = write!(out, "{}", value.normalize());
        }
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Date(date) => {
            let _ = write!(out, "{date}");
        }
        Value::Text(text) => {
            let _ = write!(out, "\"{text}\"");
        }
        Value::Enum(_, position) => write_enum_value(out, policy, ty, *position),
    }
}

/// The expression as written; with a case, each input is followed by its value
/// (`contract_amount (8,600,000.00)`) or `(missing)`.
pub fn expr(policy: &Policy, expr: &Expr, case: Option<&Case>) -> String {
    let mut out = String::new();
    write_expr(&mut out, policy, expr, case.map(|case| case as &dyn Facts));
    out
}

/// [`expr`], written onto `out`, the inputs' values found in `facts`. In Chinese
/// ([`Policy::lang`]) the expression is put in words, inputs by their labels.
pub fn write_expr(out: &mut String, policy: &Policy, expr: &Expr, facts: Option<&dyn Facts>) {
    if policy.lang == Lang::Zh {
        out.push_str(&super::zh::Chinese::with_facts(policy, facts).condition(expr));
        return;
    }
    Shown { out, policy, facts }.expr(expr);
}

/// One expression being written.
struct Shown<'a, 'p> {
    out: &'a mut String,
    policy: &'p Policy,
    facts: Option<&'a dyn Facts>,
}

impl Shown<'_, '_> {
    /// An expression that is itself a list of parts, bracketed where it sits in another.
    fn bracketed(&mut self, inner: &Expr) {
        match inner.kind {
            ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Sum(..)
            | ExprKind::If { .. }
            | ExprKind::Table { .. }
            | ExprKind::Brackets { .. } => {
                self.out.push('(');
                self.expr(inner);
                self.out.push(')');
            }
            _ => self.expr(inner),
        }
    }

    /// `inner` as the policy writes it, with no facts (an arm of a table).
    fn plain(&mut self, inner: &Expr) {
        let facts = self.facts.take();
        self.expr(inner);
        self.facts = facts;
    }

    fn joined(&mut self, parts: &[Expr], separator: &str) {
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                self.out.push_str(separator);
            }
            self.bracketed(part);
        }
    }

    fn input(&mut self, id: InputId, ty: Type) {
        let name = self.policy.inputs.get(id).map_or("?", |input| input.name.as_str());
        self.out.push_str(name);
        if let Some(facts) = self.facts {
            match facts.fact(id) {
                Some(value) => {
                    self.out.push_str(" (");
                    write_fact(self.out, self.policy, ty, value);
                    self.out.push(')');
                }
                None => self.out.push_str(" (missing)"),
            }
        }
    }

    fn enum_values(&mut self, ty: Type, values: &[u32]) {
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                self.out.push_str(", ");
            }
            write_enum_value(self.out, self.policy, ty, *value);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        let policy = self.policy;
        match &expr.kind {
            ExprKind::Literal(value) => write_literal(self.out, policy, expr.ty, value),
            ExprKind::Named(id) => self.out.push_str(policy.values.get(*id).map_or("?", |value| value.name.as_str())),
            ExprKind::Input(id) => self.input(*id, expr.ty),
            ExprKind::Not(inner) => {
                self.out.push_str("not ");
                self.bracketed(inner);
            }
            ExprKind::And(parts) => self.joined(parts, " and "),
            ExprKind::Or(parts) => self.joined(parts, " or "),
            ExprKind::Compare(left, op, right) => {
                self.expr(left);
                let _ = write!(self.out, " {} ", op.symbol());
                self.expr(right);
            }
            ExprKind::Between { subject, low, high } => {
                self.expr(subject);
                self.out.push_str(" between ");
                self.expr(low);
                self.out.push_str(" and ");
                self.expr(high);
            }
            ExprKind::IsPresent(id) => {
                self.input(*id, policy.inputs.get(*id).map_or(Type::Text, |input| input.ty));
                self.out.push_str(" is present");
            }
            ExprKind::InSet { subject, values, negated } => {
                self.expr(subject);
                match (values.as_slice(), negated) {
                    ([_], false) => self.out.push_str(" is "),
                    ([_], true) => self.out.push_str(" is not "),
                    (_, false) => self.out.push_str(" in {"),
                    (_, true) => self.out.push_str(" not in {"),
                }
                self.enum_values(subject.ty, values);
                if values.len() != 1 {
                    self.out.push('}');
                }
            }
            ExprKind::WithinValidity(subject) => {
                self.expr(subject);
                match policy.validity {
                    Some(validity) => {
                        let _ = write!(self.out, " within validity ({} to {})", validity.from, validity.until);
                    }
                    None => self.out.push_str(" within validity"),
                }
            }
            ExprKind::Sum(first, terms) => {
                self.expr(first);
                for (sign, term) in terms {
                    self.out.push_str(if *sign == Sign::Plus { " + " } else { " - " });
                    self.expr(term);
                }
            }
            ExprKind::Of { ratios, base } => {
                for ratio in ratios {
                    self.bracketed(ratio);
                    self.out.push_str(" of ");
                }
                self.bracketed(base);
            }
            ExprKind::Product { first, factors } => {
                self.factor(first);
                for (op, inner) in factors {
                    let _ = write!(self.out, " {} ", op.symbol());
                    self.factor(inner);
                }
            }
            ExprKind::Call(function, args) => {
                self.out.push_str(function.name());
                self.out.push('(');
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(arg);
                }
                self.out.push(')');
            }
            ExprKind::Brackets { subject, .. } if self.facts.is_some() => {
                self.out.push_str("by ");
                self.bracketed(subject);
            }
            ExprKind::Brackets { subject, arms, otherwise } => {
                self.out.push_str("by ");
                self.bracketed(subject);
                self.out.push_str(" {");
                for arm in arms {
                    let _ = write!(self.out, " {} => ", range(policy, subject.ty, arm));
                    self.plain(&arm.amount);
                }
                self.otherwise(otherwise.as_deref());
            }
            ExprKind::DateShift(date, shifts) => {
                self.expr(date);
                for (sign, count, unit) in shifts {
                    self.out.push_str(if *sign == Sign::Plus { " + " } else { " - " });
                    self.out.push_str(&crate::syntax::ast::duration_text(*count, *unit));
                }
            }
            ExprKind::Excess { of, over } => {
                self.out.push_str("excess of ");
                self.expr(of);
                self.out.push_str(" over ");
                self.expr(over);
            }
            ExprKind::If { condition, then, otherwise } => {
                self.out.push_str("if ");
                self.expr(condition);
                self.out.push_str(" then ");
                self.expr(then);
                self.out.push_str(" else ");
                self.expr(otherwise);
            }
            // With a case, a table or tier list shows only what it chose from; the chosen
            // arm follows in the explanation.
            ExprKind::Table { subject, .. } if self.facts.is_some() => {
                self.out.push_str("by ");
                self.expr(subject);
            }
            ExprKind::Tiers { subject, since: Some(since), .. } if self.facts.is_some() => {
                self.out.push_str("tiers of ");
                self.expr(subject);
                self.out.push_str(" crossed since ");
                self.expr(since);
            }
            ExprKind::Tiers { subject, since: None, .. } if self.facts.is_some() => {
                self.out.push_str("tiers of ");
                self.expr(subject);
            }
            ExprKind::Table { subject, arms, otherwise } => {
                self.out.push_str("by ");
                self.expr(subject);
                self.out.push_str(" {");
                for arm in arms {
                    self.out.push(' ');
                    self.enum_values(subject.ty, &arm.values);
                    self.out.push_str(" => ");
                    self.plain(&arm.amount);
                }
                self.otherwise(otherwise.as_deref());
            }
            ExprKind::Tiers { subject, since, tiers } => {
                self.out.push_str("tiers of ");
                self.expr(subject);
                if let Some(since) = since {
                    self.out.push_str(" crossed since ");
                    self.expr(since);
                }
                self.out.push_str(" {");
                for tier in tiers {
                    self.out.push(' ');
                    write_literal(self.out, policy, subject.ty, &tier.threshold);
                    self.out.push_str(" => ");
                    self.plain(&tier.amount);
                }
                self.out.push_str(" }");
            }
        }
    }

    /// The end of a table: its `else` arm, when it has one, and the closing brace.
    fn otherwise(&mut self, otherwise: Option<&Expr>) {
        if let Some(otherwise) = otherwise {
            self.out.push_str(" else => ");
            self.plain(otherwise);
        }
        self.out.push_str(" }");
    }

    /// A factor of a product: a product or `of` inside one is bracketed too.
    fn factor(&mut self, inner: &Expr) {
        match inner.kind {
            ExprKind::Product { .. } | ExprKind::Of { .. } => {
                self.out.push('(');
                self.expr(inner);
                self.out.push(')');
            }
            _ => self.bracketed(inner),
        }
    }
}
