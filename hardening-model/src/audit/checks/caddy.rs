//! Section 6: Caddy.

use crate::audit::Check;
use crate::audit::host::{Gap, Host};
use crate::audit::parse::caddyfile::{Caddyfile, Node, Site};
use crate::audit::report::{Finding, Status};

/// Runs `decide` on every Caddyfile; a check with no Caddyfile is Unknown (Caddy may not be
/// installed, or its file lives elsewhere).
fn each_caddyfile(
    host: &Host<'_>,
    check: Check,
    decide: impl Fn(&Caddyfile) -> Result<String, String>,
) -> Finding {
    let mut bad = Vec::new();
    let mut good = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    for file in &host.caddy {
        match file {
            Ok((path, caddyfile)) => {
                evidence.push(path.clone());
                match decide(caddyfile) {
                    Ok(why) => good.push(format!("{path}: {why}")),
                    Err(why) => bad.push(format!("{path}: {why}")),
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
    } else if good.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            "no Caddyfile found (/etc/caddy/Caddyfile, /opt/*/Caddyfile, /srv/*/Caddyfile)",
            evidence,
        )
    } else {
        Finding::new(check, Status::Pass, good.join("\n"), evidence)
    }
}

fn tls_sites(file: &Caddyfile) -> Vec<Site> {
    file.sites()
        .into_iter()
        .filter(|s| !s.is_http_only())
        .collect()
}

pub(crate) fn admin_off(host: &Host<'_>, check: Check) -> Finding {
    each_caddyfile(host, check, |file| {
        if file.global_option(&["admin", "off"]) {
            Ok("admin off".to_owned())
        } else {
            Err(
                "the global options have no `admin off`: the admin API listens on localhost:2019"
                    .to_owned(),
            )
        }
    })
}

pub(crate) fn tls13(host: &Host<'_>, check: Check) -> Finding {
    each_caddyfile(host, check, |file| {
        let sites = tls_sites(file);
        if sites.is_empty() {
            return Err("no TLS site block".to_owned());
        }
        let weak: Vec<String> = sites
            .iter()
            .filter(|site| {
                !site.all_directives().iter().any(|n| {
                    n.name() == "protocols" && n.tokens.get(1).is_some_and(|min| min == "tls1.3")
                })
            })
            .map(|site| site.addresses.join(" "))
            .collect();
        if weak.is_empty() {
            Ok(format!("{} sites with `protocols tls1.3`", sites.len()))
        } else {
            Err(format!(
                "TLS 1.2 still accepted (no `tls {{ protocols tls1.3 }}`) for {}",
                weak.join(", ")
            ))
        }
    })
}

/// `(name, value)` for every header a site sets, `("-Name", "")` for removals.
fn headers(site: &Site) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let is_matcher = |t: &str| t.starts_with('@') || t.starts_with('/') || t == "*";
    for node in site.all_directives() {
        if node.name() != "header" {
            continue;
        }
        let mut args: &[String] = &node.tokens[1..];
        if args.first().is_some_and(|a| is_matcher(a)) {
            args = &args[1..];
        }
        if let Some(name) = args.first() {
            out.push((name.clone(), args.get(1).cloned().unwrap_or_default()));
        }
        for child in &node.children {
            let Node { tokens, .. } = child;
            if let Some(name) = tokens.first() {
                out.push((name.clone(), tokens.get(1).cloned().unwrap_or_default()));
            }
        }
    }
    out
}

fn header_problems(site: &Site) -> Vec<String> {
    let set = headers(site);
    let value = |name: &str| {
        set.iter()
            .rev()
            .find(|(n, _)| {
                n.trim_start_matches(['+', '>', '?'])
                    .eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| v.clone())
    };
    let removed = |name: &str| {
        set.iter().any(|(n, _)| {
            n.strip_prefix('-')
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    };
    let mut bad = Vec::new();
    match value("Strict-Transport-Security") {
        Some(v) if v.contains("max-age=") && !v.contains("max-age=0") => {}
        _ => bad.push("no Strict-Transport-Security with a max-age".to_owned()),
    }
    if !value("X-Content-Type-Options").is_some_and(|v| v.eq_ignore_ascii_case("nosniff")) {
        bad.push("X-Content-Type-Options is not nosniff".to_owned());
    }
    let frame = value("X-Frame-Options")
        .is_some_and(|v| v.eq_ignore_ascii_case("DENY") || v.eq_ignore_ascii_case("SAMEORIGIN"));
    let ancestors = value("Content-Security-Policy").is_some_and(|v| v.contains("frame-ancestors"));
    if !frame && !ancestors {
        bad.push("no clickjacking protection (X-Frame-Options or CSP frame-ancestors)".to_owned());
    }
    if value("Referrer-Policy").is_none() {
        bad.push("no Referrer-Policy".to_owned());
    }
    if let Some(xss) = value("X-XSS-Protection")
        && xss.trim() != "0"
    {
        {
            bad.push(format!("X-XSS-Protection is \"{xss}\" (should be \"0\": the legacy filter itself enables attacks)"));
        }
    }
    if !removed("Server") {
        bad.push("the Server header is not removed (-Server)".to_owned());
    }
    bad
}

pub(crate) fn headers_check(host: &Host<'_>, check: Check) -> Finding {
    each_caddyfile(host, check, |file| {
        let sites = tls_sites(file);
        if sites.is_empty() {
            return Err("no TLS site block".to_owned());
        }
        let bad: Vec<String> = sites
            .iter()
            .filter_map(|site| {
                let problems = header_problems(site);
                (!problems.is_empty())
                    .then(|| format!("{}: {}", site.addresses.join(" "), problems.join("; ")))
            })
            .collect();
        if bad.is_empty() {
            Ok(format!(
                "{} sites send HSTS, nosniff, frame protection, Referrer-Policy and hide Server",
                sites.len()
            ))
        } else {
            Err(bad.join("; "))
        }
    })
}
