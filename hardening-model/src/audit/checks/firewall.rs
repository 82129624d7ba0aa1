//! Sections 1.4 and 4: ufw, DOCKER-USER, the Hetzner firewall.

use crate::audit::Check;
use crate::audit::captures;
use crate::audit::host::{Gap, Host};
use crate::audit::parse::ufw::shell_words;
use crate::audit::report::{Finding, Status};
use crate::audit::source::join;

/// Ports that may be open to anywhere besides SSH: HTTP and HTTPS.
const PUBLIC_PORTS: &[&str] = &["80", "443"];

pub(crate) fn ufw(host: &Host<'_>, check: Check) -> Finding {
    let (path, state) = match &host.ufw {
        Ok(found) => found,
        Err(gap) => {
            return gap.finding(
                check,
                host.absent(Status::Fail),
                "no evidence that ufw is configured",
            );
        }
    };
    let ssh_ports = host.ssh_ports();
    let mut bad = Vec::new();
    match state.enabled {
        Some(true) => {}
        Some(false) => bad.push("ufw is not enabled".to_owned()),
        None => bad.push("nothing enables ufw".to_owned()),
    }
    match state.default_incoming.as_deref() {
        Some("deny" | "reject") => {}
        Some(other) => bad.push(format!("default incoming policy is {other}")),
        None => bad.push("no default incoming policy (deny) is set".to_owned()),
    }
    let ssh_rule = state
        .rules
        .iter()
        .any(|r| r.admits() && r.port.as_ref().is_some_and(|p| ssh_ports.contains(p)));
    if !ssh_rule {
        bad.push(format!(
            "no rule admits SSH on port {} (lock-out risk)",
            ssh_ports.join(",")
        ));
    }
    let open: Vec<String> = state
        .rules
        .iter()
        .filter(|r| r.admits() && r.from_anywhere())
        .filter(|r| match &r.port {
            Some(p) => !ssh_ports.contains(p) && !PUBLIC_PORTS.contains(&p.as_str()),
            None => true,
        })
        .map(|r| {
            format!(
                "{} {} from anywhere",
                r.action,
                r.port.as_deref().unwrap_or("all ports")
            )
        })
        .collect();
    if !open.is_empty() {
        bad.push(format!(
            "rules open more than SSH/80/443 to anywhere: {}",
            open.join(", ")
        ));
    }
    if bad.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!(
                "enabled, default deny incoming, SSH port {} admitted, {} rules",
                ssh_ports.join(","),
                state.rules.len()
            ),
            vec![path.clone()],
        )
    } else {
        Finding::new(check, Status::Fail, bad.join("; "), vec![path.clone()])
    }
}

/// DOCKER-USER rules found in one file: whether any drops or rejects.
fn docker_user_rules(text: &str) -> (usize, bool) {
    let mut rules = 0;
    let mut restricts = false;
    let mut in_nft_chain = false;
    let mut depth = 0_i32;
    for line in text.lines() {
        let words = shell_words(line);
        let appends = words.windows(2).any(|w| {
            matches!(w[0].as_str(), "-A" | "-I" | "--append" | "--insert") && w[1] == "DOCKER-USER"
        });
        if appends {
            rules += 1;
            if words
                .windows(2)
                .any(|w| w[0] == "-j" && matches!(w[1].as_str(), "DROP" | "REJECT"))
            {
                restricts = true;
            }
        }
        // nftables: `chain DOCKER-USER { ... drop }`
        if words.first().is_some_and(|w| w == "chain")
            && words.get(1).is_some_and(|w| w == "DOCKER-USER")
        {
            in_nft_chain = true;
            depth = 0;
        }
        if in_nft_chain {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if words
                .iter()
                .any(|w| matches!(w.as_str(), "drop" | "reject"))
            {
                rules += 1;
                restricts = true;
            }
            if depth <= 0 && line.contains('}') {
                in_nft_chain = false;
            }
        }
    }
    (rules, restricts)
}

pub(crate) fn docker_user(host: &Host<'_>, check: Check) -> Finding {
    let mut candidates: Vec<String> = vec![
        captures::IPTABLES_DOCKER_USER.to_owned(),
        "/etc/ufw/after.rules".to_owned(),
        "/etc/ufw/after6.rules".to_owned(),
        "/etc/nftables.conf".to_owned(),
    ];
    for dir in ["/usr/local/sbin", "/etc/iptables"] {
        candidates.extend(
            host.entries(dir)
                .unwrap_or_default()
                .iter()
                .map(|n| join(dir, n)),
        );
    }
    let mut evidence = Vec::new();
    let mut unreadable = Vec::new();
    let mut restricting = Vec::new();
    let mut permissive = Vec::new();
    for path in candidates {
        match host.text(&path) {
            Ok(text) => {
                let (rules, restricts) = docker_user_rules(&text);
                if rules > 0 {
                    evidence.push(path.clone());
                    if restricts {
                        restricting.push(path)
                    } else {
                        permissive.push(path)
                    }
                }
            }
            Err(Gap::Unreadable(p, why)) => unreadable.push(format!("{p} ({why})")),
            Err(_) => {}
        }
    }
    if !restricting.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!("DOCKER-USER drops traffic ({})", restricting.join(", ")),
            evidence,
        )
    } else if !permissive.is_empty() {
        Finding::new(
            check,
            Status::Fail,
            format!(
                "DOCKER-USER rules never drop or reject: published container ports stay open ({})",
                permissive.join(", ")
            ),
            evidence,
        )
    } else if !unreadable.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            format!("could not read {}", unreadable.join(", ")),
            evidence,
        )
    } else {
        Finding::new(
            check,
            host.absent(Status::Fail),
            "no DOCKER-USER rules found (ufw after.rules, nftables.conf, /usr/local/sbin scripts, captured iptables): \
             Docker's published ports bypass ufw",
            evidence,
        )
    }
}

pub(crate) fn hetzner(_host: &Host<'_>, check: Check) -> Finding {
    Finding::new(
        check,
        Status::Unknown,
        "applied at the Hetzner Cloud level, not visible in the host's files: check it with the Hetzner API",
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_docker_user_drops_in_scripts_rules_and_nft() {
        assert_eq!(
            docker_user_rules("'iptables' '-w' '-A' 'DOCKER-USER' '-i' 'eth0' '-j' 'DROP'\n"),
            (1, true)
        );
        assert_eq!(docker_user_rules("-A DOCKER-USER -j RETURN\n"), (1, false));
        assert_eq!(
            docker_user_rules(
                "table ip filter {\n  chain DOCKER-USER {\n    iifname \"eth0\" drop\n  }\n}\n"
            ),
            (1, true)
        );
        assert_eq!(docker_user_rules("# -A DOCKER-USER -j DROP\n"), (0, false));
    }
}
