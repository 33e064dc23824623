//! How `co_consts`, `co_names` and the fast locals are built from a block:
//! the pinned entries first, then every symbolic operand not yet present, in
//! order of first use. The disassembler asks the same functions how short a
//! pinned prefix it may print, so both sides agree by construction.

use crate::code::{kind, Obj, PyStr};
use crate::model::{Arg, Block, NameRef, Stmt};
use crate::versions::{ArgKind, OpcodeTable};
use std::collections::HashMap;

/// The three tables of one block, with first-index lookups.
#[derive(Debug, Default)]
pub struct Tables {
    pub consts: Vec<Obj>,
    pub names: Vec<PyStr>,
    pub vars: Vec<(PyStr, u8)>,
    const_index: HashMap<Obj, u32>,
    name_index: HashMap<PyStr, u32>,
    var_index: HashMap<PyStr, u32>,
}

impl Tables {
    pub fn const_index(&self, v: &Obj) -> Option<u32> {
        self.const_index.get(v).copied()
    }
    pub fn name_index(&self, n: &PyStr) -> Option<u32> {
        self.name_index.get(n).copied()
    }
    pub fn var_index(&self, n: &PyStr) -> Option<u32> {
        self.var_index.get(n).copied()
    }

    fn push_const(&mut self, v: Obj) {
        let i = self.consts.len() as u32;
        self.const_index.entry(v.clone()).or_insert(i);
        self.consts.push(v);
    }
    fn push_name(&mut self, n: PyStr) {
        let i = self.names.len() as u32;
        self.name_index.entry(n.clone()).or_insert(i);
        self.names.push(n);
    }
    fn push_var(&mut self, n: PyStr, k: u8) {
        let i = self.vars.len() as u32;
        self.var_index.entry(n.clone()).or_insert(i);
        self.vars.push((n, k));
    }
}

/// Builds the tables of `block` as the assembler will: the pinned entries,
/// then every symbolic operand not yet present, in order of first use.
pub fn build(table: &OpcodeTable, block: &Block) -> Tables {
    let used = Used::of(table, block);
    let mut t = Tables::default();
    for c in &block.consts {
        t.push_const(c.clone());
    }
    for n in &block.names {
        t.push_name(n.clone());
    }
    for v in &block.vars {
        t.push_var(v.name.clone(), v.kinds);
    }
    for v in used.consts {
        if t.const_index(&v).is_none() {
            t.push_const(v);
        }
    }
    for n in used.names {
        if t.name_index(&n).is_none() {
            t.push_name(n);
        }
    }
    for n in used.locals {
        if t.var_index(&n).is_none() {
            t.push_var(n, kind::LOCAL);
        }
    }
    t
}

/// Values that instructions refer to symbolically, each once, in order of
/// first use.
#[derive(Default)]
pub struct Used {
    pub consts: Vec<Obj>,
    pub names: Vec<PyStr>,
    pub locals: Vec<PyStr>,
}

impl Used {
    pub fn of(table: &OpcodeTable, block: &Block) -> Used {
        let mut u = Used::default();
        let mut seen_c = std::collections::HashSet::new();
        let mut seen_n = std::collections::HashSet::new();
        let mut seen_l = std::collections::HashSet::new();
        for stmt in &block.body {
            let Stmt::Instr(ins) = stmt else { continue };
            let Some(op) = table.by_code(ins.opcode) else {
                continue;
            };
            match (&ins.arg, op.arg) {
                (Arg::Const(v), ArgKind::Const) if seen_c.insert(v) => {
                    u.consts.push(v.clone());
                }
                (Arg::Name(n), k)
                | (
                    Arg::NameFlags {
                        name: NameRef::Name(n),
                        ..
                    },
                    k,
                ) if k.uses_names() && seen_n.insert(n) => {
                    u.names.push(n.clone());
                }
                (Arg::Pair(a, b), ArgKind::LocalPair) => {
                    for n in [a, b] {
                        if let NameRef::Name(n) = n {
                            if seen_l.insert(n) {
                                u.locals.push(n.clone());
                            }
                        }
                    }
                }
                (Arg::Name(n), ArgKind::Local) if seen_l.insert(n) => {
                    u.locals.push(n.clone());
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
/// locals).
pub fn shortest_prefix<T, K: std::hash::Hash + Eq>(
    actual: &[T],
    used: &[K],
    key: impl Fn(&T) -> &K,
    fits: impl Fn(&T) -> bool,
) -> usize {
    let n = actual.len();
    let mut pinned: std::collections::HashSet<&K> = std::collections::HashSet::new();
    'k: for k in 0..=n {
        if k > 0 {
            pinned.insert(key(&actual[k - 1]));
        }
        let mut j = k;
        for u in used {
            if pinned.contains(u) {
                continue;
            }
            if j >= n || key(&actual[j]) != u || !fits(&actual[j]) {
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
