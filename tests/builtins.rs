//! The builtins pyasm knows for each version equal the real interpreter's
//! `dir(builtins)` (less names pyodide itself adds, which start with `___`).

use pyasm::versions::{builtins::builtins, Version};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn builtins_match_each_interpreter() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/py/dump_builtins.py");
    for v in Version::SUPPORTED {
        let out = if *v == Version::V3_11 {
            let py = std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".into());
            Command::new(py).arg(&script).output().unwrap()
        } else {
            Command::new("node")
                .arg(root.join("tests/pyodide/run.mjs"))
                .arg(v.as_str())
                .arg(&script)
                .output()
                .unwrap()
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let real: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter(|n| !n.starts_with("___"))
            .map(String::from)
            .collect();
        let ours: Vec<String> = builtins(*v).into_iter().map(String::from).collect();
        assert_eq!(ours, real, "builtins of {v}");
        println!("{v}: {} builtins match", ours.len());
    }
}
