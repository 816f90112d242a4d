//! The dispatcher on a generated project: no default LIMIT (MU-Rs defect 9), the row cap on every
//! form, and FIND's own LIMIT and DEPTH (defect 21).

use std::sync::Arc;
use std::time::Instant;

use super::*;

/// A project of 150 functions `f000` … `f149` in one module, each calling the next.
fn chain() -> (tempfile::TempDir, crate::store::Store, Arc<Graph>) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(
        &dir.path().join("mubase"),
        &crate::store::StoreOptions::default(),
        dir.path(),
    )
    .unwrap();
    let conn = store.reader().unwrap();
    conn.execute_batch(
        "INSERT INTO nodes (id, type, name, qualified_name, file_path, line_start, line_end, properties, complexity)
         VALUES ('mod:m.py', 'module', 'm', 'm', 'm.py', 1, 300, '{\"language\":\"python\"}', 0);
         INSERT INTO nodes (id, type, name, qualified_name, file_path, line_start, line_end, properties, complexity)
         SELECT 'fn:m.py:f' || lpad(i::VARCHAR, 3, '0'), 'function', 'f' || lpad(i::VARCHAR, 3, '0'),
                'm.py:f' || lpad(i::VARCHAR, 3, '0'), 'm.py', 2 * i + 1, 2 * i + 2, '{}', 1
         FROM range(150) AS t(i);
         INSERT INTO edges (id, source_id, target_id, type, properties)
         SELECT 'e' || i, 'fn:m.py:f' || lpad(i::VARCHAR, 3, '0'),
                'fn:m.py:f' || lpad((i + 1)::VARCHAR, 3, '0'), 'calls', '{}'
         FROM range(149) AS t(i);",
    )
    .unwrap();
    let graph = Arc::new(Graph::load(dir.path(), &conn).unwrap());
    (dir, store, graph)
}

fn run_on(
    store: &crate::store::Store,
    graph: &Arc<Graph>,
    max_rows: usize,
    text: &str,
) -> QueryResult {
    let conn = store.reader().unwrap();
    crate::store::sql::prepare_query_connection(&conn).unwrap();
    let limits = SqlLimits {
        max_rows,
        ..SqlLimits::default()
    };
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let source = || Ok(graph.clone());
    run(text, &env, &source)
}

#[test]
fn no_default_limit_only_the_row_cap_defect_9() {
    let (_dir, store, graph) = chain();
    for text in [
        "SELECT id FROM functions",
        "fn",
        "FIND functions MATCHING 'f'",
        "SHOW callers OF f149 DEPTH 20",
    ] {
        let r = run_on(&store, &graph, 10_000, text);
        assert_eq!(r.error, None, "{text}");
        assert_eq!(r.warning, None, "{text}");
        let want = if text.starts_with("SHOW") { 20 } else { 150 };
        assert_eq!(r.rows.len(), want, "{text}");
    }
    // The cap cuts every form and says so.
    for text in [
        "SELECT id FROM functions",
        "FIND functions MATCHING 'f'",
        "SHOW callers OF f149 DEPTH 20",
        "SELECT functions.id FROM functions, nodes",
    ] {
        let r = run_on(&store, &graph, 7, text);
        assert_eq!(r.error, None, "{text}");
        assert_eq!(r.rows.len(), 7, "{text}");
        assert_eq!(
            r.warning.as_deref(),
            Some("Result truncated to 7 rows"),
            "{text}"
        );
    }
    // Ordered by id, so the cap keeps the first ids.
    let r = run_on(&store, &graph, 3, "SELECT name FROM functions");
    assert_eq!(
        r.rows,
        vec![
            vec![serde_json::json!("f000")],
            vec![serde_json::json!("f001")],
            vec![serde_json::json!("f002")]
        ]
    );
}

#[test]
fn find_has_its_own_depth_and_limit_defect_21() {
    let (_dir, store, graph) = chain();
    let r = run_on(&store, &graph, 10_000, "FIND functions CALLING f149");
    // Unbounded traversals stop at depth 20.
    assert_eq!(r.rows.len(), 20);
    assert_eq!(r.rows[0][0], "fn:m.py:f148");
    assert_eq!(r.rows[19][0], "fn:m.py:f129");
    assert_eq!(r.rows[19][5], 20);
    let r = run_on(
        &store,
        &graph,
        10_000,
        "FIND functions CALLING f149 DEPTH 5 WHERE line_start > 290 LIMIT 2",
    );
    assert_eq!(r.error, None);
    let ids: Vec<&str> = r.rows.iter().map(|row| row[0].as_str().unwrap()).collect();
    assert_eq!(ids, ["fn:m.py:f148", "fn:m.py:f147"]);
}
