//! Typed cloud-init `#cloud-config` builder with hardening presets, rendered for cloud-init 26.1
//! within Hetzner's 32 KiB `user_data` limit.
//!
//! - [`CloudConfig`] types the keys a hardened first boot uses: packages and signed apt sources,
//!   users and groups, SSH settings, `write_files`, `bootcmd`/`runcmd`, mounts, NTP, timezone,
//!   `power_state`, `final_message`, `phone_home`, and an explicit escape hatch ([`RawKey`]).
//! - Commands are built from argv and quoted ([`Command::argv`]); a raw shell script must be
//!   asked for ([`Command::shell`]).
//! - Rendering uses serde-saphyr: `#cloud-config` header, file bodies as `|` block scalars,
//!   strings such as `yes`, `on` or `0644` quoted for PyYAML, same input same bytes.
//! - [`CloudConfig::render_within`] compresses the largest files (`encoding: gz+b64`) until the
//!   document fits, or says by how much it does not ([`Error::TooLarge`]).
//! - [`Secret`] values only go into root-owned `0600` files; rendering refuses a secret found
//!   anywhere else.
//! - [`CloudConfig::render_gzip`] sends the whole document as one gzip MIME part, which
//!   cloud-init decompresses (what fits the full preset within Hetzner's limit with room to spare).
//! - [`MultiPart`] combines a cloud-config with shell scripts.
//! - [`preset::HardenedHost`] assembles a hardened first boot from switchable, replaceable
//!   parts (firewall, sshd, Docker, the Compose stack, monitoring, backups, the ready callback)
//!   with their order encoded in [`preset::Stage`]s.
//!
//! ```
//! use cloudinit_builder::{CloudConfig, Command, Secret, WriteFile, HETZNER_USER_DATA_LIMIT};
//!
//! let key = Secret::new("AGE-SECRET-KEY-1QQQQQQQQQQQQQQ")?;
//! let cfg = CloudConfig::new()
//!     .package_update(true)
//!     .packages(["age"])?
//!     .write_file(WriteFile::secret_env("/etc/backup/env", [("BACKUP_KEY", &key)])?)
//!     .runcmd(Command::argv(["systemctl", "enable", "--now", "backup.timer"])?);
//! let user_data = cfg.render_within(HETZNER_USER_DATA_LIMIT)?;
//! assert!(user_data.len() <= HETZNER_USER_DATA_LIMIT);
//!
//! // The same secret in a command is refused, naming the field.
//! let leaky = cfg.runcmd(Command::argv(["echo", key.expose()])?);
//! assert_eq!(leaky.render().unwrap_err().field(), Some("runcmd[1]"));
//! # Ok::<(), cloudinit_builder::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod age;
mod apt;
pub mod callback;
pub mod command;
mod config;
mod doc;
mod error;
mod mime;
mod mounts;
mod ntp;
mod phone_home;
mod power_state;
mod raw;
mod render;
mod secret;
mod users;
mod validate;
mod write_file;

pub use apt::{AptSource, DEFAULT_KEYSERVER};
pub use command::Command;
pub use config::{CloudConfig, SshKeyType, TYPED_KEYS};
pub use error::{Error, Overflow, PartSize, Result};
pub use mime::{GZIP_CONTENT_TYPE, GZIP_LINE, MultiPart, cloud_config_of};
pub use mounts::Mount;
pub use ntp::Ntp;
pub use phone_home::{PhoneHome, PhoneHomeField};
pub use power_state::{PowerMode, PowerState};
pub use raw::RawKey;
pub use render::{HEADER, HETZNER_USER_DATA_LIMIT, UserData};
pub use secret::{MIN_SECRET_LEN, Secret};
pub use users::{SSH_KEY_TYPES, SshPublicKey, User};
pub use write_file::{SECRET_MODE, SECRET_OWNER, WriteFile};
pub mod preset;
