//! Where a block of code may be cut into sections that an analysis can
//! walk one after another: the language server keeps what it found in each
//! section, and after an edit walks again only the sections whose
//! instructions, or whose state on entry, changed (issue 19's edit in a
//! block of 100,000 instructions).
//!
//! A cut before instruction `c` is quiet when nothing but the fall-through
//! from `c - 1` crosses it: no jump from one side lands on the other, and
//! every exception entry has its protected range and its handler on one
//! side (with the two instructions after the handler's first, which the
//! analyses read to tell what kind of handler it is). Then what the code after the cut sees of the code before it is
//! the state the fall-through brings, and an analysis of the section from
//! that state finds what an analysis of the whole code finds there.
//!
//! Code with a block stack (before 3.11, `SETUP_*` instructions) keeps
//! what was set up across any cut, so it is not cut at all; nor is code
//! whose exception entries do not come section by section in table order.

use super::stack::{FlowExcept, FlowInstr};
use crate::versions::ArgKind;

/// Fast locals a block may have for the analyses that follow them to keep
/// its sections: each kept section holds what it found of every local
/// (the kinds analysis its locals' slots on entry and exit, definite
/// assignment which may be unassigned), and walking a section costs a look
/// at each. (A hostile function of 8,000 locals, cut after every
/// instruction as debug builds cut every block, took 459 MiB.)
pub const MAX_LOCALS: usize = 1024;

/// What the analyses kept of a block's sections, for the next analysis of
/// the block (the language server keeps one per block). Each analysis'
/// memo keys a section by opcode numbers, which mean other instructions
/// in another version: [`Memo::keep_for`] empties them all when the
/// version changes.
#[derive(Debug, Default)]
pub struct Memo {
    version: Option<crate::versions::Version>,
    pub stack: super::stack::SectionMemo,
    pub kinds: super::kinds::SectionMemo,
    pub locals: super::locals::SectionMemo,
    /// Instructions a section holds at least; 0 for
    /// [`super::stack::SECTION`] (tests cut small blocks finely, to keep
    /// sections in every edit).
    pub size: usize,
}

impl Memo {
    /// Keeps what the analyses found for `version` only.
    pub fn keep_for(&mut self, version: crate::versions::Version) {
        if self.version != Some(version) {
            *self = Memo {
                version: Some(version),
                size: self.size,
                ..Memo::default()
            };
        }
    }

    /// The size of a section: see [`Memo::size`].
    pub fn section_size(&self) -> usize {
        match self.size {
            0 => super::stack::SECTION,
            n => n,
        }
    }
}

/// One section: instructions `lo..hi`, and exception entries
/// `k_at..k_end`, those whose ranges start there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub lo: usize,
    pub hi: usize,
    pub k_at: usize,
    pub k_end: usize,
}

impl Section {
    /// The section's instructions and exception entries as code of their
    /// own: jump targets, ranges and handlers counted from its start.
    pub fn slice(
        &self,
        instrs: &[FlowInstr],
        excepts: &[FlowExcept],
    ) -> (Vec<FlowInstr>, Vec<FlowExcept>) {
        let lo = self.lo;
        let sub = instrs[lo..self.hi]
            .iter()
            .map(|x| FlowInstr {
                target: x.target.map(|t| t - lo),
                ..*x
            })
            .collect();
        let subx = excepts[self.k_at..self.k_end]
            .iter()
            .map(|e| FlowExcept {
                start: e.start - lo,
                end: e.end - lo,
                handler: e.handler - lo,
                span: e.span.clone(),
                ..*e
            })
            .collect();
        (sub, subx)
    }
}

/// An instruction as the analyses that keep sections compare it: its
/// opcode (`u16::MAX` for one the version does not know) with its
/// `unknown` and `ends` marks, its argument, and its jump's target counted
/// from `lo`, the start of its section (`u32::MAX` for none).
pub fn instr_key(x: &FlowInstr, lo: usize) -> [u32; 3] {
    let code = x.op.map_or(u16::MAX as u32, |o| o.code as u32);
    let target = x.target.map_or(u32::MAX, |t| t.wrapping_sub(lo) as u32);
    [
        code | (x.unknown as u32) << 16 | (x.ends as u32) << 17,
        x.arg,
        target,
    ]
}

/// The sections of code of `n` instructions that start at `starts`, each
/// with its exception entries; `None` unless the first starts at 0 and
/// every entry, range and handler, lies inside one section, the sections'
/// entries in table order: what [`starts`] gives, which the analyses that
/// walk sections rely on.
pub fn with_entries(starts: &[usize], excepts: &[FlowExcept], n: usize) -> Option<Vec<Section>> {
    if starts.first() != Some(&0) {
        return None;
    }
    let mut out = Vec::with_capacity(starts.len());
    let mut k_at = 0;
    for (j, &lo) in starts.iter().enumerate() {
        let hi = starts.get(j + 1).copied().unwrap_or(n);
        let k_end = k_at + excepts[k_at..].iter().take_while(|e| e.start < hi).count();
        let inside = |x: usize| (lo..hi).contains(&x);
        if excepts[k_at..k_end]
            .iter()
            .any(|e| !inside(e.start) || e.end > hi || !inside(e.handler))
        {
            return None;
        }
        out.push(Section {
            lo,
            hi,
            k_at,
            k_end,
        });
        k_at = k_end;
    }
    (k_at == excepts.len()).then_some(out)
}

/// The first instruction of each section, in order: `0`, then each cut.
/// A section is cut at the first quiet point at least `size` instructions
/// after the last cut (`size` at least 1); code that has no quiet point,
/// or that may not be cut, is one section.
pub fn starts(instrs: &[FlowInstr], excepts: &[FlowExcept], size: usize) -> Vec<usize> {
    let n = instrs.len();
    let one = vec![0];
    if n == 0 {
        return one;
    }
    // blocked[c] > 0: something other than the fall-through crosses a cut
    // before c. Each edge or entry blocks the cuts strictly inside the span
    // it covers, (lo, hi], as +1 at lo + 1 and -1 at hi + 1.
    let mut blocked = vec![0i32; n + 2];
    let mut span = |a: usize, b: usize| {
        let (lo, hi) = (a.min(b), a.max(b).min(n));
        if lo < hi {
            blocked[lo + 1] += 1;
            blocked[hi + 1] -= 1;
        }
    };
    for (i, ins) in instrs.iter().enumerate() {
        if ins.op.is_some_and(|o| o.arg == ArgKind::Handler) {
            return one;
        }
        if let Some(t) = ins.target {
            // A jump to the next instruction crosses a cut there too: the
            // section before would end in a jump to its end.
            span(i, t);
        }
    }
    // A handler's first two instructions stay with it: the analyses tell
    // a `with` cleanup and a generator's catch-all by them.
    for e in excepts {
        let lo = e.start.min(e.handler);
        let hi = e.end.saturating_sub(1).max(e.start).max(e.handler + 2);
        span(lo, hi);
    }
    let mut out = vec![0];
    let mut level = 0i32;
    for (c, b) in blocked.iter().enumerate().take(n) {
        level += b;
        if c > 0 && level == 0 && c >= out[out.len() - 1] + size.max(1) {
            out.push(c);
        }
    }
    // The entries of each section must come together, in section order:
    // an analysis walks the handlers of one section as it would in the
    // whole code only when no other section's entry comes between them.
    let section_of = |i: usize| out.partition_point(|&s| s <= i) - 1;
    let mut last = 0;
    for e in excepts {
        let s = section_of(e.start.min(n - 1));
        if s < last {
            return one;
        }
        last = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::{Op, Version};

    fn code(ops: &[(Op, Option<usize>)]) -> Vec<FlowInstr> {
        let table = Version::V3_11.table();
        ops.iter()
            .map(|&(op, target)| FlowInstr {
                op: table.by_op(op),
                arg: 0,
                target,
                unknown: false,
                ends: false,
            })
            .collect()
    }

    #[test]
    fn a_jump_or_an_entry_keeps_the_cuts_it_spans_from_being_made() {
        use Op::*;
        // 0 NOP, 1 NOP, 2 POP_JUMP_FORWARD_IF_TRUE -> 5, 3 NOP, 4 NOP,
        // 5 NOP, 6 JUMP_BACKWARD -> 5, 7 NOP
        let instrs = code(&[
            (NOP, None),
            (NOP, None),
            (POP_JUMP_FORWARD_IF_TRUE, Some(5)),
            (NOP, None),
            (NOP, None),
            (NOP, None),
            (JUMP_BACKWARD, Some(5)),
            (NOP, None),
        ]);
        assert_eq!(starts(&instrs, &[], 1), vec![0, 1, 2, 7]);
        assert_eq!(starts(&instrs, &[], 3), vec![0, 7]);
        assert_eq!(starts(&instrs, &[], 100), vec![0]);
        let entry = |start, end, handler| FlowExcept {
            start,
            end,
            handler,
            depth: None,
            lasti: false,
            span: 0..0,
        };
        // A range 0..2 with its handler at 7 spans everything.
        assert_eq!(starts(&instrs, &[entry(0, 2, 7)], 1), vec![0]);
        // A range 3..4 handled at 1: the cuts from 2 to 4 go.
        assert_eq!(starts(&instrs, &[entry(3, 4, 1)], 1), vec![0, 1, 7]);
        // A range 0..1 handled at 0: the handler's next two stay with it
        // (and the jumps keep 3 to 6).
        assert_eq!(starts(&instrs, &[entry(0, 1, 0)], 1), vec![0, 7]);
        assert_eq!(starts(&instrs[..2], &[entry(0, 1, 0)], 1), vec![0]);
        // Entries out of section order: not cut.
        assert_eq!(
            starts(&instrs, &[entry(7, 8, 7), entry(0, 1, 0)], 1),
            vec![0]
        );
    }
}
