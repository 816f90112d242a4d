//! Process plumbing (`cli-and-registry.md` §4–§6, §9, §10): spawning the serve process with a
//! readiness pipe, signals and the stop protocol, pid and lock files, the log file, loopback HTTP
//! probes.

pub mod http;
pub mod lock;
pub mod log;
pub mod pidfile;
pub mod ready;
pub mod signal;
pub mod spawn;
