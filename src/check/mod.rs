//! Check: AST → checked policy.
//!
//! Input: a parsed [`crate::syntax::ast::File`]. Output: a [`crate::check::checked::Policy`] in which every name is
//! resolved and every expression typed, or the diagnostics that stop it. Every problem of
//! the stage is reported in one run; warnings come with a policy that can still run.

/// The checked form that `eval` compiles.
pub mod checked;
/// The scope: enums and inputs by name, and which inputs are used.
mod names;
/// W0007: subtractions in amounts that nothing keeps from going below zero.
mod negative;
/// Typing and name resolution of expressions.
mod types;

use crate::diag::{Code, Diagnostic, Severity};
use crate::money;
use crate::span::Span;
use crate::syntax::ast::{self, ArticlePart, ClausePart, Item, PeriodUnit, ValidityLength};
use checked::*;
use names::Scope;
use std::collections::HashMap;

/// W0008: clauses whose condition, with the gates and the data contract, no case can
/// meet. The proof is `polc bounds`'s (docs/analysis.md), without the cases it runs.
fn dead_clauses(policy: &Policy) -> Vec<Diagnostic> {
    let dead = crate::analyze::bounds::dead_clauses(policy);
    // The reasons in Chinese too, from the same proof worded for a Chinese policy: only
    // when there is something to word, since the proof runs again.
    let chinese = if dead.is_empty() {
        Vec::new()
    } else {
        let mut worded = policy.clone();
        worded.lang = crate::lang::Lang::Zh;
        crate::analyze::bounds::dead_clauses(&worded)
    };
    dead.into_iter()
        .filter_map(|(index, reason)| {
            let clause = policy.clauses.get(index)?;
            let span = clause.condition.as_ref().map_or(clause.span, |condition| condition.span);
            let chinese_reason = chinese.iter().find(|(other, _)| *other == index).map(|(_, reason)| reason.as_str());
            Some(
                Diagnostic::new(
                    Code::DeadClause,
                    format!("clause {} can never apply: {reason}", clause.id),
                    span,
                    "no case meets this",
                )
                .with_help("check the thresholds and values against the policy text and the gates (`require`)")
                .in_chinese(
                    match chinese_reason {
                        Some(why) => format!("条款 {} 永远不会适用：{why}", clause.id),
                        None => format!(
                            "条款 {} 永远不会适用：它的条件与前提（require）和申报数据约定合起来不可能成立",
                            clause.id
                        ),
                    },
                    "没有案例能满足",
                )
                .help_in_chinese("请对照政策原文和前提（require）核对门槛和取值"),
            )
        })
        .collect()
}

/// Checks a parsed file. The policy is `Some` when there are no errors (warnings allowed).
pub fn check(file: &ast::File) -> (Option<Policy>, Vec<Diagnostic>) {
    let mut checker = Checker::default();
    let policy = checker.policy(file);
    if let Some(policy) = &policy {
        checker.diagnostics.extend(negative::unguarded_subtractions(policy));
        checker.diagnostics.extend(dead_clauses(policy));
    }
    checker.drop_allowed_warnings(file);
    let has_errors = checker.diagnostics.iter().any(Diagnostic::is_error);
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|diagnostic| (diagnostic.primary.span.start, diagnostic.primary.span.end));
    (if has_errors { None } else { policy }, diagnostics)
}

#[derive(Default)]
pub(crate) struct Checker {
    scope: Scope,
    diagnostics: Vec<Diagnostic>,
}

/// A clause as declared, before its body is checked: enough to resolve class and cap
/// references in any order.
struct DeclaredClause<'a> {
    clause: &'a ast::Clause,
    article: ArticleIndex,
}

/// "X is declared twice", pointing at both declarations; `what` and `help` in English,
/// then in Chinese.
fn declared_twice(code: Code, what: [String; 2], second: Span, first: Span, help: [&str; 2]) -> Diagnostic {
    let [what, what_zh] = what;
    let [help, help_zh] = help;
    Diagnostic::new(code, format!("{what} is declared twice"), second, "second declaration")
        .with_note_at(first, "first declaration")
        .with_help(help)
        .in_chinese(format!("{what_zh}重复声明"), "第二次声明")
        .note_in_chinese("第一次声明")
        .help_in_chinese(help_zh)
}

impl Checker {
    /// Drops the warnings the policy's header `allow`s; a code that is no warning is an
    /// error, so a typo never silences nothing.
    fn drop_allowed_warnings(&mut self, file: &ast::File) {
        let allowed: Vec<&ast::Name> = file
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Policy(header) => Some(header.allowed.iter()),
                _ => None,
            })
            .flatten()
            .collect();
        let mut codes = Vec::new();
        for name in allowed {
            match Code::ALL.iter().find(|code| code.id() == name.text && code.severity() == Severity::Warning) {
                Some(code) => codes.push(*code),
                None => self.diagnostics.push(
                    Diagnostic::new(
                        Code::PolicyHeader,
                        format!("`{}` is not a warning polc gives", name.text),
                        name.span,
                        "no such warning",
                    )
                    .with_help("`allow` takes the warning codes docs/diagnostics.md lists (W0001, W0002, ...)")
                    .in_chinese(format!("`{}` 不是 polc 会给出的警告", name.text), "没有这个警告")
                    .help_in_chinese("`allow` 只接受 docs/diagnostics.md 列出的警告代码（W0001、W0002 等）"),
                ),
            }
        }
        self.diagnostics.retain(|diagnostic| diagnostic.is_error() || !codes.contains(&diagnostic.code));
    }

    fn policy(&mut self, file: &ast::File) -> Option<Policy> {
        let header = self.header(file);
        self.declare_enums(file);
        self.declare_inputs(file);
        let values = self.declare_values(file);
        let (case_id, case_date) = self.case_inputs(header);
        let (chapters, sections, articles, declared) = self.declare_articles(file);
        let clause_index: HashMap<&str, ClauseIndex> =
            declared.iter().enumerate().map(|(index, declared)| (declared.clause.id.text.as_str(), index)).collect();

        // Aligned with `declared`, so class and cap references index both.
        let checked_clauses: Vec<Option<Clause>> = declared.iter().map(|declared| self.clause(declared)).collect();
        let history = self.history_rules(&declared, &clause_index);
        let mut gates = Vec::new();
        let mut classes = Vec::new();
        let mut caps = Vec::new();
        let article_parts = file.items.iter().filter_map(|item| match item {
            Item::Article(article) => Some(article),
            _ => None,
        });
        for (article_index, article) in article_parts.enumerate() {
            for part in &article.parts {
                match part {
                    ArticlePart::Gate(condition) => {
                        if let Some(condition) = self.condition(condition, "a `require` gate") {
                            gates.push(Gate { article: article_index, condition });
                        }
                    }
                    ArticlePart::Class(class) => {
                        let clauses = self.clause_refs(&class.clauses, &clause_index);
                        let per = self.scope.keys(&class.per, false, &mut self.diagnostics);
                        classes.push(Class {
                            name: class.name.text.clone(),
                            label: class.label.as_ref().map(|label| label.value.clone()),
                            article: article_index,
                            clauses,
                            imported: class.imported.iter().map(|label| label.value.clone()).collect(),
                            per,
                        });
                    }
                    ArticlePart::Cap(cap) => {
                        if let Some(cap) = self.cap(cap, article_index, &clause_index, &checked_clauses) {
                            caps.push(cap);
                        }
                    }
                    ArticlePart::Responsible(_) | ArticlePart::Original(_) | ArticlePart::Clause(_) => {}
                }
            }
        }
        self.warn_unused_inputs();

        let header = header?;
        Some(Policy {
            title: header.title.value.clone(),
            issued_by: header.issued_by.as_ref().map(|text| text.value.clone()),
            interpreted_by: header.interpreted_by.as_ref().map(|text| text.value.clone()),
            validity: self.scope.validity,
            case_id: case_id?,
            case_date: case_date?,
            enums: std::mem::take(&mut self.scope.enums),
            inputs: std::mem::take(&mut self.scope.inputs),
            values,
            chapters,
            sections,
            articles,
            gates,
            // INVARIANT: a clause that failed to check left an error, so with no errors
            // every entry is `Some`.
            clauses: checked_clauses.into_iter().flatten().collect(),
            classes,
            caps,
            history,
            lang: crate::lang::Lang::En,
            also_known: Vec::new(),
        })
    }

    /// The `after` and `unless` parts of every clause, resolved.
    fn history_rules(
        &mut self,
        declared: &[DeclaredClause<'_>],
        clause_index: &HashMap<&str, ClauseIndex>,
    ) -> Vec<HistoryRule> {
        let mut rules = Vec::new();
        for (clause, declared) in declared.iter().enumerate() {
            for part in &declared.clause.parts {
                let ClausePart::History(history, _) = part else { continue };
                let subject = match &history.subject {
                    ast::HistorySubject::Clause(reference) => {
                        let Some(&other) = self.clause_refs(std::slice::from_ref(reference), clause_index).first()
                        else {
                            continue;
                        };
                        HistorySubject::Clause { clause: other, complete: history.complete.is_some() }
                    }
                    ast::HistorySubject::Imported(label) => {
                        if let Some(span) = history.complete {
                            self.diagnostics.push(
                                Diagnostic::new(
                                    Code::ClauseShape,
                                    "only a clause's schedule can be complete, not an imported award",
                                    span,
                                    "not for `imported`",
                                )
                                .with_help(format!(
                                    "drop `complete`: `{} imported \"{}\"`",
                                    if history.after { "after" } else { "unless" },
                                    label.value
                                ))
                                .in_chinese("只有条款的兑现计划才有 `complete`，导入的奖励没有", "不能用于 `imported`"),
                            );
                            continue;
                        }
                        HistorySubject::Imported(label.value.clone())
                    }
                };
                let per = if history.keys.is_empty() {
                    vec![Key::Recipient]
                } else {
                    self.scope.keys(&history.keys, false, &mut self.diagnostics)
                };
                rules.push(HistoryRule { clause, after: history.after, subject, per });
            }
        }
        rules
    }

    fn header<'a>(&mut self, file: &'a ast::File) -> Option<&'a ast::PolicyHeader> {
        let mut headers = file.items.iter().filter_map(|item| match item {
            Item::Policy(header) => Some(header),
            _ => None,
        });
        let Some(header) = headers.next() else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::PolicyHeader,
                    "the file has no `policy` header",
                    Span::new(0, 0),
                    "expected `policy \"TITLE\"` here",
                )
                .with_help(
                    "start the file with `policy \"TITLE\"`, its validity and `cases identified by ID, dated by DATE`",
                )
                .in_chinese("文件没有 `policy` 头部", "此处应为 `policy \"标题\"`")
                .help_in_chinese("文件以 `policy \"标题\"`、有效期和 `cases identified by 编号, dated by 日期` 开头"),
            );
            return None;
        };
        for extra in headers {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::PolicyHeader,
                    "a file holds one policy, but this is a second `policy` header",
                    extra.span,
                    "second header",
                )
                .with_note_at(header.span, "first header")
                .with_help("put each policy in its own file")
                .in_chinese("一个文件只能有一份政策，这是第二个 `policy` 头部", "第二个头部")
                .note_in_chinese("第一个头部")
                .help_in_chinese("每份政策放在自己的文件里"),
            );
        }
        if let Some(validity) = &header.validity {
            self.scope.validity = self.validity(validity);
        }
        Some(header)
    }

    fn validity(&mut self, validity: &ast::Validity) -> Option<Validity> {
        let until = match validity.length {
            ValidityLength::Until(until) => Some(until),
            ValidityLength::For { count, unit } => match unit {
                PeriodUnit::Years => count.checked_mul(12).and_then(|months| validity.from.add_months(months)),
                PeriodUnit::Months => validity.from.add_months(count),
                PeriodUnit::Days => validity.from.add_days(i64::from(count)),
            }
            // "From 2024-02-17 for 3 years" ends the day before the third anniversary.
            .and_then(|end| end.add_days(-1)),
        };
        match until {
            Some(until) if until >= validity.from => Some(Validity { from: validity.from, until }),
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::BadLiteral,
                        "this validity ends before it starts or past year 9999",
                        validity.span,
                        "not a period",
                    )
                    .with_help("write `valid from YYYY-MM-DD for N years` or `valid from YYYY-MM-DD until YYYY-MM-DD`")
                    .in_chinese("这个有效期在开始之前就结束了，或超过了 9999 年", "不是有效的期间")
                    .help_in_chinese(
                        "请写 `valid from YYYY-MM-DD for N years` 或 `valid from YYYY-MM-DD until YYYY-MM-DD`",
                    ),
                );
                None
            }
        }
    }

    fn declare_enums(&mut self, file: &ast::File) {
        let mut first_span: HashMap<String, Span> = HashMap::new();
        for item in &file.items {
            let Item::Enum(decl) = item else { continue };
            if let Some(first) = first_span.get(&decl.name.text) {
                self.diagnostics.push(declared_twice(
                    Code::DuplicateEnumValue,
                    [format!("enum `{}`", decl.name.text), format!("枚举 `{}`", decl.name.text)],
                    decl.name.span,
                    *first,
                    ["rename one of them, or merge their values", "请给其中一个改名，或合并它们的取值"],
                ));
                continue;
            }
            first_span.insert(decl.name.text.clone(), decl.name.span);
            let mut values: Vec<EnumValue> = Vec::new();
            let mut value_spans: HashMap<&str, Span> = HashMap::new();
            for value in &decl.values {
                if let Some(first) = value_spans.get(value.name.text.as_str()) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::DuplicateEnumValue,
                            format!("enum `{}` lists `{}` twice", decl.name.text, value.name.text),
                            value.name.span,
                            "listed again",
                        )
                        .with_note_at(*first, "first listed here")
                        .with_help("remove the repeated value")
                        .in_chinese(format!("枚举 `{}` 两次列出 `{}`", decl.name.text, value.name.text), "再次列出")
                        .note_in_chinese("第一次列出")
                        .help_in_chinese("删去重复的取值"),
                    );
                    continue;
                }
                value_spans.insert(&value.name.text, value.name.span);
                values.push(EnumValue {
                    name: value.name.text.clone(),
                    label: value.label.as_ref().map(|label| label.value.clone()),
                });
            }
            self.scope.enum_by_name.insert(decl.name.text.clone(), self.scope.enums.len());
            self.scope.enums.push(EnumDef {
                name: decl.name.text.clone(),
                label: decl.label.as_ref().map(|label| label.value.clone()),
                values,
            });
        }
    }

    fn declare_inputs(&mut self, file: &ast::File) {
        for item in &file.items {
            let Item::Input(decl) = item else { continue };
            if let Some(&first) = self.scope.input_by_name.get(&decl.name.text) {
                let first_span = self.scope.inputs.get(first).map(|input| input.span).unwrap_or_default();
                self.diagnostics.push(declared_twice(
                    Code::DuplicateInput,
                    [format!("input `{}`", decl.name.text), format!("申报数据 `{}`", decl.name.text)],
                    decl.name.span,
                    first_span,
                    ["remove one declaration, or rename it", "请删去其中一处声明，或给它改名"],
                ));
                continue;
            }
            let ty = match Type::builtin(&decl.ty.text) {
                Some(ty) => ty,
                None => match self.scope.enum_by_name.get(&decl.ty.text) {
                    Some(&id) => Type::Enum(id),
                    None => {
                        let candidates = Type::BUILTIN_NAMES
                            .iter()
                            .copied()
                            .chain(self.scope.enums.iter().map(|def| def.name.as_str()));
                        let diagnostic = Diagnostic::new(
                            Code::UnknownType,
                            format!("there is no type `{}`", decl.ty.text),
                            decl.ty.span,
                            "unknown type",
                        )
                        .in_chinese(format!("没有名为 `{}` 的类型", decl.ty.text), "未知的类型");
                        self.diagnostics.push(match self.scope.suggester.did_you_mean(&decl.ty.text, candidates) {
                            Some(suggestion) => diagnostic.with_suggestion(suggestion),
                            None => diagnostic
                                .with_help(
                                    "a type is money, ratio, integer, bool, date, text, entity or a declared enum",
                                )
                                .help_in_chinese(
                                    "类型可以是 money、ratio、integer、bool、date、text、entity 或已声明的枚举",
                                ),
                        });
                        // Declared anyway, so its uses do not also report an unknown name.
                        self.scope.untyped.insert(self.scope.inputs.len());
                        Type::Text
                    }
                },
            };
            let default = decl.default.as_ref().and_then(|default| {
                let checked = self.expr(default)?;
                match checked.kind {
                    ExprKind::Literal(value) if checked.ty == ty => Some(value),
                    _ => {
                        let message = format!(
                            "the default of `{}` must be a literal {}",
                            decl.name.text,
                            self.scope.type_name(ty)
                        );
                        let chinese =
                            format!("`{}` 的默认值必须是{}字面值", decl.name.text, self.scope.type_name_zh(ty));
                        self.diagnostics.push(
                            Diagnostic::new(Code::TypeMismatch, message, default.span, "not a default for it")
                                .in_chinese(chinese, "不能作为它的默认值"),
                        );
                        None
                    }
                }
            });
            self.scope.input_by_name.insert(decl.name.text.clone(), self.scope.inputs.len());
            self.scope.used.push(false);
            self.scope.inputs.push(Input {
                name: decl.name.text.clone(),
                ty,
                required: decl.required,
                default,
                description: decl.description.as_ref().map(|text| text.value.clone()),
                span: decl.name.span,
            });
        }
    }

    /// Checks the named values in declaration order: each may read inputs and the values
    /// declared before it, so no value can depend on itself.
    fn declare_values(&mut self, file: &ast::File) -> Vec<NamedValue> {
        let mut values = Vec::new();
        for item in &file.items {
            let Item::Value(decl) = item else { continue };
            if self.scope.input_by_name.contains_key(&decl.name.text)
                || self.scope.value_by_name.contains_key(&decl.name.text)
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateInput,
                        format!("`{}` is already an input or a value", decl.name.text),
                        decl.name.span,
                        "declared again",
                    )
                    .with_help("give the value a name of its own")
                    .in_chinese(format!("`{}` 已经是申报数据或命名值", decl.name.text), "再次声明")
                    .help_in_chinese("请给命名值起一个自己的名字"),
                );
                continue;
            }
            let Some(expr) = self.expr(&decl.expr) else { continue };
            self.scope.value_by_name.insert(decl.name.text.clone(), (values.len(), expr.ty));
            values.push(NamedValue {
                name: decl.name.text.clone(),
                expr,
                label: decl.label.as_ref().map(|label| label.value.clone()),
            });
        }
        values
    }

    fn case_inputs(&mut self, header: Option<&ast::PolicyHeader>) -> (Option<InputId>, Option<InputId>) {
        let header = match header {
            Some(header) => header,
            None => return (None, None),
        };
        let Some((id, date)) = &header.cases else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::PolicyHeader,
                    "the header does not say which inputs identify and date a case",
                    header.title.span,
                    "in this header",
                )
                .with_help("add `cases identified by id, dated by date` (naming your inputs)")
                .in_chinese("头部没有说明用哪些申报数据标识案例和确定日期", "在这个头部")
                .help_in_chinese("加上 `cases identified by id, dated by date`（写你的申报数据名称）"),
            );
            return (None, None);
        };
        let id = self.case_input(id, &[Type::Text, Type::Entity], "text");
        let date = self.case_input(date, &[Type::Date], "date");
        (id, date)
    }

    fn case_input(&mut self, name: &ast::Name, allowed: &[Type], want: &str) -> Option<InputId> {
        let id = self.lookup_input(name)?;
        let ty = self.scope.input_type(id)?;
        if !allowed.contains(&ty) {
            let found = self.scope.type_name(ty);
            let found_zh = self.scope.type_name_zh(ty);
            let purpose_zh = if want == "date" { "日期" } else { "编号" };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!(
                        "`{}` must be {want} to {}, but it is {found}",
                        name.text,
                        if want == "date" { "date cases" } else { "identify cases" }
                    ),
                    name.span,
                    format!("this is {found}"),
                )
                .in_chinese(
                    format!("`{}` 用作案例的{purpose_zh}，必须是 {want} 类型，但它是{found_zh}", name.text),
                    format!("这是{found_zh}"),
                ),
            );
            return None;
        }
        Some(id)
    }

    #[allow(clippy::type_complexity)]
    fn declare_articles<'a>(
        &mut self,
        file: &'a ast::File,
    ) -> (Vec<Chapter>, Vec<Section>, Vec<Article>, Vec<DeclaredClause<'a>>) {
        let mut chapters = Vec::new();
        let mut sections: Vec<Section> = Vec::new();
        // The sections open at each level: 一 and （一）.
        let mut open_sections: [Option<usize>; 2] = [None, None];
        let mut chapter_spans: HashMap<u32, Span> = HashMap::new();
        let mut articles = Vec::new();
        let mut article_spans: HashMap<u32, Span> = HashMap::new();
        let mut clause_spans: HashMap<&str, Span> = HashMap::new();
        let mut declared = Vec::new();
        let mut current_chapter = None;
        for item in &file.items {
            match item {
                Item::Chapter(chapter) => {
                    if let Some(first) = chapter_spans.insert(chapter.number, chapter.span) {
                        self.diagnostics.push(declared_twice(
                            Code::DuplicateArticle,
                            [format!("chapter {}", chapter.number), format!("第{}章", chapter.number)],
                            chapter.span,
                            first,
                            ["number chapters uniquely", "各章的编号不能重复"],
                        ));
                    }
                    current_chapter = Some(chapter.number);
                    open_sections = [None, None];
                    chapters.push(Chapter { number: chapter.number, title: chapter.title.value.clone() });
                }
                Item::Section(section) => {
                    let level = section.level();
                    let parent = if level == 2 { open_sections[0] } else { None };
                    let siblings =
                        sections.iter().filter(|other| other.parent == parent && other.chapter == current_chapter);
                    if siblings.clone().any(|other| other.number == section.number.text) {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::DuplicateArticle,
                                format!("section {} is declared twice here", section.number.text),
                                section.number.span,
                                "second declaration",
                            )
                            .with_help("number sections uniquely within their chapter or section")
                            .in_chinese(format!("节 {} 在此重复声明", section.number.text), "第二次声明")
                            .help_in_chinese("同一章或同一节中，节的编号不能重复"),
                        );
                    }
                    let index = sections.len();
                    sections.push(Section {
                        number: section.number.text.clone(),
                        title: section.title.value.clone(),
                        chapter: current_chapter,
                        parent,
                    });
                    if level == 1 {
                        open_sections = [Some(index), None];
                    } else {
                        open_sections[1] = Some(index);
                    }
                }
                Item::Article(article) => {
                    if let Some(first) = article_spans.get(&article.number) {
                        self.diagnostics.push(declared_twice(
                            Code::DuplicateArticle,
                            [format!("article {}", article.number), format!("第{}条", article.number)],
                            article.number_span,
                            *first,
                            [
                                "number articles uniquely; put all of an article's rules under one `article`",
                                "各条的编号不能重复；一条的所有规则写在同一个 `article` 下",
                            ],
                        ));
                    } else {
                        article_spans.insert(article.number, article.number_span);
                    }
                    let article_index = articles.len();
                    let mut responsible = Vec::new();
                    let mut text = None;
                    for part in &article.parts {
                        match part {
                            ArticlePart::Responsible(units) => {
                                responsible.extend(units.iter().map(|unit| unit.value.clone()))
                            }
                            ArticlePart::Original(original) => text = Some(original.value.clone()),
                            ArticlePart::Clause(clause) => {
                                self.clause_id(clause, article.number, &mut clause_spans);
                                declared.push(DeclaredClause { clause, article: article_index });
                            }
                            ArticlePart::Gate(_) | ArticlePart::Class(_) | ArticlePart::Cap(_) => {}
                        }
                    }
                    articles.push(Article {
                        number: article.number,
                        title: article.title.value.clone(),
                        chapter: current_chapter,
                        section: open_sections[1].or(open_sections[0]),
                        responsible,
                        text,
                    });
                }
                Item::Policy(_) | Item::Enum(_) | Item::Input(_) | Item::Value(_) => {}
            }
        }
        (chapters, sections, articles, declared)
    }

    fn clause_id<'a>(&mut self, clause: &'a ast::Clause, article: u32, seen: &mut HashMap<&'a str, Span>) {
        let id = &clause.id;
        if let Some(first) = seen.get(id.text.as_str()) {
            self.diagnostics.push(declared_twice(
                Code::DuplicateClause,
                [format!("clause `{}`", id.text), format!("条款 `{}`", id.text)],
                id.span,
                *first,
                [
                    "give each clause its own id: article number, dot, position in the article",
                    "每个条款要有自己的编号：条号、点、在该条中的序号",
                ],
            ));
        } else {
            seen.insert(&id.text, id.span);
        }
        let prefix = format!("{article}.");
        // `5.1`, or `5.1.2` for the parts of a rule the policy splits (its own numbering).
        let well_formed = id.text.strip_prefix(&prefix).is_some_and(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() <= 2 && parts.iter().all(|part| !part.is_empty())
        });
        if !well_formed {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ClauseOutsideArticle,
                    format!(
                        "clause `{}` sits in article {article}, so its id must be `{article}.N` (or `{article}.N.M` for a part of a rule)",
                        id.text
                    ),
                    id.span,
                    "id does not match the article",
                )
                .with_help(format!("renumber it `{article}.N`, or move it under its own article"))
                .in_chinese(
                    format!("条款 `{}` 位于第{article}条，编号应为 `{article}.N`（规则的一部分为 `{article}.N.M`）", id.text),
                    "编号与所在条不符",
                )
                .help_in_chinese(format!("改编号为 `{article}.N`，或移到它所属的条下")),
            );
        }
    }

    fn clause(&mut self, declared: &DeclaredClause<'_>) -> Option<Clause> {
        let clause = declared.clause;
        let mut condition = None;
        let mut award: Option<(&ast::Award, Span)> = None;
        let mut recipients_part: Option<(&[ast::Recipient], Span)> = None;
        let mut once_part: Option<(&[ast::Name], Span)> = None;
        let mut years_part: Option<(&ast::YearLimit, Span)> = None;
        let mut instalments_part: Option<(&ast::InstalmentPart, Span)> = None;
        let mut review: Option<(Option<&ast::Name>, Span)> = None;
        let mut shape_ok = true;
        for part in &clause.parts {
            let (repeated, word, span) = match part {
                ClausePart::When(expr) => {
                    (condition.replace(expr).map(|first: &ast::Expr| first.span), "when", part.span())
                }
                ClausePart::Award(award_part, span) => {
                    (award.replace((award_part, *span)).map(|(_, first)| first), "award", *span)
                }
                ClausePart::To(recipients, span) => {
                    (recipients_part.replace((recipients, *span)).map(|(_, first)| first), "to", *span)
                }
                ClausePart::Once(keys, span) => {
                    (once_part.replace((keys, *span)).map(|(_, first)| first), "once", *span)
                }
                // Several may stand together; they are resolved with the policy's clauses.
                ClausePart::History(..) => continue,
                ClausePart::Instalments(instalments, span) => {
                    (instalments_part.replace((instalments, *span)).map(|(_, first)| first), "in instalments", *span)
                }
                ClausePart::Years(limit, span) => {
                    (years_part.replace((limit, *span)).map(|(_, first)| first), "for at most … years", *span)
                }
                ClausePart::Review(granted, span) => {
                    (review.replace((granted.as_ref(), *span)).map(|(_, first)| first), "subject to review", *span)
                }
            };
            if let Some(first) = repeated {
                shape_ok = false;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ClauseShape,
                        format!("clause `{}` has two `{word}` parts", clause.id.text),
                        span,
                        "second part",
                    )
                    .with_note_at(first, "first part")
                    .with_help(match word {
                        "when" => "join the conditions with `and`",
                        "award" => "a clause gives one award; split it into two clauses",
                        "to" => "list every recipient after one `to`, separated by commas",
                        _ => "keep one",
                    })
                    .in_chinese(format!("条款 `{}` 有两个 `{word}` 部分", clause.id.text), "第二个部分")
                    .note_in_chinese("第一个部分")
                    .help_in_chinese(match word {
                        "when" => "用 `and` 连接各条件",
                        "award" => "一个条款只给一项奖励；请拆成两个条款",
                        "to" => "在一个 `to` 后列出所有受益方，用逗号分隔",
                        _ => "只保留一个",
                    }),
                );
            }
        }
        for (missing, word, help) in [
            (
                award.is_none(),
                "award",
                "add `award AMOUNT`, `award up to AMOUNT`, `award open \"...\"` or `award benefit \"...\"`",
            ),
            (recipients_part.is_none(), "to", "add `to RECIPIENT` naming an entity input"),
        ] {
            if missing {
                shape_ok = false;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ClauseShape,
                        format!("clause `{}` has no `{word}` part", clause.id.text),
                        clause.id.span,
                        format!("no `{word}`"),
                    )
                    .with_help(help)
                    .in_chinese(format!("条款 `{}` 缺少 `{word}` 部分", clause.id.text), format!("没有 `{word}`"))
                    .help_in_chinese(match word {
                        "award" => {
                            "请加上 `award 金额`、`award up to 金额`、`award open \"…\"` 或 `award benefit \"…\"`"
                        }
                        _ => "请加上 `to 受益方`，写一项主体类型的申报数据",
                    }),
                );
            }
        }

        let condition = condition.map(|expr| self.condition(expr, "a `when` condition"));
        let award = award.and_then(|(award, _)| self.award(award));
        let recipients = recipients_part.map(|(recipients, _)| self.recipients(recipients));
        let tier_allowed =
            matches!(&award, Some(Award::Grant { amount: Expr { kind: ExprKind::Tiers { .. }, .. }, .. }));
        let once = once_part.map(|(keys, _)| {
            if keys.is_empty() {
                vec![Key::Recipient]
            } else {
                self.scope.keys(keys, tier_allowed, &mut self.diagnostics)
            }
        });
        let years = years_part.and_then(|(limit, _)| self.year_limit(limit, tier_allowed));
        let instalments = instalments_part.and_then(|(part, span)| self.instalments(part, span, award.as_ref()));
        match &award {
            Some(Award::Open { label, negotiated: false, .. }) => self.diagnostics.push(
                Diagnostic::new(
                    Code::OpenAmount,
                    format!("clause `{}` leaves its amount open: \"{label}\"", clause.id.text),
                    clause.id.span,
                    "amount not fixed by the policy",
                )
                .with_help(
                    "`polc run` reports this award as `undetermined`; fix the amount when the implementation rules do",
                )
                .in_chinese(format!("条款 `{}` 未明确金额：“{label}”", clause.id.text), "政策未明确金额")
                .help_in_chinese("`polc run` 会把这项奖励报告为“待定”；实施细则明确后请补上金额"),
            ),
            Some(Award::Open { label, negotiated: true, .. }) => self.diagnostics.push(
                Diagnostic::new(
                    Code::NegotiatedAmount,
                    format!("clause `{}` is negotiated case by case: \"{label}\"", clause.id.text),
                    clause.id.span,
                    "amount settled case by case",
                )
                .with_help(
                    "`polc run` reports this award as `undetermined`, with its maximum where the policy states one",
                )
                .in_chinese(format!("条款 `{}` 一事一议：“{label}”", clause.id.text), "金额逐案商定")
                .help_in_chinese("`polc run` 会把这项奖励报告为“待定”，政策写明上限的附上上限"),
            ),
            _ => {}
        }
        let granted = match review.and_then(|(granted, _)| granted) {
            Some(name) => {
                let input = self.lookup_input(name);
                let input = input.and_then(|input| {
                    if self.scope.input_type(input)? == Type::Money {
                        return Some(input);
                    }
                    self.diagnostics.push(
                        Diagnostic::new(Code::TypeMismatch, "what a review granted is money", name.span, "not money")
                            .with_help("declare it `input granted_amount: money`")
                            .in_chinese("评审核定的是金额", "不是金额")
                            .help_in_chinese("请声明为 `input granted_amount: money`"),
                    );
                    None
                });
                if award.as_ref().is_some_and(|award| !matches!(award, Award::UpTo { .. })) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::ClauseShape,
                            "only an `up to` award is granted by review",
                            name.span,
                            "not an `up to` award",
                        )
                        .with_help("write `award up to MAXIMUM ... subject to review granted as INPUT`")
                        .in_chinese("只有 `up to` 奖励才由评审核定金额", "不是 `up to` 奖励")
                        .help_in_chinese("请写 `award up to 最高额 … subject to review granted as 申报数据`"),
                    );
                    return None;
                }
                Some(input?)
            }
            None => None,
        };
        if !shape_ok {
            return None;
        }
        let condition = match condition {
            Some(condition) => Some(condition?),
            None => None,
        };
        Some(Clause {
            id: clause.id.text.clone(),
            title: clause.title.as_ref().map(|title| title.value.clone()),
            article: declared.article,
            condition,
            award: award?,
            recipients: recipients??,
            once,
            years,
            instalments,
            subject_to_review: review.is_some(),
            granted,
            span: clause.span,
        })
    }

    /// `in instalments SHARE, … by MILESTONES`: shares are percentages that add up to
    /// 100%, the milestones an integer input, and the award a determined amount.
    fn instalments(&mut self, part: &ast::InstalmentPart, span: Span, award: Option<&Award>) -> Option<Instalments> {
        let mut shares = Vec::new();
        for share in &part.shares {
            match self.expr(share).map(|expr| expr.kind) {
                Some(ExprKind::Literal(checked::Value::Ratio(ratio))) if ratio > rust_decimal::Decimal::ZERO => {
                    shares.push(ratio)
                }
                _ => self.diagnostics.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        "an instalment's share is a percentage",
                        share.span,
                        "not a share",
                    )
                    .with_help("write the shares as percentages: `in instalments 30%, 30%, 40% by milestones`")
                    .in_chinese("分期的份额应为百分数", "不是份额")
                    .help_in_chinese("份额写成百分数：`in instalments 30%, 30%, 40% by milestones`"),
                ),
            }
        }
        let total: rust_decimal::Decimal = shares.iter().copied().sum();
        if shares.len() == part.shares.len() && total != rust_decimal::Decimal::ONE {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("the instalments add up to {}, not 100%", crate::money::format_percent(total)),
                    span,
                    "shares of one award",
                )
                .with_help("the shares divide the whole award: make them add up to 100%")
                .in_chinese(
                    format!("各期份额合计为 {}，不是 100%", crate::money::format_percent(total)),
                    "同一奖励的份额",
                )
                .help_in_chinese("各期份额分的是整笔奖励：合计应为 100%"),
            );
        }
        let milestones = self.lookup_input(&part.milestones).and_then(|input| {
            if self.scope.input_type(input)? == Type::Integer {
                return Some(input);
            }
            self.diagnostics.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    "the milestones reached are counted by an integer input",
                    part.milestones.span,
                    "not an integer",
                )
                .with_help("declare it `input milestones_reached: integer`")
                .in_chinese("已达成的节点数应由整数类型的申报数据记录", "不是整数")
                .help_in_chinese("请声明为 `input milestones_reached: integer`"),
            );
            None
        });
        let all_at_once =
            part.all_at_once.as_ref().map(|condition| self.condition(condition, "an `all at once` condition"));
        if award.is_some_and(|award| !matches!(award, Award::Grant { .. })) {
            self.diagnostics.push(
                Diagnostic::new(Code::ClauseShape, "only a determined award is paid in instalments", span, "here")
                    .with_help("write `award AMOUNT` (with its `max`) before `in instalments`")
                    .in_chinese("只有金额确定的奖励才能分期拨付", "此处")
                    .help_in_chinese("在 `in instalments` 之前写 `award 金额`（及其 `max`）"),
            );
            return None;
        }
        let per = if part.keys.is_empty() {
            vec![Key::Recipient]
        } else {
            self.scope.keys(&part.keys, false, &mut self.diagnostics)
        };
        let all_at_once = match all_at_once {
            Some(condition) => Some(condition?),
            None => None,
        };
        (shares.len() == part.shares.len() && total == rust_decimal::Decimal::ONE).then_some(Instalments {
            shares,
            milestones: milestones?,
            all_at_once,
            per,
        })
    }

    /// `for at most N [consecutive] years [per KEYS]`: N is a whole number of years, one or
    /// more; the keys default to the recipient, as `once`'s do.
    fn year_limit(&mut self, limit: &ast::YearLimit, tier_allowed: bool) -> Option<YearLimit> {
        let per = if limit.keys.is_empty() {
            vec![Key::Recipient]
        } else {
            self.scope.keys(&limit.keys, tier_allowed, &mut self.diagnostics)
        };
        match limit.count.text.parse::<u32>() {
            Ok(years) if (1..=100).contains(&years) => Some(YearLimit { years, consecutive: limit.consecutive, per }),
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::ClauseShape,
                        format!("`{}` is not a number of years a clause can pay in", limit.count.text),
                        limit.count.span,
                        "a whole number from 1 to 100",
                    )
                    .with_help("write `for at most 3 years`")
                    .in_chinese(format!("`{}` 不是条款可以支付的年数", limit.count.text), "1 到 100 的整数")
                    .help_in_chinese("请写 `for at most 3 years`"),
                );
                None
            }
        }
    }

    fn award(&mut self, award: &ast::Award) -> Option<Award> {
        match award {
            ast::Award::Grant { amount, cap } => {
                let amount = self.money(amount, Code::TypeMismatch, "an award amount");
                let cap = cap.as_ref().map(|cap| self.money(cap, Code::CapNotMoney, "a `max`"));
                let amount = amount?;
                let cap = match cap {
                    Some(cap) => Some(cap?),
                    None => None,
                };
                if let Some(cap) = &cap {
                    self.warn_cap_below(&amount, cap_floor(cap), cap.span);
                }
                Some(Award::Grant { amount, cap })
            }
            ast::Award::UpTo(max) => {
                Some(Award::UpTo { max: self.money(max, Code::TypeMismatch, "an `up to` amount")? })
            }
            ast::Award::Open { label, base, maximum, negotiated } => {
                let base = match base {
                    Some(base) => Some(self.money(base, Code::TypeMismatch, "the base of an open amount")?),
                    None => None,
                };
                let maximum = match maximum {
                    Some(maximum) => Some(self.money(maximum, Code::CapNotMoney, "the maximum of an open amount")?),
                    None => None,
                };
                Some(Award::Open { label: label.value.clone(), base, maximum, negotiated: *negotiated })
            }
            ast::Award::Benefit(description) => Some(Award::Benefit { description: description.value.clone() }),
            ast::Award::Range { low, high, cap } => {
                let low = self.money(low, Code::TypeMismatch, "the low end of a range");
                let high = self.money(high, Code::TypeMismatch, "the high end of a range");
                let cap = cap.as_ref().map(|cap| self.money(cap, Code::CapNotMoney, "the `max` of a range"));
                let cap = match cap {
                    Some(cap) => Some(cap?),
                    None => None,
                };
                Some(Award::Range { low: low?, high: high?, cap })
            }
        }
    }

    /// W0004: a fixed amount above the cap that caps it always gets cut.
    fn warn_cap_below(&mut self, amount: &Expr, cap: Option<rust_decimal::Decimal>, cap_span: Span) {
        let (Some(cap), Some(fixed)) = (cap, fixed_ceiling(amount)) else { return };
        if fixed > cap {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::CapBelowAmount,
                    format!(
                        "the cap {} is below the fixed amount {} it caps",
                        money::format_money_readable(cap),
                        money::format_money_readable(fixed)
                    ),
                    cap_span,
                    "this cap always cuts",
                )
                .with_note_at(amount.span, "fixed amount")
                .with_help("check both amounts against the policy text")
                .in_chinese(
                    format!(
                        "上限 {} 低于它所限制的固定金额 {}",
                        money::format_money_readable(cap),
                        money::format_money_readable(fixed)
                    ),
                    "这个上限总会核减",
                )
                .note_in_chinese("固定金额")
                .help_in_chinese("请对照政策原文核对这两个金额"),
            );
        }
    }

    fn recipients(&mut self, recipients: &[ast::Recipient]) -> Option<Vec<Recipient>> {
        let mut checked = Vec::new();
        let mut ok = true;
        for recipient in recipients {
            let Some(id) = self.lookup_input(&recipient.input) else {
                ok = false;
                continue;
            };
            let ty = self.scope.input_type(id)?;
            if ty != Type::Entity {
                let found = self.scope.type_name(ty);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::RecipientNotEntity,
                        format!("a recipient must be an entity input, but `{}` is {found}", recipient.input.text),
                        recipient.input.span,
                        format!("this is {found}"),
                    )
                    .with_help("name an input declared as `entity`, or declare this one `: entity`")
                    .in_chinese(
                        format!("受益方必须是主体类型的申报数据，但 `{}` 不是", recipient.input.text),
                        "不是主体",
                    )
                    .help_in_chinese("请写声明为 `entity` 的申报数据，或把这一项声明为 `: entity`"),
                );
                ok = false;
                continue;
            }
            let role = recipient.role.as_ref().unwrap_or(&recipient.input).text.clone();
            checked.push(Recipient { input: id, role });
        }
        ok.then_some(checked)
    }

    fn clause_refs(&mut self, refs: &[ast::ClauseRef], index: &HashMap<&str, ClauseIndex>) -> Vec<ClauseIndex> {
        let mut resolved = Vec::new();
        for clause_ref in refs {
            match index.get(clause_ref.text.as_str()) {
                Some(&clause) => resolved.push(clause),
                None => {
                    let mut diagnostic = Diagnostic::new(
                        Code::UnknownClause,
                        format!("there is no clause `{}`", clause_ref.text),
                        clause_ref.span,
                        "not a clause",
                    )
                    .in_chinese(format!("没有编号为 `{}` 的条款", clause_ref.text), "不是条款");
                    diagnostic = match self.scope.suggester.did_you_mean(&clause_ref.text, index.keys().copied()) {
                        Some(suggestion) => diagnostic.with_suggestion(suggestion),
                        None => diagnostic
                            .with_help("name clauses by their ids, such as `1.1`")
                            .help_in_chinese("请用条款编号引用条款，例如 `1.1`"),
                    };
                    self.diagnostics.push(diagnostic);
                }
            }
        }
        resolved
    }

    fn cap(
        &mut self,
        cap: &ast::CapDecl,
        article: ArticleIndex,
        index: &HashMap<&str, ClauseIndex>,
        checked: &[Option<Clause>],
    ) -> Option<Cap> {
        let clauses = self.clause_refs(&cap.clauses, index);
        let per = self.scope.keys(&cap.per, false, &mut self.diagnostics);
        let limit = self.fixed_cap(&cap.amount);
        let relaxed = match &cap.relaxed {
            Some((amount, condition)) => {
                let amount = self.fixed_cap(amount);
                let condition = self.condition(condition, "the condition of `relaxed to`");
                Some((amount?, condition?))
            }
            None => None,
        };
        let limit = limit?;
        if cap.pro_rata && cap.relaxed.is_some() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::CapNotMoney,
                    "a pro-rata cap is one budget shared by its awards: it cannot be relaxed for some of them",
                    cap.span,
                    "both `relaxed to` and `pro rata`",
                )
                .with_help("write two caps: one paid pro rata, one relaxed")
                .in_chinese(
                    "按比例核减的上限是各奖励共用的一份预算：不能对部分奖励放宽",
                    "同时有 `relaxed to` 和 `pro rata`",
                )
                .help_in_chinese("请写两个上限：一个按比例核减，一个放宽"),
            );
            return None;
        }
        if let Some((relaxed, _)) = &relaxed {
            if *relaxed <= limit {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::CapNotMoney,
                        "a relaxed cap must be above the cap it relaxes",
                        cap.relaxed.as_ref().map_or(cap.span, |(amount, _)| amount.span),
                        "not above the cap",
                    )
                    .with_help("write the general cap first: `cap 800万 relaxed to 2000万 when ...`")
                    .in_chinese("放宽后的上限必须高于原上限", "不高于原上限")
                    .help_in_chinese("先写一般上限：`cap 800万 relaxed to 2000万 when …`"),
                );
                return None;
            }
        }
        for &clause in &clauses {
            if let Some(Some(Clause { award: Award::Grant { amount: fixed, .. }, .. })) = checked.get(clause) {
                self.warn_cap_below(fixed, Some(limit), cap.amount.span);
            }
        }
        Some(Cap { article, amount: limit, relaxed, pro_rata: cap.pro_rata, per, clauses })
    }

    /// A cap's amount: money, and fixed, so that every award of a key meets one limit.
    fn fixed_cap(&mut self, amount: &ast::Expr) -> Option<rust_decimal::Decimal> {
        let amount = self.money(amount, Code::CapNotMoney, "a `cap`")?;
        let ExprKind::Literal(checked::Value::Money(limit)) = amount.kind else {
            self.diagnostics.push(
                Diagnostic::new(Code::CapNotMoney, "a `cap` must be a fixed amount", amount.span, "not a fixed amount")
                    .with_help("write the cap as an amount such as `100万`; a higher limit for some cases is `relaxed to AMOUNT when CONDITION`")
                    .in_chinese("`cap` 必须是固定金额", "不是固定金额")
                    .help_in_chinese("上限写成 `100万` 这样的金额；对部分案例更高的限额用 `relaxed to 金额 when 条件`"),
            );
            return None;
        };
        Some(limit)
    }

    fn warn_unused_inputs(&mut self) {
        for (input, used) in self.scope.inputs.iter().zip(&self.scope.used) {
            if !used {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnusedInput,
                        format!("no rule reads input `{}`", input.name),
                        input.span,
                        "unused",
                    )
                    .with_help("use it in a clause, or remove the declaration")
                    .in_chinese(format!("没有规则使用申报数据 `{}`", input.name), "未使用")
                    .help_in_chinese("在条款中使用它，或删去这项声明"),
                );
            }
        }
    }
}

/// The smallest amount a cap can be, when every arm of it is fixed.
fn cap_floor(cap: &Expr) -> Option<rust_decimal::Decimal> {
    match &cap.kind {
        ExprKind::Literal(checked::Value::Money(amount)) => Some(*amount),
        _ => None,
    }
}

/// The largest amount a fixed award can be: a literal, or a table or tiers of literals.
fn fixed_ceiling(amount: &Expr) -> Option<rust_decimal::Decimal> {
    match &amount.kind {
        ExprKind::Literal(checked::Value::Money(amount)) => Some(*amount),
        ExprKind::Table { arms, otherwise, .. } => {
            greatest_ceiling(arms.iter().map(|arm| &arm.amount).chain(otherwise.as_deref()))
        }
        ExprKind::Tiers { tiers, .. } => greatest_ceiling(tiers.iter().map(|tier| &tier.amount)),
        ExprKind::Brackets { arms, otherwise, .. } => {
            greatest_ceiling(arms.iter().map(|arm| &arm.amount).chain(otherwise.as_deref()))
        }
        _ => None,
    }
}

/// The largest of the fixed ceilings of `amounts`, when every one has one.
fn greatest_ceiling<'e>(amounts: impl Iterator<Item = &'e Expr>) -> Option<rust_decimal::Decimal> {
    amounts.map(fixed_ceiling).collect::<Option<Vec<_>>>()?.into_iter().max()
}
