//! The evaluation form of a checked policy: the checked policy itself (whose names are
//! already input slots and whose literals are already decimals) plus the tables the
//! evaluator needs per clause, built once per run.

use crate::check::checked::{Award, ClauseIndex, Expr, ExprKind, HistorySubject, InputId, Policy};

/// A policy ready to evaluate many cases.
pub struct Program<'p> {
    pub policy: &'p Policy,
    /// For each clause, the classes that list it.
    pub classes_of: Vec<Vec<usize>>,
    /// For each clause, the caps that count it.
    pub caps_of: Vec<Vec<usize>>,
    /// For each clause, the history rules (`after`, `unless`) that condition it or look
    /// for its awards.
    pub history_of: Vec<Vec<usize>>,
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
        let mut history_of = vec![Vec::new(); policy.clauses.len()];
        for (rule_index, rule) in policy.history.iter().enumerate() {
            let subject = match rule.subject {
                HistorySubject::Clause { clause, .. } if clause != rule.clause => Some(clause),
                _ => None,
            };
            for clause in std::iter::once(rule.clause).chain(subject) {
                if let Some(slot) = history_of.get_mut(clause) {
                    slot.push(rule_index);
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
                    Award::Range { low, high, cap } => {
                        [Some(low), Some(high), cap.as_ref()].into_iter().flatten().collect()
                    }
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
        Program { policy, classes_of, caps_of, history_of, inputs_of }
    }

    pub fn clause_id(&self, clause: ClauseIndex) -> &str {
        self.policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())
    }
}

// INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
fn collect_inputs(expr: &Expr, values: &[Vec<InputId>], inputs: &mut Vec<InputId>) {
    match &expr.kind {
        ExprKind::Named(id) => inputs.extend(values.get(*id).into_iter().flatten()),
        ExprKind::Input(input) | ExprKind::IsPresent(input) => inputs.push(*input),
        _ => expr.children().into_iter().for_each(|child| collect_inputs(child, values, inputs)),
    }
}
