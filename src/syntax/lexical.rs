//! The one lexical walk over policy text that knows where strings, text blocks and
//! comments are, without parsing. The chunker uses it to split items and bound nesting;
//! the formatter uses it to find the comments the parser skips.

/// What the walk meets, in source order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lexeme<'s> {
    /// A line starts at `at`; `in_text_block` when it starts inside a `"""` block.
    LineStart { at: usize, text: &'s str, in_text_block: bool },
    /// A character of code: outside strings, text blocks and comments.
    Code { at: usize, ch: char },
    /// A `"` string opens at `at`.
    StringOpen { at: usize },
    /// A `"""` text block opens (or closes) at `at`.
    TextBlock { at: usize, opens: bool },
    /// A `#` comment, to the end of its line (without the line break); `trailing` when
    /// code, a string or a text block stands before it on its line.
    Comment { at: usize, text: &'s str, trailing: bool },
    /// A line ends; `open_string` is where a string on it opened and never closed.
    LineEnd { open_string: Option<usize> },
}

/// Walks `source`, calling `visit` with each [`Lexeme`].
pub(crate) fn walk<'s>(source: &'s str, mut visit: impl FnMut(Lexeme<'s>)) {
    let mut in_text_block = false;
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        visit(Lexeme::LineStart { at: line_start, text: line, in_text_block });
        let mut open_string: Option<usize> = None;
        let mut code_before = false;
        let mut chars = line.char_indices();
        while let Some((index, ch)) = chars.next() {
            let at = line_start + index;
            let rest = line.get(index..).unwrap_or_default();
            if in_text_block {
                if rest.starts_with("\"\"\"") {
                    in_text_block = false;
                    code_before = true;
                    visit(Lexeme::TextBlock { at, opens: false });
                    chars.nth(1);
                }
                continue;
            }
            if open_string.is_some() {
                match ch {
                    '\\' => {
                        chars.next();
                    }
                    '"' => open_string = None,
                    _ => {}
                }
                continue;
            }
            match ch {
                '#' => {
                    let text = rest.trim_end_matches(['\n', '\r']).trim_end();
                    visit(Lexeme::Comment { at, text, trailing: code_before });
                    break;
                }
                '"' if rest.starts_with("\"\"\"") => {
                    in_text_block = true;
                    code_before = true;
                    visit(Lexeme::TextBlock { at, opens: true });
                    chars.nth(1);
                }
                '"' => {
                    open_string = Some(at);
                    code_before = true;
                    visit(Lexeme::StringOpen { at });
                }
                _ => {
                    code_before |= !ch.is_whitespace();
                    visit(Lexeme::Code { at, ch });
                }
            }
        }
        visit(Lexeme::LineEnd { open_string });
        line_start += line.len();
    }
}
