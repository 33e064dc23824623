//! The library's front door: disassemble, assemble and check, each result
//! carrying the CPython version it is for. The command line, the language
//! server's commands and any embedding (a Python extension module) call
//! these, so each rule has one owner.
//!
//! Every function here does its work on [`WORK_STACK`](crate::WORK_STACK)
//! through [`with_work_stack`]: constants may nest 2000 levels deep, and
//! the walks over them need more stack than a host thread (a Python
//! thread, say) may have. Nothing here makes a process-wide decision: no
//! allocator, no allocator swap for tree-sitter, no memory tuning, no
//! global thread pool. Those are the `pyasm` executable's (`src/main.rs`).
//!
//! ```
//! use pyasm::{Place, TextOptions};
//! use pyasm::versions::Version;
//!
//! let text = ".python 3.12\n.code module\n    LOAD_CONST 1\n    RETURN_VALUE\n";
//! let built = pyasm::assemble(text, &TextOptions::default());
//! assert_eq!(built.version, Version::V3_12);
//! // A code object as `marshal.dumps` gives it, back to text and again.
//! let code = built.code_bytes().expect("no errors");
//! let listing = pyasm::disassemble_code(code, built.version).unwrap();
//! let again = pyasm::assemble(&listing.text, &TextOptions::default());
//! assert_eq!(again.code_bytes(), Some(code));
//!
//! // Diagnostics, placed in lines and characters, and as the CLI prints them.
//! let bad = ".python 3.12\n.code module\n    RETRUN_VALUE\n";
//! let checked = pyasm::check(bad, &TextOptions::default());
//! let first = &pyasm::locate(bad, &checked.diags)[0];
//! assert_eq!((first.code, first.start), ("unknown-opcode", Place { line: 3, column: 5 }));
//! assert!(pyasm::render("bad.pyasm", bad, &checked.diags).contains("RETRUN_VALUE"));
//! ```

use crate::code::{Code, Obj};
use crate::diag::{Diag, LineIndex, Severity};
use crate::marshal::MarshalError;
use crate::pyc::{self, PycError, PycHeader};
use crate::versions::Version;
use crate::{asm, ide, syntax, with_work_stack};

/// `.pyasm` text and the version it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disassembly {
    /// The version of the bytecode read: the `.pyc`'s magic number, or the
    /// version the caller named for a bare code object. The text's
    /// `.python` line names it too.
    pub version: Version,
    pub text: String,
}

/// Disassembles a whole `.pyc` file, its 16-byte header included, to
/// `.pyasm` text that builds the identical file again. An error names the
/// byte offset, counted from the start of `data`, where reading stopped
/// ([`PycError::offset`]).
pub fn disassemble_pyc(data: &[u8]) -> Result<Disassembly, PycError> {
    with_work_stack(|| {
        let (header, code) = pyc::read_pyc(data)?;
        Ok(print(header.version, Some(header), &code))
    })
}

/// The module a whole `.pyc` file holds, as [`disassemble_pyc`] prints it:
/// what `pyasm dis --format json` writes ([`crate::json`]).
pub fn disassemble_module(data: &[u8]) -> Result<crate::model::Module, PycError> {
    with_work_stack(|| {
        let (header, code) = pyc::read_pyc(data)?;
        Ok(crate::dis::disassemble(header.version, Some(header), &code))
    })
}

/// The module of one code object given as marshal bytes of `version`
/// (no header), as [`disassemble_code`] prints it.
pub fn disassemble_code_module(
    data: &[u8],
    version: Version,
) -> Result<crate::model::Module, MarshalError> {
    refuse_unsupported(version)?;
    with_work_stack(|| match crate::marshal::loads(data, version)? {
        Obj::Code(code) => Ok(crate::dis::disassemble(version, None, &code)),
        other => Err(MarshalError::new(
            0,
            format!("expected a code object, found {}", other.type_name()),
        )),
    })
}

/// A bare code object of a version with a table but no text yet (3.6 to
/// 3.10) is refused before it is read, at byte 0, as `read_pyc` refuses the
/// magic number of its `.pyc`.
fn refuse_unsupported(version: Version) -> Result<(), MarshalError> {
    if version.is_supported() {
        return Ok(());
    }
    Err(MarshalError::new(
        0,
        format!(
            "expected a code object of a Python version pyasm disassembles ({}), \
             but Python {version} is not one",
            Version::names()
        ),
    ))
}

/// Disassembles one code object given as marshal bytes without a `.pyc`
/// header (what Python's `marshal.dumps(code)` gives) of `version`. The
/// text has no `.pyc` header line; building it gives the same code object,
/// whose marshal bytes follow the header of [`Assembly::pyc`]. An error
/// names the byte offset, counted from the start of `data`.
pub fn disassemble_code(data: &[u8], version: Version) -> Result<Disassembly, MarshalError> {
    refuse_unsupported(version)?;
    with_work_stack(|| match crate::marshal::loads(data, version)? {
        Obj::Code(code) => Ok(print(version, None, &code)),
        other => Err(MarshalError::new(
            0,
            format!("expected a code object, found {}", other.type_name()),
        )),
    })
}

fn print(version: Version, header: Option<PycHeader>, code: &Code) -> Disassembly {
    let module = crate::dis::disassemble(version, header, code);
    Disassembly {
        version,
        text: crate::dis::print::print_module(&module),
    }
}

/// The normal form of a module's code object (see [`crate::dis::normal`]):
/// one listing for every serialization of the same code, what `pyasm
/// diff` compares and `pyasm dis --normalize` prints
/// ([`crate::dis::print::print_module`]).
pub fn normalize(
    version: Version,
    code: &Code,
    options: crate::dis::normal::Options,
) -> crate::model::Module {
    with_work_stack(|| crate::dis::normal::normalize(version, code, options))
}

/// How a `.pyasm` text is read and built.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions<'a> {
    /// The file the text came from, as the user named it: the module's
    /// `co_filename` where the first block has no `.filename` (otherwise
    /// `''`). Blocks written without positions are placed on the text's own
    /// lines either way, so a traceback names the file and the line.
    pub path: Option<&'a str>,
    /// The version of a text without a `.python` line.
    pub default_version: Version,
    /// Verification and recomputed stack fields.
    pub build: asm::Options,
}

impl Default for TextOptions<'_> {
    /// No path, 3.11, verified, stack fields as written.
    fn default() -> Self {
        TextOptions {
            path: None,
            default_version: Version::V3_11,
            build: asm::Options::default(),
        }
    }
}

/// The result of assembling a `.pyasm` text.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The version the text names on its `.python` line, or the default.
    pub version: Version,
    /// The module's code object, when there were no errors. Walks over it
    /// (clone, compare, drop) recurse once per level of its constants'
    /// nesting: on a small stack, take it to [`with_work_stack`] or use
    /// the bytes.
    pub code: Option<Code>,
    /// The `.pyc` file, header included, when there were no errors: the
    /// header the text gives, or a timestamp header of 0.
    pub pyc: Option<Vec<u8>>,
    /// Every diagnostic, errors and warnings, sorted by place.
    pub diags: Vec<Diag>,
}

impl Assembly {
    /// The code object as marshal bytes without the header, as Python's
    /// `marshal.dumps(code)` writes it (and `marshal.loads` reads it).
    pub fn code_bytes(&self) -> Option<&[u8]> {
        self.pyc
            .as_deref()
            .map(|p| &p[pyc::header_len(self.version)..])
    }
}

/// Parses, lowers, verifies and assembles `.pyasm` text. Never panics on
/// any text: every problem is a diagnostic.
pub fn assemble(text: &str, options: &TextOptions) -> Assembly {
    with_work_stack(|| {
        let (preamble, code, diags) = compile(text, options);
        let Some(code) = code else {
            return Assembly {
                version: preamble.version,
                code: None,
                pyc: None,
                diags,
            };
        };
        let header = preamble
            .header
            .map(|h| PycHeader {
                version: preamble.version,
                ..h
            })
            .unwrap_or(PycHeader::timestamp(preamble.version, 0, 0));
        Assembly {
            version: preamble.version,
            pyc: Some(pyc::write_pyc(&header, &code)),
            code: Some(code),
            diags,
        }
    })
}

/// The diagnostics of a `.pyasm` text and the version it is for.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The version the text names on its `.python` line, or the default.
    pub version: Version,
    /// Every diagnostic, errors and warnings, sorted by place.
    pub diags: Vec<Diag>,
}

/// Every diagnostic [`assemble`] would give, without keeping the code.
/// Never panics on any text.
pub fn check(text: &str, options: &TextOptions) -> Checked {
    with_work_stack(|| {
        let (preamble, _, diags) = compile(text, options);
        Checked {
            version: preamble.version,
            diags,
        }
    })
}

/// Parses, lowers and assembles: the module's version and header, its code
/// object when there were no errors, and every diagnostic, sorted by place.
/// `check` puts the module together too: only then are the limits on what
/// blocks copied into each other cost known. The diagnostics are the file
/// analysis's, the same the language server shows; the code object is put
/// together from the blocks that analysis assembled, each assembled once.
fn compile(
    text: &str,
    options: &TextOptions,
) -> (syntax::lower::Preamble, Option<Code>, Vec<Diag>) {
    let tree = syntax::parse(text, None);
    let analysis =
        ide::FileAnalysis::for_build(tree, &text, options.default_version, options.build);
    let mut diags = analysis.diagnostics();
    let preamble = analysis.preamble.clone();
    if diags.iter().any(|d| d.is_error()) {
        return (preamble, None, diags);
    }
    // The limits on what the module costs once blocks are copied into
    // each other are the only thing left to fail.
    let code = match analysis.link(options.path.unwrap_or("")) {
        Ok(code) => Some(code),
        Err(ds) => {
            diags.extend(ds);
            if !diags.iter().any(|d| d.is_error()) {
                // Without errors every block assembled and every reference
                // names a block; say so rather than build nothing quietly.
                diags.push(Diag::error(
                    "internal",
                    0..0,
                    "the blocks assembled but could not be put together",
                ));
            }
            None
        }
    };
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    (preamble, code, diags)
}

/// A place in a text: 1-based line and column, the column counted in
/// characters (Unicode scalar values, as Python's `str` counts them), not
/// bytes or UTF-16 units. An end is the place just after the last
/// character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

/// A diagnostic with its span as lines and columns (see [`locate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub start: Place,
    pub end: Place,
    /// The secondary notes ("label defined here"), each with its span;
    /// then the help, if any, as a note without a place.
    pub notes: Vec<LocatedNote>,
}

/// One note of a [`Located`] diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedNote {
    pub message: String,
    /// Where the note points (start, end); `None` for help.
    pub place: Option<(Place, Place)>,
}

/// Turns each diagnostic's byte spans in `text` into lines and columns
/// (see [`Place`]). Spans past the text or inside a character are clamped.
pub fn locate(text: &str, diags: &[Diag]) -> Vec<Located> {
    let lines = LineIndex::new(text);
    let place = |offset: usize| {
        let (line, column) = lines.line_col(offset);
        Place { line, column }
    };
    diags
        .iter()
        .map(|d| Located {
            code: d.code,
            severity: d.severity,
            message: d.message.clone(),
            start: place(d.span.start),
            end: place(d.span.end),
            notes: d
                .notes
                .iter()
                .map(|(span, m)| LocatedNote {
                    message: m.clone(),
                    place: Some((place(span.start), place(span.end))),
                })
                .chain(d.help.iter().map(|h| LocatedNote {
                    message: h.clone(),
                    place: None,
                }))
                .collect(),
        })
        .collect()
}

/// The report `pyasm check` prints for `diags` of the file at `path` with
/// `text`, without colour: rustc's layout, through codespan-reporting.
pub fn render(path: &str, text: &str, diags: &[Diag]) -> String {
    crate::diag::render(path, text, diags, false)
}

/// Every version pyasm reads and writes, oldest first.
pub const SUPPORTED_VERSIONS: &[Version] = Version::ALL;

/// A version pyasm does not read or write, or a name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported Python version {given}: pyasm supports {}",
    Version::names()
)]
pub struct UnsupportedVersion {
    /// The version as it was given ("3.10", "2.7").
    pub given: String,
}

/// The version named "3.12" (major and minor, nothing else).
pub fn parse_version(name: &str) -> Result<Version, UnsupportedVersion> {
    Version::parse(name).ok_or_else(|| UnsupportedVersion {
        given: name.to_string(),
    })
}

/// The version (3, 12), as Python's `sys.version_info[:2]` gives it.
pub fn version_of(major: u32, minor: u32) -> Result<Version, UnsupportedVersion> {
    parse_version(&format!("{major}.{minor}"))
}
