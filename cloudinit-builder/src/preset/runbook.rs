//! The full runbook preset: every hardening-model baseline as a part, errata fixed.

use std::net::IpAddr;

use hardening_model::RenderedFile;
use hardening_model::command::HostCommand;
use hardening_model::presets::firewall::baseline;
use hardening_model::presets::{host, stack};
use hardening_model::values::{Domain, Port, UnixUser};
use hardening_model::{IpNet, presets::stack::StackImages};

use super::{
    BackupTarget, Backups, ComposeStack, DockerEngine, Falco, Firewall, HardenedHost, Integrity,
    Promtail, ReadyCallback, RenderedPart, Slot, Sshd, Stage,
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
    cloudflare: Vec<IpNet>,
    domain: Domain,
    images: StackImages,
    app_port: Port,
    bind_ip: IpAddr,
    callback_url: String,
    callback_secret: Secret,
    backup: BackupTarget,
    promtail: Option<Promtail>,
    integrity: Option<Integrity>,
    wazuh_managers: Option<Vec<IpNet>>,
    falco: Option<Falco>,
    app_secrets: Vec<(String, Secret)>,
}

impl RunbookInputs {
    /// The required values: the admin (their name is sshd's only `AllowUsers`), the one SSH
    /// port, Cloudflare's ranges (for the firewall and Caddy), the site, the digest-pinned
    /// images, the app's port, the address Caddy binds, the callback URL and secret, and where
    /// the backups go (the age recipient, the object store and its keys: nothing on the host
    /// can decrypt them).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        admin: User,
        ssh_port: Port,
        cloudflare: Vec<IpNet>,
        domain: Domain,
        images: StackImages,
        app_port: Port,
        bind_ip: IpAddr,
        callback_url: &str,
        callback_secret: Secret,
        backup: BackupTarget,
    ) -> Self {
        Self {
            admin,
            ssh_port,
            admin_sources: Vec::new(),
            cloudflare,
            domain,
            images,
            app_port,
            bind_ip,
            callback_url: callback_url.to_owned(),
            callback_secret,
            backup,
            promtail: None,
            integrity: None,
            wazuh_managers: None,
            falco: None,
            app_secrets: Vec::new(),
        }
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

    /// Addresses SSH is accepted from (anywhere when empty).
    #[must_use]
    pub fn admin_sources(mut self, sources: impl IntoIterator<Item = IpNet>) -> Self {
        self.admin_sources = sources.into_iter().collect();
        self
    }

    /// Ship logs with promtail.
    #[must_use]
    pub fn promtail(mut self, promtail: Promtail) -> Self {
        self.promtail = Some(promtail);
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
}

fn commands(stage: Stage, part: RenderedPart, cmds: Vec<HostCommand>) -> Result<RenderedPart> {
    let mut part = part;
    for c in cmds {
        part = if c.may_fail {
            // A separate runcmd entry: cloud-init carries on whatever its status.
            part.command(stage, c.argv)?
        } else {
            part.chained(stage, [c.argv])?
        };
    }
    Ok(part)
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
    /// | node_exporter + alert rules | `presets::stack::monitoring_compose`, `alert_rules` | monitoring |
    /// | promtail, Wazuh or AIDE, Falco | this crate (optional) | monitoring / baseline |
    /// | backups | this crate | backups |
    /// | tmpfs mounts, auditd rules | `presets::host::mounts`, `audit_rules` | baseline |
    /// | ready callback | this crate | ready |
    ///
    /// The tmpfs mounts (`noexec` `/tmp`) come after every package installation (maintainer
    /// scripts run from there), and apt is pointed at [`APT_TEMPLATES_DIR`] for later upgrades.
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
        let mounts = commands(
            Stage::Baseline,
            RenderedPart::new(Slot::Mounts)
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
            mounts_policy.commands(),
        )?;

        let auditd = RenderedPart::new(Slot::Auditd)
            .package("auditd")
            .package("audispd-plugins")
            .file(host::audit_rules().render())
            .command(Stage::Baseline, ["augenrules", "--load"])?;

        let uu = host::unattended_upgrades();
        let mut upgrades = RenderedPart::new(Slot::UnattendedUpgrades)
            .package("unattended-upgrades")
            .package("apt-listchanges")
            .package("needrestart")
            .files(uu.files().map_err(m)?);
        if let Some(hold) = uu.apt_mark_hold() {
            // Docker's packages are installed in the docker stage; hold them right after.
            upgrades = commands(Stage::Stack, upgrades, vec![hold])?;
        }

        let chrony_policy = host::chrony();
        let mut chrony = RenderedPart::new(Slot::Chrony).file(chrony_policy.render().map_err(m)?);
        for p in chrony_policy.packages() {
            chrony = chrony.package(p);
        }
        let chrony = commands(Stage::Services, chrony, chrony_policy.commands())?;

        let services = commands(
            Stage::Services,
            RenderedPart::new(Slot::Services),
            host::disabled_services().commands(),
        )?;

        let sshd_policy = host::sshd(inputs.ssh_port, &[admin_name]).map_err(m)?;
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
            .confirm_port(inputs.ssh_port);

        let firewall = Firewall::new(
            baseline(
                inputs.ssh_port,
                &inputs.admin_sources,
                &inputs.cloudflare,
                inputs.wazuh_managers.as_deref(),
            )
            .map_err(m)?,
        );

        let docker = DockerEngine::new([stack::daemon_config().render().map_err(m)?]);

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
        let caddyfile = stack::caddyfile(inputs.domain.clone(), upstream, &inputs.cloudflare)
            .map_err(m)?
            .render_at(stack::CADDYFILE_HOST_PATH)
            .map_err(m)?;
        let mut stack_part = ComposeStack::new(
            STACK_DIR,
            compose.render_at(stack::COMPOSE_PATH).map_err(m)?,
            [caddyfile],
        )?;
        if let Some(env) = app_env {
            stack_part = stack_part.with_secret_env(env)?;
        }

        let monitoring_dir = "/opt/monitoring";
        let node_exporter = RenderedPart::new(Slot::NodeExporter)
            .file(
                stack::monitoring_compose(inputs.images.node_exporter.clone())
                    .map_err(m)?
                    .render_at(stack::MONITORING_COMPOSE_PATH)
                    .map_err(m)?,
            )
            .file(
                stack::alert_rules()
                    .map_err(m)?
                    .render_at(hardening_model::monitoring::ALERT_RULES_PATH)
                    .map_err(m)?,
            )
            .chained(
                Stage::Monitoring,
                [[
                    "docker",
                    "compose",
                    "--project-directory",
                    monitoring_dir,
                    "-f",
                    stack::MONITORING_COMPOSE_PATH,
                    "up",
                    "-d",
                ]],
            )?;

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
            .set(node_exporter)
            .set(backups)
            .set(ready);
        if let Some(p) = &inputs.promtail {
            host = host.set(p.clone());
        }
        if let Some(i) = &inputs.integrity {
            host = host.set(i.clone());
        }
        if let Some(f) = &inputs.falco {
            host = host.set(f.clone());
        }
        Ok(host)
    }
}
