//! Loading the evidence once per audit: every file a check looks at, parsed.

use serde_json::Value;

use super::captures;
use super::parse::caddyfile::Caddyfile;
use super::parse::compose::{ComposeFile, parse_daemon_json};
use super::parse::sshd::{LoadError, SSHD_CONFIG, SSHD_CONFIG_D, SshdConfig};
use super::parse::sysctl::Sysctl;
use super::parse::ufw::UfwState;
use super::report::{Finding, Status};
use super::source::{FileState, HostFiles, Listing, expand, join};
use super::{Check, Scope};

/// Why a piece of evidence is not available.
#[derive(Debug, Clone)]
pub(crate) enum Gap {
    /// None of these paths exist.
    Missing(String),
    /// The file exists but could not be read.
    Unreadable(String, String),
    /// The file was read but could not be parsed.
    Invalid(String, String),
}

impl Gap {
    /// The finding for a check that depends on this evidence: missing evidence gets
    /// `missing_status` (Fail when absence means insecure defaults, Unknown otherwise),
    /// unreadable is Unknown, unparsable is Fail (the service cannot use it either).
    pub(crate) fn finding(
        &self,
        check: Check,
        missing_status: Status,
        missing_means: &str,
    ) -> Finding {
        match self {
            Self::Missing(paths) => Finding::new(
                check,
                missing_status,
                format!("{paths} not found: {missing_means}"),
                Vec::new(),
            ),
            Self::Unreadable(path, why) => Finding::new(
                check,
                Status::Unknown,
                format!("{path} could not be read ({why})"),
                vec![path.clone()],
            ),
            Self::Invalid(path, why) => Finding::new(
                check,
                Status::Fail,
                format!("{path} could not be parsed: {why}"),
                vec![path.clone()],
            ),
        }
    }
}

/// The sshd configuration and how it was obtained.
#[derive(Debug, Clone)]
pub(crate) struct Sshd {
    pub(crate) config: SshdConfig,
    /// A remark on the source (capture, or drop-ins evaluated without a main file).
    pub(crate) note: Option<String>,
}

/// Everything the checks read, loaded once.
pub(crate) struct Host<'a> {
    pub(crate) source: &'a dyn HostFiles,
    /// What is audited: a live host (absent evidence can fail) or rendered policy artifacts
    /// (absent evidence is outside the policy: Unknown).
    pub(crate) scope: Scope,
    pub(crate) sshd: Result<Sshd, Gap>,
    pub(crate) daemon: Result<(String, Value), Gap>,
    pub(crate) compose: Vec<Result<ComposeFile, Gap>>,
    pub(crate) caddy: Vec<Result<(String, Caddyfile), Gap>>,
    pub(crate) sysctl: Sysctl,
    pub(crate) ufw: Result<(String, UfwState), Gap>,
}

pub(crate) const DAEMON_JSON: &str = "/etc/docker/daemon.json";
const COMPOSE_NAMES: &[&str] = &[
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];
const APP_DIRS: &[&str] = &["/opt", "/srv"];

impl<'a> Host<'a> {
    pub(crate) fn load(source: &'a dyn HostFiles, scope: Scope) -> Self {
        Self {
            source,
            scope,
            sshd: load_sshd(source),
            daemon: load_daemon(source),
            compose: find_app_files(source, COMPOSE_NAMES)
                .into_iter()
                .map(|r| {
                    r.and_then(|(path, text)| {
                        ComposeFile::parse(&path, &text).map_err(|e| Gap::Invalid(path, e))
                    })
                })
                .collect(),
            caddy: {
                let mut files = read_existing(source, &["/etc/caddy/Caddyfile"]);
                files.extend(find_app_files(source, &["Caddyfile"]));
                files
                    .into_iter()
                    .map(|r| {
                        r.and_then(|(path, text)| match Caddyfile::parse(&text) {
                            Ok(file) => Ok((path, file)),
                            Err(e) => Err(Gap::Invalid(path, e)),
                        })
                    })
                    .collect()
            },
            sysctl: Sysctl::load(source),
            ufw: load_ufw(source),
        }
    }

    /// The status for evidence that is absent: `status` on a host, Unknown for rendered
    /// artifacts (a part the policy does not render is not evaluated).
    pub(crate) fn absent(&self, status: Status) -> Status {
        match self.scope {
            Scope::Host => status,
            Scope::Policy => Status::Unknown,
        }
    }

    /// Reads a file as text, mapping absence and errors to a [`Gap`].
    pub(crate) fn text(&self, path: &str) -> Result<String, Gap> {
        read(self.source, path)
    }

    /// Lists a directory; missing or unreadable directories give an empty list.
    pub(crate) fn entries(&self, dir: &str) -> Option<Vec<String>> {
        match self.source.list(dir) {
            Listing::Entries(names) => Some(names),
            Listing::Missing | Listing::Unreadable(_) => None,
        }
    }

    /// The TCP ports sshd listens on: the ssh.socket drop-in's `ListenStream=` when there is
    /// one (Ubuntu 24.04 socket activation), else sshd's `Port` lines, else 22.
    pub(crate) fn ssh_ports(&self) -> Vec<String> {
        let dir = "/etc/systemd/system/ssh.socket.d";
        let mut socket_ports = Vec::new();
        for name in self
            .entries(dir)
            .unwrap_or_default()
            .iter()
            .filter(|n| n.ends_with(".conf"))
        {
            if let Ok(text) = self.text(&join(dir, name)) {
                for line in text.lines() {
                    if let Some(value) = line.trim().strip_prefix("ListenStream=") {
                        let value = value.trim();
                        if value.is_empty() {
                            socket_ports.clear();
                        } else if let Some(port) = value.rsplit(':').next() {
                            socket_ports.push(port.trim_matches(['[', ']']).to_owned());
                        }
                    }
                }
            }
        }
        if !socket_ports.is_empty() {
            socket_ports.sort();
            socket_ports.dedup();
            return socket_ports;
        }
        match &self.sshd {
            Ok(sshd) => {
                let ports: Vec<String> =
                    sshd.config.all("port").iter().map(|d| d.value()).collect();
                if ports.is_empty() {
                    vec!["22".to_owned()]
                } else {
                    ports
                }
            }
            Err(_) => vec!["22".to_owned()],
        }
    }
}

pub(crate) fn read(source: &dyn HostFiles, path: &str) -> Result<String, Gap> {
    match source.read(path) {
        FileState::Present(text) => Ok(text),
        FileState::Missing => Err(Gap::Missing(path.to_owned())),
        FileState::Unreadable(why) => Err(Gap::Unreadable(path.to_owned(), why)),
    }
}

fn read_existing(source: &dyn HostFiles, paths: &[&str]) -> Vec<Result<(String, String), Gap>> {
    paths
        .iter()
        .filter_map(|p| match read(source, p) {
            Ok(text) => Some(Ok(((*p).to_owned(), text))),
            Err(Gap::Missing(_)) => None,
            Err(gap) => Some(Err(gap)),
        })
        .collect()
}

/// Files named `names` in `/opt/*/` and `/srv/*/` (where compose projects live).
fn find_app_files(source: &dyn HostFiles, names: &[&str]) -> Vec<Result<(String, String), Gap>> {
    let mut found = Vec::new();
    for base in APP_DIRS {
        let Listing::Entries(projects) = source.list(base) else {
            continue;
        };
        for project in projects {
            let paths: Vec<String> = names
                .iter()
                .map(|n| join(&join(base, &project), n))
                .collect();
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            found.extend(read_existing(source, &refs));
        }
    }
    found
}

fn load_sshd(source: &dyn HostFiles) -> Result<Sshd, Gap> {
    if let Ok(text) = read(source, captures::SSHD_T) {
        return Ok(Sshd {
            config: SshdConfig::from_effective(captures::SSHD_T, &text),
            note: Some("from captured `sshd -T` output".to_owned()),
        });
    }
    match SshdConfig::load(source, SSHD_CONFIG) {
        Ok(config) => Ok(Sshd { config, note: None }),
        Err(LoadError::Unreadable(why)) => Err(Gap::Unreadable(SSHD_CONFIG.to_owned(), why)),
        Err(LoadError::Missing) => {
            // Rendered policies ship only a drop-in: evaluate the drop-ins as Ubuntu's stock
            // sshd_config includes them (first line), with defaults for everything else.
            let pattern = format!("{SSHD_CONFIG_D}/*.conf");
            match expand(source, &pattern) {
                Ok(paths) if !paths.is_empty() => {
                    let mut memory = super::MemoryHost::new();
                    memory.insert(SSHD_CONFIG, format!("Include {pattern}\n"));
                    for path in &paths {
                        match source.read(path) {
                            FileState::Present(text) => {
                                memory.insert(path.clone(), text);
                            }
                            FileState::Unreadable(why) => {
                                memory.insert_unreadable(path.clone(), why);
                            }
                            FileState::Missing => {}
                        }
                    }
                    let mut config = SshdConfig::load(&memory, SSHD_CONFIG)
                        .map_err(|_| Gap::Missing(SSHD_CONFIG.to_owned()))?;
                    config.files.retain(|f| f != SSHD_CONFIG);
                    Ok(Sshd {
                        config,
                        note: Some(format!(
                            "{SSHD_CONFIG} absent: evaluated the {SSHD_CONFIG_D} drop-ins as Ubuntu's stock file includes them"
                        )),
                    })
                }
                _ => Err(Gap::Missing(SSHD_CONFIG.to_owned())),
            }
        }
    }
}

fn load_daemon(source: &dyn HostFiles) -> Result<(String, Value), Gap> {
    let text = read(source, DAEMON_JSON)?;
    parse_daemon_json(&text)
        .map(|v| (DAEMON_JSON.to_owned(), v))
        .map_err(|e| Gap::Invalid(DAEMON_JSON.to_owned(), e))
}

fn load_ufw(source: &dyn HostFiles) -> Result<(String, UfwState), Gap> {
    if let Ok(text) = read(source, captures::UFW_STATUS) {
        return Ok((
            captures::UFW_STATUS.to_owned(),
            UfwState::from_status(&text),
        ));
    }
    match read(source, "/etc/ufw/ufw.conf") {
        Ok(conf) => {
            let default = read(source, "/etc/default/ufw").ok();
            let rules: Vec<String> = ["/etc/ufw/user.rules", "/etc/ufw/user6.rules"]
                .iter()
                .filter_map(|p| read(source, p).ok())
                .collect();
            let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
            return Ok((
                "/etc/ufw/ufw.conf".to_owned(),
                UfwState::from_files(&conf, default.as_deref(), &refs),
            ));
        }
        Err(gap @ Gap::Unreadable(..)) => return Err(gap),
        Err(_) => {}
    }
    // A rendered policy: the ufw command script.
    let dir = "/usr/local/sbin";
    if let Listing::Entries(names) = source.list(dir)
        && let Some(name) = names
            .iter()
            .find(|n| n.contains("ufw") && n.ends_with(".sh"))
    {
        let path = join(dir, name);
        let text = read(source, &path)?;
        return Ok((path, UfwState::from_script(&text)));
    }
    Err(Gap::Missing(format!(
        "{} and /etc/ufw/ufw.conf",
        captures::UFW_STATUS
    )))
}
