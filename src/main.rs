fn main() -> std::process::ExitCode {
    let hooks = pyasm::cli::Hooks {
        lsp_start: Some(pyasm::keep_memory_low),
        lsp_after_full_build: Some(pyasm::release_freed_memory),
    };
    pyasm::cli::run(std::env::args_os(), &hooks).into()
}

/// `pyasm lsp` turns transparent huge pages off before anything is
/// allocated (see [`pyasm::huge_pages_off_for_lsp`]): a function in
/// `.init_array` runs before the runtime's own start-up.
#[cfg(all(target_os = "linux", not(fuzzing)))]
#[used]
#[link_section = ".init_array"]
static HUGE_PAGES_OFF_FOR_LSP: extern "C" fn() = {
    extern "C" fn before_main() {
        pyasm::huge_pages_off_for_lsp();
    }
    before_main
};
