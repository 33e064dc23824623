//! Checks the location-table and exception-table codecs against every code
//! object CPython 3.11 makes from its own standard library.
//!
//! `support/dump_tables_311.py` runs in one `python3.11` process and streams
//! one JSON line per code object; this test reads the lines as they come.
//! For each code object it checks that:
//! 1. `linetable::decode` gives exactly `co_positions()`;
//! 2. encoding with the 3.11 rule, one run per instruction (the position of
//!    the instruction's first unit, for as many units as the instruction
//!    takes with its EXTENDED_ARG prefixes and caches), gives back
//!    `co_linetable` byte for byte;
//! 3. `exceptiontable` decode then encode gives back `co_exceptiontable`, and
//!    every start, end and target falls on an instruction boundary.

use pyasm::code::exceptiontable;
use pyasm::code::linetable::{self, Position};
use pyasm::versions::Version;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// How many failures of each kind to describe before only counting them.
const SHOWN: usize = 5;

struct Record {
    qualname: String,
    firstlineno: i32,
    linetable: Vec<u8>,
    exceptiontable: Vec<u8>,
    code_units: usize,
    positions: Vec<Position>,
    sizes: Vec<u32>,
}

fn from_hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn opt_i32(v: &Value) -> Option<i32> {
    match v {
        Value::Null => None,
        n => Some(i32::try_from(n.as_i64().expect("integer")).expect("fits i32")),
    }
}

fn parse(v: &Value) -> Record {
    let a = v.as_array().expect("record is an array");
    let int = |v: &Value| v.as_i64().expect("integer");
    let flat = a[5].as_array().expect("positions");
    let mut positions = Vec::new();
    for run in flat.chunks(5) {
        let p = Position {
            line: opt_i32(&run[1]),
            end_line: opt_i32(&run[2]),
            col: opt_i32(&run[3]),
            end_col: opt_i32(&run[4]),
        };
        positions.extend(std::iter::repeat_n(p, int(&run[0]) as usize));
    }
    Record {
        qualname: a[0].as_str().expect("qualname").to_owned(),
        firstlineno: int(&a[1]) as i32,
        linetable: from_hex(a[2].as_str().expect("linetable")),
        exceptiontable: from_hex(a[3].as_str().expect("exceptiontable")),
        code_units: int(&a[4]) as usize,
        positions,
        sizes: a[6]
            .as_array()
            .expect("sizes")
            .iter()
            .map(|s| int(s) as u32)
            .collect(),
    }
}

#[derive(Default)]
struct Tally {
    code_objects: usize,
    decoded_equal: usize,
    linetable_identical: usize,
    exceptiontable_identical: usize,
    exception_entries: usize,
    off_boundary: usize,
    /// Instructions whose code units do not all share one position; a
    /// per-instruction encoder cannot reproduce those.
    mixed_instructions: usize,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 3 * SHOWN {
            self.failures.push(what);
        }
    }

    fn check(&mut self, file: &str, r: &Record) {
        self.code_objects += 1;
        let who = || format!("{file}: {} (line {})", r.qualname, r.firstlineno);

        match linetable::decode(Version::V3_11, &r.linetable, r.firstlineno, r.code_units) {
            Ok(decoded) if decoded == r.positions => self.decoded_equal += 1,
            Ok(decoded) => {
                let at = decoded
                    .iter()
                    .zip(&r.positions)
                    .position(|(a, b)| a != b)
                    .unwrap_or(decoded.len().min(r.positions.len()));
                self.fail(format!(
                    "{}: decoded positions differ at unit {at}: {:?} vs co_positions {:?}",
                    who(),
                    decoded.get(at),
                    r.positions.get(at)
                ));
            }
            Err(e) => self.fail(format!("{}: {e}", who())),
        }

        let mut runs = Vec::with_capacity(r.sizes.len());
        let mut boundary = vec![false; r.code_units + 1];
        let mut start = 0usize;
        for &size in &r.sizes {
            boundary[start] = true;
            let units = &r.positions[start..start + size as usize];
            if units.iter().any(|p| *p != units[0]) {
                self.mixed_instructions += 1;
            }
            runs.push((units[0], size));
            start += size as usize;
        }
        assert_eq!(start, r.code_units, "{}: sizes do not tile the code", who());
        boundary[start] = true;
        let encoded = linetable::encode(Version::V3_11, r.firstlineno, &runs);
        if encoded == r.linetable {
            self.linetable_identical += 1;
        } else {
            let at = encoded
                .iter()
                .zip(&r.linetable)
                .position(|(a, b)| a != b)
                .unwrap_or(encoded.len().min(r.linetable.len()));
            self.fail(format!(
                "{}: re-encoded co_linetable differs from byte {at} (lengths {} and {})",
                who(),
                encoded.len(),
                r.linetable.len()
            ));
        }

        match exceptiontable::decode(&r.exceptiontable) {
            Ok(entries) => {
                self.exception_entries += entries.len();
                if exceptiontable::encode(&entries) == r.exceptiontable {
                    self.exceptiontable_identical += 1;
                } else {
                    self.fail(format!("{}: re-encoded co_exceptiontable differs", who()));
                }
                for e in &entries {
                    let on = |u: u32| boundary.get(u as usize).copied().unwrap_or(false);
                    if !(on(e.start) && on(e.end) && on(e.target)) || e.start >= e.end {
                        self.off_boundary += 1;
                        self.fail(format!(
                            "{}: entry {e:?} is off instruction boundaries",
                            who()
                        ));
                    }
                }
            }
            Err(e) => self.fail(format!("{}: {e}", who())),
        }
    }
}

#[test]
fn tables_of_the_3_11_standard_library() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/dump_tables_311.py"
    );
    let mut child = Command::new("python3.11")
        .arg(script)
        .stdout(Stdio::piped())
        .spawn()
        .expect("this test needs python3.11 on PATH");
    let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().expect("stdout"));

    let mut tally = Tally::default();
    let mut file = String::new();
    let mut files = 0usize;
    let mut skipped = None;
    for line in stdout.lines() {
        let line = line.expect("read from python3.11");
        let v: Value = serde_json::from_str(&line).expect("JSON line");
        if let Some(obj) = v.as_object() {
            if let Some(f) = obj.get("file") {
                file = f.as_str().expect("file name").to_owned();
                files += 1;
            } else if let Some(n) = obj.get("skipped") {
                skipped = n.as_u64();
            } else {
                println!("python3.11 {} at {}", obj["version"], obj["root"]);
            }
            continue;
        }
        tally.check(&file, &parse(&v));
    }
    let status = child.wait().expect("wait for python3.11");
    assert!(status.success(), "python3.11 failed: {status}");
    let skipped = skipped.expect("the dump ran to its end");

    let m = tally.code_objects;
    println!("{files} files compiled, {skipped} skipped, {m} code objects");
    println!(
        "positions: decoded equal to co_positions {}/{m}",
        tally.decoded_equal
    );
    println!("linetable: identical {}/{m}", tally.linetable_identical);
    println!(
        "exceptiontable: identical {}/{m}",
        tally.exceptiontable_identical
    );
    println!(
        "instructions whose units carry different positions: {}",
        tally.mixed_instructions
    );
    println!(
        "exception entries off instruction boundaries: {} of {}",
        tally.off_boundary, tally.exception_entries
    );
    for f in &tally.failures {
        println!("  {f}");
    }

    assert!(files > 1000, "only {files} files compiled");
    assert_eq!(tally.decoded_equal, m);
    assert_eq!(tally.linetable_identical, m);
    assert_eq!(tally.exceptiontable_identical, m);
    assert_eq!(tally.off_boundary, 0);
}
