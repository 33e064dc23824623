//! `workspace/executeCommand`: `pyasm.build` and `pyasm.disassemble`.

use super::document::Document;
use super::settings::Settings;
use crate::diag::line_col;
use std::path::{Component, Path, PathBuf};
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
/// file) beside it or into the configured folder, inside the workspace
/// (see [`output_path`]). `Ok`: the path written. `Err`: why nothing was
/// written.
pub fn build(
    uri: &Uri,
    doc: Option<&Document>,
    settings: &Settings,
    roots: &[PathBuf],
) -> std::result::Result<PathBuf, String> {
    let path = path_of(uri)?;
    let out = output_path(&path, settings.output_dir.as_deref(), roots)?;
    let text = match doc {
        Some(d) => d.text(),
        None => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    };
    // The document's path is the module's co_filename unless the file
    // says otherwise, as with `pyasm build`.
    let built = crate::assemble_file(
        &path.display().to_string(),
        &text,
        settings.default_version,
        settings.options(),
    );
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
    crate::fsutil::write_atomic(&out, &pyc)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(out)
}

/// Where the `.pyc` of the document at `path` goes: beside it, or into
/// `output_dir` (relative to the document's folder, or absolute). The
/// document and that folder are resolved through `..` and symbolic links
/// (a folder that does not exist yet as far as it does), and each must lie
/// inside one of `roots`, the workspace folders; with no workspace, the
/// document's own folder is the workspace. Anything else is refused, and
/// nothing is written.
pub fn output_path(
    path: &Path,
    output_dir: Option<&Path>,
    roots: &[PathBuf],
) -> std::result::Result<PathBuf, String> {
    let name = match path.file_name() {
        Some(n) if path.extension().is_none_or(|e| e != "pyc") => {
            Path::new(n).with_extension("pyc")
        }
        _ => return Err(format!("{} is not a .pyasm file name", path.display())),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot build {}: its folder: {e}", path.display()))?;
    // The document itself, through a symbolic link if it is one.
    let doc = resolve(&dir.join(path.file_name().unwrap_or_default()));
    let roots: Vec<PathBuf> = if roots.is_empty() {
        vec![dir.clone()]
    } else {
        roots.to_vec()
    };
    let shown = || {
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let inside = |p: &Path| roots.iter().any(|r| p.starts_with(r));
    if !inside(&doc) {
        return Err(format!(
            "refusing to build {}: it is outside the workspace ({})",
            doc.display(),
            shown()
        ));
    }
    let out_dir = match output_dir {
        Some(d) => resolve(&dir.join(d)),
        None => dir,
    };
    if !inside(&out_dir) {
        return Err(format!(
            "refusing to write into {}: the output folder is outside the workspace ({})",
            out_dir.display(),
            shown()
        ));
    }
    Ok(out_dir.join(name))
}

/// `p` with symbolic links and `..` resolved: the longest leading part that
/// exists by the file system, the rest (which `create_dir_all` would make
/// as plain folders) by its components.
fn resolve(p: &Path) -> PathBuf {
    let parts: Vec<Component> = p.components().collect();
    for k in (0..=parts.len()).rev() {
        let head: PathBuf = parts[..k].iter().collect();
        let Ok(mut out) = head.canonicalize() else {
            continue;
        };
        for c in &parts[k..] {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(n) => out.push(n),
                _ => {}
            }
        }
        return out;
    }
    p.to_path_buf()
}

/// The workspace folders an `initialize` request names: its
/// `workspaceFolders`, else its `rootUri`, else its `rootPath`, each
/// resolved (a folder that cannot be is left out).
pub fn workspace_roots(
    folders: Option<&[Uri]>,
    root_uri: Option<&Uri>,
    root_path: Option<&str>,
) -> Vec<PathBuf> {
    let from_uri = |u: &Uri| u.to_file_path().and_then(|p| p.canonicalize().ok());
    match (folders, root_uri, root_path) {
        (Some(fs), _, _) if !fs.is_empty() => fs.iter().filter_map(from_uri).collect(),
        (_, Some(u), _) => from_uri(u).into_iter().collect(),
        (_, _, Some(p)) => Path::new(p).canonicalize().ok().into_iter().collect(),
        _ => Vec::new(),
    }
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
