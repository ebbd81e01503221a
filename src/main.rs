// mimalloc instead of the system allocator: allocating and freeing were a fifth of `check`'s
// instructions with glibc's malloc (README "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nianbao::cli::main()
}
