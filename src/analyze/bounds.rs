//! `polc bounds`: from the policy alone, what one award of each clause can be, what one
//! recipient can get in a year and over the policy's life, which clauses can never apply,
//! and which pairs of clauses can pay for the same case.
//!
//! Every finding is sound or says it is not decided: a bound is an interval the evaluator
//! can never leave ([`crate::analyze::range`]), shown as attained only with a case that reaches it;
//! a clause is dead only when its conditions and the gates leave no case
//! ([`crate::analyze::domain`]); an overlap is reported only with a case on which `polc run` pays
//! both. What the analysis cannot settle it lists as unknown.

use super::domain::{self, Atom, Domains};
use super::range::{self, Range};
use super::witness;
use crate::check::checked::{Award, ClauseIndex, Expr, ExprKind, InputId, Key, Policy, Type};
use crate::money::{self, Date};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A case as `polc run` reads it: field name → value.
type Case = Map<String, Value>;

/// Everything `polc bounds` finds.
#[derive(Debug, Serialize)]
pub struct Report {
    pub policy: String,
    pub clauses: Vec<ClauseBounds>,
    pub per_recipient: RecipientBounds,
    /// Clauses that can never apply.
    pub dead: Vec<Dead>,
    /// Pairs of clauses in no shared class that one case can get both of.
    pub overlaps: Vec<Overlap>,
    /// What the analysis could not decide: clauses it could not show alive or dead, pairs it
    /// could not show to overlap or not.
    pub unknown: Vec<String>,
}

/// What one award of a clause can be.
#[derive(Debug, Serialize)]
pub struct ClauseBounds {
    pub clause: String,
    /// `grant`, `up_to`, `range`, `undetermined` or `benefit`.
    pub kind: &'static str,
    pub least: Option<Bound>,
    /// `None` when nothing bounds it; then `unbounded_by` names the fact that makes it so.
    pub greatest: Option<Bound>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unbounded_by: Option<String>,
}

/// One end of a clause's amounts.
#[derive(Debug, Serialize)]
pub struct Bound {
    /// Yuan, to the fen.
    pub amount: String,
    /// A case whose award is exactly this amount; `None` when no case tried reached it (the
    /// bound still holds: no award goes past it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<Map<String, Value>>,
}

/// The most one recipient can get from the policy's money awards (grants, and `up to` and
/// range maxima), from the clauses' bounds, their `once` and the cross-case caps.
#[derive(Debug, Serialize)]
pub struct RecipientBounds {
    /// In one calendar year; `None` when unbounded.
    pub per_year: Option<String>,
    /// Over the policy's validity; `None` when unbounded.
    pub over_validity: Option<String>,
    /// Why a total is unbounded, when one is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unbounded_because: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Dead {
    pub clause: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Overlap {
    pub clauses: [String; 2],
    /// A case `polc run` gives an award of both clauses.
    pub witness: Map<String, Value>,
}

/// Analyses `policy`.
pub fn bounds(policy: &Policy) -> Report {
    let base = Domains::of_policy(policy);
    // The gates hold for every case that gets anything.
    let gate_branches = gates(policy);
    let mut report = Report {
        policy: policy.title.clone(),
        clauses: Vec::new(),
        per_recipient: RecipientBounds { per_year: None, over_validity: None, unbounded_because: Vec::new() },
        dead: Vec::new(),
        overlaps: Vec::new(),
        unknown: Vec::new(),
    };
    let mut alive: Vec<Option<Vec<Domains>>> = Vec::new();
    let mut greatest: Vec<Option<Decimal>> = Vec::new();
    // Per clause, the case tried that got the most from it, when one got anything.
    let mut samples: Vec<Option<Map<String, Value>>> = Vec::new();
    for (index, clause) in policy.clauses.iter().enumerate() {
        let domains = clause_domains(policy, &base, &gate_branches, clause.condition.as_ref(), &clause.award);
        match &domains {
            Feasible::None(reason) => {
                report.dead.push(Dead { clause: clause.id.clone(), reason: reason.clone() });
                alive.push(None);
            }
            Feasible::Some(_) | Feasible::Unread => {}
        }
        let feasible = match domains {
            Feasible::Some(domains) => domains,
            Feasible::Unread => vec![base.clone()],
            Feasible::None(_) => {
                report.clauses.push(ClauseBounds {
                    clause: clause.id.clone(),
                    kind: clause.award.kind_name(),
                    least: None,
                    greatest: None,
                    unbounded_by: None,
                });
                greatest.push(Some(Decimal::ZERO));
                continue;
            }
        };
        let (bounds, reached, paying) = clause_bounds(policy, index, &feasible);
        samples.push(paying);
        if !reached {
            let id = &clause.id;
            report.unknown.push(policy.lang.choose(
                format!("clause {id}: no case tried gets an award of it; it may be dead"),
                format!("条款 {id}：试过的案例都没有得到它的奖励；它可能永远不适用"),
            ));
        }
        greatest.push(match &bounds.greatest {
            Some(bound) => bound.amount.parse().ok(),
            None => None,
        });
        report.clauses.push(bounds);
        alive.push(Some(feasible));
    }
    report.per_recipient = recipient_bounds(policy, &greatest);
    overlaps(policy, &alive, &samples, &mut report);
    report
}

/// The clauses no case can meet, each with the reason: the part of [`bounds`] that runs
/// no case, cheap enough for `polc check` (W0008).
pub fn dead_clauses(policy: &Policy) -> Vec<(ClauseIndex, String)> {
    let base = Domains::of_policy(policy);
    let gate_branches = gates(policy);
    policy
        .clauses
        .iter()
        .enumerate()
        .filter_map(|(index, clause)| {
            match clause_domains(policy, &base, &gate_branches, clause.condition.as_ref(), &clause.award) {
                Feasible::None(reason) => Some((index, reason)),
                Feasible::Some(_) | Feasible::Unread => None,
            }
        })
        .collect()
}

/// Whether some case meets a condition with the gates.
enum Feasible {
    /// The domains of each alternative that leaves cases.
    Some(Vec<Domains>),
    /// None does; why.
    None(String),
    /// The condition has more alternatives than are read: nothing is decided.
    Unread,
}

/// The gates, as alternatives of atoms (every gate holds).
fn gates(policy: &Policy) -> Option<Vec<Vec<Atom<'_>>>> {
    let mut alternatives: Vec<Vec<Atom<'_>>> = vec![Vec::new()];
    for gate in &policy.gates {
        let gate = domain::branches(policy, &gate.condition)?;
        let mut next = Vec::new();
        for left in &alternatives {
            for right in &gate {
                next.push(left.iter().chain(right).cloned().collect());
            }
        }
        alternatives = next;
    }
    Some(alternatives)
}

fn clause_domains(
    policy: &Policy,
    base: &Domains,
    gates: &Option<Vec<Vec<Atom<'_>>>>,
    condition: Option<&Expr>,
    clause_award: &Award,
) -> Feasible {
    let Some(gates) = gates else { return Feasible::Unread };
    let own = match condition {
        Some(condition) => match domain::branches(policy, condition) {
            Some(branches) => branches,
            None => return Feasible::Unread,
        },
        None => vec![Vec::new()],
    };
    let mut feasible = Vec::new();
    let mut why_not: Vec<String> = Vec::new();
    for gate in gates {
        for branch in &own {
            let atoms: Vec<Atom<'_>> = gate.iter().chain(branch).cloned().collect();
            match base.with_all(&atoms) {
                Some(domains) => feasible.push(domains),
                None => why_not.push(conflict(policy, base, &atoms, gate.len(), condition)),
            }
        }
    }
    // An alternative where a fact the amount cannot do without is missing pays nothing:
    // the clause is not applicable there.
    if let Some(amount) = award_amount(clause_award) {
        let mut needed = BTreeSet::new();
        range::needed_inputs(policy, amount, &mut needed);
        let lacking = |domains: &Domains| {
            needed.iter().copied().find(|input| {
                domains.inputs.get(input).is_some_and(|domain| domain.presence == domain::Presence::Missing)
            })
        };
        let mut lacked = None;
        feasible.retain(|domains| match lacking(domains) {
            Some(input) => {
                lacked = Some(input);
                false
            }
            None => true,
        });
        if let (true, Some(input)) = (feasible.is_empty() && why_not.is_empty(), lacked) {
            let name = policy.inputs.get(input).map_or("?", |input| input.name.as_str());
            return Feasible::None(policy.lang.choose(
                format!("its amount needs `{name}`, and every case its tests and the gates let through lacks it"),
                format!("其金额需要 `{name}`，而它的条件和准入条件放行的每个案例都缺少这项数据"),
            ));
        }
    }
    if feasible.is_empty() {
        why_not.sort();
        why_not.dedup();
        Feasible::None(why_not.join("; "))
    } else {
        Feasible::Some(feasible)
    }
}

/// The expression that gives an award its amount (or, for an `open` award, its maximum).
fn award_amount(award: &Award) -> Option<&Expr> {
    match award {
        Award::Grant { amount, .. } => Some(amount),
        Award::UpTo { max } => Some(max),
        Award::Range { high, .. } => Some(high),
        Award::Open { .. } | Award::Benefit { .. } => None,
    }
}

/// Why an alternative leaves no case, in words: the input whose values its tests use up,
/// and whether the clause's own tests, the gates (the first `from_gates` atoms) or the data
/// contract rule it out.
fn conflict(
    policy: &Policy,
    base: &Domains,
    atoms: &[Atom<'_>],
    from_gates: usize,
    condition: Option<&Expr>,
) -> String {
    let shown = |expr: &Expr| format!("`{}`", crate::render::show::expr(policy, expr, None));
    let own = condition.map(shown).unwrap_or_default();
    // The clause's own tests may contradict each other without the gates: say so.
    if from_gates > 0 {
        if let Some(own_atoms) = atoms.get(from_gates..) {
            if base.with_all(own_atoms).is_none() {
                return conflict(policy, base, own_atoms, 0, condition);
            }
        }
    }
    let mut domains = base.clone();
    for (index, atom) in atoms.iter().enumerate() {
        let next = domains.with(atom);
        let Some(next) = next else {
            let input = match atom {
                Atom::Within(input, _) | Atom::OneOf(input, _) | Atom::Given(input, _) => *input,
                Atom::Opaque(..) => break,
            };
            let name = policy.inputs.get(input).map_or("?", |input| input.name.as_str());
            let about = |atom: &Atom<'_>| matches!(atom, Atom::Within(other, _) | Atom::OneOf(other, _) | Atom::Given(other, _) if *other == input);
            let earlier: Vec<usize> = (0..index).filter(|earlier| atoms.get(*earlier).is_some_and(&about)).collect();
            let gates_involved = index < from_gates || earlier.iter().any(|earlier| *earlier < from_gates);
            let own_involved = index >= from_gates || earlier.iter().any(|earlier| *earlier >= from_gates);
            let gates: Vec<String> = policy
                .gates
                .iter()
                .filter(|gate| {
                    let mut read = BTreeSet::new();
                    witness::collect(policy, &gate.condition, &mut read);
                    read.contains(&input)
                })
                .map(|gate| {
                    format!("{}{}", policy.lang.pick("require ", "准入条件 "), shown(&gate.condition).trim_matches('`'))
                })
                .map(|gate| format!("`{gate}`"))
                .collect();
            let gates = gates.join(policy.lang.pick(" and ", "、"));
            let lang = policy.lang;
            return match (earlier.is_empty(), gates_involved, own_involved) {
                (true, _, true) => lang.choose(
                    format!("no value of `{name}` the data contract allows meets {own}"),
                    format!("数据约定允许的 `{name}` 取值都不满足 {own}"),
                ),
                (true, _, false) => lang.choose(
                    format!("no value of `{name}` the data contract allows passes {gates}"),
                    format!("数据约定允许的 `{name}` 取值都通不过 {gates}"),
                ),
                (false, true, true) => lang.choose(
                    format!("{own} cannot hold together with {gates}: no `{name}` meets both"),
                    format!("{own} 与 {gates} 不能同时成立：没有 `{name}` 的取值能同时满足"),
                ),
                (false, true, false) => lang.choose(
                    format!("the gates {gates} leave `{name}` no value: no case passes them"),
                    format!("准入条件 {gates} 使 `{name}` 无值可取：没有案例能通过"),
                ),
                (false, false, _) => lang.choose(
                    format!("the tests of `{name}` in {own} cannot all hold"),
                    format!("{own} 中对 `{name}` 的各项判断不能同时成立"),
                ),
            };
        };
        domains = next;
    }
    policy.lang.choose(format!("the tests in {own} cannot all hold"), format!("{own} 中的各项判断不能同时成立"))
}

/// A clause's least and greatest award over its feasible domains, with the cases that
/// reach them; and whether any case tried got an award of it.
fn clause_bounds(
    policy: &Policy,
    index: ClauseIndex,
    feasible: &[Domains],
) -> (ClauseBounds, bool, Option<Map<String, Value>>) {
    let Some(clause) = policy.clauses.get(index) else {
        return (
            ClauseBounds { clause: String::new(), kind: "", least: None, greatest: None, unbounded_by: None },
            false,
            None,
        );
    };
    let kind = clause.award.kind_name();
    let (amount, cap): (Option<&Expr>, Option<&Expr>) = match &clause.award {
        Award::Grant { amount, cap } => (Some(amount), cap.as_ref()),
        Award::UpTo { max } => (Some(max), None),
        Award::Range { high, cap, .. } => (Some(high), cap.as_ref()),
        Award::Open { maximum, .. } => (None, maximum.as_ref()),
        Award::Benefit { .. } => (None, None),
    };
    // The sound range, over every feasible alternative.
    let mut found: Option<Range> = None;
    for domains in feasible {
        // An alternative where the amount (or its cap) has no value gets no award.
        let value = match (amount, cap) {
            (Some(amount), _) => range::of(policy, domains, amount),
            (None, Some(maximum)) => range::of(policy, domains, maximum),
            (None, None) => continue,
        };
        let Some(mut value) = value else { continue };
        if let (Some(_), Some(cap)) = (amount, cap) {
            let Some(cap) = range::of(policy, domains, cap) else { continue };
            value = Range {
                low: match (value.low, cap.low) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                },
                high: match (value.high, cap.high) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                unbounded_by: if cap.high.is_some() { None } else { value.unbounded_by },
            };
        }
        found = Some(found.map_or(value, |found| found.join(value)));
    }
    // The cases to try: for each alternative, every combination of the amount's inputs'
    // candidate values (near the policy's own numbers), the other inputs typical.
    let mut near = BTreeSet::new();
    for expr in clause.condition.iter().chain(amount).chain(cap) {
        witness::literals(expr, &mut near);
    }
    for gate in &policy.gates {
        witness::literals(&gate.condition, &mut near);
    }
    // The values a cap or rate implies too: an amount reaches a cap `C` at `C ÷ rate`.
    let near: Vec<Decimal> = near.into_iter().collect();
    let implied: Vec<Decimal> = near
        .iter()
        .flat_map(|a| near.iter().filter_map(move |b| (!b.is_zero()).then(|| a.checked_div(*b)).flatten()))
        .collect();
    // Whole numbers are often years compared with a case's date: try the years around
    // the validity's too, and dates through it.
    let (years, dates) = validity_values(policy);
    // The amount's inputs, and the numbers the condition reads: a derived value the
    // domains cannot follow (a ratio of two inputs) is met only by trying them together.
    let mut varied: BTreeSet<InputId> = witness::amount_inputs(policy, clause);
    if let Some(condition) = &clause.condition {
        let mut read = BTreeSet::new();
        witness::collect(policy, condition, &mut read);
        varied.extend(
            read.into_iter().filter(|input| policy.inputs.get(*input).is_some_and(|input| input.ty.is_number())),
        );
    }
    let varied: Vec<InputId> = varied.into_iter().collect();
    let mut cases: Vec<Map<String, Value>> = Vec::new();
    for domains in feasible {
        let mut wanted: BTreeSet<InputId> = varied.iter().copied().collect();
        if let Some(condition) = &clause.condition {
            witness::collect(policy, condition, &mut wanted);
        }
        for recipient in &clause.recipients {
            wanted.insert(recipient.input);
        }
        let Some(typical) = witness::typical(policy, domains, &wanted) else { continue };
        let choices: Vec<(String, Vec<Value>)> = varied
            .iter()
            .filter(|input| {
                domains.inputs.get(*input).is_some_and(|domain| domain.presence != domain::Presence::Missing)
            })
            .filter_map(|input| {
                let name = policy.inputs.get(*input)?.name.clone();
                let mut values = witness::candidates(policy, domains, *input, &near);
                let calendar = match policy.inputs.get(*input).map(|input| input.ty) {
                    Some(Type::Integer) => witness::candidates(policy, domains, *input, &years),
                    Some(Type::Date) => witness::candidates(policy, domains, *input, &dates),
                    _ => Vec::new(),
                };
                let more = witness::candidates(policy, domains, *input, &implied).into_iter().chain(calendar);
                for value in more {
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                Some((name, values))
            })
            .collect();
        combinations(&typical, &choices, &mut cases);
    }
    let outcomes = witness::run(policy, &cases);
    let mut reached = false;
    let mut highest: Option<(Decimal, usize)> = None;
    let mut lowest: Option<(Decimal, usize)> = None;
    for (case, awards) in outcomes.iter().enumerate() {
        for (_, amount) in awards.iter().filter(|(award, _)| *award == index) {
            reached = true;
            let Some(amount) = amount.map(money::round_to_fen) else { continue };
            if highest.is_none_or(|(best, _)| amount > best) {
                highest = Some((amount, case));
            }
            if lowest.is_none_or(|(best, _)| amount < best) {
                lowest = Some((amount, case));
            }
        }
    }
    let bound = |end: Option<Decimal>, best: Option<(Decimal, usize)>, name: &str| {
        let end = money::round_to_fen(end?);
        let mut witness = best.filter(|(amount, _)| *amount == end).and_then(|(_, case)| cases.get(case).cloned());
        if let (Some(witness), Some(id)) = (witness.as_mut(), policy.inputs.get(policy.case_id)) {
            witness.insert(id.name.clone(), Value::String(format!("{name}-{}", clause.id)));
        }
        Some(Bound { amount: money::format_yuan(end), witness })
    };
    let (least, greatest, unbounded_by) = match found {
        Some(found) => (
            // The evaluator never pays a negative amount (it is an error on the case), and
            // a review may grant an undetermined award nothing.
            bound(
                Some(match clause.award {
                    Award::Open { .. } => Decimal::ZERO,
                    _ => found.low.unwrap_or(Decimal::ZERO).max(Decimal::ZERO),
                }),
                lowest,
                "least",
            ),
            bound(found.high, highest, "greatest"),
            found
                .high
                .is_none()
                .then(|| found.unbounded_by.and_then(|input| policy.inputs.get(input)).map(|input| input.name.clone()))
                .flatten(),
        ),
        // An `open` award with no maximum: the review may grant anything.
        None if matches!(clause.award, Award::Open { .. }) => {
            (Some(Bound { amount: money::format_yuan(Decimal::ZERO), witness: None }), None, None)
        }
        None => (None, None, None),
    };
    let paying = highest.filter(|(amount, _)| !amount.is_zero()).and_then(|(_, case)| cases.get(case).cloned());
    (ClauseBounds { clause: clause.id.clone(), kind, least, greatest, unbounded_by }, reached, paying)
}

/// Years around the policy's validity, and a date in each of its years (as day numbers),
/// to try for whole numbers and dates.
fn validity_values(policy: &Policy) -> (Vec<Decimal>, Vec<Decimal>) {
    let Some(validity) = policy.validity else { return (Vec::new(), Vec::new()) };
    let years = (validity.from.year - 5..=validity.until.year + 1).map(Decimal::from).collect();
    let mut dates: Vec<Decimal> = (validity.from.year..=validity.until.year)
        .map(|year| Date { year, month: 7, day: 1 })
        .filter(|date| validity.contains(*date))
        .chain([validity.from, validity.until])
        .map(|date| Decimal::from(date.day_number()))
        .collect();
    dates.sort();
    dates.dedup();
    (years, dates)
}

/// Which of an input's candidate values a try takes.
#[derive(Clone, Copy)]
enum Pick {
    Least,
    Middle,
    Greatest,
}

/// The most alternatives (of a condition's `or`s) an overlap's search tries.
const MOST_ALTERNATIVES: usize = 16;

/// The most cases one clause's search tries.
const MOST_CASES: usize = 16384;

/// Every combination of `choices` over `typical`, up to [`MOST_CASES`].
fn combinations(typical: &Map<String, Value>, choices: &[(String, Vec<Value>)], cases: &mut Vec<Map<String, Value>>) {
    let mut indices = vec![0usize; choices.len()];
    loop {
        if cases.len() >= MOST_CASES {
            return;
        }
        let mut case = typical.clone();
        for ((name, values), index) in choices.iter().zip(&indices) {
            if let Some(value) = values.get(*index) {
                case.insert(name.clone(), value.clone());
            }
        }
        cases.push(case);
        // The next combination, counting in mixed radix.
        let mut position = 0;
        loop {
            let Some(index) = indices.get_mut(position) else { return };
            let size = choices.get(position).map_or(0, |(_, values)| values.len());
            *index += 1;
            if *index < size {
                break;
            }
            *index = 0;
            position += 1;
        }
    }
}

/// The most one recipient can get: per year and over the validity, from each clause's
/// greatest award, how often `once` lets it pay one recipient, and the caps that hold
/// groups of clauses.
fn recipient_bounds(policy: &Policy, greatest: &[Option<Decimal>]) -> RecipientBounds {
    let years = policy.validity.map(|validity| Decimal::from(i64::from(validity.until.year - validity.from.year) + 1));
    // Why a clause alone leaves one recipient's total unbounded, by clause.
    let mut because: Vec<(usize, String)> = Vec::new();
    // Each money clause's most for one recipient: per year and over the validity.
    let mut per_clause: Vec<(Option<Decimal>, Option<Decimal>)> = Vec::new();
    for (index, (clause, most)) in policy.clauses.iter().zip(greatest).enumerate() {
        if matches!(clause.award, Award::Benefit { .. }) || *most == Some(Decimal::ZERO) {
            per_clause.push((Some(Decimal::ZERO), Some(Decimal::ZERO)));
            continue;
        }
        let Some(most) = *most else {
            let id = &clause.id;
            because.push((
                index,
                policy
                    .lang
                    .choose(format!("clause {id}'s award has no upper bound"), format!("条款 {id} 的奖励没有上限")),
            ));
            per_clause.push((None, None));
            continue;
        };
        let Some(once) = clause.once.as_deref() else {
            let id = &clause.id;
            because.push((
                index,
                policy.lang.choose(
                    format!("clause {id} pays every case that qualifies: no `once` limits it"),
                    format!("条款 {id} 向每个符合条件的案例支付：没有 `once` 限制次数"),
                ),
            ));
            per_clause.push((None, None));
            continue;
        };
        if !once.contains(&Key::Recipient) {
            because.push((
                index,
                policy.lang.choose(
                    format!(
                        "clause {}'s `once` is not per recipient: one recipient can be paid under many keys",
                        clause.id
                    ),
                    format!("条款 {} 的 `once` 不按受益主体：同一受益主体可以按多个分组键多次获得", clause.id),
                ),
            ));
            per_clause.push((None, None));
            continue;
        }
        // How many keys one recipient can be paid under in a year: the product of each
        // other key's number of values, when it has a known number.
        let mut keys = Some(Decimal::ONE);
        let mut unbounded_key = None;
        for key in once {
            let values = match key {
                Key::Recipient | Key::Year => Some(1),
                Key::Tier => tier_count(clause),
                Key::Input(input) => policy.inputs.get(*input).and_then(|declared| match declared.ty {
                    Type::Bool => Some(2),
                    Type::Enum(id) => policy.enums.get(id).map(|declared| declared.values.len()),
                    _ => None,
                }),
            };
            match values {
                Some(values) => keys = keys.and_then(|keys| keys.checked_mul(Decimal::from(values))),
                None => {
                    keys = None;
                    unbounded_key = Some(key);
                }
            }
        }
        let Some(keys) = keys else {
            let name = match unbounded_key {
                Some(Key::Input(input)) => policy.inputs.get(*input).map_or("?", |input| input.name.as_str()),
                _ => "?",
            };
            because.push((
                index,
                policy.lang.choose(
                    format!(
                        "clause {} pays a recipient once per `{name}`, and nothing bounds how many of those it has",
                        clause.id
                    ),
                    format!("条款 {} 对每个 `{name}` 向受益主体支付一次，而其个数没有上限", clause.id),
                ),
            ));
            per_clause.push((None, None));
            continue;
        };
        let each = most.checked_mul(keys);
        if !once.contains(&Key::Year) {
            per_clause.push((each, each));
            continue;
        }
        // Once a year: over the validity, once in each of its calendar years, or fewer when
        // `for at most N years` says so.
        let limit_years = clause.years.as_ref().map(|limit| Decimal::from(limit.years));
        let life = match (limit_years, years) {
            (Some(limit), Some(years)) => each.and_then(|each| each.checked_mul(limit.min(years))),
            (Some(limit), None) => each.and_then(|each| each.checked_mul(limit)),
            (None, Some(years)) => each.and_then(|each| each.checked_mul(years)),
            (None, None) => {
                because.push((
                    index,
                    policy.lang.choose(
                        format!(
                            "clause {} pays once a year, and the policy states no validity to end the years",
                            clause.id
                        ),
                        format!("条款 {} 每年支付一次，而政策没有写明有效期来结束这些年份", clause.id),
                    ),
                ));
                None
            }
        };
        per_clause.push((each, life));
    }
    // Caps over groups of clauses, the lowest first: a clause counts under one cap only.
    let mut caps: Vec<(usize, &crate::check::checked::Cap)> = policy.caps.iter().enumerate().collect();
    caps.sort_by_key(|(_, a)| a.limit(true));
    let mut assigned: Vec<bool> = vec![false; policy.clauses.len()];
    let mut per_year_total = Some(Decimal::ZERO);
    let mut life_total = Some(Decimal::ZERO);
    let add = |total: &mut Option<Decimal>, value: Option<Decimal>| {
        *total = total.zip(value).and_then(|(total, value)| total.checked_add(value));
    };
    for (_, cap) in caps {
        let per_recipient_year = cap.per.iter().all(|key| matches!(key, Key::Recipient | Key::Year));
        if !per_recipient_year || cap.clauses.iter().any(|clause| assigned.get(*clause).copied().unwrap_or(true)) {
            continue;
        }
        let limit = cap.limit(true);
        let yearly = cap.per.contains(&Key::Year);
        let (mut year_sum, mut life_sum) = (Some(Decimal::ZERO), Some(Decimal::ZERO));
        for clause in &cap.clauses {
            if let Some(slot) = assigned.get_mut(*clause) {
                *slot = true;
            }
            let (year, life) = per_clause.get(*clause).copied().unwrap_or((None, None));
            add(&mut year_sum, year);
            add(&mut life_sum, life);
        }
        let year_cap = Some(year_sum.map_or(limit, |sum| sum.min(limit)));
        let life_cap =
            match (yearly, years) {
                (true, Some(years)) => limit.checked_mul(years).map(|cap| life_sum.map_or(cap, |sum| sum.min(cap))),
                (true, None) => {
                    if life_sum.is_none() {
                        because.push((
                        usize::MAX,
                        policy.lang.choose(
                            "a cap per year holds its clauses, but the policy states no validity to end the years",
                            "有按年度的上限约束这些条款，但政策没有写明有效期来结束这些年份",
                        )
                        .to_string(),
                    ));
                    }
                    life_sum
                }
                (false, _) => Some(life_sum.map_or(limit, |sum| sum.min(limit))),
            };
        add(&mut per_year_total, year_cap);
        add(&mut life_total, life_cap);
    }
    for (clause, (year, life)) in per_clause.iter().enumerate() {
        if !assigned.get(clause).copied().unwrap_or(false) {
            add(&mut per_year_total, *year);
            add(&mut life_total, *life);
        }
    }
    // A reason that a cap made moot is no reason.
    let because: Vec<String> = if per_year_total.is_some() && life_total.is_some() {
        Vec::new()
    } else {
        because
            .into_iter()
            .filter(|(clause, _)| !assigned.get(*clause).copied().unwrap_or(false) || *clause == usize::MAX)
            .map(|(_, reason)| reason)
            .collect()
    };
    RecipientBounds {
        per_year: per_year_total.map(money::format_yuan),
        over_validity: life_total.map(money::format_yuan),
        unbounded_because: because,
    }
}

/// The number of tiers a clause's amount is a tier table of, when it is one.
fn tier_count(clause: &crate::check::checked::Clause) -> Option<usize> {
    let amount = match &clause.award {
        Award::Grant { amount, .. } => amount,
        _ => return None,
    };
    match &amount.kind {
        ExprKind::Tiers { tiers, .. } => Some(tiers.len()),
        _ => None,
    }
}

/// Pairs of clauses in no shared class whose conditions one case can meet: each shown by a
/// case on which `polc run` gives both.
fn overlaps(
    policy: &Policy,
    alive: &[Option<Vec<Domains>>],
    samples: &[Option<Map<String, Value>>],
    report: &mut Report,
) {
    let paying =
        |index: usize| policy.clauses.get(index).is_some_and(|clause| !matches!(clause.award, Award::Benefit { .. }));
    // Per pair, the cases to try: several per alternative that meets both.
    let mut pairs: Vec<(usize, usize, Vec<Case>)> = Vec::new();
    let mut unread: Vec<(usize, usize)> = Vec::new();
    for first in 0..policy.clauses.len() {
        for second in first + 1..policy.clauses.len() {
            if !paying(first) || !paying(second) || same_class(policy, first, second) {
                continue;
            }
            let (Some(Some(a)), Some(Some(_))) = (alive.get(first), alive.get(second)) else { continue };
            let (Some(a_clause), Some(b_clause)) = (policy.clauses.get(first), policy.clauses.get(second)) else {
                continue;
            };
            // A case in the first's domains that meets the second's conditions too.
            let second_branches = match &b_clause.condition {
                Some(condition) => domain::branches(policy, condition),
                None => Some(vec![Vec::new()]),
            };
            let Some(second_branches) = second_branches else {
                unread.push((first, second));
                continue;
            };
            let mut amounts = witness::amount_inputs(policy, a_clause);
            amounts.extend(witness::amount_inputs(policy, b_clause));
            let mut wanted = amounts.clone();
            let mut near = BTreeSet::new();
            for clause in [a_clause, b_clause] {
                if let Some(condition) = &clause.condition {
                    witness::collect(policy, condition, &mut wanted);
                    witness::literals(condition, &mut near);
                }
                wanted.extend(clause.recipients.iter().map(|recipient| recipient.input));
            }
            let near: Vec<Decimal> = near.into_iter().collect();
            // Where no alternative leaves a case meeting both, they cannot both pay: nothing
            // to report.
            let mut tries = Vec::new();
            let both = a
                .iter()
                .flat_map(|domains| second_branches.iter().filter_map(move |branch| domains.with_all(branch)))
                .take(MOST_ALTERNATIVES);
            for both in both {
                let Some(typical) = witness::typical(policy, &both, &wanted) else { continue };
                // First, the cases that reached each clause's greatest award, laid over each
                // other both ways: the facts one clause's amount needs, the other's too.
                for (over, under) in [(first, second), (second, first)] {
                    let mut laid = typical.clone();
                    for index in [under, over] {
                        for (name, value) in samples.get(index).into_iter().flatten().flatten() {
                            laid.insert(name.clone(), value.clone());
                        }
                    }
                    if !tries.contains(&laid) {
                        tries.push(laid);
                    }
                }
                // The amounts' inputs at their least, middle and greatest candidates: an
                // award of nothing is no payment, so the least alone may not show it.
                let choices: Vec<(String, Vec<Value>)> = amounts
                    .iter()
                    .filter_map(|input| {
                        let name = policy.inputs.get(*input)?.name.clone();
                        Some((name, witness::candidates(policy, &both, *input, &near)))
                    })
                    .collect();
                for pick in [Pick::Least, Pick::Greatest, Pick::Middle] {
                    let mut case = typical.clone();
                    for (name, values) in &choices {
                        let chosen = match pick {
                            Pick::Least => values.first(),
                            Pick::Middle => values.get(values.len() / 2),
                            Pick::Greatest => values.last(),
                        };
                        if let Some(value) = chosen {
                            case.insert(name.clone(), value.clone());
                        }
                    }
                    if !tries.contains(&case) {
                        tries.push(case);
                    }
                }
            }
            if !tries.is_empty() {
                pairs.push((first, second, tries));
            }
        }
    }
    let cases: Vec<Map<String, Value>> = pairs.iter().flat_map(|(_, _, tries)| tries.iter().cloned()).collect();
    let mut outcomes = witness::run(policy, &cases).into_iter();
    for (first, second, tries) in pairs {
        let (Some(a), Some(b)) = (policy.clauses.get(first), policy.clauses.get(second)) else { continue };
        let mut shown = None;
        for case in tries {
            let awards = outcomes.next().unwrap_or_default();
            let pays = |clause: usize| {
                awards.iter().any(|(award, amount)| *award == clause && amount.is_none_or(|amount| !amount.is_zero()))
            };
            if shown.is_none() && pays(first) && pays(second) {
                shown = Some(case);
            }
        }
        match shown {
            Some(mut witness) => {
                if let Some(id) = policy.inputs.get(policy.case_id) {
                    witness.insert(id.name.clone(), Value::String(format!("overlap-{}-{}", a.id, b.id)));
                }
                report.overlaps.push(Overlap { clauses: [a.id.clone(), b.id.clone()], witness });
            }
            None => report.unknown.push(policy.lang.choose(
                format!("clauses {} and {}: their tests can hold together, but no case tried gets both", a.id, b.id),
                format!("条款 {} 和 {}：它们的条件可以同时成立，但试过的案例都没有同时得到两者", a.id, b.id),
            )),
        }
    }
    for (first, second) in unread {
        let (Some(a), Some(b)) = (policy.clauses.get(first), policy.clauses.get(second)) else { continue };
        report.unknown.push(policy.lang.choose(
            format!("clauses {} and {}: conditions too involved to decide an overlap", a.id, b.id),
            format!("条款 {} 和 {}：条件过于复杂，无法判定是否重叠", a.id, b.id),
        ));
    }
}

fn same_class(policy: &Policy, first: usize, second: usize) -> bool {
    policy.classes.iter().any(|class| class.clauses.contains(&first) && class.clauses.contains(&second))
}
