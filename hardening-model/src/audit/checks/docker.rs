//! Section 5: the Docker daemon and compose services.

use serde_json::Value;

use crate::audit::Check;
use crate::audit::host::{Gap, Host};
use crate::audit::parse::compose::{ComposeFile, at, scalar, volume_paths};
use crate::audit::report::{Finding, Status};

const DEFAULTS: &str = "Docker's defaults apply, which fail this check";

pub(crate) fn daemon(host: &Host<'_>, check: Check) -> Finding {
    let (path, json) = match &host.daemon {
        Ok(found) => found,
        Err(gap) => return gap.finding(check, host.absent(Status::Fail), DEFAULTS),
    };
    let mut bad = Vec::new();
    if json.get("no-new-privileges") != Some(&Value::Bool(true)) {
        bad.push("\"no-new-privileges\" is not true");
    }
    match json.get("userns-remap").and_then(Value::as_str) {
        Some(remap) if !remap.trim().is_empty() => {}
        _ => bad.push("\"userns-remap\" is not set"),
    }
    if bad.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            "no-new-privileges true, userns-remap set",
            vec![path.clone()],
        )
    } else {
        Finding::new(check, Status::Fail, bad.join("; "), vec![path.clone()])
    }
}

pub(crate) fn icc(host: &Host<'_>, check: Check) -> Finding {
    match &host.daemon {
        Ok((path, json)) if json.get("icc") == Some(&Value::Bool(false)) => {
            Finding::new(check, Status::Pass, "\"icc\": false", vec![path.clone()])
        }
        Ok((path, _)) => Finding::new(
            check,
            Status::Fail,
            "\"icc\" is not false: containers on the default bridge can reach each other",
            vec![path.clone()],
        ),
        Err(gap) => gap.finding(check, host.absent(Status::Fail), "icc defaults to true"),
    }
}

/// Applies `per_service` to every service of every compose file. Pass when no service is
/// reported; Unknown when no compose file exists; Fail for unparsable files.
pub(crate) fn each_service(
    host: &Host<'_>,
    check: Check,
    pass: &str,
    per_service: impl Fn(&ComposeFile, &str, &Value) -> Option<String>,
) -> Finding {
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    let mut services = 0;
    for file in &host.compose {
        match file {
            Ok(compose) => {
                evidence.push(compose.path.clone());
                for (name, service) in compose.services() {
                    services += 1;
                    if let Some(why) = per_service(compose, name, service) {
                        bad.push(format!("{}: service {name} {why}", compose.path));
                    }
                }
            }
            Err(Gap::Invalid(path, why)) => {
                evidence.push(path.clone());
                bad.push(format!("{path} could not be parsed: {why}"));
            }
            Err(Gap::Unreadable(path, why)) => {
                unknown.push(format!("{path} could not be read ({why})"))
            }
            Err(Gap::Missing(_)) => {}
        }
    }
    if !bad.is_empty() {
        Finding::new(check, Status::Fail, bad.join("\n"), evidence)
    } else if !unknown.is_empty() {
        Finding::new(check, Status::Unknown, unknown.join("\n"), evidence)
    } else if services == 0 {
        Finding::new(
            check,
            Status::Unknown,
            "no compose services found (looked for docker-compose.yml / compose.yaml in /opt/*/ and /srv/*/)",
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Pass,
            format!("{services} services: {pass}"),
            evidence,
        )
    }
}

pub(crate) fn socket(host: &Host<'_>, check: Check) -> Finding {
    each_service(host, check, "none mounts docker.sock", |_, _, service| {
        let mounts: Vec<String> = volume_paths(service)
            .into_iter()
            .filter(|p| p.ends_with("docker.sock"))
            .collect();
        (!mounts.is_empty()).then(|| format!("mounts the Docker socket ({})", mounts.join(", ")))
    })
}

pub(crate) fn limits(host: &Host<'_>, check: Check) -> Finding {
    each_service(
        host,
        check,
        "all have memory, CPU and pids limits",
        |_, _, service| {
            let limit = |short: &str, long: &str| {
                service
                    .get(short)
                    .or_else(|| at(service, &["deploy", "resources", "limits", long]))
                    .map(scalar)
                    .filter(|v| !v.is_empty() && v != "0" && v != "-1")
            };
            let missing: Vec<&str> = [
                ("memory", limit("mem_limit", "memory")),
                ("cpus", limit("cpus", "cpus")),
                ("pids", limit("pids_limit", "pids")),
            ]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| name)
            .collect();
            (!missing.is_empty()).then(|| format!("has no {} limit", missing.join("/")))
        },
    )
}
