//! Placeholder: filled by the hardening-model work.
