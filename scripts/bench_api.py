"""HTTP API load benchmark: wrk against a running mu-daemon and against a trivial axum handler.

For each corpus directory: index it (an existing .mu/mubase is reused), start a daemon on a free
port with a private MU_HOME, wait until the graph snapshot is loaded, pick a node in the middle of
the id order (lookups) and the most imported module (impact/ancestors), then run wrk for each
endpoint. The ceiling (examples/bench_ceiling.rs) is measured in the same run, with the same wrk
settings. Prints one table; nothing is asserted.

Run through scripts/bench_api.sh, which builds the binaries and fetches the corpora.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BIN = os.environ["MU_DAEMON_BIN"]
CEILING = os.environ["CEILING_BIN"]

LUA = """
wrk.method = "{method}"
{body}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %f %f %d %d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def wrk(url, args, method="GET", body=None):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        lua_body = ""
        if body is not None:
            lua_body = ('wrk.body = ' + json.dumps(json.dumps(body)) + '\n'
                        'wrk.headers["Content-Type"] = "application/json"')
        f.write(LUA.format(method=method, body=lua_body))
        script = f.name
    try:
        out = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections),
                              "-d", f"{args.duration}s", "-s", script, url],
                             capture_output=True, text=True, timeout=args.duration + 60).stdout
    finally:
        os.unlink(script)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            rps, p50, p95, p99, mx, errors, total = line.split()[1:]
            return {"rps": float(rps), "p50": float(p50) / 1000, "p95": float(p95) / 1000,
                    "p99": float(p99) / 1000, "max": float(mx) / 1000, "errors": int(errors),
                    "requests": int(total)}
    raise RuntimeError(f"wrk printed no result:\n{out}")


def ceiling(args):
    port = free_port()
    p = subprocess.Popen([CEILING, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        p.stdout.readline()
        return wrk(f"http://127.0.0.1:{port}/", args)
    finally:
        p.terminate()
        p.wait(10)


def corpus(path, args, env):
    subprocess.run([BIN, "index", path], env=env, check=True, capture_output=True)
    port = free_port()
    out = subprocess.run([BIN, "--json", "start", path, "--port", str(port)], env=env,
                         capture_output=True, text=True)
    start = json.loads(out.stdout)
    if start.get("result") not in ("started", "already_running"):
        raise RuntimeError(f"start failed: {out.stdout} {out.stderr}")
    try:
        status = http(port, "GET", "/status")
        def sql(q):
            return http(port, "POST", "/query", {"muql": q})["result"]["rows"]
        n = status["node_count"]
        node = sql(f"SELECT id FROM nodes WHERE type = 'function' ORDER BY id LIMIT 1 OFFSET {n // 4}")[0][0]
        hub = sql("SELECT target_id, count(*) AS c FROM edges e JOIN nodes n ON n.id = e.target_id "
                  "WHERE e.type = 'imports' AND n.type = 'module' GROUP BY 1 ORDER BY c DESC, 1 LIMIT 1")[0][0]
        # The first graph request waits for the snapshot to be loaded.
        t = time.perf_counter()
        impact = http(port, "POST", "/impact", {"node": hub})
        first_ms = (time.perf_counter() - t) * 1000
        anc = http(port, "POST", "/ancestors", {"node": node})
        base = f"http://127.0.0.1:{port}"
        one = argparse.Namespace(**{**vars(args), "connections": 1, "threads": 1})
        rows = {
            "GET /nodes/{id}": wrk(f"{base}/nodes/{urllib.parse.quote(node, safe='')}", args),
            "GET /status": wrk(f"{base}/status", args),
            f"POST /impact ({impact['count']} nodes)": wrk(f"{base}/impact", args, "POST", {"node": hub}),
            f"POST /ancestors ({anc['count']} nodes)": wrk(f"{base}/ancestors", args, "POST", {"node": node}),
            f"POST /impact ({impact['count']} nodes), 1 connection": wrk(f"{base}/impact", one, "POST", {"node": hub}),
            f"POST /ancestors ({anc['count']} nodes), 1 connection": wrk(f"{base}/ancestors", one, "POST", {"node": node}),
        }
        return {"nodes": n, "edges": status["edge_count"], "first_graph_ms": first_ms, "rows": rows}
    finally:
        subprocess.run([BIN, "stop", path], env=env, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="mu-bench-api-")
    os.chmod(home, 0o700)
    env = dict(os.environ, MU_HOME=home)
    env.pop("MU_LOG", None)
    try:
        ceil = ceiling(args)
        print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {os.cpu_count()} CPUs")
        print(f"| corpus | nodes | edges | endpoint | req/s | % of ceiling | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        def row(name, nodes, edges, ep, r):
            print(f"| {name} | {nodes} | {edges} | {ep} | {r['rps']:.0f} | {100 * r['rps'] / ceil['rps']:.0f} % "
                  f"| {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['errors']} |", flush=True)
        row("ceiling (trivial axum handler)", "-", "-", "GET /", ceil)
        for d in args.dirs:
            name = os.path.basename(d.rstrip("/"))
            if name in ("src", "lib"):
                name = os.path.basename(os.path.dirname(d.rstrip("/"))) + "/" + name
            res = corpus(d, args, env)
            for ep, r in res["rows"].items():
                row(name, res["nodes"], res["edges"], ep, r)
            print(f"|  |  |  | (first graph request after start: {res['first_graph_ms']:.0f} ms) | | | | | | |")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
