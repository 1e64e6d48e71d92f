//! What the conditions of a policy say about its inputs: each input's possible values as
//! an interval (numbers, money, dates as day numbers), a set (enums, bools), and whether
//! it is given, read from conjunctions of simple tests (`x > 10万`, `kind in {…}`,
//! `flag`, `x is present`).
//!
//! The reading is sound: a test it cannot read (`a / b >= 200万`, `x > y`) constrains
//! nothing, so the domains found hold at least every case that meets the condition.
//! Empty domains therefore prove a condition can never hold; non-empty ones prove
//! nothing, and a case built from them is checked by running it.

use crate::check::checked::{Expr, ExprKind, InputId, Policy, Type, Value};
use crate::syntax::ast::CompareOp;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One end of an interval: its value and whether it is included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct End {
    pub value: Decimal,
    pub included: bool,
}

/// The values an input of a numeric kind (or a date, as its day number) may take;
/// `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Interval {
    pub low: Option<End>,
    pub high: Option<End>,
}

impl Interval {
    pub fn point(value: Decimal) -> Interval {
        let end = Some(End { value, included: true });
        Interval { low: end, high: end }
    }

    pub fn is_empty(&self) -> bool {
        match (self.low, self.high) {
            (Some(low), Some(high)) => {
                low.value > high.value || (low.value == high.value && !(low.included && high.included))
            }
            _ => false,
        }
    }

    /// The whole numbers of the interval, as an interval with whole, included ends.
    pub fn whole(self) -> Interval {
        let low = self.low.map(|end| End {
            value: if end.included { end.value.ceil() } else { end.value.floor() + Decimal::ONE },
            included: true,
        });
        let high = self.high.map(|end| End {
            value: if end.included { end.value.floor() } else { end.value.ceil() - Decimal::ONE },
            included: true,
        });
        Interval { low, high }
    }

    /// The values both hold.
    pub fn meet(self, other: Interval) -> Interval {
        let low = match (self.low, other.low) {
            (Some(a), Some(b)) if a.value > b.value || (a.value == b.value && !a.included) => Some(a),
            (Some(_), Some(b)) => Some(b),
            (a, b) => a.or(b),
        };
        let high = match (self.high, other.high) {
            (Some(a), Some(b)) if a.value < b.value || (a.value == b.value && !a.included) => Some(a),
            (Some(_), Some(b)) => Some(b),
            (a, b) => a.or(b),
        };
        Interval { low, high }
    }

    /// The interval of `x` for `x op value`.
    fn of_comparison(op: CompareOp, value: Decimal) -> Option<Interval> {
        let end = |included| Some(End { value, included });
        Some(match op {
            CompareOp::Less => Interval { low: None, high: end(false) },
            CompareOp::LessEqual => Interval { low: None, high: end(true) },
            CompareOp::Greater => Interval { low: end(false), high: None },
            CompareOp::GreaterEqual => Interval { low: end(true), high: None },
            CompareOp::Equal => Interval::point(value),
            // `!=` removes one point: an interval cannot say so.
            CompareOp::NotEqual => return None,
        })
    }
}

/// What may be known about one input.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Number(Interval),
    /// The enum values (or, for a bool, `false` as 0 and `true` as 1) allowed.
    Set(Vec<u32>),
    /// Text: anything.
    Any,
}

/// Whether a case gives an input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Presence {
    Given,
    Missing,
    Either,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub values: Values,
    pub presence: Presence,
    /// Whole numbers only (an integer, a date as its day number): `x > 499` is `x >= 500`.
    pub whole: bool,
}

/// Every input's domain.
#[derive(Clone, Debug, PartialEq)]
pub struct Domains {
    pub inputs: BTreeMap<InputId, Domain>,
}

/// A test a condition is made of, read as what it says of one input.
#[derive(Clone, Debug)]
pub enum Atom<'e> {
    /// `input` lies in the interval.
    Within(InputId, Interval),
    /// `input`'s value is one of these (enum positions, or 0/1 for a bool).
    OneOf(InputId, Vec<u32>),
    /// `input` is (not) given.
    Given(InputId, bool),
    /// A test this reading cannot put in terms of one input; it constrains nothing.
    Opaque(&'e Expr, bool),
}

/// Most alternatives a condition is read into before it is left unread: `a or b` in each
/// of several `and`ed parts multiplies them.
const MOST_BRANCHES: usize = 64;

impl Domains {
    /// What the data contract alone says: money and ratios are never negative, a ratio is
    /// at most 1, an enum is one of its values, required inputs and inputs with a default
    /// are always given.
    pub fn of_policy(policy: &Policy) -> Domains {
        let mut inputs = BTreeMap::new();
        for (id, input) in policy.inputs.iter().enumerate() {
            let zero = Some(End { value: Decimal::ZERO, included: true });
            let values = match input.ty {
                Type::Money | Type::PerUnit => Values::Number(Interval { low: zero, high: None }),
                Type::Ratio => {
                    Values::Number(Interval { low: zero, high: Some(End { value: Decimal::ONE, included: true }) })
                }
                Type::Integer | Type::Quantity | Type::Date => Values::Number(Interval::default()),
                Type::Bool => Values::Set(vec![0, 1]),
                Type::Enum(enum_id) => {
                    let count = policy.enums.get(enum_id).map_or(0, |def| def.values.len());
                    Values::Set((0..count).filter_map(|value| u32::try_from(value).ok()).collect())
                }
                Type::Text | Type::Entity => Values::Any,
            };
            let always = input.required || input.default.is_some() || id == policy.case_id || id == policy.case_date;
            let presence = if always { Presence::Given } else { Presence::Either };
            let whole = matches!(input.ty, Type::Integer | Type::Date);
            inputs.insert(id, Domain { values, presence, whole });
        }
        Domains { inputs }
    }

    /// The domains narrowed by `atom`; `None` when none of its values is left.
    pub fn with(&self, atom: &Atom<'_>) -> Option<Domains> {
        let mut next = self.clone();
        match atom {
            Atom::Within(input, interval) => {
                let domain = next.inputs.get_mut(input)?;
                if domain.presence == Presence::Missing {
                    return None;
                }
                domain.presence = Presence::Given;
                let whole = domain.whole;
                if let Values::Number(current) = &mut domain.values {
                    *current = current.meet(*interval);
                    if whole {
                        *current = current.whole();
                    }
                    if current.is_empty() {
                        return None;
                    }
                }
            }
            Atom::OneOf(input, allowed) => {
                let domain = next.inputs.get_mut(input)?;
                if domain.presence == Presence::Missing {
                    return None;
                }
                domain.presence = Presence::Given;
                if let Values::Set(current) = &mut domain.values {
                    current.retain(|value| allowed.contains(value));
                    if current.is_empty() {
                        return None;
                    }
                }
            }
            Atom::Given(input, given) => {
                let domain = next.inputs.get_mut(input)?;
                domain.presence = match (domain.presence, given) {
                    (Presence::Missing, true) | (Presence::Given, false) => return None,
                    (_, true) => Presence::Given,
                    (_, false) => Presence::Missing,
                };
            }
            Atom::Opaque(..) => {}
        }
        Some(next)
    }

    /// The domains narrowed by every atom of a branch; `None` when they leave no case.
    pub fn with_all(&self, atoms: &[Atom<'_>]) -> Option<Domains> {
        atoms.iter().try_fold(self.clone(), |domains, atom| domains.with(atom))
    }
}

/// A condition as alternatives, each a list of atoms that must all hold (its disjunctive
/// form); `None` when it has more alternatives than are read.
pub fn branches<'e>(policy: &Policy, expr: &'e Expr) -> Option<Vec<Vec<Atom<'e>>>> {
    read(policy, expr, true)
}

/// [`branches`] of the condition's negation: the alternatives in which it is false.
pub fn branches_not<'e>(policy: &Policy, expr: &'e Expr) -> Option<Vec<Vec<Atom<'e>>>> {
    read(policy, expr, false)
}

// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn read<'e>(policy: &Policy, expr: &'e Expr, holds: bool) -> Option<Vec<Vec<Atom<'e>>>> {
    match (&expr.kind, holds) {
        (ExprKind::And(parts), true) | (ExprKind::Or(parts), false) => {
            let mut alternatives: Vec<Vec<Atom<'e>>> = vec![Vec::new()];
            for part in parts {
                let part = read(policy, part, holds)?;
                // One alternative (the usual test): add its atoms to each in place, so a
                // long chain of `and`s is read in linear time.
                if let [only] = part.as_slice() {
                    for left in &mut alternatives {
                        left.extend(only.iter().cloned());
                    }
                    continue;
                }
                let mut next = Vec::new();
                for left in &alternatives {
                    for right in &part {
                        next.push(left.iter().chain(right).cloned().collect());
                    }
                }
                if next.len() > MOST_BRANCHES {
                    return None;
                }
                alternatives = next;
            }
            Some(alternatives)
        }
        (ExprKind::Or(parts), true) | (ExprKind::And(parts), false) => {
            let mut alternatives = Vec::new();
            for part in parts {
                alternatives.extend(read(policy, part, holds)?);
                if alternatives.len() > MOST_BRANCHES {
                    return None;
                }
            }
            Some(alternatives)
        }
        (ExprKind::Not(inner), _) => read(policy, inner, !holds),
        // Outside a range, or away from a point: below it or above it, the subject given.
        (ExprKind::Between { subject, low, high }, false) => match (&subject.kind, number(low), number(high)) {
            (ExprKind::Input(input), Some(low), Some(high)) => Some(vec![
                vec![Atom::Within(*input, Interval { low: None, high: Some(End { value: low, included: false }) })],
                vec![Atom::Within(*input, Interval { low: Some(End { value: high, included: false }), high: None })],
            ]),
            _ => Some(vec![atoms(policy, expr, holds)]),
        },
        (ExprKind::Compare(left, op, right), _)
            if matches!((op, holds), (CompareOp::NotEqual, true) | (CompareOp::Equal, false)) =>
        {
            match (&left.kind, number(right)) {
                (ExprKind::Input(input), Some(value)) if left.ty != Type::Bool => Some(vec![
                    vec![Atom::Within(*input, Interval { low: None, high: Some(End { value, included: false }) })],
                    vec![Atom::Within(*input, Interval { low: Some(End { value, included: false }), high: None })],
                ]),
                _ => Some(vec![atoms(policy, expr, holds)]),
            }
        }
        _ => Some(vec![atoms(policy, expr, holds)]),
    }
}

/// A test as atoms: all of them hold when the test has the outcome `holds`.
fn atoms<'e>(policy: &Policy, expr: &'e Expr, holds: bool) -> Vec<Atom<'e>> {
    let opaque = || vec![Atom::Opaque(expr, holds)];
    match &expr.kind {
        ExprKind::Input(input) if expr.ty == Type::Bool => vec![Atom::OneOf(*input, vec![u32::from(holds)])],
        ExprKind::IsPresent(input) => vec![Atom::Given(*input, holds)],
        ExprKind::InSet { subject, values, negated } => {
            let ExprKind::Input(input) = subject.kind else { return opaque() };
            let Type::Enum(enum_id) = subject.ty else { return opaque() };
            let count = policy.enums.get(enum_id).map_or(0, |def| def.values.len());
            let inside = holds != *negated;
            let allowed = (0..count)
                .filter_map(|value| u32::try_from(value).ok())
                .filter(|value| values.contains(value) == inside)
                .collect();
            // True and false alike need the subject given: missing, the test is unknown.
            vec![Atom::OneOf(input, allowed)]
        }
        ExprKind::Compare(left, op, right) if holds => match (&left.kind, number(right)) {
            (ExprKind::Input(input), Some(value)) => match Interval::of_comparison(*op, value) {
                Some(interval) => vec![Atom::Within(*input, interval)],
                None => vec![Atom::Given(*input, true)],
            },
            _ => match (number(left), &right.kind) {
                (Some(value), ExprKind::Input(input)) => match Interval::of_comparison(flip(*op), value) {
                    Some(interval) => vec![Atom::Within(*input, interval)],
                    None => vec![Atom::Given(*input, true)],
                },
                _ => opaque(),
            },
        },
        ExprKind::Compare(left, op, right) => {
            // A comparison that does not hold: its negation holds, when both sides are given.
            let negated = match op {
                CompareOp::Less => CompareOp::GreaterEqual,
                CompareOp::LessEqual => CompareOp::Greater,
                CompareOp::Greater => CompareOp::LessEqual,
                CompareOp::GreaterEqual => CompareOp::Less,
                CompareOp::Equal => CompareOp::NotEqual,
                CompareOp::NotEqual => CompareOp::Equal,
            };
            let flipped =
                Expr { kind: ExprKind::Compare(left.clone(), negated, right.clone()), ty: expr.ty, span: expr.span };
            let read = atoms(policy, &flipped, true);
            // The atoms borrow the rebuilt test; keep only those that do not.
            let owned: Vec<Atom<'e>> = read
                .into_iter()
                .filter_map(|atom| match atom {
                    Atom::Within(input, interval) => Some(Atom::Within(input, interval)),
                    Atom::OneOf(input, values) => Some(Atom::OneOf(input, values)),
                    Atom::Given(input, given) => Some(Atom::Given(input, given)),
                    Atom::Opaque(..) => None,
                })
                .collect();
            if owned.is_empty() {
                opaque()
            } else {
                owned
            }
        }
        ExprKind::Between { subject, low, high } if holds => match (&subject.kind, number(low), number(high)) {
            (ExprKind::Input(input), Some(low), Some(high)) => vec![Atom::Within(
                *input,
                Interval {
                    low: Some(End { value: low, included: true }),
                    high: Some(End { value: high, included: true }),
                },
            )],
            _ => opaque(),
        },
        ExprKind::WithinValidity(subject) if holds => match (&subject.kind, policy.validity) {
            (ExprKind::Input(input), Some(validity)) => vec![Atom::Within(
                *input,
                Interval {
                    low: Some(End { value: Decimal::from(validity.from.day_number()), included: true }),
                    high: Some(End { value: Decimal::from(validity.until.day_number()), included: true }),
                },
            )],
            _ => opaque(),
        },
        ExprKind::Literal(Value::Bool(value)) if *value == holds => Vec::new(),
        _ => opaque(),
    }
}

/// `value op x` as `x op' value`.
fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Less => CompareOp::Greater,
        CompareOp::LessEqual => CompareOp::GreaterEqual,
        CompareOp::Greater => CompareOp::Less,
        CompareOp::GreaterEqual => CompareOp::LessEqual,
        other => other,
    }
}

/// A literal as a number on its input's scale: money in yuan, a ratio, an integer, a date
/// as its day number.
pub fn number(expr: &Expr) -> Option<Decimal> {
    match &expr.kind {
        ExprKind::Literal(value) => literal_number(value),
        _ => None,
    }
}

pub fn literal_number(value: &Value) -> Option<Decimal> {
    Some(match value {
        Value::Money(amount) | Value::Ratio(amount) | Value::Quantity(amount) | Value::PerUnit(amount) => *amount,
        Value::Integer(value) => Decimal::from(*value),
        Value::Date(date) => Decimal::from(date.day_number()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(condition: &str) -> Policy {
        let text = format!(
            "policy \"p\"\n  valid from 2024-01-01 for 1 years\n  cases identified by id, dated by date\nenum kind: a, b, c\ninput id: text required\ninput date: date required\ninput applicant: entity required\ninput x: money\ninput k: kind\ninput f: bool\narticle 1 \"a\"\n  clause 1.1\n    when {condition}\n    award 1万\n    to applicant\n"
        );
        polc_policy(&text)
    }

    fn polc_policy(text: &str) -> Policy {
        crate::check_source(text).policy.unwrap_or_else(|| panic!("{text}"))
    }

    fn feasible(condition: &str) -> bool {
        let policy = policy(condition);
        let clause = &policy.clauses[0];
        let branches = branches(&policy, clause.condition.as_ref().unwrap()).unwrap();
        let base = Domains::of_policy(&policy);
        branches.iter().any(|branch| base.with_all(branch).is_some())
    }

    #[test]
    fn contradictions_are_found_and_satisfiable_conditions_are_not_called_dead() {
        assert!(!feasible("x > 10万 and x < 5万"));
        assert!(!feasible("k is a and k is not a"));
        assert!(!feasible("k in {a, b} and k is c"));
        assert!(!feasible("f and not f"));
        assert!(!feasible("x is present and not x is present"));
        assert!(!feasible("x < 0元"));
        assert!(feasible("x > 10万 or x < 5万"));
        assert!(feasible("x >= 5万 and x <= 5万"));
        assert!(!feasible("x > 5万 and x <= 5万"));
        assert!(feasible("k is not a"));
        assert!(feasible("not (x > 10万 and x < 5万)"));
        assert!(!feasible("not (x > 1元 or x <= 1元)"));
    }
}
