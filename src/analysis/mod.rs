//! Analyses over assembled code (stack depths, kinds of values, definite
//! assignment, the verifier) and over a module's blocks (`module`).

pub mod block;
pub mod blockstack;
pub mod facts;
pub mod kinds;
pub mod locals;
pub mod module;
pub mod sections;
pub mod stack;
pub mod verify;

#[cfg(test)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    /// The source files of `src/analysis`, those of its folders included,
    /// in order: what the tests that read the sources read.
    pub(crate) fn sources() -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/analysis")];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    }

    /// The dependency goes one way: the assembler calls the analyses, and
    /// the analyses import nothing of the assembler, so every check is
    /// theirs and `asm` only lays code out.
    #[test]
    fn the_analyses_never_import_asm() {
        // Spelled in pieces, so that this file does not name it either.
        let asm = "asm";
        let needles = [format!("crate::{asm}"), format!("super::super::{asm}")];
        let files = sources();
        assert!(files.len() >= 7, "{files:?}");
        let mut found = Vec::new();
        for f in &files {
            let src = std::fs::read_to_string(f).unwrap();
            for (n, line) in src.lines().enumerate() {
                if needles.iter().any(|needle| line.contains(needle.as_str())) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
            // A grouped import (`crate::{..., asm, ...}`) names it without
            // the path: look at every `use` statement that starts a line.
            let lines: Vec<&str> = src.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let line = line.trim_start();
                let line = line.strip_prefix("pub ").unwrap_or(line);
                if !line.starts_with("use crate::") {
                    continue;
                }
                let statement = lines[n..]
                    .iter()
                    .scan(false, |ended, l| {
                        let take = !*ended;
                        *ended |= l.contains(';');
                        take.then_some(*l)
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let names_asm = statement
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == asm);
                if names_asm {
                    found.push(format!("{}:{}: {statement}", f.display(), n + 1));
                }
            }
        }
        assert!(
            found.is_empty(),
            "src/analysis imports the assembler:\n{}",
            found.join("\n")
        );
    }
}
