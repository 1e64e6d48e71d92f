//! The formatter: policy text → the same policy in one canonical layout.
//!
//! Input: the text of a `.pol` file that parses. Output: its items, parts and expressions
//! printed in canonical order and indentation, with every comment and every line of the
//! original policy text kept. Meaning never changes: `tests/fmt.rs` checks that the
//! formatted file's checked form equals the original's, and that formatting is idempotent.

/// Finds the comments the parser skips.
mod comments;

use crate::diag::Diagnostic;
use crate::syntax::ast::*;
use crate::width::display_width;
use comments::Comment;

/// Formats a policy; a file with syntax errors is not formatted, and its errors say why.
pub fn format(source: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = crate::syntax::parse(source);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let comments = comments::collect(source);
    let mut printer = Printer {
        source,
        out: String::new(),
        used: vec![false; comments.len()],
        reserved: vec![false; comments.len()],
        comments,
        floor: 0,
    };
    printer.file(&file);
    Ok(printer.out)
}

/// The width past which a line is broken at natural points: a condition at its top-level
/// `and`s or `or`s, an amount at its top-level `+`s and `-`s, a list after its commas.
const LINE_WIDTH: usize = 100;

struct Printer<'s> {
    source: &'s str,
    out: String,
    comments: Vec<Comment>,
    /// Which comments are printed already: each is printed exactly once.
    used: Vec<bool>,
    /// Trailing comments kept for the end of their part's line, which may be printed
    /// after parts that come later in the source.
    reserved: Vec<bool>,
    /// Comments before this offset belong to something printed elsewhere: clause parts
    /// are printed in canonical order, which may differ from their source order.
    floor: usize,
}

/// Binding strength of each expression form; an operand weaker than its place needs
/// brackets.
fn precedence(kind: &ExprKind) -> u8 {
    match kind {
        // `if` takes whole expressions and ends with one: bracket it inside any operator.
        ExprKind::If(..) => 0,
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare(..)
        | ExprKind::Between(..)
        | ExprKind::IsPresent(_)
        | ExprKind::InSet { .. }
        | ExprKind::WithinValidity(_) => 4,
        ExprKind::Sum(..) => 5,
        ExprKind::Of(_) | ExprKind::Product(..) => 6,
        _ => 7,
    }
}

fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

fn names(names: &[Name]) -> String {
    names.iter().map(|name| name.text.as_str()).collect::<Vec<_>>().join(", ")
}

impl Printer<'_> {
    /// Comments from the floor up to `position` that are not printed yet, each on its
    /// own line.
    fn leading_comments(&mut self, position: usize, indent: usize) {
        let first = self.comments.partition_point(|comment| comment.start < self.floor);
        for index in first..self.comments.len() {
            let Some(comment) = self.comments.get(index) else { break };
            if comment.start >= position {
                break;
            }
            if self.used.get(index).copied().unwrap_or(true) || self.reserved.get(index).copied().unwrap_or(false) {
                continue;
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&comment.text);
            self.out.push('\n');
            // A blank line after a comment in the source stays: it separates a section
            // heading from what follows.
            let after = self.source.get(comment.start + comment.text.len()..).unwrap_or_default();
            let gap = after.len() - after.trim_start().len();
            if after.get(..gap).is_some_and(|gap| gap.matches('\n').count() >= 2) && !after.trim_start().is_empty() {
                self.out.push('\n');
            }
            if let Some(used) = self.used.get_mut(index) {
                *used = true;
            }
        }
    }

    /// The unprinted comment that follows code ending at `source_end` on the same line.
    fn trailing_comment_after(&self, source_end: usize) -> Option<usize> {
        let index = self.comments.partition_point(|comment| comment.start < source_end);
        let comment = self.comments.get(index)?;
        let between = self.source.get(source_end..comment.start)?;
        let unprinted = !self.used.get(index).copied().unwrap_or(true);
        (unprinted && comment.trailing && !between.contains('\n')).then_some(index)
    }

    /// Ends a printed line whose source ended at `source_end`: a comment that followed
    /// that code on its source line stays at the end of the line.
    fn end_line(&mut self, source_end: usize) {
        if let Some(index) = self.trailing_comment_after(source_end) {
            if let Some(comment) = self.comments.get(index) {
                self.out.push_str("  ");
                self.out.push_str(&comment.text);
            }
            if let Some(used) = self.used.get_mut(index) {
                *used = true;
            }
        }
        self.out.push('\n');
    }

    fn line(&mut self, indent: usize, text: &str, source_end: usize) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.end_line(source_end);
    }

    /// Whether the source has `(` just before `span` and `)` just after it.
    fn bracketed_in_source(&self, span: crate::span::Span) -> bool {
        let before = self.source.get(..span.start).unwrap_or_default().trim_end();
        let after = self.source.get(span.end..).unwrap_or_default().trim_start();
        before.ends_with('(') && after.starts_with(')')
    }

    /// What `print` writes, taken aside instead of appended.
    fn rendered(&mut self, print: impl FnOnce(&mut Self)) -> String {
        let kept = std::mem::take(&mut self.out);
        print(self);
        std::mem::replace(&mut self.out, kept)
    }

    /// The `{ head => amount ... }` block of a table or tier list: one row a line, `=>`
    /// aligned across the rows marked for alignment, comments kept between rows.
    fn arm_block(&mut self, rows: Vec<(String, bool, crate::span::Span, &Expr)>, end: usize, indent: usize) {
        let width = rows.iter().filter(|row| row.1).map(|row| display_width(&row.0)).max().unwrap_or(0);
        self.out.push_str("{\n");
        for (head, aligned, span, amount) in rows {
            self.leading_comments(span.start, indent + 2);
            self.out.push_str(&" ".repeat(indent + 2));
            self.out.push_str(&head);
            if aligned {
                self.out.push_str(&" ".repeat(width.saturating_sub(display_width(&head))));
            }
            self.out.push_str(" => ");
            self.expr(amount, 0, indent + 2);
            self.end_line(span.end);
        }
        // The block's span ends with its last arm: comments between that arm and the `}`
        // belong inside the block too, so look for the brace itself.
        self.leading_comments(self.closing_brace(end), indent + 2);
        self.out.push_str(&" ".repeat(indent));
        self.out.push('}');
    }

    /// Where the `}` that closes a block is, given the end of its last part: only spaces
    /// and comments stand between them.
    fn closing_brace(&self, after: usize) -> usize {
        let mut at = after;
        while let Some(rest) = self.source.get(at..) {
            let Some(ch) = rest.chars().next() else { break };
            if ch == '#' {
                at += rest.find('\n').unwrap_or(rest.len());
            } else if ch.is_whitespace() {
                at += ch.len_utf8();
            } else {
                break;
            }
        }
        at
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn file(&mut self, file: &File) {
        let mut previous: Option<&Item> = None;
        for item in &file.items {
            let grouped = matches!(
                (previous, item),
                (Some(Item::Input(_)), Item::Input(_)) | (Some(Item::Value(_)), Item::Value(_))
            );
            if !grouped {
                self.blank_line();
            }
            self.leading_comments(item_span(item).start, 0);
            match item {
                Item::Policy(header) => self.header(header),
                Item::Chapter(chapter) => {
                    let text = format!("chapter {} {}", chapter.number, quote(&chapter.title.value));
                    self.line(0, &text, chapter.span.end);
                }
                Item::Section(section) => {
                    let text = format!("section {} {}", section.number.text, quote(&section.title.value));
                    self.line(0, &text, section.span.end);
                }
                Item::Enum(decl) => self.enum_decl(decl),
                Item::Input(input) => {
                    let mut text = format!("input {}: {}", input.name.text, input.ty.text);
                    if input.required {
                        text.push_str(" required");
                    }
                    if let Some(default) = &input.default {
                        text.push_str(" default ");
                        text.push_str(&self.rendered(|printer| printer.expr(default, 0, 0)));
                    }
                    if let Some(description) = &input.description {
                        text.push(' ');
                        text.push_str(&quote(&description.value));
                    }
                    self.line(0, &text, input.span.end);
                }
                Item::Value(value) => {
                    let mut text = format!("value {} = ", value.name.text);
                    text.push_str(&self.rendered(|printer| printer.expr(&value.expr, 0, 2)));
                    if let Some(label) = &value.label {
                        text.push(' ');
                        text.push_str(&quote(&label.value));
                    }
                    self.line(0, &text, value.span.end);
                }
                Item::Article(article) => self.article(article),
            }
            previous = Some(item);
        }
        self.leading_comments(usize::MAX, 0);
    }

    fn header(&mut self, header: &PolicyHeader) {
        self.line(0, &format!("policy {}", quote(&header.title.value)), header.title.span.end);
        if let Some(issuer) = &header.issued_by {
            self.leading_comments(issuer.span.start, 2);
            self.line(2, &format!("issued by {}", quote(&issuer.value)), issuer.span.end);
        }
        if let Some(validity) = &header.validity {
            self.leading_comments(validity.span.start, 2);
            let length = match &validity.length {
                ValidityLength::Until(until) => format!("until {until}"),
                ValidityLength::For { count, unit } => {
                    let word = match unit {
                        PeriodUnit::Years => "year",
                        PeriodUnit::Months => "month",
                        PeriodUnit::Days => "day",
                    };
                    format!("for {count} {word}{}", if *count == 1 { "" } else { "s" })
                }
            };
            self.line(2, &format!("valid from {} {length}", validity.from), validity.span.end);
        }
        if let Some(interpreter) = &header.interpreted_by {
            self.leading_comments(interpreter.span.start, 2);
            self.line(2, &format!("interpreted by {}", quote(&interpreter.value)), interpreter.span.end);
        }
        if let Some((id, date)) = &header.cases {
            self.leading_comments(id.span.start, 2);
            self.line(2, &format!("cases identified by {}, dated by {}", id.text, date.text), date.span.end);
        }
        if let (Some(first), Some(last)) = (header.allowed.first(), header.allowed.last()) {
            self.leading_comments(first.span.start, 2);
            self.line(2, &format!("allow {}", names(&header.allowed)), last.span.end);
        }
    }

    fn enum_decl(&mut self, decl: &EnumDecl) {
        let mut head = format!("enum {}", decl.name.text);
        if let Some(label) = &decl.label {
            head.push(' ');
            head.push_str(&quote(&label.value));
        }
        head.push(':');
        let values: Vec<String> = decl
            .values
            .iter()
            .map(|value| match &value.label {
                Some(label) => format!("{} {}", value.name.text, quote(&label.value)),
                None => value.name.text.clone(),
            })
            .collect();
        let one_line = format!("{head} {}", values.join(", "));
        let comments_inside = self
            .comments
            .iter()
            .zip(&self.used)
            .any(|(comment, used)| !used && comment.start > decl.span.start && comment.start < decl.span.end);
        if one_line.chars().count() <= 100 && !comments_inside {
            self.line(0, &one_line, decl.span.end);
            return;
        }
        self.line(0, &head, decl.name.span.end);
        for (index, (value, text)) in decl.values.iter().zip(&values).enumerate() {
            self.leading_comments(value.name.span.start, 2);
            let comma = if index + 1 < values.len() { "," } else { "" };
            let end = value.label.as_ref().map_or(value.name.span.end, |label| label.span.end);
            self.line(2, &format!("{text}{comma}"), end);
        }
    }

    fn article(&mut self, article: &Article) {
        self.line(0, &format!("article {} {}", article.number, quote(&article.title.value)), article.title.span.end);
        let mut previous: Option<&ArticlePart> = None;
        for part in &article.parts {
            let separate = match (previous, part) {
                (None, _) => false,
                (_, ArticlePart::Clause(_)) => true,
                (Some(ArticlePart::Clause(_) | ArticlePart::Original(_) | ArticlePart::Responsible(_)), _) => {
                    matches!(part, ArticlePart::Gate(_) | ArticlePart::Class(_) | ArticlePart::Cap(_))
                }
                _ => false,
            };
            if separate {
                self.blank_line();
            }
            self.leading_comments(part_span(part).start, 2);
            match part {
                ArticlePart::Responsible(units) => {
                    let list: Vec<String> = units.iter().map(|unit| quote(&unit.value)).collect();
                    let end = units.last().map_or(0, |unit| unit.span.end);
                    self.line(2, &format!("responsible {}", list.join(", ")), end);
                }
                ArticlePart::Original(text) => {
                    let is_block = self.source.get(text.span.start..).is_some_and(|rest| rest.starts_with("\"\"\""));
                    if !is_block {
                        self.line(2, &format!("text {}", quote(&text.value)), text.span.end);
                    } else {
                        self.out.push_str("  text \"\"\"\n");
                        for line in text.value.lines() {
                            if line.trim().is_empty() {
                                self.out.push('\n');
                            } else {
                                self.out.push_str("    ");
                                self.out.push_str(line);
                                self.out.push('\n');
                            }
                        }
                        self.line(2, "\"\"\"", text.span.end);
                    }
                }
                ArticlePart::Clause(clause) => self.clause(clause),
                ArticlePart::Gate(condition) => {
                    self.out.push_str("  require ");
                    self.fitted(condition, 2);
                    self.end_line(condition.span.end);
                }
                ArticlePart::Class(class) => {
                    let mut text = format!("class {}", class.name.text);
                    if let Some(label) = &class.label {
                        text.push(' ');
                        text.push_str(&quote(&label.value));
                    }
                    text.push_str(" of ");
                    self.out.push_str("  ");
                    self.out.push_str(&text);
                    let refs: Vec<String> = class.clauses.iter().map(|clause| clause.text.clone()).collect();
                    self.fill(&refs, 4);
                    if !class.imported.is_empty() {
                        let labels: Vec<String> = class.imported.iter().map(|label| quote(&label.value)).collect();
                        self.out.push_str(&format!(" and imported {}", labels.join(", ")));
                    }
                    self.out.push_str(&format!(" keep highest per {}", names(&class.per)));
                    self.end_line(class.span.end);
                }
                ArticlePart::Cap(cap) => {
                    self.out.push_str("  cap ");
                    self.expr(&cap.amount, 0, 2);
                    if let Some((amount, condition)) = &cap.relaxed {
                        self.out.push_str(" relaxed to ");
                        self.expr(amount, 0, 2);
                        self.out.push_str(" when ");
                        self.expr(condition, 0, 2);
                    }
                    if cap.pro_rata {
                        self.out.push_str(" pro rata");
                    }
                    if !cap.per.is_empty() {
                        self.out.push_str(&format!(" per {}", names(&cap.per)));
                    }
                    self.out.push_str(" over ");
                    let refs: Vec<String> = cap.clauses.iter().map(|clause| clause.text.clone()).collect();
                    self.fill(&refs, 4);
                    self.end_line(cap.span.end);
                }
            }
            previous = Some(part);
        }
        self.closing_comments(article.span.end, 2);
    }

    /// The comments after an item's last part that are indented under it: they close the
    /// item where they stand, not open the next one.
    fn closing_comments(&mut self, end: usize, indent: usize) {
        let first = self.comments.partition_point(|comment| comment.start < end);
        for index in first..self.comments.len() {
            let Some(comment) = self.comments.get(index) else { break };
            let between = self.source.get(end..comment.start).unwrap_or_default();
            // Only comments and blank lines between: nothing else of the file comes first.
            let only_comments = between.lines().all(|line| {
                let line = line.trim_start();
                line.is_empty() || line.starts_with('#')
            });
            let line_start =
                self.source.get(..comment.start).and_then(|before| before.rfind('\n')).map_or(0, |at| at + 1);
            let indented = comment.start > line_start;
            if !only_comments || !indented || comment.trailing {
                break;
            }
            if self.used.get(index).copied().unwrap_or(true) {
                continue;
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&comment.text);
            self.out.push('\n');
            if let Some(used) = self.used.get_mut(index) {
                *used = true;
            }
        }
    }

    /// Writes `items` joined by `, `, starting a new line indented by `indent` where the
    /// next one would pass [`LINE_WIDTH`].
    fn fill(&mut self, items: &[String], indent: usize) {
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.out.push(',');
                let line_start = self.out.rfind('\n').map_or(0, |newline| newline + 1);
                let column = display_width(self.out.get(line_start..).unwrap_or_default());
                if column + 1 + display_width(item) > LINE_WIDTH {
                    self.out.push('\n');
                    self.out.push_str(&" ".repeat(indent));
                } else {
                    self.out.push(' ');
                }
            }
            self.out.push_str(item);
        }
    }

    fn clause(&mut self, clause: &Clause) {
        let mut head = format!("clause {}", clause.id.text);
        if let Some(title) = &clause.title {
            head.push(' ');
            head.push_str(&quote(&title.value));
        }
        let head_end = clause.title.as_ref().map_or(clause.id.span.end, |title| title.span.end);
        self.line(2, &head, head_end);
        // Canonical order: when, award, to, once, years, after/unless, review; a stable sort
        // keeps repeats (and several after/unless parts in their order).
        let mut parts: Vec<&ClausePart> = clause.parts.iter().collect();
        parts.sort_by_key(|part| match part {
            ClausePart::When(_) => 0,
            ClausePart::Award(..) => 1,
            ClausePart::To(..) => 2,
            ClausePart::Once(..) => 3,
            ClausePart::Years(..) => 4,
            ClausePart::History(..) => 5,
            ClausePart::Instalments(..) => 6,
            ClausePart::Review(..) => 7,
        });
        // A part owns the comments between the part before it in the source and itself.
        let mut source_order: Vec<crate::span::Span> = clause.parts.iter().map(ClausePart::span).collect();
        source_order.sort_by_key(|span| span.start);
        for span in &source_order {
            if let Some(index) = self.trailing_comment_after(span.end) {
                if let Some(reserved) = self.reserved.get_mut(index) {
                    *reserved = true;
                }
            }
        }
        for part in parts {
            let span = part.span();
            self.floor = source_order
                .iter()
                .filter(|other| other.end <= span.start)
                .map(|other| other.end)
                .max()
                .unwrap_or(head_end);
            self.leading_comments(span.start, 4);
            self.out.push_str("    ");
            match part {
                ClausePart::When(condition) => {
                    self.out.push_str("when ");
                    self.fitted(condition, 4);
                }
                ClausePart::Award(award, _) => {
                    self.out.push_str("award ");
                    self.award(award);
                }
                ClausePart::To(recipients, _) => {
                    let list: Vec<String> = recipients
                        .iter()
                        .map(|recipient| match &recipient.role {
                            Some(role) => format!("{} as {}", recipient.input.text, role.text),
                            None => recipient.input.text.clone(),
                        })
                        .collect();
                    self.out.push_str(&format!("to {}", list.join(", ")));
                }
                ClausePart::Once(keys, _) if keys.is_empty() => self.out.push_str("once"),
                ClausePart::Once(keys, _) => self.out.push_str(&format!("once per {}", names(keys))),
                ClausePart::Years(limit, _) => {
                    let consecutive = if limit.consecutive { " consecutive" } else { "" };
                    self.out.push_str(&format!("for at most {}{consecutive} years", limit.count.text));
                    if !limit.keys.is_empty() {
                        self.out.push_str(&format!(" per {}", names(&limit.keys)));
                    }
                }
                ClausePart::Instalments(instalments, _) => {
                    self.out.push_str("in instalments ");
                    for (index, share) in instalments.shares.iter().enumerate() {
                        if index > 0 {
                            self.out.push_str(", ");
                        }
                        self.fitted(share, 4);
                    }
                    self.out.push_str(&format!(" by {}", instalments.milestones.text));
                    if let Some(condition) = &instalments.all_at_once {
                        self.out.push_str(" all at once when ");
                        self.fitted(condition, 4);
                    }
                    if !instalments.keys.is_empty() {
                        self.out.push_str(&format!(" per {}", names(&instalments.keys)));
                    }
                }
                ClausePart::History(history, _) => {
                    self.out.push_str(if history.after { "after " } else { "unless " });
                    match &history.subject {
                        HistorySubject::Clause(clause) => self.out.push_str(&clause.text),
                        HistorySubject::Imported(label) => {
                            self.out.push_str(&format!("imported {}", quote(&label.value)))
                        }
                    }
                    if history.complete.is_some() {
                        self.out.push_str(" complete");
                    }
                    if !history.keys.is_empty() {
                        self.out.push_str(&format!(" per {}", names(&history.keys)));
                    }
                }
                ClausePart::Review(granted, _) => {
                    self.out.push_str("subject to review");
                    if let Some(granted) = granted {
                        self.out.push_str(&format!(" granted as {}", granted.text));
                    }
                }
            }
            self.end_line(span.end);
        }
        self.floor = clause.span.start;
        self.reserved.iter_mut().for_each(|reserved| *reserved = false);
    }

    fn award(&mut self, award: &Award) {
        match award {
            Award::Grant { amount, cap } => {
                self.fitted(amount, 4);
                if let Some(cap) = cap {
                    self.out.push_str(" max ");
                    self.expr(cap, 0, 4);
                }
            }
            Award::UpTo(max) => {
                self.out.push_str("up to ");
                self.expr(max, 0, 4);
            }
            Award::Open { label, base, maximum, negotiated } => {
                let keyword = if *negotiated { "negotiated" } else { "open" };
                self.out.push_str(&format!("{keyword} {}", quote(&label.value)));
                if let Some(base) = base {
                    self.out.push_str(" of ");
                    self.expr(base, 7, 4);
                }
                if let Some(maximum) = maximum {
                    self.out.push_str(" max ");
                    self.expr(maximum, 0, 4);
                }
            }
            Award::Benefit(description) => self.out.push_str(&format!("benefit {}", quote(&description.value))),
            Award::Range { low, high, cap } => {
                self.out.push_str("between ");
                self.expr(low, 6, 4);
                self.out.push_str(" and ");
                self.expr(high, 6, 4);
                if let Some(cap) = cap {
                    self.out.push_str(" max ");
                    self.expr(cap, 0, 4);
                }
            }
        }
    }

    /// Prints a condition or an amount: on its line when it fits in [`LINE_WIDTH`], else a
    /// top-level `and`/`or` chain or sum with one operand per line, each after its operator.
    fn fitted(&mut self, expr: &Expr, indent: usize) {
        let line_start = self.out.rfind('\n').map_or(0, |newline| newline + 1);
        let start = self.out.len();
        self.expr(expr, 0, indent);
        let printed = self.out.get(line_start..).unwrap_or_default();
        if printed.contains('\n') || display_width(printed) <= LINE_WIDTH {
            return;
        }
        let (operands, operand_min): (Vec<(&str, &Expr)>, u8) = match &expr.kind {
            ExprKind::Or(parts) => (parts.iter().map(|part| ("or ", part)).collect(), 2),
            ExprKind::And(parts) => (parts.iter().map(|part| ("and ", part)).collect(), 3),
            ExprKind::Sum(first, terms) => {
                let rest = terms.iter().map(|(sign, term)| (if *sign == Sign::Plus { "+ " } else { "- " }, term));
                (std::iter::once(("", &**first)).chain(rest).collect(), 6)
            }
            _ => return,
        };
        self.out.truncate(start);
        for (index, (word, operand)) in operands.into_iter().enumerate() {
            if index > 0 {
                self.out.push('\n');
                self.out.push_str(&" ".repeat(indent + 2));
                self.out.push_str(word);
            }
            self.expr(operand, operand_min, indent + 2);
        }
    }

    /// Prints `expr` where an operand must bind at least as tightly as `min`; `indent` is
    /// the indentation of the line it sits on (tables and tiers continue below it).
    // INVARIANT: the AST is at most `syntax::MAX_NESTING` brackets deep, so this
    // recursion is bounded.
    fn expr(&mut self, expr: &Expr, min: u8, indent: usize) {
        // Brackets the author wrote around an operation inside another stay, though
        // precedence does not need them: `tiers of (y - s)`, `(a and b) or c` read better.
        let kept = min > 0 && precedence(&expr.kind) < 7 && self.bracketed_in_source(expr.span);
        let bracket = precedence(&expr.kind) < min || kept;
        if bracket {
            self.out.push('(');
        }
        match &expr.kind {
            ExprKind::Or(parts) | ExprKind::And(parts) => {
                let (word, operand_min) = if matches!(expr.kind, ExprKind::Or(_)) { (" or ", 2) } else { (" and ", 3) };
                for (index, part) in parts.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(word);
                    }
                    self.expr(part, operand_min, indent);
                }
            }
            ExprKind::Not(inner) => {
                self.out.push_str("not ");
                self.expr(inner, 4, indent);
            }
            ExprKind::Compare(left, op, right) => {
                self.expr(left, 5, indent);
                self.out.push_str(&format!(" {} ", op.symbol()));
                self.expr(right, 5, indent);
            }
            ExprKind::Between(subject, low, high) => {
                self.expr(subject, 5, indent);
                self.out.push_str(" between ");
                self.expr(low, 5, indent);
                self.out.push_str(" and ");
                self.expr(high, 5, indent);
            }
            ExprKind::IsPresent(subject) => {
                self.expr(subject, 5, indent);
                self.out.push_str(" is present");
            }
            ExprKind::InSet { subject, values, negated } => {
                self.expr(subject, 5, indent);
                match (values.as_slice(), negated) {
                    ([only], false) => self.out.push_str(&format!(" is {}", only.text)),
                    ([only], true) => self.out.push_str(&format!(" is not {}", only.text)),
                    (_, false) => self.out.push_str(&format!(" in {{{}}}", names(values))),
                    (_, true) => self.out.push_str(&format!(" not in {{{}}}", names(values))),
                }
            }
            ExprKind::WithinValidity(subject) => {
                self.expr(subject, 5, indent);
                self.out.push_str(" within validity");
            }
            ExprKind::Sum(first, terms) => {
                self.expr(first, 6, indent);
                for (sign, term) in terms {
                    self.out.push_str(if *sign == Sign::Plus { " + " } else { " - " });
                    self.expr(term, 6, indent);
                }
            }
            ExprKind::Of(factors) => {
                for (index, factor) in factors.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(" of ");
                    }
                    self.expr(factor, 7, indent);
                }
            }
            ExprKind::Product(first, factors) => {
                // Brackets inside a product carry meaning: `(a * b) / c` is kept as written.
                self.expr(first, 7, indent);
                for (op, factor) in factors {
                    self.out.push_str(&format!(" {} ", op.symbol()));
                    self.expr(factor, 7, indent);
                }
            }
            ExprKind::Excess(of, over) => {
                self.out.push_str("excess of ");
                self.expr(of, 6, indent);
                self.out.push_str(" over ");
                self.expr(over, 6, indent);
            }
            ExprKind::If(condition, then, otherwise) => {
                self.out.push_str("if ");
                self.expr(condition, 0, indent);
                self.out.push_str(" then ");
                self.expr(then, 0, indent);
                self.out.push_str(" else ");
                self.expr(otherwise, 0, indent);
            }
            ExprKind::Call(function, args) => {
                self.out.push_str(function.name());
                self.out.push('(');
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(arg, 0, indent);
                }
                self.out.push(')');
            }
            ExprKind::Name(name) => self.out.push_str(&name.text),
            ExprKind::Duration(count, unit) => self.out.push_str(&duration_text(*count, *unit)),
            ExprKind::Money(_)
            | ExprKind::Ratio(_)
            | ExprKind::Fraction(..)
            | ExprKind::Quantity(_)
            | ExprKind::Integer(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_) => {
                // Literals keep their written form: `万分之一` stays `万分之一`.
                let written = self.source.get(expr.span.start..expr.span.end).unwrap_or_default();
                self.out.push_str(written.trim());
            }
            ExprKind::Table { subject, arms } => {
                self.out.push_str(&format!("by {} ", subject.text));
                // `=>` lines up across the value arms; `else` stands apart.
                let rows = arms
                    .iter()
                    .map(|arm| match &arm.values {
                        Some(values) => (names(values), true, arm.span, &arm.amount),
                        None => ("else".to_string(), true, arm.span, &arm.amount),
                    })
                    .collect();
                self.arm_block(rows, expr.span.end, indent);
            }
            ExprKind::Brackets { subject, arms } => {
                self.out.push_str("by ");
                // A bracketed subject keeps its brackets: `by (year_of_schedule) { ... }`.
                if matches!(subject.kind, ExprKind::Name(_)) {
                    self.expr(subject, 7, indent);
                } else {
                    self.out.push('(');
                    self.expr(subject, 0, indent);
                    self.out.push(')');
                }
                self.out.push(' ');
                let rows = arms
                    .iter()
                    .map(|arm| {
                        let head = match &arm.head {
                            BracketHead::Else => return ("else".to_string(), true, arm.span, &arm.amount),
                            BracketHead::Names(values) => names(values),
                            BracketHead::Range { low, high } => {
                                let low = low.as_ref().map(|(value, included)| {
                                    (self.rendered(|printer| printer.expr(value, 7, indent)), *included)
                                });
                                let high = high.as_ref().map(|(value, included)| {
                                    (self.rendered(|printer| printer.expr(value, 7, indent)), *included)
                                });
                                crate::syntax::ast::range_text(
                                    low.as_ref().map(|(text, included)| (text.as_str(), *included)),
                                    high.as_ref().map(|(text, included)| (text.as_str(), *included)),
                                )
                            }
                        };
                        (head, true, arm.span, &arm.amount)
                    })
                    .collect();
                self.arm_block(rows, expr.span.end, indent);
            }
            ExprKind::Tiers { subject, since, rows } => {
                self.out.push_str("tiers of ");
                self.expr(subject, 5, indent);
                if let Some(since) = since {
                    self.out.push_str(" crossed since ");
                    self.expr(since, 5, indent);
                }
                self.out.push(' ');
                let rows = rows
                    .iter()
                    .map(|row| {
                        let threshold = self.rendered(|printer| printer.expr(&row.threshold, 5, indent + 2));
                        (threshold, true, row.span, &row.amount)
                    })
                    .collect();
                self.arm_block(rows, expr.span.end, indent);
            }
        }
        if bracket {
            self.out.push(')');
        }
    }
}

fn item_span(item: &Item) -> crate::span::Span {
    match item {
        Item::Policy(header) => header.span,
        Item::Chapter(chapter) => chapter.span,
        Item::Section(section) => section.span,
        Item::Enum(decl) => decl.span,
        Item::Input(input) => input.span,
        Item::Value(value) => value.span,
        Item::Article(article) => article.span,
    }
}

fn part_span(part: &ArticlePart) -> crate::span::Span {
    match part {
        ArticlePart::Responsible(units) => match (units.first(), units.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => crate::span::Span::default(),
        },
        ArticlePart::Original(text) => text.span,
        ArticlePart::Clause(clause) => clause.span,
        ArticlePart::Gate(condition) => condition.span,
        ArticlePart::Class(class) => class.span,
        ArticlePart::Cap(cap) => cap.span,
    }
}
