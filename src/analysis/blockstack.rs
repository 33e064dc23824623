//! The block stack of 3.6-3.10 (`VersionSpec::block_stack`).
//!
//! Before 3.11 a frame keeps, beside its value stack, a stack of at most
//! [`MAX_BLOCKS`] blocks. `SETUP_FINALLY`, `SETUP_WITH` and
//! `SETUP_ASYNC_WITH` push one, recording the value stack's depth (its
//! level) and the handler; `POP_BLOCK` drops it. An exception unwinds to
//! the innermost block: the value stack is cut to the block's level, the
//! block becomes an exception handler's block at that level, six values
//! are pushed (the exception saved before, then the one raised) and the
//! handler runs, until `POP_EXCEPT` drops the handler's block and makes
//! the three values on top the current exception again. An exception
//! inside the handler unwinds its block the same way: three values are
//! popped from above its level, whatever they are.
//!
//! CPython trusts all of it. Popping an empty block stack, or pushing
//! past [`MAX_BLOCKS`], is a fatal error; popping the wrong kind of block
//! is a `SystemError`; a handler's block unwound from below its level
//! pops values that are not there, and a handler entered from below its
//! block's level runs over the wrong slots. This walk follows the block
//! stack along every path from the entry, with the depths of the stack
//! analysis, and reports those.
//!
//! The walk follows each distinct block stack that reaches an instruction
//! on its own (at most [`MAX_ALTERNATIVES`]): 3.8's `finally` protocol
//! (`VersionSpec::finally_entry_marked`) enters one `finally` body inside
//! its handler's block (an exception), or outside it with the blocks of
//! the `BEGIN_FINALLY` or `CALL_FINALLY` that entered it, and
//! `END_FINALLY` goes on, returns to the `CALL_FINALLY` or raises again
//! according to the entry. Such an entry is kept in the walk's stack as
//! an entry of its own that is not a block ([`Kind::Finally`],
//! [`Kind::Returning`]).

use super::facts::{flow_of, removes, Flow};
use super::kinds::Finding;
use super::stack::{FlowInstr, StackResult};
use crate::versions::{ArgKind, Op, OpInfo, OpcodeTable};

/// `CO_MAXBLOCKS`: how many blocks a frame's block stack holds.
pub const MAX_BLOCKS: usize = 20;

/// How many different block stacks may reach one instruction before the
/// walk gives up there. The compiler's code brings one, and three or four
/// into a 3.8 `finally` body.
pub const MAX_ALTERNATIVES: usize = 32;

/// How many values unwinding pushes when it enters a handler: the
/// exception saved before and the one raised, three values each.
const HANDLER_VALUES: i32 = 6;

/// What an exception handler's block finds above its level, that
/// unwinding it pops: the exception the handler saved.
const SAVED_VALUES: i32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// Pushed by a `SETUP_*` whose handler an exception enters.
    Setup,
    /// 3.6-3.7's `SETUP_LOOP`: its handler is where `break` goes; an
    /// exception passes it by.
    Loop,
    /// An exception handler's block, in place of the `Setup` block whose
    /// handler is running.
    Handler,
    /// 3.8: a `finally` body entered by `BEGIN_FINALLY` (not a block).
    Finally,
    /// 3.8: a `finally` body entered by `CALL_FINALLY`, which its
    /// `END_FINALLY` returns to (not a block).
    Returning,
    /// 3.6-3.7 (`VersionSpec::unwinds_by_why`): a `finally` body entered
    /// by a `return`, `break` or `continue` unwinding the blocks, which its
    /// `END_FINALLY` goes on with (not a block).
    Why(Why),
}

/// What unwinds the block stack without an exception (3.6-3.7: CPython's
/// `why` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Why {
    Return,
    Break,
    /// `CONTINUE_LOOP` to this instruction.
    Continue(usize),
}

impl Kind {
    fn is_block(self) -> bool {
        matches!(self, Kind::Setup | Kind::Loop | Kind::Handler)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    kind: Kind,
    /// The instruction the entry comes from (a block's `SETUP_*`; 0 for
    /// the entries that are not blocks).
    from: usize,
    /// The value stack's depth a block records.
    level: i32,
}

impl Entry {
    /// How a `finally` body was entered (not a block). It records neither
    /// where from nor a level, so that the paths entering one way are one
    /// block stack however many there are: a function with 40 `return`s
    /// in one `try` would otherwise bring 40 to its `finally` body.
    fn entered(kind: Kind) -> Self {
        Entry {
            kind,
            from: 0,
            level: 0,
        }
    }
}

type Blocks = Vec<Entry>;

/// What the walk needs: the block's instructions and the stack analysis
/// over them.
pub struct Input<'a> {
    pub table: &'static OpcodeTable,
    pub instrs: &'a [FlowInstr],
    /// The stack's depths, for the checks that read them; without them
    /// the walk follows the blocks alone, every block set up at level 0
    /// (what [`Outcome::ends`] needs, which the depths after those
    /// instructions depend on).
    pub analysis: Option<&'a StackResult>,
}

/// What the walk finds.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The problems of the block stack, one per instruction at most, for
    /// the verifier to report with the kinds analysis's findings.
    pub findings: Vec<Finding>,
    /// The END_FINALLY instructions some path reaches but none with 3.8's
    /// BEGIN_FINALLY NULL (3.6-3.7: None), so that control never goes on past them
    /// (`FlowInstr::ends`).
    pub ends: Vec<usize>,
    /// The walk's paths as a graph, when it followed every path to its
    /// end (no finding, no instruction of unknown effect): see
    /// [`PathGraph`].
    pub paths: Option<PathGraph>,
}

/// The flow graph with each instruction split by the block stacks that
/// reach it: a node per (instruction, block stack), node 0 the entry, and
/// an edge wherever the walk goes from one to another. A `finally` body's
/// END_FINALLY goes on only from the nodes of the paths that entered the
/// body by falling into it, never from those an exception entered (which
/// it raises again); a `return` or `break` enters the bodies it leaves.
/// The flow graph of the instructions alone has paths that no run takes
/// (in by the exception, out as if entered normally), along which a local
/// the `try` body assigns looks unassigned after the statement: the
/// definite-assignment analysis (`locals`) asks this graph instead.
#[derive(Debug, Default)]
pub struct PathGraph {
    /// Each node's instruction.
    pub instr: Vec<u32>,
    /// (from, to), by node.
    pub edges: Vec<(u32, u32)>,
}

struct Walk<'a> {
    inp: &'a Input<'a>,
    /// 3.6-3.7: the handlers of `SETUP_*` blocks that `return`, `break`
    /// and `continue` enter, which the code before them also falls into
    /// with None on the stack.
    finally_at: Vec<bool>,
    /// 3.8's END_FINALLY: 1 where a path reaches it, 2 where one goes on.
    goes_on: Vec<u8>,
    /// The block stacks seen at each instruction, and the node of each.
    states: Vec<Vec<Blocks>>,
    nodes: Vec<Vec<u32>>,
    graph: PathGraph,
    /// The node being stepped (`u32::MAX` before the first).
    at_node: u32,
    /// A path was given up (too many block stacks at an instruction).
    gave_up: bool,
    work: Vec<(usize, Blocks, u32)>,
    findings: Vec<Finding>,
    reported: Vec<bool>,
}

/// The walk that reads no depth, in a version whose `finally` bodies
/// decide whether END_FINALLY goes on ([`finally_protocol`]): the END_FINALLY
/// instructions that never go on ([`Outcome::ends`]; the depths after them
/// depend on it), and the paths it followed ([`Outcome::paths`]). Code
/// without END_FINALLY needs no walk.
pub fn ends(table: &'static OpcodeTable, instrs: &[FlowInstr]) -> Outcome {
    let end_finally = |x: &FlowInstr| x.op.is_some_and(|o| o.op == Op::END_FINALLY);
    if !finally_protocol(table) || !instrs.iter().any(end_finally) {
        return Outcome::default();
    }
    analyze(&Input {
        table,
        instrs,
        analysis: None,
    })
}

/// Walks the block stack of a version that has one (nothing otherwise).
pub fn analyze(inp: &Input) -> Outcome {
    if !inp.table.block_stack {
        return Outcome::default();
    }
    let n = inp.instrs.len();
    let finally_at = match inp.table.unwinds_by_why {
        true => finally_entries(inp.instrs),
        false => vec![false; n],
    };
    let mut w = Walk {
        inp,
        finally_at,
        goes_on: vec![0; n],
        states: vec![Vec::new(); n],
        nodes: vec![Vec::new(); n],
        graph: PathGraph::default(),
        at_node: u32::MAX,
        gave_up: false,
        work: Vec::new(),
        findings: Vec::new(),
        reported: vec![false; n],
    };
    w.reach(0, 0, Vec::new());
    while let Some((i, blocks, node)) = w.work.pop() {
        w.at_node = node;
        w.step(i, blocks);
    }
    w.findings.sort_by_key(|f| f.at);
    let ends = (0..n).filter(|&i| w.goes_on[i] == 1).collect();
    let whole = w.findings.is_empty() && !w.gave_up && !inp.instrs.iter().any(|x| x.unknown);
    Outcome {
        findings: w.findings,
        ends,
        paths: whole.then_some(w.graph),
    }
}

/// Whether END_FINALLY decides at run time from what its `finally` body was
/// entered with whether to go on: 3.8's BEGIN_FINALLY NULL and
/// CALL_FINALLY offset (`finally_entry_marked`), 3.6-3.7's None and `why`
/// codes (`unwinds_by_why`). The walk says where it goes on
/// ([`Outcome::ends`]); the kinds analysis follows those entries as kinds of
/// their own.
pub fn finally_protocol(t: &OpcodeTable) -> bool {
    t.finally_entry_marked || t.unwinds_by_why
}

/// 3.6-3.7: the instructions that start a `finally` body (the handlers of
/// the blocks `return`, `break` and `continue` enter), which the code
/// before them falls or jumps into with None on the stack.
pub fn finally_entries(instrs: &[FlowInstr]) -> Vec<bool> {
    let n = instrs.len();
    let mut at = vec![false; n];
    for (i, x) in instrs.iter().enumerate() {
        if let (Some(t), true) = (x.target.filter(|&t| t < n), enters_on_unwind(instrs, i)) {
            at[t] = true;
        }
    }
    at
}

/// Whether instruction `i` sets up a block that `return`, `break` and
/// `continue` enter too, not only an exception: all but `SETUP_EXCEPT` and
/// `SETUP_LOOP`.
fn enters_on_unwind(instrs: &[FlowInstr], i: usize) -> bool {
    instrs[i].op.is_some_and(|o| {
        o.arg == ArgKind::Handler && !matches!(o.op, Op::SETUP_EXCEPT | Op::SETUP_LOOP)
    })
}

/// How many of `blocks` are blocks of CPython's block stack.
fn count(blocks: &Blocks) -> usize {
    blocks.iter().filter(|e| e.kind.is_block()).count()
}

impl Walk<'_> {
    fn report(
        &mut self,
        at: usize,
        code: &'static str,
        message: String,
        note: Option<(usize, String)>,
    ) {
        if std::mem::replace(&mut self.reported[at], true) {
            return;
        }
        self.findings.push(Finding::new(at, code, message, note));
    }

    fn name(&self, i: usize) -> &'static str {
        self.inp.instrs[i].op.map_or("this instruction", |o| o.name)
    }

    /// The depth before instruction `i`, where the stack analysis knows it.
    fn depth(&self, i: usize) -> Option<i32> {
        let a = self.inp.analysis?;
        match a.unknown.get(i) {
            Some(false) => a.depths.get(i).copied().flatten(),
            _ => None,
        }
    }

    /// Brings `blocks` to instruction `to`, from `from`.
    fn reach(&mut self, from: usize, to: usize, blocks: Blocks) {
        let Some(seen) = self.states.get(to) else {
            return;
        };
        if let Some(k) = seen.iter().position(|b| *b == blocks) {
            let node = self.nodes[to][k];
            self.edge(node);
            return;
        }
        if seen.len() >= MAX_ALTERNATIVES {
            self.gave_up = true;
            let m = format!(
                "more than {MAX_ALTERNATIVES} different block stacks reach {}: which handler an exception here enters depends on the path in too many ways to verify",
                self.name(to)
            );
            self.report(
                to,
                "block-mismatch",
                m,
                Some((from, "one path comes from here".into())),
            );
            return;
        }
        let node = self.graph.instr.len() as u32;
        self.graph.instr.push(to as u32);
        self.nodes[to].push(node);
        self.edge(node);
        self.states[to].push(blocks.clone());
        self.work.push((to, blocks, node));
    }

    /// An edge of the [`PathGraph`] from the node being stepped.
    fn edge(&mut self, to: u32) {
        if self.at_node != u32::MAX {
            self.graph.edges.push((self.at_node, to));
        }
    }

    /// Brings `blocks` to instruction `to` along an edge of the code: into
    /// a 3.6-3.7 `finally` body, with None on the stack.
    fn flow_to(&mut self, from: usize, to: usize, mut blocks: Blocks) {
        if self.finally_at.get(to).copied().unwrap_or(false) {
            blocks.push(Entry::entered(Kind::Finally));
        }
        self.reach(from, to, blocks);
    }

    /// Unwinds `blocks` for a `return`, `break` or `continue` at
    /// instruction `i` (3.6-3.7), as CPython does at run time: an exception
    /// handler's block restores the exception it saved, a loop ends `break`
    /// (whose loop end its `SETUP_LOOP` already leads to) and `continue`
    /// (which jumps), and a `finally` body is entered with the code.
    /// `depth`: the stack's depth as unwinding starts, where known.
    fn unwind(&mut self, i: usize, mut blocks: Blocks, why: Why, depth: Option<i32>) {
        let mut at = depth;
        while let Some(e) = blocks.pop() {
            match e.kind {
                Kind::Finally | Kind::Returning | Kind::Why(_) => {}
                Kind::Handler => {
                    if let Some(d) = at {
                        if d < e.level + SAVED_VALUES {
                            self.short(i, d, e, How::Unwinds);
                            return;
                        }
                    }
                    at = Some(e.level);
                }
                Kind::Loop => {
                    if let Why::Continue(t) = why {
                        // The stack is what the blocks left above the
                        // loop cut it to, which its head must expect.
                        if let (Some(d), Some(want)) = (at, self.depth(t)) {
                            if d != want {
                                let m = format!(
                                    "{} leaves the blocks above its loop with {d} item{} on the stack, but its target is reached with {want} elsewhere: CPython would run the loop over the wrong slots",
                                    self.name(i),
                                    if d == 1 { "" } else { "s" }
                                );
                                self.report(i, "stack-mismatch", m, Some((t, "the target".into())));
                                return;
                            }
                        }
                        blocks.push(e);
                        self.reach(i, t, blocks);
                        return;
                    }
                    if why == Why::Break {
                        return;
                    }
                    at = at.map(|d| d.min(e.level));
                }
                Kind::Setup => {
                    if enters_on_unwind(self.inp.instrs, e.from) {
                        if let Some(t) = self.inp.instrs[e.from].target {
                            blocks.push(Entry::entered(Kind::Why(why)));
                            self.reach(i, t, blocks);
                        }
                        return;
                    }
                    at = at.map(|d| d.min(e.level));
                }
            }
        }
    }

    fn step(&mut self, i: usize, mut blocks: Blocks) {
        let ins = &self.inp.instrs[i];
        // What an instruction of unknown effect does to the blocks is not
        // known either; it was reported.
        let Some(op) = ins.op.filter(|_| !ins.unknown) else {
            return;
        };
        let target = ins.target;
        let depth = self.depth(i);
        if let Some(d) = depth {
            if !self.unwinds(i, op, d, &blocks) {
                return;
            }
        }
        let marked = self.inp.table.finally_entry_marked;
        let why_mode = self.inp.table.unwinds_by_why;
        let top = blocks.last().map(|e| e.kind);
        // The blocks on the jump, where they differ from falling through.
        let mut jump_blocks = None;
        // Whether control goes on past it (3.8's END_FINALLY).
        let mut falls = true;
        match op.op {
            _ if op.arg == ArgKind::Handler => {
                if count(&blocks) >= MAX_BLOCKS {
                    let m = format!(
                        "{} would push block {} of a frame that holds {MAX_BLOCKS}: CPython stops with a fatal error (block stack overflow)",
                        self.name(i),
                        count(&blocks) + 1
                    );
                    self.report(i, "block-overflow", m, None);
                    return;
                }
                let Some(d) = depth.or(self.inp.analysis.is_none().then_some(0)) else {
                    return;
                };
                if op.op == Op::SETUP_LOOP {
                    jump_blocks = Some(blocks.clone());
                    blocks.push(Entry {
                        kind: Kind::Loop,
                        from: i,
                        level: d,
                    });
                } else {
                    // The table's jump effect is what unwinding leaves
                    // at the handler: the block's level and six values.
                    let level = d + op.stack_effect(ins.arg, true) - HANDLER_VALUES;
                    let mut h = blocks.clone();
                    h.push(Entry {
                        kind: Kind::Handler,
                        from: i,
                        level,
                    });
                    jump_blocks = Some(h);
                    blocks.push(Entry {
                        kind: Kind::Setup,
                        from: i,
                        level,
                    });
                }
            }
            Op::POP_BLOCK => match top {
                Some(Kind::Setup | Kind::Loop) => {
                    let e = blocks.pop().expect("a block is on top");
                    // 3.6-3.7: it also cuts the stack to the block's level.
                    if let (true, Some(d)) = (self.inp.table.unwinds_by_why, depth) {
                        if d != e.level {
                            let m = format!(
                                "POP_BLOCK drops every item above its block's level ({}), but the stack holds {d} here: what follows would find {} items where the depths counted say {d}",
                                e.level,
                                e.level.min(d)
                            );
                            self.report(
                                i,
                                "stack-mismatch",
                                m,
                                Some((e.from, "the block is set up here".into())),
                            );
                            return;
                        }
                    }
                }
                _ => {
                    self.underflow(i, &blocks, "a block set up by a SETUP instruction");
                    return;
                }
            },
            // Each ends the handler's block (END_ASYNC_FOR: where the
            // loop's iterator is done).
            Op::POP_EXCEPT | Op::END_ASYNC_FOR => match top {
                Some(Kind::Handler) => {
                    blocks.pop();
                }
                _ => {
                    self.underflow(i, &blocks, "the block of an exception handler");
                    return;
                }
            },
            // 3.6-3.7: `return`, `break` and `continue` unwind the blocks.
            Op::RETURN_VALUE | Op::BREAK_LOOP | Op::CONTINUE_LOOP if why_mode => {
                let why = match op.op {
                    Op::RETURN_VALUE => Why::Return,
                    Op::BREAK_LOOP => Why::Break,
                    _ => match target {
                        Some(t) => Why::Continue(t),
                        None => return,
                    },
                };
                let pops = removes(
                    self.inp.table,
                    op,
                    ins.arg,
                    depth.unwrap_or(0).max(0) as usize,
                ) as i32;
                self.unwind(i, blocks, why, depth.map(|d| d - pops));
                return;
            }
            // A `finally` body entered with None goes on; one entered by
            // unwinding goes on unwinding; one entered by an exception
            // raises it again. (What else it may find is the kinds
            // analysis's to report.)
            Op::END_FINALLY if why_mode => {
                let falls = top == Some(Kind::Finally);
                self.goes_on[i] = self.goes_on[i].max(1 + u8::from(falls));
                match top {
                    Some(Kind::Finally) => {
                        blocks.pop();
                    }
                    Some(Kind::Why(w)) => {
                        blocks.pop();
                        self.unwind(i, blocks, w, None);
                        return;
                    }
                    _ => return,
                }
            }
            // 3.8's `finally` protocol.
            Op::BEGIN_FINALLY if marked => blocks.push(Entry::entered(Kind::Finally)),
            Op::CALL_FINALLY if marked => {
                let mut j = blocks.clone();
                j.push(Entry::entered(Kind::Returning));
                jump_blocks = Some(j);
            }
            // It goes on after BEGIN_FINALLY; after CALL_FINALLY it returns
            // there (whose next instruction the walk reaches from the
            // CALL_FINALLY), and it raises an exception again (ending its
            // handler's block as it unwinds). What else it may find is the
            // kinds analysis's to report.
            Op::END_FINALLY if marked => {
                falls = top == Some(Kind::Finally);
                self.goes_on[i] = self.goes_on[i].max(1 + u8::from(falls));
                blocks.pop();
            }
            // It ends the `finally` body however it was entered, the
            // handler's block with it.
            Op::POP_FINALLY if marked => match top {
                Some(Kind::Finally | Kind::Returning | Kind::Handler) => {
                    blocks.pop();
                }
                _ => return,
            },
            // With an exception, it moves the values above the handler's
            // level down by one, over the `__exit__` it calls, and lowers
            // the level to match.
            Op::WITH_CLEANUP_START if marked || why_mode => {
                if let Some(e) = blocks.last_mut().filter(|e| e.kind == Kind::Handler) {
                    e.level -= 1;
                }
            }
            // When `__exit__` swallows the exception, it ends the handler's
            // block and leaves a NULL for END_FINALLY to go on with.
            Op::WITH_CLEANUP_FINISH if (marked || why_mode) && top == Some(Kind::Handler) => {
                let mut swallowed = blocks.clone();
                if let Some(e) = swallowed.last_mut() {
                    e.kind = Kind::Finally;
                }
                self.reach(i, i + 1, swallowed);
            }
            _ => {}
        }
        let (fall, jump) = match flow_of(op) {
            Flow::Next => (Some(blocks), None),
            Flow::Branch => (Some(blocks.clone()), Some(jump_blocks.unwrap_or(blocks))),
            Flow::Jump => (None, Some(blocks)),
            Flow::Stop => (None, None),
        };
        if let Some(b) = fall.filter(|_| falls) {
            self.flow_to(i, i + 1, b);
        }
        // (A SETUP_*'s jump is its handler's entry by an exception.)
        match (jump, target) {
            (Some(b), Some(t)) if op.arg == ArgKind::Handler => self.reach(i, t, b),
            (Some(b), Some(t)) => self.flow_to(i, t, b),
            _ => {}
        }
    }

    /// Reports instruction `i`, which pops `want` from the block stack,
    /// finding something else on top of `blocks`.
    fn underflow(&mut self, i: usize, blocks: &Blocks, want: &str) {
        match blocks.iter().rev().find(|e| e.kind.is_block()) {
            None => {
                let m = format!(
                    "{} with no block to pop: CPython stops with a fatal error (block stack underflow)",
                    self.name(i)
                );
                self.report(i, "block-underflow", m, None);
            }
            Some(e) => {
                let (found, end) = match e.kind {
                    Kind::Handler => (
                        "the block of the exception handler",
                        "only POP_EXCEPT may end",
                    ),
                    _ => ("the block", "only POP_BLOCK may end"),
                };
                let m = format!(
                    "{} needs {want} on top of the block stack, but finds {found} set up at the instruction noted, which {end}: CPython would end the wrong block",
                    self.name(i),
                );
                let from = e.from;
                self.report(
                    i,
                    "block-mismatch",
                    m,
                    Some((from, "that block is set up here".into())),
                );
            }
        }
    }

    /// Reports that block `e`, unwound by instruction `i` (`how`) with
    /// `at` items on the stack, finds fewer than it needs.
    fn short(&mut self, i: usize, at: i32, e: Entry, how: How) {
        let name = self.name(i);
        let when = match how {
            How::Raises => format!("if {name} raises, the stack holds"),
            How::Interrupted => {
                format!("if an exception (a signal's) interrupts {name} before it runs, the stack holds")
            }
            How::Unwinds => format!("when {name} leaves the block, the stack holds"),
        };
        let plural = |n: i32| if n == 1 { "" } else { "s" };
        let (what, note) = match e.kind {
            Kind::Handler => (
                format!(
                    "unwinding the exception handler's block pops the exception it saved, items {} to {}",
                    e.level + 1,
                    e.level + SAVED_VALUES
                ),
                "the handler's block comes from here",
            ),
            _ => (
                format!(
                    "the block's handler expects the {} item{} the block was set up over",
                    e.level,
                    plural(e.level)
                ),
                "the block is set up here",
            ),
        };
        let m = format!(
            "{when} {} item{}, but {what}: the interpreter would run over the wrong slots",
            at.max(0),
            plural(at),
        );
        self.report(i, "handler-depth", m, Some((e.from, note.into())));
    }

    /// Checks that an exception raised by instruction `i`, whose stack
    /// starts at depth `d` (or interrupting it before it starts: a signal
    /// handler's exception), unwinds the blocks as they were set up:
    /// each handler's block finds the exception it saved above its level,
    /// and the block whose handler runs is left at its level.
    fn unwinds(&mut self, i: usize, op: &OpInfo, d: i32, blocks: &Blocks) -> bool {
        let arg = self.inp.instrs[i].arg;
        let mut at = match may_raise(op.op) {
            true => d - raise_pops(self.inp.table, op, arg, d),
            false => d,
        };
        for e in blocks.iter().rev() {
            let need = match e.kind {
                Kind::Finally | Kind::Returning | Kind::Why(_) => continue,
                // Unwound on the way, it cuts the stack to its level.
                Kind::Loop => {
                    at = at.min(e.level);
                    continue;
                }
                Kind::Handler => e.level + SAVED_VALUES,
                Kind::Setup => e.level,
            };
            if at < need {
                let how = match may_raise(op.op) {
                    true => How::Raises,
                    false => How::Interrupted,
                };
                self.short(i, at, *e, how);
                return false;
            }
            if e.kind == Kind::Setup {
                break;
            }
            at = e.level;
        }
        true
    }
}

/// How instruction `i` unwinds the blocks (see [`Walk::short`]).
#[derive(Clone, Copy)]
enum How {
    Raises,
    /// A signal's exception, before it starts.
    Interrupted,
    /// 3.6-3.7's `return`, `break` or `continue`.
    Unwinds,
}

/// Whether an instruction can raise once it has started (every one can
/// be interrupted before it starts, at its full depth): those that only
/// move values, jump or end blocks cannot.
fn may_raise(op: Op) -> bool {
    !matches!(
        op,
        Op::NOP
            | Op::POP_TOP
            | Op::ROT_TWO
            | Op::ROT_THREE
            | Op::ROT_FOUR
            | Op::DUP_TOP
            | Op::DUP_TOP_TWO
            | Op::LOAD_CONST
            | Op::STORE_FAST
            | Op::JUMP_FORWARD
            | Op::JUMP_ABSOLUTE
            | Op::POP_BLOCK
            | Op::POP_EXCEPT
            | Op::POP_FINALLY
            | Op::BEGIN_FINALLY
            | Op::CALL_FINALLY
    )
}

/// How many values an instruction has popped when it raises.
fn raise_pops(table: &OpcodeTable, op: &OpInfo, arg: u32, depth: i32) -> i32 {
    match op.op {
        // 3.8: it raises the exception on top again, its three values
        // popped, with the three its handler saved still there.
        Op::END_FINALLY => SAVED_VALUES,
        // It raises again what is not StopAsyncIteration, likewise.
        Op::END_ASYNC_FOR => SAVED_VALUES,
        // 3.8: it calls `__exit__` with nothing popped (see `step`).
        Op::WITH_CLEANUP_START => 0,
        _ => removes(table, op, arg, depth.max(0) as usize) as i32,
    }
}
