//! Fixtures shared by the unit tests: the shop project of `muql.md` §17 (`tests/fixtures/shop`),
//! indexed once per test process from a temporary copy.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::graph::Graph;
use crate::index::model::{EdgeRow, NodeRow};

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A freshly indexed copy of the shop fixture: its directory (kept alive) and its store.
pub fn index_shop() -> (tempfile::TempDir, crate::store::Store) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop");
    copy_dir(&fixture, dir.path());
    let root = dir.path().canonicalize().unwrap();
    let project = crate::project::Project { root: root.clone() };
    project.ensure_mu_dir().unwrap();
    let store = crate::store::Store::open(
        &project.mubase_path(),
        &crate::store::StoreOptions::default(),
        &root,
    )
    .unwrap();
    let mut engine = crate::index::Engine::open(&root, &project.cache_dir(), store, 2).unwrap();
    engine.reconcile(false, &|_| {}).unwrap();
    drop(engine);
    let store = crate::store::Store::open(
        &project.mubase_path(),
        &crate::store::StoreOptions::default(),
        &root,
    )
    .unwrap();
    (dir, store)
}

/// The rows of the shop fixture.
pub fn shop_rows() -> &'static (Vec<NodeRow>, Vec<EdgeRow>) {
    static ROWS: OnceLock<(Vec<NodeRow>, Vec<EdgeRow>)> = OnceLock::new();
    ROWS.get_or_init(|| {
        let (_dir, store) = index_shop();
        (store.all_nodes().unwrap(), store.all_edges().unwrap())
    })
}

/// The shop graph, rooted where the spec's examples put it.
pub fn shop_graph() -> Arc<Graph> {
    static G: OnceLock<Arc<Graph>> = OnceLock::new();
    G.get_or_init(|| {
        let (nodes, edges) = shop_rows().clone();
        Arc::new(Graph::build(Path::new("/home/ada/shop"), nodes, edges))
    })
    .clone()
}

/// A new prepared query connection (views created) to one indexed copy of the shop fixture,
/// shared by the whole test process.
pub fn shop_conn() -> duckdb::Connection {
    static SHOP: OnceLock<(tempfile::TempDir, Mutex<crate::store::Store>)> = OnceLock::new();
    let (_, store) = SHOP.get_or_init(|| {
        let (dir, store) = index_shop();
        (dir, Mutex::new(store))
    });
    let conn = store.lock().unwrap().reader().unwrap();
    crate::store::sql::prepare_query_connection(&conn).unwrap();
    conn
}
