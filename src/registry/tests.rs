//! Tests of the registry against temporary `MU_HOME`s (never the real `~/.mu`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map};

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn home() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::at(dir.path().join("mu")).unwrap();
    (dir, reg)
}

fn entry(path: &str, pid: u32, port: u16) -> Entry {
    Entry {
        project_path: PathBuf::from(path),
        pid,
        port,
        mubase_path: Some(PathBuf::from(format!("{path}/.mu/mubase"))),
        started_at: Some(t("2026-11-27T09:14:03Z")),
        last_heartbeat: Some(t("2026-11-27T11:17:21Z")),
        host: Some("127.0.0.1".into()),
        process_start_time: Some(1795770842),
        daemon_version: Some("0.1.0".into()),
        log_path: Some(PathBuf::from(format!("{path}/.mu/daemon.log"))),
        extra: Map::new(),
    }
}

fn read_text(p: &Path) -> String {
    fs::read_to_string(p).unwrap()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A registry file with entries out of order, unknown fields at both levels, an offset timestamp
/// and fractional seconds.
const HAND_WRITTEN: &str = r#"{"zeta": {"keep": [1, 2]}, "version": 1, "daemons": [
 {"project_path": "/p/b", "pid": 200, "port": 9121, "custom": "x", "started_at": "2026-11-27T11:14:03+02:00",
  "last_heartbeat": "2026-11-27T11:17:21.250Z"},
 {"project_path": "/p/a", "pid": 100, "port": 9120}
], "alpha": true}"#;

const HAND_WRITTEN_CANONICAL: &str = r#"{
  "version": 1,
  "daemons": [
    {
      "project_path": "/p/a",
      "pid": 100,
      "port": 9120
    },
    {
      "project_path": "/p/b",
      "pid": 200,
      "port": 9121,
      "started_at": "2026-11-27T09:14:03Z",
      "last_heartbeat": "2026-11-27T11:17:21.250Z",
      "custom": "x"
    },
    {
      "project_path": "/p/c",
      "pid": 300,
      "port": 9122,
      "mubase_path": "/p/c/.mu/mubase",
      "started_at": "2026-11-27T09:14:03Z",
      "last_heartbeat": "2026-11-27T11:17:21Z",
      "host": "127.0.0.1",
      "process_start_time": 1795770842,
      "daemon_version": "0.1.0",
      "log_path": "/p/c/.mu/daemon.log"
    }
  ],
  "alpha": true,
  "zeta": {
    "keep": [
      1,
      2
    ]
  }
}
"#;

#[test]
fn round_trip_keeps_unknown_fields_and_writes_sorted_pretty_json() {
    let (_d, reg) = home();
    fs::write(reg.file(), HAND_WRITTEN).unwrap();
    let (entries, warnings) = reg.read().unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].project_path, PathBuf::from("/p/a"));
    assert_eq!(entries[0].mubase_path, None);
    assert_eq!(entries[1].started_at, Some(t("2026-11-27T09:14:03Z")));
    assert_eq!(entries[1].extra.get("custom"), Some(&json!("x")));

    reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/c", 300, 9122)))
        .unwrap();
    assert_eq!(read_text(&reg.file()), HAND_WRITTEN_CANONICAL);
    // The previous (parsed) bytes went to .bak because the entry set changed.
    assert_eq!(
        read_text(&reg.home().join("daemons.json.bak")),
        HAND_WRITTEN
    );

    // A no-op transaction writes nothing.
    let before = fs::metadata(reg.file()).unwrap().modified().unwrap();
    reg.transact(LOCK_TIMEOUT, |_| ()).unwrap();
    assert_eq!(
        fs::metadata(reg.file()).unwrap().modified().unwrap(),
        before
    );
    // Re-reading and rewriting the canonical text is a fixed point.
    reg.transact(LOCK_TIMEOUT, |t| {
        let e = t.entries()[0].clone();
        t.remove(&e.project_path, e.pid);
        t.upsert(e);
    })
    .unwrap();
    assert_eq!(read_text(&reg.file()), HAND_WRITTEN_CANONICAL);
}

#[test]
fn empty_registry_text() {
    let (_d, reg) = home();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/a", 1, 1)))
        .unwrap();
    reg.transact(LOCK_TIMEOUT, |t| assert!(t.remove(Path::new("/p/a"), 1)))
        .unwrap();
    assert_eq!(
        read_text(&reg.file()),
        "{\n  \"version\": 1,\n  \"daemons\": []\n}\n"
    );
}

fn unreadable_warning(reg: &Registry) -> String {
    format!(
        "Registry {} was unreadable and no valid backup exists; starting empty. Running daemons re-register within 30 s.",
        reg.file().display()
    )
}

#[test]
fn corrupt_file_is_recovered_from_a_valid_backup() {
    let valid = {
        let (_d, reg) = home();
        reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/a", 100, 9120)))
            .unwrap();
        read_text(&reg.file())
    };
    let truncated = &valid[..valid.len() / 2];
    for bad in [
        "[{",
        truncated,
        "",
        "[]",
        "{\"version\": 1}",
        "{\"daemons\": []}",
    ] {
        let (_d, reg) = home();
        let bak = reg.home().join("daemons.json.bak");
        let corrupt = reg.home().join("daemons.json.corrupt");
        fs::write(&bak, &valid).unwrap();
        fs::write(reg.file(), bad).unwrap();

        // A lock-free read recovers in memory only.
        let (entries, warnings) = reg.read().unwrap();
        let expected = format!(
            "Registry {} was unreadable; recovered 1 entries from daemons.json.bak.",
            reg.file().display()
        );
        assert_eq!(warnings, vec![expected.clone()], "input {bad:?}");
        assert_eq!(entries, vec![entry("/p/a", 100, 9120)]);
        assert!(!corrupt.exists());
        assert_eq!(read_text(&reg.file()), bad);

        // A cleanup stores the recovered content, keeps the bad bytes, and leaves .bak alone.
        let snap = reg.clean().unwrap();
        assert_eq!(snap.warnings, vec![expected]);
        assert_eq!(read_text(&corrupt), bad);
        assert_eq!(read_text(&bak), valid);
        assert_eq!(mode(&corrupt), 0o600);
        // pid 100 with a made-up start time is stale, so the stored registry is the backup's
        // content minus that entry; either way it parses.
        assert_eq!(snap.removed.len(), 1);
        assert_eq!(
            read_text(&reg.file()),
            "{\n  \"version\": 1,\n  \"daemons\": []\n}\n"
        );
        // The next change backs up the good file, never the bad bytes.
        reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/z", 1, 1)))
            .unwrap();
        assert_eq!(
            read_text(&bak),
            "{\n  \"version\": 1,\n  \"daemons\": []\n}\n"
        );
    }
}

#[test]
fn corrupt_file_without_backup_starts_empty() {
    let (_d, reg) = home();
    let bak = reg.home().join("daemons.json.bak");
    fs::write(&bak, "also garbage").unwrap();
    fs::write(reg.file(), "[{").unwrap();
    let ((), warnings) = reg.transact(LOCK_TIMEOUT, |_| ()).unwrap();
    assert_eq!(warnings, vec![unreadable_warning(&reg)]);
    assert_eq!(
        read_text(&reg.file()),
        "{\n  \"version\": 1,\n  \"daemons\": []\n}\n"
    );
    assert_eq!(read_text(&reg.home().join("daemons.json.corrupt")), "[{");
    // The invalid backup is not replaced by anything that did not parse.
    assert_eq!(read_text(&bak), "also garbage");
}

#[test]
fn malformed_entries_are_kept_reported_and_ignored() {
    let (_d, reg) = home();
    fs::write(
        reg.file(),
        r#"{"version": 1, "daemons": [
            {"project_path": "/p/m", "port": 1},
            {"project_path": "/p/n", "pid": "12", "port": 1},
            "junk",
            {"project_path": "/p/o", "pid": 1, "port": 1, "started_at": "yesterday"},
            {"project_path": "/p/a", "pid": 100, "port": 9120}
        ]}"#,
    )
    .unwrap();
    let f = reg.file().display().to_string();
    let expected_warnings = vec![
        format!("Registry {f} has a malformed entry (daemons[0]): \"pid\" is missing; it is kept and ignored."),
        format!("Registry {f} has a malformed entry (daemons[1]): \"pid\" has the wrong type; it is kept and ignored."),
        format!("Registry {f} has a malformed entry (daemons[2]): not a JSON object; it is kept and ignored."),
        format!("Registry {f} has a malformed entry (daemons[3]): \"started_at\" is not an RFC 3339 date-time; it is kept and ignored."),
    ];
    let (entries, warnings) = reg.read().unwrap();
    assert_eq!(warnings, expected_warnings);
    assert_eq!(entries.len(), 1);

    // Cleanup removes the stale well-formed entry and nothing else.
    let snap = reg.clean().unwrap();
    assert_eq!(snap.warnings, expected_warnings);
    assert_eq!(snap.removed.len(), 1);
    assert!(snap.live.is_empty());
    assert_eq!(
        read_text(&reg.file()),
        r#"{
  "version": 1,
  "daemons": [
    {
      "port": 1,
      "project_path": "/p/m"
    },
    {
      "pid": "12",
      "port": 1,
      "project_path": "/p/n"
    },
    {
      "pid": 1,
      "port": 1,
      "project_path": "/p/o",
      "started_at": "yesterday"
    },
    "junk"
  ]
}
"#
    );
}

#[test]
fn newer_version_refuses_writes_but_reads() {
    let (_d, reg) = home();
    let text = r#"{"version": 2, "daemons": [{"project_path": "/p/a", "pid": 100, "port": 9120}]}"#;
    fs::write(reg.file(), text).unwrap();
    assert_eq!(reg.read().unwrap().0.len(), 1);
    assert_eq!(reg.version().unwrap(), 2);
    reg.transact(LOCK_TIMEOUT, |_| ()).unwrap();
    let err = reg
        .transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/b", 1, 1)))
        .unwrap_err();
    assert!(matches!(err, RegistryError::TooNew { version: 2 }));
    assert_eq!(
        err.to_string(),
        "Registry format version 2 is newer than this mu-daemon supports (1)."
    );
    let own = entry("/p/b", std::process::id(), 1);
    assert!(matches!(
        reg.heartbeat(&own),
        Err(RegistryError::TooNew { version: 2 })
    ));
    assert_eq!(read_text(&reg.file()), text);
}

#[test]
fn lock_timeout_names_the_holder() {
    let (_d, reg) = home();
    let guard = fsops::lock(reg.home(), LOCK_TIMEOUT).unwrap();
    assert_eq!(
        read_text(&reg.home().join("daemons.lock")),
        std::process::id().to_string()
    );
    let start = Instant::now();
    let err = reg
        .transact(Duration::from_millis(150), |_| ())
        .unwrap_err();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "Timed out waiting for the registry lock (held by pid {}).",
            std::process::id()
        )
    );
    drop(guard);
    reg.transact(Duration::from_millis(150), |_| ()).unwrap();
    assert_eq!(
        RegistryError::LockTimeout { holder: None }.to_string(),
        "Timed out waiting for the registry lock (held by an unknown process)."
    );
}

#[test]
fn write_failure_leaves_the_registry_intact() {
    let (_d, reg) = home();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/a", 1, 1)))
        .unwrap();
    let before = read_text(&reg.file());
    // A non-empty directory where the temporary file must go: creating it fails.
    let tmp = reg
        .home()
        .join(format!("daemons.json.tmp.{}", std::process::id()));
    fs::create_dir(&tmp).unwrap();
    fs::write(tmp.join("x"), "").unwrap();
    let err = reg
        .transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/b", 1, 1)))
        .unwrap_err();
    assert!(matches!(err, RegistryError::Io { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with(&format!("Cannot write {}: ", tmp.display())));
    assert_eq!(read_text(&reg.file()), before);
    fs::remove_dir_all(&tmp).unwrap();

    // The rename fails (target is a directory): the temporary file is removed.
    let (_d2, reg2) = home();
    fs::create_dir(reg2.file()).unwrap();
    fs::write(reg2.file().join("x"), "").unwrap();
    assert!(reg2.read().is_err());
    let leftovers: Vec<_> = fs::read_dir(reg2.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Rename over a non-empty directory fails: the temporary file is removed.
    let err = fsops::atomic_write(reg2.home(), "daemons.json", b"{}").unwrap_err();
    assert!(err.to_string().starts_with("Cannot write "), "{err}");
    let leftovers: Vec<_> = fs::read_dir(reg2.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn group_writable_home_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let h = d.path().join("mu");
    fs::create_dir(&h).unwrap();
    fs::set_permissions(&h, fs::Permissions::from_mode(0o770)).unwrap();
    let err = Registry::at(h.clone()).unwrap_err();
    assert!(matches!(err, RegistryError::UnsafeHome { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{} is writable by other users (mode 0770). Fix with: chmod 700 {}",
            h.display(),
            h.display()
        )
    );
    fs::set_permissions(&h, fs::Permissions::from_mode(0o700)).unwrap();
    let f = h.join("daemons.json");
    fs::write(&f, "").unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o606)).unwrap();
    assert_eq!(
        Registry::at(h.clone()).unwrap_err().to_string(),
        format!(
            "{} is writable by other users (mode 0606). Fix with: chmod 600 {}",
            f.display(),
            f.display()
        )
    );
}

#[test]
fn group_readable_modes_are_tightened_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let h = d.path().join("mu");
    fs::create_dir(&h).unwrap();
    fs::set_permissions(&h, fs::Permissions::from_mode(0o750)).unwrap();
    let lock = h.join("daemons.lock");
    fs::write(&lock, "").unwrap();
    fs::set_permissions(&lock, fs::Permissions::from_mode(0o644)).unwrap();
    let reg = Registry::at(h.clone()).unwrap();
    assert_eq!(
        reg.warnings(),
        [
            format!(
                "Tightened the permissions of {} from 0750 to 0700.",
                h.display()
            ),
            format!(
                "Tightened the permissions of {} from 0644 to 0600.",
                lock.display()
            ),
        ]
    );
    assert_eq!(mode(&h), 0o700);
    assert_eq!(mode(&lock), 0o600);
    assert_eq!(reg.clean().unwrap().warnings, reg.warnings());
    assert!(Registry::at(h).unwrap().warnings().is_empty());
}

#[test]
fn relative_home_and_foreign_owner_are_refused() {
    assert_eq!(
        Registry::at(PathBuf::from("rel/mu"))
            .unwrap_err()
            .to_string(),
        "MU_HOME must be an absolute path: rel/mu"
    );
    if fsops::my_uid() != 0 {
        return; // chown to another uid needs root
    }
    let d = tempfile::tempdir().unwrap();
    let h = d.path().join("mu");
    fs::create_dir(&h).unwrap();
    std::os::unix::fs::chown(&h, Some(12345), None).unwrap();
    assert_eq!(
        Registry::at(h.clone()).unwrap_err().to_string(),
        format!(
            "{} is owned by uid 12345, not by you (uid 0). Fix with: sudo chown -R 0 {}",
            h.display(),
            h.display()
        )
    );
    // A home directory owned by someone else never receives MU_HOME.
    let foreign = d.path().join("ada");
    fs::create_dir(&foreign).unwrap();
    std::os::unix::fs::chown(&foreign, Some(12345), None).unwrap();
    let mu = foreign.join(".mu");
    assert_eq!(
        fsops::check_foreign_home(&foreign, &mu).unwrap_err().to_string(),
        format!(
            "{} is owned by uid 12345, not by you (uid 0). Refusing to create {} there; set MU_HOME to a directory you own.",
            foreign.display(),
            mu.display()
        )
    );
}

#[test]
fn missing_home_is_not_created_by_no_create_and_clean() {
    let d = tempfile::tempdir().unwrap();
    let h = d.path().join("absent");
    let reg = Registry::at_no_create(h.clone()).unwrap();
    let snap = reg.clean().unwrap();
    assert!(snap.live.is_empty() && snap.removed.is_empty() && snap.warnings.is_empty());
    assert_eq!(reg.read().unwrap().0, vec![]);
    assert!(!h.exists());
}

/// Runs in a child process (see `files_are_0600_and_dirs_0700_under_umask_000`), so the umask
/// change does not leak into concurrently running tests.
#[test]
fn umask_child() {
    let Some(h) = std::env::var_os("MU_REGISTRY_UMASK_CHILD") else {
        return;
    };
    // SAFETY: umask has no preconditions; this process runs only this test.
    unsafe { libc::umask(0) };
    let h = PathBuf::from(h);
    let reg = Registry::at(h.join("nested").join("mu")).unwrap();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/a", 1, 1)))
        .unwrap();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(entry("/p/b", 1, 1)))
        .unwrap();
    fs::write(reg.file(), "[{").unwrap();
    fs::set_permissions(reg.file(), fs::Permissions::from_mode(0o600)).unwrap();
    reg.transact(LOCK_TIMEOUT, |_| ()).unwrap();
}

#[test]
fn files_are_0600_and_dirs_0700_under_umask_000() {
    let d = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "registry::tests::umask_child",
            "--test-threads=1",
        ])
        .env("MU_REGISTRY_UMASK_CHILD", d.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(stdout.contains("1 passed"), "{stdout}");
    let h = d.path().join("nested").join("mu");
    assert_eq!(mode(&d.path().join("nested")), 0o700);
    assert_eq!(mode(&h), 0o700);
    for f in [
        "daemons.json",
        "daemons.lock",
        "daemons.json.bak",
        "daemons.json.corrupt",
    ] {
        assert_eq!(mode(&h.join(f)), 0o600, "{f}");
    }
}

/// Runs in a child process with a controlled environment (see `from_env_uses_mu_home_or_home`).
#[test]
fn from_env_child() {
    let Some(home) = std::env::var_os("MU_REGISTRY_FROM_ENV_CHILD") else {
        return;
    };
    let home = PathBuf::from(home);
    match std::env::var("MU_HOME").as_deref() {
        // Empty counts as unset: ~/.mu, created 0700 only by from_env.
        Ok("") => {
            let reg = Registry::from_env_no_create().unwrap();
            assert_eq!(reg.home(), home.join(".mu"));
            assert!(!home.join(".mu").exists());
            let reg = Registry::from_env().unwrap();
            assert_eq!(reg.file(), home.join(".mu").join("daemons.json"));
            assert_eq!(mode(&home.join(".mu")), 0o700);
        }
        Ok(v) => assert_eq!(
            Registry::from_env().unwrap_err().to_string(),
            format!("MU_HOME must be an absolute path: {v}")
        ),
        Err(_) => panic!("MU_HOME must be set for this child"),
    }
}

#[test]
fn from_env_uses_mu_home_or_home() {
    for mu_home in ["", "relative/mu"] {
        let d = tempfile::tempdir().unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "registry::tests::from_env_child"])
            .env("MU_REGISTRY_FROM_ENV_CHILD", d.path())
            .env("HOME", d.path())
            .env("MU_HOME", mu_home)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{out:?}"
        );
    }
}

// ---- liveness ----

/// Kills and reaps the child when dropped.
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(program: &Path, args: &[&str]) -> Kid {
    // A freshly copied executable can be briefly busy (another test thread forked while our
    // write descriptor was open): retry ETXTBSY.
    for _ in 0..100 {
        match Command::new(program).args(args).spawn() {
            Ok(c) => return Kid(c),
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("spawn {}: {e}", program.display()),
        }
    }
    panic!("{} stays busy", program.display());
}

fn project() -> tempfile::TempDir {
    let p = tempfile::tempdir().unwrap();
    fs::create_dir(p.path().join(".mu")).unwrap();
    p
}

fn entry_for(project: &Path, pid: u32, start: Option<u64>) -> Entry {
    let mut e = entry(project.to_str().unwrap(), pid, 9120);
    e.process_start_time = start;
    e
}

/// Start time of a just-spawned child (sysinfo may need the process to be exec'd).
fn start_time_of(pid: u32) -> u64 {
    process_start_time(pid).expect("child is running")
}

#[test]
fn stale_reasons_and_identity() {
    let (_d, reg) = home();
    let fake_dir = tempfile::tempdir().unwrap();
    let fake = fake_dir.path().join("mu-daemon-fake");
    fs::copy("/bin/sleep", &fake).unwrap();

    let sleeper = spawn(Path::new("/bin/sleep"), &["100"]);
    let daemon = spawn(&fake, &["100"]);
    let gone_pid = {
        let mut c = Command::new("/bin/true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let sleeper_pid = sleeper.0.id();
    let daemon_pid = daemon.0.id();
    // exec may not have happened yet right after spawn.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !is_mu_daemon_process(daemon_pid) {
        assert!(Instant::now() < deadline, "fake daemon never showed up");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sleeper_start = start_time_of(sleeper_pid);
    let daemon_start = start_time_of(daemon_pid);
    assert!(!is_mu_daemon_process(sleeper_pid));

    let p_reused = project();
    let p_foreign = project();
    let p_gone = project();
    let p_daemon = project();
    let p_drift = project();
    let reused = entry_for(p_reused.path(), sleeper_pid, Some(sleeper_start - 1000));
    let foreign = entry_for(p_foreign.path(), sleeper_pid, Some(sleeper_start));
    let gone = entry_for(p_gone.path(), gone_pid, Some(1));
    let verified = entry_for(p_daemon.path(), daemon_pid, Some(daemon_start + 2));
    let drifted = entry_for(p_drift.path(), daemon_pid, Some(daemon_start + 3));

    assert!(identity(&verified));
    assert!(!identity(&drifted));
    assert!(!identity(&foreign));
    assert_eq!(alive(&verified), Some(Identity::Verified));
    assert_eq!(alive(&gone), None);
    assert!(signal_allowed(&verified));
    assert!(!signal_allowed(&reused));
    assert!(!signal_allowed(&drifted));

    // pid files: removed only when they still name the dead pid.
    fs::write(p_gone.path().join(".mu/daemon.pid"), gone_pid.to_string()).unwrap();
    fs::write(p_reused.path().join(".mu/daemon.pid"), "1").unwrap();

    reg.transact(LOCK_TIMEOUT, |t| {
        for e in [&reused, &foreign, &gone, &verified, &drifted] {
            t.upsert(e.clone());
        }
    })
    .unwrap();
    let snap = reg.clean().unwrap();
    let mut expected_removed = vec![
        Removed {
            project_path: p_reused.path().to_path_buf(),
            pid: sleeper_pid,
            port: 9120,
            reason: StaleReason::PidReused,
        },
        Removed {
            project_path: p_foreign.path().to_path_buf(),
            pid: sleeper_pid,
            port: 9120,
            reason: StaleReason::NotMuDaemon,
        },
        Removed {
            project_path: p_gone.path().to_path_buf(),
            pid: gone_pid,
            port: 9120,
            reason: StaleReason::ProcessGone,
        },
        Removed {
            project_path: p_drift.path().to_path_buf(),
            pid: daemon_pid,
            port: 9120,
            reason: StaleReason::PidReused,
        },
    ];
    expected_removed.sort_by(|a, b| a.project_path.cmp(&b.project_path));
    assert_eq!(snap.removed, expected_removed);
    assert_eq!(
        snap.live,
        vec![LiveEntry {
            entry: verified.clone(),
            identity: Identity::Verified
        }]
    );
    assert_eq!(reg.read().unwrap().0, vec![verified]);
    assert!(!p_gone.path().join(".mu/daemon.pid").exists());
    assert_eq!(read_text(&p_reused.path().join(".mu/daemon.pid")), "1");
    assert_eq!(
        expected_removed[0].message(),
        format!(
            "Removed stale registry entry for {} (pid {}: {}).",
            expected_removed[0].project_path.display(),
            expected_removed[0].pid,
            expected_removed[0].reason.as_str()
        )
    );
    assert_eq!(StaleReason::ProcessGone.as_str(), "process gone");
    assert_eq!(
        StaleReason::PidReused.as_str(),
        "pid reused by another process"
    );
    assert_eq!(StaleReason::NotMuDaemon.as_str(), "not a mu-daemon process");
}

#[test]
fn zombies_count_as_gone() {
    let mut child = Command::new("/bin/true").spawn().unwrap();
    let pid = child.id();
    // Wait for it to exit without reaping it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        if stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z')
        {
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(process_start_time(pid), None);
    let p = project();
    let e = entry_for(p.path(), pid, Some(0));
    assert_eq!(alive(&e), None);
    let (_d, reg) = home();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(e.clone())).unwrap();
    let snap = reg.clean().unwrap();
    assert_eq!(snap.removed.len(), 1);
    assert_eq!(snap.removed[0].reason, StaleReason::ProcessGone);
    child.wait().unwrap();
}

#[test]
fn project_lock_keeps_an_entry_alive_and_the_probe_never_creates() {
    let p = project();
    let lock_path = p.path().join(".mu/daemon.lock");
    assert!(!lock_held(p.path()));
    assert!(
        !lock_path.exists(),
        "the probe must not create the lock file"
    );

    let mut lf = fslock::LockFile::open(&lock_path).unwrap();
    assert!(lf.try_lock_with_pid().unwrap());
    assert!(lock_held(p.path()));
    assert!(
        lock_held(p.path()),
        "a probe must not steal or drop the lock"
    );
    assert_eq!(lock_file_pid(p.path()), Some(std::process::id()));

    // A dead pid whose project lock is held is alive by lock.
    let e = entry_for(p.path(), 999_999, None);
    assert_eq!(alive(&e), Some(Identity::Lock));
    // Not signalled: the lock file names another pid.
    assert!(!signal_allowed(&e));
    // Our own pid is in the lock file, but this test binary is not named mu-daemon.
    let own = entry_for(p.path(), std::process::id(), None);
    assert!(!signal_allowed(&own));

    let (_d, reg) = home();
    reg.transact(LOCK_TIMEOUT, |t| t.upsert(e.clone())).unwrap();
    let snap = reg.clean().unwrap();
    assert!(snap.removed.is_empty());
    assert_eq!(
        snap.live,
        vec![LiveEntry {
            entry: e.clone(),
            identity: Identity::Lock
        }]
    );
    assert_eq!(Identity::Lock.as_str(), "lock");
    assert_eq!(Identity::Verified.as_str(), "verified");

    lf.unlock().unwrap();
    assert!(!lock_held(p.path()));
    assert_eq!(reg.clean().unwrap().removed.len(), 1);
}

#[test]
fn own_process_is_not_a_mu_daemon_but_has_a_start_time() {
    let own = own_start_time();
    let now = Utc::now().timestamp() as u64;
    assert!(own <= now + 2 && own + 3600 > now, "{own} vs {now}");
    assert_eq!(process_start_time(std::process::id()), Some(own));
    assert!(!is_mu_daemon_process(std::process::id()));
    let e = Entry::new_own(
        PathBuf::from("/p/own"),
        9120,
        "127.0.0.1".into(),
        PathBuf::from("/p/own/.mu/mubase"),
        PathBuf::from("/p/own/.mu/daemon.log"),
    );
    assert_eq!(e.pid, std::process::id());
    assert_eq!(e.process_start_time, Some(own));
    assert_eq!(e.started_at, e.last_heartbeat);
    assert_eq!(e.started_at.unwrap().timestamp_subsec_nanos(), 0);
    assert_eq!(e.daemon_version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
}

// ---- heartbeat, deregister, concurrency ----

#[test]
fn heartbeat_updates_only_its_own_entry_and_re_adds_it() {
    let (_d, reg) = home();
    let mut other = entry("/p/other", 4242, 9121);
    other
        .extra
        .insert("note".into(), json!({"b": 1, "a": [true]}));
    let mut own = entry("/p/own", std::process::id(), 9120);
    own.last_heartbeat = Some(t("2026-11-27T09:14:03Z"));
    reg.transact(LOCK_TIMEOUT, |t| {
        t.upsert(other.clone());
        t.upsert(own.clone());
    })
    .unwrap();
    let bak = reg.home().join("daemons.json.bak");
    let _ = fs::remove_file(&bak);
    let other_text = |reg: &Registry| {
        let text = read_text(&reg.file());
        let start = text
            .find("    {\n      \"project_path\": \"/p/other\"")
            .unwrap();
        let end = start + text[start..].find("\n    }").unwrap();
        text[start..end].to_string()
    };
    let other_before = other_text(&reg);

    let before = Utc::now().timestamp();
    reg.heartbeat(&own).unwrap();
    let (entries, _) = reg.read().unwrap();
    let hb = entries[1].last_heartbeat.unwrap().timestamp();
    assert!(hb >= before && hb <= Utc::now().timestamp());
    assert_eq!(entries[1].started_at, own.started_at);
    assert_eq!(other_text(&reg), other_before);
    assert!(!bak.exists(), "a heartbeat-only change must not write .bak");

    // Deleted by hand: re-added, other entry untouched.
    reg.transact(LOCK_TIMEOUT, |t| {
        assert!(t.remove(&own.project_path, own.pid))
    })
    .unwrap();
    reg.heartbeat(&own).unwrap();
    let (entries, _) = reg.read().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].pid, own.pid);
    assert_eq!(other_text(&reg), other_before);

    // A same-project entry naming a dead pid is replaced.
    reg.transact(LOCK_TIMEOUT, |t| {
        t.upsert(entry("/p/own", 999_999, 9999));
    })
    .unwrap();
    reg.heartbeat(&own).unwrap();
    let (entries, _) = reg.read().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[1].pid, entries[1].port), (own.pid, 9120));
    assert_eq!(other_text(&reg), other_before);

    // MU_HOME deleted: recreated with 0700.
    fs::remove_dir_all(reg.home()).unwrap();
    reg.heartbeat(&own).unwrap();
    assert_eq!(mode(reg.home()), 0o700);
    assert_eq!(reg.read().unwrap().0.len(), 1);
}

#[test]
fn deregister_removes_only_the_matching_entry() {
    let (_d, reg) = home();
    reg.transact(LOCK_TIMEOUT, |t| {
        t.upsert(entry("/p/a", 10, 1));
        t.upsert(entry("/p/b", 11, 2));
    })
    .unwrap();
    assert!(!reg.deregister(Path::new("/p/a"), 11).unwrap());
    assert!(reg.deregister(Path::new("/p/a"), 10).unwrap());
    assert!(!reg.deregister(Path::new("/p/a"), 10).unwrap());
    assert_eq!(reg.read().unwrap().0, vec![entry("/p/b", 11, 2)]);
}

#[test]
fn concurrent_transactions_lose_no_entry() {
    let (_d, reg) = home();
    std::thread::scope(|s| {
        for th in 0..8 {
            let reg = reg.clone();
            s.spawn(move || {
                for i in 0..10 {
                    reg.transact(LOCK_TIMEOUT, |t| {
                        t.upsert(entry(&format!("/p/{th}/{i}"), 100, 1))
                    })
                    .unwrap();
                }
            });
        }
    });
    let (entries, warnings) = reg.read().unwrap();
    assert!(warnings.is_empty());
    assert_eq!(entries.len(), 80);
    let leftovers: Vec<_> = fs::read_dir(reg.home())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn clean_of_fifty_live_entries_is_fast() {
    // 50 project paths that all lead to one held project lock (symbolic links), so every entry
    // stays alive by lock and each costs a sysinfo lookup plus a lock probe.
    let (_d, reg) = home();
    let p = project();
    let mut lf = fslock::LockFile::open(&p.path().join(".mu/daemon.lock")).unwrap();
    assert!(lf.try_lock_with_pid().unwrap());
    reg.transact(LOCK_TIMEOUT, |t| {
        for i in 0..50u16 {
            let link = p.path().join(format!("l{i}"));
            std::os::unix::fs::symlink(p.path(), &link).unwrap();
            let mut e = entry_for(&link, std::process::id(), Some(own_start_time()));
            e.port = 9000 + i;
            t.upsert(e);
        }
    })
    .unwrap();
    reg.clean().unwrap();
    let start = Instant::now();
    let snap = reg.clean().unwrap();
    let took = start.elapsed();
    assert_eq!(snap.live.len(), 50);
    assert!(snap.live.iter().all(|l| l.identity == Identity::Lock));
    assert!(snap.removed.is_empty());
    // Debug build on a shared machine: a generous bound; the release target is 10 ms.
    assert!(took < Duration::from_millis(200), "{took:?}");
    eprintln!("clean() of 50 live entries took {took:?}");
}
