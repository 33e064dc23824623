//! Stack depths over the control-flow graph of one code object.
//!
//! A worklist walks every reachable instruction from the entry and from each
//! exception handler, with the depth each instruction starts at. It yields the
//! maximum depth (`co_stacksize`), the depth recorded for each exception table
//! entry when the text leaves it out, and the problems the verifier reports.
//! It only reads the instructions; it never runs them.

use super::facts::{flow_of, inputs, Flow};
use crate::versions::{ArgKind, Op, OpInfo, OpcodeTable};
use rustc_hash::FxHashMap;

pub struct FlowInstr {
    /// `None` for an opcode the version does not know; it is treated as
    /// having no stack effect and falling through.
    pub op: Option<&'static OpInfo>,
    pub arg: u32,
    /// Index of the instruction a jump lands on (`len` for the end;
    /// `None` also for a jump whose label did not resolve).
    pub target: Option<usize>,
    /// A line that did not lower or resolve, already reported (`op` is
    /// then `None`): it may do anything, so the depths after it are not
    /// known and nothing that follows from it is reported, as a type
    /// checker treats an expression that already failed. Also an
    /// instruction a check reported as one that cannot do its work
    /// ([`with_unknown`]): `op` is kept, so control leaves it as usual,
    /// but what it leaves on the stack is not known.
    pub unknown: bool,
    /// Control never goes on past it, though its flow says it may: 3.8's
    /// END_FINALLY where no path brings BEGIN_FINALLY's NULL, so that it
    /// returns or raises again on every path (the block-stack walk finds
    /// these: `blockstack::Outcome::ends`). The stack analysis still counts
    /// the fall-through, as CPython's `stackdepth()` does for
    /// `co_stacksize`, but as a guess that a real path's depth replaces,
    /// and reports no falling off the end there; the other analyses follow
    /// no edge past it.
    pub ends: bool,
}

impl FlowInstr {
    /// Where control goes after the instruction (`None` for an opcode the
    /// version does not know), `ends` taken into account.
    pub fn flow(&self) -> Option<Flow> {
        match self.op {
            _ if self.ends => Some(Flow::Stop),
            Some(op) => Some(flow_of(op)),
            None => None,
        }
    }
}

/// The slots the compiler counts for what a `finally` body is entered
/// with (3.6-3.8): an exception's six values, or the None, NULL or return
/// offset that stands for them.
pub const FINALLY_SLOTS: i32 = 6;

/// 3.6-3.7: how many of the slots under a `finally` body's None entry
/// hold nothing, for code that reaches the body's entry (counted at
/// `entry`, its exception entry's depth) with `below` values under the
/// None: those it gave back since the body's block was set up (3.6's
/// `except ... as name`). The stack analysis counts them; the kinds
/// analysis follows them as slots of their own. Never more than the
/// entry's own slots: code that reaches the body with fewer values under
/// its None than the block started with has underflowed (reported where
/// it happened), and a count that grew with each round of a loop through
/// the body would never let the walk end.
pub fn gone_below_finally(entry: Option<i32>, below: i64) -> i64 {
    entry.map_or(0, |e| {
        (e as i64 - FINALLY_SLOTS as i64 - below.max(0)).clamp(0, FINALLY_SLOTS as i64)
    })
}

/// `instrs` with the instructions `at` of unknown effect: what the
/// analyses see once a check has found that those cannot do their work (a
/// NULL where a value belongs, a broken call sequence or prologue). What
/// follows from them is the same mistake, so the depths they lead to are
/// guesses and nothing is reported there.
pub fn with_unknown(instrs: &[FlowInstr], at: &[usize]) -> Vec<FlowInstr> {
    let mut out: Vec<FlowInstr> = instrs
        .iter()
        .map(|x| FlowInstr {
            op: x.op,
            arg: x.arg,
            target: x.target,
            unknown: x.unknown,
            ends: x.ends,
        })
        .collect();
    for &i in at {
        if let Some(x) = out.get_mut(i) {
            x.unknown = true;
        }
    }
    out
}

/// An exception-table entry in instruction indices.
#[derive(Clone, Debug)]
pub struct FlowExcept {
    pub start: usize,
    pub end: usize,
    pub handler: usize,
    /// The depth written on its line (`None`: left to the analysis).
    pub depth: Option<u32>,
    pub lasti: bool,
    /// The `.except` line it comes from (or the raw table), for notes.
    pub span: crate::model::Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Instruction index, depth before it, and its effect.
    Underflow { at: usize, depth: i32 },
    /// Two paths reach an instruction with different depths; `from` is
    /// where the second one comes from (`None`: a handler's entry).
    Mismatch {
        at: usize,
        first: i32,
        second: i32,
        from: Option<usize>,
    },
    /// Execution runs past the last instruction.
    FallsOffEnd { at: usize },
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct StackResult {
    /// `co_stacksize` as CPython computes it: dead handlers included.
    pub max_depth: u32,
    /// The largest depth any real path reaches.
    pub live_max_depth: u32,
    /// Which instructions real paths reach (dead handlers that are only
    /// walked as estimates are not).
    pub live: Vec<bool>,
    pub depths: Vec<Option<i32>>,
    /// Instructions whose depth is not known: reached only through an
    /// instruction of unknown effect, one that underflowed, or where paths
    /// of different depths met. Their depths are guesses, and nothing is
    /// reported about them.
    pub unknown: Vec<bool>,
    /// The depth each entry records: as given, or computed.
    pub handler_depths: Vec<Option<u32>>,
    /// For each entry, the entry whose written depth it records (itself,
    /// or another of its handler's); `None` when the depth was inferred.
    pub depth_from: Vec<Option<usize>>,
    pub problems: Vec<Problem>,
    /// For each reached instruction, the one it was first reached from
    /// (`None` for the entry and for handler entries): a path to explain
    /// a depth.
    pub pred: Vec<Option<usize>>,
}

struct Walk {
    /// Set once dead handlers start being walked: which instructions were
    /// reached before, by real paths. Problems seen only along the
    /// estimated paths are not reported.
    live: Option<Vec<bool>>,
    work: Vec<usize>,
    problems: Vec<Problem>,
    depths: Vec<Option<i32>>,
    /// The depth kept is a guess (see `StackResult::unknown`).
    unknown: Vec<bool>,
    /// Paths of different depths met here: no later path makes it known.
    conflict: Vec<bool>,
    /// For a guessed depth that comes from such a meeting, the index of
    /// its mismatch in `problems`: walked on with the shallower depth, an
    /// underflow it leads to is reported in the mismatch's place, as the
    /// more telling of the two.
    origin: Vec<Option<usize>>,
    pred: Vec<Option<usize>>,
}

/// The depth the code starts at: 3.10 resumes a generator, the first time
/// too, with the value it was sent on the stack, which GEN_START pops.
pub fn entry_depth(instrs: &[FlowInstr]) -> i32 {
    match instrs.first().and_then(|i| i.op) {
        Some(op) if op.op == Op::GEN_START => 1,
        _ => 0,
    }
}

/// The stack analysis of a version whose `stackdepth()` keeps the largest
/// depth an instruction is reached at (`stack_depth_is_largest`; such
/// versions have no exception table): each instruction gets the largest
/// depth of the paths that reach it, as CPython's walk gives its blocks,
/// so paths that disagree are no problem; an instruction that reads more
/// than that depth holds underflows.
fn analyze_largest(table: &OpcodeTable, instrs: &[FlowInstr]) -> StackResult {
    let n = instrs.len();
    struct Largest {
        depths: Vec<Option<i32>>,
        unknown: Vec<bool>,
        pred: Vec<Option<usize>>,
        /// 3.6-3.7: of the depth counted, the slots under a `finally`
        /// body's None entry that hold nothing (see `enter_finally`).
        gone: Vec<i32>,
        work: Vec<usize>,
    }
    impl Largest {
        fn reach(&mut self, at: usize, d: i32, from: Option<usize>, guess: bool, gone: i32) {
            if gone > self.gone[at] {
                self.gone[at] = gone;
                if self.depths[at].is_some() {
                    self.work.push(at);
                }
            }
            match self.depths[at] {
                // A guessed depth (after a line that failed, or an
                // underflow) neither raises a known one nor keeps it from
                // taking a guess's place.
                Some(_) if guess && !self.unknown[at] => {}
                Some(_) if !guess && self.unknown[at] => {
                    self.depths[at] = Some(d);
                    self.unknown[at] = false;
                    self.pred[at] = from;
                    self.work.push(at);
                }
                // CPython stops raising a block's depth at 100, which ends
                // the walk of code whose loops raise it on every round.
                Some(old) if old >= d || old >= 100 => {}
                _ => {
                    self.depths[at] = Some(d);
                    self.unknown[at] = guess;
                    self.pred[at] = from;
                    self.work.push(at);
                }
            }
        }
    }
    let mut w = Largest {
        depths: vec![None; n],
        unknown: vec![false; n],
        pred: vec![None; n],
        gone: vec![0; n],
        work: Vec::new(),
    };
    let finally_at = match table.unwinds_by_why {
        true => super::blockstack::finally_entries(instrs),
        false => Vec::new(),
    };
    // Code going on into a `finally` body (3.6-3.7) enters it with None on
    // top, counted as if at the block's base, where its exception entry's
    // six values start: CPython's `stackdepth()` counts the body from
    // there. Code that gave values back since (3.6's `except ... as name`
    // gives back its saved exception before the body that deletes the
    // name) is three short; those slots are counted, but END_FINALLY,
    // taking the None, goes on with the stack as the entry found it.
    let enter_finally = |w: &Largest, t: usize, d: i32, gone: i32| -> (i32, i32) {
        if !finally_at.get(t).copied().unwrap_or(false) {
            return (d, gone);
        }
        let short = gone_below_finally(w.depths[t], d as i64 - 1) as i32;
        (d + short, short)
    };
    let mut max: i64 = 0;
    let mut off_end = Vec::new();
    if n > 0 {
        w.reach(0, entry_depth(instrs), None, false, 0);
    }
    while let Some(i) = w.work.pop() {
        let d = w.depths[i].unwrap_or(0);
        let gone = w.gone[i];
        max = max.max(d as i64);
        let ins = &instrs[i];
        let guess = w.unknown[i] || ins.unknown;
        let Some(op) = ins.op else {
            if i + 1 < n {
                w.reach(i + 1, d, Some(i), true, gone);
            }
            continue;
        };
        let flow = flow_of(op);
        let mut next = d + op.stack_effect(ins.arg, false);
        let mut gone_next = gone;
        if op.op == Op::END_FINALLY && gone > 0 {
            next -= gone;
            gone_next = 0;
        }
        max = max.max(next as i64);
        // What follows an underflow (reported below) has a guessed depth:
        // one mistake, one report.
        let guess = guess
            || next < 0
            || d + op.stack_effect(ins.arg, true) < 0
            || d < inputs(table, op, ins.arg);
        // 3.7's CONTINUE_LOOP unwinds the block stack to its loop, whose
        // head is walked already at the loop's depth: stackdepth() counts
        // the jump's depth and goes no further.
        if op.op == Op::CONTINUE_LOOP {
            max = max.max((d + op.stack_effect(ins.arg, true)) as i64);
            continue;
        }
        if matches!(flow, Flow::Branch | Flow::Jump) {
            if let Some(t) = ins.target {
                let td = d + op.stack_effect(ins.arg, true);
                max = max.max(td as i64);
                if t < n {
                    // A SETUP_*'s jump is its handler's entry by an
                    // exception.
                    let (td, g) = match op.arg == ArgKind::Handler {
                        true => (td, 0),
                        false => enter_finally(&w, t, td, gone_next),
                    };
                    w.reach(t, td.max(0), Some(i), guess, g);
                } else {
                    off_end.push(i);
                }
            }
        }
        if matches!(flow, Flow::Next | Flow::Branch) {
            if i + 1 < n {
                let (next, g) = enter_finally(&w, i + 1, next, gone_next);
                // Past an END_FINALLY that never goes on, CPython's
                // `stackdepth()` counts on, but no path runs: the depths
                // there are guesses, which the depth of a real path
                // replaces.
                w.reach(i + 1, next.max(0), Some(i), guess || ins.ends, g);
            } else {
                off_end.push(i);
            }
        }
    }
    let Largest {
        depths,
        unknown,
        pred,
        ..
    } = w;
    let mut problems = Vec::new();
    for i in 0..n {
        let (Some(d), Some(op)) = (depths[i], instrs[i].op) else {
            continue;
        };
        let arg = instrs[i].arg;
        if unknown[i] || instrs[i].unknown {
            continue;
        }
        if d + op.stack_effect(arg, false) < 0
            || d + op.stack_effect(arg, true) < 0
            || d < inputs(table, op, arg)
        {
            problems.push(Problem::Underflow { at: i, depth: d });
        }
    }
    off_end.sort_unstable();
    off_end.dedup();
    for at in off_end {
        if !unknown[at] && !instrs[at].unknown && !instrs[at].ends {
            problems.push(Problem::FallsOffEnd { at });
        }
    }
    let live: Vec<bool> = depths.iter().map(|d| d.is_some()).collect();
    // What the code needs; CPython may count more.
    let needed = max.clamp(0, u32::MAX as i64) as u32;
    if table.stacksize_counted_walk {
        if let Some(counted) = counted_walk(table, instrs) {
            max = max.max(counted);
        }
    }
    let max = max.clamp(0, u32::MAX as i64) as u32;
    StackResult {
        max_depth: max,
        live_max_depth: needed,
        live,
        depths,
        unknown,
        handler_depths: Vec::new(),
        depth_from: Vec::new(),
        problems,
        pred,
    }
}

/// The stack size 3.6's compiler computes (`stacksize_counted_walk`): its
/// depth-first walk, each instruction a block of its own (the compiler's
/// jumps land on block starts, and a block is walked whole), in its order:
/// a jump's target first, then the next instruction, but none after
/// `JUMP_ABSOLUTE` or `JUMP_FORWARD`; an instruction already on the path,
/// or reached no deeper than before, is not walked again. Nor after
/// `RETURN_VALUE`: CPython's walk goes on into the dead code after a
/// return, which its peephole optimizer then removes and which often
/// ends in such a jump (a loop's jump back); the final code has none of
/// it. (On 3.6's standard library this gives CPython's size for 59776 of
/// 61223 code objects and never a larger one; going on past a return
/// gave 3 larger.) `None` when the
/// walk takes more steps than a budget in proportion to the code (it can
/// walk a block again for every deeper path: code that branches and
/// nests in odd ways must not hang the assembler).
fn counted_walk(table: &OpcodeTable, instrs: &[FlowInstr]) -> Option<i64> {
    struct Counted<'a> {
        table: &'a OpcodeTable,
        instrs: &'a [FlowInstr],
        start: Vec<i32>,
        on_path: Vec<bool>,
        max: i64,
        budget: usize,
        /// An instruction entered, the depth after it, and how far its
        /// walk got (0: its jump next, 1: the next instruction, 2: done).
        frames: Vec<(usize, i32, u8)>,
    }
    impl Counted<'_> {
        /// Walks instruction `i` from depth `d`, unless it needs none;
        /// `false` once the budget is spent.
        fn enter(&mut self, i: usize, d: i32) -> bool {
            if i >= self.instrs.len() || self.on_path[i] || self.start[i] >= d {
                return true;
            }
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            self.start[i] = d;
            self.on_path[i] = true;
            let after = match self.instrs[i].op {
                Some(op) => d.saturating_add(self.table.counted_effect(op, self.instrs[i].arg)),
                None => d,
            };
            self.max = self.max.max(after as i64);
            self.frames.push((i, after, 0));
            true
        }
    }
    let n = instrs.len();
    let mut w = Counted {
        table,
        instrs,
        start: vec![i32::MIN; n],
        on_path: vec![false; n],
        max: 0,
        budget: n.saturating_mul(32).saturating_add(4096),
        frames: Vec::new(),
    };
    if !w.enter(0, 0) {
        return None;
    }
    while let Some(&(i, after, phase)) = w.frames.last() {
        let op = instrs[i].op;
        let top = w.frames.len() - 1;
        w.frames[top].2 = phase + 1;
        let entered = match phase {
            0 => match (op, instrs[i].target) {
                (Some(op), Some(t)) => {
                    let td = match op.op {
                        Op::FOR_ITER => after - 2,
                        Op::SETUP_EXCEPT | Op::SETUP_FINALLY => {
                            w.max = w.max.max(after as i64 + 3);
                            after + 3
                        }
                        _ => after,
                    };
                    w.enter(t, td)
                }
                _ => true,
            },
            1 => {
                let dead = op.is_some_and(|o| {
                    matches!(
                        o.op,
                        Op::JUMP_ABSOLUTE | Op::JUMP_FORWARD | Op::RETURN_VALUE
                    )
                });
                // Their fall-through pops the value the jump keeps.
                let pops = op.is_some_and(|o| {
                    matches!(o.op, Op::JUMP_IF_TRUE_OR_POP | Op::JUMP_IF_FALSE_OR_POP)
                });
                dead || w.enter(i + 1, after - i32::from(pops))
            }
            _ => {
                w.on_path[i] = false;
                w.frames.pop();
                true
            }
        };
        if !entered {
            return None;
        }
    }
    Some(w.max)
}

/// Instruction `at` is reached with depth `d` from `from`; `guess` when
/// that depth is not known. A known depth replaces a guess (an unknown
/// depth agrees with any), and two known depths that differ are a
/// mismatch, after which the depth there is unknown: one report, not one
/// for everything downstream.
fn set(at: usize, d: i32, from: Option<usize>, guess: bool, origin: Option<usize>, w: &mut Walk) {
    let Walk {
        work,
        problems,
        depths,
        unknown,
        conflict,
        origin: origins,
        pred,
        live,
    } = w;
    let dead_path = match (live.as_ref(), from) {
        (Some(l), Some(f)) => !l.get(f).copied().unwrap_or(false),
        (Some(_), None) => true,
        _ => false,
    };
    match depths[at] {
        None => {
            depths[at] = Some(d);
            unknown[at] = guess;
            origins[at] = if guess { origin } else { None };
            pred[at] = from;
            work.push(at);
        }
        Some(_) if dead_path || conflict[at] => {}
        // The known depth here came along this same edge, whose source has
        // since become a guess (paths met there with different depths):
        // what was derived from it is no longer known either, and a later
        // path that disagrees with it is silent (one report).
        Some(_) if guess && !unknown[at] && pred[at] == from && from.is_some() => {
            depths[at] = Some(d);
            unknown[at] = true;
            origins[at] = origin;
            work.push(at);
        }
        Some(_) if guess => {}
        Some(_) if unknown[at] => {
            depths[at] = Some(d);
            unknown[at] = false;
            origins[at] = None;
            pred[at] = from;
            work.push(at);
        }
        Some(old) if old != d => {
            problems.push(Problem::Mismatch {
                at,
                first: old,
                second: d,
                from,
            });
            origins[at] = Some(problems.len() - 1);
            unknown[at] = true;
            conflict[at] = true;
            if d < old {
                depths[at] = Some(d);
                pred[at] = from;
            }
            work.push(at);
        }
        _ => {}
    }
}

/// True when the handler at `h` starts like a `with` statement's cleanup:
/// PUSH_EXC_INFO then WITH_EXCEPT_START.
fn with_handler(instrs: &[FlowInstr], h: usize) -> bool {
    let op = |i: usize| instrs.get(i).and_then(|x| x.op).map(|o| o.op);
    op(h) == Some(Op::PUSH_EXC_INFO) && op(h + 1) == Some(Op::WITH_EXCEPT_START)
}

/// Whether the handler at `h` is a generator's catch-all,
/// `CALL_INTRINSIC_1 INTRINSIC_STOPITERATION_ERROR` then `RERAISE`: it reads
/// nothing below the exception and `lasti` that unwinding pushes.
pub fn is_stopiteration_handler(table: &OpcodeTable, instrs: &[FlowInstr], h: usize) -> bool {
    let op = |x: &FlowInstr| x.op.map(|o| o.op);
    let stopiteration = table
        .intrinsic1
        .iter()
        .position(|n| *n == "INTRINSIC_STOPITERATION_ERROR");
    instrs.get(h).is_some_and(|x| {
        op(x) == Some(Op::CALL_INTRINSIC_1) && Some(x.arg as usize) == stopiteration
    }) && instrs.get(h + 1).and_then(op) == Some(Op::RERAISE)
}

/// The entry a reached instruction's depth came from: 0, a handler, or a
/// seeded dead block (the first path that reached each instruction).
fn origin(w: &Walk, mut j: usize) -> usize {
    for _ in 0..w.pred.len() {
        match w.pred[j] {
            Some(p) => j = p,
            None => break,
        }
    }
    j
}

/// The stack level of the statement that instruction `j` (reached) is
/// part of, as its next statement starts there. In main code, the depth
/// after `j`. In a handler's code, the depth the handler records (less
/// the `__exit__` a `with` keeps); a cleanup block (COPY 3; POP_EXCEPT;
/// RERAISE 1) belongs to the statement of the handler whose code it
/// protects. In seeded dead code, the seed less the exception.
fn statement_level(
    table: &OpcodeTable,
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    handler_depths: &[Option<u32>],
    seeds: &[(usize, i32)],
    w: &Walk,
    j: usize,
) -> i32 {
    // A return or raise leaves the level below what it reads (3.14 counts
    // RETURN_VALUE's effect as 0: the value goes to the caller's frame).
    let after = || {
        let d = w.depths[j].unwrap_or(0);
        match instrs[j].op {
            Some(op) if flow_of(op) == Flow::Stop => d - inputs(table, op, instrs[j].arg),
            Some(op) => d + op.stack_effect(instrs[j].arg, false),
            None => d,
        }
    };
    let mut o = origin(w, j);
    for _ in 0..8 {
        if let Some(&(_, s)) = seeds.iter().find(|(at, _)| *at == o) {
            return s - 1;
        }
        let Some(k) =
            (0..excepts.len()).find(|&k| excepts[k].handler == o && handler_depths[k].is_some())
        else {
            return after();
        };
        let is_cleanup = instrs[o].op.is_some_and(|op| op.op == Op::COPY);
        if !is_cleanup {
            return handler_depths[k].unwrap_or(0) as i32 - with_handler(instrs, o) as i32;
        }
        let inner = excepts[k].start;
        if inner >= w.depths.len() || w.depths[inner].is_none() {
            return after();
        }
        o = origin(w, inner);
    }
    after()
}

pub fn analyze(table: &OpcodeTable, instrs: &[FlowInstr], excepts: &[FlowExcept]) -> StackResult {
    if table.stack_depth_is_largest {
        return analyze_largest(table, instrs);
    }
    walk(table, instrs, excepts, (entry_depth(instrs), false)).0
}

/// How a walk of code from a given depth ended, for the code after it
/// (see [`analyze_in_sections`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Exit {
    /// The depth control falls off the end with, and whether it is a
    /// guess (after an instruction of unknown effect), when one real path
    /// does, once, and the guess is not one a mismatch before it made
    /// (whose report the code after it may take over).
    depth: Option<(i32, bool)>,
    /// Code no path reaches was walked from an estimated depth: where that
    /// starts depends on the code before it, so the walk is not the whole
    /// code's.
    dead: bool,
}

/// [`analyze`]'s walk of code entered at its first instruction with
/// `entry.0` values on the stack (a guess if `entry.1`), and how it ended.
fn walk(
    table: &OpcodeTable,
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    entry: (i32, bool),
) -> (StackResult, Exit) {
    let n = instrs.len();
    // Times the walk went off the end.
    let mut exits = 0;
    let mut w = Walk {
        live: None,
        work: Vec::new(),
        problems: Vec::new(),
        depths: vec![None; n + 1],
        unknown: vec![false; n + 1],
        conflict: vec![false; n + 1],
        origin: vec![None; n + 1],
        pred: vec![None; n + 1],
    };
    // Handlers whose depth was found from guessed depths only.
    let mut handler_guessed = vec![false; excepts.len()];
    let mut handler_depths: Vec<Option<u32>> = excepts.iter().map(|e| e.depth).collect();
    let mut max: i64 = 0;
    // The largest depth of real paths, before dead handlers are walked.
    let mut max_live: i64 = -1;
    // A depth belongs to a handler, not to a region: every region that
    // jumps to the same handler records the same depth. Regions without a
    // depth take one written on another region of their handler, or else
    // the stack depth at the start of the earliest region that is reached.
    //
    // The entries of each handler, in table order: every question below is
    // about one handler's entries, and asking the whole table each time
    // made the analysis quadratic in the number of entries.
    let mut by_handler: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for (k, e) in excepts.iter().enumerate() {
        by_handler.entry(e.handler).or_default().push(k);
    }
    let entries_of = |h: usize| -> &[usize] { by_handler.get(&h).map_or(&[], Vec::as_slice) };
    let mut depth_from: Vec<Option<usize>> = excepts
        .iter()
        .enumerate()
        .map(|(k, e)| e.depth.map(|_| k))
        .collect();
    for k in 0..excepts.len() {
        if handler_depths[k].is_none() {
            let from = entries_of(excepts[k].handler)
                .iter()
                .copied()
                .find(|&j| excepts[j].depth.is_some());
            if let Some(j) = from {
                handler_depths[k] = excepts[j].depth;
                depth_from[k] = Some(j);
            }
        }
    }
    let mut handler_pushed = vec![false; excepts.len()];
    // Where the searches for dead code (handlers only, then any) go on from.
    let mut dead_from = [0usize; 2];
    // Dead code walked from an estimated depth: (instruction, depth).
    let mut seeds: Vec<(usize, i32)> = Vec::new();
    if n > 0 {
        set(0, entry.0, None, entry.1, None, &mut w);
    }
    loop {
        while let Some(i) = w.work.pop() {
            if i >= n {
                exits += 1;
                continue;
            }
            let d = w.depths[i].unwrap_or(0);
            max = max.max(d as i64);
            let ins = &instrs[i];
            // After an instruction already reported, the depth is a guess;
            // nothing is said about the instruction itself either.
            let guess = w.unknown[i] || ins.unknown;
            let origin = if w.unknown[i] && !ins.unknown {
                w.origin[i]
            } else {
                None
            };
            let Some(op) = ins.op else {
                let origin = if ins.unknown { None } else { origin };
                set(i + 1, d, Some(i), guess || ins.unknown, origin, &mut w);
                continue;
            };
            let flow = flow_of(op);
            let mut next = d + op.stack_effect(ins.arg, false);
            max = max.max(next as i64);
            // A generator resumes after RETURN_GENERATOR with the value it
            // was sent on the stack. 3.11 and 3.12 count RETURN_GENERATOR as
            // 0 (their compiler adds it after computing the stack size), so
            // the value is added here without counting towards the size.
            if op.op == Op::RETURN_GENERATOR && op.stack_effect(ins.arg, false) == 0 {
                next += 1;
            }
            // Nothing is reported where the depth is a guess, but for an
            // underflow on the shallower side of a mismatch, which takes
            // the mismatch's place.
            let live_path = w.live.as_ref().is_none_or(|l| l[i]);
            let live_here = live_path && !guess;
            let underflow = next < 0
                || d + op.stack_effect(ins.arg, true) < 0
                || d < inputs(table, op, ins.arg);
            if live_here && underflow {
                w.problems.push(Problem::Underflow { at: i, depth: d });
            } else if let (true, true, Some(c)) = (live_path, underflow, origin) {
                if matches!(w.problems[c], Problem::Mismatch { .. }) {
                    w.problems[c] = Problem::Underflow { at: i, depth: d };
                }
            }
            // After an underflow, the depth is not known either.
            let (guess, origin) = if underflow {
                (true, None)
            } else {
                (guess, origin)
            };
            if matches!(flow, Flow::Branch | Flow::Jump) {
                if let Some(t) = ins.target {
                    let td = d + op.stack_effect(ins.arg, true);
                    max = max.max(td as i64);
                    // A jump to a label after the last instruction runs off
                    // the end just as falling through would.
                    if t == n && live_here {
                        w.problems.push(Problem::FallsOffEnd { at: i });
                    }
                    set(t, td.max(0), Some(i), guess, origin, &mut w);
                }
            }
            if matches!(flow, Flow::Next | Flow::Branch) {
                if i + 1 == n && live_here && !ins.ends {
                    w.problems.push(Problem::FallsOffEnd { at: i });
                }
                set(i + 1, next.max(0), Some(i), guess, origin, &mut w);
            }
        }
        let mut progressed = false;
        // Handlers asked about in this pass that got no depth, with the
        // count of depths found when they were asked.
        let mut asked: FxHashMap<usize, usize> = FxHashMap::default();
        let mut found = 0usize;
        // Give each handler the lowest depth seen anywhere in its regions:
        // a protected body never goes below the level its try started at,
        // and the instruction after the (removed) SETUP sits exactly there.
        // For a `with`, that lowest point is after the entered value is
        // popped, which is also what CPython records.
        for k in 0..excepts.len() {
            if handler_depths[k].is_some() {
                continue;
            }
            let h = excepts[k].handler;
            // A region that holds a cleanup block X (COPY 3; POP_EXCEPT;
            // RERAISE 1) encloses another handler G's code: X's own regions
            // start where G is entered. The `try` whose handler this is
            // contains G's statement (an except* exit, nested cleanups). Its level
            // is that of the statement G belongs to: G's depth, less the
            // `__exit__` a `with` keeps below its level.
            // What follows depends only on `h` and on the handler depths
            // known: an entry of a handler already asked about since the
            // last depth was found gets the same answer.
            if asked.get(&h) == Some(&found) {
                continue;
            }
            let mut guessed = false;
            // A generator's catch-all wraps its whole body: the cleanup
            // blocks inside it belong to the statements it wraps, not to
            // a `try` around them, so they say nothing of its level.
            let catch_all = is_stopiteration_handler(table, instrs, h);
            let from_entry = entries_of(h).iter().filter(|_| !catch_all).find_map(|&k| {
                let e = &excepts[k];
                (e.start..e.end.min(n)).find_map(|x| {
                    if instrs[x].op.map(|o| o.op) != Some(Op::COPY) {
                        return None;
                    }
                    entries_of(x).iter().find_map(|&r| {
                        let r = &excepts[r];
                        let g = entries_of(r.start)
                            .iter()
                            .copied()
                            .find(|&j| handler_depths[j].is_some())?;
                        let dg = handler_depths[g]? as i32;
                        // A handler whose first lines did not lower may
                        // or may not be a `with`'s: a guess.
                        let broken = (r.start..r.start + 2)
                            .any(|j| instrs.get(j).is_some_and(|x| x.unknown));
                        Some((dg - with_handler(instrs, r.start) as i32, broken))
                    })
                })
            });
            // The depth where the earliest region starts, and whether it
            // is a guess.
            let first_start = || {
                let e = entries_of(h)
                    .iter()
                    .map(|&j| &excepts[j])
                    .min_by_key(|e| e.start)?;
                let d = w.depths.get(e.start).copied().flatten()?;
                Some((d, w.unknown.get(e.start).copied().unwrap_or(false)))
            };
            let lowest = if let Some((d, broken)) = from_entry {
                guessed = broken;
                Some(d)
            } else if table.stopiteration_handler_keeps_body_depth && catch_all {
                // 3.15: a generator expression's catch-all keeps the depth
                // its body starts at (the iterator's two slots), below
                // which the end of the loop goes.
                first_start().map(|(d, g)| {
                    guessed = g;
                    d
                })
            } else if with_handler(instrs, h) {
                // A `with` region starts right after BEFORE_WITH, with the
                // entered value still on the stack; the level is below it.
                first_start().map(|(d, g)| {
                    guessed = g;
                    d - 1
                })
            } else {
                // Known depths decide; guessed ones only when there is
                // nothing else, and then the handler's depth is a guess.
                let region = || {
                    entries_of(h)
                        .iter()
                        .map(|&j| &excepts[j])
                        .flat_map(|e| e.start..e.end.min(n))
                };
                // A region reached where the depth is a guess may go
                // lower there: the lowest known depth is a guess too.
                let partly_guessed = region().any(|i| w.depths[i].is_some() && w.unknown[i]);
                region()
                    .filter(|&i| !w.unknown[i])
                    .filter_map(|i| w.depths[i])
                    .min()
                    .inspect(|_| guessed = partly_guessed)
                    .or_else(|| {
                        let m = region().filter_map(|i| w.depths[i]).min();
                        guessed = m.is_some();
                        m
                    })
            };
            // Which rule applies depends on the handler's first lines; when
            // one of them is broken, the depth found is only a guess.
            if (h..h + 2).any(|j| instrs.get(j).is_some_and(|x| x.unknown)) {
                guessed = true;
            }
            if let Some(m) = lowest {
                let m = m.max(0) as u32;
                for &j in entries_of(h) {
                    if handler_depths[j].is_none() {
                        handler_depths[j] = Some(m);
                        handler_guessed[j] = guessed;
                    }
                }
                found += 1;
                progressed = true;
            } else {
                asked.insert(h, found);
            }
        }
        // Enter each handler whose region is reached.
        for (k, e) in excepts.iter().enumerate() {
            if let (Some(hd), false) = (handler_depths[k], handler_pushed[k]) {
                if (e.start..e.end.min(n)).any(|i| w.depths[i].is_some()) {
                    handler_pushed[k] = true;
                    let entry = hd as i32 + 1 + e.lasti as i32;
                    max = max.max(entry as i64);
                    if e.handler < n {
                        set(e.handler, entry, None, handler_guessed[k], None, &mut w);
                    }
                    progressed = true;
                }
            }
        }
        // A handler that nothing enters (the body of its `try` cannot
        // raise) is still walked, as CPython's compiler walks it from its
        // SETUP: it starts above the nearest reached depth before it, with
        // the exception pushed. Its depths count towards the stack size.
        //
        // Other code no path reaches is a dead handler too (CPython drops
        // every block its own graph cannot reach): the name cleanup of an
        // `except ... as e` whose body cannot raise, say. Such a cleanup is
        // entered with `lasti` and the exception on top of its level, so it
        // is seeded two above; over-estimating here is safe, under-
        // estimating is not.
        for general in [false, true] {
            if progressed
                || !table.stacksize_counts_unreachable
                || (general && !handler_pushed.iter().all(|&p| p))
            {
                break;
            }
            // Depths are only ever filled in, so an instruction passed over
            // here is never the answer later: each search goes on from
            // where the last one stopped.
            let dead = (dead_from[general as usize]..n).find(|&i| {
                w.depths[i].is_none()
                    && (general || instrs[i].op.is_some_and(|o| o.op == Op::PUSH_EXC_INFO))
                    && (0..i).any(|j| w.depths[j].is_some())
            });
            if let Some(i) = dead {
                dead_from[general as usize] = i;
                if w.live.is_none() {
                    w.live = Some(w.depths.iter().map(|d| d.is_some()).collect());
                    max_live = max;
                }
                let starts_handler = instrs[i].op.is_some_and(|o| o.op == Op::PUSH_EXC_INFO);
                let before = (0..i).rev().find_map(|j| w.depths[j]).unwrap_or(0);
                // The statement before ends at the level this one starts
                // at. Main code ends by returning or jumping away at that
                // level; handler code belongs to its statement's level.
                let after = (0..i)
                    .rev()
                    .find(|&j| w.depths[j].is_some())
                    .map(|j| {
                        statement_level(table, instrs, excepts, &handler_depths, &seeds, &w, j)
                    })
                    .unwrap_or(0)
                    .max(0);
                // The cleanup of `except ... as x` (LOAD_CONST None, in
                // 3.15 LOAD_COMMON_CONSTANT None; STORE_FAST x; DELETE_FAST
                // x ...) protects the body after the STORE_FAST that bound
                // x: its level is the depth there.
                let name_cleanup = || {
                    let op = |k: usize| instrs.get(k)?.op.map(|o| o.op);
                    if !matches!(op(i)?, Op::LOAD_CONST | Op::LOAD_COMMON_CONSTANT)
                        || op(i + 1)? != Op::STORE_FAST
                    {
                        return None;
                    }
                    let x = instrs[i + 1].arg;
                    (0..i).rev().find_map(|j| {
                        (op(j) == Some(Op::STORE_FAST) && instrs[j].arg == x)
                            .then(|| w.depths[j])
                            .flatten()
                    })
                };
                // Best of all: the dead code rejoins live code (an except
                // body ends `POP_EXCEPT; JUMP ...` back into the function),
                // and the depth there pins the entry depth exactly.
                let rejoin = || {
                    let mut rel: FxHashMap<usize, i32> = FxHashMap::default();
                    rel.insert(i, 0);
                    let mut todo = vec![i];
                    let mut steps = 0;
                    while let Some(k) = todo.pop() {
                        steps += 1;
                        if steps > 4 * n + 16 || k >= n {
                            break;
                        }
                        let r = *rel.get(&k)?;
                        let op = instrs[k].op?;
                        let arg = instrs[k].arg;
                        let flow = flow_of(op);
                        let mut edges = Vec::new();
                        if matches!(flow, Flow::Branch | Flow::Jump) {
                            if let Some(t) = instrs[k].target {
                                edges.push((t, r + op.stack_effect(arg, true)));
                            }
                        }
                        if matches!(flow, Flow::Next | Flow::Branch) {
                            edges.push((k + 1, r + op.stack_effect(arg, false)));
                        }
                        for (t, rt) in edges {
                            if t < n && w.live.as_ref().is_some_and(|l| l[t]) {
                                if let Some(dt) = w.depths[t] {
                                    return Some(dt - rt);
                                }
                            }
                            if t < n && !rel.contains_key(&t) && w.depths[t].is_none() {
                                rel.insert(t, rt);
                                todo.push(t);
                            }
                        }
                    }
                    None
                };
                // A dead handler's cleanup block (COPY 3; POP_EXCEPT;
                // RERAISE 1) is protected in turn by the handler of the
                // statement around its `try` (a `with`, another `try`),
                // whose depth is the level at which the `try` starts. That
                // beats the level of the code laid out before it, which
                // may be some other statement's handler (an inlined
                // comprehension's, one item deeper).
                let enclosing_level = || {
                    let covering =
                        |at: usize| excepts.iter().position(|e| e.start <= at && at < e.end);
                    let cleanup = excepts[covering(i)?].handler;
                    let is_cleanup = instrs.get(cleanup)?.op.is_some_and(|o| o.op == Op::COPY);
                    if !is_cleanup {
                        return None;
                    }
                    handler_depths[covering(cleanup)?].map(|d| d as i32)
                };
                let seed = match (rejoin(), starts_handler, name_cleanup()) {
                    (Some(d), _, _) if d >= 0 => d,
                    (_, true, _) => enclosing_level().unwrap_or(after) + 1,
                    (_, false, Some(d)) => d - 1 + 2,
                    (_, false, None) => before + 2,
                };
                max = max.max(seed as i64);
                seeds.push((i, seed));
                set(i, seed, None, false, None, &mut w);
                progressed = true;
            }
        }
        // Handlers whose regions are never reached at all: estimate from the
        // nearest reached instruction before the region, plus the exception
        // a handler starts with.
        if !progressed {
            for k in 0..excepts.len() {
                if handler_depths[k].is_some() {
                    continue;
                }
                let e = &excepts[k];
                let before = (0..e.start.min(n)).rev().find_map(|i| w.depths[i]);
                if let Some(d) = before {
                    let starts_handler = instrs
                        .get(e.start)
                        .and_then(|x| x.op)
                        .is_some_and(|o| o.op == Op::PUSH_EXC_INFO);
                    let d = (d + starts_handler as i32).max(0) as u32;
                    for &j in entries_of(e.handler) {
                        if handler_depths[j].is_none() {
                            handler_depths[j] = Some(d);
                        }
                    }
                    progressed = true;
                    break;
                }
            }
        }
        // Finally, handlers with a depth that nothing entered: walked as dead
        // paths, as CPython's compiler walks them from their SETUP.
        if !progressed {
            for (k, e) in excepts.iter().enumerate() {
                let Some(hd) = handler_depths[k] else {
                    continue;
                };
                if handler_pushed[k] || e.handler >= n || w.depths[e.handler].is_some() {
                    continue;
                }
                if w.live.is_none() {
                    w.live = Some(w.depths.iter().map(|d| d.is_some()).collect());
                    max_live = max;
                }
                handler_pushed[k] = true;
                let entry = hd as i32 + 1 + e.lasti as i32;
                max = max.max(entry as i64);
                set(e.handler, entry, None, handler_guessed[k], None, &mut w);
                progressed = true;
                break;
            }
        }
        if !progressed {
            break;
        }
    }
    let exit = Exit {
        depth: w.depths[n]
            .filter(|_| exits == 1 && w.origin[n].is_none())
            .map(|d| (d, w.unknown[n])),
        dead: w.live.is_some() || w.depths[..n].iter().any(Option::is_none),
    };
    w.depths.truncate(n);
    w.unknown.truncate(n);
    w.pred.truncate(n);
    let live: Vec<bool> = match &w.live {
        Some(l) => l.iter().take(n).copied().collect(),
        None => w.depths.iter().map(|d| d.is_some()).collect(),
    };
    if max_live < 0 {
        max_live = max;
    }
    let result = StackResult {
        max_depth: max.clamp(0, u32::MAX as i64) as u32,
        live_max_depth: max_live.clamp(0, u32::MAX as i64) as u32,
        live,
        depths: w.depths,
        unknown: w.unknown,
        handler_depths,
        depth_from,
        problems: w.problems,
        pred: w.pred,
    };
    (result, exit)
}

/// One instruction as the stack analysis reads it, its jump's target
/// counted from its section's start: two sections with the same keys,
/// entries and entry depth are walked alike.
type InstrKey = [u32; 3];

/// A section's walk, kept by [`SectionMemo`].
#[derive(Debug)]
struct Kept {
    entry: (i32, bool),
    instrs: Vec<InstrKey>,
    excepts: Vec<(usize, usize, usize, Option<u32>, bool)>,
    result: StackResult,
    exit: Exit,
}

/// What the stack analysis found in each section of a block (see
/// [`crate::analysis::sections`]), kept from one analysis of the block to
/// the next: a section whose instructions and entry depth did not change
/// is not walked again.
#[derive(Debug, Default)]
pub struct SectionMemo {
    kept: FxHashMap<u64, Vec<std::sync::Arc<Kept>>>,
    /// Instructions the last analysis walked, of the sections it found no
    /// walk of (what an edit costs this analysis).
    pub walked: usize,
}

/// [`analyze`], section by section (`starts`, from
/// [`crate::analysis::sections::starts`]), each entered with the depth the
/// one before it ends with: the same result, which debug builds check.
/// Sections `memo` holds a walk of are not walked again, and it keeps
/// this analysis' sections for the next. `None` where the sections cannot
/// stand for the whole code: a section ends with no known depth to go on
/// with (code no path reaches, or reached only after a problem), or walks
/// code no path reaches, whose estimated depth comes from code before it.
pub fn analyze_in_sections(
    table: &OpcodeTable,
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    starts: &[usize],
    memo: &mut SectionMemo,
) -> Option<StackResult> {
    if table.stack_depth_is_largest {
        return None;
    }
    let n = instrs.len();
    let mut out = StackResult {
        live: Vec::with_capacity(n),
        depths: Vec::with_capacity(n),
        unknown: Vec::with_capacity(n),
        pred: Vec::with_capacity(n),
        depth_from: Vec::with_capacity(excepts.len()),
        handler_depths: Vec::with_capacity(excepts.len()),
        ..StackResult::default()
    };
    let mut kept: FxHashMap<u64, Vec<std::sync::Arc<Kept>>> = FxHashMap::default();
    let mut old = std::mem::take(&mut memo.kept);
    memo.walked = 0;
    let mut entry = (entry_depth(instrs), false);
    let sections = super::sections::with_entries(starts, excepts, n)?;
    for (j, s) in sections.iter().enumerate() {
        let (lo, hi, k_at) = (s.lo, s.hi, s.k_at);
        let last = j + 1 == sections.len();
        let key = |x: &FlowInstr| -> InstrKey { super::sections::instr_key(x, lo) };
        let mine = &excepts[k_at..s.k_end];
        let ekeys: Vec<_> = mine
            .iter()
            .map(|e| (e.start - lo, e.end - lo, e.handler - lo, e.depth, e.lasti))
            .collect();
        // Hashed and compared as they are, without a copy: most sections
        // are found.
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            for x in &instrs[lo..hi] {
                key(x).hash(&mut h);
            }
            ekeys.hash(&mut h);
            h.finish()
        };
        // Sections alike (a block of one instruction over and over) are
        // kept once.
        let same = |x: &&std::sync::Arc<Kept>| {
            x.entry == entry
                && x.excepts == ekeys
                && x.instrs.len() == hi - lo
                && x.instrs
                    .iter()
                    .zip(&instrs[lo..hi])
                    .all(|(k, i)| *k == key(i))
        };
        let here = kept.get(&hash).and_then(|v| v.iter().find(same)).cloned();
        let found = here
            .clone()
            .or_else(|| old.get(&hash).and_then(|v| v.iter().find(same)).cloned());
        let section = match found {
            Some(x) => x,
            None => {
                memo.walked += hi - lo;
                let (sub, subx) = s.slice(instrs, excepts);
                let (result, exit) = walk(table, &sub, &subx, entry);
                std::sync::Arc::new(Kept {
                    entry,
                    instrs: instrs[lo..hi].iter().map(key).collect(),
                    excepts: ekeys,
                    result,
                    exit,
                })
            }
        };
        if section.exit.dead || (!last && section.exit.depth.is_none()) {
            return None;
        }
        let r = &section.result;
        out.max_depth = out.max_depth.max(r.max_depth);
        out.live_max_depth = out.live_max_depth.max(r.live_max_depth);
        out.live.extend_from_slice(&r.live);
        out.depths.extend_from_slice(&r.depths);
        out.unknown.extend_from_slice(&r.unknown);
        out.handler_depths.extend_from_slice(&r.handler_depths);
        out.depth_from
            .extend(r.depth_from.iter().map(|f| f.map(|k| k + k_at)));
        // The section's first instruction is reached first from the one
        // before it, by falling through.
        out.pred.extend(
            r.pred
                .iter()
                .enumerate()
                .map(|(i, p)| p.map(|p| p + lo).or((i == 0 && lo > 0).then(|| lo - 1))),
        );
        for p in &r.problems {
            out.problems.push(match *p {
                // Not the end of the code: the next section follows.
                Problem::FallsOffEnd { .. } if !last => continue,
                Problem::FallsOffEnd { at } => Problem::FallsOffEnd { at: at + lo },
                Problem::Underflow { at, depth } => Problem::Underflow { at: at + lo, depth },
                Problem::Mismatch {
                    at,
                    first,
                    second,
                    from,
                } => Problem::Mismatch {
                    at: at + lo,
                    first,
                    second,
                    from: from.map(|f| f + lo),
                },
            });
        }
        entry = section.exit.depth.unwrap_or((0, false));
        if here.is_none() {
            kept.entry(hash).or_default().push(section);
        }
    }
    // A section's walk from the other state its entry was last in stays
    // too: typing into a line breaks it and mends it by turns, and the
    // depths after a broken line are guesses.
    for (hash, v) in kept.iter_mut() {
        if let Some(mut others) = old.remove(hash) {
            others.retain(|x| v.iter().all(|y| y.entry != x.entry));
            v.extend(others.into_iter().take(1));
        }
    }
    memo.kept = kept;
    Some(out)
}

/// Instructions a section holds at least (see
/// [`crate::analysis::sections::starts`]) when the language server keeps
/// a block's sections: a few hundred, so that walking one again after an
/// edit costs little and the block's sections are few to look up.
pub const SECTION: usize = 512;

/// [`analyze`], kept by section in `memo` (sections of at least `size`
/// instructions) for a block of more than a few sections (see
/// [`analyze_in_sections`]); the whole code's walk where the sections
/// cannot stand for it. Debug builds also walk every block by
/// sections of a few instructions and check that the result is the whole
/// walk's.
pub fn analyze_keeping(
    table: &OpcodeTable,
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    memo: Option<(&mut SectionMemo, usize)>,
) -> StackResult {
    if let Some((memo, size)) = memo {
        let size = size.max(1);
        if instrs.len() < 4 * size {
            memo.kept = FxHashMap::default();
            memo.walked = instrs.len();
        } else {
            let starts = super::sections::starts(instrs, excepts, size);
            if let Some(r) = analyze_in_sections(table, instrs, excepts, &starts, memo) {
                if cfg!(debug_assertions) {
                    check_sections(&r, &analyze(table, instrs, excepts));
                }
                return r;
            }
            memo.walked = instrs.len();
        }
    }
    let whole = analyze(table, instrs, excepts);
    if cfg!(debug_assertions) {
        let starts = super::sections::starts(instrs, excepts, 1);
        let mut memo = SectionMemo::default();
        if let Some(r) = analyze_in_sections(table, instrs, excepts, &starts, &mut memo) {
            check_sections(&r, &whole);
        }
    }
    whole
}

/// Panics unless `sections` is the whole code's walk: the same but for
/// the order of the problems, which follows the order of the walk.
fn check_sections(sections: &StackResult, whole: &StackResult) {
    let sorted = |r: &StackResult| {
        let mut r = r.clone();
        r.problems.sort_by_key(|p| format!("{p:?}"));
        r
    };
    let (a, b) = (sorted(sections), sorted(whole));
    assert!(
        a == b,
        "the stack analysis by sections differs from the whole walk:\n{a:?}\n{b:?}"
    );
}
