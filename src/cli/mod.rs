//! The command line: argument parsing and one module per subcommand.
//! Nothing here knows the formats; it calls the library and reports.

mod build;
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
    },
    /// Assemble a .pyasm file, or every .pyasm under a directory, to .pyc.
    Build {
        /// A .pyasm file or a directory.
        input: PathBuf,
        /// Output file or directory (default: beside the input).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Dis { input, output } => dis::run(&input, output.as_deref()),
        Command::Build { input, output } => build::run(&input, output.as_deref()),
    }
}
