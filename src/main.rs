use std::process::ExitCode;

use clap::Parser;

use cachet_check::cli::Cli;

/// Whether the command line asks for JSON output, for a command line clap could not parse.
fn asks_for_json() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .any(|pair| pair[0] == "--format" && pair[1] == "json")
        || args.iter().any(|arg| arg == "--format=json")
}

fn main() -> ExitCode {
    cachet_check::say_panics_as_internal_errors();
    let exit = match Cli::try_parse() {
        Ok(cli) => cachet_check::run(cli),
        Err(error) => cachet_check::usage_error(&error, asks_for_json()),
    };
    ExitCode::from(exit)
}
