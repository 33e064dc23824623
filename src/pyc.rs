//! `.pyc` files: a 16-byte header, then one marshalled code object.
//!
//! 3.6's header is 12 bytes, without the flags word
//! (`VersionSpec::pyc_flags_word`): magic number, mtime and size. Only
//! [`read_pyc_any`] reads a version pyasm has a table for but does not
//! disassemble yet (3.6 to 3.10, beyond `Version::ALL`), for the marshal
//! round trip; [`read_pyc`], which everything else uses, refuses their magic
//! numbers as it refuses any unknown one.
//!
//! The header is four little-endian 32-bit words: the magic number (which
//! names the bytecode version; its last two bytes are always `\r\n`), flags,
//! and two words whose meaning the flags choose. With flag bit 0 clear they
//! are the source's modification time and size; with it set they are an
//! 8-byte hash of the source, and bit 1 says whether the importer checks that
//! hash. The importer rejects any other flag bit, and so does this module.

use crate::code::{Code, Obj};
use crate::marshal::{self, MarshalError};
use crate::versions::Version;

/// The longest header, in bytes: that of 3.7 on (3.6's has no flags word;
/// see [`header_len`]).
pub const HEADER_LEN: usize = 16;

/// Length of `version`'s header, in bytes.
pub fn header_len(version: Version) -> usize {
    if version.table().pyc_flags_word {
        16
    } else {
        12
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PycHeader {
    pub version: Version,
    pub flags: u32,
    /// The source's mtime, or the first half of the source hash.
    pub word2: u32,
    /// The source's size, or the second half of the source hash.
    pub word3: u32,
}

impl PycHeader {
    /// Flag bit 0: words 2 and 3 are a source hash.
    pub const FLAG_HASH_BASED: u32 = 0x1;
    /// Flag bit 1: the importer checks the hash against the source.
    pub const FLAG_CHECK_SOURCE: u32 = 0x2;

    /// A header that the importer validates by the source's mtime and size
    /// (what `py_compile` writes by default).
    pub fn timestamp(version: Version, mtime: u32, source_size: u32) -> Self {
        PycHeader {
            version,
            flags: 0,
            word2: mtime,
            word3: source_size,
        }
    }

    /// A header carrying an 8-byte source hash (`importlib.util.source_hash`).
    /// 3.6 has none: its 12-byte header has no flags word, so `to_bytes`
    /// would write the hash as mtime and size.
    pub fn hash_based(version: Version, hash: [u8; 8], check_source: bool) -> Self {
        let mut flags = Self::FLAG_HASH_BASED;
        if check_source {
            flags |= Self::FLAG_CHECK_SOURCE;
        }
        PycHeader {
            version,
            flags,
            word2: u32::from_le_bytes([hash[0], hash[1], hash[2], hash[3]]),
            word3: u32::from_le_bytes([hash[4], hash[5], hash[6], hash[7]]),
        }
    }

    pub fn is_hash_based(&self) -> bool {
        self.flags & Self::FLAG_HASH_BASED != 0
    }

    /// Whether the importer checks the hash; meaningless without one.
    pub fn check_source(&self) -> bool {
        self.is_hash_based() && self.flags & Self::FLAG_CHECK_SOURCE != 0
    }

    /// The source's modification time, for a timestamp-based header.
    pub fn mtime(&self) -> Option<u32> {
        (!self.is_hash_based()).then_some(self.word2)
    }

    /// The source's size in bytes (modulo 2**32), for a timestamp-based header.
    pub fn source_size(&self) -> Option<u32> {
        (!self.is_hash_based()).then_some(self.word3)
    }

    /// The source hash, for a hash-based header.
    pub fn hash(&self) -> Option<[u8; 8]> {
        self.is_hash_based().then(|| self.hash_bytes())
    }

    /// Words 2 and 3 as the eight bytes they occupy on disk, whatever they
    /// mean.
    pub fn hash_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.word2.to_le_bytes());
        out[4..].copy_from_slice(&self.word3.to_le_bytes());
        out
    }

    /// Length of the header, in bytes: [`header_len`] of its version.
    pub fn byte_len(&self) -> usize {
        header_len(self.version)
    }

    /// The header's bytes. A 12-byte header (3.6) has no flags word, so
    /// `flags` is not written (it is 0 for every header read from one).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&self.version.magic().to_le_bytes());
        out.extend_from_slice(b"\r\n");
        if self.version.table().pyc_flags_word {
            out.extend_from_slice(&self.flags.to_le_bytes());
        }
        out.extend_from_slice(&self.word2.to_le_bytes());
        out.extend_from_slice(&self.word3.to_le_bytes());
        out
    }

    /// Parses and checks the first 16 bytes of `data`, the header of a
    /// version pyasm reads and writes (`Version::ALL`).
    pub fn parse(data: &[u8]) -> Result<PycHeader, PycError> {
        Self::parse_of(data, Version::ALL)
    }

    /// Parses and checks the header at the start of `data` of any version
    /// with an opcode table (`Version::TABLES`), 12 or 16 bytes long.
    pub fn parse_any(data: &[u8]) -> Result<PycHeader, PycError> {
        Self::parse_of(data, Version::TABLES)
    }

    fn parse_of(data: &[u8], known: &'static [Version]) -> Result<PycHeader, PycError> {
        let word = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        let version = match data.get(..4) {
            Some(magic) if &magic[2..] == b"\r\n" => {
                let number = u16::from_le_bytes([magic[0], magic[1]]);
                known.iter().copied().find(|v| v.magic() == number)
            }
            _ => None,
        };
        let need = version.map_or(HEADER_LEN, header_len);
        if data.len() < need {
            return Err(PycError::Truncated {
                len: data.len(),
                need,
            });
        }
        let Some(version) = version else {
            return Err(PycError::BadMagic {
                found: [data[0], data[1], data[2], data[3]],
                known,
            });
        };
        if !version.table().pyc_flags_word {
            return Ok(PycHeader::timestamp(version, word(4), word(8)));
        }
        let flags = word(4);
        if flags & !(Self::FLAG_HASH_BASED | Self::FLAG_CHECK_SOURCE) != 0 {
            return Err(PycError::BadFlags { flags });
        }
        Ok(PycHeader {
            version,
            flags,
            word2: word(8),
            word3: word(12),
        })
    }
}

/// A `.pyc` file that cannot be read. Every variant knows the byte offset,
/// counted from the start of the file, where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PycError {
    #[error(
        "at byte {len}: expected a {need}-byte .pyc header, but the file ends after {len} bytes"
    )]
    Truncated { len: usize, need: usize },
    /// `known` is the versions whose magic numbers were accepted.
    #[error("at byte 0: {}", magic_message(.found, .known))]
    BadMagic {
        found: [u8; 4],
        known: &'static [Version],
    },
    #[error("at byte 4: expected header flags between 0 and 3, found {flags:#x}")]
    BadFlags { flags: u32 },
    #[error("at byte {offset}: expected a code object after the header, found {found}")]
    NotCode { offset: usize, found: &'static str },
    /// The marshal data after the header is malformed; the offset has been
    /// moved to count from the start of the file.
    #[error(transparent)]
    Marshal(MarshalError),
}

impl PycError {
    pub fn offset(&self) -> usize {
        match self {
            PycError::Truncated { len, .. } => *len,
            PycError::BadMagic { .. } => 0,
            PycError::BadFlags { .. } => 4,
            PycError::NotCode { offset, .. } => *offset,
            PycError::Marshal(e) => e.offset,
        }
    }

    /// What went wrong, by offset and kind only, without any of the file's
    /// bytes: for a reader that may be pointed at any file and must not
    /// show what is in it (the language server).
    pub fn without_contents(&self) -> String {
        match self {
            PycError::Truncated { .. } => self.to_string(),
            PycError::BadMagic { known, .. } => format!(
                "at byte 0: not a .pyc file: expected a magic number, {}, followed by \\r\\n",
                known_magic_numbers(known)
            ),
            PycError::BadFlags { .. } => {
                "at byte 4: expected header flags between 0 and 3".to_string()
            }
            PycError::NotCode { offset, .. } => {
                format!("at byte {offset}: expected a code object after the header")
            }
            PycError::Marshal(e) => format!("at byte {}: malformed marshal data", e.offset),
        }
    }
}

/// The magic numbers of `known`, with their versions, in words.
fn known_magic_numbers(known: &[Version]) -> String {
    let expected: Vec<String> = known
        .iter()
        .map(|v| format!("{} (Python {v})", v.magic()))
        .collect();
    match expected.len() {
        1 => expected[0].clone(),
        _ => format!("one of {}", expected.join(", ")),
    }
}

fn magic_message(found: &[u8; 4], known: &[Version]) -> String {
    let expected = known_magic_numbers(known);
    let hex = found
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    if &found[2..] != b"\r\n" {
        return format!(
            "expected a .pyc magic number, {expected}, followed by \\r\\n; found bytes {hex}, \
             which is not a .pyc file of Python 3"
        );
    }
    let number = u16::from_le_bytes([found[0], found[1]]);
    // Only called when no version of `known` has this number.
    format!(
        "expected magic number {expected}, found {number} (bytes {hex}), \
         not the magic number of any Python version this build knows"
    )
}

/// Reads a whole `.pyc` file of a version in `Version::ALL`: its header
/// and the code object after it. Bytes after the code object are ignored,
/// as the importer ignores them.
pub fn read_pyc(data: &[u8]) -> Result<(PycHeader, Code), PycError> {
    read_body(data, PycHeader::parse(data)?)
}

/// Reads a whole `.pyc` file of any version in `Version::TABLES`, 3.6 to
/// 3.10 included, whose code objects have `Code::split_vars`. Nothing but
/// the marshal round trip may use this: the disassembler and the rest have
/// no meaning for those code objects yet.
pub fn read_pyc_any(data: &[u8]) -> Result<(PycHeader, Code), PycError> {
    read_body(data, PycHeader::parse_any(data)?)
}

fn read_body(data: &[u8], header: PycHeader) -> Result<(PycHeader, Code), PycError> {
    let start = header.byte_len();
    let obj = marshal::loads(&data[start..], header.version).map_err(|e| {
        PycError::Marshal(MarshalError {
            offset: e.offset + start,
            message: e.message,
        })
    })?;
    match obj {
        Obj::Code(code) => Ok((header, *code)),
        other => Err(PycError::NotCode {
            offset: start,
            found: other.type_name(),
        }),
    }
}

/// Writes a `.pyc` file: `header`, then `code` marshalled for its version
/// (any of `Version::TABLES`; `code` must be of that version's kind, as
/// [`crate::code::Code`] says).
pub fn write_pyc(header: &PycHeader, code: &Code) -> Vec<u8> {
    let mut w = marshal::writer::Writer::new(header.version);
    w.write_code(code);
    let body = w.into_bytes();
    let mut out = header.to_bytes();
    out.reserve(body.len());
    out.extend_from_slice(&body);
    out
}
