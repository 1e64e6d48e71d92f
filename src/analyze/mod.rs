//! Analysis: what a checked policy implies before any case is run, and how two versions
//! of a policy differ.
//!
//! Input: checked policies (and, for `diff`, optionally a batch of cases). Output: reports
//! as data, worded by the CLI. Every finding that claims something of the cases is either
//! proved (a bound the evaluator can never pass, a condition no case can meet) or shown
//! by a case the evaluator itself runs; what cannot be settled is reported as unknown.

/// `polc bounds`: amounts, totals per recipient, dead clauses, overlaps.
pub mod bounds;
/// `polc diff`: what changed between two versions, and what it does to a batch.
pub mod diff;
/// What conditions say of each input's values.
pub mod domain;
/// Interval arithmetic over amounts.
pub mod range;
/// Cases built to show a finding, and run.
pub mod witness;
