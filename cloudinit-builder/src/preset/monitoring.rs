//! The host side of central monitoring: node_exporter behind TLS and basic auth, with the
//! security-events timer feeding its textfile collector (runbook 8.1, 8.3-8.6).
//!
//! The exporter's TLS key is written like every secret (`root:root` `0600`), then handed to the
//! exporter's own uid ([`EXPORTER_UID`], `0400`) right before the container starts:
//! node_exporter runs with no capabilities, so it could not read a root-only file. The uid is
//! the exporter's alone (never `nobody`, which any daemon dropping privileges runs as), so no
//! other process can read the key afterwards.

use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{
    EXPORTER_CONFIG_DIR, EXPORTER_TLS_CERT, EXPORTER_TLS_KEY, EXPORTER_UID, ExporterAccess,
    SECURITY_EVENTS_UNIT, SecurityEvents, TEXTFILE_DIR,
};
use hardening_model::presets::stack;

use super::{Contribution, Part, Slot, Stage};
use crate::{Command, Error, Result, Secret, WriteFile};

/// Where the monitoring compose file goes.
pub const MONITORING_COMPOSE: &str = stack::MONITORING_COMPOSE_PATH;

/// What a host needs to be scraped by the central Prometheus: how it is reached
/// ([`ExporterAccess`]) and its TLS certificate and key (issued by the CA the monitoring server
/// pins, with the address Prometheus scrapes in its subject alternative names).
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::preset::HostMonitoring;
/// use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
/// use hardening_model::values::Port;
/// let auth = ScrapeAuth::new("prometheus", "a-long-scrape-password".into())?;
/// let access = ExporterAccess::new(Port::new(9100)?, ["192.0.2.10/32".parse().unwrap()], auth)?;
/// let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/// let key = Secret::new("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")?;
/// let monitoring = HostMonitoring::new(access, cert, key)?;
/// assert_eq!(monitoring.access().port().get(), 9100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HostMonitoring {
    access: ExporterAccess,
    cert_pem: String,
    key_pem: Secret,
    events: SecurityEvents,
}

impl HostMonitoring {
    /// `cert_pem` is the exporter's certificate (chain allowed), `key_pem` its private key.
    pub fn new(access: ExporterAccess, cert_pem: &str, key_pem: Secret) -> Result<Self> {
        let pem = |field: &str, text: &str, kind: &str| -> Result<()> {
            let t = text.trim();
            if t.starts_with(&format!("-----BEGIN {kind}")) && t.ends_with("-----") {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be a PEM {kind}")))
            }
        };
        pem("monitoring.tls_cert", cert_pem, "CERTIFICATE")?;
        let key = key_pem.expose().trim();
        if !(key.starts_with("-----BEGIN ") && key.contains("PRIVATE KEY-----")) {
            return Err(Error::invalid(
                "monitoring.tls_key",
                "must be a PEM private key",
            ));
        }
        Ok(Self {
            access,
            cert_pem: cert_pem.to_owned(),
            key_pem,
            events: SecurityEvents::new(),
        })
    }

    /// Replaces which security events the timer counts.
    #[must_use]
    pub fn events(mut self, events: SecurityEvents) -> Self {
        self.events = events;
        self
    }

    /// How the monitoring server reaches the exporter.
    pub fn access(&self) -> &ExporterAccess {
        &self.access
    }

    /// The part for `image` (node_exporter, pinned by digest).
    pub fn part(&self, image: ImageRef) -> ScrapedExporter {
        ScrapedExporter {
            monitoring: self.clone(),
            image,
        }
    }
}

/// The [`Slot::NodeExporter`] part of a host scraped by a central Prometheus (see
/// [`HostMonitoring`]).
#[derive(Debug, Clone)]
pub struct ScrapedExporter {
    monitoring: HostMonitoring,
    image: ImageRef,
}

impl Part for ScrapedExporter {
    fn slot(&self) -> Slot {
        Slot::NodeExporter
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        let m = &self.monitoring;
        for f in stack::monitoring_files(self.image.clone(), &m.access, &m.events)? {
            out.file(WriteFile::from(f));
        }
        out.file(WriteFile::new(EXPORTER_TLS_CERT, m.cert_pem.clone())?);
        out.file(WriteFile::secret(EXPORTER_TLS_KEY, &m.key_pem)?);
        let uid = EXPORTER_UID.to_string();
        let owner = format!("{uid}:{uid}");
        out.command(
            Stage::Monitoring,
            Command::chain([
                Command::argv(["install", "-d", "-m", "0755", TEXTFILE_DIR])?,
                Command::argv(["chmod", "0750", EXPORTER_CONFIG_DIR])?,
                Command::argv(["chown", &format!("root:{uid}"), EXPORTER_CONFIG_DIR])?,
                Command::argv(["chown", &owner, EXPORTER_TLS_KEY])?,
                Command::argv(["chmod", "0400", EXPORTER_TLS_KEY])?,
                // `enable` reloads the manager itself before `--now` starts the timer.
                Command::argv([
                    "systemctl",
                    "enable",
                    "--now",
                    &format!("{SECURITY_EVENTS_UNIT}.timer"),
                ])?,
                Command::argv([
                    "docker",
                    "compose",
                    "--project-directory",
                    "/opt/monitoring",
                    "-f",
                    MONITORING_COMPOSE,
                    "up",
                    "-d",
                ])?,
            ])?,
        );
        Ok(())
    }
}
