//! The in-process half of the corpus benchmark (not a test: it prints
//! figures as JSON and asserts nothing). `bench/corpus.py` drives it; see
//! `bench/run.sh`.
//!
//! - `parse DIR [--threads N] [--reps R]`: reads every `.pyasm` file under
//!   `DIR` into memory, then times tree-sitter's bare parse of all of them
//!   (no lowering), on `N` threads (default: all cores), `R` times.
//! - `phases PYC_DIR [--reps R] [--scratch DIR]`: on one thread, the time
//!   of each phase of `dis` and `build` over every `.pyc` file under
//!   `PYC_DIR`, with the files already in memory: for `dis` the marshal
//!   reader, the disassembler (with its check that every block reassembles)
//!   and the printer; for `build` the parse, the lowering, the assembler with
//!   and without the verifier's analyses, the marshal writer; the same
//!   along the path `pyasm build` takes (the file analysis lowers every
//!   block, frees the tree, assembles and verifies each block once, then
//!   links them; `path.*`),
//!   and the whole of `pyasm::assemble` as the command runs it. Then the cost of
//!   writing the bytes: plain `std::fs::write` of every `.pyasm` text and
//!   `.pyc`, and `pyasm::fsutil::write_atomic` (what the command uses),
//!   into `--scratch` (default: a temporary folder).
//!
//! Both print wall seconds and CPU seconds (of the process for `parse`, of
//! the thread for `phases`) for each run.

// The executable's allocator and memory tuning, so that what is measured
// is what `pyasm` does.
#[allow(dead_code)]
#[path = "../src/process.rs"]
mod process;

use pyasm::asm::Options;
use pyasm::ide::FileAnalysis;
use pyasm::versions::Version;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    process::start();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("parse") if args.len() >= 2 => parse(&args[1], &args[2..]),
        Some("phases") if args.len() >= 2 => phases(&args[1], &args[2..]),
        // `cargo test --all-targets` starts every bench with no arguments or
        // with the harness's flags (`--nocapture`): nothing to measure.
        _ if args.iter().all(|a| a.starts_with("--")) => {
            eprintln!("corpus: nothing to measure without a folder; run bench/run.sh")
        }
        _ => {
            eprintln!(
                "usage: corpus parse DIR [--threads N] [--reps R]\n       \
                 corpus phases PYC_DIR [--reps R] [--scratch DIR]"
            );
            std::process::exit(2);
        }
    }
}

/// The value after `--name`, parsed, or `default`.
fn opt<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}"))
        })
        .unwrap_or(default)
}

fn find(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// CPU time used so far by this process (all threads) or by this thread,
/// in seconds: on a machine shared with other work, wall time counts the
/// waiting too.
fn cpu_seconds(clock: libc::clockid_t) -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given; both clocks
    // exist on every Linux.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn pool(threads: usize) -> rayon::ThreadPool {
    let mut b = rayon::ThreadPoolBuilder::new();
    if threads > 0 {
        b = b.num_threads(threads);
    }
    b.build().expect("a thread pool")
}

// ---------------------------------------------------------------------------
// parse: the floor of this design

fn parse(dir: &str, args: &[String]) {
    let threads: usize = opt(args, "--threads", 0);
    let reps: usize = opt(args, "--reps", 3);
    let texts: Vec<String> = find(dir, "pyasm")
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let lines: usize = texts.iter().map(|t| t.lines().count()).sum();
    let pool = pool(threads);
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let mut walk_times = Vec::new();
    let mut nodes = 0usize;
    for _ in 0..reps {
        let t = Instant::now();
        let c = cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID);
        // Each tree is dropped as soon as it is counted: freeing it is part
        // of any use of a parse.
        nodes = pool.install(|| {
            texts
                .par_iter()
                .map(|text| {
                    let tree = pyasm::syntax::parse(text, None);
                    tree.root_node().descendant_count()
                })
                .sum()
        });
        times.push(secs(t.elapsed()));
        cpu_times.push(cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID) - c);
        // A walk with a cursor through every node of every tree: what any
        // use of the tree costs at least.
        let trees: Vec<_> = texts
            .iter()
            .map(|t| pyasm::syntax::parse(t, None))
            .collect();
        let t = Instant::now();
        let visited: usize = pool.install(|| trees.par_iter().map(walk).sum());
        walk_times.push(secs(t.elapsed()));
        assert_eq!(visited, nodes);
    }
    let out = json!({
        "files": texts.len(),
        "bytes": bytes,
        "lines": lines,
        "nodes": nodes,
        "threads": pool.current_num_threads(),
        "seconds": times,
        "cpu_seconds": cpu_times,
        "walk_seconds": walk_times,
    });
    println!("{out}");
}

/// Visits every node of `tree` with a cursor; returns how many.
fn walk(tree: &tree_sitter::Tree) -> usize {
    let mut c = tree.walk();
    let mut n = 1;
    loop {
        if c.goto_first_child() || c.goto_next_sibling() {
            n += 1;
            continue;
        }
        loop {
            if !c.goto_parent() {
                return n;
            }
            if c.goto_next_sibling() {
                n += 1;
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// phases: where the time of dis and build goes, on one thread

struct Input {
    rel: PathBuf,
    pyc: Vec<u8>,
}

fn phases(dir: &str, args: &[String]) {
    let reps: usize = opt(args, "--reps", 3);
    let scratch_arg: String = opt(args, "--scratch", String::new());
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let scratch = if scratch_arg.is_empty() {
        tmp.path().to_path_buf()
    } else {
        PathBuf::from(scratch_arg)
    };
    let inputs: Vec<Input> = find(dir, "pyc")
        .into_iter()
        .map(|p| Input {
            pyc: std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            rel: p.strip_prefix(dir).unwrap_or(&p).to_path_buf(),
        })
        .collect();
    // The folders exist before anything is timed.
    for i in &inputs {
        if let Some(parent) = scratch.join(&i.rel).parent() {
            std::fs::create_dir_all(parent).expect("scratch folder");
        }
    }

    let mut runs: Vec<Vec<(&'static str, f64, f64)>> = Vec::new();
    let mut pyasm_bytes = 0usize;
    let mut rebuilt_bytes = 0usize;
    let unverified = Options {
        verify: false,
        recompute_stack: false,
    };
    for _ in 0..reps {
        // File by file, as the command works: each phase's time is summed
        // over the files, and nothing is kept from one file to the next.
        let mut ph = Phases::default();
        let mut texts = Vec::with_capacity(inputs.len());
        let mut pycs = Vec::with_capacity(inputs.len());
        for i in &inputs {
            // dis
            let (h, code) = ph.time("dis.marshal_read", || {
                pyasm::pyc::read_pyc(&i.pyc).expect("a readable .pyc")
            });
            let module = ph.time("dis.disassemble", || {
                pyasm::dis::disassemble(h.version, Some(h), &code)
            });
            let text = ph.time("dis.print", || pyasm::dis::print::print_module(&module));
            ph.time("dis.free", || drop((code, module)));
            // build
            let tree = ph.time("build.parse", || pyasm::syntax::parse(&text, None));
            let lowered = ph.time("build.lower", || {
                pyasm::syntax::lower::lower(&text, &tree, Version::V3_11)
            });
            ph.time("build.free_tree", || drop(tree));
            ph.time("build.assemble_unverified", || {
                std::hint::black_box(pyasm::asm::assemble_with(&lowered.module, unverified).ok())
            });
            let code = ph.time("build.assemble", || {
                pyasm::asm::assemble_with(&lowered.module, Options::default())
                    .expect("dis output assembles")
                    .0
            });
            let pyc = ph.time("build.marshal_write", || {
                let h = lowered.module.header.expect("dis writes the header");
                pyasm::pyc::write_pyc(&h, &code)
            });
            ph.time("build.free", || drop((code, lowered)));
            // The same, the way `pyasm build` does it: each block lowered,
            // assembled and verified once by the file analysis, then linked.
            let tree = ph.time("path.parse", || pyasm::syntax::parse(&text, None));
            // It frees the tree once everything is lowered.
            let analysis = ph.time("path.analyse", || {
                FileAnalysis::for_build(tree, &text.as_str(), Version::V3_11, Options::default())
            });
            let header = analysis.preamble.header.expect("dis writes the header");
            let code = ph.time("path.link", || analysis.link("").expect("dis output links"));
            let pyc2 = ph.time("path.marshal_write", || {
                pyasm::pyc::write_pyc(&header, &code)
            });
            assert!(pyc2 == pyc, "the two ways to build agree");
            ph.time("path.free", || drop(code));
            texts.push(text);
            pycs.push(pyc);
        }
        // The library's whole paths, as the command calls them.
        for i in &inputs {
            let text = ph.time("dis.whole", || {
                pyasm::disassemble_pyc(&i.pyc)
                    .expect("a readable .pyc")
                    .text
            });
            let built = ph.time("build.whole", || {
                pyasm::assemble(&text, &Default::default())
            });
            std::hint::black_box(built.pyc.expect("dis output builds"));
        }
        // Writing the bytes.
        for (atomic, phase) in [(false, "write.pyasm_plain"), (true, "write.pyasm_atomic")] {
            ph.time(phase, || {
                write_all(&scratch, &inputs, "pyasm", &texts, atomic)
            });
        }
        for (atomic, phase) in [(false, "write.pyc_plain"), (true, "write.pyc_atomic")] {
            ph.time(phase, || write_all(&scratch, &inputs, "pyc", &pycs, atomic));
        }
        pyasm_bytes = texts.iter().map(String::len).sum();
        rebuilt_bytes = pycs.iter().map(Vec::len).sum();
        runs.push(ph.0);
    }
    let names: Vec<&str> = runs[0].iter().map(|(n, _, _)| *n).collect();
    let mut seconds = serde_json::Map::new();
    let mut cpu_seconds = serde_json::Map::new();
    for n in names {
        let of = |pick: fn(&(&'static str, f64, f64)) -> f64| -> Vec<f64> {
            runs.iter()
                .filter_map(|r| r.iter().find(|(m, _, _)| *m == n).map(pick))
                .collect()
        };
        seconds.insert(n.to_string(), json!(of(|p| p.1)));
        cpu_seconds.insert(n.to_string(), json!(of(|p| p.2)));
    }
    let out: Value = json!({
        "files": inputs.len(),
        "pyc_bytes": inputs.iter().map(|i| i.pyc.len()).sum::<usize>(),
        "pyasm_bytes": pyasm_bytes,
        "rebuilt_pyc_bytes": rebuilt_bytes,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    });
    println!("{out}");
}

fn write_all<D: AsRef<[u8]>>(
    scratch: &Path,
    inputs: &[Input],
    ext: &str,
    data: &[D],
    atomic: bool,
) {
    for (i, d) in inputs.iter().zip(data) {
        let path = scratch.join(&i.rel).with_extension(ext);
        if atomic {
            pyasm::fsutil::write_atomic(&path, d.as_ref()).expect("write");
        } else {
            std::fs::write(&path, d).expect("write");
        }
    }
}

/// Wall and CPU seconds per phase, summed, in order of first use. The
/// process' CPU, not the thread's: the library's entry points run their
/// work on a thread of their own (`with_work_stack`), which a thread clock
/// did not see (`pyasm::assemble_text` showed 0.1 s of CPU for 14 s of
/// wall), and nothing else runs while the phases are timed.
#[derive(Default)]
struct Phases(Vec<(&'static str, f64, f64)>);

impl Phases {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let c = cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID);
        let r = f();
        let cpu = cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID) - c;
        let s = secs(t.elapsed());
        match self.0.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, total, total_cpu)) => {
                *total += s;
                *total_cpu += cpu;
            }
            None => self.0.push((name, s, cpu)),
        }
        r
    }
}
