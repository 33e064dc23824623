//! `workspace/executeCommand`: `pyasm.build` and `pyasm.disassemble`.
//!
//! Commands never hold up the server: what a command needs from the
//! server's state is taken before its first `.await`, and the work (reading,
//! assembling or disassembling, writing) runs on tokio's blocking pool
//! ([`off_loop`]). A `$/cancelRequest` drops the handler's future, and with
//! it a guard that tells the work to stop: reads stop between chunks, and a
//! cancelled build writes nothing.
//!
//! Reading ([`crate::fsutil::open_regular`]): regular files only, never a
//! FIFO, device, socket or file of `/proc` or `/sys`; at most [`MAX_PYC`] or
//! [`MAX_PYASM`] bytes; a `.pyc`'s header is checked before the rest is
//! read; and an error names the file and a reason, never its bytes.
//!
//! Confinement: only `file:` documents are built, and `.pyc` files are
//! written only inside a workspace folder that exists at the moment of the
//! write, reached from that folder's open descriptor one component at a
//! time without following a link (see [`build`]).

use super::document::Document;
use super::settings::Settings;
use crate::diag::line_col;
use crate::fsutil::{self, ReadError};
use crate::pyc::{PycHeader, HEADER_LEN};
use crate::versions::Version;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{LSPAny, Uri};

/// The largest `.pyc` disassembled: 32 MiB. The largest real ones seen are
/// about 5 MB (generated API clients, 4.9 MB for a 3.12 module whose
/// disassembly is 10 MB); six times that leaves room, and still bounds what
/// one click on a stray file can cost.
pub const MAX_PYC: u64 = 32 << 20;

/// The largest `.pyasm` file built from disk: 64 MiB, six times the largest
/// disassembly seen (10 MB, above), and the order of what a client may
/// send as an open document in one message.
pub const MAX_PYASM: u64 = 64 << 20;

fn bad(msg: impl Into<String>) -> Error {
    Error::invalid_params(msg.into())
}

/// Sets its flag when dropped: the handler's future was dropped (the
/// request was cancelled) or it finished.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on tokio's blocking pool, so the message loop goes on
/// meanwhile, on a stack of [`crate::WORK_STACK`] bytes as all of pyasm's
/// work (the pool's threads have 2 MiB, which a module nested 2000 levels
/// deep overflows in a debug build). The flag `work` is given is set once
/// the caller's future is dropped (a `$/cancelRequest`). A panic inside
/// becomes an internal error and the server keeps serving.
pub async fn off_loop<T: Send + 'static>(
    what: &str,
    work: impl FnOnce(&AtomicBool) -> T + Send + 'static,
) -> Result<T> {
    let cancelled = Arc::new(AtomicBool::new(false));
    let _guard = CancelOnDrop(cancelled.clone());
    tokio::task::spawn_blocking(move || crate::with_work_stack(|| work(&cancelled)))
        .await
        .map_err(|_| super::internal(what))
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

fn is_file_uri(uri: &Uri) -> bool {
    uri.scheme().as_str().eq_ignore_ascii_case("file")
}

/// The local path of a `file:` URI; any other scheme names no file here.
fn path_of(uri: &Uri) -> std::result::Result<PathBuf, String> {
    let scheme = uri.scheme().as_str();
    if scheme.eq_ignore_ascii_case("untitled") {
        return Err(format!(
            "{} is not saved: save it to a file in the workspace first, then build it",
            uri.as_str()
        ));
    }
    if !is_file_uri(uri) {
        return Err(format!(
            "{} is a `{scheme}:` document; only files (`file:` URIs) are built",
            uri.as_str()
        ));
    }
    let host = uri.authority().map(|a| a.host()).unwrap_or_default();
    if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
        return Err(format!("{} names a file on another machine", uri.as_str()));
    }
    match uri.to_file_path() {
        Some(p) if p.is_absolute() => Ok(p.into_owned()),
        _ => Err(format!("{} names no local file", uri.as_str())),
    }
}

/// The workspace, as the client declared it: where `pyasm.build` may write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Workspace {
    /// The client named no folder at all (no `workspaceFolders`, `rootUri`
    /// or `rootPath`): an editor opened on single files. Each document's own
    /// folder is then its workspace, so a build writes beside the document
    /// or below it, never above.
    #[default]
    None,
    /// The folders the client named, as it named them, existing or not.
    /// Whether each exists is seen at the build itself; none existing, or
    /// none left after `didChangeWorkspaceFolders`, refuses every build.
    Folders(Vec<PathBuf>),
}

fn folder_paths(uris: &[Uri]) -> Vec<PathBuf> {
    uris.iter()
        .filter(|u| is_file_uri(u))
        .filter_map(|u| u.to_file_path().map(|p| p.into_owned()))
        .collect()
}

impl Workspace {
    /// The workspace an `initialize` request declares: its
    /// `workspaceFolders`, else its `rootUri`, else its `rootPath`.
    pub fn declared(
        folders: Option<&[Uri]>,
        root_uri: Option<&Uri>,
        root_path: Option<&str>,
    ) -> Workspace {
        match (folders, root_uri, root_path) {
            (Some(fs), _, _) if !fs.is_empty() => Workspace::Folders(folder_paths(fs)),
            (_, Some(u), _) => Workspace::Folders(folder_paths(std::slice::from_ref(u))),
            (_, _, Some(p)) => Workspace::Folders(vec![PathBuf::from(p)]),
            _ => Workspace::None,
        }
    }

    /// Applies a `didChangeWorkspaceFolders` event. Once a client has
    /// named a folder, the workspace is its folders, even when none is left.
    pub fn change(&mut self, added: &[Uri], removed: &[Uri]) {
        let removed = folder_paths(removed);
        let added = folder_paths(added);
        match self {
            Workspace::None if added.is_empty() => {}
            Workspace::None => *self = Workspace::Folders(added),
            Workspace::Folders(fs) => {
                fs.retain(|f| !removed.contains(f));
                for a in added {
                    if !fs.contains(&a) {
                        fs.push(a);
                    }
                }
            }
        }
    }

    /// The folders that exist now, resolved, for a document whose folder is
    /// `doc_dir` (resolved); `Err` when there is none.
    fn existing(&self, doc_dir: &Path) -> std::result::Result<Vec<PathBuf>, String> {
        let declared = match self {
            Workspace::None => return Ok(vec![doc_dir.to_path_buf()]),
            Workspace::Folders(fs) if fs.is_empty() => {
                return Err("the workspace has no local folder left".to_string())
            }
            Workspace::Folders(fs) => fs,
        };
        let roots: Vec<PathBuf> = declared
            .iter()
            .filter_map(|f| f.canonicalize().ok().filter(|p| p.is_dir()))
            .collect();
        if roots.is_empty() {
            let shown: Vec<String> = declared.iter().map(|f| f.display().to_string()).collect();
            return Err(format!("no workspace folder exists ({})", shown.join(", ")));
        }
        Ok(roots)
    }
}

/// What a build needs, taken from the server's state when the request
/// arrives; [`build`] then runs on its own.
pub struct BuildJob {
    path: PathBuf,
    /// The open document's text; `None`: read the file.
    text: Option<String>,
    output_dir: Option<PathBuf>,
    version: Version,
    options: crate::asm::Options,
    workspace: Workspace,
}

impl BuildJob {
    /// `Err`: why `uri` cannot be built at all (it is not a local file).
    pub fn new(
        uri: &Uri,
        doc: Option<&Document>,
        settings: &Settings,
        workspace: &Workspace,
    ) -> std::result::Result<BuildJob, String> {
        Ok(BuildJob {
            path: path_of(uri)?,
            text: doc.map(Document::text),
            output_dir: settings.output_dir.clone(),
            version: settings.default_version,
            options: settings.options(),
            workspace: workspace.clone(),
        })
    }
}

/// Builds the `.pyc` of a document (the open text if it was open, else the
/// file) beside it or into the configured folder. `Ok`: the path written.
/// `Err`: why nothing was written.
///
/// The document and the output folder are resolved through `..` and
/// symbolic links, and each must lie inside a workspace folder that exists
/// (see [`Workspace`]). The file is then read, and the `.pyc` written, from
/// that workspace folder's open descriptor, one component at a time,
/// following no link ([`fsutil::open_dir_beneath`]): a link or anything else
/// that replaced a folder on the way since the check makes the build fail
/// instead of going elsewhere.
pub fn build(job: BuildJob, cancelled: &AtomicBool) -> std::result::Result<PathBuf, String> {
    let path = &job.path;
    let plan = plan(path, job.output_dir.as_deref(), &job.workspace)?;
    let text = match job.text {
        Some(t) => t,
        None => read_document(&plan.doc_root, &plan.doc, cancelled)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    };
    // The document's path is the module's co_filename unless the file
    // says otherwise, as with `pyasm build`.
    let shown = path.display().to_string();
    let options = crate::TextOptions {
        path: Some(&shown),
        default_version: job.version,
        build: job.options,
    };
    let built = crate::assemble(&text, &options);
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
    if cancelled.load(Ordering::Relaxed) {
        return Err("cancelled".to_string());
    }
    let out = plan.out_dir.join(&plan.name);
    write_confined(&plan.out_root, &plan.out_dir, &plan.name, &pyc)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(out)
}

/// Where a build reads and writes, all resolved and checked.
struct Plan {
    /// The document, through a symbolic link if it is one.
    doc: PathBuf,
    /// The workspace folder that holds `doc`.
    doc_root: PathBuf,
    out_dir: PathBuf,
    /// The workspace folder that holds `out_dir`.
    out_root: PathBuf,
    /// The `.pyc`'s file name.
    name: PathBuf,
}

/// Where the `.pyc` of the document at `path` goes: beside it, or into
/// `output_dir` (relative to the document's folder, or absolute), if that
/// and the document lie inside the workspace; else why not.
fn plan(
    path: &Path,
    output_dir: Option<&Path>,
    workspace: &Workspace,
) -> std::result::Result<Plan, String> {
    let name = match path.file_name() {
        Some(n) if path.extension().is_none_or(|e| e != "pyc") => {
            Path::new(n).with_extension("pyc")
        }
        _ => return Err(format!("{} is not a .pyasm file name", path.display())),
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot build {}: its folder: {e}", path.display()))?;
    let doc = resolve(&dir.join(path.file_name().unwrap_or_default()));
    let roots = workspace
        .existing(&dir)
        .map_err(|why| format!("refusing to build {}: {why}", path.display()))?;
    let shown = || {
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The innermost workspace folder that holds `p`.
    let root_of = |p: &Path| {
        roots
            .iter()
            .filter(|r| p.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned()
    };
    let Some(doc_root) = root_of(&doc) else {
        return Err(format!(
            "refusing to build {}: it is outside the workspace ({})",
            doc.display(),
            shown()
        ));
    };
    let out_dir = match output_dir {
        Some(d) => resolve(&dir.join(d)),
        None => dir,
    };
    let Some(out_root) = root_of(&out_dir) else {
        return Err(format!(
            "refusing to write into {}: the output folder is outside the workspace ({})",
            out_dir.display(),
            shown()
        ));
    };
    Ok(Plan {
        doc,
        doc_root,
        out_dir,
        out_root,
        name,
    })
}

/// `p` with symbolic links and `..` resolved: the longest leading part that
/// exists by the file system, the rest (which the build would make as
/// plain folders) by its components.
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

/// Opens the workspace folder `root` (resolved; a link put in its place
/// since is refused) and, below it, the folder `dir`, which lies inside it.
#[cfg(unix)]
fn open_below(root: &Path, dir: &Path, create: bool) -> std::io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    use std::os::fd::AsFd;
    let root_fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let rel = dir.strip_prefix(root).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "outside the workspace")
    })?;
    fsutil::open_dir_beneath(root_fd.as_fd(), rel, create)
}

/// Why a walk below a workspace folder failed, in words.
#[cfg(unix)]
fn walk_error(e: std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n)
            if n == rustix::io::Errno::LOOP.raw_os_error()
                || n == rustix::io::Errno::NOTDIR.raw_os_error() =>
        {
            "a symbolic link or a file is where a folder was (refused, nothing written)".into()
        }
        _ => e.to_string(),
    }
}

#[cfg(unix)]
fn read_document(
    root: &Path,
    doc: &Path,
    cancelled: &AtomicBool,
) -> std::result::Result<String, String> {
    use std::os::fd::AsFd;
    let (Some(dir), Some(name)) = (doc.parent(), doc.file_name()) else {
        return Err("not a file".into());
    };
    let dir = open_below(root, dir, false).map_err(walk_error)?;
    let mut file = fsutil::open_regular(dir.as_fd(), Path::new(name), false, MAX_PYASM)
        .map_err(|e| e.to_string())?;
    let mut data = Vec::new();
    fsutil::read_rest(&mut file, &mut data, MAX_PYASM, cancelled).map_err(|e| e.to_string())?;
    String::from_utf8(data).map_err(|e| {
        format!(
            "it is not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

#[cfg(unix)]
fn write_confined(
    root: &Path,
    dir: &Path,
    name: &Path,
    data: &[u8],
) -> std::result::Result<(), String> {
    use std::os::fd::AsFd;
    let dir = open_below(root, dir, true).map_err(walk_error)?;
    fsutil::write_atomic_at(dir.as_fd(), name.as_os_str(), data).map_err(|e| e.to_string())
}

#[cfg(not(unix))]
fn read_document(_: &Path, _: &Path, _: &AtomicBool) -> std::result::Result<String, String> {
    Err("the language server builds files only on Unix systems".into())
}

#[cfg(not(unix))]
fn write_confined(_: &Path, _: &Path, _: &Path, _: &[u8]) -> std::result::Result<(), String> {
    Err("the language server builds files only on Unix systems".into())
}

/// The `.pyc` a `pyasm.disassemble` request names, as a path or a `file:`
/// URI.
pub fn disassemble_argument(arg: Option<LSPAny>) -> Result<PathBuf> {
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
    if s.starts_with("file:") {
        let uri = Uri::from_str(&s).map_err(|_| bad(format!("not a URI: {s}")))?;
        path_of(&uri).map_err(bad)
    } else {
        Ok(PathBuf::from(&s))
    }
}

/// The `.pyasm` text of the `.pyc` at `path`. `Err` names the file and a
/// reason, never any of its bytes: the path may be anything a client names.
pub fn disassemble(path: &Path, cancelled: &AtomicBool) -> std::result::Result<String, String> {
    let data = read_pyc(path, cancelled)
        .map_err(|why| format!("cannot read {}: {why}", path.display()))?;
    crate::disassemble_pyc(&data).map(|d| d.text).map_err(|e| {
        format!(
            "cannot disassemble {}: {}",
            path.display(),
            e.without_contents()
        )
    })
}

/// The bytes of a `.pyc`.
#[cfg(unix)]
fn read_pyc(path: &Path, cancelled: &AtomicBool) -> std::result::Result<Vec<u8>, String> {
    let mut file =
        fsutil::open_regular(rustix::fs::CWD, path, true, MAX_PYC).map_err(|e| e.to_string())?;
    read_opened_pyc(&mut file, cancelled)
}

/// The bytes of an open `.pyc`, its header checked before the rest is read.
fn read_opened_pyc(
    file: &mut std::fs::File,
    cancelled: &AtomicBool,
) -> std::result::Result<Vec<u8>, String> {
    let mut data = fsutil::read_head(file, HEADER_LEN).map_err(|e| e.to_string())?;
    PycHeader::parse(&data).map_err(|e| e.without_contents())?;
    fsutil::read_rest(file, &mut data, MAX_PYC, cancelled).map_err(|e: ReadError| e.to_string())?;
    Ok(data)
}

#[cfg(not(unix))]
fn read_pyc(_: &Path, _: &AtomicBool) -> std::result::Result<Vec<u8>, String> {
    Err("the language server reads files only on Unix systems".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        Uri::from_str(s).unwrap()
    }

    #[test]
    fn a_declared_workspace_stays_declared_when_its_folders_go() {
        let mut ws = Workspace::declared(Some(&[uri("file:///w")]), None, None);
        assert_eq!(ws, Workspace::Folders(vec![PathBuf::from("/w")]));
        ws.change(&[], &[uri("file:///w")]);
        assert_eq!(ws, Workspace::Folders(vec![]));
        assert!(ws.existing(Path::new("/")).is_err());
    }

    #[test]
    fn no_workspace_becomes_one_when_a_folder_is_added() {
        let mut ws = Workspace::declared(None, None, None);
        assert_eq!(ws, Workspace::None);
        ws.change(&[], &[uri("file:///w")]);
        assert_eq!(ws, Workspace::None);
        ws.change(&[uri("file:///w")], &[]);
        assert_eq!(ws, Workspace::Folders(vec![PathBuf::from("/w")]));
    }

    #[test]
    fn a_pyc_header_is_checked_before_the_rest_is_read() {
        use std::io::{Seek, Write};
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"this is no .pyc header").unwrap();
        f.write_all(&vec![0u8; 1 << 20]).unwrap();
        f.rewind().unwrap();
        let e = read_opened_pyc(&mut f, &AtomicBool::new(false)).unwrap_err();
        assert!(e.contains("magic number"), "{e}");
        assert_eq!(f.stream_position().unwrap(), HEADER_LEN as u64);
    }

    #[test]
    fn only_file_uris_are_built() {
        for (u, says) in [
            ("untitled:Untitled-1", "save it"),
            ("git:/w/a.pyasm?ref=HEAD", "`git:`"),
            ("http://example.com/a.pyasm", "`http:`"),
            ("file://server/w/a.pyasm", "another machine"),
        ] {
            let e = path_of(&uri(u)).unwrap_err();
            assert!(e.contains(says), "{u}: {e}");
        }
        for u in ["file:///w/a.pyasm", "file://localhost/w/a.pyasm"] {
            assert_eq!(path_of(&uri(u)).unwrap(), PathBuf::from("/w/a.pyasm"));
        }
    }
}
