//! pyasm: an assembler, disassembler and language server for CPython bytecode.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and the invariants.

pub mod analysis;
mod api;
pub mod asm;
pub mod cli;
pub mod code;
pub mod diag;
pub mod dis;
pub mod fsutil;
pub mod ide;
pub mod lsp;
pub mod marshal;
pub mod model;
pub mod props;
pub mod pyc;
pub mod syntax;
pub mod versions;

pub use api::*;

/// Every allocation goes to mimalloc: the many small, short-lived objects of
/// parsing, lowering and assembling cost glibc's allocator a fifth of the
/// run. (Tree-sitter's C runtime is pointed at it too; see `syntax`.)
///
/// Not under cargo-fuzz (`cfg(fuzzing)`): its sanitizers watch the system
/// allocator, and memory they do not see is memory they cannot check.
#[cfg(not(fuzzing))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's number for its purge delay option (`mi_option_purge_delay`;
/// libmimalloc-sys 0.1 builds mimalloc 3 by default); a unit test checks
/// its default.
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// For a process that stays up (the language server): memory freed goes
/// back to the system at once instead of after a second. The batch
/// commands keep mimalloc's default, which trades memory for speed. (On the
/// 100,000-line benchmark file the server holds 100 MiB after opening it
/// with this, 132 MiB without, and 87 MiB with glibc's allocator.)
pub fn keep_memory_low() {
    // SAFETY: setting an option is how mimalloc is meant to be configured;
    // the purge delay is read whenever memory is freed.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
    // mimalloc asks for transparent huge pages on its arenas, and a 2 MiB
    // page is resident as soon as one byte of it is touched. The kernel
    // honours this flag at every later fault, in mappings made before it
    // too. (mimalloc's own option is read when an arena is reserved, which
    // the runtime's first allocation does before `main`.)
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Gives the system back the memory of pages that freeing left empty or
/// nearly so, now rather than when mimalloc next gets to them: for the
/// language server after it has built a whole document, whose lowering and
/// verifying freed much more than they kept. (On the 100,000-line benchmark
/// file the server's anonymous memory after opening it is 35.9 MiB with
/// this call and 37.1 MiB without.)
pub fn release_freed_memory() {
    // SAFETY: a plain call into the allocator, which is thread-safe;
    // `force` only makes it visit every page rather than some.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Turns transparent huge pages off for this process when it was started
/// as `pyasm lsp`; meant to run before `main` (see `src/main.rs`), so it
/// allocates nothing and reads the command line from `/proc`. The runtime
/// allocates before `main`, and the huge pages mimalloc's first arena would
/// get then stay resident: 3.4 MiB of the server's 10 MiB at rest.
#[cfg(target_os = "linux")]
pub fn huge_pages_off_for_lsp() {
    let mut buf = [0u8; 4096];
    // SAFETY: plain system calls on a buffer of ours, of its length; the
    // path is NUL-terminated.
    let n = unsafe {
        let fd = libc::open(
            c"/proc/self/cmdline".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return;
        }
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        libc::close(fd);
        n
    };
    let Ok(n) = usize::try_from(n) else { return };
    // NUL-separated arguments: the program, then the subcommand.
    let mut args = buf[..n.min(buf.len())].split(|&b| b == 0);
    if args.nth(1) == Some(b"lsp".as_slice()) {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

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

#[cfg(test)]
mod tests {
    #[test]
    fn the_mimalloc_option_number_is_the_purge_delay() {
        // Its default in mimalloc 3 (src/options.c) is 1000 ms.
        // SAFETY: reading an option has no effect.
        let purge = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(purge, 1000);
    }
}
