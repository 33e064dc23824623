//! `workspace/executeCommand`: `pyasm.build` and `pyasm.disassemble`.

use super::document::Document;
use super::settings::Settings;
use crate::diag::line_col;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{LSPAny, Uri};

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid_params(msg.into())
}

/// The document URI a command was given.
pub fn uri_argument(arg: Option<LSPAny>) -> Result<Uri> {
    let s = match arg {
        Some(LSPAny::String(s)) => s,
        Some(v) => v
            .get("uri")
            .and_then(LSPAny::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad("expected a document URI"))?,
        None => return Err(bad("expected a document URI")),
    };
    Uri::from_str(&s).map_err(|_| bad(format!("not a URI: {s}")))
}

fn path_of(uri: &Uri) -> std::result::Result<PathBuf, String> {
    uri.to_file_path()
        .map(|p| p.into_owned())
        .ok_or_else(|| format!("{} is not a file", uri.as_str()))
}

/// Builds the `.pyc` of a document (the open text if it is open, else the
/// file) beside it or into the configured folder. `Ok`: the path written.
/// `Err`: why nothing was written.
pub fn build(
    uri: &Uri,
    doc: Option<&Document>,
    settings: &Settings,
) -> std::result::Result<PathBuf, String> {
    let path = path_of(uri)?;
    let text = match doc {
        Some(d) => d.text(),
        None => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    };
    let built = crate::assemble_text_in(&text, settings.default_version, settings.options());
    let errors: Vec<_> = built.diags.iter().filter(|d| d.is_error()).collect();
    let Some(pyc) = built.pyc.filter(|_| errors.is_empty()) else {
        let first = errors
            .first()
            .map(|d| {
                let (l, c) = line_col(&text, d.span.start);
                format!("; first at {l}:{c}: {} [{}]", d.message, d.code)
            })
            .unwrap_or_default();
        return Err(format!(
            "{} has {} error{}{first}",
            path.display(),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ));
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let out_dir = match &settings.output_dir {
        Some(d) => dir.join(d),
        None => dir.to_path_buf(),
    };
    let out = out_dir.join(path.with_extension("pyc").file_name().unwrap_or_default());
    crate::fsutil::write_atomic(&out, &pyc)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(out)
}

/// The `.pyasm` text of a `.pyc`, given as a path or a `file:` URI.
pub fn disassemble(arg: Option<LSPAny>) -> Result<String> {
    let s = match &arg {
        Some(LSPAny::String(s)) => s.clone(),
        Some(v) => v
            .get("uri")
            .or_else(|| v.get("path"))
            .and_then(LSPAny::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad("expected a .pyc path or URI"))?,
        None => return Err(bad("expected a .pyc path or URI")),
    };
    let path = if s.starts_with("file:") {
        let uri = Uri::from_str(&s).map_err(|_| bad(format!("not a URI: {s}")))?;
        path_of(&uri).map_err(bad)?
    } else {
        PathBuf::from(&s)
    };
    let data =
        std::fs::read(&path).map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
    crate::disassemble_pyc(&data).map_err(|e| bad(format!("{}: {e}", path.display())))
}
