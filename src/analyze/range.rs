//! The least and greatest value an amount can take over its inputs' domains, by interval
//! arithmetic. Sound: every value the evaluator can compute for a case in the domains lies
//! in the range found (its ends may be wider than what any case reaches). An end that
//! cannot be bounded is `None`, with the input that makes it so.

use super::domain::{literal_number, Domains, Interval, Presence, Values};
use crate::check::checked::{Expr, ExprKind, InputId, Policy, Value};
use crate::syntax::ast::{Function, MulOp, Sign};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// A value's range: `None` at an end is unbounded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
    /// The input whose values make the high end unbounded, when it is.
    pub unbounded_by: Option<InputId>,
}

impl Range {
    pub fn point(value: Decimal) -> Range {
        Range { low: Some(value), high: Some(value), unbounded_by: None }
    }

    fn unknown(by: Option<InputId>) -> Range {
        Range { low: None, high: None, unbounded_by: by }
    }

    /// Both ranges' values.
    pub fn join(self, other: Range) -> Range {
        Range {
            low: both(self.low, other.low, Decimal::min),
            high: both(self.high, other.high, Decimal::max),
            unbounded_by: self.unbounded_by.or(other.unbounded_by),
        }
    }

    fn add(self, other: Range, sign: Sign) -> Range {
        let (other_low, other_high) = match sign {
            Sign::Plus => (other.low, other.high),
            Sign::Minus => (other.high.map(|value| -value), other.low.map(|value| -value)),
        };
        Range {
            low: self.low.zip(other_low).and_then(|(a, b)| a.checked_add(b)),
            high: self.high.zip(other_high).and_then(|(a, b)| a.checked_add(b)),
            unbounded_by: self.unbounded_by.or(other.unbounded_by),
        }
    }

    fn multiply(self, other: Range) -> Range {
        let by = self.unbounded_by.or(other.unbounded_by);
        match (self.low, self.high, other.low, other.high) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                let products = [a.checked_mul(c), a.checked_mul(d), b.checked_mul(c), b.checked_mul(d)];
                if products.iter().any(Option::is_none) {
                    return Range::unknown(by);
                }
                let products: Vec<Decimal> = products.into_iter().flatten().collect();
                let low = products.iter().copied().reduce(Decimal::min);
                let high = products.iter().copied().reduce(Decimal::max);
                Range { low, high, unbounded_by: None }
            }
            // Both never negative: the product is never negative, and unbounded above.
            (Some(a), _, Some(c), _) if !a.is_sign_negative() && !c.is_sign_negative() => {
                Range { low: a.checked_mul(c), high: None, unbounded_by: by }
            }
            _ => Range::unknown(by),
        }
    }

    fn divide(self, divisor: Range) -> Range {
        match (divisor.low, divisor.high) {
            (Some(low), Some(high)) if low > Decimal::ZERO || high < Decimal::ZERO => {
                let reciprocal = |value: Decimal| Decimal::ONE.checked_div(value);
                let (Some(a), Some(b)) = (reciprocal(high), reciprocal(low)) else {
                    return Range::unknown(self.unbounded_by);
                };
                self.multiply(Range { low: Some(a.min(b)), high: Some(a.max(b)), unbounded_by: None })
            }
            (Some(low), None) if low > Decimal::ZERO => {
                let Some(top) = Decimal::ONE.checked_div(low) else { return Range::unknown(self.unbounded_by) };
                self.multiply(Range { low: Some(Decimal::ZERO), high: Some(top), unbounded_by: None })
            }
            _ => Range::unknown(self.unbounded_by.or(divisor.unbounded_by)),
        }
    }
}

fn both(a: Option<Decimal>, b: Option<Decimal>, pick: fn(Decimal, Decimal) -> Decimal) -> Option<Decimal> {
    Some(pick(a?, b?))
}

/// The range of `expr` over `domains`; `None` when it has no value for any case in them
/// (it needs a fact they say is missing, no arm of its table can be chosen, no tier can be
/// reached): the clause is not applicable there.
// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
pub fn of(policy: &Policy, domains: &Domains, expr: &Expr) -> Option<Range> {
    of_in(&Budget::default(), policy, domains, expr)
}

/// How far a range follows named values: a chain of thousands of values would overflow
/// the stack, and values that each read the one before twice would take exponential
/// time. Past either limit a named value's range is unknown, which is always sound.
#[derive(Default)]
struct Budget {
    depth: std::cell::Cell<usize>,
    expansions: std::cell::Cell<usize>,
}

const MOST_NAMED_DEPTH: usize = 32;
const MOST_NAMED_EXPANSIONS: usize = 4096;

// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep, and `budget`
// bounds the named values followed.
fn of_in(budget: &Budget, policy: &Policy, domains: &Domains, expr: &Expr) -> Option<Range> {
    Some(match &expr.kind {
        ExprKind::Literal(value) => literal_number(value).map_or(Range::unknown(None), Range::point),
        ExprKind::Input(input) => {
            let domain = domains.inputs.get(input);
            if domain.is_some_and(|domain| domain.presence == Presence::Missing) {
                return None;
            }
            match domain.map(|domain| &domain.values) {
                Some(Values::Number(Interval { low, high })) => Range {
                    low: low.map(|end| end.value),
                    high: high.map(|end| end.value),
                    unbounded_by: high.is_none().then_some(*input),
                },
                _ => Range::unknown(Some(*input)),
            }
        }
        ExprKind::Named(value) => match policy.values.get(*value) {
            Some(named) if budget.depth.get() < MOST_NAMED_DEPTH && budget.expansions.get() < MOST_NAMED_EXPANSIONS => {
                budget.depth.set(budget.depth.get() + 1);
                budget.expansions.set(budget.expansions.get() + 1);
                let range = of_in(budget, policy, domains, &named.expr);
                budget.depth.set(budget.depth.get() - 1);
                range?
            }
            _ => Range::unknown(None),
        },
        ExprKind::Of { ratios, base } => {
            let mut range = of_in(budget, policy, domains, base)?;
            for ratio in ratios {
                range = range.multiply(of_in(budget, policy, domains, ratio)?);
            }
            range
        }
        ExprKind::Product { first, factors } => {
            let mut range = of_in(budget, policy, domains, first)?;
            for (op, factor) in factors {
                let factor = of_in(budget, policy, domains, factor)?;
                range = match op {
                    MulOp::Of | MulOp::Times => range.multiply(factor),
                    MulOp::Over => range.divide(factor),
                };
            }
            range
        }
        ExprKind::Sum(first, terms) => {
            let mut range = of_in(budget, policy, domains, first)?;
            for (sign, term) in terms {
                range = range.add(of_in(budget, policy, domains, term)?, *sign);
            }
            range
        }
        ExprKind::Call(Function::Min, args) => fold_args(budget, policy, domains, args, |a, b| Range {
            low: both(a.low, b.low, Decimal::min),
            high: match (a.high, b.high) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            unbounded_by: if a.high.is_none() && b.high.is_none() { a.unbounded_by.or(b.unbounded_by) } else { None },
        })?,
        ExprKind::Call(Function::Max, args) => fold_args(budget, policy, domains, args, |a, b| Range {
            low: match (a.low, b.low) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
            high: both(a.high, b.high, Decimal::max),
            unbounded_by: a.unbounded_by.or(b.unbounded_by),
        })?,
        ExprKind::Excess { of: over_what, over } => {
            let difference =
                of_in(budget, policy, domains, over_what)?.add(of_in(budget, policy, domains, over)?, Sign::Minus);
            Range {
                low: Some(difference.low.map_or(Decimal::ZERO, |low| low.max(Decimal::ZERO))),
                high: difference.high.map(|high| high.max(Decimal::ZERO)),
                unbounded_by: difference.unbounded_by,
            }
        }
        ExprKind::If { condition, then, otherwise } => {
            // `then` counts only where the condition can hold, and there under what it says;
            // `else` where it can fail, or be unknown (a fact it reads may be missing, or a
            // divisor zero).
            let otherwise = match super::domain::branches_not(policy, condition) {
                Some(branches) if !may_be_unknown(policy, domains, condition) => branches
                    .iter()
                    .filter_map(|branch| domains.with_all(branch))
                    .filter_map(|narrowed| of_in(budget, policy, &narrowed, otherwise))
                    .reduce(Range::join),
                _ => of_in(budget, policy, domains, otherwise),
            };
            let then = match super::domain::branches(policy, condition) {
                Some(branches) => branches
                    .iter()
                    .filter_map(|branch| domains.with_all(branch))
                    .filter_map(|narrowed| of_in(budget, policy, &narrowed, then))
                    .reduce(Range::join),
                None => of_in(budget, policy, domains, then),
            };
            match (then, otherwise) {
                (Some(then), Some(otherwise)) => then.join(otherwise),
                (Some(only), None) | (None, Some(only)) => only,
                (None, None) => return None,
            }
        }
        ExprKind::Table { subject, arms, otherwise } => {
            let allowed = match &subject.kind {
                ExprKind::Input(input) => match domains.inputs.get(input) {
                    Some(domain) if domain.presence == Presence::Missing => return None,
                    Some(domain) => match &domain.values {
                        Values::Set(allowed) => Some(allowed.clone()),
                        _ => None,
                    },
                    None => None,
                },
                _ => None,
            };
            let reachable = |values: &[u32]| {
                allowed.as_ref().is_none_or(|allowed| values.iter().any(|value| allowed.contains(value)))
            };
            let mut range: Option<Range> = None;
            for arm in arms.iter().filter(|arm| reachable(&arm.values)) {
                range = join_some(range, of_in(budget, policy, domains, &arm.amount));
            }
            let covered: Vec<u32> = arms.iter().flat_map(|arm| arm.values.iter().copied()).collect();
            let rest = allowed.as_ref().is_none_or(|allowed| allowed.iter().any(|value| !covered.contains(value)));
            if let (Some(otherwise), true) = (otherwise, rest) {
                range = join_some(range, of_in(budget, policy, domains, otherwise));
            }
            range?
        }
        ExprKind::Brackets { subject, arms, otherwise } => {
            let subject_range = of_in(budget, policy, domains, subject)?;
            let mut range: Option<Range> = None;
            for arm in arms {
                let low = arm.low.as_ref().and_then(|(value, _)| literal_number(value));
                let high = arm.high.as_ref().and_then(|(value, _)| literal_number(value));
                // An arm whose range the subject cannot reach pays nothing.
                if matches!((high, subject_range.low), (Some(high), Some(low)) if high < low)
                    || matches!((low, subject_range.high), (Some(low), Some(high)) if low > high)
                {
                    continue;
                }
                // Within the arm, an input subject lies in the arm's range.
                let narrowed = match &subject.kind {
                    ExprKind::Input(input) => {
                        let mut narrowed = domains.clone();
                        if let Some(Values::Number(interval)) =
                            narrowed.inputs.get_mut(input).map(|domain| &mut domain.values)
                        {
                            let end = |value: &Option<(Value, bool)>| {
                                value.as_ref().and_then(|(value, included)| {
                                    Some(super::domain::End { value: literal_number(value)?, included: *included })
                                })
                            };
                            *interval = interval.meet(Interval { low: end(&arm.low), high: end(&arm.high) });
                        }
                        narrowed
                    }
                    _ => domains.clone(),
                };
                range = join_some(range, of_in(budget, policy, &narrowed, &arm.amount));
            }
            if let Some(otherwise) = otherwise {
                range = join_some(range, of_in(budget, policy, domains, otherwise));
            }
            range?
        }
        ExprKind::Tiers { subject, tiers, since } => {
            let subject_range = of_in(budget, policy, domains, subject)?;
            if let Some(since) = since {
                of_in(budget, policy, domains, since)?;
            }
            let mut range: Option<Range> = None;
            for (index, tier) in tiers.iter().enumerate() {
                let threshold = literal_number(&tier.threshold);
                if matches!((threshold, subject_range.high), (Some(threshold), Some(high)) if threshold > high) {
                    continue;
                }
                // Without `since`, a tier pays only a subject below the next threshold.
                let next = tiers.get(index + 1).and_then(|next| literal_number(&next.threshold));
                if since.is_none() && matches!((next, subject_range.low), (Some(next), Some(low)) if next <= low) {
                    continue;
                }
                range = join_some(range, of_in(budget, policy, domains, &tier.amount));
            }
            range?
        }
        _ => Range::unknown(None),
    })
}

/// Both ranges' values, where each may have none.
fn join_some(a: Option<Range>, b: Option<Range>) -> Option<Range> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.join(b)),
        (a, b) => a.or(b),
    }
}

/// `min` or `max` of the arguments: no value when any argument has none.
fn fold_args(
    budget: &Budget,
    policy: &Policy,
    domains: &Domains,
    args: &[Expr],
    combine: impl Fn(Range, Range) -> Range,
) -> Option<Range> {
    let mut ranges = Vec::with_capacity(args.len());
    for arg in args {
        ranges.push(of_in(budget, policy, domains, arg)?);
    }
    let mut ranges = ranges.into_iter();
    let first = ranges.next().unwrap_or(Range::unknown(None));
    Some(ranges.fold(first, combine))
}

/// The inputs without which `expr` has no value: arithmetic, `min`/`max` and the subject
/// of a table need every fact they read; an `if`'s branches and a table's arms only
/// perhaps, so they add nothing. Walked with a list, not recursion, each named value once:
/// a chain of values may be as long as the file.
pub fn needed_inputs(policy: &Policy, expr: &Expr, needed: &mut BTreeSet<InputId>) {
    let mut pending = vec![expr];
    let mut followed = BTreeSet::new();
    while let Some(expr) = pending.pop() {
        match &expr.kind {
            ExprKind::Input(input) if policy.inputs.get(*input).is_some_and(|input| input.default.is_none()) => {
                needed.insert(*input);
            }
            ExprKind::Named(value) if followed.insert(*value) => {
                pending.extend(policy.values.get(*value).map(|named| &named.expr));
            }
            ExprKind::Sum(..)
            | ExprKind::Of { .. }
            | ExprKind::Product { .. }
            | ExprKind::Call(..)
            | ExprKind::Excess { .. } => pending.extend(expr.children()),
            ExprKind::Table { subject, .. } | ExprKind::Brackets { subject, .. } | ExprKind::Tiers { subject, .. } => {
                pending.push(subject);
            }
            _ => {}
        }
    }
}

/// Whether `condition` can be unknown for a case in `domains`: it reads a fact that may
/// be missing, or divides. Walked as [`needed_inputs`] is.
fn may_be_unknown(policy: &Policy, domains: &Domains, condition: &Expr) -> bool {
    let mut pending = vec![condition];
    let mut followed = BTreeSet::new();
    while let Some(expr) = pending.pop() {
        match &expr.kind {
            ExprKind::Input(input) => {
                if domains.inputs.get(input).is_none_or(|domain| domain.presence != Presence::Given) {
                    return true;
                }
            }
            ExprKind::IsPresent(_) => {}
            ExprKind::Named(value) => match policy.values.get(*value) {
                Some(named) => {
                    if followed.insert(*value) {
                        pending.push(&named.expr);
                    }
                }
                None => return true,
            },
            ExprKind::Product { factors, .. } if factors.iter().any(|(op, _)| matches!(op, MulOp::Over)) => {
                return true
            }
            _ => pending.extend(expr.children()),
        }
    }
    false
}
