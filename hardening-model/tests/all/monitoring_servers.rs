//! The rendered monitoring configuration against the real programs, on 127.0.0.1: a
//! node_exporter with the rendered web config (TLS 1.3 + basic auth) scraped by a Prometheus
//! with the rendered scrape config (up with the right password, down with a wrong one), and an
//! Alertmanager with the rendered routes delivering a SEV1 alert to a webhook this test serves.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hardening_model::monitoring::{
    CentralMonitoring, Escalation, ExporterAccess, Receiver, ScrapeAuth, Severity,
};
use hardening_model::values::Port;
use hardening_validators::ServerProcess;
use serde_json::Value;

const PASSWORD: &str = "scrape-password-0123456789";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Polls `query` until `want` accepts its result vector or 40 s pass.
fn wait_for(prom: &ServerProcess, query: &str, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        if let Ok((200, body)) = prom.get(&format!("/api/v1/query?query={query}")) {
            let doc: Value = serde_json::from_str(&body).unwrap();
            last = doc["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if want(&last) {
                return last;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{query}: gave {last:?}\n{}", prom.log());
}

fn value(sample: &Value) -> String {
    sample["value"][1].as_str().unwrap_or_default().to_owned()
}

fn prometheus_with(
    auth: ScrapeAuth,
    ca: &str,
    exporter: &ServerProcess,
    dir: &Path,
) -> Option<ServerProcess> {
    let chain = Escalation::new(Receiver::webhook("http://127.0.0.1:9/unused".into()).unwrap());
    let central = CentralMonitoring::new(auth, ca, chain)
        .unwrap()
        .config_dir(dir.to_str().unwrap())
        .unwrap()
        .target("127.0.0.1", exporter.port())
        .unwrap()
        .scrape_interval(5)
        .unwrap();
    for f in central.render().unwrap() {
        write(Path::new(&f.path), &f.content);
    }
    hardening_validators::prometheus_server(&dir.join("prometheus.yml"))
}

#[test]
fn prometheus_scrapes_the_exporter_only_with_the_right_credentials() {
    let Some(pki) = hardening_validators::test_pki() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("tls.crt"), &pki.cert_pem);
    write(&d.join("tls.key"), &pki.key_pem);
    let auth = ScrapeAuth::new("prometheus", PASSWORD.into()).unwrap();
    let access = ExporterAccess::new(
        Port::new(9100).unwrap(),
        ["127.0.0.1/32".parse().unwrap()],
        auth.clone(),
    )
    .unwrap();
    let web = access
        .web_config_at(
            d.join("web-config.yml").to_str().unwrap(),
            d.join("tls.crt").to_str().unwrap(),
            d.join("tls.key").to_str().unwrap(),
        )
        .unwrap();
    write(Path::new(&web.path), &web.content);
    // The security events travel on the same channel: the textfile the timer writes.
    let textfile = d.join("textfile");
    std::fs::create_dir_all(&textfile).unwrap();
    write(
        &textfile.join("security-events.prom"),
        "# TYPE hardened_host_ssh_failed_logins gauge\nhardened_host_ssh_failed_logins 12\n",
    );
    let Some(exporter) =
        hardening_validators::node_exporter_server(Path::new(&web.path), Some(&textfile))
    else {
        return;
    };
    // Plain HTTP is refused: the exporter only speaks TLS.
    let plain = exporter.get("/metrics");
    assert!(
        !matches!(plain, Ok((200, _))),
        "plain HTTP answered: {plain:?}"
    );

    let good_dir = d.join("central-good");
    let Some(prom) = prometheus_with(auth, &pki.ca_pem, &exporter, &good_dir) else {
        return;
    };
    let up = wait_for(&prom, "up", |r| r.iter().any(|s| value(s) == "1"));
    assert_eq!(up[0]["metric"]["job"], "node");
    let ssh = wait_for(&prom, "hardened_host_ssh_failed_logins", |r| !r.is_empty());
    assert_eq!(value(&ssh[0]), "12");
    prom.stop();

    let wrong = ScrapeAuth::new("prometheus", "not-the-scrape-password".into()).unwrap();
    let Some(prom) = prometheus_with(wrong, &pki.ca_pem, &exporter, &d.join("central-bad")) else {
        return;
    };
    wait_for(&prom, "up", |r| r.iter().any(|s| value(s) == "0"));
    let (_, targets) = prom.get("/api/v1/targets").unwrap();
    assert!(targets.contains("401"), "{targets}");
    prom.stop();
    exporter.stop();
}

/// Serves one HTTP POST on 127.0.0.1 and sends its body back through the channel.
fn webhook() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then Content-Length bytes of body.
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        if tx.send(body.to_owned()).is_err() {
                            return;
                        }
                        break;
                    }
                }
            }
        }
    });
    (port, rx)
}

#[test]
fn alertmanager_routes_a_sev1_alert_to_its_webhook() {
    let (port, bodies) = webhook();
    let chain =
        Escalation::new(Receiver::webhook(format!("http://127.0.0.1:{port}/sev1").into()).unwrap())
            .receiver(
                Severity::Sev3,
                Receiver::webhook("http://127.0.0.1:9/sev3-unused".into()).unwrap(),
            );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    write(&config, &chain.to_yaml().unwrap());
    let Some(am) = hardening_validators::alertmanager_server(&config) else {
        return;
    };
    let alert = r#"[{"labels":{"alertname":"FalcoCriticalEvent","severity":"sev1","instance":"host-1:9100","job":"node"},"annotations":{"summary":"test"}}]"#;
    let (status, body) = am.post_json("/api/v2/alerts", alert).unwrap();
    assert_eq!(status, 200, "{body}");
    let got = bodies
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("no webhook call\n{}", am.log()));
    let doc: Value = serde_json::from_str(&got).unwrap();
    assert_eq!(doc["receiver"], "sev1-on-call");
    assert_eq!(
        doc["alerts"][0]["labels"]["alertname"],
        "FalcoCriticalEvent"
    );
    am.stop();
}
