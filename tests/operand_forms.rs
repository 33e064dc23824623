//! The operand forms each version adds encode exactly what that version's
//! own `dis` reads back: pyasm builds a module using them, and the real
//! interpreter of the version decodes the instructions.

mod common;

use common::interp::{py_script, run};

/// Builds `body` (instruction lines) for `version` and returns what that
/// version's `dis` says of each instruction: (opname, arg, argrepr).
fn decoded(version: &str, vars: &str, body: &str) -> Vec<(String, u32, String)> {
    let text = format!(".python {version}\n.code module\n{vars}{body}");
    // A list of instructions, not a program: the verifier would rightly
    // reject it, and this test is about encodings only.
    let opts = pyasm::asm::Options {
        verify: false,
        recompute_stack: false,
    };
    let built = pyasm::assemble(
        &text,
        &pyasm::TextOptions {
            build: opts,
            ..Default::default()
        },
    );
    assert!(built.pyc.is_some(), "{version}: {:?}", built.diags);
    let tmp = tempfile::tempdir().unwrap();
    let pyc = tmp.path().join("forms.pyc");
    std::fs::write(&pyc, built.pyc.unwrap()).unwrap();
    let stdout = run(&mut py_script(version, "dump_args.py", &[&pyc]));
    stdout
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, '|');
            let (op, arg, repr) = (p.next()?, p.next()?, p.next()?);
            (op != "CACHE" && op != "EXTENDED_ARG")
                .then(|| (op.to_string(), arg.parse().unwrap_or(0), repr.to_string()))
        })
        .collect()
}

fn check(version: &str, vars: &str, cases: &[(&str, &str, u32, &str)]) {
    let body: String = cases
        .iter()
        .map(|(line, ..)| format!("    {line}\n"))
        .collect();
    let got = decoded(version, vars, &body);
    assert_eq!(got.len(), cases.len(), "{version}: {got:?}");
    for ((line, op, arg, repr), (gop, garg, grepr)) in cases.iter().zip(&got) {
        assert_eq!(
            (op, arg, repr),
            (&gop.as_str(), garg, &grepr.as_str()),
            "{version}: `{line}`"
        );
    }
    println!(
        "{version}: {} operand forms decoded as written by the real dis",
        cases.len()
    );
}

#[test]
fn forms_of_3_11() {
    check(
        "3.11",
        "    .var a\n    .var b\n",
        &[
            ("LOAD_GLOBAL NULL + print", "LOAD_GLOBAL", 1, "NULL + print"),
            ("COMPARE_OP >=", "COMPARE_OP", 5, ">="),
            ("BINARY_OP //=", "BINARY_OP", 15, "//="),
            (
                "MAKE_FUNCTION defaults closure",
                "MAKE_FUNCTION",
                9,
                "defaults, closure",
            ),
            (
                "FORMAT_VALUE repr spec",
                "FORMAT_VALUE",
                6,
                "repr, with format",
            ),
            // Bare: no flags, no conversion and no spec.
            ("MAKE_FUNCTION", "MAKE_FUNCTION", 0, ""),
            ("FORMAT_VALUE", "FORMAT_VALUE", 0, ""),
            ("UNPACK_EX 1, 2", "UNPACK_EX", 513, ""),
        ],
    );
}

#[test]
fn forms_of_3_12() {
    check(
        "3.12",
        "",
        &[
            (
                "LOAD_ATTR NULL|self + append",
                "LOAD_ATTR",
                1,
                "NULL|self + append",
            ),
            ("LOAD_ATTR real", "LOAD_ATTR", 2, "real"),
            (
                "LOAD_SUPER_ATTR NULL|self + g",
                "LOAD_SUPER_ATTR",
                9,
                "NULL|self + g",
            ),
            ("LOAD_SUPER_ATTR two_arg h", "LOAD_SUPER_ATTR", 14, "h"),
            ("COMPARE_OP <=", "COMPARE_OP", 26, "<="),
            ("COMPARE_OP !=", "COMPARE_OP", 55, "!="),
            (
                "CALL_INTRINSIC_1 INTRINSIC_LIST_TO_TUPLE",
                "CALL_INTRINSIC_1",
                6,
                "INTRINSIC_LIST_TO_TUPLE",
            ),
            (
                "CALL_INTRINSIC_2 INTRINSIC_PREP_RERAISE_STAR",
                "CALL_INTRINSIC_2",
                1,
                "INTRINSIC_PREP_RERAISE_STAR",
            ),
            ("RETURN_CONST None", "RETURN_CONST", 0, "None"),
        ],
    );
}

#[test]
fn forms_of_3_13() {
    check(
        "3.13",
        "    .var a\n    .var b\n",
        &[
            ("LOAD_FAST_LOAD_FAST a, b", "LOAD_FAST_LOAD_FAST", 1, "a, b"),
            (
                "STORE_FAST_STORE_FAST b, a",
                "STORE_FAST_STORE_FAST",
                16,
                "b, a",
            ),
            ("COMPARE_OP bool(<)", "COMPARE_OP", 18, "bool(<)"),
            ("COMPARE_OP >=", "COMPARE_OP", 172, ">="),
            (
                "SET_FUNCTION_ATTRIBUTE closure",
                "SET_FUNCTION_ATTRIBUTE",
                8,
                "closure",
            ),
            ("CONVERT_VALUE repr", "CONVERT_VALUE", 2, "repr"),
            ("LOAD_ATTR NULL|self + m", "LOAD_ATTR", 1, "m + NULL|self"),
        ],
    );
}

#[test]
fn forms_of_3_14() {
    check(
        "3.14",
        "    .var a\n    .var b\n",
        &[
            ("BINARY_OP []", "BINARY_OP", 26, "[]"),
            ("LOAD_SMALL_INT 200", "LOAD_SMALL_INT", 200, ""),
            (
                "LOAD_FAST_BORROW_LOAD_FAST_BORROW a, b",
                "LOAD_FAST_BORROW_LOAD_FAST_BORROW",
                1,
                "a, b",
            ),
            (
                "LOAD_COMMON_CONSTANT AssertionError",
                "LOAD_COMMON_CONSTANT",
                0,
                "AssertionError",
            ),
            ("LOAD_SPECIAL __exit__", "LOAD_SPECIAL", 1, "__exit__"),
            (
                "SET_FUNCTION_ATTRIBUTE annotate",
                "SET_FUNCTION_ATTRIBUTE",
                16,
                "annotate",
            ),
        ],
    );
}

#[test]
fn forms_of_3_15() {
    check(
        "3.15",
        "",
        &[
            ("IMPORT_NAME os", "IMPORT_NAME", 0, "os"),
            ("IMPORT_NAME lazy os", "IMPORT_NAME", 1, "os + lazy"),
            ("IMPORT_NAME eager sys", "IMPORT_NAME", 6, "sys + eager"),
            ("IMPORT_NAME sys + lazy", "IMPORT_NAME", 5, "sys + lazy"),
            ("IMPORT_NAME lazy", "IMPORT_NAME", 8, "lazy"),
            (
                "LOAD_COMMON_CONSTANT list",
                "LOAD_COMMON_CONSTANT",
                5,
                "list",
            ),
            (
                "LOAD_COMMON_CONSTANT None",
                "LOAD_COMMON_CONSTANT",
                7,
                "None",
            ),
            ("LOAD_COMMON_CONSTANT ''", "LOAD_COMMON_CONSTANT", 8, "''"),
            ("LOAD_COMMON_CONSTANT \"\"", "LOAD_COMMON_CONSTANT", 8, "''"),
            (
                "LOAD_COMMON_CONSTANT False",
                "LOAD_COMMON_CONSTANT",
                10,
                "False",
            ),
            ("LOAD_COMMON_CONSTANT -1", "LOAD_COMMON_CONSTANT", 11, "-1"),
            ("LOAD_COMMON_CONSTANT 9", "LOAD_COMMON_CONSTANT", 9, "True"),
            ("GET_ITER 3", "GET_ITER", 3, ""),
        ],
    );
}

#[test]
fn instructions_of_other_versions_are_errors_that_say_so() {
    let built = pyasm::assemble(".python 3.12\n.code module\n    PRECALL 1\n    COMPARE_OP bool(<)\n    RETURN_CONST None\n", &Default::default());
    assert!(built.pyc.is_none());
    let d = built
        .diags
        .iter()
        .find(|d| d.code == "unknown-opcode")
        .expect("PRECALL rejected");
    assert!(
        d.message
            .contains("`PRECALL` is not an instruction in Python 3.12"),
        "{}",
        d.message
    );
    assert!(
        d.notes
            .iter()
            .any(|(_, n)| n.contains("exists in Python 3.11")),
        "{:?}",
        d.notes
    );
    assert!(
        built
            .diags
            .iter()
            .any(|d| d.message.contains("exist in Python 3.13, 3.14")),
        "{:?}",
        built.diags
    );
    // The same file for 3.11 lacks RETURN_CONST instead.
    let built = pyasm::assemble(
        ".python 3.11\n.code module\n    RETURN_CONST None\n",
        &Default::default(),
    );
    let d = &built.diags[0];
    assert!(
        d.message.contains("not an instruction in Python 3.11"),
        "{}",
        d.message
    );
    assert!(
        d.notes.iter().any(|(_, n)| n.contains("3.12, 3.13")),
        "{:?}",
        d.notes
    );
}

#[test]
fn no_function_flags_and_no_conversion_are_written_bare() {
    for version in ["3.11", "3.12"] {
        let text = format!(
            ".python {version}\n.code module\n    RESUME 0\n    LOAD_CONST @f\n    MAKE_FUNCTION 0\n    LOAD_CONST 1\n    FORMAT_VALUE 0\n    BUILD_TUPLE 2\n    RETURN_VALUE\n.code f\n    RESUME 0\n    LOAD_CONST None\n    RETURN_VALUE\n"
        );
        let built = pyasm::assemble(&text, &Default::default());
        let pyc = built
            .pyc
            .unwrap_or_else(|| panic!("{version}: {:?}", built.diags));
        let listing = pyasm::disassemble_pyc(&pyc).unwrap().text;
        let ops: Vec<&str> = listing
            .lines()
            // The instruction without its position (the text above has
            // none, so the file's lines are used).
            .map(|l| {
                l.trim_start()
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim()
            })
            .filter(|l| l.contains("MAKE_FUNCTION") || l.contains("FORMAT_VALUE"))
            .collect();
        assert_eq!(
            ops,
            ["MAKE_FUNCTION", "FORMAT_VALUE"],
            "{version}:\n{listing}"
        );
        // And the bare forms build the same bytes.
        let again = pyasm::assemble(&listing, &Default::default());
        assert_eq!(again.pyc.as_deref(), Some(&pyc[..]), "{version}");
    }
}
