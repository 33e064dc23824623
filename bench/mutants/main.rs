//! The mutation run of `bench/mutants.sh` (not a test: it prints figures;
//! `tests/versions.rs` (`mutants::V`) runs a small sample and asserts). See `drive.rs`.
//!
//! `mutants run --version V --corpus DIR[,DIR...] --work DIR --keep DIR
//!  [--count N] [--seed S] [--batch B] [--timeout SECONDS] [--pyasm PATH]
//!  [--unmutated]` (`--unmutated`: the corpus's own code objects, in order)
//!
//! `mutants replay --version V --case KEEP/V-ID [--bisect] [--orig-before]
//!  [--orig-target] [--only ID,...] [--work DIR] [--timeout SECONDS] [--pyasm PATH]`
//! runs an unconfirmed trap again after the mutants that preceded it (see
//! `replay.rs`); exits 1 if it trapped.

mod drive;
mod gen;
#[path = "../../tests/common/interpreters.rs"]
mod interpreters;
mod replay;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let cmd = args.first().map(String::as_str);
    if cmd != Some("run") && cmd != Some("replay") {
        // `cargo test --all-targets` starts every bench with no arguments
        // or the harness's flags: nothing to do then.
        if args.iter().all(|a| a.starts_with("--")) {
            eprintln!("mutants: nothing to run without a corpus; run bench/mutants.sh");
            return;
        }
        eprintln!("usage: mutants run --version V --corpus DIR --work DIR --keep DIR [--count N] [--seed S] [--batch B] [--timeout S] [--pyasm PATH] [--unmutated]");
        eprintln!("       mutants replay --version V --case KEEP/V-ID [--bisect] [--orig-before] [--orig-target] [--only ID,...] [--work DIR] [--timeout S] [--pyasm PATH]");
        std::process::exit(2);
    }
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let need = |name: &str| {
        opt(name).unwrap_or_else(|| {
            eprintln!("mutants run: {name} is required");
            std::process::exit(2)
        })
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pyasm = opt("--pyasm")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target/release/pyasm"));
    let timeout = opt("--timeout").and_then(|s| s.parse().ok()).unwrap_or(2.0);
    if cmd == Some("replay") {
        let o = replay::Options {
            version: need("--version"),
            case: PathBuf::from(need("--case")),
            pyasm,
            work: opt("--work")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo.join("target/mutants/replay")),
            repo,
            timeout,
            orig_before: args.iter().any(|a| a == "--orig-before"),
            orig_target: args.iter().any(|a| a == "--orig-target"),
            bisect: args.iter().any(|a| a == "--bisect"),
            only: opt("--only").map(|s| s.split(',').map(|x| x.trim().to_string()).collect()),
        };
        match replay::replay(&o) {
            Ok(trapped) => std::process::exit(i32::from(trapped)),
            Err(e) => {
                eprintln!("mutants replay: {e}");
                std::process::exit(2);
            }
        }
    }
    let cfg = drive::Config {
        version: need("--version"),
        pyasm,
        work: PathBuf::from(need("--work")),
        keep: PathBuf::from(need("--keep")),
        count: opt("--count").and_then(|s| s.parse().ok()).unwrap_or(1000),
        seed: opt("--seed").and_then(|s| s.parse().ok()).unwrap_or(1),
        batch: opt("--batch").and_then(|s| s.parse().ok()).unwrap_or(5000),
        timeout,
        native: interpreters::native(&repo, &need("--version")),
        progress: true,
        unmutated: args.iter().any(|a| a == "--unmutated"),
        repo,
    };
    let start = std::time::Instant::now();
    let roots: Vec<PathBuf> = need("--corpus").split(',').map(PathBuf::from).collect();
    let corpus = gen::index(&roots);
    let blocks: usize = corpus.iter().map(|f| f.blocks.len()).sum();
    let left_out = corpus
        .iter()
        .flat_map(|f| &f.blocks)
        .filter(|&&n| n == 0)
        .count();
    eprintln!(
        "{}: corpus of {} files, {blocks} code objects, {left_out} of them left out",
        cfg.version,
        corpus.len()
    );
    let t = drive::run(&cfg, &corpus);
    print!("{}", drive::report(&cfg.version, &t));
    println!(
        "{}: most frequent exceptions: {}",
        cfg.version,
        drive::top_exceptions(&t, 12)
    );
    println!("{}: {:.0} s", cfg.version, start.elapsed().as_secs_f64());
    if !t.crashes.is_empty() || !t.misruns.is_empty() {
        std::process::exit(1);
    }
}
