//! What the commands that compare or normalize read as a module: a `.pyc`,
//! a `.pyasm` or a `.json` file, told apart by the extension. The one place a new
//! input format is added.

use crate::code::Code;
use crate::versions::Version;
use std::io::IsTerminal;
use std::path::Path;

/// The module's code object and version. An error is the message to print:
/// for a `.pyasm` with errors, its diagnostics rendered as `pyasm check`
/// renders them.
pub fn read_module(path: &Path) -> Result<(Version, Code), String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("pyc") => {
            let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            crate::with_work_stack(|| crate::pyc::read_pyc(&data))
                .map(|(header, code)| (header.version, code))
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        Some("pyasm") => {
            let text = super::read_text(path)?;
            let shown = path.display().to_string();
            let options = crate::TextOptions {
                path: Some(&shown),
                ..Default::default()
            };
            let built = crate::assemble(&text, &options);
            match built.code {
                Some(code) => Ok((built.version, code)),
                None => {
                    let color = std::io::stderr().is_terminal();
                    Err(crate::diag::render(&shown, &text, &built.diags, color)
                        .trim_end()
                        .to_string())
                }
            }
        }
        Some("json") => {
            let text = super::read_text(path)?;
            let shown = path.display().to_string();
            let options = crate::TextOptions {
                path: Some(&shown),
                ..Default::default()
            };
            let (built, pointers) =
                crate::json::assemble(&text, &options).map_err(|e| format!("{shown}: {e}"))?;
            match built.code {
                Some(code) => Ok((built.version, code)),
                None => Err(pointers.render(&shown, &built.diags).trim_end().to_string()),
            }
        }
        _ => Err(format!(
            "{}: not a module: expected a .pyc, .pyasm or .json file",
            path.display()
        )),
    }
}
