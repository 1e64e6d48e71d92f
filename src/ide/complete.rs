//! What may be written at a place, read from the text before it: enum values after `is`,
//! in `in { … }` and in a table's arms; clause ids in a cap's `over`, a class's `of` and
//! after `after` or `unless`; keys after `per`; recipients after `to`; at the start of a
//! line, the keywords that start a line at that depth; elsewhere in an expression, the
//! inputs and named values.

use super::{Analysis, Symbol, SymbolKind};

/// One thing that may be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// A word or two beside it: a label, a type.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Input,
    Value,
    EnumValue,
    Clause,
    Keyword,
}

/// The keywords that start a top-level item.
const TOP_LEVEL: &[&str] = &["policy", "enum", "input", "value", "chapter", "section", "article"];

/// The keywords that start a part of an article (indented once).
const ARTICLE_PARTS: &[&str] = &["text", "responsible", "require", "clause", "class", "cap"];

/// The keywords that start a part of a clause (indented twice).
const CLAUSE_PARTS: &[&str] =
    &["when", "award", "to", "once", "subject to review", "for at most", "after", "unless", "in instalments"];

/// The keys every rule may use besides inputs.
const BUILT_IN_KEYS: &[&str] = &["recipient", "year", "tier"];

/// Functions and words that start a value in an expression.
const EXPRESSION_WORDS: &[&str] = &["min", "max", "year", "excess of", "if", "tiers of", "by", "not"];

/// What may be written at `offset` of `place`'s text, naming what `names` declares.
pub(super) fn completions(place: &Analysis, names: &Analysis, offset: usize) -> Vec<Completion> {
    let analysis = names;
    let text = place.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let line = before.get(line_start..).unwrap_or_default();
    // The word being typed, and the words before it on its line.
    let word_start = line.rfind(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.')).map_or(0, |at| at + 1);
    let head = line.get(..word_start).unwrap_or_default();
    let words: Vec<&str> =
        head.split(|ch: char| ch.is_whitespace() || ch == ',').filter(|word| !word.is_empty()).collect();

    if head.trim().is_empty() {
        let indent = head.len();
        let keywords = match indent {
            0 => TOP_LEVEL,
            1..=3 => ARTICLE_PARTS,
            _ => CLAUSE_PARTS,
        };
        return keywords.iter().map(|word| keyword(word)).collect();
    }
    if let Some(subject) = enum_subject(before.get(..line_start + word_start).unwrap_or_default(), &words) {
        return analysis
            .enum_values_of(&subject)
            .into_iter()
            .map(|symbol| from_symbol(symbol, CompletionKind::EnumValue))
            .collect();
    }
    let first = words.first().copied().unwrap_or("");
    let last_keyword = words.iter().rev().find(|word| is_list_keyword(word)).copied();
    match (first, last_keyword) {
        ("cap", Some("over")) | ("class", Some("of")) | (_, Some("after" | "unless")) => {
            return symbols(analysis, SymbolKind::Clause, CompletionKind::Clause);
        }
        (_, Some("per")) => {
            let mut keys: Vec<Completion> = BUILT_IN_KEYS.iter().map(|word| keyword(word)).collect();
            keys.extend(symbols(analysis, SymbolKind::Input, CompletionKind::Input));
            return keys;
        }
        ("to", Some("to")) | ("to", None) => return symbols(analysis, SymbolKind::Input, CompletionKind::Input),
        _ => {}
    }
    let mut found = symbols(analysis, SymbolKind::Input, CompletionKind::Input);
    found.extend(symbols(analysis, SymbolKind::Value, CompletionKind::Value));
    found.extend(EXPRESSION_WORDS.iter().map(|word| keyword(word)));
    found
}

/// The words after which a list of one kind follows, until the next such word.
fn is_list_keyword(word: &str) -> bool {
    matches!(word, "over" | "of" | "per" | "after" | "unless" | "keep" | "to" | "when" | "relaxed")
}

/// The input an enum value tests at this place: the name before `is` or `is not`, before
/// `in {` or `not in {` when the braces are still open, or the subject of a table
/// (`by INPUT {`) whose arm this line starts.
fn enum_subject(before: &str, words: &[&str]) -> Option<String> {
    let mut rest = words.iter().rev().copied();
    match rest.next() {
        Some("is") => return rest.next().map(str::to_string),
        Some("not") if words.len() >= 3 && words.get(words.len() - 2) == Some(&"is") => {
            return words.get(words.len() - 3).map(|word| word.to_string());
        }
        _ => {}
    }
    // An open brace before the place: `in {` or a table's `by NAME {`.
    let mut depth = 0i32;
    for (at, ch) in before.char_indices().rev() {
        match ch {
            '}' => depth += 1,
            '{' if depth > 0 => depth -= 1,
            '{' => {
                let opener: Vec<&str> = before.get(..at)?.split_whitespace().rev().take(3).collect();
                return match opener.as_slice() {
                    ["in", "not", subject] | ["in", subject, ..] => Some(subject.to_string()),
                    [subject, "by", ..] => Some(subject.to_string()),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    None
}

fn keyword(word: &str) -> Completion {
    Completion { label: word.to_string(), kind: CompletionKind::Keyword, detail: "keyword".to_string() }
}

fn from_symbol(symbol: &Symbol, kind: CompletionKind) -> Completion {
    Completion { label: symbol.name.clone(), kind, detail: symbol.detail.clone() }
}

fn symbols(analysis: &Analysis, of: SymbolKind, kind: CompletionKind) -> Vec<Completion> {
    analysis.symbols_of(of).map(|symbol| from_symbol(symbol, kind)).collect()
}
