//! pyasm: an assembler, disassembler and language server for CPython bytecode.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and the invariants.

pub mod analysis;
pub mod asm;
pub mod cli;
pub mod code;
pub mod diag;
pub mod dis;
pub mod fsutil;
pub mod ide;
pub mod lsp;
pub mod marshal;
pub mod model;
pub mod props;
pub mod pyc;
pub mod syntax;
pub mod versions;

use diag::Diag;
use versions::Version;

/// The machine stack that pyasm's work runs on: the command line, each
/// thread of a directory run and the language server. Nothing recurses
/// without bound, but constants and code objects may nest as deep as
/// CPython's marshal allows (2000 levels), and the walks over them (clone,
/// compare, print, disassemble) recurse once per level, which takes a few
/// megabytes in a debug build: more than the 2 MiB of a default thread. Only
/// the pages used are ever committed.
pub const WORK_STACK: usize = 64 << 20;

/// Runs `f` on a thread with a [`WORK_STACK`]-byte stack and returns what it
/// returns (a panic in `f` is resumed in the caller).
pub fn with_work_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let job = std::sync::Mutex::new(Some(f));
    let take = || job.lock().ok().and_then(|mut j| j.take());
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("pyasm".into())
            .stack_size(WORK_STACK)
            .spawn_scoped(s, || take().map(|f| f()));
        match worker.map(|h| h.join()) {
            Ok(Ok(Some(v))) => v,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // No thread to be had: run here, on whatever stack this is.
            Ok(Ok(None)) | Err(_) => match take() {
                Some(f) => f(),
                None => unreachable!("the job runs exactly once"),
            },
        }
    })
}

/// The result of assembling a `.pyasm` text: the `.pyc` bytes when there
/// were no errors, and every diagnostic either way.
pub struct Built {
    pub pyc: Option<Vec<u8>>,
    pub code: Option<code::Code>,
    pub diags: Vec<Diag>,
}

/// Parses, lowers and assembles `.pyasm` text into `.pyc` bytes.
pub fn assemble_text(text: &str) -> Built {
    assemble_text_with(text, asm::Options::default())
}

/// `assemble_text` with options (verification, recomputed stack fields).
pub fn assemble_text_with(text: &str, opts: asm::Options) -> Built {
    assemble_text_in(text, Version::V3_11, opts)
}

/// `assemble_text_with`, for files without a `.python` line taken to be
/// `default_version`.
pub fn assemble_text_in(text: &str, default_version: Version, opts: asm::Options) -> Built {
    let (module, code, diags) = compile_text(text, default_version, opts);
    let Some(code) = code else {
        return Built {
            pyc: None,
            code: None,
            diags,
        };
    };
    let header = module
        .header
        .map(|h| pyc::PycHeader {
            version: module.version,
            ..h
        })
        .unwrap_or(pyc::PycHeader::timestamp(module.version, 0, 0));
    Built {
        pyc: Some(pyc::write_pyc(&header, &code)),
        code: Some(code),
        diags,
    }
}

/// Parses, lowers and assembles: the module, its code object when there
/// were no errors, and every diagnostic, sorted by place. The diagnostics
/// are the file analysis's, the same the language server shows.
fn compile_text(
    text: &str,
    default_version: Version,
    opts: asm::Options,
) -> (model::Module, Option<code::Code>, Vec<Diag>) {
    let tree = syntax::parse(text, None);
    let analysis = ide::FileAnalysis::keeping_blocks(&tree, &text, default_version, opts);
    let mut diags = analysis.diagnostics();
    let module = analysis.module(&tree, &text);
    // The tree and the analysis are as big as the module again: gone
    // before the assembler starts, they are not part of its peak.
    drop(analysis);
    drop(tree);
    if diags.iter().any(|d| d.is_error()) {
        return (module, None, diags);
    }
    // The assembler repeats the checks; it can only agree, but whatever it
    // says is kept rather than trusted away.
    let code = match asm::assemble_with(&module, opts) {
        Ok((code, _)) => Some(code),
        Err(ds) => {
            diags.extend(ds.into_iter().filter(|d| d.is_error()));
            None
        }
    };
    (module, code, diags)
}

pub fn check_text(text: &str) -> Vec<Diag> {
    compile_text(text, Version::V3_11, asm::Options::default()).2
}

/// Disassembles `.pyc` bytes to `.pyasm` text.
pub fn disassemble_pyc(data: &[u8]) -> Result<String, pyc::PycError> {
    let (header, code) = pyc::read_pyc(data)?;
    let module = dis::disassemble(header.version, Some(header), &code);
    Ok(dis::print::print_module(&module))
}
