"""MU's Python daemon client, with the standard library only.

MU's CLI and MCP server call the daemon through a `DaemonClient` that unwraps any body with a
top-level `success` key and treats every non-2xx status as a failure (http-api.md §8). The client
below does exactly what that table lists, call by call, against the real binary serving a copy of
the shop fixture, and checks every field MU reads.

Run: MU_DAEMON_BIN=target/release/mu-daemon MU_SHOP_FIXTURE=tests/fixtures/shop \
     python3 tests/python/test_api_client.py
(`cargo test --release` runs it through tests/integration/python.rs).
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ.get("MU_DAEMON_BIN")
FIXTURE = os.environ.get("MU_SHOP_FIXTURE")


class DaemonError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class DaemonClient:
    """The calls of MU's client, as http-api.md §8 lists them."""

    def __init__(self, port):
        self.base = f"http://localhost:{port}"

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                doc = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise DaemonError(e.code, e.read().decode()) from None
        if isinstance(doc, dict) and "success" in doc:
            if not doc["success"]:
                raise DaemonError(200, doc)
            return doc.get("result", doc)
        return doc

    @staticmethod
    def _cwd(cwd):
        return "?" + urllib.parse.urlencode({"cwd": cwd}) if cwd else ""

    def is_running(self):
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=5) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def status(self, cwd=None):
        return self._request("GET", "/status" + self._cwd(cwd))

    def query(self, muql, cwd=None):
        body = {"muql": muql}
        if cwd:
            body["cwd"] = cwd
        return self._request("POST", "/query", body)

    def find_node(self, name, cwd=None):
        """MU's lookup: up to four SQL statements, the first row zipped with the columns."""
        esc = name.replace("'", "''")
        for sql in (
            f"SELECT * FROM nodes WHERE file_path = '{esc}' AND type = 'module' LIMIT 1",
            f"SELECT * FROM nodes WHERE file_path LIKE '%{esc}' AND type = 'module' LIMIT 1",
            f"SELECT * FROM nodes WHERE name = '{esc}' LIMIT 1",
            f"SELECT * FROM nodes WHERE name LIKE '%{esc}%' ORDER BY CASE WHEN name = '{esc}' THEN 0 ELSE 1 END LIMIT 1",
        ):
            result = self.query(sql, cwd)
            if result["rows"]:
                return dict(zip(result["columns"], result["rows"][0]))
        return None

    def deps(self, node, depth=2, direction="outgoing", cwd=None):
        return self._request("POST", "/deps", {"node": node, "depth": depth, "direction": direction,
                                               "cwd": cwd})

    def impact(self, node, edge_types=None, cwd=None):
        body = {"node": node, "cwd": cwd}
        if edge_types is not None:
            body["edge_types"] = edge_types
        return self._request("POST", "/impact", body)

    def ancestors(self, node, edge_types=None, cwd=None):
        body = {"node": node, "cwd": cwd}
        if edge_types is not None:
            body["edge_types"] = edge_types
        return self._request("POST", "/ancestors", body)

    def cycles(self, edge_types=None, cwd=None):
        body = {"cwd": cwd} if cwd else {}
        if edge_types is not None:
            body["edge_types"] = edge_types
        return self._request("POST", "/cycles", body)

    def node(self, node_id, cwd=None):
        return self._request("GET", "/node/" + urllib.parse.quote(node_id, safe="") + self._cwd(cwd))


class ApiClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert BIN and os.path.exists(BIN), "set MU_DAEMON_BIN to the built binary"
        assert FIXTURE and os.path.isdir(FIXTURE), "set MU_SHOP_FIXTURE to tests/fixtures/shop"
        cls.tmp = tempfile.mkdtemp(prefix="mu-py-api-")
        home = os.path.join(cls.tmp, "home")
        os.mkdir(home, 0o700)
        cls.project = os.path.realpath(os.path.join(cls.tmp, "shop"))
        shutil.copytree(FIXTURE, cls.project)
        cls.env = dict(os.environ, MU_HOME=home, HOME=home)
        cls.env.pop("MU_LOG", None)
        cls.env.pop("MU_DAEMON_TOKEN", None)
        p = subprocess.run([BIN, "--json", "start", "--port", "0"], cwd=cls.project, env=cls.env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        cls.port = json.loads(p.stdout)["port"]
        cls.client = DaemonClient(cls.port)

    @classmethod
    def tearDownClass(cls):
        subprocess.run([BIN, "stop", "--all"], env=cls.env, capture_output=True, timeout=60)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_liveness_and_status(self):
        self.assertTrue(self.client.is_running())
        s = self.client.status(cwd=self.project)
        self.assertEqual(s["mubase_path"], os.path.join(self.project, ".mu", "mubase"))
        self.assertEqual(s["stats"]["nodes"], 25)
        self.assertEqual(s["stats"]["edges"], 47)
        self.assertEqual(s["node_count"], 25)
        self.assertEqual(s["edge_count"], 47)
        self.assertEqual(s["schema_version"], "1")
        self.assertEqual(s["language_stats"]["primary_language"], "Python")
        self.assertIsInstance(s["connections"], int)
        self.assertIsInstance(s["uptime_seconds"], float)
        self.assertEqual(s["status"], "running")
        self.assertNotIn("success", s)

    def test_query_envelope_and_find_node(self):
        r = self.client.query("SELECT name, complexity FROM nodes WHERE type = 'function' "
                              "ORDER BY complexity DESC, name LIMIT 3")
        self.assertEqual(r["columns"], ["name", "complexity"])
        self.assertEqual(r["rows"], [["create_order", 3], ["place", 2], ["save", 2]])
        self.assertEqual(r["row_count"], 3)
        self.assertIsNone(r["error"])
        self.assertIsInstance(r["execution_time_ms"], float)
        n = self.client.find_node("src/shop/repo.py", cwd=self.project)
        self.assertEqual((n["id"], n["type"], n["file_path"], n["line_start"], n["line_end"]),
                         ("mod:src/shop/repo.py", "module", "src/shop/repo.py", 1, 14))
        n = self.client.find_node("repo.py")
        self.assertEqual(n["id"], "mod:src/shop/repo.py")
        n = self.client.find_node("OrderRepo")
        self.assertEqual((n["id"], n["type"], n["line_start"], n["line_end"]),
                         ("cls:src/shop/repo.py:OrderRepo", "class", 4, 14))
        n = self.client.find_node("order")
        self.assertEqual(n["id"], "fn:src/shop/api.py:create_order")
        r = self.client.query("DELETE FROM nodes")
        self.assertEqual(r["rows"], [])
        self.assertIsInstance(r["error"], str)

    def test_graph_calls(self):
        d = self.client.deps("OrderService.place", cwd=self.project)
        self.assertEqual(d["node_id"], "fn:src/shop/service.py:OrderService.place")
        self.assertEqual(d["dependencies"][:2], ["cls:src/shop/models.py:Item", "fn:src/shop/api.py:notify"])
        i = self.client.impact("src/shop/models.py", cwd=self.project)
        self.assertEqual(i["node_id"], "mod:src/shop/models.py")
        self.assertEqual(i["impacted_nodes"], ["mod:src/shop/api.py", "mod:src/shop/repo.py",
                                               "mod:src/shop/service.py", "mod:tests/test_service.py"])
        self.assertEqual(i["count"], 4)
        i = self.client.impact("Order", edge_types=["inherits"])
        self.assertEqual(i["impacted_nodes"], ["cls:src/shop/models.py:BulkOrder"])
        a = self.client.ancestors("BulkOrder", edge_types=["inherits"], cwd=self.project)
        self.assertEqual((a["node_id"], a["ancestor_nodes"], a["count"]),
                         ("cls:src/shop/models.py:BulkOrder", ["cls:src/shop/models.py:Order"], 1))
        c = self.client.cycles()
        self.assertEqual(c["cycles"], [["mod:src/shop/api.py", "mod:src/shop/service.py"]])
        self.assertEqual((c["cycle_count"], c["total_nodes_in_cycles"]), (1, 2))

    def test_node_lookup(self):
        n = self.client.node("fn:src/shop/repo.py:OrderRepo.save", cwd=self.project)
        self.assertEqual(
            {k: n[k] for k in ("id", "name", "type", "node_type", "qualified_name", "file_path",
                               "line_start", "line_end", "complexity")},
            {"id": "fn:src/shop/repo.py:OrderRepo.save", "name": "save", "type": "function",
             "node_type": "function", "qualified_name": "src/shop/repo.py:OrderRepo.save",
             "file_path": "src/shop/repo.py", "line_start": 8, "line_end": 11, "complexity": 2})
        # MCP mu_read with a path: mod:<path> first.
        self.assertEqual(self.client.node("mod:shop/repo.py")["id"], "mod:src/shop/repo.py")
        with self.assertRaises(DaemonError) as e:
            self.client.node("fn:src/shop/repo.py:nope")
        self.assertEqual(e.exception.status, 404)
        self.assertEqual(json.loads(e.exception.body), {"detail": "Node not found: fn:src/shop/repo.py:nope"})

    def test_older_client_and_tools_still_to_come(self):
        # Older client: /nodes/{id} and {"node_id"} for /impact.
        n = self.client._request("GET", "/nodes/" + urllib.parse.quote("cls:src/shop/models.py:Order", safe=""))
        self.assertEqual(n["name"], "Order")
        i = self.client._request("POST", "/impact", {"node_id": "cls:src/shop/models.py:Order",
                                                     "edge_types": ["inherits"]})
        self.assertEqual(i["impacted_nodes"], ["cls:src/shop/models.py:BulkOrder"])
        # Not provided yet (§8.1): answered like any unknown route.
        for path in ("/context/omega", "/patterns", "/warn"):
            with self.assertRaises(DaemonError) as e:
                self.client._request("POST", path, {"cwd": self.project})
            self.assertEqual(e.exception.status, 404, path)
            self.assertEqual(json.loads(e.exception.body), {"detail": "Not Found"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
