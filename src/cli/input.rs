//! What the commands that compare, normalize or convert read as a module:
//! a `.pyc`, a `.pyasm` or a `.json` file, told apart by the extension. The
//! one place a new input format is added.

use crate::code::Code;
use crate::model::Module;
use crate::versions::Version;
use std::io::IsTerminal;
use std::path::Path;

/// The kinds of file a module is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Pyc,
    Pyasm,
    Json,
}

impl Kind {
    /// The kind `path`'s extension names; an error for any other file.
    pub fn of(path: &Path) -> Result<Kind, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("pyc") => Ok(Kind::Pyc),
            Some("pyasm") => Ok(Kind::Pyasm),
            Some("json") => Ok(Kind::Json),
            _ => Err(format!(
                "{}: not a module: expected a .pyc, .pyasm or .json file",
                path.display()
            )),
        }
    }

    /// The extension of files of this kind.
    pub fn ext(self) -> &'static str {
        match self {
            Kind::Pyc => "pyc",
            Kind::Pyasm => "pyasm",
            Kind::Json => "json",
        }
    }
}

/// The module's code object and version, built as `pyasm build` builds
/// it. An error is the message to print: for a `.pyasm` or `.json` with
/// errors, its diagnostics rendered as `pyasm check` renders them.
pub fn read_module(path: &Path) -> Result<(Version, Code), String> {
    let shown = path.display().to_string();
    let options = crate::TextOptions {
        path: Some(&shown),
        ..Default::default()
    };
    match Kind::of(path)? {
        Kind::Pyc => {
            let data = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
            crate::with_work_stack(|| crate::pyc::read_pyc(&data))
                .map(|(header, code)| (header.version, code))
                .map_err(|e| format!("{shown}: {e}"))
        }
        Kind::Pyasm => {
            let text = super::read_text(path)?;
            let built = crate::assemble(&text, &options);
            match built.code {
                Some(code) => Ok((built.version, code)),
                None => Err(rendered(&shown, &text, &built.diags)),
            }
        }
        Kind::Json => {
            let text = super::read_text(path)?;
            let (built, pointers) = crate::json::assemble(&text, &options);
            match built.code {
                Some(code) => Ok((built.version, code)),
                None => Err(rendered_json(&pointers, &shown, &text, &built.diags)),
            }
        }
    }
}

/// The module as the file writes it, nothing built: a `.pyc`
/// disassembled, a `.pyasm` lowered, a `.json` read. What `pyasm dis`
/// prints in the other format, so that one form converts to the other
/// exactly. A file of any other name is read as a `.pyc`, as `pyasm dis`
/// always has. An error is the message to print, as for [`read_module`].
pub fn read_model(path: &Path) -> Result<Module, String> {
    let shown = path.display().to_string();
    match Kind::of(path).unwrap_or(Kind::Pyc) {
        Kind::Pyc => {
            let data = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
            crate::disassemble_module(&data).map_err(|e| format!("{shown}: {e}"))
        }
        Kind::Pyasm => {
            let text = super::read_text(path)?;
            let lowered = crate::with_work_stack(|| {
                let tree = crate::syntax::parse(&text, None);
                let default = crate::TextOptions::default().default_version;
                crate::syntax::lower::lower(&text, &tree, default)
            });
            if lowered.diags.iter().any(|d| d.is_error()) {
                return Err(rendered(&shown, &text, &lowered.diags));
            }
            Ok(lowered.module)
        }
        Kind::Json => {
            let text = super::read_text(path)?;
            let (module, pointers, diags) = crate::json::from_json(&text)
                .map_err(|refused| rendered_json(&refused.0, &shown, &text, &[refused.1]))?;
            if diags.iter().any(|d| d.is_error()) {
                return Err(rendered_json(&pointers, &shown, &text, &diags));
            }
            Ok(module)
        }
    }
}

/// `diags` of a JSON document, as [`rendered`] gives a text's.
fn rendered_json(
    pointers: &crate::json::Pointers,
    shown: &str,
    text: &str,
    diags: &[crate::diag::Diag],
) -> String {
    pointers.render(shown, text, diags).trim_end().to_string()
}

/// `diags` of a `.pyasm` text as `pyasm check` renders them, for an error
/// message.
fn rendered(shown: &str, text: &str, diags: &[crate::diag::Diag]) -> String {
    let color = std::io::stderr().is_terminal();
    crate::diag::render(shown, text, diags, color)
        .trim_end()
        .to_string()
}
