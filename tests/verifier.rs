//! The verifier measured on real code, for every supported version, in
//! that version's real interpreter:
//! - every `.pyasm` that `pyasm dis` writes from the real corpora checks
//!   with zero errors;
//! - `pyasm build --recompute-stack` gives CPython's `co_stacksize` and
//!   handler depths (the counts are printed: equal, larger, smaller);
//! - defects injected into real code objects are reported with their code.

mod common;

use common::interp::{py_script, pyasm, run, stdlib_311};
use std::collections::HashMap;
use std::path::Path;

fn counts(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

fn measure(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let lib311 = stdlib_311();
    let mut corpora = vec![("cpython311", lib311)];
    if version != "3.11" {
        corpora.insert(0, ("own", "STDLIB".to_string()));
    }
    for (name, src) in &corpora {
        let orig = tmp.path().join(format!("{name}-orig"));
        let text = tmp.path().join(format!("{name}-text"));
        let recomputed = tmp.path().join(format!("{name}-recomputed"));
        let excl = [
            Path::new(src),
            &orig,
            Path::new("--exclude"),
            Path::new("site-packages"),
        ];
        run(&mut py_script(version, "compile_tree.py", &excl));
        run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));

        // No false errors.
        let out = pyasm()
            .args(["check", "--format", "json"])
            .arg(&text)
            .output()
            .unwrap();
        let json = String::from_utf8_lossy(&out.stdout);
        let errors: Vec<&str> = json
            .lines()
            .filter(|l| l.contains("\"severity\":\"error\""))
            .collect();
        let warnings = json.lines().count() - errors.len();
        println!(
            "{version} {name}: check: {} errors, {warnings} warnings",
            errors.len()
        );
        assert!(
            errors.is_empty(),
            "false errors:\n{}",
            errors[..errors.len().min(10)].join("\n")
        );
        assert_eq!(out.status.code(), Some(0));

        // Stack sizes and handler depths, recomputed. --no-verify: a wrong
        // recomputed depth would make the verifier refuse the file, and
        // every file must be counted.
        run(pyasm()
            .args(["build", "--recompute-stack", "--no-verify"])
            .arg(&text)
            .arg("-o")
            .arg(&recomputed));
        let report = run(&mut py_script(
            version,
            "compare_stack.py",
            &[&orig, &recomputed],
        ));
        let lines: Vec<&str> = report.lines().collect();
        let stack = lines
            .iter()
            .find(|l| l.starts_with("stacksize:"))
            .expect("stacksize line");
        let depths = lines
            .iter()
            .find(|l| l.starts_with("handler depths:"))
            .expect("depths line");
        println!("{version} {name}: {stack}; {depths}");
        let s = counts(stack); // equal, larger, smaller, total
        let h = counts(depths); // equal, total

        // The issue asks for 99.9%; every corpus is exact, and a change
        // that loses that should be seen.
        assert_eq!(s[0], s[3], "{stack}");
        // A stack size below CPython's would let the frame overflow.
        assert_eq!(
            s[2], 0,
            "computed stack size smaller than CPython's: {stack}"
        );
        // Every handler depth equals CPython's.
        assert_eq!(h[0], h[1], "{depths}");
    }

    // Injected defects.
    let orig = tmp.path().join("cpython311-orig");
    let mutants = tmp.path().join("mutants");
    let text = tmp.path().join("mutants-text");
    let made = run(&mut py_script(
        version,
        "inject_defects.py",
        &[&orig, &mutants, Path::new("60")],
    ));
    run(pyasm().arg("dis").arg(&mutants).arg("-o").arg(&text));
    let out = pyasm()
        .args(["check", "--format", "json"])
        .arg(&text)
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    let manifest = std::fs::read_to_string(mutants.join("manifest.tsv")).unwrap();
    let mut found: HashMap<&str, (u32, u32)> = HashMap::new();
    for line in manifest.lines() {
        let mut p = line.split('\t');
        let (file, kind) = (p.next().unwrap(), p.next().unwrap());
        let path = text.join(file.replace(".pyc", ".pyasm"));
        let needle = format!(
            "\"path\":{}",
            serde_json::to_string(&path.display().to_string()).unwrap()
        );
        let code = format!("\"code\":\"{kind}\"");
        let hit = json
            .lines()
            .any(|l| l.contains(&needle) && l.contains(&code));
        let e = found.entry(kind).or_default();
        e.1 += 1;
        e.0 += hit as u32;
    }
    let mut kinds: Vec<_> = found.into_iter().collect();
    kinds.sort();
    for (kind, (hit, total)) in &kinds {
        println!("{version} injected {kind}: found {hit}/{total}");
    }
    assert_eq!(kinds.len(), 3, "{made}");
    for (kind, (hit, total)) in kinds {
        assert!(
            total > 0 && hit == total,
            "{version} {kind}: found {hit}/{total}"
        );
    }
}

#[test]
fn verifier_311() {
    measure("3.11");
}

#[test]
fn verifier_312() {
    measure("3.12");
}

#[test]
fn verifier_313() {
    measure("3.13");
}

#[test]
fn verifier_314() {
    measure("3.14");
}

#[test]
fn verifier_315() {
    measure("3.15");
}
