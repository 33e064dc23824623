//! 3.6-3.9's `co_lnotab`: where the line changes.
//!
//! The table is a list of byte pairs, each an unsigned bytecode-offset
//! increment and a signed (since 3.6) line increment. The line of the code
//! at byte offset `a` is `co_firstlineno` plus the line increments of every
//! pair whose running offset is at most `a` (`PyCode_Addr2Line`).
//!
//! The compiler (`assemble_lnotab` in Python/compile.c) records a change at
//! each instruction that has a line (line 0 means none, and continues the
//! one before): 3.6-3.8 give a line to the first instruction of every
//! statement and record it even when the line stays the same, unless
//! nothing at all changes (the first instruction, at offset 0 and on
//! `co_firstlineno`); 3.9 records only where the line changes. Such a
//! change, an offset increment `b` and a line increment `d`, becomes:
//! 1. if `b > 255`: `b / 255` pairs `(255, 0)`, leaving `b % 255` (so
//!    exactly 255 stays one pair, and 510 leaves 0);
//! 2. if `d` is outside -128..=127: with `k` 127 or -128 by its sign and
//!    `n = |d| / |k|`, `(b, k)` and `n - 1` pairs `(0, k)`, leaving
//!    `d - n * k` and an offset increment of 0;
//! 3. the pair of what is left, even a line increment of 0.
//!
//! Then the peephole pass (Python/peephole.c), unless some pair has an
//! offset increment of 255, removes instructions and moves each pair's
//! offset to where its instruction went: a change recorded at a removed
//! instruction lands on the next one, so the table may change the line
//! twice at one offset, or once at the very end of the code. The decoder
//! keeps each such change as an empty run, which the encoder writes back.
//!
//! A change that keeps the line changes nothing for the interpreter (its
//! tracing reports a line where the line moves, not at each pair), but
//! 3.6-3.8's tables are full of them. So runs here are changes, not
//! stretches of one line: the decoder gives one run per change, and the
//! encoder records a change at every run that has a line, whether or not
//! the line is new.

use super::Position;

/// The pairs of one change, as step 2 writes them: the line increment of
/// the first pair and of the `n - 1` after it.
fn split_step(d: i64) -> Option<i64> {
    if d > 127 {
        Some(127)
    } else if d < -128 {
        Some(-128)
    } else {
        None
    }
}

/// Whether `r`, after `k` pairs `(b, k), (0, k)...` (`n` of them), is what
/// step 3 leaves of a change step 2 split: `0 <= r < 127` for `k = 127`,
/// `-128 < r <= 0` for `k = -128`, and not 0 when `n` is 1, since a change
/// of exactly `k` is not split.
fn is_remainder(k: i8, r: i8, n: usize) -> bool {
    let in_range = if k == 127 {
        (0..127).contains(&r)
    } else {
        (-127..=0).contains(&r)
    };
    in_range && (n > 1 || r != 0)
}

/// The line changes of `table`: each the byte offset it takes effect at and
/// the line from there. Pairs the compiler writes for one change are read as
/// one; any other pair is a change of its own.
fn changes(table: &[u8], firstlineno: i32) -> Vec<(u64, i32)> {
    // CPython reads whole pairs only; so does this.
    let pairs: Vec<(u8, i8)> = table.chunks_exact(2).map(|p| (p[0], p[1] as i8)).collect();
    let mut out = Vec::with_capacity(pairs.len());
    let (mut offset, mut line) = (0u64, firstlineno);
    let mut i = 0;
    while i < pairs.len() {
        while i < pairs.len() && pairs[i] == (255, 0) {
            offset += 255;
            i += 1;
        }
        if let Some(&(b, k)) = pairs.get(i) {
            offset += u64::from(b);
            line = line.wrapping_add(i32::from(k));
            i += 1;
            if k == 127 || k == -128 {
                let more = pairs[i..].iter().take_while(|&&p| p == (0, k)).count();
                if let Some(&(0, r)) = pairs.get(i + more) {
                    if is_remainder(k, r, more + 1) {
                        let whole = i64::from(k) * (more as i64 + 1) + i64::from(r);
                        line = line.wrapping_add((whole - i64::from(k)) as i32);
                        i += more + 1;
                    }
                }
            }
        }
        out.push((offset, line));
    }
    out
}

/// The runs of `table` over `code_units` units: see `decode_runs`. A change
/// at an odd offset (no compiler writes one) takes effect at the next code
/// unit, as it does for the interpreter; one past the end of the code is an
/// empty run at the end.
pub(super) fn decode(table: &[u8], firstlineno: i32, code_units: usize) -> Vec<(Position, u32)> {
    let mut runs = Vec::new();
    let (mut start, mut line) = (0u64, firstlineno);
    let end = code_units as u64;
    let changes = changes(table, firstlineno);
    let any = !changes.is_empty();
    for (k, (offset, next)) in changes.into_iter().enumerate() {
        let unit = offset.div_ceil(2).min(end);
        // Before the first change the line is `co_firstlineno`, which the
        // encoder starts from: no run is needed when the change is at 0,
        // unless it keeps that line, which the encoder would not write
        // for a first run at 0 (see `encode`).
        if unit > start || k > 0 || next == line {
            runs.push((Position::line_only(line), (unit - start) as u32));
        }
        (start, line) = (unit, next);
    }
    // The last change is kept even where no code follows it, also in code
    // with no units at all, where a first change at 0 made no run.
    if start < end || any {
        runs.push((Position::line_only(line), (end - start) as u32));
    }
    runs
}

/// Encodes runs as 3.6-3.9's compiler does. Only lines are written: a run
/// with a line records a change at its first unit, split into pairs as the
/// module documentation says, except a first run at offset 0 on
/// `co_firstlineno`; a run without a line continues the line before it, as
/// an instruction with line 0 does. An empty run records its change like
/// any other, which is how a change at a removed instruction is written
/// back.
///
/// Runs of one line each make a change each: give a line only to the run
/// that starts a change (3.9's compiler gives consecutive instructions of
/// one line a single change; 3.6-3.8's one per statement).
///
/// A line jump of `d` costs `|d| / 127` pairs, so lines far apart make a
/// large table, as they do in CPython.
pub(super) fn encode(firstlineno: i32, runs: &[(Position, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    changes_of(firstlineno, runs, |c| c.write(&mut out));
    out
}

/// How many bytes [`encode`] writes, found without writing them.
pub(super) fn encoded_len(firstlineno: i32, runs: &[(Position, u32)]) -> u64 {
    let mut pairs = 0;
    changes_of(firstlineno, runs, |c| pairs += c.pairs());
    2 * pairs
}

/// The changes `runs` record, in order.
fn changes_of(firstlineno: i32, runs: &[(Position, u32)], mut each: impl FnMut(Change)) {
    let (mut line, mut last_change, mut offset) = (firstlineno, 0u64, 0u64);
    let mut first = true;
    for &(p, units) in runs {
        if let Some(next) = p.line {
            // The one change the compiler leaves out: the first, when it
            // is at offset 0 and keeps `co_firstlineno`.
            if !(first && offset == 0 && next == firstlineno) {
                each(Change::new(offset - last_change, next.wrapping_sub(line)));
                (line, last_change) = (next, offset);
            }
            first = false;
        }
        offset += 2 * u64::from(units);
    }
}

/// One change, an offset increment and a line increment, as the
/// compiler's pairs: `prefix` pairs `(255, 0)`; then, for a big jump,
/// `(offset, k)` and `n - 1` pairs `(0, k)`; then the pair of what is left.
struct Change {
    prefix: u64,
    offset: u8,
    jump: Option<(i8, u64)>,
    rest: i8,
}

impl Change {
    fn new(b: u64, d: i32) -> Change {
        // Exactly 255 stays one pair, and a multiple of 255 ends in a pair
        // with an increment of 0.
        let prefix = if b > 255 { b / 255 } else { 0 };
        let offset = (b - 255 * prefix) as u8;
        let d = i64::from(d);
        let jump = split_step(d).map(|k| (k as i8, (d / k) as u64));
        let rest = jump.map_or(d, |(k, n)| d - i64::from(k) * n as i64) as i8;
        Change {
            prefix,
            offset,
            jump,
            rest,
        }
    }

    fn pairs(&self) -> u64 {
        self.prefix + self.jump.map_or(0, |(_, n)| n) + 1
    }

    fn write(&self, out: &mut Vec<u8>) {
        for _ in 0..self.prefix {
            out.extend([255, 0]);
        }
        let mut b = self.offset;
        if let Some((k, n)) = self.jump {
            out.extend([b, k as u8]);
            for _ in 1..n {
                out.extend([0, k as u8]);
            }
            b = 0;
        }
        out.extend([b, self.rest as u8]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::runs_for_tests::at;
    use super::super::{decode, decode_runs, encode, per_instruction, Position};
    use crate::versions::Version;

    const V: Version = Version::V3_8;

    fn round(first: i32, runs: &[(Position, u32)]) -> Vec<u8> {
        super::super::runs_for_tests::round(V, first, runs)
    }

    #[test]
    fn matches_python_3_8_two_statements_on_one_line() {
        // `def f():\n    a = 1; b = 2\n    c = 3\n` by python3.8: the
        // second statement records line 2 again.
        let runs = [at(2, 2), at(2, 2), at(3, 4)];
        assert_eq!(round(1, &runs), [0, 1, 4, 0, 4, 1]);
        let lines: Vec<_> = decode(V, &[0, 1, 4, 0, 4, 1], 1, 8).unwrap();
        assert_eq!(
            lines,
            [[Position::line_only(2); 4], [Position::line_only(3); 4]].concat()
        );
    }

    #[test]
    fn big_line_jumps_split_as_the_compiler_does() {
        let cases: [(i32, &[u8]); 8] = [
            (127, &[2, 127]),
            (128, &[2, 127, 0, 1]),
            (254, &[2, 127, 0, 127, 0, 0]),
            (300, &[2, 127, 0, 127, 0, 46]),
            (-128, &[2, 0x80]),
            (-129, &[2, 0x80, 0, 0xff]),
            (-256, &[2, 0x80, 0, 0x80, 0, 0]),
            (-300, &[2, 0x80, 0, 0x80, 0, 0xd4]),
        ];
        for (jump, pairs) in cases {
            let bytes = round(1000, &[at(1000, 1), at(1000 + jump, 1)]);
            assert_eq!(bytes, pairs, "{jump}");
        }
    }

    #[test]
    fn long_offsets_split_at_255() {
        // 256 bytes start with (255, 0); 510 are two of them and a pair
        // with an increment of 0.
        let far = |units| round(1, &[at(1, units), at(2, 1)]);
        assert_eq!(far(100), [200, 1]);
        assert_eq!(far(128), [255, 0, 1, 1]);
        assert_eq!(far(255), [255, 0, 255, 0, 0, 1]);
        assert_eq!(far(300), [255, 0, 255, 0, 90, 1]);
        // A big offset and a big jump together.
        let bytes = round(1, &[at(1, 200), at(300, 1)]);
        assert_eq!(bytes, [255, 0, 145, 127, 0, 127, 0, 45]);
    }

    #[test]
    fn first_change_at_offset_zero() {
        // On co_firstlineno: nothing to write, unless a change follows at 0.
        assert!(round(5, &[at(5, 3)]).is_empty());
        assert_eq!(round(5, &[at(7, 3)]), [0, 2]);
        assert_eq!(round(5, &[at(5, 0), at(5, 3)]), [0, 0]);
        assert_eq!(round(5, &[at(6, 0), at(5, 3)]), [0, 1, 0, 0xff]);
    }

    #[test]
    fn changes_at_no_code_are_kept() {
        // 3.9's peephole pass leaves (0, 1), (0, 1), (0, -2) at the start of
        // a method, and changes at the end of the code.
        let table = [0, 1, 0, 1, 0, 1, 0, 0xfe, 14, 16, 6, 1];
        let runs = decode_runs(V, &table, 1081, 10).unwrap();
        assert_eq!(
            runs,
            [
                at(1082, 0),
                at(1083, 0),
                at(1084, 0),
                at(1082, 7),
                at(1098, 3),
                at(1099, 0)
            ]
        );
        assert_eq!(encode(V, 1081, &runs), table);
        let lines = decode(V, &table, 1081, 10).unwrap();
        assert_eq!(lines[6], Position::line_only(1082));
        assert_eq!(lines[7], Position::line_only(1098));
    }

    #[test]
    fn a_run_without_a_line_continues() {
        let runs = [at(3, 2), (Position::NONE, 3), at(4, 1)];
        let bytes = encode(V, 1, &runs);
        assert_eq!(bytes, [0, 2, 10, 1]);
        assert_eq!(decode_runs(V, &bytes, 1, 6).unwrap(), [at(3, 5), at(4, 1)]);
    }

    #[test]
    fn read_as_the_interpreter_reads() {
        // A trailing odd byte is ignored; an odd offset takes effect at the
        // next code unit; a change past the end is an empty run at the end.
        let lines = decode(V, &[3, 1, 40, 1, 7], 1, 4).unwrap();
        assert_eq!(lines, [1, 1, 2, 2].map(Position::line_only));
        let runs = decode_runs(V, &[3, 1, 40, 1], 1, 4).unwrap();
        assert_eq!(runs, [at(1, 2), at(2, 2), at(3, 0)]);
        assert_eq!(decode(V, &[], 7, 0).unwrap(), []);
        assert_eq!(decode_runs(V, &[], 7, 2).unwrap(), [at(7, 2)]);
    }

    #[test]
    fn per_instruction_gives_the_changes() {
        // Instructions of 1, 2 (an EXTENDED_ARG prefix), 1 and 1 units;
        // changes at the first, the third and (no code) the end.
        let sizes = [1, 2, 1, 1];
        let runs = [at(1, 3), at(4, 2), at(9, 0)];
        let table = encode(V, 1, &runs);
        let per = per_instruction(V, &table, 1, &sizes).unwrap();
        assert_eq!(
            per.positions,
            [
                Position::line_only(1),
                Position::NONE,
                Position::line_only(4),
                Position::NONE
            ]
        );
        assert_eq!(per.empty, [(4, Position::line_only(9))]);
        assert_eq!(encode(V, 1, &per.runs(&sizes)), table);
        // A change between the prefix and its instruction cannot be told
        // by instruction.
        let inside = encode(V, 1, &[at(1, 2), at(4, 3)]);
        assert_eq!(per_instruction(V, &inside, 1, &sizes), None);
    }
}
