fn main() -> std::process::ExitCode {
    pyasm::cli::main()
}
