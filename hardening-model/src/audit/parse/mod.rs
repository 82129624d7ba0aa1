//! Parsers for the files the audit reads. Each is tolerant: it never panics on arbitrary
//! input, and reports what it could not understand instead of guessing.

pub mod caddyfile;
pub mod compose;
pub mod sshd;
pub mod sysctl;
pub mod ufw;
