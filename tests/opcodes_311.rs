//! Checks the 3.11 opcode table against the interpreter it describes.
//!
//! One `python3.11` process dumps its own instruction metadata (`opcode`,
//! `dis`) as JSON; every entry of `Version::V3_11.table()` is then compared
//! with it: names and numbers in both directions, argument kinds, inline
//! caches, specialization families, the operator lists, and stack effects
//! for a wide range of arguments with the branch taken and not taken.
//!
//! Set `PYASM_PYTHON311` to use an interpreter other than `python3.11` on
//! the `PATH`.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::Command;

use pyasm::versions::{ArgKind, OpInfo, Version, CMP_OPS, NB_OPS};
use serde_json::Value;

/// Prints one JSON object. Effects are lists of `[jump, no_jump]` pairs,
/// one pair per entry of `args` for instructions CPython gives an argument
/// (numbered at or above HAVE_ARGUMENT), a single pair otherwise; `null`
/// marks a combination `dis.stack_effect` refuses.
const DUMP: &str = r#"
import dis, json, opcode, sys

ARGS = list(range(1101)) + [65535, 65536, 2**20, 2**24 - 1, 2**31 - 1, 2**31, 2**32 - 1]

def effect(op, arg, jump):
    try:
        if arg is None:
            return dis.stack_effect(op, jump=jump)
        return dis.stack_effect(op, arg, jump=jump)
    except (ValueError, OverflowError):
        return None

# dis puts the specialized instructions into the unnamed slots, in order.
everything = dis._all_opmap
effects = {}
for name, op in everything.items():
    forms = [None] if op < opcode.HAVE_ARGUMENT else ARGS
    effects[name] = [[effect(op, a, True), effect(op, a, False)] for a in forms]

json.dump({
    "version": sys.version,
    "opmap": opcode.opmap,
    "all_opmap": everything,
    "have_argument": opcode.HAVE_ARGUMENT,
    "hasconst": opcode.hasconst,
    "hasname": opcode.hasname,
    "haslocal": opcode.haslocal,
    "hasfree": opcode.hasfree,
    "hasjrel": opcode.hasjrel,
    "hasjabs": opcode.hasjabs,
    "hascompare": opcode.hascompare,
    "inline_cache_entries": list(opcode._inline_cache_entries),
    "specialized_instructions": opcode._specialized_instructions,
    "specializations": opcode._specializations,
    "cmp_op": list(opcode.cmp_op),
    "nb_ops": [symbol for _, symbol in opcode._nb_ops],
    "args": ARGS,
    "effects": effects,
}, sys.stdout)
"#;

fn python() -> String {
    std::env::var("PYASM_PYTHON311").unwrap_or_else(|_| "python3.11".to_string())
}

fn dump() -> Value {
    let exe = python();
    let out = Command::new(&exe)
        .args(["-I", "-c", DUMP])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe} (the reference interpreter): {e}"));
    assert!(
        out.status.success(),
        "{exe} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3.11 printed invalid JSON")
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("expected a list")
        .iter()
        .map(|s| s.as_str().expect("expected a string").to_string())
        .collect()
}

fn code_set(v: &Value) -> BTreeSet<u8> {
    v.as_array()
        .expect("expected a list")
        .iter()
        .map(|c| int(c) as u8)
        .collect()
}

fn name_map(v: &Value) -> BTreeMap<String, u8> {
    v.as_object()
        .expect("expected an object")
        .iter()
        .map(|(k, c)| (k.clone(), int(c) as u8))
        .collect()
}

/// CPython's instruction lists, reduced to what the checks need.
struct Meta {
    opmap: BTreeMap<String, u8>,
    all_opmap: BTreeMap<String, u8>,
    have_argument: u8,
    hasconst: BTreeSet<u8>,
    hasname: BTreeSet<u8>,
    haslocal: BTreeSet<u8>,
    hasfree: BTreeSet<u8>,
    hasjrel: BTreeSet<u8>,
    hasjabs: BTreeSet<u8>,
    hascompare: BTreeSet<u8>,
    caches: Vec<u8>,
    /// Specialized instruction -> its base.
    deopt: BTreeMap<String, String>,
}

impl Meta {
    fn new(j: &Value) -> Meta {
        let mut deopt = BTreeMap::new();
        for (base, family) in j["specializations"].as_object().expect("specializations") {
            for s in strings(family) {
                deopt.insert(s, base.clone());
            }
        }
        Meta {
            opmap: name_map(&j["opmap"]),
            all_opmap: name_map(&j["all_opmap"]),
            have_argument: int(&j["have_argument"]) as u8,
            hasconst: code_set(&j["hasconst"]),
            hasname: code_set(&j["hasname"]),
            haslocal: code_set(&j["haslocal"]),
            hasfree: code_set(&j["hasfree"]),
            hasjrel: code_set(&j["hasjrel"]),
            hasjabs: code_set(&j["hasjabs"]),
            hascompare: code_set(&j["hascompare"]),
            caches: j["inline_cache_entries"]
                .as_array()
                .expect("inline_cache_entries")
                .iter()
                .map(|c| int(c) as u8)
                .collect(),
            deopt,
        }
    }

    /// The argument kind the brief derives from CPython's lists, for an
    /// instruction of `opcode.opmap`.
    fn kind(&self, name: &str, code: u8) -> Result<ArgKind, String> {
        let k = if code < self.have_argument {
            ArgKind::None
        } else if name == "LOAD_GLOBAL" {
            ArgKind::GlobalName
        } else if self.hasconst.contains(&code) {
            ArgKind::Const
        } else if self.hasname.contains(&code) {
            ArgKind::Name
        } else if self.haslocal.contains(&code) {
            ArgKind::Local
        } else if self.hasfree.contains(&code) {
            ArgKind::Free
        } else if self.hasjrel.contains(&code) {
            if name.contains("BACKWARD") {
                ArgKind::JumpBackward
            } else {
                ArgKind::JumpForward
            }
        } else if self.hasjabs.contains(&code) {
            return Err(format!(
                "{name}: absolute jump, which pyasm cannot express for 3.11"
            ));
        } else if self.hascompare.contains(&code) {
            ArgKind::Compare
        } else {
            match name {
                "BINARY_OP" => ArgKind::BinaryOp,
                "MAKE_FUNCTION" => ArgKind::MakeFunction,
                "FORMAT_VALUE" => ArgKind::FormatValue,
                "UNPACK_EX" => ArgKind::UnpackEx,
                _ => ArgKind::Int,
            }
        };
        Ok(k)
    }
}

/// Stack effect counts: how many values were compared, and against whose
/// numbers (the instruction's own, or its base's when CPython refuses a
/// specialized instruction).
#[derive(Default)]
struct Counts {
    own: usize,
    via_base: usize,
}

thread_local! {
    /// Set while a stack effect is computed under `catch_unwind`.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Our stack effect, or `None` if computing it panicked (an arithmetic
/// overflow in a debug build). The panic is reported as a wrong answer
/// rather than printed.
fn quiet_effect(op: &OpInfo, arg: u32, jump: bool) -> Option<i32> {
    QUIET.set(true);
    let got = std::panic::catch_unwind(|| op.stack_effect(arg, jump)).ok();
    QUIET.set(false);
    got
}

/// One stored CPython answer: `effects[name][form][jump_index]`.
fn answer(forms: Option<&Value>, form: usize, jump: bool) -> Option<i64> {
    let pair = forms?.as_array()?.get(form)?;
    pair.get(if jump { 0 } else { 1 })?.as_i64()
}

fn check_effects(
    op: &OpInfo,
    j: &Value,
    args: &[u32],
    counts: &mut Counts,
    problems: &mut Vec<String>,
) {
    let no_arg = [0u32];
    let domain: &[u32] = if op.has_arg() { args } else { &no_arg };
    // A list of another length belongs to the other argument convention
    // (already reported as an ArgKind mismatch, or a specialized
    // instruction that CPython numbers among the argument-less ones).
    let fits = |forms: &&Value| forms.as_array().is_some_and(|l| l.len() == domain.len());
    let own = j["effects"].get(op.name).filter(fits);
    let base = op.base.and_then(|b| j["effects"].get(b)).filter(fits);

    let mut wrong = 0usize;
    let mut examples = String::new();
    for (i, &arg) in domain.iter().enumerate() {
        for jump in [true, false] {
            let (want, direct) = match (answer(own, i, jump), answer(base, i, jump)) {
                (Some(w), _) => (w, true),
                (None, Some(w)) if op.base.is_some() => (w, false),
                _ => continue,
            };
            if direct {
                counts.own += 1;
            } else {
                counts.via_base += 1;
            }
            let got = quiet_effect(op, arg, jump);
            if got.map(i64::from) != Some(want) {
                let got = got.map_or("a panic".to_string(), |g| g.to_string());
                wrong += 1;
                if wrong <= 4 {
                    let shown = if op.has_arg() {
                        format!("arg {arg}, ")
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        examples,
                        " [{shown}jump={jump}: ours {got}, CPython {want}]"
                    );
                }
            }
        }
    }
    if wrong > 0 {
        let whose = match op.base {
            Some(b) if own.is_none() => format!(" (CPython's numbers for {b})"),
            _ => String::new(),
        };
        problems.push(format!(
            "{}: {wrong} wrong stack effect(s){whose}:{examples}",
            op.name
        ));
    }
}

#[test]
fn table_matches_python311() {
    let j = dump();
    let meta = Meta::new(&j);
    let table = Version::V3_11.table();
    let args: Vec<u32> = j["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| u32::try_from(int(a)).expect("argument fits u32"))
        .collect();
    let mut problems: Vec<String> = Vec::new();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.get() {
            default_hook(info)
        }
    }));

    // Names and numbers, both directions.
    for (name, &code) in &meta.all_opmap {
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
    let specialized: BTreeSet<String> = strings(&j["specialized_instructions"])
        .into_iter()
        .collect();
    for name in &specialized {
        if !meta.all_opmap.contains_key(name) {
            problems.push(format!(
                "{name}: dis gives this specialized instruction no number"
            ));
        }
    }
    for op in table.ops {
        let known = meta.opmap.contains_key(op.name) || specialized.contains(op.name);
        if !known {
            problems.push(format!(
                "{} ({}) is ours only: neither in opcode.opmap nor a specialized instruction",
                op.name, op.code
            ));
        }
    }

    // Per-entry metadata and stack effects.
    let mut counts = Counts::default();
    for op in table.ops {
        let Some(&code) = meta.all_opmap.get(op.name) else {
            continue;
        };
        let expected_base = meta.deopt.get(op.name).map(String::as_str);
        if op.base != expected_base {
            problems.push(format!(
                "{}: base {:?}, CPython's family says {:?}",
                op.name, op.base, expected_base
            ));
        }
        if specialized.contains(op.name) != expected_base.is_some() {
            problems.push(format!(
                "{}: listed in _specialized_instructions but not in _specializations, or the reverse",
                op.name
            ));
        }
        // A specialized instruction is described by its base.
        let (desc_name, desc_code) = match expected_base {
            Some(b) => match meta.opmap.get(b) {
                Some(&c) => (b, c),
                None => {
                    problems.push(format!("{}: base {b} is not in opcode.opmap", op.name));
                    continue;
                }
            },
            None => (op.name, code),
        };
        match meta.kind(desc_name, desc_code) {
            Ok(k) if k == op.arg => {}
            Ok(k) => problems.push(format!("{}: ArgKind {:?}, expected {k:?}", op.name, op.arg)),
            Err(e) => problems.push(e),
        }
        let caches = meta.caches[desc_code as usize];
        if op.caches != caches {
            problems.push(format!(
                "{}: {} inline cache entries, CPython has {caches}",
                op.name, op.caches
            ));
        }
        check_effects(op, &j, &args, &mut counts, &mut problems);
    }

    // Operator lists.
    let cmp_op = strings(&j["cmp_op"]);
    if CMP_OPS != cmp_op.as_slice() || table.cmp_ops != cmp_op.as_slice() {
        problems.push(format!("CMP_OPS is {CMP_OPS:?}, cmp_op is {cmp_op:?}"));
    }
    let nb_ops = strings(&j["nb_ops"]);
    if NB_OPS != nb_ops.as_slice() || table.nb_ops != nb_ops.as_slice() {
        problems.push(format!(
            "NB_OPS is {NB_OPS:?}, _nb_ops symbols are {nb_ops:?}"
        ));
    }

    assert!(
        problems.is_empty(),
        "the 3.11 opcode table disagrees with {} ({}) in {} place(s):\n  {}",
        python(),
        j["version"]
            .as_str()
            .unwrap_or("?")
            .lines()
            .next()
            .unwrap_or("?"),
        problems.len(),
        problems.join("\n  ")
    );
    println!(
        "checked {} opcodes, {} stack effects against python3.11 \
         ({} of them for specialized instructions via their base)",
        table.ops.len(),
        counts.own + counts.via_base,
        counts.via_base
    );
}
