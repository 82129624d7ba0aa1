//! Runbook helpers built on the resources: admin SSH keys with expiry, stale snapshot
//! cleanup, the isolation check and quarantine.

pub mod admin_keys;
pub mod isolation;
pub mod quarantine;
pub mod snapshots;
