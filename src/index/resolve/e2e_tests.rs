//! End to end: parse the worked examples of `indexer.md` §13 with the extractors, resolve them.

use std::sync::Arc;

use super::*;
use crate::index::lang::{parse_and_extract, Grammar};

fn src_file(path: &str, text: &str) -> SourceFile {
    let (grammar, language) = Grammar::for_path(path).expect("indexed extension");
    let facts = parse_and_extract(grammar, text.as_bytes());
    SourceFile {
        path: path.to_string(),
        language,
        total_lines: crate::index::scan::line_count(text.as_bytes()),
        facts: Arc::new(facts),
    }
}

use super::tests::run as build;

fn summary(g: &ResolvedGraph) -> String {
    let mut s = String::new();
    for e in &g.edges {
        if e.edge_type != EdgeType::Contains {
            s.push_str(&format!("{} {}\n", e.id, e.properties));
        }
    }
    s
}

fn has(g: &ResolvedGraph, id: &str) -> bool {
    g.edges.iter().any(|e| e.id == id)
}

#[test]
fn e2e_python_13_1() {
    let a = "from typing import TYPE_CHECKING\nfrom .b import helper\n\nif TYPE_CHECKING:\n    from .c import Config\n\n\nclass Loader:\n    @staticmethod\n    def load(cfg: \"Config\") -> int:\n        def parse(x):\n            return helper(x) or 0\n        return parse(cfg)\n";
    let g = build(
        vec![
            src_file("pkg/__init__.py", ""),
            src_file("pkg/a.py", a),
            src_file("pkg/b.py", "def helper(x):\n    return x\n"),
            src_file("pkg/c.py", "class Config:\n    pass\n"),
        ],
        &[],
    );
    let s = summary(&g);
    for id in [
        "edge:mod:pkg/a.py:imports:ext:typing",
        "edge:mod:pkg/a.py:imports:mod:pkg/b.py",
        "edge:mod:pkg/a.py:imports:mod:pkg/c.py",
        "edge:fn:pkg/a.py:Loader.load:calls:fn:pkg/a.py:Loader.load.parse",
        "edge:fn:pkg/a.py:Loader.load.parse:calls:fn:pkg/b.py:helper",
        "edge:fn:pkg/a.py:Loader.load:uses:cls:pkg/c.py:Config",
        "edge:fn:pkg/a.py:Loader.load:contains:fn:pkg/a.py:Loader.load.parse",
    ] {
        assert!(has(&g, id), "missing {id}\n{s}");
    }
    let c = g
        .edges
        .iter()
        .find(|e| e.id == "edge:mod:pkg/a.py:imports:mod:pkg/c.py");
    assert!(
        c.is_some_and(|e| e.properties.contains("\"type_only\":true")),
        "{s}"
    );
}

#[test]
fn e2e_javascript_13_3() {
    let index = "const { format } = require(\"./util\");\nconst path = require(\"path\");\n\nclass Greeter {\n  greet(name) {\n    return format(name || \"world\");\n  }\n}\n\nfunction main(argv) {\n  const g = new Greeter();\n  for (const a of argv) console.log(g.greet(a));\n}\n\nmodule.exports = { main };\n";
    let util = "function format(s) { return \"Hello, \" + s; }\nmodule.exports = { format };\n";
    let g = build(
        vec![
            src_file("lib/index.js", index),
            src_file("lib/util.js", util),
        ],
        &[],
    );
    let s = summary(&g);
    for id in [
        "edge:mod:lib/index.js:imports:mod:lib/util.js",
        "edge:mod:lib/index.js:imports:ext:path",
        "edge:fn:lib/index.js:Greeter.greet:calls:fn:lib/util.js:format",
        "edge:fn:lib/index.js:main:calls:cls:lib/index.js:Greeter",
        "edge:fn:lib/index.js:main:calls:fn:lib/index.js:Greeter.greet",
    ] {
        assert!(has(&g, id), "missing {id}\n{s}");
    }
    assert_eq!(
        g.edges
            .iter()
            .filter(|e| e.edge_type == EdgeType::Calls)
            .count(),
        3,
        "{s}"
    );
}

#[test]
fn e2e_typescript_13_2() {
    let svc = "import type { User } from \"./models\";\nimport { log } from \"@lib/log\";\nimport express from \"express\";\n\nexport interface Repo {\n  find(id: string): User | undefined;\n}\n\nexport class UserService implements Repo {\n  constructor(private repo: Repo) {}\n\n  find(id: string): User | undefined {\n    log(`find ${id}`);\n    return id ? this.repo.find(id) : undefined;\n  }\n}\n\nexport const router = express.Router();\nexport const getUser = (svc: UserService, id: string) => svc.find(id);\n";
    let g = build(
        vec![
            src_file("src/svc.ts", svc),
            src_file("src/models.ts", "export interface User { id: string }\n"),
            src_file("src/lib/log.ts", "export function log(msg: string) {}\n"),
        ],
        &[(
            "tsconfig.json",
            r#"{"compilerOptions":{"baseUrl":".","paths":{"@lib/*":["src/lib/*"]}}}"#,
        )],
    );
    let s = summary(&g);
    for id in [
        "edge:mod:src/svc.ts:imports:mod:src/models.ts",
        "edge:mod:src/svc.ts:imports:mod:src/lib/log.ts",
        "edge:mod:src/svc.ts:imports:ext:express",
        "edge:cls:src/svc.ts:UserService:inherits:cls:src/svc.ts:Repo",
        "edge:fn:src/svc.ts:UserService.find:calls:fn:src/lib/log.ts:log",
        "edge:fn:src/svc.ts:UserService.find:calls:fn:src/svc.ts:Repo.find",
        "edge:fn:src/svc.ts:getUser:calls:fn:src/svc.ts:UserService.find",
        "edge:fn:src/svc.ts:Repo.find:uses:cls:src/models.ts:User",
        "edge:fn:src/svc.ts:UserService.constructor:uses:cls:src/svc.ts:Repo",
        "edge:fn:src/svc.ts:UserService.find:uses:cls:src/models.ts:User",
        "edge:fn:src/svc.ts:getUser:uses:cls:src/svc.ts:UserService",
    ] {
        assert!(has(&g, id), "missing {id}\n{s}");
    }
}
