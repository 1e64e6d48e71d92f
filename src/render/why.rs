//! Why an award has its amount, in words: the condition with the facts that met it, the
//! arithmetic, the clause's own cap, and the rounding. Rendered only when a result is
//! written, from the few facts the award kept, so a large batch keeps no strings.

use super::show::{self, Facts, KeptFacts};
use super::zh;
use crate::check::checked::{Award, Expr, ExprKind, Policy};
use crate::data::Fact;
use crate::eval::{Adjustment, AwardRecord, Cases, RuleRef, Why};
use crate::lang::Lang;
use crate::money::{self, Date};
use crate::syntax::ast::{Function, Sign};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// An award's explanation.
pub struct AwardWhy {
    /// The clause's condition shown with the case's facts, when it has one.
    pub condition: Option<String>,
    /// The arithmetic: amount, cap, rounding.
    pub reasons: Vec<String>,
}

/// Explains `award`.
pub fn award_why(policy: &Policy, award: &AwardRecord) -> AwardWhy {
    let mut text = AwardText::default();
    text.write(policy, award);
    AwardWhy { condition: text.condition().map(str::to_string), reasons: text.reasons().map(str::to_string).collect() }
}

/// An award's explanation in buffers that a renderer reuses from award to award: the
/// condition, and the reasons one after another in one string.
#[derive(Default)]
pub struct AwardText {
    /// The condition shown, when `has_condition`.
    condition: String,
    has_condition: bool,
    reasons: String,
    /// Where each reason ends in `reasons`.
    ends: Vec<usize>,
}

impl AwardText {
    /// The clause's condition shown with the case's facts, when it has one.
    pub fn condition(&self) -> Option<&str> {
        self.has_condition.then_some(self.condition.as_str())
    }

    /// The arithmetic: amount, cap, rounding.
    pub fn reasons(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| self.reasons.get(start..end).unwrap_or(""))
    }

    /// Explains `award`, in place of the award before.
    pub fn write(&mut self, policy: &Policy, award: &AwardRecord) {
        self.condition.clear();
        self.reasons.clear();
        self.ends.clear();
        let Some(clause) = policy.clauses.get(award.clause) else {
            self.has_condition = false;
            return;
        };
        self.has_condition = clause.condition.is_some();
        let mut writer = Writer { policy, facts: KeptFacts(&award.facts), text: self };
        if let Some(condition) = &clause.condition {
            show::write_expr(&mut writer.text.condition, policy, condition, Some(&writer.facts as &dyn Facts));
        }
        writer.award(clause, award);
        for note in award.notes() {
            writer.push(note);
            writer.end();
        }
    }
}

/// One award's reasons being written.
struct Writer<'a, 'p> {
    policy: &'p Policy,
    /// The facts the award kept, to show beside its inputs.
    facts: KeptFacts<'a>,
    text: &'a mut AwardText,
}

impl Writer<'_, '_> {
    fn push(&mut self, text: &str) {
        self.text.reasons.push_str(text);
    }

    /// Words in the policy's language.
    fn say(&mut self, en: &str, zh: &str) {
        let words = self.policy.lang.pick(en, zh);
        self.text.reasons.push_str(words);
    }

    fn zh(&self) -> bool {
        self.policy.lang == crate::lang::Lang::Zh
    }

    /// Ends the reason being written.
    fn end(&mut self) {
        self.text.ends.push(self.text.reasons.len());
    }

    /// `expr` as the policy writes it, with the award's facts beside its inputs.
    fn expr(&mut self, expr: &Expr) {
        show::write_expr(&mut self.text.reasons, self.policy, expr, Some(&self.facts as &dyn Facts));
    }

    /// `expr` as the policy writes it.
    fn plain(&mut self, expr: &Expr) {
        show::write_expr(&mut self.text.reasons, self.policy, expr, None);
    }

    fn fact(&mut self, ty: crate::check::checked::Type, fact: &Fact) {
        show::write_fact(&mut self.text.reasons, self.policy, ty, fact);
    }

    fn money(&mut self, amount: Decimal) {
        if self.zh() {
            self.text.reasons.push_str(&super::zh::yuan(money::round_to_fen(amount)));
        } else {
            money::write_yuan_grouped(&mut self.text.reasons, amount);
        }
    }

    fn exact_money(&mut self, amount: Decimal) {
        if self.zh() {
            self.text.reasons.push_str(&super::zh::yuan(amount));
        } else {
            show::write_exact_money(&mut self.text.reasons, amount);
        }
    }

    fn readable_money(&mut self, amount: Decimal) {
        if self.zh() {
            self.text.reasons.push_str(&super::zh::yuan(amount));
        } else {
            money::write_money_readable(&mut self.text.reasons, amount);
        }
    }

    fn award(&mut self, clause: &crate::check::checked::Clause, award: &AwardRecord) {
        match &clause.award {
            Award::Grant { amount, cap } => {
                let raw = award.raw().unwrap_or_default();
                match (&amount.kind, award.tier()) {
                    (ExprKind::Literal(_), _) => {
                        self.say("fixed amount ", "固定金额");
                        self.plain(amount);
                    }
                    (ExprKind::Tiers { subject, .. }, Some(tier)) => {
                        self.expr(amount);
                        self.say(": highest tier ", "：所达最高档 ");
                        match tier {
                            Fact::Money(threshold) => self.readable_money(*threshold),
                            other => self.fact(subject.ty, other),
                        }
                        self.say(" => ", " → ");
                        self.exact_money(raw);
                    }
                    _ => {
                        self.expr(amount);
                        self.push(" = ");
                        self.exact_money(raw);
                    }
                }
                self.end();
                if let ExprKind::Sum(first, rest) = &amount.kind {
                    let signs = std::iter::once("").chain(rest.iter().map(|(sign, _)| match sign {
                        Sign::Plus => "+ ",
                        Sign::Minus => "- ",
                    }));
                    let parts = std::iter::once(&**first).chain(rest.iter().map(|(_, term)| term));
                    for ((sign, part), value) in signs.zip(parts).zip(award.terms()) {
                        self.push(sign);
                        self.expr(part);
                        self.push(" = ");
                        self.exact_money(*value);
                        self.end();
                    }
                }
                self.named_values(award);
                self.picks(award, [Some(amount), cap.as_ref()]);
                let mut capped = raw;
                if let (Some(cap), Some(limit)) = (cap, award.cap()) {
                    if raw > limit {
                        capped = limit;
                        self.say("capped at max ", "超过上限，按上限 ");
                    } else {
                        self.say("within max ", "未超过上限 ");
                    }
                    match &cap.kind {
                        ExprKind::Literal(_) => self.plain(cap),
                        _ => {
                            self.expr(cap);
                            self.push(" = ");
                            self.readable_money(limit);
                        }
                    }
                    self.end();
                }
                let rounded = money::round_to_fen(capped);
                if rounded != capped {
                    self.say("rounded half up to the fen: ", "四舍五入到分：");
                    self.money(rounded);
                    self.end();
                }
            }
            Award::Range { low, high, cap } => {
                self.say("a range set by review, from ", "经评审在以下区间确定：");
                self.expr(low);
                self.say(" to ", " 至 ");
                self.expr(high);
                self.end();
                if let (Some(cap), Some(limit)) = (cap, award.cap()) {
                    self.say("each end within max ", "两端均不超过上限 ");
                    self.plain(cap);
                    self.push(" = ");
                    self.readable_money(limit);
                    self.end();
                }
                if let (Some(minimum), Some(maximum)) = (award.range_minimum(), award.computed()) {
                    self.say("from ", "从 ");
                    self.money(minimum);
                    self.say(" to ", " 至 ");
                    self.money(maximum);
                    self.say(", rounded to the fen", "，四舍五入到分");
                    self.end();
                }
                self.named_values(award);
                self.picks(award, [Some(low), Some(high)]);
            }
            Award::UpTo { max } => {
                match (award.reviewed_maximum(), award.computed()) {
                    (Some(maximum), Some(granted)) => {
                        let input = match (clause.granted, self.policy.lang) {
                            (Some(input), crate::lang::Lang::Zh) => zh::label(self.policy, input),
                            (granted, _) => granted
                                .and_then(|input| self.policy.inputs.get(input))
                                .map_or(String::new(), |input| input.name.clone()),
                        };
                        let input = input.as_str();
                        self.say("granted by review: ", "评审核定：");
                        self.push(input);
                        self.push(" = ");
                        self.money(granted);
                        self.say(", within the maximum ", "，未超过上限 ");
                        self.expr(max);
                        self.push(" = ");
                        self.money(maximum);
                    }
                    _ => {
                        self.say("up to ", "最高 ");
                        self.expr(max);
                        self.say(", amount set by review", "，具体金额经评审确定");
                    }
                }
                self.end();
                self.picks(award, [Some(max), None]);
            }
            Award::Open { label, base, maximum, negotiated } => {
                match negotiated {
                    true => self.say("amount negotiated case by case: ", "金额一事一议："),
                    false => self.say("amount left open by the policy: ", "金额待政策明确："),
                }
                self.push(label);
                if let (Some(base), Some(value)) = (base, award.raw()) {
                    self.say(" of ", "，基数 ");
                    self.plain(base);
                    self.push(" = ");
                    self.money(value);
                }
                if let (Some(maximum), Some(value)) = (maximum, award.cap()) {
                    self.say("; at most ", "；最高 ");
                    match &maximum.kind {
                        ExprKind::Literal(_) => self.plain(maximum),
                        _ => {
                            self.expr(maximum);
                            self.push(" = ");
                            self.money(value);
                        }
                    }
                }
                self.end();
            }
            Award::Benefit { description } => {
                self.say("benefit: ", "非资金支持：");
                self.push(description);
                self.end();
            }
        }
    }

    /// What each `min` and `max` in `exprs` picked: "min picks the least: 50% of
    /// interest_paid (5,000,000.00) = 2,500,000.00".
    fn picks(&mut self, award: &AwardRecord, exprs: [Option<&Expr>; 2]) {
        for pick in award.picks() {
            let call = exprs.iter().flatten().find_map(|expr| expr.call_at(pick.at));
            match call {
                Some(Expr { kind: ExprKind::Call(function, args), ty, .. }) => {
                    if let Some(arg) = args.get(pick.arg) {
                        match function {
                            Function::Min => self.say("min picks the least: ", "取较低者："),
                            _ => self.say("max picks the greatest: ", "取较高者："),
                        }
                        self.expr(arg);
                        self.push(" = ");
                        self.fact(*ty, &pick.value);
                        self.end();
                    }
                }
                Some(Expr { kind: ExprKind::Brackets { subject, arms, otherwise }, .. }) => {
                    let chosen = match arms.get(pick.arg) {
                        Some(arm) => Some((show::range(self.policy, subject.ty, arm), &arm.amount)),
                        None => otherwise.as_deref().map(|amount| ("else".to_string(), amount)),
                    };
                    if let Some((range, amount)) = chosen {
                        self.plain(subject);
                        self.say(" (", "（");
                        self.fact(subject.ty, &pick.value);
                        self.say(") is in range ", "）落在区间 ");
                        self.push(&range);
                        self.say(" => ", "，对应 ");
                        self.expr(amount);
                        self.end();
                    }
                }
                _ => {}
            }
        }
    }

    /// What each named value the amount read was: "where rd_expense = staff_cost (…) + …
    /// = 10,000,000.00".
    fn named_values(&mut self, award: &AwardRecord) {
        for (id, fact) in award.named() {
            let Some(value) = self.policy.values.get(*id) else { continue };
            self.say("where ", "其中 ");
            let name = if self.zh() { value.label.as_deref().unwrap_or(&value.name) } else { &value.name };
            self.push(name);
            self.push(" = ");
            self.expr(&value.expr);
            self.push(" = ");
            self.fact(value.expr.ty, fact);
            self.end();
        }
    }
}

/// The words of the cross-case rules: each adjustment's rule and reason, from the facts
/// it kept. Built once per result written; what every reason of a cap repeats is
/// written here once.
pub struct Wording<'p> {
    policy: &'p Policy,
    caps: Vec<CapText>,
}

/// A cap's words that every cut and note by it repeats.
#[derive(Default)]
pub(crate) struct CapText {
    /// What it limits: "per recipient, year over clause 1.1 (Article 1 …)".
    pub scope: String,
    /// The condition of its relaxation, as the policy writes it.
    pub relaxed_when: String,
}

/// The most clauses a cap's reason lists by id.
const CLAUSES_NAMED_IN_A_REASON: usize = 4;

impl<'p> Wording<'p> {
    pub fn new(policy: &'p Policy) -> Wording<'p> {
        let caps = policy
            .caps
            .iter()
            .map(|cap| CapText {
                scope: cap_scope(policy, cap),
                relaxed_when: cap
                    .relaxed
                    .as_ref()
                    .map(|(_, condition)| show::expr(policy, condition, None))
                    .unwrap_or_default(),
            })
            .collect();
        Wording { policy, caps }
    }

    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    pub(crate) fn cap_text(&self, cap: usize) -> Option<&CapText> {
        self.caps.get(cap)
    }

    /// The rule that made an adjustment: `once`, `class NAME`, `cap`, ...
    pub fn rule(&self, adjustment: &Adjustment) -> Cow<'static, str> {
        self.rule_name(adjustment.source)
    }

    /// A cross-case rule by its name: `once`, `class NAME`, `cap`, ...
    pub fn rule_name(&self, rule: RuleRef) -> Cow<'static, str> {
        match rule {
            RuleRef::Instalments => "instalments".into(),
            RuleRef::Once => "once".into(),
            RuleRef::Years => "years".into(),
            RuleRef::History(rule) if self.policy.history.get(rule).is_some_and(|rule| rule.after) => "after".into(),
            RuleRef::History(_) => "unless".into(),
            RuleRef::Class(class) => {
                format!("class {}", self.policy.classes.get(class).map_or("?", |class| class.name.as_str())).into()
            }
            RuleRef::Cap(_) => "cap".into(),
        }
    }

    /// Why each of `award`'s adjustments changed it, in the order made.
    pub fn reasons<'a>(&'a self, cases: &'a Cases, award: &'a AwardRecord) -> impl Iterator<Item = String> + 'a {
        award.adjustments().iter().map(move |adjustment| self.reason(cases, award, adjustment))
    }

    /// A cross-case rule as a person reads it: `cap`, `once`, … in English; `上限`,
    /// `限享受一次`, … in Chinese.
    pub fn rule_title(&self, rule: RuleRef) -> Cow<'static, str> {
        if self.policy.lang == Lang::En {
            return self.rule_name(rule);
        }
        match rule {
            RuleRef::Instalments => "分期拨付".into(),
            RuleRef::Once => "限享受一次".into(),
            RuleRef::Years => "享受年限".into(),
            RuleRef::History(rule) if self.policy.history.get(rule).is_some_and(|rule| rule.after) => "前置条件".into(),
            RuleRef::History(_) => "不得重复享受".into(),
            RuleRef::Class(class) => {
                let class = self.policy.classes.get(class);
                format!("同类只取最高（{}）", class.map_or("?", |class| class.label.as_deref().unwrap_or(&class.name)))
                    .into()
            }
            RuleRef::Cap(_) => "上限".into(),
        }
    }

    /// Why `adjustment` changed `award`; `cases` are the cases of the batch its reason
    /// may name.
    pub fn reason(&self, cases: &Cases, award: &AwardRecord, adjustment: &Adjustment) -> String {
        let lang = self.policy.lang;
        match (&adjustment.why, adjustment.source) {
            (Why::Worded(text), _) => text.to_string(),
            (Why::OnceHeld { case }, _) => {
                once_reason(lang, self.clause_id(award.clause), &case_label(lang, cases, *case))
            }
            (Why::Superseded { case, clause }, source) => {
                let class = match source {
                    RuleRef::Class(class) => self.policy.classes.get(class),
                    _ => None,
                };
                let winner = match lang {
                    Lang::En => {
                        format!("clause {} of {}", self.clause_id(*clause as usize), case_label(lang, cases, *case))
                    }
                    Lang::Zh => {
                        format!("{}的第{}条奖励", case_label(lang, cases, *case), self.clause_id(*clause as usize))
                    }
                };
                class_reason(lang, class, &winner)
            }
            (Why::Capped { counted, limit, last }, RuleRef::Cap(cap)) => {
                let holder = (*last != u32::MAX).then(|| case_label(lang, cases, *last));
                self.cap_reason(cap, *limit, *counted, adjustment.to.unwrap_or_default(), holder.as_deref())
            }
            (Why::Capped { .. }, _) => String::new(),
        }
    }

    fn clause_id(&self, clause: usize) -> &str {
        self.policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())
    }

    /// A cap's reason for cutting an award to `left`: its amount (as relaxed to `limit`),
    /// what it limits, what it had counted, and the case of the latest award it counted.
    pub(crate) fn cap_reason(
        &self,
        cap: usize,
        limit: Decimal,
        counted: Decimal,
        left: Decimal,
        holder: Option<&str>,
    ) -> String {
        let (Some(def), Some(text)) = (self.policy.caps.get(cap), self.caps.get(cap)) else { return String::new() };
        match self.policy.lang {
            Lang::En => {
                let amount = match &def.relaxed {
                    Some(_) if limit != def.amount => format!(
                        "{} (relaxed from {} when {})",
                        money::format_money_readable(limit),
                        money::format_money_readable(def.amount),
                        text.relaxed_when
                    ),
                    _ => money::format_money_readable(def.amount),
                };
                let latest = holder.map(|holder| format!(" (the latest counted: {holder})")).unwrap_or_default();
                format!(
                    "cap {amount} {}: {} already counted, {} left{latest}",
                    text.scope,
                    show::money_text(counted),
                    show::money_text(left)
                )
            }
            Lang::Zh => {
                let amount = match &def.relaxed {
                    Some(_) if limit != def.amount => {
                        format!("{}（{}时由{}放宽）", zh::yuan(limit), text.relaxed_when, zh::yuan(def.amount))
                    }
                    _ => zh::yuan(def.amount),
                };
                let latest = holder.map(|holder| format!("（最近计入的是{holder}）")).unwrap_or_default();
                format!("{}合计上限{amount}：已计入{}，余{}{latest}", text.scope, zh::yuan(counted), zh::yuan(left))
            }
        }
    }
}

/// `once`'s reason for a cut award of `clause`, `holder` naming the case that used the
/// key first.
pub(crate) fn once_reason(lang: Lang, clause: &str, holder: &str) -> String {
    match lang {
        Lang::En => format!("clause {clause} is paid once per key; {holder} already has it"),
        Lang::Zh => format!("第{clause}条限享受一次，{holder}已享受"),
    }
}

/// A class's reason for a superseded award, `winner` naming the award that stands.
pub(crate) fn class_reason(lang: Lang, class: Option<&crate::check::checked::Class>, winner: &str) -> String {
    let name = class.map_or("?", |class| class.name.as_str());
    match lang {
        Lang::En => format!(
            "class {name} ({}): only the highest award stands; superseded by {winner}",
            class.and_then(|class| class.label.as_deref()).unwrap_or("same kind of award")
        ),
        Lang::Zh => format!(
            "同类奖励（{}）只取最高一项：由{winner}取代",
            class.and_then(|class| class.label.as_deref()).unwrap_or(name)
        ),
    }
}

/// "case X (date)" for a case of the batch by its place, "case X (date, run N)" for one of
/// a committed round.
pub(crate) fn case_label(lang: Lang, cases: &Cases, case: u32) -> String {
    match cases.get(case as usize) {
        // A committed case also names the run that decided it.
        Some(case) if case.round != crate::eval::THIS_BATCH => {
            committed_case_label(lang, cases.id(case), case.date, case.round)
        }
        Some(case) => match lang {
            Lang::En => format!("case {} ({})", cases.id(case), case.date),
            Lang::Zh => format!("案例 {}（{}）", cases.id(case), case.date),
        },
        None => lang.pick("an earlier case", "此前的案例").to_string(),
    }
}

/// A committed case as reasons name it: "case X (date, run N)".
pub(crate) fn committed_case_label(lang: Lang, id: &str, date: Date, round: u64) -> String {
    match lang {
        Lang::En => format!("case {id} ({date}, run {round})"),
        Lang::Zh => format!("案例 {id}（{date}，第{round}轮）"),
    }
}

/// "per recipient, year over clause 1.1 (Article 1 …)": what a cap limits; in Chinese
/// "第一条 … › 1.1 同一主体、同一年度".
pub(crate) fn cap_scope(policy: &Policy, cap: &crate::check::checked::Cap) -> String {
    // A long clause list is named once, in the policy, not copied into thousands of reasons.
    let named = cap.clauses.len() <= CLAUSES_NAMED_IN_A_REASON;
    let clauses: Vec<&str> =
        cap.clauses.iter().map(|&clause| policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())).collect();
    match policy.lang {
        Lang::En => {
            let per =
                if cap.per.is_empty() { "in all".to_string() } else { format!("per {}", key_names(policy, &cap.per)) };
            let over = match named {
                true => format!("over clause {}", clauses.join(", ")),
                false => format!("over the {} clauses its article lists", cap.clauses.len()),
            };
            format!("{per} {over} ({})", policy.article_heading(cap.article))
        }
        Lang::Zh => {
            let per = if cap.per.is_empty() { "全部申报".to_string() } else { key_names(policy, &cap.per) };
            let over = match named {
                true => format!("第{}条奖励", clauses.join("、")),
                false => format!("本条所列{}项条款的奖励", cap.clauses.len()),
            };
            format!("{}：{over}{per}", zh::article_heading(policy, cap.article))
        }
    }
}

/// A rule's keys as its reasons name them: "recipient, year"; in Chinese "同一主体、同一年度".
pub(crate) fn key_names(policy: &Policy, keys: &[crate::check::checked::Key]) -> String {
    use crate::check::checked::Key;
    let names: Vec<String> = keys
        .iter()
        .map(|key| match (key, policy.lang) {
            (Key::Recipient, Lang::En) => "recipient".to_string(),
            (Key::Tier, Lang::En) => "tier".to_string(),
            (Key::Year, Lang::En) => "year".to_string(),
            (Key::Input(input), Lang::En) => {
                policy.inputs.get(*input).map_or("?".to_string(), |input| input.name.clone())
            }
            (Key::Recipient, Lang::Zh) => "同一主体".to_string(),
            (Key::Tier, Lang::Zh) => "同一档次".to_string(),
            (Key::Year, Lang::Zh) => "同一年度".to_string(),
            (Key::Input(input), Lang::Zh) => format!("同一{}", zh::label(policy, *input)),
        })
        .collect();
    names.join(policy.lang.pick(", ", "、"))
}
