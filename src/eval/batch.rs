//! The cross-case rules, over the whole batch in batch order (date, then id; within a
//! case, clause order, then recipient order): first `once`, then classes (only the
//! highest stands), then caps. An award already at 0 when a step starts takes no part in
//! it: it uses no once-key, supersedes nothing and counts against no cap.

use super::program::Program;
use super::{Adjustment, AwardRecord, CaseSummary, RuleRef};
use crate::data::Fact;
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

pub(super) fn apply_cross_case_rules(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord]) {
    let order = batch_order(cases);
    apply_once(program, cases, awards, &order);
    apply_classes(program, cases, awards, &order);
    apply_caps(program, awards, &order);
}

/// Award indices in batch order.
fn batch_order(cases: &[CaseSummary]) -> Vec<usize> {
    let mut case_order: Vec<&CaseSummary> = cases.iter().collect();
    // Ids compare as text by code point, which is Rust's `str` order.
    case_order.sort_by(|left, right| left.date.cmp(&right.date).then_with(|| left.id.cmp(&right.id)));
    case_order.into_iter().flat_map(|case| case.first_award..case.first_award + case.award_count).collect()
}

/// Whether an award takes part in a step: one already at 0 does not.
fn takes_part(award: &AwardRecord) -> bool {
    award.amount != Some(Decimal::ZERO)
}

fn case_label(cases: &[CaseSummary], award: &AwardRecord) -> String {
    match cases.get(award.case_index as usize) {
        Some(case) => format!("case {} ({})", case.id, case.date),
        None => "an earlier case".to_string(),
    }
}

fn cut(award: &mut AwardRecord, to: Decimal, source: RuleRef, rule: String, reason: String) {
    let from = award.amount.unwrap_or_default();
    award.amount = Some(to);
    award.adjustments.push(Adjustment { source, rule, from, to, reason });
}

// Each rule first decides over borrowed keys, then applies its cuts: the keys are never
// copied, which matters at a million awards.

fn apply_once(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord], order: &[usize]) {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    {
        let mut first_holder: HashMap<(usize, &[Fact]), usize> = HashMap::new();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            let Some(key) = award.keys.once.as_deref() else { continue };
            if !takes_part(award) {
                continue;
            }
            match first_holder.entry((award.clause, key)) {
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
                Entry::Occupied(holder) => cuts.push((index, *holder.get())),
            }
        }
    }
    for (index, holder) in cuts {
        let holder_label = awards.get(holder).map(|holder| case_label(cases, holder)).unwrap_or_default();
        if let Some(award) = awards.get_mut(index) {
            let clause = program.clause_id(award.clause);
            let reason = format!("clause {clause} is paid once per key; {holder_label} already has it");
            cut(award, Decimal::ZERO, RuleRef::Once, "once".to_string(), reason);
        }
    }
}

fn apply_classes(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord], order: &[usize]) {
    for (class_index, class) in program.policy.classes.iter().enumerate() {
        // (loser, winner) pairs.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        {
            // Per key: the best award so far and every member. Members keep batch order,
            // so the first of equal amounts is the earliest case, then the earliest clause.
            let mut groups: HashMap<&[Fact], (usize, Decimal, Vec<usize>)> = HashMap::new();
            for &index in order {
                let Some(award) = awards.get(index) else { continue };
                let Some(amount) = award.amount else { continue };
                if amount.is_zero() {
                    continue;
                }
                let key = award
                    .keys
                    .classes
                    .iter()
                    .find(|(class, _)| *class == class_index)
                    .and_then(|(_, key)| key.as_deref());
                let Some(key) = key else { continue };
                let group = groups.entry(key).or_insert_with(|| (index, amount, Vec::new()));
                if amount > group.1 {
                    group.0 = index;
                    group.1 = amount;
                }
                group.2.push(index);
            }
            for (winner, _, members) in groups.into_values() {
                cuts.extend(members.into_iter().filter(|&member| member != winner).map(|member| (member, winner)));
            }
        }
        for (loser, winner) in cuts {
            let winner_label = awards
                .get(winner)
                .map(|award| format!("clause {} of {}", program.clause_id(award.clause), case_label(cases, award)))
                .unwrap_or_default();
            if let Some(award) = awards.get_mut(loser) {
                let reason = format!(
                    "class {} ({}): only the highest award stands; superseded by {winner_label}",
                    class.name,
                    class.label.as_deref().unwrap_or("same kind of award")
                );
                cut(award, Decimal::ZERO, RuleRef::Class(class_index), format!("class {}", class.name), reason);
            }
        }
    }
}

/// The most clauses a cap's reason lists by id.
const CLAUSES_NAMED_IN_A_REASON: usize = 4;

fn apply_caps(program: &Program<'_>, awards: &mut [AwardRecord], order: &[usize]) {
    for (cap_index, cap) in program.policy.caps.iter().enumerate() {
        // (award, what is left for it, what was already counted).
        let mut cuts: Vec<(usize, Decimal, Decimal)> = Vec::new();
        {
            let mut used: HashMap<&[Fact], Decimal> = HashMap::new();
            for &index in order {
                let Some(award) = awards.get(index) else { continue };
                let Some(amount) = award.amount else { continue };
                if amount.is_zero() {
                    continue;
                }
                let key = award.keys.caps.iter().find(|(cap, _)| *cap == cap_index).and_then(|(_, key)| key.as_deref());
                let Some(key) = key else { continue };
                let spent = used.entry(key).or_default();
                let left = (cap.amount - *spent).max(Decimal::ZERO);
                if amount <= left {
                    *spent += amount;
                } else {
                    cuts.push((index, left, *spent));
                    *spent = cap.amount;
                }
            }
        }
        // Every cut award's reason names the cap; a long clause list is named once, in the
        // policy, not copied into each of thousands of reasons.
        let over = if cap.clauses.len() <= CLAUSES_NAMED_IN_A_REASON {
            let clauses: Vec<&str> = cap.clauses.iter().map(|&clause| program.clause_id(clause)).collect();
            format!("over clause {}", clauses.join(", "))
        } else {
            format!("over the {} clauses its article lists", cap.clauses.len())
        };
        let heading = program.policy.article_heading(cap.article);
        for (index, left, counted) in cuts {
            let per =
                if cap.per.is_empty() { "in all".to_string() } else { format!("per {}", key_names(program, &cap.per)) };
            let reason = format!(
                "cap {} {per} {over} ({heading}): {} already counted, {} left",
                crate::money::format_money_readable(cap.amount),
                super::show::money_text(counted),
                super::show::money_text(left)
            );
            if let Some(award) = awards.get_mut(index) {
                cut(award, left, RuleRef::Cap(cap_index), "cap".to_string(), reason);
            }
        }
    }
}

fn key_names(program: &Program<'_>, keys: &[crate::check::checked::Key]) -> String {
    use crate::check::checked::Key;
    keys.iter()
        .map(|key| match key {
            Key::Recipient => "recipient".to_string(),
            Key::Tier => "tier".to_string(),
            Key::Year => "year".to_string(),
            Key::Input(input) => program.policy.inputs.get(*input).map_or("?".to_string(), |input| input.name.clone()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
