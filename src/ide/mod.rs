//! What an editor asks of one policy text: its diagnostics, where each name is declared
//! and used, what a name or literal means, what may be written at a place, its outline.
//!
//! Input: a policy's text. Output: an [`crate::ide::Analysis`] that answers by byte offset. It is
//! built from the parsed tree, which holds every item that parsed, so the names of the
//! rest of a file still resolve while one article is broken; its diagnostics are
//! `polc check`'s. Names resolve as the checker resolves them: an identifier in an
//! expression is an input or a named value, a value after `is` or in a table belongs to
//! the enum of the input it tests, a clause id in a cap, class or `after` is a clause.

/// What may be written at a place.
mod complete;

pub use complete::{Completion, CompletionKind};

use crate::diag::Diagnostic;
use crate::lang::Lang;
use crate::span::Span;
use crate::syntax::ast::{self, ArticlePart, ClausePart, Expr, ExprKind, Item};
use std::collections::HashMap;

/// One policy text, analysed.
pub struct Analysis {
    text: String,
    /// `polc check`'s diagnostics of the text.
    pub diagnostics: Vec<Diagnostic>,
    symbols: Vec<Symbol>,
    references: Vec<Reference>,
    outline: Vec<OutlineItem>,
    /// Money literals and their values, for hover.
    money: Vec<(Span, rust_decimal::Decimal)>,
    /// Whether some item did not parse (its names are missing).
    broken: bool,
}

/// Something a policy declares and names.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    /// Where its name is written in its declaration.
    pub span: Span,
    /// Its label or type, in a word or two (for completion lists).
    pub detail: String,
    /// What it is, in Markdown (for hover).
    pub doc: String,
    /// For an input of an enum type, and for an enum value: the enum's symbol.
    enum_symbol: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Input,
    /// A named value (`value NAME = …`).
    Value,
    Enum,
    EnumValue,
    Clause,
    Class,
}

/// A use of a symbol.
#[derive(Clone, Copy, Debug)]
struct Reference {
    span: Span,
    symbol: usize,
}

/// An entry of the outline: a chapter, section, article or clause, with what it holds.
#[derive(Clone, Debug)]
pub struct OutlineItem {
    pub kind: OutlineKind,
    /// `第一章 …`, `Article 4 …`, `1.1 …`.
    pub name: String,
    /// The whole item, children included.
    pub span: Span,
    /// Its heading: what an editor selects.
    pub heading: Span,
    pub children: Vec<OutlineItem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutlineKind {
    Chapter,
    Section,
    Article,
    Clause,
}

impl Analysis {
    /// Parses and checks `text` and indexes its names, with hover words in English.
    pub fn new(text: &str) -> Analysis {
        Analysis::in_lang(text, Lang::En)
    }

    /// [`Analysis::new`], with the words of hovers and the outline in `lang` (a policy's
    /// own names and labels are as it writes them).
    pub fn in_lang(text: &str, lang: Lang) -> Analysis {
        // As `check_source`: syntax errors stop before the checker, whose reports would
        // be their echoes; the tree still holds every item that parsed.
        let (file, syntax) = crate::syntax::parse(text);
        let broken = !syntax.is_empty();
        let diagnostics = if broken { syntax } else { crate::check::check(&file).1 };
        let mut index = Indexer { text, lang, analysis: Analysis::empty(text), by_kind: HashMap::new() };
        index.analysis.diagnostics = diagnostics;
        index.analysis.broken = broken;
        index.declare(&file);
        index.resolve(&file);
        index.analysis.outline = outline(&file, lang);
        index.analysis
    }

    fn empty(text: &str) -> Analysis {
        Analysis {
            text: text.to_string(),
            diagnostics: Vec::new(),
            symbols: Vec::new(),
            references: Vec::new(),
            outline: Vec::new(),
            money: Vec::new(),
            broken: false,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The chapters, sections, articles and clauses, nested as the policy nests them.
    pub fn outline(&self) -> &[OutlineItem] {
        &self.outline
    }

    /// The symbol named at `offset`: by a use of it, or by its declaration.
    pub fn symbol_at(&self, offset: usize) -> Option<usize> {
        let within = |span: Span| span.start <= offset && offset <= span.end;
        self.references
            .iter()
            .find(|reference| within(reference.span))
            .map(|reference| reference.symbol)
            .or_else(|| self.symbols.iter().position(|symbol| within(symbol.span)))
    }

    /// Where the symbol named at `offset` is declared.
    pub fn definition(&self, offset: usize) -> Option<Span> {
        self.symbols.get(self.symbol_at(offset)?).map(|symbol| symbol.span)
    }

    /// Every use of the symbol named at `offset`, in source order, and its declaration
    /// first when asked.
    pub fn references(&self, offset: usize, with_declaration: bool) -> Vec<Span> {
        let Some(symbol) = self.symbol_at(offset) else { return Vec::new() };
        let declaration = self.symbols.get(symbol).filter(|_| with_declaration).map(|symbol| symbol.span);
        declaration
            .into_iter()
            .chain(
                self.references.iter().filter(|reference| reference.symbol == symbol).map(|reference| reference.span),
            )
            .collect()
    }

    /// What is at `offset`, in Markdown, and the span it is about: a name's declaration
    /// and meaning, or a money literal's value in yuan.
    pub fn hover(&self, offset: usize) -> Option<(Span, String)> {
        let within = |span: Span| span.start <= offset && offset <= span.end;
        if let Some(symbol) = self.symbol_at(offset) {
            let span = self
                .references
                .iter()
                .find(|reference| within(reference.span))
                .map_or_else(|| self.symbols.get(symbol).map(|symbol| symbol.span), |reference| Some(reference.span))?;
            return Some((span, self.symbols.get(symbol)?.doc.clone()));
        }
        let (span, amount) = self.money.iter().find(|(span, _)| within(*span))?;
        let written = self.text.get(span.start..span.end).unwrap_or_default();
        Some((*span, format!("`{written}` = {} 元", crate::render::show::money_text(*amount))))
    }

    /// Whether some item of the text did not parse, so that its names are missing here.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// What may be written at `offset`.
    pub fn completions(&self, offset: usize) -> Vec<Completion> {
        complete::completions(self, self, offset)
    }

    /// What may be written at `offset`, with the names `earlier` declares too: while an
    /// item is half written it does not parse, and the names it declared a moment ago
    /// (an article's clauses) are still what the analyst means.
    pub fn completions_with(&self, earlier: &Analysis, offset: usize) -> Vec<Completion> {
        let mut found = complete::completions(self, self, offset);
        for completion in complete::completions(self, earlier, offset) {
            if !found.contains(&completion) {
                found.push(completion);
            }
        }
        found
    }

    /// The text in polc's canonical layout (`polc fmt`); `None` while it has syntax errors.
    pub fn formatted(&self) -> Option<String> {
        crate::fmt::format(&self.text).ok()
    }

    fn symbols_of(&self, kind: SymbolKind) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |symbol| symbol.kind == kind)
    }

    /// The values of the enum an input (or value) named `name` holds.
    fn enum_values_of(&self, name: &str) -> Vec<&Symbol> {
        let holder = self
            .symbols
            .iter()
            .find(|symbol| matches!(symbol.kind, SymbolKind::Input | SymbolKind::Value) && symbol.name == name);
        let Some(enum_symbol) = holder.and_then(|holder| holder.enum_symbol) else { return Vec::new() };
        self.symbols
            .iter()
            .filter(|symbol| symbol.kind == SymbolKind::EnumValue && symbol.enum_symbol == Some(enum_symbol))
            .collect()
    }
}

/// Builds an [`Analysis`] in two walks of the tree: declarations first, so that a use
/// before its declaration resolves too.
struct Indexer<'t> {
    text: &'t str,
    /// The language of the words around the policy's own.
    lang: Lang,
    analysis: Analysis,
    /// Symbols by kind and name; enum values by their enum's symbol and name.
    by_kind: HashMap<(SymbolKind, Option<usize>, String), usize>,
}

impl Indexer<'_> {
    fn source(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    fn add(
        &mut self,
        kind: SymbolKind,
        name: &ast::Name,
        detail: String,
        doc: String,
        enum_symbol: Option<usize>,
    ) -> usize {
        let index = self.analysis.symbols.len();
        self.analysis.symbols.push(Symbol { kind, name: name.text.clone(), span: name.span, detail, doc, enum_symbol });
        let owner = if kind == SymbolKind::EnumValue { enum_symbol } else { None };
        self.by_kind.entry((kind, owner, name.text.clone())).or_insert(index);
        index
    }

    fn find(&self, kind: SymbolKind, owner: Option<usize>, name: &str) -> Option<usize> {
        self.by_kind.get(&(kind, owner, name.to_string())).copied()
    }

    fn refer(&mut self, span: Span, symbol: Option<usize>) {
        if let Some(symbol) = symbol {
            self.analysis.references.push(Reference { span, symbol });
        }
    }

    fn declare(&mut self, file: &ast::File) {
        // Enums first: an input's type names one.
        for item in &file.items {
            if let Item::Enum(decl) = item {
                let label = decl.label.as_ref().map_or("", |label| label.value.as_str());
                let values: Vec<String> = decl
                    .values
                    .iter()
                    .map(|value| {
                        format!(
                            "- `{}` {}",
                            value.name.text,
                            value.label.as_ref().map_or("", |label| label.value.as_str())
                        )
                    })
                    .collect();
                let doc = format!("```polc\nenum {}\n```\n{label}\n\n{}", decl.name.text, values.join("\n"));
                let owner = self.add(SymbolKind::Enum, &decl.name, label.to_string(), doc, None);
                for value in &decl.values {
                    let value_label = value.label.as_ref().map_or("", |label| label.value.as_str());
                    let owner_label = if label.is_empty() { String::new() } else { format!(" ({label})") };
                    let what = self.lang.choose(
                        format!("a value of enum `{}`{owner_label}", decl.name.text),
                        format!("枚举 `{}`{owner_label} 的取值", decl.name.text),
                    );
                    let doc = format!("```polc\n{}\n```\n{value_label}\n\n{what}", value.name.text);
                    self.add(SymbolKind::EnumValue, &value.name, value_label.to_string(), doc, Some(owner));
                }
            }
        }
        for item in &file.items {
            match item {
                Item::Input(decl) => {
                    let enum_symbol = self.find(SymbolKind::Enum, None, &decl.ty.text);
                    let description = decl.description.as_ref().map_or("", |text| text.value.as_str());
                    let mut doc = format!(
                        "```polc\ninput {}: {}{}\n```\n{description}",
                        decl.name.text,
                        decl.ty.text,
                        if decl.required { " required" } else { "" }
                    );
                    if let Some(default) = &decl.default {
                        let when_missing = self.lang.pick("when missing", "缺少时取");
                        doc.push_str(&format!("\n\n{when_missing}: `{}`", self.source(default.span)));
                    }
                    let detail = if description.is_empty() {
                        decl.ty.text.clone()
                    } else {
                        format!("{} {description}", decl.ty.text)
                    };
                    self.add(SymbolKind::Input, &decl.name, detail, doc, enum_symbol);
                }
                Item::Value(decl) => {
                    let label = decl.label.as_ref().map_or("", |label| label.value.as_str());
                    let doc =
                        format!("```polc\nvalue {} = {}\n```\n{label}", decl.name.text, self.source(decl.expr.span));
                    self.add(SymbolKind::Value, &decl.name, label.to_string(), doc, None);
                }
                Item::Article(article) => {
                    let article_heading = article_heading(article, self.lang);
                    let article_text = article
                        .parts
                        .iter()
                        .find_map(|part| match part {
                            ArticlePart::Original(text) => Some(text.value.trim().to_string()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    for part in &article.parts {
                        match part {
                            ArticlePart::Clause(clause) => {
                                let title = clause.title.as_ref().map_or("", |title| title.value.as_str());
                                let quoted: Vec<String> =
                                    article_text.lines().map(|line| format!("> {}", line.trim())).collect();
                                let doc = format!(
                                    "**{} {} {title}**\n\n{article_heading}\n\n{}",
                                    self.lang.pick("clause", "条款"),
                                    clause.id.text,
                                    quoted.join("\n")
                                );
                                let name = ast::Name { text: clause.id.text.clone(), span: clause.id.span };
                                self.add(SymbolKind::Clause, &name, title.to_string(), doc, None);
                            }
                            ArticlePart::Class(class) => {
                                let label = class.label.as_ref().map_or("", |label| label.value.as_str());
                                let doc = format!(
                                    "```polc\n{}\n```\n{label}\n\n{article_heading}",
                                    self.source(class.span).trim()
                                );
                                self.add(SymbolKind::Class, &class.name, label.to_string(), doc, None);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn resolve(&mut self, file: &ast::File) {
        for item in &file.items {
            match item {
                Item::Policy(header) => {
                    if let Some((id, date)) = &header.cases {
                        self.input(id);
                        self.input(date);
                    }
                }
                Item::Input(decl) => {
                    let enum_symbol = self.find(SymbolKind::Enum, None, &decl.ty.text);
                    self.refer(decl.ty.span, enum_symbol);
                    if let Some(default) = &decl.default {
                        self.expr(default);
                        if let ExprKind::Name(name) = &default.kind {
                            let value =
                                enum_symbol.and_then(|owner| self.find(SymbolKind::EnumValue, Some(owner), &name.text));
                            self.refer(name.span, value);
                        }
                    }
                }
                Item::Value(decl) => self.expr(&decl.expr),
                Item::Article(article) => {
                    for part in &article.parts {
                        self.article_part(part);
                    }
                }
                Item::Enum(_) | Item::Chapter(_) | Item::Section(_) => {}
            }
        }
    }

    fn article_part(&mut self, part: &ArticlePart) {
        match part {
            ArticlePart::Gate(condition) => self.expr(condition),
            ArticlePart::Clause(clause) => {
                for part in &clause.parts {
                    self.clause_part(part);
                }
            }
            ArticlePart::Class(class) => {
                self.clauses(&class.clauses);
                self.keys(&class.per);
            }
            ArticlePart::Cap(cap) => {
                self.expr(&cap.amount);
                if let Some((amount, condition)) = &cap.relaxed {
                    self.expr(amount);
                    self.expr(condition);
                }
                self.keys(&cap.per);
                self.clauses(&cap.clauses);
            }
            ArticlePart::Responsible(_) | ArticlePart::Original(_) => {}
        }
    }

    fn clause_part(&mut self, part: &ClausePart) {
        match part {
            ClausePart::When(condition) => self.expr(condition),
            ClausePart::Award(award, _) => match award {
                ast::Award::Grant { amount, cap } => {
                    self.expr(amount);
                    cap.iter().for_each(|cap| self.expr(cap));
                }
                ast::Award::UpTo(max) => self.expr(max),
                ast::Award::Open { base, maximum, .. } => {
                    base.iter().chain(maximum).for_each(|expr| self.expr(expr));
                }
                ast::Award::Benefit(_) => {}
                ast::Award::Range { low, high, cap } => {
                    [Some(low), Some(high), cap.as_ref()].into_iter().flatten().for_each(|expr| self.expr(expr));
                }
            },
            ClausePart::To(recipients, _) => {
                for recipient in recipients {
                    self.input(&recipient.input);
                }
            }
            ClausePart::Once(keys, _) => self.keys(keys),
            ClausePart::Years(limit, _) => self.keys(&limit.keys),
            ClausePart::History(history, _) => {
                if let ast::HistorySubject::Clause(clause) = &history.subject {
                    self.clauses(std::slice::from_ref(clause));
                }
                self.keys(&history.keys);
            }
            ClausePart::Instalments(instalments, _) => {
                instalments.shares.iter().for_each(|share| self.expr(share));
                self.input(&instalments.milestones);
                if let Some(condition) = &instalments.all_at_once {
                    self.expr(condition);
                }
                self.keys(&instalments.keys);
            }
            ClausePart::Review(granted, _) => {
                if let Some(input) = granted {
                    self.input(input);
                }
            }
        }
    }

    /// A name that can only be an input.
    fn input(&mut self, name: &ast::Name) {
        let symbol = self.find(SymbolKind::Input, None, &name.text);
        self.refer(name.span, symbol);
    }

    /// An input or a named value.
    fn name(&mut self, name: &ast::Name) {
        let symbol =
            self.find(SymbolKind::Input, None, &name.text).or_else(|| self.find(SymbolKind::Value, None, &name.text));
        self.refer(name.span, symbol);
    }

    /// `recipient`, `year` and `tier` are built in; any other key is an input.
    fn keys(&mut self, keys: &[ast::Name]) {
        for key in keys {
            self.input(key);
        }
    }

    fn clauses(&mut self, clauses: &[ast::ClauseRef]) {
        for clause in clauses {
            let symbol = self.find(SymbolKind::Clause, None, &clause.text);
            self.refer(clause.span, symbol);
        }
    }

    /// The enum of what `subject` names (an input of an enum type), for the values that
    /// test it.
    fn enum_of(&self, subject: &Expr) -> Option<usize> {
        let ExprKind::Name(name) = &subject.kind else { return None };
        let input = self.find(SymbolKind::Input, None, &name.text)?;
        self.analysis.symbols.get(input)?.enum_symbol
    }

    fn enum_values(&mut self, owner: Option<usize>, values: &[ast::Name]) {
        for value in values {
            let symbol = owner.and_then(|owner| self.find(SymbolKind::EnumValue, Some(owner), &value.text));
            self.refer(value.span, symbol);
        }
    }

    // INVARIANT: the parser bounds nesting (`syntax::MAX_NESTING`), so this recursion is
    // bounded.
    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Name(name) => self.name(name),
            ExprKind::Money(amount) => self.analysis.money.push((expr.span, *amount)),
            ExprKind::InSet { subject, values, .. } => {
                self.expr(subject);
                let owner = self.enum_of(subject);
                self.enum_values(owner, values);
            }
            ExprKind::Table { subject, arms } => {
                self.name(subject);
                let owner = self.enum_of(&Expr { kind: ExprKind::Name(subject.clone()), span: subject.span });
                for arm in arms {
                    self.enum_values(owner, arm.values.as_deref().unwrap_or_default());
                    self.expr(&arm.amount);
                }
            }
            ExprKind::Brackets { subject, arms } => {
                self.expr(subject);
                let owner = self.enum_of(subject);
                for arm in arms {
                    match &arm.head {
                        ast::BracketHead::Names(values) => self.enum_values(owner, values),
                        ast::BracketHead::Range { low, high } => {
                            low.iter().chain(high).for_each(|(end, _)| self.expr(end));
                        }
                        ast::BracketHead::Else => {}
                    }
                    self.expr(&arm.amount);
                }
            }
            ExprKind::Tiers { subject, since, rows } => {
                self.expr(subject);
                since.iter().for_each(|since| self.expr(since));
                for row in rows {
                    self.expr(&row.threshold);
                    self.expr(&row.amount);
                }
            }
            ExprKind::Or(parts) | ExprKind::And(parts) | ExprKind::Of(parts) | ExprKind::Call(_, parts) => {
                parts.iter().for_each(|part| self.expr(part));
            }
            ExprKind::Not(inner) | ExprKind::IsPresent(inner) | ExprKind::WithinValidity(inner) => self.expr(inner),
            ExprKind::Compare(left, _, right) | ExprKind::Excess(left, right) => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::Between(subject, low, high) | ExprKind::If(subject, low, high) => {
                self.expr(subject);
                self.expr(low);
                self.expr(high);
            }
            ExprKind::Sum(first, rest) => {
                self.expr(first);
                rest.iter().for_each(|(_, term)| self.expr(term));
            }
            ExprKind::Product(first, rest) => {
                self.expr(first);
                rest.iter().for_each(|(_, factor)| self.expr(factor));
            }
            ExprKind::Fraction(..)
            | ExprKind::Quantity(_)
            | ExprKind::Duration(..)
            | ExprKind::Ratio(_)
            | ExprKind::Integer(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_) => {}
        }
    }
}

/// The chapters, sections, articles and clauses of a file, nested.
/// An article's heading as the editor shows it: `Article 4 …`, or `第四条 …`.
fn article_heading(article: &ast::Article, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Article {} {}", article.number, article.title.value),
        Lang::Zh => {
            format!("第{}条 {}", crate::render::zh::chinese_number(article.number), article.title.value)
        }
    }
}

fn outline(file: &ast::File, lang: Lang) -> Vec<OutlineItem> {
    // Open containers, outermost first: a chapter, then sections by level.
    let mut open: Vec<(u8, OutlineItem)> = Vec::new();
    let mut top: Vec<OutlineItem> = Vec::new();
    let close_to = |level: u8, open: &mut Vec<(u8, OutlineItem)>, top: &mut Vec<OutlineItem>| {
        while open.last().is_some_and(|(open_level, _)| *open_level >= level) {
            let Some((_, mut item)) = open.pop() else { break };
            if let Some(last) = item.children.last() {
                item.span = item.span.to(last.span);
            }
            match open.last_mut() {
                Some((_, parent)) => parent.children.push(item),
                None => top.push(item),
            }
        }
    };
    for item in &file.items {
        match item {
            Item::Chapter(chapter) => {
                close_to(0, &mut open, &mut top);
                let heading = chapter.span;
                let name = format!("第{}章 {}", crate::render::zh::chinese_number(chapter.number), chapter.title.value);
                open.push((
                    0,
                    OutlineItem { kind: OutlineKind::Chapter, name, span: heading, heading, children: Vec::new() },
                ));
            }
            Item::Section(section) => {
                let level = section.level();
                close_to(level, &mut open, &mut top);
                let heading = section.span;
                let name = format!("{} {}", section.number.text, section.title.value);
                open.push((
                    level,
                    OutlineItem { kind: OutlineKind::Section, name, span: heading, heading, children: Vec::new() },
                ));
            }
            Item::Article(article) => {
                let clauses = article
                    .parts
                    .iter()
                    .filter_map(|part| match part {
                        ArticlePart::Clause(clause) => Some(OutlineItem {
                            kind: OutlineKind::Clause,
                            name: format!(
                                "{} {}",
                                clause.id.text,
                                clause.title.as_ref().map_or("", |title| title.value.as_str())
                            )
                            .trim()
                            .to_string(),
                            span: clause.span,
                            heading: clause.id.span,
                            children: Vec::new(),
                        }),
                        _ => None,
                    })
                    .collect();
                let entry = OutlineItem {
                    kind: OutlineKind::Article,
                    name: article_heading(article, lang),
                    span: article.span,
                    heading: article.number_span.to(article.title.span),
                    children: clauses,
                };
                match open.last_mut() {
                    Some((_, parent)) => parent.children.push(entry),
                    None => top.push(entry),
                }
            }
            _ => {}
        }
    }
    close_to(0, &mut open, &mut top);
    top
}
