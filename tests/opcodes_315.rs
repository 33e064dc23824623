//! Checks the 3.15 opcode table against CPython 3.15 (pyodide, run by
//! Node.js through `tests/pyodide/run.mjs`); see `tests/common/mod.rs` for
//! what is compared. Needs `node` and `npm ci --prefix tests`.

mod common;

use pyasm::versions::Version;

#[test]
fn table_matches_python315() {
    let dump = common::dump_pyodide("3.15");
    common::check_table(Version::V3_15, &dump);
}
