//! The mubase: DuckDB schema, opening rules, reads and the per-file transactional writer
//! (`mubase.md`).
//!
//! One [`Store`] owns one read-write DuckDB connection to `<project>/.mu/mubase`. Everything
//! here is blocking; callers on an async runtime must use a blocking thread.

mod read;
pub mod schema;
pub mod sql;
mod write;

pub use read::{all_edges, all_nodes, Direction, GraphCounts, Neighbor};
pub use write::{new_generation, Delta, FileHashRow, IndexStats, CONFIG_HASH_KEY, GENERATION_KEY};

use std::path::{Path, PathBuf};

use duckdb::{Config, Connection, OptionalExt};

use schema::Origin;

/// Errors of the storage layer. DuckDB's own messages never reach a user unexplained: a lock
/// conflict becomes [`StoreError::Locked`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Database {} is locked by another process{}.", path.display(), pid_suffix(*pid))]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error("Cannot open database {}: {message}. If the file is damaged, delete it (and its .wal) and run `mu-daemon index` again.", path.display())]
    Corrupt { path: PathBuf, message: String },
    /// The project is being closed (a secondary project closed while a request used it).
    #[error("The database {} is being closed; retry the request.", path.display())]
    Closed { path: PathBuf },
    #[error("Database error while {context}: {source}")]
    Db {
        context: &'static str,
        #[source]
        source: duckdb::Error,
    },
}

fn pid_suffix(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attach a context to a DuckDB error.
pub(crate) trait DbContext<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, duckdb::Error> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Db { context, source })
    }
}

/// Engine settings (`mubase.md` §1).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub threads: u32,
    pub memory_limit: String,
}

impl Default for StoreOptions {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        StoreOptions {
            threads: cpus.clamp(1, 4),
            memory_limit: "1GiB".to_string(),
        }
    }
}

/// An open mubase.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    origin: Origin,
    read_only: bool,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("origin", &self.origin)
            .field("read_only", &self.read_only)
            .finish()
    }
}

fn config(opts: &StoreOptions) -> std::result::Result<Config, duckdb::Error> {
    Config::default()
        .threads(i64::from(opts.threads))?
        .max_memory(&opts.memory_limit)?
        .enable_autoload_extension(false)?
        .enable_external_access(false)?
        .with("storage_compatibility_version", "v1.0.0")
}

/// Map a DuckDB open failure to a store error; lock conflicts name the holder when DuckDB says it.
fn open_error(path: &Path, err: duckdb::Error) -> StoreError {
    let message = err.to_string();
    if message.contains("Could not set lock") || message.contains("Conflicting lock") {
        return StoreError::Locked {
            path: path.to_path_buf(),
            pid: parse_lock_pid(&message),
        };
    }
    StoreError::Corrupt {
        path: path.to_path_buf(),
        message: first_line(&message),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

/// DuckDB says `… Conflicting lock is held in /usr/bin/x (PID 1234) by user …`.
fn parse_lock_pid(message: &str) -> Option<u32> {
    let at = message.find("(PID ")?;
    let rest = &message[at + 5..];
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

impl Store {
    /// Open (or create) the mubase read-write and perform the open sequence of `mubase.md` §4.
    pub fn open(path: &Path, opts: &StoreOptions, root: &Path) -> Result<Store> {
        let existed = path.exists();
        let conn = Connection::open_with_flags(path, config(opts).ctx("configuring DuckDB")?)
            .map_err(|e| open_error(path, e))?;
        if !existed {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
            }
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            origin: Origin::Empty,
            read_only: false,
            warnings: Vec::new(),
        };
        store.init(root, !existed).map_err(|e| match e {
            StoreError::Db { context, source } => StoreError::Corrupt {
                path: path.to_path_buf(),
                message: format!("{context}: {}", first_line(&source.to_string())),
            },
            other => other,
        })?;
        Ok(store)
    }

    /// Open an existing mubase read-only (a secondary project, `http-api.md` §2.14): nothing is
    /// written, not even the open sequence's metadata; another process may open it read-only
    /// too, but no writer can open it meanwhile.
    pub fn open_read_only(path: &Path, opts: &StoreOptions) -> Result<Store> {
        let cfg = config(opts)
            .and_then(|c| c.access_mode(duckdb::AccessMode::ReadOnly))
            .ctx("configuring DuckDB")?;
        let conn = Connection::open_with_flags(path, cfg).map_err(|e| open_error(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            origin: Origin::Empty,
            read_only: true,
            warnings: Vec::new(),
        };
        let classify = |s: &Store| -> Result<Origin> {
            let has_nodes: bool = s
                .conn
                .query_row("SELECT EXISTS (SELECT 1 FROM nodes)", [], |r| r.get(0))
                .ctx("reading nodes")?;
            Ok(Origin::classify(
                s.meta("builder")?.as_deref(),
                s.meta("schema_version")?.as_deref(),
                s.meta("version")?.as_deref(),
                has_nodes,
            ))
        };
        store.origin = classify(&store).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            message: match e {
                StoreError::Db { context, source } => {
                    format!("{context}: {}", first_line(&source.to_string()))
                }
                other => other.to_string(),
            },
        })?;
        Ok(store)
    }

    fn init(&mut self, root: &Path, created: bool) -> Result<()> {
        // §4 step 4 first: a file from a newer schema is served read-only and nothing, not even
        // the DDL, is written to it.
        let mut current = false;
        if !created && self.has_table("metadata")? {
            let native = self
                .meta("builder")?
                .is_some_and(|b| b.starts_with("mu-daemon"));
            let stored = self
                .meta("schema_version")?
                .and_then(|v| v.parse::<u32>().ok());
            let newer = stored.is_some_and(|v| v > schema::SCHEMA_VERSION);
            // Our own file at this schema version has every table and index already: the DDL
            // (a few dozen idempotent statements) is skipped, which keeps a daemon's start fast.
            current = native
                && stored == Some(schema::SCHEMA_VERSION)
                && self.has_table("mu_daemon_state")?;
            if native && newer {
                self.origin = Origin::Native;
                self.read_only = true;
                self.warnings.push(format!(
                    "{} was written by a newer mu-daemon; it is opened read-only",
                    self.path.display()
                ));
                return Ok(());
            }
        }
        let c = &self.conn;
        if !current {
            c.execute_batch(schema::CORE_DDL)
                .ctx("creating core tables")?;
            // MU-Rs's file_hashes has only three columns: detect it before our DDL is a no-op.
            let old_hashes =
                self.has_table("file_hashes")? && !self.has_column("file_hashes", "size")?;
            c.execute_batch(schema::ADDED_DDL).ctx("creating tables")?;
            if old_hashes {
                c.execute_batch(schema::FILE_HASHES_UPGRADE)
                    .ctx("upgrading file_hashes")?;
                c.execute("DELETE FROM file_hashes", [])
                    .ctx("clearing file_hashes")?;
            }
            c.execute_batch(schema::INDEX_DDL).ctx("creating indexes")?;
            c.execute_batch(schema::STATE_MIGRATION)
                .ctx("moving state keys out of metadata")?;
        }
        if created {
            self.set_meta("created_at", &now_iso())?;
        }
        let builder = self.meta("builder")?;
        let schema_version = self.meta("schema_version")?;
        let version = self.meta("version")?;
        let has_nodes: bool = self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM nodes)", [], |r| r.get(0))
            .ctx("reading nodes")?;
        self.origin = Origin::classify(
            builder.as_deref(),
            schema_version.as_deref(),
            version.as_deref(),
            has_nodes,
        );
        if self.origin.is_mu() {
            self.normalise_mu_paths(root)?;
        }
        // Step 7. Keys that already hold the value are not rewritten: opening an up-to-date
        // database then commits nothing (no WAL write, no fsync).
        let wanted = [
            ("version", "1.0.0".to_string()),
            ("schema_version", schema::SCHEMA_VERSION.to_string()),
            ("root_path", root.display().to_string()),
            (
                "builder",
                format!("mu-daemon {}", env!("CARGO_PKG_VERSION")),
            ),
        ];
        let mut stale = Vec::new();
        for (k, v) in wanted {
            if self.meta(k)?.as_deref() != Some(v.as_str()) {
                stale.push((k, v));
            }
        }
        if !stale.is_empty() {
            let tx = self.conn.transaction().ctx("starting transaction")?;
            for (k, v) in &stale {
                set_meta_on(&tx, k, v)?;
            }
            tx.commit().ctx("writing metadata")?;
        }
        Ok(())
    }

    /// `mubase.md` §4 step 6 and §5.3. Path normalisation is best effort, in its own
    /// transaction: if it fails (rows MU left in a shape nobody foresaw), MU's rows stay as they
    /// are until the full build replaces them, and a warning says so. Then `file_hashes` is
    /// emptied and `index_format` set to 0, and a checkpoint leaves an empty WAL for DuckDB 1.x.
    fn normalise_mu_paths(&mut self, root: &Path) -> Result<()> {
        let stored_root = self.meta("root_path")?;
        let mut roots = Vec::new();
        for r in stored_root
            .into_iter()
            .chain(std::iter::once(root.display().to_string()))
        {
            let r = r.replace('\\', "/");
            let r = r.trim_end_matches('/').to_string();
            if !r.is_empty() && !roots.contains(&r) {
                roots.push(r);
            }
        }
        let normalise = |conn: &mut Connection| -> std::result::Result<(), duckdb::Error> {
            let tx = conn.transaction()?;
            for sql in schema::NORMALISE_SEPARATORS {
                tx.execute(sql, [])?;
            }
            for r in &roots {
                let prefix = format!("{r}/");
                for sql in schema::STRIP_ROOT {
                    tx.execute(sql, [&prefix])?;
                }
            }
            tx.commit()
        };
        if let Err(e) = normalise(&mut self.conn) {
            self.warnings.push(format!(
                "could not normalise the paths MU stored ({}); they are replaced by the next full build",
                first_line(&e.to_string())
            ));
        }
        let tx = self.conn.transaction().ctx("starting transaction")?;
        tx.execute("DELETE FROM file_hashes", [])
            .ctx("clearing file_hashes")?;
        set_meta_on(&tx, "index_format", "0")?;
        tx.commit().ctx("resetting the index format")?;
        self.checkpoint()
    }

    fn has_table(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = ?",
                [name],
                |r| r.get(0),
            )
            .ctx("reading the catalog")
    }

    fn has_column(&self, table: &str, column: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) > 0 FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                [table, column],
                |r| r.get(0),
            )
            .ctx("reading the catalog")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who wrote the database before this open.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Things the open sequence could not do but survived (for the caller to report).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// True when the file comes from a newer schema: reads only (`mubase.md` §4 step 4).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A `metadata` value, or for the daemon's own keys ([`schema::STATE_KEYS`]) a
    /// `mu_daemon_state` value (read from `metadata` in a file of an earlier build, opened
    /// read-only, which has no `mu_daemon_state` yet).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        let table = if schema::STATE_KEYS.contains(&key) && self.has_table("mu_daemon_state")? {
            "mu_daemon_state"
        } else {
            "metadata"
        };
        self.conn
            .query_row(
                &format!("SELECT value FROM {table} WHERE key = ?"),
                [key],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .ctx("reading metadata")
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        set_meta_on(&self.conn, key, value)
    }

    /// `CHECKPOINT` (after full builds and on clean shutdown).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("CHECKPOINT").ctx("checkpointing")
    }

    /// A second connection to the same database instance, for readers.
    pub fn reader(&self) -> Result<Connection> {
        self.conn.try_clone().ctx("opening a read connection")
    }
}

fn set_meta_on(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO metadata (key, value) VALUES (?, ?)",
        [key, value],
    )
    .ctx("writing metadata")?;
    Ok(())
}

/// ISO 8601 UTC with milliseconds, e.g. `2026-11-27T10:15:02.113Z`.
pub fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_pid_is_read_from_duckdb_message() {
        let msg = "IO Error: Could not set lock on file \"/p/.mu/mubase\": Conflicting lock is held in /usr/bin/python3.11 (PID 4242) by user ada. See also https://duckdb.org/docs/connect/concurrency";
        assert_eq!(parse_lock_pid(msg), Some(4242));
        assert_eq!(parse_lock_pid("IO Error: Could not set lock"), None);
    }

    #[test]
    fn state_keys_of_earlier_builds_move_out_of_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mubase");
        let opts = StoreOptions::default();
        {
            // A file of an earlier build: the state keys in metadata, no mu_daemon_state.
            let s = Store::open(&path, &opts, dir.path()).unwrap();
            s.conn
                .execute_batch(
                    "DROP TABLE mu_daemon_state;
                     INSERT INTO metadata VALUES ('index_generation', 'g1'), ('resolve_config_hash', 'h1');",
                )
                .unwrap();
            s.checkpoint().unwrap();
        }
        {
            // Read-only, nothing moves, and the keys are still found.
            let s = Store::open_read_only(&path, &opts).unwrap();
            assert_eq!(s.meta("index_generation").unwrap().as_deref(), Some("g1"));
            assert_eq!(
                s.meta("resolve_config_hash").unwrap().as_deref(),
                Some("h1")
            );
        }
        let s = Store::open(&path, &opts, dir.path()).unwrap();
        assert_eq!(s.meta("index_generation").unwrap().as_deref(), Some("g1"));
        assert_eq!(
            s.meta("resolve_config_hash").unwrap().as_deref(),
            Some("h1")
        );
        let keys: Vec<String> = {
            let mut st = s
                .conn
                .prepare("SELECT key FROM metadata ORDER BY key")
                .unwrap();
            let v = st.query_map([], |r| r.get(0)).unwrap();
            v.map(|k| k.unwrap()).collect()
        };
        assert_eq!(
            keys,
            [
                "builder",
                "created_at",
                "root_path",
                "schema_version",
                "version"
            ]
        );
        let state: Vec<(String, String)> = {
            let mut st = s
                .conn
                .prepare("SELECT key, value FROM mu_daemon_state ORDER BY key")
                .unwrap();
            let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            v.map(|k| k.unwrap()).collect()
        };
        assert_eq!(
            state,
            [
                ("index_generation".to_string(), "g1".to_string()),
                ("resolve_config_hash".to_string(), "h1".to_string())
            ]
        );
    }

    #[test]
    fn origin_classification() {
        assert_eq!(
            Origin::classify(Some("mu-daemon 0.1.0"), Some("1"), Some("1.0.0"), true),
            Origin::Native
        );
        assert_eq!(
            Origin::classify(None, Some("2.2.0"), None, true),
            Origin::MuRs
        );
        assert_eq!(
            Origin::classify(None, None, Some("1.0.0"), true),
            Origin::MuPy
        );
        assert_eq!(Origin::classify(None, None, None, false), Origin::Empty);
    }
}
