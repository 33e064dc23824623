//! The verifier against the real interpreters, on a sample: mutants of the
//! code objects of a few dozen standard-library modules, built by `pyasm
//! build` with the verifier on, and every one it accepts run in the real
//! interpreter of its version (3.11 natively, a process per mutant; 3.12 to
//! 3.14 in pyodide workers). None may crash the interpreter. The full count
//! is `bash bench/mutants.sh` (see `bench/mutants/`, shared with this test).
//!
//! `PYASM_MUTANTS_SEED` picks other mutants; `PYASM_MUTANTS_COUNT` more.

mod common;

#[path = "../bench/mutants/drive.rs"]
mod drive;
#[path = "../bench/mutants/gen.rs"]
mod gen;

use common::interp::{py_script, pyasm, python311, root, run};
use std::path::{Path, PathBuf};

/// Modules with loops, generators, `with`, `try`, comprehensions, closures
/// and classes, present in every version's standard library.
const MODULES: &[&str] = &[
    "argparse",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "colorsys",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "difflib",
    "email.message",
    "email.utils",
    "enum",
    "fnmatch",
    "fractions",
    "functools",
    "gettext",
    "graphlib",
    "heapq",
    "html.parser",
    "inspect",
    "ipaddress",
    "json.decoder",
    "json.encoder",
    "linecache",
    "pprint",
    "queue",
    "shlex",
    "statistics",
    "string",
    "textwrap",
    "tokenize",
    "tomllib._parser",
    "traceback",
    "typing",
    "urllib.parse",
    "weakref",
    "asyncio.locks",
    "asyncio.queues",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn sample(version: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let orig = tmp.path().join("orig");
    let text = tmp.path().join("text");
    let mut args: Vec<&Path> = vec![Path::new("compile"), &orig];
    args.extend(MODULES.iter().map(Path::new));
    let made = run(&mut py_script(version, "mutants.py", &args));
    println!("{version}: {}", made.trim());
    run(pyasm().arg("dis").arg(&orig).arg("-o").arg(&text));

    let corpus = gen::index(&[text]);
    assert!(
        corpus.len() >= MODULES.len() - 2,
        "corpus: {}",
        corpus.len()
    );
    let cfg = drive::Config {
        version: version.to_string(),
        pyasm: PathBuf::from(env!("CARGO_BIN_EXE_pyasm")),
        repo: root(),
        work: tmp.path().join("work"),
        keep: tmp.path().join("crashes"),
        count: env_num("PYASM_MUTANTS_COUNT", 300) as usize,
        seed: env_num("PYASM_MUTANTS_SEED", 7),
        batch: 1000,
        timeout: 2.0,
        python311: python311(),
        progress: false,
        unmutated: false,
    };
    let t = drive::run(&cfg, &corpus);
    print!("{}", drive::report(version, &t));
    println!(
        "{version}: most frequent exceptions: {}",
        drive::top_exceptions(&t, 6)
    );
    // The harness itself: mutants were made, some accepted and all of those
    // run, some of them to completion.
    assert_eq!(t.generated, cfg.count);
    assert!(t.accepted > 0 && t.accepted < t.generated);
    assert_eq!(t.missing, 0, "the runner gave no result for some mutants");
    assert_eq!(t.ran, t.accepted);
    assert!(t.ok > 0, "no mutant ran to completion");
    // The point: nothing the verifier accepts crashes the interpreter.
    let saved = |f: &[drive::Found]| {
        f.iter()
            .map(|c| std::fs::read_to_string(&c.saved).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        t.crashes.is_empty() && t.unconfirmed.is_empty(),
        "accepted mutants crashed {version}:\n{}\n{}",
        drive::report(version, &t),
        saved(&t.crashes)
    );
}

#[test]
fn mutants_311() {
    sample("3.11");
}

#[test]
fn mutants_312() {
    sample("3.12");
}

#[test]
fn mutants_313() {
    sample("3.13");
}

#[test]
fn mutants_314() {
    sample("3.14");
}

/// The pyodide worker's isolation between mutants, on the ways unmutated
/// code took a long-lived worker down in earlier runs (no pyasm here: the
/// interpreter compiles these module bodies itself, and the runner runs
/// them one after another in one worker, in this order). Each expected
/// outcome differs without the isolation it checks.
fn isolation(version: &str) {
    const STEPS: &[(&str, &str, &str)] = &[
        // Closes fds 0 and 1 (as a function given 0 and 1 for file names
        // does); the next body finds them open again.
        (
            "iso_a",
            "open(0, 'rb').close()\nopen(1, 'rb').close()\n",
            "ok",
        ),
        ("iso_b", "import os\nos.fstat(0)\nos.fstat(1)\n", "ok"),
        // Leaves open a copy of a pipe whose two ends it closed; writing
        // through it later must find it closed (pyodide 0.27 traps).
        (
            "iso_c",
            "import os\nr, w = os.pipe()\nos.iso_fd = os.dup(w)\nos.close(r)\nos.close(w)\n",
            "ok",
        ),
        (
            "iso_d",
            "import os\nos.write(os.iso_fd, b'x')\n",
            "exception",
        ),
        // Cyclic garbage holding an operator.methodcaller, collected by the
        // next body (3.13 and 3.14 trap clearing the C one).
        (
            "iso_e",
            "import operator\nclass C:\n    m = operator.methodcaller('x')\n",
            "ok",
        ),
        ("iso_f", "import gc\ngc.collect()\n", "ok"),
        // A host timer whose callback raises, due when the body has ended.
        (
            "iso_g",
            "from js import setTimeout\nsetTimeout(lambda: 1 / 0, 0)\n",
            "ok",
        ),
        ("iso_h", "import time\ntime.sleep(0.05)\n", "ok"),
        ("iso_i", "x = 1\n", "ok"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&src).unwrap();
    for (name, body, _) in STEPS {
        std::fs::write(src.join(format!("{name}.py")), body).unwrap();
    }
    run(&mut py_script(version, "compile_tree.py", &[&src, &out]));
    let list = tmp.path().join("list.tsv");
    let results = tmp.path().join("results.tsv");
    let text: String = STEPS
        .iter()
        .map(|(name, _, _)| {
            format!(
                "{name}\t{}\t{name}\n",
                out.join(format!("{name}.pyc")).display()
            )
        })
        .collect();
    std::fs::write(&list, text).unwrap();
    run(std::process::Command::new("node")
        .arg(root().join("tests/pyodide/mutants.mjs"))
        .arg(version)
        .arg(&list)
        .arg(&results)
        .args(["--in-order", "--restart-every", "1000"]));
    let got = std::fs::read_to_string(&results).unwrap();
    let outcome = |name: &str| {
        got.lines()
            .find_map(|l| {
                let mut p = l.splitn(3, '\t');
                (p.next() == Some(name)).then(|| p.next().unwrap_or("").to_string())
            })
            .unwrap_or_else(|| "no result".into())
    };
    let wrong: Vec<String> = STEPS
        .iter()
        .filter(|(name, _, want)| outcome(name) != *want)
        .map(|(name, _, want)| format!("{name}: {} (expected {want})", outcome(name)))
        .collect();
    assert!(wrong.is_empty(), "{version}:\n{}\n{got}", wrong.join("\n"));
}

#[test]
fn isolation_312() {
    isolation("3.12");
}

#[test]
fn isolation_313() {
    isolation("3.13");
}

#[test]
fn isolation_314() {
    isolation("3.14");
}
