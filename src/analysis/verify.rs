//! The verifier: what would make CPython misbehave, found before anything
//! runs. It reads the assembler's layout and the stack analysis of one block
//! and reports problems as diagnostics with stable codes. It never changes
//! what is assembled; the caller decides whether errors block the output.

use super::facts::{facts, Operand};
use super::stack::{FlowExcept, Problem, StackResult};
use crate::diag::Diag;
use crate::model::{Arg, Block, Instr, NameRef};
use crate::versions::{ArgKind, CompareEncoding, OpInfo, OpcodeTable, COMPARE_MASKS};
use rustc_hash::FxHashMap;

/// What the verifier needs to know about one assembled block.
pub struct Input<'a> {
    pub table: &'static OpcodeTable,
    pub block: &'a Block,
    /// The block's `co_consts`, as built.
    pub consts: &'a [&'a crate::code::Obj],
    /// The block's flags, as built.
    pub flags: u32,
    pub instrs: &'a [&'a Instr],
    /// The instructions whose operands hold an index or a number as
    /// written ([`crate::model::Arg::has_exact_part`]), in order: only those
    /// can point past a table or outside the code.
    pub exact: &'a [usize],
    pub infos: &'a [Option<&'static OpInfo>],
    pub args: &'a [u32],
    /// Offset of each instruction, plus the total at the end.
    pub offsets: &'a [u32],
    pub sizes: &'a [u32],
    pub analysis: &'a StackResult,
    /// The exception table the analyses saw (nested lines flattened).
    pub excepts: &'a [FlowExcept],
    pub n_consts: usize,
    pub n_names: usize,
    pub n_vars: usize,
    /// Reads of locals some path leaves unassigned.
    pub unbound: &'a [super::locals::Unbound],
    /// Values of the wrong kind (NULLs included) that reach an instruction
    /// that trusts their kind, and broken instruction sequences.
    pub kinds: &'a [super::kinds::Finding],
    pub var_names: &'a [(&'a crate::code::PyStr, u8)],
}

pub fn verify(inp: &Input) -> Vec<Diag> {
    let mut out = Vec::new();
    let name = |i: usize| inp.infos[i].map(|o| o.name).unwrap_or("this instruction");
    let depths = &inp.analysis.depths;
    // Worked out at the first note that needs it: a block with no depth
    // problem (most, and the block an edit is typed into) never walks its
    // paths for them.
    let causes = std::cell::LazyCell::new(|| DepthCauses::new(inp));

    // One stack problem per instruction: an underflow where paths also
    // meet with different depths is the same mistake. An instruction that
    // cannot run from a file at all gets only that error: what its stack
    // effect would do follows from the same mistake.
    let forbidden_at: rustc_hash::FxHashSet<usize> = inp
        .kinds
        .iter()
        .filter(|f| f.code == "forbidden-opcode")
        .map(|f| f.at)
        .collect();
    let mut seen_at = rustc_hash::FxHashSet::default();
    for p in &inp.analysis.problems {
        if let Problem::Underflow { at, .. } | Problem::Mismatch { at, .. } = *p {
            if forbidden_at.contains(&at) || !seen_at.insert(at) {
                continue;
            }
        }
        match *p {
            Problem::Underflow { at, depth } => {
                let ins = inp.instrs[at];
                let mut d = Diag::error(
                    "stack-underflow",
                    ins.span.clone(),
                    format!(
                        "{} pops more than the stack holds: the stack holds {depth} here on some path",
                        name(at)
                    ),
                );
                // Walk back along the path to where the depth last was higher.
                let mut j = inp.analysis.pred[at];
                let mut steps = 0;
                while let Some(p) = j {
                    if depths[p].is_some_and(|x| x > depth) || steps > 10_000 {
                        break;
                    }
                    j = inp.analysis.pred[p];
                    steps += 1;
                }
                match j {
                    Some(p) => {
                        d = d.note(
                            inp.instrs[p].span.clone(),
                            format!(
                                "the stack held {} before this; from here it drops to {depth}",
                                depths[p].unwrap_or(0)
                            ),
                        )
                    }
                    None if depth == 0 => {
                        d = d.note(
                            inp.block.span.clone(),
                            "the stack is empty where the code starts",
                        )
                    }
                    None => {}
                }
                d.notes.extend(causes.of_path(at));
                out.push(d);
            }
            Problem::Mismatch {
                at,
                first,
                second,
                from,
            } => {
                // Paths may also meet past the last instruction, at a label
                // that ends the code.
                let (span, place) = match inp.instrs.get(at) {
                    Some(ins) => (ins.span.clone(), "here"),
                    None => match inp.instrs.last() {
                        Some(last) => (last.span.clone(), "at the end of the code"),
                        None => continue,
                    },
                };
                let mut d = Diag::error(
                    "stack-mismatch",
                    span,
                    format!("paths meet {place} with different stack depths: {first} and {second}"),
                );
                if let Some(p) = inp.analysis.pred.get(at).copied().flatten() {
                    d = d.note(
                        inp.instrs[p].span.clone(),
                        format!("a path from here arrives with {first}"),
                    );
                }
                // Either path may start at a handler.
                let mut notes = causes.of_path(at);
                if notes.is_empty() {
                    notes = match from {
                        Some(f) => causes.of_path(f),
                        None => causes.of_handler(at),
                    };
                }
                d.notes.extend(notes);
                out.push(d);
            }
            Problem::FallsOffEnd { at } => out.push(
                Diag::error(
                    "falls-off-end",
                    inp.instrs[at].span.clone(),
                    format!("control runs past the end of the code after {}", name(at)),
                )
                .help("end every path with a return, a raise or a jump"),
            ),
        }
    }

    // Unreachable instructions, one warning per run.
    let live = &inp.analysis.live;
    let dead = |i: usize| !live.get(i).copied().unwrap_or(false);
    let mut i = 0;
    while i < inp.instrs.len() {
        if dead(i) {
            let start = i;
            while i < inp.instrs.len() && dead(i) {
                i += 1;
            }
            let span = inp.instrs[start].span.start..inp.instrs[i - 1].span.end;
            let count = i - start;
            out.push(Diag::warning(
                "unreachable",
                span,
                format!(
                    "{count} instruction{} can never run",
                    if count == 1 { "" } else { "s" }
                ),
            ));
        } else {
            i += 1;
        }
    }

    // A written stack size below what some path needs.
    if let Some(written) = inp.block.stacksize {
        if written < inp.analysis.live_max_depth {
            out.push(
                Diag::error(
                    "stack-size-too-small",
                    inp.block.field_span("stacksize"),
                    format!(
                        "the stack size is {written}, but some path needs {}",
                        inp.analysis.live_max_depth
                    ),
                )
                .help("leave `.stacksize` out and it is computed"),
            );
        }
    }

    // Immediates outside what the interpreter accepts, and instructions that
    // reach further down the stack than their net effect shows.
    for (i, ins) in inp.instrs.iter().enumerate() {
        let Some(op) = inp.infos[i] else { continue };
        let a = inp.args[i];
        let t = inp.table;
        let bad_range = |what: String| {
            Diag::error(
                "invalid-operand",
                ins.arg_span.clone(),
                format!("{} {a} is out of range: {what}", op.name),
            )
        };
        let range = facts(op.op).operand;
        // An instruction without an argument ignores its byte.
        let has_arg = op.arg != ArgKind::None;
        let problem = match (range, op.arg) {
            _ if !has_arg => None,
            (Operand::Range { min, max, why }, _) if !(min..=max).contains(&a) => {
                let values = match (min, max) {
                    (m, u32::MAX) => format!("{m} or more"),
                    (m, n) if n == m + 1 => format!("{m} or {n}"),
                    (m, n) => format!("{m} to {n}"),
                };
                Some(bad_range(format!("it takes {values} ({why})")))
            }
            _ if t.operand_values(op.op).is_some_and(|v| !v.accepts(a)) => {
                let v = t.operand_values(op.op).expect("checked above");
                Some(bad_range(format!(
                    "in Python {} it takes {} ({})",
                    t.version,
                    v.values_text(),
                    v.meaning
                )))
            }
            (_, ArgKind::Compare) => {
                let idx = match t.compare {
                    CompareEncoding::Index => a,
                    CompareEncoding::Masked => a >> 4,
                    CompareEncoding::MaskedBool => a >> 5,
                };
                let mask = match t.compare {
                    CompareEncoding::Index => None,
                    CompareEncoding::Masked | CompareEncoding::MaskedBool => Some(a & 15),
                };
                let want = COMPARE_MASKS.get(idx as usize).copied();
                if idx as usize >= t.cmp_ops.len() {
                    Some(bad_range(format!(
                        "the comparison index is {idx}, and there are {} comparisons",
                        t.cmp_ops.len()
                    )))
                } else if let (Some(m), Some(w)) = (mask, want) {
                    (m != w).then(|| {
                        bad_range(format!(
                            "`{}` needs the outcome mask {w} in its low four bits, not {m}: the specialized forms answer from the mask alone",
                            t.cmp_ops[idx as usize]
                        ))
                        .help("write the comparison symbolically (`COMPARE_OP <`), which sets the mask")
                    })
                } else {
                    None
                }
            }
            (_, ArgKind::BinaryOp) if a as usize >= t.nb_ops.len() => Some(bad_range(format!(
                "there are {} binary operators",
                t.nb_ops.len()
            ))),
            (_, ArgKind::Intrinsic1) if a == 0 || a as usize >= t.intrinsic1.len() => {
                Some(bad_range(format!(
                    "valid intrinsics are 1 to {}",
                    t.intrinsic1.len().saturating_sub(1)
                )))
            }
            (_, ArgKind::Intrinsic2) if a == 0 || a as usize >= t.intrinsic2.len() => {
                Some(bad_range(format!(
                    "valid intrinsics are 1 to {}",
                    t.intrinsic2.len().saturating_sub(1)
                )))
            }
            (_, ArgKind::CommonConstant) if a as usize >= t.common_constants.len() => {
                Some(bad_range(format!(
                    "there are {} common constants",
                    t.common_constants.len()
                )))
            }
            (_, ArgKind::Special) if a as usize >= t.special_methods.len() => Some(bad_range(
                format!("there are {} special methods", t.special_methods.len()),
            )),
            (_, ArgKind::FunctionAttr) if !t.function_flags.iter().any(|(b, _)| *b == a) => {
                Some(bad_range(format!(
                    "the flags are {}",
                    t.function_flags
                        .iter()
                        .map(|(b, _)| b.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
            (_, ArgKind::Conversion) if !(1..=3).contains(&a) => Some(bad_range(
                "conversions are 1 (str), 2 (repr) and 3 (ascii)".into(),
            )),
            _ => None,
        };
        if let Some(d) = problem {
            out.push(d);
        }
    }

    // Locals read before every path assigns them. 3.11's LOAD_FAST checks
    // and raises UnboundLocalError; from 3.12 on it reads a NULL.
    // One report per local: its first read that some path leaves
    // unassigned. Locals that nothing assigns at all are one report for
    // the block, a note at each other one: one missing store (of a pair,
    // say) leaves them all so.
    let mut locals_seen = rustc_hash::FxHashSet::default();
    let mut never_assigned: Option<usize> = None;
    for u in inp.unbound {
        let (i, v) = (u.at, u.local);
        if !locals_seen.insert(v) {
            continue;
        }
        if let (true, Some(first)) = (u.always, never_assigned) {
            let var = inp
                .var_names
                .get(v as usize)
                .map(|(n, _)| crate::syntax::literal::name_text(n))
                .unwrap_or_else(|| format!("#{v}"));
            let d: &mut Diag = &mut out[first];
            d.notes.push((
                inp.instrs[i].arg_span.clone(),
                format!("nothing assigns `{var}` either"),
            ));
            continue;
        }
        if u.always {
            never_assigned = Some(out.len());
        }
        let ins = inp.instrs[i];
        let var = inp
            .var_names
            .get(v as usize)
            .map(|(n, _)| crate::syntax::literal::name_text(n))
            .unwrap_or_else(|| format!("#{v}"));
        let checks = inp.table.load_fast_checks_unbound;
        let similar = if u.always {
            similar_local(inp, v)
        } else {
            None
        };
        let mut d = if checks && u.always {
            // A check that always raises: a misspelling when another local
            // has a near name. Otherwise it may be meant (3.11 compiles
            // `x: int` then `print(x)` so, and a test of UnboundLocalError
            // does just that).
            let m = format!(
                "nothing in this code assigns `{var}`: this read always raises UnboundLocalError"
            );
            if similar.is_some() {
                Diag::error("unbound-local", ins.arg_span.clone(), m)
            } else {
                Diag::warning("unbound-local", ins.arg_span.clone(), m)
            }
        } else if u.always {
            Diag::error(
                "unbound-local",
                ins.arg_span.clone(),
                format!(
                    "nothing in this code assigns `{var}`, and {} does not check: it would read a NULL",
                    name(i)
                ),
            )
        } else if checks {
            Diag::warning(
                "unbound-local",
                ins.arg_span.clone(),
                format!(
                    "`{var}` may be unassigned here; this raises UnboundLocalError on such a path"
                ),
            )
        } else {
            Diag::error(
                "unbound-local",
                ins.arg_span.clone(),
                format!(
                    "`{var}` may be unassigned here, and {} does not check: it would read a NULL",
                    name(i)
                ),
            )
        };
        if let Some(s) = &similar {
            d = d.help(format!("did you mean `{s}`?"));
        } else if !checks {
            d = d.help("use LOAD_FAST_CHECK, which raises UnboundLocalError instead");
        }
        out.push(d);
    }

    // One report per instruction: a value that is missing (the stack
    // underflowed, or its depth differs between paths) is not also of the
    // wrong kind.
    let never_assigned: rustc_hash::FxHashSet<u32> = inp
        .unbound
        .iter()
        .filter(|u| u.always)
        .map(|u| u.local)
        .collect();
    for f in inp.kinds {
        if !f.displaced_by.is_empty() && f.displaced_by.iter().all(|v| never_assigned.contains(v)) {
            continue;
        }
        if !seen_at.insert(f.at) {
            continue;
        }
        let mut d = Diag::error(f.code, inp.instrs[f.at].span.clone(), f.message.clone());
        if let Some((at, msg)) = &f.note {
            d = d.note(inp.instrs[*at].span.clone(), msg.clone());
        }
        if let Some(k) = f.except {
            d.notes.extend(causes.of_entry(k));
        }
        if let Some(h) = &f.help {
            d = d.help(h.clone());
        }
        out.push(d);
    }

    // Before 3.14 a function's docstring is its first constant when that is
    // a string; a string first loaded by code would become the docstring.
    // Comprehensions and lambdas (`<listcomp>` ...) keep no useful __doc__.
    let anonymous = inp
        .block
        .name_field
        .as_ref()
        .is_some_and(|n| n.0.first() == Some(&b'<'));
    if inp.table.first_const_is_docstring && inp.flags & 0x1 != 0 && !anonymous {
        if let Some(crate::code::Obj::Str(s)) = inp.consts.first() {
            let pinned = !inp.block.consts.is_empty();
            if !pinned {
                out.push(
                    Diag::warning(
                        "docstring-slot",
                        inp.block.span.clone(),
                        format!(
                            "the first constant, {}, would become this function's __doc__",
                            crate::syntax::literal::string_lit(s)
                        ),
                    )
                    .help("pin a docstring (or None) first with `.consts`"),
                );
            }
        }
    }

    // Exact operands that point past their table or outside the code.
    let total = *inp.offsets.last().unwrap_or(&0);
    let n_cells_frees = inp
        .var_names
        .iter()
        .filter(|(_, k)| k & (crate::code::kind::CELL | crate::code::kind::FREE) != 0)
        .count();
    for &i in inp.exact {
        let ins = inp.instrs[i];
        let Some(op) = inp.infos[i] else { continue };
        let past = |what: &str, idx: u32, len: usize| {
            Diag::error(
                "undefined-name",
                ins.arg_span.clone(),
                format!(
                    "{} refers to {what} #{idx}, but the table has {len} entr{}",
                    op.name,
                    if len == 1 { "y" } else { "ies" }
                ),
            )
        };
        let table_of = |k: ArgKind| match k {
            ArgKind::Const => Some(("constant", inp.n_consts)),
            ArgKind::Name
            | ArgKind::GlobalName
            | ArgKind::AttrName
            | ArgKind::SuperAttr
            | ArgKind::ImportName => Some(("name", inp.n_names)),
            // Before 3.11 a raw `Free` argument indexes the cell and free
            // variables only (`co_cellvars` then `co_freevars`).
            ArgKind::Free if !inp.table.localsplus => {
                Some(("cell or free variable", n_cells_frees))
            }
            ArgKind::Local | ArgKind::Free => Some(("local", inp.n_vars)),
            _ => None,
        };
        match (&ins.arg, op.arg) {
            (Arg::Value(v), k) if table_of(k).is_some() => {
                let (what, len) = table_of(k).unwrap_or(("", 0));
                if *v as usize >= len {
                    out.push(past(what, *v, len));
                }
            }
            (
                Arg::NameFlags {
                    name: NameRef::Index(v),
                    ..
                },
                _,
            ) if *v as usize >= inp.n_names => out.push(past("name", *v, inp.n_names)),
            (Arg::Pair(a, b), ArgKind::LocalPair) => {
                for r in [a, b] {
                    if let NameRef::Index(v) = r {
                        if *v as usize >= inp.n_vars {
                            out.push(past("local", *v, inp.n_vars));
                        }
                    }
                }
            }
            (Arg::Value(v), ArgKind::LocalPair) => {
                for idx in [v >> 4, v & 15] {
                    if idx as usize >= inp.n_vars {
                        out.push(past("local", idx, inp.n_vars));
                    }
                }
            }
            (Arg::Value(v), k) if k.is_jump() => {
                let target = inp.table.jump_target(k, inp.offsets[i] + inp.sizes[i], *v);
                // (Offsets only grow: every instruction takes a unit.)
                let at_boundary = target.is_some_and(|t| inp.offsets.binary_search(&t).is_ok());
                let inside = target.is_some_and(|t| t <= total);
                if !inside {
                    out.push(Diag::error(
                        "bad-jump-target",
                        ins.arg_span.clone(),
                        format!(
                            "{} #{v} lands outside the code ({} code units long)",
                            op.name, total
                        ),
                    ));
                } else if !at_boundary {
                    out.push(Diag::error(
                        "bad-jump-target",
                        ins.arg_span.clone(),
                        format!(
                            "{} #{v} lands in the middle of an instruction (code unit {})",
                            op.name,
                            target.unwrap_or(0)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// What the notes on a handler's depth need, computed once per block: the
/// entries of each handler (in table order) and the start of the path that
/// first reached each instruction (the entry, a handler, or dead code).
struct DepthCauses<'a> {
    inp: &'a Input<'a>,
    by_handler: FxHashMap<usize, Vec<usize>>,
    root: Vec<usize>,
}

impl<'a> DepthCauses<'a> {
    fn new(inp: &'a Input<'a>) -> Self {
        let mut by_handler: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        for (k, e) in inp.excepts.iter().enumerate() {
            by_handler.entry(e.handler).or_default().push(k);
        }
        // Each instruction's predecessor was reached before it, so the
        // links end; every instruction is resolved once.
        let pred = &inp.analysis.pred;
        let n = pred.len();
        let mut root: Vec<usize> = vec![usize::MAX; n];
        let mut path = Vec::new();
        for i in 0..n {
            let mut j = i;
            while root[j] == usize::MAX && path.len() <= n {
                path.push(j);
                match pred[j] {
                    Some(p) if p < n => j = p,
                    _ => break,
                }
            }
            let r = if root[j] == usize::MAX { j } else { root[j] };
            for x in path.drain(..) {
                root[x] = r;
            }
        }
        DepthCauses {
            inp,
            by_handler,
            root,
        }
    }

    /// Where the depth of entry `k`'s handler comes from: the `.except`
    /// line that writes it, or the lines of that handler it was inferred
    /// for (a few of them).
    fn of_entry(&self, k: usize) -> Vec<(crate::model::Span, String)> {
        let inp = self.inp;
        let excepts = inp.excepts;
        let Some(depth) = inp.analysis.handler_depths.get(k).copied().flatten() else {
            return Vec::new();
        };
        if let Some(j) = inp.analysis.depth_from.get(k).copied().flatten() {
            return vec![(
                excepts[j].span.clone(),
                format!("the handler's depth, {depth}, is written here"),
            )];
        }
        let mut spans: Vec<crate::model::Span> = Vec::new();
        for &j in self
            .by_handler
            .get(&excepts[k].handler)
            .into_iter()
            .flatten()
        {
            if !spans.contains(&excepts[j].span) {
                spans.push(excepts[j].span.clone());
            }
            if spans.len() == 3 {
                break;
            }
        }
        spans
            .into_iter()
            .map(|s| {
                (
                    s,
                    format!("the handler's depth, {depth}, is inferred from its regions; write `depth N` here if it expects another"),
                )
            })
            .collect()
    }

    /// Where the depth of the handler at instruction `h` comes from, if a
    /// handler starts there.
    fn of_handler(&self, h: usize) -> Vec<(crate::model::Span, String)> {
        match self.by_handler.get(&h).and_then(|v| v.first()) {
            Some(&k) => self.of_entry(k),
            None => Vec::new(),
        }
    }

    /// When the path that gave instruction `at` its depth starts at an
    /// exception handler, where that handler's depth comes from.
    fn of_path(&self, at: usize) -> Vec<(crate::model::Span, String)> {
        match self.root.get(at) {
            Some(&r) => self.of_handler(r),
            None => Vec::new(),
        }
    }
}

/// A local of another name, close to local `v`'s, that the code assigns or
/// declares: what a read of a never-assigned local most likely meant.
fn similar_local(inp: &Input, v: u32) -> Option<String> {
    let name = inp.var_names.get(v as usize)?.0.as_str()?;
    let others = inp
        .var_names
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != v as usize)
        .filter_map(|(_, (n, _))| n.as_str());
    crate::diag::nearest(name, others).map(str::to_string)
}
