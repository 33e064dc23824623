//! The parser, the assembler and the verifier on arbitrary text (invalid
//! UTF-8 replaced, as the command line refuses it before parsing):
//! diagnostics placed inside the text, and whatever builds reads back and
//! round-trips (`pyasm::props::text`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = pyasm::props::text(&text) {
        panic!("{e}");
    }
});
