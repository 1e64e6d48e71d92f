//! Syntax: policy text → AST with spans.
//!
//! Input: the text of one `.pol` file. Output: a [`crate::syntax::ast::File`] holding every item that
//! parsed, plus a diagnostic for every item that did not. Items are parsed one by one, so
//! one run reports the syntax errors of every item.

/// The parsed tree and its spans.
pub mod ast;
/// Cuts the file into top-level items and bounds nesting before pest runs.
mod chunks;
/// Where strings, text blocks and comments are, without parsing.
pub(crate) mod lexical;
/// Runs the pest grammar on one item and lowers its pairs to the AST.
mod lower;
/// Puts syntax errors in words.
mod messages;
/// Finds the syntax errors after the first in an item.
mod recover;

pub use chunks::MAX_NESTING;
pub use messages::RESERVED_WORDS;

use crate::diag::Diagnostic;

/// Parses a whole file. Every syntax problem is in the returned diagnostics; the file
/// holds the items that parsed.
pub fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    let mut file = ast::File::default();
    let mut diagnostics = Vec::new();
    for chunk in chunks::split(source) {
        if let Some(problem) = chunk.problem {
            diagnostics.push(problem);
            continue;
        }
        let text = source.get(chunk.span.start..chunk.span.end).unwrap_or_default();
        if let Some(item) = lower::parse_item(text, chunk.span.start, &mut diagnostics) {
            file.items.push(item);
        }
    }
    (file, diagnostics)
}
