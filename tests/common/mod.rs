//! Shared by the `opcodes_3*.rs` tests: runs `tests/support/dump_opcodes.py`
//! in a real interpreter and compares one of pyasm's opcode tables with what
//! it printed.
//!
//! Every entry is checked: names and numbers in both directions (nothing
//! missing, nothing extra, no pseudo-instruction), the specialization
//! family, the argument kind (worked out on the Python side from the `dis`
//! lists), inline caches, and the stack effect for every argument the
//! script asked about, with the branch taken and not taken. Then the
//! operand lists (comparison and binary operators, intrinsics, common
//! constants, special methods, function flags) and the `COMPARE_OP`
//! packing, tried on arguments the compiler really wrote.
//!
//! Before 3.8 `dis.stack_effect` takes no `jump` and answers the larger of
//! the two branches' effects; for those versions the larger of the table's
//! two answers is what is compared.

#![allow(dead_code)] // each test binary uses part of this module

pub mod interp;
pub mod interpreters;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Command, Output};

use pyasm::versions::{CompareEncoding, OpInfo, OpcodeTable, Version, COMPARE_MASKS};
use serde_json::Value;

/// The line after which the dump script prints its JSON.
const MARKER: &str = "--- pyasm opcode dump ---";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script() -> PathBuf {
    root().join("tests/support/dump_opcodes.py")
}

/// Where the dump came from, for messages.
pub struct Dump {
    pub json: Value,
    pub source: String,
}

/// Runs the dump script in a native interpreter such as `python3.11`.
pub fn dump_native(exe: &str) -> Dump {
    let out = Command::new(exe)
        .arg("-I")
        .arg(script())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe} (the reference interpreter): {e}"));
    Dump {
        json: parse(&out, exe),
        source: exe.to_string(),
    }
}

/// Whether `tests/package.json` pins a pyodide build of `version`.
pub fn has_pyodide(version: &str) -> bool {
    let pinned =
        std::fs::read_to_string(root().join("tests/package.json")).expect("tests/package.json");
    let package = format!("py{}", version.replace('.', ""));
    pinned.contains(&format!("\"{package}\""))
}

/// Runs the dump script in the pyodide build of CPython `version` ("3.12",
/// "3.13" or "3.14") through `tests/pyodide/run.mjs`. Set `PYASM_NODE` to
/// use a `node` other than the one on the `PATH`.
pub fn dump_pyodide(version: &str) -> Dump {
    let node = std::env::var("PYASM_NODE").unwrap_or_else(|_| "node".to_string());
    let tests = root().join("tests");
    let package = format!("py{}", version.replace('.', ""));
    let entry = tests
        .join("node_modules")
        .join(&package)
        .join("pyodide.mjs");
    assert!(
        entry.is_file(),
        "the pyodide interpreter for CPython {version} is not installed ({} is missing): \
         run `npm ci --prefix tests` (needs Node.js and network access)",
        entry.display()
    );
    // Node writes to a pipe asynchronously and `run.mjs` exits without
    // waiting, which loses everything past the first 64 KiB; writes to a
    // file are synchronous. So stdout goes to a temporary file.
    let mut stdout = tempfile::tempfile().expect("creating a temporary file");
    let mut out = Command::new(&node)
        .current_dir(&tests)
        .arg(tests.join("pyodide/run.mjs"))
        .arg(version)
        .arg(script())
        .stdout(stdout.try_clone().expect("duplicating a file handle"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{node}` (Node.js runs the pyodide interpreters the {version} \
                 opcode table is checked against; install it or set PYASM_NODE): {e}"
            )
        });
    stdout
        .seek(SeekFrom::Start(0))
        .and_then(|_| stdout.read_to_end(&mut out.stdout))
        .expect("reading the interpreter's output back");
    let source = format!("pyodide CPython {version}");
    Dump {
        json: parse(&out, &source),
        source,
    }
}

fn parse(out: &Output, who: &str) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{who} failed ({}) running {}:\n{stderr}\n{}",
        out.status,
        script().display(),
        tail(&stdout)
    );
    let Some(at) = stdout.find(MARKER) else {
        panic!(
            "{who} printed no `{MARKER}` line; its output ends\n{}\nstderr:\n{stderr}",
            tail(&stdout)
        );
    };
    let json = stdout[at + MARKER.len()..].trim();
    serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("{who} printed invalid JSON after the marker: {e}"))
}

fn tail(s: &str) -> &str {
    let mut cut = s.len().saturating_sub(2000);
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    &s[cut..]
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|s| s.as_str().expect("expected a string").to_string())
        .collect()
}

fn map_of<T>(v: &Value, f: impl Fn(&Value) -> T) -> BTreeMap<String, T> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .iter()
        .map(|(k, x)| (k.clone(), f(x)))
        .collect()
}

fn code(v: &Value) -> u8 {
    u8::try_from(int(v)).unwrap_or_else(|_| panic!("opcode {v} does not fit a byte"))
}

thread_local! {
    /// Set while a stack effect is computed under `catch_unwind`.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Our stack effect, or `None` if computing it panicked (an arithmetic
/// overflow in a debug build), which is then reported as a wrong answer
/// rather than printed.
fn quiet_effect(op: &OpInfo, arg: u32, jump: bool) -> Option<i32> {
    quietly(|| op.stack_effect(arg, jump))
}

/// `f`'s answer, or `None` where it panics (without a panic message).
fn quietly(f: impl FnOnce() -> i32 + std::panic::UnwindSafe) -> Option<i32> {
    QUIET.set(true);
    let got = std::panic::catch_unwind(f).ok();
    QUIET.set(false);
    got
}

/// What CPython's answers are for: one branch, or (before 3.8) the larger
/// of the two.
#[derive(Clone, Copy)]
enum Branches {
    /// `[jump=True, jump=False]`.
    Apart,
    /// `[max of both, null]`.
    Larger,
}

/// Stack effect comparisons made: against the instruction's own numbers, or
/// (for a specialized instruction `dis.stack_effect` refuses) its base's.
#[derive(Default)]
struct Counts {
    own: usize,
    via_base: usize,
}

/// CPython's answers for one instruction: `[jump, no_jump]` per argument.
type Answers = Vec<[Option<i64>; 2]>;

fn answers(v: &Value) -> Answers {
    v.as_array()
        .expect("effects: expected a list")
        .iter()
        .map(|pair| [pair[0].as_i64(), pair[1].as_i64()])
        .collect()
}

fn check_effects(
    table: &'static OpcodeTable,
    op: &'static OpInfo,
    effects: &BTreeMap<String, Answers>,
    args: &[u32],
    branches: Branches,
    counts: &mut Counts,
    problems: &mut Vec<String>,
) {
    let (list, direct) = match (effects.get(op.name), op.base) {
        (Some(l), _) => (l, true),
        (None, Some(b)) => match effects.get(b) {
            Some(l) => (l, false),
            None => return,
        },
        // CPython refuses this one whatever the argument.
        (None, None) => return,
    };
    let no_arg = [0u32];
    let domain: &[u32] = match list.len() {
        n if n == args.len() => args,
        1 => &no_arg,
        n => {
            problems.push(format!(
                "{}: CPython's effects list has {n} entries, expected 1 or {}",
                op.name,
                args.len()
            ));
            return;
        }
    };
    let mut wrong = 0usize;
    let mut examples = String::new();
    for (&arg, pair) in domain.iter().zip(list) {
        for (jump, want) in [(Some(true), pair[0]), (Some(false), pair[1])] {
            let Some(want) = want else { continue };
            if direct {
                counts.own += 1;
            } else {
                counts.via_base += 1;
            }
            let (got, which) = match (branches, jump) {
                (Branches::Apart, Some(j)) | (Branches::Larger, Some(j @ false)) => {
                    (quiet_effect(op, arg, j), format!("jump={j}"))
                }
                // The larger branch, or what `counted_effects` says where
                // the table follows the interpreter instead.
                (Branches::Larger, _) => (
                    quietly(|| table.counted_effect(op, arg)),
                    "as the compiler counts".to_string(),
                ),
                (Branches::Apart, None) => unreachable!("every answer names its branch"),
            };
            if got.map(i64::from) != Some(want) {
                wrong += 1;
                if wrong <= 4 {
                    let got = got.map_or("a panic".to_string(), |g| g.to_string());
                    let shown = if domain.len() > 1 {
                        format!("arg {arg}, ")
                    } else {
                        String::new()
                    };
                    let _ = write!(examples, " [{shown}{which}: ours {got}, CPython {want}]");
                }
            }
        }
    }
    if wrong > 0 {
        let whose = match op.base {
            Some(b) if !direct => format!(" (CPython's numbers for {b})"),
            _ => String::new(),
        };
        problems.push(format!(
            "{}: {wrong} wrong stack effect(s){whose}:{examples}",
            op.name
        ));
    }
}

/// Names and numbers, both ways: CPython's real and specialized
/// instructions against ours.
fn check_numbering(
    table: &OpcodeTable,
    expected: &BTreeMap<String, u8>,
    pseudo: &BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    for (name, &code) in expected {
        match table.by_name(name) {
            None => problems.push(format!("{name} ({code}) is missing from our table")),
            Some(op) if op.code != code => problems.push(format!(
                "{name}: ours is number {}, CPython's is {code}",
                op.code
            )),
            Some(_) => {}
        }
        match table.by_code(code) {
            Some(op) if op.name == name.as_str() => {}
            Some(op) => problems.push(format!(
                "number {code}: ours is {}, CPython's is {name}",
                op.name
            )),
            None => problems.push(format!("number {code} ({name}) has no entry in our table")),
        }
    }
    for op in table.ops {
        if pseudo.contains(op.name) {
            problems.push(format!(
                "{} ({}) is a pseudo-instruction in this version",
                op.name, op.code
            ));
        } else if !expected.contains_key(op.name) {
            problems.push(format!(
                "{} ({}) is ours only: neither a real nor a specialized instruction",
                op.name, op.code
            ));
        }
    }
}

fn check_list<A, B>(what: &str, ours: &[A], theirs: &[B], problems: &mut Vec<String>)
where
    A: PartialEq<B> + std::fmt::Debug,
    B: std::fmt::Debug,
{
    if ours != theirs {
        problems.push(format!("{what}: ours are {ours:?}, CPython's {theirs:?}"));
    }
}

/// Whether `arg` is how `table` packs comparison `index` (any bool bit).
fn compare_packs(table: &OpcodeTable, index: usize, arg: u32) -> bool {
    // Masks exist for the six comparisons of the masked encodings only.
    let mask = || COMPARE_MASKS.get(index).copied();
    match table.compare {
        CompareEncoding::Index => arg as usize == index,
        CompareEncoding::Masked => arg >> 4 == index as u32 && Some(arg & 0x0f) == mask(),
        CompareEncoding::MaskedBool => arg >> 5 == index as u32 && Some(arg & 0x0f) == mask(),
    }
}

/// Compares `version`'s table with `dump` and panics listing every
/// disagreement; prints a summary line when there is none.
pub fn check_table(version: Version, dump: &Dump) {
    let j = &dump.json;
    let table = version.table();
    let mut problems: Vec<String> = Vec::new();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.get() {
            default_hook(info)
        }
    }));

    let real = map_of(&j["opmap"], code);
    let specialized = map_of(&j["specialized"], code);
    let deopt = map_of(&j["deopt"], |v| v.as_str().expect("deopt").to_string());
    let caches = map_of(&j["caches"], code);
    let kinds = map_of(&j["kinds"], |v| v.as_str().expect("kind").to_string());
    let effects = map_of(&j["effects"], answers);
    let branches = match j["branch_effects"].as_bool() {
        Some(true) => Branches::Apart,
        Some(false) => Branches::Larger,
        None => panic!(
            "branch_effects: expected a bool, got {}",
            j["branch_effects"]
        ),
    };
    let pseudo: BTreeSet<String> = strings(&j["pseudo"]).into_iter().collect();
    let args: Vec<u32> = j["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| u32::try_from(int(a)).expect("argument fits u32"))
        .collect();

    let mut expected = real.clone();
    for (name, &c) in &specialized {
        if expected.insert(name.clone(), c).is_some() {
            problems.push(format!(
                "{name} is both real and specialized in CPython's lists"
            ));
        }
        if !deopt.contains_key(name) {
            problems.push(format!(
                "{name}: specialized, but in no family of _specializations"
            ));
        }
    }
    for (name, base) in &deopt {
        if !specialized.contains_key(name) {
            problems.push(format!(
                "{name} (a {base}) has no number among the specialized"
            ));
        }
    }
    check_numbering(table, &expected, &pseudo, &mut problems);

    let mut counts = Counts::default();
    for op in table.ops {
        if !expected.contains_key(op.name) {
            continue;
        }
        let expected_base = deopt.get(op.name).map(String::as_str);
        if op.base != expected_base {
            problems.push(format!(
                "{}: base {:?}, CPython's family says {:?}",
                op.name, op.base, expected_base
            ));
        }
        // A specialized instruction is described by its base.
        let desc = expected_base.unwrap_or(op.name);
        match kinds.get(desc).map(String::as_str) {
            None => problems.push(format!(
                "{}: base {desc} is not a real instruction",
                op.name
            )),
            Some(k) if format!("{:?}", op.arg) == k => {}
            Some(k) => problems.push(format!("{}: ArgKind {:?}, expected {k}", op.name, op.arg)),
        }
        match caches.get(desc) {
            Some(&c) if c == op.caches => {}
            Some(&c) => problems.push(format!(
                "{}: {} inline cache entries, CPython has {c}",
                op.name, op.caches
            )),
            None => {}
        }
        check_effects(
            table,
            op,
            &effects,
            &args,
            branches,
            &mut counts,
            &mut problems,
        );
    }
    // Where the compiler counts otherwise than the instruction runs, the
    // table says what it does when it runs: what the next version's
    // compiler counts, for an interpreter that runs it the same way (its
    // own table is checked against its own interpreter).
    if !table.counted_effects.is_empty() {
        let next = Version::ALL
            .iter()
            .find(|v| **v > version)
            .expect("a later version")
            .table();
        for &(o, _) in table.counted_effects {
            let (ours, theirs) = (table.by_op(o), next.by_op(o));
            let (Some(ours), Some(theirs)) = (ours, theirs) else {
                problems.push(format!("{o:?}: not in both {version} and {}", next.version));
                continue;
            };
            for jump in [true, false] {
                let (a, b) = (ours.stack_effect(0, jump), theirs.stack_effect(0, jump));
                if a != b {
                    problems.push(format!(
                        "{}: runs with effect {a} (jump={jump}), {} counts {b}",
                        ours.name, next.version
                    ));
                }
            }
        }
    }

    // Operand lists.
    let cmp_op = strings(&j["cmp_op"]);
    check_list(
        "comparison operators",
        table.cmp_ops,
        &cmp_op,
        &mut problems,
    );
    check_list(
        "binary operators",
        table.nb_ops,
        &strings(&j["nb_ops"]),
        &mut problems,
    );
    check_list(
        "unary intrinsics",
        table.intrinsic1,
        &strings(&j["intrinsic1"]),
        &mut problems,
    );
    check_list(
        "binary intrinsics",
        table.intrinsic2,
        &strings(&j["intrinsic2"]),
        &mut problems,
    );
    check_list(
        "common constants",
        table.common_constants,
        &strings(&j["common_constants"]),
        &mut problems,
    );
    check_list(
        "special methods",
        table.special_methods,
        &strings(&j["special_methods"]),
        &mut problems,
    );
    let flags: Vec<(u32, String)> = j["function_flags"]
        .as_array()
        .expect("function_flags")
        .iter()
        .map(|f| {
            (
                int(&f[0]) as u32,
                f[1].as_str().expect("flag name").to_string(),
            )
        })
        .collect();
    let ours: Vec<(u32, String)> = table
        .function_flags
        .iter()
        .map(|&(bit, name)| (bit, name.to_string()))
        .collect();
    check_list("function flags", &ours, &flags, &mut problems);

    // COMPARE_OP packing, on what the compiler wrote.
    let mut seen = BTreeSet::new();
    for pair in j["compare_args"].as_array().expect("compare_args") {
        let (index, arg) = (int(&pair[0]) as usize, int(&pair[1]) as u32);
        seen.insert(index);
        if !compare_packs(table, index, arg) {
            problems.push(format!(
                "COMPARE_OP {arg} (for {}) does not decode as {:?} says",
                cmp_op[index], table.compare
            ));
        }
    }
    // 3.6-3.8 end their list with `BAD`, a placeholder nothing compiles to.
    let placeholders = cmp_op.iter().filter(|s| *s == "BAD").count();
    if seen.len() != cmp_op.len() - placeholders {
        problems.push(format!(
            "the compiler wrote COMPARE_OP for only {} of {} comparisons",
            seen.len(),
            cmp_op.len() - placeholders
        ));
    }

    let cpython = j["version"]
        .as_str()
        .unwrap_or("?")
        .split_whitespace()
        .next()
        .unwrap_or("?");
    assert!(
        problems.is_empty(),
        "the {version} opcode table disagrees with {} ({cpython}) in {} place(s):\n  {}",
        dump.source,
        problems.len(),
        problems.join("\n  ")
    );
    println!(
        "{version}: checked {} opcodes, {} stack effects against the real interpreter \
         ({}, CPython {cpython}; {} of the effects for specialized instructions via their base)",
        table.ops.len(),
        counts.own + counts.via_base,
        dump.source,
        counts.via_base
    );
}
