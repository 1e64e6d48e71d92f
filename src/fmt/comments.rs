//! Finds the comments of a policy file, which the parser skips, so the formatter can put
//! each one back.

use crate::syntax::lexical::{walk, Lexeme};

/// A `#` comment: where it is, its text, and whether code stands before it on its line.
#[derive(Clone, Debug)]
pub struct Comment {
    pub start: usize,
    pub text: String,
    /// Code precedes it on the same line (it is printed at the end of that line).
    pub trailing: bool,
}

/// Every comment, in source order, skipping `#` inside strings and text blocks.
pub fn collect(source: &str) -> Vec<Comment> {
    let mut comments = Vec::new();
    walk(source, |lexeme| {
        if let Lexeme::Comment { at, text, trailing } = lexeme {
            comments.push(Comment { start: at, text: text.to_string(), trailing });
        }
    });
    comments
}
