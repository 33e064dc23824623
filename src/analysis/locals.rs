//! Definite assignment of fast locals: which locals hold a value on every
//! path to each instruction. A `LOAD_FAST` of a local that some path leaves
//! unassigned reads a NULL in 3.12 and later (the compiler writes
//! `LOAD_FAST_CHECK` there); 3.11's `LOAD_FAST` checks and raises.
//!
//! Forward data flow over the instructions with sets of assigned locals,
//! met by intersection, including the edges into exception handlers (a
//! handler sees what holds before any instruction of its regions).

use super::stack::{flow_of, Flow, FlowExcept, FlowInstr};
use crate::code::kind;

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
pub fn unbound_reads(
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
            let a = ins.arg as usize;
            match op.base.unwrap_or(op.name) {
                // LOAD_FAST_CHECK raises when the local is unbound, so past
                // it the local holds a value.
                "STORE_FAST" | "STORE_FAST_MAYBE_NULL" | "LOAD_FAST_CHECK" | "MAKE_CELL" => {
                    after.set(a, true)
                }
                "DELETE_FAST" | "LOAD_FAST_AND_CLEAR" => after.set(a, false),
                "STORE_FAST_LOAD_FAST" => after.set(a >> 4, true),
                "STORE_FAST_STORE_FAST" => {
                    after.set(a >> 4, true);
                    after.set(a & 15, true);
                }
                _ => {}
            }
            let flow = flow_of(op);
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
        let (Some(op), Some(s)) = (ins.op, &state[i]) else {
            continue;
        };
        let a = ins.arg;
        let reads: &[u32] = match op.base.unwrap_or(op.name) {
            "LOAD_FAST" | "LOAD_FAST_BORROW" => &[a],
            "LOAD_FAST_LOAD_FAST" | "LOAD_FAST_BORROW_LOAD_FAST_BORROW" => &[a >> 4, a & 15],
            // Reads its second local after storing the first.
            "STORE_FAST_LOAD_FAST" if a >> 4 != a & 15 => &[a & 15],
            _ => &[],
        };
        // The second of a pair reads after nothing in between changes it.
        for &v in reads {
            if (v as usize) < nv && !s.get(v as usize) {
                out.push((i, v));
            }
        }
    }
    out
}
