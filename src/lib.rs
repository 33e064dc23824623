//! pyasm: an assembler, disassembler and language server for CPython bytecode.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and the invariants.

pub mod analysis;
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

use diag::Diag;
use versions::Version;

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

/// Runs `f` on a thread with a [`WORK_STACK`]-byte stack and returns what it
/// returns (a panic in `f` is resumed in the caller).
pub fn with_work_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let job = std::sync::Mutex::new(Some(f));
    let take = || job.lock().ok().and_then(|mut j| j.take());
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("pyasm".into())
            .stack_size(WORK_STACK)
            .spawn_scoped(s, || take().map(|f| f()));
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

/// The result of assembling a `.pyasm` text: the `.pyc` bytes when there
/// were no errors, and every diagnostic either way.
pub struct Built {
    pub pyc: Option<Vec<u8>>,
    pub code: Option<code::Code>,
    pub diags: Vec<Diag>,
}

/// Parses, lowers and assembles `.pyasm` text into `.pyc` bytes.
pub fn assemble_text(text: &str) -> Built {
    assemble_text_with(text, asm::Options::default())
}

/// `assemble_text` with options (verification, recomputed stack fields).
pub fn assemble_text_with(text: &str, opts: asm::Options) -> Built {
    assemble_text_in(text, Version::V3_11, opts)
}

/// `assemble_text_with`, for files without a `.python` line taken to be
/// `default_version`.
pub fn assemble_text_in(text: &str, default_version: Version, opts: asm::Options) -> Built {
    assemble_file("", text, default_version, opts)
}

/// `assemble_text_in` for the text of the file at `path`, as the user
/// named it: the module's `co_filename` where its first block has no
/// `.filename` (the other functions give `''`). Blocks written without any
/// position are placed on the text's own lines either way, so a traceback
/// names the file and the line that raised.
pub fn assemble_file(
    path: &str,
    text: &str,
    default_version: Version,
    opts: asm::Options,
) -> Built {
    let (preamble, code, diags) = compile_text(path, text, default_version, opts);
    let Some(code) = code else {
        return Built {
            pyc: None,
            code: None,
            diags,
        };
    };
    let header = preamble
        .header
        .map(|h| pyc::PycHeader {
            version: preamble.version,
            ..h
        })
        .unwrap_or(pyc::PycHeader::timestamp(preamble.version, 0, 0));
    Built {
        pyc: Some(pyc::write_pyc(&header, &code)),
        code: Some(code),
        diags,
    }
}

/// Parses, lowers and assembles: the module's version and header, its code
/// object when there were no errors, and every diagnostic, sorted by place.
/// `check` puts the module together too: only then are the limits on what
/// blocks copied into each other cost known. The diagnostics are the file analysis's,
/// the same the language server shows; the code object is put together
/// from the blocks that analysis assembled, each assembled once.
fn compile_text(
    path: &str,
    text: &str,
    default_version: Version,
    opts: asm::Options,
) -> (syntax::lower::Preamble, Option<code::Code>, Vec<Diag>) {
    let tree = syntax::parse(text, None);
    let analysis = ide::FileAnalysis::for_build(tree, &text, default_version, opts);
    let mut diags = analysis.diagnostics();
    let preamble = analysis.preamble.clone();
    if diags.iter().any(|d| d.is_error()) {
        return (preamble, None, diags);
    }
    // The limits on what the module costs once blocks are copied into
    // each other are the only thing left to fail.
    let code = match analysis.link(path) {
        Ok(code) => Some(code),
        Err(ds) => {
            diags.extend(ds);
            if !diags.iter().any(|d| d.is_error()) {
                // Without errors every block assembled and every reference
                // names a block; say so rather than build nothing quietly.
                diags.push(Diag::error(
                    "internal",
                    0..0,
                    "the blocks assembled but could not be put together",
                ));
            }
            None
        }
    };
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    (preamble, code, diags)
}

/// Every diagnostic of a `.pyasm` text, as `pyasm check` reports them.
pub fn check_text(text: &str) -> Vec<Diag> {
    check_file("", text)
}

/// `check_text` for the text of the file at `path` (see [`assemble_file`]):
/// `check` puts the module together as `build` does, under the same name.
pub fn check_file(path: &str, text: &str) -> Vec<Diag> {
    compile_text(path, text, Version::V3_11, asm::Options::default()).2
}

/// Disassembles `.pyc` bytes to `.pyasm` text.
pub fn disassemble_pyc(data: &[u8]) -> Result<String, pyc::PycError> {
    let (header, code) = pyc::read_pyc(data)?;
    let module = dis::disassemble(header.version, Some(header), &code);
    Ok(dis::print::print_module(&module))
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
