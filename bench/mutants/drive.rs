//! The mutation run: generate mutants in batches, build each with
//! `pyasm build` (verifier on), run every one the build accepts in the real
//! interpreter of its version, and count how they ended. Shared by
//! `bench/mutants.sh` (through the `mutants` bench binary) and
//! `tests/versions.rs` (`mutants::V`).
//!
//! Misruns: a mutant marked `expect_equal` (its mutation promises the
//! unmutated behaviour: a `TO_BOOL` removed after a bool, an `.except`
//! order that changes no innermost handler, an immediate moved within what
//! its documentation says changes no result) is run beside the unmutated
//! code object, built from the same corpus text: the original, then the
//! mutant, then the original again, in one process, on the same arguments.
//! Each run leaves a summary of every call (what it returned, by type and
//! for plain values by value, each value a generator yielded, or the type
//! of the exception). When the two runs of the original agree and the
//! mutant's differs, the mutant is a misrun. (Two runs of the original
//! tell results that depend on time, state or chance, which are not
//! compared.) The CI trial and `bench/mutants.sh` fail on a misrun as on a
//! crash.
//!
//! The interpreter side: `tests/py/mutants.py run` in a native interpreter
//! (a fork per mutant) and `node tests/pyodide/mutants.mjs` (a worker that
//! runs one mutant after another; see its header for the isolation it
//! gives) for a version that has none here.

use super::gen::{
    generate, module_name, originals, unmutated, CorpusFile, Mutant, REORDERED_EXCEPTS,
};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Config {
    /// "3.11" to "3.14".
    pub version: String,
    /// The pyasm binary that builds the mutants.
    pub pyasm: PathBuf,
    /// The repository (for tests/py and tests/pyodide).
    pub repo: PathBuf,
    /// Scratch folder for the batches (emptied as each batch ends).
    pub work: PathBuf,
    /// Where crashing mutants are kept, with what happened.
    pub keep: PathBuf,
    pub count: usize,
    pub seed: u64,
    pub batch: usize,
    /// Seconds a mutant may run.
    pub timeout: f64,
    /// The version's native interpreter (`tests/interpreters.txt`); `None`
    /// runs its pyodide build.
    pub native: Option<PathBuf>,
    /// Print a line per batch to stderr.
    pub progress: bool,
    /// Run the corpus's own code objects, unmutated, instead of mutants
    /// (every one, up to `count`).
    pub unmutated: bool,
}

/// Whether a native interpreter has audit hooks (PEP 578, 3.8 on), with
/// which `mutants.py` contains the mutants itself.
pub fn has_audit_hooks(exe: &Path) -> bool {
    Command::new(exe)
        .args(["-c", "import sys; sys.addaudithook"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The command that runs `exe` on mutants whose batch folder is `dir`.
/// An interpreter without audit hooks (3.6, 3.7) runs inside bubblewrap
/// instead: the file system read-only but for `dir` and a private `/tmp`
/// (the repository, which may lie under `/tmp`, read-only over it), no
/// network, its own process ids, gone with the parent; `mutants.py`
/// refuses to run mutants without one or the other.
fn runner_command(exe: &Path, repo: &Path, dir: &Path) -> Command {
    if has_audit_hooks(exe) {
        return Command::new(exe);
    }
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (repo, dir) = (real(repo), real(dir));
    let mut c = Command::new("bwrap");
    c.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"])
        .args(["--tmpfs", "/tmp", "--ro-bind"])
        .arg(&repo)
        .arg(&repo)
        .arg("--bind")
        .arg(&dir)
        .arg(&dir)
        .args(["--unshare-all", "--die-with-parent", "--new-session"])
        .arg("--setenv")
        .args(["PYASM_MUTANTS_SANDBOX", "bwrap", "--"])
        .arg(exe);
    c
}

/// A mutant that crashed the interpreter (or trapped once, unconfirmed).
pub struct Found {
    pub id: usize,
    pub rel: String,
    pub block: String,
    pub what: String,
    pub detail: String,
    pub saved: PathBuf,
}

impl Found {
    /// What a mutant did, saved at `saved`.
    fn of(m: &Mutant, detail: &str, saved: PathBuf) -> Found {
        Found {
            id: m.id,
            rel: m.rel.clone(),
            block: m.block.clone(),
            what: m.what.clone(),
            detail: detail.to_string(),
            saved,
        }
    }
}

#[derive(Default)]
pub struct Tally {
    pub generated: usize,
    pub accepted: usize,
    pub ran: usize,
    pub ok: usize,
    pub exception: usize,
    pub hang: usize,
    pub exit: usize,
    /// Accepted but with no result from the runner (it died).
    pub missing: usize,
    /// Accepted mutants that promise the unmutated behaviour, and so were
    /// compared with it.
    pub compared: usize,
    /// Misruns: of those, the ones that behaved otherwise, and the
    /// reordered mutants whose code is not their original's.
    pub misruns: Vec<Found>,
    pub crashes: Vec<Found>,
    /// Crashes of mutants whose unmutated code crashes the interpreter too
    /// (set aside: not the verifier's to prevent).
    pub original_crashes: Vec<Found>,
    pub unconfirmed: Vec<Found>,
    /// Mutants that only reorder `.except` lines, built and compared with
    /// their unmutated code.
    pub reordered: usize,
    /// Wall time spent building the mutants, and running the accepted ones.
    pub build_secs: f64,
    pub run_secs: f64,
    /// How often each Python exception ended a mutant, for the report.
    pub exceptions: HashMap<String, usize>,
}

pub fn run(cfg: &Config, corpus: &[CorpusFile]) -> Tally {
    let mut t = Tally::default();
    let mut next_id = 0;
    let mut batch_no = 0u64;
    while t.generated < cfg.count {
        let n = cfg.batch.min(cfg.count - t.generated);
        let seed = cfg.seed.wrapping_mul(1_000_003).wrapping_add(batch_no);
        let mutants = if cfg.unmutated {
            originals(corpus, t.generated, n, next_id)
        } else {
            generate(corpus, n, seed, next_id)
        };
        if mutants.is_empty() {
            break;
        }
        next_id += mutants.len();
        batch_no += 1;
        run_batch(cfg, corpus, &mutants, &mut t);
        if cfg.progress {
            eprintln!(
                "{}: {} generated, {} accepted, {} crashes, {} misruns, {} hangs (built in {:.0} s, ran in {:.0} s)",
                cfg.version,
                t.generated,
                t.accepted,
                t.crashes.len(),
                t.misruns.len(),
                t.hang,
                t.build_secs,
                t.run_secs
            );
        }
    }
    t
}

fn run_batch(cfg: &Config, corpus: &[CorpusFile], mutants: &[Mutant], t: &mut Tally) {
    // Absolute: the runners change directory.
    let work = std::path::absolute(&cfg.work).unwrap_or_else(|_| cfg.work.clone());
    let dir = work.join("batch");
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("src");
    let out = dir.join("out");
    std::fs::create_dir_all(&src).expect("batch folder");
    for m in mutants {
        std::fs::write(src.join(format!("{}.pyasm", m.id)), &m.text).expect("write mutant");
        // The unmutated code, to compare with.
        if m.expect_equal {
            if let Some(orig) = unmutated(corpus, m) {
                std::fs::write(src.join(format!("{}.orig.pyasm", m.id)), orig)
                    .expect("write original");
            }
        }
    }
    t.generated += mutants.len();
    let clock = std::time::Instant::now();
    build_dir(&cfg.pyasm, &src, &out).expect("cannot run pyasm build");
    t.build_secs += clock.elapsed().as_secs_f64();
    let mut list = String::new();
    let mut accepted = Vec::new();
    for m in mutants {
        let pyc = out.join(format!("{}.pyc", m.id));
        if pyc.exists() {
            let orig = out.join(format!("{}.orig.pyc", m.id));
            let orig = if m.expect_equal && orig.exists() {
                t.compared += 1;
                orig.display().to_string()
            } else {
                String::new()
            };
            list.push_str(&format!(
                "{}\t{}\t{}\t{orig}\n",
                m.id,
                pyc.display(),
                module_name(&m.rel)
            ));
            accepted.push(m);
        }
    }
    t.accepted += accepted.len();
    same_as_unmutated(cfg, corpus, mutants, &dir, &out, t);
    if accepted.is_empty() {
        return;
    }
    let clock = std::time::Instant::now();
    let got = run_list(cfg, &dir, "list", &list);
    t.run_secs += clock.elapsed().as_secs_f64();
    let mut crashed = Vec::new();
    for m in accepted {
        let Some((outcome, detail, before)) = got.get(&m.id) else {
            t.missing += 1;
            continue;
        };
        t.ran += 1;
        match outcome.as_str() {
            "ok" => t.ok += 1,
            "exception" => {
                t.exception += 1;
                *t.exceptions.entry(detail.clone()).or_default() += 1;
            }
            "hang" => t.hang += 1,
            "misrun" => {
                let saved = keep(cfg, corpus, m, outcome, detail);
                t.misruns.push(Found::of(m, detail, saved));
            }
            "exit" => {
                t.exit += 1;
                *t.exceptions.entry(format!("exit {detail}")).or_default() += 1;
            }
            "crash" => crashed.push((m, detail.clone())),
            "unconfirmed" => {
                let saved = keep(cfg, corpus, m, outcome, detail);
                keep_before(cfg, corpus, mutants, m.id, before);
                t.unconfirmed.push(Found::of(m, detail, saved));
            }
            _ => t.missing += 1,
        }
    }
    // A crash counts against the verifier only if the code it was made
    // from runs without one: CPython has bugs that plain Python reaches
    // (a deallocation chain that overflows the C stack), and a mutant of
    // such code crashes for the interpreter's reasons.
    let original_crashes = originals_crashing(cfg, corpus, &crashed, &dir);
    for (m, detail) in crashed {
        let also = original_crashes.contains(&m.id);
        let outcome = match also {
            true => "crash, as does the unmutated code",
            false => "crash",
        };
        let f = Found::of(m, &detail, keep(cfg, corpus, m, outcome, &detail));
        match also {
            true => t.original_crashes.push(f),
            false => t.crashes.push(f),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the runner on `list` (lines `ID<TAB>PYC<TAB>MODULE[<TAB>ORIG]`),
/// written in `dir` as `NAME.tsv`: each id's outcome, detail, and for an
/// unconfirmed trap the ids run before it.
fn run_list(
    cfg: &Config,
    dir: &Path,
    name: &str,
    list: &str,
) -> HashMap<usize, (String, String, String)> {
    let list_path = dir.join(format!("{name}.tsv"));
    let results = dir.join(format!("{name}-results.tsv"));
    std::fs::write(&list_path, list).expect("write list");
    let timeout = cfg.timeout.to_string();
    let mut cmd = if let Some(exe) = &cfg.native {
        let mut c = runner_command(exe, &cfg.repo, dir);
        c.args(["-I", "-S"])
            .arg(cfg.repo.join("tests/py/mutants.py"))
            .arg("run");
        c
    } else {
        let mut c = Command::new("node");
        c.arg(cfg.repo.join("tests/pyodide/mutants.mjs"))
            .arg(&cfg.version);
        c
    };
    cmd.arg(&list_path)
        .arg(&results)
        .args(["--timeout", &timeout])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let st = cmd.status().expect("cannot start the mutant runner");
    if !st.success() && cfg.progress {
        eprintln!("{}: the runner ended with {st}", cfg.version);
    }
    let text = std::fs::read_to_string(&results).unwrap_or_default();
    let mut got = HashMap::new();
    for line in text.lines() {
        let mut p = line.splitn(4, '\t');
        let (Some(id), Some(outcome)) = (p.next(), p.next()) else {
            continue;
        };
        let Ok(id) = id.parse() else { continue };
        let detail = p.next().unwrap_or("").to_string();
        got.insert(
            id,
            (
                outcome.to_string(),
                detail,
                p.next().unwrap_or("").to_string(),
            ),
        );
    }
    got
}

/// Of the `crashed` mutants, those whose unmutated code, built from the
/// same corpus text and run the same way, crashes too.
fn originals_crashing(
    cfg: &Config,
    corpus: &[CorpusFile],
    crashed: &[(&Mutant, String)],
    dir: &Path,
) -> Vec<usize> {
    if crashed.is_empty() {
        return Vec::new();
    }
    let src = dir.join("crash-orig-src");
    let out = dir.join("crash-orig-out");
    let _ = std::fs::create_dir_all(&src);
    for (m, _) in crashed {
        if let Some(text) = unmutated(corpus, m) {
            let _ = std::fs::write(src.join(format!("{}.pyasm", m.id)), text);
        }
    }
    if build_dir(&cfg.pyasm, &src, &out).is_err() {
        return Vec::new();
    }
    let mut list = String::new();
    for (m, _) in crashed {
        let pyc = out.join(format!("{}.pyc", m.id));
        if pyc.exists() {
            list.push_str(&format!(
                "{}\t{}\t{}\n",
                m.id,
                pyc.display(),
                module_name(&m.rel)
            ));
        }
    }
    run_list(cfg, dir, "crash-orig", &list)
        .into_iter()
        .filter(|(_, (outcome, _, _))| outcome == "crash")
        .map(|(id, _)| id)
        .collect()
}

/// The mutants that must build to their original's code (reordered
/// `.except` lines): each is built beside its unmutated text, and any
/// difference, or a refusal of the mutant alone, is a misrun.
fn same_as_unmutated(
    cfg: &Config,
    corpus: &[CorpusFile],
    mutants: &[Mutant],
    dir: &Path,
    out: &Path,
    t: &mut Tally,
) {
    let src = dir.join("orig-src");
    let built = dir.join("orig-out");
    let mut checked = Vec::new();
    for m in mutants
        .iter()
        .filter(|m| m.what.starts_with(REORDERED_EXCEPTS))
    {
        if let Some(text) = unmutated(corpus, m) {
            let _ = std::fs::create_dir_all(&src);
            let _ = std::fs::write(src.join(format!("{}.pyasm", m.id)), text);
            checked.push(m);
        }
    }
    if checked.is_empty() {
        return;
    }
    build_dir(&cfg.pyasm, &src, &built).expect("cannot run pyasm build");
    for m in checked {
        let name = format!("{}.pyc", m.id);
        let Ok(want) = std::fs::read(built.join(&name)) else {
            // The original itself is refused: nothing to compare with.
            continue;
        };
        t.reordered += 1;
        let detail = match std::fs::read(out.join(&name)) {
            Ok(got) if got == want => continue,
            Ok(_) => "built code differs from the unmutated code",
            Err(_) => "refused, though the unmutated code builds",
        };
        let saved = keep(cfg, corpus, m, "misrun", detail);
        t.misruns.push(Found::of(m, detail, saved));
    }
}

/// Saves a crashing mutant's text, the unmutated code it was made from
/// (`.orig.pyasm`), and a note of what it is, for reproduction: `pyasm
/// build` it, then run the .pyc as the runner does (`mutants replay`).
fn keep(cfg: &Config, corpus: &[CorpusFile], m: &Mutant, outcome: &str, detail: &str) -> PathBuf {
    let _ = std::fs::create_dir_all(&cfg.keep);
    let base = format!("{}-{}", cfg.version, m.id);
    let path = cfg.keep.join(format!("{base}.pyasm"));
    let _ = std::fs::write(&path, &m.text);
    if let Some(orig) = unmutated(corpus, m) {
        let _ = std::fs::write(cfg.keep.join(format!("{base}.orig.pyasm")), orig);
    }
    if let Ok(mut f) = std::fs::File::create(cfg.keep.join(format!("{base}.txt"))) {
        let _ = writeln!(
            f,
            "version {}\nmodule {}\nfile {}\nblock {}\nmutation {}\n{outcome}: {detail}",
            cfg.version,
            module_name(&m.rel),
            m.rel,
            m.block,
            m.what
        );
    }
    path
}

/// For a trap that did not happen again alone: every mutant that ran
/// before it in the same worker, in that order (`order.tsv`: id, module,
/// mutation), each with its unmutated code, for `mutants replay` to run
/// again and narrow down.
fn keep_before(cfg: &Config, corpus: &[CorpusFile], batch: &[Mutant], id: usize, before: &str) {
    let dir = cfg.keep.join(format!("{}-{id}.before", cfg.version));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let by_id: HashMap<usize, &Mutant> = batch.iter().map(|m| (m.id, m)).collect();
    let mut order = String::new();
    for other in before
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        let Some(m) = by_id.get(&other) else { continue };
        order.push_str(&format!("{other}\t{}\t{}\n", module_name(&m.rel), m.what));
        let _ = std::fs::write(dir.join(format!("{other}.pyasm")), &m.text);
        if let Some(orig) = unmutated(corpus, m) {
            let _ = std::fs::write(dir.join(format!("{other}.orig.pyasm")), orig);
        }
    }
    let _ = std::fs::write(dir.join("order.tsv"), order);
}

/// `pyasm build SRC -o OUT`: a `.pyc` in OUT for each file of SRC the
/// verifier accepts. Its exit status and diagnostics are not needed: what
/// was accepted is what exists in OUT afterwards.
pub fn build_dir(pyasm: &Path, src: &Path, out: &Path) -> std::io::Result<()> {
    Command::new(pyasm)
        .arg("build")
        .arg(src)
        .arg("-o")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .and_then(|s| match s.code() {
            // Built, or refused with diagnostics.
            Some(0 | 1) => Ok(()),
            // A panic or a signal: pyasm itself failed on some mutant,
            // and every file after it would look refused.
            _ => Err(std::io::Error::other(format!(
                "pyasm build {} ended with {s}",
                src.display()
            ))),
        })
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

/// The figures, as bench/mutants.sh prints them.
pub fn report(version: &str, t: &Tally) -> String {
    let mut s = format!(
        "{version}: generated {}, accepted {} ({}), ran {}, python exception only {} ({} of ran), \
         completed {}, hangs {}, exits {}, no result {}, crashes {}, unconfirmed traps {}, \
         misruns {} ({} compared by running, {} except-order mutants by their code), \
         set aside {} (crashes whose unmutated code crashes too)
",
        t.generated,
        t.accepted,
        pct(t.accepted, t.generated),
        t.ran,
        t.exception,
        pct(t.exception, t.ran),
        t.ok,
        t.hang,
        t.exit,
        t.missing,
        t.crashes.len(),
        t.unconfirmed.len(),
        t.misruns.len(),
        t.compared,
        t.reordered,
        t.original_crashes.len()
    );
    for (label, list) in [
        ("crash", &t.crashes),
        ("unconfirmed", &t.unconfirmed),
        ("misrun", &t.misruns),
        ("set aside", &t.original_crashes),
    ] {
        for f in list {
            s.push_str(&format!(
                "  {label} {}: {} {} [{}]: {} -> {}\n",
                f.id,
                module_name(&f.rel),
                f.block,
                f.what,
                f.detail,
                f.saved.display()
            ));
        }
    }
    s
}

/// The most frequent exceptions, for a feel of what mutants do.
pub fn top_exceptions(t: &Tally, n: usize) -> String {
    let mut v: Vec<_> = t.exceptions.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .take(n)
        .map(|(k, c)| format!("{k} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
