//! The builtins pyasm knows for each version equal the real interpreter's
//! `dir(builtins)` (less names pyodide itself adds, which start with `___`).

mod common;

use common::interp::{py_script, run};
use pyasm::versions::{builtins::builtins, Version};

#[test]
fn builtins_match_each_interpreter() {
    for v in Version::ALL {
        let stdout = run(&mut py_script(v.as_str(), "dump_builtins.py", &[]));
        let real: Vec<String> = stdout
            .split_whitespace()
            .filter(|n| !n.starts_with("___"))
            .map(String::from)
            .collect();
        let ours: Vec<String> = builtins(*v).into_iter().map(String::from).collect();
        assert_eq!(ours, real, "builtins of {v}");
        println!("{v}: {} builtins match", ours.len());
    }
}
