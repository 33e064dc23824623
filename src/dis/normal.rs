//! The normal form of a module: one listing for every serialization of
//! the same code, for `pyasm diff` and `pyasm dis --normalize`.
//!
//! What only affects serialization is left out or put in one order:
//! - the order of `co_consts` and `co_names` (and the indexes into them):
//!   operands are written as the values they load, equal constants merged,
//!   and only what the order cannot express is pinned with `.consts` or
//!   `.names`: a docstring in the slot CPython reads it from, and the
//!   entries no instruction uses, sorted by their text;
//! - EXTENDED_ARG prefixes beyond what the argument needs;
//! - every field equal to what the assembler computes (stack size, handler
//!   depths, counts, names, the first line);
//! - the `.pyc` header;
//! - the table order of nested code objects: blocks come depth first in
//!   the order their parents first load them, and are named after their
//!   qualified names.
//!
//! What is kept because it changes behaviour: the order and kinds of the
//! local variables (`co_localsplusnames` is indexed by the frame), each
//! constant's exact type and value (`1`, `1.0` and `True` differ), every
//! instruction and position (unless positions are ignored).
//!
//! The listing is for comparing; it is built from the code objects, never
//! from text, so a `.pyc` and the `.pyasm` that builds it read the same.

use super::{drop_default_fields, replace_leaves, sanitize, Dis, Mode};
use crate::asm::{self, BlockContext};
use crate::code::exceptiontable;
use crate::code::linetable::Position;
use crate::code::{Code, Obj, PyStr};
use crate::model::{Arg, Block, Constant, Instr, Module, NameRef, Stmt};
use crate::syntax::literal::const_text;
use crate::versions::{ArgKind, Version};
use rustc_hash::{FxHashMap, FxHashSet};

/// What else the normal form leaves out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Positions, `co_firstlineno` and the location table.
    pub ignore_positions: bool,
}

/// `co_flags`' CO_OPTIMIZED, set on function code objects.
const CO_OPTIMIZED: u32 = 0x1;
/// `co_flags`' CO_HAS_DOCSTRING (3.14+): the first constant is the
/// docstring.
const CO_HAS_DOCSTRING: u32 = 0x400_0000;

/// The normal form of the module whose code object is `code`.
pub fn normalize(version: Version, code: &Code, options: Options) -> Module {
    let mut n = Normalizer {
        dis: Dis::new(version, code),
        blocks: Vec::new(),
        options,
    };
    n.block(code, true);
    let mut made: Vec<(Block, &Code)> = n
        .blocks
        .into_iter()
        .map(|b| b.expect("every slot is filled"))
        .collect();
    let order = depth_first(&made);
    // Names after qualified names, given in the new order.
    let mut namer = Dis::new(version, code);
    let mut renamed: FxHashMap<String, String> = FxHashMap::default();
    for (k, &i) in order.iter().enumerate() {
        let base = if k == 0 {
            "module".to_string()
        } else {
            sanitize(&made[i].1.qualname)
        };
        renamed.insert(made[i].0.name.clone(), namer.fresh(base));
    }
    for (b, _) in &mut made {
        rename_refs(b, &renamed);
    }
    let mut slots: Vec<Option<(Block, &Code)>> = made.into_iter().map(Some).collect();
    let blocks = order
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let (b, orig) = slots[i].take().expect("each block is visited once");
            finish(version, b, orig, k == 0, &code.filename)
        })
        .collect();
    Module {
        version,
        header: None,
        blocks,
    }
}

struct Normalizer<'c> {
    dis: Dis,
    /// Each block with the code object it was made from, in the order they
    /// were made (a parent before its children).
    blocks: Vec<Option<(Block, &'c Code)>>,
    options: Options,
}

impl<'c> Normalizer<'c> {
    /// Makes the block of `code` (and its children after it) with every
    /// field written and every operand symbolic; returns its name.
    fn block(&mut self, code: &'c Code, is_root: bool) -> String {
        let name = self.dis.fresh_name(code, is_root);
        let slot = self.blocks.len();
        self.blocks.push(None);
        let consts: Vec<Constant> = code
            .consts
            .iter()
            .map(|c| {
                Constant::new(replace_leaves(c, &mut |x| match x {
                    Obj::Code(child) => Some(Obj::CodeRef(self.block(child, false))),
                    _ => None,
                }))
            })
            .collect();
        // Tables that do not decode are kept raw either way.
        let modes = [
            Mode::Structured {
                raw_tables: false,
                widen_jumps: false,
            },
            Mode::Verbatim,
        ];
        let mut b = modes
            .into_iter()
            .find_map(|m| self.dis.explicit_block(code, &consts, &name, m))
            .expect("verbatim always decodes");
        if !b.verbatim {
            symbolic_operands(&mut b, self.dis.version);
        }
        if self.options.ignore_positions {
            for s in &mut b.body {
                if let Stmt::Instr(i) = s {
                    i.pos = Position::NONE;
                }
            }
            b.linetable = None;
            b.firstlineno = None;
        }
        self.blocks[slot] = Some((b, code));
        name
    }
}

/// Writes every operand that indexes `co_consts` or `co_names` as the value
/// it loads, and drops the EXTENDED_ARG prefixes the argument does not need.
/// An index past the end of its table stays an index.
fn symbolic_operands(b: &mut Block, version: Version) {
    let table = version.table();
    for s in &mut b.body {
        let Stmt::Instr(ins) = s else { continue };
        ins.min_ext = 0;
        let kind = table.by_code(ins.opcode).map(|i| i.arg);
        let name_at = |i: u32| b.names.get(i as usize).cloned();
        match (&mut ins.arg, kind) {
            (Arg::Value(a), Some(ArgKind::Const)) => {
                if let Some(c) = b.consts.get(*a as usize) {
                    ins.arg = Arg::Const(c.clone());
                }
            }
            (Arg::Value(a), Some(ArgKind::Name)) => {
                if let Some(n) = name_at(*a) {
                    ins.arg = Arg::Name(n);
                }
            }
            (Arg::NameFlags { name, .. }, _) => {
                if let NameRef::Index(i) = name {
                    if let Some(n) = name_at(*i) {
                        *name = NameRef::Name(n);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether an operand still indexes the constants (`consts`) or the names
/// (`names`) table, whose order then matters.
fn indexes_left(b: &Block, version: Version) -> (bool, bool) {
    let table = version.table();
    let (mut consts, mut names) = (b.verbatim, b.verbatim);
    for s in &b.body {
        let Stmt::Instr(ins) = s else { continue };
        match (&ins.arg, table.by_code(ins.opcode).map(|i| i.arg)) {
            (Arg::Value(_), Some(ArgKind::Const)) => consts = true,
            (Arg::Value(_), Some(ArgKind::Name)) => names = true,
            (
                Arg::NameFlags {
                    name: NameRef::Index(_),
                    ..
                },
                _,
            ) => names = true,
            _ => {}
        }
    }
    (consts, names)
}

/// The blocks' indexes, the module's first, each block followed by its
/// children in the order its instructions first load them (then those only
/// its table holds), depth first.
fn depth_first(blocks: &[(Block, &Code)]) -> Vec<usize> {
    let index: FxHashMap<&str, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, (b, _))| (b.name.as_str(), i))
        .collect();
    let mut seen = vec![false; blocks.len()];
    let mut order = Vec::with_capacity(blocks.len());
    let mut stack = vec![0usize];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push(i);
        let b = &blocks[i].0;
        let mut children = Vec::new();
        let mut add = |n: &str| {
            if let Some(&c) = index.get(n) {
                children.push(c);
            }
        };
        for s in &b.body {
            if let Stmt::Instr(ins) = s {
                if let Arg::Const(c) = &ins.arg {
                    c.each_code_ref(&mut add);
                }
            }
        }
        for c in &b.consts {
            c.each_code_ref(&mut add);
        }
        stack.extend(children.into_iter().rev());
    }
    order
}

fn rename_refs(b: &mut Block, renamed: &FxHashMap<String, String>) {
    let rename = |c: &Constant| -> Constant {
        let mut refers = false;
        c.each_code_ref(&mut |_| refers = true);
        if !refers {
            return c.clone();
        }
        Constant::new(replace_leaves(c.value(), &mut |x| match x {
            Obj::CodeRef(n) => Some(Obj::CodeRef(renamed.get(n).unwrap_or(n).clone())),
            _ => None,
        }))
    };
    b.name = renamed.get(&b.name).unwrap_or(&b.name).clone();
    for s in &mut b.body {
        if let Stmt::Instr(ins) = s {
            if let Arg::Const(c) = &ins.arg {
                ins.arg = Arg::Const(rename(c));
            }
        }
    }
    b.consts = b.consts.iter().map(rename).collect();
}

/// Whether CPython reads the first constant of a block with these flags as
/// a function's docstring when it is a string (before 3.14), or always
/// (3.14+, with CO_HAS_DOCSTRING).
fn docstring_slot(version: Version, flags: u32) -> bool {
    flags & CO_HAS_DOCSTRING != 0
        || (version.table().first_const_is_docstring && flags & CO_OPTIMIZED != 0)
}

fn is_str(c: &Constant) -> bool {
    matches!(c.value(), Obj::Str(_))
}

/// The pinned tables and the fields left out, once names are final.
fn finish(
    version: Version,
    mut b: Block,
    orig: &Code,
    is_root: bool,
    root_filename: &PyStr,
) -> Block {
    let (keep_consts, keep_names) = indexes_left(&b, version);
    if !keep_consts {
        let mut used: FxHashSet<&Constant> = FxHashSet::default();
        for s in &b.body {
            if let Stmt::Instr(Instr {
                arg: Arg::Const(c), ..
            }) = s
            {
                used.insert(c);
            }
        }
        // The first constant stays first where it is a docstring. Where it
        // could be one and is not, a listing whose table would start with a
        // string starts with it instead: a string first means a docstring,
        // in the listing as in the code object built from it.
        let slot = docstring_slot(version, orig.flags) && !b.consts.is_empty();
        let doc = slot && (orig.flags & CO_HAS_DOCSTRING != 0 || is_str(&b.consts[0]));
        let mut pinned: Vec<Constant> = Vec::new();
        if doc {
            pinned.push(b.consts[0].clone());
        }
        let mut unused: Vec<(String, &Constant)> = b
            .consts
            .iter()
            .filter(|c| !used.contains(c) && !pinned.contains(c))
            .map(|c| (const_text(c), c))
            .collect();
        unused.sort_by(|x, y| x.0.cmp(&y.0));
        unused.dedup_by(|x, y| x.0 == y.0);
        // The table the listing builds starts with the pinned constants,
        // then those instructions load, in the order they first do.
        let first_loaded = b.body.iter().find_map(|s| match s {
            Stmt::Instr(Instr {
                arg: Arg::Const(c), ..
            }) => Some(c),
            _ => None,
        });
        let starts_with_str = match unused.first() {
            Some((_, c)) => is_str(c),
            None => first_loaded.is_some_and(is_str),
        };
        if slot && !doc && starts_with_str {
            let first = b.consts[0].clone();
            unused.retain(|(_, c)| **c != first);
            pinned.push(first);
        }
        pinned.extend(unused.into_iter().map(|(_, c)| c.clone()));
        b.consts = pinned;
    }
    if !keep_names {
        let mut used: FxHashSet<&PyStr> = FxHashSet::default();
        for s in &b.body {
            if let Stmt::Instr(ins) = s {
                match &ins.arg {
                    Arg::Name(n)
                    | Arg::NameFlags {
                        name: NameRef::Name(n),
                        ..
                    } => {
                        used.insert(n);
                    }
                    _ => {}
                }
            }
        }
        let mut unused: Vec<PyStr> = b
            .names
            .iter()
            .filter(|n| !used.contains(n))
            .cloned()
            .collect();
        unused.sort();
        unused.dedup();
        b.names = unused;
    }
    let ctx = BlockContext {
        version,
        is_root,
        root_filename,
        memo: None,
    };
    drop_default_fields(&ctx, &mut b);
    leave_out_computed(&ctx, &mut b, orig);
    b
}

/// Leaves out the stack size and each handler depth where the assembler
/// computes the value `orig` has.
fn leave_out_computed(ctx: &BlockContext, b: &mut Block, orig: &Code) {
    let depths: Vec<Option<u32>> = b.excepts.iter().map(|e| e.depth).collect();
    let stacksize = b.stacksize.take();
    for e in &mut b.excepts {
        e.depth = None;
    }
    let built = asm::assemble_block_with(ctx, b, asm::Children::Unresolved, false)
        .ok()
        .map(|(c, _)| c);
    let Some(built) = built else {
        b.stacksize = stacksize;
        for (e, d) in b.excepts.iter_mut().zip(depths) {
            e.depth = d;
        }
        return;
    };
    if built.stacksize != orig.stacksize {
        b.stacksize = stacksize;
    }
    let got = exceptiontable::decode(&built.exceptiontable).unwrap_or_default();
    let aligned = got.len() == b.excepts.len();
    for (k, (e, d)) in b.excepts.iter_mut().zip(depths).enumerate() {
        if !aligned || got[k].depth != d.unwrap_or(u32::MAX) {
            e.depth = d;
        }
    }
}
