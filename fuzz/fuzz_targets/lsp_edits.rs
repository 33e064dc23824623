//! The language server's document under an edit script decoded from the
//! bytes: after every batch, its text is what the edits make of a plain
//! string, and its tree and diagnostics those of a fresh parse and analysis
//! (`pyasm::lsp::selfcheck::run_script`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = pyasm::lsp::selfcheck::run_script(data) {
        panic!("{e}");
    }
});
