//! Hand-built facts for the worked examples of `indexer.md` §13 and `mubase.md` §11.

use super::*;
use crate::index::facts::*;

fn def(kind: DefKind, qname: &str, parent: Option<u32>, lines: (u32, u32), cx: u32) -> Def {
    Def {
        kind,
        name: qname.rsplit('.').next().unwrap_or(qname).to_string(),
        qname: qname.to_string(),
        parent,
        line_start: lines.0,
        line_end: lines.1,
        complexity: cx,
        has_body: true,
        decorators: Vec::new(),
        visibility: None,
        docstring: None,
        class: match kind {
            DefKind::Class => Some(ClassInfo {
                kind: ClassKind::Class,
                bases: Vec::new(),
                attributes: Vec::new(),
                field_types: Vec::new(),
            }),
            DefKind::Function => None,
        },
        function: match kind {
            DefKind::Function => Some(FunctionInfo::default()),
            DefKind::Class => None,
        },
        locals: Vec::new(),
        attach: None,
        namespace: None,
    }
}

pub(crate) fn class(qname: &str, parent: Option<u32>, lines: (u32, u32)) -> Def {
    def(DefKind::Class, qname, parent, lines, 0)
}

pub(crate) fn func(qname: &str, parent: Option<u32>, lines: (u32, u32), cx: u32) -> Def {
    def(DefKind::Function, qname, parent, lines, cx)
}

fn param(name: &str, ty: Option<&str>) -> Param {
    Param {
        name: name.to_string(),
        type_: ty.map(str::to_string),
        ..Param::default()
    }
}

fn names(list: &[&str]) -> Vec<ImportedName> {
    list.iter()
        .map(|n| {
            let (name, local) = n.split_once(" as ").unwrap_or((n, n));
            ImportedName {
                name: name.to_string(),
                local: local.to_string(),
                type_only: false,
            }
        })
        .collect()
}

pub(crate) fn import(spec: &str, kind: ImportKind, ns: &[&str], line: u32) -> Import {
    Import {
        specifier: spec.to_string(),
        kind,
        names: names(ns),
        alias: None,
        line,
        type_only: false,
        dynamic: false,
        reexport: false,
        is_static: false,
        scope: Vec::new(),
        path_attr: None,
    }
}

pub(crate) fn call(caller: Option<u32>, callee: Callee, line: u32) -> CallSite {
    CallSite {
        caller,
        callee,
        line,
    }
}

fn tref(owner: u32, name: &str, line: u32) -> TypeRef {
    TypeRef {
        owner: Some(owner),
        name: name.to_string(),
        line,
    }
}

fn file(path: &str, lines: u32, facts: FileFacts) -> SourceFile {
    let language = match path.rsplit('.').next() {
        Some("py") | Some("pyi") => Language::Python,
        Some("js") | Some("jsx") | Some("mjs") | Some("cjs") => Language::JavaScript,
        _ => Language::TypeScript,
    };
    SourceFile {
        path: path.to_string(),
        language,
        total_lines: lines,
        facts: Arc::new(facts),
    }
}

/// Resolve `files` (sorted here) with the given config files.
pub(super) fn run(mut files: Vec<SourceFile>, cfg: &[(&str, &str)]) -> ResolvedGraph {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let config = ProjectConfig {
        files: cfg
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    resolve(&files, &config)
}

fn edge<'g>(g: &'g ResolvedGraph, id: &str) -> &'g str {
    match g.edges.iter().find(|e| e.id == id) {
        Some(e) => &e.properties,
        None => panic!(
            "missing edge {id}; have:\n{}",
            g.edges
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn node<'g>(g: &'g ResolvedGraph, id: &str) -> &'g NodeRow {
    g.nodes
        .iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| panic!("missing node {id}"))
}

fn ids(g: &ResolvedGraph, t: EdgeType) -> Vec<&str> {
    g.edges
        .iter()
        .filter(|e| e.edge_type == t)
        .map(|e| e.id.as_str())
        .collect()
}

fn no_dangling(g: &ResolvedGraph) {
    let ids: std::collections::HashSet<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
    for e in &g.edges {
        assert!(
            ids.contains(e.source_id.as_str()),
            "dangling source {}",
            e.id
        );
        assert!(
            ids.contains(e.target_id.as_str()),
            "dangling target {}",
            e.id
        );
    }
    let mut sorted = g.edges.clone();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(sorted, g.edges);
}

fn python_example() -> Vec<SourceFile> {
    let mut load = func("Loader.load", Some(0), (9, 13), 1);
    load.decorators = vec!["staticmethod".into()];
    if let Some(fi) = load.function.as_mut() {
        fi.is_static = true;
        fi.parameters = vec![param("cfg", Some("\"Config\""))];
        fi.return_type = Some("int".into());
    }
    let mut parse = func("Loader.load.parse", Some(1), (11, 12), 2);
    if let Some(fi) = parse.function.as_mut() {
        fi.parameters = vec![param("x", None)];
    }
    let mut tc = import(".c", ImportKind::PyFrom, &["Config"], 5);
    tc.type_only = true;
    let a = FileFacts {
        defs: vec![class("Loader", None, (8, 13)), load, parse],
        imports: vec![
            import("typing", ImportKind::PyFrom, &["TYPE_CHECKING"], 1),
            import(".b", ImportKind::PyFrom, &["helper"], 2),
            tc,
        ],
        calls: vec![
            call(Some(2), Callee::Bare("helper".into()), 12),
            call(Some(1), Callee::Bare("parse".into()), 13),
        ],
        type_refs: vec![tref(1, "Config", 10), tref(1, "int", 10)],
        ..FileFacts::default()
    };
    let b = FileFacts {
        defs: vec![func("helper", None, (1, 2), 1)],
        ..FileFacts::default()
    };
    let c = FileFacts {
        defs: vec![class("Config", None, (1, 2))],
        ..FileFacts::default()
    };
    vec![
        file("pkg/__init__.py", 0, FileFacts::default()),
        file("pkg/a.py", 13, a),
        file("pkg/b.py", 2, b),
        file("pkg/c.py", 2, c),
    ]
}

#[test]
fn python_13_1() {
    let g = run(python_example(), &[]);
    no_dangling(&g);
    assert_eq!(
        edge(&g, "edge:mod:pkg/a.py:contains:cls:pkg/a.py:Loader"),
        r#"{"line":8}"#
    );
    assert_eq!(
        edge(
            &g,
            "edge:cls:pkg/a.py:Loader:contains:fn:pkg/a.py:Loader.load"
        ),
        r#"{"line":9}"#
    );
    assert_eq!(
        edge(
            &g,
            "edge:fn:pkg/a.py:Loader.load:contains:fn:pkg/a.py:Loader.load.parse"
        ),
        r#"{"line":11}"#
    );
    assert_eq!(
        edge(&g, "edge:mod:pkg/a.py:imports:ext:typing"),
        r#"{"line":1,"module":"typing","names":["TYPE_CHECKING"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#
    );
    assert_eq!(
        edge(&g, "edge:mod:pkg/a.py:imports:mod:pkg/b.py"),
        r#"{"line":2,"module":".b","names":["helper"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#
    );
    assert_eq!(
        edge(&g, "edge:mod:pkg/a.py:imports:mod:pkg/c.py"),
        r#"{"line":5,"module":".c","names":["Config"],"alias":null,"type_only":true,"dynamic":false,"count":1}"#
    );
    assert_eq!(
        edge(
            &g,
            "edge:fn:pkg/a.py:Loader.load:calls:fn:pkg/a.py:Loader.load.parse"
        ),
        r#"{"line":13,"count":1}"#
    );
    assert_eq!(
        edge(
            &g,
            "edge:fn:pkg/a.py:Loader.load.parse:calls:fn:pkg/b.py:helper"
        ),
        r#"{"line":12,"count":1}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:pkg/a.py:Loader.load:uses:cls:pkg/c.py:Config"),
        r#"{"line":10,"type_name":"Config","count":1}"#
    );
    assert_eq!(ids(&g, EdgeType::Calls).len(), 2);
    assert_eq!(ids(&g, EdgeType::Uses).len(), 1);
    assert_eq!(ids(&g, EdgeType::Imports).len(), 3);
    assert_eq!(ids(&g, EdgeType::Inherits).len(), 0);
    // contains: a.py 3, b.py 1, c.py 1.
    assert_eq!(ids(&g, EdgeType::Contains).len(), 5);

    let m = node(&g, "mod:pkg/a.py");
    assert_eq!(m.name, "a");
    assert_eq!((m.line_start, m.line_end), (Some(1), Some(13)));
    assert_eq!(
        m.properties,
        r#"{"language":"python","total_lines":13,"parse_errors":0,"external_deps":["typing"],"unresolved_imports":[]}"#
    );
    let init = node(&g, "mod:pkg/__init__.py");
    assert_eq!(init.name, "__init__");
    assert_eq!((init.line_start, init.line_end), (None, None));
    let ext = node(&g, "ext:typing");
    assert_eq!(ext.properties, r#"{"languages":["python"]}"#);
    assert_eq!(ext.qualified_name.as_deref(), Some("typing"));
    assert_eq!(ext.file_path, None);
    let load = node(&g, "fn:pkg/a.py:Loader.load");
    assert_eq!(load.complexity, 1);
    assert_eq!(
        load.properties,
        r#"{"is_method":true,"is_async":false,"is_static":true,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":null,"parameters":[{"name":"cfg","type":"\"Config\"","default":null,"variadic":false,"keyword":false}],"return_type":"int","decorators":["staticmethod"]}"#
    );
    let parse = node(&g, "fn:pkg/a.py:Loader.load.parse");
    assert!(parse.properties.starts_with(r#"{"is_method":false"#));
    assert_eq!(
        parse.qualified_name.as_deref(),
        Some("pkg/a.py:Loader.load.parse")
    );
    assert_eq!(
        node(&g, "cls:pkg/a.py:Loader").properties,
        r#"{"kind":"class","bases":[],"decorators":[],"attributes":[],"visibility":null}"#
    );
    assert_eq!(g.nodes.len(), 4 + 5 + 1);
    assert_eq!(g.unresolved_imports, 0);
    assert_eq!(
        g.graph_stats(),
        r#"{"nodes":{"module":4,"class":2,"function":3,"external":1},"edges":{"contains":5,"imports":3,"inherits":0,"calls":2,"uses":1}}"#
    );
}

#[test]
fn python_is_deterministic_and_parallel_safe() {
    let a = run(python_example(), &[]);
    for _ in 0..5 {
        assert_eq!(run(python_example(), &[]), a);
    }
}

#[test]
fn python_packages_reexports_and_unresolved() {
    // pkg/__init__.py: from .b import helper; X = 1
    let init = FileFacts {
        imports: vec![import(".b", ImportKind::PyFrom, &["helper"], 1)],
        top_level_names: vec!["X".into()],
        ..FileFacts::default()
    };
    let b = FileFacts {
        defs: vec![func("helper", None, (1, 2), 1)],
        ..FileFacts::default()
    };
    let sub = FileFacts {
        defs: vec![
            class("Base", None, (1, 2)),
            func("Base.__init__", Some(0), (2, 2), 1),
        ],
        ..FileFacts::default()
    };
    // app.py: from pkg import helper, sub, X; import pkg.sub; from pkg.missing import y;
    //         import numpy.linalg as la; from __future__ import annotations
    let mut np = import("numpy.linalg", ImportKind::PyImport, &[], 5);
    np.alias = Some("la".into());
    let mut k = class("K", None, (8, 9));
    if let Some(ci) = k.class.as_mut() {
        ci.bases = vec![
            Base {
                text: "sub.Base".into(),
                relation: Relation::Extends,
                line: 8,
            },
            Base {
                text: "la.Thing".into(),
                relation: Relation::Extends,
                line: 8,
            },
        ];
    }
    let app = FileFacts {
        defs: vec![k, func("main", None, (10, 14), 1)],
        imports: vec![
            import("pkg", ImportKind::PyFrom, &["helper", "sub", "X"], 1),
            import("pkg.sub", ImportKind::PyImport, &[], 2),
            import("pkg.missing", ImportKind::PyFrom, &["y"], 3),
            import("__future__", ImportKind::PyFrom, &["annotations"], 4),
            np,
            import("pkg", ImportKind::PyFrom, &["helper"], 6),
        ],
        calls: vec![
            call(Some(1), Callee::Bare("helper".into()), 11),
            call(Some(1), Callee::Bare("helper".into()), 12),
            call(
                Some(1),
                Callee::Member {
                    receiver: Receiver::Path(vec!["pkg".into(), "sub".into()]),
                    name: "Base".into(),
                },
                13,
            ),
            call(
                Some(1),
                Callee::Member {
                    receiver: Receiver::Ident("la".into()),
                    name: "norm".into(),
                },
                14,
            ),
            call(None, Callee::Bare("print".into()), 15),
        ],
        ..FileFacts::default()
    };
    let g = run(
        vec![
            file("pkg/__init__.py", 2, init),
            file("pkg/b.py", 2, b),
            file("pkg/sub.py", 2, sub),
            file("app.py", 15, app),
        ],
        &[],
    );
    no_dangling(&g);
    assert_eq!(
        edge(&g, "edge:mod:app.py:imports:mod:pkg/__init__.py"),
        r#"{"line":1,"module":"pkg","names":["X","helper"],"alias":null,"type_only":false,"dynamic":false,"count":2}"#
    );
    assert_eq!(
        edge(&g, "edge:mod:app.py:imports:mod:pkg/sub.py"),
        r#"{"line":1,"module":"pkg","names":["sub"],"alias":null,"type_only":false,"dynamic":false,"count":2}"#
    );
    assert_eq!(
        edge(&g, "edge:mod:app.py:imports:ext:numpy"),
        r#"{"line":5,"module":"numpy.linalg","names":[],"alias":"la","type_only":false,"dynamic":false,"count":1}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:app.py:main:calls:fn:pkg/b.py:helper"),
        r#"{"line":11,"count":2}"#
    );
    // pkg.sub.Base() → constructor of Base.
    edge(&g, "edge:fn:app.py:main:calls:fn:pkg/sub.py:Base.__init__");
    edge(&g, "edge:cls:app.py:K:inherits:cls:pkg/sub.py:Base");
    assert_eq!(
        edge(&g, "edge:cls:app.py:K:inherits:ext:numpy"),
        r#"{"line":8,"base_name":"la.Thing","relation":"extends"}"#
    );
    assert_eq!(ids(&g, EdgeType::Calls).len(), 2);
    assert_eq!(g.unresolved_imports, 1);
    assert_eq!(
        node(&g, "mod:app.py").properties,
        r#"{"language":"python","total_lines":15,"parse_errors":0,"external_deps":["numpy"],"unresolved_imports":["pkg.missing"]}"#
    );
}

fn js_example() -> Vec<SourceFile> {
    let mut greet = func("Greeter.greet", Some(0), (5, 7), 2);
    if let Some(fi) = greet.function.as_mut() {
        fi.is_method = true;
        fi.parameters = vec![param("name", None)];
    }
    let mut main = func("main", None, (10, 13), 2);
    main.locals = vec![
        LocalType {
            name: "g".into(),
            ty: LocalTy::Ctor("Greeter".into()),
        },
        LocalType {
            name: "a".into(),
            ty: LocalTy::Unknown,
        },
    ];
    let mut path = import("path", ImportKind::Es, &[], 2);
    path.alias = Some("path".into());
    let index = FileFacts {
        defs: vec![class("Greeter", None, (4, 8)), greet, main],
        imports: vec![import("./util", ImportKind::Es, &["format"], 1), path],
        calls: vec![
            call(None, Callee::Bare("require".into()), 1),
            call(None, Callee::Bare("require".into()), 2),
            call(Some(1), Callee::Bare("format".into()), 6),
            call(Some(2), Callee::New("Greeter".into()), 11),
            call(
                Some(2),
                Callee::Member {
                    receiver: Receiver::Ident("console".into()),
                    name: "log".into(),
                },
                12,
            ),
            call(
                Some(2),
                Callee::Member {
                    receiver: Receiver::Ident("g".into()),
                    name: "greet".into(),
                },
                12,
            ),
        ],
        top_level_names: vec!["module.exports".into()],
        ..FileFacts::default()
    };
    let util = FileFacts {
        defs: vec![func("format", None, (1, 1), 1)],
        ..FileFacts::default()
    };
    vec![
        file("lib/index.js", 15, index),
        file("lib/util.js", 2, util),
    ]
}

#[test]
fn javascript_13_3() {
    let g = run(js_example(), &[]);
    no_dangling(&g);
    let expected = [
        (
            "edge:mod:lib/index.js:contains:cls:lib/index.js:Greeter",
            r#"{"line":4}"#,
        ),
        (
            "edge:mod:lib/index.js:contains:fn:lib/index.js:main",
            r#"{"line":10}"#,
        ),
        (
            "edge:cls:lib/index.js:Greeter:contains:fn:lib/index.js:Greeter.greet",
            r#"{"line":5}"#,
        ),
        (
            "edge:mod:lib/index.js:imports:mod:lib/util.js",
            r#"{"line":1,"module":"./util","names":["format"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
        ),
        (
            "edge:mod:lib/index.js:imports:ext:path",
            r#"{"line":2,"module":"path","names":[],"alias":"path","type_only":false,"dynamic":false,"count":1}"#,
        ),
        (
            "edge:fn:lib/index.js:Greeter.greet:calls:fn:lib/util.js:format",
            r#"{"line":6,"count":1}"#,
        ),
        (
            "edge:fn:lib/index.js:main:calls:cls:lib/index.js:Greeter",
            r#"{"line":11,"count":1}"#,
        ),
        (
            "edge:fn:lib/index.js:main:calls:fn:lib/index.js:Greeter.greet",
            r#"{"line":12,"count":1}"#,
        ),
    ];
    for (id, props) in expected {
        assert_eq!(edge(&g, id), props, "{id}");
    }
    // Only the util.js contains edge is extra.
    assert_eq!(g.edges.len(), expected.len() + 1);
    assert_eq!(
        node(&g, "mod:lib/index.js").properties,
        r#"{"language":"javascript","total_lines":15,"parse_errors":0,"external_deps":["path"],"unresolved_imports":[]}"#
    );
    assert_eq!(node(&g, "mod:lib/index.js").name, "index");
    assert_eq!(
        node(&g, "ext:path").properties,
        r#"{"languages":["javascript"]}"#
    );
    assert_eq!(node(&g, "fn:lib/index.js:main").complexity, 2);
}

fn ts_example(tsconfig_files: &[(&str, &str)]) -> ResolvedGraph {
    let mut repo = class("Repo", None, (5, 7));
    if let Some(ci) = repo.class.as_mut() {
        ci.kind = ClassKind::Interface;
    }
    let mut repo_find = func("Repo.find", Some(0), (6, 6), 0);
    repo_find.has_body = false;
    if let Some(fi) = repo_find.function.as_mut() {
        fi.is_method = true;
        fi.parameters = vec![param("id", Some("string"))];
        fi.return_type = Some("User | undefined".into());
    }
    let mut svc = class("UserService", None, (9, 16));
    if let Some(ci) = svc.class.as_mut() {
        ci.bases = vec![Base {
            text: "Repo".into(),
            relation: Relation::Implements,
            line: 9,
        }];
        ci.attributes = vec!["repo".into()];
        ci.field_types = vec![("repo".into(), "Repo".into())];
    }
    let mut ctor = func("UserService.constructor", Some(2), (10, 10), 1);
    if let Some(fi) = ctor.function.as_mut() {
        fi.is_constructor = true;
        fi.parameters = vec![param("repo", Some("Repo"))];
    }
    let mut find = func("UserService.find", Some(2), (12, 15), 2);
    if let Some(fi) = find.function.as_mut() {
        fi.parameters = vec![param("id", Some("string"))];
    }
    let mut get_user = func("getUser", None, (19, 19), 1);
    if let Some(fi) = get_user.function.as_mut() {
        fi.parameters = vec![
            param("svc", Some("UserService")),
            param("id", Some("string")),
        ];
    }
    get_user.locals = vec![
        LocalType {
            name: "svc".into(),
            ty: LocalTy::Declared("UserService".into()),
        },
        LocalType {
            name: "id".into(),
            ty: LocalTy::Declared("string".into()),
        },
    ];
    let mut models_imp = import("./models", ImportKind::Es, &["User"], 1);
    models_imp.type_only = true;
    let svc_facts = FileFacts {
        defs: vec![repo, repo_find, svc, ctor, find, get_user],
        imports: vec![
            models_imp,
            import("@lib/log", ImportKind::Es, &["log"], 2),
            import("express", ImportKind::Es, &["default as express"], 3),
        ],
        calls: vec![
            call(Some(4), Callee::Bare("log".into()), 13),
            call(
                Some(4),
                Callee::Member {
                    receiver: Receiver::SelfField("repo".into()),
                    name: "find".into(),
                },
                14,
            ),
            call(
                None,
                Callee::Member {
                    receiver: Receiver::Ident("express".into()),
                    name: "Router".into(),
                },
                18,
            ),
            call(
                Some(5),
                Callee::Member {
                    receiver: Receiver::Ident("svc".into()),
                    name: "find".into(),
                },
                19,
            ),
        ],
        type_refs: vec![
            tref(1, "string", 6),
            tref(1, "User", 6),
            tref(3, "Repo", 10),
            tref(4, "string", 12),
            tref(4, "User", 12),
            tref(5, "UserService", 19),
            tref(5, "string", 19),
        ],
        top_level_names: vec!["router".into()],
        ..FileFacts::default()
    };
    let mut user = class("User", None, (1, 1));
    if let Some(ci) = user.class.as_mut() {
        ci.kind = ClassKind::Interface;
        ci.attributes = vec!["id".into()];
    }
    let models = FileFacts {
        defs: vec![user],
        ..FileFacts::default()
    };
    let log = FileFacts {
        defs: vec![func("log", None, (1, 1), 1)],
        ..FileFacts::default()
    };
    run(
        vec![
            file("src/svc.ts", 19, svc_facts),
            file("src/models.ts", 1, models),
            file("src/lib/log.ts", 1, log),
        ],
        tsconfig_files,
    )
}

fn check_ts(g: &ResolvedGraph) {
    no_dangling(g);
    let expected = [
        (
            "edge:mod:src/svc.ts:imports:mod:src/models.ts",
            r#"{"line":1,"module":"./models","names":["User"],"alias":null,"type_only":true,"dynamic":false,"count":1}"#,
        ),
        (
            "edge:mod:src/svc.ts:imports:mod:src/lib/log.ts",
            r#"{"line":2,"module":"@lib/log","names":["log"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
        ),
        (
            "edge:mod:src/svc.ts:imports:ext:express",
            r#"{"line":3,"module":"express","names":["default"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
        ),
        (
            "edge:cls:src/svc.ts:UserService:inherits:cls:src/svc.ts:Repo",
            r#"{"line":9,"base_name":"Repo","relation":"implements"}"#,
        ),
        (
            "edge:fn:src/svc.ts:UserService.find:calls:fn:src/lib/log.ts:log",
            r#"{"line":13,"count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:UserService.find:calls:fn:src/svc.ts:Repo.find",
            r#"{"line":14,"count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:getUser:calls:fn:src/svc.ts:UserService.find",
            r#"{"line":19,"count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:Repo.find:uses:cls:src/models.ts:User",
            r#"{"line":6,"type_name":"User","count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:UserService.constructor:uses:cls:src/svc.ts:Repo",
            r#"{"line":10,"type_name":"Repo","count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:UserService.find:uses:cls:src/models.ts:User",
            r#"{"line":12,"type_name":"User","count":1}"#,
        ),
        (
            "edge:fn:src/svc.ts:getUser:uses:cls:src/svc.ts:UserService",
            r#"{"line":19,"type_name":"UserService","count":1}"#,
        ),
    ];
    for (id, props) in expected {
        assert_eq!(edge(g, id), props, "{id}");
    }
    assert_eq!(ids(g, EdgeType::Calls).len(), 3);
    assert_eq!(ids(g, EdgeType::Uses).len(), 4);
    assert_eq!(ids(g, EdgeType::Imports).len(), 3);
    assert_eq!(ids(g, EdgeType::Inherits).len(), 1);
    // svc.ts: 3 top-level + 3 members; models 1; log 1.
    assert_eq!(ids(g, EdgeType::Contains).len(), 8);
    assert_eq!(
        node(g, "mod:src/svc.ts").properties,
        r#"{"language":"typescript","total_lines":19,"parse_errors":0,"external_deps":["express"],"unresolved_imports":[]}"#
    );
    assert_eq!(
        node(g, "cls:src/svc.ts:UserService").properties,
        r#"{"kind":"class","bases":["Repo"],"decorators":[],"attributes":["repo"],"visibility":null}"#
    );
    assert_eq!(node(g, "fn:src/svc.ts:Repo.find").complexity, 0);
    assert_eq!(
        node(g, "ext:express").properties,
        r#"{"languages":["typescript"]}"#
    );
}

#[test]
fn typescript_13_2_tsconfig_paths() {
    let g = ts_example(&[(
        "tsconfig.json",
        r#"{"compilerOptions":{"baseUrl":".","paths":{"@lib/*":["src/lib/*"]}}}"#,
    )]);
    check_ts(&g);
}

#[test]
fn typescript_tsconfig_extends_with_comments() {
    let g = ts_example(&[
        (
            "src/tsconfig.json",
            "{\n  // local\n  \"extends\": \"../configs/base.json\",\n  \"compilerOptions\": { \"strict\": true, },\n}\n",
        ),
        (
            "configs/base.json",
            "/* base */ {\"compilerOptions\": {\"paths\": {\"@lib/*\": [\"../src/lib/*\",],},},}",
        ),
    ]);
    check_ts(&g);
}

#[test]
fn typescript_unresolved_alias_and_relative() {
    // Without the tsconfig, `@lib/log` is an external package `@lib/log`.
    let g = ts_example(&[]);
    edge(&g, "edge:mod:src/svc.ts:imports:ext:@lib/log");
    assert!(!g
        .edges
        .iter()
        .any(|e| e.id.contains(":calls:fn:src/lib/log.ts:log")));
    assert_eq!(
        node(&g, "ext:@lib/log").properties,
        r#"{"languages":["typescript"]}"#
    );
}

#[test]
fn ts_probing_workspaces_and_reexports() {
    // web/app.ts imports: ./util.js (→ util.ts), ./comp (→ comp/index.tsx), ./styles.css
    // (ignored), ./missing (unresolved), @acme/core (workspace → packages/core/src/index.ts,
    // which re-exports `helper` from ./impl), node:fs, lodash/fp.
    let mut reexp = import("./impl", ImportKind::Es, &["helper"], 1);
    reexp.reexport = true;
    let mut star = import("./more", ImportKind::Es, &["*"], 2);
    star.reexport = true;
    star.names[0].local = "*".into();
    let core_index = FileFacts {
        imports: vec![reexp, star],
        ..FileFacts::default()
    };
    let core_impl = FileFacts {
        defs: vec![func("helper", None, (1, 3), 1)],
        ..FileFacts::default()
    };
    let core_more = FileFacts {
        defs: vec![class("Widget", None, (1, 3))],
        ..FileFacts::default()
    };
    let app = FileFacts {
        defs: vec![func("run", None, (10, 20), 1)],
        imports: vec![
            import("./util.js", ImportKind::Es, &["u"], 1),
            import("./comp", ImportKind::Es, &["default as Comp"], 2),
            import("./styles.css", ImportKind::Es, &[], 3),
            import("./missing", ImportKind::Es, &["m"], 4),
            import("@acme/core", ImportKind::Es, &["helper", "Widget"], 5),
            import("node:fs", ImportKind::Es, &["readFileSync"], 6),
            import("lodash/fp", ImportKind::Es, &["map"], 7),
            import("@acme/core", ImportKind::Es, &["helper"], 8),
        ],
        calls: vec![
            call(Some(0), Callee::Bare("helper".into()), 11),
            call(Some(0), Callee::New("Widget".into()), 12),
            call(Some(0), Callee::New("Comp".into()), 13),
            call(Some(0), Callee::Bare("u".into()), 14),
            call(Some(0), Callee::Bare("map".into()), 15),
        ],
        ..FileFacts::default()
    };
    let util = FileFacts {
        defs: vec![func("u", None, (1, 1), 1)],
        ..FileFacts::default()
    };
    let comp = FileFacts {
        defs: vec![func("Comp", None, (1, 1), 1)],
        default_export: Some("Comp".into()),
        ..FileFacts::default()
    };
    let g = run(
        vec![
            file("web/app.ts", 20, app),
            file("web/util.ts", 1, util),
            file("web/comp/index.tsx", 1, comp),
            file("packages/core/src/index.ts", 2, core_index),
            file("packages/core/src/impl.ts", 3, core_impl),
            file("packages/core/src/more.ts", 3, core_more),
        ],
        &[
            ("package.json", r#"{"workspaces":["packages/*"]}"#),
            ("packages/core/package.json", r#"{"name":"@acme/core"}"#),
        ],
    );
    no_dangling(&g);
    edge(&g, "edge:mod:web/app.ts:imports:mod:web/util.ts");
    edge(&g, "edge:mod:web/app.ts:imports:mod:web/comp/index.tsx");
    assert_eq!(
        edge(
            &g,
            "edge:mod:web/app.ts:imports:mod:packages/core/src/index.ts"
        ),
        r#"{"line":5,"module":"@acme/core","names":["Widget","helper"],"alias":null,"type_only":false,"dynamic":false,"count":2}"#
    );
    edge(&g, "edge:mod:web/app.ts:imports:ext:fs");
    edge(&g, "edge:mod:web/app.ts:imports:ext:lodash");
    edge(
        &g,
        "edge:mod:packages/core/src/index.ts:imports:mod:packages/core/src/impl.ts",
    );
    edge(
        &g,
        "edge:fn:web/app.ts:run:calls:fn:packages/core/src/impl.ts:helper",
    );
    edge(
        &g,
        "edge:fn:web/app.ts:run:calls:cls:packages/core/src/more.ts:Widget",
    );
    edge(
        &g,
        "edge:fn:web/app.ts:run:calls:fn:web/comp/index.tsx:Comp",
    );
    edge(&g, "edge:fn:web/app.ts:run:calls:fn:web/util.ts:u");
    assert_eq!(ids(&g, EdgeType::Calls).len(), 4);
    assert_eq!(g.unresolved_imports, 1);
    assert_eq!(
        node(&g, "mod:web/app.ts").properties,
        r#"{"language":"typescript","total_lines":20,"parse_errors":0,"external_deps":["fs","lodash"],"unresolved_imports":["./missing"]}"#
    );
}

#[test]
fn merging_5_3_overloads() {
    // x.ts: two overload signatures, then the implementation; a getter/setter pair in a class.
    let mut sig1 = func("f", None, (1, 1), 0);
    sig1.has_body = false;
    if let Some(fi) = sig1.function.as_mut() {
        fi.parameters = vec![param("a", Some("string"))];
        fi.return_type = Some("void".into());
    }
    let mut sig2 = func("f", None, (2, 2), 0);
    sig2.has_body = false;
    let mut imp = func("f", None, (3, 6), 3);
    if let Some(fi) = imp.function.as_mut() {
        fi.parameters = vec![param("a", Some("any"))];
    }
    imp.decorators = vec!["d".into()];
    let mut getter = func("C.v", Some(3), (8, 8), 1);
    if let Some(fi) = getter.function.as_mut() {
        fi.is_property = true;
    }
    let mut setter = func("C.v", Some(3), (9, 9), 2);
    if let Some(fi) = setter.function.as_mut() {
        fi.is_property = true;
    }
    let facts = FileFacts {
        defs: vec![sig1, sig2, imp, class("C", None, (7, 10)), getter, setter],
        calls: vec![
            call(Some(5), Callee::Bare("f".into()), 9),
            call(Some(4), Callee::Bare("f".into()), 8),
            call(Some(2), Callee::Bare("f".into()), 5),
        ],
        ..FileFacts::default()
    };
    let g = run(vec![file("x.ts", 10, facts)], &[]);
    no_dangling(&g);
    let f = node(&g, "fn:x.ts:f");
    assert_eq!(
        (f.line_start, f.line_end, f.complexity),
        (Some(3), Some(6), 3)
    );
    assert_eq!(
        f.properties,
        r#"{"is_method":false,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":null,"parameters":[{"name":"a","type":"any","default":null,"variadic":false,"keyword":false}],"return_type":null,"decorators":["d"],"overloads":3}"#
    );
    let v = node(&g, "fn:x.ts:C.v");
    assert_eq!((v.line_start, v.complexity), (Some(8), 2));
    assert!(v.properties.contains(r#""is_method":true"#));
    assert!(v.properties.ends_with(r#""overloads":2}"#));
    assert_eq!(
        edge(&g, "edge:mod:x.ts:contains:fn:x.ts:f"),
        r#"{"line":3}"#
    );
    assert_eq!(
        edge(&g, "edge:cls:x.ts:C:contains:fn:x.ts:C.v"),
        r#"{"line":8}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:x.ts:C.v:calls:fn:x.ts:f"),
        r#"{"line":8,"count":2}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:x.ts:f:calls:fn:x.ts:f"),
        r#"{"line":5,"count":1}"#
    );
    assert_eq!(g.nodes.len(), 4);
    assert_eq!(g.edges.len(), 5);
}

#[test]
fn python_methods_bases_and_locals() {
    // m.py: class A: def __init__; def run; class B(A): def go(self): self.run(); super().run()
    //       def use(): b = B(); b.run(); x: A = ...; x.run(); B.run(); u = A(); u = None
    let mut b = class("B", None, (5, 9));
    if let Some(ci) = b.class.as_mut() {
        ci.bases = vec![Base {
            text: "A".into(),
            relation: Relation::Extends,
            line: 5,
        }];
    }
    let mut use_fn = func("use", None, (10, 20), 1);
    use_fn.locals = vec![
        LocalType {
            name: "b".into(),
            ty: LocalTy::Ctor("B".into()),
        },
        LocalType {
            name: "x".into(),
            ty: LocalTy::Declared("Optional[A]".into()),
        },
        LocalType {
            name: "u".into(),
            ty: LocalTy::Ctor("A".into()),
        },
        LocalType {
            name: "u".into(),
            ty: LocalTy::Unknown,
        },
    ];
    let member = |r: &str, n: &str| Callee::Member {
        receiver: Receiver::Ident(r.into()),
        name: n.into(),
    };
    let facts = FileFacts {
        defs: vec![
            class("A", None, (1, 4)),
            func("A.__init__", Some(0), (2, 2), 1),
            func("A.run", Some(0), (3, 4), 1),
            b,
            func("B.go", Some(3), (6, 9), 1),
            use_fn,
        ],
        calls: vec![
            call(Some(4), Callee::SelfMember("run".into()), 7),
            call(Some(4), Callee::SuperMember("run".into()), 8),
            call(Some(5), Callee::Bare("B".into()), 11),
            call(Some(5), member("b", "run"), 12),
            call(Some(5), member("x", "run"), 13),
            call(Some(5), member("B", "run"), 14),
            call(Some(5), member("u", "go"), 15),
            call(Some(5), Callee::Bare("len".into()), 16),
        ],
        ..FileFacts::default()
    };
    let g = run(vec![file("m.py", 20, facts)], &[]);
    no_dangling(&g);
    assert_eq!(
        edge(&g, "edge:cls:m.py:B:inherits:cls:m.py:A"),
        r#"{"line":5,"base_name":"A","relation":"extends"}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:m.py:B.go:calls:fn:m.py:A.run"),
        r#"{"line":7,"count":2}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:m.py:use:calls:fn:m.py:A.__init__"),
        r#"{"line":11,"count":1}"#
    );
    assert_eq!(
        edge(&g, "edge:fn:m.py:use:calls:fn:m.py:A.run"),
        r#"{"line":12,"count":3}"#
    );
    assert_eq!(ids(&g, EdgeType::Calls).len(), 3);
}

#[test]
fn never_panics_on_garbage() {
    let mut bad = func("", Some(99), (0, 0), 0);
    bad.qname = String::new();
    let mut cyc = func("g", Some(1), (1, 1), 0);
    cyc.locals = vec![LocalType {
        name: String::new(),
        ty: LocalTy::Declared("|||".into()),
    }];
    let facts = FileFacts {
        defs: vec![bad, cyc, class("K", Some(7), (2, 2))],
        imports: vec![
            import("", ImportKind::PyFrom, &["*"], 1),
            import("....", ImportKind::PyFrom, &["x"], 1),
            import(".", ImportKind::PyImport, &[], 1),
            import("a..b", ImportKind::PyImport, &[], 1),
        ],
        calls: vec![
            call(Some(42), Callee::Bare(String::new()), 1),
            call(Some(1), Callee::New("..".into()), 1),
            call(
                Some(1),
                Callee::Member {
                    receiver: Receiver::Path(Vec::new()),
                    name: String::new(),
                },
                1,
            ),
            call(
                Some(2),
                Callee::Member {
                    receiver: Receiver::SelfField("q".into()),
                    name: "z".into(),
                },
                1,
            ),
        ],
        type_refs: vec![tref(77, "X", 1), tref(1, "", 1)],
        ..FileFacts::default()
    };
    let js = FileFacts {
        imports: vec![
            import("../../../x", ImportKind::Es, &[], 1),
            import("/abs", ImportKind::Es, &[], 1),
            import("@", ImportKind::Es, &[], 1),
            import("", ImportKind::Es, &[], 1),
        ],
        ..FileFacts::default()
    };
    let failed = FileFacts {
        parse_failed: true,
        ..FileFacts::default()
    };
    let g = run(
        vec![
            file("a/b.py", 3, facts),
            file("w.js", 1, js),
            file("f.py", 9, failed),
        ],
        &[
            ("tsconfig.json", "{not json"),
            ("package.json", r#"{"workspaces":{"packages":["**"]}}"#),
            ("pnpm-workspace.yaml", "packages:\n  - '**'\n"),
        ],
    );
    no_dangling(&g);
    assert_eq!(
        node(&g, "mod:f.py").properties,
        r#"{"language":"python","total_lines":9,"parse_errors":0,"parse_failed":true,"external_deps":[],"unresolved_imports":[]}"#
    );
}

#[test]
fn builtin_lists_sorted() {
    assert!(PYTHON_BUILTINS.windows(2).all(|w| w[0] < w[1]));
    assert!(JS_GLOBALS.windows(2).all(|w| w[0] < w[1]));
    assert!(is_builtin(Language::Python, "print"));
    assert!(is_builtin(Language::JavaScript, "Promise"));
    assert!(!is_builtin(Language::TypeScript, "print"));
}

/// `cargo test --release -- --ignored perf`: ~3,000 files / 60,000 definitions.
#[test]
#[ignore]
fn perf_large_project() {
    let mut files = Vec::new();
    for i in 0..3000u32 {
        let mut defs = Vec::new();
        let mut calls = Vec::new();
        let mut type_refs = Vec::new();
        for c in 0..4u32 {
            let ci = defs.len() as u32;
            let mut k = class(&format!("C{i}_{c}"), None, (c * 50 + 1, c * 50 + 49));
            if let Some(info) = k.class.as_mut() {
                info.bases = vec![Base {
                    text: format!("C{}_{}", (i + 1) % 3000, c),
                    relation: Relation::Extends,
                    line: c * 50 + 1,
                }];
            }
            defs.push(k);
            for m in 0..4u32 {
                let di = defs.len() as u32;
                defs.push(func(
                    &format!("C{i}_{c}.m{m}"),
                    Some(ci),
                    (c * 50 + 2 + m, c * 50 + 2 + m),
                    1,
                ));
                calls.push(call(
                    Some(di),
                    Callee::SelfMember(format!("m{}", (m + 1) % 4)),
                    c * 50 + 2 + m,
                ));
                calls.push(call(
                    Some(di),
                    Callee::Bare(format!("f{}_{}", (i + 7) % 3000, m)),
                    c * 50 + 2 + m,
                ));
                type_refs.push(tref(
                    di,
                    &format!("C{}_{}", (i + 3) % 3000, c),
                    c * 50 + 2 + m,
                ));
            }
        }
        for m in 0..4u32 {
            defs.push(func(&format!("f{i}_{m}"), None, (300 + m, 300 + m), 1));
        }
        let imports = vec![
            import(
                &format!("pkg{}.mod{}", (i + 1) % 30, (i + 1) % 100),
                ImportKind::PyFrom,
                &["x", "y"],
                1,
            ),
            import("os", ImportKind::PyImport, &[], 2),
        ];
        files.push(file(
            &format!("pkg{}/mod{}.py", i % 30, i % 100 + (i / 100) * 100),
            400,
            FileFacts {
                defs,
                imports,
                calls,
                type_refs,
                ..FileFacts::default()
            },
        ));
    }
    let start = std::time::Instant::now();
    let g = run(files, &[]);
    let took = start.elapsed();
    eprintln!(
        "perf: {} nodes, {} edges in {:?}",
        g.nodes.len(),
        g.edges.len(),
        took
    );
    assert!(took.as_secs() < 20);
}
