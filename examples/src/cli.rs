//! The command-line flags of a host, shared by the examples that provision one (`provision`,
//! `restore`): one field per [`ProvisionInputs`] field.

use std::path::PathBuf;

use fleet_flows::provision::ProvisionInputs;
use ipnet::IpNet;

/// How the host is built. Values marked "required with HCLOUD_TOKEN" have demo defaults
/// offline only.
#[derive(Debug, Clone, clap::Args)]
pub struct HostArgs {
    /// Hetzner location.
    #[arg(long, default_value = "fsn1")]
    pub location: String,
    /// Hetzner server type.
    #[arg(long, default_value = "cx22")]
    pub server_type: String,
    /// Hetzner image.
    #[arg(long, default_value = "ubuntu-24.04")]
    pub image: String,
    /// SSH port (default: random for a new instance, the labelled one for an existing one).
    #[arg(long)]
    pub ssh_port: Option<u16>,
    /// Admin login name (not root).
    #[arg(long, default_value = "admin")]
    pub admin_user: String,
    /// File with the admin's OpenSSH public key (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub admin_key_file: Option<PathBuf>,
    /// CIDR allowed to reach SSH (repeatable; no host bits). SSH is never open to every
    /// address: with HCLOUD_TOKEN one of `--admin-cidr`, `--bastion-cidr` or `--ssh-ca-file`
    /// is required; offline runs use the documentation range 198.51.100.0/24.
    #[arg(long = "admin-cidr")]
    pub admin_cidrs: Vec<IpNet>,
    /// The bastion's addresses (repeatable; no host bits): SSH is admitted from them too.
    #[arg(long = "bastion-cidr")]
    pub bastion_cidrs: Vec<IpNet>,
    /// File with the SSH user CA's public key (`ssh-ed25519 AAAA...`): the host then logs in
    /// with certificates only.
    #[arg(long)]
    pub ssh_ca_file: Option<PathBuf>,
    /// A principal the admin's certificates carry (repeatable; default: the admin login).
    #[arg(long = "ssh-principal")]
    pub ssh_principals: Vec<String>,
    /// Name of a Hetzner SSH key to attach (repeatable; it must exist in the project).
    #[arg(long = "hetzner-ssh-key")]
    pub hetzner_ssh_keys: Vec<String>,
    /// Caddy image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub caddy_image: Option<String>,
    /// Application image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub app_image: Option<String>,
    /// node_exporter image pinned by digest (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub node_exporter_image: Option<String>,
    /// HTTPS URL the host POSTs its instance id and callback secret to once healthy
    /// (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub callback_url: Option<String>,
    /// File holding the callback secret; created with a fresh one (mode 0600) if missing,
    /// once every other input is checked (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub callback_secret_file: Option<PathBuf>,
    /// File holding the key of the keyed hash that server names and new SSH ports are derived
    /// from; created with a fresh one (mode 0600) if missing. Keep it with the control plane's
    /// secrets: without it names follow a public default key and are guessable from instance ids.
    #[arg(long)]
    pub name_key_file: Option<PathBuf>,
    /// File holding the backups' age identity (AGE-SECRET-KEY-1...); created with a fresh one
    /// (mode 0600) if missing. Only its recipient goes to the host (required with HCLOUD_TOKEN).
    #[arg(long)]
    pub backup_identity_file: Option<PathBuf>,
    /// S3 endpoint of the backups, e.g. `https://fsn1.your-objectstorage.com` (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    pub backup_endpoint: Option<String>,
    /// Bucket of the backups; each instance writes under its own prefix (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    pub backup_bucket: Option<String>,
    /// Region of the bucket.
    #[arg(long, default_value = "fsn1")]
    pub backup_region: String,
    /// File with the host's S3 access key id and secret key, one per line (required with
    /// HCLOUD_TOKEN).
    #[arg(long)]
    pub backup_credentials_file: Option<PathBuf>,
    /// The central Prometheus's address (CIDR, repeatable): the only source node_exporter's
    /// port admits. Offline runs default to 192.0.2.10/32, a documentation address (required
    /// with HCLOUD_TOKEN, with the three flags below).
    #[arg(long = "monitoring-cidr")]
    pub monitoring_cidrs: Vec<IpNet>,
    /// node_exporter's PEM certificate, issued by the CA the monitoring server pins for the
    /// address it scrapes.
    #[arg(long)]
    pub monitoring_cert_file: Option<PathBuf>,
    /// node_exporter's PEM private key (it reaches only a root-owned `0600` file on the host).
    #[arg(long)]
    pub monitoring_key_file: Option<PathBuf>,
    /// File holding the scrape password; created with a fresh one (mode 0600) if missing. Give
    /// it to the monitoring server's Prometheus: only its bcrypt hash reaches the host.
    #[arg(long)]
    pub scrape_password_file: Option<PathBuf>,
}

impl HostArgs {
    /// The inputs of instance `instance_id` at `<subdomain>.<zone>`.
    pub fn inputs(self, instance_id: String, subdomain: String, zone: String) -> ProvisionInputs {
        ProvisionInputs {
            instance_id,
            subdomain,
            zone,
            location: Some(self.location),
            server_type: Some(self.server_type),
            image: Some(self.image),
            ssh_port: self.ssh_port,
            admin_user: Some(self.admin_user),
            admin_key_file: self.admin_key_file,
            admin_cidr: self.admin_cidrs,
            bastion_cidr: self.bastion_cidrs,
            ssh_ca_file: self.ssh_ca_file,
            ssh_principal: self.ssh_principals,
            hetzner_ssh_key: self.hetzner_ssh_keys,
            caddy_image: self.caddy_image,
            app_image: self.app_image,
            node_exporter_image: self.node_exporter_image,
            callback_url: self.callback_url,
            callback_secret_file: self.callback_secret_file,
            name_key_file: self.name_key_file,
            backup_identity_file: self.backup_identity_file,
            backup_endpoint: self.backup_endpoint,
            backup_bucket: self.backup_bucket,
            backup_region: Some(self.backup_region),
            backup_credentials_file: self.backup_credentials_file,
            monitoring_cidr: self.monitoring_cidrs,
            monitoring_cert_file: self.monitoring_cert_file,
            monitoring_key_file: self.monitoring_key_file,
            scrape_password_file: self.scrape_password_file,
        }
    }
}
