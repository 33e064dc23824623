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
pub mod marshal;
pub mod model;
pub mod pyc;
pub mod syntax;
pub mod versions;

use diag::Diag;
use versions::Version;

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
    let (module, code, diags) = compile_text(text, opts);
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
/// were no errors, and every diagnostic, sorted by place.
fn compile_text(text: &str, opts: asm::Options) -> (model::Module, Option<code::Code>, Vec<Diag>) {
    let tree = syntax::parse(text, None);
    let lowered = syntax::lower::lower(text, &tree, Version::V3_11);
    let mut diags = lowered.diags;
    let module = lowered.module;
    // Assemble even after lowering errors: lines that failed to lower are
    // left out, and the assembler still finds the problems of the rest.
    let code = match asm::assemble_with(&module, opts) {
        Ok((code, mut warnings)) => {
            diags.append(&mut warnings);
            Some(code)
        }
        Err(mut ds) => {
            diags.append(&mut ds);
            None
        }
    };
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.dedup_by(|a, b| a.span == b.span && a.code == b.code);
    let code = code.filter(|_| !diags.iter().any(|d| d.is_error()));
    (module, code, diags)
}

/// Every diagnostic for `.pyasm` text, without building anything.
pub fn check_text(text: &str) -> Vec<Diag> {
    compile_text(text, asm::Options::default()).2
}

/// Disassembles `.pyc` bytes to `.pyasm` text.
pub fn disassemble_pyc(data: &[u8]) -> Result<String, pyc::PycError> {
    let (header, code) = pyc::read_pyc(data)?;
    let module = dis::disassemble(header.version, Some(header), &code);
    Ok(dis::print::print_module(&module))
}
