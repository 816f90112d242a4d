use super::*;

/// The Debug form of a parse with every position removed, so that a terse form can be compared
/// with its verbose equivalent.
fn shape(text: &str) -> String {
    let s = format!(
        "{:?}",
        parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    );
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("Pos {") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}').unwrap();
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

fn error(text: &str) -> SyntaxError {
    match parse(text) {
        Ok(s) => panic!("{text} parsed: {s:?}"),
        Err(e) => e,
    }
}

fn f(name: &str, line: u32, column: u32, offset: usize) -> Field {
    Field {
        name: name.to_lowercase(),
        path: Vec::new(),
        text: name.to_string(),
        pos: Pos {
            line,
            column,
            offset,
        },
    }
}

fn p(column: u32) -> Pos {
    Pos {
        line: 1,
        column,
        offset: column as usize - 1,
    }
}

#[test]
fn select_with_every_clause() {
    let s = parse(
        "select type, COUNT(*) AS n, avg(DISTINCT properties.a.B) from Nodes \
         where not (name = 'x' or complexity >= 2.5) and file_path like 'src/%' \
         group by type having count(*) > 1 order by n desc, type limit 5 offset 2;",
    )
    .unwrap();
    let Statement::Select(s) = s else {
        panic!("{s:?}")
    };
    assert_eq!(s.table.value, Table::Nodes);
    let SelectList::Items(items) = &s.items else {
        panic!()
    };
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].expr, Operand::Field(f("type", 1, 8, 7)));
    assert_eq!(
        items[1],
        SelectItem {
            expr: Operand::Aggregate(Aggregate {
                func: AggFn::Count,
                distinct: false,
                arg: None,
                pos: p(14)
            }),
            alias: Some("n".to_string())
        }
    );
    let Operand::Aggregate(avg) = &items[2].expr else {
        panic!()
    };
    assert!(avg.distinct);
    let arg = avg.arg.as_ref().unwrap();
    assert_eq!(
        (arg.name.as_str(), arg.path.clone(), arg.text.as_str()),
        (
            "properties",
            vec!["a".to_string(), "B".to_string()],
            "properties.a.B"
        )
    );
    assert_eq!(arg.column_name(), "properties.a.b");
    let Some(Condition::And(parts)) = &s.filter else {
        panic!("{:?}", s.filter)
    };
    assert_eq!(parts.len(), 2);
    let Condition::Not(inner) = &parts[0] else {
        panic!()
    };
    let Condition::Or(alternatives) = inner.as_ref() else {
        panic!()
    };
    assert_eq!(alternatives.len(), 2);
    let Condition::Pred(ge) = &alternatives[1] else {
        panic!()
    };
    assert_eq!(ge.op, PredOp::Compare(CompOp::Ge, Literal::Float(2.5)));
    assert_eq!(s.group_by, vec![f("type", 1, 149, 148)]);
    assert!(s.having.is_some());
    assert_eq!(s.order_by.len(), 2);
    assert!(s.order_by[0].descending && !s.order_by[1].descending);
    assert_eq!(s.limit.as_ref().map(|l| l.value), Some(5));
    assert_eq!(s.offset.as_ref().map(|l| l.value), Some(2));
}

#[test]
fn predicates_of_every_kind() {
    let Statement::Select(s) = parse(
        "SELECT id FROM edges WHERE type IN ('calls', 'uses') AND target_id NOT IN (1, -2) \
         AND source_id NOT LIKE 'x%' AND source_id ILIKE 'Y%' AND properties CONTAINS 'a' \
         AND line NOT CONTAINS 3 AND line IS NULL AND line IS NOT NULL AND type_only = TRUE \
         AND line != NULL AND line <> FALSE",
    )
    .unwrap() else {
        panic!()
    };
    let Some(Condition::And(parts)) = s.filter else {
        panic!()
    };
    let ops: Vec<PredOp> = parts
        .into_iter()
        .map(|c| match c {
            Condition::Pred(p) => p.op,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            PredOp::In {
                negated: false,
                values: vec![
                    Literal::String("calls".into()),
                    Literal::String("uses".into())
                ]
            },
            PredOp::In {
                negated: true,
                values: vec![Literal::Integer(1), Literal::Integer(-2)]
            },
            PredOp::Like {
                negated: true,
                case_insensitive: false,
                pattern: "x%".into()
            },
            PredOp::Like {
                negated: false,
                case_insensitive: true,
                pattern: "Y%".into()
            },
            PredOp::Contains {
                negated: false,
                value: Literal::String("a".into())
            },
            PredOp::Contains {
                negated: true,
                value: Literal::Integer(3)
            },
            PredOp::IsNull { negated: false },
            PredOp::IsNull { negated: true },
            PredOp::Compare(CompOp::Eq, Literal::Bool(true)),
            PredOp::Compare(CompOp::Ne, Literal::Null),
            PredOp::Compare(CompOp::Ne, Literal::Bool(false)),
        ]
    );
}

#[test]
fn precedence_not_and_or() {
    // a OR b AND NOT c  ==  a OR (b AND (NOT c))
    assert_eq!(
        shape("SELECT id FROM nodes WHERE a = 1 OR b = 2 AND NOT c = 3"),
        shape("SELECT id FROM nodes WHERE (a = 1) OR ((b = 2) AND (NOT (c = 3)))")
    );
    // Parentheses keep every comparison (MU-Py defect 1).
    let Statement::Select(s) = parse(
        "SELECT id FROM functions WHERE (name = 'lookup' OR name LIKE '%order%') AND complexity > 1",
    )
    .unwrap() else {
        panic!()
    };
    let Some(Condition::And(parts)) = s.filter else {
        panic!()
    };
    assert!(matches!(&parts[0], Condition::Or(v) if v.len() == 2));
}

#[test]
fn every_example_query_of_the_spec_parses() {
    for q in [
        "SELECT id, name, line_end FROM modules",
        "SELECT * FROM classes WHERE name = 'Order'",
        "SELECT name, complexity FROM functions ORDER BY complexity DESC, name LIMIT 3",
        "SELECT COUNT(*) FROM functions",
        "SELECT type, COUNT(*) AS n FROM nodes GROUP BY type ORDER BY n DESC",
        "SELECT file_path, AVG(complexity) AS avg_c FROM functions GROUP BY file_path HAVING COUNT(*) > 1 ORDER BY avg_c DESC",
        "SELECT name FROM modules WHERE name = 'api' OR name = 'repo'",
        "SELECT name FROM classes WHERE name ILIKE 'order%'",
        "SELECT qualified_name, parent_id FROM methods WHERE name = 'total'",
        "SELECT id FROM functions WHERE properties.return_type = 'int'",
        "SELECT name, fan_in FROM classes ORDER BY fan_in DESC LIMIT 2",
        "SELECT source_id, target_id, line FROM edges WHERE type = 'imports' AND target_id LIKE 'ext:%'",
        "SELECT target_file, COUNT(*) AS importers FROM edges WHERE type = 'imports' AND target_file IS NOT NULL GROUP BY target_file ORDER BY importers DESC",
        "fn c>1 sort c- 3",
        "cls n~'Order%'",
        "SHOW dependencies OF OrderService.place",
        "SHOW dependents OF Item",
        "rdeps Item",
        "SHOW callers OF OrderService.place DEPTH 2",
        "SHOW children OF 'src/shop/models.py' DEPTH 2",
        "SHOW parents OF save DEPTH 2",
        "SHOW inheritance OF BulkOrder",
        "SHOW implementations OF Order",
        "SHOW impact OF Order",
        "impact Order",
        "SHOW ancestors OF create_order",
        "SHOW impact OF 'src/shop/models.py' VIA imports",
        "FIND classes MATCHING 'order'",
        "FIND functions MATCHING 'hash'",
        "FIND functions CALLING Order.total",
        "FIND functions CALLING Order.total DEPTH 1",
        "FIND functions CALLED BY create_order",
        "FIND modules IMPORTING 'src/shop/repo.py'",
        "FIND classes INHERITING Order",
        "FIND classes WITH DECORATOR '@dataclass'",
        "FIND CYCLES",
        "cycles",
        "FIND CYCLES WHERE edge_type = 'calls'",
        "PATH FROM test_place_rejects_empty TO Item",
        "PATH FROM 'tests/test_service.py' TO 'src/shop/models.py' VIA imports",
        "PATH FROM lookup TO notify MAX DEPTH 3",
        "ANALYZE complexity LIMIT 3",
        "ANALYZE hotspots LIMIT 3",
        "ANALYZE coupling",
        "ANALYZE unused",
        "SHOW TABLES",
        "SELECT nme FROM functions",
        "SHOW callers OF Nope",
        "SELECT * FROM nodes WHERE file_path = 'src/a.py' AND type = 'module' LIMIT 1",
        "SELECT * FROM nodes WHERE file_path LIKE '%a.py' AND type = 'module' LIMIT 1",
        "SELECT * FROM nodes WHERE name = 'n' LIMIT 1",
    ] {
        if let Err(e) = parse(q) {
            panic!("{q}: {}", e.message);
        }
    }
}

#[test]
fn graph_forms() {
    assert_eq!(
        parse("show Callers of 'fn:src/a b.py:f' max depth 3").unwrap(),
        Statement::Show(Show {
            kind: ShowKind::Callers,
            target: NodeRef {
                text: "fn:src/a b.py:f".into(),
                pos: p(17)
            },
            depth: Some(Spanned {
                value: 3,
                pos: p(45)
            }),
            via: None,
        })
    );
    assert_eq!(
        parse("SHOW impact OF fn:src/my-app/a.py:Cls.$m VIA imports, Calls DEPTH 4").unwrap(),
        Statement::Show(Show {
            kind: ShowKind::Impact,
            target: NodeRef {
                text: "fn:src/my-app/a.py:Cls.$m".into(),
                pos: p(16)
            },
            depth: Some(Spanned {
                value: 4,
                pos: p(67)
            }),
            via: Some(Spanned {
                value: vec![EdgeType::Imports, EdgeType::Calls],
                pos: p(42)
            }),
        })
    );
    let Statement::Find(find) =
        parse("FIND meth CALLED BY x DEPTH 2 WHERE complexity > 1 LIMIT 4").unwrap()
    else {
        panic!()
    };
    assert_eq!(find.table.value, Table::Methods);
    assert_eq!(
        find.cond,
        FindCond::CalledBy(NodeRef {
            text: "x".into(),
            pos: p(21)
        })
    );
    assert_eq!(find.depth.map(|d| d.value), Some(2));
    assert!(find.filter.is_some());
    assert_eq!(find.limit.map(|d| d.value), Some(4));
    assert_eq!(
        parse("FIND CYCLES WHERE EDGE_TYPE IN ('calls', 'Imports')").unwrap(),
        Statement::FindCycles(vec![EdgeType::Calls, EdgeType::Imports])
    );
    assert_eq!(
        parse("FIND nodes SIMILAR TO place").unwrap(),
        Statement::Find(Find {
            table: Spanned {
                value: Table::Nodes,
                pos: p(6)
            },
            cond: FindCond::SimilarTo(NodeRef {
                text: "place".into(),
                pos: p(23)
            }),
            depth: None,
            filter: None,
            limit: None,
        })
    );
    assert_eq!(
        parse("FIND classes WITH ANNOTATION \"Entity\"").unwrap(),
        Statement::Find(Find {
            table: Spanned {
                value: Table::Classes,
                pos: p(6)
            },
            cond: FindCond::WithDecorator("Entity".into()),
            depth: None,
            filter: None,
            limit: None,
        })
    );
    assert_eq!(
        parse("ANALYZE impact FOR Order LIMIT 7").unwrap(),
        Statement::Analyze(Analyze {
            analysis: Analysis::Impact,
            scope: Some(NodeRef {
                text: "Order".into(),
                pos: p(20)
            }),
            limit: Some(Spanned {
                value: 7,
                pos: p(32)
            }),
        })
    );
    assert_eq!(
        parse("DESCRIBE fn").unwrap(),
        Statement::ShowColumns(Spanned {
            value: Table::Functions,
            pos: p(10)
        })
    );
    assert_eq!(
        shape("describe columns from edges"),
        shape("SHOW COLUMNS FROM edges")
    );
    assert_eq!(shape("DESCRIBE TABLES"), shape("show tables"));
}

#[test]
fn terse_forms_mean_their_verbose_equivalents() {
    for (terse, verbose) in [
        ("deps X d2", "SHOW DEPENDENCIES OF X DEPTH 2"),
        ("rdeps X", "SHOW DEPENDENTS OF X"),
        ("callers X D3", "SHOW CALLERS OF X DEPTH 3"),
        ("callees X", "SHOW CALLEES OF X"),
        ("impact X d20", "SHOW IMPACT OF X DEPTH 20"),
        ("ancestors 'a b'", "SHOW ANCESTORS OF 'a b'"),
        ("children src/shop d2", "SHOW CHILDREN OF src/shop DEPTH 2"),
        ("parents save", "SHOW PARENTS OF save"),
        ("cycles", "FIND CYCLES"),
        ("cycles imports, calls", "FIND CYCLES WHERE edge_type IN ('imports', 'calls')"),
        ("path A B d4", "PATH FROM A TO B MAX DEPTH 4"),
        ("path A B", "PATH FROM A TO B"),
        (
            "fn c>50 n~'%auth%' sort c- 10",
            "SELECT * FROM functions WHERE complexity > 50 AND name LIKE '%auth%' ORDER BY complexity DESC LIMIT 10",
        ),
        (
            "fn c>1 sort c- 3",
            "SELECT * FROM functions WHERE complexity > 1 ORDER BY complexity DESC LIMIT 3",
        ),
        ("cls n~'Order%'", "SELECT * FROM classes WHERE name LIKE 'Order%'"),
        (
            "mod (fp~'src/%' OR n=login) qn!=x lim 5",
            "SELECT * FROM modules WHERE (file_path LIKE 'src/%' OR name = 'login') AND qualified_name != 'x' LIMIT 5",
        ),
        (
            "meth n=fn:a.py:x AND c>=2 sort fp+, n DESC, c limit 1",
            "SELECT * FROM methods WHERE name = 'fn:a.py:x' AND complexity >= 2 ORDER BY file_path, name DESC, complexity LIMIT 1",
        ),
        (
            "fn properties.is_async=true",
            "SELECT * FROM functions WHERE properties.is_async = TRUE",
        ),
        ("fn", "SELECT * FROM functions"),
    ] {
        assert_eq!(shape(terse), shape(verbose), "{terse}");
    }
}

#[test]
fn keywords_are_identifiers_elsewhere() {
    // `type`, `name`, `kind` are fields; a word is a keyword only where the grammar wants it.
    let Statement::Select(s) =
        parse("SELECT type, kind, name FROM nodes WHERE kind = 'by'").unwrap()
    else {
        panic!()
    };
    assert!(matches!(s.items, SelectList::Items(ref v) if v.len() == 3));
    // A reference may be spelled like a keyword.
    assert_eq!(
        shape("SHOW callers OF DEPTH DEPTH 2"),
        shape("SHOW callers OF 'DEPTH' DEPTH 2")
    );
    // `count` without a parenthesis is a field.
    assert!(parse("SELECT count FROM nodes").is_ok());
}

#[test]
fn comments_whitespace_and_one_trailing_semicolon() {
    assert_eq!(
        shape("-- lead\n  SELECT id -- why\n FROM nodes ;  -- end"),
        shape("SELECT id FROM nodes")
    );
    let e = error("SELECT id FROM nodes; SELECT id FROM edges");
    assert_eq!(e.kind, SyntaxErrorKind::SeveralStatements);
    assert_eq!(e.message, "Only one statement per query is allowed");
    assert_eq!(
        error("SHOW TABLES;;").kind,
        SyntaxErrorKind::SeveralStatements
    );
}

#[test]
fn syntax_errors_name_the_position_and_the_expectations() {
    let e = error("SELECT * FROM functions WHER name = 'x'");
    assert_eq!(
        e.message,
        "Syntax error at line 1, column 25: expected one of WHERE, GROUP, ORDER, LIMIT, end of query; found 'WHER'"
    );
    assert_eq!(e.pos, p(25));
    assert_eq!(e.kind, SyntaxErrorKind::Syntax);

    let e = error("SELECT name complexity FROM functions");
    assert_eq!(
        e.message,
        "Syntax error at line 1, column 13: expected FROM after field list; found 'complexity'"
    );

    let e = error("SELECT * FROM funcs");
    assert_eq!(
        e.message,
        "Syntax error at line 1, column 15: unknown table 'funcs' — did you mean 'functions'?"
    );
    assert_eq!(e.kind, SyntaxErrorKind::UnknownTable);
    assert_eq!(
        error("SELECT * FROM read_csv('/etc/passwd')").message,
        "Syntax error at line 1, column 15: unknown table 'read_csv'; MUQL tables: functions, classes, modules, methods, nodes, edges"
    );

    let e = error("SELECT id FROM nodes\nWHERE name = ");
    assert_eq!(
        e.message,
        "Syntax error at line 2, column 14: expected a value (string, number, TRUE, FALSE or NULL); found end of query"
    );
    assert_eq!(
        e.pos,
        Pos {
            line: 2,
            column: 14,
            offset: 34
        }
    );

    assert_eq!(
        error("SELECT id FROM nodes WHERE name = 'x").message,
        "Syntax error at line 1, column 35: unterminated string (close it with the quote it starts with)"
    );
    assert_eq!(
        error("SHOW callers Item").message,
        "Syntax error at line 1, column 14: expected OF; found 'Item'"
    );
    assert_eq!(
        error("SHOW friends OF x").message,
        "Syntax error at line 1, column 6: expected one of TABLES, COLUMNS, DEPENDENCIES, DEPENDENTS, CALLERS, CALLEES, INHERITANCE, IMPLEMENTATIONS, CHILDREN, PARENTS, IMPACT, ANCESTORS; found 'friends'"
    );
    assert_eq!(
        error("SHOW callers OF x VIA friends").message,
        "Syntax error at line 1, column 23: unknown edge type 'friends'; edge types: imports, calls, inherits, uses, contains"
    );
    assert_eq!(
        error("SHOW callers OF x DEPTH two").message,
        "Syntax error at line 1, column 25: expected an integer; found 'two'"
    );
    assert_eq!(
        error("SELECT id FROM nodes LIMIT 99999999999999999999").message,
        "Syntax error at line 1, column 28: number 99999999999999999999 is out of range"
    );
    assert_eq!(
        error("FIND edges CALLING x").message,
        "Syntax error at line 1, column 6: FIND searches nodes: functions, classes, modules, methods or nodes, not edges"
    );
}

#[test]
fn statement_errors_say_what_starts_a_query() {
    let forms = "expected a statement (SELECT, SHOW, DESCRIBE, FIND, PATH, ANALYZE) or a terse form (deps, rdeps, callers, callees, impact, ancestors, children, parents, fn, cls, mod, meth, cycles, path)";
    assert_eq!(
        error("DELETE FROM nodes").message,
        format!("Syntax error at line 1, column 1: {forms}; found 'DELETE'")
    );
    assert_eq!(
        error("SELCT * FROM nodes").message,
        format!("Syntax error at line 1, column 1: {forms}; found 'SELCT' — did you mean SELECT?")
    );
    assert_eq!(
        error("HISTORY OF x").message,
        format!("Syntax error at line 1, column 1: {forms}; found 'HISTORY' (MU's HISTORY queries are not supported by mu-daemon)")
    );
    assert_eq!(
        error("  -- only a comment").message,
        format!("Syntax error at line 1, column 20: {forms}; found end of query")
    );
    assert!(error("FIND functions MUTATING x")
        .message
        .ends_with("found 'MUTATING' (MU's MUTATING queries are not supported by mu-daemon)"));
}

#[test]
fn first_word_skips_comments() {
    assert_eq!(first_word(" -- x\n with a").as_deref(), Some("with"));
    assert_eq!(first_word("'x'"), None);
}

#[test]
fn edit_distance_counts_edits() {
    assert_eq!(edit_distance("WHER", "WHERE"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
}
