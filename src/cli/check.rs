//! `pyasm check`: report every problem in `.pyasm` files without writing
//! anything. Exit status 0 without errors, 1 with errors, 2 when a file
//! cannot be read (usage errors also exit 2, through clap).

use crate::Located;
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
            let (built, pointers) = match crate::json::assemble(&text, &options) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{shown}: {e}");
                    io_failed = true;
                    continue;
                }
            };
            let diags = built.diags;
            errors += diags.iter().filter(|d| d.is_error()).count();
            warnings += diags.iter().filter(|d| !d.is_error()).count();
            let _ = match format {
                Format::Human => out.write_all(pointers.render(&shown, &diags).as_bytes()),
                Format::Json => diags
                    .iter()
                    .try_for_each(|d| writeln!(out, "{}", json_pointer_line(&shown, &pointers, d))),
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
            Format::Json => crate::locate(&text, &diags)
                .iter()
                .try_for_each(|d| writeln!(out, "{}", json_line(&shown, d))),
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

fn json_line(path: &str, d: &Located) -> String {
    let mut related = Vec::new();
    let mut message = d.message.clone();
    for n in &d.notes {
        match n.place {
            Some((start, end)) => related.push(serde_json::json!({
                "path": path,
                "line": start.line,
                "column": start.column,
                "end_line": end.line,
                "end_column": end.column,
                "message": n.message,
            })),
            None => message.push_str(&format!(" (help: {})", n.message)),
        }
    }
    serde_json::json!({
        "path": path,
        "line": d.start.line,
        "column": d.start.column,
        "end_line": d.end.line,
        "end_column": d.end.column,
        "severity": d.severity.as_str(),
        "code": d.code,
        "message": message,
        "related": related,
    })
    .to_string()
}

/// A diagnostic on a module read from JSON: places are JSON pointers
/// (`"pointer"`) rather than lines and columns.
fn json_pointer_line(
    path: &str,
    pointers: &crate::json::Pointers,
    d: &crate::diag::Diag,
) -> String {
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str(&format!(" (help: {h})"));
    }
    let related: Vec<_> = d
        .notes
        .iter()
        .map(|(s, m)| serde_json::json!({"path": path, "pointer": pointers.pointer(s), "message": m}))
        .collect();
    serde_json::json!({
        "path": path,
        "pointer": pointers.pointer(&d.span),
        "severity": d.severity.as_str(),
        "code": d.code,
        "message": message,
        "related": related,
    })
    .to_string()
}
