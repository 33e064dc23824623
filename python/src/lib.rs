//! `pyasm._pyasm`, the extension module under the Python package in
//! `python/pyasm/`: the library's front door (`pyasm::disassemble_pyc`,
//! `assemble`, `check`, ...) and its command line, for Python. The package
//! owns the Python-facing API (which objects are accepted, the running
//! interpreter's version, the exception types); this module takes bytes and
//! strings and gives back plain values, and decides nothing about the
//! process (no allocator, no signal handlers: the host is Python's).
//!
//! Whatever the input, a call ends in a value or a Python exception, never
//! in a crash of the interpreter: each call lets go of the GIL while it
//! works (the library does its work on its own deep stack) and turns a
//! panic into `RuntimeError`.

use pyasm::diag::Diag;
use pyasm::versions::Version;
use pyasm::TextOptions;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `work` without the GIL; a panic becomes a `RuntimeError` that says
/// pyasm failed, not the input.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work)))
        .map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            PyRuntimeError::new_err(format!(
                "pyasm failed on this input (a bug in pyasm, please report it): {what}"
            ))
        })
}

fn version(name: &str) -> PyResult<Version> {
    pyasm::parse_version(name).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The versions pyasm reads and writes, oldest first, as `"3.11"`.
#[pyfunction]
fn versions() -> Vec<&'static str> {
    pyasm::SUPPORTED_VERSIONS
        .iter()
        .map(|v| v.as_str())
        .collect()
}

/// The name of version `major.minor` (as `sys.version_info` gives it),
/// or `ValueError` saying that pyasm does not support it and which
/// versions it does.
#[pyfunction]
fn version_of(major: u32, minor: u32) -> PyResult<&'static str> {
    pyasm::version_of(major, minor)
        .map(|v| v.as_str())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The version and `.pyasm` text of a whole `.pyc` file, header included;
/// `ValueError` with the byte offset when it is not one.
#[pyfunction]
fn disassemble_pyc(py: Python<'_>, data: &[u8]) -> PyResult<(&'static str, String)> {
    run(py, || {
        pyasm::disassemble_pyc(data).map_err(|e| e.to_string())
    })?
    .map(|d| (d.version.as_str(), d.text))
    .map_err(PyValueError::new_err)
}

/// The `.pyasm` text of one code object, `marshal.dumps` of it by Python
/// `version_name`, without a `.pyc` header; `ValueError` with the byte
/// offset when the bytes are not one.
#[pyfunction]
fn disassemble_code(py: Python<'_>, data: &[u8], version_name: &str) -> PyResult<String> {
    let v = version(version_name)?;
    run(py, || {
        pyasm::disassemble_code(data, v).map_err(|e| e.to_string())
    })?
    .map(|d| d.text)
    .map_err(PyValueError::new_err)
}

/// A note as the package's `Note` takes it: message, then line, column,
/// end line and end column, or four Nones for a help text.
type PyNote = (
    String,
    Option<usize>,
    Option<usize>,
    Option<usize>,
    Option<usize>,
);

/// A diagnostic as the package's `Diagnostic` takes it: code, severity,
/// message, line, column, end line, end column (1-based, columns in
/// characters) and notes.
type PyDiag = (
    &'static str,
    &'static str,
    String,
    usize,
    usize,
    usize,
    usize,
    Vec<PyNote>,
);

fn py_diags(text: &str, diags: &[Diag]) -> Vec<PyDiag> {
    pyasm::locate(text, diags)
        .into_iter()
        .map(|d| {
            let notes = d
                .notes
                .into_iter()
                .map(|n| match n.place {
                    Some((start, end)) => (
                        n.message,
                        Some(start.line),
                        Some(start.column),
                        Some(end.line),
                        Some(end.column),
                    ),
                    None => (n.message, None, None, None, None),
                })
                .collect();
            (
                d.code,
                d.severity.as_str(),
                d.message,
                d.start.line,
                d.start.column,
                d.end.line,
                d.end.column,
                notes,
            )
        })
        .collect()
}

/// The text to work on: the package's `str` encoded with `surrogatepass`,
/// so that a lone surrogate arrives as bytes that are not UTF-8. Such a
/// text is refused with one `syntax` error at the first of them (see
/// [`not_text`]), as `pyasm check` refuses a file that is not UTF-8.
fn decode(text: &[u8]) -> Result<&str, usize> {
    std::str::from_utf8(text).map_err(|e| e.valid_up_to())
}

/// The text to show and the error for a lone surrogate at byte `at`.
fn not_text(text: &[u8], at: usize) -> (String, Diag) {
    let unit = match text[at..] {
        [a, b, c, ..] => {
            (u32::from(a & 0x0f) << 12) | (u32::from(b & 0x3f) << 6) | u32::from(c & 0x3f)
        }
        _ => 0,
    };
    // The bytes that are not UTF-8 become U+FFFD, three bytes each: the
    // span covers the first.
    let shown = String::from_utf8_lossy(text).into_owned();
    let diag = Diag::error(
        "syntax",
        at..at + 3,
        format!(
            "a lone surrogate U+{unit:04X} is not text; in a string constant write it as \
             '\\u{unit:04x}'"
        ),
    );
    (shown, diag)
}

/// What assembling a text gave: the version it is for, `marshal.dumps` of
/// its code object and the whole `.pyc` (both None on errors), the
/// diagnostics, and the report `pyasm check` prints for them.
type Assembled = (
    &'static str,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<PyDiag>,
    String,
);

/// Assembles `.pyasm` text (UTF-8 bytes, see [`decode`]). `filename` is
/// the module's `co_filename` where its first block has no `.filename`
/// (None: `''`), `shown_name` the file the report names, and a text
/// without a `.python` line is for `default_version` (None: the one
/// `pyasm build` takes). With `keep_code`
/// false only the diagnostics are made, as `pyasm check` makes them.
#[pyfunction]
fn assemble(
    py: Python<'_>,
    text: &[u8],
    filename: Option<&str>,
    shown_name: &str,
    default_version: Option<&str>,
    keep_code: bool,
) -> PyResult<Assembled> {
    let mut options = TextOptions {
        path: filename,
        ..TextOptions::default()
    };
    if let Some(v) = default_version {
        options.default_version = version(v)?;
    }
    run(py, || {
        let (text, version, diags, code, pyc) = match decode(text) {
            Ok(text) if keep_code => {
                let a = pyasm::assemble(text, &options);
                let code = a.code_bytes().map(<[u8]>::to_vec);
                (Cow::Borrowed(text), a.version, a.diags, code, a.pyc)
            }
            Ok(text) => {
                let c = pyasm::check(text, &options);
                (Cow::Borrowed(text), c.version, c.diags, None, None)
            }
            Err(at) => {
                let (shown, diag) = not_text(text, at);
                (
                    Cow::Owned(shown),
                    options.default_version,
                    vec![diag],
                    None,
                    None,
                )
            }
        };
        let report = pyasm::render(shown_name, &text, &diags);
        (version.as_str(), code, pyc, py_diags(&text, &diags), report)
    })
}

/// The JSON document (`pyasm dis --format json`) of a whole `.pyc` file,
/// or with `version_name` of one code object's marshal bytes;
/// `ValueError` with the byte offset when the bytes are not one.
#[pyfunction]
fn to_json(py: Python<'_>, data: &[u8], version_name: Option<&str>) -> PyResult<String> {
    let v = version_name.map(version).transpose()?;
    run(py, || {
        let module = match v {
            Some(v) => pyasm::disassemble_code_module(data, v).map_err(|e| e.to_string())?,
            None => pyasm::disassemble_module(data).map_err(|e| e.to_string())?,
        };
        pyasm::json::to_json(&module)
    })?
    .map_err(PyValueError::new_err)
}

/// What building a JSON document gave: as [`Assembled`], the diagnostics
/// placed in the document's text, with the JSON pointer of each beside
/// them.
type BuiltJson = (
    &'static str,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<PyDiag>,
    Vec<String>,
    String,
);

/// Builds a JSON document as `pyasm build FILE.json` does: its version,
/// the code object's marshal bytes and the `.pyc` (None for both when
/// there were errors), the diagnostics (lines and columns of the members
/// they point at), their JSON pointers, and the report. A document that is
/// not a module has its one diagnostic too.
#[pyfunction]
fn from_json(
    py: Python<'_>,
    text: &str,
    filename: Option<&str>,
    shown_name: &str,
) -> PyResult<BuiltJson> {
    let options = TextOptions {
        path: filename,
        ..TextOptions::default()
    };
    run(py, || {
        let (a, pointers) = pyasm::json::assemble(text, &options);
        let report = pointers.render(shown_name, text, &a.diags);
        let placed = pointers.in_text(text, &a.diags);
        let named = a
            .diags
            .iter()
            .map(|d| pointers.pointer(&d.span).to_string())
            .collect();
        let code = a.code_bytes().map(<[u8]>::to_vec);
        (
            a.version.as_str(),
            code,
            a.pyc,
            py_diags(text, &placed),
            named,
            report,
        )
    })
}

/// Runs the command line on `args` (the program's name first; paths that
/// are not UTF-8 as Python's `os.fsencode` gives them) and returns
/// its exit status. Help, listings and reports go to this process's
/// stdout and stderr, as the `pyasm` executable writes them.
#[pyfunction]
fn cli(py: Python<'_>, args: Vec<std::ffi::OsString>) -> PyResult<u8> {
    run(py, || pyasm::cli::run(args, &pyasm::cli::Hooks::default()))
}

#[pymodule]
fn _pyasm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add_function(wrap_pyfunction!(version_of, m)?)?;
    m.add_function(wrap_pyfunction!(disassemble_pyc, m)?)?;
    m.add_function(wrap_pyfunction!(disassemble_code, m)?)?;
    m.add_function(wrap_pyfunction!(assemble, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(to_json, m)?)?;
    m.add_function(wrap_pyfunction!(from_json, m)?)?;
    Ok(())
}
