//! A throw-away CA and a server (or client) certificate for 127.0.0.1, made with `openssl`,
//! for tests of TLS between real programs.

use std::process::Command;

use crate::exec::{self, Workdir};
use crate::locate::require;

/// PEM texts of a test CA and a certificate it issued for `127.0.0.1` and `localhost`.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate.
    pub ca_pem: String,
    /// The server certificate.
    pub cert_pem: String,
    /// The server's private key (PKCS#8).
    pub key_pem: String,
}

/// Makes a P-256 CA and a server certificate signed by it; `None` (after printing why) when
/// `openssl` is missing.
///
/// # Panics
/// When `CI` is set and openssl is missing, or when openssl fails.
pub fn test_pki() -> Option<TestPki> {
    make(
        "test monitoring CA",
        "127.0.0.1",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
}

/// Makes a P-256 CA named `ca_name` and a TLS *client* certificate (`extendedKeyUsage =
/// clientAuth`) signed by it, as Cloudflare's origin-pull CA issues for Authenticated Origin
/// Pulls; `None` (after printing why) when `openssl` is missing.
///
/// # Panics
/// As [`test_pki`].
pub fn test_client_pki(ca_name: &str) -> Option<TestPki> {
    make(
        ca_name,
        "origin-pull client",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
}

fn make(ca_name: &str, leaf_name: &str, extensions: &str) -> Option<TestPki> {
    let openssl = require("openssl", "apt-get install openssl")?;
    let dir = Workdir::new("openssl").unwrap_or_else(|e| panic!("openssl: {e}"));
    let p = |n: &str| dir.path().join(n).display().to_string();
    let ext = dir
        .write("server.ext", extensions)
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    let ca_subject = format!("/CN={ca_name}");
    let leaf_subject = format!("/CN={leaf_name}");
    let steps: Vec<Vec<String>> = vec![
        vec![
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &p("ca.ec"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "req",
            "-x509",
            "-new",
            "-key",
            &p("ca.ec"),
            "-subj",
            ca_subject.as_str(),
            "-days",
            "2",
            "-out",
            &p("ca.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &p("server.key"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "req",
            "-new",
            "-key",
            &p("server.key"),
            "-subj",
            leaf_subject.as_str(),
            "-out",
            &p("server.csr"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "x509",
            "-req",
            "-in",
            &p("server.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.ec"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext.display().to_string(),
            "-out",
            &p("server.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    ];
    for args in steps {
        if let Err(e) = exec::run(Command::new(&openssl).args(&args)) {
            panic!("openssl {}: {}", args.join(" "), e.output());
        }
    }
    let read = |n: &str| {
        std::fs::read_to_string(dir.path().join(n)).unwrap_or_else(|e| panic!("{n}: {e}"))
    };
    Some(TestPki {
        ca_pem: read("ca.pem"),
        cert_pem: read("server.pem"),
        key_pem: read("server.key"),
    })
}
