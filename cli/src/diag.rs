//! Diagnostics: errors and warnings with a position in a source file, rendered for people
//! (in the style of rustc: the message, `file:line:col`, the source line with the value
//! underlined, the help) or as JSON. Help lines are never wrapped, so a name in them is never
//! cut in two.
//!
//! Secrets must never reach a terminal or a log through a diagnostic, so a snippet of the
//! source is shown only for files that hold no secrets, and never for a line that assigns a
//! secret-bearing field (a password hash, a digest, a key) even in a policy.

use core::ops::Range;
use std::io::IsTerminal;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The input is refused.
    Error,
    /// The input is accepted, but probably not what the author meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    #[must_use]
    pub const fn word(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
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
            Some(span) if self.may_quote(span) => self.render_snippet(d, span, color),
            _ => self.render_plain(d),
        }
    }

    fn render_plain(&self, d: &Diagnostic) -> String {
        let mut out = format!("{}: {}\n", d.severity.word(), d.message);
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

    /// The plain form plus the span's own line (never its neighbours, which may hold secrets
    /// the diagnostic is not about), the value underlined with `^`.
    fn render_snippet(&self, d: &Diagnostic, span: &Range<usize>, color: bool) -> String {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let (line_no, col) = self.line_col(start);
        let source_line = self.line_at(start);
        let line_start = start.saturating_sub(col.saturating_sub(1));
        let line_start = floor_char_boundary(&self.text, line_start.min(start));
        // Only the part of the span on its first line is underlined.
        let end = floor_char_boundary(&self.text, span.end.clamp(start, line_start.saturating_add(source_line.len())));
        let width = self.text.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        let (paint, reset) = match (color, d.severity) {
            (false, _) => ("", ""),
            (true, Severity::Error) => ("\x1b[1;31m", "\x1b[0m"),
            (true, Severity::Warning) => ("\x1b[1;33m", "\x1b[0m"),
        };
        let gutter = " ".repeat(line_no.to_string().len());
        let mut out = format!("{paint}{}{reset}: {}\n", d.severity.word(), d.message);
        out.push_str(&format!("{gutter}--> {}:{line_no}:{col}\n", self.name));
        out.push_str(&format!("{gutter} |\n"));
        // Tabs would move the underline: show them as one space each.
        out.push_str(&format!("{line_no} | {}\n", source_line.replace('\t', " ")));
        let label = d.label.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
        out.push_str(&format!(
            "{gutter} | {}{paint}{}{label}{reset}\n",
            " ".repeat(col.saturating_sub(1)),
            "^".repeat(width)
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("{gutter} = help: {help}\n"));
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

    /// Prints every diagnostic to stderr.
    pub fn eprint_diagnostics(&self) {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for d in &self.diagnostics {
            err!("{}", self.file.render(d, color));
        }
    }

    /// `FILE: N errors, M warnings`.
    #[must_use]
    pub fn summary(&self) -> String {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = self.diagnostics.len().saturating_sub(errors);
        format!("{}: {}, {}", self.file.name, plural(errors, "error"), plural(warnings, "warning"))
    }

    /// Prints every diagnostic to stderr, then the [`Report::summary`] line (when there is
    /// any diagnostic).
    pub fn eprint(&self) {
        self.eprint_diagnostics();
        if !self.diagnostics.is_empty() {
            errln!("{}", self.summary());
        }
    }
}

/// `1 error`, `2 warnings`.
#[must_use]
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("{n} {what}") } else { format!("{n} {what}s") }
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
    fn the_snippet_underlines_the_value_and_never_wraps_the_help() {
        let text = "a = 1\n  path = \"/api/orders/*\"\nnext = 2\n";
        let f = SourceFile::new("p.toml", text, Snippets::Allowed);
        let help = format!("move `orders-read-{}` above `api`", "x".repeat(150));
        let d = Diagnostic::warning(Some(15..30), "never used").with_help(help.clone()).with_label("shadowed");
        let out = f.render(&d, false);
        assert_eq!(
            out,
            format!(
                "warning: never used\n --> p.toml:2:10\n  |\n2 |   path = \"/api/orders/*\"\n  |          ^^^^^^^^^^^^^^^ shadowed\n  = help: {help}\n"
            )
        );
        assert!(!out.contains("next"), "neighbour lines are never shown");
    }

    #[test]
    fn files_without_snippets_show_only_positions() {
        let f = SourceFile::new("k.toml", "id = \"a\"\nsecret_hex = \"00\"\n", Snippets::Never);
        let out = f.render(&Diagnostic::error(Some(0..2), "oops"), false);
        assert!(!out.contains("id = "), "{out}");
        assert!(out.contains("k.toml:1:1"));
    }
}
