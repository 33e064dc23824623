//! `line_tables::V`, run inside `marshal::V` to use the standard library
//! it compiled, for 3.6 to 3.10: every code object's line table, of that
//! library and of the 3.11 sources compiled by the version, decoded into
//! runs and encoded again, must come back byte for byte; split by
//! instruction (`linetable::per_instruction`), the same, except where the
//! table changes the line between an EXTENDED_ARG and its instruction,
//! which must come back split by code unit (the prefix apart). On
//! the library, every code unit must have the line the interpreter gives it
//! (`tests/py/dump_lines.py`).

use crate::common::interp::{root, run, stdlib_311};
use pyasm::code::linetable;
use pyasm::code::{Code, Obj};
use pyasm::versions::Version;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// How many failures of each kind to describe.
const SHOWN: usize = 5;

/// What one corpus gave.
#[derive(Default)]
struct Counts {
    codes: usize,
    identical: usize,
    by_instruction: usize,
    /// Tables with a line change inside an instruction, identical when
    /// split by code unit.
    inside: usize,
    /// Tables with changes at no code (empty runs).
    empty: usize,
    /// Code objects whose lines were compared with the interpreter's.
    compared: usize,
}

/// `v`'s checks, `exe` its interpreter, `own` its standard library compiled.
pub fn check(v: Version, exe: &Path, own: &Path, scratch: &Path) {
    let name = v.as_str();
    let lib311 = scratch.join(format!("{name}-lines-311"));
    run(Command::new(exe)
        .arg(root().join("tests/py/compile_tree.py"))
        .args([stdlib_311().as_str(), lib311.to_str().unwrap()])
        .args(["--exclude", "site-packages"]));
    let dump = run(Command::new(exe)
        .arg(root().join("tests/py/dump_lines.py"))
        .args([own.to_str().unwrap(), "1"]));
    let mut theirs: HashMap<String, Vec<Value>> = HashMap::new();
    for line in dump.lines() {
        let mut rec: Value = serde_json::from_str(line).unwrap();
        let codes = rec["codes"].take();
        let Value::Array(codes) = codes else {
            panic!("{name}: dump_lines.py: {line}")
        };
        theirs.insert(rec["path"].as_str().unwrap().to_string(), codes);
    }
    for (corpus, dir) in [("its standard library", own), ("the 3.11 sources", &lib311)] {
        let mut n = Counts::default();
        let mut wrong = Vec::new();
        for (rel, code) in pycs(dir) {
            let lines = if dir == own {
                let l = theirs.get(&rel);
                Some(l.unwrap_or_else(|| panic!("{name}: dump_lines.py left out {rel}")))
            } else {
                None
            };
            let codes = preorder(&code);
            if let Some(l) = lines {
                assert_eq!(l.len(), codes.len(), "{name}: {rel}: code objects");
            }
            for (k, c) in codes.into_iter().enumerate() {
                let what = format!("{name}: {rel}: {}", c.name.as_str().unwrap_or("?"));
                one_table(v, c, &what, &mut n, &mut wrong);
                if let Some(l) = lines {
                    let ours: Vec<Option<i32>> =
                        linetable::decode(v, &c.linetable, c.firstlineno, c.code.len() / 2)
                            .unwrap()
                            .iter()
                            .map(|p| p.line)
                            .collect();
                    assert_eq!(ours, expand(&l[k]), "{what}: lines");
                    n.compared += 1;
                }
            }
        }
        let compared = if dir == own {
            format!("; the interpreter's lines on {}", n.compared)
        } else {
            String::new()
        };
        println!(
            "line tables of {name}, {corpus}: {} of {} identical; by instruction {} \
             ({} with a line change inside an instruction, identical split by code unit; {} with changes at no code){compared}",
            n.identical, n.codes, n.by_instruction, n.inside, n.empty
        );
        assert!(
            n.identical == n.codes && n.codes >= 20_000,
            "{name}: line tables identical {} of {}, expected all of at least 20000:\n{}",
            n.identical,
            n.codes,
            wrong.join("\n")
        );
        assert_eq!(
            n.by_instruction + n.inside,
            n.codes,
            "{name}: by instruction"
        );
        if dir == own {
            assert_eq!(n.compared, n.codes, "{name}: compared with the interpreter");
        }
    }
}

/// Checks one code object's table, counting in `n`.
fn one_table(v: Version, c: &Code, what: &str, n: &mut Counts, wrong: &mut Vec<String>) {
    let sizes = instruction_sizes(&c.code, v.table().extended_arg());
    let runs = linetable::decode_runs(v, &c.linetable, c.firstlineno, c.code.len() / 2)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let again = linetable::encode(v, c.firstlineno, &runs);
    n.codes += 1;
    if again == c.linetable {
        n.identical += 1;
    } else if wrong.len() < SHOWN {
        // Where they part, and a little of each from there.
        let at = again
            .iter()
            .zip(&c.linetable)
            .take_while(|(a, b)| a == b)
            .count();
        let from = |t: &[u8]| {
            t[at..]
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        wrong.push(format!(
            "{what} (first line {}): from byte {at}, {} became {}",
            c.firstlineno,
            from(&c.linetable),
            from(&again)
        ));
    }
    let per = linetable::per_instruction(v, &c.linetable, c.firstlineno, &sizes);
    if per.is_some_and(|p| linetable::encode(v, c.firstlineno, &p.runs(&sizes)) == c.linetable) {
        n.by_instruction += 1;
    }
    // Where the runs start, against where instructions do: both in order.
    let mut starts = sizes.iter().scan(0u64, |at, &s| {
        *at += u64::from(s);
        Some(*at)
    });
    let (mut unit, mut next_start) = (0u64, 0u64);
    let mut inside = false;
    for &(_, k) in &runs {
        while next_start < unit {
            next_start = starts.next().unwrap_or(u64::MAX);
        }
        inside |= next_start != unit;
        unit += u64::from(k);
    }
    // Those split by code unit instead (an EXTENDED_ARG apart from its
    // instruction) come back too.
    if inside {
        let units = vec![1; c.code.len() / 2];
        let per = linetable::per_instruction(v, &c.linetable, c.firstlineno, &units);
        if per.is_some_and(|p| linetable::encode(v, c.firstlineno, &p.runs(&units)) == c.linetable)
        {
            n.inside += 1;
        }
    }
    n.empty += usize::from(runs.iter().any(|r| r.1 == 0));
}

/// A line per code unit from `dump_lines.py`'s counts and lines.
fn expand(rle: &Value) -> Vec<Option<i32>> {
    let mut out = Vec::new();
    for pair in rle.as_array().unwrap().chunks(2) {
        let line = pair[1].as_i64().map(|l| l as i32);
        out.extend(std::iter::repeat_n(
            line,
            pair[0].as_u64().unwrap() as usize,
        ));
    }
    out
}

/// `code` and the code objects in its constants, in preorder.
fn preorder(code: &Code) -> Vec<&Code> {
    let mut out = vec![code];
    for o in &code.consts {
        if let Obj::Code(inner) = o {
            out.extend(preorder(inner));
        }
    }
    out
}

/// The `.pyc` files under `dir`, read, with their paths relative to it.
fn pycs(dir: &Path) -> impl Iterator<Item = (String, Code)> + '_ {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(move |e| {
            let data = std::fs::read(e.path()).unwrap();
            let rel = e.path().strip_prefix(dir).unwrap();
            let rel = rel.to_str().unwrap().to_string();
            let (_, code) =
                pyasm::pyc::read_pyc_any(&data).unwrap_or_else(|err| panic!("{rel}: {err}"));
            (rel, code)
        })
}

/// The length in code units of each instruction of `code`, its
/// EXTENDED_ARG prefixes included (there are no caches before 3.11).
fn instruction_sizes(code: &[u8], extended_arg: u8) -> Vec<u32> {
    let mut sizes = Vec::new();
    let mut size = 0;
    for unit in code.chunks(2) {
        size += 1;
        if unit[0] != extended_arg {
            sizes.push(size);
            size = 0;
        }
    }
    if size > 0 {
        sizes.push(size);
    }
    sizes
}
