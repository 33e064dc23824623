//! The server's settings, from `initializationOptions` and the `pyasm`
//! section of the workspace configuration (both the same shape):
//!
//! ```json
//! { "defaultVersion": "3.12", "outputDir": "build", "inlayHints": true,
//!   "maxDiagnostics": 1000,
//!   "severities": { "unknown-global": "off", "unreachable": "hint" } }
//! ```
//!
//! Keys left out keep their value; unknown keys and bad values are ignored.

use crate::asm::Options;
use crate::versions::Version;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use tower_lsp_server::ls_types::DiagnosticSeverity;

#[derive(Clone, Debug)]
pub struct Settings {
    /// The version of files without a `.python` line.
    pub default_version: Version,
    /// Where `pyasm.build` writes; relative to the document's folder.
    /// `None`: beside the document.
    pub output_dir: Option<PathBuf>,
    /// Stack depths as inlay hints.
    pub inlay_hints: bool,
    /// Per diagnostic code: its severity, or `None` to hide it.
    pub severities: HashMap<String, Option<DiagnosticSeverity>>,
    /// The most diagnostics published for one document (the first ones in
    /// the text); `None`: no limit.
    pub max_diagnostics: Option<usize>,
}

/// What `pyasm.maxDiagnostics` is unless set: far more than anyone reads,
/// far less than the hundreds of thousands a broken file can have.
pub const MAX_DIAGNOSTICS: usize = 1000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_version: Version::V3_11,
            output_dir: None,
            inlay_hints: true,
            severities: HashMap::new(),
            max_diagnostics: Some(MAX_DIAGNOSTICS),
        }
    }
}

fn key<'v>(v: &'v Value, names: &[&str]) -> Option<&'v Value> {
    names.iter().find_map(|n| v.get(*n))
}

impl Settings {
    /// These settings with those given in `v` (a `pyasm` object, or one
    /// that holds it under `pyasm`) laid over them.
    pub fn merged(&self, v: &Value) -> Settings {
        let v = v.get("pyasm").unwrap_or(v);
        let mut s = self.clone();
        if let Some(ver) = key(v, &["defaultVersion", "default_version"])
            .and_then(Value::as_str)
            .and_then(Version::parse)
        {
            s.default_version = ver;
        }
        match key(v, &["outputDir", "output_dir"]) {
            Some(Value::String(d)) if !d.is_empty() => s.output_dir = Some(PathBuf::from(d)),
            Some(Value::String(_)) | Some(Value::Null) => s.output_dir = None,
            _ => {}
        }
        if let Some(b) = key(v, &["inlayHints", "inlay_hints"]).and_then(Value::as_bool) {
            s.inlay_hints = b;
        }
        if let Some(n) = key(v, &["maxDiagnostics", "max_diagnostics"]).and_then(Value::as_u64) {
            // 0: no limit.
            s.max_diagnostics = (n > 0).then(|| usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(map) = key(v, &["severities", "severity"]).and_then(Value::as_object) {
            for (code, level) in map {
                let sev = match level.as_str() {
                    Some("error") => Some(DiagnosticSeverity::ERROR),
                    Some("warning") => Some(DiagnosticSeverity::WARNING),
                    Some("information" | "info") => Some(DiagnosticSeverity::INFORMATION),
                    Some("hint") => Some(DiagnosticSeverity::HINT),
                    Some("off" | "none") => None,
                    _ => continue,
                };
                s.severities.insert(code.clone(), sev);
            }
        }
        s
    }

    /// The severity to show a diagnostic with; `None` hides it.
    pub fn severity(&self, code: &str, default: DiagnosticSeverity) -> Option<DiagnosticSeverity> {
        match self.severities.get(code) {
            Some(s) => *s,
            None => Some(default),
        }
    }

    pub fn options(&self) -> Options {
        Options::default()
    }
}
