//! The command line: argument parsing and one module per subcommand.
//! Nothing here knows the formats; it calls the library and reports.

mod build;
mod check;
mod dis;
mod walk;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Disassemble a .pyc file, or every .pyc under a directory, to .pyasm text.
    Dis {
        /// A .pyc file or a directory.
        input: PathBuf,
        /// Output file or directory. A file goes to stdout without it; a
        /// directory's outputs go beside their inputs.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Files worked on at once in directory mode (default: one per core).
        #[arg(short, long)]
        jobs: Option<usize>,
    },
    /// Check .pyasm files and report every problem, writing nothing.
    Check {
        /// A .pyasm file or a directory.
        input: PathBuf,
        /// `human` (rendered like rustc) or `json` (one object per line).
        #[arg(long, value_enum, default_value = "human")]
        format: check::Format,
    },
    /// Run the language server on stdin and stdout (LSP 3.17).
    Lsp {
        /// The largest message accepted, in bytes; a larger one is refused
        /// with an error and skipped unread.
        #[arg(long, value_name = "BYTES", default_value_t = crate::lsp::transport::DEFAULT_MAX_MESSAGE_SIZE)]
        max_message_size: u64,
    },
    /// Assemble a .pyasm file, or every .pyasm under a directory, to .pyc.
    Build {
        /// A .pyasm file or a directory.
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
    },
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Lsp { .. }) {
        // Before any thread is made: the settings apply to the memory of
        // the threads' stacks too.
        crate::keep_memory_low();
    }
    // Directory runs use rayon's global pool: its threads get the same
    // stack as the one below.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(crate::WORK_STACK)
        .build_global();
    crate::with_work_stack(|| run(cli))
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Dis {
            input,
            output,
            jobs,
        } => walk::with_jobs(jobs, || dis::run(&input, output.as_deref())),
        Command::Build {
            input,
            output,
            recompute_stack,
            no_verify,
            jobs,
        } => walk::with_jobs(jobs, || {
            build::run(
                &input,
                output.as_deref(),
                crate::asm::Options {
                    verify: !no_verify,
                    recompute_stack,
                },
            )
        }),
        Command::Check { input, format } => check::run(&input, format),
        Command::Lsp { max_message_size } => {
            match crate::lsp::run(crate::lsp::transport::Options { max_message_size }) {
                Ok(never) => match never {},
                Err(e) => {
                    eprintln!("pyasm lsp: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
