//! What committed rounds leave for the cross-case rules: per rule and key, what it counted
//! (the once-keys used, the years paid, the instalments paid, what a history condition
//! finds, each class's highest award, each cap's running sum). A ledger builds it award by
//! award in batch order without holding the awards, and the rules over a new batch start
//! from it, as if the committed rounds were the batch's earlier cases.
//!
//! Each committed award is counted the way the rules counted it when it was decided: by
//! the amounts it had before and after each rule, which the ledger records with it. A
//! committed decision stands; the one thing a later round changes is a class's highest
//! award, which a higher one supersedes (a revision). When that award also counted
//! toward a cap, the awards after it that the cap cut would get more in one batch: only
//! a replay of the whole history can reopen them ([`Counted`] says so, and the ledger
//! replays).

use super::batch::{note_received, refuse_year};
use super::{KeyValues, RuleRef};
use crate::check::checked::{HistorySubject, Policy};
use crate::data::Fact;
use crate::money::Date;
use foldhash::{HashMap, HashMapExt};
use rust_decimal::Decimal;
use std::sync::Arc;

/// A committed award as the ledger reads it back, in batch order.
pub struct CommittedAward {
    pub award_id: i64,
    pub case: Arc<str>,
    pub date: Date,
    pub round: u64,
    pub clause: usize,
    /// What its clause computed.
    pub computed: Option<Decimal>,
    /// What it stands at now: committed, revised or granted (0 when revoked).
    pub standing: Option<Decimal>,
    /// A review panel's grant, when it had one.
    pub granted: Option<Decimal>,
    pub revised: bool,
    pub revoked: bool,
    /// Each cross-case rule that changed it when it was decided, in order, with the
    /// amount it left.
    pub changes: Vec<(RuleRef, Option<Decimal>)>,
    pub keys: KeyValues,
}

/// A committed award that a rule's reason names or a class may supersede.
#[derive(Clone, Debug)]
pub struct Holder {
    pub award_id: i64,
    pub case: Arc<str>,
    pub date: Date,
    pub round: u64,
    pub clause: usize,
    pub standing: Option<Decimal>,
    /// The caps it counted toward, with their keys: a class that supersedes it takes it
    /// out of them.
    pub caps: Vec<(usize, Vec<Fact>)>,
}

/// A class's highest committed award for a key, and the amount it compared with.
#[derive(Clone, Copy, Debug)]
pub struct ClassBest {
    pub holder: u32,
    pub amount: Decimal,
}

/// What received an award of a clause a history condition names, for one key.
#[derive(Clone, Debug)]
pub struct Received {
    /// The first award received.
    pub holder: u32,
    /// The calendar years it was received in.
    pub years: Vec<i32>,
    /// Whether an instalment paid the whole.
    pub paid_out: bool,
}

/// Per rule and key, what the committed rounds counted.
#[derive(Default)]
pub struct Counted {
    pub(super) holders: Vec<Holder>,
    /// Per clause: each instalment key and what was paid for it.
    pub(super) paid: Vec<HashMap<Vec<Fact>, Decimal>>,
    /// Per clause: each once-key and the award that used it.
    pub(super) once: Vec<HashMap<Vec<Fact>, u32>>,
    /// Per clause: each key of its `for at most N years` and the years it paid in.
    pub(super) years: Vec<HashMap<Vec<Fact>, Vec<i32>>>,
    /// Per history rule: each key and what received an award for it.
    pub(super) received: Vec<HashMap<Vec<Fact>, Received>>,
    /// Per class: each key's highest award.
    pub(super) classes: Vec<HashMap<Vec<Fact>, ClassBest>>,
    /// Per cap: each key's running sum (for a pro-rata pool, what committed rounds took).
    pub(super) spent: Vec<HashMap<Vec<Fact>, Decimal>>,
    /// How many committed awards were counted.
    pub awards: usize,
}

/// The rules in the order they apply: an award's amount before each is what the rule saw.
const STAGES: usize = 6;

fn stage_of(rule: RuleRef) -> usize {
    match rule {
        RuleRef::Instalments => 0,
        RuleRef::Once => 1,
        RuleRef::Years => 2,
        RuleRef::History(_) => 3,
        RuleRef::Class(_) => 4,
        RuleRef::Cap(_) => 5,
    }
}

fn takes_part(amount: Option<Decimal>) -> bool {
    amount != Some(Decimal::ZERO)
}

impl Counted {
    pub fn new(policy: &Policy) -> Counted {
        Counted {
            holders: Vec::new(),
            paid: policy.clauses.iter().map(|_| HashMap::new()).collect(),
            once: policy.clauses.iter().map(|_| HashMap::new()).collect(),
            years: policy.clauses.iter().map(|_| HashMap::new()).collect(),
            received: policy.history.iter().map(|_| HashMap::new()).collect(),
            classes: policy.classes.iter().map(|_| HashMap::new()).collect(),
            spent: policy.caps.iter().map(|_| HashMap::new()).collect(),
            awards: 0,
        }
    }

    /// Counts one committed award; awards come in batch order.
    pub fn add(&mut self, policy: &Policy, award: CommittedAward) {
        self.awards += 1;
        let Some(clause) = policy.clauses.get(award.clause) else { return };
        // The amount before each rule, and whether the rule changed it. A grant replaces
        // the maximum the rules saw; a revoked award takes part in no sum.
        let mut before = [None; STAGES + 1];
        let mut changed = [false; STAGES];
        let mut current = award.computed;
        let mut changes = award.changes.iter().peekable();
        for (stage, (before, changed)) in before.iter_mut().zip(changed.iter_mut()).enumerate() {
            *before = current;
            while let Some((_, to)) = changes.next_if(|(rule, _)| stage_of(*rule) == stage) {
                *changed = true;
                current = *to;
            }
        }
        if let Some(last) = before.last_mut() {
            *last = current;
        }
        if let Some(granted) = award.granted {
            for amount in before.iter_mut() {
                *amount = amount.map(|amount| amount.min(granted)).or(Some(granted));
            }
        }
        if award.revoked {
            before = [Some(Decimal::ZERO); STAGES + 1];
        }
        let [_, after_instalments, after_once, _, after_history, after_classes, _] = before;
        let mut holder: Option<u32> = None;
        let mut holder_of = |counted: &mut Counted| -> u32 {
            *holder.get_or_insert_with(|| {
                let caps = award.keys.caps().filter_map(|counted| Some((counted.cap, counted.key?.clone()))).collect();
                counted.holders.push(Holder {
                    award_id: award.award_id,
                    case: award.case.clone(),
                    date: award.date,
                    round: award.round,
                    clause: award.clause,
                    standing: award.standing,
                    caps,
                });
                u32::try_from(counted.holders.len() - 1).unwrap_or(u32::MAX)
            })
        };
        let keys = &award.keys;
        // Instalments: what this award paid for its key.
        if let (Some(_), Some(instalment), Some(_), false) =
            (&clause.instalments, keys.instalment(), award.computed, award.revoked)
        {
            if let (Some(key), Some(paid)) = (&instalment.key, self.paid.get_mut(award.clause)) {
                *paid.entry(key.clone()).or_default() += after_instalments.unwrap_or_default();
            }
        }
        // Once: the first award that takes part holds the key; a revoked one still does.
        if let Some(key) = &keys.once {
            if (award.revoked || takes_part(after_instalments))
                && !self.once.get(award.clause).is_some_and(|once| once.contains_key(key))
            {
                let index = holder_of(self);
                if let Some(once) = self.once.get_mut(award.clause) {
                    once.insert(key.clone(), index);
                }
            }
        }
        // Years: decided again as the rule decides it, from the years already paid.
        if let (Some(limit), Some(key)) = (&clause.years, keys.years()) {
            if award.revoked || takes_part(after_once) {
                if let Some(paid) = self.years.get_mut(award.clause) {
                    let years = paid.entry(key.to_vec()).or_default();
                    if !years.contains(&award.date.year)
                        && refuse_year(limit, years, award.date.year, crate::lang::Lang::En).is_none()
                    {
                        years.push(award.date.year);
                    }
                }
            }
        }
        // History conditions: what received an award of a clause they name.
        let [.., cut_by_history, _, _] = changed;
        let received_it = award.revoked || (!cut_by_history && takes_part(after_history));
        if received_it {
            for (rule_index, key) in keys.history() {
                let names_this_clause = policy.history.get(*rule_index).is_some_and(
                    |rule| matches!(rule.subject, HistorySubject::Clause { clause, .. } if clause == award.clause),
                );
                let (true, Some(key)) = (names_this_clause, key) else { continue };
                let index = holder_of(self);
                let Some(received) = self.received.get_mut(*rule_index) else { continue };
                let entry = received.entry(key.clone()).or_insert(Received {
                    holder: index,
                    years: Vec::new(),
                    paid_out: false,
                });
                note_received(&mut entry.years, &mut entry.paid_out, award.date.year, Some(clause), keys.instalment());
            }
        }
        // Classes: the highest award per key; the first of equal amounts stays.
        if let Some(amount) = after_history.filter(|amount| !amount.is_zero()) {
            for (class, key) in keys.classes() {
                let Some(key) = key else { continue };
                let higher = self
                    .classes
                    .get(class)
                    .is_none_or(|classes| classes.get(key).is_none_or(|best| amount > best.amount));
                if higher {
                    let index = holder_of(self);
                    if let Some(classes) = self.classes.get_mut(class) {
                        classes.insert(key.clone(), ClassBest { holder: index, amount });
                    }
                }
            }
        }
        // Caps: what the award kept under them (revised or granted: what it stands at);
        // a pool: what it took.
        let kept_under_caps = if award.revised || award.granted.is_some() {
            award.standing
        } else {
            let mut kept = after_classes;
            for (rule, to) in &award.changes {
                if let RuleRef::Cap(cap) = rule {
                    if policy.caps.get(*cap).is_some_and(|cap| !cap.pro_rata) {
                        kept = *to;
                    }
                }
            }
            kept
        };
        if award.revoked || !takes_part(after_classes) {
            return;
        }
        for counted in keys.caps() {
            let (Some(key), Some(cap)) = (counted.key, policy.caps.get(counted.cap)) else { continue };
            let amount = if cap.pro_rata { award.standing } else { kept_under_caps };
            let Some(amount) = amount.filter(|amount| !amount.is_zero()) else { continue };
            if let Some(spent) = self.spent.get_mut(counted.cap) {
                *spent.entry(key.clone()).or_default() += amount;
            }
        }
    }
}
