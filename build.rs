//! Compiles the tree-sitter parser generated from `grammar/grammar.js`.
//!
//! `grammar/src/parser.c` is committed, so building the crate needs a C
//! compiler but not the tree-sitter CLI. After editing the grammar, run
//! `tree-sitter generate` inside `grammar/` and commit the result.

use std::path::Path;

fn main() {
    let src = Path::new("grammar").join("src");
    for file in [
        "parser.c",
        "tree_sitter/parser.h",
        "tree_sitter/alloc.h",
        "tree_sitter/array.h",
    ] {
        println!("cargo:rerun-if-changed={}", src.join(file).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    cc::Build::new()
        .include(&src)
        .file(src.join("parser.c"))
        .std("c11")
        // Generated code: its warnings are not ours to fix.
        .warnings(false)
        .compile("tree-sitter-pyasm");
}
