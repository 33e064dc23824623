//! `pyasm dis`: .pyc to .pyasm.

use super::walk;
use crate::dis::normal::Options;
use crate::fsutil::write_atomic;
use std::io::Write;
use std::path::Path;

/// `normal`: print the normal form instead (`--normalize`).
pub fn run(
    input: &Path,
    output: Option<&Path>,
    jobs: Option<usize>,
    normal: Option<Options>,
) -> u8 {
    if input.is_dir() {
        return walk::run_dir(input, output, ("pyc", "pyasm"), jobs, |i, o| {
            let text = dis_file(i, normal)?;
            write_atomic(o, text.as_bytes()).map_err(|e| format!("{}: {e}", o.display()))
        });
    }
    let text = match dis_file(input, normal) {
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

fn dis_file(path: &Path, normal: Option<Options>) -> Result<String, String> {
    if let Some(options) = normal {
        let (version, code) = super::input::read_module(path)?;
        let module = crate::normalize(version, &code, options);
        return Ok(crate::dis::print::print_module(&module));
    }
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::disassemble_pyc(&data)
        .map(|d| d.text)
        .map_err(|e| format!("{}: {e}", path.display()))
}
