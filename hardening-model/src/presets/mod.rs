//! The runbook baseline with every known erratum fixed, as plain functions returning policy values.
//!
//! Each function documents where it departs from the runbook and why.

pub mod baseline;
pub mod firewall;
pub mod host;
pub mod stack;
