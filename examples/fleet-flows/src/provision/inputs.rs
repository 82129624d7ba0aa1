//! [`ProvisionInputs`]: a provisioning request as a user gives it (flags, files), turned into
//! a validated [`ProvisionRequest`] before anything is sent or written.

use std::path::{Path, PathBuf};

use cloudinit_builder::Secret;
use cloudinit_builder::preset::{HostMonitoring, ObjectStore};
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::values::Port;
use ipnet::IpNet;

use super::ProvisionRequest;
use crate::error::{Error, Result};
use crate::secrets::{
    SecretFile, age_identity, age_recipient, callback_secret, load_s3_credentials,
};

/// The user's inputs, one field per command-line flag (`admin_key_file` is
/// `--admin-key-file`). `None` for a value with a demo default: against the simulators the
/// default is used, against the real API ([`ProvisionInputs::prepare`] with `real`) the value
/// is required.
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)]
pub struct ProvisionInputs {
    pub instance_id: String,
    pub subdomain: String,
    pub zone: String,
    pub location: Option<String>,
    pub server_type: Option<String>,
    pub image: Option<String>,
    pub ssh_port: Option<u16>,
    pub admin_user: Option<String>,
    pub admin_key_file: Option<PathBuf>,
    pub admin_cidr: Vec<IpNet>,
    pub bastion_cidr: Vec<IpNet>,
    pub ssh_ca_file: Option<PathBuf>,
    pub ssh_principal: Vec<String>,
    pub hetzner_ssh_key: Vec<String>,
    pub caddy_image: Option<String>,
    pub app_image: Option<String>,
    pub node_exporter_image: Option<String>,
    pub callback_url: Option<String>,
    pub callback_secret_file: Option<PathBuf>,
    pub name_key_file: Option<PathBuf>,
    pub backup_identity_file: Option<PathBuf>,
    pub backup_endpoint: Option<String>,
    pub backup_bucket: Option<String>,
    pub backup_region: Option<String>,
    pub backup_credentials_file: Option<PathBuf>,
    pub monitoring_cidr: Vec<IpNet>,
    pub monitoring_cert_file: Option<PathBuf>,
    pub monitoring_key_file: Option<PathBuf>,
    pub scrape_password_file: Option<PathBuf>,
}

/// A validated request, and the secret files it still has to write.
#[derive(Debug)]
pub struct Prepared {
    /// The request; [`ProvisionRequest::validate`] passed.
    pub request: ProvisionRequest,
    /// Secret files generated for paths that did not exist: write them with
    /// [`Prepared::write_secrets`] once everything else is checked.
    pub pending: Vec<(&'static str, SecretFile)>,
}

impl Prepared {
    /// Writes the generated secret files (mode `0600`), returning the paths written.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the flag whose file could not be created.
    pub fn write_secrets(&self) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (field, file) in &self.pending {
            if file.persist(field)? {
                written.push(file.path().to_owned());
            }
        }
        Ok(written)
    }
}

/// The user's name for a field of [`ProvisionRequest`].
fn user_field(field: &str) -> String {
    let (head, index) = match field.split_once('[') {
        Some((h, rest)) => (h, Some(rest)),
        None => (field, None),
    };
    let user = match head {
        "admin_key" => "admin_key_file",
        "admin_sources" => "admin_cidr",
        "bastion_sources" => "bastion_cidr",
        "ssh_ca" => "ssh_ca_file",
        "ssh_principals" => "ssh_principal",
        "hetzner_ssh_keys" => "hetzner_ssh_key",
        "callback_secret" => "callback_secret_file",
        "backup_store" => "backup_endpoint",
        "backup_recipient" => "backup_identity_file",
        "backup_credentials" => "backup_credentials_file",
        "monitoring" => "monitoring_cidr",
        other => other,
    };
    match index {
        Some(rest) => format!("{user}[{rest}"),
        None => user.to_owned(),
    }
}

/// Renames the field of an [`Error::Invalid`] to the user's.
fn renamed(err: Error) -> Error {
    match err {
        Error::Invalid { field, reason } => Error::Invalid {
            field: user_field(&field),
            reason,
        },
        other => other,
    }
}

/// The monitoring flags of [`ProvisionInputs`].
struct MonitoringFlags {
    cidr: Vec<IpNet>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    password_file: Option<PathBuf>,
}

impl MonitoringFlags {
    /// The central monitoring of the host: `--monitoring-cidr` (the Prometheus servers),
    /// `--monitoring-cert-file` and `--monitoring-key-file` (the exporter's PEM certificate,
    /// issued by the CA Prometheus pins, and its key) and `--scrape-password-file` (created
    /// with a fresh password if missing; give it to Prometheus). Against the real API all four
    /// are required; against the simulators none (a demo server is used) or all.
    fn load(
        &self,
        real: bool,
        pending: &mut Vec<(&'static str, SecretFile)>,
    ) -> Result<Option<HostMonitoring>> {
        let given = !self.cidr.is_empty()
            || self.cert_file.is_some()
            || self.key_file.is_some()
            || self.password_file.is_some();
        if !real && !given {
            return Ok(None);
        }
        let need = |field: &str| {
            Error::invalid(
                field,
                "required against the real API and with any other monitoring flag",
            )
        };
        if self.cidr.is_empty() {
            return Err(need("monitoring_cidr"));
        }
        let path = |field: &'static str, p: &Option<PathBuf>| p.clone().ok_or_else(|| need(field));
        let cert_path = path("monitoring_cert_file", &self.cert_file)?;
        let key_path = path("monitoring_key_file", &self.key_file)?;
        let password_path = path("scrape_password_file", &self.password_file)?;
        let read = |field: &str, p: &Path| {
            std::fs::read_to_string(p)
                .map_err(|e| Error::invalid(field, format!("{}: {e}", p.display())))
        };
        let cert = read("monitoring_cert_file", &cert_path)?;
        let key = Secret::new(read("monitoring_key_file", &key_path)?)
            .map_err(|_| Error::invalid("monitoring_key_file", "must be a PEM private key"))?;
        let password = SecretFile::load("scrape_password_file", &password_path, callback_secret)?;
        let auth = ScrapeAuth::new("prometheus", password.secret().expose().to_owned().into())
            .map_err(|e| Error::invalid("scrape_password_file", e.to_string()))?;
        let access = ExporterAccess::new(
            Port::new(crate::host::EXPORTER_PORT)?,
            self.cidr.iter().copied(),
            auth,
        )
        .map_err(|e| Error::invalid("monitoring_cidr", e.to_string()))?;
        let monitoring = HostMonitoring::new(access, &cert, key).map_err(|e| {
            let field = match e.field() {
                Some("monitoring.tls_key") => "monitoring_key_file",
                _ => "monitoring_cert_file",
            };
            Error::invalid(field, e.to_string())
        })?;
        pending.push(("scrape_password_file", password));
        Ok(Some(monitoring))
    }
}

impl ProvisionInputs {
    /// Checks every input and builds the request; reads the files that exist and generates
    /// the secrets of the ones that do not, but writes nothing and sends nothing. `real`: the
    /// request is for the real API, so demo defaults are refused.
    ///
    /// ```
    /// use fleet_flows::provision::ProvisionInputs;
    /// let inputs = ProvisionInputs {
    ///     instance_id: "inst-0042".into(),
    ///     subdomain: "acme".into(),
    ///     zone: "example.com".into(),
    ///     admin_user: Some("root".into()),
    ///     ..ProvisionInputs::default()
    /// };
    /// let err = inputs.prepare(false).unwrap_err();
    /// assert!(err.to_string().starts_with("invalid admin_user:"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the user's field (flag).
    pub fn prepare(self, real: bool) -> Result<Prepared> {
        let mut request = ProvisionRequest::new(&self.instance_id, &self.subdomain, &self.zone);
        let monitoring = MonitoringFlags {
            cidr: self.monitoring_cidr.clone(),
            cert_file: self.monitoring_cert_file.clone(),
            key_file: self.monitoring_key_file.clone(),
            password_file: self.scrape_password_file.clone(),
        };
        let required = |field: &str, value: Option<String>, demo: String| match value {
            Some(v) => Ok(v),
            None if real => Err(Error::invalid(field, "required against the real API")),
            None => Ok(demo),
        };
        if let Some(v) = self.location {
            request.location = v;
        }
        if let Some(v) = self.server_type {
            request.server_type = v;
        }
        if let Some(v) = self.image {
            request.image = v;
        }
        if let Some(v) = self.admin_user {
            request.admin_user = v;
        }
        request.ssh_port = self.ssh_port;
        request.admin_sources = self.admin_cidr;
        request.bastion_sources = self.bastion_cidr;
        request.ssh_principals = self.ssh_principal;
        if let Some(path) = &self.ssh_ca_file {
            let line = std::fs::read_to_string(path)
                .map_err(|e| Error::invalid("ssh_ca_file", format!("{}: {e}", path.display())))?;
            request.ssh_ca = Some(line.trim().to_owned());
        }
        request.hetzner_ssh_keys = self.hetzner_ssh_key;
        request.caddy_image = required("caddy_image", self.caddy_image, request.caddy_image)?;
        request.app_image = required("app_image", self.app_image, request.app_image)?;
        request.node_exporter_image = required(
            "node_exporter_image",
            self.node_exporter_image,
            request.node_exporter_image,
        )?;
        request.callback_url = required("callback_url", self.callback_url, request.callback_url)?;
        let key = match &self.admin_key_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        Error::invalid("admin_key_file", format!("{}: {e}", path.display()))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        request.admin_key = required("admin_key_file", key, request.admin_key)?;
        // everything that needs no file is checked before any secret file is read
        request.validate().map_err(renamed)?;

        let mut pending = Vec::new();
        match self.callback_secret_file {
            Some(path) => {
                let file = SecretFile::load("callback_secret_file", &path, callback_secret)?;
                request.callback_secret = Some(file.secret().clone());
                pending.push(("callback_secret_file", file));
            }
            None if real => {
                return Err(Error::invalid(
                    "callback_secret_file",
                    "required against the real API",
                ));
            }
            None => {}
        }
        // optional: without it the public default key names servers (see `naming`)
        if let Some(path) = self.name_key_file {
            let file = SecretFile::load("name_key_file", &path, callback_secret)?;
            request.name_key = Some(file.secret().clone());
            pending.push(("name_key_file", file));
        }
        match self.backup_identity_file {
            Some(path) => {
                let file = SecretFile::load("backup_identity_file", &path, age_identity)?;
                request.backup_recipient = Some(age_recipient(file.secret()).map_err(|_| {
                    Error::invalid(
                        "backup_identity_file",
                        format!("{} does not hold an age X25519 identity", path.display()),
                    )
                })?);
                pending.push(("backup_identity_file", file));
            }
            None if real => {
                return Err(Error::invalid(
                    "backup_identity_file",
                    "required against the real API",
                ));
            }
            None => {}
        }
        request.monitoring = monitoring.load(real, &mut pending)?;
        let region = self.backup_region.unwrap_or_else(|| "fsn1".to_owned());
        match (self.backup_endpoint, self.backup_bucket) {
            (Some(endpoint), Some(bucket)) => {
                let store = ObjectStore::new(&endpoint, &bucket, &region).map_err(|e| {
                    let field = match e.field() {
                        Some(f) if f.contains("bucket") => "backup_bucket",
                        Some(f) if f.contains("region") => "backup_region",
                        _ => "backup_endpoint",
                    };
                    Error::invalid(field, e.to_string())
                })?;
                request.backup_store = Some(store);
            }
            (None, None) if !real => {}
            _ => {
                return Err(Error::invalid(
                    "backup_endpoint",
                    "--backup-endpoint and --backup-bucket go together (required against the real API)",
                ));
            }
        }
        match self.backup_credentials_file {
            Some(path) => {
                request.backup_credentials =
                    Some(load_s3_credentials("backup_credentials_file", &path)?);
            }
            None if real => {
                return Err(Error::invalid(
                    "backup_credentials_file",
                    "required against the real API",
                ));
            }
            None => {}
        }
        request.validate().map_err(renamed)?;
        // the whole document must fit before a secret file is written or a request sent
        super::check_user_data(&request, !real).map_err(renamed)?;
        Ok(Prepared { request, pending })
    }
}
