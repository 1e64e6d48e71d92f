//! Types every expression, resolving its names. An expression with an error becomes
//! `None` after one diagnostic, so one mistake is reported once, not at every use.

use super::checked::{Bracket, Expr, ExprKind, TableArm, Tier, Type, Value};
use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::money;
use crate::span::Span;
use crate::syntax::ast::{self, CompareOp, MulOp};

impl Checker {
    /// Checks a condition: it must be true or false.
    pub(super) fn condition(&mut self, expr: &ast::Expr, place: &str) -> Option<Expr> {
        let checked = self.expr(expr)?;
        self.expect(checked, Type::Bool, Code::ConditionNotBool, place)
    }

    /// Checks an amount of money.
    pub(super) fn money(&mut self, expr: &ast::Expr, code: Code, place: &str) -> Option<Expr> {
        let checked = self.expr(expr)?;
        self.expect(checked, Type::Money, code, place)
    }

    fn expect(&mut self, expr: Expr, want: Type, code: Code, place: &str) -> Option<Expr> {
        if expr.ty == want {
            return Some(expr);
        }
        let found = self.scope.type_name(expr.ty);
        let found_zh = self.scope.type_name_zh(expr.ty);
        let mut diagnostic = Diagnostic::new(
            code,
            format!("{place} must be {}, but this is {found}", self.scope.type_name(want)),
            expr.span,
            format!("this is {found}"),
        )
        .in_chinese(format!("此处应为{}，实际是{found_zh}", self.scope.type_name_zh(want)), format!("这是{found_zh}"));
        if let (Type::Money, ExprKind::Literal(Value::Integer(value))) = (want, &expr.kind) {
            diagnostic = diagnostic
                .with_help("give the amount a unit: `元`, `万` or `亿`")
                .help_in_chinese("请给金额加上单位：`元`、`万` 或 `亿`")
                .with_fix(expr.span, format!("{value}元"))
                .with_fix(expr.span, format!("{value}万"));
        } else if want == Type::Bool && matches!(expr.ty, Type::Enum(_)) {
            diagnostic = diagnostic
                .with_help("test an enum with `is VALUE`, `in {...}` or `is present`")
                .help_in_chinese("判断枚举请用 `is 取值`、`in {...}` 或 `is present`");
        }
        self.diagnostics.push(diagnostic);
        None
    }

    // INVARIANT: the AST is at most `syntax::MAX_NESTING` brackets deep and lists (and,
    // or, sums, `of` chains, `not`) are flat, so this recursion is bounded.
    pub(super) fn expr(&mut self, expr: &ast::Expr) -> Option<Expr> {
        let span = expr.span;
        let typed = |kind, ty| Some(Expr { kind, ty, span });
        match &expr.kind {
            ast::ExprKind::Money(amount) => typed(ExprKind::Literal(Value::Money(*amount)), Type::Money),
            ast::ExprKind::Ratio(ratio) => {
                if *ratio > rust_decimal::Decimal::ONE {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::PercentAbove100,
                            format!("{} is more than the whole amount", money::format_percent(*ratio)),
                            span,
                            "above 100%",
                        )
                        .with_help("check the percentage against the policy text")
                        .in_chinese(format!("{} 超过了全额", money::format_percent(*ratio)), "超过 100%")
                        .help_in_chinese("请对照政策原文核对这个百分比"),
                    );
                }
                typed(ExprKind::Literal(Value::Ratio(*ratio)), Type::Ratio)
            }
            ast::ExprKind::Integer(value) => typed(ExprKind::Literal(Value::Integer(*value)), Type::Integer),
            ast::ExprKind::Quantity(value) => typed(ExprKind::Literal(Value::Quantity(*value)), Type::Quantity),
            ast::ExprKind::Fraction(numerator, denominator) => {
                if numerator > denominator {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::PercentAbove100,
                            "this fraction is more than the whole amount",
                            span,
                            "above 1",
                        )
                        .with_help("check the fraction against the policy text")
                        .in_chinese("这个分数超过了全额", "大于 1")
                        .help_in_chinese("请对照政策原文核对这个分数"),
                    );
                }
                let whole = |value: u64| {
                    let value = i64::try_from(value).ok()?;
                    Some(Expr { kind: ExprKind::Literal(Value::Integer(value)), ty: Type::Integer, span })
                };
                let (numerator, denominator) = (whole(*numerator)?, whole(*denominator)?);
                typed(
                    ExprKind::Product { first: Box::new(numerator), factors: vec![(MulOp::Over, denominator)] },
                    Type::Ratio,
                )
            }
            ast::ExprKind::Product(first, factors) => self.product(first, factors),
            ast::ExprKind::Bool(value) => typed(ExprKind::Literal(Value::Bool(*value)), Type::Bool),
            ast::ExprKind::Date(date) => {
                if let Some(validity) = self.scope.validity {
                    if !validity.contains(*date) {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::DateOutsideValidity,
                                format!(
                                    "{date} is outside the policy's validity ({} to {})",
                                    validity.from, validity.until
                                ),
                                span,
                                "never in force",
                            )
                            .with_help("check the date against the policy text, or the validity in the header")
                            .in_chinese(
                                format!("{date} 不在政策有效期（{} 至 {}）内", validity.from, validity.until),
                                "从未生效",
                            )
                            .help_in_chinese("请对照政策原文或头部的有效期核对这个日期"),
                        );
                    }
                }
                typed(ExprKind::Literal(Value::Date(*date)), Type::Date)
            }
            ast::ExprKind::Name(name) => {
                if let Some(&(id, ty)) = self.scope.value_by_name.get(&name.text) {
                    return typed(ExprKind::Named(id), ty);
                }
                let id = self.lookup_input(name)?;
                typed(ExprKind::Input(id), self.scope.input_type(id)?)
            }
            ast::ExprKind::Not(operand) => {
                let operand = self.condition(operand, "the operand of `not`")?;
                typed(ExprKind::Not(Box::new(operand)), Type::Bool)
            }
            ast::ExprKind::And(operands) | ast::ExprKind::Or(operands) => {
                let word = if matches!(expr.kind, ast::ExprKind::And(_)) { "and" } else { "or" };
                let checked: Vec<Option<Expr>> =
                    operands.iter().map(|operand| self.condition(operand, &format!("each side of `{word}`"))).collect();
                let checked: Vec<Expr> = checked.into_iter().collect::<Option<_>>()?;
                let kind = if word == "and" { ExprKind::And(checked) } else { ExprKind::Or(checked) };
                typed(kind, Type::Bool)
            }
            ast::ExprKind::Compare(left, op, right) => {
                let (left, right) = (self.expr(left), self.expr(right));
                let (left, right) = (left?, right?);
                let (left_ty, right_ty) = (left.ty, right.ty);
                let (left, right) = (adapt(left, right_ty), adapt(right, left_ty));
                self.comparable(&left, *op, &right)?;
                typed(ExprKind::Compare(Box::new(left), *op, Box::new(right)), Type::Bool)
            }
            ast::ExprKind::Between(subject, low, high) => {
                let (subject, low, high) = (self.expr(subject), self.expr(low), self.expr(high));
                let (subject, low, high) = (subject?, low?, high?);
                let (low, high) = (adapt(low, subject.ty), adapt(high, subject.ty));
                let low_ok = self.comparable(&subject, CompareOp::GreaterEqual, &low);
                let high_ok = self.comparable(&subject, CompareOp::LessEqual, &high);
                low_ok?;
                high_ok?;
                typed(
                    ExprKind::Between { subject: Box::new(subject), low: Box::new(low), high: Box::new(high) },
                    Type::Bool,
                )
            }
            ast::ExprKind::IsPresent(subject) => {
                let ast::ExprKind::Name(name) = &subject.kind else {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            "only an input can be present or missing",
                            subject.span,
                            "not an input",
                        )
                        .with_help("write `INPUT is present`")
                        .in_chinese("只有申报数据才有已填报或未填报之分", "不是申报数据")
                        .help_in_chinese("请写 `申报数据 is present`"),
                    );
                    return None;
                };
                let id = self.lookup_input(name)?;
                typed(ExprKind::IsPresent(id), Type::Bool)
            }
            ast::ExprKind::InSet { subject, values, negated } => {
                let subject = self.expr(subject)?;
                let Type::Enum(enum_id) = subject.ty else {
                    self.not_an_enum(&subject, "`is` and `in` test enum values");
                    return None;
                };
                let resolved: Vec<Option<u32>> =
                    values.iter().map(|value| self.report(self.scope.enum_value(enum_id, value))).collect();
                let values = resolved.into_iter().collect::<Option<Vec<u32>>>()?;
                typed(ExprKind::InSet { subject: Box::new(subject), values, negated: *negated }, Type::Bool)
            }
            ast::ExprKind::WithinValidity(subject) => {
                let subject = self.expr(subject)?;
                let subject =
                    self.expect(subject, Type::Date, Code::TypeMismatch, "the subject of `within validity`")?;
                if self.scope.validity.is_none() {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::PolicyHeader,
                            "the policy declares no validity",
                            span,
                            "validity of what?",
                        )
                        .with_help("add `valid from YYYY-MM-DD for N years` to the `policy` header")
                        .in_chinese("政策没有声明有效期", "哪个有效期？")
                        .help_in_chinese("请在 `policy` 头部加上 `valid from YYYY-MM-DD for N years`"),
                    );
                    return None;
                }
                typed(ExprKind::WithinValidity(Box::new(subject)), Type::Bool)
            }
            ast::ExprKind::Duration(..) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        "a length of time only shifts a date",
                        span,
                        "a length of time",
                    )
                    .with_help("add it to a date: `construction_start + 12 months`")
                    .in_chinese("时长只能用来移动日期", "一段时长")
                    .help_in_chinese("把它加在日期上：`construction_start + 12 months`"),
                );
                None
            }
            ast::ExprKind::Sum(first, terms)
                if terms.iter().any(|(_, term)| matches!(term.kind, ast::ExprKind::Duration(..))) =>
            {
                let date = self.expr(first)?;
                if date.ty != Type::Date {
                    self.mismatch(&date, "a length of time is added to a date", "时长只能加在日期上");
                    return None;
                }
                let mut shifts = Vec::new();
                for (sign, term) in terms {
                    let ast::ExprKind::Duration(count, unit) = term.kind else {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                "only lengths of time are added to a date",
                                term.span,
                                "not a length of time",
                            )
                            .with_help("write `date + 12 months`, `date - 30 days`")
                            .in_chinese("日期只能加减时长", "不是时长")
                            .help_in_chinese("请写 `date + 12 months`、`date - 30 days`"),
                        );
                        return None;
                    };
                    shifts.push((*sign, count, unit));
                }
                typed(ExprKind::DateShift(Box::new(date), shifts), Type::Date)
            }
            ast::ExprKind::Sum(first, terms) => {
                let first = self.expr(first);
                let terms: Vec<Option<(ast::Sign, Expr)>> =
                    terms.iter().map(|(sign, term)| self.expr(term).map(|term| (*sign, term))).collect();
                let first = first?;
                let terms = terms.into_iter().collect::<Option<Vec<_>>>()?;
                if !first.ty.is_number() {
                    self.mismatch(
                        &first,
                        "only numbers can be added: money, ratios, integers and quantities",
                        "只有数值可以相加：金额、比例、整数和数量",
                    );
                    return None;
                }
                let mut ty = first.ty;
                let terms: Vec<(ast::Sign, Expr)> =
                    terms.into_iter().map(|(sign, term)| (sign, adapt(term, first.ty))).collect();
                for (_, term) in &terms {
                    if is_count(term.ty) && is_count(ty) {
                        // Integers and quantities add up to a quantity.
                        ty = if term.ty == ty { ty } else { Type::Quantity };
                    } else if term.ty != first.ty {
                        let message = format!(
                            "cannot add {} to {}",
                            self.scope.type_name(term.ty),
                            self.scope.type_name(first.ty)
                        );
                        let chinese = format!(
                            "{}不能与{}相加",
                            self.scope.type_name_zh(term.ty),
                            self.scope.type_name_zh(first.ty)
                        );
                        self.mismatch(term, &message, &chinese);
                        return None;
                    }
                }
                typed(ExprKind::Sum(Box::new(first), terms), ty)
            }
            ast::ExprKind::Of(factors) => self.of(factors, span),
            ast::ExprKind::Excess(of, over) => {
                let (of, over) = (self.expr(of), self.expr(over));
                let (of, over) = (of?, over?);
                let over = adapt(over, of.ty);
                if !of.ty.is_number() || of.ty != over.ty {
                    let message = format!(
                        "`excess of` subtracts one number from another of its type: this is {}, the first is {}",
                        self.scope.type_name(over.ty),
                        self.scope.type_name(of.ty)
                    );
                    let chinese = format!(
                        "`excess of` 只能从一个数值中减去同类型的数值：这是{}，前一个是{}",
                        self.scope.type_name_zh(over.ty),
                        self.scope.type_name_zh(of.ty)
                    );
                    self.mismatch(&over, &message, &chinese);
                    return None;
                }
                let ty = of.ty;
                typed(ExprKind::Excess { of: Box::new(of), over: Box::new(over) }, ty)
            }
            ast::ExprKind::If(condition, then, otherwise) => {
                let condition = self.condition(condition, "the condition of `if`");
                let then = self.expr(then);
                let otherwise = self.expr(otherwise);
                let (condition, then, otherwise) = (condition?, then?, otherwise?);
                if otherwise.ty != then.ty {
                    let message = format!(
                        "both branches of `if` give one type: `then` gives {}, `else` gives {}",
                        self.scope.type_name(then.ty),
                        self.scope.type_name(otherwise.ty)
                    );
                    let chinese = format!(
                        "`if` 的两个分支应给出同一类型：`then` 给出{}，`else` 给出{}",
                        self.scope.type_name_zh(then.ty),
                        self.scope.type_name_zh(otherwise.ty)
                    );
                    self.mismatch(&otherwise, &message, &chinese);
                    return None;
                }
                let ty = then.ty;
                typed(
                    ExprKind::If {
                        condition: Box::new(condition),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                )
            }
            ast::ExprKind::Call(function, args) => {
                let checked: Vec<Option<Expr>> = args.iter().map(|arg| self.expr(arg)).collect();
                let args = checked.into_iter().collect::<Option<Vec<Expr>>>()?;
                let first = args.first()?;
                let arity_ok = match function {
                    ast::Function::Year => args.len() == 1,
                    ast::Function::Min | ast::Function::Max => args.len() >= 2,
                };
                if !arity_ok {
                    let (wanted, example) = match function {
                        ast::Function::Year => ("one date", "`year(date)`"),
                        _ => ("two or more values", "`min(10% of amount, 100万)`"),
                    };
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`{}` takes {wanted}", function.name()),
                            span,
                            format!("{} argument{}", args.len(), if args.len() == 1 { "" } else { "s" }),
                        )
                        .with_help(format!("write {example}"))
                        .in_chinese(format!("`{}` 的参数个数不对", function.name()), format!("{} 个参数", args.len()))
                        .help_in_chinese(format!("请写 {example}")),
                    );
                    return None;
                }
                if *function == ast::Function::Year {
                    if first.ty != Type::Date {
                        self.mismatch(first, "`year` takes a date", "`year` 的参数应为日期");
                        return None;
                    }
                    return typed(ExprKind::Call(*function, args), Type::Integer);
                }
                if !first.ty.is_number() {
                    let message =
                        format!("`{}` compares numbers: money, ratios, integers or quantities", function.name());
                    let chinese = format!("`{}` 比较的是数值：金额、比例、整数或数量", function.name());
                    self.mismatch(first, &message, &chinese);
                    return None;
                }
                let ty = first.ty;
                let args: Vec<Expr> = args.into_iter().map(|arg| adapt(arg, ty)).collect();
                if let Some(other) = args.iter().find(|arg| arg.ty != ty) {
                    let message = format!(
                        "`{}` compares values of one type: this is {}, the first is {}",
                        function.name(),
                        self.scope.type_name(other.ty),
                        self.scope.type_name(ty)
                    );
                    let chinese = format!(
                        "`{}` 比较的值应为同一类型：这是{}，第一个是{}",
                        function.name(),
                        self.scope.type_name_zh(other.ty),
                        self.scope.type_name_zh(ty)
                    );
                    self.mismatch(other, &message, &chinese);
                    return None;
                }
                typed(ExprKind::Call(*function, args), ty)
            }
            ast::ExprKind::Table { subject, arms } => self.table(subject, arms, span),
            ast::ExprKind::Brackets { subject, arms } => self.brackets(subject, arms, span),
            ast::ExprKind::Tiers { subject, since, rows } => self.tiers(subject, since.as_deref(), rows, span),
        }
    }

    fn of(&mut self, factors: &[ast::Expr], span: Span) -> Option<Expr> {
        let checked: Vec<Option<Expr>> = factors.iter().map(|factor| self.expr(factor)).collect();
        let mut checked = checked.into_iter().collect::<Option<Vec<Expr>>>()?;
        let base = checked.pop()?;
        for ratio in &checked {
            if ratio.ty != Type::Ratio {
                let found = self.scope.type_name(ratio.ty);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        format!("the left of `of` must be a percentage or fraction, but this is {found}"),
                        ratio.span,
                        format!("this is {found}"),
                    )
                    .with_help("write a share such as `10%` or `万分之一`")
                    .in_chinese(
                        format!("`of` 左边应为百分数或分数，实际是{}", self.scope.type_name_zh(ratio.ty)),
                        format!("这是{}", self.scope.type_name_zh(ratio.ty)),
                    )
                    .help_in_chinese("请写份额，例如 `10%` 或 `万分之一`"),
                );
                return None;
            }
        }
        if !base.ty.is_number() {
            let found = self.scope.type_name(base.ty);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::PercentOfNonMoney,
                    format!("a percentage can only be taken of a number, not of {found}"),
                    base.span,
                    format!("this is {found}"),
                )
                .with_help("take the percentage of an amount of money")
                .in_chinese(
                    format!("只能对数值取百分比，不能对{}", self.scope.type_name_zh(base.ty)),
                    format!("这是{}", self.scope.type_name_zh(base.ty)),
                )
                .help_in_chinese("请对金额取百分比"),
            );
            return None;
        }
        let ty = if base.ty == Type::Integer { Type::Quantity } else { base.ty };
        Some(Expr { kind: ExprKind::Of { ratios: checked, base: Box::new(base) }, ty, span })
    }

    /// `a * b / c`, typed left to right by the units: money × quantity is money, money ÷
    /// quantity is money per unit, money ÷ money is a ratio.
    fn product(&mut self, first: &ast::Expr, factors: &[(MulOp, ast::Expr)]) -> Option<Expr> {
        let first = self.expr(first);
        let checked: Vec<Option<(MulOp, Expr)>> =
            factors.iter().map(|(op, factor)| self.expr(factor).map(|factor| (*op, factor))).collect();
        let first = first?;
        let factors = checked.into_iter().collect::<Option<Vec<_>>>()?;
        let mut ty = first.ty;
        let mut span = first.span;
        for (op, factor) in &factors {
            let Some(combined) = product_type(ty, *op, factor.ty) else {
                let (left, right) = (self.scope.type_name(ty), self.scope.type_name(factor.ty));
                let message = match op {
                    MulOp::Of => format!("`of` takes a share of a number: the left must be a ratio, but it is {left}"),
                    MulOp::Times => format!("cannot multiply {left} by {right}"),
                    MulOp::Over => format!("cannot divide {left} by {right}"),
                };
                self.diagnostics.push(
                    Diagnostic::new(Code::TypeMismatch, message, factor.span, format!("this is {right}"))
                        .with_note_at(span, format!("this is {left}"))
                        .with_help(
                            "money × quantity is money, money ÷ quantity is money per unit, money ÷ money is a ratio, \
                             a ratio of anything is that thing",
                        )
                        .in_chinese(
                            format!(
                                "{}与{}不能这样相乘或相除",
                                self.scope.type_name_zh(ty),
                                self.scope.type_name_zh(factor.ty)
                            ),
                            format!("这是{}", self.scope.type_name_zh(factor.ty)),
                        )
                        .note_in_chinese(format!("这是{}", self.scope.type_name_zh(ty)))
                        .help_in_chinese(
                            "金额 × 数量 得金额，金额 ÷ 数量 得单价，金额 ÷ 金额 得比例，任何值的比例仍是该值",
                        ),
                );
                return None;
            };
            ty = combined;
            span = span.to(factor.span);
        }
        Some(Expr { kind: ExprKind::Product { first: Box::new(first), factors }, ty, span })
    }

    /// A table by a number or date: every range a literal of the subject's type, every
    /// amount one type.
    fn brackets(&mut self, subject: &ast::Expr, arms: &[ast::BracketArm], span: Span) -> Option<Expr> {
        let subject = self.expr(subject)?;
        if let Type::Enum(_) = subject.ty {
            self.mismatch(
                &subject,
                "a table by an enum names its values (`national => 60万`), not ranges",
                "按枚举分档的表写的是取值（`national => 60万`），不是区间",
            );
            return None;
        }
        if !(subject.ty.is_number() || subject.ty == Type::Date) {
            self.mismatch(&subject, "ranges hold numbers or dates", "区间只能是数值或日期");
            return None;
        }
        let mut ok = true;
        let mut checked_arms = Vec::new();
        let mut otherwise = None;
        let mut arm_type: Option<Type> = None;
        for arm in arms {
            let amount = self.expr(&arm.amount);
            let head = match &arm.head {
                ast::BracketHead::Else => None,
                ast::BracketHead::Names(names) => {
                    let span = names.first().map_or(arm.span, |name| name.span);
                    let found = self.scope.type_name(subject.ty);
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("this table is by {found}: its arms state ranges, not names"),
                            span,
                            "a name",
                        )
                        .with_help("write a range: `[1..5]`, `(5..10]`, `> 10`, or a single value")
                        .in_chinese("这张表按数值分档：各分支应写区间，而不是名称", "一个名称")
                        .help_in_chinese("请写区间：`[1..5]`、`(5..10]`、`> 10`，或单个值"),
                    );
                    ok = false;
                    continue;
                }
                ast::BracketHead::Range { low, high } => {
                    // Both ends are checked, so a range with two bad ends reports both.
                    let low = self.range_end(low.as_ref(), subject.ty);
                    let high = self.range_end(high.as_ref(), subject.ty);
                    let (Some(low), Some(high)) = (low, high) else {
                        ok = false;
                        continue;
                    };
                    Some((low, high))
                }
            };
            let Some(amount) = amount else {
                ok = false;
                continue;
            };
            if !self.same_type(&mut arm_type, &amount, ("every arm of a table", "表的每一档")) {
                ok = false;
                continue;
            }
            match head {
                None => otherwise = Some(Box::new(amount)),
                Some((low, high)) => checked_arms.push(Bracket { low, high, amount }),
            }
        }
        let ty = arm_type?;
        ok.then(|| Expr {
            kind: ExprKind::Brackets { subject: Box::new(subject), arms: checked_arms, otherwise },
            ty,
            span,
        })
    }

    /// One end of a range, with whether it is included: a literal of the subject's type.
    /// `Some(None)` is an unbounded end; `None` a bad one (reported).
    fn range_end(&mut self, end: Option<&(ast::Expr, bool)>, subject: Type) -> Option<Option<(Value, bool)>> {
        let Some((value, included)) = end else { return Some(None) };
        let end = adapt(self.expr(value)?, subject);
        let ExprKind::Literal(literal) = &end.kind else {
            self.mismatch(&end, "a range's end must be a literal value", "区间的端点必须是字面值");
            return None;
        };
        if end.ty != subject {
            let message = format!("this range holds {}, like the table's subject", self.scope.type_name(subject));
            let chinese = format!("这个区间应与分档的对象一样是{}", self.scope.type_name_zh(subject));
            self.mismatch(&end, &message, &chinese);
            return None;
        }
        Some(Some((literal.clone(), *included)))
    }

    /// Whether `amount` has the type of the ones before it (`first` is the first's type,
    /// set by the first); if not, reports that `what` must give one type.
    fn same_type(&mut self, first: &mut Option<Type>, amount: &Expr, what: (&str, &str)) -> bool {
        match *first {
            None => {
                *first = Some(amount.ty);
                true
            }
            Some(ty) if ty != amount.ty => {
                let message = format!("{} must give {}", what.0, self.scope.type_name(ty));
                let chinese = format!("{}都应给出{}", what.1, self.scope.type_name_zh(ty));
                self.mismatch(amount, &message, &chinese);
                false
            }
            Some(_) => true,
        }
    }

    fn table(&mut self, subject: &ast::Name, arms: &[ast::Arm], span: Span) -> Option<Expr> {
        let id = self.lookup_input(subject)?;
        let subject_ty = self.scope.input_type(id)?;
        let subject = Expr { kind: ExprKind::Input(id), ty: subject_ty, span: subject.span };
        let Type::Enum(enum_id) = subject_ty else {
            self.not_an_enum(&subject, "a table `by` chooses an amount by an enum value");
            return None;
        };
        let mut seen: Vec<Option<Span>> = vec![None; self.scope.enums.get(enum_id)?.values.len()];
        let mut checked_arms = Vec::new();
        let mut otherwise = None;
        let mut ok = true;
        let mut arm_type: Option<Type> = None;
        for arm in arms {
            let amount = self.expr(&arm.amount);
            let Some(amount) = amount else {
                ok = false;
                continue;
            };
            if !self.same_type(&mut arm_type, &amount, ("every arm of a table", "表的每一档")) {
                ok = false;
                continue;
            }
            let Some(values) = &arm.values else {
                otherwise = Some(Box::new(amount));
                continue;
            };
            let mut positions = Vec::new();
            for value in values {
                let Some(position) = self.report(self.scope.enum_value(enum_id, value)) else {
                    ok = false;
                    continue;
                };
                if let Some(slot) = seen.get_mut(position as usize) {
                    if let Some(first) = slot {
                        self.diagnostics.push(
                            Diagnostic::new(
                                Code::DuplicateEnumValue,
                                format!("`{}` has two arms in this table", value.text),
                                value.span,
                                "second arm",
                            )
                            .with_note_at(*first, "first arm")
                            .with_help("give each value one amount")
                            .in_chinese(format!("`{}` 在这张表中有两个分支", value.text), "第二个分支")
                            .note_in_chinese("第一个分支")
                            .help_in_chinese("每个取值只给一个金额"),
                        );
                        ok = false;
                    }
                    *slot = Some(value.span);
                }
                positions.push(position);
            }
            checked_arms.push(TableArm { values: positions, amount });
        }
        if otherwise.is_none() && ok {
            let def = self.scope.enums.get(enum_id)?;
            let missing: Vec<String> = def
                .values
                .iter()
                .zip(&seen)
                .filter(|(_, seen)| seen.is_none())
                .map(|(value, _)| format!("`{}`", value.name))
                .collect();
            if !missing.is_empty() {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::TableMissesValue,
                        format!("this table has no amount for {} of enum `{}`", missing.join(", "), def.name),
                        span,
                        "not every value is covered",
                    )
                    .with_help("add an arm for each missing value, or an `else =>` arm")
                    .in_chinese(
                        format!("这张表没有为枚举 `{}` 的 {} 给出金额", def.name, missing.join("、")),
                        "没有覆盖全部取值",
                    )
                    .help_in_chinese("请为每个缺少的取值加一个分支，或加 `else =>` 分支"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let ty = arm_type?;
        Some(Expr { kind: ExprKind::Table { subject: Box::new(subject), arms: checked_arms, otherwise }, ty, span })
    }

    fn tiers(
        &mut self,
        subject: &ast::Expr,
        since: Option<&ast::Expr>,
        rows: &[ast::TierRow],
        span: Span,
    ) -> Option<Expr> {
        let subject = self.expr(subject)?;
        if !subject.ty.is_number() {
            self.mismatch(&subject, "tiers are thresholds of a number", "档次是某个数值的门槛");
            return None;
        }
        let since = match since {
            Some(since) => {
                let since = self.expr(since)?;
                self.comparable(&subject, CompareOp::Greater, &since)?;
                Some(Box::new(since))
            }
            None => None,
        };
        let mut tiers: Vec<Tier> = Vec::new();
        let mut previous: Option<(Value, Span)> = None;
        let mut ok = true;
        let mut amount_type: Option<Type> = None;
        for row in rows {
            let threshold = self.expr(&row.threshold).map(|threshold| adapt(threshold, subject.ty));
            let amount = self.expr(&row.amount);
            let (Some(threshold), Some(amount)) = (threshold, amount) else {
                ok = false;
                continue;
            };
            let ExprKind::Literal(value) = &threshold.kind else {
                self.mismatch(&threshold, "a tier threshold must be a literal value", "档次门槛必须是字面值");
                ok = false;
                continue;
            };
            if threshold.ty != subject.ty {
                let message =
                    format!("this tier threshold must be {} like what it tiers", self.scope.type_name(subject.ty));
                let chinese = format!("这个档次门槛应与分档的对象一样是{}", self.scope.type_name_zh(subject.ty));
                self.mismatch(&threshold, &message, &chinese);
                ok = false;
                continue;
            }
            if !self.same_type(&mut amount_type, &amount, ("every tier", "每一档")) {
                ok = false;
                continue;
            }
            if let Some((previous_value, previous_span)) = &previous {
                if compare_values(previous_value, value) != Some(std::cmp::Ordering::Less) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::TiersNotAscending,
                            "tier thresholds must strictly ascend",
                            threshold.span,
                            "not above the tier before",
                        )
                        .with_note_at(*previous_span, "the tier before")
                        .with_help("list tiers from the lowest threshold to the highest")
                        .in_chinese("档次门槛必须严格递增", "不高于前一档")
                        .note_in_chinese("前一档")
                        .help_in_chinese("请按门槛从低到高列出档次"),
                    );
                    ok = false;
                }
            }
            previous = Some((value.clone(), threshold.span));
            tiers.push(Tier { threshold: value.clone(), amount });
        }
        if !ok {
            return None;
        }
        let Some(ty) = amount_type else {
            self.diagnostics.push(
                Diagnostic::new(Code::TypeMismatch, "a tier table needs at least one tier", span, "no tiers")
                    .with_help("add rows like `3亿 => 10万`")
                    .in_chinese("档次表至少需要一档", "没有档次")
                    .help_in_chinese("请加上 `3亿 => 10万` 这样的行"),
            );
            return None;
        };
        Some(Expr { kind: ExprKind::Tiers { subject: Box::new(subject), since, tiers }, ty, span })
    }

    /// Whether `left op right` makes sense; reports E0302 when it does not.
    fn comparable(&mut self, left: &Expr, op: CompareOp, right: &Expr) -> Option<()> {
        let ordering = !matches!(op, CompareOp::Equal | CompareOp::NotEqual);
        if is_count(left.ty) && is_count(right.ty) {
            return Some(());
        }
        if left.ty == right.ty {
            let orderable = left.ty.is_number() || left.ty == Type::Date;
            if ordering && !orderable {
                let mut diagnostic = Diagnostic::new(
                    Code::CompareMismatch,
                    format!(
                        "{} values have no order, so `{}` cannot compare them",
                        self.scope.type_name(left.ty),
                        op.symbol()
                    ),
                    left.span.to(right.span),
                    "no order",
                )
                .in_chinese(
                    format!("{}没有大小顺序，不能用 `{}` 比较", self.scope.type_name_zh(left.ty), op.symbol()),
                    "没有顺序",
                );
                if let Type::Enum(_) = left.ty {
                    diagnostic = diagnostic
                        .with_help("test an enum with `is VALUE` or `in {...}`")
                        .help_in_chinese("枚举请用 `is 取值` 或 `in {...}` 判断");
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
            if let Type::Enum(_) = left.ty {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::CompareMismatch,
                        "compare an enum with `is`, not `=`",
                        left.span.to(right.span),
                        "use `is`",
                    )
                    .with_help("write `INPUT is VALUE`")
                    .in_chinese("枚举要用 `is` 比较，不用 `=`", "请用 `is`")
                    .help_in_chinese("请写 `申报数据 is 取值`"),
                );
                return None;
            }
            return Some(());
        }
        let (left_name, right_name) = (self.scope.type_name(left.ty), self.scope.type_name(right.ty));
        let (left_zh, right_zh) = (self.scope.type_name_zh(left.ty), self.scope.type_name_zh(right.ty));
        let mut diagnostic = Diagnostic::new(
            Code::CompareMismatch,
            format!("cannot compare {left_name} with {right_name}"),
            right.span,
            format!("this is {right_name}"),
        )
        .with_note_at(left.span, format!("this is {left_name}"))
        .in_chinese(format!("无法比较{left_zh}与{right_zh}"), format!("这是{right_zh}"))
        .note_in_chinese(format!("这是{left_zh}"));
        diagnostic = match (left.ty, &right.kind) {
            (Type::Money, ExprKind::Literal(Value::Integer(value))) => diagnostic
                .with_help(format!("an amount needs a unit: write `{value}元` or `{value}万`"))
                .help_in_chinese(format!("金额需要单位：写 `{value}元` 或 `{value}万`"))
                .with_fix(right.span, format!("{value}元"))
                .with_fix(right.span, format!("{value}万")),
            (Type::Ratio, ExprKind::Literal(Value::Integer(value))) => diagnostic
                .with_help(format!("a ratio is written as a percentage: `{value}%`"))
                .help_in_chinese(format!("比例写成百分数：`{value}%`"))
                .with_fix(right.span, format!("{value}%")),
            _ => diagnostic.with_help("compare values of the same type").help_in_chinese("请比较同一类型的值"),
        };
        self.diagnostics.push(diagnostic);
        None
    }

    /// E0309 at `expr`, in English and in Chinese; the label names the type found.
    fn mismatch(&mut self, expr: &Expr, message: &str, chinese: &str) {
        let (found, found_zh) = (self.scope.type_name(expr.ty), self.scope.type_name_zh(expr.ty));
        self.diagnostics.push(
            Diagnostic::new(Code::TypeMismatch, message, expr.span, format!("this is {found}"))
                .in_chinese(chinese, format!("这是{found_zh}")),
        );
    }

    fn not_an_enum(&mut self, subject: &Expr, why: &str) {
        let found = self.scope.type_name(subject.ty);
        let mut diagnostic = Diagnostic::new(
            Code::NotAnEnum,
            format!("this is {found}, not an enum"),
            subject.span,
            format!("this is {found}"),
        )
        .with_help(why.to_string())
        .in_chinese(
            format!("这是{}，不是枚举", self.scope.type_name_zh(subject.ty)),
            format!("这是{}", self.scope.type_name_zh(subject.ty)),
        );
        if subject.ty == Type::Bool {
            diagnostic =
                diagnostic.with_help("a bool is a condition by itself: write the input's name alone, or `not INPUT`");
        }
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn lookup_input(&mut self, name: &ast::Name) -> Option<crate::check::checked::InputId> {
        let found = self.scope.input(name);
        let id = self.report(found)?;
        (!self.scope.untyped.contains(&id)).then_some(id)
    }

    pub(super) fn report<T>(&mut self, result: Result<T, Box<Diagnostic>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                None
            }
        }
    }
}

/// Integers and quantities: counts of something, which mix.
fn is_count(ty: Type) -> bool {
    matches!(ty, Type::Integer | Type::Quantity)
}

/// A literal written where another type is expected takes that type when it can: a whole
/// number where a quantity is (`area >= 100`), an amount where money per unit is
/// (`investment / land_area >= 200万`, read as 200万 per unit).
fn adapt(expr: Expr, want: Type) -> Expr {
    let value = match (&expr.kind, want) {
        (ExprKind::Literal(Value::Integer(value)), Type::Quantity) => {
            Value::Quantity(rust_decimal::Decimal::from(*value))
        }
        (ExprKind::Literal(Value::Money(amount)), Type::PerUnit) => Value::PerUnit(*amount),
        _ => return expr,
    };
    Expr { kind: ExprKind::Literal(value), ty: want, span: expr.span }
}

/// What `left op right` gives, by units; `None` when the units do not combine. Money ×
/// quantity is money, money ÷ quantity is money per unit, money ÷ money is a ratio.
fn product_type(left: Type, op: MulOp, right: Type) -> Option<Type> {
    use Type::{Integer, Money, PerUnit, Quantity, Ratio};
    let scaled = |ty: Type| match ty {
        Integer => Some(Quantity),
        Money | PerUnit | Ratio | Quantity => Some(ty),
        _ => None,
    };
    match op {
        MulOp::Of => match left {
            Ratio => scaled(right),
            _ => None,
        },
        // An integer is a plain number (`/ 3`, `* 2`): it scales whatever it meets. A
        // quantity has a unit (亩): money per 亩 times 亩 is money.
        MulOp::Times => match (left, right) {
            (Integer, Integer) => Some(Integer),
            (Ratio, other) | (other, Ratio) => scaled(other),
            (other, Integer) | (Integer, other) => scaled(other),
            (Quantity, Quantity) => Some(Quantity),
            (Money | PerUnit, Quantity) | (Quantity, Money | PerUnit) => Some(Money),
            _ => None,
        },
        MulOp::Over => match (left, right) {
            (Integer, Integer) => Some(Ratio),
            (Ratio, Integer) => Some(Ratio),
            (other, Integer | Ratio) => scaled(other),
            (Money, Quantity) => Some(PerUnit),
            (Money, PerUnit) => Some(Quantity),
            (Money, Money) | (PerUnit, PerUnit) | (Quantity, Quantity) => Some(Ratio),
            _ => None,
        },
    }
}

/// Orders two literal values of one type.
pub(crate) fn compare_values(left: &Value, right: &Value) -> Option<std::cmp::Ordering> {
    match (left, right) {
        (Value::Money(left), Value::Money(right))
        | (Value::Ratio(left), Value::Ratio(right))
        | (Value::Quantity(left), Value::Quantity(right))
        | (Value::PerUnit(left), Value::PerUnit(right)) => Some(left.cmp(right)),
        (Value::Integer(left), Value::Integer(right)) => Some(left.cmp(right)),
        (Value::Date(left), Value::Date(right)) => Some(left.cmp(right)),
        _ => None,
    }
}
