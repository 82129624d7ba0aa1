//! Grafana Alloy shipping the host's logs to Loki, with the password in a root-only `0600` file.
//!
//! The `alloy` package runs as the `alloy` user, which cannot read a root-owned `0600` file.
//! systemd's `LoadCredential=` bridges that: it reads the file as root and exposes a copy only
//! to the service (`/run/credentials/alloy.service/`), so the password never sits in a file the
//! service user or anyone else can read, nor in the (world-readable) configuration.

use super::{Contribution, Part, Slot, Stage};
use crate::{AptSource, Command, Error, Result, Secret, WriteFile};

/// Alloy's configuration file (world-readable, no secret inside). The package's own
/// `/etc/alloy/config.alloy` is a conffile: writing it before the install would stop dpkg at
/// a conffile prompt, so the drop-in points the service here instead.
pub const ALLOY_CONFIG: &str = "/etc/alloy/hardened-host.alloy";
/// The `0600` password file, read by systemd as root for `LoadCredential=`.
pub const ALLOY_PASSWORD: &str = "/etc/alloy/loki-password";
/// The systemd drop-in for `alloy.service`.
pub const ALLOY_DROP_IN: &str = "/etc/systemd/system/alloy.service.d/10-hardened-host.conf";

/// Where the service sees its copy of the password (`$CREDENTIALS_DIRECTORY/loki-password`).
const CREDENTIAL: &str = "/run/credentials/alloy.service/loki-password";

/// Ships the host's logs to Loki with [Grafana Alloy](https://grafana.com/docs/alloy/):
/// the systemd journal (sshd, sudo, the kernel, every unit, and every container through
/// Docker's `journald` log driver, Caddy's JSON access log included) and auditd's
/// `/var/log/audit/audit.log`.
///
/// Journal entries carry the labels `unit`, `container` (Docker's `CONTAINER_NAME`),
/// `transport` and `level`; every stream carries `host` (the machine's hostname) and `job`.
/// Alloy keeps its read positions under `/var/lib/alloy/data`, so a reboot does not resend.
///
/// Why Alloy: Promtail reached end of life on 2026-03-02 and Alloy is its successor from the
/// same vendor, published in the same signed apt repository (`https://apt.grafana.com`), so
/// the pinned Grafana key and the third-party apt staging stay as they were and the Loki push
/// API, labels and read positions keep their meaning. Vector and Fluent Bit are maintained and
/// ship to Loki too, but each would add a second vendor repository and key to pin, and
/// neither is in Ubuntu 24.04's archive in a current release.
///
/// Validation: the `alloy` binary is in none of the package registries a test can install
/// from here (Debian, PyPI, npm, crates.io), so the rendered configuration is not run through
/// `alloy fmt` or `alloy run`; its blocks and arguments follow Alloy's component reference
/// (`loki.source.journal`, `loki.relabel`, `local.file_match`, `loki.source.file`,
/// `loki.write`), and tests check its structure, braces, that every argument is a documented
/// one and that no secret is in it. The systemd drop-in is checked by `systemd-analyze verify`.
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::preset::Alloy;
/// let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGTn\n-----END PGP PUBLIC KEY BLOCK-----\n";
/// let alloy = Alloy::new("https://logs.example.com/loki/api/v1/push", "host-1", Secret::new("loki-password-123")?, key)?;
/// let config = alloy.config();
/// assert!(config.contains("loki.source.journal \"journal\" {"));
/// assert!(!config.contains("loki-password-123"));
/// assert_eq!(
///     Alloy::new("http://logs.example.com/", "host-1", Secret::new("loki-password-123")?, key)
///         .unwrap_err()
///         .field(),
///     Some("alloy.push_url")
/// );
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Alloy {
    push_url: String,
    username: String,
    password: Secret,
    repo: AptSource,
}

impl Alloy {
    /// `push_url` is Loki's `https://.../loki/api/v1/push`; `username` its basic-auth user
    /// (ASCII letters, digits, `._-@`); `grafana_key` the ASCII-armoured key of
    /// `https://apt.grafana.com` (the package's repository). Errors name `alloy.push_url`,
    /// `alloy.username` or the apt source's field.
    pub fn new(
        push_url: &str,
        username: &str,
        password: Secret,
        grafana_key: &str,
    ) -> Result<Self> {
        let field = "alloy.push_url";
        let rest = push_url
            .strip_prefix("https://")
            .ok_or_else(|| Error::invalid(field, "must start with https://"))?;
        if rest.is_empty()
            || !rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':'))
        {
            return Err(Error::invalid(
                field,
                "may only use ASCII letters, digits and ._-/:",
            ));
        }
        hardening_model::values::check_token("alloy.username", username, &['@'])?;
        Ok(Self {
            push_url: push_url.to_owned(),
            username: username.to_owned(),
            password,
            repo: AptSource::signed(
                "grafana",
                "https://apt.grafana.com",
                "stable",
                ["main"],
                grafana_key,
            )?,
        })
    }

    /// The configuration in Alloy's syntax (no secret: the password is read from the
    /// service's credential). The URL and username are validated to characters that need no
    /// escaping inside an Alloy string.
    pub fn config(&self) -> String {
        format!(
            r#"// Ships the journal (units, kernel, sshd, sudo, and containers through Docker's
// journald log driver, Caddy's access log included) and auditd's log to Loki.

loki.write "loki" {{
  endpoint {{
    url = "{url}"

    basic_auth {{
      username      = "{user}"
      password_file = "{CREDENTIAL}"
    }}
  }}
  external_labels = {{ host = constants.hostname }}
}}

loki.relabel "journal" {{
  forward_to = []

  rule {{
    source_labels = ["__journal__systemd_unit"]
    target_label  = "unit"
  }}
  rule {{
    source_labels = ["__journal_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__journal__transport"]
    target_label  = "transport"
  }}
  rule {{
    source_labels = ["__journal_priority_keyword"]
    target_label  = "level"
  }}
}}

loki.source.journal "journal" {{
  forward_to    = [loki.write.loki.receiver]
  relabel_rules = loki.relabel.journal.rules
  max_age       = "12h"
  labels        = {{ job = "journal" }}
}}

local.file_match "audit" {{
  path_targets = [{{ "__path__" = "/var/log/audit/audit.log", "job" = "audit" }}]
}}

loki.source.file "audit" {{
  targets    = local.file_match.audit.targets
  forward_to = [loki.write.loki.receiver]
}}
"#,
            url = self.push_url,
            user = self.username,
        )
    }
}

/// The systemd drop-in: the credential, the log-reading groups, the configuration path,
/// usage reporting off, the UI on loopback only, and a read-only view of the system.
pub(crate) const DROP_IN: &str = "[Service]
LoadCredential=loki-password:/etc/alloy/loki-password
SupplementaryGroups=adm systemd-journal
StateDirectory=alloy
StateDirectoryMode=0750
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ExecStart=
ExecStart=/usr/bin/alloy run --disable-reporting --server.http.listen-addr=127.0.0.1:12345 --storage.path=/var/lib/alloy/data /etc/alloy/hardened-host.alloy
";

impl Part for Alloy {
    fn slot(&self) -> Slot {
        Slot::LogShipping
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.apt_source(self.repo.clone());
        // Installed in its own step, not with the security packages: a third-party repository
        // that fails must not stop auditd, ufw or unattended-upgrades from being installed.
        out.file(WriteFile::secret(ALLOY_PASSWORD, &self.password)?);
        out.file(WriteFile::new(ALLOY_CONFIG, self.config())?);
        out.file(WriteFile::new(ALLOY_DROP_IN, DROP_IN)?);
        out.command(
            Stage::Monitoring,
            Command::chain([
                Command::argv([
                    "env",
                    "DEBIAN_FRONTEND=noninteractive",
                    "apt-get",
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "alloy",
                ])?,
                Command::argv(["systemctl", "daemon-reload"])?,
                Command::argv(["systemctl", "enable", "alloy.service"])?,
                Command::argv(["systemctl", "restart", "alloy.service"])?,
            ])?,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGTn\n-----END PGP PUBLIC KEY BLOCK-----\n";

    fn alloy() -> Alloy {
        let password = Secret::new("s3cret-loki-password").expect("secret");
        Alloy::new(
            "https://logs.example.com/loki/api/v1/push",
            "host-1@fleet",
            password,
            KEY,
        )
        .expect("alloy")
    }

    /// The top-level blocks, `kind "label"`, in order, and whether every brace closes.
    fn blocks(config: &str) -> (Vec<String>, bool) {
        let mut depth = 0i32;
        let mut top = Vec::new();
        for line in config.lines() {
            let line = line.trim();
            if line.starts_with("//") {
                continue;
            }
            if depth == 0 && line.ends_with('{') {
                top.push(line.trim_end_matches('{').trim().to_owned());
            }
            let mut in_string = false;
            for c in line.chars() {
                match c {
                    '"' => in_string = !in_string,
                    '{' if !in_string => depth += 1,
                    '}' if !in_string => depth -= 1,
                    _ => {}
                }
                if depth < 0 {
                    return (top, false);
                }
            }
            if in_string {
                return (top, false);
            }
        }
        (top, depth == 0)
    }

    #[test]
    fn config_has_every_pipeline_block_and_balanced_braces() {
        let config = alloy().config();
        let (top, balanced) = blocks(&config);
        assert!(balanced, "{config}");
        assert_eq!(
            top,
            [
                "loki.write \"loki\"",
                "loki.relabel \"journal\"",
                "loki.source.journal \"journal\"",
                "local.file_match \"audit\"",
                "loki.source.file \"audit\"",
            ]
        );
        // Every receiver and export referenced exists as a block above.
        for reference in [
            "loki.write.loki.receiver",
            "loki.relabel.journal.rules",
            "local.file_match.audit.targets",
        ] {
            assert!(config.contains(reference), "{reference}");
        }
        // Containers reach the journal with CONTAINER_NAME, which becomes a label.
        assert!(config.contains("\"__journal_container_name\""));
        assert!(config.contains("url = \"https://logs.example.com/loki/api/v1/push\""));
        assert!(config.contains("username      = \"host-1@fleet\""));
        assert!(config.contains(&format!("password_file = \"{CREDENTIAL}\"")));
    }

    /// Every attribute and nested block, as `path: name`, e.g. `loki.write/endpoint: url`.
    fn attributes(config: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for line in config.lines().map(str::trim) {
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            if line == "}" {
                stack.pop();
            } else if let Some(head) = line.strip_suffix('{') {
                let kind = head
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if !stack.is_empty() {
                    out.push(format!("{}: {kind} {{}}", stack.join("/")));
                }
                stack.push(kind);
            } else if let Some((name, _)) = line.split_once('=') {
                out.push(format!("{}: {}", stack.join("/"), name.trim()));
            }
        }
        out
    }

    #[test]
    fn every_argument_is_documented_in_alloys_reference() {
        // From Alloy's component reference: loki.write, loki.relabel (rule block),
        // loki.source.journal, local.file_match, loki.source.file.
        let documented = [
            "loki.write: endpoint {}",
            "loki.write: external_labels",
            "loki.write/endpoint: url",
            "loki.write/endpoint: basic_auth {}",
            "loki.write/endpoint/basic_auth: username",
            "loki.write/endpoint/basic_auth: password_file",
            "loki.relabel: forward_to",
            "loki.relabel: rule {}",
            "loki.relabel/rule: source_labels",
            "loki.relabel/rule: target_label",
            "loki.source.journal: forward_to",
            "loki.source.journal: relabel_rules",
            "loki.source.journal: max_age",
            "loki.source.journal: labels",
            "local.file_match: path_targets",
            "loki.source.file: targets",
            "loki.source.file: forward_to",
        ];
        let used = attributes(&alloy().config());
        assert!(used.len() >= 20, "{used:?}");
        for a in &used {
            assert!(documented.contains(&a.as_str()), "undocumented: {a}");
        }
        for required in [
            "loki.write/endpoint: url",
            "loki.relabel: forward_to",
            "loki.source.journal: forward_to",
            "local.file_match: path_targets",
            "loki.source.file: targets",
            "loki.source.file: forward_to",
        ] {
            assert!(used.iter().any(|a| a == required), "missing {required}");
        }
    }

    #[test]
    fn the_secret_stays_out_of_the_config_and_debug() {
        let a = alloy();
        assert!(!a.config().contains("s3cret-loki-password"));
        assert!(!format!("{a:?}").contains("s3cret-loki-password"));
    }

    #[test]
    fn credential_path_matches_the_drop_in() {
        // LoadCredential=NAME:PATH exposes PATH as /run/credentials/<unit>/NAME.
        let line = DROP_IN
            .lines()
            .find_map(|l| l.strip_prefix("LoadCredential="))
            .expect("LoadCredential line");
        let (name, source) = line.split_once(':').expect("NAME:PATH");
        assert_eq!(source, ALLOY_PASSWORD);
        assert_eq!(CREDENTIAL, format!("/run/credentials/alloy.service/{name}"));
        assert!(DROP_IN.contains(&format!(" {ALLOY_CONFIG}\n")));
        // The reset line comes before the replacement, as systemd requires for ExecStart.
        let reset = DROP_IN.find("ExecStart=\n").expect("reset");
        let set = DROP_IN.find("ExecStart=/usr/bin/alloy run").expect("set");
        assert!(reset < set);
    }

    #[test]
    fn bad_inputs_name_their_field() {
        let p = || Secret::new("s3cret-loki-password").expect("secret");
        for (url, user, field) in [
            ("http://logs.example.com/", "u", "alloy.push_url"),
            ("https://", "u", "alloy.push_url"),
            ("https://logs.example.com/\"}", "u", "alloy.push_url"),
            ("https://logs.example.com/", "u\"", "alloy.username"),
            ("https://logs.example.com/", "", "alloy.username"),
        ] {
            let err = Alloy::new(url, user, p(), KEY).expect_err(url);
            assert_eq!(err.field(), Some(field), "{url} {user}");
            assert!(!err.to_string().contains("s3cret-loki-password"));
        }
    }
}
