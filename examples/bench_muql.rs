//! MUQL service time on a real indexed corpus (issue 6): each query runs through
//! `muql::run` on a read-only mubase exactly as `POST /query` runs it (query connection with the
//! views, graph snapshot in memory), and the p50/p95/max of its wall time are printed.
//!
//! ```sh
//! cargo run --release --example bench_muql -- target/corpora/go-1.19-src [iterations]
//! ```
//!
//! The queries' targets (a much-called function, a name to look up) are picked from the corpus
//! itself, so the same command works on any indexed project.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mu_daemon::graph::Graph;
use mu_daemon::muql::{self, Env};
use mu_daemon::store::sql::{prepare_query_connection, SqlLimits};
use mu_daemon::store::{Store, StoreOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let root: PathBuf = args
        .next()
        .map(PathBuf::from)
        .expect("usage: bench_muql <indexed project root> [iterations]");
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let root = root.canonicalize().expect("project root");
    let store = Store::open_read_only(&root.join(".mu/mubase"), &StoreOptions::default())
        .expect("open the mubase (is a daemon or an index running on it?)");
    let conn = store.reader().expect("query connection");
    prepare_query_connection(&conn).expect("views");
    let loading = Instant::now();
    let graph = Arc::new(Graph::load(&root, &conn).expect("graph"));
    println!(
        "{}: {} nodes, {} edges (graph loaded in {:.0} ms); {iterations} runs per query",
        root.display(),
        graph.nodes().len(),
        graph.edges().len(),
        loading.elapsed().as_secs_f64() * 1000.0
    );
    let limits = SqlLimits::default();
    let source = || Ok(graph.clone());
    let run = |text: &str| {
        let env = Env {
            conn: &conn,
            limits: &limits,
            started: Instant::now(),
        };
        muql::run(text, &env, &source)
    };

    // Targets from the corpus: the function with the most callers, and a function name.
    let pick = |text: &str| -> String {
        let r = run(text);
        assert_eq!(r.error, None, "{text}");
        r.rows
            .first()
            .and_then(|row| row.first())
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .expect("the corpus has functions")
    };
    let hub = pick(
        "SELECT target_id, COUNT(*) AS n FROM edges WHERE type = 'calls' AND target_type = 'function' \
         GROUP BY target_id ORDER BY n DESC LIMIT 1",
    );
    let name = pick("SELECT name FROM functions WHERE complexity > 5 ORDER BY id LIMIT 1");
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));

    let queries: Vec<(&str, String)> = vec![
        (
            "simple SELECT, one name",
            format!(
                "SELECT id, file_path, line_start FROM functions WHERE name = {}",
                quoted(&name)
            ),
        ),
        (
            "simple SELECT, filter + order + limit",
            "SELECT id, name, complexity FROM functions WHERE complexity > 20 ORDER BY complexity DESC LIMIT 50"
                .to_string(),
        ),
        (
            "terse select (fn c>20 sort c- 50)",
            "fn c>20 sort c- 50".to_string(),
        ),
        (
            "SELECT with a derived field (fan_in)",
            "SELECT name, fan_in FROM classes ORDER BY fan_in DESC LIMIT 10".to_string(),
        ),
        (
            "MU client lookup (SQL mode)",
            format!(
                "SELECT * FROM nodes WHERE name LIKE {} ORDER BY CASE WHEN name = {} THEN 0 ELSE 1 END LIMIT 1",
                quoted(&format!("%{name}%")),
                quoted(&name)
            ),
        ),
        (
            "SHOW DEPENDENTS depth 3",
            format!("SHOW DEPENDENTS OF {} DEPTH 3", quoted(&hub)),
        ),
        ("FIND CYCLES", "FIND CYCLES".to_string()),
        ("ANALYZE HOTSPOTS", "ANALYZE HOTSPOTS".to_string()),
    ];

    println!(
        "{:<40} {:>7} {:>9} {:>9} {:>9}",
        "query", "rows", "p50 ms", "p95 ms", "max ms"
    );
    for (label, text) in &queries {
        for _ in 0..3 {
            run(text);
        }
        let mut times: Vec<Duration> = Vec::with_capacity(iterations);
        let mut rows = 0;
        for _ in 0..iterations {
            let t = Instant::now();
            let r = run(text);
            times.push(t.elapsed());
            assert_eq!(r.error, None, "{text}");
            rows = r.rows.len();
        }
        times.sort();
        let at = |q: f64| {
            let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
            times[i].as_secs_f64() * 1000.0
        };
        println!(
            "{label:<40} {rows:>7} {:>9.2} {:>9.2} {:>9.2}",
            at(0.50),
            at(0.95),
            at(1.0)
        );
    }
    println!("(SHOW DEPENDENTS target: {hub})");
}
