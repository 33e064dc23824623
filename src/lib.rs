//! pyasm: an assembler, disassembler and language server for CPython bytecode.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and the invariants.

pub mod code;
pub mod marshal;
pub mod pyc;
pub mod versions;
