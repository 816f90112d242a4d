"""MU's Python CLI path, with the standard library only.

MU's Python CLI and MCP server drive mu-daemon by exec'ing its subcommands with --json and by
calling its HTTP API (cli-and-registry.md §3, http-api.md §4.1-4.2, §8). This test does exactly
that against the real binary: start, status, list, start again, stop, the legacy launcher form,
and checks every documented field it reads and every exit code.

Run: MU_DAEMON_BIN=target/release/mu-daemon python3 tests/python/test_shellout.py
(`cargo test --release` runs it through tests/integration/python.rs).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN = os.environ.get("MU_DAEMON_BIN")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ShellOut(unittest.TestCase):
    def setUp(self):
        self.assertTrue(BIN and os.path.exists(BIN), "set MU_DAEMON_BIN to the built binary")
        self.tmp = tempfile.mkdtemp(prefix="mu-py-")
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home, 0o700)
        self.project = os.path.realpath(os.path.join(self.tmp, "shop"))
        os.mkdir(self.project)
        with open(os.path.join(self.project, "a.py"), "w") as f:
            f.write("def f():\n    return 1\n")
        with open(os.path.join(self.project, "b.py"), "w") as f:
            f.write("from a import f\n\n\ndef g():\n    return f()\n")
        self.env = dict(os.environ, MU_HOME=self.home, HOME=self.home)
        self.env.pop("MU_LOG", None)
        self.env.pop("MU_DAEMON_TOKEN", None)

    def tearDown(self):
        subprocess.run([BIN, "stop", "--all"], env=self.env, capture_output=True, timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def mu(self, *args, cwd=None):
        """Run `mu-daemon --json <args>` the way MU's CLI does; return (exit code, JSON)."""
        p = subprocess.run([BIN, "--json", *args], cwd=cwd or self.project, env=self.env,
                           capture_output=True, text=True, timeout=60)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, f"exactly one JSON line on stdout, got {p.stdout!r} / {p.stderr!r}")
        doc = json.loads(lines[0])
        self.assertEqual(doc["schema_version"], 1)
        self.assertEqual(doc["command"], args[0])
        return p.returncode, doc

    def get(self, port, path):
        with urllib.request.urlopen(f"http://localhost:{port}{path}", timeout=5) as r:
            self.assertEqual(r.headers["Content-Type"], "application/json")
            return r.status, json.loads(r.read()), r.headers

    def test_lifecycle_as_mu_cli_drives_it(self):
        # start --json: indexes (no mubase yet), then serves.
        code, start = self.mu("start", "--port", "0")
        self.assertEqual(code, 0, start)
        self.assertEqual(start["result"], "started")
        self.assertEqual(start["project_root"], self.project)
        pid, port = start["pid"], start["port"]
        self.assertIsInstance(pid, int)
        self.assertTrue(0 < port < 65536)
        self.assertEqual(start["host"], "127.0.0.1")
        self.assertEqual(start["url"], f"http://127.0.0.1:{port}")
        self.assertEqual(start["mubase_path"], os.path.join(self.project, ".mu", "mubase"))
        self.assertEqual(start["log_path"], os.path.join(self.project, ".mu", "daemon.log"))
        self.assertIsInstance(start["daemon_version"], str)
        self.assertEqual(start["indexed"]["files"], 2)
        self.assertEqual(start["indexed"]["nodes"], 4)
        self.assertEqual(start["indexed"]["edges"], 4)
        self.assertIsInstance(start["indexed"]["duration_ms"], float)

        # MU's liveness probe and status reads (http-api.md §8).
        status, body, headers = self.get(port, "/status")
        self.assertEqual(status, 200)
        self.assertEqual(headers["X-MU-Project"], self.project)
        self.assertNotIn("success", body)
        self.assertEqual(body["status"], "running")
        self.assertEqual(body["mubase_path"], start["mubase_path"])
        self.assertEqual(body["stats"]["nodes"], 4)
        self.assertEqual(body["stats"]["edges"], 4)
        self.assertEqual(body["stats"]["nodes_by_type"], {"module": 2, "function": 2})
        self.assertEqual(body["stats"]["edges_by_type"], {"contains": 2, "imports": 1, "calls": 1})
        self.assertEqual(body["stats"]["version"], "1.0.0")
        self.assertEqual(body["stats"]["root_path"], self.project)
        self.assertIsInstance(body["stats"]["file_size_kb"], float)
        self.assertEqual(body["language_stats"]["languages"], {"Python": 2})
        self.assertEqual(body["language_stats"]["primary_language"], "Python")
        self.assertEqual(body["language_stats"]["total_files"], 2)
        self.assertEqual(body["connections"], 0)
        self.assertIsInstance(body["uptime_seconds"], float)
        self.assertEqual(body["node_count"], 4)
        self.assertEqual(body["edge_count"], 4)
        self.assertEqual(body["project_paths"], [start["mubase_path"]])
        self.assertEqual(body["pid"], pid)
        self.assertEqual(body["port"], port)
        self.assertTrue(body["primary"])

        status, health, _ = self.get(port, "/health")
        self.assertEqual(health, {"status": "ok", "service": "mu-daemon", "pid": pid,
                                  "port": port, "daemon_version": start["daemon_version"]})

        # status --json from a subdirectory of the project.
        sub = os.path.join(self.project, "pkg")
        os.mkdir(sub)
        code, st = self.mu("status", cwd=sub)
        self.assertEqual(code, 0, st)
        self.assertEqual(st["state"], "running")
        self.assertEqual(st["project_root"], self.project)
        self.assertEqual(st["daemon"]["pid"], pid)
        self.assertEqual(st["daemon"]["port"], port)
        self.assertEqual(st["daemon"]["identity"], "verified")
        self.assertEqual(st["server"]["node_count"], 4)
        self.assertEqual(st["other_daemons"], [])

        # list --json from an unrelated directory.
        code, ls = self.mu("list", cwd=self.tmp)
        self.assertEqual(code, 0)
        self.assertEqual(len(ls["daemons"]), 1)
        d = ls["daemons"][0]
        for key in ("project_path", "pid", "port", "host", "url", "mubase_path", "log_path",
                    "started_at", "last_heartbeat", "heartbeat_age_seconds", "uptime_seconds",
                    "daemon_version", "state", "identity"):
            self.assertIn(key, d)
        self.assertEqual((d["project_path"], d["pid"], d["port"], d["state"]),
                         (self.project, pid, port, "running"))
        self.assertEqual(ls["removed_stale"], [])

        # start again: idempotent.
        code, again = self.mu("start", "--port", "0")
        self.assertEqual(code, 0, again)
        self.assertEqual(again["result"], "already_running")
        self.assertEqual((again["pid"], again["port"]), (pid, port))
        self.assertIsNone(again["indexed"])

        # stop --json.
        code, stop = self.mu("stop")
        self.assertEqual(code, 0, stop)
        self.assertEqual(len(stop["results"]), 1)
        r = stop["results"][0]
        self.assertEqual((r["project_path"], r["pid"], r["port"], r["outcome"]),
                         (self.project, pid, port, "stopped"))
        self.assertEqual(r["message"], f"Stopped mu-daemon for {self.project} (pid {pid}, port {port}).")

        # Not running any more: status exits 3, list is empty, stop is a no-op.
        code, st = self.mu("status")
        self.assertEqual(code, 3)
        self.assertEqual(st["state"], "not_running")
        self.assertIsNone(st["daemon"])
        self.assertIsNone(st["server"])
        code, ls = self.mu("list")
        self.assertEqual((code, ls["daemons"]), (0, []))
        code, stop = self.mu("stop")
        self.assertEqual((code, stop["results"]), (0, []))
        self.assertFalse(os.path.exists(os.path.join(self.project, ".mu", "daemon.pid")))

    def test_legacy_launcher(self):
        # MU's lifecycle: spawn `mu-daemon <root> --port N --build`, poll GET /status for 30 s.
        port = free_port()
        proc = subprocess.Popen([BIN, self.project, "--port", str(port), "--build"], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            body = None
            while time.monotonic() < deadline:
                try:
                    status, body, _ = self.get(port, "/status")
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            self.assertIsNotNone(body, "the legacy daemon never answered /status")
            self.assertEqual(body["project_root"], self.project)
            self.assertEqual(body["node_count"], 4)
            code, ls = self.mu("list")
            self.assertEqual([d["port"] for d in ls["daemons"]], [port])
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
            code, ls = self.mu("list")
            self.assertEqual(ls["daemons"], [])
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_mcp_flag_refused(self):
        p = subprocess.run([BIN, self.project, "--mcp"], env=self.env, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.strip(), "Error: stdio mode is not supported by mu-daemon.")


if __name__ == "__main__":
    unittest.main(verbosity=2)
