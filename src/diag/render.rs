//! Renders diagnostics for people (`human`), for tools (`json`) and for GitHub Actions
//! (`github`). All three read the same [`Diagnostic`] values.

use super::{Diagnostic, Severity};
use crate::lang::Lang;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

/// A policy file's name and text, attached to diagnostics when they are rendered.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where each line of a text starts, found once, so that each of many diagnostics finds
/// its line by binary search instead of rescanning the text from the start.
pub struct LineIndex {
    starts: Vec<usize>,
    /// Whether each line is ASCII, so its columns are byte offsets.
    ascii: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(line, &start)| {
                let end = starts.get(line + 1).copied().unwrap_or(text.len());
                text.get(start..end).is_some_and(str::is_ascii)
            })
            .collect();
        LineIndex { starts, ascii }
    }

    /// The 1-based line and column (in characters) of byte `offset` of `text`, the text
    /// this index was built from; offsets past the end land on the last character.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let line_start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = if self.ascii.get(line - 1).copied().unwrap_or(false) {
            offset - line_start + 1
        } else {
            text.get(line_start..offset).unwrap_or_default().chars().count() + 1
        };
        Position { line, column }
    }
}

/// The human rendering, with the source snippet under each message.
pub fn human(source: &Source<'_>, diagnostics: &[Diagnostic], color: bool, lang: Lang) -> String {
    let file = SimpleFile::new(source.name, source.text);
    let config = term::Config::default();
    let mut buffer = if color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    for diagnostic in diagnostics {
        // Rendering into memory cannot fail for a span inside the file; clamp to be sure.
        let _ = term::emit(&mut buffer, &config, &file, &to_codespan(source, diagnostic, lang));
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_codespan(source: &Source<'_>, diagnostic: &Diagnostic, lang: Lang) -> cs::Diagnostic<()> {
    let (message, label, help) = diagnostic.words(lang);
    let severity = match diagnostic.severity() {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let clamp = |span: crate::span::Span| {
        let end = span.end.min(source.text.len());
        span.start.min(end)..end
    };
    let mut labels = vec![cs::Label::primary((), clamp(diagnostic.primary.span)).with_message(label)];
    labels.extend(diagnostic.secondary.iter().enumerate().map(|(index, label)| {
        cs::Label::secondary((), clamp(label.span)).with_message(diagnostic.note_words(index, lang))
    }));
    let mut notes = Vec::new();
    if let Some(help) = help {
        notes.push(format!("{}{help}", lang.pick("help: ", "提示：")));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.id())
        .with_message(message)
        .with_labels(labels)
        .with_notes(notes)
}

/// One diagnostic as JSON: file, line, column, code, severity, message (and the end,
/// help and labels).
#[derive(serde::Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub code: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    pub label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
    /// The edits that fix it, where known: each replaces its span with `replacement`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<JsonFix<'a>>,
}

/// One fixing edit as JSON: the span it replaces (as the diagnostic's, 1-based lines and
/// character columns) and the text that goes there.
#[derive(serde::Serialize)]
pub struct JsonFix<'a> {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: &'a str,
}

/// One JSON object per diagnostic, one per line.
pub fn json(source: &Source<'_>, diagnostics: &[Diagnostic], lang: Lang) -> String {
    let mut out = String::new();
    for record in json_records(source, diagnostics, lang) {
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

/// Each diagnostic as the JSON object [`json`] writes a line of: what `polc serve`
/// answers `POST /check` with, and what `--error-format json` writes for a policy.
pub fn json_records(source: &Source<'_>, diagnostics: &[Diagnostic], lang: Lang) -> Vec<serde_json::Value> {
    let index = LineIndex::new(source.text);
    diagnostics
        .iter()
        .filter_map(|diagnostic| {
            let start = index.position(source.text, diagnostic.primary.span.start);
            let end = index.position(source.text, diagnostic.primary.span.end);
            let (message, label, help) = diagnostic.words(lang);
            let record = JsonDiagnostic {
                file: source.name,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                code: diagnostic.code.id(),
                severity: diagnostic.severity(),
                message: &message,
                label: &label,
                help: help.as_deref(),
                fixes: diagnostic
                    .fixes
                    .iter()
                    .map(|fix| {
                        let (start, end) =
                            (index.position(source.text, fix.span.start), index.position(source.text, fix.span.end));
                        JsonFix {
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            replacement: &fix.replacement,
                        }
                    })
                    .collect(),
            };
            serde_json::to_value(&record).ok()
        })
        .collect()
}

/// GitHub Actions workflow commands (`::error file=...::message`).
pub fn github(source: &Source<'_>, diagnostics: &[Diagnostic], lang: Lang) -> String {
    let index = LineIndex::new(source.text);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let start = index.position(source.text, diagnostic.primary.span.start);
        let end = index.position(source.text, diagnostic.primary.span.end);
        let level = match diagnostic.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (mut message, _, help) = diagnostic.words(lang);
        if let Some(help) = help {
            message.push_str(lang.pick("\nhelp: ", "\n提示："));
            message.push_str(&help);
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(source.name),
            start.line,
            start.column,
            end.line,
            end.column,
            diagnostic.code.id(),
            escape_data(&message)
        ));
    }
    out
}

// GitHub's workflow-command escaping: data escapes %, CR, LF; properties also : and ,.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_the_line_start() {
        let text = "ab\n成都x\n\nlast";
        let index = LineIndex::new(text);
        let at = |offset| index.position(text, offset);
        assert_eq!(at(0), Position { line: 1, column: 1 });
        assert_eq!(at(2), Position { line: 1, column: 3 });
        assert_eq!(at(3), Position { line: 2, column: 1 });
        assert_eq!(at(9), Position { line: 2, column: 3 });
        assert_eq!(at(4), Position { line: 2, column: 1 }, "inside a character: its start");
        assert_eq!(at(11), Position { line: 3, column: 1 });
        assert_eq!(at(12), Position { line: 4, column: 1 });
        assert_eq!(at(999), Position { line: 4, column: 5 });
    }
}
