//! The command line (SPEC §2), clap derive only. The doc comments are the `--help` text, the man
//! page's OPTIONS and the completion descriptions: they are written for users.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::status::Status;

/// Run the checks of Cachet status-page components once, push each component's status to Cachet,
/// and exit with a monitoring-plugins code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
///
/// cachet-check has no loop of its own: cron, a systemd timer, Monit or a CI job runs it. The
/// Cachet token comes, first found first, from --token-file, the CACHET_TOKEN environment
/// variable, systemd's credential `cachet-token` (LoadCredential=) or `token_file` in the config;
/// never from the command line, where every user could read it.
#[derive(Debug, Parser)]
#[command(name = "cachet-check", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it
    /// from standard input.
    #[arg(
        short = 'c',
        long,
        value_name = "FILE",
        env = "CACHET_CHECK_CONFIG",
        global = true
    )]
    pub config: Option<PathBuf>,

    /// Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set
    /// with the CACHET_URL environment variable.
    #[arg(long, value_name = "URL", global = true)]
    pub url: Option<String>,

    /// File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and
    /// the config's `token_file`.
    #[arg(long, value_name = "FILE", global = true)]
    pub token_file: Option<PathBuf>,

    /// Write the status even when Cachet already shows it.
    #[arg(long, global = true)]
    pub force: bool,

    /// Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text, global = true)]
    pub format: Format,

    /// Print nothing when every component is operational and its status pushed.
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr.
    #[arg(short = 'v', long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Deadline for the whole run, e.g. 30s, 1m30s.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, global = true)]
    pub timeout: Duration,

    /// This host's name among many that run the same config: its vote and run stamp
    /// are kept under it. Overrides the config's `vantage`; default: the host name.
    #[arg(long, value_name = "NAME", env = "CACHET_CHECK_VANTAGE", global = true)]
    pub vantage: Option<String>,

    /// Checks in flight at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=4096), global = true)]
    pub jobs: u16,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks of the named components (all configured components when none is named),
    /// push each status and exit with the worst code.
    Run {
        /// Components to run: config names or Cachet component ids.
        #[arg(value_name = "COMPONENT")]
        components: Vec<String>,
        /// Write the run in Prometheus text format to FILE (atomically), for node_exporter's
        /// textfile collector: each check's outcome and duration, each component's status, and
        /// the last run's and last successful run's times. Overrides `metrics_file`.
        #[arg(long, value_name = "FILE")]
        metrics_file: Option<PathBuf>,
    },
    /// Push a status by hand. Needs no config when CACHET_URL (or --url) and a token are given.
    Set {
        /// A config name, a Cachet component id or an exact Cachet component name.
        #[arg(value_name = "COMPONENT")]
        component: String,
        /// operational, performance, partial, major (or performance-issues, partial-outage,
        /// major-outage, or the Cachet numbers 1-4).
        #[arg(value_name = "STATUS", value_parser = StatusParser)]
        status: Status,
    },
    /// For a Monit exec action: push the status Monit's event implies (MONIT_EVENT), or the
    /// one given with --status. The component is the one named, else the config component whose
    /// `monit_service` is MONIT_SERVICE. A push that fails is retried until --timeout, then
    /// kept in the state directory and replaced by the next invocation for the component.
    Monit {
        /// A config name, a Cachet component id or an exact Cachet component name; when left
        /// out, the component whose `monit_service` is MONIT_SERVICE.
        #[arg(value_name = "COMPONENT")]
        component: Option<String>,
        /// Push this status whatever MONIT_EVENT says (the recommended form: one exec per
        /// branch of the Monit rule): operational, performance, partial, major (or 1-4).
        #[arg(long, value_name = "STATUS", value_parser = StatusParser)]
        status: Option<Status>,
    },
    /// Maintenance windows for deploy pipelines and people: `start` puts components in
    /// maintenance now (a marker in each component's `meta`, which every host's runs see, and a
    /// Cachet schedule as the public notice), `end` ends it early, `list` shows the windows in
    /// progress and the next ones. In maintenance, runs check and report but push nothing worse
    /// and open no incident. Every window ends by itself.
    Maintenance {
        #[command(subcommand)]
        action: MaintenanceAction,
    },
    /// List the components Cachet has (id, status, enabled, group, name), to find the ids a
    /// config needs. Needs no config when CACHET_URL (or --url) is given. Disabled components
    /// are listed when the server shows them: Cachet 2.x with a token, 3.x with a token or (some
    /// 3.x cores) to anyone.
    Components,
    /// Mark Unknown the components no host has run for longer than --older-than, by the run
    /// stamps and votes hosts leave in each component's meta (all configured components when
    /// none is named). A later run of a checker restores the status it computes.
    Stale {
        /// Config names or Cachet component ids.
        #[arg(value_name = "COMPONENT")]
        components: Vec<String>,
        /// How old the newest stamp may be, e.g. 15m.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        older_than: Duration,
    },
    /// Print a cachet-check config equivalent to a cachet-url-monitor (YAML) or
    /// castawaylabs/cachet-monitor (JSON, YAML) config, with a comment on every setting that
    /// has no exact equivalent. The token is never copied.
    Import {
        /// The config to read; `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Whose config it is, when its shape does not tell.
        #[arg(long, value_name = "CHECKER", value_parser = ["cachet-url-monitor", "cachet-monitor"])]
        from: Option<String>,
    },
    /// Check the setup in order and say what to fix: config, server, Cachet version, token,
    /// abilities (3.x), each component and metric, state directory.
    Doctor,
    /// Check the config file without touching the network and print the plan.
    Validate,
    /// Print a commented example config.
    Example,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceAction {
    /// Put components in maintenance from now on, for --for.
    Start {
        /// Config names or Cachet component ids.
        #[arg(value_name = "COMPONENT", required = true)]
        components: Vec<String>,
        /// How long the maintenance lasts (e.g. 30m, 2h); it ends by itself then.
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
        length: Duration,
        /// What the schedule tells the public.
        #[arg(long, value_name = "TEXT", default_value = "Planned maintenance")]
        message: String,
    },
    /// End the maintenance of components now.
    End {
        /// Config names or Cachet component ids.
        #[arg(value_name = "COMPONENT", required = true)]
        components: Vec<String>,
    },
    /// Show the maintenance in progress and the next config windows.
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The monitoring-plugins summary line, with detail lines at -v.
    Text,
    /// One JSON object on stdout and nothing else.
    Json,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|error| format!("`{text}` is not a duration like `30s` or `1m30s`: {error}"))?;
    if duration.is_zero() {
        return Err("the duration must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// STATUS: the four words (what completion offers), their long forms and Cachet's numbers.
#[derive(Clone, Copy)]
struct StatusParser;

impl clap::builder::TypedValueParser for StatusParser {
    type Value = Status;

    fn parse_ref(
        &self,
        command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Status, clap::Error> {
        let text = value.to_string_lossy();
        Status::parse(&text).ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "`{text}` is not a status: use operational, performance, partial, major or 1-4\n"
                ),
            )
            .with_cmd(command)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use clap::builder::PossibleValue;
        let shown = ["operational", "performance", "partial", "major"].map(PossibleValue::new);
        let hidden = [
            "performance-issues",
            "partial-outage",
            "major-outage",
            "1",
            "2",
            "3",
            "4",
        ]
        .map(|word| PossibleValue::new(word).hide(true));
        Some(Box::new(shown.into_iter().chain(hidden)))
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
