//! The parsed tree: what the analyst wrote, with a span on every node. Names are not yet
//! resolved and nothing is typed; that is the checker's job.

use crate::money::Date;
use crate::span::Span;
use rust_decimal::Decimal;

/// A parsed policy file: its top-level items in source order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Policy(PolicyHeader),
    Chapter(Chapter),
    Section(Section),
    Enum(EnumDecl),
    Input(InputDecl),
    Value(ValueDecl),
    Article(Article),
}

/// `value NAME = EXPR ["label"]`: a value computed from a case's facts, defined once.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueDecl {
    pub name: Name,
    pub expr: Expr,
    pub label: Option<Text>,
    pub span: Span,
}

/// A name as written (ASCII or Chinese).
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A string literal's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyHeader {
    pub title: Text,
    pub issued_by: Option<Text>,
    pub interpreted_by: Option<Text>,
    pub validity: Option<Validity>,
    /// `cases identified by ID, dated by DATE`.
    pub cases: Option<(Name, Name)>,
    /// `allow W0002, ...`: warnings the policy expects.
    pub allowed: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Validity {
    pub from: Date,
    pub length: ValidityLength,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValidityLength {
    For { count: u32, unit: PeriodUnit },
    Until(Date),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodUnit {
    Years,
    Months,
    Days,
}

impl PeriodUnit {
    /// The unit a grammar unit word names (`year`, `years`, `month`, ... `days`).
    pub fn from_word(word: &str) -> PeriodUnit {
        if word.starts_with("year") {
            PeriodUnit::Years
        } else if word.starts_with("month") {
            PeriodUnit::Months
        } else {
            PeriodUnit::Days
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    pub number: u32,
    pub title: Text,
    pub span: Span,
}

/// `section 一 "title"` or, inside one, `section （一） "title"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// As written: `一`, `（一）`.
    pub number: Name,
    pub title: Text,
    pub span: Span,
}

impl Section {
    /// 1 for `一`, 2 for a bracketed `（一）`, which sits inside the `一` before it.
    pub fn level(&self) -> u8 {
        if self.number.text.starts_with(['（', '(']) {
            2
        } else {
            1
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Name,
    pub label: Option<Text>,
    pub values: Vec<EnumValueDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumValueDecl {
    pub name: Name,
    pub label: Option<Text>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InputDecl {
    pub name: Name,
    pub ty: Name,
    pub required: bool,
    /// The value a missing fact takes (a literal).
    pub default: Option<Expr>,
    pub description: Option<Text>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Article {
    pub number: u32,
    pub number_span: Span,
    pub title: Text,
    pub parts: Vec<ArticlePart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArticlePart {
    Responsible(Vec<Text>),
    Original(Text),
    Clause(Clause),
    Gate(Expr),
    Class(ClassDecl),
    Cap(CapDecl),
}

/// A clause id as written (`5.1`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClauseRef {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub id: ClauseRef,
    pub title: Option<Text>,
    pub parts: Vec<ClausePart>,
    pub span: Span,
}

/// The parts of a clause, in any order; the checker says which are missing or repeated.
#[derive(Clone, Debug, PartialEq)]
pub enum ClausePart {
    When(Expr),
    Award(Award, Span),
    To(Vec<Recipient>, Span),
    Once(Vec<Name>, Span),
    /// `for at most N [consecutive] years [per KEYS]`.
    Years(YearLimit, Span),
    /// `after|unless CLAUSE|imported "LABEL" [complete] [per KEYS]`.
    History(HistoryPart, Span),
    /// `in instalments SHARE, … by MILESTONES [all at once when COND] [per KEYS]`.
    Instalments(InstalmentPart, Span),
    /// `subject to review [granted as INPUT]`.
    Review(Option<Name>, Span),
}

impl ClausePart {
    pub fn span(&self) -> Span {
        match self {
            ClausePart::When(expr) => expr.span,
            ClausePart::Award(_, span)
            | ClausePart::To(_, span)
            | ClausePart::Once(_, span)
            | ClausePart::Years(_, span)
            | ClausePart::History(_, span)
            | ClausePart::Instalments(_, span)
            | ClausePart::Review(_, span) => *span,
        }
    }
}

/// An award paid in instalments as milestones are reached.
#[derive(Clone, Debug, PartialEq)]
pub struct InstalmentPart {
    /// Each instalment's share of the award.
    pub shares: Vec<Expr>,
    /// The integer input that counts the milestones reached.
    pub milestones: Name,
    /// `all at once when COND`.
    pub all_at_once: Option<Expr>,
    pub keys: Vec<Name>,
}

/// A condition on what earlier cases received.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPart {
    /// `after` (needs it) rather than `unless` (must not have it).
    pub after: bool,
    pub subject: HistorySubject,
    /// `complete`: the other clause's schedule for the key is complete.
    pub complete: Option<Span>,
    pub keys: Vec<Name>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HistorySubject {
    Clause(ClauseRef),
    Imported(Text),
}

/// How many calendar years a clause pays one key in.
#[derive(Clone, Debug, PartialEq)]
pub struct YearLimit {
    /// As written: the checker says whether it is a usable count.
    pub count: Name,
    pub consecutive: bool,
    pub keys: Vec<Name>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Award {
    /// `award EXPR [max EXPR]`.
    Grant { amount: Expr, cap: Option<Expr> },
    /// `award up to EXPR`: the amount is set by review, up to a maximum.
    UpTo(Expr),
    /// `award open|negotiated "label" [of EXPR] [max EXPR]`: the policy leaves the amount
    /// open, until implementation rules fix it or (`negotiated`) case by case by design.
    Open { label: Text, base: Option<Expr>, maximum: Option<Expr>, negotiated: bool },
    /// `award benefit "what"`: not money.
    Benefit(Text),
    /// `award between LOW and HIGH [max CAP]`: a band a review chooses from.
    Range { low: Expr, high: Expr, cap: Option<Expr> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recipient {
    pub input: Name,
    pub role: Option<Name>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassDecl {
    pub name: Name,
    pub label: Option<Text>,
    pub clauses: Vec<ClauseRef>,
    /// `and imported "LABEL", …`: class labels of imported awards.
    pub imported: Vec<Text>,
    pub per: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CapDecl {
    pub amount: Expr,
    /// `relaxed to AMOUNT when CONDITION`.
    pub relaxed: Option<(Expr, Expr)>,
    /// `pro rata`: scaled down together instead of paid in order.
    pub pro_rata: bool,
    pub per: Vec<Name>,
    pub clauses: Vec<ClauseRef>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Equal,
    NotEqual,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Less => "<",
            CompareOp::LessEqual => "<=",
            CompareOp::Greater => ">",
            CompareOp::GreaterEqual => ">=",
            CompareOp::Equal => "=",
            CompareOp::NotEqual => "!=",
        }
    }
}

/// The operators of a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulOp {
    Of,
    Times,
    Over,
}

impl MulOp {
    pub fn symbol(self) -> &'static str {
        match self {
            MulOp::Of => "of",
            MulOp::Times => "*",
            MulOp::Over => "/",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Plus,
    Minus,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    /// `x between low and high`, both ends included.
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    IsPresent(Box<Expr>),
    /// `x is v`, `x is not v`, `x in {a, b}`, `x not in {a, b}`.
    InSet {
        subject: Box<Expr>,
        values: Vec<Name>,
        negated: bool,
    },
    WithinValidity(Box<Expr>),
    /// `a + b - c`: the first term, then signed terms.
    Sum(Box<Expr>, Vec<(Sign, Expr)>),
    /// `10% of a of b`: a chain of `of`.
    Of(Vec<Expr>),
    /// `a * b / c`, possibly with `of` among them: the first factor, then each operator
    /// and factor, left to right.
    Product(Box<Expr>, Vec<(MulOp, Expr)>),
    /// `三分之一`: a fraction with no exact decimal, kept as numerator and denominator.
    Fraction(u64, u64),
    /// A plain number with a decimal point: a quantity.
    Quantity(Decimal),
    /// `min(a, b, ...)` or `max(a, b, ...)`.
    Call(Function, Vec<Expr>),
    /// `if condition then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `excess of a over b`: `a - b`, or 0 where `a` is not above `b`.
    Excess(Box<Expr>, Box<Expr>),
    /// `12 months`: a length of time, which only shifts a date.
    Duration(i64, PeriodUnit),
    Money(Decimal),
    /// A percentage or Chinese fraction, already as a ratio (`10%` is 0.1).
    Ratio(Decimal),
    Integer(i64),
    Bool(bool),
    Date(Date),
    Name(Name),
    /// `by ENUM_INPUT { v1, v2 => amount  else => amount }`.
    Table {
        subject: Name,
        arms: Vec<Arm>,
    },
    /// `by X { [a..b] => amount  > b => amount  else => amount }`: the amount of the first
    /// arm whose range holds X.
    Brackets {
        subject: Box<Expr>,
        arms: Vec<BracketArm>,
    },
    /// `tiers of X [crossed since Y] { threshold => amount ... }`.
    Tiers {
        subject: Box<Expr>,
        since: Option<Box<Expr>>,
        rows: Vec<TierRow>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    /// `None` for the `else` arm.
    pub values: Option<Vec<Name>>,
    pub amount: Expr,
    pub span: Span,
}

/// One arm of a table `by` a number or date.
#[derive(Clone, Debug, PartialEq)]
pub struct BracketArm {
    pub head: BracketHead,
    pub amount: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BracketHead {
    Else,
    /// Enum value names, which a table by a number cannot use (the checker says so).
    Names(Vec<Name>),
    /// The range's ends, each with whether it is included; `None` is unbounded.
    Range {
        low: Option<(Expr, bool)>,
        high: Option<(Expr, bool)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TierRow {
    pub threshold: Expr,
    pub amount: Expr,
    pub span: Span,
}

/// A function of the language: each takes two or more values of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    /// The least of its arguments (`min`): the least of several limits.
    Min,
    /// The greatest of its arguments (`max`).
    Max,
    /// The calendar year of a date (`year(date)`), an integer.
    Year,
}

impl Function {
    /// The name a policy writes.
    pub fn name(self) -> &'static str {
        match self {
            Function::Min => "min",
            Function::Max => "max",
            Function::Year => "year",
        }
    }
}

/// How a range is written, from its ends as text: `[a..b]`, `(a..b]`, `> a`, `<= b`, or
/// `a` for a single value. The formatter and the explanations both write ranges this way.
pub fn range_text(low: Option<(&str, bool)>, high: Option<(&str, bool)>) -> String {
    match (low, high) {
        (Some((low, true)), Some((high, true))) if low == high => low.to_string(),
        (Some((low, low_in)), Some((high, high_in))) => {
            format!("{}{low}..{high}{}", if low_in { "[" } else { "(" }, if high_in { "]" } else { ")" })
        }
        (Some((low, true)), None) => format!(">= {low}"),
        (Some((low, false)), None) => format!("> {low}"),
        (None, Some((high, true))) => format!("<= {high}"),
        (None, Some((high, false))) => format!("< {high}"),
        (None, None) => "else".to_string(),
    }
}

/// How a length of time is written: `12 months`, `1 year`.
pub fn duration_text(count: i64, unit: PeriodUnit) -> String {
    let word = match unit {
        PeriodUnit::Years => "year",
        PeriodUnit::Months => "month",
        PeriodUnit::Days => "day",
    };
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}
