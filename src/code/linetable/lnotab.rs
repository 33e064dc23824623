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
    for (k, (offset, next)) in changes(table, firstlineno).into_iter().enumerate() {
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
    if start < end || !runs.is_empty() {
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
    let (mut line, mut last_change, mut offset) = (firstlineno, 0u64, 0u64);
    let mut first = true;
    for &(p, units) in runs {
        if let Some(next) = p.line {
            // The one change the compiler leaves out: the first, when it
            // is at offset 0 and keeps `co_firstlineno`.
            if !(first && offset == 0 && next == firstlineno) {
                write_change(&mut out, offset - last_change, next.wrapping_sub(line));
                (line, last_change) = (next, offset);
            }
            first = false;
        }
        offset += 2 * u64::from(units);
    }
    out
}

/// One change, offset increment `b` bytes and line increment `d`, in the
/// compiler's pairs.
fn write_change(out: &mut Vec<u8>, mut b: u64, d: i32) {
    if b > 255 {
        // Exactly 255 stays one pair, and a multiple of 255 ends in a pair
        // with an increment of 0.
        for _ in 0..b / 255 {
            out.extend([255, 0]);
        }
        b %= 255;
    }
    let mut d = i64::from(d);
    if let Some(k) = split_step(d) {
        let n = d / k;
        out.extend([b as u8, k as i8 as u8]);
        for _ in 1..n {
            out.extend([0, k as i8 as u8]);
        }
        d -= n * k;
        b = 0;
    }
    out.extend([b as u8, d as i8 as u8]);
}
