//! The bundle manifest: what a signed bundle asks a host to hold, in a line format a POSIX
//! shell reads with `read` (no JSON parser on the host).
//!
//! ```text
//! hardened-fleet-bundle 1
//! version 42
//! created_at 2026-12-07T18:00:00Z
//! selector project=acme
//! file 0640 nft 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b /etc/nftables.conf
//! ```
//!
//! The text is canonical: [`Manifest::render`] always produces the same bytes for the same
//! value and [`Manifest::parse`] accepts only what `render` produces, so the bytes the
//! operator signs are the bytes the host verifies and reads.

use std::fmt;

use crate::values::{AbsPath, check_token};
use crate::{Error, Result};

/// The first line of every manifest; the number is the format version.
pub const MAGIC: &str = "hardened-fleet-bundle 1";

/// The directories a bundle may write below. Everything a desired-state change touches lives
/// there (firewall, sshd, admin keys, Caddy); a bundle can never write a binary, a unit
/// outside these, or the agent's own trust anchor.
pub const ALLOWED_ROOTS: &[&str] = &[
    "/etc/nftables.conf",
    "/etc/ufw",
    "/etc/ssh/sshd_config.d",
    "/etc/ssh/auth_principals",
    "/etc/ssh/authorized_keys.d",
    "/etc/ssh/user_ca_keys.pub",
    "/etc/caddy",
];

/// How the host checks a file with the real tool before anything is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validator {
    /// `nft -c -f FILE`; applied with the agent's `NFT_RELOAD`.
    Nft,
    /// `sshd -t -f FILE` (the fragment on its own); applied with `SSHD_RELOAD`, then the SSH
    /// port must answer.
    Sshd,
    /// `caddy validate --adapter caddyfile --config FILE`; applied with `CADDY_RELOAD`, then the
    /// site health check must pass.
    Caddy,
    /// `ssh-keygen -l -f FILE`: every line a public key (authorized keys, the user CA key).
    SshKeys,
    /// A ufw rules file below `/etc/ufw` named `*.rules` (e.g. `user.rules`, `user6.rules`):
    /// `iptables-restore --test FILE` (`ip6tables-restore` for `*6.rules`), the parser ufw
    /// hands the file to when it loads it; applied with the agent's `UFW_RELOAD`
    /// (`ufw reload`). `ufw --dry-run` cannot check a rules file: it reads the installed one.
    Ufw,
    /// No tool reads the file on its own (e.g. an `auth_principals` list): the signature and
    /// the SHA-256 are its only checks.
    Plain,
}

impl Validator {
    /// The word used in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nft => "nft",
            Self::Sshd => "sshd",
            Self::Caddy => "caddy",
            Self::SshKeys => "ssh-keys",
            Self::Ufw => "ufw",
            Self::Plain => "plain",
        }
    }

    fn parse(field: &str, word: &str) -> Result<Self> {
        Ok(match word {
            "nft" => Self::Nft,
            "sshd" => Self::Sshd,
            "caddy" => Self::Caddy,
            "ssh-keys" => Self::SshKeys,
            "ufw" => Self::Ufw,
            "plain" => Self::Plain,
            _ => {
                return Err(Error::invalid(
                    field,
                    "validator must be one of nft, sshd, caddy, ssh-keys, ufw, plain",
                ));
            }
        })
    }
}

impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SHA-256 digest as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Validates 64 lowercase hex digits.
    pub fn new(field: &str, hex: &str) -> Result<Self> {
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::invalid(
                field,
                "must be 64 lowercase hex digits (SHA-256)",
            ));
        }
        Ok(Self(hex.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One desired host file: where, with which mode, its content's digest and its validator.
/// The content itself travels next to the manifest as `files/<sha256>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedFile {
    path: AbsPath,
    mode: u32,
    sha256: Sha256Hex,
    validator: Validator,
}

impl ManagedFile {
    /// A file at `path` (below one of [`ALLOWED_ROOTS`]) with `mode` (at most `0o644`: no
    /// executable or group-writable file) whose content has the digest `sha256`.
    pub fn new(path: &str, mode: u32, sha256: &str, validator: Validator) -> Result<Self> {
        let path = AbsPath::new(path).map_err(|e| e.within("files"))?;
        if !ALLOWED_ROOTS
            .iter()
            .any(|root| path.is_within(&AbsPath::new(*root).expect("static roots are valid")))
        {
            return Err(Error::invalid(
                "files.path",
                format!("must lie below one of {}", ALLOWED_ROOTS.join(", ")),
            ));
        }
        if validator == Validator::Ufw
            && !(path.is_within(&AbsPath::new("/etc/ufw").expect("static root is valid"))
                && path.as_str().ends_with(".rules"))
        {
            return Err(Error::invalid(
                "files.path",
                "a ufw rules file must be /etc/ufw/*.rules",
            ));
        }
        if mode & !0o644 != 0 {
            return Err(Error::invalid(
                "files.mode",
                "must be at most 0644 (no execute bit, no group or other write)",
            ));
        }
        Ok(Self {
            path,
            mode,
            sha256: Sha256Hex::new("files.sha256", sha256)?,
            validator,
        })
    }

    /// Where the file goes.
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// Its permission bits.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// Its content's SHA-256.
    pub fn sha256(&self) -> &str {
        self.sha256.as_str()
    }

    /// How the host checks it.
    pub fn validator(&self) -> Validator {
        self.validator
    }
}

/// Which instances a bundle is for: `key=value` pairs that must all appear in the host's
/// `/etc/hardened-fleet/labels` (written at first boot from the server's labels). No pair
/// means every host that reads the bundle's location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(Vec<(String, String)>);

impl Selector {
    /// Every host.
    pub fn all() -> Self {
        Self::default()
    }

    /// Adds a `key=value` requirement; both are tokens of `A-Za-z0-9._-`.
    pub fn with(mut self, key: &str, value: &str) -> Result<Self> {
        check_token("selector.key", key, &['.', '_', '-'])?;
        check_token("selector.value", value, &['.', '_', '-'])?;
        self.0.push((key.to_owned(), value.to_owned()));
        self.0.sort();
        self.0.dedup();
        Ok(self)
    }

    /// The pairs, sorted.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// True when every pair is among `labels`.
    pub fn matches<'a>(
        &self,
        labels: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> bool {
        self.0.iter().all(|(k, v)| {
            labels
                .clone()
                .into_iter()
                .any(|(lk, lv)| lk == k && lv == v)
        })
    }
}

/// A versioned desired state: the signed part of a bundle.
///
/// ```
/// use hardening_model::converge::{Manifest, ManagedFile, Selector, Validator};
/// let file = ManagedFile::new("/etc/nftables.conf", 0o640, &"a".repeat(64), Validator::Nft)?;
/// let manifest = Manifest::new(7, "2026-12-07T18:00:00Z", Selector::all().with("project", "acme")?, vec![file])?;
/// let text = manifest.render();
/// assert!(text.starts_with("hardened-fleet-bundle 1\nversion 7\n"));
/// assert_eq!(Manifest::parse(&text)?, manifest);
/// # Ok::<(), hardening_model::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    version: u64,
    created_at: String,
    selector: Selector,
    files: Vec<ManagedFile>,
}

impl Manifest {
    /// A manifest. `version` must be at least 1 (a host starts at 0) and grow with every
    /// bundle; `created_at` is an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SSZ`); `files` must be
    /// non-empty with distinct paths.
    pub fn new(
        version: u64,
        created_at: &str,
        selector: Selector,
        files: Vec<ManagedFile>,
    ) -> Result<Self> {
        if version == 0 {
            return Err(Error::invalid("version", "must be at least 1"));
        }
        check_timestamp(created_at)?;
        if files.is_empty() {
            return Err(Error::invalid("files", "must name at least one file"));
        }
        let mut files = files;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for (i, pair) in files.windows(2).enumerate() {
            if pair[0].path == pair[1].path {
                return Err(Error::invalid(
                    format!("files[{}].path", i + 1),
                    "appears twice",
                ));
            }
        }
        Ok(Self {
            version,
            created_at: created_at.to_owned(),
            selector,
            files,
        })
    }

    /// The version; a host applies only a version greater than the one it holds.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it was made.
    pub fn created_at(&self) -> &str {
        &self.created_at
    }

    /// Which hosts it is for.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// The files, sorted by path.
    pub fn files(&self) -> &[ManagedFile] {
        &self.files
    }

    /// The canonical text (the bytes that are signed).
    pub fn render(&self) -> String {
        let mut out = format!(
            "{MAGIC}\nversion {}\ncreated_at {}\n",
            self.version, self.created_at
        );
        for (k, v) in self.selector.pairs() {
            out.push_str(&format!("selector {k}={v}\n"));
        }
        for f in &self.files {
            out.push_str(&format!(
                "file {:04o} {} {} {}\n",
                f.mode,
                f.validator,
                f.sha256.as_str(),
                f.path.as_str()
            ));
        }
        out
    }

    /// Reads the canonical text back; anything [`Manifest::render`] would not produce is an
    /// error naming the line.
    pub fn parse(text: &str) -> Result<Self> {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(Error::invalid("manifest[0]", format!("must be `{MAGIC}`")));
        }
        let field = |i: usize| format!("manifest[{i}]");
        let version = lines
            .next()
            .and_then(|l| l.strip_prefix("version "))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Error::invalid(field(1), "must be `version N`"))?;
        let created_at = lines
            .next()
            .and_then(|l| l.strip_prefix("created_at "))
            .ok_or_else(|| Error::invalid(field(2), "must be `created_at TIME`"))?;
        let mut selector = Selector::all();
        let mut files = Vec::new();
        for (i, line) in lines.enumerate().map(|(i, l)| (i + 3, l)) {
            if let Some(pair) = line.strip_prefix("selector ") {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| Error::invalid(field(i), "selector must be key=value"))?;
                selector = selector.with(k, v).map_err(|e| e.within(&field(i)))?;
            } else if let Some(rest) = line.strip_prefix("file ") {
                let parts: Vec<&str> = rest.split(' ').collect();
                let [mode, validator, sha, path] = parts[..] else {
                    return Err(Error::invalid(
                        field(i),
                        "must be `file MODE VALIDATOR SHA256 PATH`",
                    ));
                };
                let mode = u32::from_str_radix(mode, 8)
                    .ok()
                    .filter(|_| mode.len() == 4)
                    .ok_or_else(|| Error::invalid(field(i), "mode must be 4 octal digits"))?;
                let validator = Validator::parse(&field(i), validator)?;
                files.push(
                    ManagedFile::new(path, mode, sha, validator)
                        .map_err(|e| e.within(&field(i)))?,
                );
            } else {
                return Err(Error::invalid(field(i), "unknown line"));
            }
        }
        let manifest = Self::new(version, created_at, selector, files)?;
        if manifest.render() != text {
            return Err(Error::invalid(
                "manifest",
                "is not in canonical form (order, spacing or final newline)",
            ));
        }
        Ok(manifest)
    }
}

fn check_timestamp(value: &str) -> Result<()> {
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    let ok = b.len() == 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z';
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "created_at",
            "must be an RFC 3339 UTC time like 2026-12-07T18:00:00Z",
        ))
    }
}
