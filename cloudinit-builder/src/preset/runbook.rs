//! The full runbook preset: every hardening-model baseline as a part, errata fixed.

use std::net::IpAddr;

use hardening_model::RenderedFile;
use hardening_model::command::HostCommand;
use hardening_model::presets::firewall::baseline;
use hardening_model::presets::{host, stack};
use hardening_model::sshd::{CaPublicKey, CertAuthority, Principal};
use hardening_model::values::{Domain, Port, UnixUser};
use hardening_model::{IpNet, presets::stack::StackImages};

use super::{
    Alloy, BackupTarget, Backups, ComposeStack, ConvergeAgent, DockerEngine, Falco, Firewall,
    HardenedHost, HostMonitoring, Integrity, ObjectStore, OriginPullTrust, ReadyCallback,
    RenderedPart, S3Credentials, Slot, Sshd, Stage, Target, ThirdPartySource,
};
use crate::{Error, Result, Secret, User};

/// The Compose project directory of the stack (its name, `stack`, prefixes volume names).
pub const STACK_DIR: &str = "/opt/stack";
/// The app's data volume as Docker names it (`<project>_<volume>`).
pub const APP_DATA_VOLUME: &str = "stack_app_data";
/// The app's secret environment (compose `env_file`, root-owned, `0600`), written when
/// [`RunbookInputs::app_secret`] gave any.
pub const APP_SECRETS_ENV: &str = "/etc/hardened-host/app.env";
/// Where apt extracts debconf templates, since `/tmp` and `/var/tmp` are mounted `noexec`.
pub const APT_TEMPLATES_DIR: &str = "/var/cache/apt/extract-templates";

/// What the full preset needs to know about one host.
#[derive(Debug, Clone)]
pub struct RunbookInputs {
    admin: User,
    ssh_port: Port,
    admin_sources: Vec<IpNet>,
    bastion: Vec<IpNet>,
    ssh_ca: Option<(CaPublicKey, Vec<Principal>)>,
    cloudflare: Vec<IpNet>,
    domain: Domain,
    images: StackImages,
    app_port: Port,
    bind_ip: IpAddr,
    origin_pull: Option<OriginPullTrust>,
    callback_url: String,
    callback_secret: Secret,
    backup: BackupTarget,
    log_shipping: Option<Alloy>,
    integrity: Option<Integrity>,
    wazuh_managers: Option<Vec<IpNet>>,
    falco: Option<Falco>,
    monitoring: HostMonitoring,
    converge: Option<ConvergeInputs>,
    app_secrets: Vec<(String, Secret)>,
    pub(super) third_party: Vec<ThirdPartySource>,
    target: Target,
}

/// What the day-2 converge agent ([`ConvergeAgent`]) needs, each by name; set with
/// [`RunbookInputs::converge`]. The signer key is pinned at first boot: only bundles it signed
/// are ever applied, so [`HardenedHost::runbook`] refuses a missing or invalid one
/// (`converge.signer_key`) before anything is rendered. Reports are signed with the
/// instance's callback secret.
///
/// ```
/// use cloudinit_builder::preset::{ConvergeInputs, ObjectStore, S3Credentials};
/// use cloudinit_builder::Secret;
/// let converge = ConvergeInputs {
///     instance: "inst-0042".into(),
///     signer_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP".into(),
///     store: ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-desired", "fsn1")?
///         .prefix("acme")?,
///     credentials: S3Credentials::new(Secret::new("AKIDREADONLY")?, Secret::new("read-secret")?),
/// };
/// # let _ = converge;
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
#[allow(clippy::exhaustive_structs)] // built by name on purpose, like RunbookRequired
pub struct ConvergeInputs {
    /// The instance id the agent reports as (`A-Za-z0-9._-`).
    pub instance: String,
    /// The bundle signer's public key (`ssh-ed25519 AAAA...`), pinned at first boot.
    pub signer_key: String,
    /// Where bundles are published (the prefix holds `manifest`, `manifest.sig` and `files/`);
    /// reports go to `<prefix>/reports/<instance>.status`.
    pub store: ObjectStore,
    /// Keys that read the bundle prefix and write the report prefix.
    pub credentials: S3Credentials,
}

/// The values every runbook host needs, each by name, so that the two ports or the two secrets
/// cannot be swapped by position; the optional parts are [`RunbookInputs`]' setters.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use cloudinit_builder::age::AgeRecipient;
/// use cloudinit_builder::preset::{
///     BackupTarget, HostMonitoring, ObjectStore, RunbookInputs, RunbookRequired, S3Credentials,
/// };
/// use cloudinit_builder::{Secret, User};
/// use hardening_model::docker::ImageRef;
/// use hardening_model::monitoring::{ExporterAccess, ScrapeAuth};
/// use hardening_model::presets::firewall::cloudflare_fallback_ranges;
/// use hardening_model::presets::stack::StackImages;
/// use hardening_model::values::{Domain, Port};
///
/// let image = |name: &str| ImageRef::parse(&format!("{name}@sha256:{}", "a".repeat(64)));
/// let backup = BackupTarget::new(
///     AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")?,
///     ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?,
///     S3Credentials::new(Secret::new("AKIDEXAMPLE")?, Secret::new("example-secret-key")?),
/// );
/// // The central Prometheus at 192.0.2.10 scrapes node_exporter with TLS and basic auth.
/// let scrape = ScrapeAuth::new("prometheus", "a-long-scrape-password".into())?;
/// let monitoring = HostMonitoring::new(
///     ExporterAccess::new(Port::new(9100)?, ["192.0.2.10/32".parse()?], scrape)?,
///     "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
///     Secret::new("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")?,
/// )?;
/// let inputs = RunbookInputs::new(RunbookRequired {
///     admin: User::new("admin")?,
///     ssh_port: Port::new(42022)?,
///     cloudflare_ranges: cloudflare_fallback_ranges(),
///     domain: Domain::new("app.example.com")?,
///     images: StackImages {
///         caddy: image("caddy:2-alpine")?,
///         app: image("registry.example.com/team/app:1.4.2")?,
///         node_exporter: image("prom/node-exporter:v1.8.2")?,
///     },
///     app_port: Port::new(3000)?,
///     bind_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
///     callback_url: "https://control.example.com/ready".into(),
///     callback_secret: Secret::new("callback-secret-of-some-length")?,
///     backup,
///     monitoring,
/// })
/// .admin_sources(["203.0.113.0/24".parse()?]);
/// # let _ = inputs;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[allow(clippy::exhaustive_structs)] // built by name on purpose: a new required value must break callers
pub struct RunbookRequired {
    /// The admin: their name is sshd's only `AllowUsers`.
    pub admin: User,
    /// The one SSH port (sshd, `ssh.socket`, every firewall layer).
    pub ssh_port: Port,
    /// Cloudflare's ranges, for the firewall and Caddy's `trusted_proxies`.
    pub cloudflare_ranges: Vec<IpNet>,
    /// The site Caddy serves.
    pub domain: Domain,
    /// The digest-pinned images of the stack.
    pub images: StackImages,
    /// The port the app listens on inside its network.
    pub app_port: Port,
    /// The one address Caddy's ports are published on: the public interface's address
    /// (docker-bench 5.14). `0.0.0.0` and `::` are refused by [`HardenedHost::runbook`],
    /// naming `bind_ip`.
    pub bind_ip: IpAddr,
    /// Where first boot reports readiness.
    pub callback_url: String,
    /// The readiness callback's shared secret.
    pub callback_secret: Secret,
    /// Where the backups go (the age recipient, the object store and its keys: nothing on the
    /// host can decrypt them).
    pub backup: BackupTarget,
    /// How the central Prometheus scrapes the host: node_exporter on the access port with TLS
    /// and basic auth, the firewall open there to the monitoring server only, and the
    /// security-events timer (Falco, auditd, AIDE, failed SSH, container restarts, pending
    /// reboot, held security updates, backup age). Required: a host nobody watches detects
    /// nothing.
    pub monitoring: HostMonitoring,
}

impl RunbookInputs {
    /// The inputs from the required values; the optional parts are set with the methods below.
    pub fn new(required: RunbookRequired) -> Self {
        let RunbookRequired {
            admin,
            ssh_port,
            cloudflare_ranges,
            domain,
            images,
            app_port,
            bind_ip,
            callback_url,
            callback_secret,
            backup,
            monitoring,
        } = required;
        Self {
            admin,
            ssh_port,
            admin_sources: Vec::new(),
            bastion: Vec::new(),
            ssh_ca: None,
            cloudflare: cloudflare_ranges,
            domain,
            images,
            app_port,
            bind_ip,
            origin_pull: Some(OriginPullTrust::Cloudflare),
            callback_url,
            callback_secret,
            backup,
            log_shipping: None,
            integrity: None,
            wazuh_managers: None,
            falco: None,
            monitoring,
            converge: None,
            app_secrets: Vec::new(),
            third_party: Vec::new(),
            target: Target::default(),
        }
    }

    /// The distribution the document is for (default [`Target::Ubuntu2404`]): Docker's
    /// packages, the SSH unit and the NTP pool follow it.
    #[must_use]
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// A secret environment variable for the app: it reaches the container through
    /// [`APP_SECRETS_ENV`] (compose `env_file`, root-owned `0600`), never through
    /// `docker-compose.yml`. Names are `[A-Z_][A-Z0-9_]*`; values must not contain a single
    /// quote or a control character (checked by [`HardenedHost::runbook`], naming
    /// `app_secrets.env[i]`).
    #[must_use]
    pub fn app_secret(mut self, name: &str, value: Secret) -> Self {
        self.app_secrets.push((name.to_owned(), value));
        self
    }

    /// Addresses SSH is accepted from: the admins' own networks. SSH is never open to every
    /// address by default: [`HardenedHost::runbook`] refuses inputs with no admin sources, no
    /// [`bastion`](Self::bastion) and no [`ssh_ca`](Self::ssh_ca), naming `admin_sources`.
    #[must_use]
    pub fn admin_sources(mut self, sources: impl IntoIterator<Item = IpNet>) -> Self {
        self.admin_sources = sources.into_iter().collect();
        self
    }

    /// Reach SSH through a bastion (runbook 3.6): the bastion's addresses are admitted at the
    /// SSH port by every firewall layer, next to any [`admin_sources`](Self::admin_sources).
    /// Admins connect with `ProxyJump` (their side:
    /// [`admin_ssh_config`](hardening_model::presets::host::admin_ssh_config)).
    #[must_use]
    pub fn bastion(mut self, addresses: impl IntoIterator<Item = IpNet>) -> Self {
        self.bastion = addresses.into_iter().collect();
        self
    }

    /// Certificate-only login (runbook 3.5): sshd trusts `ca` for the admin, who logs in
    /// with a short-lived certificate naming one of `principals` (sign it with
    /// [`CaSigningKey`](hardening_model::sshd::CaSigningKey)); no `authorized_keys` file is
    /// read, so the admin's bare key no longer logs in. An empty `principals` is refused by
    /// [`HardenedHost::runbook`], naming `sshd.cert_authority.principals.<admin>`.
    ///
    /// ```
    /// use hardening_model::sshd::{CaSigningKey, Principal};
    /// # fn with_ca(inputs: cloudinit_builder::preset::RunbookInputs) -> Result<(), hardening_model::Error> {
    /// let ca = CaSigningKey::generate(); // the operator's, kept off the hosts
    /// let inputs = inputs.ssh_ca(ca.public_key(), [Principal::new("fleet-admins")?]);
    /// # let _ = inputs;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn ssh_ca(
        mut self,
        ca: CaPublicKey,
        principals: impl IntoIterator<Item = Principal>,
    ) -> Self {
        self.ssh_ca = Some((ca, principals.into_iter().collect()));
        self
    }

    /// Which client certificates Caddy requires (Authenticated Origin Pulls; the Cloudflare
    /// zone preset switches them on). Default: Cloudflare's origin-pull CA
    /// ([`OriginPullTrust::Cloudflare`], installed at first boot by pinned fingerprint). `None`
    /// only for an origin Cloudflare does not authenticate: the origin then answers any TLS
    /// client from Cloudflare's ranges.
    #[must_use]
    pub fn origin_pull(mut self, trust: Option<OriginPullTrust>) -> Self {
        self.origin_pull = trust;
        self
    }

    /// Ship the journal (containers and Caddy's access log included) and auditd's log to
    /// Loki with Grafana Alloy.
    #[must_use]
    pub fn log_shipping(mut self, alloy: Alloy) -> Self {
        self.log_shipping = Some(alloy);
        self
    }

    /// AIDE, or the Wazuh agent with the managers' addresses for the egress rules.
    #[must_use]
    pub fn integrity(
        mut self,
        integrity: Integrity,
        wazuh_managers: impl IntoIterator<Item = IpNet>,
    ) -> Self {
        if matches!(integrity, Integrity::Wazuh { .. }) {
            self.wazuh_managers = Some(wazuh_managers.into_iter().collect());
        }
        self.integrity = Some(integrity);
        self
    }

    /// Run Falco.
    #[must_use]
    pub fn falco(mut self, falco: Falco) -> Self {
        self.falco = Some(falco);
        self
    }

    /// Run the day-2 converge agent, so later changes of desired state reach this host
    /// without a reprovision.
    #[must_use]
    pub fn converge(mut self, converge: ConvergeInputs) -> Self {
        self.converge = Some(converge);
        self
    }
}

fn commands(stage: Stage, part: RenderedPart, cmds: Vec<HostCommand>) -> Result<RenderedPart> {
    let mut part = part;
    for c in cmds {
        part = if c.may_fail {
            // Expected to fail where the unit or package is absent (Debian has no snapd or
            // ModemManager): its failure must not mark the step failed.
            let line = crate::Command::argv(c.argv)?.to_shell().into_owned();
            part.command(stage, ["sh", "-c", &format!("{line} || true")])?
        } else {
            part.chained(stage, [c.argv])?
        };
    }
    Ok(part)
}

/// Commands that may fail (units masked or disabled where present) as one script: those
/// that differ only in their last word become one loop,
/// `for u in A B; do systemctl mask --now $u || true; done`.
fn looped(cmds: Vec<HostCommand>) -> String {
    let mut groups: Vec<(Vec<String>, bool, Vec<String>)> = Vec::new();
    for mut c in cmds {
        let last = c.argv.pop().unwrap_or_default();
        match groups
            .iter_mut()
            .find(|(head, may_fail, _)| *head == c.argv && *may_fail == c.may_fail)
        {
            Some((_, _, tails)) => tails.push(last),
            None => groups.push((c.argv, c.may_fail, vec![last])),
        }
    }
    groups
        .iter()
        .map(|(head, may_fail, tails)| {
            let head = hardening_model::command::line(head);
            let tails = hardening_model::command::line(tails);
            let or = if *may_fail { " || true" } else { "" };
            format!("for u in {tails}; do {head} \"$u\"{or}; done")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Like [`commands`], with fewer `runcmd` entries: consecutive commands that must succeed
/// become one chained entry, and a `sh -c SCRIPT` command runs as it is (no second shell).
fn grouped(stage: Stage, part: RenderedPart, cmds: Vec<HostCommand>) -> Result<RenderedPart> {
    let flush = |part: RenderedPart, mut run: Vec<Vec<String>>| match run.len() {
        0 => Ok(part),
        1 => part.command(stage, run.remove(0)),
        _ => part.chained(stage, run),
    };
    let mut part = part;
    let mut run: Vec<Vec<String>> = Vec::new();
    for c in cmds {
        let shell = c.argv.len() == 3 && c.argv[0] == "sh" && c.argv[1] == "-c";
        if !c.may_fail && !shell {
            run.push(c.argv);
            continue;
        }
        part = flush(part, std::mem::take(&mut run))?;
        part = if shell && !c.may_fail {
            part.command(stage, c.argv)?
        } else {
            commands(stage, part, vec![c])?
        };
    }
    flush(part, run)
}

impl HardenedHost {
    /// The runbook's Appendix A, complete, with every erratum fixed: each hardening-model
    /// baseline becomes a part, in its stage.
    ///
    /// | slot | from | stage |
    /// |---|---|---|
    /// | sysctl (+ conntrack modules-load) | `presets::host::sysctl` | kernel |
    /// | kernel modules | `presets::host::kernel_modules` | (files only, read at module load) |
    /// | unattended-upgrades, chrony, disabled services | `presets::host` | services |
    /// | sshd + `ssh.socket` port | `presets::host::sshd` | ssh (validated first) |
    /// | ufw, nftables, DOCKER-USER | `presets::firewall::baseline` | firewall |
    /// | Docker `daemon.json` | `presets::stack::daemon_config` | docker |
    /// | seccomp and AppArmor profiles | `presets::stack` | stack (loaded before `up`) |
    /// | Caddy + app compose stack | `presets::stack::compose_stack`, `caddyfile` | stack |
    /// | [`HostMonitoring`] (node_exporter scraped: TLS, basic auth, security events; firewall rule) | `presets::stack::monitoring_files` | monitoring |
    /// | Alloy, Wazuh or AIDE, Falco | this crate (optional) | monitoring / baseline |
    /// | the operator's own apt repositories ([`RunbookInputs::third_party`]) | this crate (optional) | monitoring |
    /// | backups | this crate | backups |
    /// | converge agent ([`RunbookInputs::converge`]) | `hardening_model::converge` | backups |
    /// | `/dev/shm` noexec, `/proc` hidepid (fstab, remounted live) | `presets::host::mounts` | kernel |
    /// | tmpfs mounts (remounted live), auditd rules | `presets::host::mounts`, `audit_rules` | baseline |
    /// | ready callback | this crate | ready |
    ///
    /// The tmpfs mounts (`noexec` `/tmp`) come after every package installation (maintainer
    /// scripts run from there), and apt is pointed at [`APT_TEMPLATES_DIR`] for later upgrades;
    /// a `/tmp` already mounted (Debian 13 mounts its own) is remounted then, not at the next
    /// boot. `/dev/shm` (`noexec`) and `/proc` (`hidepid=invisible`, `gid=proc` for logind and
    /// polkit) are remounted in the kernel stage. Third-party repositories reach apt only in
    /// their own step ([`THIRD_PARTY_SOURCES_STEP`](super::THIRD_PARTY_SOURCES_STEP)), after
    /// the distribution's packages.
    /// The audit rules load last: they watch Docker's paths and end with `-e 2` (immutable).
    pub fn runbook(inputs: &RunbookInputs) -> Result<Self> {
        let m = |e: hardening_model::Error| Error::from(e);
        let admin_name = UnixUser::new(inputs.admin.name()).map_err(m)?;

        let sysctl_policy = host::sysctl();
        let mut kernel = RenderedPart::new(Slot::Sysctl)
            .files(sysctl_policy.files())
            .file(RenderedFile::root(
                host::CORE_LIMITS_PATH,
                0o644,
                host::CORE_LIMITS_TEXT,
            ));
        if sysctl_policy.modules_load().is_some() {
            kernel = kernel.command(
                Stage::Kernel,
                ["systemctl", "restart", "systemd-modules-load.service"],
            )?;
        }
        kernel = kernel.command(Stage::Kernel, ["sysctl", "--system"])?;

        let modules = RenderedPart::new(Slot::KernelModules).file(host::kernel_modules().render());

        let mounts_policy = host::mounts();
        // /dev/shm and /proc (hidepid) at once; the noexec tmpfs after every installation.
        let mounts = grouped(
            Stage::Kernel,
            RenderedPart::new(Slot::Mounts),
            mounts_policy.api_commands(),
        )?;
        let mounts = grouped(
            Stage::Baseline,
            mounts
                .files(mounts_policy.files())
                .file(RenderedFile::root(
                    "/etc/apt/apt.conf.d/90hardening-templates-dir",
                    0o644,
                    format!(
                        "// /tmp and /var/tmp are mounted noexec: extract debconf templates elsewhere.\n\
                         APT::ExtractTemplates::TempDir \"{APT_TEMPLATES_DIR}\";\n"
                    ),
                ))
                .command(Stage::Baseline, ["install", "-d", "-m", "0700", APT_TEMPLATES_DIR])?,
            mounts_policy.tmpfs_commands(),
        )?;

        let rules = host::audit_rules();
        let mut mkdir = vec![
            "install".to_owned(),
            "-d".to_owned(),
            "-m".to_owned(),
            "0755".to_owned(),
        ];
        mkdir.extend(rules.watched_parents());
        let mut load: Vec<Vec<String>> = vec![
            mkdir,
            vec!["systemctl".into(), "enable".into(), "auditd.service".into()],
        ];
        let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
        match inputs.target.audit_rules_unit() {
            // audit 4.x: the rules unit loads them (and is no longer failed from the package
            // stage, where a watched directory was still missing); then the daemon.
            Some(unit) => {
                load.push(strs(&["systemctl", "restart", unit]));
                load.push(strs(&["systemctl", "restart", "auditd.service"]));
            }
            // audit 3.x: load (and lock) the rules, then (re)start the daemon.
            None => {
                load.push(strs(&["augenrules", "--load"]));
                load.push(strs(&["systemctl", "restart", "auditd.service"]));
            }
        }
        // The rules end with -e 2: "enabled 2" proves the whole file loaded.
        load.push(strs(&["sh", "-c", "auditctl -s | grep -q \"^enabled 2\""]));
        let auditd = RenderedPart::new(Slot::Auditd)
            .package("auditd")
            .package("audispd-plugins")
            .file(rules.render())
            .chained(Stage::Baseline, load)?;

        let uu = host::unattended_upgrades();
        let upgrades = RenderedPart::new(Slot::UnattendedUpgrades)
            .package("unattended-upgrades")
            .package("apt-listchanges")
            .package("needrestart")
            .files(uu.files().map_err(m)?);

        let chrony_policy = host::chrony_with_pool(inputs.target.ntp_pool());
        let mut chrony = RenderedPart::new(Slot::Chrony).file(chrony_policy.render().map_err(m)?);
        for p in chrony_policy.packages() {
            chrony = chrony.package(p);
        }
        let chrony = grouped(Stage::Services, chrony, chrony_policy.commands())?;

        let services = RenderedPart::new(Slot::Services).command(
            Stage::Services,
            ["sh", "-c", &looped(host::disabled_services().commands())],
        )?;

        if inputs.bind_ip.is_unspecified() {
            return Err(Error::invalid(
                "bind_ip",
                "publish Caddy on the public interface's address, not on every address \
                 (docker-bench 5.14)",
            ));
        }
        if inputs.admin_sources.is_empty() && inputs.bastion.is_empty() && inputs.ssh_ca.is_none() {
            return Err(Error::invalid(
                "admin_sources",
                "SSH is never open to every address by default: give admin sources, a bastion \
                 or an SSH certificate authority (certificate-only login)",
            ));
        }
        let mut sshd_policy =
            host::sshd(inputs.ssh_port, std::slice::from_ref(&admin_name)).map_err(m)?;
        if let Some((ca, principals)) = &inputs.ssh_ca {
            let trust =
                CertAuthority::new(ca.clone()).allow(admin_name, principals.iter().cloned());
            sshd_policy = sshd_policy.cert_authority(trust).certificates_only(true);
            // No principal at all is refused here, naming
            // `sshd.cert_authority.principals.<admin>`.
            sshd_policy.check().map_err(m)?;
        }
        let socket = sshd_policy.socket().dropin();
        let config: Vec<RenderedFile> = sshd_policy
            .files()
            .map_err(m)?
            .into_iter()
            .filter(|f| f.path != socket.path)
            .collect();
        let sshd = Sshd::new(config, [socket])
            .with_files([RenderedFile::root(
                host::BANNER_PATH,
                0o644,
                host::BANNER_TEXT,
            )])
            .confirm_port(inputs.ssh_port)
            .for_target(inputs.target);

        let ssh_sources: Vec<IpNet> = inputs
            .admin_sources
            .iter()
            .chain(&inputs.bastion)
            .copied()
            .collect();
        let firewall_policy = baseline(
            inputs.ssh_port,
            &ssh_sources,
            &inputs.cloudflare,
            inputs.wazuh_managers.as_deref(),
        )
        .map_err(m)?
        .with_inbound(inputs.monitoring.access().firewall_rule())
        .map_err(m)?;
        let firewall = Firewall::new(firewall_policy);

        let mut docker = DockerEngine::new([stack::daemon_config().render().map_err(m)?])
            .for_target(inputs.target);
        if let Some(hold) = uu.apt_mark_hold() {
            // Docker's packages are installed in the docker stage; the Docker part holds them
            // right after (so a host without Docker holds nothing it does not have).
            docker = docker.then_run(crate::Command::argv(hold.argv)?);
        }

        let mut compose = stack::compose_stack(
            inputs.images.caddy.clone(),
            inputs.images.app.clone(),
            inputs.app_port,
            inputs.bind_ip,
        )
        .map_err(m)?;
        let app_env = if inputs.app_secrets.is_empty() {
            None
        } else {
            let path = hardening_model::values::AbsPath::new(APP_SECRETS_ENV).map_err(m)?;
            compose = compose
                .map_service(stack::APP_SERVICE, |s| s.with_env_file(path))
                .map_err(m)?;
            Some(
                crate::WriteFile::secret_env(
                    APP_SECRETS_ENV,
                    inputs.app_secrets.iter().map(|(k, v)| (k.as_str(), v)),
                )
                .map_err(|e| e.within("app_secrets"))?,
            )
        };
        let app = compose
            .service(stack::APP_SERVICE)
            .ok_or_else(|| Error::invalid("stack.services", "the app service is missing"))?;
        let apparmor = stack::apparmor_profile(app).map_err(m)?.render();
        let apparmor_path = apparmor.path.clone();
        let seccomp = stack::seccomp_profile()
            .map_err(m)?
            .render(&hardening_model::values::AbsPath::new(stack::APP_SECCOMP_PATH).map_err(m)?)
            .map_err(m)?;
        let profiles = RenderedPart::new(Slot::ContainerProfiles)
            .file(seccomp.clone())
            .file(apparmor)
            .command(
                Stage::Stack,
                ["apparmor_parser", "-r", "-W", apparmor_path.as_str()],
            )?;
        let upstream = hardening_model::caddy::Upstream::new(stack::APP_SERVICE, inputs.app_port)
            .map_err(m)?;
        let mut caddyfile =
            stack::caddyfile(inputs.domain.clone(), upstream, &inputs.cloudflare).map_err(m)?;
        let origin_pull = inputs.origin_pull.as_ref().map(|t| (t, t.origin_pull()));
        if let Some((_, pull)) = &origin_pull {
            caddyfile = caddyfile.require_origin_pull(pull);
            compose = stack::mount_origin_pull_ca(compose, pull).map_err(m)?;
        }
        let caddyfile = caddyfile.render_at(stack::CADDYFILE_HOST_PATH).map_err(m)?;
        let ca_file = origin_pull.and_then(|(trust, _)| trust.file());
        let mut stack_part = ComposeStack::new(
            STACK_DIR,
            compose.render_at(stack::COMPOSE_PATH).map_err(m)?,
            std::iter::once(caddyfile).chain(ca_file),
        )?;
        if let Some(fetch) = inputs
            .origin_pull
            .as_ref()
            .map(OriginPullTrust::fetch)
            .transpose()?
            .flatten()
        {
            stack_part = stack_part.before_up(fetch);
        }
        if let Some(env) = app_env {
            stack_part = stack_part.with_secret_env(env)?;
        }

        let backups = Backups::volume(APP_DATA_VOLUME, STACK_DIR, inputs.backup.clone())?;
        let ready = ReadyCallback::compose_healthy(
            STACK_DIR,
            stack::APP_SERVICE,
            &inputs.callback_url,
            inputs.callback_secret.clone(),
        )?;

        let mut host = HardenedHost::new(inputs.admin.clone())
            .set(kernel)
            .set(modules)
            .set(mounts)
            .set(auditd)
            .set(upgrades)
            .set(chrony)
            .set(services)
            .set(sshd)
            .set(firewall)
            .set(docker)
            .set(profiles)
            .set(stack_part)
            .set(backups)
            .set(ready)
            .set(inputs.monitoring.part(inputs.images.node_exporter.clone()));
        if let Some(p) = &inputs.log_shipping {
            host = host.set(p.clone());
        }
        if let Some(i) = &inputs.integrity {
            host = host.set(i.clone());
        }
        if let Some(f) = &inputs.falco {
            host = host.set(f.clone());
        }
        for s in &inputs.third_party {
            host = host.set(s.clone());
        }
        if let Some(c) = &inputs.converge {
            host = host.set(ConvergeAgent::from_store(
                &c.instance,
                &c.store,
                &c.signer_key,
                inputs.ssh_port,
                inputs.callback_secret.clone(),
                c.credentials.clone(),
            )?);
        }
        Ok(host)
    }
}
