//! Line tables: `co_linetable` and `co_lnotab`, encoder and decoder.
//!
//! Every version maps each code unit of a code object to a source
//! [`Position`], in the format its [`VersionSpec::line_table`] names:
//!
//! - 3.11 and later (`Locations`, this file): start line, end line, start
//!   column and end column, any of which may be absent. The table is a
//!   sequence of entries, each covering one to eight code units; the entry's
//!   code (bits 3-6 of its first byte) picks one of five layouts, from a
//!   one-byte "same line, narrow columns" form to a long form that can hold
//!   any position. Line numbers are stored as deltas from the line of the
//!   previous entry, the first one from `co_firstlineno`.
//! - 3.10 (`Lines`, [`lines`]) and 3.6-3.9 (`Lnotab`, [`lnotab`]): a line
//!   only, as pairs of byte counts and line deltas. Their positions have a
//!   line and nothing else ([`Position::line_only`]); 3.10's may also have
//!   no line at all ([`Position::NONE`]).
//!
//! [`decode`] yields one position per code unit: for 3.11 and later exactly
//! what `code.co_positions()` reports, before that the line the interpreter
//! gives an instruction there (`PyCode_Addr2Line`). [`decode_runs`] gives
//! the same as the runs the table is made of, keeping what the units alone
//! lose (a line 3.6-3.9's table records for an instruction a later pass
//! removed). The encoder makes, entry by entry, the choices each version's
//! compiler makes, so a table decoded into runs and encoded again comes back
//! byte for byte. This module knows nothing of instructions: callers say
//! which code units share an entry.
//!
//! Arithmetic on line numbers and columns wraps at 32 bits, as it does in the
//! C code that reads and writes these tables; that keeps every table the
//! decoder accepts re-encodable, whatever numbers it holds.
//!
//! [`VersionSpec::line_table`]: crate::versions::VersionSpec::line_table

mod lines;
mod lnotab;

use crate::versions::{LineTable, Version};
use thiserror::Error;

/// The source span of one code unit. `None` is what `co_positions()` shows
/// for a missing value; inside the table a missing value is stored as -1, so
/// a field that decodes to -1 is always `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Position {
    pub line: Option<i32>,
    pub end_line: Option<i32>,
    pub col: Option<i32>,
    pub end_col: Option<i32>,
}

impl Position {
    /// The position of code with no source location at all.
    pub const NONE: Position = Position {
        line: None,
        end_line: None,
        col: None,
        end_col: None,
    };

    /// A position with a line and nothing else: what the line tables of
    /// 3.6-3.10 hold. Its end line is the line, as the text's `12` and
    /// 3.11's entries without columns read.
    pub const fn line_only(line: i32) -> Position {
        Position {
            line: Some(line),
            end_line: Some(line),
            col: None,
            end_col: None,
        }
    }

    /// Builds a position from the table's raw numbers, where -1 means absent.
    fn from_raw(line: i32, end_line: i32, col: i32, end_col: i32) -> Position {
        let opt = |v: i32| if v == -1 { None } else { Some(v) };
        Position {
            line: opt(line),
            end_line: opt(end_line),
            col: opt(col),
            end_col: opt(end_col),
        }
    }
}

/// A line table that cannot be read, with the byte offset (into the
/// table) of the entry or byte at fault.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{}, byte {offset}: {kind}", title(*.format))]
pub struct LineTableError {
    pub format: LineTable,
    pub offset: usize,
    pub kind: LineTableErrorKind,
}

/// What a table of `format` is called in messages.
fn title(format: LineTable) -> &'static str {
    match format {
        LineTable::Locations => "location table",
        LineTable::Lines => "line table",
        LineTable::Lnotab => "line number table",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LineTableErrorKind {
    #[error("expected the first byte of an entry (top bit set), found {0:#04x}")]
    NotAnEntryStart(u8),
    #[error("byte {0:#04x} inside an entry has its top bit set, which marks an entry start")]
    StrayEntryStart(u8),
    #[error("the table ends in the middle of an entry")]
    Truncated,
    #[error("a variable-length number does not fit in 32 bits")]
    VarintTooLarge,
    #[error("entry covers code units {start}..{end}, but the code has only {code_units}")]
    PastEndOfCode {
        start: usize,
        end: usize,
        code_units: usize,
    },
    #[error("the table covers {covered} code units, but the code has {code_units}")]
    TooShort { covered: usize, code_units: usize },
    #[error("a range of {0} bytes ends inside a code unit")]
    OddRange(u8),
    #[error("the table ends in pairs that cover no code, which CPython reads past")]
    EndsWithoutRange,
}

/// Entry codes, from bits 3-6 of an entry's first byte.
mod form {
    /// Codes 0 to 9: same line as the previous entry, start column below 80,
    /// width below 16; the code is the start column divided by 8.
    pub const SHORT_LAST: u8 = 9;
    /// Codes 10 to 12: the line advances by 0, 1 or 2; both columns < 128.
    pub const ONE_LINE: u8 = 10;
    /// Line delta only; end line equals the line, no columns.
    pub const NO_COLUMNS: u8 = 13;
    /// Line delta, end-line delta, start column + 1, end column + 1.
    pub const LONG: u8 = 14;
    /// No position at all.
    pub const NONE: u8 = 15;
}

/// Most code units one entry may cover.
const MAX_ENTRY_UNITS: u32 = 8;

struct Reader<'a> {
    table: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, offset: usize, kind: LineTableErrorKind) -> LineTableError {
        LineTableError {
            format: LineTable::Locations,
            offset,
            kind,
        }
    }

    /// A byte inside an entry: it must exist and must not look like the start
    /// of the next entry, or CPython's backward scans would misread the table.
    fn inner_byte(&mut self) -> Result<u8, LineTableError> {
        let b = *self
            .table
            .get(self.pos)
            .ok_or_else(|| self.error(self.pos, LineTableErrorKind::Truncated))?;
        if b & 0x80 != 0 {
            return Err(self.error(self.pos, LineTableErrorKind::StrayEntryStart(b)));
        }
        self.pos += 1;
        Ok(b)
    }

    /// Unsigned number: 6-bit chunks, least significant first, bit 6 set on
    /// every chunk but the last.
    fn varint(&mut self) -> Result<u32, LineTableError> {
        let start = self.pos;
        let mut b = self.inner_byte()?;
        let mut value = u64::from(b & 63);
        let mut shift = 0;
        while b & 64 != 0 {
            b = self.inner_byte()?;
            shift += 6;
            if shift > 30 {
                return Err(self.error(start, LineTableErrorKind::VarintTooLarge));
            }
            value |= u64::from(b & 63) << shift;
        }
        u32::try_from(value).map_err(|_| self.error(start, LineTableErrorKind::VarintTooLarge))
    }

    /// Signed number: the magnitude shifted left once, bit 0 set if negative.
    fn svarint(&mut self) -> Result<i32, LineTableError> {
        let v = self.varint()?;
        let magnitude = (v >> 1) as i32;
        Ok(if v & 1 != 0 { -magnitude } else { magnitude })
    }
}

/// Decodes `version`'s line table into one position per code unit: what
/// `co_positions()` yields (3.11 and later), or the line the interpreter
/// gives each unit (`co_lines()` in 3.10, `dis.findlinestarts` before),
/// for a code object whose `co_code` is `2 * code_units` bytes long.
///
/// 3.10's and 3.11's tables must cover exactly that many units; 3.6-3.9's
/// is read as CPython reads it, whatever it holds, and never fails.
pub fn decode(
    version: Version,
    table: &[u8],
    firstlineno: i32,
    code_units: usize,
) -> Result<Vec<Position>, LineTableError> {
    let runs = decode_runs(version, table, firstlineno, code_units)?;
    let mut out = Vec::with_capacity(code_units);
    for (p, units) in runs {
        out.extend(std::iter::repeat_n(p, units as usize));
    }
    Ok(out)
}

/// Decodes `version`'s line table into the runs it is made of, units in
/// order: what [`encode`] takes to write the table again. The runs cover
/// `code_units` in all.
///
/// - 3.11 and later: one run per entry.
/// - 3.10: one run per stretch of code at one line (or none), the pieces
///   its compiler splits a long stretch into put back together.
/// - 3.6-3.9: one run per line change the table records. Unlike the other
///   formats' runs, these can be empty: the table of 3.6-3.9 may change
///   the line twice at one offset (3.6-3.9's peephole pass removes
///   instructions after the table is written, and moves the changes at
///   them onto the next instruction), or at the very end of the code.
///   Each such change is a run of no units whose line is that change's.
pub fn decode_runs(
    version: Version,
    table: &[u8],
    firstlineno: i32,
    code_units: usize,
) -> Result<Vec<(Position, u32)>, LineTableError> {
    match version.table().line_table {
        LineTable::Locations => decode_locations(table, firstlineno, code_units),
        LineTable::Lines => lines::decode(table, firstlineno, code_units),
        LineTable::Lnotab => Ok(lnotab::decode(table, firstlineno, code_units)),
    }
}

/// 3.11's location table: one run per entry.
fn decode_locations(
    table: &[u8],
    firstlineno: i32,
    code_units: usize,
) -> Result<Vec<(Position, u32)>, LineTableError> {
    let mut out = Vec::with_capacity(table.len() / 2);
    let mut covered = 0;
    let mut r = Reader { table, pos: 0 };
    // The line later deltas count from. An entry without a position leaves
    // it alone; every other entry sets it to its own line.
    let mut line = firstlineno;
    while r.pos < table.len() {
        let entry_start = r.pos;
        let head = table[r.pos];
        if head & 0x80 == 0 {
            return Err(r.error(entry_start, LineTableErrorKind::NotAnEntryStart(head)));
        }
        r.pos += 1;
        let units = usize::from(head & 7) + 1;
        let code = (head >> 3) & 15;
        let position = match code {
            form::LONG => {
                line = line.wrapping_add(r.svarint()?);
                // The end-line delta and the columns are unsigned on disk; CPython
                // reads them into a C `int`, so large values come back negative.
                let end_line = line.wrapping_add(r.varint()? as i32);
                let col = (r.varint()? as i32).wrapping_sub(1);
                let end_col = (r.varint()? as i32).wrapping_sub(1);
                Position::from_raw(line, end_line, col, end_col)
            }
            form::NO_COLUMNS => {
                line = line.wrapping_add(r.svarint()?);
                Position::from_raw(line, line, -1, -1)
            }
            form::ONE_LINE..=12 => {
                line = line.wrapping_add(i32::from(code - form::ONE_LINE));
                let col = i32::from(r.inner_byte()?);
                let end_col = i32::from(r.inner_byte()?);
                Position::from_raw(line, line, col, end_col)
            }
            0..=form::SHORT_LAST => {
                let b = r.inner_byte()?;
                let col = i32::from(code) * 8 + i32::from((b >> 4) & 7);
                Position::from_raw(line, line, col, col + i32::from(b & 15))
            }
            // Only 15 is left of the four bits: no position.
            _ => Position::NONE,
        };
        if covered + units > code_units {
            return Err(r.error(
                entry_start,
                LineTableErrorKind::PastEndOfCode {
                    start: covered,
                    end: covered + units,
                    code_units,
                },
            ));
        }
        covered += units;
        out.push((position, units as u32));
    }
    if covered != code_units {
        return Err(r.error(
            table.len(),
            LineTableErrorKind::TooShort {
                covered,
                code_units,
            },
        ));
    }
    Ok(out)
}

struct Writer {
    out: Vec<u8>,
    /// Line of the last entry that moved it; what the next delta counts from.
    prev_line: i32,
}

impl Writer {
    fn head(&mut self, code: u8, units: u32) {
        debug_assert!((1..=MAX_ENTRY_UNITS).contains(&units));
        self.out.push(0x80 | (code << 3) | (units - 1) as u8);
    }

    fn varint(&mut self, mut v: u32) {
        while v >= 64 {
            self.out.push(64 | (v & 63) as u8);
            v >>= 6;
        }
        self.out.push(v as u8);
    }

    fn svarint(&mut self, v: i32) {
        let u = if v < 0 {
            (v.unsigned_abs() << 1) | 1
        } else {
            (v as u32) << 1
        };
        self.varint(u);
    }

    /// One run of code units sharing a position, split into entries of at
    /// most eight units; each piece is encoded on its own, so the pieces
    /// after the first see a line delta of zero.
    fn run(&mut self, p: Position, mut units: u32) {
        while units > MAX_ENTRY_UNITS {
            self.entry(p, MAX_ENTRY_UNITS);
            units -= MAX_ENTRY_UNITS;
        }
        if units > 0 {
            self.entry(p, units);
        }
    }

    /// One entry, in the form CPython's compiler would pick.
    fn entry(&mut self, p: Position, units: u32) {
        if p == Position::NONE {
            self.head(form::NONE, units);
            return;
        }
        // The compiler works on raw numbers with -1 for "absent"; so does
        // this choice, which is what makes its output match byte for byte.
        let raw = |v: Option<i32>| v.unwrap_or(-1);
        let (line, end_line, col, end_col) =
            (raw(p.line), raw(p.end_line), raw(p.col), raw(p.end_col));
        let delta = line.wrapping_sub(self.prev_line);
        if col < 0 || end_col < 0 {
            if end_line == line || end_line == -1 {
                self.head(form::NO_COLUMNS, units);
                self.svarint(delta);
                self.prev_line = line;
                return;
            }
        } else if end_line == line {
            if delta == 0 && col < 80 && end_col >= col && end_col - col < 16 {
                // Line unchanged, so there is no need to update prev_line.
                self.head((col / 8) as u8, units);
                self.out.push((((col % 8) << 4) | (end_col - col)) as u8);
                return;
            }
            if (0..3).contains(&delta) && col < 128 && end_col < 128 {
                self.head(form::ONE_LINE + delta as u8, units);
                self.out.push(col as u8);
                self.out.push(end_col as u8);
                self.prev_line = line;
                return;
            }
        }
        self.head(form::LONG, units);
        self.svarint(delta);
        self.varint(end_line.wrapping_sub(line) as u32);
        // An absent column (-1) is written as 0.
        self.varint((col as u32).wrapping_add(1));
        self.varint((end_col as u32).wrapping_add(1));
        self.prev_line = line;
    }
}

/// A line table told instruction by instruction, for a disassembler: what
/// [`per_instruction`] finds and [`InstrPositions::runs`] turns back into
/// the runs that [`encode`] writes as the same table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstrPositions {
    /// One per instruction. From 3.10 on, each instruction's own position
    /// (`NONE` for no line in 3.10). In 3.6-3.9, the line of the change
    /// recorded at the instruction, and `NONE` for one that continues the
    /// line before it: the table records changes, not a line for each
    /// instruction (see `lnotab`).
    pub positions: Vec<Position>,
    /// 3.6-3.9's changes with no code of their own (see [`decode_runs`]):
    /// the index of the instruction they are recorded at, in order, just
    /// before that instruction's own change; the number of instructions for
    /// a change at the end of the code.
    pub empty: Vec<(usize, Position)>,
}

impl InstrPositions {
    /// The runs to encode: for each instruction its empty changes, then
    /// one run of its size (`sizes` as [`per_instruction`] took them).
    pub fn runs(&self, sizes: &[u32]) -> Vec<(Position, u32)> {
        let mut out = Vec::with_capacity(sizes.len() + self.empty.len());
        let mut empty = self.empty.iter().peekable();
        for (i, (&p, &size)) in self.positions.iter().zip(sizes).enumerate() {
            while let Some(&(_, q)) = empty.next_if(|e| e.0 == i) {
                out.push((q, 0));
            }
            out.push((p, size));
        }
        out.extend(empty.map(|&(_, q)| (q, 0)));
        out
    }
}

/// `version`'s line table split by instruction, `sizes` giving each
/// instruction's length in code units (with its EXTENDED_ARG prefixes and
/// caches). `None` when the table cannot be read, or gives the units of one
/// instruction different positions, or (3.6-3.9) records a change inside
/// an instruction: no compiler writes such a table, and it can only be
/// kept as bytes.
pub fn per_instruction(
    version: Version,
    table: &[u8],
    firstlineno: i32,
    sizes: &[u32],
) -> Option<InstrPositions> {
    let code_units = sizes.iter().map(|&s| s as usize).sum();
    let mut positions = Vec::with_capacity(sizes.len());
    let mut empty = Vec::new();
    if version.table().line_table == LineTable::Lnotab {
        let runs = decode_runs(version, table, firstlineno, code_units).ok()?;
        // Each run must start where an instruction does.
        let (mut i, mut unit) = (0, 0u64);
        for (p, n) in runs {
            if n == 0 {
                empty.push((i, p));
                continue;
            }
            positions.push(p);
            let end = unit + u64::from(n);
            unit += u64::from(*sizes.get(i)?);
            i += 1;
            while unit < end {
                positions.push(Position::NONE);
                unit += u64::from(*sizes.get(i)?);
                i += 1;
            }
            if unit != end {
                return None;
            }
        }
    } else {
        let units = decode(version, table, firstlineno, code_units).ok()?;
        let mut start = 0;
        for &size in sizes {
            let own = &units[start..start + size as usize];
            let p = own.first().copied().unwrap_or_default();
            if own.iter().any(|&q| q != p) {
                return None;
            }
            positions.push(p);
            start += size as usize;
        }
    }
    Some(InstrPositions { positions, empty })
}

/// Encodes runs of `(position, length in code units)` the way `version`'s
/// compiler does, in the format its spec names.
///
/// Before 3.11 only the line of a position is written (see [`lines::encode`]
/// and [`lnotab::encode`] for each format's rules). From 3.11 on, 3.11 writes one entry per run and never merges neighbours, so its caller
/// passes one run per instruction (EXTENDED_ARG prefixes and inline caches
/// included) to get the compiler's bytes. 3.12 and later first merge
/// consecutive runs with equal positions. Either way a run longer than eight
/// units is split into eight-unit entries plus a remainder, and empty runs
/// write nothing.
///
/// Of the forms that can carry a position, the compiler takes the first that
/// fits:
/// - no columns (13): a column is absent and the end line equals the line or
///   is absent; it decodes with the end line equal to the line;
/// - short (0-9): end line equal to the line, line delta 0, start column
///   below 80, width 0 to 15;
/// - one line (10-12): end line equal to the line, line delta 0 to 2, both
///   columns below 128;
/// - long (14) otherwise, with absent columns written as 0.
///
/// A position with every field absent gets the no-location form (15), which
/// leaves the line deltas count from unchanged, as does the short form.
pub fn encode(version: Version, firstlineno: i32, runs: &[(Position, u32)]) -> Vec<u8> {
    match version.table().line_table {
        LineTable::Locations => encode_locations(version, firstlineno, runs),
        LineTable::Lines => lines::encode(firstlineno, runs),
        LineTable::Lnotab => lnotab::encode(firstlineno, runs),
    }
}

/// How many bytes [`encode`] would write for these runs, found without
/// writing them: before 3.11 a line jump of `d` costs about `|d| / 127`
/// pairs, so a caller that takes lines from untrusted text can refuse a
/// table that would not fit in memory before encoding it.
pub fn encoded_len(version: Version, firstlineno: i32, runs: &[(Position, u32)]) -> u64 {
    match version.table().line_table {
        // At most a few bytes per unit and per run.
        LineTable::Locations => encode_locations(version, firstlineno, runs).len() as u64,
        LineTable::Lines => lines::encoded_len(firstlineno, runs),
        LineTable::Lnotab => lnotab::encoded_len(firstlineno, runs),
    }
}

/// 3.11's location table, with or without merging equal neighbours.
fn encode_locations(version: Version, firstlineno: i32, runs: &[(Position, u32)]) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::with_capacity(runs.len() * 2),
        prev_line: firstlineno,
    };
    if !version.table().linetable_merges_runs {
        for &(p, units) in runs {
            w.run(p, units);
        }
    } else {
        let mut pending: Option<(Position, u32)> = None;
        for &(p, units) in runs {
            pending = match pending {
                Some((q, n)) if q == p => match n.checked_add(units) {
                    Some(total) => Some((q, total)),
                    None => {
                        w.run(q, n);
                        Some((p, units))
                    }
                },
                Some((q, n)) => {
                    w.run(q, n);
                    Some((p, units))
                }
                None => Some((p, units)),
            };
        }
        if let Some((q, n)) = pending {
            w.run(q, n);
        }
    }
    w.out
}

/// What the tests of the line-only formats (`lines`, `lnotab`) share.
#[cfg(test)]
mod runs_for_tests {
    use super::{decode_runs, encode, Position};
    use crate::versions::Version;

    /// A run of `units` code units on `line`.
    pub(super) fn at(line: i32, units: u32) -> (Position, u32) {
        (Position::line_only(line), units)
    }

    /// Encodes `runs` for `v`, checks that they decode back, and gives
    /// the bytes.
    pub(super) fn round(v: Version, first: i32, runs: &[(Position, u32)]) -> Vec<u8> {
        let bytes = encode(v, first, runs);
        let units = runs.iter().map(|r| r.1 as usize).sum();
        assert_eq!(decode_runs(v, &bytes, first, units).unwrap(), runs);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: i32, end_line: i32, col: i32, end_col: i32) -> Position {
        Position::from_raw(line, end_line, col, end_col)
    }

    fn roundtrip(version: Version, first: i32, runs: &[(Position, u32)]) -> Vec<u8> {
        let bytes = encode(version, first, runs);
        let units: u32 = runs.iter().map(|r| r.1).sum();
        let decoded = decode(version, &bytes, first, units as usize).unwrap();
        let expected: Vec<Position> = runs
            .iter()
            .flat_map(|&(p, n)| std::iter::repeat_n(p, n as usize))
            .collect();
        assert_eq!(decoded, expected);
        bytes
    }

    #[test]
    fn matches_python_3_11_small_function() {
        // `def f(): return 1` compiled at line 2 by python3.11:
        // RESUME at (2, 2, 0, 0), then LOAD_CONST and RETURN_VALUE at (2, 2, 16, 17).
        let table = [0x80, 0x00, 0x90, 0x01, 0x90, 0x01];
        let got = decode(Version::V3_11, &table, 2, 3).unwrap();
        assert_eq!(
            got,
            vec![pos(2, 2, 0, 0), pos(2, 2, 16, 17), pos(2, 2, 16, 17)]
        );
        let runs: Vec<_> = got.iter().map(|&p| (p, 1)).collect();
        assert_eq!(encode(Version::V3_11, 2, &runs), table);
    }

    #[test]
    fn version_3_11_does_not_merge_but_3_12_does() {
        let p = pos(2, 2, 1, 5);
        let runs = [(p, 1), (p, 1), (p, 1)];
        let old = roundtrip(Version::V3_11, 2, &runs);
        assert_eq!(old.len(), 6);
        let new = roundtrip(Version::V3_12, 2, &runs);
        assert_eq!(new, [0x80 | 2, 0x14]);
    }

    #[test]
    fn long_runs_split_at_eight() {
        let p = pos(300, 300, 4, 9);
        let bytes = roundtrip(Version::V3_11, 1, &[(p, 19)]);
        // Long form for the first 8 (delta 299), then short forms of 8 and 3.
        assert_eq!(bytes[0], 0x80 | (14 << 3) | 7);
        assert_eq!(&bytes[bytes.len() - 4..], [0x80 | 7, 0x45, 0x80 | 2, 0x45]);
    }

    #[test]
    fn each_form_is_chosen_and_roundtrips() {
        let cases = [
            (pos(10, 10, 79, 94), form::SHORT_LAST),
            (pos(10, 10, 80, 81), form::ONE_LINE),
            (pos(10, 10, 5, 21), form::ONE_LINE),
            (pos(12, 12, 127, 127), form::ONE_LINE + 2),
            (pos(13, 13, 127, 128), form::LONG),
            (pos(16, 16, 0, 1), form::LONG),
            (pos(9, 9, 0, 1), form::LONG),
            (pos(10, 11, 0, 1), form::LONG),
            (pos(10, 10, 6, 3), form::ONE_LINE),
            (pos(10, 12, -1, -1), form::LONG),
            (pos(15, 15, -1, -1), form::NO_COLUMNS),
            (pos(15, -1, -1, -1), form::NO_COLUMNS),
            (Position::NONE, form::NONE),
        ];
        for (p, code) in cases {
            let bytes = encode(Version::V3_11, 10, &[(p, 1)]);
            assert_eq!((bytes[0] >> 3) & 15, code, "{p:?}");
            let back = decode(Version::V3_11, &bytes, 10, 1).unwrap()[0];
            if code == form::NO_COLUMNS {
                assert_eq!(back, pos(p.line.unwrap(), p.line.unwrap(), -1, -1));
            } else {
                assert_eq!(back, p, "{p:?}");
            }
        }
    }

    #[test]
    fn no_location_keeps_previous_line() {
        let runs = [
            (pos(5, 5, 0, 4), 1),
            (Position::NONE, 1),
            (pos(5, 5, 0, 4), 1),
        ];
        let bytes = roundtrip(Version::V3_11, 3, &runs);
        // One-line (delta 2), no-location, then short form (delta 0 from 5).
        assert_eq!(
            bytes,
            [0x80 | (12 << 3), 0, 4, 0x80 | (15 << 3), 0x80, 0x04]
        );
    }

    #[test]
    fn odd_positions_roundtrip() {
        let runs = [
            (pos(-1, 2, 5, 7), 1),
            (pos(7, -1, 3, 4), 2),
            (pos(7, 8, 3, -1), 1),
            (pos(i32::MAX, i32::MIN, 1_000_000, -2), 3),
            (pos(-50, -50, 0, 0), 1),
            (pos(0, 0, 0, 0), 1),
        ];
        roundtrip(Version::V3_11, 1, &runs);
        roundtrip(Version::V3_13, 1, &runs);
    }

    #[test]
    fn end_line_delta_is_read_as_signed() {
        // Long form, delta 0, end-line delta 2**32 - 1 (that is, -1), columns 5 and 7.
        let table = [0xf2, 0x00, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x03, 0x06, 0x08];
        assert_eq!(
            decode(Version::V3_11, &table, 2, 3).unwrap(),
            vec![pos(2, 1, 5, 7); 3]
        );
    }

    #[test]
    fn malformed_tables_are_errors() {
        let err = |t: &[u8], units| decode(Version::V3_11, t, 1, units).unwrap_err();
        assert_eq!(err(&[0x00], 1).kind, LineTableErrorKind::NotAnEntryStart(0));
        assert_eq!(err(&[0x80], 1).kind, LineTableErrorKind::Truncated);
        assert_eq!(err(&[0x80, 0x01, 0xf0], 2).offset, 3);
        assert_eq!(
            err(&[0xd0, 0x01, 0x80], 1).kind,
            LineTableErrorKind::StrayEntryStart(0x80)
        );
        assert!(matches!(
            err(&[0x81, 0x01], 1).kind,
            LineTableErrorKind::PastEndOfCode { .. }
        ));
        let short = err(&[0x80, 0x01], 2);
        assert_eq!(short.offset, 2);
        assert!(matches!(short.kind, LineTableErrorKind::TooShort { .. }));
        let huge = [0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x00];
        assert_eq!(err(&huge, 1).kind, LineTableErrorKind::VarintTooLarge);
        assert_eq!(err(&huge, 1).offset, 1);
        let big = [0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x04];
        assert_eq!(err(&big, 1).kind, LineTableErrorKind::VarintTooLarge);
        assert!(err(&[0xe8, 0x40], 1).to_string().contains("byte 2"));
    }

    #[test]
    fn decode_never_panics_on_short_prefixes() {
        let runs = [
            (pos(1, 4, 0, 300), 9),
            (pos(2, 2, 3, 4), 1),
            (Position::NONE, 1),
        ];
        let bytes = encode(Version::V3_11, 1, &runs);
        for cut in 0..bytes.len() {
            for units in 0..12 {
                let _ = decode(Version::V3_11, &bytes[..cut], 1, units);
            }
        }
        assert!(decode(Version::V3_11, &bytes, 1, 11).is_ok());
    }

    #[test]
    fn empty_table_for_empty_code() {
        assert_eq!(decode(Version::V3_11, &[], 1, 0).unwrap(), vec![]);
        assert!(encode(Version::V3_11, 1, &[]).is_empty());
        assert!(encode(Version::V3_12, 1, &[(pos(1, 1, 0, 0), 0)]).is_empty());
    }

    #[test]
    fn far_lines_are_measured_before_they_are_written() {
        // Lines two billion apart: tens of megabytes before 3.11, a few
        // bytes after.
        let runs = [
            (Position::line_only(1), 1),
            (Position::line_only(i32::MAX), 1),
        ];
        for v in [Version::V3_6, Version::V3_10] {
            let len = encoded_len(v, 1, &runs);
            assert!((33_000_000..34_000_000).contains(&len), "{v}: {len}");
        }
        assert_eq!(encoded_len(Version::V3_11, 1, &runs), 9);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// A line delta: mostly small, sometimes far or where a format
        /// splits a jump.
        fn delta() -> impl Strategy<Value = i32> {
            let edges = vec![127, 128, 254, 255, -127, -128, -129, -256];
            prop_oneof![
                4 => -3..4i32,
                1 => prop::sample::select(edges),
                1 => -100_000..100_000i32,
            ]
        }

        /// Runs with a line each, from line 1000 on.
        fn lines(empty: bool) -> impl Strategy<Value = Vec<(Option<i32>, u32)>> {
            let units = if empty { 0..300u32 } else { 1..300u32 };
            prop::collection::vec((delta(), units, any::<bool>()), 0..20).prop_map(|v| {
                let mut line = 1000i32;
                v.into_iter()
                    .map(|(d, n, has)| {
                        line += d;
                        (has.then_some(line), n)
                    })
                    .collect()
            })
        }

        fn positions(runs: &[(Option<i32>, u32)]) -> Vec<(Position, u32)> {
            let pos = |l: Option<i32>| l.map_or(Position::NONE, Position::line_only);
            runs.iter().map(|&(l, n)| (pos(l), n)).collect()
        }

        fn total(runs: &[(Position, u32)]) -> usize {
            runs.iter().map(|r| r.1 as usize).sum()
        }

        proptest! {
            #[test]
            fn decode_never_panics(
                table in prop::collection::vec(any::<u8>(), 0..80),
                sizes in prop::collection::vec(1..4u32, 0..40),
                first in any::<i32>(),
            ) {
                let units = sizes.iter().sum::<u32>() as usize;
                for &v in Version::TABLES {
                    if let Ok(runs) = decode_runs(v, &table, first, units) {
                        prop_assert_eq!(total(&runs), units);
                        let flat = decode(v, &table, first, units).unwrap();
                        prop_assert_eq!(flat.len(), units);
                    }
                    let _ = per_instruction(v, &table, first, &sizes);
                }
            }

            /// 3.6-3.9: changes at code come back as they were; with
            /// changes at no code and runs without a line, the bytes do.
            #[test]
            fn lnotab_runs_come_back(runs in lines(false), more in lines(true)) {
                let v = Version::V3_9;
                let changes: Vec<_> = runs.iter().map(|&(l, n)| (l.or(Some(7)), n)).collect();
                let runs = positions(&changes);
                let bytes = encode(v, 1000, &runs);
                prop_assert_eq!(decode_runs(v, &bytes, 1000, total(&runs)).unwrap(), runs);
                let more = positions(&more);
                let bytes = encode(v, 1000, &more);
                let back = decode_runs(v, &bytes, 1000, total(&more)).unwrap();
                prop_assert_eq!(&encode(v, 1000, &back), &bytes);
                // The lines are those of the runs, a run without one
                // continuing the line before it.
                let mut line = 1000;
                let mut expected = Vec::new();
                for &(p, n) in &more {
                    line = p.line.unwrap_or(line);
                    expected.extend(std::iter::repeat_n(Position::line_only(line), n as usize));
                }
                prop_assert_eq!(decode(v, &bytes, 1000, total(&more)).unwrap(), expected);
            }

            /// `encoded_len` counts what `encode` writes.
            #[test]
            fn encoded_len_is_the_length(runs in lines(true)) {
                let runs = positions(&runs);
                for &v in Version::TABLES {
                    let len = encode(v, 1000, &runs).len() as u64;
                    prop_assert_eq!(encoded_len(v, 1000, &runs), len);
                }
            }

            /// 3.10: runs of code, neighbours on other lines, come back.
            #[test]
            fn lines_runs_come_back(runs in lines(false)) {
                let v = Version::V3_10;
                let mut runs = positions(&runs);
                runs.dedup_by(|b, a| {
                    let same = a.0 == b.0;
                    if same {
                        a.1 += b.1;
                    }
                    same
                });
                let bytes = encode(v, 1000, &runs);
                prop_assert_eq!(decode_runs(v, &bytes, 1000, total(&runs)).unwrap(), runs);
            }
        }
    }
}
