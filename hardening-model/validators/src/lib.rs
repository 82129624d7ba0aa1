//! Test support: runs the real validators on rendered artifacts.
//!
//! Being filled in; see the workspace README.
#![forbid(unsafe_code)]
