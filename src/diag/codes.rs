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
    ($( $variant:ident = $id:literal, $severity:ident, $summary:literal, $chinese:literal; )*) => {
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

            /// [`Code::summary`] in Chinese.
            pub fn summary_zh(self) -> &'static str {
                match self { $( Code::$variant => $chinese, )* }
            }
        }
    };
}

codes! {
    SyntaxError = "E0101", Error, "the text does not follow the grammar", "文本不符合语法";
    NestingTooDeep = "E0102", Error, "brackets nest deeper than polc allows", "括号嵌套层数超过 polc 允许的上限";
    BadLiteral = "E0103", Error, "a literal (date, amount, fraction) is not a valid value", "字面量（日期、金额、分数）不是有效的值";
    UnterminatedText = "E0104", Error, "a string or text block is not closed", "字符串或文本块没有闭合";
    NotUtf8 = "E0105", Error, "the file is not UTF-8 text", "文件不是 UTF-8 文本";
    UnknownName = "E0201", Error, "a name that no input, enum or built-in declares", "没有任何申报数据、枚举或内置名称叫这个名字";
    UnknownClause = "E0202", Error, "a class or cap names a clause that does not exist", "类别或上限引用了不存在的条款";
    UnknownType = "E0203", Error, "an input's type is neither built in nor a declared enum", "申报数据的类型既不是内置类型，也不是已声明的枚举";
    UnknownKey = "E0204", Error, "a `once`, class or cap key that is not a known key", "`once`、类别或上限使用了未知的分组键";
    PercentOfNonMoney = "E0301", Error, "a percentage of something that is not an amount", "对非金额的东西取百分比";
    CompareMismatch = "E0302", Error, "a comparison between values of different types", "比较了不同类型的值";
    CapNotMoney = "E0303", Error, "a `max` or `cap` amount that is not money", "`max` 或 `cap` 的上限不是金额";
    RecipientNotEntity = "E0304", Error, "a recipient that is not an entity input", "受益方不是主体类型的申报数据";
    ConditionNotBool = "E0305", Error, "a condition that is not true or false", "条件不是“是/否”";
    NotInEnum = "E0306", Error, "a value that its enum does not list", "枚举中没有这个取值";
    TiersNotAscending = "E0307", Error, "tier thresholds that do not strictly ascend", "档次门槛没有严格递增";
    TableMissesValue = "E0308", Error, "a table by enum that has no amount for some value", "按枚举分档的表缺少某些取值的金额";
    TypeMismatch = "E0309", Error, "a value of the wrong type for its place", "值的类型与所在位置不符";
    NotAnEnum = "E0310", Error, "`is`, `in` or a table on something that is not an enum", "对非枚举使用了 `is`、`in` 或分档表";
    DuplicateClause = "E0401", Error, "two clauses with the same id", "两个条款编号相同";
    DuplicateInput = "E0402", Error, "two inputs with the same name", "两项申报数据同名";
    DuplicateEnumValue = "E0403", Error, "an enum, or a value within one, declared twice", "枚举或其取值重复声明";
    DuplicateArticle = "E0404", Error, "two articles with the same number", "两条的编号相同";
    ClauseShape = "E0405", Error, "a clause that lacks a part it needs, or repeats one", "条款缺少必需的部分，或某部分重复";
    PolicyHeader = "E0406", Error, "the policy header is missing, repeated or incomplete", "政策头部缺失、重复或不完整";
    ClauseOutsideArticle = "E0407", Error, "a clause id that does not start with its article's number", "条款编号不以所在条的编号开头";
    UnusedInput = "W0001", Warning, "an input that no rule reads", "有申报数据没有被任何规则使用";
    OpenAmount = "W0002", Warning, "an amount the policy leaves open", "政策未明确的金额";
    PercentAbove100 = "W0003", Warning, "a percentage above 100%", "百分比超过 100%";
    CapBelowAmount = "W0004", Warning, "a cap below the fixed amount it caps", "上限低于它所限制的固定金额";
    DateOutsideValidity = "W0005", Warning, "a date outside the policy's validity", "日期不在政策有效期内";
    NegotiatedAmount = "W0006", Warning, "an amount negotiated case by case (一事一议)", "一事一议的金额";
    UnguardedSubtraction = "W0007", Warning, "a subtraction in an amount that can go below zero", "金额中的减法可能得到负数";
    DeadClause = "W0008", Warning, "a clause that can never apply", "永远不会适用的条款";
}
