//! W0007: a money subtraction in an amount that nothing keeps from going below zero.
//!
//! Money is never negative. A subtraction in what an award pays, caps or shows is safe when
//! the policy says what happens below zero: `excess of a over b`, a clamp (`max(a - b, 0元)`),
//! or a guard in the clause's condition or a gate (`when a > b`, `when a - b > 0元`, or, for a
//! named value `growth = a - b`, `when growth > 0元`). Anything else is reported: at run time
//! it would be an error on every case where it goes below zero.

use super::checked::{Award, Expr, ExprKind, Policy, Type, Value};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::{CompareOp, Function, Sign};

/// The warnings for `policy`.
pub(super) fn unguarded_subtractions(policy: &Policy) -> Vec<Diagnostic> {
    let mut gates: Vec<&Expr> = Vec::new();
    for gate in &policy.gates {
        conjuncts(&gate.condition, &mut gates);
    }
    let mut found = Vec::new();
    for clause in &policy.clauses {
        let mut guards = gates.clone();
        if let Some(condition) = &clause.condition {
            conjuncts(condition, &mut guards);
        }
        let amounts: Vec<&Expr> = match &clause.award {
            Award::Grant { amount, cap } => std::iter::once(amount).chain(cap).collect(),
            Award::UpTo { max } => vec![max],
            Award::Open { base, maximum, .. } => base.iter().chain(maximum).collect(),
            Award::Range { low, high, cap } => [Some(low), Some(high), cap.as_ref()].into_iter().flatten().collect(),
            Award::Benefit { .. } => Vec::new(),
        };
        let mut walker = Walker { policy, found: &mut found, followed: 0, depth: 0 };
        for amount in amounts {
            walker.walk(amount, &mut guards.clone(), None);
        }
    }
    // One warning per subtraction, however many clauses read it (a named value).
    found.sort_by_key(|(span, _): &(crate::span::Span, String)| (span.start, span.end));
    found.dedup_by_key(|(span, _)| *span);
    found
        .into_iter()
        .map(|(span, text)| {
            Diagnostic::new(
                Code::UnguardedSubtraction,
                format!("this subtraction can go below zero, and money is never negative{text}"),
                span,
                "can be negative",
            )
            .with_help(
                "say what happens below zero: `excess of a over b` (0 below), `max(a - b, 0元)`, or a guard such as `when a > b`",
            )
            .in_chinese("这个减法可能得到负数，而金额不能为负", "可能为负")
            .help_in_chinese("请说明低于零时怎么办：`excess of a over b`（低于零取 0）、`max(a - b, 0元)`，或加前提如 `when a > b`")
        })
        .collect()
}

struct Walker<'a> {
    policy: &'a Policy,
    found: &'a mut Vec<(crate::span::Span, String)>,
    /// Named values followed so far for this clause: values that each read the one before
    /// twice would otherwise be walked an exponential number of times.
    followed: usize,
    /// Named values being followed now, one inside the other: a chain as long as the file
    /// would otherwise overflow the stack.
    depth: usize,
}

/// The longest chain of named values the walk follows.
const MOST_DEPTH: usize = 64;

/// The most named values one clause's walk follows; past it, or past [`MOST_DEPTH`], the
/// rest go unchecked (a warning may be missed, never made up).
const MOST_FOLLOWED: usize = 4096;

impl<'a> Walker<'a> {
    /// Walks an amount with the conditions known to hold where it is computed. `alias` is
    /// the named value whose definition `expr` is.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep, and a named
    // value reads only earlier ones, so this recursion is bounded.
    fn walk(&mut self, expr: &'a Expr, guards: &mut Vec<&'a Expr>, alias: Option<usize>) {
        match &expr.kind {
            // Below zero is 0: nothing inside needs a guard of its own.
            ExprKind::Excess { .. } => {}
            ExprKind::Call(Function::Max, args) if args.iter().any(is_non_negative_literal) => {}
            ExprKind::Named(id) => {
                let within = self.followed < MOST_FOLLOWED && self.depth < MOST_DEPTH;
                if let Some(value) = self.policy.values.get(*id).filter(|_| within) {
                    self.followed += 1;
                    self.depth += 1;
                    self.walk(&value.expr, guards, Some(*id));
                    self.depth -= 1;
                }
            }
            ExprKind::If { condition, then, otherwise } => {
                let before = guards.len();
                conjuncts(condition, guards);
                self.walk(then, guards, None);
                guards.truncate(before);
                self.walk(otherwise, guards, None);
            }
            ExprKind::Sum(first, terms) => {
                let subtracts = terms.iter().any(|(sign, _)| *sign == Sign::Minus);
                if subtracts && expr.ty == Type::Money && !guarded(expr, first, terms, guards, alias) {
                    self.found.push((expr.span, describe(self.policy, expr)));
                }
                self.walk(first, guards, None);
                for (_, term) in terms {
                    self.walk(term, guards, None);
                }
            }
            _ => {
                for child in expr.children() {
                    self.walk(child, guards, None);
                }
            }
        }
    }
}

/// The parts of a condition that must all hold: the operands of a top-level `and`.
fn conjuncts<'e>(condition: &'e Expr, into: &mut Vec<&'e Expr>) {
    match &condition.kind {
        ExprKind::And(parts) => parts.iter().for_each(|part| conjuncts(part, into)),
        _ => into.push(condition),
    }
}

/// Whether a guard says the subtraction `first - terms` is not below zero.
fn guarded(sum: &Expr, first: &Expr, terms: &[(Sign, Expr)], guards: &[&Expr], alias: Option<usize>) -> bool {
    guards.iter().any(|guard| {
        let ExprKind::Compare(left, op, right) = &guard.kind else { return false };
        // `a > b` as `b < a` too.
        let (big, small) = match op {
            CompareOp::Greater | CompareOp::GreaterEqual => (&**left, &**right),
            CompareOp::Less | CompareOp::LessEqual => (&**right, &**left),
            _ => return false,
        };
        // `sum > 0元` (or above any amount not below zero), or `alias > 0元`.
        let is_the_sum =
            same(big, sum) || matches!((&big.kind, alias), (ExprKind::Named(id), Some(alias)) if *id == alias);
        if is_the_sum && is_non_negative_literal(small) {
            return true;
        }
        // `a > b` guards `a - b`.
        match terms {
            [(Sign::Minus, subtracted)] => same(big, first) && same(small, subtracted),
            _ => false,
        }
    })
}

fn is_non_negative_literal(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Literal(Value::Money(amount)) if !amount.is_sign_negative())
}

/// Whether two expressions compute the same thing, whatever their spans.
// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn same(left: &Expr, right: &Expr) -> bool {
    match (&left.kind, &right.kind) {
        (ExprKind::Literal(a), ExprKind::Literal(b)) => a == b,
        (ExprKind::Input(a), ExprKind::Input(b)) | (ExprKind::Named(a), ExprKind::Named(b)) => a == b,
        (ExprKind::Sum(a, a_terms), ExprKind::Sum(b, b_terms)) => {
            same(a, b)
                && a_terms.len() == b_terms.len()
                && a_terms.iter().zip(b_terms).all(|((sa, ta), (sb, tb))| sa == sb && same(ta, tb))
        }
        (ExprKind::Of { ratios: ra, base: ba }, ExprKind::Of { ratios: rb, base: bb }) => {
            ra.len() == rb.len() && ra.iter().zip(rb).all(|(a, b)| same(a, b)) && same(ba, bb)
        }
        (ExprKind::Call(fa, aa), ExprKind::Call(fb, ab)) => {
            fa == fb && aa.len() == ab.len() && aa.iter().zip(ab).all(|(a, b)| same(a, b))
        }
        _ => false,
    }
}

/// "`a` minus `b`", when both sides are names; nothing otherwise (the label shows the text).
fn describe(policy: &Policy, expr: &Expr) -> String {
    let side = |expr: &Expr| match &expr.kind {
        ExprKind::Input(id) => policy.inputs.get(*id).map(|input| format!("`{}`", input.name)),
        ExprKind::Named(id) => policy.values.get(*id).map(|value| format!("`{}`", value.name)),
        _ => None,
    };
    let ExprKind::Sum(first, terms) = &expr.kind else { return String::new() };
    let sides: Option<Vec<String>> =
        std::iter::once(&**first).chain(terms.iter().map(|(_, term)| term)).map(side).collect();
    match (sides.as_deref(), terms.as_slice()) {
        (Some([first, second]), [(Sign::Minus, _)]) => {
            format!(": {first} minus {second} is below zero whenever {second} is larger")
        }
        _ => String::new(),
    }
}
