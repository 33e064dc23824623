//! Definite assignment of fast locals: which locals hold a value on every
//! path to each instruction. A `LOAD_FAST` of a local that some path leaves
//! unassigned reads a NULL in 3.12 and later (the compiler writes
//! `LOAD_FAST_CHECK` there); 3.11's `LOAD_FAST` checks and raises.
//!
//! The question is asked only where a local is read, one local at a time.
//! A local is possibly unassigned before an instruction exactly when some
//! path reaches it from a *source* (the entry, for a local that does not
//! start assigned; the instruction after one that deletes it) without
//! passing an instruction that assigns it. Exception edges go from the point
//! before each protected instruction to its handler. This is the classic
//! forward data flow over sets of assigned locals, met by intersection,
//! answered path by path (the two agree for gen/kill problems like this
//! one); asked per read it needs no set per instruction, which grows with
//! the number of instructions times the number of locals.
//!
//! For each local, two searches run in step: forward from its sources, and
//! backward from its reads, each stopped by the instructions that assign
//! it. Whichever finishes first bounds the work: a local assigned near the
//! top and read everywhere has a small forward region; one assigned just
//! before its reads has a small backward region. When the backward search
//! finishes first, a forward search inside its region finds the reads a
//! source reaches (every path from a source to a read lies in it).

use super::blockstack::PathGraph;
use super::facts::{facts, Flow, LocalUse};
use super::stack::{FlowExcept, FlowInstr};
use crate::code::kind;

/// What an instruction does to the locals: at most two it assigns, one it
/// deletes, two it reads (before anything else it does).
#[derive(Clone, Copy, Default)]
struct Effect {
    sets: [Option<u32>; 2],
    /// An instruction of unknown effect (already reported) may assign any
    /// local: no read after it is reported on its account.
    sets_all: bool,
    clears: Option<u32>,
    reads: [Option<u32>; 2],
}

fn effect(ins: &FlowInstr) -> Effect {
    let mut e = Effect {
        sets_all: ins.unknown,
        ..Effect::default()
    };
    let Some(op) = ins.op else { return e };
    let a = ins.arg;
    match facts(op.op).locals {
        LocalUse::Nothing => {}
        LocalUse::Sets => e.sets[0] = Some(a),
        LocalUse::Clears => e.clears = Some(a),
        LocalUse::SetsThenReads => {
            e.sets[0] = Some(a >> 4);
            // It reads its second local after storing the first.
            if a >> 4 != a & 15 {
                e.reads[0] = Some(a & 15);
            }
        }
        LocalUse::SetsPair => e.sets = [Some(a >> 4), Some(a & 15)],
        LocalUse::Reads => e.reads[0] = Some(a),
        LocalUse::ReadsPair => e.reads = [Some(a >> 4), Some(a & 15)],
    }
    e
}

/// Edges in compressed rows: `targets[starts[i]..starts[i + 1]]`.
struct Rows {
    starts: Vec<usize>,
    targets: Vec<usize>,
}

impl Rows {
    fn from_pairs(n: usize, pairs: &[(usize, usize)]) -> Rows {
        let mut starts = vec![0usize; n + 1];
        for &(from, _) in pairs {
            starts[from + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut targets = vec![0usize; pairs.len()];
        for &(from, to) in pairs {
            targets[fill[from]] = to;
            fill[from] += 1;
        }
        Rows { starts, targets }
    }
    fn of(&self, i: usize) -> &[usize] {
        &self.targets[self.starts[i]..self.starts[i + 1]]
    }
}

/// A read of a local that some path reaching it leaves unassigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unbound {
    pub at: usize,
    pub local: u32,
    /// Nothing in the code assigns it, on any path: the read is a
    /// mistake whichever way the code runs (a misspelt name, most likely).
    pub always: bool,
}

/// For each instruction, the locals it reads that some path reaching it
/// leaves unassigned, in instruction order. Only instructions in
/// `reachable` (and reached by these edges) are reported. With `paths`
/// (3.6-3.8: the block stack's walk, see [`PathGraph`]) the paths are its
/// graph's, where each instruction may be several nodes; a read is
/// unassigned when it is at any of its nodes.
pub fn unbound_reads(
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    kinds: &[u8],
    n_args: usize,
    reachable: &[bool],
    paths: Option<&PathGraph>,
) -> Vec<Unbound> {
    let unassigned = |v: usize| !starts_assigned(kinds, n_args, v);
    walk(
        instrs,
        excepts,
        kinds.len(),
        &unassigned,
        reachable,
        paths,
        false,
    )
    .unbound
}

/// Arguments, and cells and free variables (MAKE_CELL and COPY_FREE_VARS
/// fill them before any user code), start assigned.
fn starts_assigned(kinds: &[u8], n_args: usize, v: usize) -> bool {
    v < n_args
        || kinds
            .get(v)
            .is_some_and(|k| k & (kind::CELL | kind::FREE) != 0)
}

/// What [`walk`] found.
struct Walked {
    unbound: Vec<Unbound>,
    /// With `ask_end`: the locals some path to the end of the code (falling
    /// off its last instruction, or jumping there) leaves unassigned;
    /// `None` when no path gets there.
    end: Option<Vec<bool>>,
    /// With `ask_end`: the locals an instruction some path reaches assigns
    /// or deletes (all of them, past an instruction of unknown effect).
    touched: Vec<bool>,
}

/// [`unbound_reads`] of `nv` locals, `unassigned(v)` saying which are
/// unassigned where the code starts; with `ask_end`, also what
/// [`Walked::end`] and [`Walked::touched`] say (for a section of a larger
/// code, see [`unbound_reads_keeping`]; not with `paths`).
fn walk(
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    nv: usize,
    unassigned: &dyn Fn(usize) -> bool,
    reachable: &[bool],
    paths: Option<&PathGraph>,
    ask_end: bool,
) -> Walked {
    let n = instrs.len();
    let paths = paths.filter(|_| !ask_end);
    let mut out = Walked {
        unbound: Vec::new(),
        end: None,
        touched: Vec::new(),
    };
    if n == 0 {
        out.end = ask_end.then(|| (0..nv).map(unassigned).collect());
        return out;
    }
    let starts_assigned = |v: usize| !unassigned(v);
    // Whether a read of local `v` can find it unbound, `cleared` saying
    // whether anything deletes it: the one rule for which reads are asked
    // about at all.
    let may_be_unbound = |v: usize, cleared: bool| !starts_assigned(v) || cleared;

    // Nothing to answer without a read of a local that may be unbound:
    // then the flow graph is not built at all. Module code, which keeps
    // its variables in names, reads no local.
    // (Asked before the effects are kept: a block of many instructions
    // and no locals costs one look at each.)
    if nv == 0 && !ask_end {
        return out;
    }
    let mut cleared = vec![false; nv];
    for v in instrs.iter().filter_map(|x| effect(x).clears) {
        if let Some(c) = cleared.get_mut(v as usize) {
            *c = true;
        }
    }
    let to_answer = instrs.iter().any(|x| {
        effect(x)
            .reads
            .iter()
            .flatten()
            .any(|&v| (v as usize) < nv && may_be_unbound(v as usize, cleared[v as usize]))
    });
    if !to_answer && !ask_end {
        return out;
    }
    let mut by_instr_effects: Vec<Effect> = instrs.iter().map(effect).collect();
    // The end of the code, as a node of its own that assigns nothing.
    if ask_end {
        by_instr_effects.push(Effect::default());
    }
    let effects = &by_instr_effects;

    // The nodes of the graph: the instructions, or the walk's nodes (whose
    // graph has the exception edges of the block stack in its own, and is
    // asked only where no exception table adds others).
    let paths = paths.filter(|p| excepts.is_empty() && !p.instr.is_empty());
    let instr_of = |k: usize| paths.map_or(k, |p| p.instr[k] as usize);
    let node_effects: Vec<Effect>;
    let effects: &[Effect] = match paths {
        Some(p) => {
            node_effects = p.instr.iter().map(|&i| effects[i as usize]).collect();
            &node_effects
        }
        None => effects,
    };
    let n = effects.len();
    // The instructions' nodes, and the end's.
    let nodes = n - usize::from(ask_end);
    let end = ask_end.then_some(nodes);
    // Normal edges (fall through, jumps) and exception edges.
    let mut edges: Vec<(usize, usize)> = Vec::with_capacity(n + n / 4);
    match paths {
        Some(p) => edges.extend(p.edges.iter().map(|&(a, b)| (a as usize, b as usize))),
        None => {
            for (i, ins) in instrs.iter().enumerate() {
                let flow = ins.flow().unwrap_or(Flow::Next);
                if matches!(flow, Flow::Branch | Flow::Jump) {
                    if let Some(t) = ins.target.filter(|&t| t < n) {
                        edges.push((i, t));
                    }
                }
                if matches!(flow, Flow::Next | Flow::Branch) && i + 1 < n {
                    edges.push((i, i + 1));
                }
            }
        }
    }
    let succ = Rows::from_pairs(n, &edges);
    let pred = Rows::from_pairs(n, &edges.iter().map(|&(a, b)| (b, a)).collect::<Vec<_>>());
    let mut cover_pairs = Vec::new();
    let mut covered_pairs = Vec::new();
    for e in excepts.iter().filter(|e| e.handler < nodes) {
        for i in e.start..e.end.min(nodes) {
            cover_pairs.push((i, e.handler));
            covered_pairs.push((e.handler, i));
        }
    }
    // The handlers each instruction's state flows to, and the instructions
    // whose states flow into each handler.
    let handlers = Rows::from_pairs(n, &cover_pairs);
    let protected = Rows::from_pairs(n, &covered_pairs);

    // Which instructions any path reaches at all.
    let mut reached = vec![false; n];
    let mut work = vec![0usize];
    reached[0] = true;
    while let Some(i) = work.pop() {
        for &t in succ.of(i).iter().chain(handlers.of(i)) {
            if !reached[t] {
                reached[t] = true;
                work.push(t);
            }
        }
    }

    // The reads to answer, by local, and the deletions, by local.
    let mut reads: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nv];
    let mut clears: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for i in 0..n {
        if !reached[i] {
            continue;
        }
        let e = &effects[i];
        if reachable.get(instr_of(i)).copied().unwrap_or(false) {
            for (slot, r) in e.reads.iter().enumerate() {
                if let Some(v) = r.filter(|&v| (v as usize) < nv) {
                    reads[v as usize].push((i, slot));
                }
            }
        }
        if let Some(v) = e.clears.filter(|&v| (v as usize) < nv) {
            clears[v as usize].push(i);
        }
    }
    // Every local is asked about where the code ends.
    if let Some(end) = end.filter(|&e| reached[e]) {
        for r in &mut reads {
            r.push((end, 0));
        }
        out.end = Some(vec![false; nv]);
    }
    if ask_end {
        out.touched = vec![false; nv];
        for (i, e) in effects.iter().enumerate().take(nodes) {
            if !reached[i] {
                continue;
            }
            if e.sets_all {
                out.touched.fill(true);
            }
            for v in e.sets.iter().chain([&e.clears]).flatten() {
                if let Some(t) = out.touched.get_mut(*v as usize) {
                    *t = true;
                }
            }
        }
    }

    let mut unbound = vec![[false; 2]; n];
    let mut always = vec![[false; 2]; n];
    let mut s = Search::new(n);
    for v in 0..nv {
        if reads[v].is_empty() || !may_be_unbound(v, !clears[v].is_empty()) {
            continue;
        }
        let g = Graph {
            effects,
            succ: &succ,
            pred: &pred,
            handlers: &handlers,
            protected: &protected,
            reached: &reached,
            v: v as u32,
            from_entry: !starts_assigned(v),
        };
        let found = s.unbound_reads_of(&g, &reads[v], &clears[v]);
        if found.is_empty() {
            continue;
        }
        // Never assigned at all: no instruction stores or deletes it, and
        // it does not start assigned. (Compiled code reads a local only
        // where the function assigns or deletes it somewhere: `del x`
        // alone makes `x` local.)
        let never =
            g.from_entry && clears[v].is_empty() && !(0..n).any(|i| reached[i] && g.sets(i));
        for (i, slot) in found {
            if Some(i) == end {
                if let Some(e) = out.end.as_mut() {
                    e[v] = true;
                }
                continue;
            }
            unbound[i][slot] = true;
            always[i][slot] = never;
        }
    }

    // By instruction: unassigned at any of its nodes.
    let mut by_instr = vec![[false; 2]; instrs.len()];
    let mut always_by_instr = vec![[false; 2]; instrs.len()];
    for k in 0..nodes {
        for slot in 0..2 {
            if unbound[k][slot] {
                by_instr[instr_of(k)][slot] = true;
                always_by_instr[instr_of(k)][slot] |= always[k][slot];
            }
        }
    }
    for (i, e) in by_instr_effects.iter().enumerate().take(instrs.len()) {
        for (slot, r) in e.reads.iter().enumerate() {
            if let Some(v) = *r {
                if by_instr[i][slot] {
                    out.unbound.push(Unbound {
                        at: i,
                        local: v,
                        always: always_by_instr[i][slot],
                    });
                }
            }
        }
    }
    out
}

/// What [`unbound_reads_keeping`] found in each section of a block, kept
/// for the next analysis of the block: a section whose instructions,
/// entries, reachable instructions and locals unassigned on entry are the
/// same is not walked again.
#[derive(Debug, Default)]
pub struct SectionMemo {
    /// The locals' kinds and the argument count the walks were made with.
    inputs: Option<(Vec<u8>, usize)>,
    kept: rustc_hash::FxHashMap<u64, Vec<std::sync::Arc<Kept>>>,
    /// Instructions the last analysis walked: those of the sections it
    /// found no walk of, or the whole block's.
    pub walked: usize,
}

/// One section's walk: its key, and what it found (reads counted from
/// the section's start).
#[derive(Debug)]
struct Kept {
    key: Vec<u32>,
    reads: Vec<(usize, u32)>,
    end: Option<Vec<bool>>,
    touched: Vec<bool>,
}

/// [`unbound_reads`], kept by section in `memo` (sections of at least
/// `size` instructions, see [`crate::analysis::sections`]) for a block of
/// more than a few sections. Only the fall-through crosses a cut, so each
/// section is walked alone from the locals the one before it may leave
/// unassigned; whether a read is of a local nothing ever assigns is
/// decided over the sections control reaches. Debug builds check the
/// result against the whole walk (by sections of a few instructions,
/// when there is no memo).
pub fn unbound_reads_keeping(
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    kinds: &[u8],
    n_args: usize,
    reachable: &[bool],
    paths: Option<&PathGraph>,
    memo: Option<(&mut SectionMemo, usize)>,
) -> Vec<Unbound> {
    let whole = || unbound_reads(instrs, excepts, kinds, n_args, reachable, paths);
    let check = cfg!(debug_assertions);
    let mut fresh = SectionMemo::default();
    let (memo, size) = match memo {
        Some(m) => m,
        None if check => (&mut fresh, 1),
        None => return whole(),
    };
    memo.walked = instrs.len();
    let Some(found) = in_sections(instrs, excepts, kinds, n_args, reachable, paths, memo, size)
    else {
        return whole();
    };
    if check {
        assert_eq!(
            found,
            whole(),
            "definite assignment by sections differs from the whole walk"
        );
    }
    found
}

/// [`unbound_reads_keeping`] by sections; `None` where the block is not
/// cut (see [`SectionMemo`]).
#[allow(clippy::too_many_arguments)]
fn in_sections(
    instrs: &[FlowInstr],
    excepts: &[FlowExcept],
    kinds: &[u8],
    n_args: usize,
    reachable: &[bool],
    paths: Option<&PathGraph>,
    memo: &mut SectionMemo,
    size: usize,
) -> Option<Vec<Unbound>> {
    let n = instrs.len();
    let nv = kinds.len();
    let inputs = Some((kinds.to_vec(), n_args));
    if memo.inputs != inputs {
        memo.kept = Default::default();
        memo.inputs = inputs;
    }
    if paths.is_some() || n < 4 * size.max(1) || nv > super::sections::MAX_LOCALS {
        memo.kept = Default::default();
        return None;
    }
    let starts = super::sections::starts(instrs, excepts, size.max(1));
    let sections = super::sections::with_entries(&starts, excepts, n).filter(|s| s.len() >= 2)?;
    let mut old = std::mem::take(&mut memo.kept);
    memo.walked = 0;
    let mut reads: Vec<(usize, u32)> = Vec::new();
    let mut touched = vec![false; nv];
    let mut entry: Option<Vec<bool>> = Some(
        (0..nv)
            .map(|v| !starts_assigned(kinds, n_args, v))
            .collect(),
    );
    for s in &sections {
        // A section control does not reach: nothing in it is reached.
        let Some(unassigned) = entry.take() else {
            continue;
        };
        let (lo, hi) = (s.lo, s.hi);
        let mut key: Vec<u32> = Vec::with_capacity(4 * (hi - lo) + nv / 32 + 8);
        for (i, x) in instrs.iter().enumerate().take(hi).skip(lo) {
            let [code, arg, target] = super::sections::instr_key(x, lo);
            let reached = reachable.get(i).copied().unwrap_or(false);
            key.extend([code | (reached as u32) << 18, arg, target]);
        }
        key.push((s.k_end - s.k_at) as u32);
        for e in &excepts[s.k_at..s.k_end] {
            key.extend([
                (e.start - lo) as u32,
                (e.end - lo) as u32,
                (e.handler - lo) as u32,
            ]);
        }
        key.extend(unassigned.chunks(32).map(|c| {
            c.iter()
                .enumerate()
                .fold(0u32, |w, (k, &b)| w | (b as u32) << k)
        }));
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            key.hash(&mut h);
            h.finish()
        };
        let same = |k: &&std::sync::Arc<Kept>| k.key == key;
        let here = memo
            .kept
            .get(&hash)
            .and_then(|v| v.iter().find(same))
            .cloned();
        let found = here
            .clone()
            .or_else(|| old.get(&hash).and_then(|v| v.iter().find(same)).cloned());
        let kept = match found {
            Some(k) => k,
            None => {
                memo.walked += hi - lo;
                let (sub, subx) = s.slice(instrs, excepts);
                let live: Vec<bool> = (lo..hi)
                    .map(|i| reachable.get(i).copied().unwrap_or(false))
                    .collect();
                let w = walk(&sub, &subx, nv, &|v| unassigned[v], &live, None, true);
                std::sync::Arc::new(Kept {
                    key,
                    reads: w.unbound.iter().map(|u| (u.at, u.local)).collect(),
                    end: w.end,
                    touched: w.touched,
                })
            }
        };
        reads.extend(kept.reads.iter().map(|&(at, v)| (at + lo, v)));
        for (t, &k) in touched.iter_mut().zip(&kept.touched) {
            *t |= k;
        }
        entry = kept.end.clone();
        if here.is_none() {
            memo.kept.entry(hash).or_default().push(kept);
        }
    }
    // A section's walk from the other locals it was last entered with
    // stays too: typing into a line breaks it and mends it by turns.
    for (hash, v) in memo.kept.iter_mut() {
        if let Some(mut others) = old.remove(hash) {
            others.retain(|x| v.iter().all(|y| y.key != x.key));
            v.extend(others.into_iter().take(1));
        }
    }
    // Never assigned: it does not start assigned, and no instruction
    // control reaches assigns or deletes it.
    Some(
        reads
            .into_iter()
            .map(|(at, v)| Unbound {
                at,
                local: v,
                always: !starts_assigned(kinds, n_args, v as usize)
                    && !touched.get(v as usize).copied().unwrap_or(true),
            })
            .collect(),
    )
}

/// The flow graph seen by one local `v`.
struct Graph<'a> {
    effects: &'a [Effect],
    succ: &'a Rows,
    pred: &'a Rows,
    handlers: &'a Rows,
    protected: &'a Rows,
    reached: &'a [bool],
    v: u32,
    /// `v` does not start assigned: the entry is a source.
    from_entry: bool,
}

impl Graph<'_> {
    fn sets(&self, i: usize) -> bool {
        self.effects[i].sets_all || self.effects[i].sets.contains(&Some(self.v))
    }
    fn clears(&self, i: usize) -> bool {
        self.effects[i].clears == Some(self.v)
    }
}

/// The marks and queues of the searches, reused from local to local: a
/// mark counts as set only when it equals the current generation.
struct Search {
    generation: u32,
    forward: Vec<u32>,
    backward: Vec<u32>,
    inside: Vec<u32>,
    fq: Vec<usize>,
    bq: Vec<usize>,
}

impl Search {
    fn new(n: usize) -> Search {
        Search {
            generation: 0,
            forward: vec![0; n],
            backward: vec![0; n],
            inside: vec![0; n],
            fq: Vec::new(),
            bq: Vec::new(),
        }
    }

    /// The reads (instruction, slot) of `g.v` that a source reaches.
    fn unbound_reads_of(
        &mut self,
        g: &Graph,
        reads: &[(usize, usize)],
        clears: &[usize],
    ) -> Vec<(usize, usize)> {
        self.generation += 1;
        let gen = self.generation;
        self.fq.clear();
        self.bq.clear();
        // Forward: the points (before an instruction) a source reaches.
        let mark = |marks: &mut Vec<u32>, q: &mut Vec<usize>, i: usize| {
            if marks[i] != gen {
                marks[i] = gen;
                q.push(i);
            }
        };
        if g.from_entry {
            mark(&mut self.forward, &mut self.fq, 0);
        }
        for &c in clears {
            for &s in g.succ.of(c) {
                mark(&mut self.forward, &mut self.fq, s);
            }
        }
        for &(r, _) in reads {
            mark(&mut self.backward, &mut self.bq, r);
        }
        // Backward: the points from which a read is reached without
        // passing an assignment. `source_seen` says whether it met a
        // source; if not, no read is reached from one.
        let mut source_seen = false;
        let forward_done = loop {
            let Some(i) = self.fq.pop() else { break true };
            self.step_forward(g, i, false);
            let Some(j) = self.bq.pop() else { break false };
            if g.from_entry && j == 0 {
                source_seen = true;
            }
            for &p in g.pred.of(j) {
                if !g.reached[p] || g.sets(p) {
                    continue;
                }
                if g.clears(p) {
                    source_seen = true;
                } else {
                    mark(&mut self.backward, &mut self.bq, p);
                }
            }
            for &c in g.protected.of(j) {
                if g.reached[c] {
                    mark(&mut self.backward, &mut self.bq, c);
                }
            }
        };
        if forward_done {
            return reads
                .iter()
                .copied()
                .filter(|&(r, _)| self.forward[r] == gen)
                .collect();
        }
        if !source_seen {
            return Vec::new();
        }
        // The backward region is complete: search forward inside it.
        self.fq.clear();
        let inside_gen = gen;
        let start = |s: usize, this: &mut Search| {
            if this.backward[s] == inside_gen && this.inside[s] != inside_gen {
                this.inside[s] = inside_gen;
                this.fq.push(s);
            }
        };
        if g.from_entry {
            start(0, self);
        }
        for &c in clears {
            for &s in g.succ.of(c) {
                start(s, self);
            }
        }
        while let Some(i) = self.fq.pop() {
            self.step_forward(g, i, true);
        }
        reads
            .iter()
            .copied()
            .filter(|&(r, _)| self.inside[r] == inside_gen)
            .collect()
    }

    /// Spreads "possibly unassigned" from the point before `i`: to its
    /// handlers, and past it unless it assigns the local. With `inside`,
    /// only into the backward region, marking `self.inside`.
    fn step_forward(&mut self, g: &Graph, i: usize, inside: bool) {
        let gen = self.generation;
        let succ: &[usize] = if g.sets(i) { &[] } else { g.succ.of(i) };
        for &t in g.handlers.of(i).iter().chain(succ) {
            if inside {
                if self.backward[t] == gen && self.inside[t] != gen {
                    self.inside[t] = gen;
                    self.fq.push(t);
                }
            } else if self.forward[t] != gen {
                self.forward[t] = gen;
                self.fq.push(t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::{Op, Version};

    // The analysis as it was first written: a set of assigned locals per
    // instruction, met by intersection until nothing changes.
    #[derive(Clone, PartialEq, Eq)]
    struct Bits(Vec<u64>);

    impl Bits {
        fn new(n: usize, full: bool) -> Bits {
            let words = n.div_ceil(64).max(1);
            let mut b = Bits(vec![if full { u64::MAX } else { 0 }; words]);
            if full && !n.is_multiple_of(64) {
                b.0[words - 1] = (1u64 << (n % 64)) - 1;
            }
            if n == 0 {
                b.0[0] = 0;
            }
            b
        }
        fn get(&self, i: usize) -> bool {
            self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
        }
        fn set(&mut self, i: usize, v: bool) {
            if let Some(w) = self.0.get_mut(i / 64) {
                if v {
                    *w |= 1 << (i % 64);
                } else {
                    *w &= !(1 << (i % 64));
                }
            }
        }
        /// Intersects in place; true when something changed.
        fn meet(&mut self, other: &Bits) -> bool {
            let mut changed = false;
            for (a, b) in self.0.iter_mut().zip(&other.0) {
                let n = *a & b;
                changed |= n != *a;
                *a = n;
            }
            changed
        }
    }

    /// For each instruction, the locals it reads that some path reaching it
    /// leaves unassigned: `(instruction index, local index)`.
    pub fn unbound_reads_by_sets(
        instrs: &[FlowInstr],
        excepts: &[FlowExcept],
        kinds: &[u8],
        n_args: usize,
        reachable: &[bool],
    ) -> Vec<(usize, u32)> {
        let n = instrs.len();
        let nv = kinds.len();
        if n == 0 {
            return Vec::new();
        }
        // Arguments, and cells and free variables (MAKE_CELL and
        // COPY_FREE_VARS fill them before any user code), start assigned.
        let mut entry = Bits::new(nv, false);
        for (i, &k) in kinds.iter().enumerate() {
            if i < n_args || k & (kind::CELL | kind::FREE) != 0 {
                entry.set(i, true);
            }
        }
        let mut state: Vec<Option<Bits>> = vec![None; n + 1];
        let mut work = vec![0usize];
        state[0] = Some(entry);
        // Handler targets, for pushing exception edges.
        let mut cover: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in excepts {
            for c in cover.iter_mut().take(e.end.min(n)).skip(e.start) {
                c.push(e.handler);
            }
        }
        let mut guard = 0usize;
        while let Some(i) = work.pop() {
            guard += 1;
            if guard > 64 * (n + 1) * (nv / 64 + 1) + 1000 {
                break;
            }
            if i >= n {
                continue;
            }
            let Some(before) = state[i].clone() else {
                continue;
            };
            let mut push = |to: usize, s: &Bits, work: &mut Vec<usize>| {
                if to > n {
                    return;
                }
                match &mut state[to] {
                    None => {
                        state[to] = Some(s.clone());
                        work.push(to);
                    }
                    Some(old) => {
                        if old.meet(s) {
                            work.push(to);
                        }
                    }
                }
            };
            for &h in &cover[i] {
                push(h, &before, &mut work);
            }
            let ins = &instrs[i];
            let mut after = before.clone();
            if let Some(op) = ins.op {
                let e = effect(ins);
                for &x in e.sets.iter().flatten() {
                    after.set(x as usize, true);
                }
                if let Some(x) = e.clears {
                    after.set(x as usize, false);
                }
                let flow = ins.flow().unwrap_or(super::super::facts::flow_of(op));
                if matches!(flow, Flow::Branch | Flow::Jump) {
                    if let Some(t) = ins.target {
                        push(t, &after, &mut work);
                    }
                }
                if matches!(flow, Flow::Next | Flow::Branch) {
                    push(i + 1, &after, &mut work);
                }
            } else {
                push(i + 1, &after, &mut work);
            }
        }
        let mut out = Vec::new();
        for (i, ins) in instrs.iter().enumerate() {
            if !reachable.get(i).copied().unwrap_or(false) {
                continue;
            }
            let (Some(_), Some(s)) = (ins.op, &state[i]) else {
                continue;
            };
            let reads: Vec<u32> = effect(ins).reads.iter().flatten().copied().collect();
            // The second of a pair reads after nothing in between changes it.
            for v in reads {
                if (v as usize) < nv && !s.get(v as usize) {
                    out.push((i, v));
                }
            }
        }
        out
    }

    #[test]
    fn agrees_with_the_data_flow_over_sets() {
        let table = Version::V3_13.table();
        let op = |op: Op| table.by_op(op).unwrap();
        let ops = [
            Op::STORE_FAST,
            Op::STORE_FAST,
            Op::DELETE_FAST,
            Op::LOAD_FAST,
            Op::LOAD_FAST,
            Op::LOAD_FAST,
            Op::LOAD_FAST_CHECK,
            Op::LOAD_FAST_AND_CLEAR,
            Op::LOAD_FAST_LOAD_FAST,
            Op::STORE_FAST_STORE_FAST,
            Op::STORE_FAST_LOAD_FAST,
            Op::NOP,
            Op::POP_JUMP_IF_FALSE,
            Op::JUMP_FORWARD,
            Op::JUMP_BACKWARD,
            Op::RETURN_VALUE,
        ];
        let mut seed = 0x9e37_79b9_u64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for round in 0..20_000 {
            let n = 1 + next(24);
            let nv = 1 + next(5);
            let instrs: Vec<FlowInstr> = (0..n)
                .map(|_| {
                    let k = next(ops.len() + 1);
                    let op = ops.get(k).map(|&o| op(o));
                    let arg = if op.is_some_and(|o| {
                        matches!(
                            facts(o.op).locals,
                            LocalUse::ReadsPair | LocalUse::SetsThenReads | LocalUse::SetsPair
                        )
                    }) {
                        (next(nv + 1) << 4 | next(nv + 1)) as u32
                    } else {
                        next(nv + 1) as u32
                    };
                    FlowInstr {
                        op,
                        arg,
                        target: Some(next(n + 2)),
                        unknown: false,
                        ends: false,
                    }
                })
                .collect();
            let excepts: Vec<FlowExcept> = (0..next(3))
                .map(|_| {
                    let start = next(n);
                    FlowExcept {
                        start,
                        end: start + 1 + next(n - start + 1),
                        handler: next(n + 1),
                        depth: None,
                        lasti: false,
                        span: 0..0,
                    }
                })
                .collect();
            let kinds: Vec<u8> = (0..nv)
                .map(|_| [kind::LOCAL, kind::LOCAL, kind::CELL, kind::FREE][next(4)])
                .collect();
            let n_args = next(nv + 1);
            let reachable: Vec<bool> = (0..n).map(|_| next(6) != 0).collect();
            let fast: Vec<(usize, u32)> =
                unbound_reads(&instrs, &excepts, &kinds, n_args, &reachable, None)
                    .iter()
                    .map(|u| (u.at, u.local))
                    .collect();
            let slow = unbound_reads_by_sets(&instrs, &excepts, &kinds, n_args, &reachable);
            assert_eq!(fast, slow, "round {round}");
        }
    }
}
