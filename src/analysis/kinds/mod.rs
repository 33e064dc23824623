//! What kind of value each stack slot and fast local can hold, and the
//! instructions CPython trusts to be handed a particular kind.
//!
//! CPython's interpreter checks little of what the compiler guarantees:
//! `FOR_ITER` calls its operand's `tp_iternext` without looking, `RERAISE`
//! and `PUSH_EXC_INFO` read the fields of an exception object, `MAKE_FUNCTION`
//! stores whatever it is given as a code object, defaults tuple or closure,
//! `LOAD_DEREF` reads a cell, `LIST_APPEND` writes into a list, and almost
//! every instruction dereferences its operands, so a NULL placeholder in
//! the wrong slot crashes it. This module proves, for every path, that each
//! such operand is what the instruction needs, or reports it.
//!
//! A forward data flow over the instructions the stack analysis reached,
//! including the edges into exception handlers (a handler starts from the
//! stack below its depth at each instruction of its regions, plus `lasti`
//! and the exception). Each slot holds a set of possible kinds (a bit set:
//! NULL, None, exception, code object, tuple, list, ... or an object of
//! unknown type), a length or constant index where one is known, and an
//! identity, so that `COPY 1; POP_JUMP_IF_NOT_NONE` narrows the copy left
//! behind. Sets only grow at joins, so it ends; a kind is trusted only when
//! every path agrees, so it has no false alarms only where real code is
//! this regular, which `verifier::V` in `tests/versions.rs` checks over whole standard
//! libraries.
//!
//! Beside the data flow it checks the instruction sequences the interpreter
//! relies on: the prologue (`COPY_FREE_VARS`, `RETURN_GENERATOR`), 3.11's
//! `PRECALL`/`CALL` pairs and `KW_NAMES`, the `END_FOR` that `FOR_ITER`
//! skips, and opcodes that must never run (specialized, instrumented,
//! internal). It only reads; it never runs anything.

use super::facts::{
    facts, flow_of, forbidden, inputs, removes, Flow, FunctionUse, LocalUse, Sequence,
};
use super::stack::{self, is_stopiteration_handler, FlowExcept, FlowInstr, Problem, StackResult};
use crate::code::{kind, Obj, PyStr};
use crate::versions::{ArgKind, CloseMark, ForIterExit, Op, OpInfo, OpcodeTable, Version};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

mod kept;
pub use kept::SectionMemo;

const NULL: u32 = 1 << 0;
const NONE: u32 = 1 << 1;
const LASTI: u32 = 1 << 2;
const EXC: u32 = 1 << 3;
const CODE: u32 = 1 << 4;
const TUPLE: u32 = 1 << 5;
const LIST: u32 = 1 << 6;
const SET: u32 = 1 << 7;
const DICT: u32 = 1 << 8;
const ITER: u32 = 1 << 9;
const CELL: u32 = 1 << 10;
const FUNC: u32 = 1 << 11;
const STR: u32 = 1 << 12;
/// An object of a type nothing is known about (it may be any of the above).
const OTHER: u32 = 1 << 13;
/// What calling a function made from code constant `n` returns: an
/// iterator when that code is a generator (3.14 iterates `all(genexpr)`
/// and kin without GET_ITER).
const GENCALL: u32 = 1 << 14;
/// An object known not to be a bool and of none of the kinds above: an
/// int, float, complex or bytes constant, a small int.
const NOT_BOOL: u32 = 1 << 15;
/// The kinds that may be a bool: only what nothing is known about.
const MAYBE_BOOL: u32 = OTHER | GENCALL;
/// 3.8 (`finally_entry_marked`): the NULL `BEGIN_FINALLY` enters a
/// `finally` block with, on top of five `FIN_PAD`s.
const FIN_NULL: u32 = 1 << 16;
/// 3.8: the return offset `CALL_FINALLY` enters a `finally` block with,
/// on top of `FIN_PAD`s up to the six slots the block is counted with.
const FIN_RET: u32 = 1 << 17;
/// 3.8: a slot the compiler counts under a `finally` block's entry value
/// but that holds nothing.
const FIN_PAD: u32 = 1 << 18;
/// 3.8: a slot under `CALL_FINALLY`'s return offset, to the depth of the
/// block's other entries: the block may not read what is there, and
/// `END_FINALLY` returns from such an entry to the `CALL_FINALLY`, whose
/// own next instruction gets the stack back, so END_FINALLY's next
/// instruction never finds these.
const RET_PAD: u32 = 1 << 20;
/// 3.8: what `WITH_CLEANUP_START` leaves for `WITH_CLEANUP_FINISH` to test
/// (None, or the exception type), above a `FIN_PAD` in its model.
const WITH_EXC: u32 = 1 << 19;
/// See `stack::FINALLY_SLOTS`.
const FINALLY_SLOTS: usize = stack::FINALLY_SLOTS as usize;
/// 3.8: one of the three values of the exception a handler saved when it
/// was entered, which `POP_EXCEPT` makes current again.
const EXC_SAVED: u32 = 1 << 21;
/// 3.6-3.7: a slot the compiler counts under a `finally` body's None
/// entry for values the stack no longer holds: 3.6's `except ... as name`
/// gives back the exception it saved (`POP_EXCEPT`) before it falls into
/// the body that deletes the name, entered by an exception three slots
/// higher. `END_FINALLY` goes on with the stack as the None entry found it
/// (see `stack::analyze`).
const GONE: u32 = 1 << 22;
/// What `GET_AWAITABLE`, `GET_YIELD_FROM_ITER` or `GET_ANEXT` leaves (and
/// 3.6's `GET_AITER`): an iterator, a generator or a coroutine, which
/// `YIELD_FROM` and `SEND` drive. Not for FOR_ITER: a coroutine has no
/// `tp_iternext`.
const AWAIT_ITER: u32 = 1 << 23;
/// The kinds only the instructions that end a `finally` block may read.
const FINALLY_ONLY: u32 = FIN_NULL | FIN_RET | FIN_PAD | RET_PAD | WITH_EXC | GONE;

/// Whether a `finally` block's entries are followed as kinds of their own
/// (`FIN_NULL`, `FIN_PAD`...): see `blockstack::finally_protocol`.
fn finally_model(t: &OpcodeTable) -> bool {
    super::blockstack::finally_protocol(t)
}

/// `n` or `m` not known.
const UNKNOWN: u32 = u32::MAX;
/// A function's `m` before a closure is attached.
const NO_CLOSURE: u32 = u32::MAX - 1;

/// A tuple all of whose items are cells.
const F_CELLS: u8 = 1;
/// A tuple of strings.
const F_STRS: u8 = 4;
/// A local that may hold a NULL stored into it (joined with "or").
const F_STORED_NULL: u8 = 8;
const AND_FLAGS: u8 = F_CELLS | F_STRS;

/// One stack slot or local.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
struct Slot {
    bits: u32,
    f: u8,
    /// Tuple: its length. Code object or function: its constant index.
    n: u32,
    /// Function: its closure's length, or `NO_CLOSURE`.
    m: u32,
    /// Where the value was made (0: no identity): copies share it.
    id: u32,
    /// The hidden parameters (bit per position) it may come from.
    hid: u8,
    /// A list: the kinds its items may be.
    items: u32,
    /// 3.14: the locals (bit `index % 64`) this slot may be a borrowed
    /// reference to (`LOAD_FAST_BORROW`): it is valid only while the local
    /// keeps its value.
    borrow: u64,
}

impl Slot {
    fn of(bits: u32) -> Slot {
        Slot {
            bits,
            f: 0,
            n: UNKNOWN,
            m: UNKNOWN,
            id: 0,
            hid: 0,
            items: 0,
            borrow: 0,
        }
    }
    fn join(self, o: Slot) -> Slot {
        // A slot that holds nothing on one path (3.8's `RET_PAD`) says
        // nothing about the value the other paths bring.
        if self.bits == RET_PAD {
            return Slot {
                bits: o.bits | RET_PAD,
                ..o
            };
        }
        if o.bits == RET_PAD {
            return Slot {
                bits: self.bits | RET_PAD,
                ..self
            };
        }
        Slot {
            bits: self.bits | o.bits,
            f: (self.f & o.f & AND_FLAGS) | ((self.f | o.f) & F_STORED_NULL),
            n: if self.n == o.n { self.n } else { UNKNOWN },
            m: if self.m == o.m { self.m } else { UNKNOWN },
            id: if self.id == o.id { self.id } else { 0 },
            hid: self.hid | o.hid,
            items: self.items | o.items,
            borrow: self.borrow | o.borrow,
        }
    }
    fn non_null(self) -> Slot {
        Slot {
            bits: if self.bits & !NULL == 0 {
                OTHER
            } else {
                self.bits & !NULL
            },
            ..self
        }
    }
}

/// Words for a set of kinds, in messages.
fn describe(bits: u32) -> String {
    let names = [
        (NULL, "a NULL"),
        (NONE, "None"),
        (LASTI, "the int `lasti`"),
        (EXC, "an exception"),
        (CODE, "a code object"),
        (TUPLE, "a tuple"),
        (LIST, "a list"),
        (SET, "a set"),
        (DICT, "a dict"),
        (ITER, "an iterator"),
        (CELL, "a cell"),
        (FUNC, "a function"),
        (STR, "a str"),
        (OTHER, "an object of unknown type"),
        (GENCALL, "what a call returns"),
        (NOT_BOOL, "a number (or bytes)"),
        (
            FIN_NULL,
            "the NULL or None that lets a `finally` body go on",
        ),
        (FIN_RET, "CALL_FINALLY's return offset"),
        (FIN_PAD, "a slot a `finally` entry only counts"),
        (RET_PAD, "a slot a `finally` entry only counts"),
        (
            WITH_EXC,
            "what WITH_CLEANUP_START leaves for WITH_CLEANUP_FINISH",
        ),
        (EXC_SAVED, "the exception a handler saved"),
        (GONE, "a slot a `finally` entry only counts"),
        (AWAIT_ITER, "an awaitable's iterator"),
    ];
    let parts: Vec<&str> = names
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    match parts.len() {
        0 => "nothing".into(),
        1 => parts[0].into(),
        _ => format!(
            "{} or {}",
            parts[..parts.len() - 1].join(", "),
            parts[parts.len() - 1]
        ),
    }
}

#[derive(Clone)]
struct State {
    stack: Vec<Slot>,
    locals: Locals,
}

/// Slots per chunk of [`Locals`].
const CHUNK: usize = 32;

#[derive(Clone, PartialEq, Eq)]
struct Chunk {
    slots: [Slot; CHUNK],
}

/// Which locals a value was ever stored in, over every program point of
/// one analysis: where a search for the holders of an identity, or of a
/// list, has to look. It only grows, so it covers every state made after
/// any store, and a search costs the holders instead of every local (in a
/// function with thousands of locals, a look at each of them at every
/// instruction made the analysis quadratic).
#[derive(Default)]
struct Holders {
    /// Identity -> the locals it was stored in.
    by_id: FxHashMap<u32, Vec<u32>>,
    /// The locals that ever held something that may be a list.
    lists: Vec<u32>,
    is_list: Vec<bool>,
}

impl Holders {
    fn note(&mut self, i: usize, v: &Slot) {
        if v.id != 0 {
            let at = self.by_id.entry(v.id).or_default();
            if !at.contains(&(i as u32)) {
                at.push(i as u32);
            }
        }
        if v.bits & LIST != 0 && !self.is_list[i] {
            self.is_list[i] = true;
            self.lists.push(i as u32);
        }
    }
}

/// Which slots [`Locals::update`] looks at.
#[derive(Clone, Copy)]
enum Among {
    /// The holders of this identity (not 0).
    Id(u32),
    /// The locals that may hold a list.
    Lists,
}

/// The fast locals of one program point, shared with the states they were
/// made from: a state is kept for every instruction, and a function with
/// thousands of locals would otherwise cost a copy of all of them at every
/// store (quadratic memory: a 4 MB one-function file took 3 GB). The slots
/// are held in chunks of [`CHUNK`], and the chunks in groups of
/// [`GROUP`]: a store copies the list of groups, one group and one chunk;
/// a join skips the groups and chunks both sides share. (With one level,
/// the copy of every chunk pointer at each store made a function of 30,000
/// locals quadratic again.)
#[derive(Clone)]
struct Locals {
    len: usize,
    groups: Rc<Vec<Rc<Group>>>,
    /// One for all the states of an analysis (they are all made from the
    /// first by copies).
    holders: Rc<RefCell<Holders>>,
}

/// Chunks per group of [`Locals`].
const GROUP: usize = 32;

type Group = Vec<Rc<Chunk>>;

impl PartialEq for Locals {
    fn eq(&self, o: &Self) -> bool {
        self.len == o.len && self.groups == o.groups
    }
}

impl Locals {
    fn new(v: Vec<Slot>) -> Self {
        let len = v.len();
        let mut holders = Holders {
            is_list: vec![false; len],
            ..Holders::default()
        };
        for (i, x) in v.iter().enumerate() {
            holders.note(i, x);
        }
        let chunks: Vec<Rc<Chunk>> = v
            .chunks(CHUNK)
            .map(|c| {
                let mut slots = [Slot::default(); CHUNK];
                slots[..c.len()].copy_from_slice(c);
                Rc::new(Chunk { slots })
            })
            .collect();
        let groups = chunks.chunks(GROUP).map(|g| Rc::new(g.to_vec())).collect();
        Locals {
            len,
            groups: Rc::new(groups),
            holders: Rc::new(RefCell::new(holders)),
        }
    }
    fn len(&self) -> usize {
        self.len
    }
    fn slot(&self, i: usize) -> &Slot {
        let c = i / CHUNK;
        &self.groups[c / GROUP][c % GROUP].slots[i % CHUNK]
    }
    /// The slot, made this state's own (its chunk, group and list of
    /// groups copied if shared).
    fn slot_mut(&mut self, i: usize) -> &mut Slot {
        let c = i / CHUNK;
        let group = Rc::make_mut(&mut Rc::make_mut(&mut self.groups)[c / GROUP]);
        &mut Rc::make_mut(&mut group[c % GROUP]).slots[i % CHUNK]
    }
    fn get(&self, i: usize) -> Option<Slot> {
        (i < self.len).then(|| *self.slot(i))
    }
    fn set(&mut self, i: usize, v: Slot) {
        if i < self.len && *self.slot(i) != v {
            self.holders.borrow_mut().note(i, &v);
            *self.slot_mut(i) = v;
        }
    }
    /// Applies `f` to every slot that `pick` chooses among the locals
    /// `among` names. `pick` must choose only slots of that identity, or
    /// slots that may be lists; `f` must not give a slot a new identity or
    /// make it a list.
    fn update(&mut self, among: Among, pick: impl Fn(&Slot) -> bool, mut f: impl FnMut(&mut Slot)) {
        let holders = self.holders.clone();
        let holders = holders.borrow();
        let at: &[u32] = match among {
            Among::Id(id) => holders.by_id.get(&id).map_or(&[], Vec::as_slice),
            Among::Lists => &holders.lists,
        };
        for &i in at {
            if pick(self.slot(i as usize)) {
                f(self.slot_mut(i as usize));
            }
        }
    }
    /// Joins `o`'s slots into these with `join` (true when it changed the
    /// slot); true when any changed.
    fn join_from(&mut self, o: &Locals, join: &mut impl FnMut(&mut Slot, Slot) -> bool) -> bool {
        if Rc::ptr_eq(&self.groups, &o.groups) {
            return false;
        }
        let mut changed = false;
        for g in 0..self.groups.len().min(o.groups.len()) {
            let (ga, gb) = (&self.groups[g], &o.groups[g]);
            if Rc::ptr_eq(ga, gb) {
                continue;
            }
            for k in 0..ga.len().min(gb.len()) {
                let (a, b) = (&self.groups[g][k], &o.groups[g][k]);
                if Rc::ptr_eq(a, b) || a == b {
                    continue;
                }
                let mut c = (**a).clone();
                let mut cc = false;
                for (x, y) in c.slots.iter_mut().zip(b.slots.iter()) {
                    cc |= join(x, *y);
                }
                if cc {
                    Rc::make_mut(&mut Rc::make_mut(&mut self.groups)[g])[k] = Rc::new(c);
                    changed = true;
                }
            }
        }
        changed
    }
}

impl State {
    /// A hash of the slots (debug builds compare states by it).
    fn digest(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        self.stack.hash(&mut h);
        for i in 0..self.locals.len() {
            self.locals.slot(i).hash(&mut h);
        }
        h.finish()
    }
    /// Joins `o` into this state; true when something changed. The code
    /// constants of functions whose identity the join loses go to `lost`.
    fn join_from(&mut self, o: &State, lost: &mut Vec<u32>) -> bool {
        let mut changed = false;
        let mut join = |a: &mut Slot, b: Slot| {
            let j = a.join(b);
            if j.bits & FUNC != 0 && j.n == UNKNOWN {
                for x in [*a, b] {
                    if x.bits & FUNC != 0 && x.n != UNKNOWN {
                        lost.push(x.n);
                    }
                }
            }
            let c = j != *a;
            *a = j;
            c
        };
        for (a, b) in self.stack.iter_mut().zip(&o.stack) {
            changed |= join(a, *b);
        }
        changed |= self.locals.join_from(&o.locals, &mut join);
        changed
    }
    /// Forgets an identity about to be given to a new value (a loop makes
    /// the same instruction's values again).
    fn scrub(&mut self, id: u32) {
        for s in &mut self.stack {
            if s.id == id {
                s.id = 0;
            }
        }
        if id != 0 {
            self.locals
                .update(Among::Id(id), |s| s.id == id, |s| s.id = 0);
        }
    }
    /// Applies `f` to every slot holding the value `id`; false when a slot
    /// becomes empty (the path cannot happen).
    fn narrow(&mut self, id: u32, f: impl Fn(u32) -> u32) -> bool {
        if id == 0 {
            return true;
        }
        let mut ok = true;
        for s in &mut self.stack {
            if s.id == id {
                s.bits = f(s.bits);
                ok &= s.bits != 0;
            }
        }
        self.locals.update(
            Among::Id(id),
            |s| s.id == id,
            |s| {
                s.bits = f(s.bits);
                ok &= s.bits != 0;
            },
        );
        ok
    }
}

/// What the analysis needs of one assembled block.
pub struct Input<'a> {
    pub table: &'static OpcodeTable,
    pub instrs: &'a [FlowInstr],
    pub excepts: &'a [FlowExcept],
    pub analysis: &'a StackResult,
    /// `co_consts` as built (child code objects as `Obj::CodeRef`).
    pub consts: &'a [&'a Obj],
    /// The fast locals: names and `co_localspluskinds` bits.
    pub vars: &'a [(&'a PyStr, u8)],
    /// `co_names`.
    pub names: &'a [&'a PyStr],
    /// Arguments, `*args` and `**kwargs` included: the locals a call fills.
    pub n_args: usize,
    pub flags: u32,
}

/// One problem: the instruction, a stable code, the message, and an
/// instruction to point a note at.
#[derive(Debug, Clone)]
pub struct Finding {
    pub at: usize,
    pub code: &'static str,
    pub message: String,
    pub note: Option<(usize, String)>,
    /// The exception-table entry whose handler depth is the cause, for a
    /// note on the `.except` line that gave it.
    pub except: Option<usize>,
    /// What to write instead, when there is one thing to say.
    pub help: Option<String>,
    /// For a free variable that is not among the last slots: the locals
    /// after it that push it out of them. When every one of them is a
    /// local nothing assigns (a misspelt read adds one), that read is the
    /// mistake, and it is reported already.
    pub displaced_by: Vec<u32>,
}

impl Finding {
    /// A finding with nothing but its note.
    pub fn new(
        at: usize,
        code: &'static str,
        message: String,
        note: Option<(usize, String)>,
    ) -> Self {
        Finding {
            at,
            code,
            message,
            note,
            except: None,
            help: None,
            displaced_by: Vec::new(),
        }
    }
}

/// A function made from a code constant: the instruction that gives it
/// its closure (or makes it, when it gets none), the constant's index, and
/// the closure's length. The module checks compare it with the free
/// variables of that code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeFunction {
    pub at: usize,
    pub konst: usize,
    pub need: Need,
}

/// What a function made here needs of the code block it is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Exactly this many free variables: the closure has this many cells.
    Closure(u32),
    /// To be a generator: what calling it returns is iterated directly.
    Generator,
    /// No hidden parameters: the function is used other than by calling it
    /// at once, so what its parameters get is not known.
    Escapes,
    /// Called at once with these kinds of values as its first arguments
    /// (bit sets, see `hidden_param`), and this many arguments.
    Call([u32; 3], u32),
}

/// The kind of value a parameter of this name gets: the compiler's hidden
/// parameters (`.0` of a comprehension or generator expression, `.defaults`
/// and `.kwdefaults` of 3.12+ generic functions) get only what its own
/// calls pass, and the code relies on it.
pub fn hidden_param(name: &PyStr) -> Option<u32> {
    match name.as_str()? {
        ".0" => Some(ITER),
        ".defaults" => Some(TUPLE),
        ".kwdefaults" => Some(DICT),
        _ => None,
    }
}

/// Words for a set of kinds (as `Need::Call` carries them).
pub fn kinds_text(bits: u32) -> String {
    describe(bits)
}

#[derive(Debug, Default)]
pub struct KindResult {
    pub findings: Vec<Finding>,
    pub functions: Vec<MadeFunction>,
    /// The hidden parameters (bit per position) whose promised kind some
    /// instruction relies on: callers must keep the promise.
    pub relied: u8,
    /// The stack analysis done again with the instructions reported here
    /// as of unknown effect ([`leaves_unknown`]), when there were any: its
    /// problems and depths are the ones to report and keep.
    pub stack: Option<StackResult>,
}

const GENERATOR_FLAGS: u32 = 0x20 | 0x80 | 0x200;

/// Whether a finding says that its instruction cannot do its work: a
/// NULL or a value of the wrong kind where it trusts the kind (a value a
/// `finally` body is entered with, read as another), paths that reach it
/// with different depths (before 3.9, whose stack analysis keeps the
/// largest), a call sequence or prologue it breaks, or an opcode a file
/// may not hold. What
/// it leaves is then not known, as a type checker gives an expression
/// that failed the error type: the stack analysis goes on from it with
/// guessed depths and this analysis does not go past it, so the depth
/// or kind problems that follow from the same mistake are not reported
/// again. Findings about an operand's value, a handler's depth or a
/// borrowed reference leave what the instruction does as it was.
fn leaves_unknown(code: &str) -> bool {
    matches!(
        code,
        "stack-null"
            | "operand-kind"
            | "finally-entry"
            | "stack-mismatch"
            | "call-sequence"
            | "bad-prologue"
            | "forbidden-opcode"
    )
}

pub fn analyze(inp: &Input) -> KindResult {
    analyze_with(inp, None, None).0
}

/// [`analyze`], its data flow kept by section in `memo` (sections of at
/// least `size` instructions, see [`kept`]) for a block of more than a
/// few sections. Debug builds check every block: a walk by sections (of a
/// few instructions, when there is no memo) must find what the whole walk
/// finds, and enter each section in the state the whole walk enters it in.
pub fn analyze_keeping(inp: &Input, memo: Option<(&mut SectionMemo, usize)>) -> KindResult {
    if !cfg!(debug_assertions) {
        return analyze_with(inp, memo, None).0;
    }
    let (r, walk) = match memo {
        Some(m) => analyze_with(inp, Some(m), None),
        None => analyze_with(inp, Some((&mut SectionMemo::default(), 1)), None),
    };
    // (Not cut: that was the whole walk.)
    let Some(starts) = &walk.starts else {
        return r;
    };
    let (whole, whole_walk) = analyze_with(inp, None, Some(starts));
    let (a, b) = (format!("{r:?}"), format!("{whole:?}"));
    assert!(
        a == b,
        "the kinds analysis by sections differs from the whole walk:\n{a}\n{b}"
    );
    assert!(
        walk.digests == whole_walk.digests,
        "the kinds analysis by sections enters a section in another state than the whole walk:\n{:?}\n{:?}",
        walk.digests,
        whole_walk.digests
    );
    whole
}

/// What debug builds check of a data flow: where its sections start (when
/// it went section by section), and a digest of the state each of those
/// was first entered in.
#[derive(Default)]
struct Walked {
    starts: Option<Vec<usize>>,
    digests: Vec<(usize, u64)>,
}

/// [`analyze`], and what debug builds check of its walk: states are
/// digested where `digest_at` says, or where its sections start.
fn analyze_with(
    inp: &Input,
    memo: Option<(&mut SectionMemo, usize)>,
    digest_at: Option<&[usize]>,
) -> (KindResult, Walked) {
    // The sequences first: what breaks one is of unknown effect for the
    // walk over values, and for the depths it reads.
    let structural;
    let mut a = Analysis {
        inp,
        late: inp.table.null_above_callable,
        v: inp.table.version,
        out: KindResult::default(),
        reported: Vec::new(),
        section_relied: 0,
    };
    a.structure();
    let mut marked = a.leaving_unknown(inp.analysis);
    let redone = (!marked.is_empty()).then(|| {
        stack::analyze(
            inp.table,
            &stack::with_unknown(inp.instrs, &marked),
            inp.excepts,
        )
    });
    if let Some(r) = &redone {
        structural = Input {
            analysis: r,
            ..*inp
        };
        a.inp = &structural;
    }
    let walked = a.flow(memo, digest_at);
    // Then whatever the walk found.
    let found: Vec<usize> = a
        .leaving_unknown(a.inp.analysis)
        .into_iter()
        .filter(|i| marked.binary_search(i).is_err())
        .collect();
    let mut out = a.out;
    out.stack = if !found.is_empty() {
        marked.extend(found);
        marked.sort_unstable();
        marked.dedup();
        Some(stack::analyze(
            inp.table,
            &stack::with_unknown(inp.instrs, &marked),
            inp.excepts,
        ))
    } else {
        redone
    };
    out.functions.sort_by_key(|f| (f.at, f.konst, f.need));
    out.functions.dedup();
    (out, walked)
}

struct Analysis<'a> {
    inp: &'a Input<'a>,
    /// The hidden parameters relied on since the section being walked
    /// began (see [`kept`]).
    section_relied: u8,
    /// The NULL or self sits above the callable (`null_above_callable`).
    late: bool,
    v: Version,
    out: KindResult,
    /// (instruction, code) already reported.
    reported: Vec<(usize, &'static str)>,
}

/// 3.14 collects the indices of conditional annotations in a set it
/// keeps under this name and adds to with SET_ADD, which does not check
/// that it is one: the code's own stores to the name must store sets.
/// (Rebinding it from elsewhere crashes 3.14 whatever the bytecode: a
/// CPython bug, not something a verifier of one code object can see.)
const CONDITIONAL_ANNOTATIONS: &str = "__conditional_annotations__";

fn op_of(op: &OpInfo) -> Op {
    op.op
}

impl Analysis<'_> {
    fn report(
        &mut self,
        at: usize,
        code: &'static str,
        message: String,
        note: Option<(usize, String)>,
    ) {
        if self.reported.contains(&(at, code)) {
            return;
        }
        // An instruction of unknown effect (already reported) could be
        // what a sequence needs, before or after the one that needs it.
        let unknown = |i: usize| self.inp.instrs.get(i).is_some_and(|x| x.unknown);
        let sequence = matches!(code, "call-sequence" | "bad-prologue");
        if unknown(at) || sequence && (unknown(at + 1) || at > 0 && unknown(at - 1)) {
            return;
        }
        self.reported.push((at, code));
        self.out
            .findings
            .push(Finding::new(at, code, message, note));
    }

    /// [`Self::report`], with help.
    fn report_help(
        &mut self,
        at: usize,
        code: &'static str,
        message: String,
        note: Option<(usize, String)>,
        help: &str,
    ) {
        self.report(at, code, message, note);
        if let Some(f) = self
            .out
            .findings
            .last_mut()
            .filter(|f| f.at == at && f.code == code)
        {
            f.help.get_or_insert_with(|| help.to_string());
        }
    }

    fn name(&self, i: usize) -> &'static str {
        self.inp.instrs[i]
            .op
            .map(|o| o.name)
            .unwrap_or("this instruction")
    }

    /// The instructions of the findings so far that leave what they do
    /// unknown ([`leaves_unknown`]), but for those where `analysis`
    /// already found a stack problem (after which the depth is a guess).
    fn leaving_unknown(&self, analysis: &StackResult) -> Vec<usize> {
        let n = self.inp.instrs.len();
        let mut problem = vec![false; n];
        for p in &analysis.problems {
            if let Problem::Underflow { at, .. } | Problem::Mismatch { at, .. } = *p {
                if let Some(x) = problem.get_mut(at) {
                    *x = true;
                }
            }
        }
        let mut at: Vec<usize> = self
            .out
            .findings
            .iter()
            .filter(|f| f.at < n && leaves_unknown(f.code) && !problem[f.at])
            .map(|f| f.at)
            .collect();
        at.sort_unstable();
        at.dedup();
        at
    }

    fn live(&self, i: usize) -> bool {
        self.inp.analysis.live.get(i).copied().unwrap_or(false)
    }

    // -----------------------------------------------------------------
    // Sequences

    /// A yield marked as enclosed by no handler but the generator's own
    /// (`close_mark`) must be so: the first exception entry covering it
    /// (the one CPython finds) sends exceptions to the generator's
    /// catch-all. Otherwise `close()` would skip the handler that does
    /// enclose it (a `finally` would not run).
    fn close_marks(&mut self) {
        let inp = self.inp;
        let t = inp.table;
        for (y, ins) in inp.instrs.iter().enumerate() {
            if ins.op.map(|o| o.op) != Some(Op::YIELD_VALUE) || !self.live(y) {
                continue;
            }
            let (at, marked) = match t.close_mark {
                CloseMark::Absent => continue,
                CloseMark::ResumeFlag => {
                    let next = inp.instrs.get(y + 1);
                    let flags = t.operand_values(Op::RESUME).map_or(0, |v| v.flags);
                    match next {
                        Some(r) if r.op.map(|o| o.op) == Some(Op::RESUME) => {
                            (y + 1, r.arg & flags != 0)
                        }
                        _ => continue,
                    }
                }
            };
            if !marked {
                continue;
            }
            let Some(e) = inp.excepts.iter().find(|e| e.start <= y && y < e.end) else {
                continue;
            };
            // A `yield from` or `await` is covered by its own
            // `CLEANUP_THROW`, which the compiler does not count: what
            // encloses it is not in a flat table.
            let cleanup_throw = inp.instrs.get(e.handler).and_then(|x| x.op).map(|o| o.op)
                == Some(Op::CLEANUP_THROW);
            // A handler whose first lines did not lower (already
            // reported) may be the generator's own: nothing to say.
            let broken =
                (e.handler..e.handler + 2).any(|j| inp.instrs.get(j).is_some_and(|x| x.unknown));
            if cleanup_throw || broken || is_stopiteration_handler(t, inp.instrs, e.handler) {
                continue;
            }
            let handler = e.handler.min(inp.instrs.len().saturating_sub(1));
            self.report_help(
                at,
                "invalid-operand",
                "this RESUME's flag says no handler but the generator's own encloses the yield before it, but another handler does: close() would skip it, and a `finally` there would not run".into(),
                Some((handler, "the handler that encloses the yield".into())),
                "leave the flag out: it marks only a yield that nothing but the generator's catch-all covers",
            );
        }
    }

    fn structure(&mut self) {
        let inp = self.inp;
        let n = inp.instrs.len();
        let opname = |i: usize| inp.instrs.get(i).and_then(|x| x.op).map(op_of);
        // Instructions something jumps to or an exception lands on.
        let mut targeted = vec![false; n + 1];
        for ins in inp.instrs {
            if let (Some(op), Some(t)) = (ins.op, ins.target) {
                if matches!(flow_of(op), Flow::Branch | Flow::Jump) && t <= n {
                    targeted[t] = true;
                }
            }
        }
        for e in inp.excepts {
            if e.handler <= n {
                targeted[e.handler] = true;
            }
        }
        for (k, e) in inp.excepts.iter().enumerate() {
            let entered = (e.start..e.end.min(n)).any(|i| self.live(i));
            if e.handler >= n && entered {
                let at = e.start.min(n.saturating_sub(1));
                self.report(
                    at,
                    "bad-jump-target",
                    format!("exception entry {k} sends exceptions to the end of the code, where there is no instruction to run"),
                    None,
                );
            }
        }

        self.close_marks();

        for i in 0..n {
            if !self.live(i) {
                continue;
            }
            let ins = &inp.instrs[i];
            if ins.unknown {
                continue;
            }
            let Some(op) = ins.op else {
                self.report(
                    i,
                    "forbidden-opcode",
                    format!(
                        "opcode {} is not an instruction of Python {}: the interpreter cannot run it",
                        ins.arg, self.v
                    ),
                    None,
                );
                continue;
            };
            if let Some(w) = forbidden(op) {
                self.report(i, "forbidden-opcode", w, None);
            }
        }

        // The prologue: COPY_FREE_VARS first when there are free
        // variables; MAKE_CELLs; RETURN_GENERATOR for generators. Nothing
        // may jump back into it.
        // Before 3.11 the interpreter does all of this itself
        // (`frame_prologue`): there is nothing to check.
        let prologue = inp.table.frame_prologue;
        let nfree = match prologue {
            true => inp.vars.iter().filter(|(_, k)| k & kind::FREE != 0).count() as u32,
            false => 0,
        };
        let generator = inp.flags & GENERATOR_FLAGS != 0;
        let mut k = 0;
        if nfree > 0 {
            if opname(0) == Some(Op::COPY_FREE_VARS) && inp.instrs[0].arg == nfree {
                k = 1;
            } else if n > 0 {
                self.report(
                    0,
                    "bad-prologue",
                    format!(
                        "this code has {nfree} free variable{}: it must start with COPY_FREE_VARS {nfree}, which fills them from the closure",
                        if nfree == 1 { "" } else { "s" }
                    ),
                    None,
                );
            }
        }
        while opname(k) == Some(Op::MAKE_CELL) || opname(k) == Some(Op::NOP) {
            k += 1;
        }
        // `super()` reads a first argument that is a cell as one from the
        // moment the code starts.
        let first_cell = prologue
            && inp.n_args > 0
            && inp.vars.first().is_some_and(|(_, kd)| kd & kind::CELL != 0);
        if first_cell
            && !(0..k).any(|j| opname(j) == Some(Op::MAKE_CELL) && inp.instrs[j].arg == 0)
            && n > 0
        {
            self.report(
                0,
                "bad-prologue",
                "the first argument is a cell: the code must start by making it one (MAKE_CELL before anything else), as `super()` reads it".into(),
                None,
            );
        }
        // 3.15: a generator expression makes its argument an iterator
        // before it becomes a generator, so that a bad argument fails at
        // the call: RESUME, LOAD_FAST .0, GET_ITER (or GET_AITER),
        // RETURN_GENERATOR.
        if inp.table.genexpr_prologue_gets_iter
            && opname(k) == Some(Op::RESUME)
            && matches!(opname(k + 1), Some(Op::LOAD_FAST | Op::LOAD_FAST_BORROW))
            && matches!(opname(k + 2), Some(Op::GET_ITER | Op::GET_AITER))
            && opname(k + 3) == Some(Op::RETURN_GENERATOR)
        {
            k += 3;
        }
        let mut gen_at = None;
        if opname(k) == Some(Op::RETURN_GENERATOR) {
            gen_at = Some(k);
            k += 1;
        }
        let prologue_end = k;
        let sequence = |i: usize| opname(i).map_or(Sequence::Free, |o| facts(o).sequence);
        for i in 0..n {
            match sequence(i) {
                Sequence::CopyFreeVars if !(i == 0 && nfree > 0) => {
                    let why = if nfree == 0 {
                        "this code has no free variables: COPY_FREE_VARS would read a closure it does not have".to_string()
                    } else {
                        format!("COPY_FREE_VARS belongs only at the start, as COPY_FREE_VARS {nfree}")
                    };
                    self.report(i, "bad-prologue", why, None);
                }
                Sequence::ReturnGenerator if Some(i) != gen_at || !generator => {
                    let why = if generator {
                        "RETURN_GENERATOR runs once, at the start of the code (after COPY_FREE_VARS and MAKE_CELL only)"
                    } else {
                        "RETURN_GENERATOR in code that is not flagged GENERATOR, COROUTINE or ASYNC_GENERATOR"
                    };
                    self.report(i, "bad-prologue", why.into(), None);
                }
                Sequence::InGenerator if !generator => self.report(
                    i,
                    "bad-prologue",
                    "YIELD_VALUE in code that is not a generator: the interpreter would suspend a frame that no generator owns".into(),
                    None,
                ),
                Sequence::Free
                | Sequence::CopyFreeVars
                | Sequence::ReturnGenerator
                | Sequence::InGenerator
                | Sequence::Precall
                | Sequence::Call
                | Sequence::KwNames
                | Sequence::AfterMakeFunction
                | Sequence::ForIter => {}
            }
        }
        if prologue && generator && gen_at.is_none() && n > 0 {
            self.report(
                0,
                "bad-prologue",
                "code flagged as a generator must start with RETURN_GENERATOR (after COPY_FREE_VARS and MAKE_CELL)".into(),
                None,
            );
        }
        if gen_at.is_some() || (nfree > 0 && k > 0) {
            for (t, &hit) in targeted.iter().enumerate().take(prologue_end) {
                if hit {
                    self.report(
                        t,
                        "bad-prologue",
                        "a jump or handler leads back into the prologue, which must run exactly once".into(),
                        None,
                    );
                }
            }
        }

        // Pairs the interpreter treats as one.
        let split_call = inp.table.args_at_precall;
        for i in 0..n {
            let arg = inp.instrs[i].arg;
            match sequence(i) {
                Sequence::Precall
                    if split_call
                        && (opname(i + 1) != Some(Op::CALL)
                            || inp.instrs[i + 1].arg != arg
                            || targeted[i + 1]) =>
                {
                    self.report(
                            i,
                            "call-sequence",
                            format!("PRECALL {arg} must be followed directly by CALL {arg}, which nothing else jumps to: the two count the same arguments"),
                            None,
                        );
                }
                Sequence::Call
                    if split_call
                        && (i == 0
                            || opname(i - 1) != Some(Op::PRECALL)
                            || inp.instrs[i - 1].arg != arg
                            || targeted[i]) =>
                {
                    self.report(
                        i,
                        "call-sequence",
                        format!("CALL {arg} must come directly after PRECALL {arg}"),
                        None,
                    );
                }
                Sequence::KwNames => {
                    let call = if split_call { Op::PRECALL } else { Op::CALL };
                    let names = inp.consts.get(arg as usize);
                    let len = match names {
                        Some(Obj::Tuple(v)) if v.iter().all(|x| matches!(x, Obj::Str(_))) => {
                            Some(v.len())
                        }
                        _ => None,
                    };
                    let next_ok = opname(i + 1) == Some(call) && !targeted[i + 1];
                    let call = call.name();
                    match len {
                        None => self.report(
                            i,
                            "operand-kind",
                            "KW_NAMES needs a constant tuple of keyword names".into(),
                            None,
                        ),
                        Some(l) if next_ok && l as u64 > inp.instrs[i + 1].arg as u64 => self
                            .report(
                                i,
                                "call-sequence",
                                format!(
                                    "{l} keyword names for a call of {} arguments",
                                    inp.instrs[i + 1].arg
                                ),
                                Some((i + 1, "the call".into())),
                            ),
                        _ => {}
                    }
                    if !next_ok {
                        self.report(
                            i,
                            "call-sequence",
                            format!("KW_NAMES must be followed directly by the {call} it names the keywords of"),
                            None,
                        );
                    }
                }
                Sequence::AfterMakeFunction => {
                    // The attributes are set straight after MAKE_FUNCTION,
                    // before anything can use the function, each once.
                    let mut j = i;
                    let mut seen = 0u32;
                    let mut ok = true;
                    while j > 0 && opname(j) == Some(Op::SET_FUNCTION_ATTRIBUTE) {
                        ok &= !targeted[j] && seen & inp.instrs[j].arg == 0;
                        seen |= inp.instrs[j].arg;
                        j -= 1;
                    }
                    if !ok || opname(j) != Some(Op::MAKE_FUNCTION) {
                        self.report(
                            i,
                            "call-sequence",
                            "SET_FUNCTION_ATTRIBUTE must follow MAKE_FUNCTION directly (or another SET_FUNCTION_ATTRIBUTE for a different attribute), with nothing jumping in between".into(),
                            None,
                        );
                    }
                }
                Sequence::ForIter if inp.table.for_iter_exit != ForIterExit::PopsIterator => {
                    // An exhausted iterator jumps past the END_FOR (3.13:
                    // and the POP_TOP) at its target; the interpreter skips
                    // them without looking, so they must be there.
                    let Some(t) = inp.instrs[i].target else {
                        continue;
                    };
                    let and_pop_top = inp.table.for_iter_exit == ForIterExit::SkipsEndForAndPopTop;
                    if (t..t + 2).any(|j| inp.instrs.get(j).is_some_and(|x| x.unknown)) {
                        continue;
                    }
                    let ok = opname(t) == Some(Op::END_FOR)
                        && (!and_pop_top || opname(t + 1) == Some(Op::POP_TOP));
                    if !ok {
                        let want = if and_pop_top {
                            "END_FOR then POP_TOP"
                        } else {
                            Op::END_FOR.name()
                        };
                        self.report(
                            i,
                            "bad-jump-target",
                            format!("FOR_ITER must jump to {want}: when the iterator ends, the interpreter skips over it without running it"),
                            None,
                        );
                    }
                }
                Sequence::Free
                | Sequence::CopyFreeVars
                | Sequence::ReturnGenerator
                | Sequence::InGenerator
                | Sequence::Precall
                | Sequence::Call
                | Sequence::ForIter => {}
            }
        }
    }

    // -----------------------------------------------------------------
    // Data flow

    fn entry(&self) -> State {
        let inp = self.inp;
        let locals = inp
            .vars
            .iter()
            .enumerate()
            .map(|(i, (name, kd))| {
                if i < inp.n_args && (inp.table.frame_prologue || kd & kind::CELL == 0) {
                    // Hidden parameters get what the compiler passes (the
                    // module checks hold its calls to it).
                    match hidden_param(name) {
                        Some(k) if i < 8 => Slot {
                            hid: 1 << i,
                            ..Slot::of(k)
                        },
                        _ => Slot::of(OTHER),
                    }
                } else if !inp.table.frame_prologue && kd & (kind::CELL | kind::FREE) != 0 {
                    // The interpreter made the cells with the frame.
                    Slot::of(CELL)
                } else {
                    Slot::of(NULL)
                }
            })
            .collect();
        // 3.10's GEN_START pops the value a generator is first sent:
        // None (a just-started generator refuses any other).
        let sent = stack::entry_depth(inp.instrs).max(0) as usize;
        State {
            stack: vec![Slot::of(NONE); sent],
            locals: Locals::new(locals),
        }
    }

    /// The data flow (see [`kept`] for `memo`, [`analyze_with`] for
    /// `digest_at`).
    fn flow(
        &mut self,
        memo: Option<(&mut SectionMemo, usize)>,
        digest_at: Option<&[usize]>,
    ) -> Walked {
        let inp = self.inp;
        let n = inp.instrs.len();
        let mut run = memo.and_then(|(m, size)| kept::Run::new(m, inp, size));
        let mut walked = Walked {
            starts: run.as_ref().map(|r| r.starts()),
            digests: Vec::new(),
        };
        let mut digest: Vec<bool> = match cfg!(debug_assertions) {
            true => vec![false; n + 1],
            false => Vec::new(),
        };
        for &x in digest_at.or(walked.starts.as_deref()).unwrap_or(&[]) {
            if let Some(d) = digest.get_mut(x) {
                *d = true;
            }
        }
        if n == 0 {
            return walked;
        }
        let depths = &inp.analysis.depths;
        // Boxed: the list has a slot for every instruction, which a block
        // of 100,000 whose sections are kept mostly leaves empty.
        let mut state: Vec<Option<Box<State>>> = vec![None; n + 1];
        state[0] = Some(Box::new(self.entry()));
        let mut work = Work::new(n + 1);
        work.push(0);
        // The entries that cover each instruction, in table order:
        // `covering[cover_at[i]..cover_at[i + 1]]` (one list, not one per
        // instruction: a block of 100,000 instructions would allocate
        // them on every edit).
        let range = |e: &FlowExcept| e.start.min(n)..e.end.min(n);
        let mut cover_at = vec![0usize; if inp.excepts.is_empty() { 0 } else { n + 1 }];
        for e in inp.excepts {
            for i in range(e) {
                cover_at[i + 1] += 1;
            }
        }
        for i in 1..cover_at.len() {
            cover_at[i] += cover_at[i - 1];
        }
        let mut covering = vec![0usize; cover_at.last().copied().unwrap_or(0)];
        let mut fill = cover_at.clone();
        for (k, e) in inp.excepts.iter().enumerate() {
            for i in range(e) {
                covering[fill[i]] = k;
                fill[i] += 1;
            }
        }
        drop(fill);
        // Each slot's set only grows, so an instruction is revisited a
        // bounded number of times; real code settles in a few passes.
        let width = inp.vars.len() + inp.analysis.max_depth as usize + 1;
        let budget = (n + 1).saturating_mul(64 + 4 * width.min(4096)) + 10_000;
        let mut steps = 0usize;
        let mut reported_at = vec![false; n];
        let mut handler_reported = vec![false; inp.excepts.len()];
        let finally_at = match inp.table.unwinds_by_why {
            true => super::blockstack::finally_entries(inp.instrs),
            false => Vec::new(),
        };
        let mut finished = true;
        while let Some(i) = work.pop() {
            if digest.get(i).is_some_and(|d| *d) {
                digest[i] = false;
                if let Some(st) = &state[i] {
                    walked.digests.push((i, st.digest()));
                }
            }
            if let Some(run) = run.as_mut() {
                let kept = run.visit(
                    self,
                    i,
                    &mut state,
                    &mut work,
                    steps,
                    budget,
                    &mut reported_at,
                    &mut handler_reported,
                );
                if let Some(k) = kept {
                    steps += k;
                    continue;
                }
            }
            steps += 1;
            if steps > budget {
                self.report(
                    i,
                    "too-complex",
                    "the kinds of values here did not settle within the analysis budget; the code cannot be verified".into(),
                    None,
                );
                finished = false;
                break;
            }
            if i >= n || !self.live(i) {
                continue;
            }
            let Some(st) = state[i].as_deref().cloned() else {
                continue;
            };
            // Where the depth is not known, neither are the values: what
            // follows from an instruction already reported is not
            // reported again.
            if depths[i] != Some(st.stack.len() as i32) || inp.analysis.unknown[i] {
                // 3.8's stack analysis keeps the largest depth of the
                // paths that reach an instruction: one that brings fewer
                // items is the mismatch `merge` reports.
                if let (Some(d), false, true) =
                    (depths[i], inp.analysis.unknown[i], finally_model(inp.table))
                {
                    self.depth_mismatch(i, d.max(0) as usize, st.stack.len());
                }
                continue;
            }
            // Exception edges: the handler sees the stack below its depth.
            let covers = match cover_at.get(i..i + 2) {
                Some(&[a, b]) => &covering[a..b],
                _ => &[],
            };
            for &k in covers {
                let e = &inp.excepts[k];
                let Some(hd) = inp.analysis.handler_depths.get(k).copied().flatten() else {
                    continue;
                };
                // A handler entered at a guessed depth (inferred from
                // regions where some depths are not known) has nothing to
                // compare with.
                if inp
                    .analysis
                    .unknown
                    .get(e.handler)
                    .copied()
                    .unwrap_or(false)
                {
                    continue;
                }
                let hd = hd as usize;
                let pops = self.pops(i, &st);
                // 3.15's generator expressions keep their iterator on the
                // stack, and the generator's catch-all handler keeps its
                // depth after the loop has dropped it. That handler reads
                // only what unwinding pushes, so a shallower stack is
                // harmless there.
                if st.stack.len() < hd + pops
                    && inp.table.stopiteration_handler_keeps_body_depth
                    && is_stopiteration_handler(inp.table, inp.instrs, e.handler)
                {
                    continue;
                }
                if st.stack.len() < hd + pops {
                    // Once per entry: every instruction of its range would
                    // say the same.
                    if std::mem::replace(&mut handler_reported[k], true) {
                        continue;
                    }
                    self.report(
                        i,
                        "handler-depth",
                        format!(
                            "if {} raises, the stack holds {} item{} but its handler expects {hd}: the interpreter would run the handler over the wrong slots",
                            self.name(i),
                            st.stack.len().saturating_sub(pops),
                            if st.stack.len().saturating_sub(pops) == 1 { "" } else { "s" },
                        ),
                        Some((e.handler.min(n.saturating_sub(1)), "the handler".into())),
                    );
                    if let Some(f) = self
                        .out
                        .findings
                        .last_mut()
                        .filter(|f| f.at == i && f.code == "handler-depth")
                    {
                        f.except = Some(k);
                    }
                    continue;
                }
                let mut h = State {
                    stack: st.stack[..hd].to_vec(),
                    locals: st.locals.clone(),
                };
                // A suspended generator is thrown into after the sent
                // value (None) takes the yielded value's place.
                if inp.instrs[i].op.map(op_of) == Some(Op::YIELD_VALUE) && hd == st.stack.len() {
                    if let Some(top) = h.stack.last_mut() {
                        *top = Slot::of(OTHER);
                    }
                }
                let base_id = (n as u32 + 1 + k as u32).saturating_mul(4);
                if e.lasti {
                    h.scrub(base_id + 1);
                    h.stack.push(Slot {
                        id: base_id + 1,
                        ..Slot::of(LASTI)
                    });
                }
                h.scrub(base_id + 2);
                h.stack.push(Slot {
                    id: base_id + 2,
                    ..Slot::of(EXC)
                });
                self.merge(&mut state, &mut work, e.handler, h);
            }
            let Some(op) = inp.instrs[i].op else { continue };
            self.uses_of_functions(i, &st);
            let before = self.out.findings.len();
            let (fall, jump) = self.step(i, op, st);
            // A value of the wrong kind was reported here: what the
            // instruction leaves is not known, and what follows from it is
            // not reported again.
            if self.out.findings.len() > before {
                reported_at[i] = true;
            }
            if reported_at[i] {
                continue;
            }
            let flow = flow_of(op);
            if matches!(flow, Flow::Branch | Flow::Jump) {
                if let (Some(t), Some(s)) = (inp.instrs[i].target, jump) {
                    // (A SETUP_*'s jump is its handler's entry by an
                    // exception.)
                    let s = match op.arg == ArgKind::Handler {
                        true => Some(s),
                        false => self.enter_finally(i, t, s, &finally_at),
                    };
                    if let Some(s) = s {
                        self.merge(&mut state, &mut work, t, s);
                    }
                }
            }
            if matches!(flow, Flow::Next | Flow::Branch) {
                if let Some(s) = fall.and_then(|s| self.enter_finally(i, i + 1, s, &finally_at)) {
                    self.merge(&mut state, &mut work, i + 1, s);
                }
            }
        }
        if let Some(run) = run {
            run.end(
                self,
                &state,
                steps,
                finished,
                &reported_at,
                &handler_reported,
            );
        }
        walked
    }

    /// 3.6-3.7 (`unwinds_by_why`): code that falls or jumps into a
    /// `finally` body (`finally_at`) enters it with None on top, which
    /// END_FINALLY and WITH_CLEANUP_START take for "go on": followed as
    /// 3.8's BEGIN_FINALLY NULL is, over the five slots the compiler counts
    /// besides. Anything else there they would take for a `why` code or an
    /// exception (`None`: reported).
    fn enter_finally(
        &mut self,
        from: usize,
        t: usize,
        mut s: State,
        finally_at: &[bool],
    ) -> Option<State> {
        if !finally_at.get(t).copied().unwrap_or(false) {
            return Some(s);
        }
        let top = s.stack.pop().unwrap_or(Slot::of(NULL));
        if top.bits & !NONE != 0 {
            let m = format!(
                "code that goes on into a `finally` body must leave None on top, which END_FINALLY takes for \"go on\", but may leave {}: CPython would take it for a return, a break or an exception",
                describe(top.bits)
            );
            self.report(
                from,
                "finally-entry",
                m,
                Some((t, "the `finally` body starts here".into())),
            );
            return None;
        }
        // Below the block's base (its exception entry's depth less the
        // six it pushes), the values the code gave back since are counted
        // still: see `GONE`.
        let entry = self.inp.analysis.depths.get(t).copied().flatten();
        let gone = stack::gone_below_finally(entry, s.stack.len() as i64);
        s.stack.extend((0..gone).map(|_| Slot::of(GONE)));
        s.stack.extend([Slot::of(FIN_PAD); FINALLY_SLOTS - 1]);
        s.stack.push(Slot::of(FIN_NULL));
        Some(s)
    }

    fn merge(&mut self, state: &mut [Option<Box<State>>], work: &mut Work, t: usize, s: State) {
        if t >= state.len() {
            return;
        }
        match &mut state[t] {
            None => {
                state[t] = Some(Box::new(s));
                work.push(t);
            }
            Some(old) if old.stack.len() == s.stack.len() => {
                let mut lost = Vec::new();
                if old.join_from(&s, &mut lost) {
                    work.push(t);
                }
                // Where paths meet, a function no longer has one origin:
                // whatever happens to it next is not known to be a call.
                for n in lost {
                    self.escape(t.min(self.inp.instrs.len().saturating_sub(1)), n);
                }
            }
            // 3.8: CPython's stack depth keeps the largest of the paths,
            // but every path into a `finally` block brings the same slots
            // in this model (`CALL_FINALLY` pads its return offset), so
            // one that brings another number of them is code the
            // interpreter would run over the wrong values.
            Some(old) if finally_model(self.inp.table) => {
                let (first, second) = (old.stack.len(), s.stack.len());
                self.depth_mismatch(t, first, second);
            }
            Some(_) => {}
        }
    }

    /// Local `x`, holding `l`, read by instruction `i` without a check:
    /// a NULL stored there (from `LOAD_FAST_AND_CLEAR`), or a cell or free
    /// variable not made yet (definite assignment counts those as made at
    /// the start), is this analysis's to report. The value read is not
    /// NULL past that.
    fn unchecked_read(&mut self, i: usize, x: usize, l: Slot) -> Slot {
        let cellish = self
            .inp
            .vars
            .get(x)
            .is_some_and(|(_, k)| k & (kind::CELL | kind::FREE) != 0);
        let misplaced = self.misplaced_free(i, x, l);
        if !misplaced && l.bits & NULL != 0 && (l.f & F_STORED_NULL != 0 || cellish) {
            self.report(
                i,
                "stack-null",
                format!(
                    "{} may read a NULL stored in this local: CPython would crash",
                    self.name(i)
                ),
                None,
            );
        }
        let mut v = l.non_null();
        v.f &= !F_STORED_NULL;
        v
    }

    /// 3.8: paths reach instruction `at` with `first` and `second` stack
    /// items (see `merge`).
    fn depth_mismatch(&mut self, at: usize, first: usize, second: usize) {
        let at = at.min(self.inp.instrs.len().saturating_sub(1));
        self.report(
            at,
            "stack-mismatch",
            format!(
                "paths reach {} with {first} and with {second} stack items: the interpreter would run it over the wrong values",
                self.name(at)
            ),
            None,
        );
    }

    fn escape(&mut self, at: usize, konst: u32) {
        self.out.functions.push(MadeFunction {
            at,
            konst: konst as usize,
            need: Need::Escapes,
        });
    }

    /// What instruction `i` does with the functions it takes off the
    /// stack: calling one directly records the kinds of its first
    /// arguments (a function with the compiler's hidden parameters must get
    /// what they promise); anything else lets it escape.
    fn uses_of_functions(&mut self, i: usize, st: &State) {
        let Some(op) = self.inp.instrs[i].op else {
            return;
        };
        let d = st.stack.len();
        let a = self.inp.instrs[i].arg as usize;
        let split_call = self.inp.table.args_at_precall;
        let kw_names = |j: usize| self.inp.instrs[j].op.map(op_of) == Some(Op::KW_NAMES);
        let keywords = i > 0 && kw_names(i - 1) || split_call && i > 1 && kw_names(i - 2);
        // A direct call: the stack holds two slots and then the arguments;
        // 3.11 and 3.12 put [NULL or method, callable or self], 3.13+
        // [callable, NULL or self]. Which one is the function called, and
        // the arguments it gets (a self first when the slot beside it is
        // not NULL: the compiler calls a comprehension's function with its
        // iterator that way). Otherwise, how many slots it takes, and one
        // of them it puts back unchanged.
        let sets_type_params =
            self.inp.table.intrinsic2.get(a).copied() == Some("INTRINSIC_SET_FUNCTION_TYPE_PARAMS");
        let (is_call, removed, kept) = match facts(op.op).functions {
            FunctionUse::CallFunction if a < d => {
                // [callable, args...]: the callable is called directly.
                let f = st.stack[d - a - 1];
                let args = &st.stack[d - a..];
                let mut called = None;
                if f.bits == FUNC && f.n != UNKNOWN {
                    let mut k3 = [0u32; 3];
                    for (k, x) in k3.iter_mut().enumerate() {
                        *x = args.get(k).map_or(0, |x| x.bits);
                    }
                    self.out.functions.push(MadeFunction {
                        at: i,
                        konst: f.n as usize,
                        need: Need::Call(k3, a.min(u32::MAX as usize) as u32),
                    });
                    called = Some(f.id);
                }
                for x in std::iter::once(f).chain(args.iter().copied()) {
                    let is_called = called.is_some_and(|c| c == x.id && x.bits == FUNC && c != 0);
                    if x.bits & FUNC != 0 && x.n != UNKNOWN && !is_called {
                        self.out.functions.push(MadeFunction {
                            at: i,
                            konst: x.n as usize,
                            need: Need::Escapes,
                        });
                    }
                }
                return;
            }
            FunctionUse::CallFunction | FunctionUse::Takes => (false, self.pops(i, st), None),
            FunctionUse::Precall => (true, 0, None),
            // 3.11's CALL takes the two slots PRECALL already looked at.
            FunctionUse::Call if split_call => (false, 0, None),
            FunctionUse::Call => (true, self.pops(i, st), None),
            FunctionUse::Yields => (false, 1, None),
            FunctionUse::SetsAttribute => (false, 2, Some(d.wrapping_sub(1))),
            FunctionUse::Intrinsic2 if sets_type_params => (false, 2, Some(d.wrapping_sub(2))),
            FunctionUse::Intrinsic2 => (false, self.pops(i, st), None),
        };
        let mut records = Vec::new();
        if is_call && a + 2 <= d {
            let (lo, hi) = (st.stack[d - a - 2], st.stack[d - a - 1]);
            let args = &st.stack[d - a..];
            // (function, its arguments' kinds) when decidable.
            let decided: Option<(Slot, Vec<u32>)> = if self.late {
                match hi.bits {
                    NULL => Some((lo, args.iter().map(|x| x.bits).collect())),
                    b if b & NULL == 0 => Some((
                        lo,
                        std::iter::once(b)
                            .chain(args.iter().map(|x| x.bits))
                            .collect(),
                    )),
                    _ => None,
                }
            } else {
                match lo.bits {
                    NULL => Some((hi, args.iter().map(|x| x.bits).collect())),
                    b if b & NULL == 0 => Some((
                        lo,
                        std::iter::once(hi.bits)
                            .chain(args.iter().map(|x| x.bits))
                            .collect(),
                    )),
                    _ => None,
                }
            };
            let mut called = None;
            if let Some((f, kinds)) = decided {
                if f.bits == FUNC && f.n != UNKNOWN && !keywords {
                    let mut k3 = [0u32; 3];
                    for (k, x) in k3.iter_mut().enumerate() {
                        *x = kinds.get(k).copied().unwrap_or(0);
                    }
                    records.push(MadeFunction {
                        at: i,
                        konst: f.n as usize,
                        need: Need::Call(k3, kinds.len().min(u32::MAX as usize) as u32),
                    });
                    called = Some(f.id);
                }
            }
            // Everything else involved escapes (as arguments, or as a
            // callable that is not known to be called directly).
            for x in std::iter::once(lo)
                .chain(std::iter::once(hi))
                .chain(args.iter().copied())
            {
                let is_called = called.is_some_and(|c| c == x.id && x.bits == FUNC && c != 0);
                if x.bits & FUNC != 0 && x.n != UNKNOWN && !is_called {
                    records.push(MadeFunction {
                        at: i,
                        konst: x.n as usize,
                        need: Need::Escapes,
                    });
                }
            }
        } else {
            for p in d.saturating_sub(removed)..d {
                let x = st.stack[p];
                if Some(p) != kept && x.bits & FUNC != 0 && x.n != UNKNOWN {
                    records.push(MadeFunction {
                        at: i,
                        konst: x.n as usize,
                        need: Need::Escapes,
                    });
                }
            }
        }
        self.out.functions.extend(records);
    }

    /// How many slots instruction `i` removes before it pushes: the level
    /// an exception can leave the stack at is at least the depth less this.
    fn pops(&self, i: usize, st: &State) -> usize {
        let ins = &self.inp.instrs[i];
        let Some(op) = ins.op else { return 0 };
        removes(self.inp.table, op, ins.arg, st.stack.len())
    }

    /// Whether name (or, with `var`, local) `k` is 3.14's set of
    /// conditional annotations.
    fn names_conditional(&self, k: usize, var: bool) -> bool {
        if !self.inp.table.conditional_annotations_set {
            return false;
        }
        let n = if var {
            self.inp.vars.get(k).map(|v| &v.0)
        } else {
            self.inp.names.get(k)
        };
        n.and_then(|n| n.as_str()) == Some(CONDITIONAL_ANNOTATIONS)
    }

    /// Checks that a slot is not NULL.
    fn need_obj(&mut self, i: usize, s: Slot, what: &str) {
        if s.bits & NULL != 0 {
            let m = if s.bits == NULL {
                format!("{} {what} a NULL: CPython would crash here", self.name(i))
            } else {
                format!(
                    "{} {what} a value that is NULL on some path: CPython would crash there",
                    self.name(i)
                )
            };
            self.report(i, "stack-null", m, None);
        }
    }

    /// Checks that a slot that must be an exact bool is not proven to be
    /// something else on some path. Unknown objects may be bools, so only
    /// the kinds the analysis knows are not bools are reported.
    fn need_bool(&mut self, i: usize, s: Slot) {
        let not_bool = s.bits & !(MAYBE_BOOL | NULL);
        if not_bool == 0 {
            return;
        }
        let some = if s.bits & (MAYBE_BOOL | NULL) == 0 {
            ""
        } else {
            "on some path "
        };
        let m = format!(
            "{} needs an exact bool, but {some}receives {}: CPython compares it with True or False by identity and misreads any other object",
            self.name(i),
            describe(not_bool)
        );
        self.report_help(i, "operand-kind", m, None, "insert `TO_BOOL` before it");
    }

    /// Checks that local `x` holds a cell.
    fn need_cell(&mut self, i: usize, x: usize, cell: Slot) {
        if !self.misplaced_free(i, x, cell) {
            self.need(i, cell, CELL, "in its local");
        }
    }

    /// Reports a read of free variable `x`, holding `l`, that may be NULL
    /// because `x` is declared before some other local: `COPY_FREE_VARS n`
    /// copies the closure into the last `n` slots, whatever they are, and
    /// never fills `x`. Says whether it did.
    fn misplaced_free(&mut self, i: usize, x: usize, l: Slot) -> bool {
        let vars = self.inp.vars;
        let free = |k: u8| k & kind::FREE != 0;
        let nfree = vars.iter().filter(|(_, k)| free(*k)).count();
        let misplaced = vars.get(x).is_some_and(|(_, k)| free(*k)) && x < vars.len() - nfree;
        if !misplaced || l.bits & NULL == 0 {
            return false;
        }
        let name = crate::syntax::literal::name_text(vars[x].0);
        let m = format!(
            "{} reads free variable `{name}`, which is never filled: COPY_FREE_VARS copies the closure into the last {nfree} local{}, and `{name}` is local #{x} of {}",
            self.name(i),
            if nfree == 1 { "" } else { "s" },
            vars.len()
        );
        let before = self.out.findings.len();
        self.report(i, "stack-null", m, None);
        if let Some(f) = self.out.findings.get_mut(before) {
            f.displaced_by = (x + 1..vars.len())
                .filter(|&j| !free(vars[j].1))
                .map(|j| j as u32)
                .collect();
            f.help = Some("declare free variables last, after every cell and plain local; locals used but not declared are added after the declared ones, so declare those too".into());
        }
        true
    }

    /// Checks that a slot holds only the kinds in `want`.
    fn need(&mut self, i: usize, s: Slot, want: u32, what: &str) {
        if s.bits & NULL != 0 && want & NULL == 0 {
            self.need_obj(i, s, "receives");
            return;
        }
        if s.bits & !want == 0 {
            self.out.relied |= s.hid;
            self.section_relied |= s.hid;
        } else {
            let m = format!(
                "{} needs {} {what}, but may receive {}: CPython does not check, and would misbehave or crash",
                self.name(i),
                describe(want),
                describe(s.bits & !want)
            );
            self.report(i, "operand-kind", m, None);
        }
    }

    /// 3.8: `top` is what `END_FINALLY` (or `POP_FINALLY`,
    /// `WITH_CLEANUP_START`) decides from, which must be one of `allowed`:
    /// any other value would be taken for an exception or a return offset.
    fn need_finally_top(&mut self, i: usize, top: Slot, allowed: u32) {
        let bad = top.bits & !allowed;
        if bad != 0 {
            let some = if top.bits & allowed != 0 {
                "on some path "
            } else {
                ""
            };
            let m = format!(
                "{} needs what a `finally` block is entered with on top of the stack ({}), but {some}finds {}: CPython would take it for an exception or a return offset and crash",
                self.name(i),
                describe(allowed),
                describe(bad)
            );
            self.report(i, "finally-entry", m, None);
        }
    }

    /// Removes and returns the top `k` slots, bottom first.
    fn take(s: &mut State, k: usize) -> Vec<Slot> {
        let k = k.min(s.stack.len());
        s.stack.split_off(s.stack.len() - k)
    }

    /// The state after instruction `i` on falling through and on jumping
    /// (`None`: that way cannot be taken).
    fn step(&mut self, i: usize, op: &'static OpInfo, st: State) -> (Option<State>, Option<State>) {
        let inp = self.inp;
        let a = inp.instrs[i].arg;
        let argc = a as usize;
        let d = st.stack.len();
        let o = op.op;
        let id = |k: u32| (i as u32).saturating_mul(4).saturating_add(k + 1);
        let take = Self::take;
        let null = Slot::of(NULL);
        let other = Slot::of(OTHER);
        let mut s = st;
        // What is pushed on falling through, and on jumping when it differs;
        // a jump state when the jump changes more than what is pushed.
        let mut push: Vec<Slot> = Vec::new();
        let mut jump_push: Option<Vec<Slot>> = None;
        let mut jump_state: Option<State> = None;
        let mut fall_ok = true;
        let mut jump_ok = true;
        let mut generic = false;
        // The jump state is already as deep as it must be (3.8's
        // CALL_FINALLY, deeper than the table's effect says).
        let mut jump_sized = false;
        // The fall-through state is as this model leaves it (the stack
        // analysis counts the same: see `GONE`).
        let mut fall_sized = false;
        let marked = finally_model(inp.table);
        // A handler's entry is followed as the exception it saved, which
        // POP_EXCEPT restores, and the one raised: wherever a block stack
        // enters it (3.6-3.10), not only with 3.8's `finally` protocol.
        let saves = inp.table.block_stack;
        if marked
            && !matches!(
                o,
                Op::END_FINALLY
                    | Op::POP_FINALLY
                    | Op::WITH_CLEANUP_START
                    | Op::WITH_CLEANUP_FINISH
            )
        {
            let k = (inputs(inp.table, op, a).max(0) as usize).min(d);
            if let Some(x) = s.stack[d - k..]
                .iter()
                .rev()
                .find(|x| x.bits & FINALLY_ONLY != 0)
            {
                let m = format!(
                    "{} reads {}, which only END_FINALLY, POP_FINALLY and a `with` statement's cleanup may take: CPython would run over the wrong values",
                    self.name(i),
                    describe(x.bits & FINALLY_ONLY)
                );
                self.report(i, "finally-entry", m, None);
                return (None, None);
            }
        }
        match o {
            // A handler is entered with six values: the exception saved
            // before, then the one raised, its type on top. (3.8's
            // `finally` protocol, `finally_entry_marked`, also enters a
            // `finally` block with BEGIN_FINALLY's NULL or CALL_FINALLY's
            // return offset over the slots the compiler counts but that
            // hold nothing: their own arms below.) Which values POP_EXCEPT
            // restores, the block stack's walk does not know.
            Op::SETUP_FINALLY | Op::SETUP_EXCEPT | Op::SETUP_WITH | Op::SETUP_ASYNC_WITH if saves => {
                let k = (inputs(inp.table, op, a).max(0) as usize).min(d);
                for x in take(&mut s, k) {
                    self.need_obj(i, x, "uses");
                }
                // The exception saved before (traceback, value, type,
                // each one of its own identity, for POP_EXCEPT), then the
                // one raised, its type on top.
                let saved = |k: u32| Slot {
                    id: id(k),
                    ..Slot::of(EXC_SAVED)
                };
                let exc_entry = [
                    saved(1),
                    saved(2),
                    saved(3),
                    other,
                    other,
                    Slot::of(EXC),
                ];
                let fall = d as i64 + effect(op, a, false) as i64;
                let base = d as i64 + effect(op, a, true) as i64 - exc_entry.len() as i64;
                let mut j = s.clone();
                j.stack.resize(base.max(0) as usize, other);
                j.stack.extend(exc_entry);
                jump_state = Some(j);
                jump_push = Some(Vec::new());
                s.stack.resize(fall.max(0) as usize, other);
            }
            // It restores the three values on top as the exception its
            // handler saved, whatever they are.
            Op::POP_EXCEPT if saves && d >= 3 => {
                let v = take(&mut s, 3);
                let first = v[0].id;
                let whole = first != 0
                    && v.iter().all(|x| x.bits == EXC_SAVED)
                    && v[1].id == first.wrapping_add(1)
                    && v[2].id == first.wrapping_add(2);
                if !whole {
                    let m = format!(
                        "{} needs the three values of the exception its handler saved on top of the stack, in their order, but may find {}: CPython would make them the current exception",
                        self.name(i),
                        describe(v.iter().fold(0, |b, x| b | x.bits))
                    );
                    self.report(i, "operand-kind", m, None);
                }
            }
            // 3.6-3.7: it leaves the blocks above its loop, which cut the
            // stack to the level of the lowest of them (the block-stack
            // walk checks that this is the depth its target has).
            Op::CONTINUE_LOOP if inp.table.unwinds_by_why => {
                let want = inp.instrs[i]
                    .target
                    .and_then(|t| inp.analysis.depths.get(t).copied().flatten())
                    .map_or(d, |w| (w.max(0) as usize).min(d));
                let mut j = s.clone();
                j.stack.truncate(want);
                jump_state = Some(j);
                jump_push = Some(Vec::new());
                jump_sized = true;
            }
            Op::BEGIN_FINALLY if marked => {
                push.extend([Slot::of(FIN_PAD); 5]);
                push.push(Slot::of(FIN_NULL));
            }
            Op::CALL_FINALLY if marked => {
                // Padded to the depth CPython counts the block with.
                let t = inp.instrs[i].target;
                let want = t
                    .and_then(|t| inp.analysis.depths.get(t).copied().flatten())
                    .unwrap_or(d as i32 + 1);
                // From the block's base depth, the stack below is the one
                // the block's other entries bring, and POP_FINALLY goes on
                // with it. From another depth (a `return` keeps its value
                // under the offset, an `except` body has given back the
                // exception it saved), nothing under the offset may be
                // read: only END_FINALLY, returning, ends such an entry.
                let depth = (want as i64 - 1).max(d as i64) as usize;
                let mut j = s.clone();
                if depth != d + FINALLY_SLOTS - 1 {
                    j.stack = vec![Slot::of(RET_PAD); depth];
                } else {
                    j.stack.resize(depth, Slot::of(RET_PAD));
                }
                j.stack.push(Slot::of(FIN_RET));
                jump_state = Some(j);
                jump_push = Some(Vec::new());
                jump_sized = true;
            }
            Op::END_FINALLY if marked && d >= 6 => {
                let v = take(&mut s, 6);
                self.need_finally_top(i, v[5], FIN_NULL | FIN_RET | EXC);
                // It goes on only after BEGIN_FINALLY's NULL: an exception
                // is raised again, and a return offset jumps back to its
                // CALL_FINALLY, whose padding is then not there.
                // Nor are the slots a None entry counted for values
                // given back before it.
                while s.stack.last().is_some_and(|x| x.bits & GONE != 0) {
                    s.stack.pop();
                    fall_sized = true;
                }
                for x in &mut s.stack {
                    x.bits &= !RET_PAD;
                    fall_ok &= x.bits != 0;
                }
                fall_ok &= v[5].bits & FIN_NULL != 0;
            }
            Op::POP_FINALLY if marked && d >= 6 + usize::from(a != 0) => {
                let res = if a != 0 { take(&mut s, 1).pop() } else { None };
                if let Some(r) = res {
                    self.need_obj(i, r, "keeps");
                    if r.bits & FINALLY_ONLY != 0 {
                        self.need_finally_top(i, r, !FINALLY_ONLY);
                    }
                }
                let v = take(&mut s, 6);
                self.need_finally_top(i, v[5], FIN_NULL | FIN_RET | EXC);
                push.extend(res.map(|r| Slot { id: 0, ..r }));
            }
            Op::WITH_CLEANUP_START if marked && d >= 7 => {
                let v = take(&mut s, 7);
                if v[0].bits & FINALLY_ONLY != 0 {
                    self.need_finally_top(i, v[0], !FINALLY_ONLY);
                }
                self.need_obj(i, v[0], "calls as the exit function");
                self.need_finally_top(i, v[6], FIN_NULL | EXC);
                push.extend_from_slice(&v[1..]);
                push.extend([Slot::of(FIN_PAD), Slot::of(WITH_EXC), other]);
            }
            Op::WITH_CLEANUP_FINISH if marked && d >= 3 => {
                let v = take(&mut s, 3);
                if v[2].bits & FINALLY_ONLY != 0 {
                    self.need_finally_top(i, v[2], !FINALLY_ONLY);
                }
                self.need_obj(i, v[2], "tests");
                // An exception the exit function suppressed is replaced by
                // a NULL for END_FINALLY.
                if let Some(top) = s.stack.last_mut() {
                    if top.bits & EXC != 0 {
                        top.bits |= FIN_NULL;
                    }
                }
                if v[1].bits & !WITH_EXC != 0 || v[0].bits & !FIN_PAD != 0 {
                    let m = format!(
                        "{} needs what WITH_CLEANUP_START leaves under the exit's result: CPython would unwind a block that is not there",
                        self.name(i)
                    );
                    self.report(i, "finally-entry", m, None);
                }
            }
            Op::NOP
            | Op::RESUME
            | Op::CACHE
            | Op::EXTENDED_ARG
            | Op::NOT_TAKEN
            | Op::RESERVED
            | Op::ENTER_EXECUTOR
            | Op::TRACE_RECORD
            | Op::SETUP_ANNOTATIONS
            | Op::JUMP_FORWARD
            | Op::JUMP_BACKWARD
            | Op::JUMP_BACKWARD_NO_INTERRUPT
            | Op::KW_NAMES
            | Op::DELETE_NAME
            | Op::DELETE_GLOBAL => {}
            // Only 3.6-3.10 have these, and their code never reaches the
            // analyses yet (see `facts`).
            // 3.6-3.10: [callable, args..., names], the names a tuple the
            // interpreter counts without checking.
            Op::CALL_FUNCTION_KW if argc.saturating_add(2) <= d => {
                let v = take(&mut s, argc + 2);
                self.need_obj(i, v[0], "calls as the callable");
                for x in &v[1..=argc] {
                    self.need_obj(i, *x, "passes as an argument");
                }
                let names = v[argc + 1];
                self.need(i, names, TUPLE, "(the keyword names) on top");
                if names.bits == TUPLE && (names.n == UNKNOWN || names.n as usize > argc) {
                    self.report(
                        i,
                        "call-sequence",
                        format!("CALL_FUNCTION_KW {argc} needs keyword names it can count, no more than its {argc} arguments"),
                        None,
                    );
                }
                push.push(Slot { id: id(0), ..other });
            }
            // 3.7-3.10: [NULL or method, callable or self, args...], as
            // LOAD_METHOD leaves them.
            Op::CALL_METHOD if argc.saturating_add(2) <= d => {
                let v = take(&mut s, argc + 2);
                self.need_obj(i, v[1], "calls as the callable");
                for x in &v[2..] {
                    self.need_obj(i, *x, "passes as an argument");
                }
                push.push(Slot { id: id(0), ..other });
            }
            Op::COPY_FREE_VARS => {
                let nl = s.locals.len();
                for x in nl.saturating_sub(argc)..nl {
                    s.locals.set(x, Slot::of(CELL));
                }
            }
            Op::MAKE_CELL => {
                self.borrowed(i, &s, argc);
                s.locals.set(argc, Slot::of(CELL));
            }
            Op::DELETE_FAST => {
                // Raises when the local is unbound; empties it.
                self.write_local(i, argc, null);
                self.borrowed(i, &s, argc);
                s.locals.set(argc, null);
            }
            Op::DELETE_DEREF => {
                // A variable past the table is `undefined-name` (the
                // verifier's), not a NULL read here.
                if let Some(cell) = s.locals.get(argc) {
                    self.need_cell(i, argc, cell);
                }
            }
            Op::STORE_NAME | Op::STORE_GLOBAL if self.names_conditional(argc, false) => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                self.need(
                    i,
                    v,
                    SET,
                    "(the set of conditional annotations) as its value",
                );
            }
            Op::PUSH_NULL => push.push(Slot { id: id(0), ..null }),
            Op::LOAD_CONST | Op::RETURN_CONST => {
                let mut slot = kept::const_kind(inp.consts.get(argc).copied(), a);
                slot.id = id(0);
                if o == Op::LOAD_CONST {
                    push.push(slot);
                }
            }
            Op::LOAD_NAME | Op::LOAD_FROM_DICT_OR_GLOBALS
                if self.names_conditional(argc, false) =>
            {
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(SET)
                })
            }
            // 3.15 loads None and '' this way.
            Op::LOAD_COMMON_CONSTANT => {
                let slot = match inp.table.common_constants.get(argc).copied() {
                    Some("None") => Slot::of(NONE),
                    Some("''") => Slot::of(STR),
                    _ => other,
                };
                push.push(Slot { id: id(0), ..slot });
            }
            Op::LOAD_SMALL_INT => push.push(Slot {
                id: id(0),
                ..Slot::of(NOT_BOOL)
            }),
            Op::LOAD_ASSERTION_ERROR | Op::LOAD_BUILD_CLASS | Op::LOAD_NAME | Op::LOAD_LOCALS => {
                push.push(Slot { id: id(0), ..other })
            }
            Op::LOAD_GLOBAL => {
                // 3.11 on: `(name << 1) | push_null`; before, the name.
                let shift = op.arg.name_shift().unwrap_or(0);
                let v = if self.names_conditional(argc >> shift, false) {
                    Slot {
                        id: id(0),
                        ..Slot::of(SET)
                    }
                } else {
                    Slot { id: id(0), ..other }
                };
                let nul = Slot { id: id(1), ..null };
                match (shift > 0 && a & 1 == 1, self.late) {
                    (false, _) => push.push(v),
                    (true, true) => push.extend([v, nul]),
                    (true, false) => push.extend([nul, v]),
                }
            }
            Op::LOAD_FAST
            | Op::LOAD_FAST_CHECK
            | Op::LOAD_FAST_BORROW
            | Op::LOAD_CLOSURE
            | Op::LOAD_FAST_LOAD_FAST
            | Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW => {
                let pair = facts(o).locals == LocalUse::ReadsPair;
                let idx: Vec<usize> = if pair {
                    vec![argc >> 4, argc & 15]
                } else {
                    vec![argc]
                };
                // 3.11's LOAD_FAST, LOAD_FAST_CHECK and LOAD_CLOSURE raise
                // on an unbound local. The others read the NULL: the
                // definite-assignment check reports never-assigned locals;
                // a NULL stored there (from LOAD_FAST_AND_CLEAR) is this
                // analysis's to report.
                let checks = inp.table.load_fast_checks_unbound
                    || o == Op::LOAD_FAST_CHECK
                    || o == Op::LOAD_CLOSURE;
                for &x in &idx {
                    let l = s.locals.get(x).unwrap_or(null);
                    let cellish = inp
                        .vars
                        .get(x)
                        .is_some_and(|(_, k)| k & (kind::CELL | kind::FREE) != 0);
                    if l.bits == NULL && l.f & F_STORED_NULL == 0 && !cellish {
                        // No path assigns it: definite assignment reports
                        // the read, and nothing that follows from it is
                        // known.
                        fall_ok = false;
                        jump_ok = false;
                    }
                    let mut v = if checks {
                        // A free variable the closure never fills raises
                        // here; reported as the order it is declared in.
                        self.misplaced_free(i, x, l);
                        let mut v = l.non_null();
                        v.f &= !F_STORED_NULL;
                        v
                    } else {
                        self.unchecked_read(i, x, l)
                    };
                    if o == Op::LOAD_FAST_BORROW || o == Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW {
                        v.borrow |= 1u64 << (x % 64);
                    }
                    push.push(v);
                }
                match s.locals.get(argc) {
                    Some(l) if checks && l.bits & NULL != 0 => {
                        // Past the check the local holds a value.
                        let mut l = l.non_null();
                        l.f &= !F_STORED_NULL;
                        s.locals.set(argc, l);
                    }
                    _ => {}
                }
            }
            Op::LOAD_FAST_AND_CLEAR => {
                self.write_local(i, argc, null);
                self.borrowed(i, &s, argc);
                let v = s.locals.get(argc).unwrap_or(null);
                s.locals.set(argc, null);
                push.push(v);
            }
            Op::STORE_FAST => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                self.write_local(i, argc, v);
                self.borrowed(i, &s, argc);
                store(&mut s, argc, v);
            }
            Op::STORE_FAST_LOAD_FAST => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                self.need_obj(i, v, "stores");
                self.write_local(i, argc >> 4, v);
                self.borrowed(i, &s, argc >> 4);
                store(&mut s, argc >> 4, v);
                let l = s.locals.get(argc & 15).unwrap_or(null);
                push.push(self.unchecked_read(i, argc & 15, l));
            }
            Op::STORE_FAST_STORE_FAST => {
                let v = take(&mut s, 2);
                for x in &v {
                    self.need_obj(i, *x, "stores");
                }
                let (hi, lo) = (
                    v.get(1).copied().unwrap_or(other),
                    v.first().copied().unwrap_or(other),
                );
                self.write_local(i, argc >> 4, hi);
                self.write_local(i, argc & 15, lo);
                self.borrowed(i, &s, argc >> 4);
                self.borrowed(i, &s, argc & 15);
                store(&mut s, argc >> 4, hi);
                store(&mut s, argc & 15, lo);
            }
            Op::LOAD_DEREF
            | Op::STORE_DEREF
            | Op::LOAD_CLASSDEREF
            | Op::LOAD_FROM_DICT_OR_DEREF => {
                if let Some(cell) = s.locals.get(argc) {
                    self.need_cell(i, argc, cell);
                }
                let k = (o == Op::STORE_DEREF || o == Op::LOAD_FROM_DICT_OR_DEREF) as usize;
                let taken = take(&mut s, k);
                for x in &taken {
                    self.need_obj(i, *x, "uses");
                }
                let conditional = self.names_conditional(argc, true);
                if o != Op::STORE_DEREF {
                    push.push(Slot {
                        id: id(0),
                        ..Slot::of(if conditional { SET } else { OTHER })
                    });
                } else if conditional {
                    if let Some(v) = taken.first() {
                        self.need(
                            i,
                            *v,
                            SET,
                            "(the set of conditional annotations) as its value",
                        );
                    }
                }
                if o == Op::LOAD_CLASSDEREF && inp.flags & 0x1 != 0 {
                    self.report(
                        i,
                        "operand-kind",
                        "LOAD_CLASSDEREF reads the frame's locals dict, which optimized (function) code does not have".into(),
                        None,
                    );
                }
            }
            // An iterator's second slot, an index or NULL, is only
            // dropped.
            Op::POP_ITER if inp.table.iterator_index_slot => {
                if let Some(x) = take(&mut s, 2).first() {
                    self.need_obj(i, *x, "drops");
                }
            }
            Op::POP_TOP | Op::POP_ITER | Op::END_FOR => {
                // As many as the table says (3.12's END_FOR drops the
                // iterator too).
                let k = (-op.stack_effect(a, false)).max(0) as usize;
                for x in take(&mut s, k) {
                    // 3.14's POP_TOP also drops NULLs (a `with` leaves
                    // LOAD_SPECIAL's NULL or self to it).
                    if !(o == Op::POP_TOP && inp.table.pop_top_takes_null) {
                        self.need_obj(i, x, "drops");
                    }
                }
            }
            Op::COPY if (1..=d).contains(&argc) => {
                let x = s.stack[d - argc];
                self.need_obj(i, x, "copies");
                push.push(x);
            }
            Op::SWAP if (2..=d).contains(&argc) => s.stack.swap(d - 1, d - argc),
            // 3.6-3.10's shuffles, as COPY and SWAP: the values keep their
            // kinds.
            Op::DUP_TOP if d >= 1 => {
                let x = s.stack[d - 1];
                self.need_obj(i, x, "copies");
                push.push(x);
            }
            Op::DUP_TOP_TWO if d >= 2 => {
                for x in [s.stack[d - 2], s.stack[d - 1]] {
                    self.need_obj(i, x, "copies");
                    push.push(x);
                }
            }
            Op::ROT_TWO | Op::ROT_THREE | Op::ROT_FOUR | Op::ROT_N => {
                // The top moves this far down.
                let n = match o {
                    Op::ROT_TWO => 2,
                    Op::ROT_THREE => 3,
                    Op::ROT_FOUR => 4,
                    _ => argc,
                };
                if (1..=d).contains(&n) {
                    let top = s.stack.pop().unwrap_or(other);
                    s.stack.insert(d - n, top);
                } else {
                    generic = true;
                }
            }
            // The receiver's two slots (the second may be NULL), then the
            // value.
            Op::END_SEND if inp.table.iterator_index_slot => {
                let v = take(&mut s, 3);
                for x in v.first().into_iter().chain(v.get(2)) {
                    self.need_obj(i, *x, "uses");
                }
                push.push(v.get(2).copied().unwrap_or(other));
            }
            Op::SEND if inp.table.iterator_index_slot && d >= 3 => {
                self.need_obj(i, s.stack[d - 3], "sends to");
                for x in take(&mut s, 1) {
                    self.need_obj(i, x, "sends");
                }
                push.push(other);
            }
            Op::END_SEND => {
                let v = take(&mut s, 2);
                for x in &v {
                    self.need_obj(i, *x, "uses");
                }
                push.push(v.get(1).copied().unwrap_or(other));
            }
            // What awaiting or `yield from` iterates.
            Op::GET_AWAITABLE | Op::GET_YIELD_FROM_ITER | Op::GET_ANEXT | Op::GET_AITER => {
                // GET_ANEXT reads its asynchronous iterator in place.
                let keeps = o == Op::GET_ANEXT;
                for x in take(&mut s, 1) {
                    self.need_obj(i, x, "uses");
                    if keeps {
                        push.push(x);
                    }
                }
                let bits = match o == Op::GET_AITER && !inp.table.get_aiter_awaits {
                    true => OTHER,
                    false => AWAIT_ITER,
                };
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(bits)
                });
            }
            Op::YIELD_FROM => {
                let v = take(&mut s, 2);
                if let Some(r) = v.first().filter(|_| v.len() == 2) {
                    if inp.table.yield_from_trusts_receiver {
                        self.need(
                            i,
                            *r,
                            ITER | AWAIT_ITER,
                            "under the value it sends (as GET_YIELD_FROM_ITER or GET_AWAITABLE leaves it)",
                        );
                    } else {
                        self.need_obj(i, *r, "sends to");
                    }
                }
                if let Some(x) = v.last() {
                    self.need_obj(i, *x, "sends");
                }
                push.push(other);
            }
            Op::GET_ITER => {
                for x in take(&mut s, 1) {
                    self.need_obj(i, x, "uses");
                }
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(ITER)
                });
                if inp.table.iterator_index_slot {
                    push.push(Slot { id: id(1), ..null });
                }
            }
            Op::FOR_ITER => {
                // The iterator may be under its index-or-NULL slot.
                let under = usize::from(inp.table.iterator_index_slot);
                let it = d.checked_sub(1 + under).map_or(null, |k| s.stack[k]);
                self.need(
                    i,
                    it,
                    ITER | GENCALL,
                    "on top of the stack (as GET_ITER leaves it)",
                );
                if under == 1 && it.bits & NULL == 0 {
                    // The slot above the iterator is the index or NULL
                    // that GET_ITER chose for it (a sequence is iterated
                    // by index, anything else by its iterator); another
                    // NULL or index makes FOR_ITER call what is not there.
                    // Only an iterable that GET_ITER kept can be a
                    // sequence; a generator a call made (3.14+'s inlined
                    // `any(...)`) is iterated with a NULL pushed by hand.
                    let c = s.stack.get(d.wrapping_sub(1)).copied().unwrap_or(null);
                    let made_by = |id: u32, k: u32| {
                        (id % 4 == k + 1)
                            .then(|| inp.instrs.get((id / 4) as usize))
                            .flatten()
                            .and_then(|ins| ins.op.map(op_of))
                    };
                    let from_get_iter = made_by(it.id, 0) == Some(Op::GET_ITER);
                    let own = made_by(c.id, 1) == Some(Op::GET_ITER) && it.id + 1 == c.id;
                    if from_get_iter && c.id != 0 && !own {
                        self.report(
                            i,
                            "operand-kind",
                            "FOR_ITER needs, above its iterator, the index or NULL that GET_ITER pushed with it, but receives another value: GET_ITER iterates a list or tuple by an index kept in that slot, and FOR_ITER would use the wrong one".into(),
                            None,
                        );
                    }
                }
                if it.bits & GENCALL != 0 {
                    if it.n == UNKNOWN {
                        self.report(
                            i,
                            "operand-kind",
                            "FOR_ITER iterates what a call returns, but which function was called is not known on every path".into(),
                            None,
                        );
                    } else {
                        self.out.functions.push(MadeFunction {
                            at: i,
                            konst: it.n as usize,
                            need: Need::Generator,
                        });
                    }
                }
                push.push(Slot { id: id(0), ..other });
                if inp.table.for_iter_exit == ForIterExit::PopsIterator {
                    // 3.11 pops the iterator when it jumps.
                    let mut j = s.clone();
                    j.stack.pop();
                    jump_state = Some(j);
                    jump_push = Some(vec![]);
                }
            }
            Op::RETURN_VALUE | Op::YIELD_VALUE => {
                for x in take(&mut s, 1) {
                    self.need_obj(i, x, "returns");
                }
                if o == Op::YIELD_VALUE {
                    // After a `yield from` or an `await`, gen.close() and
                    // gen.throw() read the receiver left under the value.
                    let after_yield_from = inp
                        .instrs
                        .get(i + 1)
                        .is_some_and(|nx| nx.op.map(op_of) == Some(Op::RESUME) && nx.arg & 3 >= 2);
                    if after_yield_from {
                        // The receiver's second slot (maybe NULL) may be
                        // between.
                        let under = usize::from(inp.table.iterator_index_slot);
                        let len = s.stack.len();
                        match len.checked_sub(1 + under).map(|k| s.stack[k]) {
                            Some(r) => self.need_obj(i, r, "leaves under its value (the receiver)"),
                            None => self.report(
                                i,
                                "operand-kind",
                                "after a yield from or await (the RESUME that follows says so), the receiver must be under the yielded value; the stack is empty there".into(),
                                None,
                            ),
                        }
                    }
                    push.push(other);
                }
            }
            Op::RETURN_GENERATOR => push.push(other),
            Op::PUSH_EXC_INFO => {
                let e = take(&mut s, 1).pop().unwrap_or(null);
                self.need(i, e, EXC, "(the exception a handler starts with)");
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(EXC | NONE)
                });
                push.push(e);
            }
            Op::POP_EXCEPT if !inp.table.exception_is_three_values => {
                let e = take(&mut s, 1).pop().unwrap_or(null);
                self.need(i, e, EXC | NONE, "(the exception PUSH_EXC_INFO saved)");
            }
            Op::RERAISE if !inp.table.exception_is_three_values => {
                let e = s.stack.last().copied().unwrap_or(null);
                self.need(i, e, EXC, "on top of the stack");
                if argc >= 1 && argc < d {
                    let l = s.stack[d - 1 - argc];
                    self.need(
                        i,
                        l,
                        LASTI,
                        "(the offset a handler with `lasti` pushes) below it",
                    );
                }
                take(&mut s, 1);
            }
            // An exception of three values (3.8-3.10), its type on top, which
            // they raise again as it is.
            Op::RERAISE | Op::END_ASYNC_FOR if inp.table.block_stack => {
                let e = s.stack.last().copied().unwrap_or(null);
                self.need(i, e, EXC, "on top of the stack");
                generic = true;
            }
            // (3.9 and 3.10: the exception's type on top of its three
            // values, the handler's saved exception below them.)
            Op::WITH_EXCEPT_START => {
                let e = s.stack.last().copied().unwrap_or(null);
                self.need(i, e, EXC, "on top of the stack");
                let f = inp.table.with_exit_depth;
                if d >= f {
                    let x = s.stack[d - f];
                    self.need_obj(i, x, "calls as the exit function");
                    push.push(other);
                } else {
                    generic = true;
                }
            }
            Op::END_ASYNC_FOR | Op::CLEANUP_THROW if !inp.table.exception_is_three_values => {
                let k = if o == Op::END_ASYNC_FOR { 2 } else { 3 };
                let v = take(&mut s, k);
                if let Some(e) = v.last() {
                    self.need(i, *e, EXC, "on top of the stack");
                }
                // CLEANUP_THROW's first slot may be the receiver's
                // index-or-NULL.
                let skip = usize::from(o == Op::CLEANUP_THROW && inp.table.iterator_index_slot);
                let end = v.len().saturating_sub(1);
                for x in &v[skip.min(end)..end] {
                    self.need_obj(i, *x, "uses");
                }
                if o == Op::CLEANUP_THROW {
                    push.extend([Slot::of(NONE), other]);
                }
            }
            Op::CHECK_EXC_MATCH => {
                let v = take(&mut s, 1);
                for x in v.iter().chain(s.stack.last()) {
                    self.need_obj(i, *x, "uses");
                }
                push.push(other);
            }
            Op::CHECK_EG_MATCH => {
                let v = take(&mut s, 2);
                for x in &v {
                    self.need_obj(i, *x, "uses");
                }
                let exc = v.first().copied().unwrap_or(other);
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(exc.bits | EXC | NONE)
                });
                push.push(Slot {
                    id: id(1),
                    ..Slot::of(EXC | NONE)
                });
            }
            Op::PREP_RERAISE_STAR => {
                let v = take(&mut s, 2);
                self.prep_reraise(i, &v);
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(EXC | NONE)
                });
            }
            Op::POP_JUMP_IF_NONE
            | Op::POP_JUMP_IF_NOT_NONE
            | Op::POP_JUMP_FORWARD_IF_NONE
            | Op::POP_JUMP_FORWARD_IF_NOT_NONE
            | Op::POP_JUMP_BACKWARD_IF_NONE
            | Op::POP_JUMP_BACKWARD_IF_NOT_NONE => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                self.need_obj(i, v, "tests");
                fn none(b: u32) -> u32 {
                    if b & (NONE | OTHER) != 0 {
                        NONE
                    } else {
                        0
                    }
                }
                fn not_none(b: u32) -> u32 {
                    b & !NONE
                }
                type Narrow = fn(u32) -> u32;
                let (on_jump, on_fall): (Narrow, Narrow) = if o == Op::POP_JUMP_IF_NOT_NONE
                    || o == Op::POP_JUMP_FORWARD_IF_NOT_NONE
                    || o == Op::POP_JUMP_BACKWARD_IF_NOT_NONE
                {
                    (not_none, none)
                } else {
                    (none, not_none)
                };
                let mut j = s.clone();
                jump_ok = on_jump(v.bits & !NULL) != 0 && j.narrow(v.id, on_jump);
                fall_ok = on_fall(v.bits & !NULL) != 0 && s.narrow(v.id, on_fall);
                jump_state = Some(j);
            }
            Op::JUMP_IF_FALSE_OR_POP | Op::JUMP_IF_TRUE_OR_POP => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                self.need_obj(i, v, "tests");
                jump_push = Some(vec![v]);
            }
            Op::BUILD_TUPLE | Op::BUILD_LIST | Op::BUILD_SET => {
                let v = take(&mut s, argc);
                for x in &v {
                    self.need_obj(i, *x, "collects");
                }
                let mut t = Slot::of(if o == Op::BUILD_TUPLE {
                    TUPLE
                } else if o == Op::BUILD_LIST {
                    LIST
                } else {
                    SET
                });
                t.n = a;
                if o == Op::BUILD_TUPLE {
                    if v.iter().all(|x| x.bits == CELL) {
                        t.f |= F_CELLS;
                    }
                    if v.iter().all(|x| x.bits == STR) {
                        t.f |= F_STRS;
                    }
                } else if o == Op::BUILD_LIST {
                    t.items = v.iter().fold(0, |k, x| k | x.bits);
                }
                t.id = id(0);
                push.push(t);
            }
            Op::BUILD_MAP | Op::BUILD_CONST_KEY_MAP => {
                let k = if o == Op::BUILD_MAP {
                    argc.saturating_mul(2)
                } else {
                    argc.saturating_add(1)
                };
                let v = take(&mut s, k);
                for x in &v {
                    self.need_obj(i, *x, "collects");
                }
                if o == Op::BUILD_CONST_KEY_MAP {
                    // 3.13 only asserts that the keys are a tuple of the
                    // right length, and reads them as one.
                    if let Some(keys) = v.last().copied() {
                        self.need(i, keys, TUPLE, "(the keys) on top");
                        if keys.bits == TUPLE && keys.n != a {
                            self.report(
                                i,
                                "operand-kind",
                                format!("BUILD_CONST_KEY_MAP {a} needs a tuple of exactly {a} keys on top"),
                                None,
                            );
                        }
                    }
                }
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(DICT)
                });
            }
            Op::LIST_TO_TUPLE => {
                for x in take(&mut s, 1) {
                    self.need_obj(i, x, "uses");
                }
                push.push(Slot {
                    id: id(0),
                    ..Slot::of(TUPLE)
                });
            }
            Op::LIST_APPEND
            | Op::SET_ADD
            | Op::MAP_ADD
            | Op::LIST_EXTEND
            | Op::SET_UPDATE
            | Op::DICT_UPDATE
            | Op::DICT_MERGE => {
                let k = if o == Op::MAP_ADD { 2 } else { 1 };
                let mut added = 0;
                for x in take(&mut s, k) {
                    self.need_obj(i, x, "adds");
                    added |= x.bits;
                }
                let dd = s.stack.len();
                if argc == 0 {
                    // It would work on the slot it has just popped: an
                    // operand out of range (`facts`), reported by the
                    // verifier.
                    generic = true;
                } else if argc <= dd {
                    let target = s.stack[dd - argc];
                    // 3.14's SET_ADD and 3.12+'s MAP_ADD no longer check
                    // what they add to; the compiler always built it.
                    let list = o == Op::LIST_APPEND || o == Op::LIST_EXTEND;
                    let want = if list {
                        LIST
                    } else if o == Op::SET_ADD || o == Op::SET_UPDATE {
                        SET
                    } else {
                        DICT
                    };
                    self.need(i, target, want, "as the collection it adds to");
                    if list {
                        // What the list may now hold, in every slot that
                        // may be the same list (all lists, when which one
                        // is not known).
                        let added = if o == Op::LIST_EXTEND { OTHER } else { added };
                        let tid = target.id;
                        let same =
                            |x: &Slot| x.bits & LIST != 0 && (tid == 0 || x.id == tid || x.id == 0);
                        for x in s.stack.iter_mut().filter(|x| same(x)) {
                            x.items |= added;
                        }
                        s.locals.update(Among::Lists, same, |x| x.items |= added);
                        s.stack[dd - argc].items |= added;
                    }
                    if o == Op::DICT_MERGE {
                        // Its error message names the function being called.
                        let at = if self.late { argc + 3 } else { argc + 2 };
                        if at <= dd {
                            let f = s.stack[dd - at];
                            self.need_obj(i, f, "names in an error message");
                        }
                    }
                } else {
                    generic = true;
                }
            }
            Op::MAKE_FUNCTION => self.make_function(i, a, &mut s, &mut push, id(0)),
            Op::SET_FUNCTION_ATTRIBUTE => {
                let v = take(&mut s, 2);
                let attr = v.first().copied().unwrap_or(null);
                let mut f = v.get(1).copied().unwrap_or(null);
                self.need(i, f, FUNC, "on top (as MAKE_FUNCTION leaves it)");
                self.function_attribute(i, a, attr, &mut f);
                if a == 8 {
                    self.made(i, f);
                }
                push.push(f);
            }
            Op::CALL_INTRINSIC_1 => {
                let v = take(&mut s, 1).pop().unwrap_or(null);
                let which = inp.table.intrinsic1.get(argc).copied().unwrap_or("");
                let mut out = Slot { id: id(0), ..other };
                match which {
                    "INTRINSIC_LIST_TO_TUPLE" => {
                        self.need(i, v, LIST, "");
                        out.bits = TUPLE;
                    }
                    "INTRINSIC_STOPITERATION_ERROR" => {
                        self.need(i, v, EXC, "");
                        out.bits = EXC;
                    }
                    "INTRINSIC_TYPEVAR" | "INTRINSIC_PARAMSPEC" | "INTRINSIC_TYPEVARTUPLE" => {
                        self.need(i, v, STR, "(the name)")
                    }
                    "INTRINSIC_TYPEALIAS" => {
                        self.need(i, v, TUPLE, "(name, type parameters, value)");
                        if v.bits == TUPLE && v.n != 3 {
                            self.report(
                                i,
                                "operand-kind",
                                "INTRINSIC_TYPEALIAS needs a tuple of exactly three items".into(),
                                None,
                            );
                        }
                    }
                    _ => self.need_obj(i, v, "uses"),
                }
                push.push(out);
            }
            Op::CALL_INTRINSIC_2 => {
                let v = take(&mut s, 2);
                let which = inp.table.intrinsic2.get(argc).copied().unwrap_or("");
                match which {
                    "INTRINSIC_PREP_RERAISE_STAR" => {
                        self.prep_reraise(i, &v);
                        push.push(Slot {
                            id: id(0),
                            ..Slot::of(EXC | NONE)
                        });
                    }
                    "INTRINSIC_SET_FUNCTION_TYPE_PARAMS" => {
                        let f = v.first().copied().unwrap_or(null);
                        self.need(i, f, FUNC, "below the type parameters");
                        if let Some(t) = v.get(1) {
                            self.need(i, *t, TUPLE, "(the type parameters)");
                        }
                        push.push(f);
                    }
                    "INTRINSIC_TYPEVAR_WITH_BOUND" | "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS" => {
                        if let Some(nm) = v.first() {
                            self.need(i, *nm, STR, "(the name)");
                        }
                        if let Some(x) = v.get(1) {
                            self.need_obj(i, *x, "uses");
                        }
                        push.push(other);
                    }
                    _ => {
                        for x in &v {
                            self.need_obj(i, *x, "uses");
                        }
                        push.push(other);
                    }
                }
            }
            Op::MATCH_KEYS if d >= 2 => {
                self.need(i, s.stack[d - 1], TUPLE, "(the keys) on top");
                self.need_obj(i, s.stack[d - 2], "matches");
                push.push(other);
            }
            Op::MATCH_CLASS => {
                let v = take(&mut s, 3);
                for (p, x) in v.iter().enumerate() {
                    if p == 2 {
                        self.need(i, *x, TUPLE, "(the keyword attribute names) on top");
                    } else {
                        self.need_obj(i, *x, "uses");
                    }
                }
                push.push(other);
            }
            Op::MATCH_MAPPING | Op::MATCH_SEQUENCE | Op::GET_LEN if d >= 1 => {
                self.need_obj(i, s.stack[d - 1], "inspects");
                push.push(other);
            }
            Op::PRECALL if argc.saturating_add(2) <= d => {
                // 3.11: PRECALL and CALL (checked to be a pair) act as one;
                // the table counts the arguments here.
                for x in take(&mut s, argc) {
                    self.need_obj(i, x, "passes as an argument");
                }
                let c = s.stack[s.stack.len() - 1];
                self.need_obj(i, c, "calls");
            }
            Op::CALL if inp.table.args_at_precall => {
                let v = take(&mut s, 2);
                if let Some(c) = v.get(1) {
                    self.need_obj(i, *c, "calls as the callable");
                }
                push.push(other);
            }
            Op::CALL | Op::CALL_KW if argc.saturating_add(3) <= d + (o == Op::CALL) as usize => {
                // [callable, self_or_null, args] from 3.13; [null_or_method,
                // callable, args] in 3.12; CALL_KW adds the names on top.
                let kw = o == Op::CALL_KW;
                let k = argc + 2 + kw as usize;
                let v = take(&mut s, k);
                let (callable, maybe_null) = if self.late { (0, 1) } else { (1, 0) };
                let f = v[callable];
                self.need_obj(i, v[callable], "calls as the callable");
                for (p, x) in v.iter().enumerate() {
                    if p != callable && p != maybe_null && !(kw && p == k - 1) {
                        self.need_obj(i, *x, "passes as an argument");
                    }
                }
                if kw {
                    let names = v[k - 1];
                    self.need(i, names, TUPLE, "(the keyword names) on top");
                    if names.bits == TUPLE && (names.n == UNKNOWN || names.n as usize > argc) {
                        self.report(
                            i,
                            "call-sequence",
                            format!("CALL_KW {argc} needs keyword names it can count, no more than its {argc} arguments"),
                            None,
                        );
                    }
                }
                if f.bits == FUNC && f.n != UNKNOWN {
                    push.push(Slot {
                        n: f.n,
                        id: id(0),
                        ..Slot::of(GENCALL)
                    });
                } else {
                    push.push(Slot { id: id(0), ..other });
                }
            }
            Op::CALL_FUNCTION_EX => {
                // The slot beside the callable may hold anything (a NULL);
                // 3.14 also takes a NULL for the keywords.
                let kwargs = if inp.table.call_ex_kwargs_slot_always {
                    1
                } else {
                    argc & 1
                };
                let null = usize::from(inp.table.call_ex_null_slot);
                let k = 2 + null + kwargs;
                if k <= d {
                    let v = take(&mut s, k);
                    let callable = if self.late || null == 0 { 0 } else { 1 };
                    self.need_obj(i, v[callable], "calls as the callable");
                    self.need_obj(i, v[1 + null], "passes as the arguments");
                    if kwargs == 1 && !inp.table.call_ex_kwargs_slot_always {
                        self.need_obj(i, v[2 + null], "passes as the keywords");
                    }
                    push.push(other);
                } else {
                    generic = true;
                }
            }
            Op::LOAD_ATTR | Op::LOAD_METHOD | Op::LOAD_SUPER_ATTR | Op::LOAD_SPECIAL => {
                let k = if o == Op::LOAD_SUPER_ATTR { 3 } else { 1 };
                for x in take(&mut s, k) {
                    self.need_obj(i, x, "uses as an object");
                }
                // 3.12+'s LOAD_ATTR and LOAD_SUPER_ATTR flag a method in
                // bit 0.
                let method = o == Op::LOAD_METHOD
                    || o == Op::LOAD_SPECIAL
                    || (op.arg == ArgKind::AttrName || o == Op::LOAD_SUPER_ATTR) && a & 1 == 1;
                let v = Slot { id: id(0), ..other };
                if !method {
                    push.push(v);
                } else {
                    let maybe = Slot {
                        id: id(1),
                        ..Slot::of(NULL | OTHER)
                    };
                    if self.late || o == Op::LOAD_SPECIAL {
                        push.extend([v, maybe]);
                    } else {
                        push.extend([maybe, v]);
                    }
                }
            }
            Op::BUILD_TEMPLATE => {
                let v = take(&mut s, 2);
                for x in &v {
                    self.need(i, *x, TUPLE, "(the strings and the interpolations)");
                }
                if v.first()
                    .is_some_and(|x| x.bits == TUPLE && x.f & F_STRS == 0)
                {
                    self.report(
                        i,
                        "operand-kind",
                        "BUILD_TEMPLATE needs a tuple of str for its strings".into(),
                        None,
                    );
                }
                push.push(other);
            }
            // Truth tests: from 3.13 they take an exact bool and test it by
            // identity. Past that, the generic rule.
            Op::POP_JUMP_IF_FALSE | Op::POP_JUMP_IF_TRUE | Op::UNARY_NOT => {
                if inp.table.truth_tests_need_bool {
                    if let Some(v) = s.stack.last().copied() {
                        self.need_bool(i, v);
                    }
                }
                generic = true;
            }
            // Nothing this analysis models beyond the generic rule (the
            // guarded arms above fall back to it too).
            Op::ASYNC_GEN_WRAP
            | Op::BEFORE_ASYNC_WITH
            | Op::BEFORE_WITH
            | Op::BINARY_OP
            | Op::BINARY_SLICE
            | Op::BINARY_SUBSCR
            | Op::BUILD_INTERPOLATION
            | Op::BUILD_SLICE
            | Op::BUILD_STRING
            | Op::CALL
            | Op::CALL_KW
            | Op::COMPARE_OP
            | Op::CONTAINS_OP
            | Op::CONVERT_VALUE
            | Op::COPY
            | Op::DELETE_ATTR
            | Op::DELETE_SUBSCR
            | Op::EXIT_INIT_CHECK
            | Op::FORMAT_SIMPLE
            | Op::FORMAT_VALUE
            | Op::FORMAT_WITH_SPEC
            | Op::GET_LEN
            | Op::IMPORT_FROM
            | Op::IMPORT_NAME
            | Op::IMPORT_STAR
            | Op::INSTRUMENTED_CALL
            | Op::INSTRUMENTED_CALL_FUNCTION_EX
            | Op::INSTRUMENTED_CALL_KW
            | Op::INSTRUMENTED_END_ASYNC_FOR
            | Op::INSTRUMENTED_END_FOR
            | Op::INSTRUMENTED_END_SEND
            | Op::INSTRUMENTED_FOR_ITER
            | Op::INSTRUMENTED_INSTRUCTION
            | Op::INSTRUMENTED_JUMP_BACKWARD
            | Op::INSTRUMENTED_JUMP_FORWARD
            | Op::INSTRUMENTED_LINE
            | Op::INSTRUMENTED_LOAD_SUPER_ATTR
            | Op::INSTRUMENTED_NOT_TAKEN
            | Op::INSTRUMENTED_POP_ITER
            | Op::INSTRUMENTED_POP_JUMP_IF_FALSE
            | Op::INSTRUMENTED_POP_JUMP_IF_NONE
            | Op::INSTRUMENTED_POP_JUMP_IF_NOT_NONE
            | Op::INSTRUMENTED_POP_JUMP_IF_TRUE
            | Op::INSTRUMENTED_RESUME
            | Op::INSTRUMENTED_RETURN_CONST
            | Op::INSTRUMENTED_RETURN_VALUE
            | Op::INSTRUMENTED_YIELD_VALUE
            | Op::INTERPRETER_EXIT
            | Op::IS_OP
            | Op::LOAD_FROM_DICT_OR_GLOBALS
            | Op::MATCH_KEYS
            | Op::MATCH_MAPPING
            | Op::MATCH_SEQUENCE
            | Op::POP_JUMP_BACKWARD_IF_FALSE
            | Op::POP_JUMP_BACKWARD_IF_TRUE
            | Op::POP_JUMP_FORWARD_IF_FALSE
            | Op::POP_JUMP_FORWARD_IF_TRUE
            | Op::PRECALL
            | Op::PRINT_EXPR
            | Op::RAISE_VARARGS
            | Op::SEND
            | Op::STORE_ATTR
            | Op::STORE_GLOBAL
            | Op::STORE_NAME
            | Op::STORE_SLICE
            | Op::STORE_SUBSCR
            | Op::SWAP
            | Op::TO_BOOL
            | Op::UNARY_INVERT
            | Op::UNARY_NEGATIVE
            | Op::UNARY_POSITIVE
            | Op::UNPACK_EX
            | Op::UNPACK_SEQUENCE
            // 3.6-3.10's own instructions: the block stack (a SETUP_*'s
            // jump is its handler, where the table's jump effect leaves
            // values of unknown kind), one instruction per operator, the
            // older calls and stack shuffles.
            | Op::BEGIN_FINALLY
            | Op::BINARY_ADD
            | Op::BINARY_AND
            | Op::BINARY_FLOOR_DIVIDE
            | Op::BINARY_LSHIFT
            | Op::BINARY_MATRIX_MULTIPLY
            | Op::BINARY_MODULO
            | Op::BINARY_MULTIPLY
            | Op::BINARY_OR
            | Op::BINARY_POWER
            | Op::BINARY_RSHIFT
            | Op::BINARY_SUBTRACT
            | Op::BINARY_TRUE_DIVIDE
            | Op::BINARY_XOR
            | Op::BREAK_LOOP
            | Op::BUILD_LIST_UNPACK
            | Op::BUILD_MAP_UNPACK
            | Op::BUILD_MAP_UNPACK_WITH_CALL
            | Op::BUILD_SET_UNPACK
            | Op::BUILD_TUPLE_UNPACK
            | Op::BUILD_TUPLE_UNPACK_WITH_CALL
            | Op::CALL_FINALLY
            | Op::CALL_FUNCTION
            | Op::CALL_FUNCTION_KW
            | Op::CALL_METHOD
            | Op::CONTINUE_LOOP
            | Op::COPY_DICT_WITHOUT_KEYS
            | Op::DUP_TOP
            | Op::DUP_TOP_TWO
            | Op::END_FINALLY
            | Op::GEN_START
            | Op::INPLACE_ADD
            | Op::INPLACE_AND
            | Op::INPLACE_FLOOR_DIVIDE
            | Op::INPLACE_LSHIFT
            | Op::INPLACE_MATRIX_MULTIPLY
            | Op::INPLACE_MODULO
            | Op::INPLACE_MULTIPLY
            | Op::INPLACE_OR
            | Op::INPLACE_POWER
            | Op::INPLACE_RSHIFT
            | Op::INPLACE_SUBTRACT
            | Op::INPLACE_TRUE_DIVIDE
            | Op::INPLACE_XOR
            | Op::JUMP_ABSOLUTE
            | Op::JUMP_IF_NOT_EXC_MATCH
            | Op::POP_BLOCK
            | Op::POP_FINALLY
            | Op::SETUP_ASYNC_WITH
            | Op::SETUP_EXCEPT
            | Op::SETUP_FINALLY
            | Op::SETUP_LOOP
            | Op::SETUP_WITH
            | Op::STORE_ANNOTATION
            | Op::WITH_CLEANUP_FINISH
            | Op::WITH_CLEANUP_START => generic = true,
            // An exception as three values (3.6-3.10): what the handler
            // finds there is of no kind this analysis follows.
            Op::POP_EXCEPT
            | Op::RERAISE
            | Op::END_ASYNC_FOR
            | Op::CLEANUP_THROW => generic = true,
        }
        if generic {
            // It reads at least `inputs` values, which must be objects, and
            // what it leaves in their place is of unknown type.
            let mut g = s;
            let k = (inputs(inp.table, op, a).max(0) as usize).min(g.stack.len());
            for x in take(&mut g, k) {
                self.need_obj(i, x, "uses");
            }
            let out = |eff: i32| -> Option<State> {
                let want = d as i64 + eff as i64;
                if want < 0 {
                    return None;
                }
                let mut t = g.clone();
                t.stack.truncate(want as usize);
                let mut kk = 0;
                while t.stack.len() < want as usize {
                    t.stack.push(Slot {
                        id: id(kk.min(3)),
                        ..other
                    });
                    kk += 1;
                }
                Some(t)
            };
            return (out(effect(op, a, false)), out(effect(op, a, true)));
        }
        // Identities made here are new: forget older holders of them.
        for k in 0..4 {
            let x = id(k);
            if push
                .iter()
                .chain(jump_push.iter().flatten())
                .any(|p| p.id == x)
            {
                s.scrub(x);
                if let Some(j) = &mut jump_state {
                    j.scrub(x);
                }
            }
        }
        let mut jstate = jump_state.unwrap_or_else(|| s.clone());
        jstate
            .stack
            .extend(jump_push.unwrap_or_else(|| push.clone()));
        let mut fstate = s;
        fstate.stack.extend(push);
        // Keep step with the stack analysis: where this model and the
        // table's effect disagree, values of unknown type fill the gap.
        let fix = |mut t: State, eff: i32| -> Option<State> {
            let want = d as i64 + eff as i64;
            if want < 0 {
                return None;
            }
            let want = want as usize;
            t.stack.truncate(want);
            while t.stack.len() < want {
                t.stack.push(other);
            }
            Some(t)
        };
        let f = if fall_ok && fall_sized {
            Some(fstate)
        } else if fall_ok {
            fix(fstate, effect(op, a, false))
        } else {
            None
        };
        let j = if jump_ok && jump_sized {
            Some(jstate)
        } else if jump_ok {
            fix(jstate, effect(op, a, true))
        } else {
            None
        };
        (f, j)
    }

    /// 3.14: a write to local `x` while the stack may hold a reference
    /// borrowed from it (LOAD_FAST_BORROW): the old value may be freed
    /// under it.
    fn borrowed(&mut self, i: usize, s: &State, x: usize) {
        let bit = 1u64 << (x % 64);
        if s.stack.iter().any(|v| v.borrow & bit != 0) {
            let var = self
                .inp
                .vars
                .get(x)
                .map(|(n, _)| crate::syntax::literal::name_text(n))
                .unwrap_or_else(|| format!("#{x}"));
            let m = format!(
                "{} changes `{var}` while the stack holds a reference borrowed from it (LOAD_FAST_BORROW): the value could be freed under it",
                self.name(i)
            );
            self.report(i, "borrowed-reference", m, None);
        }
    }

    /// A write to local `x`. The interpreter reads a free variable's slot
    /// as a cell without checking (`locals()`, frame introspection), and
    /// `super()` the first argument's when it is a cell: those slots must
    /// keep holding cells.
    fn write_local(&mut self, i: usize, x: usize, v: Slot) {
        let Some((name, k)) = self.inp.vars.get(x) else {
            return;
        };
        let first_cell = x == 0 && self.inp.n_args > 0 && k & kind::CELL != 0;
        if (k & kind::FREE != 0 || first_cell) && v.bits != CELL {
            let what = if first_cell {
                "the first argument, captured by a closure: `super()` reads its slot as a cell"
            } else {
                "a free variable: the interpreter reads its slot as a cell"
            };
            let m = format!(
                "{} puts {} in `{}`, {what}",
                self.name(i),
                describe(v.bits),
                crate::syntax::literal::name_text(name)
            );
            self.report(i, "operand-kind", m, None);
        }
    }

    fn prep_reraise(&mut self, i: usize, v: &[Slot]) {
        if let Some(orig) = v.first() {
            self.need_obj(i, *orig, "uses");
        }
        if let Some(list) = v.get(1) {
            self.need(
                i,
                *list,
                LIST,
                "(the exceptions the except* clauses raised) on top",
            );
            if list.bits == LIST && list.items & !(EXC | NONE) != 0 {
                let m = format!(
                    "the list of what the except* clauses raised may hold {}: CPython reads its items as exceptions (or None) without checking",
                    describe(list.items & !(EXC | NONE))
                );
                self.report(i, "operand-kind", m, None);
            }
        }
    }
    /// MAKE_FUNCTION: pops the code object; before 3.13 also, by its flag
    /// bits, the closure, annotations, keyword defaults and defaults.
    fn make_function(&mut self, i: usize, a: u32, s: &mut State, push: &mut Vec<Slot>, id: u32) {
        if self.inp.table.make_function_takes_qualname {
            let qualname = s.stack.pop().unwrap_or(Slot::of(NULL));
            self.need_obj(i, qualname, "takes as the qualified name");
        }
        let code = s.stack.pop().unwrap_or(Slot::of(NULL));
        self.need(i, code, CODE, "(a code constant) on top");
        let mut f = Slot::of(FUNC);
        f.n = if code.bits == CODE { code.n } else { UNKNOWN };
        f.m = NO_CLOSURE;
        f.id = id;
        // An argument of flags says which attributes it pops (before
        // 3.13; later, SET_FUNCTION_ATTRIBUTE sets them).
        let takes_flags = self.inp.instrs[i]
            .op
            .is_some_and(|o| o.arg == ArgKind::MakeFunction);
        if takes_flags {
            for bit in [8u32, 4, 2, 1] {
                if a & bit != 0 {
                    let attr = s.stack.pop().unwrap_or(Slot::of(NULL));
                    self.function_attribute(i, bit, attr, &mut f);
                }
            }
            self.made(i, f);
        } else {
            // The closure, if any, is set by the SET_FUNCTION_ATTRIBUTEs
            // that follow (their sequence is checked).
            let instrs = self.inp.instrs;
            let mut j = i + 1;
            let mut closure = false;
            while let Some(op) = instrs.get(j).and_then(|x| x.op) {
                if op.op != Op::SET_FUNCTION_ATTRIBUTE {
                    break;
                }
                closure |= instrs[j].arg == 8;
                j += 1;
            }
            if !closure {
                self.made(i, f);
            }
        }
        push.push(f);
    }

    /// Records the function made at `i` with the closure it is known to
    /// get.
    fn made(&mut self, i: usize, f: Slot) {
        if f.n == UNKNOWN {
            self.report(
                i,
                "operand-kind",
                "the code object a function is made from must be known here (one code constant on every path)".into(),
                None,
            );
            return;
        }
        if f.m == UNKNOWN {
            self.report(
                i,
                "operand-kind",
                "the closure's length must be known here (one tuple of cells on every path)".into(),
                None,
            );
            return;
        }
        let closure = if f.m == NO_CLOSURE { 0 } else { f.m };
        self.out.functions.push(MadeFunction {
            at: i,
            konst: f.n as usize,
            need: Need::Closure(closure),
        });
    }

    /// The attribute `flag` set on function `f`, with the kind CPython
    /// stores it as without checking.
    fn function_attribute(&mut self, i: usize, flag: u32, attr: Slot, f: &mut Slot) {
        match flag {
            8 => {
                self.need(i, attr, TUPLE, "(the closure)");
                if attr.bits == TUPLE && (attr.f & F_CELLS == 0 || attr.n == UNKNOWN) {
                    self.report(
                        i,
                        "operand-kind",
                        "a closure must be a tuple of cells, as LOAD_CLOSURE and BUILD_TUPLE make it".into(),
                        None,
                    );
                }
                f.m = attr.n;
            }
            4 => {
                if attr.bits == TUPLE {
                    if attr.n == UNKNOWN || !attr.n.is_multiple_of(2) {
                        self.report(
                            i,
                            "operand-kind",
                            "annotations given as a tuple must hold name and value pairs".into(),
                            None,
                        );
                    }
                } else if self.inp.table.annotations_any_object {
                    self.need_obj(i, attr, "stores");
                } else {
                    self.need(i, attr, TUPLE | DICT, "(the annotations)");
                }
            }
            2 => self.need(i, attr, DICT, "(the keyword defaults)"),
            1 => self.need(i, attr, TUPLE, "(the defaults)"),
            16 => self.need_obj(i, attr, "stores"),
            _ => self.report(
                i,
                "invalid-operand",
                format!("{flag} is not a function attribute flag (1, 2, 4, 8 or 16)"),
                None,
            ),
        }
    }
}

/// A queue of instructions to visit, lowest index first, each at most once
/// at a time.
struct Work {
    heap: std::collections::BinaryHeap<std::cmp::Reverse<usize>>,
    queued: Vec<bool>,
}

impl Work {
    fn new(n: usize) -> Work {
        Work {
            heap: Default::default(),
            queued: vec![false; n],
        }
    }
    fn push(&mut self, i: usize) {
        if i < self.queued.len() && !self.queued[i] {
            self.queued[i] = true;
            self.heap.push(std::cmp::Reverse(i));
        }
    }
    fn pop(&mut self) -> Option<usize> {
        let std::cmp::Reverse(i) = self.heap.pop()?;
        self.queued[i] = false;
        Some(i)
    }
}

/// The stack effect as the stack analysis applies it (a generator resumes
/// after 3.11 and 3.12's RETURN_GENERATOR with the sent value pushed).
fn effect(op: &OpInfo, a: u32, jump: bool) -> i32 {
    let e = op.stack_effect(a, jump);
    if op.op == Op::RETURN_GENERATOR && e == 0 {
        1
    } else {
        e
    }
}

/// A store into local `x`.
fn store(s: &mut State, x: usize, v: Slot) {
    if x < s.locals.len() {
        let mut v = v;
        // A stored reference is the local's own.
        v.borrow = 0;
        if v.bits & NULL != 0 {
            v.f |= F_STORED_NULL;
        } else {
            v.f &= !F_STORED_NULL;
        }
        s.locals.set(x, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: u32, bits: u32) -> Slot {
        Slot {
            id,
            ..Slot::of(bits)
        }
    }

    /// Locals spread over several chunks and groups, copied between states
    /// as the analysis copies them: a search by identity or for lists finds
    /// every slot that holds one, in whichever state, and only those.
    #[test]
    fn updates_reach_every_holder_and_no_other_slot() {
        let n = CHUNK * GROUP * 2 + 5;
        let mut a = Locals::new(vec![Slot::of(OTHER); n]);
        let far = [0, 31, 32, CHUNK * GROUP, n - 1];
        for &i in &far {
            a.set(i, with_id(7, OTHER));
        }
        let mut b = a.clone();
        b.set(5, with_id(7, LIST));
        b.set(CHUNK * GROUP + 1, with_id(9, LIST));
        a.set(31, Slot::of(NONE));

        b.update(Among::Id(7), |s| s.id == 7, |s| s.id = 0);
        assert!((0..n).all(|i| b.get(i).unwrap().id != 7));
        assert_eq!(b.get(CHUNK * GROUP + 1).unwrap().id, 9);
        // The state it was copied from keeps its own values.
        let held: Vec<usize> = (0..n).filter(|&i| a.get(i).unwrap().id == 7).collect();
        assert_eq!(held, vec![0, 32, CHUNK * GROUP, n - 1]);

        b.update(Among::Lists, |s| s.bits & LIST != 0, |s| s.items |= STR);
        let lists: Vec<usize> = (0..n).filter(|&i| b.get(i).unwrap().items != 0).collect();
        assert_eq!(lists, vec![5, CHUNK * GROUP + 1]);
        assert!((0..n).all(|i| a.get(i).unwrap().items == 0));
    }

    #[test]
    fn a_join_changes_only_the_chunks_that_differ() {
        let n = CHUNK * GROUP + CHUNK;
        let mut a = Locals::new(vec![Slot::of(NONE); n]);
        let mut b = a.clone();
        b.set(n - 1, Slot::of(LIST));
        let untouched = Rc::clone(&a.groups[0]);
        let mut join = |x: &mut Slot, y: Slot| {
            let j = x.join(y);
            let c = j != *x;
            *x = j;
            c
        };
        assert!(a.join_from(&b, &mut join));
        assert_eq!(a.get(n - 1).unwrap().bits, NONE | LIST);
        assert!(Rc::ptr_eq(&untouched, &a.groups[0]));
        assert!(!a.join_from(&b, &mut join));
    }
}
