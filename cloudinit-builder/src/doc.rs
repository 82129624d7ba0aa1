//! The serde layout of the rendered document (borrowed from a [`CloudConfig`]).
//!
//! Field order here is the key order of the output; everything that could vary (maps) is a
//! `BTreeMap`, so the same config always renders the same bytes.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde::Serialize;
use serde_saphyr::LitString;

use crate::write_file::Content;
use crate::{CloudConfig, Command, WriteFile};

/// A string rendered plain (quoted only where needed) or, for file bodies and multi-line
/// scripts, as a `|` block scalar.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Text {
    Plain(String),
    Block(LitString),
}

impl Text {
    fn block(s: &str) -> Self {
        Self::Block(LitString(s.to_owned()))
    }
}

#[derive(Serialize)]
pub(crate) struct Doc<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    package_update: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_upgrade: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_reboot_if_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    apt: Option<Apt<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    packages: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    users: Option<Vec<UserEntry<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_root: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_pwauth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_deletekeys: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ssh_genkeytypes: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ntp: Option<NtpDoc<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mounts: Vec<&'a [String; 6]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bootcmd: Vec<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    write_files: Vec<FileDoc<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    runcmd: Vec<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    power_state: Option<PowerDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_home: Option<PhoneHomeDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_message: Option<Text>,
    #[serde(flatten)]
    raw: BTreeMap<&'a str, &'a serde_json::Value>,
}

#[derive(Serialize)]
struct Apt<'a> {
    sources: BTreeMap<&'a str, AptSourceDoc<'a>>,
}

#[derive(Serialize)]
struct AptSourceDoc<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keyid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keyserver: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<Text>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum UserEntry<'a> {
    Default(&'static str),
    User(UserDoc<'a>),
}

#[derive(Serialize)]
struct UserDoc<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shell: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homedir: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sudo: Option<&'a str>,
    lock_passwd: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    system: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    no_create_home: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ssh_authorized_keys: Vec<&'a str>,
}

#[derive(Serialize)]
struct NtpDoc<'a> {
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ntp_client: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    servers: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pools: Vec<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct FileDoc<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
    content: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    append: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    defer: bool,
}

#[derive(Serialize)]
struct PowerDoc<'a> {
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<&'static str>,
}

#[derive(Serialize)]
struct PhoneHomeDoc<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    post: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tries: Option<u32>,
}

/// cloud-init's default `permissions` for `write_files`.
pub(crate) const DEFAULT_MODE: u32 = 0o644;

/// Shell test used as the `power_state` condition when only a pending reboot should act.
pub(crate) const REBOOT_REQUIRED_CONDITION: &str = "test -f /var/run/reboot-required";

fn command(c: &Command) -> Text {
    let s = c.to_shell();
    if c.is_shell() && s.contains('\n') {
        Text::block(&s)
    } else {
        Text::Plain(s.into_owned())
    }
}

fn file_doc<'a>(f: &'a WriteFile, compressed: Option<&String>) -> FileDoc<'a> {
    let (encoding, content) = match (compressed, &f.content) {
        (Some(gz), _) => (Some("gz+b64"), Text::Plain(gz.clone())),
        (None, Content::Binary(b)) => (
            Some("b64"),
            Text::Plain(base64::engine::general_purpose::STANDARD.encode(b)),
        ),
        (None, c) => (
            None,
            Text::block(std::str::from_utf8(c.bytes()).unwrap_or_default()),
        ),
    };
    FileDoc {
        path: &f.path,
        encoding,
        content,
        owner: (f.owner != "root:root").then_some(f.owner.as_str()),
        // cloud-init's default is 0644; leaving it out saves ~20 bytes per file of the budget.
        permissions: (f.mode != DEFAULT_MODE).then(|| format!("{:04o}", f.mode)),
        append: f.append,
        defer: f.defer,
    }
}

impl<'a> Doc<'a> {
    /// The document, with the files whose index is in `compressed` replaced by their
    /// `gz+b64` text.
    pub(crate) fn new(cfg: &'a CloudConfig, compressed: &HashMap<usize, String>) -> Self {
        let users = if cfg.users.is_empty() && !cfg.no_default_user {
            None
        } else {
            let mut list = Vec::new();
            if !cfg.no_default_user {
                list.push(UserEntry::Default("default"));
            }
            list.extend(cfg.users.iter().map(|u| {
                UserEntry::User(UserDoc {
                    name: u.name.as_str(),
                    groups: u.groups.iter().map(|g| g.as_str()).collect(),
                    shell: u.shell.as_ref().map(|s| s.as_str()),
                    homedir: u.homedir.as_ref().map(|s| s.as_str()),
                    sudo: u.sudo.as_deref(),
                    lock_passwd: true,
                    system: u.system,
                    no_create_home: u.no_create_home,
                    ssh_authorized_keys: u.ssh_keys.iter().map(|k| k.as_str()).collect(),
                })
            }));
            Some(list)
        };
        Self {
            package_update: cfg.package_update,
            package_upgrade: cfg.package_upgrade,
            package_reboot_if_required: cfg.package_reboot_if_required,
            apt: (!cfg.apt_sources.is_empty()).then(|| Apt {
                sources: cfg
                    .apt_sources
                    .iter()
                    .map(|(name, s)| {
                        (
                            name.as_str(),
                            AptSourceDoc {
                                source: &s.source,
                                filename: cfg
                                    .apt_list_dir
                                    .as_ref()
                                    .map(|d| format!("{d}/{name}.list")),
                                keyid: s.keyid(),
                                keyserver: s.keyserver(),
                                key: s.keyid().is_none().then(|| Text::block(&s.key)),
                            },
                        )
                    })
                    .collect(),
            }),
            packages: cfg.packages.iter().map(String::as_str).collect(),
            groups: cfg.groups.iter().map(|g| g.as_str()).collect(),
            users,
            disable_root: cfg.disable_root,
            ssh_pwauth: cfg.ssh_pwauth,
            ssh_deletekeys: cfg.ssh_deletekeys,
            ssh_genkeytypes: cfg.ssh_genkeytypes.iter().map(|t| t.as_str()).collect(),
            timezone: cfg.timezone.as_deref(),
            ntp: cfg.ntp.as_ref().map(|n| NtpDoc {
                enabled: true,
                ntp_client: n.client.as_deref(),
                servers: n.servers.iter().map(|d| d.as_str()).collect(),
                pools: n.pools.iter().map(|d| d.as_str()).collect(),
            }),
            mounts: cfg.mounts.iter().map(|m| m.fields()).collect(),
            bootcmd: cfg.bootcmd.iter().map(command).collect(),
            write_files: cfg
                .write_files
                .iter()
                .enumerate()
                .map(|(i, f)| file_doc(f, compressed.get(&i)))
                .collect(),
            runcmd: cfg.runcmd.iter().map(command).collect(),
            power_state: cfg.power_state.as_ref().map(|p| PowerDoc {
                mode: p.mode.as_str(),
                delay: p.delay_minutes,
                message: p.message.as_deref(),
                timeout: p.timeout_secs,
                condition: p
                    .only_if_reboot_required
                    .then_some(REBOOT_REQUIRED_CONDITION),
            }),
            phone_home: cfg.phone_home.as_ref().map(|p| PhoneHomeDoc {
                url: &p.url,
                post: p.post.iter().map(|f| f.as_str()).collect(),
                tries: p.tries,
            }),
            final_message: cfg.final_message.as_deref().map(|m| {
                if m.contains('\n') {
                    Text::block(m)
                } else {
                    Text::Plain(m.to_owned())
                }
            }),
            raw: cfg
                .raw
                .values()
                .map(|r| (r.key.as_str(), &r.value))
                .collect(),
        }
    }
}
