//! The evaluation form of a checked policy: the checked policy itself (whose names are
//! already input slots and whose literals are already decimals) plus the tables the
//! evaluator needs per clause, built once per run.

use crate::check::checked::{ClauseIndex, Policy};

/// A policy ready to evaluate many cases.
pub struct Program<'p> {
    pub policy: &'p Policy,
    /// For each clause, the classes that list it.
    pub classes_of: Vec<Vec<usize>>,
    /// For each clause, the caps that count it.
    pub caps_of: Vec<Vec<usize>>,
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
        Program { policy, classes_of, caps_of }
    }

    pub fn clause_id(&self, clause: ClauseIndex) -> &str {
        self.policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())
    }

    /// "Article 5 › clause 5.1", for reasons and explanations.
    pub fn citation(&self, clause: ClauseIndex) -> String {
        let Some(checked) = self.policy.clauses.get(clause) else { return String::new() };
        match self.policy.articles.get(checked.article) {
            Some(article) => format!("Article {} {} › clause {}", article.number, article.title, checked.id),
            None => format!("clause {}", checked.id),
        }
    }
}
