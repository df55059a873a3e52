/// mimalloc rather than the C library's allocator: an import allocates a referral's text on the
/// reading thread and frees it on a writer's, which glibc's per-thread caches handle badly (18 %
/// of the service's time in `malloc`/`free` during an import, README Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    outreach::cli::main()
}
