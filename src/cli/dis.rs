//! `pyasm dis`: a module printed as `.pyasm` text or as JSON. A `.pyc` is
//! disassembled; a `.pyasm` or `.json` is printed as it is written (so
//! that one form converts to the other), or, with `--normalize`, built and
//! then printed in its normal form.

use super::input::Kind;
use super::walk;
use crate::dis::normal::Options;
use crate::fsutil::write_atomic;
use std::io::Write;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `normal`: print the normal form instead (`--normalize`). `from`: the
/// kind of file read in a directory (a file's own extension says it).
pub fn run(
    input: &Path,
    output: Option<&Path>,
    jobs: Option<usize>,
    normal: Option<Options>,
    (from, format): (Kind, Format),
) -> u8 {
    if input.is_dir() {
        let ext = match format {
            Format::Text => "pyasm",
            Format::Json => "json",
        };
        return walk::run_dir(input, output, (from.ext(), ext), jobs, |i, o| {
            let text = dis_file(i, normal, format)?;
            write_atomic(o, text.as_bytes()).map_err(|e| format!("{}: {e}", o.display()))
        });
    }
    let text = match dis_file(input, normal, format) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let r = match output {
        Some(o) => write_atomic(o, text.as_bytes()).map_err(|e| format!("{}: {e}", o.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn dis_file(path: &Path, normal: Option<Options>, format: Format) -> Result<String, String> {
    let module = match normal {
        Some(options) => {
            let (version, code) = super::input::read_module(path)?;
            crate::normalize(version, &code, options)
        }
        None => super::input::read_model(path)?,
    };
    match format {
        Format::Text => Ok(crate::dis::print::print_module(&module)),
        Format::Json => crate::with_work_stack(|| crate::json::to_json(&module))
            .map_err(|e| format!("{}: {e}", path.display())),
    }
}
