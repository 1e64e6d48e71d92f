//! Writes expressions and facts back in the policy's own notation, with the case's
//! facts beside the inputs they fill: the arithmetic of every explanation.

use crate::check::checked::{Expr, ExprKind, Policy, Type, Value};
use crate::data::{Case, Fact};
use crate::money;
use crate::syntax::ast::Sign;
use rust_decimal::Decimal;

/// A fact as analysts write it: `8,600,000.00` for money, `72%` for a ratio.
pub fn fact(policy: &Policy, ty: Type, fact: &Fact) -> String {
    match fact {
        Fact::Money(amount) => money_text(*amount),
        Fact::Ratio(ratio) => money::format_percent(*ratio),
        Fact::Integer(value) => value.to_string(),
        Fact::Quantity(value) => value.normalize().to_string(),
        Fact::PerUnit(amount) => format!("{} per unit", exact_money(*amount)),
        Fact::Bool(flag) => flag.to_string(),
        Fact::Date(date) => date.to_string(),
        Fact::Text(text) => text.to_string(),
        Fact::Enum(position) => enum_value(policy, ty, *position),
    }
}

/// Money as results show it: grouped, to the fen.
pub fn money_text(amount: Decimal) -> String {
    money::group_thousands(&money::format_yuan(amount))
}

/// Money before rounding: every digit there is, and at least two decimals.
pub fn exact_money(amount: Decimal) -> String {
    let normalized = amount.normalize();
    if normalized.scale() <= 2 {
        money_text(amount)
    } else {
        money::group_thousands(&normalized.to_string())
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

fn enum_value(policy: &Policy, ty: Type, position: u32) -> String {
    let Type::Enum(id) = ty else { return position.to_string() };
    policy
        .enums
        .get(id)
        .and_then(|def| def.values.get(position as usize))
        .map_or_else(|| position.to_string(), |value| value.name.clone())
}

fn literal(policy: &Policy, ty: Type, value: &Value) -> String {
    match value {
        Value::Money(amount) => money::format_money_readable(*amount),
        Value::Ratio(ratio) => money::format_percent(*ratio),
        Value::Integer(value) => value.to_string(),
        Value::Quantity(value) => value.normalize().to_string(),
        Value::PerUnit(amount) => money::format_money_readable(*amount),
        Value::Bool(flag) => flag.to_string(),
        Value::Date(date) => date.to_string(),
        Value::Text(text) => format!("\"{text}\""),
        Value::Enum(_, position) => enum_value(policy, ty, *position),
    }
}

/// The expression as written; with a case, each input is followed by its value
/// (`contract_amount (8,600,000.00)`) or `(missing)`.
pub fn expr(policy: &Policy, expr: &Expr, case: Option<&Case>) -> String {
    let recurse = |inner: &Expr| self::expr(policy, inner, case);
    let bracketed = |inner: &Expr| {
        let text = self::expr(policy, inner, case);
        match inner.kind {
            ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Sum(..)
            | ExprKind::If { .. }
            | ExprKind::Table { .. }
            | ExprKind::Brackets { .. } => format!("({text})"),
            _ => text,
        }
    };
    match &expr.kind {
        ExprKind::Literal(value) => literal(policy, expr.ty, value),
        ExprKind::Named(id) => policy.values.get(*id).map_or("?", |value| value.name.as_str()).to_string(),
        ExprKind::Input(id) => {
            let name = policy.inputs.get(*id).map_or("?", |input| input.name.as_str());
            match case {
                None => name.to_string(),
                Some(case) => match case.facts.get(*id).and_then(Option::as_ref) {
                    Some(value) => format!("{name} ({})", fact(policy, expr.ty, value)),
                    None => format!("{name} (missing)"),
                },
            }
        }
        ExprKind::Not(inner) => format!("not {}", bracketed(inner)),
        ExprKind::And(parts) => parts.iter().map(bracketed).collect::<Vec<_>>().join(" and "),
        ExprKind::Or(parts) => parts.iter().map(bracketed).collect::<Vec<_>>().join(" or "),
        ExprKind::Compare(left, op, right) => format!("{} {} {}", recurse(left), op.symbol(), recurse(right)),
        ExprKind::Between { subject, low, high } => {
            format!("{} between {} and {}", recurse(subject), recurse(low), recurse(high))
        }
        ExprKind::IsPresent(id) => {
            let input = Expr {
                kind: ExprKind::Input(*id),
                ty: policy.inputs.get(*id).map_or(Type::Text, |i| i.ty),
                span: expr.span,
            };
            format!("{} is present", recurse(&input))
        }
        ExprKind::InSet { subject, values, negated } => {
            let names: Vec<String> = values.iter().map(|value| enum_value(policy, subject.ty, *value)).collect();
            match (names.as_slice(), negated) {
                ([only], false) => format!("{} is {only}", recurse(subject)),
                ([only], true) => format!("{} is not {only}", recurse(subject)),
                (_, false) => format!("{} in {{{}}}", recurse(subject), names.join(", ")),
                (_, true) => format!("{} not in {{{}}}", recurse(subject), names.join(", ")),
            }
        }
        ExprKind::WithinValidity(subject) => match policy.validity {
            Some(validity) => {
                format!("{} within validity ({} to {})", recurse(subject), validity.from, validity.until)
            }
            None => format!("{} within validity", recurse(subject)),
        },
        ExprKind::Sum(first, terms) => {
            let mut text = recurse(first);
            for (sign, term) in terms {
                text.push_str(if *sign == Sign::Plus { " + " } else { " - " });
                text.push_str(&recurse(term));
            }
            text
        }
        ExprKind::Of { ratios, base } => {
            let mut parts: Vec<String> = ratios.iter().map(bracketed).collect();
            parts.push(bracketed(base));
            parts.join(" of ")
        }
        ExprKind::Product { first, factors } => {
            let factor = |inner: &Expr| match inner.kind {
                ExprKind::Product { .. } | ExprKind::Of { .. } => format!("({})", recurse(inner)),
                _ => bracketed(inner),
            };
            let mut text = factor(first);
            for (op, inner) in factors {
                text.push_str(&format!(" {} ", op.symbol()));
                text.push_str(&factor(inner));
            }
            text
        }
        ExprKind::Call(function, args) => {
            format!("{}({})", function.name(), args.iter().map(recurse).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Brackets { subject, .. } if case.is_some() => format!("by {}", bracketed(subject)),
        ExprKind::Brackets { subject, arms, otherwise } => {
            let mut text = format!("by {} {{", bracketed(subject));
            for arm in arms {
                text.push_str(&format!(
                    " {} => {}",
                    range(policy, subject.ty, arm),
                    self::expr(policy, &arm.amount, None)
                ));
            }
            if let Some(otherwise) = otherwise {
                text.push_str(&format!(" else => {}", self::expr(policy, otherwise, None)));
            }
            text.push_str(" }");
            text
        }
        ExprKind::DateShift(date, shifts) => {
            let mut text = recurse(date);
            for (sign, count, unit) in shifts {
                text.push_str(if *sign == Sign::Plus { " + " } else { " - " });
                text.push_str(&crate::syntax::ast::duration_text(*count, *unit));
            }
            text
        }
        ExprKind::Excess { of, over } => format!("excess of {} over {}", recurse(of), recurse(over)),
        ExprKind::If { condition, then, otherwise } => {
            format!("if {} then {} else {}", recurse(condition), recurse(then), recurse(otherwise))
        }
        // With a case, a table or tier list shows only what it chose from; the chosen arm
        // follows in the explanation.
        ExprKind::Table { subject, .. } if case.is_some() => format!("by {}", recurse(subject)),
        ExprKind::Tiers { subject, since: Some(since), .. } if case.is_some() => {
            format!("tiers of {} crossed since {}", recurse(subject), recurse(since))
        }
        ExprKind::Tiers { subject, since: None, .. } if case.is_some() => format!("tiers of {}", recurse(subject)),
        ExprKind::Table { subject, arms, otherwise } => {
            let mut text = format!("by {} {{", recurse(subject));
            for arm in arms {
                let names: Vec<String> =
                    arm.values.iter().map(|value| enum_value(policy, subject.ty, *value)).collect();
                text.push_str(&format!(" {} => {}", names.join(", "), self::expr(policy, &arm.amount, None)));
            }
            if let Some(otherwise) = otherwise {
                text.push_str(&format!(" else => {}", self::expr(policy, otherwise, None)));
            }
            text.push_str(" }");
            text
        }
        ExprKind::Tiers { subject, since, tiers } => {
            let mut text = format!("tiers of {}", recurse(subject));
            if let Some(since) = since {
                text.push_str(&format!(" crossed since {}", recurse(since)));
            }
            text.push_str(" {");
            for tier in tiers {
                text.push_str(&format!(
                    " {} => {}",
                    literal(policy, subject.ty, &tier.threshold),
                    self::expr(policy, &tier.amount, None)
                ));
            }
            text.push_str(" }");
            text
        }
    }
}
