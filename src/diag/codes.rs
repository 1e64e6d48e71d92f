//! The registry of diagnostic codes: one place that lists every code polc can emit.
//!
//! `E01xx` syntax, `E02xx` names, `E03xx` types, `E04xx` structure, `Wxxxx` warnings.
//! `tests/diagnostics.rs` fails when a code has no entry in `docs/diagnostics.md` or no
//! failing example under `tests/diagnostics/`.

/// Whether a diagnostic stops the policy from being used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($( $variant:ident = $id:literal, $severity:ident, $summary:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as users see it (`E0301`).
            pub fn id(self) -> &'static str {
                match self { $( Code::$variant => $id, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    SyntaxError = "E0101", Error, "the text does not follow the grammar";
    NestingTooDeep = "E0102", Error, "brackets nest deeper than polc allows";
    BadLiteral = "E0103", Error, "a literal (date, amount, fraction) is not a valid value";
    UnterminatedText = "E0104", Error, "a string or text block is not closed";
    NotUtf8 = "E0105", Error, "the file is not UTF-8 text";
    UnknownName = "E0201", Error, "a name that no input, enum or built-in declares";
    UnknownClause = "E0202", Error, "a class or cap names a clause that does not exist";
    UnknownType = "E0203", Error, "an input's type is neither built in nor a declared enum";
    UnknownKey = "E0204", Error, "a `once`, class or cap key that is not a known key";
    PercentOfNonMoney = "E0301", Error, "a percentage of something that is not an amount";
    CompareMismatch = "E0302", Error, "a comparison between values of different types";
    CapNotMoney = "E0303", Error, "a `max` or `cap` amount that is not money";
    RecipientNotEntity = "E0304", Error, "a recipient that is not an entity input";
    ConditionNotBool = "E0305", Error, "a condition that is not true or false";
    NotInEnum = "E0306", Error, "a value that its enum does not list";
    TiersNotAscending = "E0307", Error, "tier thresholds that do not strictly ascend";
    TableMissesValue = "E0308", Error, "a table by enum that has no amount for some value";
    TypeMismatch = "E0309", Error, "a value of the wrong type for its place";
    NotAnEnum = "E0310", Error, "`is`, `in` or a table on something that is not an enum";
    DuplicateClause = "E0401", Error, "two clauses with the same id";
    DuplicateInput = "E0402", Error, "two inputs with the same name";
    DuplicateEnumValue = "E0403", Error, "an enum, or a value within one, declared twice";
    DuplicateArticle = "E0404", Error, "two articles with the same number";
    ClauseShape = "E0405", Error, "a clause that lacks a part it needs, or repeats one";
    PolicyHeader = "E0406", Error, "the policy header is missing, repeated or incomplete";
    ClauseOutsideArticle = "E0407", Error, "a clause id that does not start with its article's number";
    UnusedInput = "W0001", Warning, "an input that no rule reads";
    OpenAmount = "W0002", Warning, "an amount the policy leaves open";
    PercentAbove100 = "W0003", Warning, "a percentage above 100%";
    CapBelowAmount = "W0004", Warning, "a cap below the fixed amount it caps";
    DateOutsideValidity = "W0005", Warning, "a date outside the policy's validity";
    NegotiatedAmount = "W0006", Warning, "an amount negotiated case by case (一事一议)";
    UnguardedSubtraction = "W0007", Warning, "a subtraction in an amount that can go below zero";
}
