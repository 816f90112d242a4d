#!/usr/bin/env python3
"""Lifecycle benchmark: start -> ready, list and status wall time, idle RSS and idle CPU.

Usage: scripts/bench_lifecycle.py [--idle-seconds N] CORPUS_DIR...
(scripts/bench_lifecycle.sh builds the binary, fetches the corpora and calls this.)

For each corpus: copy it to a temp dir, index it once (`mu-daemon index`), then
  * start -> ready: wall time of `mu-daemon start --port 0` with the mubase present (the command
    returns when the daemon reported ready), median of 5 start/stop rounds, plus the daemon's own
    "ready after N ms" from its log;
  * list / status: wall time of each command with that daemon running, median of 20;
  * idle RSS: VmRSS of the daemon after the start-up reconciliation settled;
  * idle CPU: utime+stime the daemon used over --idle-seconds (default 60) of idleness.
Prints one Markdown table row per corpus. Uses a private MU_HOME; never touches ~/.mu.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get(
    "MU_DAEMON_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/mu-daemon/target")),
                 "release", "mu-daemon"))
TICKS = os.sysconf("SC_CLK_TCK")


def run(args, env, cwd=None):
    t = time.perf_counter()
    p = subprocess.run([BIN, *args], env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - t, p


def daemon_pid(env, root):
    _, p = run(["--json", "status", root], env)
    import json
    doc = json.loads(p.stdout)
    return doc["daemon"]["pid"], doc


def rss_kb(pid, key="VmRSS"):
    """VmRSS, RssAnon (private heap, stacks) or RssFile (mapped executable pages, shared with
    every other process running the same binary) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_idle(env, root, timeout=120):
    """Wait until the start-up reconciliation finished (status says idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, doc = daemon_pid(env, root)
        server = doc.get("server") or {}
        if (server.get("indexing") or {}).get("state") == "idle":
            return
        time.sleep(0.2)


def bench(corpus, idle_seconds):
    tmp = tempfile.mkdtemp(prefix="mu-bench-")
    try:
        home = os.path.join(tmp, "home")
        os.mkdir(home, 0o700)
        parts = os.path.abspath(corpus).split(os.sep)
        name = parts[parts.index("corpora") + 1] if "corpora" in parts else os.path.basename(corpus.rstrip("/"))
        root = os.path.join(tmp, name)
        shutil.copytree(corpus, root, symlinks=True)
        root = os.path.realpath(root)
        env = dict(os.environ, MU_HOME=home)
        env.pop("MU_LOG", None)
        _, p = run(["--json", "index", root], env)
        if p.returncode != 0:
            raise SystemExit(f"index failed for {corpus}: {p.stderr}")
        starts, own = [], []
        for _ in range(5):
            dt, p = run(["start", root, "--port", "0"], env)
            if p.returncode != 0:
                raise SystemExit(f"start failed for {corpus}: {p.stderr}")
            starts.append(dt)
            with open(os.path.join(root, ".mu", "daemon.log")) as f:
                m = re.findall(r"ready on \S+ after (\d+) ms", f.read())
            own.append(int(m[-1]))
            wait_idle(env, root)
            dt_stop, p = run(["stop", root], env)
            if p.returncode != 0:
                raise SystemExit(f"stop failed: {p.stdout} {p.stderr}")
        run(["start", root, "--port", "0"], env)
        wait_idle(env, root)
        lists = [run(["list"], env)[0] for _ in range(20)]
        statuses = [run(["status", root], env)[0] for _ in range(20)]
        pid, _ = daemon_pid(env, root)
        time.sleep(2)
        rss = rss_kb(pid)
        anon, file_backed = rss_kb(pid, "RssAnon"), rss_kb(pid, "RssFile")
        cpu0 = cpu_seconds(pid)
        time.sleep(idle_seconds)
        cpu1 = cpu_seconds(pid)
        rss_after = rss_kb(pid)
        stop_dt, _ = run(["stop", root], env)
        files = sum(len(f) for _, _, f in os.walk(root))
        return (f"| {os.path.basename(root)} | {files:,} | {statistics.median(starts) * 1000:.0f} | "
                f"{statistics.median(own):.0f} | {statistics.median(lists) * 1000:.1f} | "
                f"{statistics.median(statuses) * 1000:.1f} | {rss / 1024:.1f} ({anon / 1024:.1f} + {file_backed / 1024:.1f}) | "
                f"{rss_after / 1024:.1f} | "
                f"{(cpu1 - cpu0) * 1000:.0f} ms / {idle_seconds} s | {stop_dt * 1000:.0f} |")
    finally:
        subprocess.run([BIN, "stop", "--all"], env=dict(os.environ, MU_HOME=os.path.join(tmp, "home")),
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("corpora", nargs="+")
    a = ap.parse_args()
    print("| corpus | files | start→ready ms (CLI) | ready ms (daemon) | list ms | status ms | "
          "idle RSS MB (anon + file) | RSS after idle MB | idle CPU | stop ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in a.corpora:
        print(bench(c, a.idle_seconds), flush=True)


if __name__ == "__main__":
    sys.exit(main())
