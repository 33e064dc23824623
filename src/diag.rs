//! Diagnostics on `.pyasm` text: a message, a span, secondary notes, and a
//! stable code. Rendering follows rustc's layout through codespan-reporting.
//! The language server maps the same values onto LSP diagnostics, with the
//! notes as `relatedInformation`.

use crate::model::Span;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`, as `pyasm check --format json` and the
    /// library's embeddings name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    /// Stable identifier, such as `syntax`, `unknown-opcode`, `bad-jump-target`.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Secondary locations ("label defined here").
    pub notes: Vec<(Span, String)>,
    /// Free-standing help text.
    pub help: Option<String>,
}

impl Diag {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diag {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            notes: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(code, span, message)
        }
    }
    pub fn note(mut self, span: Span, message: impl Into<String>) -> Self {
        self.notes.push((span, message.into()));
        self
    }
    pub fn help(mut self, message: impl Into<String>) -> Self {
        self.help = Some(message.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// The message with the help, if any, on a line of its own after it:
    /// the one message the language server shows and `pyasm check --format
    /// json` prints.
    pub fn message_with_help(&self) -> String {
        match &self.help {
            Some(h) => format!("{}\nhelp: {h}", self.message),
            None => self.message.clone(),
        }
    }
    /// Adds "did you mean `X`?" when one of `candidates` is close enough
    /// to `word` to be what was meant (see [`nearest`]). Every suggestion
    /// for a name the writer typed goes through here.
    pub fn suggest<'n>(self, word: &str, candidates: impl IntoIterator<Item = &'n str>) -> Self {
        match nearest(word, candidates.into_iter()) {
            Some(s) => self.help(format!("did you mean `{s}`?")),
            None => self,
        }
    }
}

/// The candidate closest to `word` in edit distance, ignoring case, if it is
/// close enough to be worth suggesting. Candidates whose length alone puts
/// them too far are not compared, and neither is a word longer than any
/// name worth suggesting: a line of megabytes must not cost a comparison
/// per character with every opcode.
pub fn nearest<'n>(word: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    const LONGEST: usize = 64;
    if word.len() > LONGEST {
        return None;
    }
    let limit = (word.len() / 3).max(2);
    let w = word.to_ascii_uppercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c.len().abs_diff(word.len()) > limit || c.len() > LONGEST + limit {
            continue;
        }
        let d = edit_distance(&w, &c.to_ascii_uppercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    // A suggestion keeps something of the word: `x` is not a misspelt
    // `hex`.
    best.filter(|(d, _)| *d <= limit && *d < word.chars().count())
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// 1-based line and column (in characters) of a byte offset. Reads the text
/// up to the offset; for many offsets into one text, use [`LineIndex`].
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(offset)
}

/// Where each line of a text starts, for turning many byte offsets into
/// lines and columns without reading the text from the start each time
/// (a file with a hundred thousand errors would take quadratic time).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset, clamped to
    /// the text and to the start of the character it falls in.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics like rustc does, into a string.
pub fn render(path: &str, text: &str, diags: &[Diag], color: bool) -> String {
    let file = SimpleFile::new(path, text);
    let config = term::Config::default();
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for d in diags {
        let clamp = |s: &Span| {
            let a = floor_char_boundary(text, s.start.min(text.len()));
            let b = floor_char_boundary(text, s.end.min(text.len())).max(a);
            a..b
        };
        let mut labels = vec![Label::primary((), clamp(&d.span))];
        for (s, m) in &d.notes {
            labels.push(Label::secondary((), clamp(s)).with_message(m.clone()));
        }
        let base = match d.severity {
            Severity::Error => Diagnostic::error(),
            Severity::Warning => Diagnostic::warning(),
        };
        let mut diag = base
            .with_message(d.message.clone())
            .with_code(d.code)
            .with_labels(labels);
        if let Some(h) = &d.help {
            diag = diag.with_notes(vec![format!("help: {h}")]);
        }
        let _ = term::emit(&mut buf, &config, &file, &diag);
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}
