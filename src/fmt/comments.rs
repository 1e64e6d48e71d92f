//! Finds the comments of a policy file, which the parser skips, so the formatter can put
//! each one back.

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
    let mut in_block = false;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let mut in_string = false;
        let mut code_before = false;
        let mut chars = line.char_indices();
        while let Some((index, ch)) = chars.next() {
            let rest = line.get(index..).unwrap_or_default();
            if in_block {
                if rest.starts_with("\"\"\"") {
                    in_block = false;
                    chars.nth(1);
                }
                code_before = true;
                continue;
            }
            if in_string {
                match ch {
                    '\\' => {
                        chars.next();
                    }
                    '"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match ch {
                '#' => {
                    comments.push(Comment {
                        start: offset + index,
                        text: rest.trim_end_matches(['\n', '\r']).trim_end().to_string(),
                        trailing: code_before,
                    });
                    break;
                }
                '"' if rest.starts_with("\"\"\"") => {
                    in_block = true;
                    code_before = true;
                    chars.nth(1);
                }
                '"' => {
                    in_string = true;
                    code_before = true;
                }
                ch if !ch.is_whitespace() => code_before = true,
                _ => {}
            }
        }
        offset += line.len();
    }
    comments
}
