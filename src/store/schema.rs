//! MU's DDL, the added tables and indexes (`mubase.md` §2), and what an open does (§4, §5.3).

/// MU's core tables, verbatim (`mubase.md` §2.1). Column order must never change.
pub const CORE_DDL: &str = "
CREATE TABLE IF NOT EXISTS nodes (
    id VARCHAR PRIMARY KEY,
    type VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    qualified_name VARCHAR,
    file_path VARCHAR,
    line_start INTEGER,
    line_end INTEGER,
    properties JSON,
    complexity INTEGER DEFAULT 0
);

CREATE TABLE IF NOT EXISTS edges (
    id VARCHAR PRIMARY KEY,
    source_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    properties JSON
);

CREATE TABLE IF NOT EXISTS metadata (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
";

/// Tables this project adds (`mubase.md` §2.2).
pub const ADDED_DDL: &str = "
CREATE TABLE IF NOT EXISTS file_hashes (
    file_path    VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL,
    size         BIGINT,
    mtime_ns     BIGINT,
    language     VARCHAR,
    updated_at   TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS codebase_stats (
    key        VARCHAR PRIMARY KEY,
    value      JSON NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS mu_daemon_state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
";

/// The daemon's own bookkeeping keys, kept in `mu_daemon_state` so that `metadata` holds exactly
/// the keys of `mubase.md` §3. Earlier builds kept them in `metadata`; opening moves them.
pub const STATE_KEYS: [&str; 2] = ["index_generation", "resolve_config_hash"];

/// Moves [`STATE_KEYS`] written by earlier builds from `metadata` to `mu_daemon_state`.
pub const STATE_MIGRATION: &str = "
INSERT OR REPLACE INTO mu_daemon_state (key, value)
    SELECT key, value FROM metadata WHERE key IN ('index_generation', 'resolve_config_hash');
DELETE FROM metadata WHERE key IN ('index_generation', 'resolve_config_hash');
";

/// Indexes with MU's names (`mubase.md` §2.3).
pub const INDEX_DDL: &str = "
CREATE INDEX IF NOT EXISTS idx_nodes_type ON nodes(type);
CREATE INDEX IF NOT EXISTS idx_nodes_name ON nodes(name);
CREATE INDEX IF NOT EXISTS idx_nodes_file ON nodes(file_path);
CREATE INDEX IF NOT EXISTS idx_nodes_complexity ON nodes(complexity);
CREATE INDEX IF NOT EXISTS idx_edges_source ON edges(source_id);
CREATE INDEX IF NOT EXISTS idx_edges_target ON edges(target_id);
CREATE INDEX IF NOT EXISTS idx_edges_type ON edges(type);
";

/// MU-Rs created `file_hashes(file_path, content_hash, updated_at)`; the missing columns are
/// added (`mubase.md` §2.2) and its rows deleted by [`super::Store::open`].
pub const FILE_HASHES_UPGRADE: &str = "
ALTER TABLE file_hashes ADD COLUMN IF NOT EXISTS size BIGINT;
ALTER TABLE file_hashes ADD COLUMN IF NOT EXISTS mtime_ns BIGINT;
ALTER TABLE file_hashes ADD COLUMN IF NOT EXISTS language VARCHAR;
";

/// This build's storage schema (`metadata.schema_version`).
pub const SCHEMA_VERSION: u32 = 1;
/// Version of the extraction and resolution rules (`metadata.index_format`, `indexer.md`).
pub const INDEX_FORMAT: u32 = 1;

/// Who last wrote the file (`mubase.md` §4 step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Native,
    MuRs,
    MuPy,
    Empty,
}

impl Origin {
    pub fn classify(
        builder: Option<&str>,
        schema_version: Option<&str>,
        version: Option<&str>,
        has_nodes: bool,
    ) -> Origin {
        if builder.is_some_and(|b| b.starts_with("mu-daemon")) {
            Origin::Native
        } else if schema_version.is_some_and(|v| v.contains('.')) {
            Origin::MuRs
        } else if version.is_some() && has_nodes {
            Origin::MuPy
        } else if !has_nodes {
            Origin::Empty
        } else {
            Origin::MuPy
        }
    }

    pub fn is_mu(self) -> bool {
        matches!(self, Origin::MuRs | Origin::MuPy)
    }
}

/// SQL of `mubase.md` §5.3 step 1: backslashes become `/`. A primary key is only rewritten when it changes
/// and the new value is free (DuckDB 1.x cannot replay a WAL that sets a key to itself); rows
/// that would collide keep their old id and disappear with the full build that follows (§5.3.3).
pub const NORMALISE_SEPARATORS: [&str; 4] = [
    "UPDATE nodes SET id = replace(id, '\\', '/')
     WHERE contains(id, '\\')
       AND NOT EXISTS (SELECT 1 FROM nodes n2 WHERE n2.id = replace(nodes.id, '\\', '/'))",
    "UPDATE nodes SET file_path = replace(file_path, '\\', '/') WHERE contains(file_path, '\\')",
    "UPDATE edges SET id = replace(id, '\\', '/')
     WHERE contains(id, '\\')
       AND NOT EXISTS (SELECT 1 FROM edges e2 WHERE e2.id = replace(edges.id, '\\', '/'))",
    "UPDATE edges SET source_id = replace(source_id, '\\', '/'), target_id = replace(target_id, '\\', '/')
     WHERE contains(source_id, '\\') OR contains(target_id, '\\')",
];

/// §5.3 step 2: strip root `R/` (bound as `$1`, with its trailing `/`) where it follows `mod:`,
/// `cls:` or `fn:` in ids, and at the start of `file_path`. Same key rules as above.
pub const STRIP_ROOT: [&str; 4] = [
    "UPDATE nodes SET id = regexp_replace(id, '^(mod:|cls:|fn:)' || regexp_escape($1), '\\1')
     WHERE regexp_matches(id, '^(mod:|cls:|fn:)' || regexp_escape($1))
       AND NOT EXISTS (SELECT 1 FROM nodes n2
                       WHERE n2.id = regexp_replace(nodes.id, '^(mod:|cls:|fn:)' || regexp_escape($1), '\\1'))",
    "UPDATE nodes SET file_path = substr(file_path, length($1) + 1) WHERE starts_with(file_path, $1)",
    "UPDATE edges SET id = regexp_replace(id, '(mod:|cls:|fn:)' || regexp_escape($1), '\\1', 'g')
     WHERE contains(id, $1)
       AND NOT EXISTS (SELECT 1 FROM edges e2
                       WHERE e2.id = regexp_replace(edges.id, '(mod:|cls:|fn:)' || regexp_escape($1), '\\1', 'g'))",
    "UPDATE edges SET
        source_id = regexp_replace(source_id, '^(mod:|cls:|fn:)' || regexp_escape($1), '\\1'),
        target_id = regexp_replace(target_id, '^(mod:|cls:|fn:)' || regexp_escape($1), '\\1')
     WHERE contains(source_id, $1) OR contains(target_id, $1)",
];
