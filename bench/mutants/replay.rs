//! Replaying an unconfirmed trap (WebAssembly only): the mutants that ran
//! before it in its worker, then it, in one fresh worker and in the same
//! order, to tell damage left by an earlier mutant from a worker that fails
//! on its own; and, with `--bisect`, cutting the predecessors down to the
//! fewest that still make it trap.
//!
//! A case is what `drive` keeps for an unconfirmed trap:
//! `KEEP/V-ID.{pyasm,orig.pyasm,txt}` and `KEEP/V-ID.before/` (`order.tsv`
//! and each predecessor's `.pyasm` and `.orig.pyasm`). `--orig-before` runs
//! the unmutated code of the predecessors instead of their mutants,
//! `--orig-target` the unmutated code of the trapping one; `--only IDS`
//! keeps only the listed predecessors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Options {
    pub version: String,
    /// `KEEP/V-ID`, without an extension.
    pub case: PathBuf,
    pub pyasm: PathBuf,
    pub repo: PathBuf,
    pub work: PathBuf,
    pub timeout: f64,
    pub orig_before: bool,
    pub orig_target: bool,
    pub bisect: bool,
    /// Only these predecessors (by id), in their order.
    pub only: Option<Vec<String>>,
}

/// One code object to run: the name of its built file and its module.
#[derive(Clone)]
struct Item {
    key: String,
    module: String,
    what: String,
}

/// How one replay ended for the last mutant, and whether a predecessor
/// trapped first (which would have replaced the worker).
struct Trial {
    target: String,
    earlier_trap: Option<String>,
}

impl Trial {
    fn trapped(&self) -> bool {
        self.target.starts_with("crash") || self.target.starts_with("unconfirmed")
    }
}

fn field(txt: &str, name: &str) -> String {
    txt.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or("")
        .to_string()
}

pub fn replay(o: &Options) -> Result<bool, String> {
    let base = o
        .case
        .file_name()
        .and_then(|s| s.to_str())
        .ok_or("bad case path")?
        .to_string();
    let dir = o.case.parent().unwrap_or(Path::new("."));
    let txt = std::fs::read_to_string(dir.join(format!("{base}.txt")))
        .map_err(|e| format!("{base}.txt: {e}"))?;
    let module = field(&txt, "module");
    let before_dir = dir.join(format!("{base}.before"));
    let order = std::fs::read_to_string(before_dir.join("order.tsv")).unwrap_or_default();

    // Everything is built once; each trial only lists what it runs.
    let work = std::path::absolute(&o.work).unwrap_or_else(|_| o.work.clone());
    let src = work.join("src");
    let out = work.join("out");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    let copy = |from: &Path, key: &str| -> Result<(), String> {
        std::fs::copy(from, src.join(format!("{key}.pyasm")))
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", from.display()))
    };
    let suffix_before = if o.orig_before { "orig.pyasm" } else { "pyasm" };
    let mut preds = Vec::new();
    for line in order.lines() {
        let mut p = line.splitn(3, '\t');
        let (Some(id), Some(m)) = (p.next(), p.next()) else {
            continue;
        };
        if o.only
            .as_ref()
            .is_some_and(|ids| !ids.iter().any(|x| x == id))
        {
            continue;
        }
        let key = format!("p{id}");
        copy(&before_dir.join(format!("{id}.{suffix_before}")), &key)?;
        preds.push(Item {
            key,
            module: m.to_string(),
            what: p.next().unwrap_or("").to_string(),
        });
    }
    let suffix_target = if o.orig_target { "orig.pyasm" } else { "pyasm" };
    copy(&dir.join(format!("{base}.{suffix_target}")), "target")?;
    let target = Item {
        key: "target".into(),
        module: module.clone(),
        what: field(&txt, "mutation"),
    };
    super::drive::build_dir(&o.pyasm, &src, &out).map_err(|e| format!("pyasm build: {e}"))?;
    // What the verifier refuses now (after a fix) cannot run.
    let built = |it: &Item| out.join(format!("{}.pyc", it.key)).exists();
    if !built(&target) {
        println!("{base}: the verifier now rejects the trapping code");
        return Ok(false);
    }
    let refused = preds.iter().filter(|p| !built(p)).count();
    preds.retain(|p| built(p));
    println!(
        "{base}: {} predecessors{} ({}), then {} ({})",
        preds.len(),
        if refused > 0 {
            format!(" ({refused} more now rejected by the verifier)")
        } else {
            String::new()
        },
        if o.orig_before {
            "unmutated"
        } else {
            "mutated"
        },
        module,
        if o.orig_target {
            "unmutated"
        } else {
            "mutated"
        },
    );

    let mut n = 0;
    let mut trial = |sel: &[Item]| -> Result<Trial, String> {
        n += 1;
        let list = work.join(format!("list{n}.tsv"));
        let results = work.join(format!("results{n}.tsv"));
        let mut text = String::new();
        for it in sel.iter().chain(std::iter::once(&target)) {
            text.push_str(&format!(
                "{}\t{}\t{}\n",
                it.key,
                out.join(format!("{}.pyc", it.key)).display(),
                it.module
            ));
        }
        std::fs::write(&list, text).map_err(|e| e.to_string())?;
        let timeout = o.timeout.to_string();
        let status = Command::new("node")
            .arg(o.repo.join("tests/pyodide/mutants.mjs"))
            .arg(&o.version)
            .arg(&list)
            .arg(&results)
            .args([
                "--timeout",
                &timeout,
                "--restart-every",
                "1000000",
                "--in-order",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("node: {e}"))?;
        let _ = status;
        let got: HashMap<String, String> = std::fs::read_to_string(&results)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(4, '\t');
                let key = p.next()?.to_string();
                let outcome = p.next()?;
                let detail = p.next().unwrap_or("");
                Some((key, format!("{outcome}: {detail}")))
            })
            .collect();
        let earlier_trap = sel.iter().find_map(|it| {
            let r = got.get(&it.key)?;
            (r.starts_with("crash") || r.starts_with("unconfirmed"))
                .then(|| format!("{} {r}", it.key))
        });
        let t = Trial {
            target: got
                .get("target")
                .cloned()
                .unwrap_or_else(|| "no result".into()),
            earlier_trap,
        };
        println!(
            "  after {:>3} predecessors: {}{}",
            sel.len(),
            t.target,
            t.earlier_trap
                .as_ref()
                .map(|e| format!(" (earlier: {e})"))
                .unwrap_or_default()
        );
        Ok(t)
    };

    let all = trial(&preds)?;
    if !all.trapped() || !o.bisect {
        return Ok(all.trapped());
    }
    let alone = trial(&[])?;
    if alone.trapped() {
        println!("{base}: traps with no predecessor");
        return Ok(true);
    }
    // ddmin: keep a subset, or a complement, that still traps.
    let mut cur = preds;
    let mut parts = 2;
    while cur.len() >= 2 {
        let size = cur.len().div_ceil(parts);
        let chunks: Vec<Vec<Item>> = cur.chunks(size).map(|c| c.to_vec()).collect();
        let mut next = None;
        for c in &chunks {
            if trial(c)?.trapped() {
                next = Some((c.clone(), 2));
                break;
            }
        }
        if next.is_none() && chunks.len() > 2 {
            for k in 0..chunks.len() {
                let rest: Vec<Item> = chunks
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != k)
                    .flat_map(|(_, c)| c.iter().cloned())
                    .collect();
                if trial(&rest)?.trapped() {
                    next = Some((rest, (parts - 1).max(2)));
                    break;
                }
            }
        }
        match next {
            Some((c, p)) => {
                cur = c;
                parts = p;
            }
            None if parts >= cur.len() => break,
            None => parts = (parts * 2).min(cur.len()),
        }
    }
    println!(
        "{base}: traps after these {} predecessors, in this order:",
        cur.len()
    );
    for it in &cur {
        println!(
            "  {} {} [{}]",
            it.key.trim_start_matches('p'),
            it.module,
            it.what
        );
    }
    println!("  then {} [{}]", target.module, target.what);
    Ok(true)
}
