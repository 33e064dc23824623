//! `pyasm check`: report every problem in `.pyasm` files without writing
//! anything. Exit status 0 without errors, 1 with errors, 2 when a file
//! cannot be read (usage errors also exit 2, through clap).

use crate::diag::{Diag, LineIndex, Severity};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(input: &Path, format: Format) -> ExitCode {
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
        let diags = crate::check_file(&shown, &text);
        let lines = LineIndex::new(&text);
        errors += diags.iter().filter(|d| d.is_error()).count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
        let _ = match format {
            Format::Human => {
                out.write_all(crate::diag::render(&shown, &text, &diags, color).as_bytes())
            }
            Format::Json => diags
                .iter()
                .try_for_each(|d| writeln!(out, "{}", json_line(&shown, &lines, d))),
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
        ExitCode::from(2)
    } else if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn json_line(path: &str, lines: &LineIndex, d: &Diag) -> String {
    let place = |span: &std::ops::Range<usize>| {
        let (line, column) = lines.line_col(span.start);
        let (end_line, end_column) = lines.line_col(span.end);
        (line, column, end_line, end_column)
    };
    let (line, column, end_line, end_column) = place(&d.span);
    let related: Vec<serde_json::Value> = d
        .notes
        .iter()
        .map(|(s, m)| {
            let (l, c, el, ec) = place(s);
            serde_json::json!({"path": path, "line": l, "column": c, "end_line": el, "end_column": ec, "message": m})
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str(&format!(" (help: {h})"));
    }
    serde_json::json!({
        "path": path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "code": d.code,
        "message": message,
        "related": related,
    })
    .to_string()
}
