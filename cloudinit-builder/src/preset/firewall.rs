//! The host firewall part: ufw, nftables and DOCKER-USER rendered from one
//! [`FirewallPolicy`](hardening_model::firewall::FirewallPolicy).
//!
//! Firewall first: the nftables ruleset is also loaded by `bootcmd`, the earliest stage
//! cloud-init runs, before any file is written, any package is fetched and sshd first listens.
//! Since `write_files` runs after `bootcmd`, the ruleset travels in the `bootcmd` entry, which
//! writes `/etc/nftables.conf` once per instance (so later changes to it are kept) and loads it
//! on every boot (it replaces only its own table, so loading it again changes nothing). Without `nft` on the
//! image, or when the load fails, the step `firewall-early` is recorded as failed and the ready
//! callback reports it.
//!
//! All three are then applied in [`Stage::Firewall`], after sshd has moved to the policy's SSH
//! port and before Docker is installed. The DOCKER-USER unit is enabled here (it is wanted by
//! `docker.service`), so the container rules are in place the moment Docker first starts.

use hardening_model::firewall::{FirewallPolicy, docker_user, nftables};

use super::{Contribution, Part, STEPS_DIR, Slot, Stage};
use crate::{Command, Result, WriteFile};

/// ufw + nftables + DOCKER-USER from one policy.
#[derive(Debug, Clone)]
pub struct Firewall {
    policy: FirewallPolicy,
}

impl Firewall {
    /// The part for `policy` (e.g. `hardening_model::presets::firewall::baseline`).
    pub fn new(policy: FirewallPolicy) -> Self {
        Self { policy }
    }

    /// The policy.
    pub fn policy(&self) -> &FirewallPolicy {
        &self.policy
    }
}

/// Where the early firewall notes that it wrote `/etc/nftables.conf` for this instance.
const EARLY_DONE: &str = "/var/lib/cloud/instance/hardened-nftables-written";

/// The `bootcmd` entry that writes `file` (once per instance: later changes to it are kept)
/// and loads it (every boot), before anything else runs.
fn early_nftables(file: &hardening_model::RenderedFile) -> Result<Command> {
    let mut body =
        super::compact::compact(&file.path, &file.content).unwrap_or_else(|| file.content.clone());
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let path = &file.path;
    let mode = file.mode_string();
    Command::shell(format!(
        "if [ ! -e {EARLY_DONE} ]; then\n\
         install -m {mode} /dev/null {path}\n\
         cat > {path} <<'HARDENED_NFT'\n{body}HARDENED_NFT\n\
         touch {EARLY_DONE}\n\
         fi\n\
         if command -v nft >/dev/null && nft -f {path} 2>/run/hardened-firewall.err\n\
         then logger -p daemon.info -t hardened-firewall 'nftables loaded by bootcmd, before packages and sshd'\n\
         else mkdir -p {STEPS_DIR} && echo failed > {STEPS_DIR}/firewall-early; \
         logger -p daemon.crit -t hardened-firewall \"early nftables load failed: $(head -c 400 /run/hardened-firewall.err 2>/dev/null)\"; fi"
    ))
}

/// The DOCKER-USER unit relies on the daemon-reload nftables' commands start with.
fn assert_reload_first(cmds: &[Vec<String>]) -> Result<()> {
    if cmds.first().map(|c| c.join(" ")).as_deref() != Some("systemctl daemon-reload") {
        return Err(crate::Error::invalid(
            "firewall.nftables",
            "the nftables commands must start with systemctl daemon-reload",
        ));
    }
    Ok(())
}

fn argv_chain(cmds: Vec<Vec<String>>) -> Result<Command> {
    Command::chain(
        cmds.into_iter()
            .map(Command::argv)
            .collect::<Result<Vec<_>>>()?,
    )
}

impl Part for Firewall {
    fn slot(&self) -> Slot {
        Slot::Firewall
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.package("ufw");
        out.package("nftables");
        // The ruleset travels once, in bootcmd, which writes it to its path.
        out.boot_command(early_nftables(&self.policy.nftables_conf())?);
        let ufw = self.policy.ufw_script();
        let ufw_path = ufw.path.clone();
        for f in [
            ufw,
            nftables::service_dropin(),
            self.policy.docker_user_script(),
            docker_user::systemd_unit(),
        ] {
            out.file(WriteFile::from(f));
        }
        out.command(Stage::Firewall, Command::argv([ufw_path])?);
        // nftables' commands start with a daemon-reload, which covers the DOCKER-USER unit
        // too. Enable only: that unit is wanted by docker.service and runs when Docker first
        // starts.
        let mut cmds = nftables::boot_commands();
        assert_reload_first(&cmds)?;
        cmds.push(vec![
            "systemctl".into(),
            "enable".into(),
            docker_user::UNIT_PATH
                .rsplit('/')
                .next()
                .unwrap_or("hardening-docker-user.service")
                .into(),
        ]);
        out.command(Stage::Firewall, argv_chain(cmds)?);
        Ok(())
    }
}
