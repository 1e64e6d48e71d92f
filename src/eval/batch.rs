//! The cross-case rules, over the whole batch in batch order (date, then id; within a
//! case, clause order, then recipient order): first `once`, then classes (only the
//! highest stands), then caps. An award already at 0 when a step starts takes no part in
//! it: it uses no once-key, supersedes nothing and counts against no cap.

use super::program::Program;
use super::{Adjustment, AwardRecord, CaseSummary};
use crate::data::Fact;
use rust_decimal::Decimal;
use std::collections::HashMap;

pub(super) fn apply_cross_case_rules(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord]) {
    let order = batch_order(cases);
    apply_once(program, cases, awards, &order);
    apply_classes(program, cases, awards, &order);
    apply_caps(program, cases, awards, &order);
}

/// Award indices in batch order.
fn batch_order(cases: &[CaseSummary]) -> Vec<usize> {
    let mut case_order: Vec<&CaseSummary> = cases.iter().collect();
    // Ids compare as text by code point, which is Rust's `str` order.
    case_order.sort_by(|left, right| left.date.cmp(&right.date).then_with(|| left.id.cmp(&right.id)));
    case_order.into_iter().flat_map(|case| case.first_award..case.first_award + case.award_count).collect()
}

fn takes_part(award: &AwardRecord) -> bool {
    award.amount != Some(Decimal::ZERO)
}

fn case_label(cases: &[CaseSummary], award: &AwardRecord) -> String {
    match cases.get(award.case_index as usize) {
        Some(case) => format!("case {} ({})", case.id, case.date),
        None => "an earlier case".to_string(),
    }
}

fn cut(award: &mut AwardRecord, to: Decimal, rule: String, reason: String) {
    let from = award.amount.unwrap_or_default();
    award.amount = Some(to);
    award.adjustments.push(Adjustment { rule, from, to, reason });
}

fn apply_once(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord], order: &[usize]) {
    let mut first_holder: HashMap<(usize, Vec<Fact>), usize> = HashMap::new();
    for &index in order {
        let Some(award) = awards.get(index) else { continue };
        let Some(key) = award.keys.once.clone() else { continue };
        if !takes_part(award) {
            continue;
        }
        match first_holder.get(&(award.clause, key.clone())) {
            None => {
                first_holder.insert((award.clause, key), index);
            }
            Some(&holder) => {
                let holder_label = awards.get(holder).map(|holder| case_label(cases, holder)).unwrap_or_default();
                let clause = program.clause_id(award.clause).to_string();
                if let Some(award) = awards.get_mut(index) {
                    let reason = format!("clause {clause} is paid once per key; {holder_label} already has it");
                    cut(award, Decimal::ZERO, "once".to_string(), reason);
                }
            }
        }
    }
}

fn apply_classes(program: &Program<'_>, cases: &[CaseSummary], awards: &mut [AwardRecord], order: &[usize]) {
    for (class_index, class) in program.policy.classes.iter().enumerate() {
        // Groups keep batch order, so the first of equal amounts is the earliest case and,
        // within a case, the earliest clause.
        let mut groups: HashMap<Vec<Fact>, Vec<usize>> = HashMap::new();
        let mut group_order: Vec<Vec<Fact>> = Vec::new();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            if !takes_part(award) || award.amount.is_none() {
                continue;
            }
            let key =
                award.keys.classes.iter().find(|(class, _)| *class == class_index).and_then(|(_, key)| key.clone());
            let Some(key) = key else { continue };
            let members = groups.entry(key.clone()).or_insert_with(|| {
                group_order.push(key);
                Vec::new()
            });
            members.push(index);
        }
        for key in group_order {
            let Some(members) = groups.get(&key) else { continue };
            let mut best: Option<(usize, Decimal)> = None;
            for &index in members {
                let amount = awards.get(index).and_then(|award| award.amount).unwrap_or_default();
                if best.is_none_or(|(_, best_amount)| amount > best_amount) {
                    best = Some((index, amount));
                }
            }
            let Some((winner, _)) = best else { continue };
            let winner_label = awards
                .get(winner)
                .map(|award| format!("clause {} of {}", program.clause_id(award.clause), case_label(cases, award)))
                .unwrap_or_default();
            for &index in members {
                if index == winner {
                    continue;
                }
                if let Some(award) = awards.get_mut(index) {
                    let reason = format!(
                        "class {} ({}): only the highest award stands; superseded by {winner_label}",
                        class.name,
                        class.label.as_deref().unwrap_or("same kind of award")
                    );
                    cut(award, Decimal::ZERO, format!("class {}", class.name), reason);
                }
            }
        }
    }
}

fn apply_caps(program: &Program<'_>, _cases: &[CaseSummary], awards: &mut [AwardRecord], order: &[usize]) {
    for (cap_index, cap) in program.policy.caps.iter().enumerate() {
        let mut used: HashMap<Vec<Fact>, Decimal> = HashMap::new();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            let Some(amount) = award.amount else { continue };
            if amount.is_zero() {
                continue;
            }
            let key = award.keys.caps.iter().find(|(cap, _)| *cap == cap_index).and_then(|(_, key)| key.clone());
            let Some(key) = key else { continue };
            let spent = used.entry(key).or_default();
            let left = (cap.amount - *spent).max(Decimal::ZERO);
            if amount <= left {
                *spent += amount;
                continue;
            }
            *spent = cap.amount;
            let clauses: Vec<&str> = cap.clauses.iter().map(|&clause| program.clause_id(clause)).collect();
            let reason = format!(
                "cap {} per {} over clause {}: {} already counted, {} left",
                crate::money::format_money_readable(cap.amount),
                key_names(program, &cap.per),
                clauses.join(", "),
                super::show::money_text(cap.amount - left),
                super::show::money_text(left)
            );
            if let Some(award) = awards.get_mut(index) {
                cut(award, left, "cap".to_string(), reason);
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
