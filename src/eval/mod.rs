//! Eval: checked policy + applicant data → every award, exact and explained.
//!
//! Input: a checked [`crate::Policy`] and a stream of records. Output: a [`crate::eval::BatchResult`]
//! with each readable case's awards (in input order) and every data error. The per-case
//! phase evaluates and drops each case; only compact [`crate::eval::AwardRecord`]s are kept for the
//! cross-case phase (`once`, classes, caps), which runs over the whole batch in batch
//! order (date, then id).

/// Cross-case rules: once, classes, caps.
mod batch;
/// One case: gates, clauses, own caps, rounding.
mod case;
/// What committed rounds counted, for the rules to start from.
mod counted;
/// Which conditions, tiers, arms and rules examples exercised.
pub mod coverage;
/// Interned keys: each distinct key held once per batch.
pub mod keys;
/// The evaluation form: the policy plus per-clause tables.
pub mod program;

pub use counted::{CommittedAward, Counted};
pub use keys::{KeyId, KeyTable};

use crate::check::{
    self,
    checked::{ClauseIndex, InputId, Policy},
};
use crate::data::{self, BatchError, Case, DataError, Fact, InputFormat, Location, Record};
use crate::money::{self, Date};
use crate::parallel::Parallelism;
use crate::render::why;
use program::Program;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

/// One award as the cross-case phase sees it. A batch keeps one per award, so it is
/// small: its four amounts packed ([`money::Packed`]), and what few awards have (cuts,
/// a committed round's standing, the rarer parts of a trace, an amount too wide to pack)
/// in one box that most awards do not allocate.
#[derive(Clone, Debug)]
pub struct AwardRecord {
    /// The case's position among the readable cases, in input order.
    pub case_index: u32,
    /// Which of the clause's recipients (for its role).
    pub recipient_index: u32,
    pub clause: ClauseIndex,
    pub recipient: std::sync::Arc<str>,
    /// The case's facts that the clause read, to show its condition and arithmetic after
    /// the case itself is dropped (`why` renders them).
    pub facts: Box<[(InputId, Fact)]>,
    /// Its keys, interned in the batch's [`BatchResult::keys`].
    pub keys: AwardKeys,
    /// By [`Amount`]: what the clause computed (after its own cap; none when not money),
    /// the amount after the cross-case rules, and the numbers behind the first.
    amounts: money::Packed<4>,
    rare: Option<Box<RareParts>>,
}

/// An award's amounts, by their slot in its [`money::Packed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Amount {
    Computed = 0,
    Standing = 1,
    /// The amount before its own cap and rounding (for `open`, the base).
    Raw = 2,
    /// The clause's own cap, when it has one.
    Cap = 3,
}

/// What only some awards have.
#[derive(Clone, Debug, Default)]
struct RareParts {
    /// Every cross-case rule that changed the amount, in the order applied.
    adjustments: Vec<Adjustment>,
    /// For an award of a committed round (a replay of the history): how it stands.
    committed: Option<Committed>,
    extra: TraceExtra,
    /// The amounts too wide to pack, by slot.
    wide: [Option<Decimal>; 4],
}

/// How an award of a committed round stands when the history is replayed.
#[derive(Clone, Debug, Default)]
pub struct Committed {
    /// Clawed back (`polc ledger revoke`): it still holds its once-key, but counts toward
    /// no class or cap, and pays nothing.
    pub revoked: bool,
    /// The amount it was committed at. A pro-rata cap shares only what such awards left,
    /// and never reopens them.
    pub settled: Option<Decimal>,
}

/// The numbers an award's amount came from.
#[derive(Clone, Debug, Default)]
pub struct AmountTrace {
    /// The amount before its own cap and rounding (for `open`, the base).
    pub raw: Option<Decimal>,
    /// The clause's own cap, when it has one.
    pub cap: Option<Decimal>,
    /// What only some awards have, boxed so that the common award stays small (a batch
    /// keeps one record per award).
    pub extra: Option<Box<TraceExtra>>,
}

/// The parts of an award's trace that only some shapes of award have.
#[derive(Clone, Debug, Default)]
pub struct TraceExtra {
    /// The threshold a tier table paid.
    pub tier: Option<Fact>,
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
    /// What each `min` or `max` in the amount or its cap picked.
    pub picks: Vec<Pick>,
    /// The named values the amount read, with what they were for the case.
    pub named: Vec<(usize, Fact)>,
}

impl AmountTrace {
    pub fn extra_mut(&mut self) -> &mut TraceExtra {
        self.extra.get_or_insert_with(Box::default)
    }
}

impl AwardRecord {
    /// An award as its clause made it: its standing amount is what the clause computed.
    pub fn new(
        clause: ClauseIndex,
        recipient_index: u32,
        recipient: Arc<str>,
        amount: Option<Decimal>,
        trace: AmountTrace,
        facts: Box<[(InputId, Fact)]>,
        keys: AwardKeys,
    ) -> AwardRecord {
        let mut award = AwardRecord {
            case_index: 0,
            recipient_index,
            clause,
            recipient,
            facts,
            keys,
            amounts: money::Packed::default(),
            rare: None,
        };
        award.put(Amount::Computed, amount);
        award.put(Amount::Standing, amount);
        award.put(Amount::Raw, trace.raw);
        award.put(Amount::Cap, trace.cap);
        if let Some(extra) = trace.extra {
            award.rare_mut().extra = *extra;
        }
        award
    }

    fn amount_in(&self, slot: Amount) -> Option<Decimal> {
        match self.amounts.get(slot as usize) {
            money::Slot::Held(value) => value,
            money::Slot::Wide => self.rare.as_ref().and_then(|rare| rare.wide.get(slot as usize).copied().flatten()),
        }
    }

    fn put(&mut self, slot: Amount, value: Option<Decimal>) {
        if !self.amounts.set(slot as usize, value) {
            if let Some(wide) = self.rare_mut().wide.get_mut(slot as usize) {
                *wide = value;
            }
        }
    }

    fn rare_mut(&mut self) -> &mut RareParts {
        self.rare.get_or_insert_with(Box::default)
    }

    fn extra(&self) -> Option<&TraceExtra> {
        self.rare.as_ref().map(|rare| &rare.extra)
    }

    /// The amount the clause computed (after its own cap); `None` when not money.
    pub fn computed(&self) -> Option<Decimal> {
        self.amount_in(Amount::Computed)
    }

    /// The amount after the cross-case rules.
    pub fn amount(&self) -> Option<Decimal> {
        self.amount_in(Amount::Standing)
    }

    pub fn set_amount(&mut self, amount: Option<Decimal>) {
        self.put(Amount::Standing, amount);
    }

    /// The amount before its own cap and rounding (for `open`, the base).
    pub fn raw(&self) -> Option<Decimal> {
        self.amount_in(Amount::Raw)
    }

    /// The clause's own cap, when it has one.
    pub fn cap(&self) -> Option<Decimal> {
        self.amount_in(Amount::Cap)
    }

    /// Every cross-case rule that changed the amount, in the order applied.
    pub fn adjustments(&self) -> &[Adjustment] {
        self.rare.as_ref().map_or(&[], |rare| rare.adjustments.as_slice())
    }

    pub fn push_adjustment(&mut self, adjustment: Adjustment) {
        let adjustments = &mut self.rare_mut().adjustments;
        // Most awards a rule cuts are cut once: room for one, not the four a first push
        // makes.
        adjustments.reserve_exact(1);
        adjustments.push(adjustment);
    }

    fn take_adjustments(&mut self) -> Vec<Adjustment> {
        self.rare.as_mut().map(|rare| std::mem::take(&mut rare.adjustments)).unwrap_or_default()
    }

    fn set_adjustments(&mut self, adjustments: Vec<Adjustment>) {
        if !adjustments.is_empty() || self.rare.is_some() {
            self.rare_mut().adjustments = adjustments;
        }
    }

    /// Notes a cross-case rule's word on the award that changes nothing (a cap passed by
    /// its relaxation).
    pub fn push_note(&mut self, note: String) {
        self.rare_mut().extra.notes.push(note);
    }

    /// How an award of a committed round stands, when the history is replayed.
    pub fn committed(&self) -> Option<&Committed> {
        self.rare.as_ref().and_then(|rare| rare.committed.as_ref())
    }

    pub fn set_committed(&mut self, committed: Committed) {
        self.rare_mut().committed = Some(committed);
    }

    /// Whether it is a committed award clawed back.
    pub fn revoked(&self) -> bool {
        self.committed().is_some_and(|committed| committed.revoked)
    }

    /// What a committed award was committed at.
    pub fn settled(&self) -> Option<Decimal> {
        self.committed().and_then(|committed| committed.settled)
    }

    /// The threshold a tier table paid.
    pub fn tier(&self) -> Option<&Fact> {
        self.extra()?.tier.as_ref()
    }

    /// For an `up to` award the review granted (`granted as`): its maximum.
    pub fn reviewed_maximum(&self) -> Option<Decimal> {
        self.extra()?.reviewed_maximum
    }

    /// When the amount is a sum (the bands of a progressive scale), each term's value.
    pub fn terms(&self) -> &[Decimal] {
        self.extra().map_or(&[], |extra| extra.terms.as_slice())
    }

    /// What the cross-case rules said about the award without changing it.
    pub fn notes(&self) -> &[String] {
        self.extra().map_or(&[], |extra| extra.notes.as_slice())
    }

    /// What each `min` or `max` in the amount or its cap picked.
    pub fn picks(&self) -> &[Pick] {
        self.extra().map_or(&[], |extra| extra.picks.as_slice())
    }

    /// The named values the amount read, with what they were for the case.
    pub fn named(&self) -> &[(usize, Fact)] {
        self.extra().map_or(&[], |extra| extra.named.as_slice())
    }

    /// The kind as results name it: a reviewed `up to` is a grant.
    pub fn kind<'p>(&self, policy: &'p Policy) -> &'p str {
        if self.reviewed_maximum().is_some() {
            return "grant";
        }
        policy.clauses.get(self.clause).map_or("", |clause| clause.award.kind_name())
    }

    /// The low end of a `range` as the clause computed it, after its cap and rounded.
    pub fn range_minimum(&self) -> Option<Decimal> {
        self.extra()?.minimum
    }

    /// The low end of a `range`; a cap that cut its high end cuts the low end with it.
    pub fn minimum(&self) -> Option<Decimal> {
        let minimum = self.range_minimum()?;
        Some(self.amount().map_or(minimum, |amount| minimum.min(amount)))
    }

    /// The most an `undetermined` award may be, where the policy states it.
    pub fn maximum(&self, policy: &Policy) -> Option<Decimal> {
        match policy.clauses.get(self.clause).map(|clause| &clause.award) {
            Some(check::checked::Award::Open { .. }) => self.cap(),
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

/// An award's keys, each `K`: `None` where a key fact is missing, which makes the award
/// its own key. A batch's awards hold their keys interned ([`AwardKeys`]); what the
/// ledger reads back holds the facts ([`KeyValues`]). The keys of the rules few clauses
/// have (years, instalments, history) keep their facts either way.
#[derive(Clone, Debug)]
pub struct Keys<K> {
    pub once: Option<K>,
    /// Per class that lists the clause, then per cap that counts it: one list, so that an
    /// award holds one pointer and allocates once ([`Keys::classes`], [`Keys::caps`]).
    rules: Box<[RuleKey<K>]>,
    /// The keys of rules few clauses have, boxed so that the common award stays small.
    rare: Option<Box<RareKeys>>,
}

/// An award's key for one class or cap, by the rule's place in the policy.
#[derive(Clone, Debug)]
enum RuleKey<K> {
    Class { class: u32, key: Option<K> },
    Cap { cap: u32, key: Option<K>, relaxed: bool },
}

/// An award's keys by their facts.
pub type KeyValues = Keys<Vec<Fact>>;

/// An award's keys as the batch holds them: interned in its [`KeyTable`].
pub type AwardKeys = Keys<KeyId>;

impl<K> Default for Keys<K> {
    fn default() -> Keys<K> {
        Keys { once: None, rules: Box::new([]), rare: None }
    }
}

/// A rule's place as the key list holds it. INVARIANT: a policy has fewer than 2^32
/// classes or caps (each is a line of its source).
fn rule_place(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

impl<K> Keys<K> {
    /// `classes`: per class that lists the clause, (class, key); `caps`: per cap that
    /// counts it.
    fn with_rules(
        once: Option<K>,
        classes: impl IntoIterator<Item = (usize, Option<K>)>,
        caps: impl IntoIterator<Item = CapKey<K>>,
        rare: Option<Box<RareKeys>>,
    ) -> Keys<K> {
        let classes = classes.into_iter().map(|(class, key)| RuleKey::Class { class: rule_place(class), key });
        let caps =
            caps.into_iter().map(|cap| RuleKey::Cap { cap: rule_place(cap.cap), key: cap.key, relaxed: cap.relaxed });
        Keys { once, rules: classes.chain(caps).collect(), rare }
    }

    /// Per class that lists the clause: (class, key).
    pub fn classes(&self) -> impl Iterator<Item = (usize, Option<&K>)> + '_ {
        self.rules.iter().filter_map(|rule| match rule {
            RuleKey::Class { class, key } => Some((*class as usize, key.as_ref())),
            RuleKey::Cap { .. } => None,
        })
    }

    /// Per cap that counts the clause: its key and the limit this award may reach.
    pub fn caps(&self) -> impl Iterator<Item = CapKey<&K>> + Clone + '_ {
        self.rules.iter().filter_map(|rule| match rule {
            RuleKey::Cap { cap, key, relaxed } => {
                Some(CapKey { cap: *cap as usize, key: key.as_ref(), relaxed: *relaxed })
            }
            RuleKey::Class { .. } => None,
        })
    }

    /// The key of one class, when the clause is in it and the key's facts are all there.
    pub fn class_key(&self, class: usize) -> Option<&K> {
        self.classes().find(|(listed, _)| *listed == class).and_then(|(_, key)| key)
    }

    /// How the award counts toward one cap, when the cap counts the clause.
    pub fn cap_key(&self, cap: usize) -> Option<CapKey<&K>> {
        self.caps().find(|counted| counted.cap == cap)
    }
}

/// An award's keys for `for at most N years`, `in instalments` and history rules.
#[derive(Clone, Debug, Default)]
struct RareKeys {
    years: Option<Vec<Fact>>,
    instalment: Option<InstalmentKey>,
    history: Vec<(usize, Option<Vec<Fact>>)>,
}

impl RareKeys {
    /// Boxed, when there are any: most awards have none.
    fn new(
        years: Option<Vec<Fact>>,
        instalment: Option<InstalmentKey>,
        history: Vec<(usize, Option<Vec<Fact>>)>,
    ) -> Option<Box<RareKeys>> {
        (years.is_some() || instalment.is_some() || !history.is_empty())
            .then(|| Box::new(RareKeys { years, instalment, history }))
    }
}

impl KeyValues {
    /// `years` is the key of the clause's `for at most N years`; `instalment`, of its `in
    /// instalments` (with the milestones reached and whether the case meets `all at
    /// once`); `history`, per history rule that conditions the clause or looks for its
    /// awards, (rule, key values).
    pub fn new(
        once: Option<Vec<Fact>>,
        years: Option<Vec<Fact>>,
        instalment: Option<InstalmentKey>,
        history: Vec<(usize, Option<Vec<Fact>>)>,
        classes: Vec<(usize, Option<Vec<Fact>>)>,
        caps: Vec<CapKey<Vec<Fact>>>,
    ) -> KeyValues {
        Keys::with_rules(once, classes, caps, RareKeys::new(years, instalment, history))
    }
}

impl<K> Keys<K> {
    pub fn years(&self) -> Option<&[Fact]> {
        self.rare.as_ref()?.years.as_deref()
    }

    pub fn instalment(&self) -> Option<&InstalmentKey> {
        self.rare.as_ref()?.instalment.as_ref()
    }

    pub fn history(&self) -> &[(usize, Option<Vec<Fact>>)] {
        self.rare.as_ref().map_or(&[], |rare| rare.history.as_slice())
    }
}

impl AwardKeys {
    /// `values` with its common keys interned in `table`.
    pub fn intern(values: KeyValues, table: &mut KeyTable) -> AwardKeys {
        let mut intern = |key: Option<Vec<Fact>>| key.map(|facts| table.intern(&facts));
        let once = intern(values.once);
        let rules = values
            .rules
            .into_vec()
            .into_iter()
            .map(|rule| match rule {
                RuleKey::Class { class, key } => RuleKey::Class { class, key: intern(key) },
                RuleKey::Cap { cap, key, relaxed } => RuleKey::Cap { cap, key: intern(key), relaxed },
            })
            .collect();
        Keys { once, rules, rare: values.rare }
    }

    /// The award's keys when it is made: `classes` per class that lists the clause,
    /// `caps` per cap that counts it.
    pub fn new(
        once: Option<KeyId>,
        classes: impl IntoIterator<Item = (usize, Option<KeyId>)>,
        caps: impl IntoIterator<Item = CapKey<KeyId>>,
        years: Option<Vec<Fact>>,
        instalment: Option<InstalmentKey>,
        history: Vec<(usize, Option<Vec<Fact>>)>,
    ) -> AwardKeys {
        Keys::with_rules(once, classes, caps, RareKeys::new(years, instalment, history))
    }

    /// The keys of one chunk's table, in the table that absorbed it.
    fn remap(&mut self, remap: &keys::Remap) {
        self.once = self.once.map(|id| remap.get(id));
        for rule in self.rules.iter_mut() {
            let (RuleKey::Class { key, .. } | RuleKey::Cap { key, .. }) = rule;
            *key = key.map(|id| remap.get(id));
        }
    }
}

/// How an award paid in instalments finds what is due.
#[derive(Clone, Debug)]
pub struct InstalmentKey {
    pub key: Option<Vec<Fact>>,
    pub reached: i64,
    pub all_at_once: bool,
}

/// How one cap counts one award, by its key `K`.
#[derive(Clone, Copy, Debug)]
pub struct CapKey<K> {
    pub cap: usize,
    pub key: Option<K>,
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

/// A change made to an award by a cross-case rule. Its reason is kept as the facts it
/// names (the case that held a key first, what a cap had counted), and worded only when
/// a result is written ([`why::Wording`]): a batch of a million cuts keeps no text.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjustment {
    pub source: RuleRef,
    /// The amounts before and after; none for an award without an amount (an
    /// `undetermined` award cut by `once` still has none: it is not paid, not paid 0).
    pub from: Option<Decimal>,
    pub to: Option<Decimal>,
    pub(crate) why: Why,
}

/// What an adjustment's reason says, in the fewest facts the common rules need.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Why {
    /// `once`: the case (its place among the batch's cases) whose award used the key first.
    OnceHeld { case: u32 },
    /// A class: the award that superseded this one, by its case's place and its clause.
    Superseded { case: u32, clause: u32 },
    /// The one cap that left no more room: what it had counted before this award, the
    /// limit it held the award to (relaxed or not), and the case (its place) of the latest
    /// award it counted, `u32::MAX` when committed rounds alone had used it. What the
    /// award kept is its `to`.
    Capped { counted: Decimal, limit: Decimal, last: u32 },
    /// Worded when the rule applied: the rules and holders few awards meet.
    Worded(Box<str>),
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

/// The readable cases of a batch, in input order, and their ids, held once
/// ([`data::CaseIds`]). It reads as the slice of summaries.
#[derive(Clone, Default)]
pub struct Cases {
    summaries: Vec<CaseSummary>,
    ids: data::CaseIds,
}

impl std::ops::Deref for Cases {
    type Target = [CaseSummary];

    fn deref(&self) -> &[CaseSummary] {
        &self.summaries
    }
}

impl<'c> IntoIterator for &'c Cases {
    type Item = &'c CaseSummary;
    type IntoIter = std::slice::Iter<'c, CaseSummary>;

    fn into_iter(self) -> Self::IntoIter {
        self.summaries.iter()
    }
}

impl Cases {
    pub fn new() -> Cases {
        Cases::default()
    }

    /// The case's id.
    pub fn id(&self, case: &CaseSummary) -> &str {
        self.ids.get(case.id)
    }

    /// The id of `id` among these cases', added when new.
    pub fn intern(&mut self, id: &str) -> data::CaseId {
        self.ids.intern(id)
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, CaseSummary> {
        self.summaries.iter_mut()
    }

    /// Adds a case whose id is among these cases' ids.
    pub fn push(&mut self, case: CaseSummary) {
        self.summaries.push(case);
    }
}

/// A readable case's place in the result.
#[derive(Clone, Debug)]
pub struct CaseSummary {
    /// The case's id in its [`Cases`].
    pub id: data::CaseId,
    pub date: Date,
    /// The round the case was decided in: committed rounds in the order committed, this
    /// batch last. Batch order sorts by round first, so a committed decision stands.
    pub round: u64,
    pub gate_failure: Option<Box<str>>,
    /// Its awards: `awards[first_award .. first_award + award_count]`.
    pub first_award: u32,
    pub award_count: u32,
}

impl CaseSummary {
    /// Where its awards are among the batch's.
    pub fn award_range(&self) -> std::ops::Range<usize> {
        let first = self.first_award as usize;
        first..first + self.award_count as usize
    }
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

impl EntityTotal {
    /// Nothing yet, in either sum.
    pub const ZERO: EntityTotal = EntityTotal { granted: Some(Decimal::ZERO), up_to: Some(Decimal::ZERO) };

    /// Adds `award`, whose amount is `amount`, to the sum its kind counts toward.
    pub fn count(&mut self, policy: &Policy, award: &AwardRecord, amount: Decimal) {
        // A range, like `up to`, pays at most its amount once reviewed.
        let is_up_to = matches!(award.kind(policy), "up_to" | "range");
        let sum = if is_up_to { &mut self.up_to } else { &mut self.granted };
        *sum = sum.and_then(|sum| sum.checked_add(amount));
    }
}

/// Everything a run produced: the cases in input order, every award with its trace, the
/// records that did not run, and the totals. [`crate::Run`] renders it.
///
/// ```
/// let policy = polc::compile("p09.pol", include_str!("../../policies/shapes/P09-exact-fraction.pol"))?;
/// let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,3\nA2,2025-03-01,G2,x\n";
/// let result = polc::run(&policy, cases.as_bytes(), polc::InputFormat::Csv)?.into_result();
/// assert_eq!((result.cases.len(), result.awards.len(), result.failed_records), (1, 1, 1));
/// assert_eq!(result.errors[0].field.as_deref(), Some("city_subsidy"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BatchResult {
    /// The readable cases, in input order.
    pub cases: Cases,
    /// Every award, grouped by case in input order, clause order within a case.
    pub awards: Vec<AwardRecord>,
    /// The awards' keys, each held once.
    pub keys: KeyTable,
    /// Every data error, in input order.
    pub errors: Vec<DataError>,
    /// How many records did not run: a record with three bad fields has three errors but
    /// is one record.
    pub failed_records: usize,
    /// Per recipient entity, sorted by id (each once).
    pub totals: Vec<(Arc<str>, EntityTotal)>,
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
    /// supersedes one).
    pub revisions: Vec<Revision>,
}

/// A committed award that a later batch changes: its id in the ledger, its new amount and
/// why.
#[derive(Clone, Debug)]
pub struct Revision {
    pub award_id: i64,
    pub amount: Option<Decimal>,
    /// Each change's reason, in the order made, joined by "; ".
    pub reason: String,
}

/// A case of the batch that a committed round decided with the same facts.
#[derive(Clone, Debug)]
pub struct AlreadyDecided {
    pub id: String,
    pub round: u64,
    /// Its committed awards: clause id, recipient, amount.
    pub awards: Vec<(String, Arc<str>, Option<Decimal>)>,
    /// Its facts in this batch, for the ledger to compare with the committed ones.
    pub fingerprint: String,
    pub location: Location,
}

/// Per case id a committed round decided: the round, and a hash of its facts
/// ([`fingerprint_hash`]) to tell the same facts from others without holding them.
pub type Decided = HashMap<Box<str>, (u64, u64)>;

/// A 64-bit hash (FNV-1a) of a case's facts as [`Case::fingerprint`] writes them. Equal
/// hashes are confirmed against the facts themselves.
pub fn fingerprint_hash(fingerprint: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fingerprint.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What earlier committed rounds decided, whole: their cases and awards (each with what
/// its clause computed and the amount it stands at), replayed with the batch as one batch.
/// A ledger reads it only when [`Counted`] cannot say enough (an amended policy, awards
/// written by an older polc, a class superseding an award a cap counted).
#[derive(Default)]
pub struct Prior {
    /// Awards decided outside this policy and imported into the ledger, in date order.
    pub external: Vec<ExternalAward>,
    pub cases: Cases,
    pub awards: Vec<AwardRecord>,
    /// The history's awards' keys.
    pub keys: KeyTable,
    /// Each award's id in the ledger (parallel to `awards`).
    pub award_ids: Vec<i64>,
}

/// A batch whose cases are evaluated, before the cross-case rules.
pub struct Pending {
    result: BatchResult,
    hits: Option<coverage::Hits>,
}

impl Pending {
    /// The cases of the batch that were evaluated.
    pub fn cases(&self) -> &Cases {
        &self.result.cases
    }
}

impl BatchResult {
    pub fn case_awards(&self, case: &CaseSummary) -> &[AwardRecord] {
        self.awards.get(case.award_range()).unwrap_or_default()
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
    reader: impl Read + Send,
    format: InputFormat,
    explain: Option<&str>,
) -> Result<BatchResult, BatchError> {
    run_with(policy, reader, format, explain, false)
}

/// [`run`], also recording coverage when `measure_coverage` is set.
pub fn run_with(
    policy: &Policy,
    reader: impl Read + Send,
    format: InputFormat,
    explain: Option<&str>,
    measure_coverage: bool,
) -> Result<BatchResult, BatchError> {
    let pending = evaluate(policy, reader, format, explain, measure_coverage, None)?;
    Ok(finish(policy, pending, None))
}

/// The per-case phase: reads the batch and evaluates each case, and against a history
/// (`decided`) recognises a case a committed round decided. The cross-case rules are
/// left to [`finish`] or [`finish_counted`]. Uses every core the process may
/// ([`Parallelism::available`]).
pub fn evaluate(
    policy: &Policy,
    reader: impl Read + Send,
    format: InputFormat,
    explain: Option<&str>,
    measure_coverage: bool,
    decided: Option<&Decided>,
) -> Result<Pending, BatchError> {
    evaluate_in(Parallelism::available(), policy, reader, format, explain, measure_coverage, decided)
}

/// [`evaluate`] spread as `parallelism` says. The result does not depend on it: chunks
/// are typed and evaluated on any thread, and taken back in input order.
pub fn evaluate_in(
    parallelism: Parallelism,
    policy: &Policy,
    reader: impl Read + Send,
    format: InputFormat,
    explain: Option<&str>,
    measure_coverage: bool,
    decided: Option<&Decided>,
) -> Result<Pending, BatchError> {
    let program = Program::compile(policy);
    let schema = data::Schema::new(policy);
    let mut hits = coverage::Hits::new();
    let mut result = BatchResult {
        cases: Cases::new(),
        awards: Vec::new(),
        keys: KeyTable::new(),
        errors: Vec::new(),
        failed_records: 0,
        totals: Vec::new(),
        explained: None,
        coverage: None,
        fingerprints: Vec::new(),
        already_decided: Vec::new(),
        ledger_notes: Vec::new(),
        revisions: Vec::new(),
    };
    let mut owners = data::IdOwners::new(&schema);
    // Each chunk interns its awards' keys in a table of its own, which the batch merges
    // as it takes the chunk: the workers never wait on one another's table.
    let evaluate_chunk = |chunk: data::Chunk| {
        let mut evaluated = Vec::new();
        let mut keys = KeyTable::new();
        chunk.records(&schema, |record| {
            evaluated.push(match record {
                Record::Failed(errors) => Evaluated::Failed(errors),
                Record::Case(case) => evaluate_one(&program, case, &mut keys, explain, measure_coverage, decided),
            });
        });
        (evaluated, keys)
    };
    let take_chunk = |(evaluated, keys): (Vec<Evaluated>, KeyTable)| {
        let remap = result.keys.absorb(keys);
        for evaluated in evaluated {
            take_evaluated(&mut result, &mut owners, &mut hits, &remap, evaluated);
        }
    };
    let schema = &schema;
    crate::parallel::ordered(
        parallelism.threads,
        move |emit| data::split_batch(reader, format, schema, parallelism.chunk_bytes, emit),
        evaluate_chunk,
        take_chunk,
    )?;
    // The ids the batch admitted are its cases' (and those of records that failed).
    result.cases.ids = owners.into_ids();
    Ok(Pending { result, hits: measure_coverage.then_some(hits) })
}

/// One record after the per-case phase, before the batch takes it: duplicate ids and
/// case positions are the batch's to settle, in input order.
#[expect(clippy::large_enum_variant, reason = "nearly every record is a case; boxing it would allocate for each")]
enum Evaluated {
    /// It could not be read.
    Failed(Vec<DataError>),
    /// A readable case, under its id.
    Case { id: Arc<str>, location: Location, outcome: CaseEvaluated },
}

enum CaseEvaluated {
    /// A committed round decided it with the same facts.
    AlreadyDecided {
        round: u64,
        fingerprint: String,
    },
    /// A committed round decided it with other facts.
    DecidedOtherwise {
        round: u64,
    },
    Error(DataError),
    /// Its awards carry case position 0, until the batch places the case.
    Ran {
        date: Date,
        fingerprint: Option<String>,
        outcome: case::CaseOutcome,
        /// The case itself, kept only when it is the one to explain.
        explained: Option<Case>,
        hits: Option<coverage::Hits>,
    },
}

/// Evaluates one case, as far as it can be without the rest of the batch.
fn evaluate_one(
    program: &Program<'_>,
    case: Case,
    keys: &mut KeyTable,
    explain: Option<&str>,
    measure_coverage: bool,
    decided: Option<&Decided>,
) -> Evaluated {
    let fingerprint = decided.map(|_| case.fingerprint());
    if let (Some(decided), Some(fingerprint)) = (decided, &fingerprint) {
        match decided.get(&*case.id) {
            Some(&(round, hash)) if hash == fingerprint_hash(fingerprint) => {
                let outcome = CaseEvaluated::AlreadyDecided { round, fingerprint: fingerprint.clone() };
                return Evaluated::Case { id: case.id, location: case.location, outcome };
            }
            Some(&(round, _)) => {
                return Evaluated::Case {
                    id: case.id,
                    location: case.location,
                    outcome: CaseEvaluated::DecidedOtherwise { round },
                }
            }
            None => {}
        }
    }
    let explaining = explain == Some(&*case.id);
    let mut hits = measure_coverage.then(coverage::Hits::new);
    let outcome = match case::evaluate(program, &case, keys, explaining, hits.as_mut()) {
        Ok(outcome) => outcome,
        Err(error) => {
            let error = DataError {
                message: error.words(program.policy.lang),
                case: Some(case.id.to_string()),
                field: error.field().map(str::to_string),
                location: case.location.clone(),
            };
            return Evaluated::Case { id: case.id, location: case.location, outcome: CaseEvaluated::Error(error) };
        }
    };
    let (date, location) = (case.date, case.location.clone());
    let (id, explained) = if explaining { (case.id.clone(), Some(case)) } else { (case.id, None) };
    Evaluated::Case { id, location, outcome: CaseEvaluated::Ran { date, fingerprint, outcome, explained, hits } }
}

/// The batch takes one evaluated record, in input order.
fn take_evaluated(
    result: &mut BatchResult,
    owners: &mut data::IdOwners,
    hits: &mut coverage::Hits,
    remap: &keys::Remap,
    evaluated: Evaluated,
) {
    let (id, location, outcome) = match evaluated {
        Evaluated::Failed(mut errors) => {
            owners.admit_failed(&mut errors);
            result.failed_records += 1;
            result.errors.extend(errors);
            return;
        }
        Evaluated::Case { id, location, outcome } => (id, location, outcome),
    };
    let case_id = match owners.admit_case(&id, &location) {
        Ok(case_id) => case_id,
        Err(duplicate) => {
            result.failed_records += 1;
            result.errors.push(duplicate);
            return;
        }
    };
    match outcome {
        // Its committed awards are the ledger's to add.
        CaseEvaluated::AlreadyDecided { round, fingerprint } => {
            result.already_decided.push(AlreadyDecided {
                id: id.to_string(),
                round,
                awards: Vec::new(),
                fingerprint,
                location,
            });
        }
        CaseEvaluated::DecidedOtherwise { round } => {
            result.failed_records += 1;
            result.errors.push(decided_with_other_facts(owners.lang(), id.to_string(), round, location));
        }
        CaseEvaluated::Error(error) => {
            result.failed_records += 1;
            result.errors.push(error);
        }
        CaseEvaluated::Ran { date, fingerprint, outcome, explained, hits: case_hits } => {
            let case_index = result.cases.len();
            let index = u32::try_from(case_index).unwrap_or(u32::MAX);
            result.fingerprints.extend(fingerprint);
            result.cases.push(CaseSummary {
                id: case_id,
                date,
                round: THIS_BATCH,
                gate_failure: outcome.gate_failure.map(String::into_boxed_str),
                first_award: u32::try_from(result.awards.len()).unwrap_or(u32::MAX),
                award_count: u32::try_from(outcome.awards.len()).unwrap_or(u32::MAX),
            });
            result.awards.extend(outcome.awards.into_iter().map(|mut award| {
                award.case_index = index;
                award.keys.remap(remap);
                award
            }));
            if let (Some(case), None) = (explained, &result.explained) {
                result.explained = Some(Explained { case, case_index, statuses: outcome.statuses });
            }
            hits.extend(case_hits.into_iter().flatten());
        }
    }
}

/// The data error of a case id a committed round decided with other facts.
pub fn decided_with_other_facts(lang: crate::lang::Lang, case: String, round: u64, location: Location) -> DataError {
    DataError {
        message: crate::lang::say!(
            lang,
            format!("decided in run {round} with other facts; revoke it first"),
            format!("该案例已在第{round}轮以不同的申报事实作出决定；请先撤销")
        ),
        case: Some(case),
        field: None,
        location,
    }
}

/// The cross-case rules over the batch alone, or after a whole history replayed with it
/// (the history first; the batch keeps its own awards, and the history's awards that
/// change are revisions).
pub fn finish(policy: &Policy, pending: Pending, prior: Option<Prior>) -> BatchResult {
    let program = Program::compile(policy);
    let Pending { mut result, hits } = pending;
    match prior {
        None => {
            // With nothing committed, nothing can need the whole history.
            let _ = batch::apply_cross_case_rules(
                &program,
                &result.cases,
                &mut result.awards,
                &result.keys,
                &[],
                &mut Counted::new(policy),
            );
        }
        Some(prior) => with_history(&program, prior, &mut result),
    }
    totals_and_coverage(policy, result, hits)
}

/// The cross-case rules over the batch after what committed rounds counted. `Err` gives
/// the batch back, as it was, when only the whole history can decide it (a class
/// supersedes a committed award that a cap counted): then [`finish`] with the history.
pub fn finish_counted(
    policy: &Policy,
    pending: Pending,
    external: &[ExternalAward],
    mut counted: Counted,
) -> Result<BatchResult, Box<Pending>> {
    let program = Program::compile(policy);
    let Pending { mut result, hits } = pending;
    let before: Vec<Option<Decimal>> = result.awards.iter().map(|award| award.amount()).collect();
    match batch::apply_cross_case_rules(
        &program,
        &result.cases,
        &mut result.awards,
        &result.keys,
        external,
        &mut counted,
    ) {
        Ok(superseded) => {
            result.revisions = superseded
                .into_iter()
                .filter_map(|superseded| {
                    let holder = counted.holders.get(superseded.holder as usize)?;
                    Some(Revision { award_id: holder.award_id, amount: Some(Decimal::ZERO), reason: superseded.reason })
                })
                .collect();
            Ok(totals_and_coverage(policy, result, hits))
        }
        Err(batch::NeedsWholeHistory) => {
            // Back to what the per-case phase left: no rule has noted anything yet (caps,
            // which add notes, had not run).
            for (award, amount) in result.awards.iter_mut().zip(before) {
                award.set_amount(amount);
                award.set_adjustments(Vec::new());
            }
            Err(Box::new(Pending { result, hits }))
        }
    }
}

fn totals_and_coverage(policy: &Policy, mut result: BatchResult, hits: Option<coverage::Hits>) -> BatchResult {
    result.totals = totals(policy, &result.awards);
    if let Some(mut hits) = hits {
        for adjustment in
            result.awards.iter().flat_map(|award| award.adjustments().iter().map(move |a| (award.clause, a)))
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
    result
}

/// The cross-case rules over the history and the batch as one batch, the history first;
/// the batch keeps its own awards, and the history's awards that change are revisions.
///
/// The history is taken, not copied: at a million committed awards a copy would double
/// what the replay holds.
fn with_history(program: &Program<'_>, prior: Prior, result: &mut BatchResult) {
    let Prior { external, mut cases, awards: history, keys, award_ids } = prior;
    let remap = result.keys.absorb(keys);
    let (case_offset, award_offset) = (cases.len(), history.len());
    let first_after_history = u32::try_from(award_offset).unwrap_or(u32::MAX);
    for case in &result.cases {
        let id = cases.intern(result.cases.id(case));
        cases.push(CaseSummary {
            id,
            first_award: case.first_award.saturating_add(first_after_history),
            ..case.clone()
        });
    }
    // The history's awards start from what their clauses computed, so every rule applies
    // over the history and the batch as one batch; what each was committed at is kept to
    // compare with.
    let committed: Vec<Option<Decimal>> = history.iter().map(|award| award.amount()).collect();
    let mut awards: Vec<AwardRecord> = history
        .into_iter()
        .map(|mut award| {
            award.keys.remap(&remap);
            let (revoked, settled) = (award.revoked(), award.amount());
            award.set_amount(if revoked { settled } else { award.computed() });
            award.set_adjustments(Vec::new());
            award.set_committed(Committed { revoked, settled: Some(settled.unwrap_or_default()) });
            award
        })
        .collect();
    awards.extend(std::mem::take(&mut result.awards).into_iter().map(|mut award| {
        award.case_index += u32::try_from(case_offset).unwrap_or(u32::MAX);
        award
    }));
    // Everything committed is among the awards: nothing is counted apart from them.
    let (keys, policy) = (&result.keys, program.policy);
    let _ = batch::apply_cross_case_rules(program, &cases, &mut awards, keys, &external, &mut Counted::new(policy));
    let batch_awards = awards.split_off(award_offset);
    let wording = why::Wording::new(program.policy);
    for ((after, before), award_id) in awards.into_iter().zip(committed).zip(award_ids) {
        if after.amount() != before {
            let reasons: Vec<String> = wording.reasons(&cases, &after).collect();
            result.revisions.push(Revision { award_id, amount: after.amount(), reason: reasons.join("; ") });
        }
    }
    let offset = u32::try_from(case_offset).unwrap_or(0);
    result.awards = batch_awards
        .into_iter()
        .map(|mut award| {
            // The batch's cases are numbered from 0 again; a reason that names a case of
            // the history is worded while the history is at hand.
            let mut adjustments = award.take_adjustments();
            for adjustment in &mut adjustments {
                adjustment.why = match adjustment.why {
                    Why::OnceHeld { case } if case >= offset => Why::OnceHeld { case: case - offset },
                    Why::Superseded { case, clause } if case >= offset => {
                        Why::Superseded { case: case - offset, clause }
                    }
                    Why::Capped { counted, limit, last } if last >= offset => {
                        Why::Capped { counted, limit, last: if last == u32::MAX { last } else { last - offset } }
                    }
                    Why::OnceHeld { .. } | Why::Superseded { .. } | Why::Capped { .. } => {
                        Why::Worded(wording.reason(&cases, &award, adjustment).into())
                    }
                    ref why @ Why::Worded(_) => why.clone(),
                };
            }
            award.set_adjustments(adjustments);
            award.case_index -= offset;
            award
        })
        .collect();
}

/// Totals per recipient entity, with checked sums.
fn totals(policy: &Policy, awards: &[AwardRecord]) -> Vec<(Arc<str>, EntityTotal)> {
    // Summed in first-seen order through a hash map of places, and sorted once at the
    // end: an ordered map's look-up per award compared texts all the way down its tree,
    // a twentieth of a million-case run (docs/performance.md, issue 10, sixth part).
    let mut places: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    let mut totals: Vec<(Arc<str>, EntityTotal)> = Vec::new();
    for award in awards {
        let Some(amount) = award.amount() else { continue };
        let place = *places.entry(&award.recipient).or_insert_with(|| {
            totals.push((award.recipient.clone(), EntityTotal::ZERO));
            // INVARIANT: fewer recipients than awards, and a batch's awards are counted in u32s.
            u32::try_from(totals.len() - 1).unwrap_or(u32::MAX)
        });
        let Some((_, total)) = totals.get_mut(place as usize) else { continue };
        total.count(policy, award, amount);
    }
    // Freed before the sort, so that the map and the sorted totals are not held at once.
    drop(places);
    totals.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    totals.shrink_to_fit();
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch keeps one record per award and one summary per case: their size is what a
    /// million-case run holds (docs/performance.md, issue 10).
    #[test]
    fn records_stay_small() {
        assert_eq!(std::mem::size_of::<AwardRecord>(), 128);
        assert_eq!(std::mem::size_of::<CaseSummary>(), 48);
    }

    #[test]
    fn an_amount_too_wide_to_pack_is_kept_exactly() {
        let wide: Decimal = "79228162514264337593543950335".parse().unwrap();
        let mut award = AwardRecord::new(
            0,
            0,
            Arc::from("E1"),
            Some(wide),
            AmountTrace { raw: Some(wide), cap: None, extra: None },
            Box::new([]),
            AwardKeys::default(),
        );
        assert_eq!(
            (award.computed(), award.amount(), award.raw(), award.cap()),
            (Some(wide), Some(wide), Some(wide), None)
        );
        award.set_amount(Some(Decimal::ONE));
        assert_eq!((award.computed(), award.amount()), (Some(wide), Some(Decimal::ONE)));
        award.set_amount(Some(-Decimal::ZERO));
        assert_eq!(award.amount().map(|amount| amount.to_string()), Some((-Decimal::ZERO).to_string()));
    }
}
