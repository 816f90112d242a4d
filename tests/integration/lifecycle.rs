//! The daemon lifecycle against the real binary (`cli-and-registry.md` §3–§8, §12–§14,
//! `http-api.md` §2.2–§2.6, §4.1–§4.2): start/stop/list/status/run/index/legacy, the registry
//! under concurrency, corruption and foreign processes, signals, ports and the request guard.
//!
//! Every test has its own `MU_HOME`, its own projects and OS-chosen ports; its `DaemonEnv`
//! stops whatever it started, also when the test fails.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::daemon_support::*;
use crate::support::BIN;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The data rows of `list`'s table: (project, pid, port, state).
fn list_rows(stdout: &str) -> Vec<(String, u32, u16, String)> {
    let mut lines = stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("PROJECT"),
        "list table header: {stdout:?}"
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_string(),
            )
        })
        .collect()
}

/// §14.9: ten concurrent `start`s of one unindexed project → one index run, one daemon, the
/// same pid and port for all, one registry entry.
#[test]
fn ten_parallel_starts_on_one_project_make_one_daemon() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    // Bound: one small index plus the 30 s readiness wait (§13), with room for a busy machine.
    let results: Vec<Result<Out, String>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                sc.spawn(|| {
                    env.try_run(
                        &root,
                        &["--json", "start", "--port", "0"],
                        Duration::from_secs(60),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let hung: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        hung.is_empty(),
        "{} of 10 concurrent `start`s did not finish within 60 s (a daemon for the project was \
         serving meanwhile: {:?}); expected all to exit 0 with the same pid and port:\n{}",
        hung.len(),
        env.registry(),
        hung.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let outs: Vec<Out> = results.into_iter().map(Result::unwrap).collect();
    let docs: Vec<Value> = outs
        .iter()
        .map(|o| {
            o.expect_code(0);
            o.json()
        })
        .collect();
    let (pid, port) = (docs[0]["pid"].clone(), docs[0]["port"].clone());
    for d in &docs {
        assert_eq!((&d["pid"], &d["port"]), (&pid, &port), "{docs:#?}");
        assert_eq!(d["project_root"], json!(s(&root)));
    }
    let started = docs.iter().filter(|d| d["result"] == "started").count();
    let already = docs
        .iter()
        .filter(|d| d["result"] == "already_running")
        .count();
    assert_eq!((started, already), (1, 9), "{docs:#?}");
    // Only the `start` that took the project lock first indexed (the others found the mubase).
    let indexed: Vec<&Value> = docs.iter().filter(|d| !d["indexed"].is_null()).collect();
    assert!(indexed.len() <= 1, "more than one index run: {docs:#?}");
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "{reg:#?}");
    assert_eq!((&reg[0]["pid"], &reg[0]["port"]), (&pid, &port));
    let port = port.as_u64().unwrap() as u16;
    assert_eq!(get(port, "/health").unwrap().json()["pid"], pid);
    let st = status_json(port);
    assert_eq!(
        (st["node_count"].clone(), st["edge_count"].clone()),
        (json!(4), json!(4))
    );
}

/// §14.8: twenty concurrent `start --port 0` in twenty projects → twenty daemons, a registry
/// that parses with exactly twenty entries whose distinct ports are the real listeners.
#[test]
fn twenty_parallel_starts_in_twenty_projects() {
    let env = DaemonEnv::new();
    let roots: Vec<_> = (0..20)
        .map(|i| env.project(&format!("p{i:02}"), &[("m.py", A_PY)]))
        .collect();
    let outs: Vec<Out> = std::thread::scope(|sc| {
        let handles: Vec<_> = roots
            .iter()
            .map(|r| {
                let env = &env;
                sc.spawn(move || env.run(r, &["--json", "start", "--port", "0"]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut printed = BTreeMap::new();
    for (root, o) in roots.iter().zip(&outs) {
        o.expect_code(0);
        let v = o.json();
        assert_eq!(v["result"], "started", "{v}");
        assert_eq!(v["project_root"], json!(s(root)));
        printed.insert(s(root), (v["pid"].clone(), v["port"].clone()));
    }
    let reg = env.registry();
    assert_eq!(reg.len(), 20, "{reg:#?}");
    let ports: HashSet<u64> = reg.iter().map(|e| e["port"].as_u64().unwrap()).collect();
    assert_eq!(ports.len(), 20, "ports are distinct: {reg:#?}");
    for e in &reg {
        let path = e["project_path"].as_str().unwrap().to_string();
        assert_eq!(
            printed.get(&path),
            Some(&(e["pid"].clone(), e["port"].clone())),
            "entry {e} matches what start printed"
        );
        let r = get(e["port"].as_u64().unwrap() as u16, "/health").unwrap();
        assert_eq!(r.status, 200, "{r:#?}");
        assert_eq!(
            r.json()["pid"],
            e["pid"],
            "the listener on {} is {path}'s",
            e["port"]
        );
        assert_eq!(r.header("x-mu-project"), Some(path.as_str()));
    }
}

/// §14.3: `kill -9` → `list` elsewhere removes the entry as `process gone` (and its pid file);
/// the project then starts again on the same port.
#[test]
fn killed_daemon_is_stale_and_the_port_is_reusable() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let n = free_port();
    let (pid, port, _) = env.start(&root, &["--port", &n.to_string()]);
    assert_eq!(port, n);
    signal(pid, libc::SIGKILL);
    // A killed multi-threaded process shows as a zombie while its other threads still hold
    // its descriptors; it is dead for the registry once the kernel has released the project
    // lock (that is what `lock_held` probes).
    wait_gone(pid, Duration::from_secs(5));
    wait_for(
        "the killed daemon's project lock to be released",
        Duration::from_secs(5),
        || project_lock_free(&root).then_some(()),
    );
    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    assert_eq!(
        out.stderr,
        format!(
            "Removed stale registry entry for {} (pid {pid}: process gone).\n",
            s(&root)
        ),
        "{out:#?}"
    );
    assert_eq!(out.stdout, "No mu-daemon is running.\n");
    assert!(env.registry().is_empty());
    assert!(
        !root.join(".mu/daemon.pid").exists(),
        "stale cleanup removes the pid file that still names the dead pid"
    );
    let (pid2, port2, v) = env.start(&root, &["--port", &n.to_string()]);
    assert_eq!(v["result"], "started");
    assert_eq!(port2, n);
    assert_ne!(pid2, pid);
}

/// A supervisor (or MU's legacy launcher) restarting `serve` right after a crash: the dead
/// daemon's entry is still in the registry and no other command cleaned it. The new daemon
/// holds the project lock itself, so it must judge that entry by identity and replace it.
#[test]
fn serve_restarts_over_its_own_stale_entry() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let n = free_port();
    let (pid, _, _) = env.start(&root, &["--port", &n.to_string()]);
    signal(pid, libc::SIGKILL);
    wait_gone(pid, Duration::from_secs(5));
    wait_for(
        "the killed daemon's project lock to be released",
        Duration::from_secs(5),
        || project_lock_free(&root).then_some(()),
    );
    assert_eq!(
        env.registry().len(),
        1,
        "the dead daemon's entry is still there"
    );
    let (mut child, cpid, v) = legacy_daemon(&env, &root, n);
    assert_eq!(v["pid"], json!(cpid));
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "{reg:#?}");
    assert_eq!(reg[0]["pid"], json!(cpid));
    signal(cpid, libc::SIGTERM);
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("exits within 10 s of SIGTERM");
    assert_eq!(status.code(), Some(0));
    assert!(env.registry().is_empty());
}

/// §14.1: an entry whose pid is a live foreign process with another start time is stale
/// (`pid reused by another process`); `stop --all` never signals that process.
#[test]
fn foreign_live_pid_is_stale_and_never_signalled() {
    let env = DaemonEnv::new();
    let ghost = env.project("ghost", &[("a.py", A_PY)]);
    let sleep = env.foreign_sleep();
    let port = free_port();
    env.write_registry(&[fake_entry(&ghost, sleep, port, 12345)]);
    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    assert_eq!(
        out.stderr,
        format!(
            "Removed stale registry entry for {} (pid {sleep}: pid reused by another process).\n",
            s(&ghost)
        ),
        "{out:#?}"
    );
    assert_eq!(out.stdout, "No mu-daemon is running.\n");
    assert!(env.registry().is_empty());

    env.write_registry(&[fake_entry(&ghost, sleep, port, 12345)]);
    let out = env.run(&env.work(), &["--json", "stop", "--all"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(v["results"], json!([]));
    assert_eq!(
        v["removed_stale"],
        json!([{"project_path": s(&ghost), "pid": sleep, "port": port,
                "reason": "pid reused by another process"}])
    );
    assert!(
        env.child_running(sleep),
        "the foreign process was not killed"
    );
    assert_ne!(proc_state(sleep), Some('T'), "nor stopped");
    assert!(env.registry().is_empty());
}

/// §7.5, §14.10: `[{`, a truncated file and zero bytes are recovered from a valid `.bak` with
/// the exact warning; `.corrupt` keeps the bad bytes; `.bak` is never overwritten by them.
/// Without a backup the registry starts empty and both live daemons re-register at their next
/// heartbeat (≤ 30 s, waited up to 40 s).
#[test]
fn corrupt_registry_is_recovered_and_daemons_reappear() {
    let env = DaemonEnv::new();
    let a = env.py_project("a");
    let b = env.py_project("b");
    let (pa, _, _) = env.start(&a, &["--port", "0"]);
    let (pb, _, _) = env.start(&b, &["--port", "0"]);
    let home = env.mu_home();
    let bak = home.join("daemons.json.bak");
    let corrupt = home.join("daemons.json.corrupt");
    let file = s(&env.registry_path());
    // b's registration copied the registry it replaced (a alone) to .bak.
    let bak_bytes = fs::read(&bak).expect("daemons.json.bak after the second registration");
    let bak_doc: Value = serde_json::from_slice(&bak_bytes).unwrap();
    assert_eq!(bak_doc["daemons"].as_array().unwrap().len(), 1, "{bak_doc}");
    assert_eq!(bak_doc["daemons"][0]["pid"], json!(pa));
    let good = fs::read(env.registry_path()).unwrap();

    let variants: [(&str, Vec<u8>); 3] = [
        ("[{", b"[{".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("zero bytes", Vec::new()),
    ];
    for (label, bad) in variants {
        env.write_home_file("daemons.json", &bad);
        let out = env.run(&env.work(), &["list"]);
        out.expect_code(0);
        assert_eq!(
            out.stderr,
            format!(
                "Warning: Registry {file} was unreadable; recovered 1 entries from daemons.json.bak.\n"
            ),
            "{label}: {out:#?}"
        );
        let rows = list_rows(&out.stdout);
        assert_eq!(rows.len(), 1, "{label}: {rows:?}");
        assert_eq!(
            (rows[0].0.as_str(), rows[0].1),
            (s(&a).as_str(), pa),
            "{label}"
        );
        assert_eq!(fs::read(&corrupt).unwrap(), bad, "{label}: .corrupt");
        assert_eq!(
            fs::read(&bak).unwrap(),
            bak_bytes,
            "{label}: .bak unchanged"
        );
        let reg = env.registry();
        assert_eq!(reg.len(), 1, "{label}: the recovered content was stored");
    }

    // No valid backup: empty plus the other warning.
    fs::remove_file(&bak).unwrap();
    env.write_home_file("daemons.json", b"[{");
    let out = env.run(&env.work(), &["--json", "list"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(v["daemons"], json!([]));
    assert_eq!(
        v["warnings"],
        json!([format!(
            "Registry {file} was unreadable and no valid backup exists; starting empty. Running daemons re-register within 30 s."
        )])
    );
    // Both come back at their next heartbeat.
    let reg = wait_for(
        "both daemons to re-register by heartbeat",
        Duration::from_secs(40),
        || {
            let reg = env.registry();
            (reg.len() == 2).then_some(reg)
        },
    );
    let pids: HashSet<u64> = reg.iter().map(|e| e["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids, HashSet::from([u64::from(pa), u64::from(pb)]));
    let v = env.run(&env.work(), &["--json", "list"]).json();
    let states: Vec<&Value> = v["daemons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["state"])
        .collect();
    assert_eq!(states, [&json!("running"), &json!("running")], "{v}");
}

/// §14.6: a SIGSTOPped daemon: `status` answers within 3 s, `unresponsive`, exit 0; `stop`
/// escalates to SIGKILL within 7 s and removes the entry.
#[test]
fn frozen_daemon_is_unresponsive_then_killed() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    freeze(pid);
    let out = env.run(&root, &["--json", "status"]);
    out.expect_code(0);
    assert!(
        out.elapsed <= Duration::from_secs(3),
        "status took {:?}",
        out.elapsed
    );
    let v = out.json();
    assert_eq!(v["state"], "unresponsive", "{v}");
    assert_eq!(v["daemon"]["pid"], json!(pid));
    assert_eq!(v["daemon"]["state"], "unresponsive");
    assert_eq!(v["server"], Value::Null);

    let out = env.run(&root, &["--json", "stop"]);
    out.expect_code(0);
    assert!(
        out.elapsed <= Duration::from_secs(7),
        "stop took {:?}",
        out.elapsed
    );
    let v = out.json();
    assert_eq!(
        v["results"],
        json!([{"project_path": s(&root), "pid": pid, "port": port, "outcome": "killed",
                "message": format!("Killed mu-daemon for {} (pid {pid}, port {port}) after 5 s without exit.", s(&root))}])
    );
    wait_gone(pid, Duration::from_secs(2));
    assert!(env.registry().is_empty());
    assert!(!root.join(".mu/daemon.pid").exists());
}

/// §8, §12: B while A holds port N. `start --port N` in B: exit 1, exact message and hint, no
/// entry for B. `status` in B: exit 3 with the warning naming A; `stop` in B signals nothing;
/// `start --port 0` in B works.
#[test]
fn port_held_by_another_projects_daemon() {
    let env = DaemonEnv::new();
    let a = env.py_project("a");
    let b = env.py_project("b");
    let n = free_port();
    let ns = n.to_string();
    let (pa, _, _) = env.start(&a, &["--port", &ns]);
    env.run(&b, &["index"]).expect_code(0);

    let out = env.run(&b, &["start", "--port", &ns]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Port {n} already in use by daemon for {}. Use --port to specify a different port.\n\
             Hint: mu-daemon start --port 0 picks a free port; the daemon on 9120 forwards this project's requests to it.\n",
            s(&a)
        ),
        "{out:#?}"
    );
    let out = env.run(&b, &["--json", "start", "--port", &ns]);
    out.expect_code(1);
    assert_eq!(
        out.json()["error"],
        json!({"code": "port_in_use", "port": n, "owner_project": s(&a),
               "message": format!("Port {n} already in use by daemon for {}. Use --port to specify a different port.", s(&a))})
    );
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "no entry for B: {reg:#?}");
    assert_eq!(reg[0]["project_path"], json!(s(&a)));

    // §12 for a daemon on a port other than 9120: the short form of the block.
    let warning = format!(
        "Warning: a mu-daemon for another project is running: {} (pid {pa}, port {n}).\n  To stop it: mu-daemon stop --port {n}\n",
        s(&a)
    );
    let out = env.run(&b, &["status"]);
    out.expect_code(3);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&b))
    );
    assert_eq!(out.stderr, warning);
    let out = env.run(&b, &["stop"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&b))
    );
    assert_eq!(out.stderr, warning);
    assert!(alive(pa), "stop in B never stops A's daemon");

    let out = env.run(&b, &["start", "--port", "0"]);
    out.expect_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out:#?}");
    assert_eq!(lines[0], format!("mu-daemon started for {}", s(&b)));
    let (pid_part, url) = lines[1]
        .strip_prefix("  pid ")
        .and_then(|l| l.split_once(" · "))
        .unwrap_or_else(|| panic!("{out:#?}"));
    let pb: u32 = pid_part.parse().unwrap();
    env.track(pb);
    let pbport: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(pbport, n);
    assert_eq!(lines[2], format!("  log {}/.mu/daemon.log", s(&b)));
    assert_eq!(get(pbport, "/health").unwrap().json()["pid"], json!(pb));
    assert_eq!(env.registry().len(), 2);
}

/// §14.14, §14.15: a foreign listener on N → `start --port N` exit 1 with the not-a-mu-daemon
/// message and nothing left behind; `stop --port N` exit 1; the listener is untouched.
#[test]
fn foreign_listener_on_the_port() {
    let env = DaemonEnv::new();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let n = listener.local_addr().unwrap().port();
    let root = env.py_project("shop");
    let out = env.run(&root, &["start", "--port", &n.to_string()]);
    out.expect_code(1);
    assert_eq!(
        out.stderr,
        format!("Error: Port {n} is already in use by another process (not a mu-daemon). Use --port to specify a different port.\n"),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("started"), "{out:#?}");
    assert!(env.registry().is_empty(), "{:#?}", env.registry());
    assert!(!root.join(".mu/daemon.pid").exists());

    let out = env.run(&env.work(), &["stop", "--port", &n.to_string()]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!("Error: Port {n} is not served by a registered mu-daemon; nothing was stopped.\n"),
        "{out:#?}"
    );
    // Still ours and still listening.
    assert_eq!(listener.local_addr().unwrap().port(), n);
    let _c = TcpStream::connect((Ipv4Addr::LOCALHOST, n)).expect("the listener still accepts");
    listener.set_nonblocking(true).unwrap();
    let accepted = wait_for("a queued connection", Duration::from_secs(2), || {
        listener.accept().ok()
    });
    drop(accepted);
}

/// §14.19: `stop --all` over a running daemon, a stale entry, a SIGSTOPped daemon and a
/// foreign pid: only the verified daemons are signalled, the stale ones removed, one outcome per
/// target, the foreign process untouched, exit 0, within 8 s (asserted ≤ 10 s).
#[test]
fn stop_all_over_a_mix_of_entries() {
    let env = DaemonEnv::new();
    let r = env.py_project("running");
    let st = env.py_project("stopped");
    let d = env.project("dead", &[]);
    let f = env.project("foreign", &[]);
    let (pr, portr, _) = env.start(&r, &["--port", "0"]);
    let (ps, ports, _) = env.start(&st, &["--port", "0"]);
    freeze(ps);
    let sleep = env.foreign_sleep();
    let dead = dead_pid();
    let (dport, fport) = (free_port(), free_port());
    let mut entries = env.registry();
    entries.push(fake_entry(&d, dead, dport, 1));
    entries.push(fake_entry(&f, sleep, fport, 12345));
    env.write_registry(&entries);

    let out = env.run(&env.work(), &["--json", "stop", "--all"]);
    out.expect_code(0);
    assert!(
        out.elapsed <= Duration::from_secs(10),
        "stop --all took {:?} (bound 8 s)",
        out.elapsed
    );
    eprintln!("stop --all took {:?}", out.elapsed);
    let v = out.json();
    assert_eq!(
        v["results"],
        json!([
            {"project_path": s(&r), "pid": pr, "port": portr, "outcome": "stopped",
             "message": format!("Stopped mu-daemon for {} (pid {pr}, port {portr}).", s(&r))},
            {"project_path": s(&st), "pid": ps, "port": ports, "outcome": "killed",
             "message": format!("Killed mu-daemon for {} (pid {ps}, port {ports}) after 5 s without exit.", s(&st))},
        ]),
        "{v}"
    );
    assert_eq!(
        v["removed_stale"],
        json!([
            {"project_path": s(&d), "pid": dead, "port": dport, "reason": "process gone"},
            {"project_path": s(&f), "pid": sleep, "port": fport, "reason": "pid reused by another process"},
        ])
    );
    assert!(env.child_running(sleep), "the foreign process is untouched");
    wait_gone(pr, Duration::from_secs(2));
    wait_gone(ps, Duration::from_secs(2));
    assert!(env.registry().is_empty(), "{:#?}", env.registry());
}

/// §14.20: `start` twice, `stop` twice, `status` without a daemon.
#[test]
fn start_stop_status_are_idempotent() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, v) = env.start(&root, &["--port", "0"]);
    assert_eq!(v["result"], "started");
    assert_eq!(
        v["indexed"]["files"].clone(),
        json!(2),
        "start indexed the new project: {v}"
    );
    let out = env.run(&root, &["start", "--port", "0"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!(
            "mu-daemon is already running for {} (pid {pid}, port {port})\n",
            s(&root)
        )
    );
    assert_eq!(out.stderr, "");
    let other = free_port();
    let out = env.run(&root, &["start", "--port", &other.to_string()]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!(
            "mu-daemon is already running for {} (pid {pid}, port {port}); requested port {other} ignored\n",
            s(&root)
        )
    );
    let out = env.run(&root, &["--json", "start", "--port", "0"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(
        (&v["result"], &v["pid"], &v["port"], &v["indexed"]),
        (
            &json!("already_running"),
            &json!(pid),
            &json!(port),
            &Value::Null
        )
    );

    let out = env.run(&root, &["stop"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!(
            "Stopped mu-daemon for {} (pid {pid}, port {port}).\n",
            s(&root)
        )
    );
    assert!(!alive(pid));
    let out = env.run(&root, &["stop"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&root))
    );
    assert_eq!(out.stderr, "");
    let out = env.run(&root, &["status"]);
    out.expect_code(3);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&root))
    );
    assert_eq!(out.stderr, "");
    let out = env.run(&root, &["--json", "status"]);
    out.expect_code(3);
    let v = out.json();
    assert_eq!(
        (&v["state"], &v["daemon"], &v["server"]),
        (&json!("not_running"), &Value::Null, &Value::Null)
    );
}

/// §14.21: `index` while the daemon runs goes through `POST /build`; no lock error; the
/// daemon serves the result (the daemon does not watch, so only the build can have changed it).
#[test]
fn index_goes_through_the_running_daemon() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0", "--no-watch"]);
    fs::write(root.join("c.py"), "def h():\n    return 2\n").unwrap();
    let out = env.run(&root, &["--json", "index"]);
    out.expect_code(0);
    assert_eq!(out.stderr, "");
    let v = out.json();
    assert_eq!(
        v,
        json!({"schema_version": 1, "command": "index", "project_root": s(&root),
               "mode": "incremental", "via": "daemon", "files_scanned": 3, "files_changed": 1,
               "files_removed": 0, "files_failed": 0, "node_count": 6, "edge_count": 5,
               "duration_ms": v["duration_ms"].clone()})
    );
    assert!(v["duration_ms"].is_f64(), "{v}");
    let st = status_json(port);
    assert_eq!(
        (st["node_count"].clone(), st["edge_count"].clone()),
        (json!(6), json!(5))
    );
    assert_eq!(st["pid"], json!(pid), "the same daemon");
}

/// §2.2, §14.22: a symlink, a trailing slash and `..` name one project: one daemon, one entry.
#[test]
fn symlink_slash_and_dotdot_are_one_project() {
    let env = DaemonEnv::new();
    let root = env.py_project("real");
    fs::create_dir(root.join("sub")).unwrap();
    let work = env.work();
    std::os::unix::fs::symlink(&root, work.join("link")).unwrap();
    let out = env.run(&work, &["--json", "start", "link", "--port", "0"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(v["result"], "started");
    assert_eq!(v["project_root"], json!(s(&root)));
    let (pid, port) = (v["pid"].clone(), v["port"].clone());
    let already = format!(
        "mu-daemon is already running for {} (pid {pid}, port {port})\n",
        s(&root)
    );
    let abs_slash = format!("{}/", s(&root));
    for p in [
        "link",
        "link/",
        "real/",
        "real/sub/..",
        "link/sub/../",
        &abs_slash,
    ] {
        let out = env.run(&work, &["start", p, "--port", "0"]);
        out.expect_code(0);
        assert_eq!(out.stdout, already, "start {p}");
    }
    let out = env.run(&work.join("link"), &["start", "--port", "0"]);
    out.expect_code(0);
    assert_eq!(out.stdout, already, "cwd through the symlink");
    let out = env.run(&work, &["--json", "status", "link/sub/"]);
    out.expect_code(0);
    assert_eq!(out.json()["project_root"], json!(s(&root)));
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "{reg:#?}");
    assert_eq!(reg[0]["project_path"], json!(s(&root)));
}

/// §7.6, §9, §14.23: under `umask 000` every file is still private; a group-writable
/// `MU_HOME` is refused with the fix.
#[test]
fn files_are_private_under_umask_000() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(["--json", "start", "--port", "0"]);
    env.configure(&mut c, &root);
    env.run_cmd(c).expect_code(0);
    let home = env.mu_home();
    let mu = root.join(".mu");
    let expected = [
        (home.clone(), 0o700),
        (home.join("daemons.json"), 0o600),
        (home.join("daemons.lock"), 0o600),
        (mu.clone(), 0o700),
        (mu.join("mubase"), 0o600),
        (mu.join("daemon.pid"), 0o600),
        (mu.join("daemon.log"), 0o600),
        (mu.join("daemon.lock"), 0o600),
    ];
    let actual: Vec<(String, String)> = expected
        .iter()
        .map(|(p, _)| (s(p), format!("{:04o}", mode(p))))
        .collect();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(p, m)| (s(p), format!("{m:04o}")))
        .collect();
    assert_eq!(actual, want);

    let env2 = DaemonEnv::new();
    let p2 = env2.py_project("q");
    let home2 = env2.mu_home();
    fs::DirBuilder::new().mode(0o700).create(&home2).unwrap();
    fs::set_permissions(&home2, fs::Permissions::from_mode(0o770)).unwrap();
    let out = env2.run(&p2, &["start", "--port", "0"]);
    out.expect_code(1);
    assert_eq!(
        out.stderr,
        format!(
            "Error: {h} is writable by other users (mode 0770). Fix with: chmod 700 {h}\n",
            h = s(&home2)
        ),
        "{out:#?}"
    );
    assert!(
        !p2.join(".mu").exists(),
        "nothing was created in the project"
    );
    let out = env2.run(&p2, &["--json", "start", "--port", "0"]);
    out.expect_code(1);
    assert_eq!(out.json()["error"]["code"], "unsafe_mu_home");
}

/// §14.17: a corrupt mubase → `start` exits 3 quickly with the failure, the log tail, and no
/// registry entry or pid file left behind.
#[test]
fn corrupt_mubase_fails_fast_and_leaves_nothing() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let mu = root.join(".mu");
    fs::DirBuilder::new().mode(0o700).create(&mu).unwrap();
    let garbage: Vec<u8> = (0..65536u32).map(|i| (i * 7 + 13) as u8).collect();
    fs::write(mu.join("mubase"), &garbage).unwrap();
    let out = env.run(&root, &["start", "--port", "0"]);
    out.expect_code(3);
    eprintln!("start with a corrupt mubase took {:?}", out.elapsed);
    assert!(
        out.elapsed <= Duration::from_secs(3),
        "start took {:?} (bound: under 2 s)",
        out.elapsed
    );
    let log = mu.join("daemon.log");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("Error: mu-daemon failed to start: ")
            || lines[0] == "Error: mu-daemon exited during startup.",
        "{out:#?}"
    );
    assert_eq!(
        lines.get(1).copied(),
        Some(format!("Last lines of {}:", s(&log)).as_str())
    );
    let log_text = fs::read_to_string(&log).unwrap();
    let log_lines: Vec<&str> = log_text.lines().collect();
    let tail: Vec<String> = log_lines[log_lines.len().saturating_sub(20)..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect();
    assert!(!tail.is_empty());
    assert_eq!(lines[2..].to_vec(), tail, "the last 20 log lines follow");
    assert!(env.registry().is_empty(), "{:#?}", env.registry());
    assert!(!mu.join("daemon.pid").exists());
    let out = env.run(&root, &["--json", "start", "--port", "0"]);
    out.expect_code(3);
    let e = &out.json()["error"];
    assert_eq!(e["code"], "start_failed", "{e}");
    assert_eq!(e["log_path"], json!(s(&log)));
    assert!(
        e["log_tail"].as_array().is_some_and(|t| !t.is_empty()),
        "{e}"
    );
}

/// §13, §14.16: once `stop` returns, the port can be bound again within 1 s.
#[test]
fn port_is_free_within_a_second_after_stop() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let n = free_port();
    let (pid, _, _) = env.start(&root, &["--port", &n.to_string()]);
    env.run(&root, &["stop"]).expect_code(0);
    let t = Instant::now();
    wait_for("the port to be bindable", Duration::from_secs(1), || {
        TcpListener::bind((Ipv4Addr::LOCALHOST, n)).ok()
    });
    eprintln!("port {n} bindable {:?} after stop returned", t.elapsed());
    assert!(!alive(pid));
}

/// §3.2: `run` in the foreground: the Serving line, a second `run` refused, SIGINT →
/// `Shutting down…`, exit 0, entry gone.
#[test]
fn run_in_the_foreground() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    env.run(&root, &["index"]).expect_code(0);
    let mut c = env.cmd(&root, &["run", "--port", "0"]);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(tempfile::tempfile().unwrap());
    let mut child = ChildGuard(c.spawn().unwrap());
    let cpid = child.id();
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("run prints the Serving line within 30 s");
    let prefix = format!("Serving {} on http://127.0.0.1:", s(&root));
    let rest = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{line:?}"));
    let (port, tail) = rest.split_once(' ').unwrap();
    let port: u16 = port.parse().unwrap();
    assert_eq!(tail, format!("(pid {cpid}). Press Ctrl+C to stop."));
    assert_eq!(get(port, "/health").unwrap().json()["pid"], json!(cpid));
    let reg = env.registry();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0]["pid"], json!(cpid));

    let out = env.run(&root, &["run", "--port", "0"]);
    out.expect_code(1);
    let msg = format!(
        "Error: mu-daemon is already running for {r} (pid {cpid}, port {port}). Stop it first with: mu-daemon stop {r}",
        r = s(&root)
    );
    assert_eq!(out.stderr, format!("{msg}\n"), "{out:#?}");
    assert_eq!(out.stdout, "");
    let out = env.run(&root, &["--json", "run", "--port", "0"]);
    out.expect_code(1);
    let e = out.json()["error"].clone();
    assert_eq!(
        (&e["code"], &e["pid"], &e["port"]),
        (&json!("already_running"), &json!(cpid), &json!(port)),
        "{e}"
    );

    signal(cpid, libc::SIGINT);
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("run exits within 10 s of SIGINT");
    assert_eq!(status.code(), Some(0));
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(rest, ["Shutting down…"]);
    assert!(env.registry().is_empty());
    assert!(!root.join(".mu/daemon.pid").exists());
}

/// `http-api.md` §2.2–§2.6, §14.25 over real HTTP: Host and Origin checks, 404/405, no CORS,
/// the token, and the non-loopback refusal.
#[test]
fn request_guard_over_real_http() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    let send = |raw: String| http_raw(port, raw.as_bytes(), Duration::from_secs(5)).unwrap();
    let denied = |r: &Resp, status: u16, detail: &str| {
        assert_eq!(r.status, status, "{r:#?}");
        assert_eq!(r.json(), json!({"detail": detail}), "{r:#?}");
        assert_eq!(r.header("x-mu-project"), None, "no path revealed: {r:#?}");
        r.assert_no_cors();
    };
    let r = send(format!(
        "GET /health HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n"
    ));
    denied(&r, 403, "Host not allowed");
    let r = send(format!(
        "GET /status HTTP/1.1\r\nHost: 0.0.0.0:{port}\r\nConnection: close\r\n\r\n"
    ));
    denied(&r, 403, "Host not allowed");
    let r = send("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n".to_string());
    denied(&r, 400, "Invalid Host header");
    let r = send(format!(
        "GET /health HTTP/1.1\r\nHost: {}:{port}\r\nConnection: close\r\n\r\n",
        "a".repeat(100 * 1024)
    ));
    eprintln!("100 KB Host header → {} {}", r.status, r.text());
    denied(&r, 400, "Invalid Host header");
    let r = send(format!(
        "POST /build HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://evil.example\r\n\
         Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    ));
    denied(&r, 403, "Origin not allowed");
    let r = send(format!(
        "OPTIONS /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://evil.example\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Private-Network: true\r\n\
         Connection: close\r\n\r\n"
    ));
    denied(&r, 403, "Origin not allowed");
    let r = send(format!(
        "OPTIONS /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(r.status, 405, "{r:#?}");
    r.assert_no_cors();

    let r = get(port, "/nope").unwrap();
    assert_eq!(r.status, 404, "{r:#?}");
    assert_eq!(r.json(), json!({"detail": "Not Found"}));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    r.assert_no_cors();
    let r = send(format!(
        "POST /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(r.status, 405, "{r:#?}");
    assert_eq!(r.json(), json!({"detail": "Method Not Allowed"}));
    let allow = r
        .header("allow")
        .unwrap_or_else(|| panic!("Allow header: {r:#?}"));
    assert!(allow.contains("GET"), "{allow}");
    r.assert_no_cors();
    // Still serving.
    let r = get(port, "/health").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["pid"], json!(pid));
    r.assert_no_cors();

    // With a token (from the environment, ≥ 16 characters).
    let token = "s3cret-token-0123456789";
    let q = env.py_project("tokened");
    let mut c = env.cmd(&q, &["--json", "start", "--port", "0"]);
    c.env("MU_DAEMON_TOKEN", token);
    let out = env.run_cmd(c);
    out.expect_code(0);
    assert!(!out.stdout.contains(token) && !out.stderr.contains(token));
    let v = out.json();
    let (qpid, qport) = (
        v["pid"].as_u64().unwrap() as u32,
        v["port"].as_u64().unwrap() as u16,
    );
    let r = get(qport, "/health").unwrap();
    assert_eq!(r.status, 401, "{r:#?}");
    assert_eq!(r.json(), json!({"detail": "Not authenticated"}));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = get_with(
        qport,
        "/health",
        &["Authorization: Bearer wrong-token-0123456789"],
    )
    .unwrap();
    assert_eq!(r.status, 401, "{r:#?}");
    let auth = format!("Authorization: Bearer {token}");
    let r = get_with(qport, "/health", &[&auth]).unwrap();
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.json()["pid"], json!(qpid));
    let auth_lower = format!("Authorization: bearer {token}");
    assert_eq!(
        get_with(qport, "/status", &[&auth_lower]).unwrap().status,
        200
    );
    let cmdline = fs::read(format!("/proc/{qpid}/cmdline")).unwrap();
    assert!(
        !String::from_utf8_lossy(&cmdline).contains(token),
        "the token is passed through the environment, never argv"
    );
    assert!(!read_text(&q.join(".mu/daemon.log")).contains(token));
    assert!(!read_text(&env.registry_path()).contains(token));

    // A non-loopback host without a token.
    let z = env.py_project("zero");
    let out = env.run(&z, &["start", "--host", "0.0.0.0", "--port", "0"]);
    out.expect_code(1);
    assert_eq!(
        out.stderr,
        "Error: Refusing to listen on 0.0.0.0 without a token. Set MU_DAEMON_TOKEN or use --token.\n",
        "{out:#?}"
    );
    assert!(!z.join(".mu").exists());
}

fn read_text(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// `http-api.md` §4.1, §4.2, §2.8, §2.12: exact `/health` and `/status` on the a.py/b.py
/// project; `cwd` in no project → 404; relative `cwd` → 400.
#[test]
fn status_and_health_fields() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    let r = get(port, "/health").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"status": "ok", "service": "mu-daemon", "pid": pid, "port": port, "daemon_version": VERSION})
    );
    // The daemon reconciles the graph once after start (the index ran in `start`); wait until
    // that run is over so the fields are the settled ones.
    wait_for("indexing to be idle", Duration::from_secs(10), || {
        (status_json(port)["indexing"]["state"] == "idle").then_some(())
    });
    let r = get(port, "/status").unwrap();
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-mu-project"), Some(s(&root).as_str()));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    r.assert_no_cors();
    let v = r.json();
    let mubase = s(&root.join(".mu/mubase"));
    assert_eq!(v["status"], "running");
    assert_eq!(
        (v["node_count"].clone(), v["edge_count"].clone()),
        (json!(4), json!(4))
    );
    assert_eq!(
        (v["stats"]["nodes"].clone(), v["stats"]["edges"].clone()),
        (json!(4), json!(4))
    );
    assert_eq!(
        v["stats"]["nodes_by_type"],
        json!({"module": 2, "function": 2})
    );
    assert_eq!(
        v["stats"]["edges_by_type"],
        json!({"contains": 2, "imports": 1, "calls": 1})
    );
    assert_eq!(v["stats"]["version"], "1.0.0");
    assert!(v["stats"]["file_size_kb"].is_f64());
    assert_eq!(v["language_stats"]["languages"], json!({"Python": 2}));
    assert_eq!(v["language_stats"]["primary_language"], "Python");
    assert_eq!(v["language_stats"]["total_files"], 2);
    assert_eq!(v["mubase_path"], json!(mubase));
    assert_eq!(v["project_paths"], json!([mubase]));
    assert_eq!(v["project_root"], json!(s(&root)));
    assert_eq!(v["active_projects"], 1);
    assert_eq!(v["connections"], 0);
    assert_eq!(v["primary"], true);
    assert_eq!(v["watching"], true);
    assert_eq!(
        (v["pid"].clone(), v["port"].clone()),
        (json!(pid), json!(port))
    );
    assert_eq!(v["daemon_version"], VERSION);
    assert!(
        v["uptime_seconds"].as_f64().is_some_and(|u| u >= 0.0),
        "{v}"
    );
    assert_eq!(v["indexing"]["state"], "idle");
    assert!(v.get("success").is_none());

    let nowhere = env.work().join("nowhere");
    fs::create_dir(&nowhere).unwrap();
    let r = get(port, &format!("/status?cwd={}", s(&nowhere))).unwrap();
    assert_eq!(r.status, 404, "{r:#?}");
    assert_eq!(
        r.json(),
        json!({"detail": format!("No MU project (.mu/mubase) found for {}", s(&nowhere))})
    );
    let r = get(port, "/status?cwd=relative").unwrap();
    assert_eq!(r.status, 400, "{r:#?}");
    assert_eq!(
        r.json(),
        json!({"detail": "cwd must be an absolute path: relative"})
    );
    let r = get(port, &format!("/status?cwd={}", s(&root.join("a.py")))).unwrap();
    assert_eq!(r.status, 200, "a file's directory is used: {r:#?}");
    assert_eq!(r.header("x-mu-project"), Some(s(&root).as_str()));
}

/// The watcher: a new file is in the served graph within 10 s.
#[test]
fn watcher_picks_up_a_new_file() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    assert_eq!(status_json(port)["node_count"], 4);
    fs::write(root.join("c.py"), "def h():\n    return 2\n").unwrap();
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        last = status_json(port);
        if last["node_count"] == 6 && last["edge_count"] == 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        (last["node_count"].clone(), last["edge_count"].clone()),
        (json!(6), json!(5)),
        "within 10 s: {last}"
    );
    assert_eq!(
        last["stats"]["nodes_by_type"],
        json!({"module": 3, "function": 3})
    );
}

/// Launch MU's legacy form `mu-daemon <root> --port N --build` and wait (≤ 30 s, as MU's
/// launcher does) for `/status` to answer 200: the child, its pid and that answer.
fn legacy_daemon(env: &DaemonEnv, root: &Path, port: u16) -> (ChildGuard, u32, Value) {
    let mut c = Command::new(BIN);
    c.arg(root)
        .args(["--port", &port.to_string(), "--build"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    env.configure(&mut c, &env.work());
    let child = ChildGuard(c.spawn().unwrap());
    let pid = child.id();
    let v = wait_for(
        "the legacy daemon to answer /status",
        Duration::from_secs(30),
        || {
            get(port, "/status")
                .ok()
                .filter(|r| r.status == 200)
                .map(|r| r.json())
        },
    );
    (child, pid, v)
}

/// §3.9: MU's launcher form `mu-daemon <root> --port N --build` serves, registers, and exits 0
/// on SIGTERM, deregistered; `--mcp` is refused with exit 2.
#[test]
fn legacy_launcher_form() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let n = free_port();
    let (mut child, cpid, v) = legacy_daemon(&env, &root, n);
    assert_eq!(v["project_root"], json!(s(&root)));
    assert_eq!(v["node_count"], 4);
    assert_eq!(v["pid"], json!(cpid));
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "{reg:#?}");
    assert_eq!(
        (reg[0]["pid"].clone(), reg[0]["port"].clone()),
        (json!(cpid), json!(n))
    );
    signal(cpid, libc::SIGTERM);
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("exits within 10 s of SIGTERM");
    assert_eq!(status.code(), Some(0));
    assert!(env.registry().is_empty());
    assert!(!root.join(".mu/daemon.pid").exists());

    let out = env.run(&env.work(), &[&s(&root), "--mcp"]);
    out.expect_code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr, "Error: stdio mode is not supported by mu-daemon.\n",
        "{out:#?}"
    );
}

/// §14.2: an entry for B whose pid is A's live mu-daemon, with another start time, and B's
/// project lock free → `status` in B removes it as `pid reused by another process` (and B's pid
/// file naming that pid), exits 3, and A is not signalled: still running, still answering.
#[test]
fn entry_naming_another_daemons_pid_is_stale_and_that_daemon_untouched() {
    let env = DaemonEnv::new();
    let a = env.py_project("a");
    let b = env.py_project("b");
    let (pa, porta, _) = env.start(&a, &["--port", "0"]);
    // B is a project (so `status` resolves it) whose lock nobody holds; `index` cleans the
    // registry, so the entry is written afterwards.
    env.run(&b, &["index"]).expect_code(0);
    assert!(project_lock_free(&b));
    let a_entry = env.entry(&a);
    let a_start = a_entry["process_start_time"]
        .as_u64()
        .expect("A's start time");
    let portb = free_port();
    env.edit_registry(|doc| {
        doc["daemons"]
            .as_array_mut()
            .unwrap()
            .push(fake_entry(&b, pa, portb, a_start - 1000));
    });
    // What an older tool would have left: B's pid file naming that pid.
    fs::write(b.join(".mu/daemon.pid"), pa.to_string()).unwrap();

    let out = env.run(&b, &["status"]);
    out.expect_code(3);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&b))
    );
    assert_eq!(
        out.stderr,
        format!(
            "Removed stale registry entry for {b} (pid {pa}: pid reused by another process).\n\
             Warning: a mu-daemon for another project is running: {a} (pid {pa}, port {porta}).\n  \
             To stop it: mu-daemon stop --port {porta}\n",
            a = s(&a),
            b = s(&b)
        ),
        "{out:#?}"
    );
    assert!(
        !b.join(".mu/daemon.pid").exists(),
        "stale cleanup removes B's pid file that names the reused pid"
    );
    assert_eq!(
        fs::read_to_string(a.join(".mu/daemon.pid")).unwrap(),
        pa.to_string(),
        "A's own pid file is left alone"
    );
    let reg = env.registry();
    assert_eq!(reg, vec![a_entry], "only A's entry, unchanged");
    // Not signalled: neither stopped nor terminated, and still serving.
    assert!(alive(pa));
    assert_ne!(proc_state(pa), Some('T'));
    let r = get(porta, "/health").unwrap();
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.json()["pid"], json!(pa));
    let v = env.run(&a, &["--json", "status"]).expect_code(0).json();
    assert_eq!(
        (&v["state"], &v["daemon"]["pid"]),
        (&json!("running"), &json!(pa))
    );
}

/// §14.4: an entry from before the last boot (pid 1 with a start time it does not have) for B on
/// port N → `start --port N` in B removes it as stale and starts; the registry holds B's real
/// entry.
#[test]
fn entry_from_before_boot_does_not_block_start() {
    let env = DaemonEnv::new();
    let b = env.py_project("b");
    env.run(&b, &["index"]).expect_code(0);
    let n = free_port();
    env.write_registry(&[fake_entry(&b, 1, n, 12345)]);
    // pid 1 always exists where /proc shows it; its start time is not 12345.
    let reason = if alive(1) {
        "pid reused by another process"
    } else {
        "process gone"
    };

    let out = env.run(&b, &["start", "--port", &n.to_string()]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let pid: Option<u32> = lines
        .get(1)
        .and_then(|l| l.strip_prefix("  pid "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse().ok());
    if let Some(pid) = pid {
        env.track(pid);
    }
    out.expect_code(0);
    assert_eq!(
        out.stderr,
        format!(
            "Removed stale registry entry for {} (pid 1: {reason}).\n",
            s(&b)
        ),
        "{out:#?}"
    );
    let pid = pid.unwrap_or_else(|| panic!("{out:#?}"));
    assert_eq!(
        out.stdout,
        format!(
            "mu-daemon started for {b}\n  pid {pid} · http://127.0.0.1:{n}\n  log {b}/.mu/daemon.log\n",
            b = s(&b)
        )
    );
    let reg = env.registry();
    assert_eq!(reg.len(), 1, "{reg:#?}");
    let e = &reg[0];
    assert_eq!(
        (&e["project_path"], &e["pid"], &e["port"]),
        (&json!(s(&b)), &json!(pid), &json!(n))
    );
    assert_ne!(e["process_start_time"], json!(12345), "{e}");
    assert_eq!(e["daemon_version"], VERSION);
    assert_eq!(get(n, "/health").unwrap().json()["pid"], json!(pid));
}

/// An RFC 3339 UTC instant `secs` from now, in whole seconds (how writers store them).
fn rfc3339_from_now(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The one daemon of a `list --json` run (asserting there is exactly one).
fn only_daemon(out: &Out) -> Value {
    out.expect_code(0);
    let v = out.json();
    let daemons = v["daemons"].as_array().cloned().unwrap_or_default();
    assert_eq!(daemons.len(), 1, "{v}");
    daemons[0].clone()
}

/// §14.5, §7.8, §7.9: a live daemon's `last_heartbeat` set to 2 h ago (as after a suspend) →
/// `list` keeps it and shows it `unresponsive`, `status` exits 0 with `unresponsive`; the next
/// heartbeat (every 30 s; waited up to 40 s) makes it `running` again; `stop` works.
#[test]
fn old_heartbeat_is_unresponsive_until_the_next_heartbeat() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    let before = env.entry(&root);
    let old = rfc3339_from_now(-2 * 3600);
    env.edit_entry(&root, |e| {
        e.insert("last_heartbeat".into(), json!(old));
    });
    let mut expected = before.clone();
    expected["last_heartbeat"] = json!(old);
    assert_eq!(env.entry(&root), expected, "only last_heartbeat changed");

    let d = only_daemon(&env.run(&env.work(), &["--json", "list"]));
    assert_eq!(
        (&d["pid"], &d["port"], &d["state"], &d["identity"]),
        (
            &json!(pid),
            &json!(port),
            &json!("unresponsive"),
            &json!("verified")
        ),
        "{d}"
    );
    assert_eq!(d["last_heartbeat"], json!(old));
    assert!(
        d["heartbeat_age_seconds"]
            .as_f64()
            .is_some_and(|a| a >= 7200.0),
        "{d}"
    );
    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    assert_eq!(out.stderr, "");
    let rows = list_rows(&out.stdout);
    assert_eq!(
        rows,
        [(s(&root), pid, port, "unresponsive".to_string())],
        "{out:#?}"
    );
    let row: Vec<&str> = out
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(row[row.len() - 4..], ["2", "h", "ago", VERSION], "{row:?}");
    assert_eq!(env.entry(&root), expected, "the entry is kept as it was");

    let out = env.run(&root, &["--json", "status"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(v["state"], "unresponsive", "{v}");
    assert_eq!(v["daemon"]["state"], "unresponsive");
    assert_eq!(v["daemon"]["pid"], json!(pid));
    assert_eq!(v["daemon"]["last_heartbeat"], json!(old));
    assert_eq!(
        v["server"]["pid"],
        json!(pid),
        "the daemon answered the probe: {v}"
    );
    let out = env.run(&root, &["status"]);
    out.expect_code(0);
    assert_eq!(out.stderr, "");
    let row = |k: &str, v: &str| format!("  {k:<10} {v}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            format!("mu-daemon for {} is alive but unresponsive", s(&root)),
            row("State", "unresponsive"),
            row("PID", &pid.to_string()),
            row("URL", &format!("http://127.0.0.1:{port}")),
        ],
        "{out:#?}"
    );
    assert!(
        lines.contains(&row("Heartbeat", "2 h ago").as_str()),
        "{out:#?}"
    );

    let d = wait_for_every(
        "the next heartbeat to make the daemon running again",
        Duration::from_secs(40),
        Duration::from_millis(500),
        || {
            let d = only_daemon(&env.run(&env.work(), &["--json", "list"]));
            (d["state"] == "running").then_some(d)
        },
    );
    assert_eq!((&d["pid"], &d["port"]), (&json!(pid), &json!(port)));
    assert_ne!(d["last_heartbeat"], json!(old));
    assert!(
        d["heartbeat_age_seconds"]
            .as_f64()
            .is_some_and(|a| a <= 90.0),
        "{d}"
    );
    let v = env.run(&root, &["--json", "status"]).expect_code(0).json();
    assert_eq!(v["state"], "running", "{v}");

    let v = env.run(&root, &["--json", "stop"]).expect_code(0).json();
    assert_eq!(
        v["results"],
        json!([{"project_path": s(&root), "pid": pid, "port": port, "outcome": "stopped",
                "message": format!("Stopped mu-daemon for {} (pid {pid}, port {port}).", s(&root))}])
    );
    wait_gone(pid, Duration::from_secs(2));
    assert!(env.registry().is_empty());
}

/// §14.7 (simulated): `started_at` 1 h in the future (the clock was stepped back) → uptime 0,
/// never negative, in `list` and `status`. Then the recorded start time is shifted by 1 h too
/// (what `sysinfo` reports after the step): the daemon stays alive through its project lock
/// (`identity: lock`) and `stop` still stops it through the lock-file pid check.
#[test]
fn clock_step_gives_no_negative_uptime_and_the_daemon_stays_stoppable() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    let future = rfc3339_from_now(3600);
    env.edit_entry(&root, |e| {
        e.insert("started_at".into(), json!(future));
    });

    let d = only_daemon(&env.run(&env.work(), &["--json", "list"]));
    assert_eq!(d["started_at"], json!(future));
    assert_eq!(d["uptime_seconds"], json!(0.0), "{d}");
    assert_eq!(
        (&d["state"], &d["identity"]),
        (&json!("running"), &json!("verified")),
        "{d}"
    );
    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    let row: Vec<&str> = out
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(row[4], "0s", "UPTIME: {out:#?}");

    let out = env.run(&root, &["--json", "status"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(v["state"], "running", "{v}");
    assert_eq!(v["daemon"]["uptime_seconds"], json!(0.0), "{v}");
    let out = env.run(&root, &["status"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("mu-daemon is running for {}", s(&root)).as_str())
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l == format!("  {:<10} 0s", "Uptime")),
        "{out:#?}"
    );

    // The start time `sysinfo` reports no longer matches the recorded one.
    env.edit_entry(&root, |e| {
        let t = e["process_start_time"].as_u64().unwrap();
        e.insert("process_start_time".into(), json!(t + 3600));
    });
    let d = only_daemon(&env.run(&env.work(), &["--json", "list"]));
    assert_eq!(
        (&d["pid"], &d["state"], &d["identity"], &d["uptime_seconds"]),
        (&json!(pid), &json!("running"), &json!("lock"), &json!(0.0)),
        "{d}"
    );
    let v = env.run(&root, &["--json", "stop"]).expect_code(0).json();
    assert_eq!(
        v["results"],
        json!([{"project_path": s(&root), "pid": pid, "port": port, "outcome": "stopped",
                "message": format!("Stopped mu-daemon for {} (pid {pid}, port {port}).", s(&root))}]),
        "{v}"
    );
    wait_gone(pid, Duration::from_secs(2));
    assert!(env.registry().is_empty(), "{:#?}", env.registry());
}

/// §14.13, §7.9: a live daemon's entry deleted by hand → `list` shows nothing right away; the
/// next heartbeat (≤ 30 s, waited up to 40 s) adds it back with the same pid, port and start.
#[test]
fn entry_deleted_by_hand_comes_back_at_the_next_heartbeat() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, port, _) = env.start(&root, &["--port", "0"]);
    let before = env.entry(&root);
    env.edit_registry(|doc| doc["daemons"] = json!([]));

    let out = env.run(&env.work(), &["--json", "list"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(
        (&v["daemons"], &v["removed_stale"], &v["warnings"]),
        (&json!([]), &json!([]), &json!([])),
        "{v}"
    );
    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    assert_eq!(out.stdout, "No mu-daemon is running.\n");
    assert_eq!(out.stderr, "");

    let d = wait_for_every(
        "the daemon to re-register by heartbeat",
        Duration::from_secs(40),
        Duration::from_millis(500),
        || {
            let v = env
                .run(&env.work(), &["--json", "list"])
                .expect_code(0)
                .json();
            v["daemons"].as_array().and_then(|a| a.first().cloned())
        },
    );
    assert_eq!(
        (&d["project_path"], &d["pid"], &d["port"], &d["state"]),
        (
            &json!(s(&root)),
            &json!(pid),
            &json!(port),
            &json!("running")
        ),
        "{d}"
    );
    let after = env.entry(&root);
    for k in [
        "pid",
        "port",
        "process_start_time",
        "started_at",
        "host",
        "mubase_path",
    ] {
        assert_eq!(after[k], before[k], "{k}: {after} vs {before}");
    }
    let out = env.run(&env.work(), &["list"]);
    assert_eq!(
        list_rows(&out.stdout),
        [(s(&root), pid, port, "running".to_string())]
    );
}

/// §14.24: `start` run from a blocking task of a multi-threaded tokio runtime → no "failed to
/// wake I/O driver" panic, no hang: exit 0 within the bound, and the daemon answers.
#[test]
fn start_from_inside_a_multi_threaded_tokio_runtime() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let run_in_rt = |cmd: Command| -> Out {
        rt.block_on(async move {
            let task =
                tokio::task::spawn_blocking(move || try_run_cmd(cmd, Duration::from_secs(60)));
            tokio::time::timeout(Duration::from_secs(70), task)
                .await
                .expect("the blocking task finished within 70 s")
                .expect("the blocking task did not panic")
        })
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = run_in_rt(env.cmd(&root, &["--json", "start", "--port", "0"]));
    if let Some(pid) = serde_json::from_str::<Value>(out.stdout.trim())
        .ok()
        .and_then(|v| v["pid"].as_u64())
    {
        env.track(pid as u32);
    }
    out.expect_code(0);
    assert!(
        !out.stderr.contains("panicked"),
        "no panic in start: {out:#?}"
    );
    eprintln!("start inside tokio took {:?}", out.elapsed);
    let v = out.json();
    assert_eq!(v["result"], "started", "{v}");
    let (pid, port) = (v["pid"].clone(), v["port"].as_u64().unwrap() as u16);
    let r = get(port, "/health").unwrap();
    assert_eq!(r.status, 200, "{r:#?}");
    assert_eq!(r.json()["pid"], pid);
    let out = run_in_rt(env.cmd(&root, &["--json", "stop"]));
    out.expect_code(0);
    assert_eq!(out.json()["results"][0]["outcome"], "stopped");
    rt.shutdown_timeout(Duration::from_secs(1));
}

/// §3.4 pid-file fallback: the registry lost the entry, but `.mu/daemon.pid` names a process
/// that holds the project lock, wrote its pid into the lock file and is a mu-daemon → `stop
/// <root>` still stops it (`stopped`), and nothing is left behind.
#[test]
fn stop_falls_back_to_the_pid_file() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    let (pid, _, _) = env.start(&root, &["--port", "0"]);
    env.edit_registry(|doc| doc["daemons"] = json!([]));
    // The three facts the fallback relies on.
    assert_eq!(
        fs::read_to_string(root.join(".mu/daemon.pid")).unwrap(),
        pid.to_string()
    );
    assert_eq!(
        fs::read_to_string(root.join(".mu/daemon.lock"))
            .unwrap()
            .trim(),
        pid.to_string()
    );
    assert!(!project_lock_free(&root));
    assert!(is_mu_daemon(pid));

    let out = env.run(&env.work(), &["--json", "stop", &s(&root)]);
    out.expect_code(0);
    let v = out.json();
    let results = v["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 1, "{v}");
    let r = &results[0];
    assert_eq!(
        (&r["project_path"], &r["pid"], &r["outcome"]),
        (&json!(s(&root)), &json!(pid), &json!("stopped")),
        "{v}"
    );
    // Found through the pid file: the port is not known, and not made up.
    assert_eq!(
        r["message"],
        json!(format!("Stopped mu-daemon for {} (pid {pid}).", s(&root))),
        "{v}"
    );
    assert_eq!(r["port"], Value::Null, "{v}");
    assert_eq!(v["removed_stale"], json!([]));
    wait_gone(pid, Duration::from_secs(2));
    assert!(!root.join(".mu/daemon.pid").exists());
    assert!(project_lock_free(&root));
    assert!(env.registry().is_empty(), "{:#?}", env.registry());
    let out = env.run(&env.work(), &["stop", &s(&root)]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        format!("No mu-daemon is running for {}.\n", s(&root))
    );
}

/// `serde_json`'s pretty text of `v`, every line indented by `n` spaces (an element of the
/// `daemons` array is printed at 4).
fn pretty_at(v: &Value, n: usize) -> String {
    let pad = " ".repeat(n);
    serde_json::to_string_pretty(v)
        .unwrap()
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// §7.3, §3.5: an entry without `pid` and one with `"port": "x"` (naming a live foreign pid)
/// next to a live daemon → `list` shows only the daemon and warns once per malformed entry;
/// `stop --all` stops the daemon only, signals nothing else, and the malformed entries are
/// still in daemons.json, byte for byte.
#[test]
fn malformed_entries_are_kept_warned_about_and_never_signalled() {
    let env = DaemonEnv::new();
    let live = env.py_project("live");
    let (pid, port, _) = env.start(&live, &["--port", "0"]);
    let sleep = env.foreign_sleep();
    let work = env.work();
    // Sorted after "live", so their indices are 1 and 2 whoever rewrites the file.
    let mut nopid = fake_entry(&work.join("nopid"), 0, free_port(), 12345);
    nopid.as_object_mut().unwrap().remove("pid");
    let mut portx = fake_entry(&work.join("portx"), sleep, 1, 12345);
    portx["port"] = json!("x");
    env.edit_registry(|doc| {
        let a = doc["daemons"].as_array_mut().unwrap();
        a.push(nopid.clone());
        a.push(portx.clone());
    });
    let original = fs::read_to_string(env.registry_path()).unwrap();
    let texts = [pretty_at(&nopid, 4), pretty_at(&portx, 4)];
    for t in &texts {
        assert!(original.contains(t.as_str()), "{t}\nin\n{original}");
    }
    let file = s(&env.registry_path());
    let warnings = [
        format!("Registry {file} has a malformed entry (daemons[1]): \"pid\" is missing; it is kept and ignored."),
        format!("Registry {file} has a malformed entry (daemons[2]): \"port\" has the wrong type; it is kept and ignored."),
    ];

    let out = env.run(&work, &["list"]);
    out.expect_code(0);
    assert_eq!(
        list_rows(&out.stdout),
        [(s(&live), pid, port, "running".to_string())]
    );
    assert_eq!(
        out.stderr,
        format!("Warning: {}\nWarning: {}\n", warnings[0], warnings[1]),
        "{out:#?}"
    );
    let out = env.run(&work, &["--json", "list"]);
    let d = only_daemon(&out);
    assert_eq!(d["pid"], json!(pid));
    let v = out.json();
    assert_eq!(v["warnings"], json!(warnings));
    assert_eq!(v["removed_stale"], json!([]));

    let out = env.run(&work, &["--json", "stop", "--all"]);
    out.expect_code(0);
    let v = out.json();
    assert_eq!(
        v["results"],
        json!([{"project_path": s(&live), "pid": pid, "port": port, "outcome": "stopped",
                "message": format!("Stopped mu-daemon for {} (pid {pid}, port {port}).", s(&live))}]),
        "{v}"
    );
    assert_eq!(v["removed_stale"], json!([]));
    assert_eq!(v["warnings"], json!(warnings));
    wait_gone(pid, Duration::from_secs(2));
    assert!(
        env.child_running(sleep),
        "the malformed entry's pid was not killed"
    );
    assert_ne!(proc_state(sleep), Some('T'), "nor stopped");
    let after = fs::read_to_string(env.registry_path()).unwrap();
    for t in &texts {
        assert!(
            after.contains(t.as_str()),
            "kept byte for byte:\n{t}\nin\n{after}"
        );
    }
    assert_eq!(env.registry(), vec![nopid, portx], "{after}");
}

/// §11: a relative `MU_HOME` is refused (exit 1, naming it) before anything is created.
#[test]
fn relative_mu_home_is_refused() {
    let env = DaemonEnv::new();
    let work = env.work();
    let root = env.py_project("shop");
    let message = "MU_HOME must be an absolute path: rel/dir";
    let mut c = env.cmd(&work, &["list"]);
    c.env("MU_HOME", "rel/dir");
    let out = env.run_cmd(c);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, format!("Error: {message}\n"), "{out:#?}");
    let mut c = env.cmd(&work, &["--json", "list"]);
    c.env("MU_HOME", "rel/dir");
    let out = env.run_cmd(c);
    out.expect_code(1);
    assert_eq!(
        out.json()["error"],
        json!({"code": "unsafe_mu_home", "message": message})
    );
    let mut c = env.cmd(&root, &["start", "--port", "0"]);
    c.env("MU_HOME", "rel/dir");
    let out = env.run_cmd(c);
    out.expect_code(1);
    assert_eq!(out.stderr, format!("Error: {message}\n"), "{out:#?}");
    assert!(!work.join("rel").exists() && !root.join("rel").exists());
    assert!(
        !root.join(".mu").exists(),
        "nothing was created in the project"
    );
    assert!(!env.mu_home().exists());
}

/// §7.3: a registry of format version 2 → `start` refuses to write it (exit 1, exact message,
/// `registry_too_new` in JSON per §2.4) and leaves the file and the project as they were; `list`
/// still reads it.
#[test]
fn newer_registry_version_refuses_start_but_list_works() {
    let env = DaemonEnv::new();
    let root = env.py_project("shop");
    env.run(&root, &["index"]).expect_code(0);
    let v2 = b"{\"version\": 2, \"daemons\": []}\n";
    env.write_home_file("daemons.json", v2);
    let message = "Registry format version 2 is newer than this mu-daemon supports (1).";

    let out = env.run(&root, &["start", "--port", "0"]);
    out.expect_code(1);
    assert_eq!(out.stdout, "", "{out:#?}");
    assert_eq!(out.stderr, format!("Error: {message}\n"), "{out:#?}");
    assert_eq!(fs::read(env.registry_path()).unwrap(), v2);
    assert!(!root.join(".mu/daemon.pid").exists());
    assert!(project_lock_free(&root), "no daemon holds the project");

    let out = env.run(&env.work(), &["list"]);
    out.expect_code(0);
    assert_eq!(out.stdout, "No mu-daemon is running.\n");
    assert_eq!(out.stderr, "");
    let out = env.run(&env.work(), &["--json", "list"]);
    out.expect_code(0);
    assert_eq!(out.json()["daemons"], json!([]));

    let out = env.run(&root, &["--json", "start", "--port", "0"]);
    out.expect_code(1);
    assert_eq!(
        out.json()["error"],
        json!({"code": "registry_too_new", "message": message}),
        "§2.4 names the code registry_too_new"
    );
    assert_eq!(fs::read(env.registry_path()).unwrap(), v2);
}
