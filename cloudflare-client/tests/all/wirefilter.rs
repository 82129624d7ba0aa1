//! Every expression of the zone preset (every plan, every option) is parsed by Cloudflare's own
//! Rules-language engine, wirefilter (through the `octorules-wirefilter` Python bindings, which
//! `.ci/install-validators` pins into `.ci/venv`), with its HTTP field scheme: unknown fields,
//! functions, types or quoting fail the test. The fields wirefilter reports are also the fields
//! this crate's plan-limit checks see.
//!
//! The crate's own checker (`expression::parse`, used by the client before it sends and by the
//! simulator) is compared with wirefilter over a corpus of valid and invalid expressions (they
//! must agree on accept/refuse, and on the fields and functions a valid one uses), and every
//! field of its table is probed with its type.
//!
//! Skips with `skipping: ...` when the bindings are missing, and fails instead when `CI` is set.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write;
use std::process::{Command, Stdio};

use cloudflare_client::PlanTier;
use cloudflare_client::expression::{Type, field_names, field_type, fields_used, parse as check};
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
        r#"(http.request.uri.path contains)"#.to_owned(),
        r#"ip.src contains "1.2""#.to_owned(),
        r#"(http.request.uri.pth contains "/.env")"#.to_owned(),
        r#"(starts_with(http.request.uri.path, 42))"#.to_owned(),
    ];
    for (expr, result) in bad.iter().zip(parse(&python, &bad)) {
        assert!(result["error"].is_string(), "accepted {expr}");
    }
}

/// Expressions both checkers must accept.
const VALID: &[&str] = &[
    "ssl",
    "not ssl",
    "!ssl and (ssl or not ssl) xor ssl",
    r#"http.host eq "example.com" ^^ ssl"#,
    r#"http.host eq "a" || ssl && not cf.client.bot"#,
    r#"http.request.method in {"GET" "POST"}"#,
    r#"http.request.method in {}"#,
    "ip.src in {192.0.2.0/24 2001:db8::/32 10.0.0.1..10.0.0.9}",
    "ip.src eq 192.0.2.1",
    "ip.src ne 2001:db8::1",
    "ip.src lt 192.0.2.1",
    "ip.src in $admin_ips",
    "ip.src in $9a",
    "http.request.uri.path in $paths",
    "ip.src.asnum in $asns",
    "cf.threat_score ge 10 && cf.bot_management.score lt 30",
    "cf.threat_score >= 10 and cf.bot_management.score < 30 and cf.waf.score != 5",
    "ip.src.asnum in {13335 64512..65534}",
    "cf.bot_management.score eq -1",
    "http.request.timestamp.sec & 1",
    "cf.threat_score bitwise_and 1",
    r#"http.host matches r"^www\.""#,
    r#"http.host ~ "^a.*b$""#,
    r##"http.host eq r#"a"b"#"##,
    r#"http.host eq "\x41\101\"\\""#,
    r#"http.host eq "é""#,
    r#"http.host strict wildcard "*.example.com""#,
    r#"http.host wildcard "*.example.com""#,
    r#"http.request.uri.path lt "x""#,
    r#"any(http.request.headers.names[*] == "x-api-key")"#,
    r#"all(http.request.headers["accept"][*] contains "json")"#,
    r#"any(http.request.headers["x-api-key"][*] eq "k")"#,
    r#"http.request.headers["x"][0] eq "a""#,
    r#"http.request.headers.names[0] eq "a""#,
    r#"http.request.cookies["session"][0] ne """#,
    r#"any(lower(http.request.headers.names[*])[*] contains "x")"#,
    r#"lower(http.host) eq "a" and len(http.host) gt 3"#,
    r#"upper(http.host) eq "A""#,
    r#"starts_with(http.request.uri.path, "/api/")"#,
    r#"ends_with(http.host, ".com")"#,
    r#"concat("a", http.host, "b") eq "x""#,
    r#"regex_replace(http.host, "a", "b") eq "c""#,
    r#"wildcard_replace(http.request.full_uri, "*", "${1}") eq "x""#,
    r#"url_decode(http.request.uri.query) contains "<script""#,
    r#"to_string(cf.bot_management.score) eq "1""#,
    r#"has_key(http.request.headers, "x")"#,
    r#"substring(http.host, 1, 2) eq "a""#,
    r#"remove_bytes(http.host, "w") eq "a""#,
    r#"lookup_json_string(http.request.body.raw, "a") eq "b""#,
    r#"lookup_json_integer(http.request.body.raw, "n") gt 1"#,
    r#"cf.bot_management.verified_bot and not cf.client.bot"#,
    r#"ip.geoip.country in {"CN" "RU"} and not cf.client.bot"#,
    r#"ip.src.country eq "DE""#,
    r#"(http.request.uri.path contains "/.git") or (http.request.uri.path contains "/.svn")"#,
    r#"((http.request.uri.path contains "/.env"))"#,
    "cf.response.1xxx_code eq 1020",
    "http.response.code in {500..599}",
    r#"any(cf.llm.prompt.pii_categories[*] eq "EMAIL")"#,
    r#"remove_query_args(http.request.uri.query, "a", "b") eq "x""#,
    r#"concat(http.request.headers.names, http.request.headers.values)[0] eq "a""#,
    r#"has_value(http.request.headers.names, "a")"#,
    r#"split(http.host, ".", 2)[0] eq "a""#,
    r#"join(http.request.headers.names, ",") eq "a""#,
    "cidr(ip.src, 24, 64) eq 1.2.3.0",
    "cidr6(ip.src, 64) eq 2001:db8::",
    "bit_slice(http.host, 0, 1) eq 1",
    r#"encode_base64(http.host) eq "a""#,
    r#"decode_base64(http.host) eq "a""#,
    r#"uuidv4(cf.random_seed) eq "a""#,
    r#"sha256(http.host) eq "a""#,
];

/// Where the checker follows Cloudflare's documentation (or the API) and these bindings of
/// wirefilter differ: each pair is an expression and which side accepts it. The test keeps
/// the list honest: the difference must still be there.
const KNOWN_DIFFERENCES: &[(&str, bool)] = &[
    // The API refuses an empty expression (1 to 4096 characters); the engine alone takes it.
    ("", false),
    // Documented: `lookup_json_string(field, key [, key ...])`, keys strings or integers.
    (
        r#"lookup_json_string(http.request.body.raw, "a", 0) eq "b""#,
        true,
    ),
    (
        r#"lookup_json_integer(http.request.body.raw, "a", "b") eq 1"#,
        true,
    ),
    // Documented: `url_decode(source [, options])`.
    (r#"url_decode(http.request.uri.query, "r") eq "a""#, true),
    // Documented: `to_string(Integer | Boolean | IP address)`.
    (r#"to_string(ip.src) eq "192.0.2.1""#, true),
    (r#"to_string(ssl) eq "true""#, true),
    // Documented: the secret is the first argument, as a string literal.
    (
        r#"is_timed_hmac_valid_v0("s3cr3t", http.request.uri, 100, http.request.timestamp.sec, 8)"#,
        true,
    ),
];

/// Expressions both checkers must refuse.
const INVALID: &[&str] = &[
    "(http.request.uri.path contains)",
    r#"(http.request.uri.path contains "/.env)"#,
    r#"(http.request.uri.pth contains "/.env")"#,
    r#"fooo(http.host) eq "a""#,
    r#"ip.src contains "1.2""#,
    r#"ip.src matches "1""#,
    r#"ip.src wildcard "1*""#,
    "ip.src eq 1.2.3.0/24",
    r#"ip.src in {1.2.3.4 "x"}"#,
    r#"(starts_with(http.request.uri.path, 42))"#,
    "ssl eq true",
    "ssl ne 1",
    "http.host",
    "cf.threat_score",
    "(ssl",
    "ssl)",
    "not",
    "ssl and",
    "ssl or or ssl",
    r#"http.host eq "a" "b""#,
    r#"http.host EQ "a""#,
    r#"HTTP.HOST eq "a""#,
    "http.host contains 5",
    "http.host bitwise_and 1",
    r#"http.host wildcard 1"#,
    r#"cf.threat_score eq "high""#,
    r#"cf.threat_score contains "1""#,
    r#"http.host matches "(""#,
    r#"http.host eq "\n""#,
    r#"http.host eq "a"#,
    r#"http.request.method in {"GET", "POST"}"#,
    r#"http.request.method in {"GET" 1}"#,
    "ip.src in $Foo",
    "cf.threat_score in {1..}",
    r#"lower(http.host, "x") eq "a""#,
    r#"lower() eq "a""#,
    "any(ssl)",
    r#"http.request.headers["a"] eq "b""#,
    r#"http.request.uri.path[0] eq "a""#,
    r#"http.request.uri.args["a"][*] eq "b""#,
    r#"any(lower(http.request.headers.names[*]) contains "x")"#,
    r#"len(http.request.headers.names) gt 1"#,
    r#"http.host strict  wildcard "*""#,
    "cf.colo.id eq 1",
];

#[test]
fn the_crates_checker_agrees_with_wirefilter() {
    let Some(python) = python() else { return };
    let corpus: Vec<String> = VALID
        .iter()
        .chain(INVALID)
        .map(|s| (*s).to_owned())
        .collect();
    let theirs = parse(&python, &corpus);
    let mut disagreements = Vec::new();
    for (i, (expr, result)) in corpus.iter().zip(&theirs).enumerate() {
        let want_valid = i < VALID.len();
        let wirefilter_ok = result["error"].is_null();
        let ours = check(expr);
        if wirefilter_ok != want_valid {
            disagreements.push(format!(
                "corpus entry misfiled (wirefilter says {wirefilter_ok}): {expr}"
            ));
        }
        match (&ours, wirefilter_ok) {
            (Ok(parsed), true) => {
                let mut fields: Vec<String> =
                    serde_json::from_value(result["fields"].clone()).unwrap();
                let mut functions: Vec<String> =
                    serde_json::from_value(result["functions"].clone()).unwrap();
                let (mut our_fields, mut our_functions) =
                    (parsed.fields.clone(), parsed.functions.clone());
                for v in [
                    &mut fields,
                    &mut functions,
                    &mut our_fields,
                    &mut our_functions,
                ] {
                    v.sort();
                    v.dedup();
                }
                if (&our_fields, &our_functions) != (&fields, &functions) {
                    disagreements.push(format!(
                        "{expr}: ours {our_fields:?} {our_functions:?}, wirefilter {fields:?} {functions:?}"
                    ));
                }
            }
            (Err(_), false) => {}
            (Ok(_), false) => disagreements.push(format!(
                "only wirefilter refuses {expr}: {}",
                result["error"]
            )),
            (Err(e), true) => disagreements.push(format!("only we refuse {expr}: {e}")),
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn known_differences_are_still_differences() {
    let Some(python) = python() else { return };
    let exprs: Vec<String> = KNOWN_DIFFERENCES
        .iter()
        .map(|(e, _)| (*e).to_owned())
        .collect();
    for ((expr, we_accept), result) in KNOWN_DIFFERENCES.iter().zip(parse(&python, &exprs)) {
        assert_eq!(check(expr).is_ok(), *we_accept, "{expr}");
        assert_eq!(
            result["error"].is_null(),
            !we_accept,
            "wirefilter now agrees on {expr}; move it into the corpus"
        );
    }
}

/// An expression that uses field `name` as a value of type `ty`.
fn probe(name: &str, ty: &Type) -> String {
    let bytes = Type::Bytes;
    let int = Type::Int;
    match ty {
        Type::Bool => name.to_owned(),
        Type::Bytes => format!(r#"{name} eq "a""#),
        Type::Int => format!("{name} eq 1"),
        Type::Ip => format!("{name} eq 192.0.2.1"),
        Type::Array(t) if **t == bytes => format!(r#"any({name}[*] eq "a")"#),
        Type::Array(t) if **t == int => format!("any({name}[*] eq 1)"),
        Type::Array(t) if **t == Type::array(bytes.clone()) => {
            format!(r#"any({name}[0][*] eq "a")"#)
        }
        Type::Map(t) if **t == Type::array(bytes.clone()) => {
            format!(r#"any({name}["a"][*] eq "a")"#)
        }
        Type::Map(t) if **t == Type::array(int.clone()) => format!(r#"any({name}["a"][*] eq 1)"#),
        Type::Map(t) if **t == int => format!(r#"{name}["a"] eq 1"#),
        other => panic!("no probe for {other}"),
    }
}

#[test]
fn every_field_has_the_type_wirefilter_gives_it() {
    let Some(python) = python() else { return };
    let probes: Vec<String> = field_names()
        .map(|n| probe(n, &field_type(n).unwrap()))
        .collect();
    for p in &probes {
        assert!(check(p).is_ok(), "our checker refuses its own probe {p}");
    }
    let theirs = parse(&python, &probes);
    let refused: Vec<String> = probes
        .iter()
        .zip(&theirs)
        .filter(|(_, r)| !r["error"].is_null())
        .map(|(p, r)| format!("{p}: {}", r["error"]))
        .collect();
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
