//! Finding every syntax error of an item, not only the first: pest stops at its first
//! error, so after each one the broken part (from the part keyword before the error to the
//! one after it) is blanked out, offsets kept, and the item is parsed again.
//!
//! Parts are what an analyst writes one at a time: `when`, `award`, `to`, `once`,
//! `subject to review` in a clause; `clause`, `require`, `class`, `cap`, `text`,
//! `responsible` in an article. Blanking a whole part keeps the errors that follow from
//! being echoes of the first.

use super::lexical::{walk, Lexeme};

/// The most errors reported for one item: past this, the rest are likely echoes.
pub const MAX_ERRORS_PER_ITEM: usize = 20;

const CLAUSE_PART_KEYWORDS: &[&str] = &["when", "award", "to", "once", "subject"];
// `text` starts an article part too, but it is not reserved (an input may be called
// `text`), so it counts only when a string follows it.
const ARTICLE_PART_KEYWORDS: &[&str] = &["clause", "require", "class", "cap", "responsible"];

/// Where the part keywords of an item are, outside strings, text blocks and comments, and
/// whether each starts an article part (a clause, a gate, ...) or a part of a clause.
pub struct PartStarts {
    starts: Vec<(usize, bool)>,
}

impl PartStarts {
    pub fn find(text: &str) -> Self {
        let mut words: Vec<(usize, String)> = Vec::new();
        let mut current: Option<(usize, String)> = None;
        let mut flush = |current: &mut Option<(usize, String)>| {
            if let Some(word) = current.take() {
                words.push(word);
            }
        };
        walk(text, |lexeme| match lexeme {
            Lexeme::Code { at, ch } if ch.is_alphanumeric() || ch == '_' => match &mut current {
                Some((_, word)) => word.push(ch),
                None => current = Some((at, ch.to_string())),
            },
            _ => flush(&mut current),
        });
        flush(&mut current);
        let mut starts = Vec::new();
        let mut previous: Option<&str> = None;
        for (at, word) in &words {
            let at = *at;
            // `to` inside `up to` and `subject to review` does not start a part.
            let inside = word == "to" && matches!(previous, Some("up" | "subject"));
            let text_part =
                word == "text" && text.get(at + word.len()..).is_some_and(|rest| rest.trim_start().starts_with('"'));
            if ARTICLE_PART_KEYWORDS.contains(&word.as_str()) || text_part {
                starts.push((at, true));
            } else if CLAUSE_PART_KEYWORDS.contains(&word.as_str()) && !inside {
                starts.push((at, false));
            }
            previous = Some(word.as_str());
        }
        PartStarts { starts }
    }

    /// Where each article part (a clause, a gate, a class, a cap) starts: an article's
    /// parts are checked one by one, so a long article costs linear time.
    pub fn article_parts(&self) -> impl Iterator<Item = usize> + '_ {
        self.starts.iter().filter(|(_, is_article_part)| *is_article_part).map(|(start, _)| *start)
    }

    /// The byte range of the part that holds an error at `at`: from the last part keyword
    /// before it to the next keyword of the same level at or after it (or the end): a
    /// broken clause heading takes its whole clause, so its parts are not left orphaned.
    /// `None` when the error is in the item's heading, before any part.
    pub fn broken_part(&self, at: usize, len: usize) -> Option<(usize, usize)> {
        let &(start, article_level) = self.starts.iter().rev().find(|(start, _)| *start < at)?;
        let end = self
            .starts
            .iter()
            .find(|(start, is_article_part)| *start >= at && (*is_article_part || !article_level))
            .map_or(len, |(start, _)| *start);
        Some((start, end))
    }
}

/// `text` with `start..end` replaced by spaces (line breaks kept), so every other byte
/// keeps its offset.
pub fn blank_out(text: &str, start: usize, end: usize) -> String {
    let mut blanked = String::with_capacity(text.len());
    for (index, ch) in text.char_indices() {
        if (start..end).contains(&index) && ch != '\n' {
            blanked.extend(std::iter::repeat_n(' ', ch.len_utf8()));
        } else {
            blanked.push(ch);
        }
    }
    blanked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_start_at_keywords_outside_strings() {
        let text = "article 1 \"to clause\"\n  clause 1.1 award up to 5万 to a subject to review # to\n  text \"t\"\n  clause 1.2 award 10% of text to a\n";
        let parts = PartStarts::find(text);
        let words: Vec<&str> = parts.starts.iter().map(|&(at, _)| &text[at..at + 4]).collect();
        assert_eq!(words, ["clau", "awar", "to a", "subj", "text", "clau", "awar", "to a"]);
    }

    #[test]
    fn blanking_keeps_offsets() {
        assert_eq!(blank_out("ab成\ncd", 1, 7), "a    \n d");
        assert_eq!(blank_out("ab成\ncd", 1, 7).len(), "ab成\ncd".len());
    }
}
