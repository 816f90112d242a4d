//! The global registry `MU_HOME/daemons.json` (`cli-and-registry.md` §7): model, lock file,
//! atomic write and recovery, permissions, liveness and identity, stale cleanup, heartbeat.
