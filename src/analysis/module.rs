//! Module-wide checks, over what each block says about itself: blocks that
//! share a name, references to blocks that do not exist, blocks that contain
//! themselves, blocks nothing references, and globals nothing defines.
//!
//! They work on [`BlockFacts`], small summaries taken once per block, so an
//! editor that re-lowers one block recomputes them without walking the
//! others' instructions.

use super::block::{HiddenParam, MadeFunction};
use super::facts::NameUse;
use crate::code::PyStr;
use crate::diag::Diag;
use crate::model::{Arg, Block, Body, NameRef, Span};
use crate::versions::builtins::is_builtin;
use crate::versions::Version;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What the module-wide checks need to know of one block.
#[derive(Clone, Debug, Default)]
pub struct BlockFacts {
    pub name: String,
    pub span: Span,
    /// Its `.qualname`, for display.
    pub qualname: Option<String>,
    /// `@NAME` constants, with where each is written.
    pub refs: Vec<(String, Span)>,
    /// `from m import *` somewhere in the block: it can define anything.
    pub import_star: bool,
    /// Globals the block assigns or deletes.
    pub defines: Vec<PyStr>,
    /// Globals the block reads: the name, its span, and whether it is a
    /// `LOAD_NAME` (a global read only in the module's own block).
    pub reads: Vec<(PyStr, Span, bool)>,
    /// How many free variables the block declares: the closure a function
    /// made from it must bring.
    pub n_free: u32,
    /// The block is flagged GENERATOR (not a coroutine).
    pub generator: bool,
    /// The compiler's hidden parameters (`.0`...) its code relies on
    /// (known once the block is verified).
    pub hidden: Vec<HiddenParam>,
    /// Functions the block makes from other blocks (known once the block is
    /// assembled and verified).
    pub functions: Vec<MadeFunction>,
}

impl BlockFacts {
    /// Drops spare capacity (see [`BlockInfo::shrink_to_fit`](super::block::BlockInfo::shrink_to_fit)).
    pub fn shrink_to_fit(&mut self) {
        self.refs.shrink_to_fit();
        self.defines.shrink_to_fit();
        self.reads.shrink_to_fit();
        self.hidden.shrink_to_fit();
        self.functions.shrink_to_fit();
    }
}

fn name_of(arg: &Arg) -> Option<&PyStr> {
    match arg {
        Arg::Name(n)
        | Arg::NameFlags {
            name: NameRef::Name(n),
            ..
        } => Some(n),
        _ => None,
    }
}

/// A local declared more than once in a block's `.vars`: a warning at each
/// repeat, with a note at the first.
pub fn duplicate_locals(block: &Block) -> Vec<Diag> {
    let mut seen: HashMap<&PyStr, &Span> = HashMap::default();
    let mut out = Vec::new();
    for v in &block.vars {
        if let Some(first) = seen.get(&v.name) {
            out.push(
                Diag::warning(
                    "duplicate-local",
                    v.span.clone(),
                    format!("local {:?} is declared more than once", v.name),
                )
                .note((*first).clone(), "first declared here"),
            );
        } else {
            seen.insert(&v.name, &v.span);
        }
    }
    out
}

/// Every `@NAME` a block's constants mention.
pub fn code_refs(block: &Block, body: Body) -> Vec<(String, Span)> {
    let mut out = pinned_code_refs(block);
    for ins in body.instrs() {
        instr_code_refs(ins, &mut out);
    }
    out
}

/// Every `@NAME` a block's pinned constants (`.consts`) mention.
fn pinned_code_refs(block: &Block) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let span = block.field_span("consts");
    for c in &block.consts {
        c.each_code_ref(&mut |n| out.push((n.to_string(), span.clone())));
    }
    out
}

/// Every `@NAME` an instruction's constant operand mentions, added to `out`.
fn instr_code_refs(ins: &crate::model::Instr, out: &mut Vec<(String, Span)>) {
    if let Arg::Const(c) = &ins.arg {
        c.each_code_ref(&mut |n| out.push((n.to_string(), ins.arg_span.clone())));
    }
}

/// What the module-wide checks need of a block whose statements are
/// `body` (see [`Body`]).
pub fn facts(block: &Block, body: Body, version: Version) -> BlockFacts {
    let table = version.table();
    let mut f = BlockFacts {
        name: block.name.clone(),
        span: block.span.clone(),
        qualname: block
            .qualname
            .as_ref()
            .map(|q| String::from_utf8_lossy(&q.0).into_owned()),
        refs: pinned_code_refs(block),
        n_free: block
            .vars
            .iter()
            .filter(|v| v.kinds & crate::code::kind::FREE != 0)
            .count() as u32,
        generator: block.flags.unwrap_or(0) & 0x2a0 == 0x20,
        ..BlockFacts::default()
    };
    // One pass over the instructions: a block of 100,000 is 12 MB of them.
    for ins in body.instrs() {
        instr_code_refs(ins, &mut f.refs);
        let Some(op) = table.by_code(ins.opcode) else {
            continue;
        };
        match super::facts::facts(op.op).names {
            NameUse::Nothing => {}
            NameUse::ImportsAll => f.import_star = true,
            NameUse::Intrinsic => {
                if ins.arg == Arg::Value(2)
                    && table.intrinsic1.get(2) == Some(&"INTRINSIC_IMPORT_STAR")
                {
                    f.import_star = true
                }
            }
            NameUse::Defines => f.defines.extend(name_of(&ins.arg).cloned()),
            use_ @ (NameUse::Reads | NameUse::ReadsLocalsFirst) => {
                if let Some(n) = name_of(&ins.arg) {
                    f.reads.push((
                        n.clone(),
                        ins.arg_span.clone(),
                        use_ == NameUse::ReadsLocalsFirst,
                    ));
                }
            }
        }
    }
    f
}

/// Names every module has.
const MODULE_NAMES: &[&str] = &[
    "__name__",
    "__file__",
    "__doc__",
    "__builtins__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__cached__",
    "__annotations__",
    "__dict__",
];

/// The module-wide diagnostics. `blocks` are in file order, each with the
/// amount to add to its spans (an editor shifts blocks after an edit
/// without re-lowering them). `unknown-global` is a verifier finding, left
/// out when `verify` is false.
pub fn module_checks(version: Version, blocks: &[(&BlockFacts, isize)], verify: bool) -> Vec<Diag> {
    let mut out = Vec::new();
    if blocks.is_empty() {
        out.push(Diag::error(
            "empty-module",
            0..0,
            "no code block: a module needs at least one `.code` block",
        ));
        return out;
    }
    let at = |s: &Span, d: isize| -> Span {
        (s.start as isize + d).max(0) as usize..(s.end as isize + d).max(0) as usize
    };
    let mut by_name: HashMap<&str, usize> = HashMap::default();
    for (i, (b, d)) in blocks.iter().enumerate() {
        // A malformed `.code` line (already an error) opens a nameless block.
        if b.name.is_empty() {
            continue;
        }
        if let Some(&first) = by_name.get(b.name.as_str()) {
            let (f, fd) = blocks[first];
            out.push(
                Diag::error(
                    "duplicate-block",
                    at(&b.span, *d),
                    format!("code block `{}` is defined more than once", b.name),
                )
                .note(at(&f.span, fd), "first defined here"),
            );
        } else {
            by_name.insert(&b.name, i);
        }
    }
    for (b, d) in blocks {
        let mut seen = HashSet::default();
        for (name, span) in &b.refs {
            if !by_name.contains_key(name.as_str()) && seen.insert(name) {
                out.push(
                    Diag::error(
                        "undefined-name",
                        at(span, *d),
                        format!("no code block named `{name}`"),
                    )
                    .suggest(name, by_name.keys().copied()),
                );
            }
        }
    }
    // Depth-first from the module's block, then from each block left over
    // (reported unused, and still searched for cycles).
    #[derive(Clone, Copy, PartialEq)]
    enum Visit {
        No,
        Open,
        Done,
    }
    let mut state = vec![Visit::No; blocks.len()];
    for root in 0..blocks.len() {
        if state[root] != Visit::No {
            continue;
        }
        if root > 0 {
            let (b, d) = blocks[root];
            out.push(Diag::warning(
                "unused-block",
                at(&b.span, d),
                format!("code block `{}` is never referenced", b.name),
            ));
        }
        // An explicit stack of (block, next reference to follow).
        let mut stack = vec![(root, 0usize)];
        state[root] = Visit::Open;
        while let Some(&mut (i, ref mut k)) = stack.last_mut() {
            let (b, d) = blocks[i];
            let Some((name, span)) = b.refs.get(*k) else {
                state[i] = Visit::Done;
                stack.pop();
                continue;
            };
            *k += 1;
            let Some(&j) = by_name.get(name.as_str()) else {
                continue;
            };
            match state[j] {
                Visit::No => {
                    state[j] = Visit::Open;
                    stack.push((j, 0));
                }
                Visit::Open => {
                    let (t, td) = blocks[j];
                    out.push(
                        Diag::error(
                            "cyclic-code",
                            at(span, d),
                            format!("code block `{}` contains itself", t.name),
                        )
                        .note(at(&t.span, td), "block defined here"),
                    );
                }
                Visit::Done => {}
            }
        }
    }
    if verify {
        out.extend(closure_checks(blocks));
    }
    if verify && !blocks.iter().any(|(b, _)| b.import_star) {
        let defined: HashSet<&PyStr> = blocks.iter().flat_map(|(b, _)| &b.defines).collect();
        for (bi, (b, d)) in blocks.iter().enumerate() {
            for (n, span, load_name) in &b.reads {
                // LOAD_NAME outside the module block reads class namespaces.
                if *load_name && bi > 0 {
                    continue;
                }
                let text = n.as_str().unwrap_or("");
                if defined.contains(n) || is_builtin(version, text) || MODULE_NAMES.contains(&text)
                {
                    continue;
                }
                let known = defined
                    .iter()
                    .filter_map(|n| n.as_str())
                    .chain(crate::versions::builtins::builtins(version));
                out.push(
                    Diag::warning(
                        "unknown-global",
                        at(span, *d),
                        format!(
                            "`{}` is not a builtin of Python {} and no block of this module assigns it",
                            crate::syntax::literal::name_text(n),
                            version
                        ),
                    )
                    .suggest(text, known),
                );
            }
        }
    }
    out
}

/// Functions made with a closure that does not match the free variables of
/// their code (the interpreter's COPY_FREE_VARS would read past the closure,
/// or a closure that is not there), and calls whose result is iterated
/// directly that do not make a generator.
pub fn closure_checks(blocks: &[(&BlockFacts, isize)]) -> Vec<Diag> {
    use crate::analysis::kinds::Need;
    let at = |s: &Span, d: isize| -> Span {
        (s.start as isize + d).max(0) as usize..(s.end as isize + d).max(0) as usize
    };
    let by_name: HashMap<&str, (&BlockFacts, isize)> = blocks
        .iter()
        .rev()
        .map(|(b, d)| (b.name.as_str(), (*b, *d)))
        .collect();
    let mut out = Vec::new();
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    for (b, d) in blocks {
        for f in &b.functions {
            let Some(&(t, td)) = by_name.get(f.block.as_str()) else {
                continue;
            };
            let hidden = &t.hidden;
            let problem = match f.need {
                Need::Closure(c) if c != t.n_free => Some(format!(
                    "a function of `{}` gets a closure of {c} cell{}, but that block has {} free variable{}",
                    f.block,
                    plural(c),
                    t.n_free,
                    plural(t.n_free)
                )),
                Need::Generator if !t.generator => Some(format!(
                    "FOR_ITER iterates what calling a function of `{}` returns, which is only an iterator if that block is a generator (flag GENERATOR)",
                    f.block
                )),
                Need::Escapes if !hidden.is_empty() => Some(format!(
                    "a function of `{}` is used other than by calling it at once, but that block has the compiler's hidden parameter `{}`, which it trusts to get {}",
                    f.block,
                    hidden[0].name,
                    crate::analysis::kinds::kinds_text(hidden[0].kinds)
                )),
                Need::Call(kinds, argc) => hidden.iter().find_map(|h| {
                    let (p, want, hname) = (h.position, h.kinds, &h.name);
                    let got = if p < argc { kinds.get(p as usize).copied() } else { Some(want) };
                    match got {
                        Some(g) if g & !want == 0 => None,
                        _ => Some(format!(
                            "a function of `{}` is called with {} for its hidden parameter `{hname}`, which it trusts to be {}",
                            f.block,
                            got.map(crate::analysis::kinds::kinds_text)
                                .unwrap_or_else(|| "a value not known".into()),
                            crate::analysis::kinds::kinds_text(want)
                        )),
                    }
                }),
                _ => None,
            };
            if let Some(m) = problem {
                out.push(
                    Diag::error("function-contract", at(&f.span, *d), m)
                        .note(at(&t.span, td), "the block is defined here"),
                );
            }
        }
    }
    out
}
