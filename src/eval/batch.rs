//! The cross-case rules, over the whole batch in batch order (date, then id; within a
//! case, clause order, then recipient order): first `once`, then `for at most N years`,
//! then classes (only the highest stands, imported awards taking part), then caps. An award already at 0 when a step starts takes no part in
//! it: it uses no once-key, supersedes nothing and counts against no cap.

use super::counted::Counted;
use super::keys::{KeyId, KeyTable};
use super::program::Program;
use super::{Adjustment, AwardRecord, Cases, ExternalAward, InstalmentKey, RuleRef, Why};
use crate::check::checked::{HistorySubject, Key, Policy, YearLimit};
use crate::data::Fact;
use crate::lang::{say, Lang};
use crate::render::why::{self, Wording};
use foldhash::{HashMap, HashMapExt};
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;

/// A committed award that one of this batch supersedes in a class (it gives way to 0),
/// and why.
pub(super) struct Superseded {
    pub holder: u32,
    pub reason: String,
}

/// The rules over the batch after what committed rounds counted. `Err` when a class
/// supersedes a committed award that counted toward a cap: the awards after it that the
/// cap cut would then get more, and only the whole history can say how much.
pub(super) fn apply_cross_case_rules(
    program: &Program<'_>,
    cases: &Cases,
    awards: &mut [AwardRecord],
    keys: &KeyTable,
    external: &[ExternalAward],
    counted: &mut Counted,
) -> Result<Vec<Superseded>, NeedsWholeHistory> {
    let order = batch_order(cases);
    apply_instalments(program, awards, &order, counted);
    apply_once(program, cases, awards, &order, keys, counted);
    apply_years(program, cases, awards, &order, counted);
    apply_history(program, cases, awards, &order, external, counted);
    let superseded = apply_classes(program, cases, awards, &order, keys, external, counted);
    for superseded in &superseded {
        let Some(holder) = counted.holders.get(superseded.holder as usize) else { continue };
        let mut pools = Vec::new();
        for (cap, key) in &holder.caps {
            match program.policy.caps.get(*cap) {
                Some(def) if def.pro_rata => pools.push((*cap, key.clone())),
                Some(_) => return Err(NeedsWholeHistory),
                None => {}
            }
        }
        // What it took of a pool is free again for this round.
        let standing = holder.standing.unwrap_or_default();
        for (cap, key) in pools {
            if let Some(spent) = counted.spent.get_mut(cap).and_then(|spent| spent.get_mut(&key)) {
                *spent -= standing;
            }
        }
    }
    apply_caps(program, cases, awards, &order, keys, counted);
    Ok(superseded)
}

/// A class superseded a committed award that counted toward a cap.
#[derive(Debug)]
pub(super) struct NeedsWholeHistory;

/// Award indices in batch order.
fn batch_order(cases: &Cases) -> Vec<usize> {
    // The sort keys side by side, not behind a pointer to each case: at a million cases
    // the sort is then bounded by comparing, not by fetching. Ids compare as text by code
    // point, which is Rust's `str` order; the position last makes the order total, so the
    // unstable sort gives the stable one's result.
    // A date as its day number orders as the date does, and the position as a u32: a key
    // of 40 bytes, not 48.
    let mut case_order: Vec<(u64, i64, &str, u32)> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            (case.round, case.date.day_number(), cases.id(case), u32::try_from(index).unwrap_or(u32::MAX))
        })
        .collect();
    case_order.sort_unstable();
    let award_count = cases.iter().map(|case| case.award_count as usize).sum();
    let mut order = Vec::with_capacity(award_count);
    for (_, _, _, index) in case_order {
        if let Some(case) = cases.get(index as usize) {
            order.extend(case.award_range());
        }
    }
    order
}

/// Whether an award takes part in a step: one already at 0 does not.
fn takes_part(award: &AwardRecord) -> bool {
    award.amount() != Some(Decimal::ZERO)
}

/// The award that decides another's fate — the one that used a once-key first, the one
/// an `after`/`unless` found, the one that superseded it in a class: an award of the
/// batch (or of the whole history replayed with it), a committed one that [`Counted`]
/// holds, or an imported one.
#[derive(Clone, Copy)]
enum Holder<'e> {
    Award(usize),
    Committed(u32),
    Imported(&'e ExternalAward),
}

/// "case X (date, run N)" for a holder, and its clause.
fn holder_case(
    lang: Lang,
    cases: &Cases,
    awards: &[AwardRecord],
    counted: &Counted,
    holder: Holder<'_>,
) -> Option<(String, usize)> {
    match holder {
        Holder::Award(index) => {
            awards.get(index).map(|award| (why::case_label(lang, cases, award.case_index), award.clause))
        }
        Holder::Committed(index) => counted
            .holders
            .get(index as usize)
            .map(|holder| (why::committed_case_label(lang, &holder.case, holder.date, holder.round), holder.clause)),
        Holder::Imported(_) => None,
    }
}

/// Cuts an award to `to`. An award without an amount (`undetermined`) keeps none: cut
/// by `once`, it is not awarded, which is not an award of 0.
fn cut(award: &mut AwardRecord, to: Decimal, source: RuleRef, why: Why) {
    let from = award.amount();
    let to = from.map(|_| to);
    award.set_amount(to);
    award.push_adjustment(Adjustment { source, from, to, why });
}

// Each rule first decides over borrowed keys, then applies its cuts: the keys are never
// copied, which matters at a million awards.

fn apply_once(
    program: &Program<'_>,
    cases: &Cases,
    awards: &mut [AwardRecord],
    order: &[usize],
    keys: &KeyTable,
    counted: &Counted,
) {
    let mut cuts: Vec<(usize, Holder<'_>)> = Vec::new();
    {
        // Per (clause, key), the first award: indices as u32, so that an entry is 12
        // bytes, not 24.
        let mut first_holder: HashMap<(u32, KeyId), u32> = HashMap::new();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            let Some(key) = award.keys.once else { continue };
            // A revoked award keeps its once-key used: a clawback is not a second chance.
            if !takes_part(award) && !award.revoked() {
                continue;
            }
            let committed = counted.once.get(award.clause).filter(|once| !once.is_empty());
            if let Some(&committed) = committed.and_then(|once| once.get(keys.facts(key))) {
                cuts.push((index, Holder::Committed(committed)));
                continue;
            }
            let clause = u32::try_from(award.clause).unwrap_or(u32::MAX);
            match first_holder.entry((clause, key)) {
                Entry::Vacant(slot) => {
                    slot.insert(u32::try_from(index).unwrap_or(u32::MAX));
                }
                Entry::Occupied(holder) => cuts.push((index, Holder::Award(*holder.get() as usize))),
            }
        }
    }
    for (index, holder) in cuts {
        let why = match holder {
            Holder::Award(holder) => match awards.get(holder) {
                Some(holder) => Why::OnceHeld { case: holder.case_index },
                None => continue,
            },
            // The rare holder outside the batch is named now.
            holder => {
                let holder_label = holder_case(program.policy.lang, cases, awards, counted, holder)
                    .map(|(label, _)| label)
                    .unwrap_or_default();
                let clause = awards.get(index).map_or("?", |award| program.clause_id(award.clause));
                Why::Worded(why::once_reason(program.policy.lang, clause, &holder_label).into())
            }
        };
        if let Some(award) = awards.get_mut(index) {
            cut(award, Decimal::ZERO, RuleRef::Once, why);
        }
    }
}

/// `in instalments`: in batch order, each award pays the shares of the milestones its case
/// has reached (or, `all at once`, the whole) of its amount, less what earlier awards of
/// the clause paid for the same key, never below 0. An award whose key fact is missing
/// has paid nothing before; a revoked one counts as not paid.
fn apply_instalments(program: &Program<'_>, awards: &mut [AwardRecord], order: &[usize], counted: &Counted) {
    let mut paid: HashMap<(usize, Vec<Fact>), Decimal> = HashMap::new();
    let paid_before = |clause: usize, key: &[Fact]| {
        counted.paid.get(clause).and_then(|paid| paid.get(key)).copied().unwrap_or_default()
    };
    // Each clause's shares as its reasons list them, written once per clause.
    let shares_text: Vec<String> = program
        .policy
        .clauses
        .iter()
        .map(|clause| {
            let shares = clause.instalments.iter().flat_map(|instalments| &instalments.shares);
            shares.map(|share| crate::money::format_percent(*share)).collect::<Vec<_>>().join(", ")
        })
        .collect();
    for &index in order {
        let Some(award) = awards.get_mut(index) else { continue };
        let Some(instalments) = program.policy.clauses.get(award.clause).and_then(|clause| clause.instalments.as_ref())
        else {
            continue;
        };
        let (Some(total), Some(key)) = (award.amount(), award.keys.instalment()) else { continue };
        if award.revoked() {
            continue;
        }
        let count = instalments.shares.len();
        let reached = usize::try_from(key.reached.max(0)).unwrap_or(usize::MAX).min(count);
        let share: Decimal =
            if key.all_at_once { Decimal::ONE } else { instalments.shares.iter().take(reached).copied().sum() };
        let due = crate::money::round_to_fen(total * share);
        let slot = key.key.clone().map(|facts| (award.clause, facts));
        let before = slot
            .as_ref()
            .map(|slot| paid.get(slot).copied().unwrap_or_else(|| paid_before(slot.0, &slot.1)))
            .unwrap_or_default();
        let pay = (due - before).max(Decimal::ZERO);
        let lang = program.policy.lang;
        let progress = match (key.all_at_once, lang) {
            (true, Lang::En) => "all at once".to_string(),
            (false, Lang::En) => format!("{reached} of {count} milestones reached"),
            (true, Lang::Zh) => "一次性拨付".to_string(),
            (false, Lang::Zh) => format!("已达成{count}个节点中的{reached}个"),
        };
        let shares = shares_text.get(award.clause).map_or("", String::as_str);
        let money = crate::render::show::money_text;
        let reason = say!(
            lang,
            format!(
                "in instalments {shares}: {progress}, {} of {} due = {}, less {} paid before: {}",
                crate::money::format_percent(share),
                money(total),
                money(due),
                money(before),
                money(pay)
            ),
            format!(
                "分期拨付 {shares}：{progress}，应拨付{}的{} = {}，减去此前已拨付{}：{}",
                money(total),
                crate::money::format_percent(share),
                money(due),
                money(before),
                money(pay)
            )
        );
        cut(award, pay, RuleRef::Instalments, Why::Worded(reason.into()));
        if let Some(slot) = slot {
            *paid.entry(slot).or_insert(before) += pay;
        }
    }
}

/// `for at most N [consecutive] years`: per clause and key, the calendar years it has paid
/// in, in batch order. An award in a year already paid stands; one in a new year stands
/// while fewer than N years are paid, and, when consecutive, only in the year after the
/// last one paid: a year without an award ends the support. A cut award pays no year.
fn apply_years(program: &Program<'_>, cases: &Cases, awards: &mut [AwardRecord], order: &[usize], counted: &Counted) {
    let mut cuts: Vec<(usize, String)> = Vec::new();
    {
        let mut paid: HashMap<(usize, &[Fact]), Vec<i32>> = HashMap::new();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            let Some(limit) = program.policy.clauses.get(award.clause).and_then(|clause| clause.years.as_ref()) else {
                continue;
            };
            let Some(key) = award.keys.years() else { continue };
            // As with `once`, a revoked award's year stays used.
            if !takes_part(award) && !award.revoked() {
                continue;
            }
            let Some(year) = cases.get(award.case_index as usize).map(|case| case.date.year) else { continue };
            let years = paid.entry((award.clause, key)).or_insert_with(|| {
                counted.years.get(award.clause).and_then(|years| years.get(key)).cloned().unwrap_or_default()
            });
            if years.contains(&year) {
                continue;
            }
            match refuse_year(limit, years, year, program.policy.lang) {
                Some(why) => cuts.push((index, why)),
                None => years.push(year),
            }
        }
    }
    for (index, why) in cuts {
        if let Some(award) = awards.get_mut(index) {
            let clause = program.clause_id(award.clause);
            let reason = say!(program.policy.lang, format!("clause {clause} is {why}"), format!("第{clause}条{why}"));
            cut(award, Decimal::ZERO, RuleRef::Years, Why::Worded(reason.into()));
        }
    }
}

/// Why a `for at most N [consecutive] years` refuses a new year, given the years already
/// paid; `None` when the year may be paid.
pub(super) fn refuse_year(limit: &YearLimit, years: &[i32], year: i32, lang: Lang) -> Option<String> {
    let listed = || years.iter().map(i32::to_string).collect::<Vec<_>>().join(lang.pick(", ", "、"));
    let limit_years = usize::try_from(limit.years).unwrap_or(usize::MAX);
    if years.len() >= limit_years {
        let n = limit.years;
        return Some(match (lang, limit.consecutive) {
            (Lang::En, true) => format!("paid in at most {n} consecutive years per key; already paid in {}", listed()),
            (Lang::En, false) => format!("paid in at most {n} years per key; already paid in {}", listed()),
            (Lang::Zh, true) => format!("最多连续享受{n}年；已在{}年享受", listed()),
            (Lang::Zh, false) => format!("最多享受{n}年；已在{}年享受", listed()),
        });
    }
    let (true, Some(&last)) = (limit.consecutive, years.last()) else { return None };
    (year != last + 1).then(|| match lang {
        Lang::En => {
            let gap = if year > last { format!("nothing in {}", last + 1) } else { format!("{year} is before") };
            format!("paid in consecutive years only; paid in {}, {gap}: the support has ended", listed())
        }
        Lang::Zh => {
            let gap = if year > last { format!("{}年未享受", last + 1) } else { format!("{year}年在此之前") };
            format!("只能连续享受；已在{}年享受，{gap}：支持已终止", listed())
        }
    })
}

/// How a clause's schedule for a key is paid out: by its instalments, or in so many years
/// (`for at most N years`; a clause with neither: one).
enum Schedule {
    Instalments,
    Years(u32),
}

fn schedule(policy: &Policy, clause: usize) -> Schedule {
    match policy.clauses.get(clause) {
        Some(clause) if clause.instalments.is_some() => Schedule::Instalments,
        Some(clause) => Schedule::Years(clause.years.as_ref().map_or(1, |limit| limit.years)),
        None => Schedule::Years(1),
    }
}

/// What a history rule needs, as its reasons say it: "clause 1.1 complete (paid in 2
/// years)", "an award of clause 1.1", "an imported award "入驻支持"".
fn history_needed(program: &Program<'_>, rule: &crate::check::checked::HistoryRule) -> String {
    let lang = program.policy.lang;
    match &rule.subject {
        HistorySubject::Clause { clause, complete: true } => {
            let how = match (schedule(program.policy, *clause), lang) {
                (Schedule::Instalments, Lang::En) => "all its instalments paid".to_string(),
                (Schedule::Years(1), Lang::En) => "paid in 1 year".to_string(),
                (Schedule::Years(years), Lang::En) => format!("paid in {years} years"),
                (Schedule::Instalments, Lang::Zh) => "各期均已拨付".to_string(),
                (Schedule::Years(years), Lang::Zh) => format!("已享受{years}年"),
            };
            let clause = program.clause_id(*clause);
            say!(lang, format!("clause {clause} complete ({how})"), format!("第{clause}条奖励全部兑现（{how}）"))
        }
        HistorySubject::Clause { clause, complete: false } => {
            let clause = program.clause_id(*clause);
            say!(lang, format!("an award of clause {clause}"), format!("第{clause}条奖励"))
        }
        HistorySubject::Imported(label) => {
            say!(lang, format!("an imported award \"{label}\""), format!("导入的“{label}”奖励"))
        }
    }
}

/// Per key: the first award received, the calendar years it was received in, and whether
/// an instalment paid the whole.
type Received<'a> = HashMap<&'a [Fact], (Holder<'static>, Vec<i32>, bool)>;

/// `after` and `unless`: in batch order, case by case, an award of a conditioned clause
/// stands only if earlier cases (never its own) did (`after`) or did not (`unless`)
/// receive an award of the named clause for the same keys, or an imported award of the
/// label dated on or before its case. "Received" is an award that `once` and `years` left
/// standing, or one revoked later. `complete`: the named clause's schedule for the key is
/// paid out — its instalments all paid, or its `for at most N years` paid in N years (a
/// clause with neither: received). An award whose key fact is missing matches nothing.
fn apply_history(
    program: &Program<'_>,
    cases: &Cases,
    awards: &mut [AwardRecord],
    order: &[usize],
    external: &[ExternalAward],
    counted: &Counted,
) {
    let rules = &program.policy.history;
    if rules.is_empty() {
        return;
    }
    // Per rule of an imported label: the earliest imported award per key.
    let imported: Vec<HashMap<Vec<Fact>, &ExternalAward>> = rules
        .iter()
        .map(|rule| {
            let mut earliest: HashMap<Vec<Fact>, &ExternalAward> = HashMap::new();
            if let HistorySubject::Imported(label) = &rule.subject {
                for award in external.iter().filter(|award| &award.class_label == label) {
                    let Some(key) = imported_key(program, &rule.per, award) else { continue };
                    let first = earliest.entry(key).or_insert(award);
                    if award.date < first.date {
                        *first = award;
                    }
                }
            }
            earliest
        })
        .collect();
    // A schedule is complete when its instalments are paid out, or its years all paid.
    let is_complete = |clause: usize, years: &[i32], paid_out: bool| match schedule(program.policy, clause) {
        Schedule::Instalments => paid_out,
        Schedule::Years(needed) => years.len() >= usize::try_from(needed).unwrap_or(usize::MAX),
    };
    // What each rule's reasons say it needs, and per which keys: written once per rule,
    // not once per award it looks at.
    let texts: Vec<(String, String)> =
        rules.iter().map(|rule| (history_needed(program, rule), why::key_names(program.policy, &rule.per))).collect();
    let mut cuts: Vec<(usize, usize, String)> = Vec::new();
    {
        let mut received: Vec<Received<'_>> = rules.iter().map(|_| HashMap::new()).collect();
        let mut start = 0;
        while start < order.len() {
            let case_of = |index: &usize| awards.get(*index).map(|award| award.case_index);
            let case = order.get(start).and_then(case_of);
            let end = order
                .get(start..)
                .unwrap_or_default()
                .iter()
                .position(|index| case_of(index) != case)
                .map_or(order.len(), |length| start + length);
            let group = order.get(start..end).unwrap_or_default();
            start = end;
            let mut cut_here: Vec<usize> = Vec::new();
            for &index in group {
                let Some(award) = awards.get(index) else { continue };
                if !takes_part(award) {
                    continue;
                }
                let Some(date) = cases.get(award.case_index as usize).map(|case| case.date) else { continue };
                for (rule_index, key) in award.keys.history() {
                    let Some(rule) = rules.get(*rule_index).filter(|rule| rule.clause == award.clause) else {
                        continue;
                    };
                    let found = match (&rule.subject, key.as_deref()) {
                        (_, None) => None,
                        (HistorySubject::Clause { clause, complete }, Some(key)) => {
                            let in_batch = received
                                .get(*rule_index)
                                .and_then(|received| received.get(key))
                                .map(|(holder, years, paid_out)| (*holder, years.as_slice(), *paid_out));
                            let committed = || {
                                let received = counted.received.get(*rule_index)?.get(key)?;
                                Some((Holder::Committed(received.holder), received.years.as_slice(), received.paid_out))
                            };
                            in_batch
                                .or_else(committed)
                                .filter(|(_, years, paid_out)| !complete || is_complete(*clause, years, *paid_out))
                                .map(|(holder, _, _)| holder)
                        }
                        (HistorySubject::Imported(_), Some(key)) => imported
                            .get(*rule_index)
                            .and_then(|imported| imported.get(key))
                            .filter(|outside| outside.date <= date)
                            .map(|outside| Holder::Imported(outside)),
                    };
                    // The words are made only for an award the rule cuts.
                    let (needed, per) = texts.get(*rule_index).map_or(("", ""), |(needed, per)| (needed, per));
                    let lang = program.policy.lang;
                    let why = match (rule.after, found) {
                        (true, None) => {
                            let complete = matches!(rule.subject, HistorySubject::Clause { complete: true, .. });
                            Some(match (lang, complete) {
                                (Lang::En, true) => {
                                    format!("applies only after {needed} per {per}: not so before this case")
                                }
                                (Lang::En, false) => {
                                    format!("applies only after {needed} per {per}: none before this case")
                                }
                                (Lang::Zh, _) => format!("须{per}先有{needed}才适用：本案例之前没有"),
                            })
                        }
                        (false, Some(holder @ (Holder::Award(_) | Holder::Committed(_)))) => {
                            let holder = holder_case(lang, cases, awards, counted, holder).map_or(
                                String::new(),
                                |(label, clause)| {
                                    let clause = program.clause_id(clause);
                                    say!(
                                        lang,
                                        format!("clause {clause} of {label} received it"),
                                        format!("{label}已获得第{clause}条奖励")
                                    )
                                },
                            );
                            Some(say!(
                                lang,
                                format!("does not apply after {needed} per {per}: {holder}"),
                                format!("{per}已有{needed}的不再适用：{holder}")
                            ))
                        }
                        (false, Some(Holder::Imported(outside))) => {
                            let amount = crate::render::show::money_text(outside.amount);
                            let date = outside.date;
                            Some(say!(
                                lang,
                                format!(
                                    "does not apply after {needed} per {per}: one of {amount} ({date}) was imported"
                                ),
                                format!("{per}已有{needed}的不再适用：已导入一笔{amount}元（{date}）")
                            ))
                        }
                        _ => None,
                    };
                    if let Some(why) = why {
                        cuts.push((index, *rule_index, why));
                        cut_here.push(index);
                        break;
                    }
                }
            }
            // What this case received counts for the cases after it.
            for &index in group {
                let Some(award) = awards.get(index) else { continue };
                if cut_here.contains(&index) || (!takes_part(award) && !award.revoked()) {
                    continue;
                }
                let Some(year) = cases.get(award.case_index as usize).map(|case| case.date.year) else { continue };
                for (rule_index, key) in award.keys.history() {
                    let names_this_clause = rules.get(*rule_index).is_some_and(
                        |rule| matches!(rule.subject, HistorySubject::Clause { clause, .. } if clause == award.clause),
                    );
                    let (true, Some(key), Some(received)) =
                        (names_this_clause, key.as_deref(), received.get_mut(*rule_index))
                    else {
                        continue;
                    };
                    let entry = received.entry(key).or_insert_with(|| {
                        match counted.received.get(*rule_index).and_then(|received| received.get(key)) {
                            Some(received) => {
                                (Holder::Committed(received.holder), received.years.clone(), received.paid_out)
                            }
                            None => (Holder::Award(index), Vec::new(), false),
                        }
                    });
                    let clause = program.policy.clauses.get(award.clause);
                    note_received(&mut entry.1, &mut entry.2, year, clause, award.keys.instalment());
                }
            }
        }
    }
    for (index, rule_index, why) in cuts {
        if let Some(award) = awards.get_mut(index) {
            let clause = program.clause_id(award.clause);
            let reason = say!(program.policy.lang, format!("clause {clause} {why}"), format!("第{clause}条{why}"));
            cut(award, Decimal::ZERO, RuleRef::History(rule_index), Why::Worded(reason.into()));
        }
    }
}

/// What an award received adds for a history condition: the year it was received in, and
/// whether its instalments are all paid (or paid at once).
pub(super) fn note_received(
    years: &mut Vec<i32>,
    paid_out: &mut bool,
    year: i32,
    clause: Option<&crate::check::checked::Clause>,
    instalment: Option<&InstalmentKey>,
) {
    if !years.contains(&year) {
        years.push(year);
    }
    let shares = clause.and_then(|clause| clause.instalments.as_ref());
    if let (Some(shares), Some(instalment)) = (shares, instalment) {
        let count = i64::try_from(shares.shares.len()).unwrap_or(i64::MAX);
        *paid_out |= instalment.all_at_once || instalment.reached >= count;
    }
}

/// An imported award's values for a class's keys: its recipient, the year of its date, and
/// its project for an input named `project`. Any other key it cannot have: `None`, and it
/// takes no part.
fn imported_key(program: &Program<'_>, keys: &[Key], award: &ExternalAward) -> Option<Vec<Fact>> {
    keys.iter()
        .map(|key| match key {
            Key::Recipient => Some(Fact::Text(award.recipient.as_str().into())),
            Key::Year => Some(Fact::Integer(i64::from(award.date.year))),
            Key::Input(input) if program.policy.inputs.get(*input).is_some_and(|input| input.name == "project") => {
                award.project.as_deref().map(|project| Fact::Text(project.into()))
            }
            Key::Input(_) | Key::Tier => None,
        })
        .collect()
}

fn apply_classes(
    program: &Program<'_>,
    cases: &Cases,
    awards: &mut [AwardRecord],
    order: &[usize],
    keys: &KeyTable,
    external: &[ExternalAward],
    counted: &Counted,
) -> Vec<Superseded> {
    let mut superseded = Vec::new();
    for (class_index, class) in program.policy.classes.iter().enumerate() {
        // The highest imported award per key of this class's labels: it is never cut, and
        // an award of the batch stands against it only when higher.
        let mut imported: HashMap<Vec<Fact>, &ExternalAward> = HashMap::new();
        for award in external.iter().filter(|award| class.imported.contains(&award.class_label)) {
            let Some(key) = imported_key(program, &class.per, award) else { continue };
            let best = imported.entry(key).or_insert(award);
            if award.amount > best.amount {
                *best = award;
            }
        }
        let committed = counted.classes.get(class_index);
        // (loser, winner) pairs, and the committed awards that give way.
        let mut cuts: Vec<(usize, Holder<'_>)> = Vec::new();
        let mut committed_cuts: Vec<(u32, Holder<'_>)> = Vec::new();
        {
            // Per key: the best award so far (a committed one first) and every member of
            // the batch. Members keep batch order, so the first of equal amounts is the
            // earliest case, then the earliest clause.
            let mut groups: HashMap<KeyId, (Holder<'_>, Decimal, Vec<usize>)> = HashMap::new();
            for &index in order {
                let Some(award) = awards.get(index) else { continue };
                let Some(amount) = award.amount() else { continue };
                if amount.is_zero() {
                    continue;
                }
                let key = award.keys.class_key(class_index).copied();
                let Some(key) = key else { continue };
                let group = groups.entry(key).or_insert_with(|| {
                    match committed.and_then(|committed| committed.get(keys.facts(key))) {
                        Some(best) => (Holder::Committed(best.holder), best.amount, Vec::new()),
                        None => (Holder::Award(index), amount, Vec::new()),
                    }
                });
                if amount > group.1 {
                    group.0 = Holder::Award(index);
                    group.1 = amount;
                }
                group.2.push(index);
            }
            // A committed highest award that an award imported since outranks.
            let outranked = committed.into_iter().flatten().filter(|_| !imported.is_empty());
            for (key, best) in outranked {
                if !keys.find(key).is_some_and(|id| groups.contains_key(&id)) {
                    if let Some(&outside) = imported.get(key).filter(|outside| outside.amount >= best.amount) {
                        committed_cuts.push((best.holder, Holder::Imported(outside)));
                    }
                }
            }
            for (key, (winner, best, members)) in groups {
                let key = keys.facts(key);
                let committed_best = committed.and_then(|committed| committed.get(key));
                // An imported award as high or higher was there first: it stands, and
                // every award of the batch for the key gives way.
                let winner = match imported.get(key) {
                    Some(&outside) if outside.amount >= best => Holder::Imported(outside),
                    _ => winner,
                };
                let losers =
                    members.into_iter().filter(|&member| !matches!(winner, Holder::Award(index) if index == member));
                cuts.extend(losers.map(|member| (member, winner)));
                if let Some(best) = committed_best.filter(|_| !matches!(winner, Holder::Committed(_))) {
                    committed_cuts.push((best.holder, winner));
                }
            }
        }
        let lang = program.policy.lang;
        let winner_label = |awards: &[AwardRecord], winner: Holder<'_>| match winner {
            Holder::Imported(outside) => {
                let (label, amount, date) =
                    (&outside.class_label, crate::render::show::money_text(outside.amount), outside.date);
                let policy = outside.policy.as_deref().map(|policy| format!(", {policy}")).unwrap_or_default();
                say!(
                    lang,
                    format!("an imported award \"{label}\" of {amount} ({date}{policy})"),
                    format!("导入的“{label}”奖励{amount}元（{date}{policy}）")
                )
            }
            holder => holder_case(lang, cases, awards, counted, holder)
                .map(|(label, clause)| {
                    let clause = program.clause_id(clause);
                    say!(lang, format!("clause {clause} of {label}"), format!("{label}的第{clause}条奖励"))
                })
                .unwrap_or_default(),
        };
        let reason = |winner_label: String| why::class_reason(program.policy.lang, Some(class), &winner_label);
        for (loser, winner) in cuts {
            let why = match winner {
                Holder::Award(winner) => match awards.get(winner) {
                    Some(winner) => Why::Superseded {
                        case: winner.case_index,
                        clause: u32::try_from(winner.clause).unwrap_or(u32::MAX),
                    },
                    None => continue,
                },
                winner => Why::Worded(reason(winner_label(awards, winner)).into()),
            };
            if let Some(award) = awards.get_mut(loser) {
                cut(award, Decimal::ZERO, RuleRef::Class(class_index), why);
            }
        }
        for (holder, winner) in committed_cuts {
            let Some(standing) = counted.holders.get(holder as usize).map(|holder| holder.standing) else { continue };
            // A committed award already at 0 (revoked, or superseded before) changes no more.
            if standing.is_none_or(|standing| standing.is_zero()) {
                continue;
            }
            superseded.push(Superseded { holder, reason: reason(winner_label(awards, winner)) });
        }
    }
    superseded
}

/// A cut a cap made: the award, what it kept, and the caps that left it no more room
/// (each with what it had already counted).
struct CapCut {
    award: usize,
    kept: Decimal,
    /// Each cap that left no more room: the cap, what it had counted, its limit, and the
    /// case (its place) of the latest award it counted, [`NO_CASE`] when only committed
    /// rounds had used it.
    binding: Vec<(usize, Decimal, Decimal, u32)>,
}

/// No case of the batch: what a cap counted came from committed rounds alone.
const NO_CASE: u32 = u32::MAX;

/// The caps paid in batch order, all in one pass: each award is cut to the least room
/// left under every cap that counts it, and every such cap counts what the award kept.
/// The result does not depend on the order the caps are declared in.
fn apply_caps(
    program: &Program<'_>,
    cases: &Cases,
    awards: &mut [AwardRecord],
    order: &[usize],
    keys: &KeyTable,
    counted: &Counted,
) {
    let caps = &program.policy.caps;
    let committed = counted;
    let mut cuts: Vec<CapCut> = Vec::new();
    // (award, cap, counted before it, the award's limit) where a relaxed limit let it pass
    // the general one.
    let mut relaxations: Vec<(usize, usize, Decimal, Decimal)> = Vec::new();
    {
        // Per cap and key: what it has counted, and the case of the latest award counted.
        let mut used: Vec<HashMap<KeyId, (Decimal, u32)>> = caps.iter().map(|_| HashMap::new()).collect();
        for &index in order {
            let Some(award) = awards.get(index) else { continue };
            let Some(amount) = award.amount() else { continue };
            if amount.is_zero() {
                continue;
            }
            let counting = award
                .keys
                .caps()
                .filter(|counted| counted.key.is_some() && caps.get(counted.cap).is_some_and(|cap| !cap.pro_rata));
            let mut kept = amount;
            let mut binding: Vec<(usize, Decimal, Decimal, u32)> = Vec::new();
            for counted in counting.clone() {
                let Some(&key) = counted.key else { continue };
                let (spent, last) = used
                    .get(counted.cap)
                    .and_then(|used| used.get(&key))
                    .copied()
                    .or_else(|| {
                        let spent = committed.spent.get(counted.cap).and_then(|spent| spent.get(keys.facts(key)));
                        spent.map(|spent| (*spent, NO_CASE))
                    })
                    .unwrap_or((Decimal::ZERO, NO_CASE));
                let limit = caps.get(counted.cap).map_or(Decimal::ZERO, |cap| cap.limit(counted.relaxed));
                let left = (limit - spent).max(Decimal::ZERO);
                if left < kept {
                    kept = left;
                    binding.clear();
                }
                if left == kept && left < amount {
                    binding.push((counted.cap, spent, limit, last));
                }
            }
            for counted in counting {
                let Some(&key) = counted.key else { continue };
                let Some(used) = used.get_mut(counted.cap) else { continue };
                let (spent, last) = used.entry(key).or_insert_with(|| {
                    let spent = committed.spent.get(counted.cap).and_then(|spent| spent.get(keys.facts(key)));
                    (spent.copied().unwrap_or_default(), NO_CASE)
                });
                let Some(cap) = caps.get(counted.cap) else { continue };
                if counted.relaxed && *spent + kept > cap.amount {
                    relaxations.push((index, counted.cap, *spent, cap.limit(true)));
                }
                *spent += kept;
                if !kept.is_zero() {
                    *last = award.case_index;
                }
            }
            if kept < amount {
                cuts.push(CapCut { award: index, kept, binding });
            }
        }
    }
    let wording = Wording::new(program.policy);
    for cut_by in cuts {
        let source = cut_by.binding.first().map_or(0, |&(cap, _, _, _)| cap);
        let why = match cut_by.binding.as_slice() {
            // One cap left no room: the reason is worded from its numbers when shown.
            [(_, counted, limit, last)] => Why::Capped { counted: *counted, limit: *limit, last: *last },
            binding => {
                let reasons: Vec<String> = binding
                    .iter()
                    .map(|&(cap, counted, limit, last)| {
                        let holder = (last != NO_CASE).then(|| why::case_label(program.policy.lang, cases, last));
                        wording.cap_reason(cap, limit, counted, cut_by.kept, holder.as_deref())
                    })
                    .collect();
                Why::Worded(reasons.join(program.policy.lang.pick("; ", "；")).into())
            }
        };
        if let Some(award) = awards.get_mut(cut_by.award) {
            cut(award, cut_by.kept, RuleRef::Cap(source), why);
        }
    }
    let no_text = why::CapText::default();
    for (index, cap, counted, limit) in relaxations {
        let Some(def) = caps.get(cap) else { continue };
        let Some(award) = awards.get_mut(index) else { continue };
        let text = wording.cap_text(cap).unwrap_or(&no_text);
        let now = counted + award.amount().unwrap_or_default();
        let (amount, relaxed) =
            (crate::money::format_money_readable(def.amount), crate::money::format_money_readable(limit));
        let (scope, when, now) = (&text.scope, &text.relaxed_when, crate::render::show::money_text(now));
        award.push_note(say!(
            program.policy.lang,
            format!("past the cap of {amount} {scope} by its relaxation to {relaxed} when {when}: {now} counted with this award"),
            format!("{scope}上限{amount}元，因{when}放宽至{relaxed}元：计入本笔后共{now}元")
        ));
    }
    apply_pro_rata(program, awards, order, keys, counted);
}

/// The pro-rata caps: per key, when the awards ask for more than the cap, each is scaled
/// by cap ÷ asked, rounded down to the fen, and the fens left over go one each to the
/// largest remainders (ties to the earlier in batch order), so the awards add up to the
/// cap exactly.
fn apply_pro_rata(
    program: &Program<'_>,
    awards: &mut [AwardRecord],
    order: &[usize],
    keys: &KeyTable,
    committed: &Counted,
) {
    for (cap_index, cap) in program.policy.caps.iter().enumerate() {
        if !cap.pro_rata {
            continue;
        }
        // Per key, the awards it counts in batch order, with what they ask (in fen), and
        // what committed rounds already took of it.
        let mut groups: Vec<Vec<(usize, i128)>> = Vec::new();
        let mut taken: Vec<i128> = Vec::new();
        let mut settled: Vec<(usize, Decimal)> = Vec::new();
        {
            let mut group_of: HashMap<KeyId, usize> = HashMap::new();
            for &index in order {
                let Some(award) = awards.get(index) else { continue };
                let Some(amount) = award.amount().filter(|amount| !amount.is_zero()) else { continue };
                let Some(&key) = award.keys.cap_key(cap_index).and_then(|counted| counted.key) else { continue };
                let next = groups.len();
                let group = *group_of.entry(key).or_insert(next);
                if group == next {
                    groups.push(Vec::new());
                    let before = committed.spent.get(cap_index).and_then(|spent| spent.get(keys.facts(key))).copied();
                    taken.push(before.and_then(to_fen).unwrap_or_default());
                }
                // A committed award keeps what it was committed at and takes that much of
                // the pool; the rest of the round shares what is left.
                if let Some(committed) = award.settled() {
                    settled.push((index, committed));
                    if let (Some(taken), Some(fen)) = (taken.get_mut(group), to_fen(committed)) {
                        *taken += fen;
                    }
                    continue;
                }
                let Some(fen) = to_fen(amount) else { continue };
                if let Some(members) = groups.get_mut(group) {
                    members.push((index, fen));
                }
            }
        }
        for (index, committed) in settled {
            if let Some(award) = awards.get_mut(index) {
                award.set_amount(Some(committed));
            }
        }
        let Some(whole_pool) = to_fen(cap.amount) else { continue };
        for (members, taken) in groups.into_iter().zip(taken) {
            let pool = (whole_pool - taken).max(0);
            let asked: i128 = members.iter().map(|&(_, fen)| fen).sum();
            if asked <= pool {
                continue;
            }
            let Some(shares) = largest_remainder(&members, pool, asked) else { continue };
            let asked_yuan = Decimal::from(asked) / Decimal::ONE_HUNDRED;
            let pool_yuan = Decimal::from(pool) / Decimal::ONE_HUNDRED;
            let factor = pool_yuan.checked_div(asked_yuan).unwrap_or_default();
            let shown = factor.normalize();
            let exact = crate::money::exact_mul(factor, asked_yuan) == Some(pool_yuan);
            let lang = program.policy.lang;
            let (pool_text, asked_text) =
                (crate::render::show::money_text(pool_yuan), crate::render::show::money_text(asked_yuan));
            let left = match (taken > 0, lang) {
                (false, _) => String::new(),
                (true, Lang::En) => format!(", {pool_text} left after committed rounds"),
                (true, Lang::Zh) => format!("，往期兑现后余{pool_text}元"),
            };
            let equals = if exact { "=" } else { "≈" };
            let (amount, scope) =
                (crate::money::format_money_readable(cap.amount), why::cap_scope(program.policy, cap));
            let reason = say!(
                lang,
                format!(
                    "cap {amount} pro rata {scope}{left}: {asked_text} asked in all, each scaled by {pool_text} ÷ {asked_text} {equals} {shown}, to the fen, the fens left over to the largest remainders"
                ),
                format!(
                    "{scope}上限{amount}元按比例核减{left}：合计申请{asked_text}元，每笔乘以{pool_text} ÷ {asked_text} {equals} {shown}，精确到分，余下的分按尾数从大到小分配"
                )
            );
            for (index, share) in shares {
                if let Some(award) = awards.get_mut(index) {
                    let to = Decimal::from(share) / Decimal::ONE_HUNDRED;
                    cut(award, to, RuleRef::Cap(cap_index), Why::Worded(reason.as_str().into()));
                }
            }
        }
    }
}

/// An amount in whole fen, when it fits.
fn to_fen(amount: Decimal) -> Option<i128> {
    let fen = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    fen.fract().is_zero().then(|| fen.mantissa() / 10_i128.pow(fen.scale()))
}

/// Each member's share of `pool` in proportion to what it asked, in whole fen adding up
/// to `pool` exactly. `None` when the products overflow.
fn largest_remainder(members: &[(usize, i128)], pool: i128, asked: i128) -> Option<Vec<(usize, i128)>> {
    let mut shares = Vec::with_capacity(members.len());
    let mut remainders = Vec::with_capacity(members.len());
    for (position, &(index, fen)) in members.iter().enumerate() {
        let product = fen.checked_mul(pool)?;
        shares.push((index, product / asked));
        remainders.push((product % asked, position));
    }
    let given: i128 = shares.iter().map(|&(_, share)| share).sum();
    let left = usize::try_from(pool - given).ok()?;
    // The largest remainders first; among equals, the earlier in batch order.
    remainders.sort_by(|left, right| right.0.cmp(&left.0).then(left.1.cmp(&right.1)));
    for &(_, position) in remainders.iter().take(left) {
        if let Some(share) = shares.get_mut(position) {
            share.1 += 1;
        }
    }
    Some(shares)
}
