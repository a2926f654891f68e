//! The multi-region recipes of SPEC §11 (`contrib/kubernetes/cachet-check-regions.yaml`,
//! `contrib/nomad/cachet-check-regions.nomad.hcl`): each validates as its scheduler reads it,
//! names its vantage from where it runs, runs every component of a config whose components
//! vote with `quorum`, and (Kubernetes) marks stale components from one place.

use crate::schedulers::{kubernetes_docs, nomad_config, python_json, repo};
use crate::support::cmd::Cmd;

/// `validate`'s plan of `config`: every component votes.
fn assert_every_component_votes(config: &str) {
    let out = Cmd::new()
        .config(config)
        .args(["validate", "--format", "json"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let plan = out.json();
    for component in plan["components"].as_array().unwrap() {
        assert_eq!(component["quorum"], 2, "{component}");
    }
}

#[test]
#[ignore = "needs kubernetes-validate (PyPI)"]
fn the_kubernetes_regions_manifest_validates_and_votes() {
    let docs = kubernetes_docs("contrib/kubernetes/cachet-check-regions.yaml");
    let config = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap()["data"]["config.toml"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_every_component_votes(&config);
    let container = |name: &str| {
        let job = docs
            .iter()
            .find(|d| d["kind"] == "CronJob" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("CronJob {name}"));
        assert_eq!(job["spec"]["concurrencyPolicy"], "Forbid");
        job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].clone()
    };
    let vote = container("cachet-check-vote");
    let args = vote["args"].as_array().unwrap();
    assert_eq!(
        args.last().unwrap(),
        "run",
        "every region runs every component"
    );
    let vantage = vote["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "CACHET_CHECK_VANTAGE")
        .expect("CACHET_CHECK_VANTAGE");
    assert!(
        vantage["valueFrom"]["configMapKeyRef"].is_object(),
        "{vantage}"
    );
    let stale = container("cachet-check-stale");
    let args: Vec<&str> = stale["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["stale", "--older-than"]),
        "{args:?}"
    );
}

#[test]
#[ignore = "needs python-hcl2 (PyPI)"]
fn the_nomad_regions_job_parses_and_votes() {
    let file = repo("contrib/nomad/cachet-check-regions.nomad.hcl");
    let job = python_json(
        "import json, sys, hcl2; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        &file,
    );
    let job = &job["job"][0]["\"cachet-check-regions\""];
    assert_eq!(job["periodic"][0]["prohibit_overlap"], true);
    let task = &job["group"][0]["\"check\""]["task"][0]["\"run\""];
    let env = &task["env"][0];
    assert_eq!(
        env["CACHET_CHECK_VANTAGE"]
            .as_str()
            .unwrap()
            .trim_matches('"'),
        "${node.region}"
    );
    let config = nomad_config("contrib/nomad/cachet-check-regions.nomad.hcl");
    assert_every_component_votes(&config);
}
