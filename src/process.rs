//! The `pyasm` executable's process-wide decisions: the allocator (Rust's
//! and tree-sitter's) and the language server's memory tuning. Not part of
//! the library, which makes no such decision (a Python process hosting it
//! has its own allocator, and maybe its own tree-sitter): `src/main.rs`
//! includes this file, and so do the benchmarks that measure what the
//! executable does (`#[path]`). Everything here needs the `mimalloc`
//! feature; without it the executable keeps the system's allocator and
//! tunes nothing.

/// Every allocation goes to mimalloc: the many small, short-lived objects of
/// parsing, lowering and assembling cost glibc's allocator a fifth of the
/// run. (Tree-sitter's C runtime is pointed at it too: see [`start`].)
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Points tree-sitter's C runtime at mimalloc (its parsing and freeing of
/// trees were a quarter malloc and free). To be called first thing in
/// `main`, before anything of tree-sitter's exists: a tree made with one
/// allocator must not be freed by the other.
pub fn start() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: the four functions are mimalloc's, one family, and return
    // memory aligned as malloc's; nothing of tree-sitter's has been made
    // yet (the caller's contract), and nothing else swaps the allocator.
    unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: libmimalloc_sys::mi_malloc,
            calloc: libmimalloc_sys::mi_calloc,
            realloc: libmimalloc_sys::mi_realloc,
            free: libmimalloc_sys::mi_free,
        }))
    }
}

/// What the command line does about memory for `pyasm lsp`, the one
/// process that stays up.
pub fn hooks() -> pyasm::cli::Hooks {
    #[cfg(feature = "mimalloc")]
    return pyasm::cli::Hooks {
        lsp_start: Some(keep_memory_low),
        lsp_release_freed: Some(release_freed_memory),
        lsp_keep_freed: Some(keep_freed_memory),
    };
    #[cfg(not(feature = "mimalloc"))]
    pyasm::cli::Hooks::default()
}

/// mimalloc's number for its purge delay option (`mi_option_purge_delay`;
/// libmimalloc-sys 0.1 builds mimalloc 3 by default); a unit test checks
/// its default.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// For a process that stays up (the language server): memory freed goes
/// back to the system at once instead of after a second. The batch
/// commands keep mimalloc's default, which trades memory for speed. (On the
/// 100,000-line benchmark file the server holds 100 MiB after opening it
/// with this, 132 MiB without, and 87 MiB with glibc's allocator.)
#[cfg(feature = "mimalloc")]
pub fn keep_memory_low() {
    keep_freed_memory(false);
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

/// Keeps what is freed (`true`) for mimalloc to hand out again, for up to
/// [`KEEP_FREED_MS`], or gives it back to the system at once (`false`, as
/// [`keep_memory_low`] sets). The language server keeps it while it
/// updates a document after an edit: an update in a block of 100,000
/// instructions frees lists of that length, which the next update makes
/// again, and the kernel's work to take the pages back and fault them in
/// again was most of the update's time.
#[cfg(feature = "mimalloc")]
pub fn keep_freed_memory(keep: bool) {
    let delay = if keep { KEEP_FREED_MS } else { 0 };
    // SAFETY: setting an option is how mimalloc is meant to be configured;
    // the purge delay is read whenever memory is freed.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) }
}

/// How long [`keep_freed_memory`] keeps what an update freed: more than
/// the time between two keystrokes, and mimalloc's own default.
#[cfg(feature = "mimalloc")]
const KEEP_FREED_MS: std::ffi::c_long = 1000;

/// Gives the system back the memory of pages that freeing left empty or
/// nearly so, now rather than when mimalloc next gets to them: for the
/// language server after it has built a whole document, whose lowering and
/// verifying freed much more than they kept. (On the 100,000-line benchmark
/// file the server's anonymous memory after opening it is 35.9 MiB with
/// this call and 37.1 MiB without.)
#[cfg(feature = "mimalloc")]
pub fn release_freed_memory() {
    // SAFETY: plain calls into the allocator, which is thread-safe;
    // `force` only makes it visit every page rather than some. With no
    // purge delay set, mimalloc never looks at what it kept before (see
    // `keep_freed_memory`); with one, `force` purges all of it now.
    unsafe {
        let delay = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, KEEP_FREED_MS);
        libmimalloc_sys::mi_collect(true);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay);
    }
}

/// Turns transparent huge pages off for this process when it was started
/// as `pyasm lsp`; meant to run before `main` (see `src/main.rs`), so it
/// allocates nothing and reads the command line from `/proc`. The runtime
/// allocates before `main`, and the huge pages mimalloc's first arena would
/// get then stay resident: 3.4 MiB of the server's 10 MiB at rest.
#[cfg(all(target_os = "linux", feature = "mimalloc"))]
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

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    #[test]
    fn the_mimalloc_option_number_is_the_purge_delay() {
        // Its default in mimalloc 3 (src/options.c) is 1000 ms.
        // SAFETY: reading an option has no effect.
        let purge = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(purge, 1000);
    }
}
