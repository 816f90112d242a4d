//! The file watcher: notify events, debounced into batches of paths for the indexer.
//!
//! [`Watcher::start`] watches a project root recursively (inotify on Linux, through
//! `notify`'s recommended watcher, symbolic links not followed — as the indexer's own scan)
//! and delivers [`Batch`]es on a channel. The watcher does not classify paths: the indexer
//! (`Engine::apply`) decides per path whether it was created, modified, deleted or ignored, and
//! when an ignore file among them calls for a rescan. The watcher only
//!
//! - leaves out `<root>/.mu/` (the daemon writes its database and log there: reporting them
//!   would loop) and `<root>/.git/`, except `.git/info/exclude` (an ignore file);
//! - leaves out reads (open, close without writing): the indexer reads the files it is told
//!   about, and must not be told about its own reads;
//! - reports both paths of a rename, a removed or renamed directory as the directory's path
//!   (the indexer takes it as a prefix), and a directory that appeared (created or moved in)
//!   as its path plus every path found under it when the batch is emitted — files created in a new
//!   directory before its watch was added raise no event of their own;
//! - turns an event-queue overflow, or any error `notify` reports while running (logged with
//!   `log::warn!`), into [`Batch::Rescan`]: events may have been lost.
//!
//! Debounce: a batch is emitted when no event arrived for [`WatchOptions::quiet`], or when
//! [`WatchOptions::max_wait`] has passed since the batch's first event, whichever comes first,
//! so a steady stream of writes still yields a batch every `max_wait`. Paths are absolute,
//! deduplicated and sorted.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

/// How long the watcher waits before emitting a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Emit once no event arrived for this long.
    pub quiet: Duration,
    /// Emit at the latest this long after the first event of the batch.
    pub max_wait: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            quiet: Duration::from_millis(150),
            max_wait: Duration::from_secs(1),
        }
    }
}

/// What the watcher hands to the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// Paths that changed: absolute, deduplicated, sorted; files or directories, existing or
    /// not.
    Paths(Vec<PathBuf>),
    /// Events were lost (queue overflow, watcher error): reconcile the whole tree.
    Rescan,
}

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The per-user limit on inotify watches (one per directory) was reached.
    #[error(
        "cannot watch {}: the inotify watch limit (one per directory) is reached; raise it \
         (e.g. `sudo sysctl fs.inotify.max_user_watches=524288`, and in /etc/sysctl.d to keep \
         it) or run with --no-watch",
        root.display()
    )]
    WatchLimit { root: PathBuf },
    /// The per-user limit on inotify instances was reached (or the process is out of file
    /// descriptors).
    #[error(
        "cannot start the file watcher: too many inotify instances or open files; raise \
         fs.inotify.max_user_instances (e.g. `sudo sysctl fs.inotify.max_user_instances=512`) or \
         the open-file limit, or run with --no-watch"
    )]
    InstanceLimit(#[source] notify::Error),
    /// Any other failure of `notify` to start or to watch the root.
    #[error("cannot watch {}: {source} (run with --no-watch to do without)", root.display())]
    Notify {
        root: PathBuf,
        #[source]
        source: notify::Error,
    },
    /// The root could not be made absolute.
    #[error("cannot watch {}: {source}", root.display())]
    Root {
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The debounce thread could not be spawned.
    #[error("cannot start the file watcher's thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// A running watcher. Stop it with [`Watcher::flush_and_stop`]; dropping it stops it too,
/// dropping the batch not yet emitted.
#[derive(Debug)]
pub struct Watcher {
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    notify: RecommendedWatcher,
    control: Sender<Msg>,
    /// Disconnected when the debounce thread ends (its sender is dropped; nothing is sent).
    done: Receiver<()>,
    thread: JoinHandle<()>,
}

/// How long dropping a [`Watcher`] waits for its debounce thread.
const DROP_BUDGET: Duration = Duration::from_secs(1);

/// How often starting retries a recursive watch that failed because a subdirectory vanished
/// while it was being walked.
const WATCH_TRIES: usize = 3;

/// `EMFILE` on Linux: `inotify_init1` failing for lack of instances or descriptors.
const EMFILE: i32 = 24;

impl Watcher {
    /// Start watching `root` recursively; batches are delivered on the returned channel from
    /// a debounce thread the `Watcher` owns. The channel closes when the watcher stops.
    pub fn start(
        root: &Path,
        opts: WatchOptions,
    ) -> Result<(Watcher, Receiver<Batch>), WatchError> {
        let root = std::path::absolute(root).map_err(|source| WatchError::Root {
            root: root.to_path_buf(),
            source,
        })?;
        let (control, events) = mpsc::channel::<Msg>();
        let handler_tx = control.clone();
        let handler_root = root.clone();
        let handler = move |res: notify::Result<Event>| {
            let msg = match res {
                Ok(event) => classify(&handler_root, &event),
                Err(err) => {
                    log_runtime_error(&err);
                    Some(Msg::Rescan)
                }
            };
            if let Some(msg) = msg {
                // The debounce thread is gone only while stopping: nothing left to tell.
                let _ = handler_tx.send(msg);
            }
        };
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut notify = RecommendedWatcher::new(handler, config).map_err(|source| {
            if is_emfile(&source) {
                WatchError::InstanceLimit(source)
            } else {
                WatchError::Notify {
                    root: root.clone(),
                    source,
                }
            }
        })?;
        watch_root(&mut notify, &root)?;

        let (batches_tx, batches) = mpsc::channel();
        let (done_tx, done) = mpsc::channel::<()>();
        let thread_root = root.clone();
        let thread = thread::Builder::new()
            .name("mu-watch".into())
            .spawn(move || {
                let _done = done_tx;
                debounce(&thread_root, opts, &events, &batches_tx);
            })
            .map_err(WatchError::Thread)?;
        let running = Running {
            notify,
            control,
            done,
            thread,
        };
        Ok((
            Watcher {
                running: Some(running),
            },
            batches,
        ))
    }

    /// Stop watching and deliver the pending (not yet emitted) batch immediately on the
    /// channel, within `budget`; then the channel closes. Listing the files of a directory
    /// that appeared stops at the budget (the directory's own path is reported anyway).
    pub fn flush_and_stop(mut self, budget: Duration) {
        self.stop(true, budget);
    }

    fn stop(&mut self, flush: bool, budget: Duration) {
        let Some(running) = self.running.take() else {
            return;
        };
        let deadline = Instant::now().checked_add(budget);
        // No new events after this; a few the notify thread already read may still come, and
        // those sent after `Stop` are dropped with the channel.
        drop(running.notify);
        let _ = running.control.send(Msg::Stop { flush, deadline });
        drop(running.control);
        match running.done.recv_timeout(budget) {
            Err(RecvTimeoutError::Timeout) => {
                log::warn!("the file watcher's thread did not stop within {budget:?}; left behind");
            }
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                if running.thread.join().is_err() {
                    log::warn!("the file watcher's thread panicked");
                }
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop(false, DROP_BUDGET);
    }
}

/// Watch `root` recursively. A subdirectory removed while notify walks the tree fails the
/// whole watch with `PathNotFound`: retry while the root itself is there.
fn watch_root(notify: &mut RecommendedWatcher, root: &Path) -> Result<(), WatchError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match notify.watch(root, RecursiveMode::Recursive) {
            Ok(()) => return Ok(()),
            Err(err) if matches!(err.kind, notify::ErrorKind::MaxFilesWatch) => {
                return Err(WatchError::WatchLimit {
                    root: root.to_path_buf(),
                });
            }
            Err(err)
                if matches!(err.kind, notify::ErrorKind::PathNotFound)
                    && tries < WATCH_TRIES
                    && root.is_dir() =>
            {
                log::debug!("retrying the watch of {}: {err}", root.display());
            }
            Err(source) => {
                return Err(WatchError::Notify {
                    root: root.to_path_buf(),
                    source,
                })
            }
        }
    }
}

fn is_emfile(err: &notify::Error) -> bool {
    matches!(&err.kind, notify::ErrorKind::Io(io) if io.raw_os_error() == Some(EMFILE))
}

fn log_runtime_error(err: &notify::Error) {
    if matches!(err.kind, notify::ErrorKind::MaxFilesWatch) {
        log::warn!(
            "file watcher: the inotify watch limit is reached, new directories are not watched \
             ({err}); raise fs.inotify.max_user_watches or run with --no-watch"
        );
    } else {
        log::warn!("file watcher: {err}; rescanning");
    }
}

/// What the notify handler and the `Watcher` tell the debounce thread.
#[derive(Debug, PartialEq, Eq)]
enum Msg {
    /// Changed paths (already filtered). `appeared`: those that may be a directory created or
    /// moved in, whose contents are listed when the batch is emitted.
    Change {
        paths: Vec<PathBuf>,
        appeared: Vec<PathBuf>,
    },
    /// Events were lost.
    Rescan,
    /// Stop; emit the pending batch first when `flush`, listing new directories until
    /// `deadline`.
    Stop {
        flush: bool,
        deadline: Option<Instant>,
    },
}

/// The message one notify event makes, if any.
fn classify(root: &Path, event: &Event) -> Option<Msg> {
    if event.need_rescan() {
        return Some(Msg::Rescan);
    }
    let may_appear = match event.kind {
        // Written and closed: the data is there now.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        // Reads, including the indexer's own.
        EventKind::Access(_) => return None,
        EventKind::Create(_) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => false,
        EventKind::Modify(ModifyKind::Name(_)) => true,
        EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => false,
    };
    let paths: Vec<PathBuf> = event
        .paths
        .iter()
        .filter(|p| !excluded(root, p))
        .cloned()
        .collect();
    if paths.is_empty() {
        return None;
    }
    let appeared = if may_appear {
        paths.clone()
    } else {
        Vec::new()
    };
    Some(Msg::Change { paths, appeared })
}

/// `<root>/.mu` and everything under it; `<root>/.git` and everything under it except
/// `.git/info/exclude`.
fn excluded(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    match rel.components().next() {
        Some(Component::Normal(first)) if first == ".mu" => true,
        Some(Component::Normal(first)) if first == ".git" => rel != Path::new(".git/info/exclude"),
        _ => false,
    }
}

/// The batch being gathered.
#[derive(Debug, Default)]
struct Pending {
    paths: BTreeSet<PathBuf>,
    appeared: BTreeSet<PathBuf>,
    rescan: bool,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Pending {
    fn touch(&mut self) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    fn add(&mut self, paths: Vec<PathBuf>, appeared: Vec<PathBuf>) {
        self.touch();
        if !self.rescan {
            self.paths.extend(paths);
            self.appeared.extend(appeared);
        }
    }

    fn set_rescan(&mut self) {
        self.touch();
        self.rescan = true;
        self.paths.clear();
        self.appeared.clear();
    }

    /// When the batch is due: `None` when there is none (or it never is).
    fn due(&self, opts: &WatchOptions) -> Option<Instant> {
        let quiet = self.last?.checked_add(opts.quiet);
        let max = self.first?.checked_add(opts.max_wait);
        match (quiet, max) {
            (Some(q), Some(m)) => Some(q.min(m)),
            (q, m) => q.or(m),
        }
    }

    /// The batch, leaving `self` empty; directories that appeared are listed until `deadline`.
    fn take(&mut self, root: &Path, deadline: Option<Instant>) -> Option<Batch> {
        let pending = std::mem::take(self);
        if pending.rescan {
            return Some(Batch::Rescan);
        }
        let mut paths = pending.paths;
        for dir in &pending.appeared {
            let is_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
            if is_dir && !list_tree(root, dir, &mut paths, deadline) {
                log::debug!("listing {} stopped at the deadline", dir.display());
                break;
            }
        }
        if paths.is_empty() {
            None
        } else {
            Some(Batch::Paths(paths.into_iter().collect()))
        }
    }
}

/// Add every path under `dir` (links not followed) to `out`, leaving out what [`excluded`]
/// does. Subdirectories too: whether their own creation raised an event is a race with notify
/// adding watches, and a batch should not depend on it. `false` when stopped by `deadline`.
fn list_tree(
    root: &Path,
    dir: &Path,
    out: &mut BTreeSet<PathBuf>,
    deadline: Option<Instant>,
) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            if deadline.is_some_and(|t| Instant::now() >= t) {
                return false;
            }
            let path = entry.path();
            if excluded(root, &path) {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path.clone());
            }
            out.insert(path);
        }
    }
    true
}

/// The debounce thread: gather messages into a batch, emit it when due. Ends on `Stop`, when
/// every sender is gone, or when nobody receives batches any more.
fn debounce(root: &Path, opts: WatchOptions, events: &Receiver<Msg>, batches: &Sender<Batch>) {
    let mut pending = Pending::default();
    let emit = |pending: &mut Pending, deadline: Option<Instant>| -> bool {
        match pending.take(root, deadline) {
            Some(batch) => batches.send(batch).is_ok(),
            None => true,
        }
    };
    loop {
        let msg = match pending.due(&opts) {
            None => match events.recv() {
                Ok(msg) => msg,
                Err(_) => return,
            },
            Some(due) => {
                let now = Instant::now();
                if now >= due {
                    // Listing new directories may take up to `max_wait` more.
                    if !emit(&mut pending, now.checked_add(opts.max_wait)) {
                        return;
                    }
                    continue;
                }
                match events.recv_timeout(due - now) {
                    Ok(msg) => msg,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => {
                        emit(&mut pending, now.checked_add(opts.max_wait));
                        return;
                    }
                }
            }
        };
        match msg {
            Msg::Change { paths, appeared } => pending.add(paths, appeared),
            Msg::Rescan => pending.set_rescan(),
            Msg::Stop { flush, deadline } => {
                if flush {
                    emit(&mut pending, deadline);
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, Flag, RemoveKind};
    use std::fs;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Generous bound on any wait for a batch that should come.
    const WAIT: Duration = Duration::from_secs(5);
    /// How long to listen for a batch that should not come.
    const SILENCE: Duration = Duration::from_millis(800);

    /// Wider than the defaults, so that a loaded machine (the crate's whole suite runs in
    /// parallel) does not split what a test writes at once into two batches.
    const TEST_OPTS: WatchOptions = WatchOptions {
        quiet: Duration::from_millis(400),
        max_wait: Duration::from_secs(3),
    };

    fn start(root: &Path) -> (Watcher, Receiver<Batch>) {
        Watcher::start(root, TEST_OPTS).expect("watcher starts")
    }

    fn next(rx: &Receiver<Batch>) -> Batch {
        rx.recv_timeout(WAIT).expect("a batch within 5 s")
    }

    fn assert_silent(rx: &Receiver<Batch>) {
        match rx.recv_timeout(SILENCE) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("expected no batch, got {other:?}"),
        }
    }

    fn paths(root: &Path, rels: &[&str]) -> Batch {
        let mut v: Vec<PathBuf> = rels.iter().map(|r| root.join(r)).collect();
        v.sort();
        Batch::Paths(v)
    }

    #[test]
    fn default_options() {
        let o = WatchOptions::default();
        assert_eq!(o.quiet, Duration::from_millis(150));
        assert_eq!(o.max_wait, Duration::from_secs(1));
    }

    #[test]
    fn watcher_is_send() {
        fn send<T: Send>() {}
        send::<Watcher>();
    }

    #[test]
    fn excluded_paths() {
        let root = Path::new("/p");
        assert!(excluded(root, Path::new("/p/.mu")));
        assert!(excluded(root, Path::new("/p/.mu/mubase")));
        assert!(excluded(root, Path::new("/p/.git")));
        assert!(excluded(root, Path::new("/p/.git/HEAD")));
        assert!(excluded(root, Path::new("/p/.git/info")));
        assert!(!excluded(root, Path::new("/p/.git/info/exclude")));
        assert!(!excluded(root, Path::new("/p/src/.git/HEAD")));
        assert!(!excluded(root, Path::new("/p/src/.mu/x")));
        assert!(!excluded(root, Path::new("/p/.mux")));
        assert!(!excluded(root, Path::new("/p/.gitignore")));
        assert!(!excluded(root, Path::new("/p")));
    }

    #[test]
    fn classify_events() {
        let root = Path::new("/p");
        let ev = |kind: EventKind, ps: &[&str]| {
            ps.iter()
                .fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p)))
        };
        let open = ev(
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            &["/p/a"],
        );
        assert_eq!(classify(root, &open), None);
        let read = ev(
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            &["/p/a"],
        );
        assert_eq!(classify(root, &read), None);
        let closed = ev(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            &["/p/a"],
        );
        assert_eq!(
            classify(root, &closed),
            Some(Msg::Change {
                paths: vec!["/p/a".into()],
                appeared: vec![]
            })
        );
        let data = ev(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/p/.mu/mubase"],
        );
        assert_eq!(classify(root, &data), None);
        let created = ev(EventKind::Create(CreateKind::Folder), &["/p/d"]);
        assert_eq!(
            classify(root, &created),
            Some(Msg::Change {
                paths: vec!["/p/d".into()],
                appeared: vec!["/p/d".into()]
            })
        );
        let from = ev(
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            &["/p/a"],
        );
        assert_eq!(
            classify(root, &from),
            Some(Msg::Change {
                paths: vec!["/p/a".into()],
                appeared: vec![]
            })
        );
        let removed = ev(EventKind::Remove(RemoveKind::Folder), &["/p/.git/refs"]);
        assert_eq!(classify(root, &removed), None);
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(classify(root, &overflow), Some(Msg::Rescan));
    }

    /// The debounce loop alone, fed by hand: a rescan swallows the paths of its batch.
    #[test]
    fn rescan_supersedes_paths() {
        let (tx, rx) = mpsc::channel();
        let (btx, brx) = mpsc::channel();
        let t = thread::spawn(move || {
            debounce(Path::new("/p"), WatchOptions::default(), &rx, &btx);
        });
        let change = |p: &str| Msg::Change {
            paths: vec![p.into()],
            appeared: vec![],
        };
        tx.send(change("/p/a")).unwrap();
        tx.send(Msg::Rescan).unwrap();
        tx.send(change("/p/b")).unwrap();
        assert_eq!(next(&brx), Batch::Rescan);
        tx.send(change("/p/c")).unwrap();
        assert_eq!(next(&brx), Batch::Paths(vec!["/p/c".into()]));
        drop(tx);
        t.join().unwrap();
        assert_eq!(brx.recv_timeout(WAIT), Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn create_modify_delete() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (_w, rx) = start(root);
        let file = root.join("a.rs");
        fs::write(&file, "fn a() {}").unwrap();
        assert_eq!(next(&rx), paths(root, &["a.rs"]));
        assert_silent(&rx);
        fs::write(&file, "fn b() {}").unwrap();
        assert_eq!(next(&rx), paths(root, &["a.rs"]));
        assert_silent(&rx);
        fs::remove_file(&file).unwrap();
        assert_eq!(next(&rx), paths(root, &["a.rs"]));
        assert_silent(&rx);
    }

    #[test]
    fn reads_are_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.rs"), "fn a() {}").unwrap();
        let (_w, rx) = start(root);
        assert_eq!(fs::read_to_string(root.join("a.rs")).unwrap(), "fn a() {}");
        assert_silent(&rx);
    }

    #[test]
    fn writes_within_quiet_window_make_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (_w, rx) = start(root);
        for i in 0..5 {
            fs::write(root.join("a.rs"), format!("// {i}")).unwrap();
            fs::write(root.join("b.rs"), format!("// {i}")).unwrap();
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(next(&rx), paths(root, &["a.rs", "b.rs"]));
        assert_silent(&rx);
    }

    #[test]
    fn mu_and_git_are_left_out_but_git_info_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join(".mu")).unwrap();
        fs::create_dir_all(root.join(".git/info")).unwrap();
        let (_w, rx) = start(root);
        fs::write(root.join(".mu/mubase"), "db").unwrap();
        fs::write(root.join(".mu/serve.log"), "log").unwrap();
        fs::write(root.join(".git/HEAD"), "ref: refs/heads/main").unwrap();
        fs::create_dir_all(root.join(".git/refs/heads")).unwrap();
        fs::write(root.join(".git/refs/heads/main"), "0000").unwrap();
        assert_silent(&rx);
        fs::write(root.join(".git/HEAD"), "ref: refs/heads/other").unwrap();
        fs::write(root.join(".git/info/exclude"), "*.tmp\n").unwrap();
        fs::write(root.join(".mu/mubase"), "db2").unwrap();
        assert_eq!(next(&rx), paths(root, &[".git/info/exclude"]));
        assert_silent(&rx);
    }

    #[test]
    fn file_in_new_subdirectory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (_w, rx) = start(root);
        fs::create_dir_all(root.join("sub/deep")).unwrap();
        fs::write(root.join("sub/deep/a.rs"), "fn a() {}").unwrap();
        assert_eq!(
            next(&rx),
            paths(root, &["sub", "sub/deep", "sub/deep/a.rs"])
        );
        assert_silent(&rx);
        // The new directory is watched: a later write in it is reported.
        fs::write(root.join("sub/deep/b.rs"), "fn b() {}").unwrap();
        assert_eq!(next(&rx), paths(root, &["sub/deep/b.rs"]));
    }

    #[test]
    fn rename_reports_both_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.rs"), "fn a() {}").unwrap();
        let (_w, rx) = start(root);
        fs::rename(root.join("a.rs"), root.join("b.rs")).unwrap();
        assert_eq!(next(&rx), paths(root, &["a.rs", "b.rs"]));
        assert_silent(&rx);
    }

    #[test]
    fn directory_rename_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("d/e")).unwrap();
        fs::write(root.join("d/e/f.rs"), "fn f() {}").unwrap();
        let (_w, rx) = start(root);
        fs::rename(root.join("d"), root.join("g")).unwrap();
        // The old directory as a prefix; the new one and what it holds.
        assert_eq!(next(&rx), paths(root, &["d", "g", "g/e", "g/e/f.rs"]));
        assert_silent(&rx);
        // Watches follow the rename.
        fs::write(root.join("g/e/f.rs"), "fn g() {}").unwrap();
        assert_eq!(next(&rx), paths(root, &["g/e/f.rs"]));
        fs::remove_dir_all(root.join("g")).unwrap();
        assert_eq!(next(&rx), paths(root, &["g", "g/e", "g/e/f.rs"]));
        assert_silent(&rx);
    }

    #[test]
    fn steady_stream_honours_max_wait() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let (_w, rx) = Watcher::start(&root, WatchOptions::default()).unwrap();
        let writing = Arc::new(AtomicBool::new(true));
        let writer = {
            let writing = Arc::clone(&writing);
            let file = root.join("hot.rs");
            thread::spawn(move || {
                let end = Instant::now() + Duration::from_millis(2500);
                let mut i = 0;
                while Instant::now() < end {
                    fs::write(&file, format!("// {i}")).unwrap();
                    i += 1;
                    thread::sleep(Duration::from_millis(50));
                }
                writing.store(false, Ordering::SeqCst);
            })
        };
        let mut during = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(batch) => {
                    assert_eq!(batch, paths(&root, &["hot.rs"]));
                    if writing.load(Ordering::SeqCst) {
                        during += 1;
                    }
                }
                Err(RecvTimeoutError::Timeout) if !writing.load(Ordering::SeqCst) => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(e) => panic!("{e}"),
            }
        }
        writer.join().unwrap();
        assert!(during >= 2, "{during} batch(es) while writing");
        // The tail of the stream comes after the quiet time, then nothing.
        while let Ok(batch) = rx.recv_timeout(SILENCE) {
            assert_eq!(batch, paths(&root, &["hot.rs"]));
        }
    }

    #[test]
    fn flush_and_stop_delivers_pending_batch() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let opts = WatchOptions {
            quiet: Duration::from_secs(3),
            max_wait: Duration::from_secs(10),
        };
        let (w, rx) = Watcher::start(root, opts).unwrap();
        fs::write(root.join("a.rs"), "fn a() {}").unwrap();
        // Let the event reach the debounce thread; the batch is not due for 3 s.
        thread::sleep(Duration::from_millis(300));
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Empty));
        let t0 = Instant::now();
        w.flush_and_stop(Duration::from_secs(1));
        assert!(
            t0.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t0.elapsed()
        );
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(100)),
            Ok(paths(root, &["a.rs"]))
        );
        assert_eq!(rx.recv_timeout(WAIT), Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn flush_and_stop_with_nothing_pending_closes_the_channel() {
        let dir = tempfile::tempdir().unwrap();
        let (w, rx) = start(dir.path());
        w.flush_and_stop(Duration::from_secs(1));
        assert_eq!(rx.recv_timeout(WAIT), Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn drop_stops_the_threads() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (w, rx) = start(root);
        drop(w);
        assert_eq!(rx.recv_timeout(WAIT), Err(RecvTimeoutError::Disconnected));
        fs::write(root.join("a.rs"), "fn a() {}").unwrap();
    }

    #[test]
    fn missing_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Watcher::start(&dir.path().join("nope"), WatchOptions::default()).unwrap_err();
        assert!(matches!(err, WatchError::Notify { .. }), "{err:?}");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn watch_limit_message_says_what_to_do() {
        let msg = WatchError::WatchLimit {
            root: PathBuf::from("/p"),
        }
        .to_string();
        assert!(msg.contains("fs.inotify.max_user_watches"), "{msg}");
        assert!(msg.contains("--no-watch"), "{msg}");
    }
}
