//! One fault, one error: a measurement. Every example (`examples/3.*/`)
//! and every hand-written program (`tests/handwritten/<version>/`, and this
//! test's own `tests/one_fault/<version>/`) gets one fault at a time, in
//! place: an opcode typo, an undefined label, a bad constant, a removed
//! instruction, a wrong local. Each must then give exactly one error.
//! A removed instruction that leaves a program the verifier still accepts
//! is not a fault, and neither is a misspelt local that only renames an
//! argument nothing declared (undeclared locals are named by their first
//! use): those are counted apart, as still valid.
//!
//! Faults are placed deterministically (the middle one of the lines where
//! that fault means something: a label typo only on a jump, a local typo
//! only on a read of a local), and checked in process through
//! `pyasm::check_text`.

use pyasm::diag::Diag;
use pyasm::versions::{ArgKind, Op, OpcodeTable, Version};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    OpcodeTypo,
    UndefinedLabel,
    BadConstant,
    RemovedInstruction,
    WrongLocal,
}

const FAULTS: [Fault; 5] = [
    Fault::OpcodeTypo,
    Fault::UndefinedLabel,
    Fault::BadConstant,
    Fault::RemovedInstruction,
    Fault::WrongLocal,
];

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::OpcodeTypo => "opcode typo",
            Fault::UndefinedLabel => "undefined label",
            Fault::BadConstant => "bad constant",
            Fault::RemovedInstruction => "removed instruction",
            Fault::WrongLocal => "wrong local",
        }
    }
}

/// An instruction line: where its opcode and its operands sit.
struct Line {
    index: usize,
    opcode: std::ops::Range<usize>,
    /// The operand text, up to a comment or the end of the line.
    operand: std::ops::Range<usize>,
}

/// Where a comment starts: a `#` outside a string that is not an index
/// operand (`#3`).
fn comment_start(line: &str) -> usize {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        match (quote, b[i]) {
            (Some(_), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (None, c @ (b'\'' | b'"')) => quote = Some(c),
            (None, b'#') if !b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn is_opcode_word(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && w.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn instruction_lines(lines: &[&str]) -> Vec<Line> {
    let mut out = Vec::new();
    for (index, l) in lines.iter().enumerate() {
        let code = &l[..comment_start(l)];
        let t = code.trim_start();
        if t.is_empty() || t.starts_with('.') || t.trim_end().ends_with(':') {
            continue;
        }
        // An optional position, then the opcode.
        let mut at = code.len() - t.len();
        let first_end = at + t.find(char::is_whitespace).unwrap_or(t.len());
        let first = &code[at..first_end];
        if !is_opcode_word(first) {
            let rest = &code[first_end..];
            at = first_end + (rest.len() - rest.trim_start().len());
        }
        let rest = &code[at..];
        let end = at + rest.find(char::is_whitespace).unwrap_or(rest.len());
        if !is_opcode_word(&code[at..end]) {
            continue;
        }
        let ops = &code[end..];
        let op_start = end + (ops.len() - ops.trim_start().len());
        out.push(Line {
            index,
            opcode: at..end,
            operand: op_start..code.trim_end().len().max(op_start),
        });
    }
    out
}

/// A typo of `word` that is not in `taken`: its last character doubled.
fn typo(word: &str, taken: &dyn Fn(&str) -> bool) -> String {
    let last = word.chars().last().unwrap_or('x');
    let mut w = format!("{word}{last}");
    while taken(&w) {
        w.push('x');
    }
    w
}

fn version_of(text: &str) -> Version {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(".python"))
        .and_then(|v| Version::parse(v.split('#').next().unwrap_or("").trim()))
        .unwrap_or(Version::V3_11)
}

fn labels_of(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let t = l[..comment_start(l)].trim();
            t.strip_suffix(':').map(str::to_string)
        })
        .collect()
}

fn declared_vars(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let t = l[..comment_start(l)].trim();
            t.strip_prefix(".var ")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
        .collect()
}

/// The faulted text, or `None` where the fault has no place in this file.
fn inject(text: &str, fault: Fault) -> Option<String> {
    inject_at(text, fault, None)
}

fn inject_at(text: &str, fault: Fault, at: Option<usize>) -> Option<String> {
    let table: &OpcodeTable = version_of(text).table();
    let lines: Vec<&str> = text.lines().collect();
    let instrs = instruction_lines(&lines);
    let op_of = |l: &Line| table.by_name(&lines[l.index][l.opcode.clone()]);
    let operand = |l: &Line| &lines[l.index][l.operand.clone()];
    let candidates: Vec<&Line> = instrs
        .iter()
        .filter(|l| match fault {
            Fault::OpcodeTypo | Fault::RemovedInstruction => true,
            Fault::UndefinedLabel => {
                op_of(l).is_some_and(|o| o.is_jump()) && !operand(l).starts_with('#')
            }
            Fault::BadConstant => op_of(l).is_some_and(|o| o.arg == ArgKind::Const),
            Fault::WrongLocal => {
                op_of(l).is_some_and(|o| {
                    matches!(
                        o.op,
                        Op::LOAD_FAST | Op::LOAD_FAST_CHECK | Op::LOAD_FAST_BORROW
                    )
                }) && !operand(l).starts_with('#')
                    && !operand(l).starts_with('\'')
            }
        })
        .collect();
    let l = candidates.get(at.unwrap_or(candidates.len() / 2))?;
    let line = lines[l.index];
    let new_line = match fault {
        Fault::OpcodeTypo => {
            let name = &line[l.opcode.clone()];
            let bad = typo(name, &|w| table.by_name(w).is_some());
            format!("{}{bad}{}", &line[..l.opcode.start], &line[l.opcode.end..])
        }
        Fault::UndefinedLabel => {
            let labels = labels_of(&lines);
            let bad = typo(operand(l), &|w| labels.iter().any(|x| x == w));
            format!(
                "{}{bad}{}",
                &line[..l.operand.start],
                &line[l.operand.end..]
            )
        }
        Fault::BadConstant => format!(
            "{}Nonne{}",
            &line[..l.operand.start],
            &line[l.operand.end..]
        ),
        Fault::WrongLocal => {
            let vars = declared_vars(&lines);
            let bad = typo(operand(l), &|w| vars.iter().any(|x| x == w));
            format!(
                "{}{bad}{}",
                &line[..l.operand.start],
                &line[l.operand.end..]
            )
        }
        Fault::RemovedInstruction => String::new(),
    };
    let mut out = String::new();
    for (i, orig) in lines.iter().enumerate() {
        if i == l.index {
            if fault != Fault::RemovedInstruction {
                out.push_str(&new_line);
                out.push('\n');
            }
        } else {
            out.push_str(orig);
            out.push('\n');
        }
    }
    Some(out)
}

fn programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = Vec::new();
    for base in [
        root.join("examples"),
        root.join("tests/handwritten"),
        root.join("tests/one_fault"),
    ] {
        let Ok(rd) = std::fs::read_dir(&base) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_dir() && name.starts_with("3.") {
                dirs.push(e.path());
            }
        }
    }
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pyasm"))
        .collect();
    files.sort();
    files
}

fn describe(diags: &[Diag], text: &str) -> String {
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let (line, _) = pyasm::diag::line_col(text, d.span.start);
            format!("      line {line}: error[{}]: {}\n", d.code, d.message)
        })
        .collect()
}

/// Where each fault goes: the middle one of its places in a file, or
/// each place in turn (every seventh, for the faults any instruction
/// takes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Places {
    Middle,
    Every,
}

/// Faults every program, prints the share that gives exactly one error
/// per kind of fault, and returns the offenders (by kind) with their
/// diagnostics.
fn measure(files: &[PathBuf], places: Places) -> Vec<(Fault, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    let (mut all_faulted, mut all_one) = (0usize, 0usize);
    let title = match places {
        Places::Middle => "one fault per file and kind, at the middle of its places",
        Places::Every => {
            "one fault at a time, at every place (every seventh for typos and removals)"
        }
    };
    println!("\n{title}");
    println!(
        "{:<20} {:>8} {:>10} {:>7} {:>12}",
        "fault", "faulted", "one error", "share", "still valid"
    );
    for fault in FAULTS {
        let (mut faulted, mut one, mut still_valid) = (0usize, 0usize, 0usize);
        for f in files {
            let text = std::fs::read_to_string(f).unwrap();
            let texts: Vec<String> = match places {
                Places::Middle => inject(&text, fault).into_iter().collect(),
                // Faults that go on any instruction take every seventh
                // place, to keep the test fast; the others take every one.
                Places::Every => {
                    let stride = match fault {
                        Fault::OpcodeTypo | Fault::RemovedInstruction => 7,
                        _ => 1,
                    };
                    (0..)
                        .step_by(stride)
                        .map_while(|at| inject_at(&text, fault, Some(at)))
                        .collect()
                }
            };
            for bad in texts {
                let diags = pyasm::check(&bad, &Default::default()).diags;
                let errors = diags.iter().filter(|d| d.is_error()).count();
                if errors == 0 && matches!(fault, Fault::RemovedInstruction | Fault::WrongLocal) {
                    still_valid += 1;
                    continue;
                }
                faulted += 1;
                if errors == 1 {
                    one += 1;
                } else {
                    offenders.push((
                        fault,
                        format!(
                            "  {} in {}: {errors} errors\n{}",
                            fault.name(),
                            f.strip_prefix(root).unwrap_or(f).display(),
                            describe(&diags, &bad)
                        ),
                    ));
                }
            }
        }
        println!(
            "{:<20} {faulted:>8} {one:>10} {:>6.1}% {still_valid:>12}",
            fault.name(),
            share(one, faulted)
        );
        all_faulted += faulted;
        all_one += one;
    }
    println!(
        "{:<20} {all_faulted:>8} {all_one:>10} {:>6.1}%",
        "total",
        share(all_one, all_faulted)
    );
    assert!(all_faulted > 0);
    offenders
}

#[test]
fn one_fault_gives_one_error() {
    let files = programs();
    assert!(files.len() >= 30, "the examples are missing");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            pyasm::check(&text, &Default::default())
                .diags
                .iter()
                .all(|d| !d.is_error()),
            "{} does not check cleanly before any fault",
            f.display()
        );
    }
    // At the middle place, every kind of fault gives exactly one error
    // in every file: 100% each.
    let offenders = measure(&files, Places::Middle);
    for fault in FAULTS {
        let of_kind: String = offenders
            .iter()
            .filter(|(f, _)| *f == fault)
            .map(|(_, o)| o.as_str())
            .collect();
        assert!(
            of_kind.is_empty(),
            "{}: faulted files that do not give exactly one error:\n{of_kind}",
            fault.name()
        );
    }
    // Wider: every place. A removed instruction can still leave two
    // analyses to see its absence each in its own way (a depth one
    // short where no join or check notices it, then a wrong kind much
    // later); that share is printed, the others must hold everywhere.
    let offenders: String = measure(&files, Places::Every)
        .into_iter()
        .filter(|(f, _)| *f != Fault::RemovedInstruction)
        .map(|(_, o)| o)
        .collect();
    assert!(
        offenders.is_empty(),
        "faults placed elsewhere that do not give exactly one error:\n{offenders}"
    );
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

#[test]
fn the_injector_finds_its_places() {
    let text = ".python 3.12\n.code module\n.var x\n1       RESUME 0  # start\nloop:\n        LOAD_FAST x\n        POP_JUMP_IF_TRUE loop\n        LOAD_CONST None\n        RETURN_VALUE\n";
    let typo = inject(text, Fault::OpcodeTypo).unwrap();
    assert!(typo.contains("POP_JUMP_IF_TRUEE loop"), "{typo}");
    let label = inject(text, Fault::UndefinedLabel).unwrap();
    assert!(label.contains("POP_JUMP_IF_TRUE loopp"), "{label}");
    let konst = inject(text, Fault::BadConstant).unwrap();
    assert!(konst.contains("LOAD_CONST Nonne"), "{konst}");
    let local = inject(text, Fault::WrongLocal).unwrap();
    assert!(local.contains("LOAD_FAST xx"), "{local}");
    let removed = inject(text, Fault::RemovedInstruction).unwrap();
    assert!(!removed.contains("POP_JUMP_IF_TRUE"), "{removed}");
    assert!(removed.contains("RESUME 0  # start"), "{removed}");
    let plain = ".code module\n        NOP\n        RETURN_VALUE\n";
    assert!(inject(plain, Fault::UndefinedLabel).is_none());
    assert!(inject(plain, Fault::WrongLocal).is_none());
}
