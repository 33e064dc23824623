//! The kinds analysis kept by section, from one analysis of a block to the
//! next (issue 19's edit in a block of 100,000 instructions), as
//! `stack::analyze_in_sections` keeps the stack analysis.
//!
//! Only the fall-through crosses a cut between sections (see
//! [`crate::analysis::sections`]), so the data flow finishes each section
//! before it enters the next: the worklist takes the lowest instruction
//! first, and nothing after a cut leads back before it. A section's walk
//! then depends on nothing but what [`Run::key`] gathers: its
//! instructions (jump targets counted from its start), the two before it
//! and the few after it that checks look at, the stack analysis' findings
//! there, its exception entries, what was reported there already, and the
//! state it is entered with. What the walk found (findings, functions,
//! the state it leaves) is kept, counted from the section's start, and
//! given again when a later analysis enters the same section in the same
//! state.
//!
//! Identities make that state hard to compare: a value's identity is
//! where it was made (`4 * instruction + k + 1`, or past the code for
//! what a handler is entered with), so a value made before the section
//! carries the place of its maker, which an edit between them moves. The
//! key numbers the makers it meets in order instead, with each maker's
//! opcode (what `made_by` reads); identities made in the section are
//! counted from its start. The state a kept walk leaves is translated back
//! the same way.
//!
//! Never for code with a block stack (3.10 and older): those are not cut.

use super::{finally_model, Analysis, Finding, Input, MadeFunction, Slot, State, Work};
use crate::analysis::sections::{self, Section};
use crate::code::Obj;
use crate::versions::{ArgKind, Op};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What the kinds analysis found in each section of a block, kept for
/// the next analysis of the block (see the module's comment).
#[derive(Debug, Default)]
pub struct SectionMemo {
    /// What every section's walk reads beside its own instructions: the
    /// locals, names and flags (see [`inputs`]).
    inputs: Option<u64>,
    /// The walks, by the hash of their keys, each with the number of the
    /// last analysis that used it.
    kept: FxHashMap<u64, Vec<(u64, Arc<Kept>)>>,
    /// The number of the analysis under way.
    generation: u64,
    /// Instructions the last analysis walked: those of the sections it
    /// found no walk of, or the whole block's when it kept none.
    pub walked: usize,
}

/// What a section's walk depends on, as words, and the codes reported in
/// the section before it was entered (counted from its start).
#[derive(Debug, PartialEq, Eq)]
struct Key {
    words: Vec<u32>,
    reported: Vec<(u32, &'static str)>,
}

impl Key {
    fn hash(&self) -> u64 {
        let mut h = FxHasher::default();
        self.words.hash(&mut h);
        self.reported.hash(&mut h);
        h.finish()
    }
}

/// One section's walk.
#[derive(Debug)]
struct Kept {
    key: Key,
    /// Where the walk was: the section's first instruction, the code's
    /// length and the section's first exception entry (identities made in
    /// the section are counted from these), and the makers of the
    /// identities of its entry state, in the key's order.
    lo: usize,
    len: usize,
    n: usize,
    k_at: usize,
    entries: usize,
    bases: Vec<u32>,
    /// The state at the instruction after the section (stack, locals), if
    /// control goes on there.
    exit: Option<(Vec<Slot>, Vec<Slot>)>,
    // What the walk added, counted from the section's start (its first
    // instruction, or first exception entry).
    findings: Vec<Finding>,
    functions: Vec<MadeFunction>,
    reported: Vec<(usize, &'static str)>,
    reported_at: Vec<usize>,
    handler_reported: Vec<usize>,
    relied: u8,
    steps: usize,
}

/// A walk of a section under way, and where its additions begin.
struct Recording {
    section: usize,
    hash: u64,
    key: Key,
    bases: Vec<u32>,
    findings: usize,
    functions: usize,
    reported: usize,
    steps: usize,
}

/// One analysis' use of a memo: the sections, the walks found before, and
/// the section being walked.
pub(super) struct Run<'m> {
    memo: &'m mut SectionMemo,
    old: FxHashMap<u64, Vec<(u64, Arc<Kept>)>>,
    sections: Vec<Section>,
    next: usize,
    cur: Option<Recording>,
}

/// A hash of what every section's walk reads of the block besides its
/// instructions (and the version, which `sections::Memo::keep_for`
/// owns): a memo kept for other inputs is dropped.
fn inputs(inp: &Input) -> u64 {
    let mut h = FxHasher::default();
    inp.n_args.hash(&mut h);
    inp.flags.hash(&mut h);
    inp.vars.hash(&mut h);
    inp.names.hash(&mut h);
    h.finish()
}

/// The words of a slot, its identity given apart.
fn slot_words(w: &mut Vec<u32>, s: &Slot, id: u32) {
    w.extend([
        s.bits,
        s.f as u32 | (s.hid as u32) << 8,
        s.n,
        s.m,
        id,
        s.items,
        s.borrow as u32,
        (s.borrow >> 32) as u32,
    ]);
}

/// The kind a constant gives the value loaded from it (instruction
/// argument `a`): what LOAD_CONST pushes, before its identity.
pub(super) fn const_kind(konst: Option<&Obj>, a: u32) -> Slot {
    use super::{CODE, NONE, NOT_BOOL, OTHER, STR, TUPLE};
    match konst {
        Some(Obj::None) => Slot::of(NONE),
        Some(Obj::Str(_)) => Slot::of(STR),
        Some(Obj::Tuple(v)) => {
            let mut t = Slot::of(TUPLE);
            t.n = v.len() as u32;
            if v.iter().all(|x| matches!(x, Obj::Str(_))) {
                t.f |= super::F_STRS;
            }
            t
        }
        Some(Obj::Code(_) | Obj::CodeRef(_)) => Slot {
            n: a,
            ..Slot::of(CODE)
        },
        Some(Obj::Int(_) | Obj::Float(_) | Obj::Complex(..) | Obj::Bytes(_)) => Slot::of(NOT_BOOL),
        _ => Slot::of(OTHER),
    }
}

impl<'m> Run<'m> {
    /// The sections of `inp`'s code, each at least `size` instructions
    /// (see [`crate::analysis::sections::starts`]); `None` (the memo
    /// emptied) where they are not kept: code of fewer than four sections,
    /// with a block stack or with many locals.
    pub(super) fn new(memo: &'m mut SectionMemo, inp: &Input, size: usize) -> Option<Run<'m>> {
        let n = inp.instrs.len();
        memo.walked = n;
        let fingerprint = inputs(inp);
        if memo.inputs != Some(fingerprint) {
            memo.kept = FxHashMap::default();
            memo.inputs = Some(fingerprint);
        }
        let t = inp.table;
        if n < 4 * size.max(1)
            || finally_model(t)
            || t.unwinds_by_why
            || inp.vars.len() > sections::MAX_LOCALS
        {
            memo.kept = FxHashMap::default();
            return None;
        }
        let starts = sections::starts(inp.instrs, inp.excepts, size.max(1));
        let sections = sections::with_entries(&starts, inp.excepts, n).filter(|s| s.len() >= 2)?;
        memo.walked = 0;
        memo.generation += 1;
        let old = std::mem::take(&mut memo.kept);
        Some(Run {
            memo,
            old,
            sections,
            next: 0,
            cur: None,
        })
    }

    /// Where each section starts, and the end of the code.
    pub(super) fn starts(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.sections.iter().map(|s| s.lo).collect();
        v.extend(self.sections.last().map(|s| s.hi));
        v
    }

    /// Called with each instruction the walk takes from its worklist,
    /// before it is counted: ends the section being walked when `i` is
    /// past it, and at the start of a section, gives again a kept walk of
    /// it (the steps it took, which the caller counts instead of stepping
    /// `i`) or starts recording one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn visit(
        &mut self,
        a: &mut Analysis,
        i: usize,
        state: &mut [Option<Box<State>>],
        work: &mut Work,
        steps: usize,
        budget: usize,
        reported_at: &mut [bool],
        handler_reported: &mut [bool],
    ) -> Option<usize> {
        if self
            .cur
            .as_ref()
            .is_some_and(|c| i >= self.sections[c.section].hi)
        {
            self.finish(a, state, steps, reported_at, handler_reported);
        }
        while self.sections.get(self.next).is_some_and(|s| s.lo < i) {
            self.next += 1;
        }
        let j = self.next;
        let s = *self.sections.get(j).filter(|s| s.lo == i)?;
        if self.cur.is_some() {
            return None;
        }
        self.next += 1;
        let st = state[i].as_ref()?;
        let Some((key, bases)) = key(a, st, s) else {
            self.memo.walked += s.hi - s.lo;
            return None;
        };
        let hash = key.hash();
        let same = |k: &&(u64, Arc<Kept>)| k.1.key == key;
        let found = (self.memo.kept.get(&hash).and_then(|v| v.iter().find(same)))
            .or_else(|| self.old.get(&hash).and_then(|v| v.iter().find(same)))
            .map(|k| k.1.clone());
        if let Some(k) = found.filter(|k| steps + k.steps <= budget) {
            self.replay(a, &k, s, &bases, state, work, reported_at, handler_reported);
            // Kept in this analysis' memo too, once.
            let here = self.memo.kept.entry(hash).or_default();
            if !here.iter().any(|x| Arc::ptr_eq(&x.1, &k)) {
                here.push((self.memo.generation, k.clone()));
            }
            return Some(k.steps);
        }
        self.memo.walked += s.hi - s.lo;
        a.section_relied = 0;
        self.cur = Some(Recording {
            section: j,
            hash,
            key,
            bases,
            findings: a.out.findings.len(),
            functions: a.out.functions.len(),
            reported: a.reported.len(),
            steps,
        });
        None
    }

    /// Ends the walk: keeps the section being walked when the walk got to
    /// its end (`finished`), and leaves the memo with this analysis'
    /// sections, and with the walks it did not use, the most recently used
    /// first, up to three walks per section in all.
    pub(super) fn end(
        mut self,
        a: &mut Analysis,
        state: &[Option<Box<State>>],
        steps: usize,
        finished: bool,
        reported_at: &[bool],
        handler_reported: &[bool],
    ) {
        if finished && self.cur.is_some() {
            self.finish(a, state, steps, reported_at, handler_reported);
        }
        // A section's walk from the other state it was last entered in
        // stays too: typing into a line breaks it and mends it by turns.
        // So do the walks of the sections this analysis did not enter: the
        // kinds analysis does not go past a broken line, and the sections
        // after it are entered as before once it is mended.
        let memo = &mut *self.memo;
        let mut others: Vec<(u64, u64, Arc<Kept>)> = Vec::new();
        for (hash, v) in std::mem::take(&mut self.old) {
            let here = memo.kept.get(&hash);
            others.extend(
                v.into_iter()
                    .filter(|x| here.is_none_or(|h| h.iter().all(|y| y.1.key != x.1.key)))
                    .map(|(g, k)| (g, hash, k)),
            );
        }
        let used: usize = memo.kept.values().map(Vec::len).sum();
        let room = (3 * self.sections.len()).saturating_sub(used);
        others.sort_by_key(|x| std::cmp::Reverse(x.0));
        for (g, hash, k) in others.into_iter().take(room) {
            memo.kept.entry(hash).or_default().push((g, k));
        }
    }

    /// Keeps the walk of the section being walked, if what it left can be
    /// counted from its start.
    fn finish(
        &mut self,
        a: &Analysis,
        state: &[Option<Box<State>>],
        steps: usize,
        reported_at: &[bool],
        handler_reported: &[bool],
    ) {
        let Some(c) = self.cur.take() else { return };
        let s = self.sections[c.section];
        let n = a.inp.instrs.len();
        let internal = |id: u32| {
            let b = (id & !3) as usize;
            let handlers = 4 * (n + 1 + s.k_at)..4 * (n + 1 + s.k_end);
            id == 0 || (4 * s.lo..4 * s.hi).contains(&b) || handlers.contains(&b)
        };
        let known = |x: &Slot| internal(x.id) || c.bases.contains(&(x.id & !3));
        let exit = state.get(s.hi).and_then(Option::as_ref).map(|st| {
            let locals = (0..st.locals.len()).map(|x| *st.locals.slot(x)).collect();
            (st.stack.clone(), locals)
        });
        if exit
            .as_ref()
            .is_some_and(|(st, lo)| !st.iter().chain(lo).all(known))
        {
            return;
        }
        let findings = &a.out.findings[c.findings..];
        if findings.iter().any(|f| {
            f.at < s.lo
                || f.note.as_ref().is_some_and(|(x, _)| *x < s.lo)
                || f.except.is_some_and(|k| k < s.k_at)
        }) {
            return;
        }
        let functions = &a.out.functions[c.functions..];
        let reported = &a.reported[c.reported..];
        if functions.iter().any(|f| f.at < s.lo) || reported.iter().any(|r| r.0 < s.lo) {
            return;
        }
        let kept = Arc::new(Kept {
            key: c.key,
            lo: s.lo,
            len: s.hi - s.lo,
            n,
            k_at: s.k_at,
            entries: s.k_end - s.k_at,
            bases: c.bases,
            exit,
            findings: findings
                .iter()
                .map(|f| Finding {
                    at: f.at - s.lo,
                    note: f.note.as_ref().map(|(x, m)| (x - s.lo, m.clone())),
                    except: f.except.map(|k| k - s.k_at),
                    ..f.clone()
                })
                .collect(),
            functions: functions
                .iter()
                .map(|f| MadeFunction {
                    at: f.at - s.lo,
                    ..f.clone()
                })
                .collect(),
            reported: reported.iter().map(|&(x, code)| (x - s.lo, code)).collect(),
            reported_at: (s.lo..s.hi.min(reported_at.len()))
                .filter(|&x| reported_at[x])
                .map(|x| x - s.lo)
                .collect(),
            handler_reported: (s.k_at..s.k_end)
                .filter(|&k| handler_reported[k])
                .map(|k| k - s.k_at)
                .collect(),
            relied: a.section_relied,
            steps: steps - c.steps,
        });
        let generation = self.memo.generation;
        self.memo
            .kept
            .entry(c.hash)
            .or_default()
            .push((generation, kept));
    }

    /// Gives again kept walk `k` of section `s`, entered in the state its
    /// key was made from (whose makers are `bases`).
    #[allow(clippy::too_many_arguments)]
    fn replay(
        &self,
        a: &mut Analysis,
        k: &Kept,
        s: Section,
        bases: &[u32],
        state: &mut [Option<Box<State>>],
        work: &mut Work,
        reported_at: &mut [bool],
        handler_reported: &mut [bool],
    ) {
        for f in &k.findings {
            a.out.findings.push(Finding {
                at: f.at + s.lo,
                note: f.note.as_ref().map(|(x, m)| (x + s.lo, m.clone())),
                except: f.except.map(|x| x + s.k_at),
                ..f.clone()
            });
        }
        a.out
            .functions
            .extend(k.functions.iter().map(|f| MadeFunction {
                at: f.at + s.lo,
                ..f.clone()
            }));
        a.reported
            .extend(k.reported.iter().map(|&(x, code)| (x + s.lo, code)));
        for &x in &k.reported_at {
            reported_at[x + s.lo] = true;
        }
        for &x in &k.handler_reported {
            handler_reported[x + s.k_at] = true;
        }
        a.out.relied |= k.relied;
        let Some((stack, locals)) = &k.exit else {
            return;
        };
        let n = a.inp.instrs.len();
        // The kept walk's identities, as this walk's.
        let id = |id: u32| -> u32 {
            if id == 0 {
                return 0;
            }
            let (b, r) = ((id & !3) as usize, id & 3);
            let handlers = 4 * (k.n + 1 + k.k_at);
            let b = if (4 * k.lo..4 * (k.lo + k.len)).contains(&b) {
                b - 4 * k.lo + 4 * s.lo
            } else if (handlers..handlers + 4 * k.entries).contains(&b) {
                b - handlers + 4 * (n + 1 + s.k_at)
            } else {
                let m = k.bases.iter().position(|&x| x as usize == b);
                m.map_or(0, |m| bases[m] as usize)
            };
            b as u32 | r
        };
        let entry = state[s.lo]
            .as_ref()
            .expect("a section is entered with a state");
        let mut exit = State {
            stack: stack.iter().map(|x| Slot { id: id(x.id), ..*x }).collect(),
            locals: entry.locals.clone(),
        };
        for (x, v) in locals.iter().enumerate() {
            exit.locals.set(x, Slot { id: id(v.id), ..*v });
        }
        state[s.hi] = Some(Box::new(exit));
        work.push(s.hi);
    }
}

/// What walking section `s` from `st` depends on, and the makers of the
/// identities `st` holds, in the order the key numbers them; `None` when
/// the state holds a maker the key cannot describe.
fn key(a: &Analysis, st: &State, s: Section) -> Option<(Key, Vec<u32>)> {
    let inp = a.inp;
    let instrs = inp.instrs;
    let n = instrs.len();
    let mut w: Vec<u32> = Vec::with_capacity(8 * (s.hi - s.lo) + 64);
    // (An instruction's opcode and marks: the first word of its key.)
    let code = |x: &super::FlowInstr| sections::instr_key(x, 0)[0];
    w.push((s.hi - s.lo) as u32);
    for x in &instrs[s.lo..s.hi] {
        w.extend(sections::instr_key(x, s.lo));
        if x.op.is_some_and(|o| o.arg == ArgKind::Const) {
            let c = const_kind(inp.consts.get(x.arg as usize).copied(), x.arg);
            w.extend([c.bits, c.n, c.f as u32]);
        }
    }
    // The checks look two instructions back (KW_NAMES before a call), one
    // ahead, and over the SET_FUNCTION_ATTRIBUTEs after a MAKE_FUNCTION.
    let before = s.lo.saturating_sub(2)..s.lo;
    w.push(before.len() as u32);
    for x in &instrs[before] {
        w.extend([code(x), x.arg]);
    }
    let mut end = s.hi;
    let sets = |x: usize| {
        instrs[x]
            .op
            .is_some_and(|o| o.op == Op::SET_FUNCTION_ATTRIBUTE)
    };
    while end < n && (end < s.hi + 2 || sets(end - 1)) {
        end += 1;
    }
    w.push((end - s.hi) as u32);
    for x in &instrs[s.hi..end] {
        w.extend([code(x), x.arg]);
    }
    let r = inp.analysis;
    for x in s.lo..s.hi {
        let d = r.depths.get(x).copied().flatten();
        let flags = d.is_some() as u32
            | (r.unknown.get(x).copied().unwrap_or(false) as u32) << 1
            | (r.live.get(x).copied().unwrap_or(false) as u32) << 2;
        w.extend([flags, d.unwrap_or(0) as u32]);
    }
    w.push((s.k_end - s.k_at) as u32);
    for (k, e) in inp.excepts[s.k_at..s.k_end].iter().enumerate() {
        let hd = r.handler_depths.get(s.k_at + k).copied().flatten();
        w.extend([
            (e.start - s.lo) as u32,
            (e.end - s.lo) as u32,
            (e.handler - s.lo) as u32,
            e.depth.is_some() as u32 | (e.lasti as u32) << 1 | (hd.is_some() as u32) << 2,
            e.depth.unwrap_or(0),
            hd.unwrap_or(0),
        ]);
    }
    // The entry state, its identities numbered by maker.
    let mut bases: Vec<u32> = Vec::new();
    let mut index: FxHashMap<u32, u32> = FxHashMap::default();
    let mut canon = |id: u32| -> u32 {
        if id == 0 {
            return 0;
        }
        let b = id & !3;
        let m = *index.entry(b).or_insert_with(|| {
            bases.push(b);
            bases.len() as u32 - 1
        });
        (m + 1) << 2 | (id & 3)
    };
    w.push(st.stack.len() as u32);
    for x in &st.stack {
        let id = canon(x.id);
        slot_words(&mut w, x, id);
    }
    w.push(st.locals.len() as u32);
    for i in 0..st.locals.len() {
        let x = st.locals.slot(i);
        let id = canon(x.id);
        slot_words(&mut w, x, id);
    }
    // What `made_by` reads of each maker: its opcode, or none past the
    // code (a handler's entry values). A maker in or after the section
    // would be counted twice.
    w.push(bases.len() as u32);
    for &b in &bases {
        let at = (b / 4) as usize;
        if (s.lo..=n).contains(&at) {
            return None;
        }
        w.push(instrs.get(at).map_or(u32::MAX - 1, code));
    }
    let mut reported: Vec<(u32, &'static str)> = a
        .reported
        .iter()
        .filter(|(x, _)| (s.lo..=s.hi).contains(x))
        .map(|&(x, c)| ((x - s.lo) as u32, c))
        .collect();
    reported.sort_unstable();
    Some((Key { words: w, reported }, bases))
}
