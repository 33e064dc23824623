//! Mutants of real code objects, for measuring the verifier against the
//! real interpreters (`bench/mutants.sh`, `tests/versions.rs` (`mutants::V`)).
//!
//! The input is a folder of `.pyasm` files as `pyasm dis` writes them from
//! a compiled standard library. One mutant changes one code block (one code
//! object) in one of eight ways: it deletes, duplicates or swaps
//! instructions, retargets a jump or an exception-table entry, changes an
//! instruction's argument, sets a checked immediate to the edge of its
//! range or just past it, removes a `TO_BOOL`, or writes the `.except`
//! lines in another order (which, the regions nesting, must build the very
//! same code object). The mutant is written as a file of its own whose
//! first block is the mutated one (so the built `.pyc` holds exactly that
//! code object), followed by the blocks it makes functions of. Fields the
//! assembler derives differently for a first block (name, flags, file name)
//! are written out, so only the mutation differs from the original.
//!
//! Some mutations promise that the program still means what it meant: a
//! `TO_BOOL` removed after an instruction that always leaves an exact
//! bool, an immediate moved within the values its documentation says
//! change no result. Those mutants are marked `expect_equal`, and the
//! runner compares them with the unmutated code (see `drive.rs`): one that
//! the verifier accepts and that behaves otherwise is a misrun.
//!
//! Mutation works on the `Module` that lowering makes of the text, and
//! prints it back with the disassembler's printer: the text is the
//! interface, exactly as a person editing a disassembly would change it.
//! Nothing here checks or assembles; `pyasm build` does that afterwards.

use pyasm::analysis::facts::{facts, Operand};
use pyasm::code::{Obj, PyStr};
use pyasm::model::{Arg, Block, Constant, Module, NameRef, Stmt};
use pyasm::versions::{ArgKind, CompareEncoding, Op, OpcodeTable, Version, COMPARE_MASKS};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// splitmix64: small, seedable, the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        if xs.is_empty() {
            None
        } else {
            Some(&xs[self.below(xs.len())])
        }
    }
}

/// One `.pyasm` file of the corpus: where it is, its path below its
/// corpus folder (which names its module), and how many instructions each
/// of its blocks has (0 for a block left out, see `LEFT_OUT`).
pub struct CorpusFile {
    pub path: PathBuf,
    pub rel: String,
    pub blocks: Vec<usize>,
}

/// Code objects left out of one version's corpus, as (version, file,
/// qualified name): run unmutated by the runner, each crashes that
/// version's interpreter, so its mutants would measure the interpreter,
/// not the verifier. Found by the control run (`bench/mutants.sh
/// --unmutated`, every code object of the corpus: for 3.14, 95,455) and
/// each run again alone.
///
/// 3.14 in WebAssembly (pyodide 314.0.7): CPython's own tests that build
/// chains of objects 50,000 to 1,000,000 deep and free them, counting on
/// the "trashcan" to bound the recursion of deallocation, and one that
/// calls an object whose `__call__` is an instance of its class, counting
/// on RecursionError. 3.14 sets its recursion budget by the address of the
/// C stack, which in WebAssembly lives in linear memory, while the
/// engine's own stack runs out first ("Maximum call stack size
/// exceeded"). Measured in a worker like the runner's: freeing a list
/// nested 20,800 deep, or a dict nested 12,500 deep, traps 3.14; 3.12 and
/// 3.13 free them 200,000 deep. No bytecode is involved.
///
/// 3.15 in WebAssembly (pyodide 315.0.0-alpha.2, CPython 3.15.0rc1): the
/// same json test. A mutant of it trapped in the 10,000-mutant run of
/// issue 18, and its unmutated code, replayed alone in a fresh worker
/// (`replay --orig-target`), trapped the same way.
pub const LEFT_OUT: &[(&str, &str, &str)] = &[
    (
        "3.14",
        "test/test_builtin.pyasm",
        "BuiltinTest.test_filter_dealloc",
    ),
    (
        "3.14",
        "test/test_class.pyasm",
        "ClassTests.testSFBug532646",
    ),
    (
        "3.14",
        "test/test_descr.pyasm",
        "ClassPropertiesAndMethods.test_slots_trash",
    ),
    (
        "3.14",
        "test/test_descr.pyasm",
        "ClassPropertiesAndMethods.test_wrapper_segfault",
    ),
    (
        "3.14",
        "test/test_exceptions.pyasm",
        "ExceptionTests.test_trashcan_recursion",
    ),
    (
        "3.14",
        "test/test_exceptions.pyasm",
        "ExceptionTests.test_trashcan_recursion.<locals>.foo",
    ),
    (
        "3.14",
        "test/test_json/test_recursion.pyasm",
        "TestRecursion.test_highly_nested_objects_encoding",
    ),
    (
        "3.15",
        "test/test_json/test_recursion.pyasm",
        "TestRecursion.test_highly_nested_objects_encoding",
    ),
];

fn left_out(m: &Module, rel: &str, b: &Block) -> bool {
    let qualname = b.qualname.as_ref().and_then(|q| q.as_str());
    let qualname = qualname.unwrap_or(&b.name);
    LEFT_OUT
        .iter()
        .any(|&(v, f, q)| v == m.version.as_str() && f == rel && q == qualname)
}

/// Every `.pyasm` file under each of `roots`, sorted, with its blocks'
/// sizes; but `test/crashers`, and the blocks of `LEFT_OUT`.
pub fn index(roots: &[PathBuf]) -> Vec<CorpusFile> {
    let mut out = Vec::new();
    for root in roots {
        let mut paths = Vec::new();
        collect(root, &mut paths);
        paths.sort();
        for p in paths {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            // CPython's own crashers crash it unmutated, by design (a
            // cycle mutated inside the garbage collector...): they say
            // nothing about the verifier, and the runner must not import
            // them.
            if rel.starts_with("test/crashers/") {
                continue;
            }
            let Some(module) = load(&p) else { continue };
            let blocks = module
                .blocks
                .iter()
                .map(|b| {
                    if left_out(&module, &rel, b) {
                        0
                    } else {
                        instr_count(b)
                    }
                })
                .collect();
            out.push(CorpusFile {
                path: p,
                rel,
                blocks,
            });
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "pyasm") {
            out.push(p);
        }
    }
}

/// The lowered module of a file that lowers without errors.
pub fn load(path: &Path) -> Option<Module> {
    let text = std::fs::read_to_string(path).ok()?;
    let tree = pyasm::syntax::parse(&text, None);
    let low = pyasm::syntax::lower::lower(&text, &tree, Version::V3_11);
    if low.diags.iter().any(|d| d.is_error()) || low.module.blocks.is_empty() {
        return None;
    }
    Some(low.module)
}

fn instr_count(b: &Block) -> usize {
    b.body
        .iter()
        .filter(|s| matches!(s, Stmt::Instr(_)))
        .count()
}

/// The dotted module name of a corpus file (`email/message.pyasm` is
/// `email.message`, `json/__init__.pyasm` is `json`).
pub fn module_name(rel: &str) -> String {
    let stem = rel.strip_suffix(".pyasm").unwrap_or(rel);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    stem.replace('/', ".")
}

/// One mutant, as the manifest records it.
pub struct Mutant {
    pub id: usize,
    pub rel: String,
    pub block: String,
    pub what: String,
    pub text: String,
    /// The corpus file and block it was made from (for `unmutated`).
    pub file: usize,
    pub index: usize,
    /// The mutation promises the unmutated program's behaviour: the runner
    /// compares the two, and a difference is a misrun.
    pub expect_equal: bool,
}

/// `count` mutants from the corpus under `root`, numbered from `first_id`.
/// Blocks are chosen with probability proportional to their instruction
/// count (the large functions hold the loops, handlers and `with`s), capped
/// so one huge module body does not dominate. Mutations that leave the
/// printed text unchanged are drawn again.
pub fn generate(corpus: &[CorpusFile], count: usize, seed: u64, first_id: usize) -> Vec<Mutant> {
    let mut rng = Rng::new(seed);
    // Every code object has an instruction; 0 marks one left out.
    let weight = |n: usize| n.min(400) as u64;
    let mut cumulative = Vec::new();
    let mut total = 0u64;
    for (f, file) in corpus.iter().enumerate() {
        for (b, &n) in file.blocks.iter().enumerate() {
            total += weight(n);
            cumulative.push((total, f, b));
        }
    }
    if total == 0 {
        return Vec::new();
    }
    // Which blocks, then one file at a time so each is lowered once.
    let mut picks: Vec<(usize, usize, u64)> = (0..count)
        .map(|_| {
            let x = rng.next() % total;
            let k = cumulative.partition_point(|&(c, _, _)| c <= x);
            let (_, f, b) = cumulative[k];
            (f, b, rng.next())
        })
        .collect();
    picks.sort();
    let mut out = Vec::with_capacity(count);
    let mut i = 0;
    while i < picks.len() {
        let f = picks[i].0;
        let mut j = i;
        while j < picks.len() && picks[j].0 == f {
            j += 1;
        }
        let module = load(&corpus[f].path);
        for &(_, b, s) in &picks[i..j] {
            let Some(m) = &module else { continue };
            let mut r = Rng::new(s);
            if let Some((text, what, expect_equal)) = mutate(m, b, &mut r) {
                out.push(Mutant {
                    id: 0,
                    rel: corpus[f].rel.clone(),
                    block: m.blocks[b].name.clone(),
                    what,
                    text,
                    file: f,
                    index: b,
                    expect_equal,
                });
            }
        }
        i = j;
    }
    // Files were visited in order; shuffle so a run's batches mix modules,
    // then number them.
    for k in (1..out.len()).rev() {
        let j = rng.below(k + 1);
        out.swap(k, j);
    }
    for (k, m) in out.iter_mut().enumerate() {
        m.id = first_id + k;
    }
    out
}

/// The code objects of the corpus themselves, unmutated, as mutants are
/// written (the control run: what the real code does in the runner):
/// `count` of them from the `skip`-th, in corpus order, numbered from
/// `first_id`.
pub fn originals(corpus: &[CorpusFile], skip: usize, count: usize, first_id: usize) -> Vec<Mutant> {
    let mut out = Vec::new();
    let mut k = 0;
    for (f, file) in corpus.iter().enumerate() {
        if out.len() >= count {
            break;
        }
        let n = file.blocks.iter().filter(|&&x| x > 0).count();
        if k + n <= skip {
            k += n;
            continue;
        }
        let Some(module) = load(&file.path) else {
            k += n;
            continue;
        };
        for (b, block) in module.blocks.iter().enumerate() {
            if file.blocks.get(b) == Some(&0) {
                continue;
            }
            if k >= skip && out.len() < count {
                out.push(Mutant {
                    id: first_id + out.len(),
                    rel: file.rel.clone(),
                    block: block.name.clone(),
                    what: "unmutated".into(),
                    text: pyasm::dis::print::print_module(&extract(&module, b, block.clone())),
                    file: f,
                    index: b,
                    expect_equal: false,
                });
            }
            k += 1;
        }
    }
    out
}

/// The text `m` was made from: its block, unmutated, extracted the same
/// way (to run in place of the mutant when telling what the mutation did
/// from what the code does anyway).
pub fn unmutated(corpus: &[CorpusFile], m: &Mutant) -> Option<String> {
    let module = load(&corpus.get(m.file)?.path)?;
    let block = module.blocks.get(m.index)?.clone();
    Some(pyasm::dis::print::print_module(&extract(
        &module, m.index, block,
    )))
}

/// The block `b` of `m` as the first block of a module of its own, with the
/// blocks it references (transitively) after it.
pub fn extract(m: &Module, b: usize, mutated: Block) -> Module {
    let mut block = mutated;
    let root_filename = m.blocks[0].filename.clone();
    if b != 0 {
        // What the assembler would have derived for a nested block.
        block.flags = block.flags.or(Some(pyasm::asm::default_flags(false)));
        block.name_field = block
            .name_field
            .or_else(|| Some(PyStr::new(&m.blocks[b].name)));
        block.filename = block.filename.or(root_filename.clone());
    }
    let mut blocks = vec![block];
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(m.blocks[b].name.clone());
    let mut k = 0;
    while k < blocks.len() {
        let mut refs = Vec::new();
        refs_of(&blocks[k], &mut refs);
        for r in refs {
            if seen.insert(r.clone()) {
                if let Some(child) = m.blocks.iter().find(|x| x.name == r) {
                    let mut c = child.clone();
                    if b != 0 {
                        c.filename = c.filename.or(root_filename.clone());
                    }
                    blocks.push(c);
                }
            }
        }
        k += 1;
    }
    Module {
        version: m.version,
        header: m.header,
        blocks,
    }
}

fn refs_of(b: &Block, out: &mut Vec<String>) {
    fn walk(o: &Obj, out: &mut Vec<String>) {
        match o {
            Obj::CodeRef(n) => out.push(n.clone()),
            Obj::Tuple(xs) | Obj::List(xs) | Obj::Set(xs) | Obj::FrozenSet(xs) => {
                xs.iter().for_each(|x| walk(x, out))
            }
            _ => {}
        }
    }
    b.consts.iter().for_each(|c| walk(c, out));
    for s in &b.body {
        if let Stmt::Instr(i) = s {
            if let Arg::Const(c) = &i.arg {
                walk(c, out);
            }
        }
    }
}

/// One mutation of block `b`: the mutant's text, what was done, and
/// whether it promises the unmutated behaviour.
pub fn mutate(m: &Module, b: usize, rng: &mut Rng) -> Option<(String, String, bool)> {
    let table = m.version.table();
    let orig = pyasm::dis::print::print_module(&extract(m, b, m.blocks[b].clone()));
    for _ in 0..20 {
        let mut block = m.blocks[b].clone();
        let Some((what, equal)) = mutate_block(table, &mut block, rng) else {
            continue;
        };
        let text = pyasm::dis::print::print_module(&extract(m, b, block));
        if text != orig {
            return Some((text, what, equal));
        }
    }
    None
}

fn instr_positions(b: &Block) -> Vec<usize> {
    b.body
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Stmt::Instr(_)))
        .map(|(k, _)| k)
        .collect()
}

fn labels(b: &Block) -> Vec<String> {
    b.body
        .iter()
        .filter_map(|s| match s {
            Stmt::Label(l, _) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

fn op_name(table: &OpcodeTable, b: &Block, k: usize) -> String {
    match &b.body[k] {
        Stmt::Instr(i) => table
            .by_code(i.opcode)
            .map(|o| o.name.to_string())
            .unwrap_or_else(|| format!("op{}", i.opcode)),
        Stmt::Label(l, _) => l.clone(),
    }
}

/// Applies one randomly chosen mutation; `None` when the chosen kind has
/// nothing to act on here. With it, whether it promises the unmutated
/// behaviour.
fn mutate_block(table: &OpcodeTable, b: &mut Block, rng: &mut Rng) -> Option<(String, bool)> {
    let pos = instr_positions(b);
    if pos.is_empty() {
        return None;
    }
    let k = *rng.pick(&pos)?;
    let nth = pos.iter().position(|&p| p == k).unwrap_or(0);
    let name = op_name(table, b, k);
    let changed = |w: Option<String>| w.map(|w| (w, false));
    match rng.below(15) {
        0 | 1 => {
            b.body.remove(k);
            changed(Some(format!("delete #{nth} {name}")))
        }
        2 | 3 => {
            let s = b.body[k].clone();
            b.body.insert(k, s);
            changed(Some(format!("duplicate #{nth} {name}")))
        }
        4 | 5 => {
            // With one of the next three instructions (labels between them
            // stay where they are).
            let later: Vec<usize> = pos.iter().copied().filter(|&p| p > k).take(3).collect();
            let j = *rng.pick(&later)?;
            let other = op_name(table, b, j);
            b.body.swap(k, j);
            changed(Some(format!("swap #{nth} {name} with {other}")))
        }
        6 => changed(retarget(b, rng)),
        7..=9 => changed(change_arg(table, b, k, rng).map(|w| format!("#{nth} {name}: {w}"))),
        10 | 11 => operand_edge(table, b, rng),
        12 | 13 => remove_to_bool(table, b, rng),
        _ => changed(reorder_excepts(b, rng)),
    }
}

/// What a mutant that writes its block's `.except` lines in another order
/// is called: the regions nest, so the order must not change the code.
pub const REORDERED_EXCEPTS: &str = "except lines reordered";

/// Shuffles the block's `.except` lines (`None` when fewer than two, or
/// when the shuffle gives the same order back).
fn reorder_excepts(b: &mut Block, rng: &mut Rng) -> Option<String> {
    let n = b.excepts.len();
    if n < 2 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    if order.iter().enumerate().all(|(i, &k)| i == k) {
        return None;
    }
    b.excepts = order.iter().map(|&k| b.excepts[k].clone()).collect();
    let shown: Vec<String> = order.iter().take(12).map(|k| k.to_string()).collect();
    Some(format!("{REORDERED_EXCEPTS}: {}", shown.join(" ")))
}

/// The instructions that always leave an exact bool on top of the stack.
fn leaves_bool(table: &OpcodeTable, b: &Block, k: usize) -> bool {
    let Stmt::Instr(i) = &b.body[k] else {
        return false;
    };
    let Some(info) = table.by_code(i.opcode) else {
        return false;
    };
    match info.op {
        Op::IS_OP
        | Op::CONTAINS_OP
        | Op::UNARY_NOT
        | Op::TO_BOOL
        | Op::CHECK_EXC_MATCH
        | Op::MATCH_MAPPING
        | Op::MATCH_SEQUENCE => true,
        Op::COMPARE_OP => {
            table.compare == CompareEncoding::MaskedBool
                && matches!(i.arg, Arg::Value(v) if v & 16 != 0)
        }
        Op::LOAD_CONST => {
            matches!(&i.arg, Arg::Const(c) if matches!(c.value(), Obj::True | Obj::False))
        }
        _ => false,
    }
}

/// Removes a `TO_BOOL` (3.13+). When the instruction right before it
/// (nothing jumps in between) always leaves a bool, `TO_BOOL` did
/// nothing, and the mutant must behave as the original.
fn remove_to_bool(table: &OpcodeTable, b: &mut Block, rng: &mut Rng) -> Option<(String, bool)> {
    let to_bool = table.by_op(Op::TO_BOOL)?.code;
    let at: Vec<usize> = b
        .body
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Stmt::Instr(i) if i.opcode == to_bool))
        .map(|(k, _)| k)
        .collect();
    let k = *rng.pick(&at)?;
    let equal = k > 0 && leaves_bool(table, b, k - 1);
    b.body.remove(k);
    let nth = instr_positions(b).iter().filter(|&&p| p < k).count();
    Some((
        format!(
            "remove TO_BOOL before #{nth}{}",
            if equal { " (after a bool)" } else { "" }
        ),
        equal,
    ))
}

/// Sets a checked immediate to the last value its range accepts or the
/// first it refuses, at either end, or to a neighbour (the low bit
/// flipped). Only `GET_AWAITABLE` (the argument picks an error message)
/// and `RESUME` promise the unmutated behaviour,
/// within the range: from 3.13 its place bits with the flag kept (they
/// only decide whether signals are checked), in 3.11-3.12 a move within 0-1
/// or within 2-3 (below 2 signals are checked and a suspended generator
/// delegates to nothing).
fn operand_edge(table: &OpcodeTable, b: &mut Block, rng: &mut Rng) -> Option<(String, bool)> {
    // Each candidate: body index, current argument, the edge values, and
    // whether a value keeps the behaviour.
    let mut cands: Vec<(usize, u32, Vec<u32>, Keeps)> = Vec::new();
    fn never(_: u32, _: u32, _: &OpcodeTable) -> bool {
        false
    }
    fn awaitable(_: u32, new: u32, _: &OpcodeTable) -> bool {
        new <= 2
    }
    fn resume(old: u32, new: u32, t: &OpcodeTable) -> bool {
        t.operand_values(Op::RESUME).is_some_and(|v| {
            if v.flags == 0 {
                // 3.11-3.12: below 2 the interpreter checks for signals and
                // a suspended generator delegates to nothing; from 2 on
                // the reverse.
                v.accepts(new) && (old < 2) == (new < 2)
            } else {
                v.accepts(new) && old & v.flags == new & v.flags
            }
        })
    }
    for (k, s) in b.body.iter().enumerate() {
        let Stmt::Instr(i) = s else { continue };
        let Some(info) = table.by_code(i.opcode) else {
            continue;
        };
        if info.base.is_some() || !info.has_arg() {
            continue;
        }
        let Arg::Value(cur) = i.arg else {
            // Symbolic forms are numbers once lowered; anything else (a
            // name, a label) has no range of this kind.
            if !matches!(i.arg, Arg::None) {
                continue;
            }
            // `Arg::None` on an instruction with an argument means 0.
            let v = 0;
            if let Operand::Range { min, max, .. } = facts(info.op).operand {
                cands.push((k, v, edges(min, max), never));
            }
            continue;
        };
        let listed = |n: usize| edges(0, n.saturating_sub(1) as u32);
        let keep: Keeps = match info.op {
            Op::GET_AWAITABLE => awaitable,
            Op::RESUME => resume,
            _ => never,
        };
        let vals = if let Operand::Range { min, max, .. } = facts(info.op).operand {
            edges(min, max)
        } else if let Some(v) = table.operand_values(info.op) {
            let top = v.max | v.flags;
            let mut e = vec![v.max, top, top + 1, v.max + 1];
            e.push((cur & !v.field) | v.max);
            e
        } else {
            match info.arg {
                ArgKind::Compare if table.compare != CompareEncoding::Index => {
                    let idx = match table.compare {
                        CompareEncoding::Masked => cur >> 4,
                        _ => cur >> 5,
                    };
                    let want = COMPARE_MASKS.get(idx as usize).copied().unwrap_or(0);
                    vec![(cur & !15) | (want ^ (1 << rng.below(4)))]
                }
                ArgKind::Compare => listed(table.cmp_ops.len()),
                ArgKind::BinaryOp => listed(table.nb_ops.len()),
                ArgKind::Intrinsic1 => edges(1, table.intrinsic1.len().saturating_sub(1) as u32),
                ArgKind::Intrinsic2 => edges(1, table.intrinsic2.len().saturating_sub(1) as u32),
                ArgKind::CommonConstant => listed(table.common_constants.len()),
                ArgKind::Special => listed(table.special_methods.len()),
                ArgKind::Conversion => edges(1, 3),
                ArgKind::FunctionAttr => {
                    let top = table.function_flags.iter().map(|f| f.0).max().unwrap_or(1);
                    vec![top, top << 1, 0, top | 1]
                }
                _ => continue,
            }
        };
        cands.push((k, cur, vals, keep));
    }
    let (k, cur, mut vals, keep) = rng.pick(&cands)?.clone();
    // And a neighbour inside the range, where moves that keep the
    // behaviour are.
    vals.push(cur ^ 1);
    let vals: Vec<u32> = vals.into_iter().filter(|&v| v != cur).collect();
    let new = *rng.pick(&vals)?;
    let name = op_name(table, b, k);
    if let Stmt::Instr(i) = &mut b.body[k] {
        i.arg = Arg::Value(new);
    }
    let equal = keep(cur, new, table);
    let nth = instr_positions(b).iter().position(|&p| p == k).unwrap_or(0);
    Some((format!("#{nth} {name}: edge {cur} -> {new}"), equal))
}

/// Whether moving an immediate from the first value to the second keeps
/// the program's behaviour, in a version.
type Keeps = fn(u32, u32, &OpcodeTable) -> bool;

/// The values at and just past both ends of `min..=max`.
fn edges(min: u32, max: u32) -> Vec<u32> {
    let mut v = vec![min];
    if min > 0 {
        v.push(min - 1);
    }
    if max != u32::MAX {
        v.push(max);
        v.push(max + 1);
    }
    v
}

/// Points a jump, or one end of an exception-table entry, at another label.
fn retarget(b: &mut Block, rng: &mut Rng) -> Option<String> {
    let labels = labels(b);
    let jumps: Vec<usize> = b
        .body
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Stmt::Instr(i) if matches!(i.arg, Arg::Label(_))))
        .map(|(k, _)| k)
        .collect();
    let to = rng.pick(&labels)?.clone();
    if !b.excepts.is_empty() && (jumps.is_empty() || rng.below(3) == 0) {
        let e = rng.below(b.excepts.len());
        let x = &mut b.excepts[e];
        return Some(match rng.below(5) {
            0 => {
                x.handler = to.clone();
                format!("except entry {e}: handler -> {to}")
            }
            1 => {
                x.start = to.clone();
                format!("except entry {e}: start -> {to}")
            }
            2 => {
                x.end = to.clone();
                format!("except entry {e}: end -> {to}")
            }
            3 => {
                x.lasti = !x.lasti;
                format!("except entry {e}: lasti -> {}", x.lasti)
            }
            _ => {
                let d = x.depth.unwrap_or(0);
                let nd = if d > 0 && rng.below(2) == 0 {
                    d - 1
                } else {
                    d + 1
                };
                x.depth = Some(nd);
                format!("except entry {e}: depth -> {nd}")
            }
        });
    }
    let k = *rng.pick(&jumps)?;
    if let Stmt::Instr(i) = &mut b.body[k] {
        i.arg = Arg::Label(to.clone());
    }
    let nth = instr_positions(b).iter().position(|&p| p == k).unwrap_or(0);
    Some(format!("#{nth}: jump -> {to}"))
}

/// A nearby or random number in place of `v`.
fn other_value(v: u32, rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 => v.wrapping_add(1),
        1 => v.saturating_sub(1),
        2 => v ^ 1,
        3 => v.wrapping_add(2 + rng.below(14) as u32),
        4 => 0,
        _ => rng.below((2 * v as usize).max(8) + 1) as u32,
    }
}

/// Changes the argument of the instruction at body index `k`, within what
/// its kind can say: another number, constant, name, local or label.
fn change_arg(table: &OpcodeTable, b: &mut Block, k: usize, rng: &mut Rng) -> Option<String> {
    let Stmt::Instr(ins) = &b.body[k] else {
        return None;
    };
    let kind = table.by_code(ins.opcode)?.arg;
    let arg = ins.arg.clone();
    // What the block already uses, to draw replacements from.
    let mut consts: Vec<Constant> = b.consts.clone();
    let mut names: Vec<PyStr> = b.names.clone();
    let mut locals: Vec<PyStr> = b.vars.iter().map(|v| v.name.clone()).collect();
    for s in &b.body {
        if let Stmt::Instr(i) = s {
            let kd = table.by_code(i.opcode).map(|o| o.arg);
            match (&i.arg, kd) {
                (Arg::Const(c), _) if !consts.contains(c) => consts.push(c.clone()),
                (Arg::Name(n), Some(ArgKind::Local | ArgKind::Free)) if !locals.contains(n) => {
                    locals.push(n.clone())
                }
                (Arg::Name(n), Some(kd)) if kd.uses_names() && !names.contains(n) => {
                    names.push(n.clone())
                }
                (
                    Arg::NameFlags {
                        name: NameRef::Name(n),
                        ..
                    },
                    _,
                ) if !names.contains(n) => names.push(n.clone()),
                _ => {}
            }
        }
    }
    let labels = labels(b);
    let (new, what) = match (&arg, kind) {
        (_, ArgKind::None) => return None,
        // Only lowering makes it; a disassembled block never holds one.
        (Arg::Broken, _) => return None,
        (Arg::Label(_), _) => {
            let l = rng.pick(&labels)?.clone();
            (Arg::Label(l.clone()), format!("target -> {l}"))
        }
        (Arg::Const(c), _) => {
            if rng.below(8) == 0 {
                let n = rng.below(consts.len() + 1) as u32;
                (Arg::Value(n), format!("const -> #{n}"))
            } else {
                let others: Vec<&Constant> = consts.iter().filter(|x| *x != c).collect();
                let o = (*rng.pick(&others)?).clone();
                let t = pyasm::syntax::literal::const_text(&o);
                (Arg::Const(o), format!("const -> {t}"))
            }
        }
        (Arg::Name(n), ArgKind::Local | ArgKind::Free) => {
            if rng.below(8) == 0 {
                let v = rng.below(locals.len() + 1) as u32;
                (Arg::Value(v), format!("local -> #{v}"))
            } else {
                let others: Vec<&PyStr> = locals.iter().filter(|x| *x != n).collect();
                let o = (*rng.pick(&others)?).clone();
                let t = pyasm::syntax::literal::name_text(&o);
                (Arg::Name(o), format!("local -> {t}"))
            }
        }
        (Arg::Name(n), _) => {
            let others: Vec<&PyStr> = names.iter().filter(|x| *x != n).collect();
            let o = (*rng.pick(&others)?).clone();
            let t = pyasm::syntax::literal::name_text(&o);
            (Arg::Name(o), format!("name -> {t}"))
        }
        (Arg::NameFlags { flags, name }, _) => {
            let bits = if kind == ArgKind::SuperAttr { 2 } else { 1 };
            if rng.below(2) == 0 {
                let f = flags ^ (1 << rng.below(bits));
                (
                    Arg::NameFlags {
                        flags: f,
                        name: name.clone(),
                    },
                    format!("flags -> {f}"),
                )
            } else {
                let o = (*rng.pick(&names.iter().collect::<Vec<_>>())?).clone();
                let t = pyasm::syntax::literal::name_text(&o);
                (
                    Arg::NameFlags {
                        flags: *flags,
                        name: NameRef::Name(o),
                    },
                    format!("name -> {t}"),
                )
            }
        }
        (Arg::Pair(x, y), _) => {
            let o = NameRef::Name((*rng.pick(&locals.iter().collect::<Vec<_>>())?).clone());
            if rng.below(2) == 0 {
                (Arg::Pair(o, y.clone()), "first local changed".to_string())
            } else {
                (Arg::Pair(x.clone(), o), "second local changed".to_string())
            }
        }
        (Arg::Value(v), _) => {
            let n = other_value(*v, rng);
            (Arg::Value(n), format!("{v} -> {n}"))
        }
        (Arg::None, _) => {
            let n = other_value(0, rng);
            (Arg::Value(n), format!("0 -> {n}"))
        }
    };
    if let Stmt::Instr(i) = &mut b.body[k] {
        i.arg = new;
    }
    Some(what)
}
