//! Splits a policy file into top-level items before pest sees it, and bounds nesting.
//!
//! pest stops at its first error. Splitting at each line that starts (in column 0) with a
//! top-level keyword lets every item be parsed on its own, so one broken article does not
//! hide the errors of the next. The same scan measures bracket depth, so deeply nested
//! input gets an error instead of a deep recursion in the parser.

use super::lexical::{walk, Lexeme};
use crate::diag::{Code, Diagnostic};
use crate::span::Span;

/// The deepest bracket nesting a policy may use. Real clauses use two or three levels.
pub const MAX_NESTING: usize = 32;

const TOP_LEVEL_KEYWORDS: &[&str] = &["policy", "chapter", "section", "enum", "input", "value", "article"];

/// One top-level item's byte range, and a problem that keeps it from being parsed.
pub struct Chunk {
    pub span: Span,
    pub problem: Option<Diagnostic>,
}

/// Cuts `source` into chunks. Text before the first keyword is a chunk of its own, so
/// stray text there gets a syntax error rather than vanishing.
pub fn split(source: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut scanner = Scanner::default();
    let mut chunk_start = 0;
    walk(source, |lexeme| match lexeme {
        // Comments and blank lines before an item belong to it, not to a chunk of their own.
        Lexeme::LineStart { at, text, in_text_block: false } if starts_item(text) && scanner.has_content => {
            chunks.push(scanner.finish(Span::new(chunk_start, at)));
            chunk_start = at;
        }
        Lexeme::LineStart { .. } | Lexeme::Comment { .. } => {}
        Lexeme::Code { at, ch } => scanner.code(at, ch),
        Lexeme::StringOpen { .. } => scanner.has_content = true,
        Lexeme::TextBlock { at, opens } => {
            scanner.has_content = true;
            scanner.text_block_start = opens.then_some(at);
        }
        Lexeme::LineEnd { open_string } => {
            if let Some(at) = open_string {
                scanner.open_string_at.get_or_insert(at);
            }
        }
    });
    if scanner.has_content {
        chunks.push(scanner.finish(Span::new(chunk_start, source.len())));
    }
    chunks
}

fn starts_item(line: &str) -> bool {
    TOP_LEVEL_KEYWORDS.iter().any(|keyword| {
        line.strip_prefix(keyword)
            .is_some_and(|rest| rest.chars().next().is_none_or(|next| !(next.is_alphanumeric() || next == '_')))
    })
}

#[derive(Default)]
struct Scanner {
    depth: usize,
    too_deep_at: Option<usize>,
    text_block_start: Option<usize>,
    open_string_at: Option<usize>,
    /// Whether the chunk so far holds anything but blanks and comments.
    has_content: bool,
}

impl Scanner {
    fn code(&mut self, at: usize, ch: char) {
        if !ch.is_whitespace() {
            self.has_content = true;
        }
        match ch {
            '(' | '{' | '[' => {
                self.depth += 1;
                if self.depth > MAX_NESTING && self.too_deep_at.is_none() {
                    self.too_deep_at = Some(at);
                }
            }
            ')' | '}' | ']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    /// Closes the chunk, reporting the first problem the scan saw in it.
    fn finish(&mut self, span: Span) -> Chunk {
        let problem = if let Some(start) = self.text_block_start.take() {
            Some(
                Diagnostic::new(
                    Code::UnterminatedText,
                    "this text block is never closed",
                    Span::new(start, start + 3),
                    "opened here",
                )
                .with_help("end the text block with `\"\"\"`")
                .in_chinese("这个文本块没有闭合", "从这里开始")
                .help_in_chinese("用 `\"\"\"` 结束文本块"),
            )
        } else if let Some(start) = self.open_string_at.take() {
            Some(
                Diagnostic::new(
                    Code::UnterminatedText,
                    "this string is not closed on its line",
                    Span::new(start, start + 1),
                    "opened here",
                )
                .with_help("close the string with `\"`, or use `\"\"\"` for text over several lines")
                .in_chinese("这个字符串在本行内没有闭合", "从这里开始")
                .help_in_chinese("用 `\"` 闭合字符串；跨行的文字请用 `\"\"\"`"),
            )
        } else {
            self.too_deep_at.take().map(|at| {
                Diagnostic::new(
                    Code::NestingTooDeep,
                    format!("brackets nest more than {MAX_NESTING} deep"),
                    Span::new(at, at + 1),
                    "this bracket is too deep",
                )
                .with_help("split the expression; no policy clause needs this much nesting")
                .in_chinese(format!("括号嵌套超过 {MAX_NESTING} 层"), "这个括号嵌套太深")
                .help_in_chinese("请拆分表达式；没有哪条政策需要这么深的嵌套")
            })
        };
        *self = Scanner::default();
        Chunk { span, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_keywords_only() {
        let source = "policy \"p\"\n  valid from 2024-01-01 for 1 year\narticle 1 \"a\"\n  text \"\"\"\narticle inside a text block\n\"\"\"\ninputs_are_not_a_keyword\nenum e: a\n";
        let starts: Vec<usize> = split(source).iter().map(|chunk| chunk.span.start).collect();
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn deep_nesting_is_a_problem() {
        let source = format!("article 1 \"a\" require {}x{}", "(".repeat(100), ")".repeat(100));
        let chunks = split(&source);
        assert!(chunks.iter().any(|chunk| chunk.problem.as_ref().is_some_and(|p| p.code == Code::NestingTooDeep)));
    }
}
