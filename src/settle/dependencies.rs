//! `depends_on` (SPEC §10): while a parent is not operational, a child opens no incident of
//! its own — its status is still pushed truthfully, and an incident it already has is still
//! updated and resolved — and the parent's incident names the children affected.

use crate::cachet::{Client, RemoteComponent};
use crate::config::{Component, Target};
use crate::status::Status;

/// What each component of the run shows after the statuses were pushed.
pub struct Kin {
    pub members: Vec<Member>,
}

pub struct Member {
    pub name: String,
    pub id: Option<u64>,
    /// What Cachet shows now (or, without Cachet, what was computed).
    pub status: Option<Status>,
    pub depends_on: Vec<String>,
}

impl Kin {
    /// The same, with the parents checked for it outside the run (their computed status; they
    /// are not pushed).
    pub fn with_evaluated(mut self, evaluated: Vec<(String, Option<Status>)>) -> Kin {
        self.members
            .extend(evaluated.into_iter().map(|(name, status)| Member {
                name,
                id: None,
                status,
                depends_on: Vec::new(),
            }));
        self
    }

    /// Why `component` may not open an incident now: the first parent that is not operational,
    /// from this run, else as Cachet shows it (`all` are the configured components).
    pub fn held_back(
        &self,
        component: &Component,
        all: &[Component],
        client: Option<&Client>,
    ) -> Option<String> {
        component.depends_on.iter().find_map(|parent| {
            let status = match self.members.iter().find(|m| &m.name == parent) {
                Some(member) => member.status,
                None => read(all, parent, client?),
            }?;
            (status != Status::Operational).then(|| {
                format!(
                    "not opened: `{parent}`, which it depends on, {}",
                    status.predicate()
                )
            })
        })
    }

    /// The children of `parent` in this run that are not operational: (id, name, status).
    pub fn affected(&self, parent: &str) -> Vec<(u64, String, Status)> {
        self.members
            .iter()
            .filter(|member| member.depends_on.iter().any(|p| p == parent))
            .filter_map(|member| match (member.id, member.status) {
                (Some(id), Some(status)) if status != Status::Operational => {
                    Some((id, member.name.clone(), status))
                }
                _ => None,
            })
            .collect()
    }
}

/// A parent not in this run, as Cachet shows it (Cachet's own states rank with operational).
fn read(all: &[Component], name: &str, client: &Client) -> Option<Status> {
    let remote = remote_of(all.iter().find(|c| c.name == name)?, client)?;
    Some(Status::from_id(remote.status).unwrap_or(Status::Operational))
}

/// A configured component as Cachet shows it now.
pub fn remote_of(component: &Component, client: &Client) -> Option<RemoteComponent> {
    match &component.target {
        Target::Id(id) => client.component(*id),
        Target::Name(cachet) => client.find_component(cachet),
    }
    .ok()
}
