//! The checked policy: every name resolved to an index, every expression typed, every
//! literal a value. Free of pest types; this is what `eval` compiles.
//!
//! New policy shapes (rates paid over several years, soft caps, budget pools, ...) are
//! new variants of [`Award`], [`Cap`] or [`Key`], not changes to the ones here.

use crate::money::Date;
use crate::span::Span;
use crate::syntax::ast::{CompareOp, Function, MulOp, PeriodUnit, Sign};
use rust_decimal::Decimal;
use std::fmt;

pub type InputId = usize;
pub type EnumId = usize;
pub type ClauseIndex = usize;
pub type ArticleIndex = usize;

/// A checked policy: every name resolved, every expression typed, ready to run. Made by
/// [`crate::compile`] (or [`crate::check_source`]); the library never changes it.
///
/// ```
/// let text = include_str!("../../policies/shapes/P09-exact-fraction.pol");
/// let policy = polc::compile("p09.pol", text)?;
/// assert_eq!(policy.title, "P09 三分之一");
/// assert_eq!(policy.clauses[0].id, "1.1");
/// let inputs: Vec<_> = policy.inputs.iter().map(|input| input.name.as_str()).collect();
/// assert_eq!(inputs, ["id", "date", "applicant", "city_subsidy"]);
/// # Ok::<(), polc::PolicyReport>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub title: String,
    pub issued_by: Option<String>,
    pub interpreted_by: Option<String>,
    pub validity: Option<Validity>,
    /// The input that identifies a case, and the one that dates it.
    pub case_id: InputId,
    pub case_date: InputId,
    pub enums: Vec<EnumDef>,
    pub inputs: Vec<Input>,
    /// Named values, in declaration order: each reads only inputs and earlier values.
    pub values: Vec<NamedValue>,
    pub chapters: Vec<Chapter>,
    /// Sections (一、, （一）) in declaration order.
    pub sections: Vec<Section>,
    pub articles: Vec<Article>,
    pub gates: Vec<Gate>,
    pub clauses: Vec<Clause>,
    pub classes: Vec<Class>,
    pub caps: Vec<Cap>,
    /// Every clause's `after` and `unless` conditions, in clause order.
    pub history: Vec<HistoryRule>,
    /// The language that whatever words this policy's results (reasons, explanations,
    /// data errors, tables) writes in: English unless the caller sets it.
    pub lang: crate::lang::Lang,
    /// Fields another version of this policy declares, which its data may carry: read
    /// and set aside instead of rejected, so that two versions run on one batch
    /// (`polc diff`). Empty unless the caller sets it.
    pub also_known: Vec<String>,
}

impl Policy {
    /// "Article 5 支持企业发展壮大", for reasons and explanations; inside sections, with
    /// them: "一、支持算力建设 › （一）算力券 › Article 3 算力券".
    pub fn article_heading(&self, article: ArticleIndex) -> String {
        let Some(def) = self.articles.get(article) else { return String::new() };
        self.within_sections(article, format!("Article {} {}", def.number, def.title))
    }

    /// `heading`, an article's, inside the sections the article sits in: "一、支持算力建设 ›
    /// （一）算力券 › HEADING".
    pub fn within_sections(&self, article: ArticleIndex, heading: String) -> String {
        let Some(article) = self.articles.get(article) else { return heading };
        let mut heading = heading;
        // INVARIANT: a section's parent is declared before it, so this walk ends.
        let mut section = article.section;
        while let Some(index) = section {
            let Some(def) = self.sections.get(index) else { break };
            let mark = if def.number.starts_with(['（', '(']) { "" } else { "、" };
            heading = format!("{}{mark}{} › {heading}", def.number, def.title);
            section = def.parent.filter(|parent| *parent < index);
        }
        heading
    }

    /// "Article 5 支持企业发展壮大 › clause 5.1".
    pub fn clause_citation(&self, clause: ClauseIndex) -> String {
        let Some(checked) = self.clauses.get(clause) else { return String::new() };
        match self.articles.get(checked.article) {
            Some(_) => format!("{} › clause {}", self.article_heading(checked.article), checked.id),
            None => format!("clause {}", checked.id),
        }
    }
}

/// The days a policy is in force, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    pub from: Date,
    pub until: Date,
}

impl Validity {
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && date <= self.until
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub label: Option<String>,
    pub values: Vec<EnumValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumValue {
    pub name: String,
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: String,
    pub ty: Type,
    pub required: bool,
    /// The value a missing fact takes.
    pub default: Option<Value>,
    pub description: Option<String>,
    pub span: Span,
}

/// `value NAME = EXPR`: computed from a case's facts once, read by any rule.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedValue {
    pub name: String,
    pub expr: Expr,
    pub label: Option<String>,
}

pub type ValueId = usize;

#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    pub number: u32,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// As the policy numbers it: `一`, `（一）`.
    pub number: String,
    pub title: String,
    /// The chapter it sits in, by number.
    pub chapter: Option<u32>,
    /// The section it sits in (a `（一）` in the `一` before it).
    pub parent: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Article {
    pub number: u32,
    pub title: String,
    /// The chapter the article sits in, by number.
    pub chapter: Option<u32>,
    /// The innermost section it sits in.
    pub section: Option<usize>,
    /// 责任单位.
    pub responsible: Vec<String>,
    /// The original text, kept beside the rules.
    pub text: Option<String>,
}

/// A condition every case must meet before any clause applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub article: ArticleIndex,
    pub condition: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub id: String,
    pub title: Option<String>,
    pub article: ArticleIndex,
    pub condition: Option<Expr>,
    pub award: Award,
    pub recipients: Vec<Recipient>,
    /// `once per KEYS`: at most one award per clause and key over a batch.
    pub once: Option<Vec<Key>>,
    /// `for at most N [consecutive] years per KEYS`.
    pub years: Option<YearLimit>,
    /// `in instalments … by MILESTONES`.
    pub instalments: Option<Instalments>,
    pub subject_to_review: bool,
    /// `granted as INPUT`: where a case gives it, the amount the review granted.
    pub granted: Option<InputId>,
    pub span: Span,
}

/// An award paid as milestones are reached: the shares (adding up to 1), the integer
/// input counting the milestones reached, a condition that pays the whole at once, and
/// the keys whose earlier payments count.
#[derive(Clone, Debug, PartialEq)]
pub struct Instalments {
    pub shares: Vec<Decimal>,
    pub milestones: InputId,
    pub all_at_once: Option<Expr>,
    pub per: Vec<Key>,
}

/// `after|unless …` on a clause: its award needs (or must not have) an earlier case's
/// award of another clause, or an imported award, with the same key values.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRule {
    /// The clause whose awards it conditions.
    pub clause: ClauseIndex,
    /// `after`: needs one; `unless`: must have none.
    pub after: bool,
    pub subject: HistorySubject,
    pub per: Vec<Key>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HistorySubject {
    /// Another clause's award; `complete`: its `for at most N years` all paid.
    Clause { clause: ClauseIndex, complete: bool },
    /// An imported award with this class label.
    Imported(String),
}

/// A clause pays one key in at most `years` calendar years; `consecutive`: in one
/// unbroken run of years from the first it paid.
#[derive(Clone, Debug, PartialEq)]
pub struct YearLimit {
    pub years: u32,
    pub consecutive: bool,
    pub per: Vec<Key>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Award {
    /// A determined amount, with its own cap.
    Grant { amount: Expr, cap: Option<Expr> },
    /// Up to a maximum; the amount is set by review.
    UpTo { max: Expr },
    /// An amount the policy leaves open; `base` is what it would be a share of, `maximum`
    /// the most the policy allows; `negotiated` when it is settled case by case by design.
    Open { label: String, base: Option<Expr>, maximum: Option<Expr>, negotiated: bool },
    /// Something other than money.
    Benefit { description: String },
    /// A band a review chooses from: both ends after the cap, each rounded.
    Range { low: Expr, high: Expr, cap: Option<Expr> },
}

impl Award {
    /// The kind as results name it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Award::Grant { .. } => "grant",
            Award::UpTo { .. } => "up_to",
            Award::Open { .. } => "undetermined",
            Award::Benefit { .. } => "benefit",
            Award::Range { .. } => "range",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    pub input: InputId,
    /// The role label: `as ROLE`, or the input's name.
    pub role: String,
}

/// What a `once`, class or cap groups awards by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The entity that receives the award.
    Recipient,
    /// The tier a tier table paid.
    Tier,
    /// The calendar year of the case's date.
    Year,
    /// The value of a fact of the case.
    Input(InputId),
}

/// Among the awards of these clauses with equal keys, only the highest stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    pub name: String,
    pub label: Option<String>,
    pub article: ArticleIndex,
    pub clauses: Vec<ClauseIndex>,
    /// Class labels of imported awards that take part (never cut).
    pub imported: Vec<String>,
    pub per: Vec<Key>,
}

impl Cap {
    /// The limit an award may reach: the relaxed amount when its case meets the condition.
    pub fn limit(&self, relaxed: bool) -> Decimal {
        match (&self.relaxed, relaxed) {
            (Some((amount, _)), true) => *amount,
            _ => self.amount,
        }
    }
}

/// A ceiling on the sum of the awards of these clauses with equal keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Cap {
    pub article: ArticleIndex,
    pub amount: Decimal,
    /// `relaxed to AMOUNT when CONDITION`: the higher limit for an award whose case meets
    /// the condition.
    pub relaxed: Option<(Decimal, Expr)>,
    /// Scaled down together (按比例核减) instead of paid in batch order.
    pub pro_rata: bool,
    pub per: Vec<Key>,
    pub clauses: Vec<ClauseIndex>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Money,
    Ratio,
    Integer,
    /// A plain number that is not money: 亩, people, units.
    Quantity,
    /// Money divided by a quantity: 元 per 亩.
    PerUnit,
    Bool,
    Date,
    Text,
    Entity,
    Enum(EnumId),
}

impl Type {
    /// The built-in type called `name`.
    pub fn builtin(name: &str) -> Option<Type> {
        Some(match name {
            "money" => Type::Money,
            "ratio" => Type::Ratio,
            "integer" => Type::Integer,
            "quantity" => Type::Quantity,
            "bool" => Type::Bool,
            "date" => Type::Date,
            "text" => Type::Text,
            "entity" => Type::Entity,
            _ => return None,
        })
    }

    pub const BUILTIN_NAMES: &'static [&'static str] =
        &["money", "ratio", "integer", "quantity", "bool", "date", "text", "entity"];

    /// Whether values of this type are numbers that arithmetic and order apply to.
    pub fn is_number(self) -> bool {
        matches!(self, Type::Money | Type::Ratio | Type::Integer | Type::Quantity | Type::PerUnit)
    }
}

/// A type's name in messages, which needs the enum names.
pub struct TypeName<'a>(pub Type, pub &'a [EnumDef]);

impl fmt::Display for TypeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Type::Money => f.write_str("money"),
            Type::Ratio => f.write_str("ratio"),
            Type::Integer => f.write_str("integer"),
            Type::Quantity => f.write_str("quantity"),
            Type::PerUnit => f.write_str("money per unit"),
            Type::Bool => f.write_str("bool"),
            Type::Date => f.write_str("date"),
            Type::Text => f.write_str("text"),
            Type::Entity => f.write_str("entity"),
            Type::Enum(id) => match self.1.get(id) {
                Some(def) => write!(f, "enum `{}`", def.name),
                None => f.write_str("enum"),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Money(Decimal),
    Ratio(Decimal),
    Integer(i64),
    Quantity(Decimal),
    PerUnit(Decimal),
    Bool(bool),
    Date(Date),
    Text(String),
    Enum(EnumId, u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

impl Expr {
    /// The expressions directly inside this one, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Input(_) | ExprKind::IsPresent(_) | ExprKind::Named(_) => Vec::new(),
            ExprKind::Not(inner) | ExprKind::WithinValidity(inner) | ExprKind::DateShift(inner, _) => vec![inner],
            ExprKind::And(parts) | ExprKind::Or(parts) | ExprKind::Call(_, parts) => parts.iter().collect(),
            ExprKind::Compare(left, _, right) | ExprKind::Excess { of: left, over: right } => vec![left, right],
            ExprKind::Between { subject, low, high } => vec![subject, low, high],
            ExprKind::If { condition, then, otherwise } => vec![condition, then, otherwise],
            ExprKind::InSet { subject, .. } => vec![subject],
            ExprKind::Sum(first, terms) => {
                std::iter::once(&**first).chain(terms.iter().map(|(_, term)| term)).collect()
            }
            ExprKind::Of { ratios, base } => ratios.iter().chain(std::iter::once(&**base)).collect(),
            ExprKind::Product { first, factors } => {
                std::iter::once(&**first).chain(factors.iter().map(|(_, factor)| factor)).collect()
            }
            ExprKind::Table { subject, arms, otherwise } => std::iter::once(&**subject)
                .chain(arms.iter().map(|arm| &arm.amount))
                .chain(otherwise.as_deref())
                .collect(),
            ExprKind::Brackets { subject, arms, otherwise } => std::iter::once(&**subject)
                .chain(arms.iter().map(|arm| &arm.amount))
                .chain(otherwise.as_deref())
                .collect(),
            ExprKind::Tiers { subject, since, tiers } => std::iter::once(&**subject)
                .chain(since.as_deref())
                .chain(tiers.iter().map(|tier| &tier.amount))
                .collect(),
        }
    }

    /// The expression at or inside this one that starts at byte `at` and picks among
    /// others: a `min`, a `max` or a table by a number.
    // INVARIANT: expressions are at most `syntax::MAX_NESTING` brackets deep.
    pub fn call_at(&self, at: usize) -> Option<&Expr> {
        if self.span.start == at && matches!(self.kind, ExprKind::Call(..) | ExprKind::Brackets { .. }) {
            return Some(self);
        }
        self.children().into_iter().find_map(|child| child.call_at(at))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Value),
    Input(InputId),
    /// A named value, by its position in `Policy::values`.
    Named(ValueId),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    Between {
        subject: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    IsPresent(InputId),
    /// The subject's enum value is one of `values` (or none of them, when negated).
    InSet {
        subject: Box<Expr>,
        values: Vec<u32>,
        negated: bool,
    },
    WithinValidity(Box<Expr>),
    Sum(Box<Expr>, Vec<(Sign, Expr)>),
    /// `r1 of r2 of ... base`: the base scaled by every ratio.
    Of {
        ratios: Vec<Expr>,
        base: Box<Expr>,
    },
    /// `a * b / c`: computed as one fraction, numerators over divisors, divided once.
    Product {
        first: Box<Expr>,
        factors: Vec<(MulOp, Expr)>,
    },
    /// `min(...)` or `max(...)` of two or more values of one type.
    Call(Function, Vec<Expr>),
    /// A date moved by lengths of time: `construction_start + 12 months`.
    DateShift(Box<Expr>, Vec<(Sign, i64, PeriodUnit)>),
    /// `excess of a over b`: `a - b` where `a` is above `b`, else 0.
    Excess {
        of: Box<Expr>,
        over: Box<Expr>,
    },
    /// `if condition then a else b`: `b` also when the condition needs a missing fact.
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// An amount chosen by an enum value; `otherwise` is the `else` arm.
    Table {
        subject: Box<Expr>,
        arms: Vec<TableArm>,
        otherwise: Option<Box<Expr>>,
    },
    /// The amount of the first arm whose range holds the subject; `otherwise` is `else`.
    Brackets {
        subject: Box<Expr>,
        arms: Vec<Bracket>,
        otherwise: Option<Box<Expr>>,
    },
    /// The amount of the highest threshold reached (and, with `since`, newly crossed:
    /// `since < threshold <= subject`).
    Tiers {
        subject: Box<Expr>,
        since: Option<Box<Expr>>,
        tiers: Vec<Tier>,
    },
}

/// One range of a table by a number or date: its ends (each with whether it is
/// included; `None` is unbounded) and its amount.
#[derive(Clone, Debug, PartialEq)]
pub struct Bracket {
    pub low: Option<(Value, bool)>,
    pub high: Option<(Value, bool)>,
    pub amount: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableArm {
    pub values: Vec<u32>,
    pub amount: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    pub threshold: Value,
    pub amount: Expr,
}
