//! `pyasm._pyasm`, the extension module under the Python package in
//! `python/pyasm/`: the library's disassemble, assemble, check and command
//! line, for Python. The package owns the Python-facing API (which objects
//! are accepted, the running interpreter's version, the exception types);
//! this module only takes bytes and strings and gives back plain values.
//!
//! Whatever the input, a call ends in a value or a Python exception, never
//! in a crash of the interpreter: each call lets go of the GIL, runs on
//! pyasm's work stack (constants may nest as deep as marshal allows) and
//! turns a panic into `RuntimeError`.

use pyasm::diag::{Diag, LineIndex, Severity};
use pyasm::versions::Version;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `work` without the GIL on pyasm's work stack; a panic becomes a
/// `RuntimeError` that says pyasm failed, not the input.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(|| pyasm::with_work_stack(work))))
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
    Version::parse(name).ok_or_else(|| PyValueError::new_err(format!("unknown version {name:?}")))
}

/// The versions pyasm reads and writes, oldest first, as `"3.11"`.
#[pyfunction]
fn versions() -> Vec<&'static str> {
    Version::ALL.iter().map(|v| v.as_str()).collect()
}

/// The `.pyasm` text of a whole `.pyc` file, header included; `ValueError`
/// with the byte offset when it is not one.
#[pyfunction]
fn disassemble_pyc(py: Python<'_>, data: &[u8]) -> PyResult<String> {
    run(py, || pyasm::disassemble_pyc(data).map_err(|e| e.to_string()))?
        .map_err(PyValueError::new_err)
}

/// The `.pyasm` text of one code object, `marshal.dumps` of it by
/// `version`, without a `.pyc` header.
#[pyfunction]
fn disassemble_code(py: Python<'_>, data: &[u8], version_name: &str) -> PyResult<String> {
    let v = version(version_name)?;
    run(py, || {
        match pyasm::marshal::loads(data, v).map_err(|e| e.to_string())? {
            pyasm::code::Obj::Code(code) => {
                let module = pyasm::dis::disassemble(v, None, &code);
                Ok(pyasm::dis::print::print_module(&module))
            }
            other => Err(format!(
                "byte 0: expected a code object, found {}",
                other.type_name()
            )),
        }
    })?
    .map_err(PyValueError::new_err)
}

/// A diagnostic as the package's `Diagnostic` takes it: code, severity,
/// message, line, column, end line, end column (1-based, columns in
/// characters), notes as (message, line, column, end line, end column),
/// and the help text or None.
type PyDiag = (
    &'static str,
    &'static str,
    String,
    usize,
    usize,
    usize,
    usize,
    Vec<(String, usize, usize, usize, usize)>,
    Option<String>,
);

fn py_diag(lines: &LineIndex, d: &Diag) -> PyDiag {
    let (line, column) = lines.line_col(d.span.start);
    let (end_line, end_column) = lines.line_col(d.span.end);
    let notes = d
        .notes
        .iter()
        .map(|(span, message)| {
            let (l, c) = lines.line_col(span.start);
            let (el, ec) = lines.line_col(span.end);
            (message.clone(), l, c, el, ec)
        })
        .collect();
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    (
        d.code,
        severity,
        d.message.clone(),
        line,
        column,
        end_line,
        end_column,
        notes,
        d.help.clone(),
    )
}

/// The text to work on: `text` is the package's `str` encoded with
/// `surrogatepass`, so a lone surrogate arrives as bytes that are not
/// UTF-8. Such a text is refused with one `syntax` error at the first of
/// them, as `pyasm check` refuses a file that is not UTF-8.
fn decode(text: &[u8]) -> Result<&str, (String, Diag)> {
    std::str::from_utf8(text).map_err(|e| {
        let at = e.valid_up_to();
        let unit = match text[at..] {
            [a, b, c, ..] => {
                (u32::from(a & 0x0f) << 12) | (u32::from(b & 0x3f) << 6) | u32::from(c & 0x3f)
            }
            _ => 0,
        };
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
    })
}

/// What assembling a text gave: the version it is for (None when the
/// text could not be read that far), `marshal.dumps` of its code object
/// and the whole `.pyc` (both None on errors), the diagnostics, and the
/// report `pyasm check` would print for them under `shown_name`.
type Assembled = (
    Option<&'static str>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<PyDiag>,
    String,
);

/// Assembles `.pyasm` text (UTF-8 bytes, see [`decode`]) whose module is
/// named `filename` where its first block has no `.filename`; a text
/// without a `.python` line is for `default_version`.
#[pyfunction]
fn assemble(
    py: Python<'_>,
    text: &[u8],
    filename: &str,
    shown_name: &str,
    default_version: &str,
) -> PyResult<Assembled> {
    let v = version(default_version)?;
    run(py, || {
        let (text, diags, built) = match decode(text) {
            Ok(text) => {
                let built = pyasm::assemble_file(filename, text, v, Default::default());
                (std::borrow::Cow::Borrowed(text), built.diags.clone(), Some(built))
            }
            Err((shown, diag)) => (shown.into(), vec![diag], None),
        };
        let lines = LineIndex::new(&text);
        let report = pyasm::diag::render(shown_name, &text, &diags, false);
        let pydiags = diags.iter().map(|d| py_diag(&lines, d)).collect();
        let (version, code, pyc) = match built {
            Some(pyasm::Built {
                pyc: Some(pyc),
                code: Some(code),
                ..
            }) => {
                let version = pyasm::pyc::PycHeader::parse(&pyc)
                    .map(|h| h.version)
                    .unwrap_or(v);
                let mut w = pyasm::marshal::writer::Writer::new(version);
                w.write_code(&code);
                (Some(version.as_str()), Some(w.into_bytes()), Some(pyc))
            }
            _ => (None, None, None),
        };
        (version, code, pyc, pydiags, report)
    })
}

/// Every diagnostic of a `.pyasm` text (see [`assemble`]) and the report.
#[pyfunction]
fn check(
    py: Python<'_>,
    text: &[u8],
    filename: &str,
    shown_name: &str,
    default_version: &str,
) -> PyResult<(Vec<PyDiag>, String)> {
    let (_, _, _, diags, report) = assemble(py, text, filename, shown_name, default_version)?;
    Ok((diags, report))
}

#[pymodule]
fn _pyasm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add_function(wrap_pyfunction!(disassemble_pyc, m)?)?;
    m.add_function(wrap_pyfunction!(disassemble_code, m)?)?;
    m.add_function(wrap_pyfunction!(assemble, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    Ok(())
}
