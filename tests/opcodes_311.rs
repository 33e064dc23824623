//! Checks the 3.11 opcode table against the interpreter it describes.
//!
//! One `python3.11` process runs `tests/support/dump_opcodes.py`, which
//! prints its own instruction metadata (`opcode`, `dis`) as JSON; every
//! entry of `Version::V3_11.table()` is then compared with it (see
//! `tests/common/mod.rs`): names and numbers in both directions, argument
//! kinds, inline caches, specialization families, the operator lists, and
//! stack effects for a wide range of arguments with the branch taken and
//! not taken.
//!
//! Set `PYASM_PYTHON311` to use an interpreter other than `python3.11` on
//! the `PATH`.

mod common;

use pyasm::versions::Version;

#[test]
fn table_matches_python311() {
    let exe = std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string());
    let dump = common::dump_native(&exe);
    common::check_table(Version::V3_11, &dump);
}
