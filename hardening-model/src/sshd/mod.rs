//! sshd hardening (runbook section 3): the server fragment, the listen port, certificate trust
//! and the admins' client configuration.
//!
//! - [`SshdPolicy`] renders `/etc/ssh/sshd_config.d/10-hardening.conf`: algorithm lists valid
//!   for OpenSSH 9.6 (Ubuntu 24.04), an Ed25519 host key only, authentication limits, no root,
//!   password or keyboard-interactive logins, `LogLevel VERBOSE`, forwarding off,
//!   `AllowUsers`/`AllowGroups` from validated names, optional FIDO2 hardware keys.
//! - [`CertAuthority`] makes certificate logins real: `TrustedUserCAKeys` and
//!   `AuthorizedPrincipalsFile` plus the CA key file and one principals file per user.
//! - [`CaSigningKey`] signs short-lived user certificates from a [`UserCertRequest`]
//!   (principals, validity window of at most [`MAX_VALIDITY_SECS`], key id, serial).
//! - [`AdminPublicKey`] accepts only the user key types the rendered sshd accepts
//!   ([`ADMIN_KEY_ALGORITHMS`]: Ed25519 and FIDO2 Ed25519).
//! - [`SshSocket`] carries the port into `ssh.socket` (Ubuntu 24.04 is socket-activated) and
//!   lists the commands that apply it safely.
//! - [`AdminSshConfig`] renders the admins' `ssh_config` with a `ProxyJump` bastion.
//!
//! Departures from the runbook are listed on [`crate::presets::host::sshd`].

mod cert;
mod client;
mod crypto;
mod policy;
mod signing;
mod socket;
mod user_key;

pub use cert::{CaPublicKey, CertAuthority, Principal};
pub use client::{AdminSshConfig, ClientPath, HostName, HostPattern, SshTarget};
pub use crypto::{Cipher, Kex, KeyAlgorithm, Mac, OpenSshVersion, SshCrypto};
pub use policy::{
    AuthLimits, ED25519_HOST_KEY, FRAGMENT_PATH, MaxStartups, SshdPolicy, TcpForwarding,
};
pub use signing::{
    CaSigningKey, MAX_BACKDATE_SECS, MAX_PRINCIPALS, MAX_VALIDITY_SECS, UserCertRequest,
    UserCertificate,
};
pub use socket::{SOCKET_DROPIN_PATH, SshSocket};
pub use user_key::{ADMIN_KEY_ALGORITHMS, AdminPublicKey, admin_key_types, check_admin_key_type};
