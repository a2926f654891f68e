# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cachet_check_global_optspecs
    string join \n c/config= url= token-file= force dry-run format= q/quiet v/verbose timeout= vantage= j/jobs= h/help V/version
end

function __fish_cachet_check_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cachet_check_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cachet_check_using_subcommand
    set -l cmd (__fish_cachet_check_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cachet-check -n "__fish_cachet_check_needs_command" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_needs_command" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -s V -l version -d 'Print version'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "run" -d 'Run the checks of the named components (all configured components when none is named), push each status and exit with the worst code'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "set" -d 'Push a status by hand. Needs no config when CACHET_URL (or --url) and a token are given'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "monit" -d 'For a Monit exec action: push the status Monit\'s event implies (MONIT_EVENT), or the one given with --status. The component is the one named, else the config component whose `monit_service` is MONIT_SERVICE. A push that fails is retried until --timeout, then kept in the state directory and replaced by the next invocation for the component'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "maintenance" -d 'Maintenance windows for deploy pipelines and people: `start` puts components in maintenance now (a marker in each component\'s `meta`, which every host\'s runs see, and a Cachet schedule as the public notice), `end` ends it early, `list` shows the windows in progress and the next ones. In maintenance, runs check and report but push nothing worse and open no incident. Every window ends by itself'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "components" -d 'List the components Cachet has (id, status, enabled, group, name), to find the ids a config needs. Needs no config when CACHET_URL (or --url) is given. Disabled components are listed when the server shows them: Cachet 2.x with a token, 3.x with a token or (some 3.x cores) to anyone'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "stale" -d 'Mark Unknown the components no host has run for longer than --older-than, by the run stamps and votes hosts leave in each component\'s meta (all configured components when none is named). A later run of a checker restores the status it computes'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "import" -d 'Print a cachet-check config equivalent to a cachet-url-monitor (YAML) or castawaylabs/cachet-monitor (JSON, YAML) config, with a comment on every setting that has no exact equivalent. The token is never copied'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "doctor" -d 'Check the setup in order and say what to fix: config, server, Cachet version, token, abilities (3.x), each component and metric, state directory'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "validate" -d 'Check the config file without touching the network and print the plan'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "example" -d 'Print a commented example config'
complete -c cachet-check -n "__fish_cachet_check_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l metrics-file -d 'Write the run in Prometheus text format to FILE (atomically), for node_exporter\'s textfile collector: each check\'s outcome and duration, each component\'s status, and the last run\'s and last successful run\'s times. Overrides `metrics_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l status -d 'Push this status whatever MONIT_EVENT says (the recommended form: one exec per branch of the Monit rule): operational, performance, partial, major (or 1-4)' -r -f -a "operational\t''
performance\t''
partial\t''
major\t''"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand monit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -f -a "start" -d 'Put components in maintenance from now on, for --for'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -f -a "end" -d 'End the maintenance of components now'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -f -a "list" -d 'Show the maintenance in progress and the next config windows'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and not __fish_seen_subcommand_from start end list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l for -d 'How long the maintenance lasts (e.g. 30m, 2h); it ends by itself then' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l message -d 'What the schedule tells the public' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from end" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from help" -f -a "start" -d 'Put components in maintenance from now on, for --for'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from help" -f -a "end" -d 'End the maintenance of components now'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from help" -f -a "list" -d 'Show the maintenance in progress and the next config windows'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand maintenance; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand components" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l older-than -d 'How old the newest stamp may be, e.g. 15m' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand stale" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l from -d 'Whose config it is, when its shape does not tell' -r -f -a "cachet-url-monitor\t''
cachet-monitor\t''"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -s c -l config -d 'Configuration file (TOML), /etc/cachet-check/config.toml when not given; `-` reads it from standard input' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l url -d 'Cachet base URL, e.g. https://status.example.com. Overrides the config. May also be set with the CACHET_URL environment variable' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l token-file -d 'File holding the Cachet API token. Overrides CACHET_TOKEN, the systemd credential and the config\'s `token_file`' -r -F
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l format -d 'Output format' -r -f -a "text\t'The monitoring-plugins summary line, with detail lines at -v'
json\t'One JSON object on stdout and nothing else'"
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l timeout -d 'Deadline for the whole run, e.g. 30s, 1m30s' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l vantage -d 'This host\'s name among many that run the same config: its vote and run stamp are kept under it. Overrides the config\'s `vantage`; default: the host name' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -s j -l jobs -d 'Checks in flight at once' -r
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l force -d 'Write the status even when Cachet already shows it'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -l dry-run -d 'Evaluate and report, push nothing. `run --dry-run` does not contact Cachet at all'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -s q -l quiet -d 'Print nothing when every component is operational and its status pushed'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -s v -l verbose -d 'Print a line per check; twice, also the HTTP exchanges (secrets redacted) on stderr'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand example" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "run" -d 'Run the checks of the named components (all configured components when none is named), push each status and exit with the worst code'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "set" -d 'Push a status by hand. Needs no config when CACHET_URL (or --url) and a token are given'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "monit" -d 'For a Monit exec action: push the status Monit\'s event implies (MONIT_EVENT), or the one given with --status. The component is the one named, else the config component whose `monit_service` is MONIT_SERVICE. A push that fails is retried until --timeout, then kept in the state directory and replaced by the next invocation for the component'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "maintenance" -d 'Maintenance windows for deploy pipelines and people: `start` puts components in maintenance now (a marker in each component\'s `meta`, which every host\'s runs see, and a Cachet schedule as the public notice), `end` ends it early, `list` shows the windows in progress and the next ones. In maintenance, runs check and report but push nothing worse and open no incident. Every window ends by itself'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "components" -d 'List the components Cachet has (id, status, enabled, group, name), to find the ids a config needs. Needs no config when CACHET_URL (or --url) is given. Disabled components are listed when the server shows them: Cachet 2.x with a token, 3.x with a token or (some 3.x cores) to anyone'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "stale" -d 'Mark Unknown the components no host has run for longer than --older-than, by the run stamps and votes hosts leave in each component\'s meta (all configured components when none is named). A later run of a checker restores the status it computes'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "import" -d 'Print a cachet-check config equivalent to a cachet-url-monitor (YAML) or castawaylabs/cachet-monitor (JSON, YAML) config, with a comment on every setting that has no exact equivalent. The token is never copied'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "doctor" -d 'Check the setup in order and say what to fix: config, server, Cachet version, token, abilities (3.x), each component and metric, state directory'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "validate" -d 'Check the config file without touching the network and print the plan'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "example" -d 'Print a commented example config'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and not __fish_seen_subcommand_from run set monit maintenance components stale import doctor validate example help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and __fish_seen_subcommand_from maintenance" -f -a "start" -d 'Put components in maintenance from now on, for --for'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and __fish_seen_subcommand_from maintenance" -f -a "end" -d 'End the maintenance of components now'
complete -c cachet-check -n "__fish_cachet_check_using_subcommand help; and __fish_seen_subcommand_from maintenance" -f -a "list" -d 'Show the maintenance in progress and the next config windows'
