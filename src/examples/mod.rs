//! Worked examples beside a policy: batches of cases and the awards they must get, run
//! by `polc test`, with clause coverage.
//!
//! Input: a checked policy and the text of its sidecar file `NAME.examples.json`
//! (documented in `docs/testing.md`). Output: per example, pass or the differences
//! between expected and computed awards (with the computed award's reasons), and the
//! probes the examples exercised.

use crate::check::checked::Policy;
use crate::data::InputFormat;
use crate::eval::{self, coverage, BatchResult};
use crate::money;
use crate::render::why;
use serde::Deserialize;

/// A sidecar file: the examples of one policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleFile {
    pub examples: Vec<Example>,
}

/// One example: a batch and everything it must produce.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    /// Cases in the shape `polc run` reads (a JSON array).
    pub cases: Vec<serde_json::Value>,
    /// Every award the batch must get, and no other.
    #[serde(default)]
    pub awards: Vec<ExpectedAward>,
    /// Cases that must get nothing because a gate stops them, with a part of the reason.
    #[serde(default)]
    pub no_award: Vec<ExpectedNoAward>,
    /// Data errors the batch must report (case and field); none when absent.
    #[serde(default)]
    pub errors: Vec<ExpectedError>,
    /// Awards decided outside the policy, as `polc ledger import` reads them (recipient,
    /// date, amount, class; optionally project, policy, case): classes that name their
    /// label take them into account, in the batch and in the rounds alike.
    #[serde(default)]
    pub external: Vec<serde_json::Value>,
    /// The same cases as rounds committed in turn to a new ledger (case ids per round,
    /// every case in one round): the ledger must then hold exactly `awards` (amounts and
    /// kinds; `why` is looked for in the round that decided the award).
    #[serde(default)]
    pub rounds: Option<Vec<Vec<String>>>,
}

#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedAward {
    pub case: String,
    pub clause: String,
    pub recipient: String,
    pub kind: String,
    /// Yuan with two decimals (`"860000.00"`); absent for `undetermined` and `benefit`.
    #[serde(default)]
    pub amount: Option<String>,
    /// The low end of a `range`.
    #[serde(default)]
    pub minimum: Option<String>,
    /// The stated maximum of an `undetermined` award.
    #[serde(default)]
    pub maximum: Option<String>,
    /// Text that must appear in the award's reasons or adjustments.
    #[serde(default)]
    pub why: Option<String>,
}

#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedNoAward {
    pub case: String,
    /// Text that must appear in the reason.
    pub why: String,
}

#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

/// How one example went.
pub struct ExampleOutcome {
    pub name: String,
    /// Empty when the example passed; otherwise one line per difference.
    pub differences: Vec<String>,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// One example's batch, run as one batch with its imported awards, coverage measured.
fn evaluate_example(
    policy: &Policy,
    example: &Example,
    external: &[eval::ExternalAward],
) -> Result<eval::BatchResult, String> {
    let batch = serde_json::to_vec(&example.cases).map_err(|error| error.to_string())?;
    let prior = eval::Prior { external: external.to_vec(), ..eval::Prior::default() };
    match eval::evaluate(policy, batch.as_slice(), InputFormat::Json, None, true, None) {
        Ok(pending) => Ok(eval::finish(policy, pending, Some(prior))),
        Err(error) => Err(format!("the cases cannot be read: {error}")),
    }
}

/// What each example of a sidecar file gives (its name and result), and the coverage of
/// them all: what a handbook shows. `Err` when the file cannot be read as one.
pub fn example_results(
    policy: &Policy,
    sidecar: &str,
) -> Result<(Vec<(String, eval::BatchResult)>, coverage::Hits), String> {
    let file: ExampleFile = serde_json::from_str(sidecar).map_err(|error| format!("not an examples file: {error}"))?;
    let mut hits = coverage::Hits::new();
    let mut results = Vec::new();
    for example in &file.examples {
        let result = evaluate_example(policy, example, &imported_awards(example)?)?;
        hits.extend(result.coverage.iter().flatten().copied());
        results.push((example.name.clone(), result));
    }
    Ok((results, hits))
}

/// Runs every example of a sidecar file; `Err` when the file cannot be read as one.
pub fn run_examples(policy: &Policy, sidecar: &str) -> Result<(Vec<ExampleOutcome>, coverage::Hits), String> {
    let file: ExampleFile = serde_json::from_str(sidecar).map_err(|error| format!("not an examples file: {error}"))?;
    let mut hits = coverage::Hits::new();
    let mut outcomes = Vec::new();
    for example in &file.examples {
        let external = match imported_awards(example) {
            Ok(external) => external,
            Err(error) => {
                outcomes.push(ExampleOutcome { name: example.name.clone(), differences: vec![error] });
                continue;
            }
        };
        let mut differences = match evaluate_example(policy, example, &external) {
            Ok(result) => {
                hits.extend(result.coverage.iter().flatten().copied());
                compare(policy, example, &result)
            }
            Err(error) => vec![error],
        };
        if let Some(rounds) = &example.rounds {
            differences.extend(
                in_rounds(policy, example, rounds, &external).into_iter().map(|line| format!("in rounds: {line}")),
            );
        }
        outcomes.push(ExampleOutcome { name: example.name.clone(), differences });
    }
    Ok((outcomes, hits))
}

/// The example's imported awards, read as `polc ledger import` reads a file.
fn imported_awards(example: &Example) -> Result<Vec<eval::ExternalAward>, String> {
    let lines: Vec<String> = example.external.iter().map(serde_json::Value::to_string).collect();
    crate::ledger::read_external_awards(&lines.join("\n")).map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("the imported awards: {}", errors.join("; "))
    })
}

/// Commits the example's rounds in turn to a new SQLite ledger in a temporary directory and
/// compares what the ledger then holds with the expected awards.
fn in_rounds(
    policy: &Policy,
    example: &Example,
    rounds: &[Vec<String>],
    external: &[eval::ExternalAward],
) -> Vec<String> {
    let id_of = |case: &serde_json::Value| case.get("id").and_then(serde_json::Value::as_str).map(str::to_string);
    let mut differences = Vec::new();
    let placed: Vec<&String> = rounds.iter().flatten().collect();
    for case in &example.cases {
        let id = id_of(case).unwrap_or_default();
        match placed.iter().filter(|placed| ***placed == id).count() {
            1 => {}
            0 => differences.push(format!("case {id} is in no round")),
            _ => differences.push(format!("case {id} is in more than one round")),
        }
    }
    for id in &placed {
        if !example.cases.iter().any(|case| id_of(case).as_deref() == Some(id.as_str())) {
            differences.push(format!("round case {id} is not one of the example's cases"));
        }
    }
    if !differences.is_empty() {
        return differences;
    }
    let directory = match tempfile::tempdir() {
        Ok(directory) => directory,
        Err(error) => return vec![format!("no temporary ledger: {error}")],
    };
    let location = directory.path().join("rounds.sqlite").to_string_lossy().into_owned();
    let mut ledger = match crate::ledger::Ledger::open(&location) {
        Ok(ledger) => ledger,
        Err(error) => return vec![format!("no temporary ledger: {error}")],
    };
    if let Err(error) = ledger.import("examples", external) {
        return vec![format!("the imported awards: {error}")];
    }
    let mut reasons: Vec<Computed> = Vec::new();
    for (number, round) in rounds.iter().enumerate() {
        let cases: Vec<&serde_json::Value> = round
            .iter()
            .filter_map(|id| example.cases.iter().find(|case| id_of(case).as_deref() == Some(id.as_str())))
            .collect();
        let batch = match serde_json::to_vec(&cases) {
            Ok(batch) => batch,
            Err(error) => return vec![error.to_string()],
        };
        let decided = ledger.decide(policy, true, |decided| {
            eval::evaluate(policy, batch.as_slice(), InputFormat::Json, None, false, Some(decided))
        });
        match decided {
            Ok(Ok(decision)) => reasons.extend(computed_awards(policy, &decision.result)),
            Ok(Err(error)) => return vec![format!("round {} cannot be read: {error}", number + 1)],
            Err(error) => return vec![format!("round {}: {error}", number + 1)],
        }
    }
    let held = match ledger.awards() {
        Ok(held) => held,
        Err(error) => return vec![error.to_string()],
    };
    let text =
        |row: &serde_json::Value, field: &str| row.get(field).and_then(|value| value.as_str()).map(str::to_string);
    let mut computed: Vec<Computed> = held
        .iter()
        .map(|row| {
            let award = ExpectedAward {
                case: text(row, "case").unwrap_or_default(),
                clause: text(row, "clause").unwrap_or_default(),
                recipient: text(row, "recipient").unwrap_or_default(),
                kind: text(row, "kind").unwrap_or_default(),
                amount: text(row, "amount"),
                minimum: None,
                maximum: None,
                why: None,
            };
            let same = |other: &&Computed| {
                other.award.case == award.case
                    && other.award.clause == award.clause
                    && other.award.recipient == award.recipient
            };
            let reasons = reasons.iter().find(same).map(|found| found.reasons.clone()).unwrap_or_default();
            Computed { award, reasons }
        })
        .collect();
    for expected in &example.awards {
        let same_award = |candidate: &Computed| {
            candidate.award.case == expected.case
                && candidate.award.clause == expected.clause
                && candidate.award.recipient == expected.recipient
        };
        let Some(index) = computed.iter().position(same_award) else {
            differences.push(format!("missing    {}", describe(expected)));
            continue;
        };
        let found = computed.remove(index);
        let why_ok =
            expected.why.as_ref().is_none_or(|why| found.reasons.iter().any(|reason| reason.contains(why.as_str())));
        if found.award.kind != expected.kind || found.award.amount != expected.amount || !why_ok {
            let plain = ExpectedAward { minimum: None, maximum: None, ..expected.clone() };
            differences.push(format!("expected   {}", describe(&plain)));
            differences.push(format!("held       {}", describe(&found.award)));
            differences.extend(found.reasons.iter().map(|reason| format!("           because {reason}")));
        }
    }
    for extra in computed {
        differences.push(format!("unexpected {}", describe(&extra.award)));
    }
    differences
}

/// One computed award as the examples file would write it, with its reasons.
struct Computed {
    award: ExpectedAward,
    reasons: Vec<String>,
}

fn computed_awards(policy: &Policy, result: &BatchResult) -> Vec<Computed> {
    let wording = why::Wording::new(policy);
    let mut computed = Vec::new();
    for case in &result.cases {
        for award in result.case_awards(case) {
            let Some(clause) = policy.clauses.get(award.clause) else { continue };
            let mut reasons = why::award_why(policy, award).reasons;
            reasons.extend(wording.reasons(&result.cases, award));
            computed.push(Computed {
                award: ExpectedAward {
                    case: result.cases.id(case).to_string(),
                    clause: clause.id.clone(),
                    recipient: award.recipient.to_string(),
                    kind: award.kind(policy).to_string(),
                    amount: award.amount().map(money::format_yuan),
                    minimum: award.minimum().map(money::format_yuan),
                    maximum: award.maximum(policy).map(money::format_yuan),
                    why: None,
                },
                reasons,
            });
        }
    }
    computed
}

fn describe(award: &ExpectedAward) -> String {
    let amount = award.amount.as_deref().unwrap_or("no amount");
    let mut text =
        format!("case {} clause {} to {}: {} {amount}", award.case, award.clause, award.recipient, award.kind);
    if let Some(minimum) = &award.minimum {
        text.push_str(&format!(" (minimum {minimum})"));
    }
    if let Some(maximum) = &award.maximum {
        text.push_str(&format!(" (maximum {maximum})"));
    }
    text
}

fn compare(policy: &Policy, example: &Example, result: &BatchResult) -> Vec<String> {
    let mut differences = Vec::new();
    let mut computed = computed_awards(policy, result);
    for expected in &example.awards {
        let same_award = |candidate: &Computed| {
            candidate.award.case == expected.case
                && candidate.award.clause == expected.clause
                && candidate.award.recipient == expected.recipient
        };
        match computed.iter().position(same_award) {
            None => differences.push(format!("missing    {}", describe(expected))),
            Some(index) => {
                let found = computed.remove(index);
                let same = found.award.kind == expected.kind
                    && found.award.amount == expected.amount
                    && found.award.minimum == expected.minimum
                    && found.award.maximum == expected.maximum;
                let why_ok = expected
                    .why
                    .as_ref()
                    .is_none_or(|why| found.reasons.iter().any(|reason| reason.contains(why.as_str())));
                if !same || !why_ok {
                    differences.push(format!("expected   {}", describe(expected)));
                    differences.push(format!("computed   {}", describe(&found.award)));
                    if let Some(why) = &expected.why {
                        differences.push(format!("           expected the reasons to mention: {why}"));
                    }
                    differences.extend(found.reasons.iter().map(|reason| format!("           because {reason}")));
                }
            }
        }
    }
    for extra in computed {
        differences.push(format!("unexpected {}", describe(&extra.award)));
        differences.extend(extra.reasons.iter().map(|reason| format!("           because {reason}")));
    }
    for expected in &example.no_award {
        let case = result.cases.iter().find(|case| result.cases.id(case) == expected.case);
        match case.and_then(|case| case.gate_failure.as_deref()) {
            Some(reason) if reason.contains(&expected.why) => {}
            Some(reason) => differences.push(format!("case {} gets nothing, but because: {reason}", expected.case)),
            None => differences.push(format!("case {} was expected to get nothing ({})", expected.case, expected.why)),
        }
    }
    let gated: Vec<&str> = result
        .cases
        .iter()
        .filter(|case| case.gate_failure.is_some())
        .map(|case| result.cases.id(case))
        .filter(|id| !example.no_award.iter().any(|expected| expected.case == *id))
        .collect();
    for id in gated {
        differences.push(format!("case {id} unexpectedly gets nothing: a gate stopped it"));
    }
    let errors: Vec<ExpectedError> = result
        .errors
        .iter()
        .map(|error| ExpectedError { case: error.case.clone(), field: error.field.clone() })
        .collect();
    for expected in &example.errors {
        if !errors.contains(expected) {
            differences.push(format!("missing data error: case {:?}, field {:?}", expected.case, expected.field));
        }
    }
    for (error, actual) in errors.iter().zip(&result.errors) {
        if !example.errors.contains(error) {
            differences.push(format!(
                "unexpected data error: case {:?}, field {:?}: {}",
                error.case, error.field, actual.message
            ));
        }
    }
    differences
}

/// One row of a coverage report: a clause, gate, class or cap and its probes.
#[derive(serde::Serialize)]
pub struct CoverageRow {
    pub group: String,
    pub covered: usize,
    pub total: usize,
    pub missed: Vec<String>,
}

/// Coverage per group, in policy order.
pub fn coverage_rows(policy: &Policy, hits: &coverage::Hits) -> Vec<CoverageRow> {
    let mut rows: Vec<CoverageRow> = Vec::new();
    for (probe, group, description) in coverage::universe(policy) {
        let hit = hits.contains(&probe);
        let row = match rows.iter_mut().find(|row| row.group == group) {
            Some(row) => row,
            None => {
                rows.push(CoverageRow { group, covered: 0, total: 0, missed: Vec::new() });
                match rows.last_mut() {
                    Some(row) => row,
                    None => continue,
                }
            }
        };
        row.total += 1;
        if hit {
            row.covered += 1;
        } else {
            row.missed.push(description);
        }
    }
    rows
}

/// Coverage of several policies as a table: a line per policy, a row per group with the
/// probes no example exercised.
pub fn coverage_table(reports: &[(String, Vec<CoverageRow>)], lang: crate::lang::Lang) -> String {
    let mut out = String::new();
    for (name, rows) in reports {
        let covered: usize = rows.iter().map(|row| row.covered).sum();
        let total: usize = rows.iter().map(|row| row.total).sum();
        let share = percent(covered, total);
        out.push_str(&lang.choose(
            format!("\ncoverage of {name}: {covered}/{total} ({share:.1}%)\n"),
            format!("\n{name} 的覆盖率：{covered}/{total}（{share:.1}%）\n"),
        ));
        for row in rows {
            let missed = if row.missed.is_empty() {
                String::new()
            } else {
                lang.choose(
                    format!("  not exercised: {}", row.missed.join("; ")),
                    format!("  未覆盖：{}", row.missed.join("；")),
                )
            };
            // Padded by terminal width, so that Chinese groups line up with English ones.
            let pad = " ".repeat(24usize.saturating_sub(crate::width::display_width(&row.group)));
            let line = format!("  {}{pad} {:>3}/{:<3}{missed}", row.group, row.covered, row.total);
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// Coverage of several policies as JSON: per policy, `covered`, `total` and its groups.
pub fn coverage_json(reports: &[(String, Vec<CoverageRow>)]) -> serde_json::Value {
    let reports: Vec<serde_json::Value> = reports
        .iter()
        .map(|(name, rows)| {
            let covered: usize = rows.iter().map(|row| row.covered).sum();
            let total: usize = rows.iter().map(|row| row.total).sum();
            serde_json::json!({ "policy": name, "covered": covered, "total": total, "groups": rows })
        })
        .collect();
    serde_json::Value::Array(reports)
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}
