//! How `co_consts`, `co_names` and the fast locals are built from a block:
//! the pinned entries first, then every symbolic operand not yet present, in
//! order of first use. The disassembler asks the same functions how short a
//! pinned prefix it may print, so both sides agree by construction.

use crate::code::{kind, Obj, PyStr, SplitVars};
use crate::model::{Arg, Block, Body, Constant, NameRef};
use crate::versions::{ArgKind, OpcodeTable};
use rustc_hash::{FxHashMap, FxHashSet};

/// The three tables of one block, with first-index lookups. They borrow
/// their entries from the block: assembling a block again after an edit
/// copies none of its constants, and hashes none (see [`Constant`]).
#[derive(Debug, Default)]
pub struct Tables<'a> {
    pub consts: Vec<&'a Obj>,
    pub names: Vec<&'a PyStr>,
    pub vars: Vec<(&'a PyStr, u8)>,
    const_index: FxHashMap<&'a Constant, u32>,
    name_index: FxHashMap<&'a PyStr, u32>,
    var_index: FxHashMap<&'a PyStr, u32>,
}

impl<'a> Tables<'a> {
    pub fn const_index(&self, v: &Constant) -> Option<u32> {
        self.const_index.get(v).copied()
    }
    pub fn name_index(&self, n: &PyStr) -> Option<u32> {
        self.name_index.get(n).copied()
    }
    pub fn var_index(&self, n: &PyStr) -> Option<u32> {
        self.var_index.get(n).copied()
    }

    fn push_const(&mut self, v: &'a Constant) {
        let i = self.consts.len() as u32;
        self.const_index.entry(v).or_insert(i);
        self.consts.push(v.value());
    }
    fn push_name(&mut self, n: &'a PyStr) {
        let i = self.names.len() as u32;
        self.name_index.entry(n).or_insert(i);
        self.names.push(n);
    }
    fn push_var(&mut self, n: &'a PyStr, k: u8) {
        let i = self.vars.len() as u32;
        self.var_index.entry(n).or_insert(i);
        self.vars.push((n, k));
    }
}

/// Builds the tables of `block` as the assembler will: the pinned entries,
/// then every symbolic operand not yet present, in order of first use.
pub fn build<'a>(table: &OpcodeTable, block: &'a Block) -> Tables<'a> {
    build_in(table, block, block.stmts())
}

/// [`build`], the statements read from `body` (see [`Body`]).
pub fn build_in<'a>(table: &OpcodeTable, block: &'a Block, body: Body<'a>) -> Tables<'a> {
    let used = Used::in_body(table, body);
    let mut t = Tables::default();
    for c in &block.consts {
        t.push_const(c);
    }
    for n in &block.names {
        t.push_name(n);
    }
    // Before 3.11 a `Local` argument indexes `co_varnames`, the `local`
    // variables only: they come first, the ones used but not declared
    // right after them, so that a local's index is the same in both.
    let split = !table.localsplus;
    for v in block
        .vars
        .iter()
        .filter(|v| !split || v.kinds & kind::LOCAL != 0)
    {
        t.push_var(&v.name, v.kinds);
    }
    if split {
        for n in &used.locals {
            if t.var_index(n).is_none() {
                t.push_var(n, kind::LOCAL);
            }
        }
        for v in block.vars.iter().filter(|v| v.kinds & kind::LOCAL == 0) {
            t.push_var(&v.name, v.kinds);
        }
    }
    for v in used.consts {
        if t.const_index(v).is_none() {
            t.push_const(v);
        }
    }
    for n in used.names {
        if t.name_index(n).is_none() {
            t.push_name(n);
        }
    }
    for n in used.locals {
        if t.var_index(n).is_none() {
            t.push_var(n, kind::LOCAL);
        }
    }
    t
}

/// The variables of a 3.6-3.10 code object (`SplitVars`) and the
/// variables of its block (`Tables::vars`, in the order of
/// `co_localsplusnames`, which the analyses index): `co_varnames` is the
/// `local` variables, `co_cellvars` the `cell` ones (or the block's
/// `.cellvars`), `co_freevars` the `free` ones, each in order. A `Free`
/// argument indexes `co_cellvars` followed by `co_freevars`; the layout
/// turns such an index into the variable's place among the block's
/// variables and back. The disassembler writes `.var` lines in the order
/// [`split_vars_text`] gives, and `.cellvars` or `.nlocals` where these
/// derivations do not give the code object's own.
pub struct SplitLayout {
    pub vars: SplitVars,
    /// By `Free` argument: the variable's index in `Tables::vars`.
    slot_of_free: Vec<u32>,
    /// The inverse, by variable index.
    free_of_slot: FxHashMap<u32, u32>,
    n_vars: u32,
}

impl SplitLayout {
    /// The layout of a block's variables, or why there is none (a kind a
    /// version before 3.11 does not have, a `.cellvars` name that is no
    /// `cell` variable).
    pub fn of(
        vars: &[(&PyStr, u8)],
        cellvars: Option<&[PyStr]>,
        nlocals: Option<u32>,
    ) -> Result<SplitLayout, String> {
        let of_kind = |bit: u8| -> Vec<(u32, PyStr)> {
            vars.iter()
                .enumerate()
                .filter(|(_, (_, k))| k & bit != 0)
                .map(|(i, (n, _))| (i as u32, (*n).clone()))
                .collect()
        };
        for (n, k) in vars {
            let known = [
                kind::LOCAL,
                kind::CELL,
                kind::LOCAL | kind::CELL,
                kind::FREE,
            ];
            if !known.contains(k) {
                return Err(format!(
                    "variable {n:?} has kind 0x{k:02x}: before 3.11 a variable is `local`, `cell`, `local cell` or `free`"
                ));
            }
        }
        let varnames: Vec<PyStr> = of_kind(kind::LOCAL).into_iter().map(|(_, n)| n).collect();
        let cells = of_kind(kind::CELL);
        let frees = of_kind(kind::FREE);
        let cells: Vec<(u32, PyStr)> = match cellvars {
            None => cells,
            Some(order) => order
                .iter()
                .map(|n| {
                    cells.iter().find(|(_, c)| c == n).cloned().ok_or_else(|| {
                        format!("`.cellvars` names {n:?}, which is no `cell` variable")
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let slot_of_free: Vec<u32> = cells.iter().chain(&frees).map(|(i, _)| *i).collect();
        let mut free_of_slot = FxHashMap::default();
        for (f, &slot) in slot_of_free.iter().enumerate() {
            free_of_slot.entry(slot).or_insert(f as u32);
        }
        Ok(SplitLayout {
            vars: SplitVars {
                nlocals: nlocals.unwrap_or(varnames.len() as u32),
                varnames,
                cellvars: cells.into_iter().map(|(_, n)| n).collect(),
                freevars: frees.into_iter().map(|(_, n)| n).collect(),
            },
            slot_of_free,
            free_of_slot,
            n_vars: vars.len() as u32,
        })
    }

    /// The `Free` argument of the variable at `slot` (past the variables,
    /// the same distance past the cell and free variables).
    pub fn free_arg(&self, slot: u32) -> u32 {
        match self.free_of_slot.get(&slot) {
            Some(&f) => f,
            None => {
                (slot.saturating_sub(self.n_vars)).saturating_add(self.slot_of_free.len() as u32)
            }
        }
    }

    /// The variable a `Free` argument names, by its index among the
    /// block's variables; [`SplitLayout::free_arg`]'s inverse.
    pub fn free_slot(&self, arg: u32) -> u32 {
        match self.slot_of_free.get(arg as usize) {
            Some(&s) => s,
            None => (arg - self.slot_of_free.len() as u32).saturating_add(self.n_vars),
        }
    }
}

/// What [`split_vars_text`] writes: the `.var` lines (name and kind), then
/// `.cellvars` and `.nlocals` where needed.
pub type SplitText = (Vec<(PyStr, u8)>, Option<Vec<PyStr>>, Option<u32>);

/// The `.var` lines that stand for a 3.6-3.10 code object's variables, in
/// order (`co_varnames`, each also `cell` when `co_cellvars` names it; the
/// other cells; `co_freevars`), and the `.cellvars` and `.nlocals` the
/// block needs besides, where [`SplitLayout::of`] would derive other ones.
pub fn split_vars_text(sv: &SplitVars) -> SplitText {
    let cell: FxHashSet<&PyStr> = sv.cellvars.iter().collect();
    let local: FxHashSet<&PyStr> = sv.varnames.iter().collect();
    let mut vars: Vec<(PyStr, u8)> = sv
        .varnames
        .iter()
        .map(|n| {
            let k = if cell.contains(n) {
                kind::LOCAL | kind::CELL
            } else {
                kind::LOCAL
            };
            (n.clone(), k)
        })
        .collect();
    vars.extend(
        sv.cellvars
            .iter()
            .filter(|n| !local.contains(n))
            .map(|n| (n.clone(), kind::CELL)),
    );
    vars.extend(sv.freevars.iter().map(|n| (n.clone(), kind::FREE)));
    let derived: Vec<&PyStr> = vars
        .iter()
        .filter(|(_, k)| k & kind::CELL != 0)
        .map(|(n, _)| n)
        .collect();
    let cellvars = (!derived.iter().copied().eq(sv.cellvars.iter())).then(|| sv.cellvars.clone());
    let nlocals = (sv.nlocals as usize != sv.varnames.len()).then_some(sv.nlocals);
    (vars, cellvars, nlocals)
}

/// Values that instructions refer to symbolically, each once, in order of
/// first use.
#[derive(Default)]
pub struct Used<'a> {
    pub consts: Vec<&'a Constant>,
    pub names: Vec<&'a PyStr>,
    pub locals: Vec<&'a PyStr>,
}

impl<'a> Used<'a> {
    pub fn of(table: &OpcodeTable, block: &'a Block) -> Used<'a> {
        Used::in_body(table, block.stmts())
    }

    pub fn in_body(table: &OpcodeTable, body: Body<'a>) -> Used<'a> {
        let mut u = Used::default();
        let mut seen_c = FxHashSet::default();
        let mut seen_n = FxHashSet::default();
        let mut seen_l = FxHashSet::default();
        for ins in body.instrs() {
            let Some(op) = table.by_code(ins.opcode) else {
                continue;
            };
            match (&ins.arg, op.arg) {
                (Arg::Const(v), ArgKind::Const) if seen_c.insert(v) => {
                    u.consts.push(v);
                }
                (Arg::Name(n), k)
                | (
                    Arg::NameFlags {
                        name: NameRef::Name(n),
                        ..
                    },
                    k,
                ) if k.uses_names() && seen_n.insert(n) => {
                    u.names.push(n);
                }
                (Arg::Pair(a, b), ArgKind::LocalPair) => {
                    for n in [a, b] {
                        if let NameRef::Name(n) = n {
                            if seen_l.insert(n) {
                                u.locals.push(n);
                            }
                        }
                    }
                }
                (Arg::Name(n), ArgKind::Local) if seen_l.insert(n) => {
                    u.locals.push(n);
                }
                _ => {}
            }
        }
        u
    }
}

/// The shortest pinned prefix of `actual` such that appending the entries of
/// `used` that the prefix lacks gives back `actual` exactly. `key` says which
/// part of an entry identifies it (a local's name, not its kind); `fits`
/// says whether an entry could have been appended (appended locals are plain
/// locals). `used` holds each key once.
///
/// If a prefix of length `k` works, so does `k + 1` (moving the first
/// appended entry into the prefix changes nothing else), so the answer is
/// found by growing the appended tail from the end for as long as it stays
/// valid: each entry in it must occur once in `actual`, fit, be used, and
/// be used after the entry before it. Linear time; when even the whole
/// table pinned does not work (a used key missing from it), `actual.len()`.
pub fn shortest_prefix<T, K: std::hash::Hash + Eq>(
    actual: &[T],
    used: &[&K],
    key: impl Fn(&T) -> &K,
    fits: impl Fn(&T) -> bool,
) -> usize {
    let n = actual.len();
    let mut count: FxHashMap<&K, u32> = FxHashMap::default();
    for t in actual {
        *count.entry(key(t)).or_insert(0) += 1;
    }
    if used.iter().any(|u| !count.contains_key(*u)) {
        return n;
    }
    let order: FxHashMap<&K, usize> = used.iter().enumerate().map(|(i, u)| (*u, i)).collect();
    let mut k = n;
    let mut next_use = usize::MAX;
    while k > 0 {
        let t = &actual[k - 1];
        let kt = key(t);
        match order.get(kt) {
            Some(&u) if count[kt] == 1 && fits(t) && u < next_use => {
                next_use = u;
                k -= 1;
            }
            _ => break,
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<PyStr> {
        v.iter().map(|n| PyStr::new(n)).collect()
    }

    /// A 3.6-3.10 code object's variables come back from the `.var` lines
    /// `split_vars_text` writes, with `.cellvars` and `.nlocals` only where
    /// they must be written; and a `Free` argument names the same variable
    /// both ways.
    #[test]
    fn split_vars_come_back_from_their_text() {
        let cases = [
            // An argument that is also a cell, in cellvars' own order.
            (
                vec!["self", "a", "x"],
                vec!["a", "self"],
                vec!["f"],
                3,
                true,
                false,
            ),
            // The order the `.var` lines give.
            (
                vec!["self", "x"],
                vec!["self", "z"],
                vec!["f", "g"],
                2,
                false,
                false,
            ),
            // co_nlocals that is not the number of varnames.
            (vec!["a"], vec![], vec![], 5, false, true),
        ];
        for (varnames, cellvars, freevars, nlocals, want_cells, want_nlocals) in cases {
            let sv = SplitVars {
                nlocals,
                varnames: names(&varnames),
                cellvars: names(&cellvars),
                freevars: names(&freevars),
            };
            let (vars, cells, nl) = split_vars_text(&sv);
            assert_eq!(cells.is_some(), want_cells, "{sv:?}");
            assert_eq!(nl.is_some(), want_nlocals, "{sv:?}");
            let refs: Vec<(&PyStr, u8)> = vars.iter().map(|(n, k)| (n, *k)).collect();
            let layout = SplitLayout::of(&refs, cells.as_deref(), nl).unwrap();
            assert_eq!(layout.vars, sv);
            for f in 0..(cellvars.len() + freevars.len()) as u32 {
                let slot = layout.free_slot(f);
                assert_eq!(layout.free_arg(slot), f);
                let want = cellvars.iter().chain(&freevars).nth(f as usize).unwrap();
                assert_eq!(vars[slot as usize].0, PyStr::new(want));
            }
            // Past the cells and free variables, past the variables.
            let past = (cellvars.len() + freevars.len()) as u32 + 3;
            assert_eq!(layout.free_arg(layout.free_slot(past)), past);
        }
        let hidden = PyStr::new("h");
        assert!(SplitLayout::of(&[(&hidden, kind::HIDDEN)], None, None).is_err());
        let a = PyStr::new("a");
        assert!(SplitLayout::of(&[(&a, kind::LOCAL)], Some(&names(&["a"])), None).is_err());
    }

    /// The definition, tried prefix by prefix.
    fn shortest_prefix_by_trying(actual: &[(u8, bool)], used: &[u8]) -> usize {
        let n = actual.len();
        let mut pinned = std::collections::HashSet::new();
        'k: for k in 0..=n {
            if k > 0 {
                pinned.insert(actual[k - 1].0);
            }
            let mut j = k;
            for u in used {
                if pinned.contains(u) {
                    continue;
                }
                if j >= n || actual[j].0 != *u || !actual[j].1 {
                    continue 'k;
                }
                j += 1;
            }
            if j == n {
                return k;
            }
        }
        n
    }

    #[test]
    fn shortest_prefix_agrees_with_trying_every_prefix() {
        let mut seed = 0x1234_5678_u64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..20_000 {
            let n = next(8) as usize;
            let keys = 1 + next(6);
            let actual: Vec<(u8, bool)> =
                (0..n).map(|_| (next(keys) as u8, next(5) != 0)).collect();
            // `used`: distinct keys, mostly from `actual`, in any order.
            let mut used: Vec<u8> = Vec::new();
            for _ in 0..next(8) {
                let u = next(keys + 1) as u8;
                if !used.contains(&u) {
                    used.push(u);
                }
            }
            // Often the shape the assembler makes: a prefix, then the rest
            // of `used` in order.
            let actual = if next(2) == 0 {
                let cut = next(n as u64 + 1) as usize;
                let mut a: Vec<(u8, bool)> = actual[..cut].to_vec();
                for u in &used {
                    if !a.iter().any(|x| x.0 == *u) {
                        a.push((*u, true));
                    }
                }
                a
            } else {
                actual
            };
            let used_refs: Vec<&u8> = used.iter().collect();
            let fast = shortest_prefix(&actual, &used_refs, |t| &t.0, |t| t.1);
            let slow = shortest_prefix_by_trying(&actual, &used);
            assert_eq!(fast, slow, "actual {actual:?} used {used:?}");
        }
    }
}
