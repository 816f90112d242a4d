//! Integration tests: they drive the real `mu-daemon` binary on temporary projects with a
//! temporary `MU_HOME`, and read the resulting mubase directly.

mod api;
mod bad_input;
mod cli_docs;
mod daemon_support;
mod engine;
mod fixtures;
mod incremental;
mod languages;
mod lifecycle;
mod property;
mod python;
mod query;
mod store;
mod support;
