//! Placeholder: filled by the hardening-model work (see the module list in the crate docs).
