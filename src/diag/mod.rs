//! Diagnostics: the values every stage reports, and their renderings.
//!
//! A [`Diagnostic`] holds data (code, spans, words); the source is attached only when it
//! is rendered (`render`), so the human, JSON and GitHub renderings read the same values.

pub mod codes;
pub mod failure;
pub mod render;
pub mod report;

pub use codes::{Code, Severity};

use crate::span::Span;

/// A span with a short note shown under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A change to the source that fixes a diagnostic: `replacement` in place of `span`
/// (an empty span inserts). An editor offers it as a quick fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

/// One problem found in a policy file: a code, spans into the text, words in English and
/// Chinese, and the edits that fix it where they are known.
///
/// ```
/// let text = include_str!("../../tests/diagnostics/E0201.pol");
/// let report = polc::check_source(text);
/// let found = report.diagnostics.iter().find(|found| found.is_error()).unwrap();
/// assert_eq!(found.code.id(), "E0201");
/// assert_eq!(&text[found.primary.span.start..found.primary.span.end], "contract_amout");
/// assert_eq!(found.fixes[0].replacement, "contract_amount");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    /// Lowercase, one line, user text in backticks.
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    /// How to fix it, where that is known.
    pub help: Option<String>,
    /// The edits that fix it, where they are known (the help says the same in words).
    pub fixes: Vec<Fix>,
    /// Its words in Chinese, where they are written; a diagnostic without them is shown
    /// in Chinese by its code's summary ([`Code::summary_zh`]) and its English words.
    pub zh: Option<Box<Chinese>>,
}

/// A diagnostic's words in Chinese.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chinese {
    pub message: Option<String>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// The secondary labels' words, in their order.
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            primary: Label { span, message: label.into() },
            secondary: Vec::new(),
            help: None,
            fixes: Vec::new(),
            zh: None,
        }
    }

    /// The message and label in Chinese.
    pub fn in_chinese(mut self, message: impl Into<String>, label: impl Into<String>) -> Self {
        let zh = self.zh.get_or_insert_with(Box::default);
        zh.message = Some(message.into());
        zh.label = Some(label.into());
        self
    }

    /// The next secondary label's words in Chinese.
    pub fn note_in_chinese(mut self, note: impl Into<String>) -> Self {
        self.zh.get_or_insert_with(Box::default).notes.push(note.into());
        self
    }

    /// Secondary label `index`'s words in `lang`.
    pub fn note_words(&self, index: usize, lang: crate::lang::Lang) -> &str {
        let english = self.secondary.get(index).map_or("", |label| label.message.as_str());
        match lang {
            crate::lang::Lang::En => english,
            crate::lang::Lang::Zh => {
                self.zh.as_deref().and_then(|zh| zh.notes.get(index)).map_or(english, String::as_str)
            }
        }
    }

    /// The help in Chinese.
    pub fn help_in_chinese(mut self, help: impl Into<String>) -> Self {
        self.zh.get_or_insert_with(Box::default).help = Some(help.into());
        self
    }

    /// The message, label and help in `lang`. In Chinese, a part not written in Chinese is
    /// the code's Chinese summary with the English words (message), `此处` (label), or the
    /// English help.
    pub fn words(&self, lang: crate::lang::Lang) -> (String, String, Option<String>) {
        let zh = self.zh.as_deref();
        match lang {
            crate::lang::Lang::En => (self.message.clone(), self.primary.message.clone(), self.help.clone()),
            crate::lang::Lang::Zh => (
                zh.and_then(|zh| zh.message.clone())
                    .unwrap_or_else(|| format!("{}：{}", self.code.summary_zh(), self.message)),
                zh.and_then(|zh| zh.label.clone()).unwrap_or_else(|| "此处".to_string()),
                zh.and_then(|zh| zh.help.clone()).or_else(|| self.help.clone()),
            ),
        }
    }

    /// Adds an edit that fixes the problem: `replacement` in place of `span`.
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fixes.push(Fix { span, replacement: replacement.into() });
        self
    }

    /// "Did you mean `suggestion`?", with the edit that puts it in place of the primary span.
    pub fn with_suggestion(self, suggestion: &str) -> Self {
        let span = self.primary.span;
        self.with_help(format!("did you mean `{suggestion}`?"))
            .help_in_chinese(format!("是不是想写 `{suggestion}`？"))
            .with_fix(span, suggestion)
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
    let name: Vec<char> = name.chars().collect();
    let limit = (name.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    let mut row = Vec::new();
    let mut candidate_chars = Vec::new();
    for candidate in candidates {
        candidate_chars.clear();
        candidate_chars.extend(candidate.chars());
        // The distance is at least the difference in length: no need to compute it.
        if candidate_chars == name || candidate_chars.len().abs_diff(name.len()) > limit {
            continue;
        }
        let distance = edit_distance(&name, &candidate_chars, &mut row);
        if distance <= limit && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// "Did you mean" with a bound on its work for one file: each suggestion compares a name
/// with every candidate, so thousands of unknown names against thousands of inputs would
/// take quadratic time. Past the budget, diagnostics keep their other help and simply
/// suggest nothing; names too long for a typo to be likely are not compared at all.
#[derive(Debug)]
pub struct Suggester {
    /// Candidate comparisons left.
    budget: std::cell::Cell<usize>,
}

/// Comparisons one file may spend on suggestions: a few thousand unknown names against a
/// large policy's inputs, in well under a second.
pub const SUGGESTION_BUDGET: usize = 2_000_000;

/// Names longer than this are not compared (the edit distance costs the product of the
/// two lengths).
const LONGEST_SUGGESTED_NAME: usize = 64;

impl Default for Suggester {
    fn default() -> Self {
        Suggester { budget: std::cell::Cell::new(SUGGESTION_BUDGET) }
    }
}

impl Suggester {
    /// [`did_you_mean`], while the budget lasts.
    pub fn did_you_mean<'a>(&self, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        if name.len() > LONGEST_SUGGESTED_NAME {
            return None;
        }
        let candidates: Vec<&'a str> = candidates.into_iter().collect();
        if !self.spend(candidates.len()) {
            return None;
        }
        did_you_mean(name, candidates.into_iter().filter(|candidate| candidate.len() <= LONGEST_SUGGESTED_NAME))
    }

    /// Takes `work` from the budget; false (and nothing taken) when too little is left.
    pub fn spend(&self, work: usize) -> bool {
        let left = self.budget.get();
        if work > left {
            return false;
        }
        self.budget.set(left - work);
        true
    }
}

/// Levenshtein distance over one reused row.
fn edit_distance(left: &[char], right: &[char], row: &mut Vec<usize>) -> usize {
    row.clear();
    row.extend(0..=right.len());
    for (index, left_char) in left.iter().enumerate() {
        let mut diagonal = index;
        if let Some(first) = row.first_mut() {
            *first = index + 1;
        }
        for (column, right_char) in right.iter().enumerate() {
            let above = row.get(column + 1).copied().unwrap_or(0);
            let before = row.get(column).copied().unwrap_or(0);
            let value = (diagonal + usize::from(left_char != right_char)).min(above + 1).min(before + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(column + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
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
    fn suggestions_stop_when_the_budget_is_spent() {
        let suggester = Suggester { budget: std::cell::Cell::new(5) };
        let names = ["contract_amount", "in_chengdu", "project"];
        assert_eq!(suggester.did_you_mean("project_", names), Some("project"));
        assert_eq!(suggester.did_you_mean("in_chengdo", names), None, "3 + 3 > 5");
        assert_eq!(Suggester::default().did_you_mean(&"x".repeat(65), ["x"]), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut ids: Vec<&str> = Code::ALL.iter().map(|code| code.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Code::ALL.len());
    }
}
