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
mod file;
mod import;
mod keys;
mod liveness;
mod net;
mod output;
mod perfdata;
mod secret;
mod settle;
mod state;
mod status;
mod stderr;
mod text;
mod window;

use std::io::Write;

pub use exit::Exit;

/// Entry points of the fuzz targets (`fuzz/`), their regression tests and `benches/hot.rs`:
/// each feeds text to one parser. Not an API.
#[doc(hidden)]
pub mod fuzz {
    /// The config loader, as `-c FILE` runs it: true when the text is a valid config.
    pub fn config(text: &str) -> bool {
        crate::config::parse("fuzz.toml", text).is_ok()
    }

    /// Cachet's answers, read every way cachet-check reads them.
    pub fn cachet_answer(text: &str) -> usize {
        crate::cachet::read_any_answer(text)
    }

    /// A plugin's output as an `exec` check reads it: the detail and the perfdata of every
    /// line. Returns how many perfdata items were found.
    pub fn perfdata(text: &str) -> usize {
        use std::os::unix::process::ExitStatusExt;
        let probed = crate::check::exec::judge(std::process::ExitStatus::from_raw(0), text, "");
        probed.perfdata.len()
    }

    /// `MONIT_EVENT`.
    pub fn monit_event(text: &str) -> bool {
        crate::commands::monit::meaning(text).is_some()
    }

    /// A cachet-url-monitor or cachet-monitor config, as `import` reads it: true when a
    /// config came of it.
    pub fn import(text: &str) -> bool {
        crate::import::import(text, None).is_ok()
    }

    /// An upstream status page's answer, as the `statuspage` check reads each provider's.
    pub fn statuspage(text: &str) -> usize {
        crate::check::statuspage::read_any(text)
    }

    /// What a server says before TLS, as a `starttls` check reads it.
    pub fn starttls_reply(said: &[u8]) -> usize {
        crate::check::tls::read_any_reply(said)
    }

    /// A DNS answer on the wire, as a `dns` check reads it.
    pub fn dns_answer(bytes: &[u8]) -> usize {
        crate::check::dns::read_any_answer(bytes)
    }

    /// A component's `meta` as votes, counted as a quorum run counts them.
    pub fn votes(text: &str) -> usize {
        crate::settle::votes::read_any_meta(text)
    }
}

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
    if matches!(
        cli.command,
        Command::Run { .. }
            | Command::Set { .. }
            | Command::Monit { .. }
            | Command::Maintenance { .. }
            | Command::Stale { .. }
    ) {
        watch_signals(printer);
    }
    let result = match &cli.command {
        Command::Run {
            components,
            metrics_file,
        } => {
            commands::run::run(global, components, metrics_file.as_deref(), printer).map(|report| {
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
        Command::Monit { component, status } => {
            commands::monit::monit(global, component.as_deref(), *status, printer).map(|report| {
                printer.report(&report, Shape::Set);
                report.exit
            })
        }
        Command::Maintenance { action } => {
            commands::maintenance::maintenance(global, action, printer).map(|report| {
                printer.show(&report);
                Exit::Ok
            })
        }
        Command::Stale {
            components,
            older_than,
        } => commands::stale::stale(global, *older_than, components, printer).map(|report| {
            printer.show(&report);
            if report.errors.is_empty() {
                Exit::Ok
            } else {
                Exit::Unknown
            }
        }),
        Command::Import { file, from } => {
            commands::import::import(file, from.as_deref()).map(|text| {
                print!("{text}");
                Exit::Ok
            })
        }
        Command::Components => commands::components::components(global, printer).map(|listing| {
            printer.show(&listing);
            Exit::Ok
        }),
        Command::Doctor => {
            let checkup = commands::doctor::doctor(global, printer);
            printer.show(&checkup);
            Ok(if checkup.ok { Exit::Ok } else { Exit::Unknown })
        }
        Command::Validate => commands::validate::validate(global).map(|plan| {
            printer.show(&plan);
            if plan.valid { Exit::Ok } else { Exit::Unknown }
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

/// A panic (a bug of ours) is said as one sentence on stderr, never Rust's own text; a check's
/// panic is caught and reported as that check's internal error (`check::run_all`).
pub fn say_panics_as_internal_errors() {
    std::panic::set_hook(Box::new(|info| {
        let why = text::panic_words(info.payload());
        let at = info
            .location()
            .map(|at| format!(" ({}:{})", at.file(), at.line()))
            .unwrap_or_default();
        stderr::warn(format_args!("internal error{at}: {why}; please report it"));
    }));
}

/// SIGINT and SIGTERM end the run at once (SPEC §7): running plugins are killed with their
/// process groups, a state file being replaced is finished first (state files are only ever
/// replaced whole), the UNKNOWN summary is printed, and the exit is 3. Locks end with the process.
fn watch_signals(printer: Printer) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        stderr::warn(format_args!(
            "cannot watch for SIGINT and SIGTERM; they will end the run at once"
        ));
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            check::exec::kill_running();
            // A metric point being posted is noted first (a moment at most), so that the next
            // run neither loses nor repeats it.
            settle::points::wait_for_deliveries(std::time::Duration::from_millis(800));
            let _writing = state::WRITING
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            printer.error(&anyhow::anyhow!("interrupted by {name}"));
            std::process::exit(i32::from(Exit::Unknown.code()));
        }
    });
}

/// Prints what clap says about a command line it could not parse and returns the exit: 0 for
/// `--help`/`--version` (printed on stdout), 3 for a usage error, including a missing command
/// (SPEC §3: clap's own 2 would mean CRITICAL). A usage error also gets the UNKNOWN summary on
/// stdout (or the JSON object, when `json`), because schedulers read stdout (SPEC §9).
pub fn usage_error(error: &clap::Error, json: bool) -> Exit {
    use clap::error::ErrorKind;
    let missing_command = error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
    if !missing_command && !error.use_stderr() {
        let _ = error.print();
        return Exit::Ok;
    }
    let _ = write!(std::io::stderr(), "{}", error.render());
    let rendered = error.render().to_string();
    let reason = if missing_command {
        "no command given (see --help)"
    } else {
        let first = rendered.lines().next().unwrap_or_default();
        first.strip_prefix("error: ").unwrap_or(first)
    };
    let format = if json {
        cli::Format::Json
    } else {
        cli::Format::Text
    };
    let printer = Printer {
        format,
        verbosity: Verbosity::Normal,
    };
    printer.summarize_failure(&anyhow::anyhow!("usage: {reason}"));
    Exit::Unknown
}
