//! Simulator-backed tests.
