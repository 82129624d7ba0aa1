//! Sample data the offline examples start from, so a run against a fresh simulator has
//! something to show. Never used against a real account.

use std::time::Duration;

use chrono::NaiveDate;
use hetzner_client::Labels;
use hetzner_client::helpers::admin_keys::AdminKey;

use crate::backends::Backends;
use crate::error::Result;

/// Documentation-only public keys for the offline key examples.
pub const DEMO_KEYS: [&str; 3] = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEY1 alice",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEY2 bob",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEYDEMOKEY3 alice",
];

/// Adds three nightly snapshots (12 h, 3 days and 10 days old) labelled `role=nightly`, and
/// one 20-day-old snapshot without that label. Does nothing online.
pub fn seed_snapshots(backends: &Backends) -> Result<()> {
    let Some(sim) = &backends.hetzner_sim else {
        return Ok(());
    };
    let nightly = Labels::new().with("role", "nightly")?;
    for hours in [12, 72, 240] {
        sim.seed_snapshot(
            &format!("nightly, {hours}h ago"),
            nightly.clone(),
            Duration::from_secs(hours * 3600),
        );
    }
    sim.seed_snapshot(
        "golden image",
        Labels::new().with("role", "golden")?,
        Duration::from_secs(480 * 3600),
    );
    Ok(())
}

/// Uploads two admin keys: alice's expired on `today - 30 days`, bob's valid for a year.
/// Does nothing online.
pub async fn seed_admin_keys(backends: &Backends, today: NaiveDate) -> Result<()> {
    if backends.hetzner_sim.is_none() {
        return Ok(());
    }
    for (owner, key, days) in [("alice", DEMO_KEYS[0], -30), ("bob", DEMO_KEYS[1], 365)] {
        let expires = today + chrono::Duration::days(days);
        backends
            .hetzner
            .create_admin_key(&AdminKey {
                owner: owner.into(),
                public_key: key.into(),
                expires,
            })
            .await?;
    }
    Ok(())
}
