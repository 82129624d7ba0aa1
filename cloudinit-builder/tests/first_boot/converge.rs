//! The day-2 converge agent on the booted guest: its bootstrap installed with its modes (the
//! agent itself is fetched, signed, from the store), its timer enabled, and a run against a
//! store the guest cannot reach ends without a failed unit (the bootstrap, with no agent to
//! fall back on, records `state=unreachable` and the next tick retries).

use std::os::unix::fs::MetadataExt as _;

use cloudinit_builder::preset::AGENT_TIMER;
use hardening_model::converge::{
    AGENT_PATH, ALLOWED_SIGNERS_PATH, BOOTSTRAP_PATH, CONF_PATH, LABELS_PATH, REPORT_KEY_PATH,
    STATUS_PATH, STORE_ENV_PATH,
};
use hardening_validators::guest::Container;

/// What is wrong with the agent on the guest (empty when nothing is).
pub fn problems(guest: &Container) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, mode) in [
        (BOOTSTRAP_PATH, 0o755),
        (CONF_PATH, 0o600),
        (ALLOWED_SIGNERS_PATH, 0o644),
        (LABELS_PATH, 0o644),
        (REPORT_KEY_PATH, 0o600),
        (STORE_ENV_PATH, 0o600),
        ("/etc/systemd/system/hf-agent.service", 0o644),
        ("/etc/systemd/system/hf-agent.timer", 0o644),
    ] {
        match std::fs::metadata(guest.root().join(path.trim_start_matches('/'))) {
            Ok(m) if m.mode() & 0o7777 == mode && m.uid() == 0 => {}
            Ok(m) => problems.push(format!(
                "agent file {path} is {:o} uid {}, want {mode:o} root",
                m.mode() & 0o7777,
                m.uid()
            )),
            Err(e) => problems.push(format!("agent file {path}: {e}")),
        }
    }
    // The agent arrives signed from the store on a run; the document ships only the bootstrap.
    if guest
        .root()
        .join(AGENT_PATH.trim_start_matches('/'))
        .exists()
    {
        problems.push(format!(
            "{AGENT_PATH} is installed before any signed agent was fetched"
        ));
    }
    let state = |argv: &[&str]| {
        guest
            .exec(argv)
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let enabled = state(&["systemctl", "is-enabled", AGENT_TIMER]);
    let active = state(&["systemctl", "is-active", AGENT_TIMER]);
    if enabled != "enabled" || active != "active" {
        problems.push(format!("{AGENT_TIMER}: {enabled}, {active}"));
    }
    // One run now, whatever the timer's schedule: the store is unreachable from here.
    match guest.exec(&["systemctl", "start", "hf-agent.service"]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => problems.push(format!(
            "hf-agent.service with an unreachable store failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => problems.push(format!("systemctl start hf-agent.service: {e}")),
    }
    let result = state(&["systemctl", "show", "-P", "Result", "hf-agent.service"]);
    if result != "success" {
        problems.push(format!("hf-agent.service result: {result}"));
    }
    let status = std::fs::read_to_string(guest.root().join(STATUS_PATH.trim_start_matches('/')))
        .unwrap_or_default();
    if !status.lines().any(|l| l == "state=unreachable") {
        problems.push(format!(
            "agent status after an unreachable store: {status:?}"
        ));
    }
    problems
}
