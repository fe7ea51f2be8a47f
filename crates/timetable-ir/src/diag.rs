//! Diagnostics: one error type for the whole toolchain, rendered through
//! codespan-reporting for people and as JSON lines for tools.
//!
//! Every diagnostic carries a stable code. Each crate owns a range of codes (see
//! `docs/diagnostics.md`) so codes never collide: `E00xx` syntax, `E01xx` names, `E02xx`
//! types, `E03xx` attributes, `E04xx` stages, `E05xx` placements, `E06xx` schedules,
//! `E07xx` targets, `E08xx` driver and I/O; passes use `E1xxx` (lower), `E2xxx` (alloc),
//! `E3xxx` (sched), `E4xxx` (sim), `E5xxx` (plan), `E6xxx` (dataflow).

use crate::span::{SourceFile, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A source span with a message: the primary label says what is wrong, secondary labels
/// point at the other party (the first definition, the op holding the same stream slot).
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Adds the label that says what is wrong here. Dummy spans (IR with no source) are
    /// dropped so rendering never points at an unrelated line.
    pub fn primary(self, span: Span, message: impl Into<String>) -> Self {
        self.label(span, message, true)
    }

    /// Adds a label pointing at another party of the problem.
    pub fn secondary(self, span: Span, message: impl Into<String>) -> Self {
        self.label(span, message, false)
    }

    fn label(mut self, span: Span, message: impl Into<String>, primary: bool) -> Self {
        if !span.is_dummy() {
            self.labels.push(Label {
                span,
                message: message.into(),
                primary,
            });
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }

    fn to_codespan(&self) -> cs::Diagnostic<()> {
        let severity = match self.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
            Severity::Note => cs::Severity::Note,
        };
        let labels = self
            .labels
            .iter()
            .map(|l| {
                let style = if l.primary {
                    cs::LabelStyle::Primary
                } else {
                    cs::LabelStyle::Secondary
                };
                cs::Label::new(style, (), l.span.range()).with_message(&l.message)
            })
            .collect();
        cs::Diagnostic::new(severity)
            .with_code(self.code)
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(self.notes.clone())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {}",
            self.severity.name(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for Diagnostic {}

/// Diagnostics from one run, in the order they were found.
pub type Diagnostics = Vec<Diagnostic>;

/// How diagnostics are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// codespan-reporting's rendering, with the source line underlined.
    Human { color: bool },
    /// One JSON object per diagnostic per line.
    Json,
}

/// Renders diagnostics about `source` in the given format.
pub fn render(diags: &[Diagnostic], source: &SourceFile, format: ErrorFormat) -> String {
    match format {
        ErrorFormat::Human { color } => render_human(diags, source, color),
        ErrorFormat::Json => diags
            .iter()
            .map(|d| render_json(d, source) + "\n")
            .collect(),
    }
}

fn render_human(diags: &[Diagnostic], source: &SourceFile, color: bool) -> String {
    let file = SimpleFile::new(source.name.as_str(), source.text.as_str());
    let config = term::Config::default();
    let mut buffer = if color {
        term::termcolor::Buffer::ansi()
    } else {
        term::termcolor::Buffer::no_color()
    };
    for d in diags {
        // Rendering only fails on spans outside the file; fall back to the one-line form.
        if term::emit_to_write_style(&mut buffer, &config, &file, &d.to_codespan()).is_err() {
            use std::io::Write;
            let _ = writeln!(buffer, "{d}");
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: u32,
    byte_end: u32,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: &'a str,
    message: &'a str,
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
}

/// One diagnostic as a single-line JSON object (`line`/`column` of the primary label,
/// 1-based).
pub fn render_json(d: &Diagnostic, source: &SourceFile) -> String {
    let labels: Vec<JsonLabel> = d
        .labels
        .iter()
        .map(|l| {
            let (line, column) = source.line_col(l.span.start);
            let (end_line, end_column) = source.line_col(l.span.end);
            JsonLabel {
                line,
                column,
                end_line,
                end_column,
                byte_start: l.span.start,
                byte_end: l.span.end,
                message: &l.message,
                primary: l.primary,
            }
        })
        .collect();
    let primary = labels.iter().find(|l| l.primary);
    let json = JsonDiagnostic {
        severity: d.severity,
        code: d.code,
        message: &d.message,
        file: &source.name,
        line: primary.map(|l| l.line),
        column: primary.map(|l| l.column),
        notes: &d.notes,
        labels,
    };
    serde_json::to_string(&json).expect("diagnostics serialise")
}
