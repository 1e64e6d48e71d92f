//! Eval: checked policy + applicant data → every award, exact and explained.
//!
//! Input: a checked [`Policy`] and a stream of [`Record`]s. Output: a [`BatchResult`]
//! with each readable case's awards (in input order) and every data error. The per-case
//! phase evaluates and drops each case; only compact [`AwardRecord`]s are kept for the
//! cross-case phase (`once`, classes, caps), which runs over the whole batch in batch
//! order (date, then id).

/// Cross-case rules: once, classes, caps.
mod batch;
/// One case: gates, clauses, own caps, rounding.
mod case;
/// Which conditions, tiers, arms and rules examples exercised.
pub mod coverage;
/// The evaluation form: the policy plus per-clause tables.
pub mod program;
/// Renders results: JSON, CSV, table, and one case's explanation.
pub mod report;
/// Expressions and facts in the policy's notation.
pub mod show;
/// Why an award has its amount: condition, arithmetic, cap, rounding.
pub mod why;

use crate::check::{
    self,
    checked::{ClauseIndex, InputId, Policy},
};
use crate::data::{self, BatchError, Case, DataError, Fact, InputFormat, Location, Record};
use crate::money::Date;
use program::Program;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// One award as the cross-case phase sees it.
#[derive(Clone, Debug)]
pub struct AwardRecord {
    /// The case's position among the readable cases, in input order.
    pub case_index: u32,
    pub clause: ClauseIndex,
    /// Which of the clause's recipients (for its role).
    pub recipient_index: u32,
    pub recipient: std::sync::Arc<str>,
    /// The amount the clause computed (after its own cap); `None` when not money.
    pub computed: Option<Decimal>,
    /// The amount after the cross-case rules.
    pub amount: Option<Decimal>,
    /// The numbers behind `computed`, to explain it.
    pub trace: AmountTrace,
    /// The case's facts that the clause read, to show its condition and arithmetic after
    /// the case itself is dropped (`why` renders them).
    pub facts: Box<[(InputId, Fact)]>,
    /// Every cross-case rule that changed the amount, in the order applied.
    pub adjustments: Vec<Adjustment>,
    /// A committed award clawed back (`polc ledger revoke`): it still holds its once-key,
    /// but counts toward no class or cap, and pays nothing.
    pub revoked: bool,
    /// For an award of a committed round: the amount it was committed at. A pro-rata cap
    /// shares only what such awards left, and never reopens them.
    pub settled: Option<Decimal>,
    pub keys: KeyValues,
}

/// The numbers an award's amount came from.
#[derive(Clone, Debug, Default)]
pub struct AmountTrace {
    /// The amount before its own cap and rounding (for `open`, the base).
    pub raw: Option<Decimal>,
    /// The clause's own cap, when it has one.
    pub cap: Option<Decimal>,
    /// The threshold a tier table paid.
    pub tier: Option<Fact>,
    /// What each `min` or `max` in the amount or its cap picked.
    pub picks: Vec<Pick>,
    /// The named values the amount read, with what they were for the case.
    pub named: Vec<(usize, Fact)>,
    /// What only some awards have, boxed so that the common award stays small (a batch
    /// keeps one record per award).
    pub extra: Option<Box<TraceExtra>>,
}

/// The parts of an award's trace that only some shapes of award have.
#[derive(Clone, Debug, Default)]
pub struct TraceExtra {
    /// For an `up to` award the review granted (`granted as`): its maximum. The award is
    /// then a grant of the reviewed amount.
    pub reviewed_maximum: Option<Decimal>,
    /// For a `range`: its low end, after the cap and rounded (the amount is the high end).
    pub minimum: Option<Decimal>,
    /// When the amount is a sum (the bands of a progressive scale), each term's value.
    pub terms: Vec<Decimal>,
    /// What a cross-case rule says about the award without changing it (a cap passed by
    /// its relaxation).
    pub notes: Vec<String>,
}

impl AmountTrace {
    fn extra(&self) -> Option<&TraceExtra> {
        self.extra.as_deref()
    }

    pub fn extra_mut(&mut self) -> &mut TraceExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    pub fn reviewed_maximum(&self) -> Option<Decimal> {
        self.extra()?.reviewed_maximum
    }

    pub fn minimum(&self) -> Option<Decimal> {
        self.extra()?.minimum
    }

    pub fn terms(&self) -> &[Decimal] {
        self.extra().map_or(&[], |extra| extra.terms.as_slice())
    }

    pub fn notes(&self) -> &[String] {
        self.extra().map_or(&[], |extra| extra.notes.as_slice())
    }
}

impl AwardRecord {
    /// The kind as results name it: a reviewed `up to` is a grant.
    pub fn kind<'p>(&self, policy: &'p Policy) -> &'p str {
        if self.trace.reviewed_maximum().is_some() {
            return "grant";
        }
        policy.clauses.get(self.clause).map_or("", |clause| clause.award.kind_name())
    }

    /// The low end of a `range`; a cap that cut its high end cuts the low end with it.
    pub fn minimum(&self) -> Option<Decimal> {
        let minimum = self.trace.minimum()?;
        Some(self.amount.map_or(minimum, |amount| minimum.min(amount)))
    }

    /// The most an `undetermined` award may be, where the policy states it.
    pub fn maximum(&self, policy: &Policy) -> Option<Decimal> {
        match policy.clauses.get(self.clause).map(|clause| &clause.award) {
            Some(check::checked::Award::Open { .. }) => self.trace.cap,
            _ => None,
        }
    }
}

/// A `min` or `max` and the argument it picked.
#[derive(Clone, Debug)]
pub struct Pick {
    /// Where the call starts in the policy source.
    pub at: usize,
    pub arg: usize,
    pub value: Fact,
}

/// The values of an award's keys; `None` where a key fact is missing, which makes the
/// award its own key.
#[derive(Clone, Debug, Default)]
pub struct KeyValues {
    pub once: Option<Vec<Fact>>,
    /// The key of the clause's `for at most N years`.
    pub years: Option<Vec<Fact>>,
    /// The clause's `in instalments`: the key, the milestones reached and whether the case
    /// meets `all at once`.
    pub instalment: Option<InstalmentKey>,
    /// Per history rule that conditions the clause or looks for its awards: (rule, key
    /// values).
    pub history: Vec<(usize, Option<Vec<Fact>>)>,
    /// Per class that lists the clause: (class, key values).
    pub classes: Vec<(usize, Option<Vec<Fact>>)>,
    /// Per cap that counts the clause: its key values and the limit this award may reach.
    pub caps: Vec<CapKey>,
}

/// How an award paid in instalments finds what is due.
#[derive(Clone, Debug)]
pub struct InstalmentKey {
    pub key: Option<Vec<Fact>>,
    pub reached: i64,
    pub all_at_once: bool,
}

/// How one cap counts one award.
#[derive(Clone, Debug)]
pub struct CapKey {
    pub cap: usize,
    pub key: Option<Vec<Fact>>,
    /// Whether the award's case meets the cap's `relaxed to … when` condition.
    pub relaxed: bool,
}

/// Which cross-case rule made an adjustment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRef {
    Instalments,
    Once,
    Years,
    History(usize),
    Class(usize),
    Cap(usize),
}

/// A change made to an award by a cross-case rule.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Adjustment {
    #[serde(skip)]
    pub source: RuleRef,
    /// `instalments`, `once`, `years`, `after`, `unless`, `class NAME` or `cap`.
    pub rule: String,
    /// The amounts before and after; none for an award without an amount (an
    /// `undetermined` award cut by `once` still has none: it is not paid, not paid 0).
    #[serde(serialize_with = "report::serialize_optional_yuan", skip_serializing_if = "Option::is_none")]
    pub from: Option<Decimal>,
    #[serde(serialize_with = "report::serialize_optional_yuan", skip_serializing_if = "Option::is_none")]
    pub to: Option<Decimal>,
    pub reason: String,
}

/// Why a clause did or did not give an award to a case (for explanations).
#[derive(Clone, Debug, PartialEq)]
pub enum ClauseStatus {
    Applied,
    /// The condition is false; the words name the parts that decide it, with the facts.
    ConditionFalse(String),
    /// A fact the clause needs is missing: not applicable.
    Missing(String),
    /// A tier table found no tier reached or newly crossed.
    NoTier,
    /// A table by a number found no range that holds it; the words say what its subject
    /// was.
    NoBracket(String),
    /// A division by zero; the words name the divisor.
    ZeroDivisor(String),
    /// A gate stopped the whole case.
    Gated,
}

/// A readable case's place in the result.
#[derive(Clone, Debug)]
pub struct CaseSummary {
    pub id: String,
    pub date: Date,
    /// The round the case was decided in: committed rounds in the order committed, this
    /// batch last. Batch order sorts by round first, so a committed decision stands.
    pub round: u64,
    pub location: Location,
    pub gate_failure: Option<String>,
    /// Its awards: `awards[first_award .. first_award + award_count]`.
    pub first_award: usize,
    pub award_count: usize,
}

/// One case explained: its facts and why each clause did or did not apply.
pub struct Explained {
    pub case: Case,
    pub case_index: usize,
    pub statuses: Vec<ClauseStatus>,
}

/// What one entity receives over a batch, after every cross-case rule. A sum that
/// overflows is `None`: an error, never a saturated or wrapped number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntityTotal {
    /// Grants.
    pub granted: Option<Decimal>,
    /// The maxima of `up to` awards, which review may lower.
    pub up_to: Option<Decimal>,
}

/// Everything a run produced.
pub struct BatchResult {
    /// The readable cases, in input order.
    pub cases: Vec<CaseSummary>,
    /// Every award, grouped by case in input order, clause order within a case.
    pub awards: Vec<AwardRecord>,
    /// Every data error, in input order.
    pub errors: Vec<DataError>,
    /// How many records did not run: a record with three bad fields has three errors but
    /// is one record.
    pub failed_records: usize,
    /// Per recipient entity, sorted by id.
    pub totals: BTreeMap<Arc<str>, EntityTotal>,
    pub explained: Option<Explained>,
    /// What the batch exercised, when coverage was asked for.
    pub coverage: Option<coverage::Hits>,
    /// Against a history: each case's facts as a fingerprint (parallel to `cases`), to
    /// recognise a case decided again.
    pub fingerprints: Vec<String>,
    /// Cases of the batch already decided in a committed round with the same facts: the
    /// id, the round, and its committed awards (clause, recipient, amount). They are not
    /// decided again.
    pub already_decided: Vec<AlreadyDecided>,
    /// What a person should know about deciding against the ledger: an amended policy, a
    /// case dated before the committed history.
    pub ledger_notes: Vec<String>,
    /// Committed awards whose amount this batch changes (a higher award of a class that
    /// supersedes one): the award's position in the history, its new amount and why.
    pub revisions: Vec<(usize, Option<Decimal>, Vec<Adjustment>)>,
}

/// A case of the batch that a committed round decided with the same facts.
#[derive(Clone, Debug)]
pub struct AlreadyDecided {
    pub id: String,
    pub round: u64,
    /// Its committed awards: clause id, recipient, amount.
    pub awards: Vec<(String, Arc<str>, Option<Decimal>)>,
}

/// What earlier committed rounds decided, as the cross-case rules see it: their cases and
/// awards (each with what its clause computed and the amount it was committed at), and
/// each decided case's facts.
#[derive(Default)]
pub struct Prior {
    /// Awards decided outside this policy and imported into the ledger, in date order.
    pub external: Vec<ExternalAward>,
    pub cases: Vec<CaseSummary>,
    pub awards: Vec<AwardRecord>,
    /// Per case id: the round it was decided in, its facts' fingerprint and its position
    /// in `cases`.
    pub decided: std::collections::HashMap<String, (u64, String, usize)>,
}

impl BatchResult {
    pub fn case_awards(&self, case: &CaseSummary) -> &[AwardRecord] {
        self.awards.get(case.first_award..case.first_award + case.award_count).unwrap_or_default()
    }

    /// The entities whose total overflowed, and in which sum.
    pub fn overflowed_totals(&self) -> impl Iterator<Item = (&str, &'static str)> {
        self.totals.iter().flat_map(|(recipient, total)| {
            let granted = total.granted.is_none().then_some((&**recipient, "granted"));
            let up_to = total.up_to.is_none().then_some((&**recipient, "up to"));
            granted.into_iter().chain(up_to)
        })
    }
}

/// One award decided outside polc (another policy, another department), imported into a
/// ledger: classes that name its label and history conditions take it into account; no
/// rule of this policy cuts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalAward {
    /// The line (JSON Lines) or row (CSV, the header being row 1) it was read from.
    pub line: u64,
    pub recipient: String,
    pub date: Date,
    pub amount: Decimal,
    /// The class label a policy's class names to take it into account.
    pub class_label: String,
    pub project: Option<String>,
    /// The other policy's name and its case id, where known.
    pub policy: Option<String>,
    pub case_id: Option<String>,
}

/// The round of the batch being decided: after every committed round.
pub(crate) const THIS_BATCH: u64 = u64::MAX;

/// Reads a batch and computes every award. `explain` names a case to explain.
pub fn run(
    policy: &Policy,
    reader: impl Read,
    format: InputFormat,
    explain: Option<&str>,
) -> Result<BatchResult, BatchError> {
    run_with(policy, reader, format, explain, false)
}

/// [`run`] after a history of committed rounds: the cross-case rules count what they
/// decided, and a case they decided is not decided again.
pub fn run_after(
    policy: &Policy,
    reader: impl Read,
    format: InputFormat,
    explain: Option<&str>,
    prior: Prior,
) -> Result<BatchResult, BatchError> {
    run_inner(policy, reader, format, explain, false, Some(prior))
}

/// [`run`], also recording coverage when `measure_coverage` is set.
pub fn run_with(
    policy: &Policy,
    reader: impl Read,
    format: InputFormat,
    explain: Option<&str>,
    measure_coverage: bool,
) -> Result<BatchResult, BatchError> {
    run_inner(policy, reader, format, explain, measure_coverage, None)
}

/// Everything a run can be told: coverage and a history (a ledger's, or a worked
/// example's imported awards).
pub(crate) fn run_inner(
    policy: &Policy,
    reader: impl Read,
    format: InputFormat,
    explain: Option<&str>,
    measure_coverage: bool,
    prior: Option<Prior>,
) -> Result<BatchResult, BatchError> {
    let program = Program::compile(policy);
    let schema = data::Schema::new(policy);
    let mut hits = coverage::Hits::new();
    let mut result = BatchResult {
        cases: Vec::new(),
        awards: Vec::new(),
        errors: Vec::new(),
        failed_records: 0,
        totals: BTreeMap::new(),
        explained: None,
        coverage: None,
        fingerprints: Vec::new(),
        already_decided: Vec::new(),
        ledger_notes: Vec::new(),
        revisions: Vec::new(),
    };
    data::read_batch(reader, format, &schema, |record| match record {
        Record::Failed(errors) => {
            result.failed_records += 1;
            result.errors.extend(errors);
        }
        Record::Case(case) => {
            let fingerprint = prior.as_ref().map(|_| case.fingerprint());
            if let (Some(prior), Some(fingerprint)) = (&prior, &fingerprint) {
                match prior.decided.get(&case.id) {
                    Some((round, decided, index)) if decided == fingerprint => {
                        let awards = prior
                            .cases
                            .get(*index)
                            .and_then(|summary| {
                                prior.awards.get(summary.first_award..summary.first_award + summary.award_count)
                            })
                            .unwrap_or_default()
                            .iter()
                            .map(|award| {
                                let clause = policy.clauses.get(award.clause).map_or("?", |clause| clause.id.as_str());
                                (clause.to_string(), award.recipient.clone(), award.amount)
                            })
                            .collect();
                        result.already_decided.push(AlreadyDecided { id: case.id, round: *round, awards });
                        return;
                    }
                    Some((round, _, _)) => {
                        result.failed_records += 1;
                        result.errors.push(DataError {
                            message: format!("decided in run {round} with other facts; revoke it first"),
                            case: Some(case.id),
                            field: None,
                            location: case.location,
                        });
                        return;
                    }
                    None => {}
                }
            }
            let case_index = result.cases.len();
            let explaining = result.explained.is_none() && explain == Some(case.id.as_str());
            let index = u32::try_from(case_index).unwrap_or(u32::MAX);
            let probes = if measure_coverage { Some(&mut hits) } else { None };
            match case::evaluate(&program, &case, index, explaining, probes) {
                Ok(outcome) => {
                    result.fingerprints.extend(fingerprint);
                    result.cases.push(CaseSummary {
                        id: case.id.clone(),
                        date: case.date,
                        round: THIS_BATCH,
                        location: case.location,
                        gate_failure: outcome.gate_failure,
                        first_award: result.awards.len(),
                        award_count: outcome.awards.len(),
                    });
                    result.awards.extend(outcome.awards);
                    if explaining {
                        result.explained = Some(Explained { case, case_index, statuses: outcome.statuses });
                    }
                }
                Err(error) => {
                    result.failed_records += 1;
                    result.errors.push(DataError {
                        message: error.to_string(),
                        case: Some(case.id),
                        field: error.field().map(str::to_string),
                        location: case.location,
                    });
                }
            }
        }
    })?;
    match prior {
        None => batch::apply_cross_case_rules(&program, &result.cases, &mut result.awards, &[]),
        Some(prior) => with_history(&program, prior, &mut result),
    }
    result.totals = totals(policy, &result.awards);
    if measure_coverage {
        for adjustment in
            result.awards.iter().flat_map(|award| award.adjustments.iter().map(move |a| (award.clause, a)))
        {
            hits.insert(match adjustment.1.source {
                RuleRef::Once => coverage::Probe::OnceCut(adjustment.0),
                RuleRef::Years => coverage::Probe::YearsCut(adjustment.0),
                RuleRef::Instalments => coverage::Probe::InstalmentPaid(adjustment.0),
                RuleRef::History(rule) => coverage::Probe::HistoryCut(rule),
                RuleRef::Class(class) => coverage::Probe::ClassCut(class),
                RuleRef::Cap(cap) => coverage::Probe::CapCut(cap),
            });
        }
        result.coverage = Some(hits);
    }
    Ok(result)
}

/// The cross-case rules over the history and the batch as one batch, the history first;
/// the batch keeps its own awards, and the history's awards that change are revisions.
///
/// The history is taken, not copied: at a million committed awards a copy would double
/// what the replay holds.
fn with_history(program: &Program<'_>, prior: Prior, result: &mut BatchResult) {
    let Prior { external, mut cases, awards: history, decided } = prior;
    drop(decided);
    let (case_offset, award_offset) = (cases.len(), history.len());
    cases.extend(
        result.cases.iter().map(|case| CaseSummary { first_award: case.first_award + award_offset, ..case.clone() }),
    );
    // The history's awards start from what their clauses computed, so every rule applies
    // over the history and the batch as one batch; what each was committed at is kept to
    // compare with.
    let committed: Vec<Option<Decimal>> = history.iter().map(|award| award.amount).collect();
    let mut awards: Vec<AwardRecord> = history
        .into_iter()
        .map(|award| AwardRecord {
            amount: if award.revoked { award.amount } else { award.computed },
            adjustments: Vec::new(),
            settled: Some(award.amount.unwrap_or_default()),
            ..award
        })
        .collect();
    awards.extend(std::mem::take(&mut result.awards).into_iter().map(|mut award| {
        award.case_index += u32::try_from(case_offset).unwrap_or(u32::MAX);
        award
    }));
    batch::apply_cross_case_rules(program, &cases, &mut awards, &external);
    let batch_awards = awards.split_off(award_offset);
    for (index, (after, before)) in awards.into_iter().zip(committed).enumerate() {
        if after.amount != before {
            result.revisions.push((index, after.amount, after.adjustments));
        }
    }
    result.awards = batch_awards
        .into_iter()
        .map(|mut award| {
            award.case_index -= u32::try_from(case_offset).unwrap_or(0);
            award
        })
        .collect();
}

/// Totals per recipient entity, with checked sums.
fn totals(policy: &Policy, awards: &[AwardRecord]) -> BTreeMap<Arc<str>, EntityTotal> {
    let mut totals: BTreeMap<Arc<str>, EntityTotal> = BTreeMap::new();
    for award in awards {
        let Some(amount) = award.amount else { continue };
        let total = totals
            .entry(award.recipient.clone())
            .or_insert(EntityTotal { granted: Some(Decimal::ZERO), up_to: Some(Decimal::ZERO) });
        // A range, like `up to`, pays at most its amount once reviewed.
        let is_up_to = matches!(award.kind(policy), "up_to" | "range");
        let sum = if is_up_to { &mut total.up_to } else { &mut total.granted };
        *sum = sum.and_then(|sum| sum.checked_add(amount));
    }
    totals
}
