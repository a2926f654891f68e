//! cachet-check: run the checks of Cachet components once, push their status, exit with a
//! monitoring-plugins code. `main.rs` parses the command line and calls `run`; everything else
//! is private to the crate.

pub mod cli;

mod cachet;
mod check;
mod commands;
mod config;
mod deadline;
mod exit;
mod output;
mod secret;
mod status;

use std::io::Write;

pub use exit::Exit;

use cli::{Cli, Command};
use output::{Printer, Shape, Verbosity};

/// Runs one command and returns how the process should exit. Every error ends here: it is
/// printed, and the exit is UNKNOWN (SPEC §3).
pub fn run(cli: Cli) -> Exit {
    let global = &cli.global;
    let printer = Printer {
        format: global.format,
        verbosity: Verbosity::new(global.quiet, global.verbose),
    };
    let result = match &cli.command {
        Command::Run { components } => {
            commands::run::run(global, components, printer).map(|report| {
                printer.report(&report, Shape::Run);
                report.exit
            })
        }
        Command::Set { component, status } => {
            commands::set::set(global, component, *status, printer).map(|report| {
                printer.report(&report, Shape::Set);
                report.exit
            })
        }
        Command::Validate => commands::validate::validate(global).map(|plan| {
            let _ = std::io::stdout().write_all(plan.as_bytes());
            Exit::Ok
        }),
        Command::Example => {
            commands::example::example();
            Ok(Exit::Ok)
        }
    };
    result.unwrap_or_else(|error| {
        printer.error(&error);
        Exit::Unknown
    })
}

/// Prints what clap says about a command line it could not parse and returns the exit: 0 for
/// `--help`/`--version` (printed on stdout), 3 for a usage error, including a missing command
/// (SPEC §3: clap's own 2 would mean CRITICAL).
pub fn usage_error(error: &clap::Error) -> Exit {
    use clap::error::ErrorKind;
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        eprint!("{}", error.render());
        return Exit::Unknown;
    }
    let _ = error.print();
    if error.use_stderr() {
        Exit::Unknown
    } else {
        Exit::Ok
    }
}
