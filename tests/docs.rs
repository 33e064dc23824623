//! The reference docs cannot drift from the code.
//!
//! - The table of diagnostic codes in `docs/pyasm.md` lists exactly the
//!   codes `src/` can emit, each with the severities it is emitted at.
//! - `docs/instructions.md` is what the version tables, `facts(op)` and the
//!   opcode descriptions generate; `PYASM_BLESS=1 cargo test --test docs`
//!   rewrites it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[path = "docs/reference.rs"]
mod reference;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literal that starts `s` (after white space), if one does.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// Every diagnostic code `src/` emits, with the severities it is emitted
/// at. A code reaches a `Diag` in one of three ways: as the literal first
/// argument of `Diag::error` or `Diag::warning`, or as the code of a
/// finding of the kinds analysis (`self.report(at, "code", ...)`), which
/// `verify` turns into an error. Any other first argument of
/// `Diag::error`/`Diag::warning` fails the scan unless it is one of the
/// two places that pass a code through, so a code cannot hide behind a
/// variable.
fn emitted_codes() -> BTreeMap<String, BTreeSet<&'static str>> {
    // (file, argument): the calls that forward a code they were given.
    const FORWARDERS: &[(&str, &str)] = &[("diag.rs", "code"), ("verify.rs", "f.code")];
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut codes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut hidden = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let file = f.file_name().unwrap().to_string_lossy().to_string();
        for (call, severity) in [
            ("Diag::error(", "error"),
            ("Diag::warning(", "warning"),
            (".report(", "error"),
        ] {
            for (at, _) in text.match_indices(call) {
                let args = &text[at + call.len()..];
                // `report` takes the instruction first, then the code.
                let args = if call == ".report(" {
                    match args.find(',') {
                        Some(comma) => &args[comma + 1..],
                        None => continue,
                    }
                } else {
                    args
                };
                match leading_literal(args) {
                    Some(code) => {
                        codes.entry(code.to_string()).or_default().insert(severity);
                    }
                    None => {
                        let arg = args.split(',').next().unwrap_or("").trim();
                        let forwards = FORWARDERS.contains(&(file.as_str(), arg));
                        // `report`'s own definition and calls of other
                        // `report` methods take no code literal.
                        if call != ".report(" && !forwards {
                            hidden.push(format!("{file}: {call}{arg}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        hidden.is_empty(),
        "diagnostics whose code is not a literal the scan can read: {hidden:?}"
    );
    codes
}

/// The rows of the code table in `docs/pyasm.md`: code and severity cell.
fn documented_codes() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(root().join("docs/pyasm.md")).unwrap();
    let section = doc
        .split("## Checking: the verifier")
        .nth(1)
        .expect("docs/pyasm.md has a section \"Checking: the verifier\"");
    let section = section.split("\n## ").next().unwrap();
    let mut rows = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        if let (Some(first), Some(severity)) = (cells.first(), cells.get(1)) {
            if let Some(code) = first.strip_prefix("| `").and_then(|c| c.strip_suffix('`')) {
                let dup = rows.insert(code.to_string(), severity.to_string());
                assert!(dup.is_none(), "`{code}` has two rows");
            }
        }
    }
    rows
}

#[test]
fn every_emitted_code_is_documented_and_nothing_else() {
    let emitted = emitted_codes();
    let documented = documented_codes();
    assert!(
        emitted.len() > 30,
        "the scan found too few codes: {emitted:?}"
    );
    let missing: Vec<_> = emitted
        .keys()
        .filter(|c| !documented.contains_key(*c))
        .collect();
    let stale: Vec<_> = documented
        .keys()
        .filter(|c| !emitted.contains_key(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes the source emits that the table in docs/pyasm.md (\"Checking: the verifier\") lacks: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "codes the table in docs/pyasm.md lists that nothing emits: {stale:?}"
    );
    for (code, severities) in &emitted {
        for s in severities {
            assert!(
                documented[code].contains(s),
                "`{code}` is emitted as {s}, but its row says \"{}\"",
                documented[code]
            );
        }
    }
}

#[test]
fn the_scan_sees_codes_behind_line_breaks_and_reports() {
    let emitted = emitted_codes();
    // `Diag::error(\n "bad-except"` in lower.rs, `self.report(i, "too-complex"`
    // in `kinds` and a warning.
    assert!(emitted["bad-except"].contains("error"));
    assert!(emitted["too-complex"].contains("error"));
    assert!(emitted["unreachable"].contains("warning"));
}

#[test]
fn instruction_reference_is_generated_from_the_tables() {
    let path = root().join("docs/instructions.md");
    let want = reference::generate();
    if std::env::var_os("PYASM_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(have.lines().count().min(want.lines().count()));
        panic!(
            "docs/instructions.md differs from what the version tables and src/lsp/opdocs.rs \
             generate (first at line {}); regenerate it with\n    PYASM_BLESS=1 cargo test --test docs",
            line + 1
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-`
/// and `_` dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn links_within_the_docs_resolve() {
    for file in ["docs/pyasm.md", "docs/instructions.md"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let anchors: BTreeSet<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .map(|l| anchor(l.trim_start_matches('#')))
            .collect();
        for (at, _) in text.match_indices("](") {
            let target = &text[at + 2..];
            let target = &target[..target.find(')').unwrap()];
            let (path, frag) = target.split_once('#').unwrap_or((target, ""));
            if path.contains("://") {
                continue;
            }
            let dir = Path::new(file).parent().unwrap();
            let linked = if path.is_empty() {
                text.clone()
            } else {
                std::fs::read_to_string(root().join(dir).join(path))
                    .unwrap_or_else(|e| panic!("{file}: link to {path}: {e}"))
            };
            if !frag.is_empty() {
                let known = if path.is_empty() {
                    anchors.contains(frag)
                } else {
                    linked
                        .lines()
                        .filter_map(|l| l.strip_prefix('#'))
                        .any(|l| anchor(l.trim_start_matches('#')) == frag)
                };
                assert!(known, "{file}: no heading for the link {target}");
            }
        }
    }
}
