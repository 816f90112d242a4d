//! Scanning the project tree (`indexer.md` §3): which files are indexed, which are skipped and
//! why, and which resolution config files exist.

use std::path::{Path, PathBuf};

use crate::index::facts::Language;
use crate::index::lang::Grammar;

/// Directories never entered (`indexer.md` §3 rule 3).
pub const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".mu",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".eggs",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "site-packages",
    "target",
    "dist",
    "build",
    "out",
    "bin",
    "obj",
    "vendor",
    ".gradle",
    ".idea",
    ".vscode",
    ".next",
    ".nuxt",
    ".svelte-kit",
    ".turbo",
    ".parcel-cache",
    ".cache",
    "coverage",
];

/// Resolution config files read although they are not indexed (§3).
fn is_config_file(name: &str) -> bool {
    matches!(
        name,
        "jsconfig.json"
            | "package.json"
            | "pnpm-workspace.yaml"
            | "go.mod"
            | "go.work"
            | "Cargo.toml"
            | "pyproject.toml"
            | "setup.cfg"
            | "setup.py"
            | ".murc.toml"
    ) || (name.starts_with("tsconfig") && name.ends_with(".json"))
}

/// Default size cap: 1 MiB (`[scanner] max_file_size_kb` = 1024).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// A file that will be indexed (before its content is read).
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Relative, `/`-separated.
    pub path: String,
    pub abs: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    pub grammar: Grammar,
    pub language: Language,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    TooLarge,
    Minified,
    Undecodable,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::TooLarge => "too_large",
            SkipReason::Minified => "minified",
            SkipReason::Undecodable => "undecodable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
    pub size: u64,
}

#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by path.
    pub files: Vec<Candidate>,
    /// Files skipped for size or name; content-based skips are added by the reader.
    pub skipped: Vec<Skipped>,
    /// Config files, relative paths, sorted.
    pub config_files: Vec<String>,
    /// Directories and entries that could not be read (reported as warnings).
    pub warnings: Vec<String>,
}

/// Minified by name (§3 rule 6); the content rule is [`is_minified_content`].
pub fn is_minified_name(name: &str) -> bool {
    [".min.js", ".min.mjs", ".min.cjs", "-min.js", ".bundle.js"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// At least 2,048 bytes with a mean line length over 500 (§3 rule 6).
pub fn is_minified_content(bytes: &[u8]) -> bool {
    if bytes.len() < 2048 {
        return false;
    }
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    // mean = len / (newlines + 1) > 500, without integer rounding
    bytes.len() > 500 * (newlines + 1)
}

fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Walk the project root: `.gitignore` (also outside git), `.ignore`, git excludes, default skip
/// directories, hidden paths skipped, symbolic links never followed, byte order of names.
pub fn scan(root: &Path) -> ScanResult {
    walk(root, None)
}

/// The part of [`scan`]'s result that lies in `scope`: the given paths (relative,
/// `/`-separated) and everything below those that are directories. Only the directories on the
/// way to them are entered, so ignore files apply exactly as in a whole-tree scan.
pub fn scan_paths(root: &Path, scope: &[String]) -> ScanResult {
    walk(root, Some(scope))
}

/// Whether `path` is one of `scope` or lies below one of them.
pub fn in_scope(scope: &[String], path: &str) -> bool {
    scope.iter().any(|s| {
        s.is_empty()
            || path == s
            || (path.len() > s.len()
                && path.starts_with(s.as_str())
                && path.as_bytes()[s.len()] == b'/')
    })
}

/// Whether a directory must be entered to reach something in `scope`.
fn leads_to_scope(scope: &[String], dir: &str) -> bool {
    in_scope(scope, dir)
        || scope
            .iter()
            .any(|s| s.len() > dir.len() && s.starts_with(dir) && s.as_bytes()[dir.len()] == b'/')
}

/// `/`-joined components of a path relative to the root; `None` when not valid UTF-8 (§3 rule 4)
/// or outside the root.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    // A `\\` inside a Unix file name stays what it is.
    let parts = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<&str>>>()?;
    Some(parts.join("/"))
}

fn walk(root: &Path, scope: Option<&[String]>) -> ScanResult {
    let mut out = ScanResult::default();
    let scope_owned: Option<Vec<String>> = scope.map(<[String]>::to_vec);
    let root_owned = root.to_path_buf();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .parents(false)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .ignore(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()))
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if e.depth() == 0 {
                return true;
            }
            if is_dir {
                let name = e.file_name().to_string_lossy();
                if SKIP_DIRS.contains(&name.as_ref()) || name.ends_with(".egg-info") {
                    return false;
                }
            }
            match &scope_owned {
                None => true,
                Some(scope) => relative(&root_owned, e.path()).is_some_and(|rel| {
                    if is_dir {
                        leads_to_scope(scope, &rel)
                    } else {
                        in_scope(scope, &rel)
                    }
                }),
            }
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                out.warnings.push(err.to_string());
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if !ft.is_file() {
            // Directories are walked; symbolic links and special files are never indexed.
            continue;
        }
        let Some(rel) = relative(root, entry.path()) else {
            continue;
        };
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if is_config_file(name) {
            out.config_files.push(rel.clone());
        }
        let Some((grammar, language)) = Grammar::for_path(&rel) else {
            continue;
        };
        let md = match entry.metadata() {
            Ok(md) => md,
            Err(err) => {
                out.warnings.push(format!("{rel}: {err}"));
                continue;
            }
        };
        if md.len() > MAX_FILE_SIZE {
            out.skipped.push(Skipped {
                path: rel,
                reason: SkipReason::TooLarge,
                size: md.len(),
            });
            continue;
        }
        if is_minified_name(name) {
            out.skipped.push(Skipped {
                path: rel,
                reason: SkipReason::Minified,
                size: md.len(),
            });
            continue;
        }
        out.files.push(Candidate {
            abs: entry.path().to_path_buf(),
            path: rel,
            size: md.len(),
            mtime_ns: mtime_ns(&md),
            grammar,
            language,
        });
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.config_files.sort();
    out
}

/// A file already known to be indexed, as a candidate for reading again (size and mtime from
/// the file system); `None` when it is no longer a regular file.
pub fn candidate(
    root: &Path,
    rel: &str,
    grammar: Option<Grammar>,
    language: Language,
) -> Option<Candidate> {
    let abs = root.join(rel);
    let md = std::fs::symlink_metadata(&abs).ok()?;
    if !md.is_file() {
        return None;
    }
    Some(Candidate {
        path: rel.to_string(),
        size: md.len(),
        mtime_ns: mtime_ns(&md),
        grammar: grammar?,
        language,
        abs,
    })
}

/// Decode raw bytes for parsing (`indexer.md` §2): `None` when undecodable (a NUL byte in the
/// first 8 KiB); a UTF-8 BOM is dropped; UTF-16 with a BOM is transcoded.
pub fn decode(bytes: Vec<u8>) -> Option<Vec<u8>> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return Some(String::from_utf16_lossy(&units).into_bytes());
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return None;
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Some(bytes[3..].to_vec());
    }
    Some(bytes)
}

/// Line count of `mubase.md` §6.3: newlines, plus one for a non-empty file without a final
/// newline.
pub fn line_count(bytes: &[u8]) -> u32 {
    let n = bytes.iter().filter(|&&b| b == b'\n').count() as u32;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        n + 1
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minified_rules() {
        assert!(is_minified_name("vendor.min.js"));
        assert!(is_minified_name("app.bundle.js"));
        assert!(!is_minified_name("min.js"));
        assert!(is_minified_content(&vec![b'a'; 2048]));
        let mut lines = Vec::new();
        for _ in 0..100 {
            lines.extend_from_slice(&[b'x'; 40]);
            lines.push(b'\n');
        }
        assert!(!is_minified_content(&lines));
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFx = 1\n".to_vec()).unwrap(), b"x = 1\n");
        assert_eq!(decode(b"a\0b".to_vec()), None);
        assert_eq!(decode(vec![0xFF, 0xFE, b'x', 0, b'\n', 0]).unwrap(), b"x\n");
    }

    #[test]
    fn line_counts() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
