//! Opt-in timing of the phases of an update, for profiling: with the
//! environment variable `PYASM_LSP_TIMING` set, the language server prints
//! one line per published version to stderr (see `bench/run.sh --phases`).
//! Without it every call here is a check of a cached flag.
//!
//! Phases accumulate per thread until [`take`]; the server runs on one.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

thread_local! {
    static PHASES: RefCell<Vec<(&'static str, Duration)>> = const { RefCell::new(Vec::new()) };
    static BEGUN: RefCell<Option<Instant>> = const { RefCell::new(None) };
}

/// Whether timing is on (`PYASM_LSP_TIMING` is set).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PYASM_LSP_TIMING").is_some())
}

/// Starts a measurement: forgets the phases recorded so far and notes the
/// time, from which [`take`] counts `total`.
pub fn begin() {
    if enabled() {
        PHASES.with(|p| p.borrow_mut().clear());
        BEGUN.with(|b| *b.borrow_mut() = Some(Instant::now()));
    }
}

/// Runs `f`, adding the time it took to `phase` when timing is on.
pub fn time<T>(phase: &'static str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let r = f();
    add(phase, t.elapsed());
    r
}

/// Adds `d` to `phase`.
pub fn add(phase: &'static str, d: Duration) {
    PHASES.with(|p| {
        let mut p = p.borrow_mut();
        match p.iter_mut().find(|(n, _)| *n == phase) {
            Some((_, t)) => *t += d,
            None => p.push((phase, d)),
        }
    });
}

/// The phases recorded since [`begin`], in order of first record, then
/// `total`, the time since [`begin`].
pub fn take() -> Vec<(&'static str, Duration)> {
    let mut phases = PHASES.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if let Some(t) = BEGUN.with(|b| b.borrow_mut().take()) {
        phases.push(("total", t.elapsed()));
    }
    phases
}

/// The phases as one line: `name=MICROSECONDS` pairs.
pub fn line(phases: &[(&'static str, Duration)]) -> String {
    phases
        .iter()
        .map(|(n, d)| format!("{n}={}", d.as_micros()))
        .collect::<Vec<_>>()
        .join(" ")
}
