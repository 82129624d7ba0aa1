//! Runbook helpers built on the resources: admin SSH keys with expiry, stale snapshot
//! cleanup, the isolation check and quarantine, deletion/rebuild protection, rescue mode for
//! forensics, reverse DNS, primary IPs kept across a reprovision, placement group spread.

pub mod admin_keys;
pub mod isolation;
pub mod placement;
pub mod protection;
pub mod quarantine;
pub mod rdns;
pub mod reprovision;
pub mod rescue;
pub mod snapshots;
