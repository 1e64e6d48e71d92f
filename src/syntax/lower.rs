//! The only file that touches pest: parses one chunk with the grammar and lowers pest's
//! pairs to the AST, turning literals into values on the way.

use super::ast::*;
use super::recover;
use crate::diag::{Code, Diagnostic};
use crate::money::{self, Date, MoneyUnit};
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/polc.pest"]
pub(super) struct PolicyGrammar;

const CALLS_PER_BYTE: usize = 400;

/// Parses one top-level item found at byte `offset` of the file.
pub fn parse_item(text: &str, offset: usize, diagnostics: &mut Vec<Diagnostic>) -> Option<Item> {
    // Bounds pest's work on pathological input: linear in the item's length, with room
    // for the keyword look-ahead every name does. Real items stay far below it.
    pest::set_call_limit(std::num::NonZeroUsize::new(text.len().saturating_mul(CALLS_PER_BYTE).max(1_000_000)));
    let error = match PolicyGrammar::parse(Rule::item, text) {
        Ok(mut pairs) => {
            let mut lowerer = Lowerer { offset, diagnostics };
            let item = pairs.next()?.into_inner().next()?;
            return lowerer.item(item);
        }
        Err(error) => error,
    };
    // Report this error and every later one. An article's parts are parsed one by one, so
    // each error costs the part it is in, not the whole article.
    // Only an article is cut into parts here; any other item is recovered whole, where
    // `every_error` finds its part keywords.
    let is_article = text.trim_start().starts_with("article") || text.contains("\narticle");
    let parts = is_article.then(|| recover::PartStarts::find(text));
    let first_part = parts.as_ref().and_then(|parts| parts.article_parts().next());
    match (parts, first_part) {
        (Some(parts), Some(first_part)) => {
            // The first error is the whole item's, worded in its context; the parts give
            // the ones after it.
            let first_at = super::messages::error_offset(&error);
            diagnostics.push(super::messages::syntax_error(text, offset, &error, false));
            let mut bounds: Vec<usize> = parts.article_parts().collect();
            bounds.push(text.len());
            let heading = text.get(..first_part).unwrap_or_default();
            every_error(heading, offset, Rule::item, None, Some(first_at), diagnostics);
            for pair in bounds.windows(2) {
                let (start, end) = (pair.first().copied().unwrap_or(0), pair.last().copied().unwrap_or(0));
                let part = text.get(start..end).unwrap_or_default();
                let reported_to = first_at.checked_sub(start);
                every_error(part, offset + start, Rule::part_item, None, reported_to, diagnostics);
            }
        }
        _ => every_error(text, offset, Rule::item, Some(error), None, diagnostics),
    }
    None
}

/// Reports every syntax error of `text` parsed as `rule`: after each, the broken part is
/// blanked out and the text parsed again. `known` is the first error when it is known;
/// errors at or before `reported_to` (already reported) only move the recovery on.
fn every_error(
    text: &str,
    offset: usize,
    rule: Rule,
    known: Option<pest::error::Error<Rule>>,
    reported_to: Option<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut error = match known {
        Some(error) => error,
        None => match PolicyGrammar::parse(rule, text) {
            Ok(_) => return,
            Err(error) => error,
        },
    };
    let parts = recover::PartStarts::find(text);
    let mut blanked = text.to_string();
    let mut last_at = None;
    for _ in 0..recover::MAX_ERRORS_PER_ITEM {
        let at = super::messages::error_offset(&error);
        if last_at.is_some_and(|last| at <= last) {
            break;
        }
        last_at = Some(at);
        if reported_to.is_none_or(|reported_to| at > reported_to) {
            diagnostics.push(super::messages::syntax_error(text, offset, &error, rule == Rule::part_item));
        }
        // A part broken from its first keyword is the whole text: nothing is left to try.
        let Some((start, end)) = parts.broken_part(at, blanked.len()).filter(|(start, _)| *start > 0) else { break };
        blanked = recover::blank_out(&blanked, start, end);
        match PolicyGrammar::parse(rule, &blanked) {
            Ok(_) => break,
            Err(next) => error = next,
        }
    }
}

struct Lowerer<'d> {
    offset: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
}

/// Whether a `by` table is by a number or date: its subject is bracketed, or an arm states
/// a range.
fn is_bracket_table(parts: &[Pair<'_, Rule>]) -> bool {
    let subject_is_group = parts.first().is_some_and(|subject| subject.as_rule() == Rule::group);
    let ranged = parts
        .iter()
        .skip(1)
        .any(|arm| arm.clone().into_inner().next().is_some_and(|head| head.as_rule() == Rule::interval));
    subject_is_group || ranged
}

/// Children that are not keyword tokens: the parts the AST keeps.
fn parts(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|child| !is_keyword(child.as_rule()))
}

// Keyword rules are atomic (so `and` never matches the start of `android`) and therefore
// show up as pairs; the AST has no use for them.
fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

impl Lowerer<'_> {
    /// The pair's span without trailing spaces and comments: pest lets a rule that ends
    /// in a repetition keep the trivia it skipped looking for one more element, so the end
    /// is taken from the last leaf token instead.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let end = pair.clone().into_inner().flatten().last().map_or(pair.as_span().end(), |leaf| leaf.as_span().end());
        Span::new(start, end).shifted(self.offset)
    }

    /// A literal past polc's digit limits: refused, never rounded.
    fn inexact_literal(&mut self, span: Span, text: &str, error: money::NumberError) {
        let why_zh = match error {
            money::NumberError::NotANumber => "不是数字".to_string(),
            money::NumberError::TooPrecise { fraction } => {
                format!("小数超过 {fraction} 位；polc 最多保留 {fraction} 位，且从不舍入")
            }
            money::NumberError::TooLarge { whole } => format!("整数部分超过 {whole} 位"),
        };
        let (help, help_zh) = digits_help(error);
        self.bad_literal(
            span,
            [format!("`{text}` cannot be held exactly: {error}"), format!("`{text}` 无法精确表示：{why_zh}")],
            [help, help_zh],
        );
    }

    /// E0103 with its words in English and Chinese: `[english, chinese]` each.
    fn bad_literal(&mut self, span: Span, message: [String; 2], help: [&str; 2]) {
        let [message, message_zh] = message;
        let [help, help_zh] = help;
        self.diagnostics.push(
            Diagnostic::new(Code::BadLiteral, message, span, "not a valid value")
                .with_help(help)
                .in_chinese(message_zh, "不是有效的值")
                .help_in_chinese(help_zh),
        );
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::policy => Item::Policy(self.policy(pair)?),
            Rule::chapter => {
                let span = self.span(&pair);
                let mut inner = parts(pair);
                let number = self.number(inner.next()?)?;
                let title = self.text(inner.next()?)?;
                Item::Chapter(Chapter { number, title, span })
            }
            Rule::section => {
                let span = self.span(&pair);
                let mut inner = parts(pair);
                let number = self.name(inner.next()?);
                let title = self.text(inner.next()?)?;
                Item::Section(Section { number, title, span })
            }
            Rule::enum_decl => Item::Enum(self.enum_decl(pair)?),
            Rule::input_decl => Item::Input(self.input_decl(pair)?),
            Rule::value_decl => Item::Value(self.value_decl(pair)?),
            Rule::article => Item::Article(self.article(pair)?),
            _ => return None,
        })
    }

    fn policy(&mut self, pair: Pair<'_, Rule>) -> Option<PolicyHeader> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let mut header = PolicyHeader {
            title: self.text(inner.next()?)?,
            issued_by: None,
            interpreted_by: None,
            validity: None,
            cases: None,
            allowed: Vec::new(),
            span,
        };
        for attr in inner {
            match attr.as_rule() {
                Rule::issued_by => header.issued_by = Some(self.text(parts(attr).next()?)?),
                Rule::interpreted_by => header.interpreted_by = Some(self.text(parts(attr).next()?)?),
                Rule::validity => header.validity = self.validity(attr),
                Rule::cases_decl => {
                    let mut names = parts(attr);
                    let id = self.name(names.next()?);
                    let date = self.name(names.next()?);
                    header.cases = Some((id, date));
                }
                Rule::allows => header.allowed.extend(parts(attr).map(|code| self.name(code))),
                _ => {}
            }
        }
        Some(header)
    }

    fn validity(&mut self, pair: Pair<'_, Rule>) -> Option<Validity> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let from = self.date(inner.next()?)?;
        let next = inner.next()?;
        let length = match next.as_rule() {
            Rule::date => ValidityLength::Until(self.date(next)?),
            _ => {
                let count = self.number(next)?;
                let unit = PeriodUnit::from_word(inner.next()?.as_str());
                ValidityLength::For { count, unit }
            }
        };
        Some(Validity { from, length, span })
    }

    fn enum_decl(&mut self, pair: Pair<'_, Rule>) -> Option<EnumDecl> {
        let span = self.span(&pair);
        let mut inner = parts(pair).peekable();
        let name = self.name(inner.next()?);
        let label = match inner.peek() {
            Some(next) if next.as_rule() == Rule::string => self.text(inner.next()?),
            _ => None,
        };
        let mut values = Vec::new();
        for value in inner {
            let mut value_parts = parts(value);
            let name = self.name(value_parts.next()?);
            let label = value_parts.next().and_then(|text| self.text(text));
            values.push(EnumValueDecl { name, label });
        }
        Some(EnumDecl { name, label, values, span })
    }

    fn input_decl(&mut self, pair: Pair<'_, Rule>) -> Option<InputDecl> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next()?);
        let ty = self.name(inner.next()?);
        let mut required = false;
        let mut description = None;
        let mut default = None;
        for rest in inner {
            match rest.as_rule() {
                Rule::required => required = true,
                Rule::default_value => default = Some(self.expr(parts(rest).next()?)?),
                _ => description = self.text(rest),
            }
        }
        Some(InputDecl { name, ty, required, default, description, span })
    }

    fn value_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ValueDecl> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let name = self.name(inner.next()?);
        let expr = self.expr(inner.next()?)?;
        let label = match inner.next() {
            Some(label) => Some(self.text(label)?),
            None => None,
        };
        Some(ValueDecl { name, expr, label, span })
    }

    fn article(&mut self, pair: Pair<'_, Rule>) -> Option<Article> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let number_pair = inner.next()?;
        let number_span = self.span(&number_pair);
        let number = self.number(number_pair)?;
        let title = self.text(inner.next()?)?;
        let mut article_parts = Vec::new();
        for part in inner {
            let lowered = match part.as_rule() {
                Rule::responsible => ArticlePart::Responsible(parts(part).filter_map(|text| self.text(text)).collect()),
                Rule::original => ArticlePart::Original(self.text(parts(part).next()?)?),
                Rule::clause => ArticlePart::Clause(self.clause(part)?),
                Rule::gate => ArticlePart::Gate(self.expr(parts(part).next()?)?),
                Rule::class_decl => ArticlePart::Class(self.class_decl(part)?),
                Rule::cap_decl => ArticlePart::Cap(self.cap_decl(part)?),
                _ => continue,
            };
            article_parts.push(lowered);
        }
        Some(Article { number, number_span, title, parts: article_parts, span })
    }

    fn class_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ClassDecl> {
        let span = self.span(&pair);
        let mut name = None;
        let mut label = None;
        let mut clauses = Vec::new();
        let mut imported = Vec::new();
        let mut per = Vec::new();
        for part in parts(pair) {
            match part.as_rule() {
                Rule::name => name = Some(self.name(part)),
                Rule::string => label = self.text(part),
                Rule::clause_ref_list => clauses = self.clause_refs(part),
                Rule::imported_labels => imported = parts(part).filter_map(|label| self.text(label)).collect(),
                Rule::per_keys => per = self.names(part),
                _ => {}
            }
        }
        Some(ClassDecl { name: name?, label, clauses, imported, per, span })
    }

    fn cap_decl(&mut self, pair: Pair<'_, Rule>) -> Option<CapDecl> {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let amount = self.expr(inner.next()?)?;
        let mut per = Vec::new();
        let mut clauses = Vec::new();
        let mut relaxed = None;
        let mut pro_rata = false;
        for part in inner {
            match part.as_rule() {
                Rule::per_keys => per = self.names(part),
                Rule::pro_rata => pro_rata = true,
                Rule::cap_relaxed => {
                    let mut inner = parts(part);
                    let amount = self.expr(inner.next()?)?;
                    let condition = self.expr(inner.next()?)?;
                    relaxed = Some((amount, condition));
                }
                _ => clauses = self.clause_refs(part),
            }
        }
        Some(CapDecl { amount, relaxed, pro_rata, per, clauses, span })
    }

    fn clause_refs(&mut self, pair: Pair<'_, Rule>) -> Vec<ClauseRef> {
        parts(pair).map(|id| ClauseRef { text: id.as_str().to_string(), span: self.span(&id) }).collect()
    }

    fn names(&mut self, pair: Pair<'_, Rule>) -> Vec<Name> {
        parts(pair).map(|name| self.name(name)).collect()
    }

    fn clause(&mut self, pair: Pair<'_, Rule>) -> Option<Clause> {
        let span = self.span(&pair);
        let mut inner = parts(pair).peekable();
        let id_pair = inner.next()?;
        let id = ClauseRef { text: id_pair.as_str().to_string(), span: self.span(&id_pair) };
        let title = match inner.peek() {
            Some(next) if next.as_rule() == Rule::string => self.text(inner.next()?),
            _ => None,
        };
        let mut clause_parts = Vec::new();
        for part in inner {
            let part_span = self.span(&part);
            let lowered = match part.as_rule() {
                Rule::when_part => ClausePart::When(self.expr(parts(part).next()?)?),
                Rule::award_part => ClausePart::Award(self.award(parts(part).next()?)?, part_span),
                Rule::to_part => ClausePart::To(
                    parts(part)
                        .filter_map(|recipient| {
                            let mut names = parts(recipient);
                            let input = self.name(names.next()?);
                            let role = names.next().map(|role| self.name(role));
                            Some(Recipient { input, role })
                        })
                        .collect(),
                    part_span,
                ),
                Rule::once_part => {
                    ClausePart::Once(parts(part).next().map(|keys| self.names(keys)).unwrap_or_default(), part_span)
                }
                Rule::years_part => {
                    let mut count = None;
                    let mut consecutive = false;
                    let mut keys = Vec::new();
                    for item in parts(part) {
                        match item.as_rule() {
                            Rule::integer => count = Some(self.name(item)),
                            Rule::consecutive => consecutive = true,
                            Rule::per_keys => keys = self.names(item),
                            _ => {}
                        }
                    }
                    let Some(count) = count else { continue };
                    ClausePart::Years(YearLimit { count, consecutive, keys }, part_span)
                }
                Rule::instalments_part => {
                    let mut shares = Vec::new();
                    let mut milestones = None;
                    let mut all_at_once = None;
                    let mut keys = Vec::new();
                    for item in parts(part) {
                        match item.as_rule() {
                            Rule::sum => shares.extend(self.expr(item)),
                            Rule::name => milestones = Some(self.name(item)),
                            Rule::all_at_once => {
                                all_at_once = parts(item)
                                    .find(|inner| inner.as_rule() == Rule::expr)
                                    .and_then(|expr| self.expr(expr));
                            }
                            Rule::per_keys => keys = self.names(item),
                            _ => {}
                        }
                    }
                    let Some(milestones) = milestones else { continue };
                    ClausePart::Instalments(InstalmentPart { shares, milestones, all_at_once, keys }, part_span)
                }
                Rule::history_part => {
                    let mut after = true;
                    let mut subject = None;
                    let mut complete = None;
                    let mut keys = Vec::new();
                    for item in parts(part) {
                        match item.as_rule() {
                            Rule::history_after => after = item.as_str().starts_with("after"),
                            Rule::history_subject => {
                                let Some(inner) = parts(item).next() else { continue };
                                subject = match inner.as_rule() {
                                    Rule::imported_label => parts(inner)
                                        .next()
                                        .and_then(|label| self.text(label))
                                        .map(HistorySubject::Imported),
                                    _ => Some(HistorySubject::Clause(ClauseRef {
                                        span: self.span(&inner),
                                        text: inner.as_str().to_string(),
                                    })),
                                };
                            }
                            Rule::complete => complete = Some(self.span(&item)),
                            Rule::per_keys => keys = self.names(item),
                            _ => {}
                        }
                    }
                    let Some(subject) = subject else { continue };
                    ClausePart::History(HistoryPart { after, subject, complete, keys }, part_span)
                }
                Rule::review_part => ClausePart::Review(parts(part).next().map(|name| self.name(name)), part_span),
                _ => continue,
            };
            clause_parts.push(lowered);
        }
        Some(Clause { id, title, parts: clause_parts, span })
    }

    fn award(&mut self, pair: Pair<'_, Rule>) -> Option<Award> {
        let rule = pair.as_rule();
        let pair_text = pair.as_str();
        // The `of` and `max` keywords of an open amount, in order (its first is `open` or
        // `negotiated`, which is skipped).
        let pair_keywords: Vec<String> = pair
            .clone()
            .into_inner()
            .filter(|child| is_keyword(child.as_rule()))
            .skip(1)
            .map(|child| child.as_str().to_string())
            .collect();
        let mut inner = parts(pair);
        Some(match rule {
            Rule::up_to => Award::UpTo(self.expr(inner.next()?)?),
            Rule::open_amount => {
                let negotiated = pair_text.starts_with("negotiated");
                let label = self.text(inner.next()?)?;
                // After the label: the base (after `of`) and the maximum (after `max`), each
                // optional; the keyword before each tells which is which.
                let mut base = None;
                let mut maximum = None;
                let mut keyword_before = pair_keywords.into_iter();
                for part in inner {
                    let expr = self.expr(part)?;
                    match keyword_before.next().as_deref() {
                        Some("of") => base = Some(expr),
                        _ => maximum = Some(expr),
                    }
                }
                Award::Open { label, base, maximum, negotiated }
            }
            Rule::benefit => Award::Benefit(self.text(inner.next()?)?),
            Rule::range_award => {
                let low = self.expr(inner.next()?)?;
                let high = self.expr(inner.next()?)?;
                let cap = match inner.next() {
                    Some(cap) => Some(self.expr(cap)?),
                    None => None,
                };
                Award::Range { low, high, cap }
            }
            _ => {
                let amount = self.expr(inner.next()?)?;
                let cap = match inner.next() {
                    Some(cap) => Some(self.expr(cap)?),
                    None => None,
                };
                Award::Grant { amount, cap }
            }
        })
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        match rule {
            Rule::name => return Some(Expr { kind: ExprKind::Name(self.name(pair)), span }),
            Rule::duration => {
                let mut inner = pair.into_inner();
                let count_text = inner.next()?.as_str();
                let unit = PeriodUnit::from_word(inner.next()?.as_str());
                let Ok(count) = count_text.parse::<i64>() else {
                    self.bad_literal(
                        span,
                        [format!("`{count_text}` is too large a number"), format!("`{count_text}` 这个数太大")],
                        ["whole numbers must fit in 64 bits", "整数必须在 64 位以内"],
                    );
                    return None;
                };
                return Some(Expr { kind: ExprKind::Duration(count, unit), span });
            }
            Rule::date
            | Rule::money
            | Rule::percent
            | Rule::fraction
            | Rule::integer
            | Rule::number
            | Rule::boolean => {
                return Some(Expr { kind: self.literal(pair)?, span });
            }
            _ => {}
        }
        let mut inner: Vec<Pair<'_, Rule>> = parts(pair).collect();
        let kind = match rule {
            Rule::expr | Rule::group => return self.expr(inner.pop()?),
            Rule::or_expr | Rule::and_expr => {
                if inner.len() == 1 {
                    return self.expr(inner.pop()?);
                }
                let operands = inner.into_iter().map(|operand| self.expr(operand)).collect::<Option<Vec<_>>>()?;
                if rule == Rule::or_expr {
                    ExprKind::Or(operands)
                } else {
                    ExprKind::And(operands)
                }
            }
            Rule::not_expr => {
                let test = self.expr(inner.pop()?)?;
                // `not not x` is `x` (also for a missing fact: not-unknown is unknown), so
                // only the parity of the `not`s is kept: a run of them never nests.
                let Some(first_negation) = inner.first() else {
                    return Some(test);
                };
                if inner.len().is_multiple_of(2) {
                    return Some(test);
                }
                let span = self.span(first_negation).to(test.span);
                return Some(Expr { kind: ExprKind::Not(Box::new(test)), span });
            }
            Rule::test => {
                let mut inner = inner.into_iter();
                let subject = self.expr(inner.next()?)?;
                match inner.next() {
                    None => return Some(subject),
                    Some(tail) => self.test_tail(subject, tail)?,
                }
            }
            Rule::sum => {
                let mut inner = inner.into_iter();
                let first = self.expr(inner.next()?)?;
                let mut terms = Vec::new();
                while let Some(op) = inner.next() {
                    let sign = if op.as_str() == "+" { Sign::Plus } else { Sign::Minus };
                    terms.push((sign, self.expr(inner.next()?)?));
                }
                if terms.is_empty() {
                    return Some(first);
                }
                ExprKind::Sum(Box::new(first), terms)
            }
            Rule::product => {
                if inner.len() == 1 {
                    return self.expr(inner.pop()?);
                }
                let mut inner = inner.into_iter();
                let first = self.expr(inner.next()?)?;
                let mut factors = Vec::new();
                while let Some(op) = inner.next() {
                    let op = match op.as_str() {
                        "*" => MulOp::Times,
                        "/" => MulOp::Over,
                        _ => MulOp::Of,
                    };
                    factors.push((op, self.expr(inner.next()?)?));
                }
                // A chain of `of` alone is a share of its last factor.
                if factors.iter().all(|(op, _)| *op == MulOp::Of) {
                    let all = std::iter::once(first).chain(factors.into_iter().map(|(_, factor)| factor));
                    ExprKind::Of(all.collect())
                } else {
                    ExprKind::Product(Box::new(first), factors)
                }
            }
            Rule::call => {
                let mut inner = inner.into_iter();
                let function = match inner.next()?.as_str() {
                    "min" => Function::Min,
                    "year" => Function::Year,
                    _ => Function::Max,
                };
                ExprKind::Call(function, inner.map(|arg| self.expr(arg)).collect::<Option<Vec<_>>>()?)
            }
            Rule::excess => {
                let mut inner = inner.into_iter();
                let of = self.expr(inner.next()?)?;
                let over = self.expr(inner.next()?)?;
                ExprKind::Excess(Box::new(of), Box::new(over))
            }
            Rule::conditional => {
                let mut inner = inner.into_iter();
                let condition = self.expr(inner.next()?)?;
                let then = self.expr(inner.next()?)?;
                let otherwise = self.expr(inner.next()?)?;
                ExprKind::If(Box::new(condition), Box::new(then), Box::new(otherwise))
            }
            Rule::table if is_bracket_table(&inner) => {
                let mut inner = inner.into_iter();
                let subject = Box::new(self.expr(inner.next()?)?);
                let mut arms = Vec::new();
                for arm in inner {
                    let span = self.span(&arm);
                    let mut arm_parts = parts(arm);
                    let head = arm_parts.next()?;
                    let head = match head.as_rule() {
                        Rule::else_arm => BracketHead::Else,
                        Rule::interval => self.interval(head)?,
                        _ => BracketHead::Names(parts(head).map(|value| self.name(value)).collect()),
                    };
                    let amount = self.expr(arm_parts.next()?)?;
                    arms.push(BracketArm { head, amount, span });
                }
                ExprKind::Brackets { subject, arms }
            }
            Rule::table => {
                let mut inner = inner.into_iter();
                let subject = self.name(inner.next()?);
                let mut arms = Vec::new();
                for arm in inner {
                    let arm_span = self.span(&arm);
                    let mut arm_parts = parts(arm);
                    let head = arm_parts.next()?;
                    let values = match head.as_rule() {
                        Rule::else_arm => None,
                        _ => Some(parts(head).map(|value| self.name(value)).collect()),
                    };
                    let amount = self.expr(arm_parts.next()?)?;
                    arms.push(Arm { values, amount, span: arm_span });
                }
                ExprKind::Table { subject, arms }
            }
            Rule::tiers => {
                let mut subject = None;
                let mut since = None;
                let mut rows = Vec::new();
                for part in inner {
                    match part.as_rule() {
                        Rule::tier_row => {
                            let row_span = self.span(&part);
                            let mut row = parts(part);
                            let threshold = self.expr(row.next()?)?;
                            let amount = self.expr(row.next()?)?;
                            rows.push(TierRow { threshold, amount, span: row_span });
                        }
                        _ if subject.is_none() => subject = Some(Box::new(self.expr(part)?)),
                        _ => since = Some(Box::new(self.expr(part)?)),
                    }
                }
                ExprKind::Tiers { subject: subject?, since, rows }
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }

    /// A range arm's head: `[a..b]`, `(a..b]`, `> a`, `<= b` or a single value.
    fn interval(&mut self, pair: Pair<'_, Rule>) -> Option<BracketHead> {
        let form = pair.into_inner().next()?;
        let span = self.span(&form);
        let rule = form.as_rule();
        let mut inner: Vec<Pair<'_, Rule>> = form.into_inner().collect();
        Some(match rule {
            Rule::range => {
                let close = inner.pop()?.as_str() == "]";
                let high = self.expr(inner.pop()?)?;
                let low = self.expr(inner.pop()?)?;
                let open = inner.pop()?.as_str() == "[";
                BracketHead::Range { low: Some((low, open)), high: Some((high, close)) }
            }
            Rule::bound => {
                let value = self.expr(inner.pop()?)?;
                match inner.pop()?.as_str() {
                    ">" => BracketHead::Range { low: Some((value, false)), high: None },
                    ">=" => BracketHead::Range { low: Some((value, true)), high: None },
                    "<" => BracketHead::Range { low: None, high: Some((value, false)) },
                    "<=" => BracketHead::Range { low: None, high: Some((value, true)) },
                    "=" => BracketHead::Range { low: Some((value.clone(), true)), high: Some((value, true)) },
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::new(Code::SyntaxError, "a range cannot be `!=`", span, "not a range")
                                .with_help("state what the arm holds: `[1..5]`, `> 5`, or use `else`")
                                .in_chinese("区间不能写 `!=`", "不是区间")
                                .help_in_chinese("请写明这个分支的范围：`[1..5]`、`> 5`，或用 `else`"),
                        );
                        return None;
                    }
                }
            }
            _ => {
                let value = self.expr(inner.pop()?)?;
                BracketHead::Range { low: Some((value.clone(), true)), high: Some((value, true)) }
            }
        })
    }

    fn test_tail(&mut self, subject: Expr, tail: Pair<'_, Rule>) -> Option<ExprKind> {
        let rule = tail.as_rule();
        let mut inner: Vec<Pair<'_, Rule>> = parts(tail).collect();
        let subject = Box::new(subject);
        Some(match rule {
            Rule::compare => {
                let right = self.expr(inner.pop()?)?;
                let op = match inner.pop()?.as_str() {
                    "<" => CompareOp::Less,
                    "<=" => CompareOp::LessEqual,
                    ">" => CompareOp::Greater,
                    ">=" => CompareOp::GreaterEqual,
                    "=" => CompareOp::Equal,
                    _ => CompareOp::NotEqual,
                };
                ExprKind::Compare(subject, op, Box::new(right))
            }
            Rule::between => {
                let high = self.expr(inner.pop()?)?;
                let low = self.expr(inner.pop()?)?;
                ExprKind::Between(subject, Box::new(low), Box::new(high))
            }
            Rule::is_present => ExprKind::IsPresent(subject),
            Rule::within_validity => ExprKind::WithinValidity(subject),
            Rule::is_value | Rule::is_not_value | Rule::in_set | Rule::not_in_set => ExprKind::InSet {
                subject,
                values: inner.into_iter().map(|value| self.name(value)).collect(),
                negated: matches!(rule, Rule::is_not_value | Rule::not_in_set),
            },
            _ => return None,
        })
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Option<ExprKind> {
        let span = self.span(&pair);
        let text = pair.as_str();
        Some(match pair.as_rule() {
            Rule::date => ExprKind::Date(self.date_text(text, span)?),
            Rule::money => {
                let digits_len = text.find(|ch: char| !(ch.is_ascii_digit() || ch == '.')).unwrap_or(text.len());
                let (digits, unit_text) = text.split_at(digits_len);
                let unit = MoneyUnit::parse(unit_text)?;
                match money::money_in_yuan(digits, unit) {
                    Ok(amount) => ExprKind::Money(amount),
                    Err(error) => {
                        self.inexact_literal(span, text, error);
                        return None;
                    }
                }
            }
            Rule::percent => {
                let digits = text.trim_end_matches('%');
                match money::exact_decimal(digits, -2, money::PERCENT_DIGITS) {
                    Ok(ratio) => ExprKind::Ratio(ratio),
                    Err(error) => {
                        self.inexact_literal(span, text, error);
                        return None;
                    }
                }
            }
            Rule::fraction => {
                let (denominator_text, numerator_text) = text.split_once("分之").unwrap_or_default();
                let denominator = match denominator_text {
                    "万" => Some(10_000),
                    other => money::parse_chinese_numeral(other),
                };
                let places = match denominator {
                    Some(100) => 2,
                    Some(1000) => 3,
                    Some(10_000) => 4,
                    // 三分之一 has no exact decimal: it stays a fraction.
                    Some(denominator) => match money::parse_chinese_numeral(numerator_text) {
                        Some(numerator) => return Some(ExprKind::Fraction(numerator, denominator)),
                        None => {
                            self.bad_literal(
                                span,
                                [
                                    format!("`{text}` is not a fraction polc can read"),
                                    format!("polc 无法读取分数 `{text}`"),
                                ],
                                [
                                    "write the numerator in Chinese numerals, like `三分之一`",
                                    "分子请用中文数字，如 `三分之一`",
                                ],
                            );
                            return None;
                        }
                    },
                    None => 0,
                };
                if places == 0 {
                    self.bad_literal(
                        span,
                        [format!("`{text}` is not a fraction polc can read"), format!("polc 无法读取分数 `{text}`")],
                        [
                            "write a fraction like `三分之一`, `万分之一` or `百分之十五`",
                            "分数请写成 `三分之一`、`万分之一` 或 `百分之十五` 这样",
                        ],
                    );
                    return None;
                }
                let numerator = match money::parse_chinese_numeral(numerator_text) {
                    Some(numeral) => numeral.to_string(),
                    None => numerator_text.to_string(),
                };
                match money::exact_decimal(&numerator, -places, money::RATIO_DIGITS) {
                    Ok(ratio) => ExprKind::Ratio(ratio),
                    Err(money::NumberError::NotANumber) => {
                        self.bad_literal(
                            span,
                            [
                                format!("`{text}` is not a fraction polc can read"),
                                format!("polc 无法读取分数 `{text}`"),
                            ],
                            [
                                "write a fraction like `万分之一` or `百分之十五`",
                                "分数请写成 `万分之一` 或 `百分之十五` 这样",
                            ],
                        );
                        return None;
                    }
                    Err(error) => {
                        self.inexact_literal(span, text, error);
                        return None;
                    }
                }
            }
            Rule::integer => match text.parse::<i64>() {
                Ok(value) => ExprKind::Integer(value),
                Err(_) => {
                    self.bad_literal(
                        span,
                        [format!("`{text}` is too large a number"), format!("`{text}` 这个数太大")],
                        ["whole numbers must fit in 64 bits", "整数必须在 64 位以内"],
                    );
                    return None;
                }
            },
            Rule::number => match money::exact_decimal(text, 0, money::MONEY_DIGITS) {
                Ok(quantity) => ExprKind::Quantity(quantity),
                Err(error) => {
                    self.inexact_literal(span, text, error);
                    return None;
                }
            },
            Rule::boolean => ExprKind::Bool(text == "true"),
            _ => return None,
        })
    }

    fn name(&mut self, pair: Pair<'_, Rule>) -> Name {
        Name { text: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn text(&mut self, pair: Pair<'_, Rule>) -> Option<Text> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let raw = pair.into_inner().next().map(|inner| inner.as_str()).unwrap_or_default();
        let value = match rule {
            Rule::text_block => dedent(raw),
            _ => unescape(raw),
        };
        Some(Text { value, span })
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> Option<u32> {
        let span = self.span(&pair);
        match pair.as_str().parse::<u32>() {
            Ok(number) => Some(number),
            Err(_) => {
                self.bad_literal(
                    span,
                    [
                        format!("`{}` is too large a number here", pair.as_str()),
                        format!("`{}` 在此处太大", pair.as_str()),
                    ],
                    ["use a number below 4294967296", "请使用小于 4294967296 的数"],
                );
                None
            }
        }
    }

    fn date(&mut self, pair: Pair<'_, Rule>) -> Option<Date> {
        let span = self.span(&pair);
        self.date_text(pair.as_str(), span)
    }

    fn date_text(&mut self, text: &str, span: Span) -> Option<Date> {
        let date = Date::parse(text);
        if date.is_none() {
            self.bad_literal(
                span,
                [format!("`{text}` is not a calendar date"), format!("`{text}` 不是日历上的日期")],
                ["write a real day as `YYYY-MM-DD`", "请按 `YYYY-MM-DD` 写一个真实的日期"],
            );
        }
        date
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A text block's lines without their common indentation and without the blank first and
/// last lines the `"""` sit on.
fn dedent(raw: &str) -> String {
    let lines: Vec<&str> = raw.lines().collect();
    let body: Vec<&str> = {
        let mut slice = lines.as_slice();
        while let [first, rest @ ..] = slice {
            if !first.trim().is_empty() {
                break;
            }
            slice = rest;
        }
        while let [rest @ .., last] = slice {
            if !last.trim().is_empty() {
                break;
            }
            slice = rest;
        }
        slice.to_vec()
    };
    let indent = body
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    // A line of only spaces is an empty line: its spaces are invisible, and `polc fmt`
    // writes it empty, so keeping them would make formatting change the text.
    body.iter()
        .map(|line| if line.trim().is_empty() { "" } else { line.get(indent..).unwrap_or_else(|| line.trim_start()) })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fix for a literal past polc's digit limits.
/// How to write a literal polc can hold exactly: in English and in Chinese.
fn digits_help(error: money::NumberError) -> (&'static str, &'static str) {
    match error {
        money::NumberError::TooPrecise { .. } => (
            "write the value with fewer decimals, or state it in a smaller unit; polc never rounds a literal",
            "请减少小数位数，或换用更小的单位；polc 从不对字面值舍入",
        ),
        money::NumberError::TooLarge { .. } => {
            ("no policy amount needs this many digits; check the value", "政策金额不需要这么多位数；请核对数值")
        }
        money::NumberError::NotANumber => ("write digits with an optional decimal point", "请写数字，可带小数点"),
    }
}
