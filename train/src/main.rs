//! `nmfnet`: the command line of nmfnet. See `nmfnet --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = nmfnet_train::cli::Cli::parse();
    match nmfnet_train::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, skipping a cause that a message above already quotes.
            let mut msg = String::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !msg.contains(&text) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&text);
                }
            }
            eprintln!("error: {msg}");
            std::process::ExitCode::FAILURE
        }
    }
}
