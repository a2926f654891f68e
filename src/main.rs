use std::process::ExitCode;

use clap::Parser;

use cachet_check::cli::Cli;

fn main() -> ExitCode {
    let exit = match Cli::try_parse() {
        Ok(cli) => cachet_check::run(cli),
        Err(error) => cachet_check::usage_error(&error),
    };
    ExitCode::from(exit)
}
