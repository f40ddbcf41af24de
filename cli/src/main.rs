//! `nmfnet`: the command line of nmfnet. See `nmfnet --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    nmfnet_app::allocator::retain_freed_memory();
    let cli = nmfnet::cli::Cli::parse();
    match nmfnet::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if let Some(usage) = e.downcast_ref::<clap::Error>() {
                usage.exit();
            }
            eprintln!("error: {}", nmfnet::vocabulary::render(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}
