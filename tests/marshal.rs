//! Marshal reader and writer, and .pyc headers.
//!
//! Two kinds of test: hand-built hostile inputs, which must give an error at
//! a sensible offset and never a panic or a stack overflow; and round trips
//! through the real CPython 3.11, whose compiler makes the inputs and whose
//! `marshal` judges what our writer made of them (tests/python/*.py).

use num_bigint::BigInt;
use pyasm::code::{Code, Obj, PyStr, SplitVars};
use pyasm::marshal::{dumps, loads, loads_prefix, MarshalError, MAX_DEPTH, MAX_OBJECTS};
use pyasm::pyc::{header_len, read_pyc, read_pyc_any, write_pyc, PycError, PycHeader, HEADER_LEN};
use pyasm::versions::Version;
use std::path::{Path, PathBuf};
use std::process::Command;

const V311: Version = Version::V3_11;

fn err(data: &[u8]) -> MarshalError {
    match loads(data, V311) {
        Ok(obj) => panic!("expected an error for {data:?}, got {obj:?}"),
        Err(e) => e,
    }
}

fn le(n: i32) -> [u8; 4] {
    n.to_le_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A code object with a little of everything, for tests that need valid
/// bytes to start from.
fn sample_code() -> Code {
    let inner = Code {
        argcount: 1,
        stacksize: 2,
        flags: 0x13,
        code: vec![0x97, 0, 0x7c, 0, 0x53, 0],
        consts: vec![Obj::None],
        localsplusnames: vec![PyStr::new("x")],
        localspluskinds: vec![0x26],
        filename: PyStr::new("<t>"),
        name: PyStr::new("f"),
        qualname: PyStr::new("outer.<locals>.f"),
        firstlineno: 2,
        linetable: vec![0x80, 0x00, 0xd8, 0x0b, 0x0c, 0x80],
        ..Code::default()
    };
    Code {
        stacksize: 3,
        code: vec![0x97, 0, 0x64, 0, 0x53, 0],
        consts: vec![
            Obj::int(7),
            Obj::Int(BigInt::parse_bytes(b"-123456789012345678901234567890", 10).unwrap()),
            Obj::float(-0.0),
            Obj::Complex(1.5f64.to_bits(), f64::NAN.to_bits()),
            Obj::Bytes(b"\x00\xff".to_vec()),
            Obj::str("caf\u{e9}"),
            Obj::Str(PyStr(vec![0xed, 0xa0, 0x80])),
            Obj::str("an identifier"),
            Obj::Tuple(vec![
                Obj::True,
                Obj::False,
                Obj::Ellipsis,
                Obj::Tuple(vec![]),
            ]),
            Obj::FrozenSet(vec![Obj::int(1), Obj::str("a")]),
            Obj::Code(Box::new(inner)),
        ],
        names: vec![PyStr::new("print")],
        filename: PyStr::new("<t>"),
        name: PyStr::new("<module>"),
        qualname: PyStr::new("<module>"),
        firstlineno: 1,
        exceptiontable: vec![0x82, 0x01, 0x04],
        ..Code::default()
    }
}

fn sample_bytes() -> Vec<u8> {
    dumps(&Obj::Code(Box::new(sample_code())), V311)
}

// ----- hostile input -----------------------------------------------------------

#[test]
fn every_truncation_is_an_error_within_the_data() {
    let full = sample_bytes();
    assert!(loads(&full, V311).is_ok());
    for cut in 0..full.len() {
        let e = err(&full[..cut]);
        assert!(
            e.offset <= cut,
            "offset {} past the end {cut}: {e}",
            e.offset
        );
        assert!(e.message.starts_with("expected"), "{e}");
    }
}

#[test]
fn error_display_names_the_offset() {
    let e = err(b")\x02s\x00\x00\x00\x00");
    assert_eq!(e.offset, 7);
    assert_eq!(
        e.to_string(),
        "at byte 7: expected an object, but the data ends here"
    );
    // Usable as a plain error.
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().starts_with("at byte 7: "));
    let e = err(b"s\x05\x00\x00\x00ab");
    assert_eq!(e.offset, 1);
    assert_eq!(
        e.message,
        "expected a bytes length that the 2 remaining bytes can hold, found 5"
    );
    let e = err(b")\x01i\x01\x00");
    assert_eq!(e.offset, 3);
    assert_eq!(
        e.message,
        "expected 4 bytes of int, but the data ends after 2"
    );
}

#[test]
fn huge_lengths_are_rejected_before_allocating() {
    for code in [b'(', b'[', b'<', b'>', b's', b'u', b't', b'a', b'A', b'l'] {
        for n in [i32::MAX, 1 << 28, 100] {
            let data = cat(&[&[code], &le(n), b"NNNN"]);
            let e = err(&data);
            assert_eq!(e.offset, 1, "{e}");
            assert!(e.message.contains("remaining bytes"), "{e}");
        }
    }
    // The short forms are bounded by 255, but still checked.
    let e = err(b")\xffNN");
    assert_eq!(
        (e.offset, e.message.contains("remaining")),
        (1, true),
        "{e}"
    );
    let e = err(b"z\x09abc");
    assert_eq!(e.offset, 1, "{e}");
    // Negative lengths.
    for code in [b'(', b'[', b's', b'u', b'<'] {
        let e = err(&cat(&[&[code], &le(-1)]));
        assert_eq!(e.offset, 1);
        assert!(e.message.contains("non-negative"), "{e}");
    }
    // A digit count claiming i32::MIN (whose magnitude overflows i32).
    let e = err(&cat(&[b"l", &le(i32::MIN), b"\x01\x00"]));
    assert_eq!(e.offset, 1, "{e}");
}

/// Runs `f` on a thread whose stack is far smaller than the 8 MB a main
/// thread gets, so that unbounded recursion would overflow rather than pass.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the reader overflowed its stack or panicked")
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        // 100,000 one-element tuples around a None.
        let mut data = b")\x01".repeat(100_000);
        data.push(b'N');
        let e = err(&data);
        assert_eq!(e.offset, 2 * MAX_DEPTH, "{e}");
        assert!(e.message.contains("nested"), "{e}");

        // Lists, dicts (nested as keys) and frozensets nest the same way.
        let list = cat(&[&cat(&[b"[", &le(1)]).repeat(100_000), b"N"]);
        assert_eq!(err(&list).offset, 5 * MAX_DEPTH);
        let dict = cat(&[&b"{".repeat(100_000), b"N"]);
        assert_eq!(err(&dict).offset, MAX_DEPTH);
        let set = cat(&[&cat(&[b">", &le(1)]).repeat(100_000), b"N"]);
        assert_eq!(err(&set).offset, 5 * MAX_DEPTH);
    });
}

#[test]
fn nesting_limit_matches_cpython() {
    // CPython 3.11 loads 1999 tuples around a None (2000 objects on the
    // path) and refuses 2000 tuples around it.
    on_small_stack(|| {
        let ok = cat(&[&b")\x01".repeat(MAX_DEPTH - 1), b"N"]);
        let mut obj = loads(&ok, V311).expect("2000 levels are allowed");
        let mut depth = 1;
        while let Obj::Tuple(mut items) = obj {
            obj = items.pop().unwrap();
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
        let too_deep = cat(&[&b")\x01".repeat(MAX_DEPTH), b"N"]);
        assert_eq!(err(&too_deep).offset, 2 * MAX_DEPTH);
    });
}

#[test]
fn bad_references_are_errors() {
    // Nothing remembered yet.
    let e = err(b"r\x00\x00\x00\x00");
    assert_eq!(e.offset, 1);
    assert!(e.message.contains("below 0"), "{e}");
    // Negative and out-of-range indices.
    let e = err(&cat(&[b")\x02\xe9", &le(5), b"r", &le(-1)]));
    assert_eq!(e.offset, 8, "{e}");
    let e = err(&cat(&[b")\x02\xe9", &le(5), b"r", &le(1)]));
    assert_eq!(e.offset, 8, "{e}");
    // A FLAG_REF singleton is not remembered (as in CPython).
    let e = err(&cat(&[b")\x02\xce", b"r", &le(0)]));
    assert_eq!(e.offset, 4, "{e}");
    // A tuple that contains a reference to itself: CPython would build a
    // cycle, a tree cannot hold one.
    let e = err(&cat(&[b"\xa9\x01r", &le(0)]));
    assert_eq!(e.offset, 3, "{e}");
    assert!(e.message.contains("cycle"), "{e}");
    // The same with a list and with a code object's consts.
    let e = err(&cat(&[b"\xdb", &le(1), b"r", &le(0)]));
    assert!(e.message.contains("cycle"), "{e}");
    let mut code = sample_bytes();
    code[0] |= 0x80;
    let consts_at = 21 + 5 + 6; // header, co_code's type and length, co_code
    assert_eq!(code[consts_at], b')');
    code.splice(consts_at + 2..consts_at + 7, cat(&[b"r", &le(0)]));
    let e = err(&code);
    assert_eq!(e.offset, consts_at + 3, "{e}");
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn references_copy_finished_objects() {
    // (s, s) where the second is a reference to the first.
    let data = cat(&[b")\x02\xfa\x03abcr", &le(0)]);
    let s = Obj::str("abc");
    assert_eq!(loads(&data, V311).unwrap(), Obj::Tuple(vec![s.clone(), s]));
    // A reference to a finished container inside a later one.
    let data = cat(&[b")\x02\xa9\x01i", &le(4), b")\x01r", &le(0)]);
    let t = Obj::Tuple(vec![Obj::int(4)]);
    assert_eq!(
        loads(&data, V311).unwrap(),
        Obj::Tuple(vec![t.clone(), Obj::Tuple(vec![t])])
    );
}

#[test]
fn reference_bombs_hit_the_budget() {
    // Level 0 is (None, None); level k is (ref k-1, ref k-1). Sixty levels
    // describe 2**60 objects in a few hundred bytes.
    let levels = 60;
    let mut data = vec![b')', levels as u8];
    data.extend_from_slice(b"\xa9\x02NN");
    for k in 1..levels {
        data.extend_from_slice(&cat(&[b"\xa9\x02r", &le(k - 1), b"r", &le(k - 1)]));
    }
    let started = std::time::Instant::now();
    let e = err(&data);
    assert!(
        e.message
            .contains(&format!("at most {MAX_OBJECTS} objects")),
        "{e}"
    );
    assert!(e.offset < data.len(), "{e}");
    // Reported at a back-reference, not somewhere inside what it copies.
    assert_eq!(data[e.offset], b'r', "{e}");
    assert!(e.message.contains("while copying object"), "{e}");
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );

    // Few objects but a lot of payload: one 1 MB bytes copied 300 times.
    let mut data = cat(&[b"[", &le(301), b"\xf3", &le(1 << 20)]);
    data.resize(data.len() + (1 << 20), b'x');
    for _ in 0..300 {
        data.extend_from_slice(&cat(&[b"r", &le(0)]));
    }
    let e = err(&data);
    assert!(
        e.message.contains("bytes of str, bytes and int data"),
        "{e}"
    );
}

#[test]
fn bad_type_codes_are_errors() {
    let e = err(b"?");
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("0x3f ('?')"), "{e}");
    let e = err(b")\x02N\x01");
    assert_eq!(e.offset, 3);
    assert!(e.message.contains("0x01"), "{e}");
    // NULL only ends a dict.
    let e = err(b"0");
    assert!(e.message.contains("NULL"), "{e}");
    assert_eq!(err(b")\x01\xb0").offset, 2);
    assert_eq!(
        loads(b"{NN0", V311).unwrap(),
        Obj::Dict(vec![(Obj::None, Obj::None)])
    );
}

#[test]
fn slices_only_from_3_14() {
    let data = b":Ni\x02\x00\x00\x00N";
    let e = loads(data, V311).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("3.14"), "{e}");
    let obj = loads(data, Version::V3_14).unwrap();
    assert_eq!(
        obj,
        Obj::Slice(Box::new((Obj::None, Obj::int(2), Obj::None)))
    );
    assert_eq!(dumps(&obj, Version::V3_14), data);
    // Remembered like any other object.
    let data = cat(&[b")\x02\xbaNNNr", &le(0)]);
    let obj = loads(&data, Version::V3_14).unwrap();
    let Obj::Tuple(items) = obj else { panic!() };
    assert_eq!(items[0], items[1]);
}

#[test]
fn frozendicts_only_from_3_15() {
    // What 3.15.0rc1's `marshal.dumps(frozendict(a=1))` gives, less FLAG_REF.
    let data = b"}\xda\x01a\xe9\x01\x00\x00\x000";
    let e = loads(data, Version::V3_14).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(e.message.contains("3.15"), "{e}");
    let obj = loads(data, Version::V3_15).unwrap();
    let Obj::FrozenDict(pairs) = &obj else {
        panic!("{obj:?}")
    };
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].1, Obj::int(1));
    assert_eq!(
        loads(&dumps(&obj, Version::V3_15), Version::V3_15).unwrap(),
        obj
    );
    assert_eq!(dumps(&Obj::FrozenDict(vec![]), Version::V3_15), b"}0");
}

#[test]
fn malformed_ints_are_errors() {
    // Most significant digit zero (CPython: "unnormalized long data").
    let e = err(&cat(&[b"l", &le(2), b"\x01\x00\x00\x00"]));
    assert_eq!(e.offset, 7, "{e}");
    // A digit of 16 bits.
    let e = err(&cat(&[b"l", &le(1), b"\x00\x80"]));
    assert_eq!(e.offset, 5, "{e}");
    assert_eq!(loads(&cat(&[b"l", &le(0)]), V311).unwrap(), Obj::int(0));
    assert_eq!(
        loads(&cat(&[b"l", &le(-2), b"\x01\x00\x01\x00"]), V311).unwrap(),
        Obj::int(-32769)
    );
    assert_eq!(
        loads(&cat(&[b"I", &le(1), &le(2)]), V311).unwrap(),
        Obj::int(0x2_0000_0001)
    );
}

#[test]
fn old_forms_read() {
    // Text floats and complexes (marshal versions 0 and 1).
    assert_eq!(loads(b"f\x031.5", V311).unwrap(), Obj::float(1.5));
    assert_eq!(
        loads(b"f\x04-inf", V311).unwrap(),
        Obj::float(f64::NEG_INFINITY)
    );
    assert_eq!(
        loads(b"x\x011\x04-0.0", V311).unwrap(),
        Obj::Complex(1f64.to_bits(), (-0.0f64).to_bits())
    );
    for bad in [&b"f\x04 1.5"[..], b"f\x031_0", b"f\x00", b"f\x02\xff\xfe"] {
        let e = err(bad);
        assert_eq!(e.offset, 1, "{e}");
        assert!(e.message.contains("float literal"), "{e}");
    }
    // One-byte-per-character strings are Latin-1, as CPython reads them.
    assert_eq!(loads(b"z\x02\xe9x", V311).unwrap(), Obj::str("\u{e9}x"));
    // 'u' lets lone surrogates through, and refuses ill-formed UTF-8 at
    // the first byte that does not start a character, as CPython does.
    assert_eq!(
        loads(&cat(&[b"u", &le(3), b"\xed\xa0\x80"]), V311).unwrap(),
        Obj::Str(PyStr(vec![0xed, 0xa0, 0x80]))
    );
    for (bad, at) in [
        (&b"\xff"[..], 5),
        (b"ab\xc0\x80", 7),
        (b"\xf4\x90\x80\x80", 5),
        (b"a\xe2\x82", 6),
    ] {
        let e = err(&cat(&[b"u", &le(bad.len() as i32), bad]));
        assert_eq!(e.offset, at, "{e}");
        assert!(e.message.contains("UTF-8"), "{e}");
    }
}

#[test]
fn code_fields_are_type_checked() {
    let good = sample_bytes();
    // co_code's bytes object turned into a str of the same length (one
    // byte per character, so that any bytes are a str).
    let mut bad = good.clone();
    assert_eq!(bad[21], b's');
    bad[21] = b'a';
    let e = err(&bad);
    assert_eq!(e.offset, 21);
    assert_eq!(e.message, "expected bytes for co_code, found str");
    // A negative argument count.
    let mut bad = good.clone();
    bad[1..5].copy_from_slice(&le(-1));
    let e = err(&bad);
    assert_eq!(e.offset, 1);
    assert!(e.message.contains("co_argcount"), "{e}");
    // A name that is not a str.
    let code = Code {
        names: vec![PyStr::new("a")],
        ..Code::default()
    };
    let mut bytes = dumps(&Obj::Code(Box::new(code)), V311);
    let at = bytes.windows(3).position(|w| w == b"Z\x01a").unwrap();
    bytes.splice(at..at + 3, cat(&[b"i", &le(1)]));
    let e = err(&bytes);
    assert!(e.message.contains("co_names, found int at index 0"), "{e}");
}

/// A small deterministic generator, so that failures reproduce.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_input_never_panics() {
    let base = sample_bytes();
    let mut rng = XorShift(0x9e3779b97f4a7c15);
    let interesting = [b'r', 0x80, 0xff, 0x00, b'(', b'c', b'l', b'{', b'0', 0x7f];
    for _ in 0..20_000 {
        let mut data = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len());
            match rng.below(5) {
                0 => data[at] = rng.next() as u8,
                1 => data[at] = interesting[rng.below(interesting.len())],
                2 => data[at] ^= 0x80,
                3 => {
                    data.remove(at);
                }
                _ => data.truncate(at),
            }
            if data.is_empty() {
                break;
            }
        }
        for version in [Version::V3_11, Version::V3_14] {
            if let Err(e) = loads_prefix(&data, version) {
                assert!(e.offset <= data.len(), "{e}");
            }
        }
    }
}

#[test]
fn pyc_header_errors() {
    let code = sample_code();
    let header = PycHeader::timestamp(V311, 1_700_000_000, 1234);
    let file = write_pyc(&header, &code);
    assert_eq!(&file[..4], &[0xa7, 0x0d, 0x0d, 0x0a]);
    let (h, c) = read_pyc(&file).unwrap();
    assert_eq!((h, &c), (header, &code));
    assert_eq!(
        (h.mtime(), h.source_size(), h.hash()),
        (Some(1_700_000_000), Some(1234), None)
    );

    // Truncated header.
    let e = read_pyc(&file[..10]).unwrap_err();
    assert_eq!(e, PycError::Truncated { len: 10, need: 16 });
    assert_eq!(e.offset(), 10);
    assert!(
        e.to_string().starts_with("at byte 10: expected a 16-byte"),
        "{e}"
    );

    // Magic numbers: every supported version reads; an unknown one and a
    // file that is not a pyc are errors naming what was found.
    let mut other = file.clone();
    // (The versions whose code objects are laid out as this 3.11 one.)
    for v in pyasm::versions::Version::ALL
        .iter()
        .filter(|v| v.table().localsplus)
    {
        other[..2].copy_from_slice(&v.magic().to_le_bytes());
        assert_eq!(read_pyc(&other).unwrap().0.version, *v);
    }
    other[..2].copy_from_slice(&3550u16.to_le_bytes());
    let e = read_pyc(&other).unwrap_err();
    let text = e.to_string();
    assert_eq!(e.offset(), 0);
    assert!(
        text.contains("found 3550") && text.contains("3495"),
        "{text}"
    );
    assert!(text.contains("3627 (Python 3.14)"), "{text}");
    other[..2].copy_from_slice(&1234u16.to_le_bytes());
    let text = read_pyc(&other).unwrap_err().to_string();
    assert!(
        text.contains("found 1234") && text.contains("3495"),
        "{text}"
    );
    let text = read_pyc(b"#!/usr/bin/env python3\nprint(1)\n")
        .unwrap_err()
        .to_string();
    assert!(text.contains("23 21 2f 75"), "{text}");

    // Flags other than bits 0 and 1.
    let mut flagged = file.clone();
    flagged[4] = 4;
    let e = read_pyc(&flagged).unwrap_err();
    assert_eq!(e, PycError::BadFlags { flags: 4 });
    assert_eq!(e.offset(), 4);

    // Not a code object after the header.
    let mut not_code = file[..HEADER_LEN].to_vec();
    not_code.push(b'N');
    let e = read_pyc(&not_code).unwrap_err();
    assert_eq!(e.offset(), 16);
    assert!(e.to_string().contains("found NoneType"), "{e}");

    // Marshal errors count from the start of the file.
    let e = read_pyc(&file[..HEADER_LEN + 3]).unwrap_err();
    assert!(matches!(e, PycError::Marshal(_)), "{e:?}");
    assert_eq!(e.offset(), HEADER_LEN + 1);
    assert!(e.to_string().starts_with("at byte 17: expected"), "{e}");

    // Hash-based headers.
    let hash = *b"\x01\x02\x03\x04\x05\x06\x07\x08";
    for checked in [false, true] {
        let h = PycHeader::hash_based(V311, hash, checked);
        let (back, _) = read_pyc(&write_pyc(&h, &code)).unwrap();
        assert_eq!(back, h);
        assert!(back.is_hash_based());
        assert_eq!(back.check_source(), checked);
        assert_eq!((back.hash(), back.mtime()), (Some(hash), None));
        assert_eq!(back.flags, if checked { 3 } else { 1 });
    }
}

#[test]
fn writer_uses_compact_forms() {
    let w = |o: &Obj| dumps(o, V311);
    assert_eq!(w(&Obj::int(5)), cat(&[b"i", &le(5)]));
    assert_eq!(w(&Obj::int(-(1 << 31))), cat(&[b"i", &le(i32::MIN)]));
    assert_eq!(
        w(&Obj::int(1 << 31)),
        cat(&[b"l", &le(3), b"\x00\x00\x00\x00\x02\x00"])
    );
    assert_eq!(
        w(&Obj::int(-(1 << 31) - 1)),
        cat(&[b"l", &le(-3), b"\x01\x00\x00\x00\x02\x00"])
    );
    assert_eq!(w(&Obj::str("ab_1")), b"Z\x04ab_1");
    assert_eq!(w(&Obj::str("a b")), b"z\x03a b");
    // Digits first too: CPython interns every string of name characters
    // among a code object's constants.
    assert_eq!(w(&Obj::str("215")), b"Z\x03215");
    assert_eq!(w(&Obj::str("")), b"z\x00");
    assert_eq!(w(&Obj::str(&"x".repeat(300)))[..5], cat(&[b"A", &le(300)]));
    assert_eq!(w(&Obj::str(&"x ".repeat(150)))[..5], cat(&[b"a", &le(300)]));
    assert_eq!(
        w(&Obj::str("\u{e9}")),
        cat(&[b"u", &le(2), "\u{e9}".as_bytes()])
    );
    assert_eq!(w(&Obj::Tuple(vec![])), b")\x00");
    assert_eq!(
        w(&Obj::Tuple(vec![Obj::None; 256]))[..5],
        cat(&[b"(", &le(256)])
    );
    assert_eq!(w(&Obj::float(0.5)), b"g\x00\x00\x00\x00\x00\x00\xe0\x3f");
    assert_eq!(w(&Obj::Dict(vec![])), b"{0");
}

#[test]
fn rust_round_trip_of_hand_built_objects() {
    let objs = [
        Obj::Code(Box::new(sample_code())),
        Obj::List(vec![Obj::Set(vec![Obj::int(1)]), Obj::StopIteration]),
        Obj::Dict(vec![(Obj::str("k"), Obj::List(vec![]))]),
        Obj::Int(BigInt::from(1u8) << 1000usize),
        Obj::Int(-(BigInt::from(1u8) << 999usize)),
        Obj::Tuple((0..300).map(Obj::int).collect()),
    ];
    for obj in objs {
        let bytes = dumps(&obj, V311);
        let (back, used) = loads_prefix(&bytes, V311).unwrap();
        assert_eq!(back, obj);
        assert_eq!(used, bytes.len());
    }
    // Trailing bytes are left alone.
    let (obj, used) = loads_prefix(b"NNN", V311).unwrap();
    assert_eq!((obj, used), (Obj::None, 1));
}

// ----- against CPython 3.11 ------------------------------------------------------

const PYTHON: &str = "python3.11";

/// Equality that ignores the order of set and frozenset items.
fn same_value(a: &Obj, b: &Obj) -> bool {
    let same_items =
        |x: &[Obj], y: &[Obj]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q));
    let same_set = |x: &[Obj], y: &[Obj]| {
        let mut left: Vec<&Obj> = y.iter().collect();
        x.len() == y.len()
            && x.iter()
                .all(|p| match left.iter().position(|q| same_value(p, q)) {
                    Some(i) => {
                        left.remove(i);
                        true
                    }
                    None => false,
                })
    };
    match (a, b) {
        (Obj::Set(x), Obj::Set(y)) | (Obj::FrozenSet(x), Obj::FrozenSet(y)) => same_set(x, y),
        (Obj::Tuple(x), Obj::Tuple(y)) | (Obj::List(x), Obj::List(y)) => same_items(x, y),
        (Obj::Dict(x), Obj::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same_value(k1, k2) && same_value(v1, v2))
        }
        (Obj::Code(x), Obj::Code(y)) => {
            same_items(&x.consts, &y.consts)
                && Code {
                    consts: vec![],
                    ..(**x).clone()
                } == Code {
                    consts: vec![],
                    ..(**y).clone()
                }
        }
        _ => a == b,
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

fn python(args: &[&str]) -> String {
    let out = Command::new(PYTHON)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}"));
    assert!(
        out.status.success(),
        "{PYTHON} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn manifest(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read(dir.join("manifest.txt")).unwrap();
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, origin) = l.split_once('\t').unwrap();
            (name.to_string(), origin.to_string())
        })
        .collect()
}

/// Reads every file that `marshal_gen.py` wrote, checks that our own
/// write-then-read gives back the same value, and leaves our bytes beside
/// each file as NAME.ours for `marshal_compare.py`. Returns the objects read
/// from non-.pyc blobs.
fn rewrite_all(dir: &Path) -> Vec<(String, Obj)> {
    let mut blobs = Vec::new();
    for (name, origin) in manifest(dir) {
        let data = std::fs::read(dir.join(&name)).unwrap();
        let ours = if name.ends_with(".pyc") {
            let (header, code) =
                read_pyc(&data).unwrap_or_else(|e| panic!("{name} ({origin}): {e}"));
            let ours = write_pyc(&header, &code);
            let (header2, code2) = read_pyc(&ours).unwrap();
            assert_eq!(header2, header, "{origin}");
            assert!(code2 == code, "{origin}: Rust read/write/read differs");
            ours
        } else {
            let obj = loads(&data, V311).unwrap_or_else(|e| panic!("{name} ({origin}): {e}"));
            let ours = dumps(&obj, V311);
            assert_eq!(loads(&ours, V311).unwrap(), obj, "{origin}");
            blobs.push((name.clone(), obj));
            ours
        };
        std::fs::write(dir.join(format!("{name}.ours")), ours).unwrap();
    }
    blobs
}

/// Lets CPython compare each original with our copy; returns (identical,
/// total) and panics listing the differences if there are any.
fn compare_all(dir: &Path, label: &str) -> (usize, usize) {
    let out = python(&[
        script("marshal_compare.py").to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let same = out.lines().filter(|l| l.starts_with("same ")).count();
    let differs: Vec<&str> = out.lines().filter(|l| l.starts_with("differs ")).collect();
    let total = manifest(dir).len();
    println!("{label}: identical {same}/{total}");
    assert!(differs.is_empty(), "{}", differs.join("\n"));
    assert_eq!(same, total, "{out}");
    (same, total)
}

#[test]
fn cpython_samples_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    python(&[
        script("marshal_gen.py").to_str().unwrap(),
        "samples",
        dir.path().to_str().unwrap(),
    ]);
    let blobs = rewrite_all(dir.path());
    // Every marshal version, old forms included, reads to the same value
    // (up to the order of set items: version 4 sorts them).
    assert_eq!(blobs.len(), 5);
    for (name, obj) in &blobs[1..] {
        assert!(
            same_value(obj, &blobs[0].1),
            "{name} differs from {}",
            blobs[0].0
        );
    }
    compare_all(dir.path(), "marshal round trip (samples)");
}

#[test]
fn cpython_stdlib_round_trip() {
    let stdlib = "/root/.pyenv/versions/3.11.7/lib/python3.11";
    assert!(
        Path::new(stdlib).is_dir(),
        "no standard library at {stdlib}"
    );
    let dir = tempfile::tempdir().unwrap();
    python(&[
        script("marshal_gen.py").to_str().unwrap(),
        "stdlib",
        dir.path().to_str().unwrap(),
        stdlib,
    ]);
    rewrite_all(dir.path());
    let (same, total) = compare_all(dir.path(), "marshal round trip");
    assert!(total > 1000, "only {total} files compiled");
    assert_eq!(same, total);
}

// ----- 3.6 to 3.10 ---------------------------------------------------------------

/// The versions whose code objects have three tuples of variables rather
/// than `co_localsplusnames` (3.6 to 3.10).
fn split_versions() -> impl Iterator<Item = Version> {
    Version::TABLES
        .iter()
        .copied()
        .filter(|v| !v.table().localsplus)
}

/// A code object of `v`, 3.6 to 3.10: an argument that is also a cell
/// (named in `varnames` and `cellvars`), a free variable, and a nested
/// code object.
fn split_sample(v: Version) -> Code {
    let posonly = u32::from(v.table().code_posonlyargcount);
    let inner = Code {
        argcount: 0,
        stacksize: 1,
        flags: 0x13,
        code: vec![0x88, 0, 0x53, 0],
        consts: vec![Obj::None],
        filename: PyStr::new("<t>"),
        name: PyStr::new("g"),
        firstlineno: 3,
        linetable: vec![0, 1],
        split_vars: Some(Box::new(SplitVars {
            freevars: vec![PyStr::new("cellarg")],
            ..SplitVars::default()
        })),
        ..Code::default()
    };
    Code {
        argcount: 2,
        posonlyargcount: posonly,
        stacksize: 2,
        flags: 0x3,
        code: vec![0x87, 0, 0x64, 0, 0x53, 0],
        consts: vec![Obj::Code(Box::new(inner)), Obj::str("f.<locals>.g")],
        names: vec![PyStr::new("print")],
        filename: PyStr::new("<t>"),
        name: PyStr::new("f"),
        firstlineno: 2,
        linetable: vec![4, 1, 2, 1],
        split_vars: Some(Box::new(SplitVars {
            nlocals: 3,
            varnames: vec![
                PyStr::new("cellarg"),
                PyStr::new("other"),
                PyStr::new("local"),
            ],
            cellvars: vec![PyStr::new("cellarg")],
            freevars: vec![],
        })),
        ..Code::default()
    }
}

#[test]
fn split_code_objects_round_trip_and_only_read_pyc_any_reads_them() {
    for v in split_versions() {
        let header = PycHeader::timestamp(v, 1_600_000_000, 77);
        let code = split_sample(v);
        let pyc = write_pyc(&header, &code);
        assert_eq!(
            pyc.len() - dumps(&Obj::Code(Box::new(code.clone())), v).len(),
            header_len(v)
        );
        assert_eq!(
            &pyc[..4],
            &[v.magic() as u8, (v.magic() >> 8) as u8, b'\r', b'\n']
        );
        assert_eq!(read_pyc_any(&pyc).unwrap(), (header, code.clone()), "{v}");
        // `read_pyc` reads only the versions pyasm reads and writes.
        match read_pyc(&pyc) {
            Ok(read) => {
                assert!(v.is_supported(), "{v}");
                assert_eq!(read, (header, code), "{v}");
            }
            Err(e) => {
                assert!(!v.is_supported(), "{v}: {e}");
                assert!(matches!(e, PycError::BadMagic { .. }), "{v}: {e}");
            }
        }
    }
    // 3.6's header has no flags word; 3.7's has.
    assert_eq!(header_len(Version::V3_6), 12);
    assert_eq!(header_len(Version::V3_7), 16);
}

#[test]
fn split_code_objects_truncated_or_mistyped_are_errors() {
    for v in split_versions() {
        let hl = header_len(v);
        let good = write_pyc(&PycHeader::timestamp(v, 0, 0), &split_sample(v));
        // Every truncation, the header's included.
        for cut in 0..good.len() {
            let e = read_pyc_any(&good[..cut]).unwrap_err();
            assert!(
                e.offset() <= cut,
                "{v}: offset {} past {cut}: {e}",
                e.offset()
            );
            assert!(e.to_string().contains("expected"), "{v}: {e}");
        }
        let e = read_pyc_any(&good[..hl - 1]).unwrap_err();
        assert_eq!(
            e,
            PycError::Truncated {
                len: hl - 1,
                need: hl
            }
        );

        // The variable tuples, each replaced by None (one byte, like the
        // short tuple header it replaces, followed by the rest as junk
        // that is never reached).
        let table = v.table();
        for (field, needle) in [
            ("co_varnames", &b")\x03Z\x07cellarg"[..]),
            ("co_cellvars", b")\x01Z\x07cellarg"),
        ] {
            let mut bad = good.clone();
            // The outer code object's tuples: the last occurrence is its
            // co_cellvars, the first in it its co_varnames.
            let hits: Vec<usize> = (0..=bad.len() - needle.len())
                .filter(|&i| &bad[i..i + needle.len()] == needle)
                .collect();
            let at = if field == "co_varnames" {
                hits[0]
            } else {
                *hits.last().unwrap()
            };
            bad[at] = b'N';
            let e = read_pyc_any(&bad).unwrap_err();
            assert_eq!(e.offset(), at, "{v} {field}: {e}");
            assert!(
                e.to_string().ends_with(&format!(
                    "expected a tuple of str for {field}, found NoneType"
                )),
                "{v}: {e}"
            );
        }
        // The outer line table, its bytes made a str: named as the
        // version names it.
        let needle = b"s\x04\x00\x00\x00\x04\x01\x02\x01";
        let at = (0..=good.len() - needle.len())
            .find(|&i| &good[i..i + needle.len()] == needle)
            .unwrap();
        let mut bad = good.clone();
        bad[at] = b'a';
        let e = read_pyc_any(&bad).unwrap_err();
        assert_eq!(e.offset(), at, "{v}: {e}");
        let field = table.line_table.field_name();
        assert!(
            e.to_string()
                .ends_with(&format!("expected bytes for {field}, found str")),
            "{v}: {e}"
        );
        // A negative co_nlocals, the fourth or fifth count.
        let nlocals_at = hl + 1 + 4 * (2 + usize::from(table.code_posonlyargcount));
        let mut bad = good.clone();
        bad[nlocals_at..nlocals_at + 4].copy_from_slice(&le(-3));
        let e = read_pyc_any(&bad).unwrap_err();
        assert_eq!(e.offset(), nlocals_at, "{v}: {e}");
        assert!(
            e.to_string().contains("non-negative co_nlocals, found -3"),
            "{v}: {e}"
        );
    }
}

#[test]
fn mutated_split_code_objects_never_panic() {
    let mut rng = XorShift(0x2545f4914f6cdd1d);
    for v in split_versions() {
        let base = write_pyc(&PycHeader::timestamp(v, 0, 0), &split_sample(v));
        for _ in 0..4_000 {
            let mut data = base.clone();
            for _ in 0..1 + rng.below(4) {
                if data.is_empty() {
                    break;
                }
                let at = rng.below(data.len());
                match rng.below(4) {
                    0 => data[at] = rng.next() as u8,
                    1 => data[at] ^= 0x80,
                    2 => {
                        data.remove(at);
                    }
                    _ => data.truncate(at.max(1)),
                }
            }
            if let Err(e) = read_pyc_any(&data) {
                assert!(e.offset() <= data.len(), "{v}: {e}");
            }
        }
    }
}
