//! A policy's rules in plain Chinese, generated from the checked clauses: what a reviewer
//! reads beside the original text (`polc doc`). Inputs are named by their labels
//! (`销售合同执行金额`), enum values by theirs (`省级`), and literals as the policy writes
//! them (`250万元`, `万分之一`), so that a sentence reads like the policy it came from:
//! "对经认定的首版次软件产品，按销售合同执行金额的10%分别给予研制企业、应用单位，最高250万元
//! （同一主体、同一项目编号限享受一次）。"

use crate::check::checked::{
    Award, Cap, Class, Clause, ClauseIndex, Expr, ExprKind, HistorySubject, InputId, Key, Policy, Type, Value,
};
use crate::data::Fact;
use crate::render::show::Facts;
use crate::syntax::ast::{CompareOp, Function, MulOp, PeriodUnit, Sign};

/// Words for a policy's rules: with the policy's text, its literals as written; with a
/// case's facts, each input followed by its value (`平台年度服务性收入（900万元）`).
pub struct Chinese<'p> {
    policy: &'p Policy,
    source: Option<&'p str>,
    facts: Option<&'p dyn Facts>,
}

impl<'p> Chinese<'p> {
    pub fn new(policy: &'p Policy, source: &'p str) -> Chinese<'p> {
        Chinese { policy, source: Some(source), facts: None }
    }

    /// Words for expressions shown with a case's facts (`None`: as the policy states them).
    pub fn with_facts(policy: &'p Policy, facts: Option<&'p dyn Facts>) -> Chinese<'p> {
        Chinese { policy, source: None, facts }
    }

    /// One clause as a sentence: who gets what, when, how often.
    pub fn clause(&self, index: ClauseIndex) -> String {
        let Some(clause) = self.policy.clauses.get(index) else { return String::new() };
        let mut sentence = String::new();
        if let Some(condition) = &clause.condition {
            sentence.push_str(&format!("对{}，", self.condition(condition)));
        }
        if clause.subject_to_review {
            sentence.push_str("经评审，");
        }
        sentence.push_str(&self.award(clause));
        let mut limits = Vec::new();
        if let Some(keys) = &clause.once {
            limits.push(match keys.is_empty() {
                true => "限享受一次".to_string(),
                false => format!("{}限享受一次", self.same(keys)),
            });
        }
        if let Some(years) = &clause.years {
            let run = if years.consecutive { "连续" } else { "" };
            limits.push(format!("{}最多{run}享受{}年", self.same(&years.per), years.years));
        }
        for rule in self.policy.history.iter().filter(|rule| rule.clause == index) {
            let subject = match &rule.subject {
                HistorySubject::Clause { clause, complete } => {
                    let id = self.policy.clauses.get(*clause).map_or("?", |clause| clause.id.as_str());
                    format!("第{id}条奖励{}", if *complete { "（全部拨付完毕）" } else { "" })
                }
                HistorySubject::Imported(label) => format!("“{label}”"),
            };
            limits.push(match rule.after {
                true => format!("{}须已获得{subject}", self.same(&rule.per)),
                false => format!("{}已获得{subject}的不再享受", self.same(&rule.per)),
            });
        }
        if let Some(instalments) = &clause.instalments {
            let shares: Vec<String> = instalments.shares.iter().map(|share| percent(*share)).collect();
            limits.push(format!(
                "按{}分{}期拨付：{}",
                self.input(instalments.milestones),
                shares.len(),
                shares.join("、")
            ));
        }
        if !limits.is_empty() {
            sentence.push_str(&format!("（{}）", limits.join("；")));
        }
        sentence.push('。');
        sentence
    }

    fn award(&self, clause: &Clause) -> String {
        let (recipients, give) = self.recipients(clause);
        match &clause.award {
            Award::Grant { amount, cap } => {
                let mut text = match &amount.kind {
                    ExprKind::Literal(_) => format!("{give}{recipients}{}", self.amount(amount)),
                    ExprKind::Of { .. }
                    | ExprKind::Sum(..)
                    | ExprKind::Product { .. }
                    | ExprKind::Input(_)
                    | ExprKind::Named(_) => {
                        format!("按{}{give}{recipients}", self.amount(amount))
                    }
                    _ => format!("{give}{recipients}：{}", self.amount(amount)),
                };
                if let Some(cap) = cap {
                    text.push_str(&format!("，最高{}", self.amount(cap)));
                }
                text
            }
            Award::UpTo { max } => format!("{give}{recipients}最高{}支持", self.amount(max)),
            Award::Open { label, base, maximum, negotiated } => {
                // The label is the policy's own words for the open amount: a share
                // (`一定比例`) reads after its base; other words stand on their own.
                let mut text = match base {
                    Some(base) if label.ends_with("比例") => {
                        format!("按{}的{label}{give}{recipients}", self.operand(base))
                    }
                    Some(base) => format!("{give}{recipients}支持：{label}（计算基数为{}）", self.amount(base)),
                    None => format!("{give}{recipients}支持：{label}"),
                };
                if let Some(maximum) = maximum {
                    text.push_str(&format!("，最高{}", self.amount(maximum)));
                }
                if !*negotiated {
                    text.push_str("，具体标准待实施细则确定");
                } else if !label.contains("一事一议") {
                    text.push_str("，一事一议");
                }
                text
            }
            Award::Benefit { description } => format!("为{recipients}提供：{description}"),
            Award::Range { low, high, cap } => {
                let mut text = format!("{give}{recipients}{}至{}", self.amount(low), self.amount(high));
                if let Some(cap) = cap {
                    text.push_str(&format!("，最高{}", self.amount(cap)));
                }
                text
            }
        }
    }

    /// "研制企业、应用单位" and the verb that gives to them: 分别给予 for several.
    fn recipients(&self, clause: &Clause) -> (String, &'static str) {
        let names: Vec<String> = clause.recipients.iter().map(|recipient| self.input(recipient.input)).collect();
        (names.join("、"), if names.len() > 1 { "分别给予" } else { "给予" })
    }

    /// A gate: what every case must meet before any clause applies.
    pub fn gate(&self, condition: &Expr) -> String {
        format!("申报须满足：{}。", self.condition(condition))
    }

    /// A class: among its clauses' awards with equal keys, only the highest stands.
    pub fn class(&self, class: &Class) -> String {
        let clauses: Vec<String> = class.clauses.iter().map(|clause| self.clause_id(*clause)).collect();
        let mut text = format!(
            "{}：第{}条奖励，{}只取最高一项",
            class.label.as_deref().unwrap_or(&class.name),
            clauses.join("、"),
            self.same(&class.per)
        );
        if !class.imported.is_empty() {
            text.push_str(&format!("（含其他政策已获“{}”奖励）", class.imported.join("”、“")));
        }
        text.push('。');
        text
    }

    /// A cap: the most its clauses' awards with equal keys may add up to.
    pub fn cap(&self, cap: &Cap) -> String {
        let clauses: Vec<String> = cap.clauses.iter().map(|clause| self.clause_id(*clause)).collect();
        let amount = yuan(cap.amount);
        let scope = if cap.per.is_empty() {
            "合计（资金池）".to_string()
        } else {
            format!("{}合计", self.same(&cap.per))
        };
        let mut text = format!("第{}条奖励{scope}最高{amount}", clauses.join("、"));
        if let Some((relaxed, condition)) = &cap.relaxed {
            text.push_str(&format!("；{}的，最高{}", self.condition(condition), yuan(*relaxed)));
        }
        text.push_str(if cap.pro_rata {
            "，超出时按比例核减。"
        } else {
            "，超出部分按申报先后不予支持。"
        });
        text
    }

    fn clause_id(&self, clause: ClauseIndex) -> String {
        self.policy.clauses.get(clause).map_or_else(|| "?".to_string(), |clause| clause.id.clone())
    }

    /// "同一主体、同一项目编号": the keys a rule groups by.
    fn same(&self, keys: &[Key]) -> String {
        if keys.is_empty() {
            return "全部申报".to_string();
        }
        let names: Vec<String> = keys
            .iter()
            .map(|key| match key {
                Key::Recipient => "主体".to_string(),
                Key::Year => "年度".to_string(),
                Key::Tier => "档次".to_string(),
                Key::Input(input) => self.input(*input),
            })
            .collect();
        format!("同一{}", names.join("、同一"))
    }

    /// An input by its label.
    fn input(&self, input: InputId) -> String {
        label(self.policy, input)
    }

    /// An input in an expression: by its label, and with a case, its value after it.
    fn input_with_fact(&self, input: InputId, ty: Type) -> String {
        let name = self.input(input);
        match self.facts {
            None => name,
            Some(facts) => match facts.fact(input) {
                Some(fact) => format!("{name}（{}）", fact_text(self.policy, ty, fact)),
                None => format!("{name}（未填报）"),
            },
        }
    }

    fn enum_value(&self, ty: Type, position: u32) -> String {
        enum_label(self.policy, ty, position)
    }

    /// A fraction written without the policy's text: `1/3`.
    fn fraction(&self, numerator: &Expr, whole: &Expr) -> String {
        match (&numerator.kind, &whole.kind) {
            (ExprKind::Literal(Value::Integer(top)), ExprKind::Product { factors, .. }) => match factors.first() {
                Some((_, Expr { kind: ExprKind::Literal(Value::Integer(bottom)), .. })) => format!("{top}/{bottom}"),
                _ => top.to_string(),
            },
            _ => "?".to_string(),
        }
    }

    /// A literal as the policy writes it, with `元` after an amount in 万 or 亿.
    fn literal(&self, expr: &Expr, value: &Value) -> String {
        let written =
            self.source.and_then(|source| source.get(expr.span.start..expr.span.end)).unwrap_or_default().trim();
        match value {
            Value::Money(_) if written.ends_with(['万', '亿']) => format!("{written}元"),
            Value::Bool(flag) => if *flag { "是" } else { "否" }.to_string(),
            Value::Enum(id, position) => self.enum_value(Type::Enum(*id), *position),
            _ if !written.is_empty() => written.to_string(),
            Value::Money(amount) => yuan(*amount),
            Value::Ratio(ratio) => percent(*ratio),
            Value::Integer(number) => number.to_string(),
            Value::Quantity(number) | Value::PerUnit(number) => number.normalize().to_string(),
            Value::Date(date) => date.to_string(),
            Value::Text(text) => format!("“{text}”"),
        }
    }

    /// A condition in words.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
    pub fn condition(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::And(parts) => parts.iter().map(|part| self.grouped(part)).collect::<Vec<_>>().join("且"),
            ExprKind::Or(parts) => parts.iter().map(|part| self.grouped(part)).collect::<Vec<_>>().join("或"),
            ExprKind::Not(inner) => format!("不满足“{}”", self.condition(inner)),
            ExprKind::Compare(left, op, right) => {
                let relation = match op {
                    CompareOp::Greater => "大于",
                    CompareOp::GreaterEqual => "不低于",
                    CompareOp::Less => "小于",
                    CompareOp::LessEqual => "不超过",
                    CompareOp::Equal => "为",
                    CompareOp::NotEqual => "不为",
                };
                format!("{}{relation}{}", self.amount(left), self.amount(right))
            }
            ExprKind::Between { subject, low, high } => {
                format!("{}在{}至{}之间", self.amount(subject), self.amount(low), self.amount(high))
            }
            ExprKind::IsPresent(input) => {
                let ty = self.policy.inputs.get(*input).map_or(Type::Text, |declared| declared.ty);
                format!("已填报{}", self.input_with_fact(*input, ty))
            }
            ExprKind::InSet { subject, values, negated } => {
                let names: Vec<String> = values.iter().map(|value| self.enum_value(subject.ty, *value)).collect();
                let relation = if *negated { "不为" } else { "为" };
                format!("{}{relation}{}", self.amount(subject), names.join("或"))
            }
            ExprKind::WithinValidity(date) => format!("{}在政策有效期内", self.amount(date)),
            _ => self.amount(expr),
        }
    }

    /// A part of an `and` or `or`, bracketed when it is itself the other one.
    fn grouped(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::And(_) | ExprKind::Or(_) => format!("（{}）", self.condition(expr)),
            _ => self.condition(expr),
        }
    }

    /// An amount or value in words.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
    pub fn amount(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Literal(value) => self.literal(expr, value),
            ExprKind::Input(input) => self.input_with_fact(*input, expr.ty),
            ExprKind::Named(value) => self
                .policy
                .values
                .get(*value)
                .map_or_else(|| "?".to_string(), |value| value.label.clone().unwrap_or_else(|| value.name.clone())),
            ExprKind::Of { ratios, base } => {
                let mut text = self.operand(base);
                for ratio in ratios.iter().rev() {
                    text.push_str(&format!("的{}", self.operand(ratio)));
                }
                text
            }
            ExprKind::Sum(first, terms) => {
                let mut text = self.operand(first);
                for (sign, term) in terms {
                    text.push_str(if *sign == Sign::Plus { "＋" } else { "－" });
                    text.push_str(&self.operand(term));
                }
                text
            }
            // A fraction (`三分之一`) is its numerator over its denominator, both spanning
            // the fraction as written: it is shown as written.
            ExprKind::Product { first, .. }
                if (first.span.start, first.span.end) == (expr.span.start, expr.span.end) =>
            {
                match self.source.and_then(|source| source.get(expr.span.start..expr.span.end)) {
                    Some(written) => written.trim().to_string(),
                    None => self.fraction(first, expr),
                }
            }
            ExprKind::Product { first, factors } => {
                let mut text = self.operand(first);
                for (op, factor) in factors {
                    text.push_str(match op {
                        MulOp::Of | MulOp::Times => "×",
                        MulOp::Over => "÷",
                    });
                    text.push_str(&self.operand(factor));
                }
                text
            }
            ExprKind::Call(function, args) => {
                let args: Vec<String> = args.iter().map(|arg| self.amount(arg)).collect();
                match function {
                    Function::Min => format!("{}中的较低者", args.join("与")),
                    Function::Max => format!("{}中的较高者", args.join("与")),
                    Function::Year => format!("{}所在年度", args.concat()),
                }
            }
            ExprKind::DateShift(date, shifts) => {
                let mut text = self.amount(date);
                for (sign, count, unit) in shifts {
                    let unit = match unit {
                        PeriodUnit::Years => "年",
                        PeriodUnit::Months => "个月",
                        PeriodUnit::Days => "天",
                    };
                    text.push_str(&format!("{}{count}{unit}", if *sign == Sign::Plus { "后" } else { "前" }));
                }
                text
            }
            ExprKind::Excess { of, over } => format!("{}超出{}的部分", self.operand(of), self.operand(over)),
            ExprKind::If { condition, then, otherwise } => {
                format!("{}的为{}，否则为{}", self.condition(condition), self.amount(then), self.amount(otherwise))
            }
            // With a case, a table or tier list shows only what it chose by; the chosen arm
            // follows in the explanation.
            ExprKind::Table { subject, .. } | ExprKind::Brackets { subject, .. } if self.facts.is_some() => {
                format!("按{}", self.amount(subject))
            }
            ExprKind::Tiers { subject, since, .. } if self.facts.is_some() => match since {
                Some(since) => format!("{}自{}以来首次达到的档次", self.amount(subject), self.amount(since)),
                None => format!("{}达到的档次", self.amount(subject)),
            },
            ExprKind::Table { subject, arms, otherwise } => {
                let mut rows: Vec<String> = arms
                    .iter()
                    .map(|arm| {
                        let values: Vec<String> =
                            arm.values.iter().map(|value| self.enum_value(subject.ty, *value)).collect();
                        format!("{}为{}", values.join("、"), self.amount(&arm.amount))
                    })
                    .collect();
                if let Some(otherwise) = otherwise {
                    rows.push(format!("其他为{}", self.amount(otherwise)));
                }
                format!("按{}：{}", self.amount(subject), rows.join("；"))
            }
            ExprKind::Brackets { subject, arms, otherwise } => {
                let mut rows: Vec<String> = arms
                    .iter()
                    .map(|arm| {
                        format!(
                            "{}为{}",
                            crate::render::show::range(self.policy, subject.ty, arm),
                            self.amount(&arm.amount)
                        )
                    })
                    .collect();
                if let Some(otherwise) = otherwise {
                    rows.push(format!("其他为{}", self.amount(otherwise)));
                }
                format!("按{}分档：{}", self.amount(subject), rows.join("；"))
            }
            ExprKind::Tiers { subject, since, tiers } => {
                let thresholds: Vec<String> = tiers.iter().map(|tier| self.literal_value(&tier.threshold)).collect();
                let amounts: Vec<String> = tiers.iter().map(|tier| self.amount(&tier.amount)).collect();
                let crossing = match since {
                    Some(since) => format!("（高于{}）首次", self.amount(since)),
                    None => String::new(),
                };
                format!(
                    "{}{crossing}达到{}的，分别为{}（取所达到的最高一档）",
                    self.amount(subject),
                    thresholds.join("、"),
                    amounts.join("、")
                )
            }
            ExprKind::Not(_)
            | ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Compare(..)
            | ExprKind::Between { .. }
            | ExprKind::IsPresent(_)
            | ExprKind::InSet { .. }
            | ExprKind::WithinValidity(_) => self.condition(expr),
        }
    }

    /// An operand of `of`, `+`, `×`: bracketed when it is itself a sum or product, or a
    /// choice among amounts (a table, `if`), so that what it applies to stays clear.
    fn operand(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Product { first, .. }
                if (first.span.start, first.span.end) == (expr.span.start, expr.span.end) =>
            {
                self.amount(expr)
            }
            ExprKind::Sum(..)
            | ExprKind::Product { .. }
            | ExprKind::Table { .. }
            | ExprKind::Brackets { .. }
            | ExprKind::Tiers { .. }
            | ExprKind::If { .. } => format!("（{}）", self.amount(expr)),
            _ => self.amount(expr),
        }
    }

    /// A threshold of a tier table: a literal with no span of its own.
    fn literal_value(&self, value: &Value) -> String {
        match value {
            Value::Money(amount) | Value::PerUnit(amount) => yuan(*amount),
            Value::Ratio(ratio) => percent(*ratio),
            Value::Enum(id, position) => self.enum_value(Type::Enum(*id), *position),
            Value::Integer(number) => number.to_string(),
            Value::Quantity(number) => number.normalize().to_string(),
            Value::Bool(flag) => if *flag { "是" } else { "否" }.to_string(),
            Value::Date(date) => date.to_string(),
            Value::Text(text) => format!("“{text}”"),
        }
    }
}

/// An input's label, or its name when it has none.
pub fn label(policy: &Policy, input: InputId) -> String {
    policy
        .inputs
        .get(input)
        .map_or_else(|| "?".to_string(), |input| input.description.clone().unwrap_or_else(|| input.name.clone()))
}

/// A case's fact as an analyst reads it: money in 元 (`900万元`, `1,888,888.88元`), a ratio
/// as a percentage, a bool as 是 or 否, an enum value by its label.
pub fn fact_text(policy: &Policy, ty: Type, fact: &Fact) -> String {
    match fact {
        Fact::Money(amount) => yuan(*amount),
        Fact::Ratio(ratio) => percent(*ratio),
        Fact::Integer(value) => value.to_string(),
        Fact::Quantity(value) => value.normalize().to_string(),
        Fact::PerUnit(amount) => format!("{}/单位", yuan(*amount)),
        Fact::Bool(flag) => if *flag { "是" } else { "否" }.to_string(),
        Fact::Date(date) => date.to_string(),
        Fact::Text(text) => text.to_string(),
        Fact::Enum(position) => enum_label(policy, ty, *position),
    }
}

/// An enum value by its label, or its name when it has none.
pub fn enum_label(policy: &Policy, ty: Type, position: u32) -> String {
    let value = match ty {
        Type::Enum(id) => policy.enums.get(id).and_then(|def| def.values.get(position as usize)),
        _ => None,
    };
    value.map_or_else(|| position.to_string(), |value| value.label.clone().unwrap_or_else(|| value.name.clone()))
}

/// Money as the policy would write it, in 元: `250万元`, `3亿元`, `1,234元`; an amount
/// with more than two decimals keeps every digit (`188,888.888元`).
pub fn yuan(amount: rust_decimal::Decimal) -> String {
    if amount.normalize().scale() > 2 {
        return format!("{}元", crate::render::show::exact_money(amount));
    }
    let readable = crate::money::format_money_readable(amount);
    if readable.ends_with(['万', '亿']) {
        format!("{readable}元")
    } else {
        readable
    }
}

pub fn percent(ratio: rust_decimal::Decimal) -> String {
    let mut text = String::new();
    crate::money::write_percent(&mut text, ratio);
    text
}

/// 一 to 九十九, as chapters and articles are numbered in Chinese; larger in digits.
pub fn chinese_number(number: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |value: u32| DIGITS.get(value as usize).copied().unwrap_or("");
    match number {
        0..=9 => digit(number).to_string(),
        10..=19 => format!("十{}", if number == 10 { "" } else { digit(number - 10) }),
        20..=99 => {
            format!("{}十{}", digit(number / 10), if number.is_multiple_of(10) { "" } else { digit(number % 10) })
        }
        _ => number.to_string(),
    }
}

/// "第四条 支持建设创新应用平台", inside its sections when it has them
/// ("一、支持算力建设 › （一）算力券 › 第三条 算力券").
pub fn article_heading(policy: &Policy, article: crate::check::checked::ArticleIndex) -> String {
    let Some(def) = policy.articles.get(article) else { return String::new() };
    policy.within_sections(article, format!("第{}条 {}", chinese_number(def.number), def.title))
}

/// "第四条 支持建设创新应用平台 › 4.2": where a clause is in the policy.
pub fn clause_citation(policy: &Policy, clause: ClauseIndex) -> String {
    let Some(checked) = policy.clauses.get(clause) else { return String::new() };
    format!("{} › {}", article_heading(policy, checked.article), checked.id)
}
