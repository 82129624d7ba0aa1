//! The typed `#cloud-config` document and its builder methods.

use std::collections::BTreeMap;

use hardening_model::values::{UnixGroup, check_token};

use crate::{
    AptSource, Command, Error, Mount, Ntp, PhoneHome, PowerState, RawKey, Result, User, WriteFile,
};

/// Host key types cloud-init can generate (`ssh_genkeytypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SshKeyType {
    /// Ed25519 (the only type the hardened sshd policy uses).
    Ed25519,
    /// ECDSA.
    Ecdsa,
    /// RSA.
    Rsa,
}

impl SshKeyType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Ecdsa => "ecdsa",
            Self::Rsa => "rsa",
        }
    }
}

/// Top-level keys the typed builder renders; [`CloudConfig::raw`] refuses them.
pub const TYPED_KEYS: &[&str] = &[
    "package_update",
    "package_upgrade",
    "package_reboot_if_required",
    "apt",
    "packages",
    "groups",
    "users",
    "user",
    "disable_root",
    "ssh_pwauth",
    "ssh_deletekeys",
    "ssh_genkeytypes",
    "timezone",
    "ntp",
    "mounts",
    "bootcmd",
    "write_files",
    "runcmd",
    "power_state",
    "phone_home",
    "final_message",
];

/// A typed cloud-init `#cloud-config` document.
///
/// Setters consume and return the document; those taking free text validate it and return
/// [`Error`] naming the field. Rendering ([`CloudConfig::render`],
/// [`CloudConfig::render_within`]) re-checks every entry and refuses secrets outside
/// root-owned `0600` files.
///
/// ```
/// use cloudinit_builder::{CloudConfig, Command, WriteFile};
/// let cfg = CloudConfig::new()
///     .package_update(true)
///     .packages(["ufw", "chrony"])?
///     .hardened_ssh()
///     .write_file(WriteFile::new("/etc/motd", "authorised use only\n")?)
///     .runcmd(Command::argv(["systemctl", "enable", "--now", "chrony"])?);
/// let yaml = cfg.render()?;
/// assert!(yaml.as_str().starts_with("#cloud-config\n"));
/// assert!(yaml.as_str().contains("- systemctl enable --now chrony\n"));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CloudConfig {
    pub(crate) package_update: Option<bool>,
    pub(crate) package_upgrade: Option<bool>,
    pub(crate) package_reboot_if_required: Option<bool>,
    pub(crate) apt_sources: BTreeMap<String, AptSource>,
    pub(crate) apt_list_dir: Option<String>,
    pub(crate) packages: Vec<String>,
    pub(crate) groups: Vec<UnixGroup>,
    pub(crate) no_default_user: bool,
    pub(crate) users: Vec<User>,
    pub(crate) disable_root: Option<bool>,
    pub(crate) ssh_pwauth: Option<bool>,
    pub(crate) ssh_deletekeys: Option<bool>,
    pub(crate) ssh_genkeytypes: Vec<SshKeyType>,
    pub(crate) timezone: Option<String>,
    pub(crate) ntp: Option<Ntp>,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) bootcmd: Vec<Command>,
    pub(crate) write_files: Vec<WriteFile>,
    pub(crate) runcmd: Vec<Command>,
    pub(crate) power_state: Option<PowerState>,
    pub(crate) phone_home: Option<PhoneHome>,
    pub(crate) final_message: Option<String>,
    pub(crate) raw: BTreeMap<String, RawKey>,
}

impl CloudConfig {
    /// An empty document (renders as just the `#cloud-config` header and `{}`).
    pub fn new() -> Self {
        Self::default()
    }

    /// `package_update`: run `apt-get update` first.
    #[must_use]
    pub fn package_update(mut self, yes: bool) -> Self {
        self.package_update = Some(yes);
        self
    }

    /// `package_upgrade`: upgrade installed packages.
    #[must_use]
    pub fn package_upgrade(mut self, yes: bool) -> Self {
        self.package_upgrade = Some(yes);
        self
    }

    /// `package_reboot_if_required`: reboot when an upgrade asks for it.
    #[must_use]
    pub fn package_reboot_if_required(mut self, yes: bool) -> Self {
        self.package_reboot_if_required = Some(yes);
        self
    }

    /// Adds packages to install (`[a-z0-9][a-z0-9.+-]*`, optionally `=VERSION`); duplicates are
    /// dropped.
    pub fn packages<I, S>(mut self, names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in names {
            let name = name.as_ref();
            let field = format!("packages[{}]", self.packages.len());
            check_token(&field, name, &['+', '=', ':', '~'])?;
            if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
                return Err(Error::invalid(
                    field,
                    "must start with a lowercase letter or digit",
                ));
            }
            if !self.packages.iter().any(|p| p == name) {
                self.packages.push(name.to_owned());
            }
        }
        Ok(self)
    }

    /// Adds a signed third-party apt repository; a second source with the same name replaces
    /// the first.
    #[must_use]
    pub fn apt_source(mut self, source: AptSource) -> Self {
        self.apt_sources.insert(source.name.clone(), source);
        self
    }

    /// Has cloud-init write every apt source's line to `DIR/NAME.list` (its `filename`) instead
    /// of `/etc/apt/sources.list.d/NAME.list`. Outside `sources.list.d` apt does not read the
    /// list until something moves it there: the preset keeps third-party repositories away from
    /// the distribution's security packages this way. Each key still goes to cloud-init's own
    /// `signed-by` keyring, named after the source.
    ///
    /// [`Error::Invalid`] naming `apt.sources.filename` unless `dir` is absolute, without
    /// whitespace or control characters.
    ///
    /// ```
    /// use cloudinit_builder::CloudConfig;
    /// let cfg = CloudConfig::new().apt_lists_in("/etc/apt/third-party")?;
    /// assert!(CloudConfig::new().apt_lists_in("third-party").is_err());
    /// # let _ = cfg;
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn apt_lists_in(mut self, dir: &str) -> Result<Self> {
        const FIELD: &str = "apt.sources.filename";
        hardening_model::values::AbsPath::new(dir).map_err(|e| Error::from(e).within(FIELD))?;
        if dir.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(
                FIELD,
                "must hold no whitespace or control character",
            ));
        }
        self.apt_list_dir = Some(dir.trim_end_matches('/').to_owned());
        Ok(self)
    }

    /// Creates a group.
    pub fn group(mut self, name: &str) -> Result<Self> {
        let g = UnixGroup::new(name).map_err(|e| Error::from(e).within("groups"))?;
        if !self.groups.contains(&g) {
            self.groups.push(g);
        }
        Ok(self)
    }

    /// Adds a user account. Adding any user (or calling [`CloudConfig::no_default_user`])
    /// writes a `users` list.
    #[must_use]
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Do not create the image's default user (`ubuntu`). Rendering then requires at least one
    /// [`User`].
    #[must_use]
    pub fn no_default_user(mut self) -> Self {
        self.no_default_user = true;
        self
    }

    /// `disable_root`: refuse root logins with the image's keys.
    #[must_use]
    pub fn disable_root(mut self, yes: bool) -> Self {
        self.disable_root = Some(yes);
        self
    }

    /// `ssh_pwauth`: allow password authentication.
    #[must_use]
    pub fn ssh_pwauth(mut self, yes: bool) -> Self {
        self.ssh_pwauth = Some(yes);
        self
    }

    /// `ssh_deletekeys`: delete host keys baked into the image.
    #[must_use]
    pub fn ssh_deletekeys(mut self, yes: bool) -> Self {
        self.ssh_deletekeys = Some(yes);
        self
    }

    /// `ssh_genkeytypes`: which host keys to generate.
    #[must_use]
    pub fn ssh_genkeytypes(mut self, types: impl IntoIterator<Item = SshKeyType>) -> Self {
        self.ssh_genkeytypes = types.into_iter().collect();
        self.ssh_genkeytypes.sort();
        self.ssh_genkeytypes.dedup();
        self
    }

    /// The runbook's SSH settings: no root login, no passwords, image host keys deleted and an
    /// Ed25519 host key only.
    #[must_use]
    pub fn hardened_ssh(self) -> Self {
        self.disable_root(true)
            .ssh_pwauth(false)
            .ssh_deletekeys(true)
            .ssh_genkeytypes([SshKeyType::Ed25519])
    }

    /// `timezone`, e.g. `Etc/UTC` or `Europe/Berlin`.
    pub fn timezone(mut self, tz: &str) -> Result<Self> {
        check_token("timezone", tz, &['/', '+'])?;
        self.timezone = Some(tz.to_owned());
        Ok(self)
    }

    /// `ntp` settings.
    #[must_use]
    pub fn ntp(mut self, ntp: Ntp) -> Self {
        self.ntp = Some(ntp);
        self
    }

    /// Adds an fstab entry.
    #[must_use]
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }

    /// Adds a command run early on every boot (`bootcmd`).
    #[must_use]
    pub fn bootcmd(mut self, command: Command) -> Self {
        self.bootcmd.push(command);
        self
    }

    /// Adds a file.
    #[must_use]
    pub fn write_file(mut self, file: WriteFile) -> Self {
        self.write_files.push(file);
        self
    }

    /// Adds files.
    #[must_use]
    pub fn write_files(mut self, files: impl IntoIterator<Item = WriteFile>) -> Self {
        self.write_files.extend(files);
        self
    }

    /// Adds a command run once at the end of the first boot (`runcmd`), in order.
    #[must_use]
    pub fn runcmd(mut self, command: Command) -> Self {
        self.runcmd.push(command);
        self
    }

    /// `power_state`.
    #[must_use]
    pub fn power_state(mut self, state: PowerState) -> Self {
        self.power_state = Some(state);
        self
    }

    /// `phone_home`.
    #[must_use]
    pub fn phone_home(mut self, phone_home: PhoneHome) -> Self {
        self.phone_home = Some(phone_home);
        self
    }

    /// `final_message` (cloud-init substitutes `$UPTIME`, `$TIMESTAMP`, `$VERSION`).
    pub fn final_message(mut self, message: &str) -> Result<Self> {
        if let Some(at) = message.chars().position(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(
                "final_message",
                format!("control character at position {at}"),
            ));
        }
        self.final_message = Some(message.to_owned());
        Ok(self)
    }

    /// Adds an untyped top-level key. Refused for keys the builder types ([`TYPED_KEYS`]) and
    /// for a key given twice.
    ///
    /// ```
    /// use cloudinit_builder::{CloudConfig, RawKey};
    /// let cfg = CloudConfig::new().raw(RawKey::parse("package_reboot_if_required", "true")?);
    /// assert!(cfg.is_err());
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn raw(mut self, key: RawKey) -> Result<Self> {
        let field = format!("raw.{}", key.key);
        if TYPED_KEYS.contains(&key.key.as_str()) {
            return Err(Error::invalid(
                field,
                "is a typed key: use its builder method",
            ));
        }
        if self.raw.contains_key(&key.key) {
            return Err(Error::invalid(field, "given twice"));
        }
        self.raw.insert(key.key.clone(), key);
        Ok(self)
    }

    /// The files, in order.
    pub fn files(&self) -> &[WriteFile] {
        &self.write_files
    }

    /// The `runcmd` entries, in order.
    pub fn commands(&self) -> &[Command] {
        &self.runcmd
    }

    /// The `bootcmd` entries, in order.
    pub fn boot_commands(&self) -> &[Command] {
        &self.bootcmd
    }

    /// The packages, in order.
    pub fn package_names(&self) -> &[String] {
        &self.packages
    }
}
