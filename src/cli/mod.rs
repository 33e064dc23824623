//! The command line: argument parsing and one module per subcommand.
//! Nothing here knows the formats; it calls the library and reports.

mod build;
mod check;
mod diff;
mod dis;
mod input;
mod walk;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "pyasm",
    version,
    about = "Assemble and disassemble CPython bytecode"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a module as .pyasm text or as JSON: a .pyc disassembled, a
    /// .pyasm or .json as written (to convert one form to the other), or
    /// every file of one kind under a directory.
    Dis {
        /// A .pyasm or .json file, a .pyc (a file of any other name), or a
        /// directory of files of the kind --from names.
        input: PathBuf,
        /// Output file or directory. A file goes to stdout without it; a
        /// directory's outputs go beside their inputs.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Files worked on at once in directory mode (default: one per core).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// Print the normal form `pyasm diff` compares (a .pyasm or .json
        /// input is built first): constants and names in no pinned order,
        /// no padding, no computed fields, code objects named after their
        /// qualnames.
        #[arg(long)]
        normalize: bool,
        /// With --normalize: leave out positions and first line numbers.
        #[arg(long, requires = "normalize")]
        ignore_positions: bool,
        /// `text` (.pyasm) or `json` (the module as data, the schema
        /// docs/pyasm.schema.json; `pyasm build` reads it back).
        #[arg(long, value_enum, default_value = "text")]
        format: dis::Format,
        /// In a directory, the files read: `pyc`, `pyasm` or `json`.
        #[arg(long, value_enum, default_value = "pyc")]
        from: input::Kind,
    },
    /// Compare two modules (.pyc, .pyasm or .json, of one version) by what they
    /// do: print a unified diff of their normal forms per code object.
    /// Exit status 0 when equal, 1 when different, 2 on error.
    Diff {
        /// The first module: a .pyc, .pyasm or .json file (lines marked `-`).
        a: PathBuf,
        /// The second module, of the same version (lines marked `+`).
        b: PathBuf,
        /// Also ignore positions and first line numbers.
        #[arg(long)]
        ignore_positions: bool,
    },
    /// Check .pyasm (or .json) files and report every problem, writing nothing.
    Check {
        /// A .pyasm or .json file, or a directory.
        input: PathBuf,
        /// `human` (rendered like rustc) or `json` (one object per line).
        #[arg(long, value_enum, default_value = "human")]
        format: check::Format,
    },
    /// Run the language server on stdin and stdout (LSP 3.17).
    #[cfg(feature = "lsp")]
    Lsp {
        /// The largest message accepted, in bytes; a larger one is refused
        /// with an error and skipped unread.
        #[arg(long, value_name = "BYTES", default_value_t = crate::lsp::transport::DEFAULT_MAX_MESSAGE_SIZE)]
        max_message_size: u64,
    },
    /// Assemble a .pyasm (or .json) file, or every .pyasm under a directory, to .pyc.
    Build {
        /// A .pyasm or .json file, or a directory.
        input: PathBuf,
        /// Output file or directory (default: beside the input).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Ignore stack sizes and handler depths written in the file and
        /// compute them.
        #[arg(long)]
        recompute_stack: bool,
        /// Build even what the verifier rejects (for reproducing odd files
        /// exactly; the result may crash CPython).
        #[arg(long)]
        no_verify: bool,
        /// Files worked on at once in directory mode (default: one per core).
        #[arg(short, long)]
        jobs: Option<usize>,
        /// In directory mode, what is built: `text` (.pyasm files) or
        /// `json` (.json files). A file's own extension says it.
        #[arg(long, value_enum, default_value = "text")]
        format: dis::Format,
    },
}

/// Whether a file is a module given as JSON (`pyasm dis --format json`).
fn is_json(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// Reads a `.pyasm` file as text. Not UTF-8 is an error placed at the line
/// and column (in characters) of the first byte that does not start one.
fn read_text(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or("");
        let (line, col) = crate::diag::LineIndex::new(valid).line_col(at);
        format!(
            "{}:{line}:{col}: not UTF-8 text: byte {:#04x} (at byte offset {at}) does not \
             start a character",
            path.display(),
            bytes[at]
        )
    })
}

/// What the process running the command line does about memory, for `pyasm
/// lsp`, a process that stays up. The library decides nothing of the kind
/// (see `docs/ARCHITECTURE.md`): the `pyasm` executable, which chose the
/// allocator, passes its tuning in; an embedding passes none.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hooks {
    /// Runs before the language server makes its first thread.
    pub lsp_start: Option<fn()>,
    /// Gives back what the language server freed: runs after it has
    /// analysed a whole document, whose lowering and verifying freed much
    /// more than it kept, and a second after the last edit.
    pub lsp_release_freed: Option<fn()>,
    /// Runs with `true` before the language server updates a document
    /// after an edit, and with `false` after: what the update frees may be
    /// kept for the next update to use again.
    pub lsp_keep_freed: Option<fn(bool)>,
}

/// Runs the command line on `args` (the program's name first, as in
/// `std::env::args_os`) and returns the exit status: 0 success, 1 failure or
/// errors found, 2 a usage error or a file that cannot be read. Help and
/// version go to stdout and usage errors to stderr; nothing ends the
/// process, except `pyasm lsp` at the client's `exit`.
pub fn run<I, T>(args: I, hooks: &Hooks) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    #[cfg(feature = "lsp")]
    if matches!(cli.command, Command::Lsp { .. }) {
        // Before any thread is made: the settings apply to the memory of
        // the threads' stacks too.
        if let Some(start) = hooks.lsp_start {
            start();
        }
    }
    crate::with_work_stack(|| run_command(cli, hooks))
}

#[cfg_attr(not(feature = "lsp"), allow(unused_variables))]
fn run_command(cli: Cli, hooks: &Hooks) -> u8 {
    match cli.command {
        Command::Dis {
            input,
            output,
            jobs,
            normalize,
            ignore_positions,
            format,
            from,
        } => {
            let normal = normalize.then_some(crate::dis::normal::Options { ignore_positions });
            dis::run(&input, output.as_deref(), jobs, normal, (from, format))
        }
        Command::Diff {
            a,
            b,
            ignore_positions,
        } => diff::run(&a, &b, crate::dis::normal::Options { ignore_positions }),
        Command::Build {
            input,
            output,
            recompute_stack,
            no_verify,
            jobs,
            format,
        } => build::run(
            &input,
            output.as_deref(),
            crate::asm::Options {
                verify: !no_verify,
                recompute_stack,
            },
            jobs,
            format,
        ),
        Command::Check { input, format } => check::run(&input, format),
        #[cfg(feature = "lsp")]
        Command::Lsp { max_message_size } => {
            let options = crate::lsp::transport::Options { max_message_size };
            let memory = crate::lsp::Memory {
                release_freed: hooks.lsp_release_freed,
                keep_freed: hooks.lsp_keep_freed,
            };
            match crate::lsp::run(options, memory) {
                Ok(never) => match never {},
                Err(e) => {
                    eprintln!("pyasm lsp: {e}");
                    2
                }
            }
        }
    }
}
