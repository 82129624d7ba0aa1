//! The host agent against a real root with the real tools: a private mount and network
//! namespace (`unshare -m -n`, loopback only) holding a running sshd on 127.0.0.1 and the
//! namespace's own nftables ruleset, the agent's files below a private directory `ROOT`.
//!
//! Bundles are published through the real S3 API (`s3s-fs`, rclone); the agent inside the
//! namespace has no route to the server's port, so it reads the very objects the server stored
//! (its data directory) through rclone's local backend — the same `rclone copyto` calls.
//!
//! Beyond the good and bad bundles: a file a newer bundle drops is removed (and brought back
//! by a rollback), and, where ufw can run (root), ufw's rules files are applied with
//! `ufw reload` in the namespace and restored and reloaded on rollback.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use cloudinit_builder::Secret;
use cloudinit_builder::preset::{ObjectStore, S3Credentials};
use fleet_flows::converge::{Bundle, BundleSigner, DesiredFile, HostReport, publish};
use hardening_model::RenderedFile;
use hardening_model::converge::{
    AGENT_PATH, AGENT_SCRIPT, AgentConfig, BOOTSTRAP_PATH, Selector, Validator,
};
use hardening_model::values::Port;
use hardening_validators::{S3_ACCESS_KEY, S3_SECRET_KEY};

const SSH_PORT: u16 = 2222;
const REPORT_KEY: &str = "report-key-0123456789abcdef0123456789abcdef";
const NFT_PATH: &str = "/etc/nftables.conf";
const SSHD_PATH: &str = "/etc/ssh/sshd_config.d/10-hardening.conf";
const EXTRA_PATH: &str = "/etc/ssh/sshd_config.d/20-extra.conf";
const UFW_PATH: &str = "/etc/ufw/user.rules";
const UFW6_PATH: &str = "/etc/ufw/user6.rules";

fn ruleset(allow_ssh: bool) -> String {
    let ssh = if allow_ssh {
        format!("    tcp dport {SSH_PORT} accept\n")
    } else {
        String::new()
    };
    format!(
        "flush ruleset\ntable inet filter {{\n  chain input {{\n    type filter hook input priority 0; policy drop;\n    ct state established,related accept\n{ssh}    tcp dport 443 accept\n  }}\n}}\n"
    )
}

/// The namespace: `sh` holding it open, with sshd started inside.
struct Namespace {
    holder: Child,
    root: PathBuf,
}

impl Namespace {
    fn start(root: &Path) -> Self {
        let holder = Command::new("unshare")
            .args([
                "-m",
                "-n",
                "sh",
                "-c",
                "ip link set lo up && exec sleep 600",
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let ns = Self {
            holder,
            root: root.to_owned(),
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        let config = root.join("etc/ssh/sshd_config");
        std::fs::write(
            &config,
            format!(
                "Include {}/etc/ssh/sshd_config.d/*.conf\nPort {SSH_PORT}\nListenAddress 127.0.0.1\nPidFile {}/run/sshd.pid\n",
                root.display(),
                root.display()
            ),
        )
        .unwrap();
        let out = ns.exec(&format!("/usr/sbin/sshd -f {}", config.display()));
        assert!(
            out.status.success(),
            "sshd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ns
    }

    fn exec(&self, script: &str) -> std::process::Output {
        Command::new("nsenter")
            .args([
                "-t",
                &self.holder.id().to_string(),
                "-m",
                "-n",
                "sh",
                "-c",
                script,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs the agent; its exit status and stderr.
    fn agent(&self) -> (i32, String) {
        self.run("usr/local/sbin/hf-agent")
    }

    /// Runs the first-boot bootstrap (which installs and runs the signed agent); its exit
    /// status and stderr.
    fn bootstrap(&self) -> (i32, String) {
        self.run(&BOOTSTRAP_PATH[1..])
    }

    fn run(&self, script: &str) -> (i32, String) {
        let out = self.exec(&format!(
            "HF_AGENT_CONF={root}/etc/hardened-fleet/agent.conf sh {root}/{script}",
            root = self.root.display()
        ));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ruleset(&self) -> String {
        String::from_utf8(self.exec("nft list ruleset").stdout).unwrap()
    }

    fn ssh_answers(&self) -> bool {
        let out = self.exec(&format!("ssh-keyscan -T 2 -p {SSH_PORT} 127.0.0.1"));
        !out.stdout.is_empty()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = self.exec(&format!("kill $(cat {}/run/sshd.pid)", self.root.display()));
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Every file below `dir`: path → (mode, bytes).
fn tree(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.clone(),
                    (meta.permissions().mode(), std::fs::read(&p).unwrap()),
                );
            }
        }
    }
    out
}

fn status(root: &Path) -> String {
    std::fs::read_to_string(root.join("var/lib/hardened-fleet/status")).unwrap()
}

fn applied(root: &Path) -> String {
    std::fs::read_to_string(root.join("var/lib/hardened-fleet/applied-version"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn tools_present() -> bool {
    let ok = ["rclone", "nsenter", "ssh-keyscan", "python3"]
        .iter()
        .all(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if !ok {
        assert!(
            !hardening_validators::ci_mode(),
            "rclone, nsenter, ssh-keyscan and python3 are required in CI"
        );
        eprintln!("skipping: rclone, nsenter, ssh-keyscan or python3 not installed");
    }
    ok
}

struct Fixture {
    signer: BundleSigner,
    store: ObjectStore,
    credentials: S3Credentials,
    stage: tempfile::TempDir,
    published: usize,
}

impl Fixture {
    fn publish(&mut self, bundle: &Bundle) {
        self.published += 1;
        let dir = self.stage.path().join(self.published.to_string());
        publish(bundle, &self.store, &self.credentials, &dir).unwrap();
    }

    fn bundle(&self, version: u64, nft: &str, sshd: &str) -> Bundle {
        self.build(version, &[nft_file(nft), sshd_file(SSHD_PATH, sshd)])
    }

    fn build(&self, version: u64, files: &[DesiredFile]) -> Bundle {
        Bundle::build(
            &self.signer,
            version,
            "2026-12-07T18:00:00Z",
            Selector::all().with("project", "acme").unwrap(),
            files,
        )
        .unwrap()
    }
}

fn nft_file(nft: &str) -> DesiredFile {
    DesiredFile::new(RenderedFile::root(NFT_PATH, 0o640, nft), Validator::Nft)
}

fn sshd_file(path: &str, sshd: &str) -> DesiredFile {
    DesiredFile::new(RenderedFile::root(path, 0o644, sshd), Validator::Sshd)
}

fn ufw_file(v6: bool, https_sources: &[&str]) -> DesiredFile {
    let path = if v6 { UFW6_PATH } else { UFW_PATH };
    DesiredFile::new(
        RenderedFile::root(path, 0o640, user_rules(v6, https_sources)),
        Validator::Ufw,
    )
}

/// ufw's `user.rules` (`user6.rules` with `v6`) as `ufw allow proto tcp from SRC to any port
/// 443` writes it, one tuple per source.
fn user_rules(v6: bool, https_sources: &[&str]) -> String {
    let (c, any) = if v6 {
        ("ufw6", "::/0")
    } else {
        ("ufw", "0.0.0.0/0")
    };
    let mut rules = String::new();
    for src in https_sources {
        rules.push_str(&format!(
            "\n### tuple ### allow tcp 443 {any} any {src} in\n-A {c}-user-input -p tcp --dport 443 -s {src} -j ACCEPT\n"
        ));
    }
    format!(
        "*filter\n:{c}-user-input - [0:0]\n:{c}-user-output - [0:0]\n:{c}-user-forward - [0:0]\n\
         :{c}-user-limit - [0:0]\n:{c}-user-limit-accept - [0:0]\n### RULES ###\n{rules}\n### END RULES ###\n\
         -A {c}-user-limit -m limit --limit 3/minute -j LOG --log-prefix \"[UFW LIMIT BLOCK] \"\n\
         -A {c}-user-limit -j REJECT\n-A {c}-user-limit-accept -j ACCEPT\nCOMMIT\n"
    )
}

impl Fixture {}

#[test]
fn agent_applies_signed_bundles_and_leaves_the_host_unchanged_on_every_bad_one() {
    let Some(_nft) = hardening_validators::nft_netns() else {
        return;
    };
    let Some(_sshd) = hardening_validators::sshd() else {
        return;
    };
    if !tools_present() {
        return;
    }
    let Some(s3) = hardening_validators::s3_server() else {
        return;
    };
    let bucket_dir = s3.create_bucket("fleet-desired");

    let root_dir = tempfile::tempdir().unwrap();
    let root = root_dir.path();
    for d in [
        "etc/ssh/sshd_config.d",
        "etc/hardened-fleet",
        "run",
        "usr/local/sbin",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("etc/nftables.conf"), ruleset(true)).unwrap();
    std::fs::write(root.join(&SSHD_PATH[1..]), "LogLevel INFO\n").unwrap();

    let signer = BundleSigner::generate().unwrap();
    let pid_file = root.join("run/sshd.pid");
    let config = AgentConfig::new(
        "inst-0042",
        &bucket_dir.join("acme").display().to_string(),
        &signer.public_key_line(),
        Port::new(SSH_PORT).unwrap(),
    )
    .unwrap()
    .report_remote(&bucket_dir.join("reports").display().to_string())
    .unwrap()
    .label("project", "acme")
    .unwrap()
    .reload_commands(
        &format!("kill -HUP $(cat {})", pid_file.display()),
        &format!("nft -f {}/etc/nftables.conf", root.display()),
        "true",
    )
    .unwrap();
    // the first-boot files (the bootstrap, no agent) plus the agent's own, as a host built
    // without the bootstrap has them; the agent is removed again below until it is fetched
    for file in config.first_boot_files().into_iter().chain(config.files()) {
        let target = root.join(&file.path[1..]);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &file.content).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(file.mode)).unwrap();
    }
    // the test's root prefix and a quicker control-path check
    let conf = root.join("etc/hardened-fleet/agent.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!(
        "ROOT={}\nCHECK_TRIES=4\nCHECK_DELAY=0.3\n",
        root.display()
    ));
    // the project's pinned Caddy when installed (as the validators use it), else PATH's
    let pinned_caddy = hardening_validators::workspace_root().join(".ci/venv/bin/caddy");
    if pinned_caddy.exists() {
        text.push_str(&format!("CADDY={}\n", pinned_caddy.display()));
    }
    std::fs::write(&conf, text).unwrap();
    std::fs::write(root.join("etc/hardened-fleet/report.key"), REPORT_KEY).unwrap();

    let ns = Namespace::start(root);
    ns.exec(&format!("nft -f {}/etc/nftables.conf", root.display()));
    assert!(ns.ssh_answers(), "sshd must answer before the first bundle");

    let mut fx = Fixture {
        signer,
        store: ObjectStore::new(&s3.endpoint(), "fleet-desired", "fsn1")
            .unwrap()
            .prefix("acme")
            .unwrap(),
        credentials: S3Credentials::new(
            Secret::new(S3_ACCESS_KEY).unwrap(),
            Secret::new(S3_SECRET_KEY).unwrap(),
        ),
        stage: tempfile::tempdir().unwrap(),
        published: 0,
    };
    let etc = root.join("etc");

    // 0. first boot: only the bootstrap. Nothing published yet: unreachable, exit 4.
    let agent_path = root.join(&AGENT_PATH[1..]);
    std::fs::remove_file(&agent_path).unwrap();
    let (code, err) = ns.bootstrap();
    assert_eq!(code, 4, "{err}");
    assert!(
        status(root).contains("state=unreachable\n"),
        "{}",
        status(root)
    );
    assert!(!agent_path.exists());
    // a tampered agent, an agent signed by another key, and the bundle signature offered as
    // the agent's are refused: exit 2, status rejected, nothing installed, nothing run
    let store_dir = bucket_dir.join("acme");
    std::fs::create_dir_all(&store_dir).unwrap();
    let other = BundleSigner::generate().unwrap();
    let tampered = AGENT_SCRIPT.replace("set -eu\n", "set -eu\ntouch /tmp/hf-pwned\n");
    let v0 = fx.bundle(1, &ruleset(true), "LogLevel INFO\n");
    for (agent, sig) in [
        (
            tampered.as_str(),
            fx.signer.sign_agent(AGENT_SCRIPT.as_bytes()).unwrap(),
        ),
        (
            AGENT_SCRIPT,
            other.sign_agent(AGENT_SCRIPT.as_bytes()).unwrap(),
        ),
        (v0.manifest_text(), v0.signature().to_owned()),
    ] {
        std::fs::write(store_dir.join("agent"), agent).unwrap();
        std::fs::write(store_dir.join("agent.sig"), sig).unwrap();
        let (code, err) = ns.bootstrap();
        assert_eq!(code, 2, "{err}");
        assert!(
            status(root).contains("state=rejected\n"),
            "{}",
            status(root)
        );
        assert!(!agent_path.exists(), "a refused agent was installed");
        assert_eq!(applied(root), "");
    }

    // 1. a good bundle, published with the signed agent: the bootstrap installs the agent
    // (0755, the exact published bytes), which applies the bundle
    let v1 = fx.bundle(
        1,
        &ruleset(true),
        "PasswordAuthentication no\nLogLevel VERBOSE\n",
    );
    fx.publish(&v1);
    let (code, err) = ns.bootstrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(applied(root), "1");
    assert_eq!(std::fs::read_to_string(&agent_path).unwrap(), AGENT_SCRIPT);
    assert_eq!(
        std::fs::metadata(&agent_path).unwrap().permissions().mode() & 0o7777,
        0o755
    );
    assert_eq!(
        std::fs::read_to_string(root.join(&SSHD_PATH[1..])).unwrap(),
        "PasswordAuthentication no\nLogLevel VERBOSE\n"
    );
    assert_eq!(
        std::fs::metadata(root.join("etc/nftables.conf"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    assert!(
        ns.ruleset()
            .contains(&format!("tcp dport {SSH_PORT} accept"))
    );
    let report_text = std::fs::read_to_string(bucket_dir.join("reports/inst-0042.status")).unwrap();
    let report = HostReport::verify(&report_text, &Secret::new(REPORT_KEY).unwrap()).unwrap();
    assert_eq!(
        (report.state.as_str(), report.applied_version),
        ("applied", 1)
    );
    assert_eq!(report.files.len(), 2);
    assert!(
        HostReport::verify(
            &report_text,
            &Secret::new("another-report-key-000").unwrap()
        )
        .is_err(),
        "a report under another key must not be believed"
    );

    // the same bundle again: nothing to do
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    assert!(status(root).contains("state=current"));
    // the agent cannot be fetched but one is installed: the installed agent runs
    std::fs::rename(store_dir.join("agent"), store_dir.join("agent.away")).unwrap();
    let (code, err) = ns.bootstrap();
    assert_eq!(code, 0, "{err}");
    assert!(status(root).contains("state=current\n"), "{}", status(root));
    std::fs::rename(store_dir.join("agent.away"), store_dir.join("agent")).unwrap();

    let v2 = fx.bundle(2, &ruleset(true), "PasswordAuthentication no\n");
    // every bad bundle: rejected (exit 2), the tree and the live ruleset byte for byte the same
    let mut bad = |name: &str, publish_it: &mut dyn FnMut(&mut Fixture), expect: &str| {
        let before = tree(&etc);
        let rules_before = ns.ruleset();
        publish_it(&mut fx);
        let (code, err) = ns.agent();
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
        assert_eq!(tree(&etc), before, "{name} changed the host");
        assert_eq!(ns.ruleset(), rules_before, "{name} changed the ruleset");
        assert!(status(root).contains("state=rejected"), "{name}");
        assert_eq!(applied(root), "1", "{name}");
    };
    bad(
        "tampered content",
        &mut |fx| {
            fx.publish(&v2);
            let sha = v2.manifest().files()[0].sha256().to_owned();
            std::fs::write(
                bucket_dir.join(format!("acme/files/{sha}")),
                "flush ruleset\n",
            )
            .unwrap();
        },
        "does not match its digest",
    );
    bad(
        "tampered manifest",
        &mut |_| {
            let m = bucket_dir.join("acme/manifest");
            let text = std::fs::read_to_string(&m)
                .unwrap()
                .replace("version 2", "version 9");
            std::fs::write(&m, text).unwrap();
        },
        "signature does not verify",
    );
    bad(
        "foreign signer",
        &mut |fx| {
            let other = BundleSigner::generate().unwrap();
            let b = Bundle::build(
                &other,
                2,
                "2026-12-07T18:00:00Z",
                Selector::all(),
                &[DesiredFile::new(
                    RenderedFile::root(NFT_PATH, 0o640, ruleset(true)),
                    Validator::Nft,
                )],
            )
            .unwrap();
            fx.publish(&b);
        },
        "signature does not verify",
    );
    bad(
        "replayed version",
        &mut |fx| fx.publish(&fx.bundle(1, &ruleset(true), "PasswordAuthentication yes\n")),
        "replayed",
    );
    bad(
        "invalid nftables",
        &mut |fx| {
            fx.publish(&fx.bundle(
                2,
                "table inet filter { chain input { bogus } }\n",
                "LogLevel VERBOSE\n",
            ))
        },
        "nft -c rejects",
    );
    bad(
        "invalid sshd",
        &mut |fx| fx.publish(&fx.bundle(2, &ruleset(true), "PermitRootLogin sometimes\n")),
        "sshd -t rejects",
    );

    if hardening_validators::caddy().is_some() {
        bad(
            "invalid Caddyfile",
            &mut |fx| {
                let b = Bundle::build(
                    &fx.signer,
                    2,
                    "2026-12-07T18:00:00Z",
                    Selector::all(),
                    &[
                        DesiredFile::new(
                            RenderedFile::root(NFT_PATH, 0o640, ruleset(true)),
                            Validator::Nft,
                        ),
                        DesiredFile::new(
                            RenderedFile::root(
                                "/etc/caddy/Caddyfile",
                                0o644,
                                "example.com {\n  reverse_proxy {\n",
                            ),
                            Validator::Caddy,
                        ),
                    ],
                )
                .unwrap();
                fx.publish(&b);
            },
            "caddy validate rejects",
        );
    }

    // 3. a valid ruleset that cuts the SSH port: applied, control path lost, rolled back
    let before = tree(&etc);
    let rules_before = ns.ruleset();
    fx.publish(&fx.bundle(2, &ruleset(false), "PasswordAuthentication no\n"));
    let (code, err) = ns.agent();
    assert_eq!(code, 3, "{err}");
    assert_eq!(tree(&etc), before, "rollback must restore every file");
    assert_eq!(
        ns.ruleset(),
        rules_before,
        "rollback must restore the ruleset"
    );
    assert!(ns.ssh_answers());
    assert!(status(root).contains("state=rolled-back"));
    assert_eq!(applied(root), "1");

    // 4. a newer good bundle, then the older one again
    fx.publish(&fx.bundle(3, &ruleset(true), "PasswordAuthentication no\n"));
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    assert_eq!(applied(root), "3");
    bad_older(&ns, root, &etc, &mut fx, &v1);
    dropped_file_is_removed(&ns, root, &etc, &mut fx);
    if hardening_validators::ufw().is_some() {
        ufw_rules_apply_and_roll_back(&ns, root, &etc, &mut fx);
    }
}

fn local_report(root: &Path) -> HostReport {
    let text = std::fs::read_to_string(root.join("var/lib/hardened-fleet/report")).unwrap();
    HostReport::verify(&text, &Secret::new(REPORT_KEY).unwrap()).unwrap()
}

/// A file a newer bundle no longer names leaves the host; the rollback brings it back.
fn dropped_file_is_removed(ns: &Namespace, root: &Path, etc: &Path, fx: &mut Fixture) {
    let sshd = "PasswordAuthentication no\n";
    let extra = root.join(&EXTRA_PATH[1..]);
    fx.publish(&fx.build(
        4,
        &[
            nft_file(&ruleset(true)),
            sshd_file(SSHD_PATH, sshd),
            sshd_file(EXTRA_PATH, "MaxAuthTries 3\n"),
        ],
    ));
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&extra).unwrap(), "MaxAuthTries 3\n");
    assert!(local_report(root).files.contains_key(EXTRA_PATH));

    // dropped, but the same bundle cuts SSH: the rollback restores the dropped file too
    let before = tree(etc);
    fx.publish(&fx.build(5, &[nft_file(&ruleset(false)), sshd_file(SSHD_PATH, sshd)]));
    let (code, err) = ns.agent();
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        tree(etc),
        before,
        "rollback must bring the dropped file back"
    );
    assert!(ns.ssh_answers());
    assert_eq!(applied(root), "4");

    fx.publish(&fx.build(6, &[nft_file(&ruleset(true)), sshd_file(SSHD_PATH, sshd)]));
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    assert!(!extra.exists(), "a dropped file must be removed");
    assert_eq!(applied(root), "6");
    let report = local_report(root);
    assert_eq!(
        report.files.keys().map(String::as_str).collect::<Vec<_>>(),
        vec![NFT_PATH, SSHD_PATH]
    );
    // the next bundle no longer sees it as managed
    fx.publish(&fx.build(7, &[nft_file(&ruleset(true)), sshd_file(SSHD_PATH, sshd)]));
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    assert!(!extra.exists());
}

/// ufw's rules files in a bundle: checked with `iptables-restore --test`, applied with
/// `ufw reload`, and restored and reloaded on rollback. ufw in the namespace reads the test
/// root's `/etc/ufw` (bind-mounted over `/etc/ufw`), with `IPT_SYSCTL` blank so it leaves the
/// host's sysctls alone.
fn ufw_rules_apply_and_roll_back(ns: &Namespace, root: &Path, etc: &Path, fx: &mut Fixture) {
    let ufw_dir = root.join("etc/ufw");
    let copied = Command::new("cp")
        .arg("-a")
        .arg("/etc/ufw/.")
        .arg(&ufw_dir)
        .status()
        .unwrap();
    assert!(copied.success());
    let default = std::fs::read_to_string("/etc/default/ufw").unwrap();
    let default: String = default
        .lines()
        .map(|l| {
            if l.starts_with("IPT_SYSCTL=") {
                "IPT_SYSCTL="
            } else {
                l
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::create_dir_all(root.join("etc/default")).unwrap();
    std::fs::write(root.join("etc/default/ufw"), default).unwrap();
    let out = ns.exec(&format!(
        "mount --bind {r}/etc/ufw /etc/ufw && mount --bind {r}/etc/default/ufw /etc/default/ufw \
         && ufw --force enable",
        r = root.display()
    ));
    assert!(
        out.status.success(),
        "ufw enable: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chains = || {
        let v4 = ns.exec("iptables -S ufw-user-input").stdout;
        let v6 = ns.exec("ip6tables -S ufw6-user-input").stdout;
        String::from_utf8(v4).unwrap() + &String::from_utf8(v6).unwrap()
    };
    let sshd = sshd_file(SSHD_PATH, "PasswordAuthentication no\n");

    // Cloudflare edge allows for HTTPS
    fx.publish(&fx.build(
        8,
        &[
            nft_file(&ruleset(true)),
            sshd.clone(),
            ufw_file(false, &["173.245.48.0/20", "203.0.113.0/24"]),
            ufw_file(true, &["2400:cb00::/32"]),
        ],
    ));
    let (code, err) = ns.agent();
    assert_eq!(code, 0, "{err}");
    let live = chains();
    for src in ["173.245.48.0/20", "203.0.113.0/24", "2400:cb00::/32"] {
        assert!(live.contains(src), "ufw reload must load {src}: {live}");
    }

    // a rules file iptables-restore refuses: rejected, nothing changed
    let before = tree(etc);
    let mut bad = user_rules(false, &["203.0.113.0/24"]);
    bad = bad.replace("--dport 443", "--dport 99999");
    fx.publish(&fx.build(
        9,
        &[
            nft_file(&ruleset(true)),
            sshd.clone(),
            DesiredFile::new(RenderedFile::root(UFW_PATH, 0o640, bad), Validator::Ufw),
        ],
    ));
    let (code, err) = ns.agent();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("iptables-restore --test rejects"), "{err}");
    assert_eq!(tree(etc), before);
    assert_eq!(chains(), live);

    // new ufw rules with a ruleset that cuts SSH: both restored, ufw reloaded
    fx.publish(&fx.build(
        9,
        &[
            nft_file(&ruleset(false)),
            sshd,
            ufw_file(false, &["198.18.0.0/15"]),
            ufw_file(true, &["2606:4700::/32"]),
        ],
    ));
    let (code, err) = ns.agent();
    assert_eq!(code, 3, "{err}");
    assert_eq!(tree(etc), before, "rollback must restore the ufw files");
    assert_eq!(
        chains(),
        live,
        "rollback must reload ufw with the old rules"
    );
    assert_eq!(applied(root), "8");
}

fn bad_older(ns: &Namespace, root: &Path, etc: &Path, fx: &mut Fixture, v1: &Bundle) {
    let before = tree(etc);
    fx.publish(v1);
    let (code, err) = ns.agent();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("older than applied 3"), "{err}");
    assert_eq!(tree(etc), before);
    assert_eq!(applied(root), "3");
}
