//! The `mscheck` binary: parse, run, exit with the code the library decides.

#[tokio::main]
async fn main() {
    let code = mscheck::cli::main().await;
    std::process::exit(code);
}
