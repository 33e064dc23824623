//! Blessed outputs, one insta file snapshot per case file:
//!
//! - `tests/diagnostics/*.pyasm`: what `pyasm check` prints for the file
//!   (`pyasm::diag::render`, without color), under
//!   `tests/diagnostics/snapshots/`;
//! - `tests/listings/*.pyc`: what `pyasm dis` prints for it, under
//!   `tests/listings/snapshots/`.
//!
//! Adding a case is adding its file. To bless every new or changed
//! output, and to delete snapshots whose case file is gone:
//!
//! ```text
//! INSTA_UPDATE=always cargo test --test snapshots
//! ```
//!
//! Without that, a new or changed output fails the test (insta leaves the
//! new text beside the old as `.snap.new` outside CI, and writes nothing
//! under `CI=true`), and so does a snapshot whose case file is gone.

use pyasm::versions::Version;
use std::path::{Path, PathBuf};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");

/// `path` relative to the crate's root, with `/` separators: the name a
/// case goes by in its rendered output, the same on every machine.
fn shown(path: &Path) -> String {
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn settings(folder: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(CASES).join(folder).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// Snapshots in `tests/<folder>/snapshots/` whose case file is gone: an
/// error, unless blessing, which deletes them.
fn stale_snapshots(folder: &str, test: &str) {
    let dir = Path::new(CASES).join(folder);
    let snaps = dir.join("snapshots");
    let Ok(entries) = std::fs::read_dir(&snaps) else {
        return;
    };
    let blessing = std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always");
    let prefix = format!("{test}@");
    let mut stale: Vec<PathBuf> = vec![];
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Some(case) = name
            .strip_prefix(&prefix)
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        if !dir.join(case).is_file() {
            stale.push(p);
        }
    }
    stale.sort();
    if blessing {
        for p in &stale {
            std::fs::remove_file(p).unwrap();
        }
    } else {
        assert!(
            stale.is_empty(),
            "snapshots without a case file (bless with INSTA_UPDATE=always to delete them): {stale:#?}"
        );
    }
}

#[test]
fn diagnostics() {
    settings("diagnostics").bind(|| {
        insta::glob!("diagnostics/*.pyasm", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let diags = pyasm::check(&text, &Default::default()).diags;
            let rendered = pyasm::diag::render(&shown(path), &text, &diags, false);
            insta::assert_snapshot!("diagnostics", rendered);
        });
    });
    stale_snapshots("diagnostics", "diagnostics");
}

#[test]
fn listings() {
    settings("listings").bind(|| {
        insta::glob!("listings/*.pyc", |path| {
            let data = std::fs::read(path).unwrap();
            let listing = match pyasm::disassemble_pyc(&data) {
                Ok(d) => d.text,
                Err(e) => format!("error: {e}\n"),
            };
            // A listing is only worth blessing if it builds back to the
            // same header and an equal code object (marshal's reference
            // flags aside), from whatever path it is read.
            if let Ok(original) = pyasm::pyc::read_pyc(&data) {
                let built = pyasm::assemble(
                    &listing,
                    &pyasm::TextOptions {
                        path: Some("elsewhere.pyasm"),
                        default_version: Version::V3_11,
                        build: Default::default(),
                    },
                );
                let again = built.pyc.as_deref().map(pyasm::pyc::read_pyc);
                assert!(
                    matches!(&again, Some(Ok(a)) if *a == original),
                    "{}: the listing does not build back: {:?}",
                    shown(path),
                    built.diags
                );
            }
            insta::assert_snapshot!("listings", listing);
        });
    });
    stale_snapshots("listings", "listings");
}
