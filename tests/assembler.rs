//! Assembler behaviour that the round trip does not isolate: EXTENDED_ARG
//! prefixes on jumps that grow past one byte (and the sizes settling), and
//! handler depths and stack sizes computed for hand-written code, all run in
//! python3.11.

mod common;

use common::interp::{python311, run};
use std::process::Command;

fn run_pyc(pyc: &[u8]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.pyc");
    std::fs::write(&p, pyc).unwrap();
    run(Command::new(python311()).arg(&p))
}

/// A loop whose body is `n` NOPs long, so both its forward exit and its
/// backward jump need `n`-sized arguments.
fn long_loop(n: usize) -> String {
    let mut s = String::from(
        ".python 3.11\n.code module\n1 RESUME 0\n  LOAD_CONST 0\n  STORE_NAME i\ntop:\n  LOAD_NAME i\n  LOAD_CONST 3\n  COMPARE_OP <\n  POP_JUMP_FORWARD_IF_FALSE done\n",
    );
    for _ in 0..n {
        s.push_str("  NOP\n");
    }
    s.push_str("  LOAD_NAME i\n  LOAD_CONST 1\n  BINARY_OP +=\n  STORE_NAME i\n  JUMP_BACKWARD top\ndone:\n  PUSH_NULL\n  LOAD_NAME print\n  LOAD_NAME i\n  PRECALL 1\n  CALL 1\n  POP_TOP\n  LOAD_CONST None\n  RETURN_VALUE\n");
    s
}

#[test]
fn jumps_get_extended_args_and_settle() {
    for n in [10, 250, 252, 253, 254, 255, 256, 300, 70_000] {
        let built = pyasm::assemble(&long_loop(n), &Default::default());
        assert!(built.diags.is_empty(), "{:?}", built.diags);
        let code = built.code.unwrap();
        // Count EXTENDED_ARG units: none for short loops, some for long ones.
        let ext = code.code.chunks(2).filter(|u| u[0] == 144).count();
        if n < 240 {
            assert_eq!(ext, 0, "n={n}");
        } else {
            assert!(ext >= 1, "n={n}");
        }
        assert_eq!(run_pyc(&built.pyc.unwrap()), "3\n", "n={n}");
    }
}

#[test]
fn stack_size_and_handler_depth_are_computed() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/3.11/try_except.pyasm"
    ))
    .unwrap();
    let code = pyasm::assemble(&src, &Default::default()).code.unwrap();
    // What python3.11 computes for the same source.
    let out = Command::new(python311())
        .args(["-c", "import sys\nco = compile(sys.argv[1], 'try_except.py', 'exec')\nprint(co.co_stacksize, co.co_exceptiontable.hex())"])
        .arg("try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    print(\"caught\")\nfinally:\n    print(\"finally\")\n")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let stacksize: u32 = parts.next().unwrap().parse().unwrap();
    let table = parts.next().unwrap();
    assert_eq!(code.stacksize, stacksize);
    let ours: String = code
        .exceptiontable
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        ours, table,
        "exception table, depths included, as CPython writes it"
    );
}

/// The `.except` lines of a 3.12 module with three NOPs protected by nested
/// or scattered regions, and the table each layout must encode.
fn table_of(lines: &str) -> Vec<pyasm::code::exceptiontable::ExceptEntry> {
    let src = format!(
        ".python 3.12\n.code module\n{lines}  RESUME 0\na:\n  NOP\nb:\n  NOP\nc:\n  NOP\nd:\n  RETURN_CONST None\nh1:\n  PUSH_EXC_INFO\n  POP_EXCEPT\n  RETURN_CONST None\nh2:\n  PUSH_EXC_INFO\n  POP_EXCEPT\n  RETURN_CONST None\n"
    );
    let code = pyasm::assemble(&src, &Default::default()).code.unwrap();
    pyasm::code::exceptiontable::decode(&code.exceptiontable).unwrap()
}

#[test]
fn nested_except_lines_become_the_sorted_table_cpython_scans() {
    let entry = |start, end, target| pyasm::code::exceptiontable::ExceptEntry {
        start,
        end,
        target,
        depth: 0,
        lasti: false,
    };
    // Code units: RESUME 0, NOPs 1 to 3, RETURN_CONST 4, h1 at 5, h2 at 8.
    let split = vec![entry(1, 2, 5), entry(2, 3, 8), entry(3, 4, 5)];
    assert_eq!(
        table_of("  .except a d -> h1\n  .except b c -> h2\n"),
        split
    );
    assert_eq!(
        table_of("  .except b c -> h2\n  .except a d -> h1\n"),
        split
    );
    // Disjoint lines written out of order are sorted; touching lines with
    // one handler stay two entries.
    assert_eq!(
        table_of("  .except b d -> h1\n  .except a b -> h1\n"),
        vec![entry(1, 2, 5), entry(2, 4, 5)]
    );
    // Crossing regions are refused.
    let src = ".python 3.12\n.code module\n  .except a c -> h\n  .except b d -> h\n  RESUME 0\na:\n  NOP\nb:\n  NOP\nc:\n  NOP\nd:\n  RETURN_CONST None\nh:\n  PUSH_EXC_INFO\n  POP_EXCEPT\n  RETURN_CONST None\n";
    let codes: Vec<_> = pyasm::check(src, &Default::default())
        .diags
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["overlapping-except"]);
}
