//! `pyasm build`: .pyasm to .pyc. Nothing is written when there are errors.

use super::walk;
use crate::fsutil::write_atomic;
use std::io::IsTerminal;
use std::path::Path;

pub fn run(
    input: &Path,
    output: Option<&Path>,
    opts: crate::asm::Options,
    jobs: Option<usize>,
    format: super::dis::Format,
) -> u8 {
    if input.is_dir() {
        let ext = match format {
            super::dis::Format::Text => "pyasm",
            super::dis::Format::Json => "json",
        };
        return walk::run_dir(input, output, (ext, "pyc"), jobs, |i, o| {
            build_file(i, o, opts)
        });
    }
    let target = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| input.with_extension("pyc"));
    match build_file(input, &target, opts) {
        Ok(()) => 0,
        Err(e) => {
            eprint!("{e}");
            if !e.ends_with('\n') {
                eprintln!();
            }
            1
        }
    }
}

fn build_file(input: &Path, output: &Path, opts: crate::asm::Options) -> Result<(), String> {
    let text = super::read_text(input)?;
    // The path as the user gave it (under the folder named, in directory
    // mode) is the module's co_filename unless the file says otherwise.
    let path = input.display().to_string();
    if super::is_json(input) {
        return build_json(input, &text, output, opts);
    }
    let built = crate::assemble(
        &text,
        &crate::TextOptions {
            path: Some(&path),
            build: opts,
            ..Default::default()
        },
    );
    let color = std::io::stderr().is_terminal();
    match built.pyc {
        Some(pyc) => {
            if !built.diags.is_empty() {
                eprint!("{}", crate::diag::render(&path, &text, &built.diags, color));
            }
            write_atomic(output, &pyc).map_err(|e| format!("{}: {e}", output.display()))
        }
        None => {
            let n = built.diags.iter().filter(|d| d.is_error()).count();
            Err(format!(
                "{}error: {} not built: {n} error{}",
                crate::diag::render(&path, &text, &built.diags, color),
                input.display(),
                if n == 1 { "" } else { "s" }
            ))
        }
    }
}

/// A module given as JSON: its diagnostics name JSON pointers.
fn build_json(
    input: &Path,
    text: &str,
    output: &Path,
    opts: crate::asm::Options,
) -> Result<(), String> {
    let path = input.display().to_string();
    let options = crate::TextOptions {
        path: Some(&path),
        build: opts,
        ..Default::default()
    };
    let (built, pointers) = crate::json::assemble(text, &options);
    let report = pointers.render(&path, text, &built.diags);
    match built.pyc {
        Some(pyc) => {
            eprint!("{report}");
            write_atomic(output, &pyc).map_err(|e| format!("{}: {e}", output.display()))
        }
        None => {
            let n = built.diags.iter().filter(|d| d.is_error()).count();
            Err(format!(
                "{report}error: {path} not built: {n} error{}",
                if n == 1 { "" } else { "s" }
            ))
        }
    }
}
