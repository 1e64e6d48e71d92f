//! The language server (`polc lsp`): the Language Server Protocol over a connection the
//! caller opens (standard input and output for an editor), answering from [`ide`].
//!
//! Documents are synchronised whole on each change; each change is analysed at once and
//! its diagnostics published (the same codes, spans and help as `polc check`). Positions
//! are UTF-16 code units, as the protocol's default encoding counts them.

use crate::diag::{Diagnostic, Severity};
use crate::ide::{Analysis, CompletionKind, OutlineItem, OutlineKind};
use crate::lang::Lang;
use crate::span::Span;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use std::collections::HashMap;

/// A failure of the connection itself: the editor went away or broke the protocol.
pub type ProtocolError = Box<dyn std::error::Error + Send + Sync>;

/// Runs the server on `connection` until the client shuts it down.
pub fn serve(connection: &Connection) -> Result<(), ProtocolError> {
    let (id, params) = connection.initialize_start()?;
    // The editor's display language, when it says one (`zh-cn`): diagnostics speak it.
    let lang = params.get("locale").and_then(serde_json::Value::as_str).and_then(Lang::parse).unwrap_or_default();
    let initialize = lsp::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(lsp::ServerInfo {
            name: "polc".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    connection.initialize_finish(id, serde_json::to_value(initialize)?)?;
    let mut server = Server { documents: HashMap::new(), lang };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let response = server.answer(request);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(notification) => {
                for published in server.notice(notification) {
                    connection.sender.send(Message::Notification(published))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(lsp::TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some([" ", "{", ","].map(String::from).to_vec()),
            ..lsp::CompletionOptions::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        ..lsp::ServerCapabilities::default()
    }
}

/// An open document: its analysis and where its lines start.
struct Document {
    analysis: Analysis,
    lines: Lines,
    /// The last analysis of the document in which every item parsed, while the current
    /// one has an item half written: completion still offers the names it declared.
    whole: Option<Analysis>,
    /// The language its diagnostics are worded in.
    lang: Lang,
}

impl Document {
    fn new(text: &str, before: Option<Document>, lang: Lang) -> Document {
        let analysis = Analysis::in_lang(text, lang);
        let whole = match before {
            _ if !analysis.is_broken() => None,
            Some(before) if !before.analysis.is_broken() => Some(before.analysis),
            Some(before) => before.whole,
            None => None,
        };
        Document { analysis, lines: Lines::new(text), whole, lang }
    }

    fn offset(&self, position: lsp::Position) -> usize {
        self.lines.offset(self.analysis.text(), position)
    }

    fn range(&self, span: Span) -> lsp::Range {
        let text = self.analysis.text();
        lsp::Range { start: self.lines.position(text, span.start), end: self.lines.position(text, span.end) }
    }
}

struct Server {
    /// The open documents by URI.
    documents: HashMap<String, Document>,
    lang: Lang,
}

impl Server {
    fn notice(&mut self, notification: Notification) -> Vec<Notification> {
        let (uri, text) = match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                match notification.extract::<lsp::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD) {
                    Ok(params) => (params.text_document.uri, Some(params.text_document.text)),
                    Err(_) => return Vec::new(),
                }
            }
            DidChangeTextDocument::METHOD => {
                match notification.extract::<lsp::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD) {
                    // Whole-document sync: the last change is the whole text.
                    Ok(params) => {
                        (params.text_document.uri, params.content_changes.into_iter().last().map(|change| change.text))
                    }
                    Err(_) => return Vec::new(),
                }
            }
            DidCloseTextDocument::METHOD => {
                match notification.extract::<lsp::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD) {
                    Ok(params) => (params.text_document.uri, None),
                    Err(_) => return Vec::new(),
                }
            }
            _ => return Vec::new(),
        };
        let diagnostics = match text {
            Some(text) => {
                let document = Document::new(&text, self.documents.remove(uri.as_str()), self.lang);
                let diagnostics =
                    document.analysis.diagnostics.iter().map(|diagnostic| to_lsp(&document, diagnostic)).collect();
                self.documents.insert(uri.as_str().to_string(), document);
                diagnostics
            }
            // A closed document's diagnostics are cleared.
            None => {
                self.documents.remove(uri.as_str());
                Vec::new()
            }
        };
        let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version: None };
        vec![Notification::new(PublishDiagnostics::METHOD.to_string(), params)]
    }

    fn answer(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => self.handle::<HoverRequest>(request, hover),
            GotoDefinition::METHOD => self.handle::<GotoDefinition>(request, definition),
            References::METHOD => self.handle::<References>(request, references),
            Completion::METHOD => self.handle::<Completion>(request, completion),
            DocumentSymbolRequest::METHOD => self.handle::<DocumentSymbolRequest>(request, document_symbols),
            Formatting::METHOD => self.handle::<Formatting>(request, formatting),
            CodeActionRequest::METHOD => self.handle::<CodeActionRequest>(request, code_actions),
            method => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("polc does not answer `{method}`"),
                )
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(message) => Response::new_err(id, ErrorCode::InvalidParams as i32, message),
        }
    }

    /// Reads a request's parameters, finds its document and answers with `respond`; a
    /// document that is not open has no answer (`null`).
    fn handle<R: lsp::request::Request>(
        &self,
        request: Request,
        respond: fn(&Document, &lsp::Uri, R::Params) -> R::Result,
    ) -> Result<serde_json::Value, String>
    where
        R::Params: HasDocument,
    {
        let params: R::Params = serde_json::from_value(request.params).map_err(|error| error.to_string())?;
        let uri = params.document().clone();
        match self.documents.get(uri.as_str()) {
            Some(document) => serde_json::to_value(respond(document, &uri, params)).map_err(|error| error.to_string()),
            None => Ok(serde_json::Value::Null),
        }
    }
}

/// The document a request is about.
trait HasDocument {
    fn document(&self) -> &lsp::Uri;
}

impl HasDocument for lsp::HoverParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document_position_params.text_document.uri
    }
}

impl HasDocument for lsp::GotoDefinitionParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document_position_params.text_document.uri
    }
}

impl HasDocument for lsp::ReferenceParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document_position.text_document.uri
    }
}

impl HasDocument for lsp::CompletionParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document_position.text_document.uri
    }
}

impl HasDocument for lsp::DocumentSymbolParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document.uri
    }
}

impl HasDocument for lsp::DocumentFormattingParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document.uri
    }
}

impl HasDocument for lsp::CodeActionParams {
    fn document(&self) -> &lsp::Uri {
        &self.text_document.uri
    }
}

fn hover(document: &Document, _: &lsp::Uri, params: lsp::HoverParams) -> Option<lsp::Hover> {
    let offset = document.offset(params.text_document_position_params.position);
    let (span, markdown) = document.analysis.hover(offset)?;
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: markdown }),
        range: Some(document.range(span)),
    })
}

fn definition(
    document: &Document,
    uri: &lsp::Uri,
    params: lsp::GotoDefinitionParams,
) -> Option<lsp::GotoDefinitionResponse> {
    let offset = document.offset(params.text_document_position_params.position);
    let span = document.analysis.definition(offset)?;
    Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location { uri: uri.clone(), range: document.range(span) }))
}

fn references(document: &Document, uri: &lsp::Uri, params: lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
    let offset = document.offset(params.text_document_position.position);
    let spans = document.analysis.references(offset, params.context.include_declaration);
    Some(spans.into_iter().map(|span| lsp::Location { uri: uri.clone(), range: document.range(span) }).collect())
}

fn completion(document: &Document, _: &lsp::Uri, params: lsp::CompletionParams) -> Option<lsp::CompletionResponse> {
    let offset = document.offset(params.text_document_position.position);
    let completions = match &document.whole {
        Some(whole) => document.analysis.completions_with(whole, offset),
        None => document.analysis.completions(offset),
    };
    let items = completions
        .into_iter()
        .map(|completion| lsp::CompletionItem {
            kind: Some(match completion.kind {
                CompletionKind::Input => lsp::CompletionItemKind::VARIABLE,
                CompletionKind::Value => lsp::CompletionItemKind::CONSTANT,
                CompletionKind::EnumValue => lsp::CompletionItemKind::ENUM_MEMBER,
                CompletionKind::Clause => lsp::CompletionItemKind::REFERENCE,
                CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
            }),
            detail: Some(completion.detail),
            label: completion.label,
            ..lsp::CompletionItem::default()
        })
        .collect();
    Some(lsp::CompletionResponse::Array(items))
}

fn document_symbols(
    document: &Document,
    _: &lsp::Uri,
    _: lsp::DocumentSymbolParams,
) -> Option<lsp::DocumentSymbolResponse> {
    // INVARIANT: the outline nests chapters, sections, articles and clauses: a few levels.
    fn symbol(document: &Document, item: &OutlineItem) -> lsp::DocumentSymbol {
        #[expect(deprecated, reason = "the protocol's struct still has the deprecated field, which must be given")]
        lsp::DocumentSymbol {
            name: item.name.clone(),
            detail: None,
            kind: match item.kind {
                OutlineKind::Chapter | OutlineKind::Section => lsp::SymbolKind::NAMESPACE,
                OutlineKind::Article => lsp::SymbolKind::MODULE,
                OutlineKind::Clause => lsp::SymbolKind::FUNCTION,
            },
            tags: None,
            deprecated: None,
            range: document.range(item.span),
            selection_range: document.range(item.heading),
            children: Some(item.children.iter().map(|child| symbol(document, child)).collect()),
        }
    }
    Some(lsp::DocumentSymbolResponse::Nested(
        document.analysis.outline().iter().map(|item| symbol(document, item)).collect(),
    ))
}

fn formatting(document: &Document, _: &lsp::Uri, _: lsp::DocumentFormattingParams) -> Option<Vec<lsp::TextEdit>> {
    let formatted = document.analysis.formatted()?;
    if formatted == document.analysis.text() {
        return Some(Vec::new());
    }
    let whole = Span::new(0, document.analysis.text().len());
    Some(vec![lsp::TextEdit { range: document.range(whole), new_text: formatted }])
}

fn code_actions(document: &Document, uri: &lsp::Uri, params: lsp::CodeActionParams) -> Option<lsp::CodeActionResponse> {
    let (start, end) = (document.offset(params.range.start), document.offset(params.range.end));
    let mut actions = Vec::new();
    for diagnostic in &document.analysis.diagnostics {
        let span = diagnostic.primary.span;
        if span.end < start || span.start > end {
            continue;
        }
        for (index, fix) in diagnostic.fixes.iter().enumerate() {
            let edit = lsp::TextEdit { range: document.range(fix.span), new_text: fix.replacement.clone() };
            let (insert, replace) =
                (document.lang.pick("insert", "插入"), document.lang.pick("replace with", "替换为"));
            let title = if fix.span.start == fix.span.end {
                format!("{insert} `{}`", fix.replacement)
            } else {
                format!("{replace} `{}`", fix.replacement)
            };
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(document, diagnostic)]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..lsp::WorkspaceEdit::default()
                }),
                is_preferred: Some(index == 0),
                ..lsp::CodeAction::default()
            }));
        }
    }
    Some(actions)
}

/// A diagnostic as the protocol carries it: the message with its help beneath, the
/// code, and the other labels as related information.
fn to_lsp(document: &Document, diagnostic: &Diagnostic) -> lsp::Diagnostic {
    let lang = document.lang;
    let (mut message, _, help) = diagnostic.words(lang);
    if let Some(help) = help {
        message.push_str(lang.pick("\nhelp: ", "\n提示："));
        message.push_str(&help);
    }
    lsp::Diagnostic {
        range: document.range(diagnostic.primary.span),
        severity: Some(match diagnostic.severity() {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(diagnostic.code.id().to_string())),
        source: Some("polc".to_string()),
        message,
        ..lsp::Diagnostic::default()
    }
}

/// Where a text's lines start, to turn byte offsets into protocol positions (a line and
/// a count of UTF-16 code units) and back.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Lines { starts }
    }

    fn position(&self, text: &str, offset: usize) -> lsp::Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = text.get(start..offset).map_or(0, |prefix| prefix.encode_utf16().count());
        lsp::Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(character).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset of a position; a position past its line's end is the line's end.
    fn offset(&self, text: &str, position: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else { return text.len() };
        let end = self.starts.get(position.line as usize + 1).map_or(text.len(), |next| next - 1);
        let mut units = 0;
        for (at, ch) in text.get(start..end).unwrap_or_default().char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += ch.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;
    use lsp_types::Position;

    #[test]
    fn positions_count_utf16_units_and_offsets_come_back() {
        let text = "input a: money \"金额\"\n  𝄞x\n";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        // The clef is one character, two UTF-16 units and four bytes.
        assert_eq!(lines.position(text, x), Position { line: 1, character: 4 });
        assert_eq!(lines.offset(text, Position { line: 1, character: 4 }), x);
        let label = text.find('金').unwrap();
        assert_eq!(lines.position(text, label), Position { line: 0, character: 16 });
        assert_eq!(lines.offset(text, Position { line: 0, character: 99 }), text.find('\n').unwrap());
    }
}
