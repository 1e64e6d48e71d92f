//! A long-running fuzz harness for polc, on stable Rust and with no dependency of its own.
//!
//!     cargo run --release --example fuzz -- [INPUTS] [SEED]      # default 1,000,000 inputs
//!
//! Each input is one of:
//! - a **policy**: one of the repository's policies, mutated (tokens deleted, repeated,
//!   swapped; bytes flipped; hostile tokens inserted: full-width punctuation, huge and
//!   over-precise numbers, deep brackets, reserved words, stray quotes), then parsed,
//!   checked, formatted (the result must be formatted already and check the same) and, when
//!   it checks, run on a small batch;
//! - a **batch**: the shipped cases mutated the same way, in JSON Lines, a JSON array and
//!   CSV, run against the Chengdu policy and rendered in every format (JSON, CSV, table,
//!   one explanation), to writers that may fail part-way (a closed pipe, a full disk).
//!
//! Every input must finish without a panic and in bounded time, and its results must keep
//! the invariants: every record is a case or a failed record (nothing lost), no amount
//! below zero, totals that are the sums of their awards, JSON output that parses, a
//! failing writer that reports an error. A violation is written to `fuzz-findings/` with
//! the input that caused it, and the run goes on; the summary says how many. Both cores
//! run, each with its own seed.

use polc::data::InputFormat;
use polc::render;
use std::io::{self, Write};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CHENGDU: &str = include_str!("../policies/chengdu-ai-2024.pol");
const SEED_POLICIES: &[&str] = &[
    CHENGDU,
    include_str!("../tests/examples/small.pol"),
    include_str!("../tests/fmt/messy.pol"),
    include_str!("../tests/syntax/common-mistakes.pol"),
    include_str!("../tests/syntax/more-mistakes.pol"),
    include_str!("../tests/diagnostics/E0301.pol"),
    include_str!("../tests/diagnostics/E0307.pol"),
    include_str!("../tests/diagnostics/E0308.pol"),
    include_str!("../tests/diagnostics/W0004.pol"),
    include_str!("../policies/shapes/P03-brackets-with-bounds.pol"),
    include_str!("../policies/shapes/P04-progressive-scale.pol"),
    include_str!("../policies/shapes/P06-least-of-limits.pol"),
    include_str!("../policies/shapes/P10-sub-class-rate.pol"),
    include_str!("../policies/shapes/P13-yearly-instalments.pol"),
    include_str!("../policies/shapes/P14-negotiated-and-open.pol"),
    include_str!("../policies/shapes/P16-date-arithmetic.pol"),
    include_str!("../policies/shapes/P15-named-values-and-defaults.pol"),
    include_str!("../policies/shapes/P21-first-come-pool.pol"),
    include_str!("../policies/shapes/P01-per-unit-rate.pol"),
    include_str!("../policies/shapes/P02-derived-metric.pol"),
    include_str!("../policies/shapes/P07-rate-band.pol"),
    include_str!("../policies/shapes/P09-exact-fraction.pol"),
    include_str!("../policies/shapes/P17-relaxed-cap.pol"),
    include_str!("../policies/shapes/P19-several-caps.pol"),
    include_str!("../policies/shapes/P20-pro-rata-pool.pol"),
    include_str!("../policies/shapes/P22-review-outcomes.pol"),
    include_str!("../tests/syntax/missing-forms.pol"),
    include_str!("../tests/fmt/long-lines.pol"),
];
const CASES: &str = include_str!("../examples/cases.jsonl");

/// An input slower than this is reported as a hang.
const SLOW: Duration = Duration::from_secs(5);

/// Tokens a hostile or careless author inserts.
const HOSTILE: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "\"",
    "\"\"\"",
    "#",
    "万",
    "亿",
    "元",
    "%",
    "：",
    "，",
    "（",
    "）",
    "“",
    "not ",
    "and ",
    "or ",
    "to ",
    "of ",
    "max ",
    "* ",
    "/ ",
    "/ 0 ",
    "三分之一 of ",
    "excess of ",
    " over ",
    "relaxed to 1元 when ",
    " pro rata ",
    "between 1元 and ",
    "section （一） \"s\"\n",
    "once per ",
    "article 1 \"x\"\n",
    "  clause 9.9 award 1万 to applicant\n",
    "1.1",
    "\n",
    "\u{feff}",
    "\u{1b}[2J",
    "0.0000000000000000000000000001%",
    "99999999999999999999亿",
    "1e308",
    "-1",
    "-0",
    "0.59999999999999999999999999999",
    "1.0000000000000000000000000000001",
    "9223372036854775808",
    "2024-02-30",
    "null",
    "[]",
    "{}",
    "[[[[[[[[",
    "]]]]]]]]",
    "\"\\u0000\"",
    "=SUM(1)",
    "\r\n",
    ",",
    ":",
    "=>",
    "tiers of ",
    "by entity_type { else => 1万 }",
    "within validity",
    "is present",
    "between 1 and 2",
    "min(",
    "max(",
    "year(",
    "if ",
    " then ",
    " else ",
    "[",
    "..",
    "]",
    "(1..2]",
    "> 1亿 => ",
    "12 months",
    "- 30 days",
    "negotiated ",
    "open \"x\" max 1万",
    "value v = amount\n",
    " default 0元",
    "cap 1万 over 1.1\n",
];

/// xorshift64*: small, fast, and reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next() % bound as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Splits text into tokens at spaces and punctuation, keeping the separators.
fn tokens(text: &str) -> Vec<String> {
    text.split_inclusive(|ch: char| ch.is_whitespace() || "(){},:\"[]".contains(ch)).map(str::to_string).collect()
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut pieces = tokens(text);
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        let len = pieces.len();
        if len == 0 {
            pieces.push(String::new());
            continue;
        }
        let at = rng.below(len);
        match rng.below(7) {
            0 => {
                pieces.remove(at);
            }
            1 => {
                let copy = pieces[at].clone();
                pieces.insert(at, copy);
            }
            2 => pieces.swap(at, rng.below(len)),
            3 => pieces.insert(at, HOSTILE[rng.below(HOSTILE.len())].to_string()),
            4 => {
                // A byte flipped inside a token, kept as text.
                let mut bytes = pieces[at].clone().into_bytes();
                if !bytes.is_empty() {
                    let index = rng.below(bytes.len());
                    bytes[index] ^= 1 << rng.below(8);
                }
                pieces[at] = String::from_utf8_lossy(&bytes).into_owned();
            }
            5 => {
                // A run of tokens repeated: long lists and deep nesting.
                let end = (at + 1 + rng.below(8)).min(len);
                let run: Vec<String> = pieces[at..end].to_vec();
                for _ in 0..rng.below(50) {
                    pieces.splice(at..at, run.iter().cloned());
                }
            }
            _ => {
                let digits: String = (0..1 + rng.below(40)).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
                pieces.insert(at, digits);
            }
        }
    }
    pieces.concat()
}

/// Where a finding goes.
struct Findings {
    count: AtomicUsize,
}

impl Findings {
    fn report(&self, kind: &str, input: &str, detail: &str) {
        let number = self.count.fetch_add(1, Ordering::SeqCst);
        let _ = std::fs::create_dir_all("fuzz-findings");
        let path = format!("fuzz-findings/{kind}-{number}.txt");
        let _ = std::fs::write(&path, format!("{detail}\n---- input ----\n{input}"));
        eprintln!("finding: {kind}: {detail} (input in {path})");
    }
}

/// A writer that fails after `budget` bytes, with a closed pipe or a full disk.
struct FailingWriter {
    budget: usize,
    kind: io::ErrorKind,
}

impl Write for FailingWriter {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::new(self.kind, "injected failure"));
        }
        let count = buffer.len().min(self.budget);
        self.budget -= count;
        Ok(count)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn fuzz_policy(text: &str, rng: &mut Rng, findings: &Findings) {
    let report = polc::check_source(text);
    if let Ok(formatted) = polc::fmt::format(text) {
        match polc::fmt::format(&formatted) {
            Ok(again) if again != formatted => {
                findings.report("fmt-not-idempotent", text, "formatting twice changed it")
            }
            Err(_) => findings.report("fmt-broke-syntax", text, "formatted text does not parse"),
            Ok(_) => {}
        }
        let after = polc::check_source(&formatted);
        if after.policy != report.policy {
            findings.report("fmt-changed-meaning", text, "the checked policy changed under fmt");
        }
    }
    if let Some(policy) = &report.policy {
        let batch: String = CASES.lines().take(1 + rng.below(18)).collect::<Vec<_>>().join("\n");
        run_and_render(policy, &batch, InputFormat::JsonLines, text, rng, findings);
    }
}

fn fuzz_batch(policy: &polc::check::checked::Policy, rng: &mut Rng, findings: &Findings) {
    let lines: Vec<&str> = CASES.lines().collect();
    let mut batch: Vec<String> = (0..1 + rng.below(12)).map(|_| lines[rng.below(lines.len())].to_string()).collect();
    for _ in 0..rng.below(3) {
        let at = rng.below(batch.len());
        batch[at] = mutate(&batch[at], rng);
    }
    let jsonl = batch.join("\n");
    match rng.below(3) {
        0 => run_and_render(policy, &jsonl, InputFormat::JsonLines, &jsonl, rng, findings),
        1 => {
            let array = format!("[{}]", batch.join(if rng.chance(50) { ",\n" } else { "," }));
            run_and_render(policy, &array, InputFormat::Json, &array, rng, findings);
        }
        _ => {
            let csv = to_csv(&batch, rng);
            run_and_render(policy, &csv, InputFormat::Csv, &csv, rng, findings);
        }
    }
}

/// The records as CSV with the columns of their keys, then mutated as text.
fn to_csv(records: &[String], rng: &mut Rng) -> String {
    let mut columns: Vec<String> = Vec::new();
    let parsed: Vec<serde_json::Map<String, serde_json::Value>> = records
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value.as_object().cloned())
        .collect();
    for record in &parsed {
        for key in record.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(&columns);
    for record in &parsed {
        let row: Vec<String> = columns
            .iter()
            .map(|column| match record.get(column) {
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        let _ = writer.write_record(&row);
    }
    let text = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();
    if rng.chance(50) {
        mutate(&text, rng)
    } else {
        text
    }
}

fn run_and_render(
    policy: &polc::check::checked::Policy,
    data: &str,
    format: InputFormat,
    input: &str,
    rng: &mut Rng,
    findings: &Findings,
) {
    let explain_id = data.split('"').nth(3).map(str::to_string);
    let Ok(result) = polc::eval::run(policy, data.as_bytes(), format.clone(), explain_id.as_deref()) else { return };
    // Nothing lost: in JSON Lines every non-blank line is a case or a failed record.
    if format == InputFormat::JsonLines {
        let records = data.lines().filter(|line| !line.trim().is_empty()).count();
        if records != result.cases.len() + result.failed_records {
            let detail = format!("{records} records, {} cases, {} failed", result.cases.len(), result.failed_records);
            findings.report("record-lost", input, &detail);
        }
    }
    let mut sums: std::collections::BTreeMap<&str, rust_decimal::Decimal> = Default::default();
    for award in &result.awards {
        if let Some(amount) = award.amount() {
            if amount.is_sign_negative() && !amount.is_zero() {
                findings.report("negative-amount", input, &format!("an award of {amount}"));
            }
            let is_up_to = matches!(
                policy.clauses.get(award.clause).map(|clause| &clause.award),
                Some(polc::check::checked::Award::UpTo { .. })
            );
            if !is_up_to {
                let sum = sums.entry(&award.recipient).or_default();
                *sum = sum.checked_add(amount).unwrap_or(rust_decimal::Decimal::MAX);
            }
        }
    }
    for (recipient, total) in &result.totals {
        let expected = sums.get(&**recipient).copied().unwrap_or_default();
        if let Some(granted) = total.granted {
            if granted != expected {
                findings.report(
                    "wrong-total",
                    input,
                    &format!("{recipient}: total {granted}, awards sum to {expected}"),
                );
            }
        }
    }
    let mut json = Vec::new();
    if render::json(policy, &result, &mut json).is_err() || serde_json::from_slice::<serde_json::Value>(&json).is_err()
    {
        findings.report("json-output", input, "the JSON result is not JSON");
    }
    let mut csv_out = Vec::new();
    let _ = render::csv(policy, &result, &mut csv_out);
    let _ = render::table(policy, &result);
    let _ = render::explain(policy, &result);
    // A writer that fails part-way: the renderers must return the error, not panic.
    let kind = if rng.chance(50) { io::ErrorKind::BrokenPipe } else { io::ErrorKind::StorageFull };
    let budget = rng.below(json.len().max(1));
    let mut failing = FailingWriter { budget, kind };
    if render::json(policy, &result, &mut failing).is_ok() && budget < json.len() {
        findings.report("write-failure-lost", input, "a failing writer was reported as success");
    }
    let mut failing = FailingWriter { budget: rng.below(csv_out.len().max(1)), kind };
    let _ = render::csv(policy, &result, &mut failing);
}

fn worker(seed: u64, inputs: usize, done: &AtomicUsize, findings: &Findings) {
    let mut rng = Rng(seed | 1);
    let chengdu = match polc::check_source(CHENGDU).policy {
        Some(policy) => policy,
        None => return,
    };
    for _ in 0..inputs {
        let policy_input = rng.chance(30);
        let input =
            if policy_input { mutate(SEED_POLICIES[rng.below(SEED_POLICIES.len())], &mut rng) } else { String::new() };
        let started = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if policy_input {
                fuzz_policy(&input, &mut rng, findings);
            } else {
                fuzz_batch(&chengdu, &mut rng, findings);
            }
        }));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_default();
            findings.report("panic", &input, &message);
        }
        if started.elapsed() > SLOW {
            findings.report("slow", &input, &format!("took {:?}", started.elapsed()));
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let inputs: usize = args.first().and_then(|arg| arg.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.get(1).and_then(|arg| arg.parse().ok()).unwrap_or(0x5EED_2026);
    // Panics are caught and reported as findings; the default hook would print each.
    std::panic::set_hook(Box::new(|_| {}));
    let done = AtomicUsize::new(0);
    let findings = Findings { count: AtomicUsize::new(0) };
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, usize::from).clamp(1, 8);
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let share = inputs / threads + usize::from(thread < inputs % threads);
            let (done, findings) = (&done, &findings);
            scope.spawn(move || worker(seed.wrapping_add(thread as u64 * 0x9E37_79B9), share, done, findings));
        }
        scope.spawn(|| {
            let mut last_report = Instant::now();
            while done.load(Ordering::Relaxed) < inputs {
                std::thread::sleep(Duration::from_millis(200));
                if last_report.elapsed() > Duration::from_secs(30) {
                    last_report = Instant::now();
                    eprintln!("{} inputs, {:.0} s", done.load(Ordering::Relaxed), started.elapsed().as_secs_f64());
                }
            }
        });
    });
    let found = findings.count.load(Ordering::SeqCst);
    println!(
        "fuzzed {} inputs in {:.0} s on {threads} threads (seed {seed}): {found} findings",
        done.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64()
    );
    if found > 0 {
        std::process::exit(1);
    }
}
