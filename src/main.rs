fn main() -> std::process::ExitCode {
    nianbao::cli::main()
}
