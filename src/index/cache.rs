//! The facts cache (`indexer.md` §11.2), persisted in `.mu/index-cache/facts-v<N>.bin`: the
//! facts of every indexed file, so a run re-parses only changed files, and the digests and owners
//! of the stored rows ([`StoredRows`]), so it diffs a new graph without reading the old one back
//! from DuckDB.
//!
//! Layout (little endian): a preamble (magic, codec version, `index_format`, builder id); the
//! body (each file's facts encoded with bincode, then the stored rows, ids front-coded); the
//! header (per file: path, content hash, language, line count, parse error figures and where
//! its facts are in the body; the body's length and checksum); a trailer with the header's
//! length and checksum. An engine reads the header when it opens (a few hundred KB at most) and
//! the body only when it has to resolve. Writing streams the body, so the encoded facts are
//! never all in memory.
//!
//! Safe to delete: missing facts mean re-parsing; missing or stale rows (their generation differs
//! from `mu_daemon_state.index_generation`, e.g. after a crash between commit and save) mean reading the
//! stored rows from the database instead. Anything unexpected in the file makes it count as
//! absent.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::index::facts::{FileFacts, Language};
use crate::index::rows::{RowSet, StoredRows};
use crate::store::schema::INDEX_FORMAT;

const MAGIC: &[u8; 8] = b"MUFACTS\0";
/// Version of this file layout.
const CODEC_VERSION: u32 = 1;

/// What the header says about one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub path: String,
    pub content_hash: String,
    pub language: Language,
    pub total_lines: u32,
    pub parse_errors: u32,
    pub parse_failed: bool,
    /// Range of the encoded facts in the body.
    offset: u64,
    len: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Header {
    entries: Vec<EntryMeta>,
    /// Generation of the stored rows in the body (empty: none saved).
    generation: String,
    rows_offset: u64,
    rows_len: u64,
    body_len: u64,
    body_hash: u64,
}

/// An opened cache file: the header is read, the body is not.
#[derive(Debug)]
pub struct CacheFile {
    file: File,
    body_start: u64,
    header: Header,
}

/// The body of a cache file, checked.
#[derive(Debug)]
pub struct Body {
    bytes: Vec<u8>,
}

fn bincode_opts() -> impl bincode::Options {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_varint_encoding()
        .with_little_endian()
        .allow_trailing_bytes()
}

fn encode<T: Serialize>(v: &T) -> Option<Vec<u8>> {
    use bincode::Options;
    bincode_opts().serialize(v).ok()
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    use bincode::Options;
    bincode_opts().deserialize(bytes).ok()
}

/// Identifies the extractor that wrote the cache: the version plus the executable's size and
/// modification time, so a rebuilt binary never trusts facts of an older extractor.
fn build_id() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}-{}", m.len(), mtime)
        })
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

pub fn cache_path(dir: &Path) -> PathBuf {
    dir.join(format!("facts-v{INDEX_FORMAT}.bin"))
}

fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Open the cache and read its header; `None` when absent, of another build or damaged.
pub fn open(dir: &Path) -> Option<CacheFile> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(cache_path(dir)).ok()?;
    let mut pre = [0u8; 8 + 4 + 4 + 4];
    file.read_exact(&mut pre).ok()?;
    if &pre[..8] != MAGIC
        || u32::from_le_bytes(pre[8..12].try_into().ok()?) != CODEC_VERSION
        || u32::from_le_bytes(pre[12..16].try_into().ok()?) != INDEX_FORMAT
    {
        return None;
    }
    let builder_len = u32::from_le_bytes(pre[16..20].try_into().ok()?) as usize;
    if builder_len > 4096 {
        return None;
    }
    let mut builder = vec![0u8; builder_len];
    file.read_exact(&mut builder).ok()?;
    if builder != build_id().as_bytes() {
        return None;
    }
    let body_start = (20 + builder_len) as u64;
    let file_len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(file_len.checked_sub(16)?)).ok()?;
    let mut trailer = [0u8; 16];
    file.read_exact(&mut trailer).ok()?;
    let header_len = u64::from_le_bytes(trailer[..8].try_into().ok()?);
    let header_hash = u64::from_le_bytes(trailer[8..].try_into().ok()?);
    let header_start = file_len.checked_sub(16)?.checked_sub(header_len)?;
    if header_start < body_start {
        return None;
    }
    file.seek(SeekFrom::Start(header_start)).ok()?;
    let mut hbytes = vec![0u8; header_len as usize];
    file.read_exact(&mut hbytes).ok()?;
    if hash(&hbytes) != header_hash {
        return None;
    }
    let header: Header = decode(&hbytes)?;
    if body_start.checked_add(header.body_len)? != header_start {
        return None;
    }
    Some(CacheFile {
        file,
        body_start,
        header,
    })
}

impl CacheFile {
    pub fn entries(&self) -> &[EntryMeta] {
        &self.header.entries
    }

    /// Generation of the stored rows the cache holds, if any.
    pub fn rows_generation(&self) -> Option<&str> {
        Some(self.header.generation.as_str()).filter(|g| !g.is_empty())
    }

    /// Read and check the body.
    pub fn body(&mut self) -> Option<Body> {
        use std::io::{Seek, SeekFrom};
        self.file.seek(SeekFrom::Start(self.body_start)).ok()?;
        let mut bytes = vec![0u8; self.header.body_len as usize];
        self.file.read_exact(&mut bytes).ok()?;
        (hash(&bytes) == self.header.body_hash).then_some(Body { bytes })
    }

    /// Decode the facts of the entries `wanted` (indexes into [`CacheFile::entries`]) in
    /// parallel; `None` for an entry that does not decode.
    pub fn facts(&self, body: &Body, wanted: &[usize]) -> Vec<Option<FileFacts>> {
        wanted
            .par_iter()
            .map(|&i| {
                let e = self.header.entries.get(i)?;
                let end = e.offset.checked_add(e.len)?;
                let bytes = body.bytes.get(e.offset as usize..end as usize)?;
                decode::<FileFacts>(bytes)
            })
            .collect()
    }

    /// The stored rows, when the cache has them.
    pub fn rows(&self, body: &Body) -> Option<StoredRows> {
        let g = self.rows_generation()?;
        let end = self.header.rows_offset.checked_add(self.header.rows_len)?;
        let bytes = body
            .bytes
            .get(self.header.rows_offset as usize..end as usize)?;
        let enc: RowsOut = decode(bytes)?;
        Some(StoredRows {
            generation: g.to_string(),
            nodes: enc.nodes.into_set()?,
            edges: enc.edges.into_set()?,
        })
    }
}

/// A row set on disk: ids front-coded (sorted ids share long prefixes), owners as indexes into
/// a table of paths (0 = none).
#[derive(Serialize, Deserialize)]
struct RowSetOut {
    ids: Vec<u8>,
    count: u64,
    digests: Vec<u64>,
    owner_table: Vec<String>,
    owners: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
struct RowsOut {
    nodes: RowSetOut,
    edges: RowSetOut,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

impl RowSetOut {
    fn from_set(set: &RowSet) -> RowSetOut {
        let mut ids = Vec::with_capacity(set.text_len() / 3);
        let mut prev: &str = "";
        let mut table: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        let mut owners = Vec::with_capacity(set.len());
        let mut digests = Vec::with_capacity(set.len());
        for i in 0..set.len() {
            let id = set.id(i);
            let shared = prev
                .bytes()
                .zip(id.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            // Never split a UTF-8 character.
            let shared = (0..=shared)
                .rev()
                .find(|&k| id.is_char_boundary(k))
                .unwrap_or(0);
            put_varint(&mut ids, shared as u64);
            put_varint(&mut ids, (id.len() - shared) as u64);
            ids.extend_from_slice(&id.as_bytes()[shared..]);
            prev = id;
            digests.push(set.digest(i));
            owners.push(match set.owner(i) {
                None => 0,
                Some(o) => *index.entry(o).or_insert_with(|| {
                    table.push(o.to_string());
                    table.len() as u32
                }),
            });
        }
        RowSetOut {
            ids,
            count: set.len() as u64,
            digests,
            owner_table: table,
            owners,
        }
    }

    fn into_set(self) -> Option<RowSet> {
        let n = self.count as usize;
        if self.digests.len() != n || self.owners.len() != n {
            return None;
        }
        let table: Vec<Arc<str>> = self
            .owner_table
            .iter()
            .map(|s| Arc::from(s.as_str()))
            .collect();
        let mut set = RowSet::with_capacity(n, self.ids.len() * 3);
        let mut pos = 0;
        let mut prev = String::new();
        for k in 0..n {
            let shared = get_varint(&self.ids, &mut pos)? as usize;
            let len = get_varint(&self.ids, &mut pos)? as usize;
            let suffix = self.ids.get(pos..pos.checked_add(len)?)?;
            pos += len;
            if shared > prev.len() || !prev.is_char_boundary(shared) {
                return None;
            }
            prev.truncate(shared);
            prev.push_str(std::str::from_utf8(suffix).ok()?);
            if k > 0 && set.id(k - 1) >= prev.as_str() {
                return None;
            }
            let owner = match self.owners[k] {
                0 => None,
                o => Some(table.get(o as usize - 1)?.clone()),
            };
            set.push(&prev, self.digests[k], owner);
        }
        Some(set)
    }
}

/// One file to save: its header fields and its facts.
pub struct EntryIn<'a> {
    pub path: &'a str,
    pub content_hash: &'a str,
    pub language: Language,
    pub total_lines: u32,
    pub facts: &'a FileFacts,
}

/// Replace the cache atomically (write a temporary file, then rename). Facts are encoded in
/// parallel (call inside the engine's pool).
pub fn save(dir: &Path, entries: &[EntryIn<'_>], rows: Option<&StoredRows>) -> std::io::Result<()> {
    if !dir.is_dir() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)?;
    }
    let tmp = dir.join(format!(".facts-v{INDEX_FORMAT}.bin.tmp"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 20, opts.open(&tmp)?);
    let builder = build_id();
    w.write_all(MAGIC)?;
    w.write_all(&CODEC_VERSION.to_le_bytes())?;
    w.write_all(&INDEX_FORMAT.to_le_bytes())?;
    w.write_all(&(builder.len() as u32).to_le_bytes())?;
    w.write_all(builder.as_bytes())?;

    // The body streams out in chunks (encoded in parallel), so at most one chunk of encoded
    // facts is in memory; the header, which says where each file's facts are, follows it.
    let mut header = Header::default();
    let mut body_hash = xxhash_rust::xxh3::Xxh3::new();
    let mut offset = 0u64;
    for chunk in entries.chunks(256) {
        let blobs: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|e| encode(e.facts).unwrap_or_default())
            .collect();
        for (e, blob) in chunk.iter().zip(&blobs) {
            header.entries.push(EntryMeta {
                path: e.path.to_string(),
                content_hash: e.content_hash.to_string(),
                language: e.language,
                total_lines: e.total_lines,
                parse_errors: e.facts.parse_errors,
                parse_failed: e.facts.parse_failed,
                offset,
                len: blob.len() as u64,
            });
            offset += blob.len() as u64;
            body_hash.update(blob);
            w.write_all(blob)?;
        }
    }
    let rows_bytes = match rows {
        Some(r) => {
            let out = RowsOut {
                nodes: RowSetOut::from_set(&r.nodes),
                edges: RowSetOut::from_set(&r.edges),
            };
            header.generation = r.generation.clone();
            encode(&out).unwrap_or_default()
        }
        None => Vec::new(),
    };
    body_hash.update(&rows_bytes);
    w.write_all(&rows_bytes)?;
    header.rows_offset = offset;
    header.rows_len = rows_bytes.len() as u64;
    header.body_len = offset + rows_bytes.len() as u64;
    header.body_hash = body_hash.digest();
    drop(rows_bytes);
    let hbytes = encode(&header).ok_or_else(|| std::io::Error::other("cache header"))?;
    w.write_all(&hbytes)?;
    w.write_all(&(hbytes.len() as u64).to_le_bytes())?;
    w.write_all(&hash(&hbytes).to_le_bytes())?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, cache_path(dir))?;
    // The JSON cache of earlier versions is obsolete.
    let _ = std::fs::remove_file(dir.join(format!("facts-v{INDEX_FORMAT}.json")));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::lang::{parse_and_extract, Grammar};
    use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

    /// Facts of real extractor output survive the binary codec unchanged, for every grammar
    /// (serde attributes a non-self-describing format cannot carry would fail here).
    #[test]
    fn facts_and_rows_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut sources = Vec::new();
        fn walk(d: &Path, out: &mut Vec<(String, Grammar, Vec<u8>)>) {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if let Some((g, _)) = Grammar::for_path(&p.to_string_lossy()) {
                    out.push((p.display().to_string(), g, std::fs::read(&p).unwrap()));
                }
            }
        }
        walk(&fixtures, &mut sources);
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(sources.len() > 10);
        let facts: Vec<(String, FileFacts, Language)> = sources
            .iter()
            .map(|(p, g, src)| {
                let l = Grammar::for_path(p).unwrap().1;
                (p.clone(), parse_and_extract(*g, src), l)
            })
            .collect();
        let entries: Vec<EntryIn<'_>> = facts
            .iter()
            .map(|(p, f, l)| EntryIn {
                path: p,
                content_hash: "h",
                language: *l,
                total_lines: 3,
                facts: f,
            })
            .collect();
        let nodes = vec![NodeRow {
            id: "mod:ü/a.py".into(),
            node_type: NodeType::Module,
            name: "a".into(),
            qualified_name: None,
            file_path: Some("ü/a.py".into()),
            line_start: None,
            line_end: None,
            properties: "{}".into(),
            complexity: 0,
        }];
        let edges = vec![EdgeRow {
            id: "edge:mod:ü/a.py:imports:ext:os".into(),
            source_id: "mod:ü/a.py".into(),
            target_id: "ext:os".into(),
            edge_type: EdgeType::Imports,
            properties: "{}".into(),
        }];
        let rows = crate::index::rows::stored_rows(&nodes, &edges, "gen".into());
        save(dir.path(), &entries, Some(&rows)).unwrap();

        let mut c = open(dir.path()).expect("cache opens");
        assert_eq!(c.entries().len(), facts.len());
        assert_eq!(c.rows_generation(), Some("gen"));
        let body = c.body().unwrap();
        let all: Vec<usize> = (0..facts.len()).collect();
        let back = c.facts(&body, &all);
        for ((p, f, _), b) in facts.iter().zip(back) {
            assert_eq!(b.as_ref(), Some(f), "{p}");
        }
        assert_eq!(c.rows(&body), Some(rows));

        // A damaged body is detected.
        let path = cache_path(dir.path());
        let good = std::fs::read(&path).unwrap();
        let mut bytes = good.clone();
        bytes[20 + build_id().len() + 2] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let mut c = open(dir.path()).expect("header still fine");
        assert!(c.body().is_none());
        // A damaged header or trailer makes the whole cache absent.
        let mut bytes = good.clone();
        let n = bytes.len();
        bytes[n - 20] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        assert!(open(dir.path()).is_none());
        std::fs::write(&path, &good[..n - 1]).unwrap();
        assert!(open(dir.path()).is_none());
    }
}
