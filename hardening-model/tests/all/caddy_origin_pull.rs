//! Authenticated Origin Pulls against a real Caddy on loopback: with `OriginPull` on, a client
//! certificate from the trusted CA gets an HTTP answer; no certificate, or one from another
//! CA, fails the TLS handshake. `Listen` makes Caddy bind only the given address.

use std::path::{Path, PathBuf};
use std::process::Command;

use hardening_model::caddy::{
    Caddyfile, Listen, OriginPull, ReverseProxy, Site, TlsPolicy, TlsProtocols, Upstream,
};
use hardening_model::values::{AbsPath, Domain, Port};
use hardening_validators::{ServerProcess, TestPki};

fn abs(p: &Path) -> AbsPath {
    AbsPath::new(p.to_str().expect("utf-8")).expect("absolute path")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}

fn caddyfile(dir: &Path, https: u16, http: u16) -> String {
    let proxy = ReverseProxy::new(vec![
        Upstream::new("app", Port::new(3000).expect("port")).expect("upstream"),
    ])
    .expect("proxy");
    let mut site = Site::new(vec![Domain::new("localhost").expect("domain")], proxy).expect("site");
    site.tls = TlsPolicy::new(TlsProtocols::Tls13Only)
        .with_certificate(abs(&dir.join("server.pem")), abs(&dir.join("server.key")))
        .with_origin_pull(OriginPull::with_ca_file(abs(
            &dir.join("origin-pull-ca.pem")
        )));
    let listen = Listen::on(&["127.0.0.1".parse().expect("ip")])
        .expect("listen")
        .with_ports(
            Port::new(http).expect("port"),
            Port::new(https).expect("port"),
        )
        .expect("ports");
    Caddyfile::new()
        .with_listen(listen)
        .with_site(site)
        .render()
        .expect("render")
}

/// `curl` over TLS 1.3 to `https://localhost:PORT/` (resolved to 127.0.0.1), optionally with a
/// client certificate. `Ok(status)` when an HTTP answer came back, `Err(curl's message)` when
/// the connection failed.
fn request(
    server: &ServerProcess,
    dir: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<u16, String> {
    let port = server.port();
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
        "--cacert",
    ])
    .arg(dir.join("server-ca.pem"))
    .arg("--resolve")
    .arg(format!("localhost:{port}:127.0.0.1"));
    if let Some((cert, key)) = client {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    let out = cmd
        .arg(format!("https://localhost:{port}/"))
        .output()
        .expect("curl");
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match code.parse::<u16>() {
        Ok(status) if out.status.success() && status != 0 => Ok(status),
        _ => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// Local addresses of listening TCP sockets on `port`, from /proc/net/tcp and tcp6.
fn listening_on(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (cols.get(1), cols.get(3)) else {
                continue;
            };
            let Some((addr, p)) = local.rsplit_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(p, 16) == Ok(port) {
                found.push(addr.to_owned());
            }
        }
    }
    found
}

fn pki() -> Option<(TestPki, TestPki, TestPki)> {
    Some((
        hardening_validators::test_pki()?,
        hardening_validators::test_client_pki("test origin-pull CA")?,
        hardening_validators::test_client_pki("some other CA")?,
    ))
}

#[test]
fn origin_pull_requires_the_client_certificate_and_binds_only_loopback() {
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    let Some((server_pki, origin, other)) = pki() else {
        return;
    };
    if hardening_validators::require_tool("curl", "apt-get install curl").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "server-ca.pem", &server_pki.ca_pem);
    write(d, "server.pem", &server_pki.cert_pem);
    write(d, "server.key", &server_pki.key_pem);
    write(d, "origin-pull-ca.pem", &origin.ca_pem);
    let good = (
        write(d, "client.pem", &origin.cert_pem),
        write(d, "client.key", &origin.key_pem),
    );
    let foreign = (
        write(d, "foreign.pem", &other.cert_pem),
        write(d, "foreign.key", &other.key_pem),
    );

    let text = caddyfile(d, 8443, 8080);
    assert!(text.contains("\tdefault_bind 127.0.0.1\n"), "{text}");
    assert!(text.contains("mode require_and_verify"), "{text}");
    caddy.check(&text).expect("caddy validate");

    let server = caddy.serve(&|https, http| caddyfile(d, https, http));

    // A certificate from the trusted CA passes TLS; the unreachable upstream then answers 502.
    let status = request(&server, d, Some((&good.0, &good.1)))
        .unwrap_or_else(|e| panic!("trusted client certificate refused: {e}\n{}", server.log()));
    assert_eq!(status, 502, "{}", server.log());

    // No certificate, or one from another CA: the handshake fails, no HTTP answer.
    let none = request(&server, d, None);
    assert!(
        none.is_err(),
        "answered without a client certificate: {none:?}"
    );
    let wrong = request(&server, d, Some((&foreign.0, &foreign.1)));
    assert!(
        wrong.is_err(),
        "answered a foreign client certificate: {wrong:?}"
    );

    // Caddy listens on 127.0.0.1 only (0100007F in /proc/net/tcp), not on every address.
    let addrs = listening_on(server.port());
    assert_eq!(addrs, ["0100007F"], "HTTPS listeners: {addrs:?}");
}
