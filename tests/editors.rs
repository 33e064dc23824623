//! The files of the editor integrations in `editors/` that no editor runs
//! here (the Neovim plugin has its own end-to-end test, `tests/nvim.rs`).
//!
//! The integrations ship copies of the grammar's tree-sitter queries
//! (`grammar/queries/*.scm`), where each editor looks for them:
//! `editors/nvim/queries/pyasm/` and `editors/helix/queries/pyasm/`. The
//! copies must be byte-identical to the originals, and complete: after
//! changing a query, copy it again:
//!
//! ```sh
//! for d in editors/nvim/queries/pyasm editors/helix/queries/pyasm; do cp grammar/queries/*.scm "$d/"; done
//! ```

mod common;

use common::interp::{python311, root, run};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The `.scm` files of a folder, by name.
fn queries(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "scm"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn editor_query_copies_match_the_grammar() {
    let originals = queries(&root().join("grammar/queries"));
    assert!(
        originals.contains_key("highlights.scm"),
        "grammar/queries has no highlights.scm"
    );
    let mut problems = Vec::new();
    for copy in ["editors/nvim/queries/pyasm", "editors/helix/queries/pyasm"] {
        let copies = queries(&root().join(copy));
        for (name, text) in &originals {
            match copies.get(name) {
                None => problems.push(format!("{copy}/{name} is missing")),
                Some(c) if c != text => {
                    problems.push(format!("{copy}/{name} differs from grammar/queries/{name}"))
                }
                Some(_) => {}
            }
        }
        for name in copies.keys().filter(|n| !originals.contains_key(*n)) {
            problems.push(format!("{copy}/{name} has no original in grammar/queries"));
        }
    }
    assert!(
        problems.is_empty(),
        "the editors' query copies are out of date:\n  {}\ncopy them again: \
         for d in editors/nvim/queries/pyasm editors/helix/queries/pyasm; \
         do cp grammar/queries/*.scm \"$d/\"; done",
        problems.join("\n  ")
    );
    println!(
        "{} queries, identical in both editors' copies",
        originals.len()
    );
}

/// `editors/helix/languages.toml` is valid TOML (read by python3.11's
/// tomllib) and says what Helix needs: the language, its server and its
/// grammar in the repository's `grammar/` folder.
#[test]
fn helix_languages_toml() {
    let script = r##"
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    d = tomllib.load(f)
[lang] = d["language"]
assert lang["name"] == "pyasm", lang
assert lang["file-types"] == ["pyasm"], lang
assert lang["comment-token"] == "#", lang
assert lang["language-servers"] == ["pyasm"], lang
server = d["language-server"]["pyasm"]
assert (server["command"], server["args"]) == ("pyasm", ["lsp"]), server
[grammar] = d["grammar"]
assert grammar["name"] == "pyasm", grammar
assert grammar["source"]["path"].endswith("/grammar"), grammar
print("languages.toml: ok")
"##;
    let toml = root().join("editors/helix/languages.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(
        text.contains(r#"subpath = "grammar""#),
        "languages.toml should show the git source of the grammar, with subpath = \"grammar\""
    );
    print!(
        "{}",
        run(Command::new(python311()).arg("-c").arg(script).arg(&toml))
    );
}
