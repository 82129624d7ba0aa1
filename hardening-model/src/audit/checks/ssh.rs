//! Section 3: sshd.

use crate::audit::Check;
use crate::audit::host::{Host, Sshd};
use crate::audit::parse::sshd::Directive;
use crate::audit::report::{Finding, Status};

const ED25519: &[&str] = &[
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
];

/// Runs `decide` on the sshd configuration, adding the source remark and demoting a pass to
/// Unknown when some included file could not be read (it might set the keyword first).
fn with_sshd(
    host: &Host<'_>,
    check: Check,
    decide: impl Fn(&Sshd) -> (Status, String, Vec<String>),
) -> Finding {
    let sshd = match &host.sshd {
        Ok(sshd) => sshd,
        Err(gap) => {
            return gap.finding(
                check,
                Status::Fail,
                "sshd runs with its defaults, which fail this check",
            );
        }
    };
    let (mut status, mut detail, mut evidence) = decide(sshd);
    if let Some(note) = &sshd.note {
        detail.push_str(&format!("\n({note})"));
    }
    if !sshd.config.problems.is_empty() {
        detail.push_str(&format!("\nproblems: {}", sshd.config.problems.join("; ")));
        if status == Status::Pass {
            status = Status::Unknown;
        }
    }
    if evidence.is_empty() {
        evidence = sshd.config.files.clone();
    }
    Finding::new(check, status, detail, evidence)
}

/// Checks one keyword: the global effective value and every Match block override must be
/// acceptable. `default` is OpenSSH's value when unset.
fn keyword(
    host: &Host<'_>,
    check: Check,
    key: &str,
    default: &str,
    ok: impl Fn(&str) -> bool,
) -> Finding {
    with_sshd(host, check, |sshd| {
        let cfg = &sshd.config;
        let mut bad = Vec::new();
        let mut evidence = Vec::new();
        let global = match cfg.first(key) {
            Some(d) => {
                evidence.push(d.origin());
                d.value()
            }
            None => default.to_owned(),
        };
        let shown = cfg
            .first(key)
            .map_or_else(|| format!("{key} not set (default {default})"), describe);
        if !ok(&global) {
            bad.push(shown.clone());
        }
        for (block, d) in cfg.overrides(key) {
            evidence.push(d.origin());
            if !ok(&d.value()) {
                bad.push(format!("Match {} sets {}", block.criteria, describe(d)));
            }
        }
        if bad.is_empty() {
            (Status::Pass, shown, evidence)
        } else {
            (Status::Fail, bad.join("; "), evidence)
        }
    })
}

fn describe(d: &Directive) -> String {
    format!("{} {} at {}", d.keyword, d.value(), d.origin())
}

pub(crate) fn root_login(host: &Host<'_>, check: Check) -> Finding {
    keyword(host, check, "permitrootlogin", "prohibit-password", |v| {
        v.eq_ignore_ascii_case("no")
    })
}

pub(crate) fn log_level(host: &Host<'_>, check: Check) -> Finding {
    keyword(host, check, "loglevel", "INFO", |v| {
        v.eq_ignore_ascii_case("verbose")
    })
}

pub(crate) fn password_auth(host: &Host<'_>, check: Check) -> Finding {
    let password = keyword(host, check, "passwordauthentication", "yes", |v| {
        v.eq_ignore_ascii_case("no")
    });
    let keyboard = keyword(host, check, "kbdinteractiveauthentication", "yes", |v| {
        v.eq_ignore_ascii_case("no")
    });
    combine(check, &[password, keyboard])
}

/// The worst of several findings for one check, details joined.
fn combine(check: Check, parts: &[Finding]) -> Finding {
    let status = if parts.iter().any(|f| f.status == Status::Fail) {
        Status::Fail
    } else if parts.iter().any(|f| f.status == Status::Unknown) {
        Status::Unknown
    } else {
        Status::Pass
    };
    let mut lines: Vec<String> = Vec::new();
    for part in parts
        .iter()
        .filter(|f| status == Status::Pass || f.status != Status::Pass)
    {
        for line in part.detail.lines() {
            if !lines.iter().any(|l| l == line) {
                lines.push(line.to_owned());
            }
        }
    }
    let detail = lines.join("\n");
    let mut evidence: Vec<String> = parts.iter().flat_map(|f| f.evidence.clone()).collect();
    evidence.dedup();
    Finding::new(check, status, detail, evidence)
}

/// Why an algorithm list is not Ed25519-only, if it is not.
fn not_ed25519_only(list: &str) -> Option<String> {
    if list.starts_with(['+', '-', '^']) {
        return Some(format!(
            "`{list}` edits OpenSSH's default list, which keeps RSA and ECDSA"
        ));
    }
    let others: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|a| !ED25519.contains(a))
        .collect();
    (!others.is_empty()).then(|| format!("allows {}", others.join(",")))
}

pub(crate) fn ed25519_only(host: &Host<'_>, check: Check) -> Finding {
    with_sshd(host, check, |sshd| {
        let cfg = &sshd.config;
        let mut bad = Vec::new();
        let mut good = Vec::new();
        let mut evidence = Vec::new();
        match cfg.first("pubkeyacceptedalgorithms") {
            None => bad.push(
                "PubkeyAcceptedAlgorithms not set: the default accepts RSA and ECDSA user keys"
                    .to_owned(),
            ),
            Some(d) => {
                evidence.push(d.origin());
                match not_ed25519_only(&d.value()) {
                    Some(why) => {
                        bad.push(format!("PubkeyAcceptedAlgorithms at {} {why}", d.origin()))
                    }
                    None => good.push("user keys Ed25519 only".to_owned()),
                }
            }
        }
        for (block, d) in cfg.overrides("pubkeyacceptedalgorithms") {
            if let Some(why) = not_ed25519_only(&d.value()) {
                bad.push(format!(
                    "Match {} PubkeyAcceptedAlgorithms {why}",
                    block.criteria
                ));
            }
        }
        match cfg.first("hostkeyalgorithms") {
            Some(d) => {
                evidence.push(d.origin());
                match not_ed25519_only(&d.value()) {
                    Some(why) => bad.push(format!("HostKeyAlgorithms at {} {why}", d.origin())),
                    None => good.push("host key algorithms Ed25519 only".to_owned()),
                }
            }
            None => {
                let keys = cfg.all("hostkey");
                if keys.is_empty() {
                    bad.push("no HostKey and no HostKeyAlgorithms: sshd offers its default RSA and ECDSA host keys".to_owned());
                } else {
                    let others: Vec<String> = keys
                        .iter()
                        .filter(|d| !d.value().contains("ed25519"))
                        .map(|d| d.value())
                        .collect();
                    evidence.extend(keys.iter().map(|d| d.origin()));
                    if others.is_empty() {
                        good.push("host keys Ed25519 only".to_owned());
                    } else {
                        bad.push(format!("non-Ed25519 host keys: {}", others.join(", ")));
                    }
                }
            }
        }
        if bad.is_empty() {
            (Status::Pass, good.join("; "), evidence)
        } else {
            (Status::Fail, bad.join("; "), evidence)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_lists() {
        assert!(not_ed25519_only("ssh-ed25519,sk-ssh-ed25519@openssh.com").is_none());
        assert!(not_ed25519_only("ssh-ed25519,rsa-sha2-512").is_some());
        assert!(not_ed25519_only("-ssh-rsa").is_some());
    }
}
