//! What to provision, and the checks it passes before anything is sent.

use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::preset::{BackupTarget, HostMonitoring, ObjectStore, S3Credentials};
use cloudinit_builder::{Secret, SshPublicKey};
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
use hardening_model::presets::stack::StackImages;
use hardening_model::sshd::{CaPublicKey, Principal};
use hardening_model::values::{Domain, UnixUser};
use hetzner_client::Labels;
use ipnet::IpNet;

use super::{INSTANCE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, SSH_PORT_LABEL};
use crate::error::{Error, Result};
use crate::host::{
    DEMO_ADMIN_KEY, DEMO_APP_IMAGE, DEMO_BACKUP_BUCKET, DEMO_BACKUP_ENDPOINT, DEMO_BACKUP_REGION,
    DEMO_CADDY_IMAGE, DEMO_CALLBACK_URL, DEMO_MONITORING_SOURCE, DEMO_NODE_EXPORTER_IMAGE,
    EXPORTER_PORT,
};
use crate::instance::{Instance, check_slug};

/// What to provision.
///
/// `Debug` shows the secrets as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct ProvisionRequest {
    /// Stable instance id (lowercase letters, digits, `-`; not personal data): the key that
    /// makes re-runs find what exists.
    pub instance_id: String,
    /// Customer subdomain (one DNS label) below `zone`.
    pub subdomain: String,
    /// Cloudflare zone, e.g. `example.com`.
    pub zone: String,
    /// Hetzner location, e.g. `fsn1`.
    pub location: String,
    /// Hetzner server type, e.g. `cx22`.
    pub server_type: String,
    /// Hetzner image, e.g. `ubuntu-24.04`.
    pub image: String,
    /// SSH port; random when `None` (and read back from the label when the instance exists).
    pub ssh_port: Option<u16>,
    /// The admin login.
    pub admin_user: String,
    /// The admin's OpenSSH public key line.
    pub admin_key: String,
    /// Sources allowed to reach SSH. SSH is never open to every address: with no admin
    /// source, bastion or CA the flows use [`DEMO_ADMIN_SOURCE`](crate::host::DEMO_ADMIN_SOURCE)
    /// against the simulators and refuse the request against the real API, naming
    /// `admin_sources`.
    pub admin_sources: Vec<IpNet>,
    /// The bastion's addresses (runbook 3.6): SSH is admitted from them too.
    pub bastion_sources: Vec<IpNet>,
    /// The SSH user CA's public key line (`ssh-ed25519 AAAA...`, runbook 3.5): the host logs
    /// in with certificates only.
    pub ssh_ca: Option<String>,
    /// The principals the admin's certificates carry (with `ssh_ca`); empty means the admin
    /// login's name, as `ssh-keygen -n <user>` would sign.
    pub ssh_principals: Vec<String>,
    /// Names of Hetzner SSH keys to attach (so Hetzner sends no root password e-mail).
    pub hetzner_ssh_keys: Vec<String>,
    /// Caddy image reference, pinned by digest.
    pub caddy_image: String,
    /// Application image reference, pinned by digest.
    pub app_image: String,
    /// node_exporter image reference, pinned by digest.
    pub node_exporter_image: String,
    /// Where the host reports ready (HTTPS).
    pub callback_url: String,
    /// The ready callback's secret. `None`: against the simulators, a fresh random one per
    /// run ([`crate::secrets::callback_secret`]); against the real API it is required, since
    /// the control plane must know it.
    pub callback_secret: Option<Secret>,
    /// The age recipient (`age1...`) the host encrypts its backups to; derive it from the
    /// operator's identity with [`crate::secrets::age_recipient`] (the identity itself never
    /// leaves the operator). `None`: against the simulators, the recipient of a fresh identity
    /// that is thrown away; against the real API it is required.
    pub backup_recipient: Option<AgeRecipient>,
    /// The object store of the backups (endpoint, bucket, region); its key prefix becomes the
    /// instance id ([`instance_store`]). `None`: against the simulators, the demo store of
    /// [`crate::host`]; against the real API it is required.
    pub backup_store: Option<ObjectStore>,
    /// The host's keys for the store (they reach only a root-owned `0600` file). `None`:
    /// against the simulators, random demo keys; against the real API they are required.
    pub backup_credentials: Option<S3Credentials>,
    /// The key of the keyed hash the server name and a new instance's SSH port are derived
    /// from ([`crate::naming`]); `None` uses the public default.
    pub name_key: Option<Secret>,
    /// How the central Prometheus scrapes the host. `None`: against the simulators, a demo
    /// server at [`DEMO_MONITORING_SOURCE`] with a random scrape password and a placeholder
    /// certificate; against the real API it is required (a host nobody watches detects
    /// nothing), and its absence is an error naming `monitoring`.
    pub monitoring: Option<HostMonitoring>,
}

/// `store` with the key prefix of `instance_id`: every host writes under its own prefix, and a
/// restore reads from it.
///
/// # Errors
/// [`Error::Invalid`] naming `instance_id` when it is not a usable prefix.
pub fn instance_store(store: &ObjectStore, instance_id: &str) -> Result<ObjectStore> {
    store
        .clone()
        .prefix(instance_id)
        .map_err(|e| Error::invalid("instance_id", e.to_string()))
}

impl ProvisionRequest {
    /// A request with the defaults: `fsn1`, `cx22`, `ubuntu-24.04`, random SSH port, user
    /// `admin` with the documentation key, the placeholder images and callback URL of
    /// [`crate::host`], and no secrets (generated per run against the simulators).
    pub fn new(
        instance_id: impl Into<String>,
        subdomain: impl Into<String>,
        zone: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            subdomain: subdomain.into(),
            zone: zone.into(),
            location: "fsn1".into(),
            server_type: "cx22".into(),
            image: "ubuntu-24.04".into(),
            ssh_port: None,
            admin_user: "admin".into(),
            admin_key: DEMO_ADMIN_KEY.into(),
            admin_sources: Vec::new(),
            bastion_sources: Vec::new(),
            ssh_ca: None,
            ssh_principals: Vec::new(),
            hetzner_ssh_keys: Vec::new(),
            caddy_image: DEMO_CADDY_IMAGE.into(),
            app_image: DEMO_APP_IMAGE.into(),
            node_exporter_image: DEMO_NODE_EXPORTER_IMAGE.into(),
            callback_url: DEMO_CALLBACK_URL.into(),
            callback_secret: None,
            backup_recipient: None,
            backup_store: None,
            backup_credentials: None,
            name_key: None,
            monitoring: None,
        }
    }

    /// The record name, `<subdomain>.<zone>`.
    pub fn fqdn(&self) -> String {
        format!("{}.{}", self.subdomain, self.zone.trim_end_matches('.'))
    }

    /// The validated instance id.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `instance_id`.
    pub fn instance(&self) -> Result<Instance> {
        Instance::new(self.instance_id.as_str())
    }

    /// Checks every field; the error names the first bad one. The flows call this before
    /// their first request, so a rejected request sends nothing.
    ///
    /// ```
    /// use fleet_flows::provision::ProvisionRequest;
    /// let mut req = ProvisionRequest::new("inst-0042", "acme", "example.com");
    /// assert!(req.validate().is_ok());
    /// req.admin_user = "root".into();
    /// assert!(req.validate().unwrap_err().to_string().starts_with("invalid admin_user:"));
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.instance()?;
        check_slug("subdomain", &self.subdomain, 63)?;
        Domain::new(&self.zone).map_err(|e| Error::invalid("zone", e.to_string()))?;
        if !self.zone.trim_end_matches('.').contains('.') {
            return Err(Error::invalid(
                "zone",
                "must be a registered domain such as example.com, not a top-level domain",
            ));
        }
        Domain::new(self.fqdn()).map_err(|e| Error::invalid("subdomain", e.to_string()))?;
        check_slug("location", &self.location, 16)?;
        check_slug("server_type", &self.server_type, 32)?;
        if self.image.is_empty()
            || self.image.len() > 64
            || self.image.contains(char::is_whitespace)
        {
            return Err(Error::invalid(
                "image",
                "must be 1-64 characters without spaces",
            ));
        }
        if let Some(port) = self.ssh_port {
            check_ssh_port(port)?;
        }
        UnixUser::new(self.admin_user.as_str())
            .map_err(|e| Error::invalid("admin_user", e.to_string()))?;
        if self.admin_user == "root" {
            return Err(Error::invalid(
                "admin_user",
                "must not be root: the hardened sshd refuses root logins, so nobody could log in",
            ));
        }
        SshPublicKey::new(self.admin_key.as_str())
            .map_err(|e| Error::invalid("admin_key", reason(&e)))?;
        for (field, list) in [
            ("admin_sources", &self.admin_sources),
            ("bastion_sources", &self.bastion_sources),
        ] {
            for (i, net) in list.iter().enumerate() {
                if net.trunc() != *net {
                    return Err(Error::invalid(
                        format!("{field}[{i}]"),
                        format!("{net} has host bits set (did you mean {}?)", net.trunc()),
                    ));
                }
                if net.prefix_len() == 0 {
                    return Err(Error::invalid(
                        format!("{field}[{i}]"),
                        format!("{net} is every address: SSH is never open to everyone"),
                    ));
                }
            }
        }
        self.ssh_certificates()?;
        for (i, name) in self.hetzner_ssh_keys.iter().enumerate() {
            check_key_name(&format!("hetzner_ssh_keys[{i}]"), name)?;
        }
        for (field, image) in [
            ("caddy_image", &self.caddy_image),
            ("app_image", &self.app_image),
            ("node_exporter_image", &self.node_exporter_image),
        ] {
            ImageRef::parse(image).map_err(|e| Error::invalid(field, e.to_string()))?;
        }
        check_callback_url(&self.callback_url)?;
        if let Some(secret) = &self.callback_secret {
            check_callback_secret(secret)?;
        }
        if let Some(store) = &self.backup_store {
            instance_store(store, &self.instance_id)?;
        }
        Ok(())
    }

    /// Where this instance's backups go. Values left `None` are demo values against the
    /// simulators (`simulated`), and an error naming the field against the real API.
    pub(crate) fn backup_target(&self, simulated: bool) -> Result<BackupTarget> {
        let required = |field: &str| {
            Error::invalid(
                field,
                "required against the real API (restores need the operator's identity and the store)",
            )
        };
        let recipient = match &self.backup_recipient {
            Some(r) => r.clone(),
            None if simulated => crate::secrets::age_recipient(&crate::secrets::age_identity()?)?,
            None => return Err(required("backup_recipient")),
        };
        let store = match &self.backup_store {
            Some(s) => s.clone(),
            None if simulated => demo_store()?,
            None => return Err(required("backup_store")),
        };
        let credentials = match &self.backup_credentials {
            Some(c) => c.clone(),
            None if simulated => S3Credentials::new(
                crate::secrets::callback_secret()?,
                crate::secrets::callback_secret()?,
            ),
            None => return Err(required("backup_credentials")),
        };
        Ok(BackupTarget::new(
            recipient,
            instance_store(&store, &self.instance_id)?,
            credentials,
        ))
    }

    /// How the central Prometheus scrapes this instance: the request's, a demo server against
    /// the simulators (`simulated`), and an error naming `monitoring` against the real API.
    pub(crate) fn monitoring(&self, simulated: bool) -> Result<HostMonitoring> {
        match &self.monitoring {
            Some(m) => Ok(m.clone()),
            None if simulated => demo_monitoring(),
            None => Err(Error::invalid(
                "monitoring",
                "required against the real API: the central Prometheus's addresses, the scrape \
                 password and this host's exporter certificate and key",
            )),
        }
    }

    /// The SSH CA and the admin's principals, when certificate-only login was asked for.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `ssh_ca` or `ssh_principals[i]`.
    pub fn ssh_certificates(&self) -> Result<Option<(CaPublicKey, Vec<Principal>)>> {
        let Some(line) = &self.ssh_ca else {
            return Ok(None);
        };
        let ca = CaPublicKey::parse(line).map_err(|e| Error::invalid("ssh_ca", e.to_string()))?;
        let mut principals = Vec::new();
        for (i, p) in self.ssh_principals.iter().enumerate() {
            principals.push(
                Principal::new(p.as_str())
                    .map_err(|e| Error::invalid(format!("ssh_principals[{i}]"), e.to_string()))?,
            );
        }
        if principals.is_empty() {
            principals.push(
                Principal::new(self.admin_user.as_str())
                    .map_err(|e| Error::invalid("admin_user", e.to_string()))?,
            );
        }
        Ok(Some((ca, principals)))
    }

    /// Who may reach SSH: the admin sources and the bastion's addresses. With none of them and
    /// no CA, [`DEMO_ADMIN_SOURCE`](crate::host::DEMO_ADMIN_SOURCE) against the simulators, and
    /// an error naming `admin_sources` against the real API (SSH is never open to everyone).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `admin_sources`.
    pub fn ssh_sources(&self, simulated: bool) -> Result<(Vec<IpNet>, Vec<IpNet>)> {
        if self.admin_sources.is_empty() && self.bastion_sources.is_empty() && self.ssh_ca.is_none()
        {
            if !simulated {
                return Err(Error::invalid(
                    "admin_sources",
                    "required against the real API: SSH is never open to every address; give \
                     admin sources (--admin-cidr), a bastion (--bastion-cidr) or an SSH CA \
                     (--ssh-ca-file)",
                ));
            }
            let demo = crate::host::DEMO_ADMIN_SOURCE
                .parse()
                .map_err(|_| Error::invalid("admin_sources", "the demo source does not parse"))?;
            return Ok((vec![demo], Vec::new()));
        }
        Ok((self.admin_sources.clone(), self.bastion_sources.clone()))
    }

    pub(crate) fn images(&self) -> Result<StackImages> {
        Ok(StackImages {
            caddy: ImageRef::parse(&self.caddy_image)?,
            app: ImageRef::parse(&self.app_image)?,
            node_exporter: ImageRef::parse(&self.node_exporter_image)?,
        })
    }

    pub(crate) fn labels(&self, ssh_port: u16) -> Result<Labels> {
        Ok(Labels::new()
            .with(MANAGED_BY_LABEL, MANAGED_BY)?
            .with(INSTANCE_LABEL, self.instance_id.as_str())?
            .with(SSH_PORT_LABEL, ssh_port.to_string())?)
    }

    /// The firewall's unique name, `fw-<instance id>` ([`Instance::firewall_name`]).
    pub fn firewall_name(&self) -> String {
        format!("fw-{}", self.instance_id)
    }
}

fn check_ssh_port(port: u16) -> Result<()> {
    if port < 1024 && port != 22 || port == 80 || port == 443 {
        return Err(Error::invalid(
            "ssh_port",
            "must be 22 or an unprivileged port other than 80 and 443",
        ));
    }
    Ok(())
}

/// The checks the ready callback applies, made here so a bad URL is refused before any call.
fn check_callback_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| Error::invalid("callback_url", "must start with https://"))?;
    let ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '.' | '-' | '_' | '/' | ':' | '~' | '?' | '=' | '&' | '[' | ']'
            )
    };
    if rest.is_empty() || rest.len() > 2000 || !rest.chars().all(ok) {
        return Err(Error::invalid(
            "callback_url",
            "needs a host and may only use ASCII letters, digits and ._-/:~?=&[]",
        ));
    }
    Ok(())
}

/// The demo monitoring of offline runs: [`DEMO_MONITORING_SOURCE`], a fresh random scrape
/// password, and a certificate and key of the right shape that no TLS stack would load.
pub(crate) fn demo_monitoring() -> Result<HostMonitoring> {
    let password = crate::secrets::callback_secret()?;
    let source = DEMO_MONITORING_SOURCE
        .parse::<IpNet>()
        .map_err(|_| Error::invalid("monitoring", "the demo source is not a CIDR"))?;
    let access = ExporterAccess::new(
        hardening_model::values::Port::new(EXPORTER_PORT)?,
        [source],
        ScrapeAuth::new("prometheus", password.expose().to_owned().into())?,
    )?;
    Ok(HostMonitoring::new(
        access,
        "-----BEGIN CERTIFICATE-----\nZGVtbyBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n",
        Secret::new("-----BEGIN PRIVATE KEY-----\nZGVtbyBrZXk=\n-----END PRIVATE KEY-----\n")?,
    )?)
}

/// The demo object store of offline runs.
pub(crate) fn demo_store() -> Result<ObjectStore> {
    Ok(ObjectStore::new(
        DEMO_BACKUP_ENDPOINT,
        DEMO_BACKUP_BUCKET,
        DEMO_BACKUP_REGION,
    )?)
}

/// The reason of a lower-level validation error, without the lower layer's own field name
/// (the caller names the user's field instead).
fn reason(err: &cloudinit_builder::Error) -> String {
    let text = err.to_string();
    match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("invalid ") => rest.to_owned(),
        _ => text,
    }
}

/// The characters the host's `0600` environment file can hold: no single quote, no control
/// character (checked here so the error names `callback_secret`, not the file's variable).
fn check_callback_secret(secret: &Secret) -> Result<()> {
    let value = secret.expose();
    if value.chars().count() < cloudinit_builder::MIN_SECRET_LEN {
        return Err(Error::invalid(
            "callback_secret",
            format!(
                "must have at least {} characters",
                cloudinit_builder::MIN_SECRET_LEN
            ),
        ));
    }
    if let Some(at) = value.chars().position(|c| c == '\'' || c.is_control()) {
        return Err(Error::invalid(
            "callback_secret",
            format!("character at position {at} is a single quote or a control character"),
        ));
    }
    Ok(())
}

/// A Hetzner SSH key name as given: 1 to 128 printable characters, no surrounding space.
fn check_key_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 128 {
        return Err(Error::invalid(field, "must have 1 to 128 characters"));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must not start or end with a space or hold control characters",
        ));
    }
    Ok(())
}
