//! Diagnostics: the values every stage reports, and their renderings.
//!
//! A [`Diagnostic`] holds data (code, spans, words); the source is attached only when it
//! is rendered (`render`), so the human, JSON and GitHub renderings read the same values.

pub mod codes;
pub mod render;

pub use codes::{Code, Severity};

use crate::span::Span;

/// A span with a short note shown under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    /// Lowercase, one line, user text in backticks.
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    /// How to fix it, where that is known.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label { span, message: label.into() },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note_at(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// The one similarity rule behind every "did you mean": the closest candidate whose edit
/// distance is at most a third of the name's length (at least 1).
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != name)
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (row, left_char) in left.chars().enumerate() {
        let mut current = vec![row + 1];
        for (column, right_char) in right.iter().enumerate() {
            let substitution = previous.get(column).copied().unwrap_or(0) + usize::from(left_char != *right_char);
            let deletion = previous.get(column + 1).copied().unwrap_or(0) + 1;
            let insertion = current.last().copied().unwrap_or(0) + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["contract_amount", "in_chengdu", "project"];
        assert_eq!(did_you_mean("contract_amout", names), Some("contract_amount"));
        assert_eq!(did_you_mean("in_chengdo", names), Some("in_chengdu"));
        assert_eq!(did_you_mean("revenue", names), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut ids: Vec<&str> = Code::ALL.iter().map(|code| code.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
    }
}
