//! `pyasm check`: report every problem in `.pyasm` files without writing
//! anything. Exit status 0 without errors, 1 with errors, 2 when a file
//! cannot be read (usage errors also exit 2, through clap).

use crate::diag::{Diag, LineIndex};
use crate::model::Span;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(input: &Path, format: Format) -> u8 {
    let files: Vec<PathBuf> = if input.is_dir() {
        super::walk::find(input, "pyasm")
    } else {
        vec![input.to_path_buf()]
    };
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let mut io_failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let color = std::io::stdout().is_terminal();
    for path in &files {
        let text = match super::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e}");
                io_failed = true;
                continue;
            }
        };
        let shown = path.display().to_string();
        let options = crate::TextOptions {
            path: Some(&shown),
            ..Default::default()
        };
        if super::is_json(path) {
            let (built, pointers) = crate::json::assemble(&text, &options);
            let diags = built.diags;
            errors += diags.iter().filter(|d| d.is_error()).count();
            warnings += diags.iter().filter(|d| !d.is_error()).count();
            let _ = match format {
                Format::Human => out.write_all(pointers.render(&shown, &text, &diags).as_bytes()),
                Format::Json => {
                    // The pointer, and where its member is in the document.
                    let (lines, places) = (LineIndex::new(&text), pointers.places(&text, &diags));
                    let place = |s: &Span| {
                        let mut at = text_place(&lines, &pointers.text_span(&places, s));
                        at["pointer"] = pointers.pointer(s).into();
                        at
                    };
                    diags
                        .iter()
                        .try_for_each(|d| writeln!(out, "{}", json_line(&shown, d, &place)))
                }
            };
            continue;
        }
        let diags = crate::check(&text, &options).diags;
        errors += diags.iter().filter(|d| d.is_error()).count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
        let _ = match format {
            Format::Human => {
                out.write_all(crate::diag::render(&shown, &text, &diags, color).as_bytes())
            }
            Format::Json => {
                let lines = LineIndex::new(&text);
                diags.iter().try_for_each(|d| {
                    writeln!(out, "{}", json_line(&shown, d, &|s| text_place(&lines, s)))
                })
            }
        };
    }
    if format == Format::Human {
        eprintln!(
            "pyasm check: {} file{}, {errors} error{}, {warnings} warning{}",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        );
    }
    if io_failed {
        2
    } else if errors > 0 {
        1
    } else {
        0
    }
}

/// The diagnostic object of `check --format json`, one per line, for a
/// text and for a JSON document alike: the fields the language server sends
/// (`code`, `severity`, the message with its help as
/// [`Diag::message_with_help`] words it, the notes as `related`), each
/// place given by `place` (lines and columns, and for a JSON document the
/// pointer too).
fn json_line(path: &str, d: &Diag, place: &dyn Fn(&Span) -> serde_json::Value) -> String {
    let at = |s: &Span, mut obj: serde_json::Value| {
        if let (Some(o), serde_json::Value::Object(p)) = (obj.as_object_mut(), place(s)) {
            o.extend(p);
        }
        obj
    };
    let related: Vec<_> = d
        .notes
        .iter()
        .map(|(s, m)| at(s, serde_json::json!({"path": path, "message": m})))
        .collect();
    at(
        &d.span,
        serde_json::json!({
            "path": path,
            "severity": d.severity.as_str(),
            "code": d.code,
            "message": d.message_with_help(),
            "related": related,
        }),
    )
    .to_string()
}

/// A span as lines and columns of `lines`' text.
fn text_place(lines: &LineIndex, s: &Span) -> serde_json::Value {
    let (line, column) = lines.line_col(s.start);
    let (end_line, end_column) = lines.line_col(s.end);
    serde_json::json!({
        "line": line, "column": column, "end_line": end_line, "end_column": end_column,
    })
}
