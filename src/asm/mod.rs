//! The assembler: a `Module` in, code objects out.
//!
//! For each block it builds the tables, resolves operands to arguments, lays
//! out the instructions (EXTENDED_ARG prefixes and inline caches included,
//! iterating until jump arguments settle at the smallest encoding), computes
//! handler depths and the stack size when they are not given, and encodes the
//! location and exception tables by the target version's rules.
//! It never panics on any model; every problem becomes a `Diag` with a span.

mod excepts;
mod limits;
pub mod tables;

pub use crate::analysis::block::{BlockInfo, HiddenParam, MadeFunction};
use crate::analysis::stack::{self, FlowExcept, FlowInstr};
use crate::code::exceptiontable::{self, ExceptEntry};
use crate::code::linetable::{self, Position};
use crate::code::{kind, Code, Obj, PyStr};
use crate::diag::Diag;
use crate::model::{Arg, Block, Body, Module, NameRef, Span, Stmt};
use crate::versions::{ArgKind, LineTable, OpInfo, OpcodeTable, Version};
use rustc_hash::{FxHashMap, FxHashSet};
use tables::{SplitLayout, Tables};

/// How to assemble.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Report the verifier's findings (errors block the output).
    pub verify: bool,
    /// Ignore stack sizes and handler depths written in the file.
    pub recompute_stack: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            verify: true,
            recompute_stack: false,
        }
    }
}

/// Assembles every block reachable from the module's first one and returns
/// the module's code object, with every warning beside it.
pub fn assemble(module: &Module) -> Result<Code, Vec<Diag>> {
    assemble_with(module, Options::default()).map(|(c, _)| c)
}

/// `assemble`, with options; on success also returns the warnings.
pub fn assemble_with(module: &Module, opts: Options) -> Result<(Code, Vec<Diag>), Vec<Diag>> {
    if opts.recompute_stack {
        let mut m = module.clone();
        for b in &mut m.blocks {
            b.stacksize = None;
            for e in &mut b.excepts {
                e.depth = None;
            }
        }
        return assemble_inner(&m, opts, None);
    }
    assemble_inner(module, opts, None)
}

/// The module's code object from blocks already lowered, checked and
/// assembled one by one (by [`crate::ide::FileAnalysis::for_build`]):
/// `codes[i]` is `module.blocks[i]`'s code object with its references to
/// other blocks (`Obj::CodeRef`) unresolved, as [`Children::Unresolved`]
/// leaves them. Each reference becomes the code object of the first block
/// of that name, as [`assemble`] builds it, under the same limits on what
/// the copies cost. Nothing is verified again: the analysis did that, with
/// the module checks.
pub fn link(module: &Module, codes: Vec<Option<Code>>) -> Result<Code, Vec<Diag>> {
    let opts = Options {
        verify: false,
        recompute_stack: false,
    };
    assemble_inner(module, opts, Some(codes)).map(|(c, _)| c)
}

fn assemble_inner(
    module: &Module,
    opts: Options,
    prebuilt: Option<Vec<Option<Code>>>,
) -> Result<(Code, Vec<Diag>), Vec<Diag>> {
    let mut facts: Vec<_> = module
        .blocks
        .iter()
        .map(|b| crate::analysis::module::facts(b, b.stmts(), module.version))
        .collect();
    let with_shift: Vec<_> = facts.iter().map(|f| (f, 0isize)).collect();
    // Linked blocks come from an analysis that made these checks.
    let diags = if prebuilt.is_some() {
        Vec::new()
    } else {
        crate::analysis::module::module_checks(module.version, &with_shift, opts.verify)
    };
    if module.blocks.is_empty() {
        return Err(diags);
    }
    let mut by_name: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, b) in module.blocks.iter().enumerate() {
        by_name.entry(&b.name).or_insert(i);
    }
    // Each block's references, one per name, and how many blocks take each
    // built block into their constants.
    let children: Vec<Vec<(String, Option<usize>)>> = module
        .blocks
        .iter()
        .map(|b| {
            let mut seen = FxHashSet::default();
            crate::analysis::module::code_refs(b, b.stmts())
                .into_iter()
                .filter(|(n, _)| seen.insert(n.clone()))
                .map(|(n, _)| {
                    let j = by_name.get(n.as_str()).copied();
                    (n, j)
                })
                .collect()
        })
        .collect();
    let mut takers = vec![0usize; module.blocks.len()];
    for j in children.iter().flatten().filter_map(|(_, j)| *j) {
        takers[j] += 1;
    }
    // The module's own block is the result: it is never given away.
    takers[0] = usize::MAX;
    let root_filename = module.blocks[0].filename.clone().unwrap_or_default();
    let n = module.blocks.len();
    let mut builder = Builder {
        module,
        children,
        takers,
        built: vec![None; n],
        costs: vec![None; n],
        state: vec![Visit::No; n],
        root_filename,
        diags,
        verify: opts.verify,
        functions: vec![(Vec::new(), Vec::new()); module.blocks.len()],
        prebuilt: prebuilt.unwrap_or_default(),
    };
    builder.build_from(0);
    let root = builder.built[0].take();
    // Blocks nothing references are still checked, so their errors show.
    for i in 1..n {
        builder.build_from(i);
    }
    // Closures against the free variables of the blocks they are for,
    // now that every block's functions are known.
    if opts.verify {
        for (f, (made, hidden)) in facts.iter_mut().zip(std::mem::take(&mut builder.functions)) {
            f.functions = made;
            f.hidden = hidden;
        }
        let with_shift: Vec<_> = facts.iter().map(|f| (f, 0isize)).collect();
        builder
            .diags
            .extend(crate::analysis::module::closure_checks(&with_shift));
    }
    let errors = builder.diags.iter().any(|d| d.is_error());
    match root {
        Some(code) if !errors => Ok((code, builder.diags)),
        _ => Err(builder.diags),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    No,
    InProgress,
    Done,
}

/// Builds the blocks in post-order (children before the blocks whose
/// constants embed them), without recursion: a chain of references can be
/// as long as the file.
struct Builder<'m> {
    module: &'m Module,
    /// The blocks each block references, by name, each name once.
    children: Vec<Vec<(String, Option<usize>)>>,
    /// How many blocks have yet to take each built block; the last one
    /// takes it rather than a copy.
    takers: Vec<usize>,
    built: Vec<Option<Code>>,
    /// What each built block costs once marshalled.
    costs: Vec<Option<limits::Cost>>,
    state: Vec<Visit>,
    root_filename: PyStr,
    diags: Vec<Diag>,
    verify: bool,
    /// Each block's functions and relied-on hidden parameters, as its
    /// verification found them.
    functions: Vec<(Vec<MadeFunction>, Vec<HiddenParam>)>,
    /// Code objects already assembled, references unresolved (for
    /// [`link`]; empty otherwise).
    prebuilt: Vec<Option<Code>>,
}

impl Builder<'_> {
    /// Builds block `root` and every block it reaches that is not built
    /// yet. Missing and cyclic references make a block fail quietly:
    /// `module_checks` reports them.
    fn build_from(&mut self, root: usize) {
        if self.state[root] != Visit::No {
            return;
        }
        self.state[root] = Visit::InProgress;
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (i, ref mut k)) = stack.last_mut() {
            if let Some((_, j)) = self.children[i].get(*k) {
                *k += 1;
                if let Some(j) = *j {
                    if self.state[j] == Visit::No {
                        self.state[j] = Visit::InProgress;
                        stack.push((j, 0));
                    }
                }
                continue;
            }
            stack.pop();
            self.finish(i);
            self.state[i] = Visit::Done;
        }
    }

    /// Builds block `i`, whose children are all built (or failed).
    fn finish(&mut self, i: usize) {
        let block = &self.module.blocks[i];
        let version = self.module.version;
        let ctx = BlockContext {
            version,
            is_root: i == 0,
            root_filename: &self.root_filename,
            memo: None,
        };
        // What the constants will cost with every referenced block copied
        // in, known before anything is copied: a few lines of references
        // to references can otherwise describe an exponential amount.
        // By name: a module block may reference thousands of blocks.
        let child_index: FxHashMap<&str, Option<usize>> = self.children[i]
            .iter()
            .map(|(m, j)| (m.as_str(), *j))
            .collect();
        let child_cost = |n: &str| self.costs[(*child_index.get(n)?)?];
        let mut prebuilt = self.prebuilt.get_mut(i).and_then(Option::take);
        let taken = prebuilt
            .as_mut()
            .map(|code| std::mem::take(&mut code.consts));
        let consts: Vec<&Obj> = match &taken {
            Some(consts) => consts.iter().collect(),
            None => tables::build(version.table(), block).consts,
        };
        let over = limits::consts_cost(consts.iter().copied(), &child_cost)
            .and_then(|c| limits::check(&c, &block.name, &block.span).err());
        if let Some(d) = over {
            // Still lowered and checked for the block's own errors, with
            // no children to copy (an analysis did that for a linked one).
            if prebuilt.is_none() {
                if let Err(mut f) = assemble_block(&ctx, block, &|_| None) {
                    self.diags.append(&mut f.diags);
                }
            }
            self.diags.push(d);
            return;
        }
        let mut children: FxHashMap<&str, Option<Code>> = FxHashMap::default();
        for k in 0..self.children[i].len() {
            let (name, j) = &self.children[i][k];
            let code = match *j {
                Some(j) if self.state[j] == Visit::Done => {
                    self.takers[j] = self.takers[j].saturating_sub(1);
                    if self.takers[j] == 0 {
                        self.built[j].take()
                    } else {
                        self.built[j].clone()
                    }
                }
                _ => None,
            };
            children.insert(name.as_str(), code);
        }
        let resolve = |n: &str| children.get(n).cloned().flatten();
        let result = match prebuilt {
            Some(mut code) => {
                // A failed reference was reported by the module checks.
                match consts.iter().map(|c| resolve_const(c, &resolve)).collect() {
                    Some(resolved) => {
                        code.consts = resolved;
                        // Assembled on its own, the block did not know
                        // the module's filename (or, for the module's own
                        // block, the path `ide::FileAnalysis::link` gives).
                        code.filename = block
                            .filename
                            .clone()
                            .unwrap_or_else(|| self.root_filename.clone());
                        Ok((code, BlockInfo::default()))
                    }
                    None => Err(Failed::of(Vec::new())),
                }
            }
            None => assemble_block_with(&ctx, block, Children::Built(&resolve), self.verify),
        };
        drop(children);
        match result {
            Ok((code, info)) => {
                if self.verify {
                    self.diags.extend(info.diags);
                }
                self.functions[i] = (info.functions, info.hidden);
                let cost = limits::code_cost(&code, consts.iter().copied(), &child_cost);
                match cost.map(|c| (limits::check(&c, &block.name, &block.span), c)) {
                    Some((Ok(()), c)) => {
                        self.costs[i] = Some(c);
                        self.built[i] = Some(code);
                    }
                    Some((Err(d), _)) => self.diags.push(d),
                    None => {}
                }
            }
            Err(mut f) => self.diags.append(&mut f.diags),
        }
    }
}

/// What a block needs to know about the module around it.
pub struct BlockContext<'a> {
    pub version: Version,
    pub is_root: bool,
    pub root_filename: &'a PyStr,
    /// What the stack analysis found in the block's sections the last
    /// time it was assembled, and keeps for the next (the language server
    /// keeps one per block): see [`stack::analyze_keeping`].
    pub memo: Option<&'a std::cell::RefCell<crate::analysis::sections::Memo>>,
}

pub fn default_flags(is_root: bool) -> u32 {
    if is_root {
        0
    } else {
        0x3
    }
}

pub fn default_name(block: &Block, is_root: bool) -> PyStr {
    if is_root {
        PyStr::new("<module>")
    } else {
        PyStr::new(&block.name)
    }
}

/// The first positive line any instruction of the block is placed on, else
/// 1. (A module's first instruction sits on line 0.)
pub fn default_firstlineno(body: Body) -> i32 {
    body.instrs()
        .find_map(|i| i.pos.line.filter(|&l| l > 0))
        .unwrap_or(1)
}

/// EXTENDED_ARG prefixes needed to hold `arg`: the fewest that fit.
pub fn ext_count(arg: u32) -> u32 {
    match arg {
        0..=0xFF => 0,
        0x100..=0xFFFF => 1,
        0x1_0000..=0xFF_FFFF => 2,
        _ => 3,
    }
}

enum Operand {
    Fixed(u32),
    /// A jump to the instruction at `label` (an index), by an argument of
    /// kind `kind` (`VersionSpec::jump_arg` makes the number).
    Jump {
        label: usize,
        kind: ArgKind,
    },
    /// The line did not lower, or its operand did not resolve (an error
    /// says so): the analyses see an instruction of unknown effect.
    Unknown,
    /// A jump whose label did not resolve: it still jumps or branches,
    /// to a place nothing knows.
    NoTarget,
}

/// A block that was not built: every diagnostic, and what the analyses
/// found when they ran (a block with a line that did not lower, or a jump
/// to an undefined label, is analysed all the same, so the language
/// server still shows its stack depths).
pub struct Failed {
    pub diags: Vec<Diag>,
    pub info: Option<Box<BlockInfo>>,
}

impl Failed {
    fn of(diags: Vec<Diag>) -> Failed {
        Failed { diags, info: None }
    }
}

/// Assembles one block. `resolve_code` gives the built code object of a
/// referenced block.
pub fn assemble_block(
    ctx: &BlockContext,
    block: &Block,
    resolve_code: &dyn Fn(&str) -> Option<Code>,
) -> Result<(Code, BlockInfo), Failed> {
    assemble_block_with(ctx, block, Children::Built(resolve_code), true)
}

/// What to put in the constants where a block refers to another (`@name`).
#[derive(Clone, Copy)]
pub enum Children<'a> {
    /// The referenced block's built code object; `None` if it failed.
    Built(&'a dyn Fn(&str) -> Option<Code>),
    /// The reference itself (`Obj::CodeRef`): the result is not a finished
    /// code object, but everything else in it is final. The disassembler
    /// compares such results with the code objects it started from.
    Unresolved,
    /// Only the findings are wanted (the language server, after an edit):
    /// the code object comes back without its constants, its bytes and
    /// its line and exception tables, which would be made for nothing
    /// (encoding finds no problem of its own).
    Findings,
}

/// [`assemble_block`], choosing what referenced blocks become and whether
/// the verifier's analyses (definite assignment, NULL tracking, the
/// checks of `analysis::verify`) run; `BlockInfo::diags` is empty without
/// them. The stack analysis always runs: it gives `co_stacksize` and the
/// handler depths.
pub fn assemble_block_with(
    ctx: &BlockContext,
    block: &Block,
    children: Children,
    verify: bool,
) -> Result<(Code, BlockInfo), Failed> {
    assemble_body(ctx, block, block.stmts(), children, verify)
}

/// [`assemble_block_with`], the statements read from `body` (see
/// [`Body`]) rather than from the block, whose own `body` is then unused.
pub fn assemble_body(
    ctx: &BlockContext,
    block: &Block,
    body: Body,
    children: Children,
    verify: bool,
) -> Result<(Code, BlockInfo), Failed> {
    let table = ctx.version.table();
    let mut diags = Vec::new();
    let tabs = tables::build_in(table, block, body);
    // Before 3.11: the variables as `co_varnames`, `co_cellvars` and
    // `co_freevars`, and `Free` arguments counted among the cells and free
    // variables only. The analyses see every variable argument as its
    // index among the block's variables, as from 3.11 on.
    let split = match table.localsplus {
        true => None,
        false => match SplitLayout::of(&tabs.vars, block.cellvars.as_deref(), block.nlocals) {
            Ok(l) => Some(l),
            Err(m) => {
                diags.push(Diag::error(
                    "bad-code-object",
                    block.field_span("cellvars"),
                    m,
                ));
                None
            }
        },
    };

    // Declared locals: no duplicates.
    diags.extend(crate::analysis::module::duplicate_locals(block));

    // Labels, and the instructions (one pass over the statements, as the
    // other passes below are one each over the instructions: a block of
    // 100,000 instructions is 12 MB of them, read again by every pass).
    let mut labels: FxHashMap<&str, (usize, Span)> = FxHashMap::default();
    let mut instrs: Vec<&crate::model::Instr> = Vec::new();
    for s in body.iter() {
        match s {
            Stmt::Label(name, span) => {
                if let Some((_, first)) = labels.get(name.as_str()) {
                    diags.push(
                        Diag::error(
                            "duplicate-label",
                            span.clone(),
                            format!("label `{name}` is defined more than once"),
                        )
                        .note(first.clone(), "first defined here"),
                    );
                } else {
                    labels.insert(name, (instrs.len(), span.clone()));
                }
            }
            Stmt::Instr(ins) => instrs.push(ins),
        }
    }

    // Resolve operands. A line that did not lower was reported by
    // lowering; the block is analysed, for what else is wrong, but never
    // built.
    let mut ops: Vec<(Option<&'static OpInfo>, Operand)> = Vec::with_capacity(instrs.len());
    let mut min_ext: Vec<u32> = Vec::with_capacity(instrs.len());
    let mut broken = false;
    let mut exact = Vec::new();
    for (idx, ins) in instrs.iter().enumerate() {
        let info = table.by_code(ins.opcode);
        min_ext.push(ins.min_ext as u32);
        let lowered = !matches!(ins.arg, Arg::Broken);
        broken |= !lowered;
        if ins.arg.has_exact_part() {
            exact.push(idx);
        }
        let operand = if !lowered {
            Operand::Unknown
        } else {
            match resolve_operand(table, info, ins, idx, &tabs, &labels) {
                Ok(o) => o,
                Err(d) => {
                    diags.push(d);
                    let jump =
                        matches!(ins.arg, Arg::Label(_)) && info.is_some_and(|i| i.is_jump());
                    if jump {
                        Operand::NoTarget
                    } else {
                        Operand::Unknown
                    }
                }
            }
        };
        // A raw `Free` argument of 3.6-3.10 counts among the cells and
        // free variables.
        let operand = match (&split, info, operand, &ins.arg) {
            (Some(l), Some(i), Operand::Fixed(v), Arg::Value(_)) if i.arg == ArgKind::Free => {
                Operand::Fixed(l.free_slot(v))
            }
            (_, _, o, _) => o,
        };
        ops.push((info, operand));
    }

    // Lay out: start every jump at its smallest size and grow until stable.
    let verbatim = block.verbatim;
    let ext_for = |i: usize, arg: u32| {
        if verbatim {
            0
        } else {
            ext_count(arg).max(min_ext[i])
        }
    };
    let caches: Vec<u32> = ops
        .iter()
        .map(|(i, _)| match i {
            Some(i) if !verbatim => i.caches as u32,
            _ => 0,
        })
        .collect();
    let mut args: Vec<u32> = ops
        .iter()
        .map(|(_, o)| match o {
            Operand::Fixed(v) => *v,
            Operand::Jump { .. } | Operand::Unknown | Operand::NoTarget => 0,
        })
        .collect();
    // What the code holds where it differs from what the analyses see: a
    // `Free` argument before 3.11.
    let coded: Vec<Option<u32>> = ops
        .iter()
        .map(|(info, o)| match (&split, info, o) {
            (Some(l), Some(i), Operand::Fixed(v)) if i.arg == ArgKind::Free => Some(l.free_arg(*v)),
            _ => None,
        })
        .collect();
    let code_arg = |i: usize, args: &[u32]| coded[i].unwrap_or(args[i]);
    let mut sizes: Vec<u32> = (0..ops.len())
        .map(|i| 1 + caches[i] + ext_for(i, code_arg(i, &args)))
        .collect();
    let mut offsets = vec![0u32; ops.len() + 1];
    loop {
        let mut total = 0u32;
        for i in 0..ops.len() {
            offsets[i] = total;
            total = total.saturating_add(sizes[i]);
        }
        offsets[ops.len()] = total;
        let mut changed = false;
        for (i, (_, o)) in ops.iter().enumerate() {
            if let Operand::Jump { label, kind } = o {
                let end = offsets[i] + sizes[i];
                // A label the wrong way was refused when the operand was
                // resolved; past what a `u32` holds, the code is too large
                // and says so below.
                let arg = table
                    .jump_arg(*kind, end, offsets[*label])
                    .unwrap_or(u32::MAX);
                args[i] = arg;
                let size = 1 + caches[i] + ext_for(i, arg);
                if size != sizes[i] {
                    sizes[i] = size;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    if verbatim {
        for (i, ins) in instrs.iter().enumerate() {
            if args[i] > 0xFF {
                diags.push(Diag::error(
                    "invalid-operand",
                    ins.arg_span.clone(),
                    format!(
                        "argument {} does not fit in one byte; in a `.verbatim` block write the EXTENDED_ARG prefixes yourself",
                        args[i]
                    ),
                ));
            }
        }
    }
    let total_units = offsets[ops.len()];
    if total_units as u64 * 2 > i32::MAX as u64 {
        diags.push(Diag::error(
            "too-large",
            block.span.clone(),
            "the code is too large for a code object",
        ));
    }

    // Exception entries: the lines as written, then the table they stand
    // for (nested regions flattened, see `excepts`).
    let mut lines = Vec::new();
    let mut written = Vec::new();
    for e in &block.excepts {
        let mut get = |name: &str| match labels.get(name) {
            Some((i, _)) => Some(*i),
            None => {
                diags.push(
                    Diag::error(
                        "undefined-name",
                        e.span.clone(),
                        format!("no label named `{name}` in this block"),
                    )
                    .suggest(name, labels.keys().copied()),
                );
                None
            }
        };
        let (s, en, h) = (get(&e.start), get(&e.end), get(&e.handler));
        if let (Some(s), Some(en), Some(h)) = (s, en, h) {
            if offsets[en] < offsets[s] {
                diags.push(Diag::error(
                    "empty-except-range",
                    e.span.clone(),
                    format!(
                        "the protected range `{}` .. `{}` is reversed: `{}` comes after `{}`",
                        e.start, e.end, e.start, e.end
                    ),
                ));
                continue;
            }
            if offsets[en] == offsets[s] {
                // It protects nothing, so it is left out: harmless, but
                // likely not what was meant.
                diags.push(Diag::warning(
                    "empty-except-range",
                    e.span.clone(),
                    format!(
                        "the protected range `{}` .. `{}` holds no instruction; the entry is left out",
                        e.start, e.end
                    ),
                ));
                continue;
            }
            lines.push(FlowExcept {
                start: s,
                end: en,
                handler: h,
                depth: e.depth,
                lasti: e.lasti,
                span: e.span.clone(),
            });
            written.push(e);
        }
    }
    let (flat, overlaps) = excepts::flatten(&lines, &written);
    diags.extend(overlaps);
    // For each entry, the line it comes from (an index into `lines`).
    let (line_of, mut flow_excepts): (Vec<usize>, Vec<FlowExcept>) = flat.into_iter().unzip();

    // Raw tables, as the analyses must see them: the exception table's
    // entries on instruction boundaries, the location table covering the
    // code exactly (CPython reads both without checking).
    let mut raw_problems = Vec::new();
    if let Some(raw) = &block.exceptiontable {
        let at = |u: u32| offsets.binary_search(&u).ok();
        let span = block.field_span("exceptiontable");
        match exceptiontable::decode(raw) {
            Ok(entries) => {
                // CPython's lookup (a binary search on starts, then a scan
                // that stops at the first start past the offset) misses
                // handlers in a table that is not sorted and apart.
                if let Some(k) = (1..entries.len()).find(|&k| entries[k].start < entries[k - 1].end)
                {
                    raw_problems.push(Diag::error(
                        "raw-table",
                        span.clone(),
                        format!(
                            "entry {k} of the exception table starts at {}, before entry {} ends at {}: CPython looks entries up as if sorted and apart, and would miss handlers",
                            entries[k].start,
                            k - 1,
                            entries[k - 1].end
                        ),
                    ));
                }
                for (k, e) in entries.iter().enumerate() {
                    match (at(e.start), at(e.end), at(e.target)) {
                        (Some(s), Some(en), Some(h)) if s < en && h < ops.len() => {
                            flow_excepts.push(FlowExcept {
                                start: s,
                                end: en,
                                handler: h,
                                depth: Some(e.depth),
                                lasti: e.lasti,
                                span: span.clone(),
                            })
                        }
                        _ => raw_problems.push(Diag::error(
                            "raw-table",
                            span.clone(),
                            format!(
                                "entry {k} of the exception table ({} to {}, handler {}) does not fall on instructions, so the code cannot be verified",
                                e.start, e.end, e.target
                            ),
                        )),
                    }
                }
            }
            Err(e) => raw_problems.push(Diag::error("raw-table", span, e.to_string())),
        }
    }
    // (Only 3.11's location table has a decoder yet.)
    if let Some(raw) = block
        .linetable
        .as_ref()
        .filter(|_| table.line_table == LineTable::Locations)
    {
        let first = block
            .firstlineno
            .unwrap_or_else(|| default_firstlineno(body));
        if let Err(e) = linetable::decode(ctx.version, raw, first, offsets[ops.len()] as usize) {
            raw_problems.push(Diag::error(
                "raw-table",
                block.field_span("linetable"),
                format!("{e}: CPython reads the location table without checking it"),
            ));
        }
    }

    // With errors so far the block is not built, but the analyses still
    // run over it: what they find elsewhere is reported too, and what
    // follows from an instruction already reported is not.
    let failed = broken || diags.iter().any(|d| d.is_error());

    // Stack analysis.
    let flow: Vec<FlowInstr> = ops
        .iter()
        .enumerate()
        .map(|(i, (info, o))| FlowInstr {
            op: match o {
                Operand::Unknown => None,
                _ => *info,
            },
            arg: args[i],
            target: match o {
                Operand::Jump { label, .. } => Some(*label),
                Operand::Fixed(_) | Operand::Unknown | Operand::NoTarget => None,
            },
            // A SETUP_* whose handler did not resolve sets up a block that
            // is not known either (before 3.11, what its handler is
            // entered with decides what the code after it may do).
            unknown: match o {
                Operand::Unknown => true,
                Operand::NoTarget => info.is_some_and(|i| i.arg == ArgKind::Handler),
                _ => false,
            },
            ends: false,
        })
        .collect();
    // 3.6-3.8: where END_FINALLY goes on depends on how its `finally` block
    // was entered, which the block stack's walk follows; what it finds
    // never goes on is analysed as such, verified or not (the depths after
    // it, and so the stack size, depend on it).
    let mut flow = flow;
    let unwinding = crate::analysis::blockstack::ends(table, &flow);
    for &i in &unwinding.ends {
        flow[i].ends = true;
    }
    let mut memo = ctx.memo.map(|m| m.borrow_mut());
    if let Some(m) = memo.as_mut() {
        m.keep_for(table.version);
    }
    let size = memo.as_ref().map_or(0, |m| m.section_size());
    let mut analysis = stack::analyze_keeping(
        table,
        &flow,
        &flow_excepts,
        memo.as_deref_mut().map(|m| (&mut m.stack, size)),
    );
    // The verifier reads operands; an unknown one has none to read.
    let infos: Vec<Option<&'static OpInfo>> = ops
        .iter()
        .map(|(i, o)| match o {
            Operand::Unknown => None,
            _ => *i,
        })
        .collect();
    let built_flags = block.flags.unwrap_or(default_flags(ctx.is_root));
    let n_args = block.argcount.unwrap_or(0) as usize
        + block.kwonlyargcount.unwrap_or(0) as usize
        + (built_flags & 0x4 != 0) as usize
        + (built_flags & 0x8 != 0) as usize;
    // Verification (skipped when not asked for: `pyasm dis` builds only to
    // compare, and `--no-verify` means it).
    let (verified, kinds_result) = if verify {
        let kinds: Vec<u8> = tabs.vars.iter().map(|(_, k)| *k).collect();
        let unbound = crate::analysis::locals::unbound_reads_keeping(
            &flow,
            &flow_excepts,
            &kinds,
            n_args,
            &analysis.live,
            unwinding.paths.as_ref(),
            memo.as_deref_mut().map(|m| (&mut m.locals, size)),
        );
        let input = crate::analysis::kinds::Input {
            table,
            instrs: &flow,
            excepts: &flow_excepts,
            analysis: &analysis,
            consts: &tabs.consts,
            vars: &tabs.vars,
            names: &tabs.names,
            n_args,
            flags: built_flags,
        };
        let mut kinds_result = crate::analysis::kinds::analyze_keeping(
            &input,
            memo.as_deref_mut().map(|m| (&mut m.kinds, size)),
        );
        // Done again where the kinds analysis found instructions that
        // cannot do their work: what follows from them is not reported.
        if let Some(again) = kinds_result.stack.take() {
            analysis = again;
        }
        // The block stack's problems first: where one is found, what the
        // kinds analysis sees there follows from it.
        let walked = crate::analysis::blockstack::analyze(&crate::analysis::blockstack::Input {
            table,
            instrs: &flow,
            analysis: Some(&analysis),
        });
        let mut findings = walked.findings;
        if !findings.is_empty() {
            // What follows from a block-stack problem is the same mistake:
            // the stack analysis is done again with those instructions of
            // unknown effect, and nothing is reported where that leaves
            // the depth a guess (as the kinds analysis does for its own).
            let at: Vec<usize> = findings.iter().map(|f| f.at).collect();
            analysis = stack::analyze(table, &stack::with_unknown(&flow, &at), &flow_excepts);
            let guessed = |i: usize| analysis.unknown.get(i).copied().unwrap_or(false);
            kinds_result.findings.retain(|f| !guessed(f.at));
            findings.append(&mut kinds_result.findings);
            kinds_result.findings = findings;
        }
        let mut verified = crate::analysis::verify::verify(&crate::analysis::verify::Input {
            table,
            consts: &tabs.consts,
            flags: built_flags,
            block,
            instrs: &instrs,
            exact: &exact,
            infos: &infos,
            args: &args,
            offsets: &offsets,
            sizes: &sizes,
            analysis: &analysis,
            excepts: &flow_excepts,
            n_consts: tabs.consts.len(),
            n_names: tabs.names.len(),
            n_vars: tabs.vars.len(),
            unbound: &unbound,
            kinds: &kinds_result.findings,
            var_names: &tabs.vars,
        });
        verified.append(&mut raw_problems);
        // What CPython's code constructor refuses, so that marshal cannot
        // load the file.
        let argcount = block.argcount.unwrap_or(0);
        // A line that did not lower may have named a local, so the count
        // is not known.
        if tabs.vars.len() < n_args && !broken {
            verified.push(Diag::error(
                "bad-code-object",
                block.field_span("argcount"),
                format!(
                    "the code takes {n_args} argument{} but has {} local{}: CPython refuses to load it (declare every argument with `.var`)",
                    if n_args == 1 { "" } else { "s" },
                    tabs.vars.len(),
                    if tabs.vars.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        if block.posonlyargcount.unwrap_or(0) > argcount {
            verified.push(Diag::error(
                "bad-code-object",
                block.field_span("posonlyargcount"),
                "more positional-only arguments than arguments: CPython refuses to load it",
            ));
        }
        if instrs.is_empty() {
            verified.push(Diag::error(
                "empty-code",
                block.span.clone(),
                "a code object needs at least one instruction: CPython refuses to load an empty one",
            ));
        }
        (verified, kinds_result)
    } else {
        (Vec::new(), crate::analysis::kinds::KindResult::default())
    };
    // The warnings found before the layout (a local declared twice) go
    // with the verifier's findings; they were dropped when the block had
    // no error.
    let verified = if verify {
        let mut all = std::mem::take(&mut diags);
        all.extend(verified);
        all
    } else {
        verified
    };
    if failed {
        // Where a jump goes, or what an instruction does, is not known:
        // neither is what can be reached.
        let lost = ops
            .iter()
            .any(|(_, o)| matches!(o, Operand::Unknown | Operand::NoTarget));
        let mut all = diags;
        all.extend(
            verified
                .into_iter()
                .filter(|d| !(lost && d.code == "unreachable")),
        );
        let depths = analysis.handler_depths.clone();
        let mut info = BlockInfo::new(&analysis, depths, Vec::new(), Vec::new(), Vec::new());
        info.partial = true;
        return Err(Failed {
            diags: all,
            info: Some(Box::new(info)),
        });
    }

    // Encode the instructions.
    let encode = !matches!(children, Children::Findings);
    let mut code = Vec::with_capacity(if encode { total_units as usize * 2 } else { 0 });
    let ext = table.extended_arg();
    for (i, ins) in instrs.iter().enumerate().filter(|_| encode) {
        let arg = code_arg(i, &args);
        let n = ext_for(i, arg);
        for k in (1..=n).rev() {
            code.push(ext);
            code.push((arg >> (8 * k)) as u8);
        }
        code.push(ins.opcode);
        code.push(arg as u8);
        for _ in 0..caches[i] {
            code.push(0);
            code.push(0);
        }
    }

    let linetable = match &block.linetable {
        _ if !encode => Vec::new(),
        Some(raw) => raw.clone(),
        None => {
            let firstlineno = block
                .firstlineno
                .unwrap_or_else(|| default_firstlineno(body));
            let runs: Vec<(Position, u32)> = instrs
                .iter()
                .enumerate()
                .map(|(i, ins)| (ins.pos, sizes[i]))
                .collect();
            linetable::encode(ctx.version, firstlineno, &runs)
        }
    };

    // The depth each line records: that of its entries (they share its
    // handler, so they agree), `None` for a line inner regions hide.
    let mut handler_depths = vec![None; lines.len()];
    for (k, &line) in line_of.iter().enumerate() {
        handler_depths[line] = analysis.handler_depths[k];
    }
    let exceptiontable = match &block.exceptiontable {
        _ if split.is_some() || !encode => Vec::new(),
        Some(raw) => raw.clone(),
        None => {
            let mut entries = Vec::new();
            for (k, e) in flow_excepts.iter().enumerate() {
                let depth = e.depth.or(analysis.handler_depths[k]).unwrap_or_default();
                entries.push(ExceptEntry {
                    start: offsets[e.start],
                    end: offsets[e.end],
                    target: offsets[e.handler],
                    depth,
                    lasti: e.lasti,
                });
            }
            exceptiontable::encode(&entries)
        }
    };

    // Functions made here, for the module's check of their closures.
    let functions = kinds_result
        .functions
        .iter()
        .filter_map(|f| match tabs.consts.get(f.konst) {
            Some(Obj::CodeRef(name)) => Some(MadeFunction {
                span: instrs[f.at].span.clone(),
                block: name.clone(),
                need: f.need,
            }),
            _ => None,
        })
        .collect();
    // The hidden parameters its code relies on.
    let hidden = tabs
        .vars
        .iter()
        .take(n_args.min(8))
        .enumerate()
        .filter(|(p, _)| kinds_result.relied & (1 << p) != 0)
        .filter_map(|(p, (name, _))| {
            Some(HiddenParam {
                position: p as u32,
                kinds: crate::analysis::kinds::hidden_param(name)?,
                name: name.as_str().unwrap_or("").to_string(),
            })
        })
        .collect();
    let tables::Tables {
        consts,
        names,
        vars,
        ..
    } = tabs;
    let consts = match children {
        Children::Findings => Vec::new(),
        Children::Unresolved => consts.into_iter().cloned().collect(),
        Children::Built(resolve_code) => {
            let resolved = consts
                .iter()
                .map(|c| resolve_const(c, resolve_code))
                .collect::<Option<Vec<_>>>();
            let Some(resolved) = resolved else {
                // A referenced block failed; its own errors were reported.
                return Err(Failed::of(diags));
            };
            resolved
        }
    };
    let name = block
        .name_field
        .clone()
        .unwrap_or_else(|| default_name(block, ctx.is_root));
    let qualname = match split {
        Some(_) => PyStr::default(),
        None => block.qualname.clone().unwrap_or_else(|| name.clone()),
    };
    let (localsplusnames, localspluskinds) = match split {
        Some(_) => (Vec::new(), Vec::new()),
        None => (
            vars.iter().map(|(n, _)| (*n).clone()).collect(),
            vars.iter().map(|(_, k)| *k).collect(),
        ),
    };
    let code_obj = Code {
        argcount: block.argcount.unwrap_or(0),
        posonlyargcount: block.posonlyargcount.unwrap_or(0),
        kwonlyargcount: block.kwonlyargcount.unwrap_or(0),
        stacksize: block.stacksize.unwrap_or(analysis.max_depth),
        flags: block.flags.unwrap_or(default_flags(ctx.is_root)),
        code,
        consts,
        names: names.into_iter().cloned().collect(),
        localspluskinds,
        localsplusnames,
        filename: block
            .filename
            .clone()
            .unwrap_or_else(|| ctx.root_filename.clone()),
        qualname,
        name,
        firstlineno: block
            .firstlineno
            .unwrap_or_else(|| default_firstlineno(body)),
        linetable,
        exceptiontable,
        split_vars: split.map(|l| Box::new(l.vars)),
    };
    let info = BlockInfo::new(&analysis, handler_depths, verified, functions, hidden);
    Ok((code_obj, info))
}

fn resolve_const(c: &Obj, resolve_code: &dyn Fn(&str) -> Option<Code>) -> Option<Obj> {
    let map = |v: &[Obj]| -> Option<Vec<Obj>> {
        v.iter().map(|x| resolve_const(x, resolve_code)).collect()
    };
    Some(match c {
        Obj::CodeRef(n) => Obj::Code(Box::new(resolve_code(n)?)),
        Obj::Tuple(v) => Obj::Tuple(map(v)?),
        Obj::List(v) => Obj::List(map(v)?),
        Obj::Set(v) => Obj::Set(map(v)?),
        Obj::FrozenSet(v) => Obj::FrozenSet(map(v)?),
        Obj::Dict(kv) | Obj::FrozenDict(kv) => {
            let pairs = kv
                .iter()
                .map(|(k, v)| {
                    Some((
                        resolve_const(k, resolve_code)?,
                        resolve_const(v, resolve_code)?,
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            if matches!(c, Obj::Dict(_)) {
                Obj::Dict(pairs)
            } else {
                Obj::FrozenDict(pairs)
            }
        }
        Obj::Slice(s) => Obj::Slice(Box::new((
            resolve_const(&s.0, resolve_code)?,
            resolve_const(&s.1, resolve_code)?,
            resolve_const(&s.2, resolve_code)?,
        ))),
        other => other.clone(),
    })
}

fn resolve_operand(
    table: &OpcodeTable,
    info: Option<&'static OpInfo>,
    ins: &crate::model::Instr,
    idx: usize,
    tabs: &Tables,
    labels: &FxHashMap<&str, (usize, Span)>,
) -> Result<Operand, Diag> {
    let span = ins.arg_span.clone();
    let Some(info) = info else {
        // An opcode the table does not know takes a raw argument only.
        return match &ins.arg {
            Arg::None => Ok(Operand::Fixed(0)),
            Arg::Value(v) => Ok(Operand::Fixed(*v)),
            _ => Err(Diag::error(
                "invalid-operand",
                span,
                "an unknown opcode takes only a number as its argument",
            )),
        };
    };
    let kind_name = |k: ArgKind| match k {
        ArgKind::Const => "a constant",
        ArgKind::Name
        | ArgKind::GlobalName
        | ArgKind::AttrName
        | ArgKind::SuperAttr
        | ArgKind::ImportName => "a name",
        ArgKind::LocalPair => "two local variables",
        ArgKind::Local => "a local variable",
        ArgKind::Free => "a cell or free variable",
        k if k.is_jump() => "a label",
        _ => "a number",
    };
    let fixed = |v: u32| Ok(Operand::Fixed(v));
    match (&ins.arg, info.arg) {
        (Arg::Value(v), k) => match k.name_shift() {
            Some(shift) => match v.checked_mul(1 << shift) {
                Some(a) => fixed(a),
                None => Err(Diag::error(
                    "invalid-operand",
                    span,
                    "the name index is too large",
                )),
            },
            None => fixed(*v),
        },
        // Bare `MAKE_FUNCTION` (3.11-3.12) and `FORMAT_VALUE`: no flags,
        // no conversion and no spec.
        (Arg::None, ArgKind::None | ArgKind::MakeFunction | ArgKind::FormatValue) => fixed(0),
        (Arg::None, k) => Err(Diag::error(
            "invalid-operand",
            ins.span.clone(),
            format!("{} takes {} as its operand", info.name, kind_name(k)),
        )),
        (Arg::Const(v), ArgKind::Const) => match tabs.const_index(v) {
            Some(i) => fixed(i),
            None => Err(Diag::error("internal", span, "constant missing from table")),
        },
        (Arg::Name(n), ArgKind::Name) => fixed(tabs.name_index(n).unwrap_or(0)),
        (Arg::NameFlags { flags, name }, k) if k.name_shift().is_some() => {
            let shift = k.name_shift().unwrap_or(0);
            let i = match name {
                NameRef::Index(i) => *i,
                NameRef::Name(n) => tabs.name_index(n).unwrap_or(0),
            };
            match i.checked_mul(1 << shift) {
                Some(a) => fixed(a | (flags & ((1 << shift) - 1))),
                None => Err(Diag::error(
                    "invalid-operand",
                    span,
                    "the name index is too large",
                )),
            }
        }
        (Arg::Pair(a, b), ArgKind::LocalPair) => {
            let mut idx = [0u32; 2];
            for (k, r) in [a, b].into_iter().enumerate() {
                let i = match r {
                    NameRef::Index(i) => *i,
                    NameRef::Name(n) => tabs.var_index(n).unwrap_or(0),
                };
                if i > 15 {
                    return Err(Diag::error(
                        "invalid-operand",
                        span,
                        format!(
                            "{} packs two locals numbered below 16, but local {} is #{i}",
                            info.name,
                            k + 1
                        ),
                    )
                    .help("use two separate instructions"));
                }
                idx[k] = i;
            }
            fixed((idx[0] << 4) | idx[1])
        }
        (Arg::Name(n), ArgKind::Local) => fixed(tabs.var_index(n).unwrap_or(0)),
        (Arg::Name(n), ArgKind::Free) => match tabs.var_index(n) {
            Some(i) if tabs.vars[i as usize].1 & (kind::CELL | kind::FREE) != 0 => fixed(i),
            Some(_) => Err(Diag::error(
                "invalid-operand",
                span,
                format!(
                    "{n:?} is a plain local, but {} needs a cell or free variable",
                    info.name
                ),
            )
            .help(format!(
                "declare it with `.var {} cell` or `.var {} free`",
                show(n),
                show(n)
            ))),
            None => {
                let d = Diag::error(
                    "undefined-name",
                    span,
                    format!("no cell or free variable named {n:?}"),
                );
                let cells = tabs
                    .vars
                    .iter()
                    .filter(|(_, k)| k & (kind::CELL | kind::FREE) != 0)
                    .filter_map(|(v, _)| v.as_str());
                let d = d.suggest(n.as_str().unwrap_or(""), cells);
                Err(if d.help.is_some() {
                    d
                } else {
                    d.help(format!(
                        "declare it with `.var {} cell` or `.var {} free`",
                        show(n),
                        show(n)
                    ))
                })
            }
        },
        (Arg::Label(l), k) if k.is_jump() => {
            let Some((li, lspan)) = labels.get(l.as_str()) else {
                return Err(Diag::error(
                    "bad-jump-target",
                    span,
                    format!("no label named `{l}` in this block"),
                )
                .suggest(l, labels.keys().copied()));
            };
            let backward = k == ArgKind::JumpBackward;
            let forward = matches!(k, ArgKind::JumpForward | ArgKind::Handler);
            if backward && *li > idx + 1 {
                return Err(Diag::error(
                    "bad-jump-target",
                    span,
                    format!("{} jumps backward, but `{l}` comes after it", info.name),
                )
                .note(lspan.clone(), "label defined here")
                .help(suggest_direction(table, info.name)));
            }
            if forward && *li <= idx {
                return Err(Diag::error(
                    "bad-jump-target",
                    span,
                    format!("{} jumps forward, but `{l}` comes before it", info.name),
                )
                .note(lspan.clone(), "label defined here")
                .help(suggest_direction(table, info.name)));
            }
            Ok(Operand::Jump {
                label: *li,
                kind: k,
            })
        }
        (_, k) => Err(Diag::error(
            "invalid-operand",
            span,
            format!("{} takes {} as its operand", info.name, kind_name(k)),
        )),
    }
}

fn show(n: &PyStr) -> String {
    match n.as_str() {
        Some(s) if n.is_ascii_identifier() => s.to_string(),
        _ => format!("{n:?}"),
    }
}

fn suggest_direction(table: &OpcodeTable, name: &str) -> String {
    let other = if name.contains("FORWARD") {
        name.replace("FORWARD", "BACKWARD")
    } else {
        name.replace("BACKWARD", "FORWARD")
    };
    if other != name && table.by_name(&other).is_some() {
        format!("use {other}")
    } else {
        "move the label, or jump through another instruction".to_string()
    }
}
