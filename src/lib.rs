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
    let tree = syntax::parse(text, None);
    let lowered = syntax::lower::lower(text, &tree, Version::V3_11);
    let mut diags = lowered.diags;
    if diags.iter().any(|d| d.is_error()) {
        diags.sort_by_key(|d| d.span.start);
        return Built {
            pyc: None,
            code: None,
            diags,
        };
    }
    let module = lowered.module;
    match asm::assemble(&module) {
        Ok(code) => {
            let header = module
                .header
                .map(|h| pyc::PycHeader {
                    version: module.version,
                    ..h
                })
                .unwrap_or(pyc::PycHeader {
                    version: module.version,
                    flags: 0,
                    word2: 0,
                    word3: 0,
                });
            let bytes = pyc::write_pyc(&header, &code);
            Built {
                pyc: Some(bytes),
                code: Some(code),
                diags,
            }
        }
        Err(mut ds) => {
            diags.append(&mut ds);
            diags.sort_by_key(|d| d.span.start);
            let failed = diags.iter().any(|d| d.is_error());
            Built {
                pyc: None,
                code: None,
                diags: if failed { diags } else { diags },
            }
        }
    }
}

/// Disassembles `.pyc` bytes to `.pyasm` text.
pub fn disassemble_pyc(data: &[u8]) -> Result<String, pyc::PycError> {
    let (header, code) = pyc::read_pyc(data)?;
    let module = dis::disassemble(header.version, Some(header), &code);
    Ok(dis::print::print_module(&module))
}
