//! Every expression of the zone preset (every plan, every option) is parsed by Cloudflare's own
//! Rules-language engine, wirefilter (through the `octorules-wirefilter` Python bindings, which
//! `.ci/install-validators` pins into `.ci/venv`), with its HTTP field scheme: unknown fields,
//! functions, types or quoting fail the test. The fields wirefilter reports are also the fields
//! this crate's plan-limit checks see.
//!
//! Skips with `skipping: ...` when the bindings are missing, and fails instead when `CI` is set.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;
use std::process::{Command, Stdio};

use cloudflare_client::PlanTier;
use cloudflare_client::expression::fields_used;
use cloudflare_client::hardening::preset::{RunbookOptions, runbook};
use serde_json::Value;

const PARSE: &str = r#"
import json, sys
import octorules_wirefilter as w
out = []
for e in json.load(sys.stdin):
    r = w.parse_expression(e)
    out.append({"error": r.get("error"), "fields": r["fields"], "functions": r["functions"]})
json.dump(out, sys.stdout)
"#;

/// `python3` of `.ci/venv` (or of `PATH`) that can import the bindings.
fn python() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join(".ci/venv/bin/python3");
    let candidates = [venv, "python3".into()];
    let found = candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import octorules_wirefilter"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        let message = "skipping: octorules-wirefilter not installed (bash .ci/install-validators pins it into .ci/venv)";
        assert!(
            !hardening_validators::ci_mode(),
            "{message}; CI is set, so validator tests may not skip"
        );
        eprintln!("{message}");
    }
    found
}

fn parse(python: &std::path::Path, expressions: &[String]) -> Vec<Value> {
    let mut child = Command::new(python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(expressions).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "wirefilter bindings failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_preset_expression_parses_in_wirefilter() {
    let Some(python) = python() else { return };
    let options = RunbookOptions {
        admin_ips: vec!["198.51.100.0/24".into()],
        challenge_countries: vec!["CN".into(), "RU".into()],
        ..Default::default()
    };
    let mut expressions = Vec::new();
    for tier in PlanTier::known() {
        for phase in runbook(&tier, &options).unwrap().phases {
            for rule in phase.rules {
                // `true` is the API's "every request" expression (execute and configuration
                // rules); it is a constant, not an expression over the HTTP scheme.
                if rule.expression != "true" && !expressions.contains(&rule.expression) {
                    expressions.push(rule.expression);
                }
            }
        }
    }
    assert!(expressions.len() >= 6, "{expressions:?}");
    let parsed = parse(&python, &expressions);
    for (expr, result) in expressions.iter().zip(&parsed) {
        assert!(
            result["error"].is_null(),
            "wirefilter rejects {expr}:\n{}",
            result["error"]
        );
        let mut theirs: Vec<String> = serde_json::from_value(result["fields"].clone()).unwrap();
        let mut ours = fields_used(expr).unwrap();
        theirs.sort();
        theirs.dedup();
        ours.sort();
        assert_eq!(ours, theirs, "fields of {expr}");
    }
}

#[test]
fn wirefilter_rejects_what_cloudflare_rejects() {
    let Some(python) = python() else { return };
    let bad = [
        r#"(http.request.uri.path contains "/.env)"#.to_owned(),
        r#"(http.request.uri.pth contains "/.env")"#.to_owned(),
        r#"(starts_with(http.request.uri.path, 42))"#.to_owned(),
    ];
    for (expr, result) in bad.iter().zip(parse(&python, &bad)) {
        assert!(result["error"].is_string(), "accepted {expr}");
    }
}
