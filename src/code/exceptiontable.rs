//! Exception table (`co_exceptiontable`) encoder and decoder.
//!
//! Each entry says: an exception raised by an instruction in code units
//! `start..end` pops the value stack down to `depth`, pushes the offset of the
//! raising instruction if `lasti` is set, pushes the exception and jumps to
//! `target`. On disk an entry is four numbers, `start`, `end - start`,
//! `target` and `depth << 1 | lasti`, each written as 6-bit chunks, most
//! significant first, with bit 6 set on every chunk but the last and bit 7 set
//! on the first byte of the entry only. (The location table puts its chunks in
//! the opposite order.) Entries are kept in table order; nothing here checks
//! that they are sorted or that offsets fall inside the code.

use thiserror::Error;

/// One handler range, in code units; `end` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExceptEntry {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
    pub lasti: bool,
}

/// An exception table that cannot be read, with the byte offset (into the
/// table) of the byte or number at fault.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("exception table, byte {offset}: {kind}")]
pub struct ExceptTableError {
    pub offset: usize,
    pub kind: ExceptTableErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ExceptTableErrorKind {
    #[error("expected the first byte of an entry (top bit set), found {0:#04x}")]
    NotAnEntryStart(u8),
    #[error("byte {0:#04x} inside an entry has its top bit set, which marks an entry start")]
    StrayEntryStart(u8),
    #[error("the table ends in the middle of an entry")]
    Truncated,
    #[error("a number does not fit in 32 bits")]
    NumberTooLarge,
    #[error("the range {start} + {size} ends past 2**32 code units")]
    RangeOverflow { start: u32, size: u32 },
}

const ENTRY_START: u8 = 0x80;
const MORE: u8 = 0x40;

struct Reader<'a> {
    table: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, offset: usize, kind: ExceptTableErrorKind) -> ExceptTableError {
        ExceptTableError { offset, kind }
    }

    /// One number; `first` says whether it opens an entry, in which case its
    /// first byte must carry the entry-start bit and otherwise must not.
    fn number(&mut self, first: bool) -> Result<u32, ExceptTableError> {
        let start = self.pos;
        let mut value: u32 = 0;
        loop {
            let b = *self
                .table
                .get(self.pos)
                .ok_or_else(|| self.error(self.pos, ExceptTableErrorKind::Truncated))?;
            let opens_entry = first && self.pos == start;
            if opens_entry && b & ENTRY_START == 0 {
                return Err(self.error(self.pos, ExceptTableErrorKind::NotAnEntryStart(b)));
            }
            if !opens_entry && b & ENTRY_START != 0 {
                return Err(self.error(self.pos, ExceptTableErrorKind::StrayEntryStart(b)));
            }
            if value > u32::MAX >> 6 {
                return Err(self.error(start, ExceptTableErrorKind::NumberTooLarge));
            }
            value = (value << 6) | u32::from(b & 63);
            self.pos += 1;
            if b & MORE == 0 {
                return Ok(value);
            }
        }
    }
}

/// Decodes a whole exception table.
pub fn decode(table: &[u8]) -> Result<Vec<ExceptEntry>, ExceptTableError> {
    let mut r = Reader { table, pos: 0 };
    let mut out = Vec::new();
    while r.pos < table.len() {
        let start = r.number(true)?;
        let size_offset = r.pos;
        let size = r.number(false)?;
        let target = r.number(false)?;
        let depth_lasti = r.number(false)?;
        let end = start.checked_add(size).ok_or_else(|| {
            r.error(
                size_offset,
                ExceptTableErrorKind::RangeOverflow { start, size },
            )
        })?;
        out.push(ExceptEntry {
            start,
            end,
            target,
            depth: depth_lasti >> 1,
            lasti: depth_lasti & 1 != 0,
        });
    }
    Ok(out)
}

fn write_number(out: &mut Vec<u8>, value: u32, first: bool) {
    let bits = 32 - value.leading_zeros();
    let chunks = bits.div_ceil(6).max(1);
    for i in (0..chunks).rev() {
        let mut b = ((value >> (6 * i)) & 63) as u8;
        if i > 0 {
            b |= MORE;
        }
        if first && i == chunks - 1 {
            b |= ENTRY_START;
        }
        out.push(b);
    }
}

/// Encodes entries in the order given, as CPython's compiler writes them.
/// An entry whose `end` lies before its `start` is written as empty, and a
/// depth of 2**31 or more loses its top bit to the `lasti` shift.
pub fn encode(entries: &[ExceptEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6);
    for e in entries {
        write_number(&mut out, e.start, true);
        write_number(&mut out, e.end.saturating_sub(e.start), false);
        write_number(&mut out, e.target, false);
        write_number(&mut out, (e.depth << 1) | u32::from(e.lasti), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(start: u32, end: u32, target: u32, depth: u32, lasti: bool) -> ExceptEntry {
        ExceptEntry {
            start,
            end,
            target,
            depth,
            lasti,
        }
    }

    #[test]
    fn example_from_the_format_notes() {
        let e = entry(20, 28, 100, 3, false);
        assert_eq!(encode(&[e]), [148, 8, 65, 36, 6]);
        assert_eq!(decode(&[148, 8, 65, 36, 6]).unwrap(), vec![e]);
    }

    #[test]
    fn roundtrips_across_chunk_sizes() {
        let values = [
            0,
            1,
            63,
            64,
            4095,
            4096,
            1 << 18,
            (1 << 24) - 1,
            1 << 29,
            u32::MAX,
        ];
        let mut entries = Vec::new();
        for &v in &values {
            entries.push(entry(v, v, v, v >> 1, v & 1 == 1));
            entries.push(entry(0, v, 7, 0, true));
            entries.push(entry(v / 2, v / 2 + v / 3, 0, 1, false));
        }
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes).unwrap(), entries);
    }

    #[test]
    fn entry_start_bit_only_on_first_byte() {
        let bytes = encode(&[entry(5000, 5001, 6000, 2, true)]);
        assert_eq!(bytes[0] & 0x80, 0x80);
        assert!(bytes[1..].iter().all(|b| b & 0x80 == 0));
        assert_eq!(bytes, [0xc1, 0x40 | 14, 8, 1, 0x41, 0x40 | 29, 48, 5]);
    }

    #[test]
    fn malformed_tables_are_errors() {
        let err = |t: &[u8]| decode(t).unwrap_err();
        assert_eq!(err(&[0x08]).kind, ExceptTableErrorKind::NotAnEntryStart(8));
        assert_eq!(err(&[0x88, 1, 2]).kind, ExceptTableErrorKind::Truncated);
        assert_eq!(err(&[0x88, 1, 2]).offset, 3);
        assert_eq!(err(&[0xc8]).offset, 1);
        assert_eq!(
            err(&[0x88, 0x81, 2, 3]).kind,
            ExceptTableErrorKind::StrayEntryStart(0x81)
        );
        // Seven chunks cannot fit in 32 bits.
        let long = [0xff, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f, 0, 0, 0];
        assert_eq!(err(&long).kind, ExceptTableErrorKind::NumberTooLarge);
        assert_eq!(err(&long).offset, 0);
        // start 2**32 - 1, size 1.
        let overflow = [0xc3, 0x7f, 0x7f, 0x7f, 0x7f, 0x3f, 1, 0, 0];
        let e = err(&overflow);
        assert_eq!(e.offset, 6);
        assert!(matches!(e.kind, ExceptTableErrorKind::RangeOverflow { .. }));
        assert!(e.to_string().starts_with("exception table, byte 6:"));
    }

    #[test]
    fn decode_never_panics_on_prefixes() {
        let bytes = encode(&[entry(1, 900, 70000, 5, true), entry(3, 4, 5, 0, false)]);
        for cut in 0..bytes.len() {
            let _ = decode(&bytes[..cut]);
        }
        assert_eq!(decode(&bytes).unwrap().len(), 2);
        assert_eq!(decode(&[]).unwrap(), vec![]);
    }
}
