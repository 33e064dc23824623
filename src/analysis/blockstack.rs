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
}

impl Kind {
    fn is_block(self) -> bool {
        matches!(self, Kind::Setup | Kind::Loop | Kind::Handler)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    kind: Kind,
    /// The instruction the entry comes from (a block's `SETUP_*`).
    from: usize,
    /// The value stack's depth a block records.
    level: i32,
}

type Blocks = Vec<Entry>;

/// What the walk needs: the block's instructions and the stack analysis
/// over them.
pub struct Input<'a> {
    pub table: &'static OpcodeTable,
    pub instrs: &'a [FlowInstr],
    pub analysis: &'a StackResult,
}

/// What the walk finds.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The problems of the block stack, one per instruction at most, for
    /// the verifier to report with the kinds analysis's findings.
    pub findings: Vec<Finding>,
    /// 3.8: the END_FINALLY instructions some path reaches but none with
    /// BEGIN_FINALLY's NULL, so that control never goes on past them
    /// (`FlowInstr::ends`).
    pub ends: Vec<usize>,
}

struct Walk<'a> {
    inp: &'a Input<'a>,
    /// 3.8's END_FINALLY: 1 where a path reaches it, 2 where one goes on.
    goes_on: Vec<u8>,
    /// The block stacks seen at each instruction.
    states: Vec<Vec<Blocks>>,
    work: Vec<(usize, Blocks)>,
    findings: Vec<Finding>,
    reported: Vec<bool>,
}

/// Walks the block stack of a version that has one (nothing otherwise).
pub fn analyze(inp: &Input) -> Outcome {
    if !inp.table.block_stack {
        return Outcome::default();
    }
    let n = inp.instrs.len();
    let mut w = Walk {
        inp,
        goes_on: vec![0; n],
        states: vec![Vec::new(); n],
        work: Vec::new(),
        findings: Vec::new(),
        reported: vec![false; n],
    };
    w.reach(0, 0, Vec::new());
    while let Some((i, blocks)) = w.work.pop() {
        w.step(i, blocks);
    }
    w.findings.sort_by_key(|f| f.at);
    let ends = (0..n).filter(|&i| w.goes_on[i] == 1).collect();
    Outcome {
        findings: w.findings,
        ends,
    }
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
        self.findings.push(Finding {
            at,
            code,
            message,
            note,
            except: None,
            help: None,
            displaced_by: Vec::new(),
        });
    }

    fn name(&self, i: usize) -> &'static str {
        self.inp.instrs[i].op.map_or("this instruction", |o| o.name)
    }

    /// The depth before instruction `i`, where the stack analysis knows it.
    fn depth(&self, i: usize) -> Option<i32> {
        let a = self.inp.analysis;
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
        if seen.contains(&blocks) {
            return;
        }
        if seen.len() >= MAX_ALTERNATIVES {
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
        self.states[to].push(blocks.clone());
        self.work.push((to, blocks));
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
                let Some(d) = depth else { return };
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
                    blocks.pop();
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
            // 3.8's `finally` protocol.
            Op::BEGIN_FINALLY if marked => blocks.push(Entry {
                kind: Kind::Finally,
                from: i,
                level: 0,
            }),
            Op::CALL_FINALLY if marked => {
                let mut j = blocks.clone();
                j.push(Entry {
                    kind: Kind::Returning,
                    from: i,
                    level: 0,
                });
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
            Op::WITH_CLEANUP_START if marked => {
                if let Some(e) = blocks.last_mut().filter(|e| e.kind == Kind::Handler) {
                    e.level -= 1;
                }
            }
            // When `__exit__` swallows the exception, it ends the handler's
            // block and leaves a NULL for END_FINALLY to go on with.
            Op::WITH_CLEANUP_FINISH if marked && top == Some(Kind::Handler) => {
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
            self.reach(i, i + 1, b);
        }
        if let (Some(b), Some(t)) = (jump, target) {
            self.reach(i, t, b);
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
                Kind::Finally | Kind::Returning => continue,
                // Unwound on the way, it cuts the stack to its level.
                Kind::Loop => {
                    at = at.min(e.level);
                    continue;
                }
                Kind::Handler => e.level + SAVED_VALUES,
                Kind::Setup => e.level,
            };
            if at < need {
                let when = match may_raise(op.op) {
                    true => format!("if {} raises, the stack holds", self.name(i)),
                    false => format!(
                        "if an exception (a signal's) interrupts {} before it runs, the stack holds",
                        self.name(i)
                    ),
                };
                let plural = |n: i32| if n == 1 { "" } else { "s" };
                let (what, note) = match e.kind {
                    Kind::Handler => (
                        format!(
                            "unwinding the exception handler's block pops the exception it saved, items {} to {need}",
                            e.level + 1
                        ),
                        "the handler's block comes from here",
                    ),
                    _ => (
                        format!(
                            "the block's handler expects the {need} item{} the block was set up over",
                            plural(need)
                        ),
                        "the block is set up here",
                    ),
                };
                let m = format!(
                    "{when} {} item{}, but {what}: the interpreter would run over the wrong slots",
                    at.max(0),
                    plural(at),
                );
                let from = e.from;
                self.report(i, "handler-depth", m, Some((from, note.into())));
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
