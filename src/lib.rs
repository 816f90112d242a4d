//! mu-daemon: a local code-graph daemon. See `ARCHITECTURE.md` for the map of this crate.

pub mod cli;
pub mod commands;
pub mod index;
pub mod project;
pub mod store;
