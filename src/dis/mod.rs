//! The disassembler: code objects in, a `Module` out, ready for the printer.
//!
//! It writes symbolic operands and labels wherever they mean exactly the
//! original argument, and leaves out every field the assembler would compute
//! to the same value. Before returning, each block is assembled again and
//! compared with the original; when anything differs it falls back, step by
//! step, to raw tables and finally to a verbatim listing of code units, so the
//! output always reassembles to an equal code object.

pub mod normal;
pub mod print;

use crate::asm::tables::{self, SplitLayout, Used};
use crate::asm::{self, ext_count, BlockContext};
use crate::code::exceptiontable;
use crate::code::linetable::{self, Position};
use crate::code::{kind, Code, Obj, PyStr};
use crate::model::{Arg, Block, Constant, Except, Instr, Module, NameRef, Stmt, Var};
use crate::pyc::PycHeader;
use crate::syntax::literal;
use crate::versions::{ArgKind, OpcodeTable, Version};
use rustc_hash::{FxHashMap, FxHashSet};

/// Disassembles a module's code object and every code object nested in it.
///
/// Panics for a version pyasm does not write (3.6-3.10, whose code objects
/// have `Code::split_vars`): there is no text for them yet, and the entry
/// points (`pyc::read_pyc`, `api`) refuse their bytes before this.
pub fn disassemble(version: Version, header: Option<PycHeader>, code: &Code) -> Module {
    assert!(
        version.is_supported(),
        "the disassembler cannot read Python {version}'s code objects yet"
    );
    let mut d = Dis::new(version, code);
    d.block(code, true);
    Module {
        version,
        header,
        blocks: d.blocks,
    }
}

struct Dis {
    version: Version,
    table: &'static OpcodeTable,
    used_names: FxHashSet<String>,
    /// The next suffix to try for each base name.
    next_suffix: FxHashMap<String, usize>,
    blocks: Vec<Block>,
    root_filename: PyStr,
}

/// One decoded instruction: where it starts (its first EXTENDED_ARG), its
/// opcode and full argument, and its size in code units.
struct Decoded {
    start: u32,
    opcode: u8,
    arg: u32,
    size: u32,
    /// EXTENDED_ARG prefixes in front of it.
    prefixes: u32,
}

/// Splits `code` into instructions the assembler can produce again: at most
/// three EXTENDED_ARG prefixes (more than needed is fine; they are kept as
/// reserved prefixes) and zeroed caches. `None` when the bytes are not of
/// that shape.
fn decode_structured(table: &OpcodeTable, code: &[u8]) -> Option<Vec<Decoded>> {
    if !code.len().is_multiple_of(2) {
        return None;
    }
    let units = code.len() / 2;
    let ext = table.extended_arg();
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < units {
        let start = i;
        let mut arg: u32 = 0;
        let mut prefixes = 0u32;
        while i < units && code[2 * i] == ext {
            arg = arg.checked_mul(256)? | code[2 * i + 1] as u32;
            prefixes += 1;
            i += 1;
        }
        if i >= units || prefixes > 3 {
            return None;
        }
        let opcode = code[2 * i];
        arg = (arg << 8) | code[2 * i + 1] as u32;
        let info = table.by_code(opcode);
        let caches = info.map(|i| i.caches as usize).unwrap_or(0);
        i += 1;
        if i + caches > units || code[2 * i..2 * (i + caches)].iter().any(|&b| b != 0) {
            return None;
        }
        i += caches;
        out.push(Decoded {
            start: start as u32,
            opcode,
            arg,
            size: (i - start) as u32,
            prefixes,
        });
    }
    Some(out)
}

/// Every code unit on its own, for code the structured form cannot express.
fn decode_verbatim(code: &[u8]) -> Vec<Decoded> {
    code.chunks(2)
        .enumerate()
        .map(|(i, c)| Decoded {
            start: i as u32,
            opcode: c[0],
            arg: *c.get(1).unwrap_or(&0) as u32,
            size: 1,
            prefixes: 0,
        })
        .collect()
}

fn sanitize(name: &PyStr) -> String {
    let s: String = String::from_utf8_lossy(&name.0)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_");
    match s.chars().next() {
        None => "code".to_string(),
        Some(c) if c.is_ascii_digit() => format!("c{s}"),
        _ => s,
    }
}

impl Dis {
    /// A disassembler for the module whose code object is `root`.
    fn new(version: Version, root: &Code) -> Dis {
        Dis {
            version,
            table: version.table(),
            used_names: FxHashSet::default(),
            next_suffix: FxHashMap::default(),
            blocks: Vec::new(),
            root_filename: root.filename.clone(),
        }
    }

    fn fresh_name(&mut self, code: &Code, is_root: bool) -> String {
        let base = if is_root {
            "module".to_string()
        } else {
            sanitize(&code.name)
        };
        self.fresh(base)
    }

    /// A block name not given out before: `base` or `base` with a suffix.
    fn fresh(&mut self, base: String) -> String {
        // `base`, else `base_2`, `base_3`, ...: the first one free. Names
        // are never given back, so the search for a base goes on from where
        // its last one ended (a module with thousands of `<lambda>`s would
        // otherwise try every earlier suffix again each time).
        let mut name = base.clone();
        let mut k = self.next_suffix.get(&base).copied().unwrap_or(2);
        if self.used_names.contains(&name) {
            loop {
                name = format!("{base}_{k}");
                k += 1;
                if !self.used_names.contains(&name) {
                    break;
                }
            }
            self.next_suffix.insert(base, k);
        }
        self.used_names.insert(name.clone());
        name
    }

    /// Replaces nested code objects by references, disassembling each;
    /// `children` maps each reference to the code object it stands for.
    fn convert_const<'c>(&mut self, o: &'c Obj, children: &mut Children<'c>) -> Obj {
        replace_leaves(o, &mut |x| match x {
            Obj::Code(c) => {
                let name = self.block(c, false);
                children.insert(name.clone(), c);
                Some(Obj::CodeRef(name))
            }
            _ => None,
        })
    }

    /// Disassembles `code` into a new block (and its children after it) and
    /// returns the block's name.
    fn block(&mut self, code: &Code, is_root: bool) -> String {
        let name = self.fresh_name(code, is_root);
        let slot = self.blocks.len();
        self.blocks.push(Block::default());
        let mut children = Children::default();
        let consts: Vec<Constant> = code
            .consts
            .iter()
            .map(|c| Constant::new(self.convert_const(c, &mut children)))
            .collect();
        let ctx = BlockContext {
            version: self.version,
            is_root,
            root_filename: &self.root_filename,
            memo: None,
        };
        let attempts = [
            Mode::Structured {
                raw_tables: false,
                widen_jumps: false,
            },
            Mode::Structured {
                raw_tables: false,
                widen_jumps: true,
            },
            Mode::Structured {
                raw_tables: true,
                widen_jumps: true,
            },
            Mode::Verbatim,
        ];
        let mut chosen = None;
        for mode in attempts {
            let Some(full) = self.explicit_block(code, &consts, &name, mode) else {
                continue;
            };
            let remake = || self.explicit_block(code, &consts, &name, mode);
            if let Some(b) = minimize(&ctx, self.table, full, code, &children, &remake) {
                chosen = Some(b);
                break;
            }
        }
        // Verbatim with raw tables and every field written cannot fail to
        // reproduce the bytes; if it somehow does, keep it anyway so the
        // output still shows everything.
        let block = chosen.unwrap_or_else(|| {
            self.explicit_block(code, &consts, &name, Mode::Verbatim)
                .expect("verbatim always decodes")
        });
        self.blocks[slot] = block;
        name
    }

    fn explicit_block(
        &self,
        code: &Code,
        consts: &[Constant],
        name: &str,
        mode: Mode,
    ) -> Option<Block> {
        let table = self.table;
        let (decoded, verbatim, raw_tables, widen_jumps) = match mode {
            Mode::Structured {
                raw_tables,
                widen_jumps,
            } => (
                decode_structured(table, &code.code)?,
                false,
                raw_tables,
                widen_jumps,
            ),
            Mode::Verbatim => (decode_verbatim(&code.code), true, true, false),
        };
        let total = (code.code.len() / 2) as u32;
        // Per code unit (and the end): whether an instruction starts there,
        // and the number of the label placed there (0 for none).
        let mut boundary = vec![false; total as usize + 1];
        boundary[total as usize] = true;
        for d in &decoded {
            boundary[d.start as usize] = true;
        }
        let is_boundary = |off: u32| boundary.get(off as usize).copied().unwrap_or(false);
        let mut label_at = vec![0u32; total as usize + 1];

        // Exception table: entries on instruction boundaries become labels.
        let mut entries = None;
        if !raw_tables {
            if let Ok(es) = exceptiontable::decode(&code.exceptiontable) {
                if es
                    .iter()
                    .all(|e| is_boundary(e.start) && is_boundary(e.end) && is_boundary(e.target))
                {
                    for e in &es {
                        for off in [e.start, e.end, e.target] {
                            label_at[off as usize] = 1;
                        }
                    }
                    entries = Some(es);
                }
            }
        }

        // Jump targets.
        let mut jumps: Vec<Option<u32>> = Vec::with_capacity(decoded.len());
        for d in &decoded {
            let info = table.by_code(d.opcode);
            let target = match info.map(|i| i.arg) {
                Some(k) if k.is_jump() && !verbatim => table
                    .jump_target(k, d.start + d.size, d.arg)
                    .filter(|&t| is_boundary(t)),
                _ => None,
            };
            if let Some(t) = target {
                label_at[t as usize] = 1;
            }
            jumps.push(target);
        }
        // Labels are numbered in the order of their offsets.
        let mut n_labels = 0u32;
        for l in label_at.iter_mut().filter(|l| **l != 0) {
            n_labels += 1;
            *l = n_labels;
        }
        let label_name = |off: u32| format!("L{}", label_at[off as usize]);

        // Positions, one per instruction (where the table records changes
        // of line, the change at each instruction). A table that changes
        // the line where no instruction starts, or where no code is left,
        // stays bytes.
        let mut positions: Option<Vec<Position>> = None;
        if !raw_tables {
            let sizes: Vec<u32> = decoded.iter().map(|d| d.size).collect();
            if let Some(per) =
                linetable::per_instruction(self.version, &code.linetable, code.firstlineno, &sizes)
            {
                if per.empty.is_empty() && per.positions.iter().all(printable) {
                    positions = Some(per.positions);
                }
            }
        }

        // Operands.
        let first_const: FxHashMap<&Constant, u32> = first_index(consts.iter());
        let first_name: FxHashMap<&PyStr, u32> = first_index(code.names.iter());
        // The variables as `.var` lines write them: `co_localsplusnames`,
        // or before 3.11 the three tuples in one list (`SplitLayout`).
        let (vars, cellvars, nlocals) = match &code.split_vars {
            Some(sv) => tables::split_vars_text(sv),
            None => (
                code.localsplusnames
                    .iter()
                    .cloned()
                    .zip(
                        code.localspluskinds
                            .iter()
                            .copied()
                            .chain(std::iter::repeat(0)),
                    )
                    .collect(),
                None,
                None,
            ),
        };
        let layout = code.split_vars.as_ref().and_then(|_| {
            let refs: Vec<(&PyStr, u8)> = vars.iter().map(|(n, k)| (n, *k)).collect();
            SplitLayout::of(&refs, cellvars.as_deref(), nlocals).ok()
        });
        let first_var: FxHashMap<&PyStr, u32> = first_index(vars.iter().map(|(n, _)| n));
        let mut body = Vec::with_capacity(decoded.len() + n_labels as usize);
        for (i, d) in decoded.iter().enumerate() {
            if label_at[d.start as usize] != 0 {
                body.push(Stmt::Label(label_name(d.start), 0..0));
            }
            let info = table.by_code(d.opcode);
            let a = d.arg;
            let arg = match (verbatim, info.map(|i| i.arg)) {
                (true, Some(k)) if k.name_shift().is_some() => {
                    let shift = k.name_shift().unwrap_or(0);
                    Arg::NameFlags {
                        flags: a & ((1 << shift) - 1),
                        name: NameRef::Index(a >> shift),
                    }
                }
                (true, _) | (false, None) => {
                    if a == 0 && info.is_some_and(|i| !i.has_arg()) {
                        Arg::None
                    } else {
                        Arg::Value(a)
                    }
                }
                (false, Some(k)) => match k {
                    // No flags, and no conversion or spec, are written
                    // bare, as they read.
                    ArgKind::None | ArgKind::MakeFunction | ArgKind::FormatValue if a == 0 => {
                        Arg::None
                    }
                    ArgKind::Const => match consts.get(a as usize) {
                        Some(v) if first_const.get(v) == Some(&a) => Arg::Const(v.clone()),
                        _ => Arg::Value(a),
                    },
                    ArgKind::Name => match code.names.get(a as usize) {
                        Some(n) if first_name.get(n) == Some(&a) => Arg::Name(n.clone()),
                        _ => Arg::Value(a),
                    },
                    k if k.name_shift().is_some() => {
                        let shift = k.name_shift().unwrap_or(0);
                        let idx = a >> shift;
                        let name = match code.names.get(idx as usize) {
                            Some(n) if first_name.get(n) == Some(&idx) => NameRef::Name(n.clone()),
                            _ => NameRef::Index(idx),
                        };
                        Arg::NameFlags {
                            flags: a & ((1 << shift) - 1),
                            name,
                        }
                    }
                    ArgKind::LocalPair if a <= 0xFF => {
                        let local = |i: u32| match vars.get(i as usize) {
                            Some((n, _)) if first_var.get(n) == Some(&i) => {
                                NameRef::Name(n.clone())
                            }
                            _ => NameRef::Index(i),
                        };
                        Arg::Pair(local(a >> 4), local(a & 15))
                    }
                    k @ (ArgKind::Local | ArgKind::Free) => {
                        // Where the name leads back to this argument.
                        let slot = match (&layout, k) {
                            (Some(l), ArgKind::Free) => l.free_slot(a),
                            _ => a,
                        };
                        let back = |slot: u32| match (&layout, k) {
                            (Some(l), ArgKind::Free) => l.free_arg(slot),
                            _ => slot,
                        };
                        match vars.get(slot as usize) {
                            Some((n, kd)) if first_var.get(n) == Some(&slot) && back(slot) == a => {
                                let deref_ok = kd & (kind::CELL | kind::FREE) != 0;
                                if k == ArgKind::Free && !deref_ok {
                                    Arg::Value(a)
                                } else {
                                    Arg::Name(n.clone())
                                }
                            }
                            _ => Arg::Value(a),
                        }
                    }
                    k if k.is_jump() => match jumps[i] {
                        Some(t) => Arg::Label(label_name(t)),
                        None => Arg::Value(a),
                    },
                    _ => Arg::Value(a),
                },
            };
            let is_jump = info.is_some_and(|i| i.is_jump());
            let min_ext = if d.prefixes > ext_count(d.arg) || (widen_jumps && is_jump) {
                d.prefixes as u8
            } else {
                0
            };
            body.push(Stmt::Instr(Instr {
                min_ext,
                opcode: d.opcode,
                arg,
                pos: positions.as_ref().map(|p| p[i]).unwrap_or_default(),
                span: 0..0,
                arg_span: 0..0,
            }));
        }
        if label_at[total as usize] != 0 {
            body.push(Stmt::Label(label_name(total), 0..0));
        }

        let excepts = entries
            .as_ref()
            .map(|es| {
                es.iter()
                    .map(|e| Except {
                        start: label_name(e.start),
                        end: label_name(e.end),
                        handler: label_name(e.target),
                        depth: Some(e.depth),
                        lasti: e.lasti,
                        span: 0..0,
                    })
                    .collect()
            })
            .unwrap_or_default();

        Some(Block {
            name: name.to_string(),
            span: 0..0,
            argcount: Some(code.argcount),
            posonlyargcount: Some(code.posonlyargcount),
            kwonlyargcount: Some(code.kwonlyargcount),
            stacksize: Some(code.stacksize),
            flags: Some(code.flags),
            firstlineno: Some(code.firstlineno),
            filename: Some(code.filename.clone()),
            name_field: Some(code.name.clone()),
            qualname: code.split_vars.is_none().then(|| code.qualname.clone()),
            vars: vars
                .into_iter()
                .map(|(name, kinds)| Var {
                    name,
                    kinds,
                    span: 0..0,
                })
                .collect(),
            nlocals,
            cellvars,
            consts: consts.to_vec(),
            names: code.names.clone(),
            body,
            excepts,
            linetable: positions.is_none().then(|| code.linetable.clone()),
            exceptiontable: (entries.is_none() && code.split_vars.is_none())
                .then(|| code.exceptiontable.clone()),
            verbatim,
            field_spans: Vec::new(),
        })
    }
}

/// `o` rebuilt with each value `f` gives a replacement for (a code object
/// or a reference to one) replaced, at any depth of the containers.
fn replace_leaves<'c>(o: &'c Obj, f: &mut dyn FnMut(&'c Obj) -> Option<Obj>) -> Obj {
    if let Some(r) = f(o) {
        return r;
    }
    let each = |v: &'c [Obj], f: &mut dyn FnMut(&'c Obj) -> Option<Obj>| -> Vec<Obj> {
        v.iter().map(|x| replace_leaves(x, f)).collect()
    };
    match o {
        Obj::Tuple(v) => Obj::Tuple(each(v, f)),
        Obj::List(v) => Obj::List(each(v, f)),
        Obj::Set(v) => Obj::Set(each(v, f)),
        Obj::FrozenSet(v) => Obj::FrozenSet(each(v, f)),
        Obj::Dict(kv) | Obj::FrozenDict(kv) => {
            let pairs = kv
                .iter()
                .map(|(k, v)| (replace_leaves(k, f), replace_leaves(v, f)))
                .collect();
            if matches!(o, Obj::Dict(_)) {
                Obj::Dict(pairs)
            } else {
                Obj::FrozenDict(pairs)
            }
        }
        Obj::Slice(s) => Obj::Slice(Box::new((
            replace_leaves(&s.0, f),
            replace_leaves(&s.1, f),
            replace_leaves(&s.2, f),
        ))),
        other => other.clone(),
    }
}

/// Whether the text form of a position reads back as the same position.
/// It has no minus sign, so a location table with negative line numbers
/// (which a compiler never writes, but a file can hold) is kept raw.
fn printable(p: &Position) -> bool {
    let numbers = [p.line, p.end_line, p.col, p.end_col];
    numbers.iter().flatten().all(|&n| n >= 0)
        && literal::parse_position(&literal::position_text(p)) == Some(*p)
}

#[derive(Clone, Copy)]
enum Mode {
    /// `widen_jumps` keeps every jump's prefixes as found: CPython 3.13+
    /// sometimes settles on a layout with more prefixes than the smallest
    /// one the assembler finds.
    Structured {
        raw_tables: bool,
        widen_jumps: bool,
    },
    Verbatim,
}

fn first_index<'a, T: std::hash::Hash + Eq + 'a>(
    it: impl Iterator<Item = &'a T>,
) -> FxHashMap<&'a T, u32> {
    let mut m = FxHashMap::default();
    for (i, v) in it.enumerate() {
        m.entry(v).or_insert(i as u32);
    }
    m
}

/// The code objects a block's references (`@name`) stand for: the very
/// objects inside the original's constants.
type Children<'c> = FxHashMap<String, &'c Code>;

/// Whether `built`, assembled with its code references left in place,
/// equals `orig`, each reference counting as equal to the code object it
/// was made from. (That child is checked against its own original when it
/// is disassembled, so comparing the two whole trees would only repeat
/// that work, and copying the children into every parent would make the
/// cost grow with the depth of nesting.)
fn same_code(built: &Code, orig: &Code, children: &Children) -> bool {
    let Code {
        argcount,
        posonlyargcount,
        kwonlyargcount,
        stacksize,
        flags,
        code,
        consts,
        names,
        localsplusnames,
        localspluskinds,
        filename,
        name,
        qualname,
        firstlineno,
        linetable,
        exceptiontable,
        split_vars,
    } = built;
    *argcount == orig.argcount
        && *posonlyargcount == orig.posonlyargcount
        && *kwonlyargcount == orig.kwonlyargcount
        && *stacksize == orig.stacksize
        && *flags == orig.flags
        && *code == orig.code
        && *names == orig.names
        && *localsplusnames == orig.localsplusnames
        && *localspluskinds == orig.localspluskinds
        && *filename == orig.filename
        && *name == orig.name
        && *qualname == orig.qualname
        && *firstlineno == orig.firstlineno
        && *linetable == orig.linetable
        && *exceptiontable == orig.exceptiontable
        && *split_vars == orig.split_vars
        && same_objs(consts, &orig.consts, children)
}

fn same_objs(a: &[Obj], b: &[Obj], children: &Children) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_obj(x, y, children))
}

/// `Obj`'s equality, with `CodeRef(n)` equal to exactly the code object
/// `n` was made from.
fn same_obj(a: &Obj, b: &Obj, children: &Children) -> bool {
    match (a, b) {
        (Obj::CodeRef(n), Obj::Code(c)) => children
            .get(n)
            .is_some_and(|&child| std::ptr::eq(child, &**c)),
        (Obj::Tuple(x), Obj::Tuple(y))
        | (Obj::List(x), Obj::List(y))
        | (Obj::Set(x), Obj::Set(y))
        | (Obj::FrozenSet(x), Obj::FrozenSet(y)) => same_objs(x, y, children),
        (Obj::Dict(x), Obj::Dict(y)) | (Obj::FrozenDict(x), Obj::FrozenDict(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((k1, v1), (k2, v2))| {
                    same_obj(k1, k2, children) && same_obj(v1, v2, children)
                })
        }
        (Obj::Slice(x), Obj::Slice(y)) => {
            same_obj(&x.0, &y.0, children)
                && same_obj(&x.1, &y.1, children)
                && same_obj(&x.2, &y.2, children)
        }
        _ => a == b,
    }
}

/// Leaves out the fields whose defaults need no assembling: counts of 0,
/// the default flags, names and first line, a nested block's filename when
/// it is the module's.
fn drop_default_fields(ctx: &BlockContext, b: &mut Block) {
    if b.argcount == Some(0) {
        b.argcount = None;
    }
    if b.posonlyargcount == Some(0) {
        b.posonlyargcount = None;
    }
    if b.kwonlyargcount == Some(0) {
        b.kwonlyargcount = None;
    }
    if b.flags == Some(asm::default_flags(ctx.is_root)) {
        b.flags = None;
    }
    // The module's own `.filename` always stays, `''` included: without
    // it the assembler takes the path of the file it reads.
    if b.filename.as_ref() == Some(ctx.root_filename) && !ctx.is_root {
        b.filename = None;
    }
    if b.name_field == Some(asm::default_name(b, ctx.is_root)) {
        b.name_field = None;
    }
    if b.qualname.is_some()
        && b.qualname
            == Some(
                b.name_field
                    .clone()
                    .unwrap_or_else(|| asm::default_name(b, ctx.is_root)),
            )
    {
        b.qualname = None;
    }
    if b.firstlineno == Some(asm::default_firstlineno(b.stmts())) {
        b.firstlineno = None;
    }
}

/// Leaves out what the assembler computes identically; returns `None` when
/// even the fully explicit block does not reassemble to `orig`. `remake`
/// makes `full` again, for the last resort (rarely needed, so `full` is
/// not copied up front).
fn minimize(
    ctx: &BlockContext,
    table: &OpcodeTable,
    full: Block,
    orig: &Code,
    children: &Children,
    remake: &dyn Fn() -> Option<Block>,
) -> Option<Block> {
    let mut b = full;
    drop_default_fields(ctx, &mut b);
    // Tables: the shortest pinned prefixes.
    let used = Used::of(table, &b);
    let kc = tables::shortest_prefix(&b.consts, &used.consts, |c| c, |_| true);
    let kn = tables::shortest_prefix(&b.names, &used.names, |n| n, |_| true);
    let kv = tables::shortest_prefix(
        &b.vars,
        &used.locals,
        |v| &v.name,
        |v| v.kinds == kind::LOCAL,
    );
    b.consts.truncate(kc);
    b.names.truncate(kn);
    b.vars.truncate(kv);

    // Computed fields: try leaving them all out, then put back what differs.
    let depths: Vec<Option<u32>> = b.excepts.iter().map(|e| e.depth).collect();
    b.stacksize = None;
    for e in &mut b.excepts {
        e.depth = None;
    }
    // Only the code matters here, not the verifier's findings.
    let try_it = |b: &Block| {
        asm::assemble_block_with(ctx, b, asm::Children::Unresolved, false)
            .ok()
            .map(|(c, _)| c)
    };
    let same = |c: &Code| same_code(c, orig, children);
    // Where CPython's table splits a region around inner ones, one line
    // for the whole region, kept when it builds the same code.
    let simplest = |b: Block| match merge_split_regions(&b) {
        Some(m) if try_it(&m).is_some_and(|c| same(&c)) => m,
        _ => b,
    };
    let c1 = try_it(&b)?;
    if same(&c1) {
        return Some(simplest(b));
    }
    // Put back, a few at a time, the handler depths the analysis gets wrong
    // (each one can change what the analysis sees after it).
    let mut c = c1;
    for _ in 0..8 {
        if c.exceptiontable == orig.exceptiontable {
            break;
        }
        let (Ok(got), Ok(want)) = (
            exceptiontable::decode(&c.exceptiontable),
            exceptiontable::decode(&orig.exceptiontable),
        ) else {
            break;
        };
        let mut changed = false;
        for (k, e) in b.excepts.iter_mut().enumerate() {
            if e.depth.is_none() && got.get(k).map(|g| g.depth) != want.get(k).map(|w| w.depth) {
                e.depth = depths[k];
                changed = true;
            }
        }
        if !changed {
            break;
        }
        c = try_it(&b)?;
    }
    if c.exceptiontable != orig.exceptiontable {
        for (e, d) in b.excepts.iter_mut().zip(&depths) {
            e.depth = *d;
        }
        c = try_it(&b)?;
    }
    if c.stacksize != orig.stacksize {
        b.stacksize = Some(orig.stacksize);
        c = try_it(&b)?;
    }
    if same(&c) {
        return Some(simplest(b));
    }
    // Last resort for this mode: everything explicit.
    let full = remake()?;
    let c4 = try_it(&full)?;
    if std::env::var_os("PYASM_DEBUG_DIS").is_some() && !same(&c4) {
        let f = |c: &Code| {
            (
                c.code.len(),
                c.linetable.len(),
                c.exceptiontable.len(),
                c.stacksize,
            )
        };
        eprintln!(
            "dis fallback in {:?}: rebuilt {:?} vs original {:?}",
            orig.qualname,
            f(&c4),
            f(orig)
        );
        if c4.code != orig.code {
            let at = c4.code.iter().zip(&orig.code).position(|(a, b)| a != b);
            eprintln!("  code differs at byte {at:?}");
        }
    }
    same(&c4).then_some(full)
}

/// The block with each region CPython's table splits around inner regions
/// written as one line: entries with the same handler, depth and `lasti`
/// whose gaps other entries fill exactly become one outer region, which
/// the assembler splits again the same way (see `asm::excepts`). Entries
/// that touch stay apart, as CPython writes them. `None` when nothing
/// merges or the entries are not sorted and apart.
fn merge_split_regions(b: &Block) -> Option<Block> {
    if b.excepts.len() < 3 {
        return None;
    }
    let mut at: FxHashMap<&str, usize> = FxHashMap::default();
    for (k, s) in b.body.iter().enumerate() {
        if let Stmt::Label(name, _) = s {
            at.insert(name, k);
        }
    }
    let pos = |l: &str| at.get(l).copied();
    struct Chain {
        first: usize,
        last: usize,
    }
    let key = |e: &Except| (e.handler.clone(), e.depth, e.lasti);
    let mut chains: Vec<Chain> = Vec::new();
    // Open chains, each inside a gap of the one below it.
    let mut open: Vec<usize> = Vec::new();
    let mut prev_end: Option<usize> = None;
    let mut merged = false;
    for (k, e) in b.excepts.iter().enumerate() {
        let (start, end) = (pos(&e.start)?, pos(&e.end)?);
        if prev_end.is_some_and(|p| start < p) {
            return None;
        }
        // A stretch no entry covers ends every gap open across it.
        if prev_end != Some(start) {
            open.clear();
        }
        prev_end = Some(end);
        // The nearest open chain of the same handler, when other chains
        // fill the gap since its last entry (a deep stack is searched
        // only near its top, so that the search stays linear).
        let found = open
            .iter()
            .enumerate()
            .rev()
            .take(64)
            .find(|(_, &c)| key(&b.excepts[chains[c].last]) == key(e))
            .map(|(p, _)| p);
        match found {
            Some(p) if p + 1 < open.len() => {
                open.truncate(p + 1);
                chains[open[p]].last = k;
                merged = true;
            }
            _ => {
                open.push(chains.len());
                chains.push(Chain { first: k, last: k });
            }
        }
    }
    if !merged {
        return None;
    }
    let mut out = b.clone();
    out.excepts = chains
        .iter()
        .map(|c| Except {
            end: b.excepts[c.last].end.clone(),
            ..b.excepts[c.first].clone()
        })
        .collect();
    Some(out)
}
