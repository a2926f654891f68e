//! The Cachet side of a run before it settles: the components read while the checks run, the
//! API line kept for the next run, and the token asked after once a day.

use std::sync::mpsc;
use std::thread;

use super::{CACHET_IN_FLIGHT, COLLECT_GRACE};
use crate::cachet::{CachetError, Client, Dialect, Endpoint, RemoteComponent};
use crate::commands::resolve_all;
use crate::config::Component;
use crate::deadline::Deadline;
use crate::output::Trace;
use crate::settle::CachetView;
use crate::state::StateDir;

/// How long a token Cachet accepted for a write is taken as good without asking again.
const TOKEN_TRUSTED_FOR: i64 = 24 * 3600;

/// Asks Cachet whether the token may write (`Client::check_token`, which changes nothing)
/// once a day per server and token: reads accept any token, so without this a wrong token
/// goes unnoticed until the first outage's write fails. A refusal is this run's error; Cachet
/// trouble is not (the writes will tell).
pub(super) fn vouch_for_token(
    state: &StateDir,
    client: &Client,
    remotes: &[Result<RemoteComponent, CachetError>],
) -> Result<(), CachetError> {
    let Some(key) = client.token_key() else {
        return Ok(());
    };
    let now = crate::deadline::unix_now();
    if state
        .token_accepted_at(&key)
        .is_some_and(|at| (0..TOKEN_TRUSTED_FOR).contains(&now.saturating_sub(at)))
    {
        return Ok(());
    }
    let first = remotes.iter().find_map(|remote| remote.as_ref().ok());
    let verdict = match client.check_token(first) {
        Some(Ok(())) => Some(now),
        Some(Err(error @ (CachetError::Unauthorized { .. } | CachetError::Forbidden { .. }))) => {
            let _ = state.remember_token(&key, None);
            return Err(error);
        }
        Some(Err(_)) | None => None,
    };
    if let Some(at) = verdict
        && let Err(error) = state.remember_token(&key, Some(at))
    {
        crate::stderr::warn(format_args!("{error:#}"));
    }
    Ok(())
}

/// Keeps the API line detected for the next run, and forgets one that led to a 404 (the server
/// may have been upgraded).
pub(super) fn remember_api(
    state: &StateDir,
    client: &Client,
    known: Option<Dialect>,
    remotes: &[Result<RemoteComponent, CachetError>],
) {
    let stale = known.is_some()
        && remotes
            .iter()
            .any(|remote| matches!(remote, Err(CachetError::NotFound { .. })));
    let result = match (known, stale) {
        (_, true) => state.remember_api(client.base(), None),
        (None, false) => state.remember_api(client.base(), Some(client.dialect().word())),
        (Some(_), false) => Ok(()),
    };
    if let Err(error) = result {
        crate::stderr::warn(format_args!("{error:#}"));
    }
}

/// Connects to Cachet and reads the selected components on a thread of its own, so that it
/// overlaps the checks; the answer arrives on the returned channel.
pub(super) fn read_cachet(
    endpoint: Endpoint,
    selected: &[&Component],
    trace: Trace,
    deadline: Deadline,
    known: Option<Dialect>,
) -> mpsc::Receiver<CachetView> {
    let (sender, receiver) = mpsc::channel();
    let targets: Vec<_> = selected
        .iter()
        .map(|component| component.target.clone())
        .collect();
    thread::spawn(move || {
        let view = Client::connect(endpoint, trace, deadline.earlier_by(COLLECT_GRACE), known).map(
            |client| {
                let remotes = resolve_all(&client, &targets, CACHET_IN_FLIGHT);
                (client, remotes)
            },
        );
        let _ = sender.send(view);
    });
    receiver
}
