//! Diagnostics: errors and warnings with a position in a source file, rendered for people
//! (with `miette`, showing the source line) or as JSON.
//!
//! Secrets must never reach a terminal or a log through a diagnostic, so a snippet of the
//! source is shown only for files that hold no secrets, and never for a line that assigns a
//! secret-bearing field (a password hash, a digest, a key) even in a policy.

use core::ops::Range;
use std::fmt;
use std::io::IsTerminal;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceSpan, SpanContents,
};
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The input is refused.
    Error,
    /// The input is accepted, but probably not what the author meant.
    Warning,
}

/// One error or warning about a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one line. Never contains a secret value.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Byte range of the offending value in the source, if known.
    pub span: Option<Range<usize>>,
    /// Short text under the highlighted span.
    pub label: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    #[must_use]
    pub fn error(span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, message: message.into(), help: None, span, label: None }
    }

    /// A warning at `span`.
    #[must_use]
    pub fn warning(span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, message: message.into(), help: None, span, label: None }
    }

    /// The same diagnostic with a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic with a label under the span.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Whether this is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether a source file may be quoted in diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snippets {
    /// Quote lines, except lines that assign a secret-bearing field.
    Allowed,
    /// Never quote (keys files and case files hold secrets on purpose).
    Never,
}

/// A source file: its display name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown in diagnostics (the path as the user gave it).
    pub name: String,
    /// The whole text.
    pub text: String,
    /// Whether lines may be quoted.
    pub snippets: Snippets,
}

/// Field names whose values are secrets or secret-derived; their lines are never quoted.
const SENSITIVE_FIELDS: &[&str] = &[
    "basic_password",
    "api_key_sha256",
    "secret",
    "secret_hex",
    "secret_b64",
    "password",
    "api_key",
    "token",
    "authorization",
];

impl SourceFile {
    /// A source file.
    #[must_use]
    pub fn new(name: impl Into<String>, text: impl Into<String>, snippets: Snippets) -> Self {
        Self { name: name.into(), text: text.into(), snippets }
    }

    /// 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count().saturating_add(1);
        let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()).saturating_add(1);
        (line, col)
    }

    /// The text of the line holding `offset`.
    fn line_at(&self, offset: usize) -> &str {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let start = self.text.get(..offset).and_then(|s| s.rfind('\n')).map_or(0, |i| i.saturating_add(1));
        let rest = self.text.get(start..).unwrap_or("");
        rest.split('\n').next().unwrap_or("")
    }

    fn may_quote(&self, span: &Range<usize>) -> bool {
        if self.snippets == Snippets::Never {
            return false;
        }
        let line = self.line_at(span.start).trim_start().to_ascii_lowercase();
        let key: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        !SENSITIVE_FIELDS.contains(&key.as_str())
            && !SENSITIVE_FIELDS.iter().any(|f| line.starts_with(&format!("\"{f}\"")))
            && !line.contains("$pbkdf2")
    }

    /// Renders a diagnostic for a person: the message, `file:line:col`, the source line when
    /// it may be quoted, and the help.
    #[must_use]
    pub fn render(&self, d: &Diagnostic, color: bool) -> String {
        match &d.span {
            Some(span) if self.may_quote(span) => self.render_miette(d, span, color),
            _ => self.render_plain(d),
        }
    }

    fn render_plain(&self, d: &Diagnostic) -> String {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{kind}: {}\n", d.message);
        match &d.span {
            Some(span) => {
                let (line, col) = self.line_col(span.start);
                out.push_str(&format!("  --> {}:{line}:{col}\n", self.name));
            }
            None => out.push_str(&format!("  --> {}\n", self.name)),
        }
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out
    }

    fn render_miette(&self, d: &Diagnostic, span: &Range<usize>, color: bool) -> String {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1).with_width(120).with_links(false);
        // Only the first line of the span is ever shown (see `OneLine`).
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let line_end =
            self.text.get(start..).and_then(|r| r.find('\n')).map_or(self.text.len(), |i| start.saturating_add(i));
        let end = floor_char_boundary(&self.text, span.end.clamp(start, line_end));
        let report = MietteReport {
            message: d.message.clone(),
            help: d.help.clone(),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: OneLine { name: self.name.clone(), text: self.text.clone() },
            label: LabeledSpan::new_with_span(d.label.clone(), SourceSpan::from(start..end)),
        };
        let mut out = String::new();
        if handler.render_report(&mut out, &report).is_err() {
            return self.render_plain(d);
        }
        out
    }

    /// The JSON form of a diagnostic.
    #[must_use]
    pub fn to_json(&self, d: &Diagnostic) -> JsonDiagnostic {
        let (line, column) = match &d.span {
            Some(span) => {
                let (l, c) = self.line_col(span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        JsonDiagnostic { message: d.message.clone(), file: self.name.clone(), line, column, help: d.help.clone() }
    }
}

/// Largest char boundary at or below `i`.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i = i.saturating_sub(1);
    }
    i
}

/// `{"message","file","line","column","help"}` as `warden check --json` prints it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonDiagnostic {
    /// What is wrong.
    pub message: String,
    /// File name as given.
    pub file: String,
    /// 1-based line, if the diagnostic has a position.
    pub line: Option<usize>,
    /// 1-based column (characters), if the diagnostic has a position.
    pub column: Option<usize>,
    /// What to do about it.
    pub help: Option<String>,
}

/// A file's diagnostics, ready to print or serialize.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file they are about.
    pub file: SourceFile,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors and the warnings as JSON objects (`--json` of `check` and `compile`).
    #[must_use]
    pub fn to_json(&self) -> (Vec<JsonDiagnostic>, Vec<JsonDiagnostic>) {
        let (errors, warnings): (Vec<_>, Vec<_>) = self.diagnostics.iter().partition(|d| d.is_error());
        let json = |list: Vec<&Diagnostic>| list.into_iter().map(|d| self.file.to_json(d)).collect();
        (json(errors), json(warnings))
    }

    /// Prints every diagnostic to stderr, then a count line.
    pub fn eprint(&self) {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for d in &self.diagnostics {
            err!("{}", self.file.render(d, color));
        }
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = self.diagnostics.len().saturating_sub(errors);
        if errors > 0 || warnings > 0 {
            errln!("{}: {}, {}", self.file.name, plural(errors, "error"), plural(warnings, "warning"));
        }
    }
}

/// `1 error`, `2 warnings`.
#[must_use]
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("{n} {what}") } else { format!("{n} {what}s") }
}

#[derive(Debug)]
struct MietteReport {
    message: String,
    help: Option<String>,
    severity: miette::Severity,
    source: OneLine,
    label: LabeledSpan,
}

/// Source code that shows exactly the line holding a span, never its neighbours (which may
/// hold secrets the diagnostic is not about).
#[derive(Debug)]
struct OneLine {
    name: String,
    text: String,
}

impl miette::SourceCode for OneLine {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset().min(self.text.len());
        let end = start.saturating_add(span.len()).min(self.text.len());
        let line_start = self.text.get(..start).and_then(|s| s.rfind('\n')).map_or(0, |i| i.saturating_add(1));
        let line = self.text.get(..line_start).map_or(0, |s| s.matches('\n').count());
        if before == 0 && after == 0 {
            // The handler asks for the bare span to print `file:line:col`.
            let column = self.text.get(line_start..start).map_or(0, |s| s.chars().count());
            let data = self.text.as_bytes().get(start..end).ok_or(MietteError::OutOfBounds)?;
            return Ok(Box::new(MietteSpanContents::new_named(self.name.clone(), data, *span, line, column, 1)));
        }
        // Context requested: the span's own line(s) only, never the neighbours.
        let line_end =
            self.text.get(end..).and_then(|s| s.find('\n')).map_or(self.text.len(), |i| end.saturating_add(i));
        let data = self.text.as_bytes().get(line_start..line_end).ok_or(MietteError::OutOfBounds)?;
        let lines = data.iter().filter(|&&c| c == b'\n').count().saturating_add(1);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::from(line_start..line_end),
            line,
            0,
            lines,
        )))
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(core::iter::once(self.label.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new("p.toml", "a = 1\nbé = \"x\"\n", Snippets::Allowed);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(f.line_col(12), (2, 6));
    }

    #[test]
    fn secret_lines_are_never_quoted() {
        let text = "basic_password = \"hunter2\"\nname = \"x\"\n";
        let f = SourceFile::new("p.toml", text, Snippets::Allowed);
        let d = Diagnostic::error(Some(18..25), "looks like a plaintext password");
        let out = f.render(&d, false);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("p.toml:1:19"), "{out}");
        let d = Diagnostic::error(Some(34..37), "bad name").with_help("fix it");
        let out = f.render(&d, false);
        assert!(out.contains("name = \"x\""), "{out}");
        assert!(out.contains("p.toml:2:8"), "{out}");
    }

    #[test]
    fn files_without_snippets_show_only_positions() {
        let f = SourceFile::new("k.toml", "id = \"a\"\nsecret_hex = \"00\"\n", Snippets::Never);
        let out = f.render(&Diagnostic::error(Some(0..2), "oops"), false);
        assert!(!out.contains("id = "), "{out}");
        assert!(out.contains("k.toml:1:1"));
    }
}
