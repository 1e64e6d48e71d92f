//! Failures that have no place in a policy's text: a file that cannot be read, a command
//! line that asks for the impossible, a batch or ledger that cannot be used. Each has a
//! stable code beside the policy diagnostics' (`docs/diagnostics.md`), so a program
//! reading `--error-format json` can tell them apart without parsing words.

use crate::lang::Lang;
use std::fmt;

macro_rules! failure_kinds {
    ($( $variant:ident = $id:literal, $summary:literal, $chinese:literal; )*) => {
        /// What kind of failure stopped a command.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum FailureKind { $( $variant, )* }

        impl FailureKind {
            /// Every kind, in registry order.
            pub const ALL: &'static [FailureKind] = &[ $( FailureKind::$variant, )* ];

            /// The code as users see it (`E0902`).
            ///
            /// ```
            /// assert_eq!(polc::FailureKind::Read.id(), "E0902");
            /// ```
            pub fn id(self) -> &'static str {
                match self { $( FailureKind::$variant => $id, )* }
            }

            /// One line saying what the code means.
            ///
            /// ```
            /// assert_eq!(polc::FailureKind::Read.summary(), "a file cannot be read");
            /// ```
            pub fn summary(self) -> &'static str {
                match self { $( FailureKind::$variant => $summary, )* }
            }

            /// [`FailureKind::summary`] in Chinese.
            ///
            /// ```
            /// assert_eq!(polc::FailureKind::Read.summary_zh(), "文件无法读取");
            /// ```
            pub fn summary_zh(self) -> &'static str {
                match self { $( FailureKind::$variant => $chinese, )* }
            }
        }
    };
}

failure_kinds! {
    Usage = "E0901", "the command line asks for something polc cannot do", "命令行要求的操作无法执行";
    Read = "E0902", "a file cannot be read", "文件无法读取";
    Write = "E0903", "the output cannot be written", "结果无法写出";
    PolicyErrors = "E0904", "a policy the command needs has errors", "命令所需的政策有错误";
    Batch = "E0905", "the cases cannot be read as a batch", "案例数据无法作为一批读取";
    Ledger = "E0906", "the ledger cannot be opened or used", "台账无法打开或使用";
    Refused = "E0907", "a change to the ledger was refused, and nothing was changed", "对台账的修改被拒绝，台账未变";
    Case = "E0908", "the case asked for did not run", "所要求的案例未能计算";
    Problems = "E0909", "some records did not run, or some totals overflowed", "部分记录未能计算，或部分合计溢出";
    Examples = "E0910", "worked examples cannot be run, or fail", "示例无法运行或未通过";
    Server = "E0911", "the server cannot start, or stopped", "服务无法启动或已停止";
    Unformatted = "E0912", "a policy file is not in the canonical layout", "政策文件不是统一版式";
}

/// A failure with no span: its kind, and what happened in words.
///
/// It is a [`miette::Diagnostic`] with its kind's code, so an embedding application shows
/// it as it shows the policy diagnostics; the CLI renders the same value as text or JSON.
///
/// ```
/// use polc::{Failure, FailureKind};
/// let failure = Failure::new(FailureKind::Read, "cannot read `cases.jsonl`: no such file");
/// assert_eq!(failure.to_string(), "cannot read `cases.jsonl`: no such file");
/// assert_eq!(failure.json()["code"], "E0902");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// How to get past it, where that is known.
    pub help: Option<String>,
}

impl Failure {
    /// A failure of `kind`, in words.
    ///
    /// ```
    /// let failure = polc::Failure::new(polc::FailureKind::Ledger, "the ledger database: locked");
    /// assert_eq!((failure.kind.id(), failure.help), ("E0906", None));
    /// ```
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into(), help: None }
    }

    /// Adds how to get past it.
    ///
    /// ```
    /// let failure = polc::Failure::new(polc::FailureKind::Usage, "no such command").with_help("run `polc --help`");
    /// assert_eq!(failure.help.as_deref(), Some("run `polc --help`"));
    /// ```
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The failure as one JSON object: `severity`, `code`, `message` and, where known,
    /// `help`: the form `--error-format json` writes, one object per line.
    ///
    /// ```
    /// let failure = polc::Failure::new(polc::FailureKind::Usage, "no such command").with_help("run `polc --help`");
    /// assert_eq!(
    ///     failure.json().to_string(),
    ///     r#"{"severity":"error","code":"E0901","message":"no such command","help":"run `polc --help`"}"#
    /// );
    /// ```
    pub fn json(&self) -> serde_json::Value {
        let mut record = serde_json::json!({
            "severity": "error",
            "code": self.kind.id(),
            "message": self.message,
        });
        if let (Some(help), Some(fields)) = (&self.help, record.as_object_mut()) {
            fields.insert("help".into(), help.as_str().into());
        }
        record
    }

    /// The failure as a person reads it: `error: ...` in `lang`, with its help.
    ///
    /// ```
    /// let failure = polc::Failure::new(polc::FailureKind::Read, "无法读取 `a.pol`");
    /// assert_eq!(failure.human(polc::Lang::Zh), "错误：无法读取 `a.pol`");
    /// ```
    pub fn human(&self, lang: Lang) -> String {
        let mut text = match lang {
            Lang::En => format!("error: {}", self.message),
            Lang::Zh => format!("错误：{}", self.message),
        };
        if let Some(help) = &self.help {
            text.push_str(&match lang {
                Lang::En => format!("\n  help: {help}"),
                Lang::Zh => format!("\n  提示：{help}"),
            });
        }
        text
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl miette::Diagnostic for Failure {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.id()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Error)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }
}
