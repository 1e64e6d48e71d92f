//! The evaluation form of a checked policy: the checked policy itself (whose names are
//! already input slots and whose literals are already decimals) plus the tables the
//! evaluator needs per clause, built once per run.

use crate::check::checked::{Award, ClauseIndex, Expr, ExprKind, InputId, Policy};

/// A policy ready to evaluate many cases.
pub struct Program<'p> {
    pub policy: &'p Policy,
    /// For each clause, the classes that list it.
    pub classes_of: Vec<Vec<usize>>,
    /// For each clause, the caps that count it.
    pub caps_of: Vec<Vec<usize>>,
    /// For each clause, the inputs its condition and amount read, in slot order.
    pub inputs_of: Vec<Vec<InputId>>,
}

/// The inputs each named value reads, through the values it reads too. Built in
/// declaration order, so each value's set is ready before a later value reads it.
fn value_inputs(policy: &Policy) -> Vec<Vec<InputId>> {
    let mut sets: Vec<Vec<InputId>> = Vec::with_capacity(policy.values.len());
    for value in &policy.values {
        let mut inputs = Vec::new();
        collect_inputs(&value.expr, &sets, &mut inputs);
        inputs.sort_unstable();
        inputs.dedup();
        sets.push(inputs);
    }
    sets
}

impl<'p> Program<'p> {
    pub fn compile(policy: &'p Policy) -> Self {
        let mut classes_of = vec![Vec::new(); policy.clauses.len()];
        for (class_index, class) in policy.classes.iter().enumerate() {
            for &clause in &class.clauses {
                if let Some(slot) = classes_of.get_mut(clause) {
                    slot.push(class_index);
                }
            }
        }
        let mut caps_of = vec![Vec::new(); policy.clauses.len()];
        for (cap_index, cap) in policy.caps.iter().enumerate() {
            for &clause in &cap.clauses {
                if let Some(slot) = caps_of.get_mut(clause) {
                    slot.push(cap_index);
                }
            }
        }
        let values = value_inputs(policy);
        let inputs_of = policy
            .clauses
            .iter()
            .map(|clause| {
                let mut inputs = Vec::new();
                let exprs = clause.condition.iter().chain(match &clause.award {
                    Award::Grant { amount, cap } => vec![amount].into_iter().chain(cap.as_ref()).collect::<Vec<_>>(),
                    Award::UpTo { max } => vec![max],
                    Award::Open { base, maximum, .. } => base.iter().chain(maximum).collect(),
                    Award::Benefit { .. } => Vec::new(),
                });
                for expr in exprs {
                    collect_inputs(expr, &values, &mut inputs);
                }
                inputs.sort_unstable();
                inputs.dedup();
                inputs
            })
            .collect();
        Program { policy, classes_of, caps_of, inputs_of }
    }

    pub fn clause_id(&self, clause: ClauseIndex) -> &str {
        self.policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())
    }
}

// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn collect_inputs(expr: &Expr, values: &[Vec<InputId>], inputs: &mut Vec<InputId>) {
    match &expr.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Named(id) => inputs.extend(values.get(*id).into_iter().flatten()),
        ExprKind::Input(input) | ExprKind::IsPresent(input) => inputs.push(*input),
        ExprKind::Not(inner) | ExprKind::WithinValidity(inner) | ExprKind::DateShift(inner, _) => {
            collect_inputs(inner, values, inputs)
        }
        ExprKind::And(parts) | ExprKind::Or(parts) => {
            parts.iter().for_each(|part| collect_inputs(part, values, inputs))
        }
        ExprKind::Compare(left, _, right) => {
            collect_inputs(left, values, inputs);
            collect_inputs(right, values, inputs);
        }
        ExprKind::Between { subject, low, high } => {
            for part in [subject, low, high] {
                collect_inputs(part, values, inputs);
            }
        }
        ExprKind::InSet { subject, .. } => collect_inputs(subject, values, inputs),
        ExprKind::Sum(first, terms) => {
            collect_inputs(first, values, inputs);
            terms.iter().for_each(|(_, term)| collect_inputs(term, values, inputs));
        }
        ExprKind::Call(_, args) => args.iter().for_each(|arg| collect_inputs(arg, values, inputs)),
        ExprKind::Brackets { subject, arms, otherwise } => {
            collect_inputs(subject, values, inputs);
            arms.iter().for_each(|arm| collect_inputs(&arm.amount, values, inputs));
            otherwise.iter().for_each(|amount| collect_inputs(amount, values, inputs));
        }
        ExprKind::If { condition, then, otherwise } => {
            for part in [condition, then, otherwise] {
                collect_inputs(part, values, inputs);
            }
        }
        ExprKind::Of { ratios, base } => {
            ratios.iter().for_each(|ratio| collect_inputs(ratio, values, inputs));
            collect_inputs(base, values, inputs);
        }
        ExprKind::Table { subject, arms, otherwise } => {
            collect_inputs(subject, values, inputs);
            arms.iter().for_each(|arm| collect_inputs(&arm.amount, values, inputs));
            otherwise.iter().for_each(|amount| collect_inputs(amount, values, inputs));
        }
        ExprKind::Tiers { subject, since, tiers } => {
            collect_inputs(subject, values, inputs);
            since.iter().for_each(|since| collect_inputs(since, values, inputs));
            tiers.iter().for_each(|tier| collect_inputs(&tier.amount, values, inputs));
        }
    }
}
