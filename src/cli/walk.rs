//! Directory mode shared by the subcommands: find inputs recursively, map
//! each to an output path mirroring its place in the tree, process them in
//! parallel, show a progress bar on a terminal, and report failures.

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Runs `f` on a pool of `jobs` threads (one per core without it), each
/// with a [`WORK_STACK`](crate::WORK_STACK)-byte stack: the pool is this
/// run's own, never rayon's global one, which belongs to whoever hosts the
/// library.
fn with_jobs(jobs: Option<usize>, f: impl FnOnce() -> u8 + Send) -> u8 {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.map_or(0, |j| j.max(1)))
        .stack_size(crate::WORK_STACK)
        .start_handler(|_| crate::on_work_stack())
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(e) => {
            eprintln!("pyasm: cannot start worker threads: {e}");
            1
        }
    }
}

/// Every file under `dir` whose name ends in `.{ext}`, sorted.
pub fn find(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    found.sort();
    found
}

/// Runs `job(input, output)` for every file under `dir` whose name ends in
/// `.{from}`, writing `.{to}` files into `out` (or beside the inputs).
/// `job` returns an error message to print, or Ok. `jobs` files are worked
/// on at once (one per core without it).
pub fn run_dir(
    dir: &Path,
    out: Option<&Path>,
    (from, to): (&str, &str),
    jobs: Option<usize>,
    job: impl Fn(&Path, &Path) -> Result<(), String> + Sync,
) -> u8 {
    with_jobs(jobs, || run_all(dir, out, (from, to), &job))
}

fn run_all(
    dir: &Path,
    out: Option<&Path>,
    (from, to): (&str, &str),
    job: impl Fn(&Path, &Path) -> Result<(), String> + Sync,
) -> u8 {
    let inputs = find(dir, from);
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(inputs.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let failures: Vec<String> = inputs
        .par_iter()
        .filter_map(|input| {
            let rel = input.strip_prefix(dir).unwrap_or(input);
            let target = match out {
                Some(o) => o.join(rel),
                None => input.to_path_buf(),
            }
            .with_extension(to);
            let r = job(input, &target);
            bar.inc(1);
            r.err()
        })
        .collect();
    bar.finish_and_clear();
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!(
        "pyasm: {} of {} files done{}",
        inputs.len() - failures.len(),
        inputs.len(),
        if failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed", failures.len())
        }
    );
    if failures.is_empty() {
        0
    } else {
        1
    }
}
