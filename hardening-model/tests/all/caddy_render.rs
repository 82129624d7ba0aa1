//! Caddyfile rendering: the erratum-14 defaults, typed refusals, adversarial header values,
//! paths and domains that never add a Caddy block or directive, and `caddy validate`.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::IpNet;
use hardening_model::Problem;
use hardening_model::caddy::{
    Caddyfile, Curve, HeaderName, HeaderValue, RateLimitZone, ReverseProxy, SecurityHeaders, Site,
    TlsPolicy, TlsProtocols, Upstream, UriPath,
};
use hardening_model::values::{Domain, Port};
use proptest::prelude::*;

fn ranges() -> Vec<IpNet> {
    ["173.245.48.0/20", "2400:cb00::/32"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
}

fn proxy(health: &str) -> ReverseProxy {
    ReverseProxy::new(vec![
        Upstream::new("app", Port::new(3000).unwrap()).unwrap(),
    ])
    .unwrap()
    .with_health_check(UriPath::new(health).unwrap())
}

fn site(domain: &str) -> Site {
    Site::new(vec![Domain::new(domain).unwrap()], proxy("/health")).unwrap()
}

/// The structure of a Caddyfile: (depth, first token) of every line, from a tokenizer that
/// honours double quotes. Any injected block or directive changes it.
fn shape(text: &str) -> Vec<(usize, String)> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for line in text.lines() {
        let mut tokens = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if !cur.is_empty() {
                        tokens.push(std::mem::take(&mut cur));
                    }
                }
                c => cur.push(c),
            }
        }
        assert!(!quoted, "unbalanced quote in line {line:?}");
        if !cur.is_empty() {
            tokens.push(cur);
        }
        let Some(first) = tokens.first() else {
            continue;
        };
        if first == "}" {
            depth -= 1;
        }
        out.push((depth, first.clone()));
        if tokens.last().is_some_and(|t| t == "{") {
            depth += 1;
        }
    }
    assert_eq!(depth, 0, "unbalanced braces");
    out
}

#[test]
fn defaults_follow_erratum_14() {
    let text = Caddyfile::new()
        .with_site(site("app.example.com"))
        .render()
        .unwrap();
    assert!(text.contains("\tadmin off\n"));
    assert!(text.contains("X-XSS-Protection \"0\""));
    assert!(text.contains("max-age=63072000; includeSubDomains\""));
    assert!(!text.contains("preload"));
    assert!(!text.contains("rate_limit"));
    assert!(!text.contains("{remote_host}"));
    assert!(text.contains("header_up X-Real-IP {client_ip}"));
    assert!(text.contains("-Server"));
    assert!(
        !text.contains("curves"),
        "Caddy's default curves keep x25519mlkem768 and P-256"
    );
    let csp = text
        .lines()
        .find(|l| l.contains("Content-Security-Policy"))
        .unwrap();
    let script_src = csp.split(';').find(|d| d.contains("script-src")).unwrap();
    assert!(!script_src.contains("unsafe-inline"));
}

#[test]
fn hsts_preload_only_on_request() {
    let mut s = site("app.example.com");
    s.headers.hsts_preload = true;
    let text = Caddyfile::new().with_site(s).render().unwrap();
    assert!(text.contains("max-age=63072000; includeSubDomains; preload\""));
}

#[test]
fn rate_limit_needs_the_plugin() {
    let zone = RateLimitZone::new("auth", 5, 60)
        .unwrap()
        .for_path(UriPath::new("/login").unwrap());
    let file = Caddyfile::new().with_site(site("app.example.com").with_rate_limit(zone));
    let err = file.render().unwrap_err();
    assert_eq!(err.field(), "caddy.sites[0].rate_limit");
    assert!(matches!(err.problem(), Problem::Conflict(_)));
    let text = file.with_ratelimit_plugin().render().unwrap();
    assert!(text.contains("\torder rate_limit before basicauth\n"));
    assert!(text.contains("\t\tzone auth {\n"));
    assert!(text.contains("key {client_ip}"));
    shape(&text);
}

#[test]
fn origin_allow_list_needs_ipv4_and_ipv6() {
    let v4_only: Vec<IpNet> = vec!["173.245.48.0/20".parse().unwrap()];
    assert_eq!(
        site("a.example.com")
            .only_from(&v4_only)
            .unwrap_err()
            .field(),
        "site.origin_allow"
    );
    assert_eq!(
        Caddyfile::new()
            .with_trusted_proxies(&v4_only, None)
            .unwrap_err()
            .field(),
        "caddy.trusted_proxies"
    );
    let text = Caddyfile::new()
        .with_site(site("a.example.com").only_from(&ranges()).unwrap())
        .render()
        .unwrap();
    assert!(text.contains("@not_allowed_origin not remote_ip 173.245.48.0/20 2400:cb00::/32\n"));
    assert!(text.contains("abort @not_allowed_origin\n"));
}

#[test]
fn curves_must_keep_pq_hybrid_and_p256() {
    let tls = TlsPolicy::new(TlsProtocols::Tls12Plus);
    assert_eq!(
        tls.clone()
            .with_curves(&[Curve::X25519, Curve::P384])
            .unwrap_err()
            .field(),
        "tls.curves"
    );
    let mut s = site("a.example.com");
    s.tls = tls
        .with_curves(&[Curve::X25519Mlkem768, Curve::X25519, Curve::P256])
        .unwrap();
    let text = Caddyfile::new().with_site(s).render().unwrap();
    assert!(text.contains("protocols tls1.2 tls1.3\n"));
    assert!(text.contains("curves x25519mlkem768 x25519 secp256r1\n"));
}

#[test]
fn duplicate_domains_and_empty_files_are_refused() {
    assert_eq!(
        Caddyfile::new().render().unwrap_err().field(),
        "caddy.sites"
    );
    let dup = Caddyfile::new()
        .with_site(site("a.example.com"))
        .with_site(site("a.example.com"));
    assert_eq!(dup.render().unwrap_err().field(), "caddy.sites[1].domains");
    assert_eq!(
        Caddyfile::new().with_email("x@-bad").unwrap_err().field(),
        "caddy.email"
    );
}

fn full(trusted: bool) -> Caddyfile {
    let s = site("app.example.com").only_from(&ranges()).unwrap();
    let c = Caddyfile::new()
        .with_email("ops@example.com")
        .unwrap()
        .with_site(s);
    if trusted {
        c.with_trusted_proxies(
            &ranges(),
            Some(HeaderName::new("Cf-Connecting-Ip").unwrap()),
        )
        .unwrap()
    } else {
        c
    }
}

#[test]
fn caddy_validate_without_trusted_proxies() {
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    caddy.check(&full(false).render().unwrap()).unwrap();
    let mut s = site("b.example.com");
    s.tls = TlsPolicy::new(TlsProtocols::Tls12Plus);
    caddy
        .check(&Caddyfile::new().with_site(s).render().unwrap())
        .unwrap();
}

#[test]
fn caddy_validate_with_trusted_proxies() {
    // trusted_proxies and client_ip_headers need Caddy 2.7+; .ci/install-validators puts
    // Caddy 2.11 into .ci/venv. An older caddy first on PATH skips here, and fails in CI.
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    match caddy.check(&full(true).render().unwrap()) {
        Ok(()) => {}
        Err(r)
            if r.output()
                .contains("unrecognized servers option 'trusted_proxies'") =>
        {
            assert!(
                !hardening_validators::ci_mode(),
                "caddy on PATH is older than 2.7: {r}"
            );
            eprintln!("skipping: caddy on PATH is older than 2.7 (no trusted_proxies)");
        }
        Err(r) => panic!("{r}"),
    }
}

fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,4}[\"'\\n\\r{}#@ \\\\`;]{1,6}[a-z]{0,4}",
        Just("x\"\n}\nadmin localhost:2019\n{\"".to_owned()),
        Just("v }\n:80 {\n respond hi".to_owned()),
        Just("{env.SECRET}".to_owned()),
        Just("import /etc/passwd".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// A header value is rejected naming the field, or the file has the baseline's shape.
    #[test]
    fn adversarial_header_values(v in adversarial()) {
        let baseline = shape(&Caddyfile::new().with_site(site("a.example.com")).render().unwrap());
        match HeaderValue::new(&v) {
            Err(e) => prop_assert_eq!(e.field(), "header.value"),
            Ok(value) => {
                let mut s = site("a.example.com");
                s.headers = SecurityHeaders::default().with_header(HeaderName::new("X-Test").unwrap(), value);
                let text = Caddyfile::new().with_site(s).render().unwrap();
                let mut got = shape(&text);
                let pos = got.iter().position(|(_, t)| t == "X-Test").unwrap();
                got.remove(pos);
                prop_assert_eq!(got, baseline);
                let expected_line = format!("\t\tX-Test \"{v}\"");
                prop_assert!(text.lines().any(|l| l == expected_line));
            }
        }
    }

    /// A CSP is rejected naming `header.csp`, or stays one quoted token.
    #[test]
    fn adversarial_csp(v in adversarial()) {
        let baseline = shape(&Caddyfile::new().with_site(site("a.example.com")).render().unwrap());
        match SecurityHeaders::default().with_csp(&v) {
            Err(e) => prop_assert_eq!(e.field(), "header.csp"),
            Ok(h) => {
                let mut s = site("a.example.com");
                s.headers = h;
                prop_assert_eq!(shape(&Caddyfile::new().with_site(s).render().unwrap()), baseline);
            }
        }
    }

    /// A path is rejected naming `path`, or the file has the baseline's shape.
    #[test]
    fn adversarial_paths(p in adversarial()) {
        let baseline = shape(&Caddyfile::new().with_site(site("a.example.com")).render().unwrap());
        match UriPath::new(&format!("/{p}")) {
            Err(e) => prop_assert_eq!(e.field(), "path"),
            Ok(path) => {
                let s = Site::new(vec![Domain::new("a.example.com").unwrap()], ReverseProxy::new(vec![Upstream::new("app", Port::new(3000).unwrap()).unwrap()]).unwrap().with_health_check(path)).unwrap();
                match Caddyfile::new().with_site(s).render() {
                    Err(e) => prop_assert_eq!(e.field(), "caddy.sites[0].reverse_proxy.health.uri"),
                    Ok(text) => prop_assert_eq!(shape(&text), baseline),
                }
            }
        }
    }

    /// A header name is rejected naming `header.name`, or it is one line's first token.
    #[test]
    fn adversarial_header_names(n in prop_oneof![any::<String>(), "[A-Za-z{} \\n-]{1,8}", Just("import".to_owned()), Just("Defer".to_owned())]) {
        let baseline = shape(&Caddyfile::new().with_site(site("a.example.com")).render().unwrap());
        match HeaderName::new(&n) {
            Err(e) => prop_assert_eq!(e.field(), "header.name"),
            Ok(name) => {
                let mut s = site("a.example.com");
                s.headers = SecurityHeaders::default().with_header(name, HeaderValue::new("v").unwrap());
                let mut got = shape(&Caddyfile::new().with_site(s).render().unwrap());
                let pos = got.iter().position(|(_, t)| *t == n);
                prop_assert!(pos.is_some());
                got.remove(pos.unwrap());
                if got.len() + 1 == baseline.len() {
                    // the name replaced one of the default headers (case-insensitive match)
                    prop_assert!(baseline.iter().any(|(_, t)| t.eq_ignore_ascii_case(&n)));
                } else {
                    prop_assert_eq!(got, baseline);
                }
                prop_assert!(!["import", "defer", "match"].contains(&n.to_ascii_lowercase().as_str()));
            }
        }
    }

    /// A domain is rejected naming `domain`, or it is the site block's only address token.
    #[test]
    fn adversarial_domains(d in adversarial()) {
        let baseline = shape(&Caddyfile::new().with_site(site("a.example.com")).render().unwrap());
        match Domain::new(&d) {
            Err(e) => prop_assert_eq!(e.field(), "domain"),
            Ok(domain) => {
                let name = domain.as_str().to_owned();
                let s = match Site::new(vec![domain], proxy("/health")) {
                    Ok(s) => s,
                    Err(e) => {
                        prop_assert_eq!(e.field(), "site.domains");
                        prop_assert_eq!(name.as_str(), "import");
                        return Ok(());
                    }
                };
                let got = shape(&Caddyfile::new().with_site(s).render().unwrap());
                let expected: Vec<_> = baseline
                    .iter()
                    .map(|(depth, t)| (*depth, if t == "a.example.com" { name.clone() } else { t.clone() }))
                    .collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
