//! `pyasm lsp`: the language server, over stdio: tower-lsp-server's
//! `LspService` behind a message loop of our own ([`transport`]).
//!
//! Only this module knows LSP types and JSON-RPC. Documents live in
//! [`document`]; each feature has its own file and reads a document and its
//! [`crate::ide::FileAnalysis`], never the text directly.
//!
//! Ordering: the transport polls each message's handler once as soon as
//! the message is read, before it reads the next, and handlers may still
//! be pending (waiting for the client) while later ones run. So every
//! handler does its work on the documents (a change applied, reparsed and
//! analysed; a request's answer computed) synchronously, before its first
//! `.await`: a request is then answered against the text as it stood when
//! it arrived, and changes apply in order. Diagnostics are published under
//! a lock that is taken after the analysis, and only if the document is
//! still at the version they were computed for: a stale result is never
//! published, nor is one equal to what was last published for the
//! document. Requests to the client time out (`CLIENT_ANSWER_TIMEOUT`).
//!
//! Nothing may print to stdout: it is the protocol channel.

pub mod actions;
pub mod clamp;
pub mod commands;
pub mod document;
pub mod features;
pub mod opdocs;
#[cfg(feature = "test-support")]
pub mod selfcheck;
pub mod settings;
pub mod transport;

use crate::diag::{Diag, Severity};
use crate::ide::timing;
use document::{Document, Encoding};
use settings::Settings;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService};

pub const BUILD_COMMAND: &str = "pyasm.build";
pub const DISASSEMBLE_COMMAND: &str = "pyasm.disassemble";

/// How long the server waits for the client to answer one of its requests
/// (`workspace/configuration`, `workspace/inlayHint/refresh`): a client
/// that never answers (after a crash of the editor) must not keep the
/// handler, and what it holds, alive.
const CLIENT_ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

struct State {
    docs: HashMap<Uri, Document>,
    settings: Settings,
    encoding: Encoding,
    /// The client answers `workspace/configuration`.
    pull_config: bool,
    /// The client accepts `workspace/inlayHint/refresh`.
    refresh_inlay_hints: bool,
    /// The workspace as the client declared it: `pyasm.build` writes
    /// nowhere else.
    roots: commands::Workspace,
    /// Per open document, the diagnostics last published for it: a result
    /// equal to them is not sent again. Written only under
    /// [`Backend::publishing`].
    published: HashMap<Uri, Vec<Diagnostic>>,
}

pub struct Backend {
    client: Client,
    state: Mutex<State>,
    /// Held while publishing, so results go out in the order of the
    /// versions they belong to.
    publishing: tokio::sync::Mutex<()>,
}

/// What the process running the server does about the memory documents'
/// analyses free: the `pyasm` executable passes its allocator's tuning
/// (see `src/process.rs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Gives back what was freed: runs after a document has been analysed
    /// whole (open, or a whole new text), and [`IDLE_RELEASE`] after the
    /// last edit.
    pub release_freed: Option<fn()>,
    /// Runs with `true` before a document is updated after an edit, and
    /// with `false` after: what the update frees may be kept for the next
    /// update to use again, rather than given back and taken again.
    pub keep_freed: Option<fn(bool)>,
}

/// How long after the last edit what the updates kept
/// ([`Memory::keep_freed`]) is given back: longer than a pause between
/// keystrokes.
pub const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs the server on stdin and stdout until the client says exit (or the
/// input ends), then ends the process with the status the protocol asks
/// for: 0 after `shutdown`, 1 otherwise. Returns only if it cannot start.
/// `memory` is what the process does about the memory documents' analyses
/// free (the library does nothing of the kind on its own).
pub fn run(
    options: transport::Options,
    memory: Memory,
) -> std::io::Result<std::convert::Infallible> {
    // The first caller's hooks stand: the server runs once a process.
    let _ = document::MEMORY.set(memory);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let status = rt.block_on(async {
        let mut logger = None;
        let (service, socket) = LspService::new(|client| Backend {
            client: logger.insert(client).clone(),
            state: Mutex::new(State {
                docs: HashMap::new(),
                settings: Settings::default(),
                encoding: Encoding::Utf16,
                pull_config: false,
                refresh_inlay_hints: false,
                roots: commands::Workspace::None,
                published: HashMap::new(),
            }),
            publishing: tokio::sync::Mutex::new(()),
        });
        let service = clamp::ClampPositions {
            inner: service,
            client: logger.expect("LspService::new makes the backend at once"),
        };
        transport::serve(service, socket, options).await
    });
    // Not returning: dropping the runtime would wait for work that
    // `exit` abandons.
    std::process::exit(status)
}

/// The LSP form of a diagnostic, with the severity the settings give its
/// code (`None`: switched off).
pub fn to_lsp(doc: &Document, uri: &Uri, d: &Diag, settings: &Settings) -> Option<Diagnostic> {
    let default = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    };
    let severity = settings.severity(d.code, default)?;
    let related: Vec<DiagnosticRelatedInformation> = d
        .notes
        .iter()
        .map(|(s, m)| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), doc.range(s)),
            message: m.clone(),
        })
        .collect();
    let message = d.message_with_help();
    Some(Diagnostic {
        range: doc.range(&d.span),
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("pyasm".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    })
}

/// The document's LSP diagnostics that the settings show, in text order:
/// at most `max_diagnostics`, the first; when some were left out, an
/// information diagnostic at the first of those says how many. Only the
/// ones kept are converted.
pub fn capped(doc: &Document, uri: &Uri, settings: &Settings) -> Vec<Diagnostic> {
    let max = settings.max_diagnostics.unwrap_or(usize::MAX);
    let shown = |d: &Diag| {
        settings
            .severity(d.code, DiagnosticSeverity::ERROR)
            .is_some()
    };
    let (ds, left_out, first_left_out) = doc.analysis.first_diagnostics(max, &shown);
    let mut out: Vec<Diagnostic> = ds
        .iter()
        .filter_map(|d| to_lsp(doc, uri, d, settings))
        .collect();
    if let Some(d) = first_left_out {
        out.push(Diagnostic {
            range: doc.range(&d.span),
            severity: Some(DiagnosticSeverity::INFORMATION),
            code: Some(NumberOrString::String("too-many-diagnostics".into())),
            source: Some("pyasm".into()),
            message: format!(
                "{left_out} more diagnostic{} from here on not shown \
                 (pyasm.maxDiagnostics is {max})",
                if left_out == 1 { "" } else { "s" }
            ),
            ..Diagnostic::default()
        });
    }
    out
}

fn internal(what: &str) -> Error {
    let mut e = Error::internal_error();
    e.message = format!("pyasm: internal error in {what}").into();
    e
}

impl Backend {
    /// Runs `f` on a document; a panic inside becomes an internal error
    /// and the server keeps serving.
    fn with_doc<T>(
        &self,
        uri: &Uri,
        what: &str,
        f: impl FnOnce(&Document, &Settings) -> T,
    ) -> Result<Option<T>> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(doc) = state.docs.get(uri) else {
            return Ok(None);
        };
        catch_unwind(AssertUnwindSafe(|| f(doc, &state.settings)))
            .map(Some)
            .map_err(|_| internal(what))
    }

    /// Diagnostics for a document's current version: the first
    /// `maxDiagnostics` in the text, and when more were left out, one more
    /// (information, at the first one left out) that says how many.
    fn diagnostics(&self, uri: &Uri) -> Option<(Vec<Diagnostic>, i32)> {
        self.with_doc(uri, "diagnostics", |doc, settings| {
            let ds = timing::time("diagnostics", || capped(doc, uri, settings));
            (ds, doc.version)
        })
        .ok()
        .flatten()
    }

    async fn publish(&self, uri: Uri, computed: Option<(Vec<Diagnostic>, i32)>) {
        let Some((diags, version)) = computed else {
            return;
        };
        let _turn = self.publishing.lock().await;
        // Under the publishing lock: no other result for this document is
        // checked or sent until this one is, so the version checked here is
        // still the newest one anybody publishes, and `published` is what
        // the client holds.
        let fresh = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let current = state.docs.get(&uri).map(|d| d.version);
            let unchanged = state.published.get(&uri) == Some(&diags);
            if current == Some(version) && !unchanged {
                state.published.insert(uri.clone(), diags.clone());
                true
            } else {
                false
            }
        };
        if fresh {
            if timing::enabled() {
                self.publish_timed(uri, diags, version).await;
            } else {
                self.client
                    .publish_diagnostics(uri, diags, Some(version))
                    .await;
            }
        }
    }

    /// `publish`'s last step with timing on: also measures the JSON
    /// serialisation of the notification (done again by the transport) and
    /// prints the phases of this version to stderr.
    async fn publish_timed(&self, uri: Uri, diags: Vec<Diagnostic>, version: i32) {
        let params = PublishDiagnosticsParams::new(uri, diags, Some(version));
        timing::time("json", || serde_json::to_vec(&params).map(|v| v.len()).ok());
        let PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        } = params;
        let t = std::time::Instant::now();
        self.client
            .publish_diagnostics(uri, diagnostics, version)
            .await;
        timing::add("publish", t.elapsed());
        eprintln!(
            "pyasm-timing version={} {}",
            version.unwrap_or(0),
            timing::line(&timing::take())
        );
    }

    /// Applies new settings; every document is analysed again.
    fn configure(&self, settings: Settings) -> Vec<Uri> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (version, opts) = (settings.default_version, settings.options());
        state.settings = settings;
        let mut uris = Vec::new();
        for (uri, doc) in state.docs.iter_mut() {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                doc.analysis.configure(version, opts);
                doc.analysis
                    .update(&doc.tree, &document::RopeSource(&doc.rope));
            }));
            uris.push(uri.clone());
        }
        uris
    }

    async fn pull_configuration(&self) {
        // Only a client that declares it answers the request.
        let supported = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.pull_config
        };
        if !supported {
            return;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("pyasm".into()),
        }];
        let answer = tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, self.client.configuration(items));
        if let Ok(Ok(values)) = answer.await {
            if let Some(v) = values.into_iter().next() {
                if !v.is_null() {
                    let merged = {
                        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                        state.settings.merged(&v)
                    };
                    self.reconfigure(merged).await;
                }
            }
        }
    }

    async fn reconfigure(&self, settings: Settings) {
        for uri in self.configure(settings) {
            let d = self.diagnostics(&uri);
            self.publish(uri, d).await;
        }
        let refresh = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.refresh_inlay_hints
        };
        if refresh {
            let refreshed = self.client.inlay_hint_refresh();
            let _ = tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, refreshed).await;
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
        let encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let workspace = params.capabilities.workspace.as_ref();
        let pull_config = workspace.and_then(|w| w.configuration) == Some(true);
        let refresh_inlay_hints = workspace
            .and_then(|w| w.inlay_hint.as_ref())
            .and_then(|i| i.refresh_support)
            == Some(true);
        let folders: Option<Vec<Uri>> = params
            .workspace_folders
            .as_ref()
            .map(|fs| fs.iter().map(|f| f.uri.clone()).collect());
        #[allow(deprecated)] // rootUri and rootPath, for clients without folders
        let roots = commands::Workspace::declared(
            folders.as_deref(),
            params.root_uri.as_ref(),
            params.root_path.as_deref(),
        );
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.roots = roots;
            state.encoding = encoding;
            state.pull_config = pull_config;
            state.refresh_inlay_hints = refresh_inlay_hints;
            if let Some(opts) = &params.initialization_options {
                state.settings = state.settings.merged(opts);
            }
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "pyasm".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: features::capabilities(encoding),
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.pull_configuration().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        timing::begin();
        let td = params.text_document;
        let computed = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let (enc, v, opts) = (
                state.encoding,
                state.settings.default_version,
                state.settings.options(),
            );
            let doc = catch_unwind(AssertUnwindSafe(|| {
                timing::time("open", || Document::new(&td.text, td.version, enc, v, opts))
            }));
            // A document opened (again) gets its diagnostics, even none.
            state.published.remove(&td.uri);
            match doc {
                Ok(doc) => {
                    state.docs.insert(td.uri.clone(), doc);
                }
                Err(_) => {
                    state.docs.remove(&td.uri);
                }
            }
            drop(state);
            self.diagnostics(&td.uri)
        };
        self.publish(td.uri, computed).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        timing::begin();
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let clamped = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let (enc, v, opts) = (
                state.encoding,
                state.settings.default_version,
                state.settings.options(),
            );
            let Some(doc) = state.docs.get_mut(&uri) else {
                return;
            };
            let applied = catch_unwind(AssertUnwindSafe(|| {
                doc.apply(&params.content_changes, version)
            }));
            let ok = applied.is_ok();
            if !ok {
                // Start again from the text, whatever state the failed
                // update left behind.
                let text = doc.text();
                match catch_unwind(AssertUnwindSafe(|| {
                    Document::new(&text, version, enc, v, opts)
                })) {
                    Ok(fresh) => *doc = fresh,
                    Err(_) => {
                        state.docs.remove(&uri);
                    }
                }
            }
            applied.unwrap_or_default()
        };
        document::release_when_idle();
        let computed = self.diagnostics(&uri);
        self.publish(uri.clone(), computed).await;
        for note in clamped {
            let message = format!("pyasm: {}: {note}", uri.as_str());
            self.client.log_message(MessageType::WARNING, message).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.docs.remove(&uri);
            state.published.remove(&uri);
        }
        let _turn = self.publishing.lock().await;
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let uris =
            |fs: &[WorkspaceFolder]| -> Vec<Uri> { fs.iter().map(|f| f.uri.clone()).collect() };
        let (added, removed) = (uris(&params.event.added), uris(&params.event.removed));
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.roots.change(&added, &removed);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let section = params
            .settings
            .get("pyasm")
            .cloned()
            .unwrap_or(params.settings);
        if section.is_object() && section.as_object().is_some_and(|o| !o.is_empty()) {
            let merged = {
                let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.settings.merged(&section)
            };
            self.reconfigure(merged).await;
        } else {
            self.pull_configuration().await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        Ok(self
            .with_doc(&p.text_document.uri, "hover", |doc, _| {
                features::hover(doc, p.position)
            })?
            .flatten())
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let uri = p.text_document.uri.clone();
        Ok(self
            .with_doc(&uri, "definition", |doc, _| {
                features::definition(doc, p.position)
                    .map(|r| GotoDefinitionResponse::Scalar(Location::new(uri.clone(), r)))
            })?
            .flatten())
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri.clone();
        let include = params.context.include_declaration;
        Ok(self
            .with_doc(&uri, "references", |doc, _| {
                features::references(doc, p.position, include).map(|rs| {
                    rs.into_iter()
                        .map(|r| Location::new(uri.clone(), r))
                        .collect()
                })
            })?
            .flatten())
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        Ok(self
            .with_doc(&params.text_document.uri, "rename", |doc, _| {
                features::prepare_rename(doc, params.position).map(PrepareRenameResponse::Range)
            })?
            .flatten())
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri.clone();
        let r = self.with_doc(&uri, "rename", |doc, _| {
            features::rename(doc, p.position, &params.new_name)
        })?;
        match r {
            Some(Ok(Some(edits))) => Ok(Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri, edits)])),
                ..WorkspaceEdit::default()
            })),
            Some(Err(msg)) => Err(Error::invalid_params(msg)),
            _ => Ok(None),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        Ok(self
            .with_doc(&p.text_document.uri, "completion", |doc, _| {
                features::completion(doc, p.position).map(CompletionResponse::Array)
            })?
            .flatten())
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with_doc(&params.text_document.uri, "outline", |doc, _| {
            DocumentSymbolResponse::Nested(features::outline(doc))
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.with_doc(&params.text_document.uri, "folding", |doc, _| {
            features::folding(doc)
        })
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with_doc(&params.text_document.uri, "semantic tokens", |doc, _| {
            SemanticTokensResult::Tokens(features::semantic_tokens_full(doc))
        })
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        self.with_doc(&params.text_document.uri, "semantic tokens", |doc, _| {
            features::semantic_tokens_delta(doc, &params.previous_result_id)
        })
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        self.with_doc(&params.text_document.uri, "semantic tokens", |doc, _| {
            SemanticTokensRangeResult::Tokens(features::semantic_tokens_range(doc, params.range))
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.with_doc(&params.text_document.uri, "inlay hints", |doc, settings| {
            if settings.inlay_hints {
                features::inlay_hints(doc, params.range)
            } else {
                Vec::new()
            }
        })
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        Ok(self
            .with_doc(&params.text_document.uri, "formatting", |doc, _| {
                features::format(doc)
            })?
            .flatten())
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        Ok(self
            .with_doc(&uri, "code actions", |doc, _| {
                actions::code_actions(doc, &uri, &params)
            })?
            .filter(|v| !v.is_empty()))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let arg = params.arguments.first().cloned();
        match params.command.as_str() {
            BUILD_COMMAND => {
                let uri = commands::uri_argument(arg)?;
                // What to build is taken now, as the request arrives; the
                // reading, assembling and writing run off the message loop.
                let job = {
                    let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                    commands::BuildJob::new(
                        &uri,
                        state.docs.get(&uri),
                        &state.settings,
                        &state.roots,
                    )
                };
                let outcome = match job {
                    Ok(job) => {
                        commands::off_loop("pyasm.build", move |cancelled| {
                            commands::build(job, cancelled)
                        })
                        .await?
                    }
                    Err(msg) => Err(msg),
                };
                let (typ, text) = match &outcome {
                    Ok(path) => (
                        MessageType::INFO,
                        format!("pyasm: built {}", path.display()),
                    ),
                    Err(msg) => (MessageType::ERROR, format!("pyasm: not built: {msg}")),
                };
                self.client.show_message(typ, text).await;
                match outcome {
                    Ok(path) => Ok(Some(serde_json::json!({
                        "path": path.display().to_string(),
                    }))),
                    Err(msg) => {
                        let mut e = Error::invalid_request();
                        e.message = msg.into();
                        Err(e)
                    }
                }
            }
            DISASSEMBLE_COMMAND => {
                let path = commands::disassemble_argument(arg)?;
                let text = commands::off_loop("pyasm.disassemble", move |cancelled| {
                    commands::disassemble(&path, cancelled)
                })
                .await?
                .map_err(Error::invalid_params)?;
                Ok(Some(LSPAny::String(text)))
            }
            other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
        }
    }
}
