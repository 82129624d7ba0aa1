//! The README's Rust samples, compiled (and, where they need no network, run) as doctests, so
//! that the front page cannot drift from the API.
#![doc = include_str!("../../README.md")]
