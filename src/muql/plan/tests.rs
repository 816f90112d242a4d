//! The SQL side of MUQL on the indexed shop fixture (`muql.md` §17), ASTs built by hand.

use std::time::{Duration, Instant};

use duckdb::Connection;
use serde_json::{json, Value as Json};

use super::*;
use crate::muql::ast::{OrderKey, Pos, Predicate, SelectItem, Spanned};
use crate::muql::schema::{show_columns, show_tables};
use crate::store::sql::prepare_query_connection;

/// A prepared query connection to the shop database.
fn conn() -> Connection {
    crate::test_support::shop_conn()
}

fn run_with(select: &Select, limits: &SqlLimits) -> Result<Output, QueryError> {
    let conn = conn();
    let env = Env {
        conn: &conn,
        limits,
        started: Instant::now(),
    };
    run_select(&env, select)
}

fn run(select: &Select) -> Output {
    let out = run_with(select, &SqlLimits::default()).unwrap();
    assert_eq!(out.warnings, Vec::<String>::new());
    out
}

fn error(select: &Select) -> QueryError {
    run_with(select, &SqlLimits::default()).unwrap_err()
}

fn pos(line: u32, column: u32) -> Pos {
    Pos {
        line,
        column,
        offset: (column - 1) as usize,
    }
}

/// A field as written (`name`, `Properties.return_type`).
fn f(text: &str) -> Field {
    fp(text, Pos::default())
}

fn fp(text: &str, pos: Pos) -> Field {
    let mut parts = text.split('.');
    let name = parts.next().unwrap_or("").to_lowercase();
    Field {
        name,
        path: parts.map(str::to_string).collect(),
        text: text.to_string(),
        pos,
    }
}

fn field(text: &str) -> Operand {
    Operand::Field(f(text))
}

fn agg(func: AggFn, arg: Option<&str>, distinct: bool) -> Operand {
    Operand::Aggregate(Aggregate {
        func,
        distinct,
        arg: arg.map(f),
        pos: Pos::default(),
    })
}

fn items(fields: &[&str]) -> SelectList {
    SelectList::Items(
        fields
            .iter()
            .map(|t| SelectItem {
                expr: field(t),
                alias: None,
            })
            .collect(),
    )
}

fn item(expr: Operand, alias: Option<&str>) -> SelectItem {
    SelectItem {
        expr,
        alias: alias.map(str::to_string),
    }
}

fn select(table: Table, list: SelectList) -> Select {
    Select {
        items: list,
        table: Spanned {
            value: table,
            pos: Pos::default(),
        },
        filter: None,
        group_by: Vec::new(),
        having: None,
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

fn spanned(v: i64) -> Option<Spanned<i64>> {
    Some(Spanned {
        value: v,
        pos: pos(1, 40),
    })
}

fn pred(operand: Operand, op: PredOp) -> Condition {
    Condition::Pred(Predicate {
        operand,
        op,
        pos: Pos::default(),
    })
}

fn cmp(text: &str, op: CompOp, lit: Literal) -> Condition {
    pred(field(text), PredOp::Compare(op, lit))
}

fn eq(text: &str, lit: Literal) -> Condition {
    cmp(text, CompOp::Eq, lit)
}

fn like(text: &str, pattern: &str, case_insensitive: bool) -> Condition {
    pred(
        field(text),
        PredOp::Like {
            negated: false,
            case_insensitive,
            pattern: pattern.to_string(),
        },
    )
}

fn contains(text: &str, value: Literal) -> Condition {
    pred(
        field(text),
        PredOp::Contains {
            negated: false,
            value,
        },
    )
}

fn is_null(text: &str, negated: bool) -> Condition {
    pred(field(text), PredOp::IsNull { negated })
}

fn s(v: &str) -> Literal {
    Literal::String(v.to_string())
}

fn i(v: i64) -> Literal {
    Literal::Integer(v)
}

fn key(expr: Operand, descending: bool) -> OrderKey {
    OrderKey { expr, descending }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The first column of every row.
fn col0(out: &Output) -> Vec<Json> {
    out.rows.iter().map(|r| r[0].clone()).collect()
}

fn sel(table: Table, fields: &[&str]) -> Select {
    select(table, items(fields))
}

fn and(parts: Vec<Condition>) -> Condition {
    Condition::And(parts)
}

fn or(parts: Vec<Condition>) -> Condition {
    Condition::Or(parts)
}

/// `SELECT id … WHERE cond`: the ids, in result order.
fn ids_where(table: Table, cond: Condition) -> Vec<Json> {
    let out = run(&Select {
        filter: Some(cond),
        ..sel(table, &["id"])
    });
    col0(&out)
}

fn node_row(id: &str) -> Vec<Json> {
    let out = run(&Select {
        filter: Some(eq("id", s(id))),
        ..select(Table::Nodes, SelectList::Star)
    });
    assert_eq!(out.rows.len(), 1);
    out.rows[0].clone()
}

const NODE_COLUMNS: [&str; 9] = [
    "id",
    "type",
    "name",
    "qualified_name",
    "file_path",
    "line_start",
    "line_end",
    "properties",
    "complexity",
];

const API_MODULE: &str = r#"{"language":"python","total_lines":15,"parse_errors":0,"external_deps":[],"unresolved_imports":[]}"#;

#[test]
fn q1_module_lines() {
    let out = run(&sel(Table::Modules, &["id", "name", "line_end"]));
    assert_eq!(out.columns, strings(&["id", "name", "line_end"]));
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("mod:src/shop/__init__.py"),
                json!("__init__"),
                Json::Null
            ],
            vec![json!("mod:src/shop/api.py"), json!("api"), json!(15)],
            vec![json!("mod:src/shop/models.py"), json!("models"), json!(22)],
            vec![json!("mod:src/shop/repo.py"), json!("repo"), json!(14)],
            vec![
                json!("mod:src/shop/service.py"),
                json!("service"),
                json!(16)
            ],
            vec![
                json!("mod:tests/test_service.py"),
                json!("test_service"),
                json!(10)
            ],
        ]
    );
}

#[test]
fn q2_star_is_the_nine_real_columns() {
    let out = run(&Select {
        filter: Some(eq("name", s("Order"))),
        ..select(Table::Classes, SelectList::Star)
    });
    assert_eq!(out.columns, strings(&NODE_COLUMNS));
    assert_eq!(
        out.rows,
        vec![vec![
            json!("cls:src/shop/models.py:Order"),
            json!("class"),
            json!("Order"),
            json!("src/shop/models.py:Order"),
            json!("src/shop/models.py"),
            json!(11),
            json!(16),
            json!(
                r#"{"kind":"class","bases":[],"decorators":[],"attributes":["items"],"visibility":null}"#
            ),
            json!(0),
        ]]
    );
}

#[test]
fn q3_order_by_keys_then_limit() {
    let out = run(&Select {
        order_by: vec![key(field("complexity"), true), key(field("name"), false)],
        limit: spanned(3),
        ..sel(Table::Functions, &["name", "complexity"])
    });
    assert_eq!(
        out.rows,
        vec![
            vec![json!("create_order"), json!(3)],
            vec![json!("place"), json!(2)],
            vec![json!("save"), json!(2)],
        ]
    );
}

#[test]
fn q4_count_star() {
    let out = run(&select(
        Table::Functions,
        SelectList::Items(vec![item(agg(AggFn::Count, None, false), None)]),
    ));
    assert_eq!(out.columns, strings(&["count_star"]));
    assert_eq!(out.rows, vec![vec![json!(12)]]);
}

#[test]
fn q5_group_by_with_alias_order() {
    let out = run(&Select {
        group_by: vec![f("type")],
        order_by: vec![key(field("n"), true)],
        ..select(
            Table::Nodes,
            SelectList::Items(vec![
                item(field("type"), None),
                item(agg(AggFn::Count, None, false), Some("n")),
            ]),
        )
    });
    assert_eq!(out.columns, strings(&["type", "n"]));
    assert_eq!(
        out.rows,
        vec![
            vec![json!("function"), json!(12)],
            vec![json!("module"), json!(6)],
            vec![json!("class"), json!(5)],
            vec![json!("external"), json!(2)],
        ]
    );
}

#[test]
fn q6_having_and_ties_by_group_field() {
    let out = run(&Select {
        group_by: vec![f("file_path")],
        having: Some(pred(
            agg(AggFn::Count, None, false),
            PredOp::Compare(CompOp::Gt, i(1)),
        )),
        order_by: vec![key(field("avg_c"), true)],
        ..select(
            Table::Functions,
            SelectList::Items(vec![
                item(field("file_path"), None),
                item(agg(AggFn::Avg, Some("complexity"), false), Some("avg_c")),
            ]),
        )
    });
    assert_eq!(out.columns, strings(&["file_path", "avg_c"]));
    assert_eq!(
        out.rows,
        vec![
            vec![json!("src/shop/api.py"), json!(1.6666666666666667)],
            vec![json!("src/shop/models.py"), json!(1.6666666666666667)],
            vec![json!("src/shop/service.py"), json!(1.5)],
            vec![json!("src/shop/repo.py"), json!(1.3333333333333333)],
        ]
    );
}

#[test]
fn q7_or_is_honoured_defect_5() {
    let out = run(&Select {
        filter: Some(or(vec![eq("name", s("api")), eq("name", s("repo"))])),
        ..sel(Table::Modules, &["name"])
    });
    assert_eq!(out.rows, vec![vec![json!("api")], vec![json!("repo")]]);
}

#[test]
fn q8_parentheses_keep_every_comparison_defect_1() {
    let cond = and(vec![
        or(vec![
            eq("name", s("lookup")),
            like("name", "%order%", false),
        ]),
        cmp("complexity", CompOp::Gt, i(1)),
    ]);
    assert_eq!(
        ids_where(Table::Functions, cond),
        vec![json!("fn:src/shop/api.py:create_order")]
    );
    // Without the AND, the OR alone keeps both branches.
    let cond = or(vec![
        eq("name", s("lookup")),
        like("name", "%order%", false),
    ]);
    assert_eq!(
        ids_where(Table::Functions, cond),
        vec![
            json!("fn:src/shop/api.py:create_order"),
            json!("fn:src/shop/api.py:lookup")
        ]
    );
    // NOT binds to what it is given.
    let cond = and(vec![
        Condition::Not(Box::new(or(vec![
            eq("name", s("api")),
            eq("name", s("repo")),
        ]))),
        like("id", "mod:src/%", false),
    ]);
    assert_eq!(
        ids_where(Table::Modules, cond),
        vec![
            json!("mod:src/shop/__init__.py"),
            json!("mod:src/shop/models.py"),
            json!("mod:src/shop/service.py")
        ]
    );
}

#[test]
fn q9_like_as_typed_and_ilike_defect_8() {
    let names = |cond| {
        let out = run(&Select {
            filter: Some(cond),
            ..sel(Table::Classes, &["name"])
        });
        col0(&out)
    };
    assert_eq!(
        names(like("name", "%Order", false)),
        vec![json!("BulkOrder"), json!("Order")]
    );
    assert_eq!(names(like("name", "order%", false)), Vec::<Json>::new());
    assert_eq!(
        names(like("name", "order%", true)),
        vec![json!("Order"), json!("OrderRepo"), json!("OrderService")]
    );
    // `_` is one character, as typed; no implicit `%…%`.
    assert_eq!(names(like("name", "Ite_", false)), vec![json!("Item")]);
    assert_eq!(names(like("name", "rde", false)), Vec::<Json>::new());
    // NOT LIKE.
    assert_eq!(
        names(pred(
            field("name"),
            PredOp::Like {
                negated: true,
                case_insensitive: false,
                pattern: "%Order%".to_string()
            }
        )),
        vec![json!("Item")]
    );
}

#[test]
fn q10_methods_and_parent_id() {
    let out = run(&Select {
        filter: Some(eq("name", s("total"))),
        ..sel(Table::Methods, &["qualified_name", "parent_id"])
    });
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("src/shop/models.py:BulkOrder.total"),
                json!("cls:src/shop/models.py:BulkOrder")
            ],
            vec![
                json!("src/shop/models.py:Order.total"),
                json!("cls:src/shop/models.py:Order")
            ],
        ]
    );
    let count = run(&select(
        Table::Methods,
        SelectList::Items(vec![item(agg(AggFn::Count, None, false), None)]),
    ));
    assert_eq!(count.rows, vec![vec![json!(8)]]);
}

#[test]
fn q11_property_compared_with_a_string() {
    assert_eq!(
        ids_where(Table::Functions, eq("properties.return_type", s("int"))),
        vec![
            json!("fn:src/shop/api.py:create_order"),
            json!("fn:src/shop/models.py:BulkOrder.total"),
            json!("fn:src/shop/models.py:Order.total"),
            json!("fn:src/shop/service.py:OrderService.place"),
        ]
    );
}

#[test]
fn q12_fan_in() {
    let out = run(&Select {
        order_by: vec![key(field("fan_in"), true)],
        limit: spanned(2),
        ..sel(Table::Classes, &["name", "fan_in"])
    });
    assert_eq!(out.columns, strings(&["name", "fan_in"]));
    assert_eq!(
        out.rows,
        vec![
            vec![json!("Order"), json!(4)],
            vec![json!("Item"), json!(3)]
        ]
    );
}

#[test]
fn q13_edge_line() {
    let out = run(&Select {
        filter: Some(and(vec![
            eq("type", s("imports")),
            like("target_id", "ext:%", false),
        ])),
        ..sel(Table::Edges, &["source_id", "target_id", "line"])
    });
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("mod:src/shop/models.py"),
                json!("ext:dataclasses"),
                json!(2)
            ],
            vec![
                json!("mod:tests/test_service.py"),
                json!("ext:pytest"),
                json!(1)
            ],
        ]
    );
}

#[test]
fn q14_group_by_a_joined_field() {
    let out = run(&Select {
        filter: Some(and(vec![
            eq("type", s("imports")),
            is_null("target_file", true),
        ])),
        group_by: vec![f("target_file")],
        order_by: vec![key(field("importers"), true)],
        ..select(
            Table::Edges,
            SelectList::Items(vec![
                item(field("target_file"), None),
                item(agg(AggFn::Count, None, false), Some("importers")),
            ]),
        )
    });
    assert_eq!(out.columns, strings(&["target_file", "importers"]));
    assert_eq!(
        out.rows,
        vec![
            vec![json!("src/shop/models.py"), json!(3)],
            vec![json!("src/shop/repo.py"), json!(2)],
            vec![json!("src/shop/service.py"), json!(2)],
            vec![json!("src/shop/api.py"), json!(1)],
        ]
    );
}

#[test]
fn q15_q16_terse_selects_as_their_verbose_ast() {
    // `fn c>1 sort c- 3`
    let out = run(&Select {
        filter: Some(cmp("complexity", CompOp::Gt, i(1))),
        order_by: vec![key(field("complexity"), true)],
        limit: spanned(3),
        ..select(Table::Functions, SelectList::Star)
    });
    assert_eq!(out.columns, strings(&NODE_COLUMNS));
    assert_eq!(
        col0(&out),
        vec![
            json!("fn:src/shop/api.py:create_order"),
            json!("fn:src/shop/models.py:BulkOrder.total"),
            json!("fn:src/shop/models.py:Order.total"),
        ]
    );
    // `cls n~'Order%'`
    let out = run(&Select {
        filter: Some(like("name", "Order%", false)),
        ..select(Table::Classes, SelectList::Star)
    });
    assert_eq!(out.columns, strings(&NODE_COLUMNS));
    assert!(out.rows.iter().all(|r| r.len() == 9));
    assert_eq!(
        out.rows.iter().map(|r| r[2].clone()).collect::<Vec<_>>(),
        vec![json!("Order"), json!("OrderRepo"), json!("OrderService")]
    );
}

#[test]
fn q33_show_tables() {
    let conn = conn();
    let limits = SqlLimits::default();
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let out = show_tables(&env).unwrap();
    assert_eq!(
        out.columns,
        strings(&["table_name", "kind", "row_count", "description"])
    );
    // metadata holds exactly the eight keys of mubase.md §3.
    let expected = [
        (
            "nodes",
            "table",
            25,
            "Every node: modules, classes, functions and externals",
        ),
        (
            "edges",
            "table",
            47,
            "Every edge: contains, imports, inherits, calls and uses",
        ),
        (
            "metadata",
            "table",
            8,
            "Key-value facts about the database (readable in SQL mode only)",
        ),
        (
            "functions",
            "view",
            12,
            "Nodes of type function, methods included",
        ),
        (
            "classes",
            "view",
            5,
            "Nodes of type class (classes, structs, interfaces, enums, traits, records)",
        ),
        (
            "modules",
            "view",
            6,
            "Nodes of type module (one per source file)",
        ),
        ("methods", "view", 8, "Functions defined in a class"),
    ];
    assert_eq!(
        out.rows,
        expected
            .iter()
            .map(|(t, k, n, d)| vec![json!(t), json!(k), json!(n), json!(d)])
            .collect::<Vec<_>>()
    );
    assert!(out.warnings.is_empty());
}

#[test]
fn show_columns_lists_real_then_derived_fields() {
    let conn = conn();
    let limits = SqlLimits::default();
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let triples = |out: &Output| -> Vec<(String, String, bool)> {
        out.rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_string(),
                    r[1].as_str().unwrap().to_string(),
                    r[2].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let t = |n: &str, ty: &str, d: bool| (n.to_string(), ty.to_string(), d);
    for table in [Table::Nodes, Table::Methods] {
        let out = show_columns(&env, table).unwrap();
        assert_eq!(
            out.columns,
            strings(&["column_name", "data_type", "derived", "description"])
        );
        assert_eq!(
            triples(&out),
            vec![
                t("id", "VARCHAR", false),
                t("type", "VARCHAR", false),
                t("name", "VARCHAR", false),
                t("qualified_name", "VARCHAR", false),
                t("file_path", "VARCHAR", false),
                t("line_start", "INTEGER", false),
                t("line_end", "INTEGER", false),
                t("properties", "JSON", false),
                t("complexity", "INTEGER", false),
                t("language", "VARCHAR", true),
                t("loc", "INTEGER", true),
                t("kind", "VARCHAR", true),
                t("is_method", "BOOLEAN", true),
                t("is_async", "BOOLEAN", true),
                t("is_static", "BOOLEAN", true),
                t("visibility", "VARCHAR", true),
                t("decorators", "JSON", true),
                t("parent_id", "VARCHAR", true),
                t("fan_in", "INTEGER", true),
                t("fan_out", "INTEGER", true),
                t("properties.<key>", "JSON", true),
            ]
        );
        assert_eq!(
            out.rows[18][3],
            json!("Distinct nodes with an imports, calls, inherits or uses edge to this node")
        );
        assert_eq!(
            out.rows[0][3],
            json!("Node id: mod:, cls:, fn: or ext: prefix and the path")
        );
    }
    let out = show_columns(&env, Table::Edges).unwrap();
    assert_eq!(
        triples(&out),
        vec![
            t("id", "VARCHAR", false),
            t("source_id", "VARCHAR", false),
            t("target_id", "VARCHAR", false),
            t("type", "VARCHAR", false),
            t("properties", "JSON", false),
            t("line", "INTEGER", true),
            t("type_only", "BOOLEAN", true),
            t("source_file", "VARCHAR", true),
            t("target_file", "VARCHAR", true),
            t("source_type", "VARCHAR", true),
            t("target_type", "VARCHAR", true),
            t("properties.<key>", "JSON", true),
        ]
    );
}

#[test]
fn q35_unknown_field_with_position() {
    let select = select(
        Table::Functions,
        SelectList::Items(vec![item(Operand::Field(fp("nme", pos(1, 8))), None)]),
    );
    let err = error(&select);
    assert_eq!(
        err.message,
        "Unknown field 'nme' at line 1, column 8 (table functions). Known fields: id, type, name, \
         qualified_name, file_path, line_start, line_end, properties, complexity, language, loc, \
         kind, is_method, is_async, is_static, visibility, decorators, parent_id, fan_in, \
         fan_out, properties.<key>"
    );
    assert_eq!(err.pos, Some(pos(1, 8)));
    // In WHERE, on edges, and a node field that edges do not have.
    let err = error(&Select {
        filter: Some(Condition::Pred(Predicate {
            operand: Operand::Field(fp("fan_in", pos(1, 27))),
            op: PredOp::Compare(CompOp::Gt, i(1)),
            pos: pos(1, 27),
        })),
        ..sel(Table::Edges, &["id"])
    });
    assert_eq!(
        err.message,
        "Unknown field 'fan_in' at line 1, column 27 (table edges). Known fields: id, source_id, \
         target_id, type, properties, line, type_only, source_file, target_file, source_type, \
         target_type, properties.<key>"
    );
    assert_eq!(err.pos, Some(pos(1, 27)));
    // A path on anything but properties, and a key that is not an identifier.
    for text in ["name.first", "kind.x"] {
        let err = error(&sel(Table::Nodes, &[text]));
        assert!(
            err.message.starts_with(&format!(
                "Unknown field '{text}' at line 0, column 0 (table nodes)"
            )),
            "{}",
            err.message
        );
    }
    let bad_key = Field {
        name: "properties".to_string(),
        path: vec!["a') OR true --".to_string()],
        text: "properties.a') OR true --".to_string(),
        pos: pos(1, 8),
    };
    let err = error(&select_items(
        Table::Nodes,
        vec![item(Operand::Field(bad_key), None)],
    ));
    assert!(err
        .message
        .starts_with("Unknown field 'properties.a') OR true --' at line 1, column 8"));
}

fn select_items(table: Table, list: Vec<SelectItem>) -> Select {
    select(table, SelectList::Items(list))
}

#[test]
fn mu_client_lookups() {
    let api = vec![
        json!("mod:src/shop/api.py"),
        json!("module"),
        json!("api"),
        json!("src/shop/api.py"),
        json!("src/shop/api.py"),
        json!(1),
        json!(15),
        json!(API_MODULE),
        json!(0),
    ];
    assert_eq!(node_row("mod:src/shop/api.py"), api);
    // SELECT * FROM nodes WHERE file_path = 'src/shop/api.py' AND type = 'module' LIMIT 1
    let out = run(&Select {
        filter: Some(and(vec![
            eq("file_path", s("src/shop/api.py")),
            eq("type", s("module")),
        ])),
        limit: spanned(1),
        ..select(Table::Nodes, SelectList::Star)
    });
    assert_eq!(out.columns, strings(&NODE_COLUMNS));
    assert_eq!(out.rows, vec![api.clone()]);
    // SELECT * FROM nodes WHERE file_path LIKE '%shop/api.py' AND type = 'module' LIMIT 1
    let out = run(&Select {
        filter: Some(and(vec![
            like("file_path", "%shop/api.py", false),
            eq("type", s("module")),
        ])),
        limit: spanned(1),
        ..select(Table::Nodes, SelectList::Star)
    });
    assert_eq!(out.rows, vec![api]);
    // SELECT * FROM nodes WHERE name = 'OrderService' LIMIT 1
    let out = run(&Select {
        filter: Some(eq("name", s("OrderService"))),
        limit: spanned(1),
        ..select(Table::Nodes, SelectList::Star)
    });
    assert_eq!(
        out.rows,
        vec![vec![
            json!("cls:src/shop/service.py:OrderService"),
            json!("class"),
            json!("OrderService"),
            json!("src/shop/service.py:OrderService"),
            json!("src/shop/service.py"),
            json!(6),
            json!(16),
            json!(
                r#"{"kind":"class","bases":[],"decorators":[],"attributes":["repo"],"visibility":null}"#
            ),
            json!(0),
        ]]
    );
}

#[test]
fn values_are_bound_not_spliced_defect_7() {
    let out = run(&Select {
        filter: Some(eq("name", s("x' OR 1=1 --"))),
        ..sel(Table::Nodes, &["id"])
    });
    assert_eq!(out.columns, strings(&["id"]));
    assert_eq!(out.rows, Vec::<Vec<Json>>::new());
    for cond in [
        like("name", "%' OR '1'='1", false),
        contains("name", s("') OR true OR ('")),
        eq("properties.return_type", s("int' OR 1=1 --")),
        pred(
            field("name"),
            PredOp::In {
                negated: false,
                values: vec![s("a'); DROP TABLE nodes; --"), s("\" OR \"\"=\"")],
            },
        ),
    ] {
        assert_eq!(ids_where(Table::Nodes, cond), Vec::<Json>::new());
    }
    // A quote inside a real value matches literally.
    assert_eq!(
        ids_where(Table::Nodes, eq("name", s("it's"))),
        Vec::<Json>::new()
    );
    assert_eq!(
        run(&select(
            Table::Nodes,
            SelectList::Items(vec![item(agg(AggFn::Count, None, false), None)])
        ))
        .rows,
        vec![vec![json!(25)]]
    );
}

#[test]
fn star_is_nine_or_five_columns_defect_12() {
    let out = run(&select(Table::Nodes, SelectList::Star));
    assert_eq!(out.columns, strings(&NODE_COLUMNS));
    assert_eq!(out.rows.len(), 25);
    assert!(out.rows.iter().all(|r| r.len() == 9));
    assert_eq!(out.rows[0][0], json!("cls:src/shop/models.py:BulkOrder"));
    assert_eq!(out.rows[24][0], json!("mod:tests/test_service.py"));
    let out = run(&select(Table::Edges, SelectList::Star));
    assert_eq!(
        out.columns,
        strings(&["id", "source_id", "target_id", "type", "properties"])
    );
    assert_eq!(out.rows.len(), 47);
    assert_eq!(
        out.rows[0],
        vec![
            json!("edge:cls:src/shop/models.py:BulkOrder:contains:fn:src/shop/models.py:BulkOrder.total"),
            json!("cls:src/shop/models.py:BulkOrder"),
            json!("fn:src/shop/models.py:BulkOrder.total"),
            json!("contains"),
            json!(r#"{"line":20}"#),
        ]
    );
}

#[test]
fn aggregate_columns_have_stable_names_defect_17() {
    let out = run(&select_items(
        Table::Modules,
        vec![
            item(agg(AggFn::Count, None, false), None),
            item(agg(AggFn::Count, Some("Name"), false), None),
            item(agg(AggFn::Count, Some("file_path"), true), None),
            item(agg(AggFn::Sum, Some("complexity"), false), None),
            item(agg(AggFn::Avg, Some("complexity"), false), None),
            item(agg(AggFn::Min, Some("line_start"), false), None),
            item(agg(AggFn::Max, Some("Properties.language"), false), None),
            item(agg(AggFn::Sum, Some("properties.total_lines"), false), None),
            item(agg(AggFn::Max, Some("loc"), false), Some("Longest")),
        ],
    ));
    assert_eq!(
        out.columns,
        strings(&[
            "count_star",
            "count_name",
            "count_distinct_file_path",
            "sum_complexity",
            "avg_complexity",
            "min_line_start",
            "max_properties_language",
            "sum_properties_total_lines",
            "Longest",
        ])
    );
    assert_eq!(
        out.rows,
        vec![vec![
            json!(6),
            json!(6),
            json!(6),
            json!(0),
            json!(0.0),
            json!(1),
            json!("python"),
            json!(77.0),
            json!(22),
        ]]
    );
    // Plain fields: the name as written, lower-cased.
    let out = run(&Select {
        limit: spanned(1),
        ..sel(Table::Functions, &["Name", "Properties.return_type"])
    });
    assert_eq!(out.columns, strings(&["name", "properties.return_type"]));
    assert_eq!(
        out.rows,
        vec![vec![json!("create_order"), json!("\"int\"")]]
    );
}

#[test]
fn empty_results_keep_their_columns_defect_19() {
    let out = run(&Select {
        filter: Some(eq("name", s("nope"))),
        ..sel(Table::Functions, &["id", "name", "fan_in"])
    });
    assert_eq!(out.columns, strings(&["id", "name", "fan_in"]));
    assert_eq!(out.rows, Vec::<Vec<Json>>::new());
    let out = run(&Select {
        filter: Some(eq("name", s("nope"))),
        group_by: vec![f("type")],
        ..select_items(
            Table::Nodes,
            vec![
                item(field("type"), None),
                item(agg(AggFn::Count, None, false), None),
            ],
        )
    });
    assert_eq!(out.columns, strings(&["type", "count_star"]));
    assert_eq!(out.rows, Vec::<Vec<Json>>::new());
    let out = run(&Select {
        filter: Some(eq("type", s("nope"))),
        ..select(Table::Edges, SelectList::Star)
    });
    assert_eq!(out.columns.len(), 5);
    assert!(out.rows.is_empty());
}

#[test]
fn derived_node_fields() {
    let out = run(&Select {
        filter: Some(pred(
            field("id"),
            PredOp::In {
                negated: false,
                values: vec![
                    s("cls:src/shop/models.py:Item"),
                    s("ext:pytest"),
                    s("fn:src/shop/api.py:lookup"),
                    s("fn:src/shop/service.py:OrderService.place"),
                    s("mod:src/shop/__init__.py"),
                    s("mod:src/shop/service.py"),
                ],
            },
        )),
        ..sel(
            Table::Nodes,
            &[
                "id",
                "kind",
                "loc",
                "language",
                "parent_id",
                "fan_in",
                "fan_out",
                "decorators",
                "is_method",
                "is_async",
                "is_static",
                "visibility",
            ],
        )
    });
    let row = |id: &str,
               kind: &str,
               loc: Json,
               lang: Json,
               parent: Json,
               fi: i64,
               fo: i64,
               dec: &str,
               m: bool| {
        vec![
            json!(id),
            json!(kind),
            loc,
            lang,
            parent,
            json!(fi),
            json!(fo),
            json!(dec),
            json!(m),
            json!(false),
            json!(false),
            Json::Null,
        ]
    };
    let py = json!("python");
    assert_eq!(
        out.rows,
        vec![
            row(
                "cls:src/shop/models.py:Item",
                "class",
                json!(4),
                py.clone(),
                json!("mod:src/shop/models.py"),
                3,
                0,
                r#"["dataclass"]"#,
                false
            ),
            row(
                "ext:pytest",
                "external",
                Json::Null,
                Json::Null,
                Json::Null,
                1,
                0,
                "[]",
                false
            ),
            row(
                "fn:src/shop/api.py:lookup",
                "function",
                json!(2),
                py.clone(),
                json!("mod:src/shop/api.py"),
                1,
                1,
                "[]",
                false
            ),
            row(
                "fn:src/shop/service.py:OrderService.place",
                "method",
                json!(7),
                py.clone(),
                json!("cls:src/shop/service.py:OrderService"),
                2,
                5,
                "[]",
                true
            ),
            row(
                "mod:src/shop/__init__.py",
                "module",
                Json::Null,
                py.clone(),
                Json::Null,
                0,
                0,
                "[]",
                false
            ),
            row(
                "mod:src/shop/service.py",
                "module",
                json!(16),
                py,
                Json::Null,
                2,
                3,
                "[]",
                false
            ),
        ]
    );
    // Derived fields filter, group and sort like real ones.
    let out = run(&Select {
        filter: Some(and(vec![
            eq("kind", s("method")),
            eq("is_method", Literal::Bool(true)),
            cmp("loc", CompOp::Ge, i(3)),
        ])),
        order_by: vec![key(field("fan_out"), true)],
        ..sel(Table::Functions, &["id", "loc", "fan_out"])
    });
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("fn:src/shop/service.py:OrderService.place"),
                json!(7),
                json!(5)
            ],
            vec![
                json!("fn:src/shop/models.py:BulkOrder.total"),
                json!(3),
                json!(1)
            ],
            vec![
                json!("fn:src/shop/repo.py:OrderRepo.save"),
                json!(4),
                json!(1)
            ],
        ]
    );
    let out = run(&Select {
        group_by: vec![f("kind")],
        ..select_items(
            Table::Nodes,
            vec![
                item(field("kind"), None),
                item(agg(AggFn::Count, None, false), Some("n")),
                item(agg(AggFn::Sum, Some("fan_in"), false), None),
            ],
        )
    });
    assert_eq!(
        out.rows,
        vec![
            vec![json!("class"), json!(5), json!(9)],
            vec![json!("external"), json!(2), json!(2)],
            vec![json!("function"), json!(4), json!(2)],
            vec![json!("method"), json!(8), json!(8)],
            vec![json!("module"), json!(6), json!(8)],
        ]
    );
}

#[test]
fn derived_edge_fields() {
    let out = run(&Select {
        filter: Some(and(vec![
            eq("type", s("imports")),
            eq("source_id", s("mod:tests/test_service.py")),
        ])),
        ..sel(
            Table::Edges,
            &[
                "target_id",
                "line",
                "type_only",
                "source_file",
                "target_file",
                "source_type",
                "target_type",
            ],
        )
    });
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("ext:pytest"),
                json!(1),
                json!(false),
                json!("tests/test_service.py"),
                Json::Null,
                json!("module"),
                json!("external")
            ],
            vec![
                json!("mod:src/shop/repo.py"),
                json!(3),
                json!(false),
                json!("tests/test_service.py"),
                json!("src/shop/repo.py"),
                json!("module"),
                json!("module")
            ],
            vec![
                json!("mod:src/shop/service.py"),
                json!(4),
                json!(false),
                json!("tests/test_service.py"),
                json!("src/shop/service.py"),
                json!("module"),
                json!("module")
            ],
        ]
    );
    // type_only absent (calls edges) is false, not NULL.
    let out = run(&Select {
        filter: Some(and(vec![
            eq("type", s("calls")),
            eq("type_only", Literal::Bool(false)),
            eq("target_type", s("class")),
        ])),
        ..sel(Table::Edges, &["source_id", "target_id", "line"])
    });
    assert_eq!(
        out.rows,
        vec![vec![
            json!("fn:src/shop/api.py:lookup"),
            json!("cls:src/shop/models.py:Item"),
            json!(10)
        ]]
    );
}

#[test]
fn property_comparisons_are_typed_by_the_literal() {
    let modules = |cond| ids_where(Table::Modules, cond);
    // Number: as DOUBLE.
    assert_eq!(
        modules(cmp("properties.total_lines", CompOp::Gt, i(15))),
        vec![
            json!("mod:src/shop/models.py"),
            json!("mod:src/shop/service.py")
        ]
    );
    assert_eq!(
        modules(eq("properties.total_lines", Literal::Float(15.0))),
        vec![json!("mod:src/shop/api.py")]
    );
    // String: the value as text.
    assert_eq!(
        modules(eq("properties.total_lines", s("22"))),
        vec![json!("mod:src/shop/models.py")]
    );
    assert_eq!(
        modules(eq("properties.docstring", s("Domain objects."))),
        vec![json!("mod:src/shop/models.py")]
    );
    // Boolean.
    let count = |table, cond| {
        run(&Select {
            filter: Some(cond),
            ..select_items(table, vec![item(agg(AggFn::Count, None, false), None)])
        })
        .rows
    };
    assert_eq!(
        count(
            Table::Functions,
            eq("properties.is_method", Literal::Bool(true))
        ),
        vec![vec![json!(8)]]
    );
    assert_eq!(
        count(
            Table::Functions,
            eq("properties.is_method", Literal::Bool(false))
        ),
        vec![vec![json!(4)]]
    );
    assert_eq!(
        count(Table::Functions, eq("properties.is_method", s("true"))),
        vec![vec![json!(8)]]
    );
    // NULL: absent key or JSON null, with `= NULL` as IS NULL.
    assert_eq!(
        ids_where(Table::Functions, is_null("properties.return_type", false)),
        vec![
            json!("fn:src/shop/models.py:Order.__init__"),
            json!("fn:src/shop/repo.py:OrderRepo.__init__"),
            json!("fn:src/shop/service.py:OrderService.__init__"),
            json!("fn:tests/test_service.py:test_place_rejects_empty"),
        ]
    );
    assert_eq!(
        count(Table::Classes, eq("properties.return_type", Literal::Null)),
        vec![vec![json!(5)]]
    );
    assert_eq!(
        count(Table::Classes, is_null("properties.return_type", true)),
        vec![vec![json!(0)]]
    );
    assert_eq!(
        count(
            Table::Nodes,
            cmp("properties.return_type", CompOp::Ne, Literal::Null)
        ),
        vec![vec![json!(8)]]
    );
    assert_eq!(
        count(Table::Nodes, is_null("properties.no.such.key", false)),
        vec![vec![json!(25)]]
    );
    // `= NULL` on a real field.
    assert_eq!(
        ids_where(Table::Nodes, eq("file_path", Literal::Null)),
        vec![json!("ext:dataclasses"), json!("ext:pytest")]
    );
    assert_eq!(
        count(Table::Nodes, cmp("line_start", CompOp::Ne, Literal::Null)),
        vec![vec![json!(22)]]
    );
    // IN with mixed literals, NOT IN.
    assert_eq!(
        modules(pred(
            field("properties.total_lines"),
            PredOp::In {
                negated: false,
                values: vec![i(10), s("14")]
            }
        )),
        vec![
            json!("mod:src/shop/repo.py"),
            json!("mod:tests/test_service.py")
        ]
    );
    assert_eq!(
        modules(pred(
            field("name"),
            PredOp::In {
                negated: true,
                values: vec![s("api"), s("models"), s("repo")]
            }
        )),
        vec![
            json!("mod:src/shop/__init__.py"),
            json!("mod:src/shop/service.py"),
            json!("mod:tests/test_service.py")
        ]
    );
    // The JSON value in the select list is its JSON text.
    let out = run(&Select {
        filter: Some(eq("name", s("lookup"))),
        ..sel(
            Table::Functions,
            &[
                "properties.return_type",
                "properties.is_method",
                "properties.parameters",
                "properties.nope",
            ],
        )
    });
    assert_eq!(
        out.rows,
        vec![vec![
            json!("\"Item\""),
            json!("false"),
            json!(
                r#"[{"name":"sku","type":"str","default":null,"variadic":false,"keyword":false}]"#
            ),
            Json::Null
        ]]
    );
}

#[test]
fn contains_tests_membership_or_substring() {
    let classes = |cond| {
        let out = run(&Select {
            filter: Some(cond),
            ..sel(Table::Classes, &["name"])
        });
        col0(&out)
    };
    assert_eq!(
        classes(contains("decorators", s("dataclass"))),
        vec![json!("Item")]
    );
    assert_eq!(
        classes(contains("decorators", s("data"))),
        Vec::<Json>::new()
    );
    assert_eq!(
        classes(contains("properties.bases", s("Order"))),
        vec![json!("BulkOrder")]
    );
    assert_eq!(
        classes(contains("properties.attributes", s("item"))),
        Vec::<Json>::new()
    );
    assert_eq!(
        classes(contains("properties.attributes", s("items"))),
        vec![json!("Order")]
    );
    assert_eq!(
        classes(contains("name", s("Order"))),
        vec![
            json!("BulkOrder"),
            json!("Order"),
            json!("OrderRepo"),
            json!("OrderService")
        ]
    );
    assert_eq!(classes(contains("name", s("order"))), Vec::<Json>::new());
    assert_eq!(
        classes(pred(
            field("name"),
            PredOp::Contains {
                negated: true,
                value: s("Order")
            }
        )),
        vec![json!("Item")]
    );
    assert_eq!(classes(contains("properties.kind", s("las"))).len(), 5);
    assert_eq!(
        ids_where(
            Table::Modules,
            contains("properties.docstring", s("objects"))
        ),
        vec![json!("mod:src/shop/models.py")]
    );
    assert_eq!(
        ids_where(Table::Functions, contains("complexity", i(3))),
        vec![json!("fn:src/shop/api.py:create_order")]
    );
    assert_eq!(
        ids_where(
            Table::Modules,
            contains("properties.external_deps", s("pytest"))
        ),
        vec![json!("mod:tests/test_service.py")]
    );
}

#[test]
fn aliases_in_having_and_order_by_offset() {
    let out = run(&Select {
        group_by: vec![f("file_path")],
        having: Some(pred(field("N"), PredOp::Compare(CompOp::Ge, i(3)))),
        order_by: vec![key(field("file_path"), true)],
        ..select_items(
            Table::Functions,
            vec![
                item(field("file_path"), Some("Path")),
                item(agg(AggFn::Count, None, false), Some("n")),
            ],
        )
    });
    assert_eq!(out.columns, strings(&["Path", "n"]));
    assert_eq!(
        out.rows,
        vec![
            vec![json!("src/shop/repo.py"), json!(3)],
            vec![json!("src/shop/models.py"), json!(3)],
            vec![json!("src/shop/api.py"), json!(3)],
        ]
    );
    let out = run(&Select {
        limit: spanned(2),
        offset: spanned(1),
        ..sel(Table::Modules, &["id"])
    });
    assert_eq!(
        col0(&out),
        vec![
            json!("mod:src/shop/api.py"),
            json!("mod:src/shop/models.py")
        ]
    );
    let out = run(&Select {
        offset: spanned(5),
        ..sel(Table::Modules, &["id"])
    });
    assert_eq!(col0(&out), vec![json!("mod:tests/test_service.py")]);
    // An aggregate in ORDER BY only makes the query aggregated.
    let out = run(&Select {
        group_by: vec![f("type")],
        order_by: vec![key(agg(AggFn::Max, Some("complexity"), false), true)],
        limit: spanned(1),
        ..sel(Table::Nodes, &["type"])
    });
    assert_eq!(out.rows, vec![vec![json!("function")]]);
}

#[test]
fn planning_errors_are_positioned() {
    // A plain field of an aggregated query that is not grouped.
    let err = error(&Select {
        group_by: vec![f("file_path")],
        ..select_items(
            Table::Functions,
            vec![
                item(Operand::Field(fp("name", pos(1, 8))), None),
                item(agg(AggFn::Count, None, false), None),
            ],
        )
    });
    assert_eq!(
        err.message,
        "Field 'name' at line 1, column 8 must appear in GROUP BY or be used in an aggregate function"
    );
    assert_eq!(err.pos, Some(pos(1, 8)));
    let err = error(&select_items(
        Table::Functions,
        vec![
            item(Operand::Field(fp("name", pos(1, 8))), None),
            item(agg(AggFn::Count, None, false), None),
        ],
    ));
    assert_eq!(err.pos, Some(pos(1, 8)));
    let err = error(&Select {
        group_by: vec![f("type")],
        order_by: vec![key(Operand::Field(fp("name", pos(1, 60))), false)],
        ..sel(Table::Nodes, &["type"])
    });
    assert_eq!(
        err.message,
        "Field 'name' at line 1, column 60 must appear in GROUP BY or be used in an aggregate function"
    );
    let err = error(&Select {
        group_by: vec![f("type")],
        ..select(Table::Nodes, SelectList::Star)
    });
    assert_eq!(
        err.message,
        "SELECT * cannot be used with GROUP BY, HAVING or aggregate functions (line 0, column 0)"
    );
    // Aggregates in WHERE, SUM(*).
    let err = error(&Select {
        filter: Some(pred(
            Operand::Aggregate(Aggregate {
                func: AggFn::Count,
                distinct: false,
                arg: None,
                pos: pos(1, 30),
            }),
            PredOp::Compare(CompOp::Gt, i(1)),
        )),
        ..sel(Table::Nodes, &["id"])
    });
    assert_eq!(
        err.message,
        "Aggregate functions are not allowed in WHERE (line 1, column 30)"
    );
    assert_eq!(err.pos, Some(pos(1, 30)));
    let err = error(&select_items(
        Table::Nodes,
        vec![item(
            Operand::Aggregate(Aggregate {
                func: AggFn::Sum,
                distinct: false,
                arg: None,
                pos: pos(1, 8),
            }),
            None,
        )],
    ));
    assert_eq!(err.message, "Only COUNT(*) may take * (line 1, column 8)");
    // Negative LIMIT / OFFSET.
    let err = error(&Select {
        limit: spanned(-1),
        ..sel(Table::Nodes, &["id"])
    });
    assert_eq!(
        err.message,
        "LIMIT must not be negative (line 1, column 40)"
    );
    assert_eq!(err.pos, Some(pos(1, 40)));
    let err = error(&Select {
        offset: spanned(-2),
        ..sel(Table::Nodes, &["id"])
    });
    assert_eq!(
        err.message,
        "OFFSET must not be negative (line 1, column 40)"
    );
    // A literal DuckDB cannot compare with the field: an execution error, not a panic.
    let err = error(&Select {
        filter: Some(cmp("complexity", CompOp::Gt, s("lots"))),
        ..sel(Table::Nodes, &["id"])
    });
    assert!(
        err.message.starts_with("SQL error: Conversion Error"),
        "{}",
        err.message
    );
    assert_eq!(err.pos, None);
}

#[test]
fn the_row_cap_warns() {
    let limits = SqlLimits {
        timeout: Duration::from_secs(10),
        max_rows: 3,
    };
    let out = run_with(&sel(Table::Nodes, &["id"]), &limits).unwrap();
    assert_eq!(
        col0(&out),
        vec![
            json!("cls:src/shop/models.py:BulkOrder"),
            json!("cls:src/shop/models.py:Item"),
            json!("cls:src/shop/models.py:Order")
        ]
    );
    assert_eq!(out.warnings, strings(&["Result truncated to 3 rows"]));
    // Exactly at the cap: no warning.
    let out = run_with(
        &Select {
            limit: spanned(3),
            ..sel(Table::Nodes, &["id"])
        },
        &limits,
    )
    .unwrap();
    assert_eq!(out.rows.len(), 3);
    assert!(out.warnings.is_empty());
}

#[test]
fn filter_nodes_keeps_the_matching_ids_of_the_table() {
    let conn = conn();
    let limits = SqlLimits {
        timeout: Duration::from_secs(10),
        max_rows: 1,
    };
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let ids = [
        "fn:src/shop/api.py:create_order",
        "fn:src/shop/api.py:lookup",
        "cls:src/shop/models.py:Order",
        "cls:src/shop/models.py:Item",
        "fn:src/shop/models.py:Order.total",
        "no such id",
        "x' OR 1=1 --",
    ];
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<HashSet<String>>();
    // More matches than max_rows: never truncated.
    assert_eq!(
        filter_nodes(
            &env,
            Table::Functions,
            &cmp("complexity", CompOp::Ge, i(1)),
            &ids
        )
        .unwrap(),
        set(&[
            "fn:src/shop/api.py:create_order",
            "fn:src/shop/api.py:lookup",
            "fn:src/shop/models.py:Order.total"
        ])
    );
    assert_eq!(
        filter_nodes(&env, Table::Methods, &eq("name", s("total")), &ids).unwrap(),
        set(&["fn:src/shop/models.py:Order.total"])
    );
    assert_eq!(
        filter_nodes(&env, Table::Nodes, &cmp("fan_in", CompOp::Gt, i(2)), &ids).unwrap(),
        set(&[
            "cls:src/shop/models.py:Order",
            "cls:src/shop/models.py:Item"
        ])
    );
    assert_eq!(
        filter_nodes(
            &env,
            Table::Classes,
            &contains("decorators", s("dataclass")),
            &ids
        )
        .unwrap(),
        set(&["cls:src/shop/models.py:Item"])
    );
    assert_eq!(
        filter_nodes(&env, Table::Nodes, &eq("name", s("lookup")), &[]).unwrap(),
        HashSet::new()
    );
    let err = filter_nodes(
        &env,
        Table::Nodes,
        &pred(
            Operand::Aggregate(Aggregate {
                func: AggFn::Count,
                distinct: false,
                arg: None,
                pos: pos(1, 5),
            }),
            PredOp::Compare(CompOp::Gt, i(1)),
        ),
        &ids,
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Aggregate functions are not allowed in FIND … WHERE (line 1, column 5)"
    );
    let err = filter_nodes(
        &env,
        Table::Functions,
        &Condition::Pred(Predicate {
            operand: Operand::Field(fp("nme", pos(1, 40))),
            op: PredOp::IsNull { negated: false },
            pos: pos(1, 40),
        }),
        &ids,
    )
    .unwrap_err();
    assert!(err
        .message
        .starts_with("Unknown field 'nme' at line 1, column 40 (table functions)."));
    assert!(filter_nodes(&env, Table::Edges, &eq("type", s("calls")), &ids).is_err());
}

/// A scratch database with the given rows and a prepared query connection.
fn scratch(seed: &str) -> (tempfile::TempDir, crate::store::Store, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(
        &dir.path().join("mubase"),
        &crate::store::StoreOptions::default(),
        dir.path(),
    )
    .unwrap();
    store.reader().unwrap().execute_batch(seed).unwrap();
    let conn = store.reader().unwrap();
    prepare_query_connection(&conn).unwrap();
    (dir, store, conn)
}

#[test]
fn legacy_rows_use_the_fallbacks_and_skip_missing_endpoints() {
    let (_dir, _store, conn) = scratch(
        r#"
INSERT INTO nodes VALUES
 ('mod:a.py', 'module', 'a', 'a', 'a.py', 1, 9, '{"language":"python"}', 0),
 ('cls:a.py:C', 'class', 'C', 'a.C', 'a.py', 1, 5, '{}', 0),
 ('fn:a.py:C.m', 'function', 'm', 'a.C.m', 'a.py', 2, 3, '{}', 1),
 ('fn:a.py:C.s', 'function', 's', 'a.C.s', 'a.py', 4, 5, '{"is_method":false,"decorators":null}', 1),
 ('fn:a.py:f', 'function', 'f', 'a.f', 'a.py', 6, 9, NULL, 1);
INSERT INTO edges VALUES
 ('e1', 'mod:a.py', 'cls:a.py:C', 'contains', '{}'),
 ('e2', 'cls:a.py:C', 'fn:a.py:C.m', 'contains', '{}'),
 ('e3', 'cls:a.py:C', 'fn:a.py:C.s', 'contains', '{}'),
 ('e4', 'mod:a.py', 'fn:a.py:f', 'contains', '{}'),
 ('e5', 'fn:a.py:f', 'fn:a.py:C.m', 'calls', '{"line":7}'),
 ('e6', 'fn:a.py:f', 'ghost', 'calls', '{"line":8}'),
 ('e7', 'ghost2', 'fn:a.py:C.m', 'calls', NULL);
"#,
    );
    let limits = SqlLimits::default();
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let out = run_select(
        &env,
        &sel(
            Table::Functions,
            &[
                "id",
                "is_method",
                "kind",
                "fan_in",
                "fan_out",
                "decorators",
                "language",
                "parent_id",
            ],
        ),
    )
    .unwrap();
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("fn:a.py:C.m"),
                json!(true),
                json!("method"),
                json!(1),
                json!(0),
                json!("[]"),
                json!("python"),
                json!("cls:a.py:C")
            ],
            vec![
                json!("fn:a.py:C.s"),
                json!(false),
                json!("function"),
                json!(0),
                json!(0),
                json!("[]"),
                json!("python"),
                json!("cls:a.py:C")
            ],
            vec![
                json!("fn:a.py:f"),
                json!(false),
                json!("function"),
                json!(0),
                json!(1),
                json!("[]"),
                json!("python"),
                json!("mod:a.py")
            ],
        ]
    );
    let out = run_select(&env, &sel(Table::Methods, &["id"])).unwrap();
    assert_eq!(col0(&out), vec![json!("fn:a.py:C.m")]);
    let out = run_select(&env, &sel(Table::Classes, &["kind"])).unwrap();
    assert_eq!(out.rows, vec![vec![json!("class")]]);
    let out = run_select(
        &env,
        &Select {
            filter: Some(eq("type", s("calls"))),
            ..sel(
                Table::Edges,
                &[
                    "id",
                    "line",
                    "type_only",
                    "source_type",
                    "target_type",
                    "target_file",
                ],
            )
        },
    )
    .unwrap();
    assert_eq!(
        out.rows,
        vec![
            vec![
                json!("e5"),
                json!(7),
                json!(false),
                json!("function"),
                json!("function"),
                json!("a.py")
            ],
            vec![
                json!("e6"),
                json!(8),
                json!(false),
                json!("function"),
                Json::Null,
                Json::Null
            ],
            vec![
                json!("e7"),
                Json::Null,
                json!(false),
                Json::Null,
                json!("function"),
                json!("a.py")
            ],
        ]
    );
}

/// A database of `n` functions, each with an 80-element `tags` array.
fn big(n: usize) -> (tempfile::TempDir, crate::store::Store, Connection) {
    let tags: Vec<String> = (0..80).map(|x| format!("\"tag{x}\"")).collect();
    scratch(&format!(
        "INSERT INTO nodes SELECT 'fn:f' || (range % 100) || '.py:f_' || range, 'function', \
         'f_' || range, 'f_' || range, 'f' || (range % 100) || '.py', 1, 3, \
         '{{\"is_method\":false,\"tags\":[{}]}}', range % 7 FROM range({n});",
        tags.join(",")
    ))
}

#[test]
fn time_limit_and_speed_on_a_large_table() {
    let (_dir, _store, conn) = big(200_000);
    // A simple filtered SELECT is a plain scan: fast.
    let limits = SqlLimits::default();
    let select = Select {
        filter: Some(eq("name", s("f_123456"))),
        ..sel(Table::Functions, &["id", "name", "complexity"])
    };
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    run_select(&env, &select).unwrap();
    let started = Instant::now();
    let env = Env {
        conn: &conn,
        limits: &limits,
        started,
    };
    let out = run_select(&env, &select).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        out.rows,
        vec![vec![
            json!("fn:f56.py:f_123456"),
            json!("f_123456"),
            json!(123456 % 7)
        ]]
    );
    assert!(elapsed < Duration::from_millis(200), "{elapsed:?}");
    eprintln!("simple filtered SELECT over 200k nodes: {elapsed:?}");

    // An expensive query is cancelled at the time limit.
    let limits = SqlLimits {
        timeout: Duration::from_millis(5),
        max_rows: 10_000,
    };
    let expensive = Select {
        filter: Some(or(vec![
            contains("properties.tags", s("nope")),
            contains("properties", s("nope")),
        ])),
        group_by: vec![f("language")],
        ..select_items(
            Table::Nodes,
            vec![
                item(field("language"), None),
                item(agg(AggFn::Count, Some("kind"), true), None),
            ],
        )
    };
    let started = Instant::now();
    let env = Env {
        conn: &conn,
        limits: &limits,
        started,
    };
    let err = run_select(&env, &expensive).unwrap_err();
    assert_eq!(
        err.message,
        "Query cancelled: exceeded the time limit of 5 ms"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The limit counts from when the query was received: late is cancelled before it starts.
    let env = Env {
        conn: &conn,
        limits: &SqlLimits {
            timeout: Duration::from_secs(1),
            max_rows: 10,
        },
        started: Instant::now() - Duration::from_secs(2),
    };
    let err = run_select(&env, &select).unwrap_err();
    assert_eq!(
        err.message,
        "Query cancelled: exceeded the time limit of 1 s"
    );
    // The connection is usable afterwards.
    let env = Env {
        conn: &conn,
        limits: &SqlLimits::default(),
        started: Instant::now(),
    };
    assert_eq!(run_select(&env, &select).unwrap().rows.len(), 1);
}
