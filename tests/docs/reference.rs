//! Generates `docs/instructions.md`: one entry per instruction, from the
//! version tables (`OpInfo`: operand kind, caches, stack effect), the
//! analyses' `facts(op)` (what it reads, how control leaves it, where it
//! may stand, which arguments it accepts) and the descriptions of
//! `src/lsp/opdocs.rs`. Nothing here knows an instruction by name: a new
//! instruction or version shows up by regenerating.

use pyasm::analysis::facts::{facts, flow_of, inputs, Flow, Operand, Runs, Sequence};
use pyasm::lsp::opdocs::describe;
use pyasm::versions::{ArgKind, ForIterExit, Op, OpInfo, OpcodeTable, OperandValues, Version};
use std::fmt::Write as _;

/// Arguments the stack effects are sampled at, to find their formula.
const SAMPLES: &[u32] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 31, 255, 256, 257, 1000,
];

/// Versions as a short list of ranges: `3.11-3.13, 3.15`.
fn versions_text(vs: &[Version]) -> String {
    let idx = |v: &Version| Version::ALL.iter().position(|w| w == v).unwrap();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < vs.len() {
        let mut j = i;
        while j + 1 < vs.len() && idx(&vs[j + 1]) == idx(&vs[j]) + 1 {
            j += 1;
        }
        out.push(if i == j {
            vs[i].to_string()
        } else {
            format!("{}-{}", vs[i], vs[j])
        });
        i = j + 1;
    }
    out.join(", ")
}

/// What the operand kind means, in the words of the "Operands" table of
/// `docs/pyasm.md`.
fn kind_text(kind: ArgKind) -> &'static str {
    match kind {
        ArgKind::None => "none",
        ArgKind::Int => "number",
        ArgKind::Const => "constant (`co_consts` index)",
        ArgKind::Name => "name (`co_names` index)",
        ArgKind::GlobalName => "global (`NULL + name`)",
        ArgKind::Local => "local",
        ArgKind::Free => "cell/free variable",
        ArgKind::JumpForward => "label, forward",
        ArgKind::JumpBackward => "label, backward",
        ArgKind::Compare => "comparison",
        ArgKind::BinaryOp => "binary operator",
        ArgKind::MakeFunction => "function flags",
        ArgKind::FormatValue => "format (`str`/`repr`/`ascii`, `spec`)",
        ArgKind::UnpackEx => "unpack (`BEFORE, AFTER`)",
        ArgKind::AttrName => "attribute (`NULL|self + name`)",
        ArgKind::SuperAttr => "super attribute",
        ArgKind::ImportName => "import (`[lazy] [eager] name`)",
        ArgKind::LocalPair => "local pair (`a, b`)",
        ArgKind::Intrinsic1 => "intrinsic (unary)",
        ArgKind::Intrinsic2 => "intrinsic (binary)",
        ArgKind::CommonConstant => "common constant",
        ArgKind::Special => "special method",
        ArgKind::FunctionAttr => "function attribute",
        ArgKind::Conversion => "conversion",
        ArgKind::JumpAbsolute => "label, absolute",
        ArgKind::Handler => "label, the block's handler",
    }
}

/// A term of a formula: its text and its value at an argument.
type Term = (&'static str, fn(u32) -> i32);

/// A function of the argument `a` as a short formula, found by sampling
/// it at the arguments in `args`.
fn formula(args: &[u32], f: impl Fn(u32) -> i32) -> String {
    let c = f(args[0]);
    // Candidate terms, each with its text: f(a) = c0 + k * term(a).
    let terms: [Term; 6] = [
        ("a", |a| a as i32),
        ("(a & 1)", |a| (a & 1) as i32),
        ("((a >> 2) & 1)", |a| ((a >> 2) & 1) as i32),
        ("(bits set in a & 15)", |a| (a & 15).count_ones() as i32),
        ("(a & 0xff) + (a >> 8)", |a| ((a & 0xff) + (a >> 8)) as i32),
        ("max(1, bits set in a & 15)", |a| {
            (a & 15).count_ones().max(1) as i32
        }),
    ];
    if args.iter().all(|&a| f(a) == c) {
        return c.to_string();
    }
    for (text, term) in terms {
        let Some(&s) = args.iter().find(|&&a| term(a) != term(args[0])) else {
            continue;
        };
        let k = (f(s) - f(args[0])) / (term(s) - term(args[0]));
        let c0 = f(args[0]) - k * term(args[0]);
        if k == 0 || !args.iter().all(|&a| c0 + k * term(a) == f(a)) {
            continue;
        }
        // `k * term`, without its sign.
        let t = match k.abs() {
            1 => text.to_string(),
            m => format!("{m}{text}"),
        };
        return match (c0, k < 0) {
            (0, false) => t,
            (0, true) => format!("-{t}"),
            (c0, false) if c0 < 0 => format!("{t} - {}", -c0),
            (c0, false) => format!("{c0} + {t}"),
            (c0, true) => format!("{c0} - {t}"),
        };
    }
    let some: Vec<String> = args
        .iter()
        .take(4)
        .map(|&a| format!("{a}: {}", f(a)))
        .collect();
    format!("by a ({}, ...)", some.join(", "))
}

/// The arguments to sample: those the operand accepts.
fn samples(table: &OpcodeTable, op: &OpInfo) -> Vec<u32> {
    let Some(acc) = accepted(table, op) else {
        return SAMPLES.to_vec();
    };
    let args: Vec<u32> = SAMPLES
        .iter()
        .copied()
        .filter(|&a| acc.accepts(a))
        .collect();
    if args.is_empty() {
        vec![acc.least()]
    } else {
        args
    }
}

/// The net effect when the branch is taken and when it is not, written
/// once when they agree.
fn net_text(table: &OpcodeTable, op: &OpInfo) -> String {
    let args = samples(table, op);
    let net = |jump: bool| formula(&args, |a| op.stack_effect(a, jump));
    let (fall, taken) = (net(false), net(true));
    if fall == taken || !op.is_jump() {
        fall
    } else {
        format!("{fall}; jumping: {taken}")
    }
}

/// One row of an entry: everything the table says of `op` in a version.
fn row(table: &OpcodeTable, op: &OpInfo) -> [String; 4] {
    [
        kind_text(op.arg).to_string(),
        op.caches.to_string(),
        formula(&samples(table, op), |a| inputs(table, op, a)),
        net_text(table, op),
    ]
}

/// The arguments `op` accepts beyond what its kind allows, as `(min, max,
/// why)`, or None for any.
///
/// What an operand accepts: a range the same in every version (from
/// `facts`), or the version's own values (from its spec).
enum Accepted {
    Range(u32, u32, &'static str),
    Version(&'static OperandValues),
}

impl Accepted {
    fn accepts(&self, a: u32) -> bool {
        match self {
            Accepted::Range(lo, hi, _) => (*lo..=*hi).contains(&a),
            Accepted::Version(v) => v.accepts(a),
        }
    }

    fn least(&self) -> u32 {
        match self {
            Accepted::Range(lo, _, _) => *lo,
            Accepted::Version(_) => 0,
        }
    }
}

/// The one place the generator asks what an operand accepts.
fn accepted(table: &OpcodeTable, op: &OpInfo) -> Option<Accepted> {
    if let Some(v) = table.operand_values(op.op) {
        return Some(Accepted::Version(v));
    }
    match facts(op.op).operand {
        Operand::Any => None,
        Operand::Range { min, max, why } => Some(Accepted::Range(min, max, why)),
    }
}

/// The accepted arguments, in words.
fn operand_values(table: &OpcodeTable, op: &OpInfo) -> Option<String> {
    accepted(table, op).map(|acc| match acc {
        Accepted::Range(min, u32::MAX, why) => format!("operand at least {min} ({why})"),
        Accepted::Range(min, max, why) => format!("operand {min} to {max} ({why})"),
        Accepted::Version(v) => format!("operand {} ({})", v.values_text(), v.meaning),
    })
}

/// Where the instruction may stand, as the verifier checks it.
fn sequence_text(table: &OpcodeTable, op: &OpInfo) -> Option<String> {
    Some(
        match facts(op.op).sequence {
            Sequence::Free => return None,
            Sequence::CopyFreeVars => {
                "first in code with free variables, counting exactly them (`bad-prologue`)"
            }
            Sequence::ReturnGenerator => {
                "once, right after `COPY_FREE_VARS` and `MAKE_CELL`, in code flagged \
                 `GENERATOR`, `COROUTINE` or `ASYNC_GENERATOR` (`bad-prologue`)"
            }
            Sequence::InGenerator => "only in generator or coroutine code (`bad-prologue`)",
            Sequence::Precall => "directly followed by `CALL` of the same count (`call-sequence`)",
            Sequence::Call if table.args_at_precall => {
                "directly after its `PRECALL`; nothing may jump to it (`call-sequence`)"
            }
            Sequence::Call => return None,
            Sequence::KwNames => {
                "directly before the call whose keywords it names, naming no more than it \
                 passes (`call-sequence`)"
            }
            Sequence::AfterMakeFunction => {
                "directly after `MAKE_FUNCTION` or another `SET_FUNCTION_ATTRIBUTE` \
                 (`call-sequence`)"
            }
            Sequence::ForIter => match table.for_iter_exit {
                ForIterExit::PopsIterator => return None,
                ForIterExit::SkipsEndFor => {
                    "its label must be an `END_FOR`, which the exhausted loop skips \
                     (`bad-jump-target`)"
                }
                ForIterExit::SkipsEndForAndPopTop => {
                    "its label must be `END_FOR` then `POP_TOP`, which the exhausted loop \
                     skips (`bad-jump-target`)"
                }
            },
        }
        .to_string(),
    )
}

fn flow_text(flow: Flow) -> &'static str {
    match flow {
        Flow::Next => "falls through",
        Flow::Branch => "jumps to its label or falls through",
        Flow::Jump => "always jumps to its label",
        Flow::Stop => "ends the path (returns or raises)",
    }
}

/// Groups consecutive versions that give the same value.
fn grouped<T: PartialEq + Clone>(items: &[(Version, T)]) -> Vec<(Vec<Version>, T)> {
    let mut out: Vec<(Vec<Version>, T)> = Vec::new();
    for (v, t) in items {
        match out.last_mut() {
            Some((vs, last)) if last == t => vs.push(*v),
            _ => out.push((vec![*v], t.clone())),
        }
    }
    out
}

fn entry(out: &mut String, op: Op) {
    let present: Vec<(Version, &'static OpcodeTable, &'static OpInfo)> = Version::ALL
        .iter()
        .filter_map(|&v| v.table().by_op(op).map(|info| (v, v.table(), info)))
        .collect();
    let versions: Vec<Version> = present.iter().map(|p| p.0).collect();
    let _ = writeln!(out, "### `{}`\n", op.name());
    let _ = writeln!(
        out,
        "{}. {}\n",
        versions_text(&versions),
        describe(op.name()).unwrap_or("(no description)")
    );
    let rows: Vec<(Version, [String; 4])> =
        present.iter().map(|(v, t, i)| (*v, row(t, i))).collect();
    let _ = writeln!(out, "| versions | operand | caches | reads | net effect |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for (vs, r) in grouped(&rows) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            versions_text(&vs),
            r[0],
            r[1],
            r[2],
            r[3].replace('|', "\\|")
        );
    }
    let mut notes: Vec<(Version, String)> = Vec::new();
    for (v, t, i) in &present {
        let mut parts = vec![flow_text(flow_of(i)).to_string()];
        parts.extend(operand_values(t, i));
        parts.extend(sequence_text(t, i));
        notes.push((*v, parts.join("; ")));
    }
    let groups = grouped(&notes);
    out.push('\n');
    for (vs, text) in &groups {
        if groups.len() == 1 {
            let _ = writeln!(out, "Control {text}.");
        } else {
            let _ = writeln!(out, "- {}: control {text}.", versions_text(vs));
        }
    }
    out.push('\n');
}

/// The whole of `docs/instructions.md`.
pub fn generate() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated by `PYASM_BLESS=1 cargo test --test docs` from src/versions/*, \
         facts(op) and src/lsp/opdocs.rs; do not edit by hand. -->\n\n\
         # Instruction reference\n\n\
         Every instruction a `.pyasm` file may use, in every version pyasm knows \
         ([the dialect](pyasm.md)). For each: the versions that have it, what it does, \
         and per version its operand kind (written as in [Operands](pyasm.md#operands)), \
         the inline `CACHE` entries the assembler adds after it, and its stack effect. \
         In the formulas `a` is the instruction's argument (the number the operand \
         stands for); *reads* is how many stack items it reads at least (the verifier's \
         `stack-underflow` counts these), *net effect* how the depth changes (what the \
         computed stack size adds up), given separately for a jump that is taken where \
         it differs. \"Control\" says \
         how it leaves and what the verifier requires of it.\n\n",
    );
    // The instructions of supported versions (3.6-3.10's have no facts yet).
    let is_base = |op: Op| {
        Version::ALL.iter().any(|v| v.table().by_op(op).is_some()) && facts(op).runs == Runs::Always
    };
    let _ = writeln!(out, "## Contents\n");
    let base: Vec<Op> = Op::ALL.iter().copied().filter(|&op| is_base(op)).collect();
    let mut sorted = base.clone();
    sorted.sort_by_key(|op| op.name());
    let links: Vec<String> = sorted
        .iter()
        .map(|op| format!("[`{0}`](#{1})", op.name(), op.name().to_lowercase()))
        .collect();
    let _ = writeln!(out, "{}\n", links.join(" · "));
    let _ = writeln!(out, "## Forms a file does not write\n");
    let _ = writeln!(
        out,
        "`pyasm check` refuses these (`forbidden-opcode`): `pyasm dis` only shows them \
         when a `.pyc` holds them.\n"
    );
    for &v in Version::ALL {
        let t = v.table();
        let mut internal: Vec<&str> = Vec::new();
        let mut instrumented: Vec<&str> = Vec::new();
        let mut specialized: Vec<&str> = Vec::new();
        for info in t.ops {
            if info.base.is_some() {
                specialized.push(info.name);
                continue;
            }
            match facts(info.op).runs {
                Runs::Always => {}
                Runs::Internal => internal.push(info.name),
                Runs::Instrumented => instrumented.push(info.name),
            }
        }
        let list = |names: &mut Vec<&str>| {
            names.sort();
            if names.is_empty() {
                "none".to_string()
            } else {
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let _ = writeln!(
            out,
            "- **{v}**: internal {}; instrumented {}; specialized {}.",
            list(&mut internal),
            list(&mut instrumented),
            list(&mut specialized)
        );
    }
    out.push('\n');
    let _ = writeln!(out, "## Instructions\n");
    for op in sorted {
        entry(&mut out, op);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
