//! The least and greatest value an amount can take over its inputs' domains, by interval
//! arithmetic. Sound: every value the evaluator can compute for a case in the domains lies
//! in the range found (its ends may be wider than what any case reaches). An end that
//! cannot be bounded is `None`, with the input that makes it so.

use super::domain::{literal_number, Domains, Interval, Values};
use crate::check::checked::{Expr, ExprKind, InputId, Policy, Value};
use crate::syntax::ast::{Function, MulOp, Sign};
use rust_decimal::Decimal;

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

/// The range of `expr` over `domains`.
// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
pub fn of(policy: &Policy, domains: &Domains, expr: &Expr) -> Range {
    match &expr.kind {
        ExprKind::Literal(value) => literal_number(value).map_or(Range::unknown(None), Range::point),
        ExprKind::Input(input) => match domains.inputs.get(input).map(|domain| &domain.values) {
            Some(Values::Number(Interval { low, high })) => Range {
                low: low.map(|end| end.value),
                high: high.map(|end| end.value),
                unbounded_by: high.is_none().then_some(*input),
            },
            _ => Range::unknown(Some(*input)),
        },
        ExprKind::Named(value) => match policy.values.get(*value) {
            Some(named) => of(policy, domains, &named.expr),
            None => Range::unknown(None),
        },
        ExprKind::Of { ratios, base } => {
            ratios.iter().fold(of(policy, domains, base), |range, ratio| range.multiply(of(policy, domains, ratio)))
        }
        ExprKind::Product { first, factors } => {
            factors.iter().fold(of(policy, domains, first), |range, (op, factor)| {
                let factor = of(policy, domains, factor);
                match op {
                    MulOp::Of | MulOp::Times => range.multiply(factor),
                    MulOp::Over => range.divide(factor),
                }
            })
        }
        ExprKind::Sum(first, terms) => terms
            .iter()
            .fold(of(policy, domains, first), |range, (sign, term)| range.add(of(policy, domains, term), *sign)),
        ExprKind::Call(Function::Min, args) => fold_args(policy, domains, args, |a, b| Range {
            low: both(a.low, b.low, Decimal::min),
            high: match (a.high, b.high) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            unbounded_by: if a.high.is_none() && b.high.is_none() { a.unbounded_by.or(b.unbounded_by) } else { None },
        }),
        ExprKind::Call(Function::Max, args) => fold_args(policy, domains, args, |a, b| Range {
            low: match (a.low, b.low) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
            high: both(a.high, b.high, Decimal::max),
            unbounded_by: a.unbounded_by.or(b.unbounded_by),
        }),
        ExprKind::Excess { of: over_what, over } => {
            let difference = of(policy, domains, over_what).add(of(policy, domains, over), Sign::Minus);
            Range {
                low: Some(difference.low.map_or(Decimal::ZERO, |low| low.max(Decimal::ZERO))),
                high: difference.high.map(|high| high.max(Decimal::ZERO)),
                unbounded_by: difference.unbounded_by,
            }
        }
        ExprKind::If { then, otherwise, .. } => of(policy, domains, then).join(of(policy, domains, otherwise)),
        ExprKind::Table { subject, arms, otherwise } => {
            let allowed = match &subject.kind {
                ExprKind::Input(input) => match domains.inputs.get(input).map(|domain| &domain.values) {
                    Some(Values::Set(allowed)) => Some(allowed.clone()),
                    _ => None,
                },
                _ => None,
            };
            let reachable = |values: &[u32]| {
                allowed.as_ref().is_none_or(|allowed| values.iter().any(|value| allowed.contains(value)))
            };
            let mut range: Option<Range> = None;
            for arm in arms.iter().filter(|arm| reachable(&arm.values)) {
                let arm = of(policy, domains, &arm.amount);
                range = Some(range.map_or(arm, |range| range.join(arm)));
            }
            let covered: Vec<u32> = arms.iter().flat_map(|arm| arm.values.iter().copied()).collect();
            let rest = allowed.as_ref().is_none_or(|allowed| allowed.iter().any(|value| !covered.contains(value)));
            if let (Some(otherwise), true) = (otherwise, rest) {
                let other = of(policy, domains, otherwise);
                range = Some(range.map_or(other, |range| range.join(other)));
            }
            range.unwrap_or(Range::unknown(None))
        }
        ExprKind::Brackets { subject, arms, otherwise } => {
            let subject_range = of(policy, domains, subject);
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
                let arm = of(policy, &narrowed, &arm.amount);
                range = Some(range.map_or(arm, |range| range.join(arm)));
            }
            if let Some(otherwise) = otherwise {
                let other = of(policy, domains, otherwise);
                range = Some(range.map_or(other, |range| range.join(other)));
            }
            range.unwrap_or(Range::unknown(None))
        }
        ExprKind::Tiers { subject, tiers, .. } => {
            let subject_range = of(policy, domains, subject);
            let mut range: Option<Range> = None;
            for tier in tiers {
                let threshold = literal_number(&tier.threshold);
                if matches!((threshold, subject_range.high), (Some(threshold), Some(high)) if threshold > high) {
                    continue;
                }
                let amount = of(policy, domains, &tier.amount);
                range = Some(range.map_or(amount, |range| range.join(amount)));
            }
            range.unwrap_or(Range::unknown(None))
        }
        _ => Range::unknown(None),
    }
}

fn fold_args(policy: &Policy, domains: &Domains, args: &[Expr], combine: impl Fn(Range, Range) -> Range) -> Range {
    let mut ranges = args.iter().map(|arg| of(policy, domains, arg));
    let Some(first) = ranges.next() else { return Range::unknown(None) };
    ranges.fold(first, combine)
}
