//! [`SshdPolicy`]: the sshd hardening described once, rendered to an `sshd_config.d` fragment.

use crate::values::{AbsPath, Port, UnixGroup, UnixUser};
use crate::{Error, Problem, RenderedFile, Result};

use super::cert::CertAuthority;
use super::crypto::{OpenSshVersion, SshCrypto};
use super::socket::SshSocket;

/// Path of the rendered fragment.
pub const FRAGMENT_PATH: &str = "/etc/ssh/sshd_config.d/10-hardening.conf";

/// Default Ed25519 host key path.
pub const ED25519_HOST_KEY: &str = "/etc/ssh/ssh_host_ed25519_key";

/// `MaxStartups start:rate:full`: random early drop of unauthenticated connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxStartups {
    /// Unauthenticated connections accepted before dropping starts.
    pub start: u16,
    /// Drop probability (percent) once `start` is reached.
    pub rate_percent: u8,
    /// Unauthenticated connections at which every new one is refused.
    pub full: u16,
}

/// Authentication and session limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    /// `MaxAuthTries`, 1-6.
    pub max_auth_tries: u8,
    /// `LoginGraceTime` in seconds, 1-120.
    pub login_grace_time_secs: u16,
    /// `MaxSessions` per connection, 1-10.
    pub max_sessions: u8,
    /// `MaxStartups`.
    pub max_startups: MaxStartups,
    /// `PerSourceMaxStartups` (OpenSSH 8.5+): unauthenticated connections per source address.
    pub per_source_max_startups: Option<u16>,
    /// `ClientAliveInterval` in seconds, 1-3600.
    pub client_alive_interval_secs: u16,
    /// `ClientAliveCountMax`, 1-10.
    pub client_alive_count_max: u8,
}

impl AuthLimits {
    /// The baseline: the runbook's MaxAuthTries 2, LoginGraceTime 20, MaxSessions 3 and
    /// ClientAlive 300/2, but `MaxStartups 10:30:60` (CIS 5.1.18, dev-sec) with
    /// `PerSourceMaxStartups 3` instead of the runbook's global `3:50:10`: a global limit of 10
    /// lets anyone holding ten half-open connections lock the admins out (DHEat), while the
    /// per-source limit throttles one flooding address only.
    pub fn baseline() -> Self {
        Self {
            max_auth_tries: 2,
            login_grace_time_secs: 20,
            max_sessions: 3,
            max_startups: MaxStartups {
                start: 10,
                rate_percent: 30,
                full: 60,
            },
            per_source_max_startups: Some(3),
            client_alive_interval_secs: 300,
            client_alive_count_max: 2,
        }
    }

    /// Checks every number against the range sshd and the CIS benchmark accept.
    pub fn check(&self) -> Result<()> {
        range("limits.max_auth_tries", self.max_auth_tries.into(), 1, 6)?;
        range(
            "limits.login_grace_time_secs",
            self.login_grace_time_secs.into(),
            1,
            120,
        )?;
        range("limits.max_sessions", self.max_sessions.into(), 1, 10)?;
        let m = self.max_startups;
        range("limits.max_startups.start", m.start.into(), 1, 1000)?;
        range(
            "limits.max_startups.rate_percent",
            m.rate_percent.into(),
            1,
            100,
        )?;
        range(
            "limits.max_startups.full",
            m.full.into(),
            m.start.into(),
            1000,
        )?;
        if let Some(p) = self.per_source_max_startups {
            range("limits.per_source_max_startups", p.into(), 1, 1000)?;
        }
        range(
            "limits.client_alive_interval_secs",
            self.client_alive_interval_secs.into(),
            1,
            3600,
        )?;
        range(
            "limits.client_alive_count_max",
            self.client_alive_count_max.into(),
            1,
            10,
        )
    }
}

fn range(field: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if value < min || value > max {
        return Err(Error::new(field, Problem::OutOfRange { min, max, value }));
    }
    Ok(())
}

/// `AllowTcpForwarding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpForwarding {
    /// No TCP forwarding.
    No,
    /// Local forwarding only (`ssh -L`): tunnels from the admin to services on the host.
    Local,
    /// Remote forwarding only (`ssh -R`).
    Remote,
    /// Both directions.
    All,
}

impl TcpForwarding {
    fn as_str(self) -> &'static str {
        match self {
            Self::No => "no",
            Self::Local => "local",
            Self::Remote => "remote",
            Self::All => "yes",
        }
    }
}

/// The sshd hardening of one host.
///
/// Renders `/etc/ssh/sshd_config.d/10-hardening.conf` ([`FRAGMENT_PATH`]), the `ssh.socket`
/// drop-in that makes the port real on Ubuntu 24.04 ([`SshSocket`]), and, with a
/// [`CertAuthority`], the CA key and principals files.
///
/// **First value wins.** sshd keeps the first value it reads for most keywords. Ubuntu's
/// `/etc/ssh/sshd_config` starts with `Include /etc/ssh/sshd_config.d/*.conf`, so this fragment
/// is read before the main file and before later fragments (cloud-init's
/// `50-cloud-init.conf`, which may say `PasswordAuthentication yes`): its values win. The
/// fragment therefore must sort before any other drop-in that sets the same keywords, and it
/// contains no `Match` block (a `Match` would capture every line read after it).
/// `Port`, `ListenAddress` and `HostKey` are the exceptions: they accumulate. Ubuntu's main
/// file leaves them commented out; keep it that way (on 24.04 the `ssh.socket` drop-in decides
/// the listening port in any case).
///
/// ```
/// use hardening_model::sshd::SshdPolicy;
/// use hardening_model::values::{Port, UnixUser};
///
/// let policy = SshdPolicy::new(Port::new(22222).unwrap())
///     .allow_user(UnixUser::new("deploy").unwrap());
/// let file = policy.render().unwrap();
/// assert_eq!(file.path, "/etc/ssh/sshd_config.d/10-hardening.conf");
/// assert!(file.content.contains("\nPort 22222\n"));
/// assert!(file.content.contains("\nAllowUsers deploy\n"));
/// assert!(file.content.contains("\nPermitRootLogin no\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshdPolicy {
    port: Port,
    target: OpenSshVersion,
    crypto: SshCrypto,
    host_key: Option<AbsPath>,
    limits: AuthLimits,
    allow_users: Vec<UnixUser>,
    allow_groups: Vec<UnixGroup>,
    tcp_forwarding: TcpForwarding,
    banner: Option<AbsPath>,
    cert_authority: Option<CertAuthority>,
    certificates_only: bool,
}

impl SshdPolicy {
    /// A hardened policy listening on `port`: baseline crypto for OpenSSH 9.6, baseline limits,
    /// no forwarding, no banner, no user restriction yet.
    pub fn new(port: Port) -> Self {
        Self {
            port,
            target: OpenSshVersion::UBUNTU_24_04,
            crypto: SshCrypto::baseline(false),
            host_key: None,
            limits: AuthLimits::baseline(),
            allow_users: Vec::new(),
            allow_groups: Vec::new(),
            tcp_forwarding: TcpForwarding::No,
            banner: None,
            cert_authority: None,
            certificates_only: false,
        }
    }

    /// The one SSH port.
    pub fn port(&self) -> Port {
        self.port
    }

    /// Renders for another OpenSSH version (default: 9.6, Ubuntu 24.04).
    #[must_use]
    pub fn target(mut self, version: OpenSshVersion) -> Self {
        self.target = version;
        self
    }

    /// Replaces the algorithm lists.
    #[must_use]
    pub fn crypto(mut self, crypto: SshCrypto) -> Self {
        self.crypto = crypto;
        self
    }

    /// Accepts FIDO2 hardware keys (`sk-ssh-ed25519@openssh.com` and its certificate) for
    /// login, or stops accepting them.
    #[must_use]
    pub fn hardware_keys(mut self, enabled: bool) -> Self {
        use super::crypto::KeyAlgorithm::{SkEd25519, SkEd25519Cert};
        self.crypto
            .pubkey_algorithms
            .retain(|a| !matches!(a, SkEd25519 | SkEd25519Cert));
        if enabled {
            self.crypto
                .pubkey_algorithms
                .extend([SkEd25519, SkEd25519Cert]);
        }
        self
    }

    /// Uses another host key path (default [`ED25519_HOST_KEY`]).
    #[must_use]
    pub fn host_key(mut self, path: AbsPath) -> Self {
        self.host_key = Some(path);
        self
    }

    /// Replaces the authentication limits.
    #[must_use]
    pub fn limits(mut self, limits: AuthLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a user to `AllowUsers`.
    #[must_use]
    pub fn allow_user(mut self, user: UnixUser) -> Self {
        if !self.allow_users.contains(&user) {
            self.allow_users.push(user);
        }
        self
    }

    /// Adds a group to `AllowGroups`. When both users and groups are listed, sshd admits only
    /// users that match both lists.
    #[must_use]
    pub fn allow_group(mut self, group: UnixGroup) -> Self {
        if !self.allow_groups.contains(&group) {
            self.allow_groups.push(group);
        }
        self
    }

    /// Validates and adds user names; a bad name is reported as `sshd.allow_users[i]`.
    ///
    /// ```
    /// use hardening_model::sshd::SshdPolicy;
    /// use hardening_model::values::Port;
    ///
    /// let err = SshdPolicy::new(Port::new(2222).unwrap())
    ///     .with_allow_users(["deploy", "ops\nPermitRootLogin yes"])
    ///     .unwrap_err();
    /// assert_eq!(err.field(), "sshd.allow_users[1]");
    /// ```
    pub fn with_allow_users<S: AsRef<str>>(
        mut self,
        users: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        for (i, u) in users.into_iter().enumerate() {
            let user = UnixUser::new(u.as_ref())
                .map_err(|e| Error::new(format!("sshd.allow_users[{i}]"), e.problem().clone()))?;
            self = self.allow_user(user);
        }
        Ok(self)
    }

    /// Validates and adds group names; a bad name is reported as `sshd.allow_groups[i]`.
    pub fn with_allow_groups<S: AsRef<str>>(
        mut self,
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        for (i, g) in groups.into_iter().enumerate() {
            let group = UnixGroup::new(g.as_ref())
                .map_err(|e| Error::new(format!("sshd.allow_groups[{i}]"), e.problem().clone()))?;
            self = self.allow_group(group);
        }
        Ok(self)
    }

    /// Sets `AllowTcpForwarding` (default `no`).
    #[must_use]
    pub fn tcp_forwarding(mut self, forwarding: TcpForwarding) -> Self {
        self.tcp_forwarding = forwarding;
        self
    }

    /// Shows the file at `path` before authentication (`Banner`).
    #[must_use]
    pub fn banner(mut self, path: AbsPath) -> Self {
        self.banner = Some(path);
        self
    }

    /// Enables certificate logins signed by `ca`.
    #[must_use]
    pub fn cert_authority(mut self, ca: CertAuthority) -> Self {
        self.cert_authority = Some(ca);
        self
    }

    /// The algorithm lists.
    pub fn crypto_lists(&self) -> &SshCrypto {
        &self.crypto
    }

    /// Logs in with certificates only (runbook 3.5): `AuthorizedKeysFile none`, so no
    /// `authorized_keys` file is read and a bare key, even one cloud-init installed, is refused.
    /// Needs [`SshdPolicy::cert_authority`]; [`SshdPolicy::check`] refuses it alone, naming
    /// `sshd.certificates_only`, since nobody could log in.
    ///
    /// ```
    /// use hardening_model::sshd::{CaSigningKey, CertAuthority, Principal, SshdPolicy};
    /// use hardening_model::values::{Port, UnixUser};
    /// let admin = UnixUser::new("deploy")?;
    /// let ca = CertAuthority::new(CaSigningKey::generate().public_key())
    ///     .allow(admin.clone(), [Principal::new("ops")?]);
    /// let policy = SshdPolicy::new(Port::new(2222)?).allow_user(admin).cert_authority(ca);
    /// let fragment = policy.certificates_only(true).render()?.content;
    /// assert!(fragment.contains("\nAuthorizedKeysFile none\n"));
    /// assert!(SshdPolicy::new(Port::new(2222)?).certificates_only(true).check().is_err());
    /// # Ok::<(), hardening_model::Error>(())
    /// ```
    #[must_use]
    pub fn certificates_only(mut self, only: bool) -> Self {
        self.certificates_only = only;
        self
    }

    /// Whether only certificates log in ([`SshdPolicy::certificates_only`]).
    pub fn is_certificates_only(&self) -> bool {
        self.certificates_only
    }

    /// Users in `AllowUsers`.
    pub fn allowed_users(&self) -> &[UnixUser] {
        &self.allow_users
    }

    /// Checks the whole policy; every renderer calls this first.
    pub fn check(&self) -> Result<()> {
        self.crypto
            .check(self.target)
            .map_err(|e| e.within("sshd"))?;
        self.limits.check().map_err(|e| e.within("sshd"))?;
        if !self
            .crypto
            .host_key_algorithms
            .contains(&super::crypto::KeyAlgorithm::Ed25519)
        {
            return Err(Error::new(
                "sshd.crypto.host_key_algorithms",
                Problem::Conflict(
                    "the only host key is Ed25519, so ssh-ed25519 must be offered".to_owned(),
                ),
            ));
        }
        if self.certificates_only && self.cert_authority.is_none() {
            return Err(Error::new(
                "sshd.certificates_only",
                Problem::Conflict(
                    "certificate-only login needs a certificate authority, or nobody can log in"
                        .to_owned(),
                ),
            ));
        }
        if let Some(ca) = &self.cert_authority {
            ca.check().map_err(|e| e.within("sshd"))?;
            if !self.crypto.pubkey_algorithms.iter().any(|a| {
                matches!(
                    a,
                    super::crypto::KeyAlgorithm::Ed25519Cert
                        | super::crypto::KeyAlgorithm::SkEd25519Cert
                )
            }) {
                return Err(Error::new(
                    "sshd.crypto.pubkey_algorithms",
                    Problem::Conflict(
                        "certificate logins need a certificate algorithm in the list".to_owned(),
                    ),
                ));
            }
            if let Some(user) = ca
                .users()
                .find(|u| !self.allow_users.is_empty() && !self.allow_users.contains(u))
            {
                return Err(Error::new(
                    format!("sshd.cert_authority.principals.{user}"),
                    Problem::Conflict(
                        "the user is not in allow_users, so sshd would refuse it".to_owned(),
                    ),
                ));
            }
        }
        let per_source = self.limits.per_source_max_startups.is_some();
        if per_source && self.target < OpenSshVersion::new(8, 5) {
            return Err(Error::invalid(
                "sshd.limits.per_source_max_startups",
                "PerSourceMaxStartups needs OpenSSH 8.5",
            ));
        }
        Ok(())
    }

    /// The directives in the order they are written, as `(keyword, value)`.
    pub fn directives(&self) -> Result<Vec<(&'static str, String)>> {
        self.check()?;
        let l = &self.limits;
        let m = l.max_startups;
        let host_key = self
            .host_key
            .as_ref()
            .map_or(ED25519_HOST_KEY, AbsPath::as_str);
        let mut d: Vec<(&'static str, String)> = vec![
            ("Port", self.port.to_string()),
            ("AddressFamily", "any".into()),
            ("HostKey", host_key.into()),
            ("KexAlgorithms", self.crypto.kex_line()),
            ("Ciphers", self.crypto.ciphers_line()),
            ("MACs", self.crypto.macs_line()),
            ("HostKeyAlgorithms", self.crypto.host_key_algorithms_line()),
            (
                "PubkeyAcceptedAlgorithms",
                self.crypto.pubkey_algorithms_line(),
            ),
            ("PubkeyAuthentication", "yes".into()),
            ("AuthenticationMethods", "publickey".into()),
            ("PasswordAuthentication", "no".into()),
            ("PermitEmptyPasswords", "no".into()),
            ("KbdInteractiveAuthentication", "no".into()),
            ("HostbasedAuthentication", "no".into()),
            ("IgnoreRhosts", "yes".into()),
            ("UsePAM", "yes".into()),
            ("PermitRootLogin", "no".into()),
            ("PermitUserEnvironment", "no".into()),
            ("StrictModes", "yes".into()),
        ];
        if !self.allow_users.is_empty() {
            d.push(("AllowUsers", join_names(&self.allow_users)));
        }
        if !self.allow_groups.is_empty() {
            d.push(("AllowGroups", join_names(&self.allow_groups)));
        }
        if let Some(ca) = &self.cert_authority {
            d.extend(ca.directives());
        }
        if self.certificates_only {
            d.push(("AuthorizedKeysFile", "none".into()));
        }
        d.extend([
            ("MaxAuthTries", l.max_auth_tries.to_string()),
            ("LoginGraceTime", l.login_grace_time_secs.to_string()),
            ("MaxSessions", l.max_sessions.to_string()),
            (
                "MaxStartups",
                format!("{}:{}:{}", m.start, m.rate_percent, m.full),
            ),
        ]);
        if let Some(p) = l.per_source_max_startups {
            d.push(("PerSourceMaxStartups", p.to_string()));
        }
        d.extend([
            (
                "ClientAliveInterval",
                l.client_alive_interval_secs.to_string(),
            ),
            ("ClientAliveCountMax", l.client_alive_count_max.to_string()),
            ("TCPKeepAlive", "no".into()),
            ("X11Forwarding", "no".into()),
            ("AllowAgentForwarding", "no".into()),
            ("AllowTcpForwarding", self.tcp_forwarding.as_str().into()),
            ("AllowStreamLocalForwarding", "no".into()),
            ("PermitTunnel", "no".into()),
            ("GatewayPorts", "no".into()),
            ("Compression", "no".into()),
            ("UseDNS", "no".into()),
            ("LogLevel", "VERBOSE".into()),
            ("SyslogFacility", "AUTH".into()),
        ]);
        if let Some(b) = &self.banner {
            d.push(("Banner", b.to_string()));
        }
        Ok(d)
    }

    /// Renders the `sshd_config.d` fragment (mode 0600, as dev-sec and CIS 5.1.1 want).
    pub fn render(&self) -> Result<RenderedFile> {
        let mut out = String::from(
            "# sshd hardening, rendered by hardening-model.\n\
             # sshd keeps the FIRST value it reads for a keyword. Ubuntu's sshd_config includes\n\
             # sshd_config.d/*.conf at its top, so these values win over the main file and over\n\
             # drop-ins that sort later (e.g. 50-cloud-init.conf).\n\
             # On Ubuntu 24.04 the listening port is set by ssh.socket; see\n\
             # /etc/systemd/system/ssh.socket.d/listen.conf (same port as below).\n",
        );
        for (keyword, value) in self.directives()? {
            out.push_str(keyword);
            out.push(' ');
            out.push_str(&value);
            out.push('\n');
        }
        Ok(RenderedFile::root(FRAGMENT_PATH, 0o600, out))
    }

    /// The socket-activation drop-in and apply steps for this policy's port.
    pub fn socket(&self) -> SshSocket {
        SshSocket::new(self.port)
    }

    /// Every file this policy needs on the host: the fragment, the `ssh.socket` drop-in, and
    /// with certificate trust the CA key and principals files.
    pub fn files(&self) -> Result<Vec<RenderedFile>> {
        let mut files = vec![self.render()?, self.socket().dropin()];
        if let Some(ca) = &self.cert_authority {
            files.extend(ca.files());
        }
        Ok(files)
    }
}

fn join_names<N: AsRef<str>>(names: &[N]) -> String {
    names
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SshdPolicy {
        SshdPolicy::new(Port::new(2222).unwrap())
    }

    #[test]
    fn every_line_is_a_comment_or_one_directive() {
        let f = policy()
            .allow_user(UnixUser::new("a").unwrap())
            .render()
            .unwrap();
        for line in f.content.lines() {
            assert!(
                line.starts_with("# ") || line.split_once(' ').is_some(),
                "{line}"
            );
        }
        assert_eq!(f.mode, 0o600);
        assert!(!f.content.contains("Match"));
    }

    #[test]
    fn limits_are_checked() {
        let mut l = AuthLimits::baseline();
        l.max_startups.full = 5;
        let e = policy().limits(l).render().unwrap_err();
        assert_eq!(e.field(), "sshd.limits.max_startups.full");
        let mut l = AuthLimits::baseline();
        l.max_auth_tries = 0;
        assert_eq!(
            policy().limits(l).check().unwrap_err().field(),
            "sshd.limits.max_auth_tries"
        );
    }

    #[test]
    fn hardware_keys_toggle() {
        let p = policy().hardware_keys(true).hardware_keys(true);
        let line = p.crypto_lists().pubkey_algorithms_line();
        assert_eq!(line.matches("sk-ssh-ed25519@openssh.com").count(), 1);
        assert!(
            !policy()
                .hardware_keys(true)
                .hardware_keys(false)
                .crypto_lists()
                .accepts_hardware_keys()
        );
    }

    #[test]
    fn host_key_algorithms_must_offer_ed25519() {
        let mut crypto = SshCrypto::baseline(false);
        crypto.host_key_algorithms = vec![super::super::crypto::KeyAlgorithm::RsaSha2_512];
        let e = policy().crypto(crypto).check().unwrap_err();
        assert_eq!(e.field(), "sshd.crypto.host_key_algorithms");
    }

    #[test]
    fn forwarding_values() {
        let d = policy()
            .tcp_forwarding(TcpForwarding::Local)
            .directives()
            .unwrap();
        assert!(d.contains(&("AllowTcpForwarding", "local".to_owned())));
    }
}
