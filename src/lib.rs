//! pyasm: an assembler, disassembler and language server for CPython bytecode.
//!
//! The front door is [`api`]'s functions, re-exported here: disassemble,
//! assemble and check, each result naming its CPython version. The library
//! makes no process-wide decision (allocator, tree-sitter's allocator,
//! memory tuning, global thread pool): those are the `pyasm` executable's.
//! Features: `cli` (the command line), `lsp` (the language server), both by
//! default; `--no-default-features` is the library alone.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and the invariants.

pub mod analysis;
pub mod api;
pub mod asm;
#[cfg(feature = "cli")]
pub mod cli;
pub mod code;
pub mod diag;
pub mod dis;
pub mod fsutil;
pub mod ide;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod marshal;
pub mod model;
#[cfg(feature = "test-support")]
pub mod props;
pub mod pyc;
pub mod syntax;
pub mod versions;

pub use api::*;

/// The machine stack that pyasm's work runs on: the command line, each
/// thread of a directory run and the language server. Nothing recurses
/// without bound, but constants and code objects may nest as deep as
/// CPython's marshal allows (2000 levels), and the walks over them (clone,
/// compare, print, disassemble) recurse once per level, which takes a few
/// megabytes in a debug build: more than the 2 MiB of a default thread. Only
/// the pages used are ever committed.
pub const WORK_STACK: usize = 64 << 20;

thread_local! {
    /// Whether this thread's stack is a [`WORK_STACK`]: the thread
    /// [`with_work_stack`] makes, or one of a pool built with that stack.
    static ON_WORK_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the calling thread as one whose stack is [`WORK_STACK`] bytes, so
/// that [`with_work_stack`] runs work there rather than on a new thread (for
/// the threads of a pool built with that stack size).
pub fn on_work_stack() {
    ON_WORK_STACK.with(|w| w.set(true));
}

/// Runs `f` on a thread with a [`WORK_STACK`]-byte stack and returns what it
/// returns (a panic in `f` is resumed in the caller). On such a thread
/// already, `f` runs where it is.
pub fn with_work_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if ON_WORK_STACK.with(|w| w.get()) {
        return f();
    }
    let job = std::sync::Mutex::new(Some(f));
    let take = || job.lock().ok().and_then(|mut j| j.take());
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("pyasm".into())
            .stack_size(WORK_STACK)
            .spawn_scoped(s, || {
                on_work_stack();
                take().map(|f| f())
            });
        match worker.map(|h| h.join()) {
            Ok(Ok(Some(v))) => v,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // No thread to be had: run here, on whatever stack this is.
            Ok(Ok(None)) | Err(_) => match take() {
                Some(f) => f(),
                None => unreachable!("the job runs exactly once"),
            },
        }
    })
}
