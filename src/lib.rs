//! mu-daemon: a local code-graph daemon. See `ARCHITECTURE.md` for the map of this crate.

pub mod cli;
pub mod commands;
pub mod daemon;
pub mod export;
pub mod graph;
pub mod index;
pub mod muql;
pub mod process;
pub mod project;
pub mod registry;
pub mod server;
pub mod store;
#[cfg(test)]
pub(crate) mod test_support;
pub mod watch;

/// Give freed heap memory back to the system (glibc keeps it otherwise): the peak of a full
/// build is resolution's working set followed by DuckDB's, and these should not add up.
pub(crate) fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
