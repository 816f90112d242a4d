//! Finding the project root and its `.mu/` paths (`cli-and-registry.md` §2.2, §9), and `MU_HOME`.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("No such file or directory: {}", .0.display())]
    NotFound(PathBuf),
    #[error("Refusing to index {} (home directory or filesystem root).", .0.display())]
    Refused(PathBuf),
    #[error("Cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A project root and the files mu-daemon keeps under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Canonical absolute path of the root.
    pub root: PathBuf,
}

impl Project {
    pub fn mu_dir(&self) -> PathBuf {
        self.root.join(".mu")
    }
    pub fn mubase_path(&self) -> PathBuf {
        self.mu_dir().join("mubase")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.mu_dir().join("daemon.lock")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.mu_dir().join("index-cache")
    }
    /// Whether the project has been indexed (`.mu/mubase` is a file).
    pub fn is_indexed(&self) -> bool {
        self.mubase_path().is_file()
    }

    /// Create `.mu/` with mode 0700 when missing.
    ///
    /// Several processes may race here (parallel `start`s on one project): a directory that
    /// appeared between the check and the create counts as success.
    pub fn ensure_mu_dir(&self) -> std::io::Result<()> {
        let dir = self.mu_dir();
        if dir.is_dir() {
            return Ok(());
        }
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match b.create(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            other => other,
        }
    }
}

/// The registry directory: `MU_HOME` when set, else `~/.mu`.
pub fn mu_home() -> Option<PathBuf> {
    match std::env::var_os("MU_HOME") {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => dirs::home_dir().map(|h| h.join(".mu")),
    }
}

/// Resolve `[PATH]` the way every project command does (§2.2).
///
/// Walks up from the canonical path to the nearest directory holding a file `.mu/mubase`; when
/// there is none and `create` is true, the path itself becomes a new project root, except the
/// home directory, `MU_HOME` and `/`.
pub fn resolve_root(path: &Path, create: bool) -> Result<Option<Project>, ProjectError> {
    let canonical = std::fs::canonicalize(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            // Missing, or a dangling symbolic link.
            ProjectError::NotFound(path.to_path_buf())
        } else {
            ProjectError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let start = if canonical.is_dir() {
        canonical
    } else {
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(canonical)
    };
    let registry = mu_home().and_then(|h| std::fs::canonicalize(h).ok());
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let mu = d.join(".mu");
        // MU_HOME is never taken for a project's `.mu`, and the home directory and `/` are never
        // project roots (§2.2): walking up passes them by.
        let is_registry =
            registry.is_some() && mu.is_dir() && std::fs::canonicalize(&mu).ok() == registry;
        if !is_registry && mu.join("mubase").is_file() && !is_refused_root(d) {
            return Ok(Some(Project {
                root: d.to_path_buf(),
            }));
        }
        dir = d.parent();
    }
    if !create {
        return Ok(None);
    }
    if is_refused_root(&start) {
        return Err(ProjectError::Refused(start));
    }
    Ok(Some(Project { root: start }))
}

fn is_refused_root(dir: &Path) -> bool {
    if dir.parent().is_none() {
        return true;
    }
    let same = |p: Option<PathBuf>| {
        p.and_then(|p| std::fs::canonicalize(p).ok())
            .is_some_and(|p| p == dir)
    };
    same(dirs::home_dir()) || same(mu_home())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn racing_creators_of_mu_dir_all_succeed() {
        for _ in 0..50 {
            let tmp = tempfile::tempdir().unwrap();
            let project = Project {
                root: tmp.path().to_path_buf(),
            };
            let barrier = std::sync::Barrier::new(8);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            project.ensure_mu_dir()
                        })
                    })
                    .collect();
                for h in handles {
                    h.join().unwrap().unwrap();
                }
            });
            assert!(project.mu_dir().is_dir());
        }
    }

    #[test]
    fn a_file_named_mu_is_still_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".mu"), b"").unwrap();
        let project = Project {
            root: tmp.path().to_path_buf(),
        };
        let err = project.ensure_mu_dir().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    }
}
