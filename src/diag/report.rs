//! The miette view of diagnostics: what an application embedding polc renders with its
//! own [`miette`] handler. It reads the same [`Diagnostic`] values as the renderings in
//! [`super::render`], with the policy's name and text attached once and shared.

use super::{Diagnostic, Severity};
use crate::lang::Lang;
use miette::{LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::sync::Arc;

/// A policy's name and text, shared by every diagnostic found in it.
type SharedSource = Arc<NamedSource<String>>;

/// One diagnostic with the policy it was found in, as a [`miette::Diagnostic`].
///
/// ```
/// let text = r#"
/// policy "示例政策"
///   valid from 2024-02-17 for 3 years
///   cases identified by id, dated by date
/// input id: text required
/// input date: date required
/// input applicant: entity required
/// input contract_amount: money
/// article 1 "支持"
///   clause 1.1
///     award 10% of contract_amout
///     to applicant
/// "#;
/// let report = polc::PolicyReport::new("p.pol", text, polc::check_source(text).diagnostics);
/// let first = report.diagnostics().find(|found| found.diagnostic().is_error()).unwrap();
/// assert_eq!(miette::Diagnostic::code(first).unwrap().to_string(), "E0201");
/// assert_eq!(first.to_string(), "no input is called `contract_amout`");
/// let help = miette::Diagnostic::help(first).unwrap().to_string();
/// assert_eq!(help, "did you mean `contract_amount`?");
/// ```
#[derive(Clone, Debug)]
pub struct Located {
    diagnostic: Diagnostic,
    source: SharedSource,
    lang: Lang,
}

impl Located {
    /// The diagnostic itself: its code, spans, words and fixes.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// let report = polc::PolicyReport::new("E0201.pol", text, diagnostics);
    /// let codes: Vec<_> = report.diagnostics().map(|found| found.diagnostic().code.id()).collect();
    /// assert_eq!(codes, ["W0001", "E0201"]);
    /// ```
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.words(self.lang).0)
    }
}

impl std::error::Error for Located {}

impl miette::Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.id()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let (_, _, help) = self.diagnostic.words(self.lang);
        help.map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, primary, _) = self.diagnostic.words(self.lang);
        let span = self.diagnostic.primary.span;
        let primary = LabeledSpan::new_primary_with_span(Some(primary), span.start..span.end);
        let notes = self.diagnostic.secondary.iter().enumerate().map(|(index, label)| {
            let words = self.diagnostic.note_words(index, self.lang).to_string();
            LabeledSpan::new_with_span(Some(words), label.span.start..label.span.end)
        });
        Some(Box::new(std::iter::once(primary).chain(notes)))
    }
}

/// Every diagnostic of one policy text, as one [`miette::Diagnostic`] whose related
/// diagnostics are the findings: the error [`crate::compile`] returns. Its message
/// counts the errors and warnings; a miette handler shows each finding under it with its
/// code, spans and help.
///
/// ```
/// let text = r#"
/// policy "示例政策"
///   valid from 2024-02-17 for 3 years
///   cases identified by id, dated by date
/// input id: text required
/// input date: date required
/// input applicant: entity required
/// input contract_amount: money
/// article 1 "支持"
///   clause 1.1
///     award 10% of contract_amout
///     to applicant
/// "#;
/// let error = polc::compile("p.pol", text).unwrap_err();
/// assert_eq!(error.to_string(), "`p.pol` has 1 error and 1 warning");
/// assert_eq!(error.error_count(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct PolicyReport {
    name: String,
    diagnostics: Vec<Located>,
    lang: Lang,
}

impl PolicyReport {
    /// `diagnostics` found in `text`, named `name`, in English.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// let report = polc::PolicyReport::new("E0201.pol", text, diagnostics);
    /// assert_eq!(report.to_string(), "`E0201.pol` has 1 error and 1 warning");
    /// ```
    pub fn new(name: &str, text: &str, diagnostics: Vec<Diagnostic>) -> Self {
        Self::in_lang(name, text, diagnostics, Lang::En)
    }

    /// [`PolicyReport::new`], with the words in `lang`.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// let report = polc::PolicyReport::in_lang("E0201.pol", text, diagnostics, polc::Lang::Zh);
    /// assert_eq!(report.to_string(), "`E0201.pol` 有 1 个错误、1 个警告");
    /// let error = report.diagnostics().nth(1).unwrap();
    /// assert_eq!(error.to_string(), "没有名为 `contract_amout` 的申报数据");
    /// ```
    pub fn in_lang(name: &str, text: &str, diagnostics: Vec<Diagnostic>, lang: Lang) -> Self {
        let source = Arc::new(NamedSource::new(name, text.to_string()).with_language("polc"));
        let diagnostics = diagnostics
            .into_iter()
            .map(|diagnostic| Located { diagnostic, source: Arc::clone(&source), lang })
            .collect();
        PolicyReport { name: name.to_string(), diagnostics, lang }
    }

    /// Each finding, in source order.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// let report = polc::PolicyReport::new("E0201.pol", text, diagnostics);
    /// let starts: Vec<_> = report.diagnostics().map(|found| found.diagnostic().primary.span.start).collect();
    /// assert!(starts.windows(2).all(|pair| pair[0] <= pair[1]));
    /// ```
    pub fn diagnostics(&self) -> impl Iterator<Item = &Located> {
        self.diagnostics.iter()
    }

    /// How many findings are errors.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// assert_eq!(polc::PolicyReport::new("E0201.pol", text, diagnostics).error_count(), 1);
    /// ```
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|located| located.diagnostic.is_error()).count()
    }

    /// How many findings are warnings.
    ///
    /// ```
    /// # let text = include_str!("../../tests/diagnostics/E0201.pol");
    /// # let diagnostics = polc::check_source(text).diagnostics;
    /// assert_eq!(polc::PolicyReport::new("E0201.pol", text, diagnostics).warning_count(), 1);
    /// ```
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (errors, warnings) = (self.error_count(), self.warning_count());
        let plural = |count: usize| if count == 1 { "" } else { "s" };
        match self.lang {
            Lang::En => {
                write!(f, "`{}` has {errors} error{}", self.name, plural(errors))?;
                if warnings > 0 {
                    write!(f, " and {warnings} warning{}", plural(warnings))?;
                }
                Ok(())
            }
            Lang::Zh => write!(f, "`{}` 有 {errors} 个错误、{warnings} 个警告", self.name),
        }
    }
}

impl std::error::Error for PolicyReport {}

impl miette::Diagnostic for PolicyReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(super::failure::FailureKind::PolicyErrors.id()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(self.diagnostics.iter().map(|located| located as &dyn miette::Diagnostic)))
    }
}
