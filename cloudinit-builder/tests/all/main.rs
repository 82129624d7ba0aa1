//! Integration tests for cloudinit-builder: rendering, schema validity, budget, secrets, MIME
//! and property tests.

mod budget;
mod mime;
mod properties;
mod render;
mod schema;
mod secrets;
mod support;
