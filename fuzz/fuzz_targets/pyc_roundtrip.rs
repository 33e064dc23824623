//! Every `.pyc` the reader accepts: disassembled, built again, equal to the
//! original, and disassembled again to the same text
//! (`pyasm::props::pyc_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = pyasm::props::pyc_roundtrip(data) {
        panic!("{e}");
    }
});
