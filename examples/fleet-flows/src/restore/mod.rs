//! The off-host restore behind `cargo run --example restore`: an instance's data from its
//! encrypted copies in the object store onto a fresh host.
//!
//! 1. [`fresh_host`] provisions the instance again ([`provision`], idempotent by instance id):
//!    with the lost server gone it creates a fresh one from the same policy values (a
//!    compromised one is quarantined and deleted first, runbook 9.5 scenario 3).
//! 2. [`RestorePlan`] says which object (the newest by default), where the operator's age
//!    identity is read, which host receives the data, and each command with the machine it
//!    runs on.
//! 3. [`execute`] runs it: download, authenticated decryption and an archive listing on the
//!    operator's machine, then the restore script, installed at
//!    [`RESTORE_SCRIPT`](cloudinit_builder::preset::RESTORE_SCRIPT) and run over SSH with the
//!    plain archive on its standard input. A changed object fails at decryption and nothing reaches
//!    the host. Only the data services stop for the swap; the restore ends with their health
//!    check, reported as [`Health`] in [`Executed::health`].
//! 4. [`objectives`] gives the RPO and RTO of the schedule, with the basis of each figure.

mod health;
mod objectives;
mod plan;
mod run;

pub use health::Health;
pub use objectives::{Assumptions, Objectives, calendar_gap, hm, objectives};
pub use plan::{
    HostAccess, ObjectChoice, PLAIN_ARCHIVE, RestorePlan, SCRIPT_FILE, Step, Where, check_object,
};
pub use run::{Executed, execute};

use std::path::PathBuf;

use cloudinit_builder::preset::{APP_DATA_VOLUME, Backups, ObjectStore, STACK_DIR};

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::provision::{ProvisionRequest, Summary, instance_store, provision};

/// Provisions (or finds) the host of `request.instance_id` and plans the restore of its data
/// onto it from `store` (whose prefix becomes the instance id), decrypting with the identity in
/// `identity_file` in `workdir` on this machine.
///
/// Run [`execute`] once the host has reported ready (its first boot created the data volume).
///
/// # Errors
/// A rejected value (nothing sent), an API error, or a host without a public IPv4 address.
pub async fn fresh_host(
    backends: &Backends,
    request: &ProvisionRequest,
    store: &ObjectStore,
    identity_file: impl Into<PathBuf>,
    workdir: impl Into<PathBuf>,
    progress: &Progress,
) -> Result<(RestorePlan, Summary)> {
    let store = instance_store(store, &request.instance_id)?;
    let mut request = request.clone();
    request.backup_store = Some(store.clone());
    let summary = provision(backends, &request, progress).await?;
    let address = summary.ipv4.clone().ok_or_else(|| {
        Error::State(format!(
            "server {} has no public IPv4 address to restore over",
            summary.server_id
        ))
    })?;
    let plan = RestorePlan::new(
        &request.instance_id,
        store,
        identity_file,
        workdir,
        HostAccess::Ssh {
            user: request.admin_user.clone(),
            address,
            port: summary.ssh_port,
        },
        Backups::volume_restore_script(APP_DATA_VOLUME, STACK_DIR)?,
    )?;
    Ok((plan, summary))
}
