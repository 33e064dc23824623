//! 3.10's `co_linetable` (PEP 626): the line of every stretch of code.
//!
//! The table is a list of byte pairs, each an unsigned length in bytes and
//! a signed line delta from the last line that was not "none". A delta of
//! -128 means that the stretch has no line (and leaves the line deltas count
//! from alone); a pair of length 0 only moves the line. The stretches
//! follow one another from offset 0 and cover the code exactly.
//!
//! The compiler (`assemble_line_range` in Python/compile.c) writes one
//! stretch per run of instructions with the same line, when the next line
//! differs or the code ends, skipping a stretch of no bytes altogether, as:
//! 1. for a line: while the delta is above 127, `(0, 127)`; while it is
//!    below -127, `(0, -127)` (so -128 is never a delta);
//! 2. while the length is above 254: `(254, delta)`, the delta then
//!    becoming 0 (or staying -128 for no line);
//! 3. `(length, delta)`.

use super::{LineTable, LineTableError, LineTableErrorKind, Position};

/// Longest stretch one pair holds: the largest even byte.
const MAX_PAIR_BYTES: u64 = 254;

/// The line delta that means "no line".
const NO_LINE: i8 = -128;

fn error(offset: usize, kind: LineTableErrorKind) -> LineTableError {
    LineTableError {
        format: LineTable::Lines,
        offset,
        kind,
    }
}

/// The runs of `table`: one per stretch of code at one line (or none),
/// neighbours at the same position put together, as the compiler's pieces
/// of a long stretch are.
///
/// A table whose pairs do not cover `code_units` exactly, whose stretches
/// end inside a code unit, or that ends in pairs of length 0 is an error:
/// CPython reads such a table past its end or between instructions.
pub(super) fn decode(
    table: &[u8],
    firstlineno: i32,
    code_units: usize,
) -> Result<Vec<(Position, u32)>, LineTableError> {
    if !table.len().is_multiple_of(2) {
        return Err(error(table.len() - 1, LineTableErrorKind::Truncated));
    }
    let mut runs: Vec<(Position, u32)> = Vec::new();
    let (mut line, mut covered) = (firstlineno, 0usize);
    let mut last_range_end = 0;
    for (k, pair) in table.chunks_exact(2).enumerate() {
        let (bytes, delta) = (pair[0], pair[1] as i8);
        let p = if delta == NO_LINE {
            Position::NONE
        } else {
            line = line.wrapping_add(i32::from(delta));
            Position::line_only(line)
        };
        if bytes == 0 {
            continue;
        }
        if !bytes.is_multiple_of(2) {
            return Err(error(2 * k, LineTableErrorKind::OddRange(bytes)));
        }
        let units = usize::from(bytes / 2);
        if covered + units > code_units {
            return Err(error(
                2 * k,
                LineTableErrorKind::PastEndOfCode {
                    start: covered,
                    end: covered + units,
                    code_units,
                },
            ));
        }
        covered += units;
        last_range_end = 2 * k + 2;
        match runs.last_mut() {
            Some((q, n)) if *q == p => *n += units as u32,
            _ => runs.push((p, units as u32)),
        }
    }
    if covered != code_units {
        return Err(error(
            table.len(),
            LineTableErrorKind::TooShort {
                covered,
                code_units,
            },
        ));
    }
    if last_range_end != table.len() {
        return Err(error(last_range_end, LineTableErrorKind::EndsWithoutRange));
    }
    Ok(runs)
}

/// Encodes runs as 3.10's compiler does: neighbours with the same line (or
/// both with none) make one stretch, empty runs are left out, and only
/// the line of a position is written.
///
/// A line jump of `d` costs `|d| / 127` pairs, so lines far apart make a
/// large table, as they do in CPython.
pub(super) fn encode(firstlineno: i32, runs: &[(Position, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    stretches_of(firstlineno, runs, |s| s.write(&mut out));
    out
}

/// How many bytes [`encode`] writes, found without writing them.
pub(super) fn encoded_len(firstlineno: i32, runs: &[(Position, u32)]) -> u64 {
    let mut pairs = 0;
    stretches_of(firstlineno, runs, |s| pairs += s.pairs());
    2 * pairs
}

/// The stretches of `runs`, in order.
fn stretches_of(firstlineno: i32, runs: &[(Position, u32)], mut each: impl FnMut(Stretch)) {
    let mut prev_line = firstlineno;
    let mut pending: Option<(Option<i32>, u64)> = None;
    let mut flush = |line: Option<i32>, units: u64| {
        let delta = line.map(|l| {
            let d = l.wrapping_sub(prev_line);
            prev_line = l;
            d
        });
        each(Stretch::new(delta, 2 * units));
    };
    for &(p, units) in runs.iter().filter(|r| r.1 > 0) {
        pending = match pending {
            Some((line, n)) if line == p.line => Some((line, n + u64::from(units))),
            Some((line, n)) => {
                flush(line, n);
                Some((p.line, u64::from(units)))
            }
            None => Some((p.line, u64::from(units))),
        };
    }
    if let Some((line, n)) = pending {
        flush(line, n);
    }
}

/// One stretch as the compiler's pairs: `jumps` pairs `(0, step)` (step
/// 127 or -127), then `pieces` pairs `(254, delta)` (the delta 0 after the
/// first, or -128 throughout for no line), then `(bytes, delta)`.
struct Stretch {
    step: i8,
    jumps: u64,
    delta: i8,
    line: bool,
    pieces: u64,
    bytes: u8,
}

impl Stretch {
    /// `delta` from the last line, `None` for no line; `bytes` > 0.
    fn new(delta: Option<i32>, bytes: u64) -> Stretch {
        let line = delta.is_some();
        let (step, jumps, delta) = match delta.map(i64::from) {
            None => (0, 0, i64::from(NO_LINE)),
            Some(d) if d > 127 => (127, (d - 1) / 127, d - 127 * ((d - 1) / 127)),
            Some(d) if d < -127 => (-127, (-d - 1) / 127, d + 127 * ((-d - 1) / 127)),
            Some(d) => (0, 0, d),
        };
        let pieces = (bytes - 1) / MAX_PAIR_BYTES;
        Stretch {
            step,
            jumps: jumps as u64,
            delta: delta as i8,
            line,
            pieces,
            bytes: (bytes - MAX_PAIR_BYTES * pieces) as u8,
        }
    }

    fn pairs(&self) -> u64 {
        self.jumps + self.pieces + 1
    }

    fn write(&self, out: &mut Vec<u8>) {
        for _ in 0..self.jumps {
            out.extend([0, self.step as u8]);
        }
        let mut delta = self.delta;
        for _ in 0..self.pieces {
            out.extend([MAX_PAIR_BYTES as u8, delta as u8]);
            if self.line {
                delta = 0;
            }
        }
        out.extend([self.bytes, delta as u8]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::runs_for_tests::at;
    use super::super::{decode, decode_runs, encode, LineTableErrorKind, Position};
    use crate::versions::Version;

    const V: Version = Version::V3_10;

    fn round(first: i32, runs: &[(Position, u32)]) -> Vec<u8> {
        super::super::runs_for_tests::round(V, first, runs)
    }

    #[test]
    fn matches_python_3_10_small_function() {
        // `def f(x):\n    if x:\n        return 1\n    return 2\n` at line 1
        // by python3.10: lines 2, 3 and 4, two units each.
        let table = [4, 1, 4, 1, 4, 1];
        let runs = [at(2, 2), at(3, 2), at(4, 2)];
        assert_eq!(decode_runs(V, &table, 1, 6).unwrap(), runs);
        assert_eq!(encode(V, 1, &runs), table);
    }

    #[test]
    fn big_deltas_go_before_the_range() {
        assert_eq!(round(1, &[at(128, 1)]), [2, 127]);
        assert_eq!(round(1, &[at(129, 1)]), [0, 127, 2, 1]);
        assert_eq!(round(1, &[at(300, 1)]), [0, 127, 0, 127, 2, 45]);
        // -128 means "no line", so a delta of -128 is split.
        assert_eq!(round(200, &[at(73, 1)]), [2, 0x81]);
        assert_eq!(round(200, &[at(72, 1)]), [0, 0x81, 2, 0xff]);
        assert_eq!(round(200, &[at(71, 1)]), [0, 0x81, 2, 0xfe]);
    }

    #[test]
    fn long_ranges_split_at_254() {
        assert_eq!(round(1, &[at(2, 127)]), [254, 1]);
        assert_eq!(round(1, &[at(2, 128)]), [254, 1, 2, 0]);
        assert_eq!(round(1, &[at(2, 300)]), [254, 1, 254, 0, 92, 0]);
        let none = (Position::NONE, 200);
        assert_eq!(round(1, &[none]), [254, 0x80, 146, 0x80]);
    }

    #[test]
    fn no_line_leaves_the_line_deltas_count_from() {
        let runs = [at(5, 1), (Position::NONE, 2), at(6, 1)];
        assert_eq!(round(1, &runs), [2, 4, 4, 0x80, 2, 1]);
        let lines = decode(V, &[2, 4, 4, 0x80, 2, 1], 1, 4).unwrap();
        assert_eq!(lines[1], Position::NONE);
    }

    #[test]
    fn neighbours_and_empty_runs_merge() {
        // As the compiler writes one range per line, whatever the columns.
        let wide = Position {
            col: Some(4),
            ..Position::line_only(2)
        };
        let runs = [at(2, 1), (wide, 2), at(3, 0), at(2, 1)];
        assert_eq!(encode(V, 1, &runs), [8, 1]);
        // The first range starts at the first instruction's line.
        assert_eq!(encode(V, 1, &[at(9, 0), at(2, 1)]), [2, 1]);
    }

    #[test]
    fn malformed_tables_are_errors() {
        let err = |t: &[u8], units| decode(V, t, 1, units).unwrap_err();
        assert_eq!(err(&[2], 1).kind, LineTableErrorKind::Truncated);
        assert_eq!(err(&[3, 1], 1).kind, LineTableErrorKind::OddRange(3));
        let past = err(&[2, 0, 4, 0], 2);
        assert_eq!(past.offset, 2);
        assert!(matches!(
            past.kind,
            LineTableErrorKind::PastEndOfCode { .. }
        ));
        assert!(matches!(
            err(&[2, 0], 2).kind,
            LineTableErrorKind::TooShort { .. }
        ));
        let tail = err(&[2, 0, 0, 5], 1);
        assert_eq!(tail.offset, 2);
        assert_eq!(tail.kind, LineTableErrorKind::EndsWithoutRange);
        assert!(tail.to_string().starts_with("line table, byte 2:"));
    }
}
