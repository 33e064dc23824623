//! The `.pyc` and marshal readers on arbitrary bytes: an error placed in the
//! input, or an object that the writer writes back unchanged
//! (`pyasm::props::pyc_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = pyasm::props::pyc_reader(data) {
        panic!("{e}");
    }
});
