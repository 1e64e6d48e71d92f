//! Evaluates one case: the gates, then every clause in policy order, each with its own
//! cap and its one rounding. Produces compact award records for the cross-case phase.

use super::coverage::{Hits, Owner, Probe};
use super::keys::{KeyId, KeyTable};
use super::program::Program;
use super::{AmountTrace, AwardKeys, AwardRecord, CapKey, ClauseStatus, Pick, TraceExtra};
use crate::check::checked::{Award, ClauseIndex, Expr, ExprKind, InputId, Key, Type, Value};
use crate::data::{Case, Fact};
use crate::lang::Lang;
use crate::money::{self, Date};
use crate::render::show;
use crate::syntax::ast::{CompareOp, Function, MulOp, PeriodUnit, Sign};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Why evaluation of an expression stopped short of a value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Stop {
    /// The case does not give this input.
    Missing(InputId),
    /// A tier table found no tier reached (or newly crossed).
    NoTier,
    /// A table by a number found no range that holds it: the subject and its value, in
    /// words when explaining.
    NoBracket(String),
    /// A division by zero: not applicable, as a missing fact is; the words name the
    /// divisor.
    ZeroDivisor(String),
    /// Arithmetic with no exact, non-negative answer: an error on the case.
    Fault(Fault),
}

/// A condition's outcome under three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Truth {
    True,
    False,
    /// Depends on a fact the case does not give.
    Unknown(InputId),
    /// Divides by zero somewhere (the evaluator keeps the words).
    Undefined,
}

/// What one case earned: its awards in clause order, or the gate that stopped it.
pub struct CaseOutcome {
    pub awards: Vec<AwardRecord>,
    /// Why the case gets nothing at all, when a gate stops it.
    pub gate_failure: Option<String>,
    /// Per clause, why it applied or not (only when explaining).
    pub statuses: Vec<ClauseStatus>,
}

/// Arithmetic with no exact answer, or an amount below zero: an error on the case that
/// names the expression, never a wrong number or a panic.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    /// The expression as the policy writes it, with the case's facts.
    pub expression: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// The result is beyond the largest decimal.
    Overflow,
    /// The exact result needs more digits than a decimal holds.
    Inexact,
    /// An amount to pay, cap or show came out below zero.
    Negative(Decimal),
    /// A range whose low end is above its high end.
    RangeReversed { low: Decimal, high: Decimal },
    /// What a review granted (`field`) is above the award's maximum.
    AboveMaximum { field: String, granted: Decimal, maximum: Decimal },
    /// A checked policy met a value of a type the checker ruled out: a bug in polc.
    Internal,
}

/// Where a case's evaluation failed: the clause (none for a gate) and the fault.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseError {
    pub clause: Option<String>,
    pub fault: Fault,
}

impl CaseError {
    /// The field of the case the error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match &self.fault.kind {
            FaultKind::AboveMaximum { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl CaseError {
    /// The error in words of `lang`.
    pub fn words(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => {
                let place = match &self.clause {
                    Some(clause) => format!("第{clause}条"),
                    None => "申报条件".to_string(),
                };
                let expression = &self.fault.expression;
                match &self.fault.kind {
                    FaultKind::Overflow => format!("{place}的计算溢出：{expression} 超过了最大金额"),
                    FaultKind::Inexact => {
                        format!("{place}无法精确计算：{expression} 需要超过28位有效数字，而 polc 从不在分之前舍入")
                    }
                    FaultKind::Negative(amount) => {
                        format!("{place}算出负数金额：{expression} = {}；金额不能为负", show::exact_money(*amount))
                    }
                    FaultKind::RangeReversed { low, high } => format!(
                        "{place}的区间颠倒：下限 {expression} = {} 高于上限 {}",
                        show::money_text(*low),
                        show::money_text(*high)
                    ),
                    FaultKind::AboveMaximum { field, granted, maximum } => format!(
                        "`{field}` 为 {}，超过{place}的上限：{expression} = {}",
                        show::money_text(*granted),
                        show::money_text(*maximum)
                    ),
                    FaultKind::Internal => format!("{place}在 {expression} 处出现内部错误：请报告此问题"),
                }
            }
        }
    }
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match &self.clause {
            Some(clause) => format!("clause {clause}"),
            None => "a gate".to_string(),
        };
        let expression = &self.fault.expression;
        match &self.fault.kind {
            FaultKind::Overflow => write!(f, "arithmetic overflow in {place}: {expression} is beyond the largest amount"),
            FaultKind::Inexact => write!(
                f,
                "{place} cannot be computed exactly: {expression} needs more than 28 digits, and polc never rounds before the fen"
            ),
            FaultKind::Negative(amount) => write!(
                f,
                "{place} computes a negative amount: {expression} = {}; money is never negative",
                show::exact_money(*amount)
            ),
            FaultKind::RangeReversed { low, high } => write!(
                f,
                "the range of {place} is reversed: its low end {expression} = {} is above its high end {}",
                show::money_text(*low),
                show::money_text(*high)
            ),
            FaultKind::AboveMaximum { field, granted, maximum } => write!(
                f,
                "`{field}` is {}, above the maximum of {place}: {expression} = {}",
                show::money_text(*granted),
                show::money_text(*maximum)
            ),
            FaultKind::Internal => write!(f, "internal error in {place} at {expression}: please report it"),
        }
    }
}

pub(super) struct Evaluator<'a, 'p> {
    pub program: &'a Program<'p>,
    pub case: &'a Case,
    /// Where the case's awards' keys are interned (its chunk's table).
    keys: &'a mut KeyTable,
    /// A key's facts while it is looked up, so that a key seen before allocates nothing.
    key_facts: Vec<Fact>,
    /// The threshold the last tier table paid, for `once per tier`.
    tier_paid: Option<Fact>,
    /// What the `min`s and `max`s of the current amount picked, to explain it.
    picks: Vec<Pick>,
    /// Each named value of the case, computed once, in declaration order.
    values: Vec<Result<Fact, Stop>>,
    /// The named values the current amount read, to explain it.
    named: Vec<(usize, Fact)>,
    /// Whether to say why each clause did not apply (costly: only for `--explain`).
    explain: bool,
    /// The divisor that was zero, when a condition met one.
    zero_divisor: Option<String>,
    /// The award amount whose terms are being recorded (compared by address), and the
    /// values of its terms so far.
    sum_to_record: Option<*const Expr>,
    terms: Vec<Decimal>,
    /// Whether a quotient of this case had no exact decimal (`1/3`), so that rounding
    /// to the fen must check it is decided.
    inexact_quotient: bool,
    /// Where probes go when measuring coverage, and whose expression is running.
    coverage: Option<&'a mut Hits>,
    owner: Owner,
}

/// Evaluates `case`. With `explain`, also says why each clause applied or not.
pub fn evaluate(
    program: &Program<'_>,
    case: &Case,
    keys: &mut KeyTable,
    explain: bool,
    coverage: Option<&mut Hits>,
) -> Result<CaseOutcome, CaseError> {
    let mut evaluator = Evaluator {
        program,
        case,
        keys,
        key_facts: Vec::new(),
        tier_paid: None,
        picks: Vec::new(),
        values: Vec::new(),
        named: Vec::new(),
        explain,
        zero_divisor: None,
        sum_to_record: None,
        terms: Vec::new(),
        inexact_quotient: false,
        coverage,
        owner: Owner::Gate(0),
    };
    let policy = program.policy;
    // INVARIANT: a value reads only earlier values (the checker resolves names in order),
    // so each is computed from ones already known, without recursion.
    for value in &policy.values {
        let computed = evaluator.value(&value.expr);
        evaluator.values.push(computed);
    }
    for (gate_index, gate) in policy.gates.iter().enumerate() {
        evaluator.owner = Owner::Gate(gate_index);
        let truth = evaluator.truth(&gate.condition).map_err(|fault| CaseError { clause: None, fault })?;
        // The heading is written only for a gate that fails: passing is the common case.
        let heading = match policy.lang {
            Lang::En => format!("{}: ", policy.article_heading(gate.article)),
            Lang::Zh => format!("{}：", crate::render::zh::article_heading(policy, gate.article)),
        };
        let failure = match truth {
            Truth::True => continue,
            Truth::False => heading + &evaluator.why_false(&gate.condition),
            Truth::Unknown(input) => heading + &missing(program, input),
            Truth::Undefined => heading + &evaluator.zero_divisor.take().unwrap_or_default(),
        };
        evaluator.hit(Probe::GateStopped(gate_index));
        let statuses = if explain { vec![ClauseStatus::Gated; policy.clauses.len()] } else { Vec::new() };
        return Ok(CaseOutcome { awards: Vec::new(), gate_failure: Some(failure), statuses });
    }
    let mut awards = Vec::new();
    let mut statuses = Vec::new();
    for clause_index in 0..policy.clauses.len() {
        evaluator.owner = Owner::Clause(clause_index);
        let status = evaluator
            .clause(clause_index, &mut awards)
            .map_err(|fault| CaseError { clause: Some(program.clause_id(clause_index).to_string()), fault })?;
        if explain {
            statuses.push(status);
        }
    }
    Ok(CaseOutcome { awards, gate_failure: None, statuses })
}

fn input_name<'p>(program: &Program<'p>, input: InputId) -> &'p str {
    program.policy.inputs.get(input).map_or("?", |input| input.name.as_str())
}

/// An input as the policy's language names it: its name in English (`in_chengdu`), its
/// label in Chinese (`在蓉`).
fn input_words(program: &Program<'_>, input: InputId) -> String {
    match program.policy.lang {
        Lang::En => input_name(program, input).to_string(),
        Lang::Zh => crate::render::zh::label(program.policy, input),
    }
}

/// Why a condition cannot be decided: the case lacks `input`.
fn missing(program: &Program<'_>, input: InputId) -> String {
    match program.policy.lang {
        Lang::En => format!("`{}` is missing", input_name(program, input)),
        Lang::Zh => format!("未填报{}", input_words(program, input)),
    }
}

impl Evaluator<'_, '_> {
    fn hit(&mut self, probe: Probe) {
        if let Some(hits) = self.coverage.as_deref_mut() {
            hits.insert(probe);
        }
    }

    /// Evaluates one clause, pushing its awards; the status says why it did or did not
    /// apply. `Err` only on overflow.
    fn clause(&mut self, clause_index: ClauseIndex, awards: &mut Vec<AwardRecord>) -> Result<ClauseStatus, Fault> {
        let policy = self.program.policy;
        let Some(clause) = policy.clauses.get(clause_index) else { return Ok(ClauseStatus::Gated) };
        if let Some(condition) = &clause.condition {
            match self.truth(condition)? {
                Truth::True => {}
                Truth::False if self.explain => {
                    return Ok(ClauseStatus::ConditionFalse(self.why_false(condition)));
                }
                Truth::False => return Ok(ClauseStatus::ConditionFalse(String::new())),
                Truth::Unknown(input) => return Ok(ClauseStatus::Missing(input_words(self.program, input))),
                Truth::Undefined => return Ok(ClauseStatus::ZeroDivisor(self.zero_divisor.take().unwrap_or_default())),
            }
        }
        self.tier_paid = None;
        self.picks.clear();
        self.named.clear();
        let (mut amount, mut trace) = match self.award_amount(&clause.award) {
            Ok(computed) => computed,
            Err(Stop::Missing(input)) => return Ok(ClauseStatus::Missing(input_words(self.program, input))),
            Err(Stop::NoTier) => return Ok(ClauseStatus::NoTier),
            Err(Stop::NoBracket(value)) => return Ok(ClauseStatus::NoBracket(value)),
            Err(Stop::ZeroDivisor(divisor)) => return Ok(ClauseStatus::ZeroDivisor(divisor)),
            Err(Stop::Fault(fault)) => return Err(fault),
        };
        if let (Some(input), Award::UpTo { max }) = (clause.granted, &clause.award) {
            if let Some(Some(Fact::Money(granted))) = self.case.facts.get(input) {
                let maximum = amount.unwrap_or_default();
                if *granted > maximum {
                    let field = input_name(self.program, input).to_string();
                    let expression = show::expr(policy, max, Some(self.case));
                    let kind = FaultKind::AboveMaximum { field, granted: *granted, maximum };
                    return Err(Fault { kind, expression });
                }
                trace.extra_mut().reviewed_maximum = Some(maximum);
                amount = Some(*granted);
            }
        }
        if !self.picks.is_empty() {
            trace.extra_mut().picks = std::mem::take(&mut self.picks);
        }
        if !self.named.is_empty() {
            let named = &mut trace.extra_mut().named;
            *named = std::mem::take(&mut self.named);
            named.dedup_by_key(|(id, _)| *id);
        }
        let mut given = 0;
        for (recipient_index, recipient) in clause.recipients.iter().enumerate() {
            let Some(Some(Fact::Text(entity))) = self.case.facts.get(recipient.input) else { continue };
            given += 1;
            let entity = entity.clone();
            let once = clause.once.as_ref().and_then(|keys| self.key_id(keys, &entity));
            let years = clause.years.as_ref().and_then(|limit| self.key_values(&limit.per, &entity));
            let instalment = match &clause.instalments {
                Some(instalments) => {
                    let reached = match self.case.facts.get(instalments.milestones) {
                        Some(Some(Fact::Integer(reached))) => *reached,
                        _ => 0,
                    };
                    let all_at_once = match &instalments.all_at_once {
                        Some(condition) => self.truth(condition)? == Truth::True,
                        None => false,
                    };
                    Some(super::InstalmentKey { key: self.key_values(&instalments.per, &entity), reached, all_at_once })
                }
                None => None,
            };
            // Each list is collected from a slice, so it is allocated at its length, not
            // at the four a first push of unknown length makes.
            let history = self
                .program
                .history_of
                .get(clause_index)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&rule| (rule, policy.history.get(rule).and_then(|def| self.key_values(&def.per, &entity))))
                .collect();
            // The keys are made before the list that holds them: both borrow the case.
            let classes: Vec<_> = self
                .program
                .classes_of
                .get(clause_index)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&class| (class, policy.classes.get(class).and_then(|def| self.key_id(&def.per, &entity))))
                .collect();
            let caps_of = self.program.caps_of.get(clause_index).map_or(&[][..], Vec::as_slice);
            let mut caps = Vec::with_capacity(caps_of.len());
            for &cap in caps_of {
                let Some(def) = policy.caps.get(cap) else { continue };
                let key = self.key_id(&def.per, &entity);
                // A missing fact in the condition means the case does not show it: the
                // general limit applies.
                let relaxed = match &def.relaxed {
                    Some((_, condition)) => {
                        let owner = std::mem::replace(&mut self.owner, Owner::Cap(cap));
                        let truth = self.truth(condition);
                        self.owner = owner;
                        truth? == Truth::True
                    }
                    None => false,
                };
                caps.push(CapKey { cap, key, relaxed });
            }
            // Sized to what the clause reads, so that the box takes the vector's block as
            // it is: a batch keeps every award's facts.
            let read = self.program.inputs_of.get(clause_index).map_or(&[][..], Vec::as_slice);
            let mut facts = Vec::with_capacity(read.len());
            facts.extend(read.iter().filter_map(|&input| Some((input, self.case.facts.get(input)?.clone()?))));
            let facts = facts.into_boxed_slice();
            // The batch places the case (and so its awards) when it takes it.
            awards.push(AwardRecord::new(
                clause_index,
                u32::try_from(recipient_index).unwrap_or(u32::MAX),
                entity,
                amount,
                trace.clone(),
                facts,
                AwardKeys::new(once, classes, caps, years, instalment, history),
            ));
        }
        if given > 0 {
            self.hit(Probe::Applied(clause_index));
            if matches!(&trace, AmountTrace { raw: Some(raw), cap: Some(cap), .. } if raw > cap) {
                self.hit(Probe::MaxReached(clause_index));
            }
        }
        if given == 0 {
            let names: Vec<String> =
                clause.recipients.iter().map(|recipient| input_words(self.program, recipient.input)).collect();
            return Ok(ClauseStatus::Missing(names.join(" / ")));
        }
        Ok(ClauseStatus::Applied)
    }

    /// The award's amount (after its own cap, rounded once) and the numbers behind it.
    fn award_amount(&mut self, award: &Award) -> Result<(Option<Decimal>, AmountTrace), Stop> {
        match award {
            Award::Grant { amount, cap } => {
                // An amount that is a sum (the bands of a progressive scale) keeps each term's
                // value as it is computed, to explain it band by band.
                self.terms.clear();
                self.sum_to_record = matches!(amount.kind, ExprKind::Sum(..)).then_some(amount as *const Expr);
                let raw = self.amount(amount);
                self.sum_to_record = None;
                let raw = raw?;
                let terms = std::mem::take(&mut self.terms);
                let tier = self.tier_paid.clone();
                let cap = match cap {
                    Some(cap) => Some(self.amount(cap)?),
                    None => None,
                };
                let capped = cap.map_or(raw, |cap| raw.min(cap));
                Ok((
                    Some(self.round(capped, amount)?),
                    AmountTrace {
                        raw: Some(raw),
                        cap,
                        extra: (tier.is_some() || !terms.is_empty())
                            .then(|| Box::new(TraceExtra { tier, terms, ..TraceExtra::default() })),
                    },
                ))
            }
            Award::UpTo { max } => {
                let maximum = self.amount(max)?;
                Ok((Some(self.round(maximum, max)?), AmountTrace::default()))
            }
            Award::Open { base, maximum, .. } => {
                let raw = match base {
                    Some(base) => Some(self.amount(base)?),
                    None => None,
                };
                let cap = match maximum {
                    Some(maximum) => {
                        let amount = self.amount(maximum)?;
                        Some(self.round(amount, maximum)?)
                    }
                    None => None,
                };
                Ok((None, AmountTrace { raw, cap, ..AmountTrace::default() }))
            }
            Award::Benefit { .. } => Ok((None, AmountTrace::default())),
            Award::Range { low, high, cap } => {
                let (low_value, high_value) = (self.amount(low)?, self.amount(high)?);
                if low_value > high_value {
                    let kind = FaultKind::RangeReversed { low: low_value, high: high_value };
                    return Err(self.fault(kind, low));
                }
                let cap = match cap {
                    Some(cap) => Some(self.amount(cap)?),
                    None => None,
                };
                let capped = |value: Decimal| cap.map_or(value, |cap| value.min(cap));
                let minimum = self.round(capped(low_value), low)?;
                let maximum = self.round(capped(high_value), high)?;
                let extra = Some(Box::new(TraceExtra { minimum: Some(minimum), ..TraceExtra::default() }));
                let trace = AmountTrace { raw: Some(high_value), cap, extra };
                Ok((Some(maximum), trace))
            }
        }
    }

    /// The id of the award's values for `keys`, interned; `None` when a fact is missing.
    fn key_id(&mut self, keys: &[Key], recipient: &std::sync::Arc<str>) -> Option<KeyId> {
        self.key_facts.clear();
        for key in keys {
            let fact = self.key_fact(key, recipient)?;
            self.key_facts.push(fact);
        }
        Some(self.keys.intern(&self.key_facts))
    }

    fn key_fact(&self, key: &Key, recipient: &std::sync::Arc<str>) -> Option<Fact> {
        match key {
            Key::Recipient => Some(Fact::Text(recipient.clone())),
            Key::Tier => self.tier_paid.clone(),
            Key::Year => Some(Fact::Integer(i64::from(self.case.date.year))),
            Key::Input(input) => self.case.facts.get(*input).cloned().flatten(),
        }
    }

    fn key_values(&self, keys: &[Key], recipient: &std::sync::Arc<str>) -> Option<Vec<Fact>> {
        // Sized to the key, not grown: a batch keeps every award's keys.
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.key_fact(key, recipient)?);
        }
        Some(values)
    }

    /// An amount an award pays, caps at or shows: money, and never below zero.
    fn amount(&mut self, expr: &Expr) -> Result<Decimal, Stop> {
        let amount = self.money(expr)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(self.fault(FaultKind::Negative(amount), expr));
        }
        Ok(amount)
    }

    /// Rounds to the fen, once. After a quotient with no exact decimal (`1/3`), the amount
    /// is known to 28 significant digits: if a half fen lies so close that those digits
    /// cannot tell which way it rounds, that is an error, never a guess.
    fn round(&self, amount: Decimal, expr: &Expr) -> Result<Decimal, Stop> {
        let rounded = money::round_to_fen(amount);
        if !self.inexact_quotient {
            return Ok(rounded);
        }
        let margin = Decimal::new(1, 12) + amount.abs() * Decimal::new(1, 25);
        let low = amount.checked_sub(margin).map(money::round_to_fen);
        let high = amount.checked_add(margin).map(money::round_to_fen);
        if low != Some(rounded) || high != Some(rounded) {
            return Err(self.fault(FaultKind::Inexact, expr));
        }
        Ok(rounded)
    }

    /// A product or share as one fraction: every factor's numerator over every divisor,
    /// so that `1/3 of x` divides once, at the end, and exactly when it can.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
    fn fraction(&mut self, expr: &Expr) -> Result<(Decimal, Decimal), Stop> {
        match &expr.kind {
            ExprKind::Product { first, factors } => {
                let mut fraction = self.fraction(first)?;
                for (op, factor) in factors {
                    fraction = self.times_factor(fraction, *op, factor, expr)?;
                }
                Ok(fraction)
            }
            ExprKind::Of { ratios, base } => {
                let (first, rest) = match ratios.split_first() {
                    Some((first, rest)) => (first, rest),
                    None => return self.fraction(base),
                };
                let mut fraction = self.fraction(first)?;
                for factor in rest.iter().chain(std::iter::once(&**base)) {
                    fraction = self.times_factor(fraction, MulOp::Of, factor, expr)?;
                }
                Ok(fraction)
            }
            _ => {
                let value = self.value(expr)?;
                let number = number(&value).ok_or_else(|| self.internal(expr))?;
                Ok((number, Decimal::ONE))
            }
        }
    }

    /// `numerator / denominator` times (or, for `/`, over) one more factor.
    fn times_factor(
        &mut self,
        (numerator, denominator): (Decimal, Decimal),
        op: MulOp,
        factor: &Expr,
        product: &Expr,
    ) -> Result<(Decimal, Decimal), Stop> {
        let (top, bottom) = self.fraction(factor)?;
        let (top, bottom) = match op {
            MulOp::Over if top.is_zero() => {
                let divisor = show::expr(self.program.policy, factor, Some(self.case));
                return Err(Stop::ZeroDivisor(match self.program.policy.lang {
                    Lang::En => format!("the divisor {divisor} is zero"),
                    Lang::Zh => format!("除数{divisor}为零"),
                }));
            }
            MulOp::Over => (bottom, top),
            MulOp::Of | MulOp::Times => (top, bottom),
        };
        let numerator = self.times(numerator, top, product)?;
        // Most factors are whole: a denominator of 1 needs no multiplication.
        let denominator = if is_one(bottom) { denominator } else { self.times(denominator, bottom, product)? };
        Ok((numerator, denominator))
    }

    fn times(&self, left: Decimal, right: Decimal, expr: &Expr) -> Result<Decimal, Stop> {
        match money::exact_mul(left, right) {
            Some(product) => Ok(product),
            None if left.checked_mul(right).is_none() => Err(self.fault(FaultKind::Overflow, expr)),
            None => Err(self.fault(FaultKind::Inexact, expr)),
        }
    }

    fn fault(&self, kind: FaultKind, expr: &Expr) -> Stop {
        Stop::Fault(Fault { kind, expression: show::expr(self.program.policy, expr, Some(self.case)) })
    }

    fn internal(&self, expr: &Expr) -> Stop {
        self.fault(FaultKind::Internal, expr)
    }

    fn money(&mut self, expr: &Expr) -> Result<Decimal, Stop> {
        match self.value(expr)? {
            Fact::Money(amount) | Fact::Ratio(amount) => Ok(amount),
            // INVARIANT: the checker typed this expression as money.
            _ => Err(self.internal(expr)),
        }
    }

    /// Why a false condition is false, naming only the parts that decide it: the first
    /// false operand of an `and`, every operand of an `or`.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
    fn why_false(&mut self, expr: &Expr) -> String {
        let policy = self.program.policy;
        match &expr.kind {
            ExprKind::And(parts) => {
                for part in parts {
                    if self.truth(part) == Ok(Truth::False) {
                        return self.why_false(part);
                    }
                }
                self.is_false(expr)
            }
            ExprKind::Or(parts) => {
                let reasons: Vec<String> = parts.iter().map(|part| self.why_false(part)).collect();
                reasons.join(policy.lang.pick(", and ", "；且"))
            }
            ExprKind::Not(inner) => match policy.lang {
                Lang::En => format!("{} is true", show::expr(policy, inner, Some(self.case))),
                Lang::Zh => format!("{}成立", show::expr(policy, inner, Some(self.case))),
            },
            ExprKind::IsPresent(input) => missing(self.program, *input),
            _ => self.is_false(expr),
        }
    }

    /// "X is false", with the case's facts.
    fn is_false(&self, expr: &Expr) -> String {
        let policy = self.program.policy;
        match policy.lang {
            Lang::En => format!("{} is false", show::expr(policy, expr, Some(self.case))),
            Lang::Zh => format!("不满足：{}", show::expr(policy, expr, Some(self.case))),
        }
    }

    /// `and` (decided by a false operand) or `or` (decided by a true one): an operand
    /// that decides ends it; otherwise a missing fact leaves it unknown.
    fn connective(&mut self, parts: &[Expr], decisive: Truth) -> Result<Truth, Fault> {
        let mut unknown = None;
        for part in parts {
            match self.truth(part)? {
                truth @ (Truth::Unknown(_) | Truth::Undefined) => unknown = unknown.or(Some(truth)),
                truth if truth == decisive => return Ok(decisive),
                _ => {}
            }
        }
        let undecided = if decisive == Truth::False { Truth::True } else { Truth::False };
        Ok(unknown.unwrap_or(undecided))
    }

    /// A condition under three-valued logic: a missing fact makes it unknown, unless the
    /// other side of an `and`/`or` decides it.
    pub(super) fn truth(&mut self, expr: &Expr) -> Result<Truth, Fault> {
        let truth = match &expr.kind {
            ExprKind::And(parts) => self.connective(parts, Truth::False)?,
            ExprKind::Or(parts) => self.connective(parts, Truth::True)?,
            ExprKind::Not(inner) => match self.truth(inner)? {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                unknown => unknown,
            },
            _ => {
                let truth = match self.value(expr) {
                    Ok(Fact::Bool(true)) => Truth::True,
                    Ok(_) => Truth::False,
                    Err(Stop::Missing(input)) => Truth::Unknown(input),
                    Err(Stop::NoTier | Stop::NoBracket(_)) => Truth::False,
                    Err(Stop::ZeroDivisor(divisor)) => {
                        self.zero_divisor = Some(divisor);
                        Truth::Undefined
                    }
                    Err(Stop::Fault(fault)) => return Err(fault),
                };
                if let Truth::True | Truth::False = truth {
                    let (owner, at) = (self.owner, expr.span.start);
                    self.hit(Probe::Test { owner, at, outcome: truth == Truth::True });
                }
                truth
            }
        };
        Ok(truth)
    }

    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep and their
    // lists are flat (see check::types), so this recursion is bounded.
    fn value(&mut self, expr: &Expr) -> Result<Fact, Stop> {
        match &expr.kind {
            ExprKind::Literal(value) => Ok(literal(value)),
            ExprKind::Named(id) => {
                let value = self.values.get(*id).cloned().unwrap_or_else(|| Err(self.internal(expr)))?;
                self.named.push((*id, value.clone()));
                Ok(value)
            }
            ExprKind::Input(input) => self.case.facts.get(*input).cloned().flatten().ok_or(Stop::Missing(*input)),
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_) => match self.truth(expr).map_err(Stop::Fault)? {
                Truth::True => Ok(Fact::Bool(true)),
                Truth::False => Ok(Fact::Bool(false)),
                Truth::Unknown(input) => Err(Stop::Missing(input)),
                Truth::Undefined => Err(Stop::ZeroDivisor(self.zero_divisor.clone().unwrap_or_default())),
            },
            ExprKind::Compare(left, op, right) => {
                let (left, right) = (self.value(left)?, self.value(right)?);
                Ok(Fact::Bool(compare(&left, *op, &right)))
            }
            ExprKind::Between { subject, low, high } => {
                let (subject, low, high) = (self.value(subject)?, self.value(low)?, self.value(high)?);
                Ok(Fact::Bool(
                    compare(&subject, CompareOp::GreaterEqual, &low) && compare(&subject, CompareOp::LessEqual, &high),
                ))
            }
            ExprKind::IsPresent(input) => Ok(Fact::Bool(self.case.facts.get(*input).is_some_and(Option::is_some))),
            ExprKind::InSet { subject, values, negated } => {
                let Fact::Enum(position) = self.value(subject)? else { return Err(self.internal(expr)) };
                Ok(Fact::Bool(values.contains(&position) != *negated))
            }
            ExprKind::WithinValidity(subject) => {
                let Fact::Date(date) = self.value(subject)? else { return Err(self.internal(expr)) };
                let validity = self.program.policy.validity;
                Ok(Fact::Bool(validity.is_some_and(|validity| validity.contains(date))))
            }
            ExprKind::Sum(first, terms) => {
                let record = self.sum_to_record.is_some_and(|sum| std::ptr::eq(sum, expr));
                let mut total = self.value(first)?;
                if record {
                    self.terms.extend(number(&total));
                }
                for (sign, term) in terms {
                    let term = self.value(term)?;
                    if record {
                        self.terms.extend(number(&term));
                    }
                    total = arithmetic(&total, *sign, &term, expr.ty)
                        .ok_or_else(|| self.fault(FaultKind::Overflow, expr))?;
                }
                Ok(total)
            }
            ExprKind::Of { .. } | ExprKind::Product { .. } => {
                let (numerator, denominator) = self.fraction(expr)?;
                let quotient = if is_one(denominator) {
                    numerator
                } else {
                    let quotient =
                        numerator.checked_div(denominator).ok_or_else(|| self.fault(FaultKind::Overflow, expr))?;
                    if money::exact_mul(quotient, denominator) != Some(numerator) {
                        self.inexact_quotient = true;
                    }
                    quotient
                };
                typed_number(expr.ty, quotient).ok_or_else(|| self.fault(FaultKind::Overflow, expr))
            }
            ExprKind::Excess { of, over } => {
                let (of, over) = (self.value(of)?, self.value(over)?);
                let difference = arithmetic(&of, Sign::Minus, &over, expr.ty)
                    .ok_or_else(|| self.fault(FaultKind::Overflow, expr))?;
                let below = number(&difference).is_some_and(|value| value.is_sign_negative() || value.is_zero());
                if below {
                    typed_number(expr.ty, Decimal::ZERO).ok_or_else(|| self.internal(expr))
                } else {
                    Ok(difference)
                }
            }
            ExprKind::If { condition, then, otherwise } => match self.truth(condition).map_err(Stop::Fault)? {
                Truth::True => self.value(then),
                // The exception applies only when the facts show it: a missing fact takes
                // the general rule.
                Truth::False | Truth::Unknown(_) | Truth::Undefined => self.value(otherwise),
            },
            ExprKind::DateShift(date, shifts) => {
                let Fact::Date(mut date) = self.value(date)? else { return Err(self.internal(expr)) };
                for (sign, count, unit) in shifts {
                    let count = if *sign == Sign::Plus { Some(*count) } else { count.checked_neg() };
                    let shifted = count.and_then(|count| match unit {
                        PeriodUnit::Years => count.checked_mul(12).and_then(|months| date.add_months_signed(months)),
                        PeriodUnit::Months => date.add_months_signed(count),
                        PeriodUnit::Days => date.add_days(count),
                    });
                    date = shifted.ok_or_else(|| self.fault(FaultKind::Overflow, expr))?;
                }
                Ok(Fact::Date(date))
            }
            ExprKind::Brackets { subject, arms, otherwise } => {
                let value = self.value(subject)?;
                let holds = |end: &Option<(Value, bool)>, below: bool| match end {
                    None => true,
                    Some((end, included)) => {
                        let end = literal(end);
                        match (below, included) {
                            (true, true) => compare(&end, CompareOp::LessEqual, &value),
                            (true, false) => compare(&end, CompareOp::Less, &value),
                            (false, true) => compare(&value, CompareOp::LessEqual, &end),
                            (false, false) => compare(&value, CompareOp::Less, &end),
                        }
                    }
                };
                let found = arms.iter().position(|arm| holds(&arm.low, true) && holds(&arm.high, false));
                let (owner, at) = (self.owner, expr.span.start);
                self.hit(Probe::Arm { owner, at, arm: found.unwrap_or(arms.len()) });
                let amount = match (found.and_then(|index| arms.get(index)), otherwise) {
                    (Some(arm), _) => &arm.amount,
                    (None, Some(otherwise)) => otherwise,
                    (None, None) if self.explain => {
                        let policy = self.program.policy;
                        let subject_text = show::expr(policy, subject, None);
                        let value = show::fact(policy, subject.ty, &value);
                        return Err(Stop::NoBracket(match policy.lang {
                            Lang::En => format!("{subject_text} is {value}"),
                            Lang::Zh => format!("{subject_text}为{value}"),
                        }));
                    }
                    (None, None) => return Err(Stop::NoBracket(String::new())),
                };
                self.picks.push(Pick { at, arg: found.unwrap_or(arms.len()), value });
                self.value(amount)
            }
            ExprKind::Call(Function::Year, args) => match args.first().map(|date| self.value(date)).transpose()? {
                Some(Fact::Date(date)) => Ok(Fact::Integer(i64::from(date.year))),
                _ => Err(self.internal(expr)),
            },
            ExprKind::Call(function, args) => {
                // `year` is the arm above: what is left is `min` or `max`.
                let beats = if *function == Function::Min { CompareOp::Less } else { CompareOp::Greater };
                let mut picked: Option<(usize, Fact)> = None;
                for (index, arg) in args.iter().enumerate() {
                    let value = self.value(arg)?;
                    let better = picked.as_ref().is_none_or(|(_, best)| compare(&value, beats, best));
                    if better {
                        picked = Some((index, value));
                    }
                }
                let Some((arg, value)) = picked else { return Err(self.internal(expr)) };
                let (owner, at) = (self.owner, expr.span.start);
                self.hit(Probe::Pick { owner, at, arg });
                self.picks.push(Pick { at, arg, value: value.clone() });
                Ok(value)
            }
            ExprKind::Table { subject, arms, otherwise } => {
                let Fact::Enum(position) = self.value(subject)? else { return Err(self.internal(expr)) };
                let arm_index = arms.iter().position(|arm| arm.values.contains(&position));
                let (owner, at) = (self.owner, expr.span.start);
                self.hit(Probe::Arm { owner, at, arm: arm_index.unwrap_or(arms.len()) });
                let arm = arm_index.and_then(|index| arms.get(index)).map(|arm| &arm.amount);
                // INVARIANT: the checker made tables cover every value or have `else`.
                let Some(amount) = arm.or(otherwise.as_deref()) else { return Err(self.internal(expr)) };
                self.value(amount)
            }
            ExprKind::Tiers { subject, since, tiers } => {
                let reached = self.value(subject)?;
                let since = match since {
                    Some(since) => Some(self.value(since)?),
                    None => None,
                };
                let tier = tiers.iter().enumerate().rev().find(|(_, tier)| {
                    let threshold = literal(&tier.threshold);
                    let reached_it = compare(&threshold, CompareOp::LessEqual, &reached);
                    let new = since.as_ref().is_none_or(|since| compare(since, CompareOp::Less, &threshold));
                    reached_it && new
                });
                let (tier_index, tier) = tier.ok_or(Stop::NoTier)?;
                let (owner, at) = (self.owner, expr.span.start);
                self.hit(Probe::Tier { owner, at, tier: tier_index });
                self.tier_paid = Some(literal(&tier.threshold));
                self.value(&tier.amount)
            }
        }
    }
}

fn literal(value: &Value) -> Fact {
    Fact::of_literal(value)
}

/// Whether `value` is exactly 1 as `Decimal::ONE` writes it: a cheap test on the parts,
/// which a factor that never divided keeps. (A 1 written otherwise, `1.0`, is divided by,
/// exactly.)
fn is_one(value: Decimal) -> bool {
    value.mantissa() == 1 && value.scale() == 0
}

/// A number's value, whatever its unit.
fn number(fact: &Fact) -> Option<Decimal> {
    match fact {
        Fact::Money(value) | Fact::Ratio(value) | Fact::Quantity(value) | Fact::PerUnit(value) => Some(*value),
        Fact::Integer(value) => Some(Decimal::from(*value)),
        _ => None,
    }
}

/// A number as a fact of the type the checker gave it; `None` for an integer result
/// that is not whole or too large.
fn typed_number(ty: Type, value: Decimal) -> Option<Fact> {
    Some(match ty {
        Type::Money => Fact::Money(value),
        Type::Ratio => Fact::Ratio(value),
        Type::Quantity => Fact::Quantity(value),
        Type::PerUnit => Fact::PerUnit(value),
        Type::Integer if value.fract().is_zero() => Fact::Integer(i64::try_from(value).ok()?),
        _ => return None,
    })
}

fn order(left: &Fact, right: &Fact) -> Option<Ordering> {
    match (left, right) {
        (Fact::Integer(left), Fact::Integer(right)) => Some(left.cmp(right)),
        (Fact::Date(left), Fact::Date(right)) => Some(Date::cmp(left, right)),
        _ => Some(number(left)?.cmp(&number(right)?)),
    }
}

/// Equality of two facts the checker made comparable: an integer equals the quantity of
/// the same value.
fn equal(left: &Fact, right: &Fact) -> bool {
    match (left, right) {
        (Fact::Integer(_), Fact::Quantity(_)) | (Fact::Quantity(_), Fact::Integer(_)) => {
            order(left, right) == Some(Ordering::Equal)
        }
        _ => left == right,
    }
}

fn compare(left: &Fact, op: CompareOp, right: &Fact) -> bool {
    match op {
        CompareOp::Equal => equal(left, right),
        CompareOp::NotEqual => !equal(left, right),
        CompareOp::Less => order(left, right) == Some(Ordering::Less),
        CompareOp::LessEqual => matches!(order(left, right), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Greater => order(left, right) == Some(Ordering::Greater),
        CompareOp::GreaterEqual => matches!(order(left, right), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn arithmetic(left: &Fact, sign: Sign, right: &Fact, ty: Type) -> Option<Fact> {
    if let (Fact::Integer(left), Fact::Integer(right)) = (left, right) {
        let total = match sign {
            Sign::Plus => left.checked_add(*right),
            Sign::Minus => left.checked_sub(*right),
        };
        return total.map(Fact::Integer);
    }
    let (left, right) = (number(left)?, number(right)?);
    let total = match sign {
        Sign::Plus => left.checked_add(right),
        Sign::Minus => left.checked_sub(right),
    };
    typed_number(ty, total?)
}
