//! The `pyasm` executable: the command line, and the process-wide decisions
//! the library leaves to whoever hosts it (`process.rs`).

mod process;

fn main() -> std::process::ExitCode {
    process::start();
    pyasm::cli::run(std::env::args_os(), &process::hooks()).into()
}

/// `pyasm lsp` turns transparent huge pages off before anything is
/// allocated (see [`process::huge_pages_off_for_lsp`]): a function in
/// `.init_array` runs before the runtime's own start-up.
#[cfg(all(target_os = "linux", feature = "mimalloc"))]
#[used]
#[link_section = ".init_array"]
static HUGE_PAGES_OFF_FOR_LSP: extern "C" fn() = {
    extern "C" fn before_main() {
        process::huge_pages_off_for_lsp();
    }
    before_main
};
