//! Go, Rust, Java and C# fixtures (the spec's worked examples, indexer.md §13.4–§13.7, plus an
//! import cycle, a diamond, a name clash between modules and language specifics), and the
//! resolution-quality fixture for Python, TypeScript and JavaScript. Each graph is asserted
//! line by line where the spec gives it, and in full against a reviewed snapshot.

use crate::support::{assert_snapshot, dump_graph, TempProject};

fn index_fixture(name: &str) -> (serde_json::Value, String) {
    let p = TempProject::from_fixture(name);
    let summary = p.index(&[]);
    let dump = dump_graph(&p.mubase());
    (summary, dump)
}

/// Every expected line is in the dump.
fn assert_lines(dump: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|l| !dump.lines().any(|d| d == **l))
        .collect();
    assert!(
        missing.is_empty(),
        "missing lines:\n{missing:#?}\n--- dump:\n{dump}"
    );
}

/// No line of the dump starts with any of these prefixes (edges that must not exist).
fn assert_absent(dump: &str, prefixes: &[&str]) {
    for p in prefixes {
        let hits: Vec<&str> = dump.lines().filter(|l| l.starts_with(p)).collect();
        assert!(hits.is_empty(), "unexpected lines for {p}:\n{hits:#?}");
    }
}

#[test]
fn go_fixture_graph() {
    let (summary, dump) = index_fixture("go");
    assert_eq!(summary["files_indexed"], 9);
    assert_lines(&dump, GO_SPEC);
    assert_absent(
        &dump,
        &[
            "edge fn:app/app.go:Guess -calls->",
            "edge fn:app/app.go:Guess -uses->",
        ],
    );
    assert_snapshot("go", &dump);
}

#[test]
fn rust_fixture_graph() {
    let (summary, dump) = index_fixture("rust");
    assert_eq!(summary["files_indexed"], 10);
    assert_lines(&dump, RUST_SPEC);
    assert_absent(
        &dump,
        &[
            "edge fn:src/guess.rs:guess -calls->",
            "edge fn:src/guess.rs:guess -uses->",
            "edge fn:src/user.rs:run -uses->",
        ],
    );
    assert_snapshot("rust", &dump);
}

#[test]
fn java_fixture_graph() {
    let (summary, dump) = index_fixture("java");
    assert_eq!(summary["files_indexed"], 9);
    assert_lines(&dump, JAVA_SPEC);
    assert_snapshot("java", &dump);
}

#[test]
fn csharp_fixture_graph() {
    let (summary, dump) = index_fixture("csharp");
    assert_eq!(summary["files_indexed"], 12);
    assert_lines(&dump, CSHARP_SPEC);
    assert_snapshot("csharp", &dump);
}

#[test]
fn quality_fixture_graph() {
    let (summary, dump) = index_fixture("quality");
    assert_eq!(summary["files_indexed"], 22);
    assert_lines(&dump, QUALITY);
    // A bare name defined in two modules and imported by neither caller links nothing.
    assert_absent(
        &dump,
        &[
            "edge fn:py/guess.py:guess -calls->",
            "edge fn:ts/guess.ts:guess -calls->",
            "edge fn:js/guess.js:guess -calls->",
            "edge fn:py/user.py:run -uses->",
            "edge fn:ts/user.ts:run -uses->",
        ],
    );
    assert_snapshot("quality", &dump);
}

/// §13.4, plus `uses New -> Store @21`: the example's list omits it, but §9 gives it (the
/// return type `*Store` is a type reference of `New`; see README, decisions).
const GO_SPEC: &[&str] = &[
    r#"node cls:model/model.go:Base | class | Base | model/model.go:Base | model/model.go | 3-3 | c0 | {"kind":"struct","bases":[],"decorators":[],"attributes":["ID"],"visibility":"public"}"#,
    r#"node cls:store/store.go:Store | class | Store | store/store.go:Store | store/store.go | 9-12 | c0 | {"kind":"struct","bases":["model.Base"],"decorators":[],"attributes":["items"],"visibility":"public"}"#,
    r#"node ext:errors | external | errors | errors | NULL | NULL-NULL | c0 | {"languages":["go"]}"#,
    r#"node fn:store/store.go:New | function | New | store/store.go:New | store/store.go | 21-21 | c1 | {"is_method":false,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"public","parameters":[],"return_type":"*Store","decorators":[]}"#,
    r#"node fn:store/store.go:Store.Get | function | Get | store/store.go:Store.Get | store/store.go | 14-19 | c3 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"public","receiver":"*Store","parameters":[{"name":"id","type":"string","default":null,"variadic":false,"keyword":false}],"return_type":"(model.Item, error)","decorators":[]}"#,
    r#"node mod:store/store.go | module | store | store/store.go | store/store.go | 1-21 | c0 | {"language":"go","total_lines":21,"parse_errors":0,"external_deps":["errors"],"unresolved_imports":[],"package":"store"}"#,
    r#"edge cls:store/store.go:Store -contains-> fn:store/store.go:Store.Get | {"line":14}"#,
    r#"edge cls:store/store.go:Store -inherits-> cls:model/model.go:Base | {"line":10,"base_name":"model.Base","relation":"embeds"}"#,
    r#"edge cls:store/store.go:Store -uses-> cls:model/model.go:Item | {"line":11,"type_name":"model.Item","count":1}"#,
    r#"edge fn:store/store.go:New -uses-> cls:store/store.go:Store | {"line":21,"type_name":"Store","count":1}"#,
    r#"edge fn:store/store.go:Store.Get -uses-> cls:model/model.go:Item | {"line":14,"type_name":"model.Item","count":1}"#,
    r#"edge mod:store/store.go -contains-> cls:store/store.go:Store | {"line":9}"#,
    r#"edge mod:store/store.go -contains-> fn:store/store.go:New | {"line":21}"#,
    r#"edge mod:store/store.go -imports-> ext:errors | {"line":4,"module":"errors","names":["New"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:store/store.go -imports-> mod:model/model.go | {"line":6,"module":"example.com/shop/model","names":["Base","Item"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
];
const RUST_SPEC: &[&str] = &[
    r#"node cls:src/shapes.rs:Circle | class | Circle | src/shapes.rs:Circle | src/shapes.rs | 8-10 | c0 | {"kind":"struct","bases":[],"decorators":[],"attributes":["r"],"visibility":"public"}"#,
    r#"node cls:src/shapes.rs:Shape | class | Shape | src/shapes.rs:Shape | src/shapes.rs | 4-6 | c0 | {"kind":"trait","bases":[],"decorators":[],"attributes":[],"visibility":"public"}"#,
    r#"node ext:std | external | std | std | NULL | NULL-NULL | c0 | {"languages":["rust"]}"#,
    r#"node fn:src/shapes.rs:Circle.area | function | area | src/shapes.rs:Circle.area | src/shapes.rs | 13-15 | c1 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"private","parameters":[{"name":"self","type":"&Self","default":null,"variadic":false,"keyword":false}],"return_type":"f64","decorators":[]}"#,
    r#"node fn:src/shapes.rs:Circle.fmt | function | fmt | src/shapes.rs:Circle.fmt | src/shapes.rs | 19-21 | c2 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"private","parameters":[{"name":"self","type":"&Self","default":null,"variadic":false,"keyword":false},{"name":"f","type":"&mut fmt::Formatter","default":null,"variadic":false,"keyword":false}],"return_type":"fmt::Result","decorators":[]}"#,
    r#"node fn:src/shapes.rs:Shape.area | function | area | src/shapes.rs:Shape.area | src/shapes.rs | 5-5 | c0 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"private","parameters":[{"name":"self","type":"&Self","default":null,"variadic":false,"keyword":false}],"return_type":"f64","decorators":[]}"#,
    r#"node fn:src/util.rs:area_of | function | area_of | src/util.rs:area_of | src/util.rs | 1-1 | c1 | {"is_method":false,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"public","parameters":[{"name":"r","type":"f64","default":null,"variadic":false,"keyword":false}],"return_type":"f64","decorators":[]}"#,
    r#"node mod:src/shapes.rs | module | shapes | src/shapes.rs | src/shapes.rs | 1-22 | c0 | {"language":"rust","total_lines":22,"parse_errors":0,"external_deps":["std"],"unresolved_imports":[]}"#,
    r#"node mod:src/util.rs | module | util | src/util.rs | src/util.rs | 1-1 | c0 | {"language":"rust","total_lines":1,"parse_errors":0,"external_deps":[],"unresolved_imports":[]}"#,
    r#"edge cls:src/shapes.rs:Circle -contains-> fn:src/shapes.rs:Circle.area | {"line":13}"#,
    r#"edge cls:src/shapes.rs:Circle -contains-> fn:src/shapes.rs:Circle.fmt | {"line":19}"#,
    r#"edge cls:src/shapes.rs:Circle -inherits-> cls:src/shapes.rs:Shape | {"line":12,"base_name":"Shape","relation":"implements"}"#,
    r#"edge cls:src/shapes.rs:Circle -inherits-> ext:std | {"line":18,"base_name":"fmt::Display","relation":"implements"}"#,
    r#"edge cls:src/shapes.rs:Shape -contains-> fn:src/shapes.rs:Shape.area | {"line":5}"#,
    r#"edge fn:src/shapes.rs:Circle.area -calls-> fn:src/util.rs:area_of | {"line":14,"count":1}"#,
    r#"edge mod:src/lib.rs -imports-> mod:src/shapes.rs | {"line":1,"module":"shapes","names":[],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/lib.rs -imports-> mod:src/util.rs | {"line":2,"module":"util","names":[],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/shapes.rs -contains-> cls:src/shapes.rs:Circle | {"line":8}"#,
    r#"edge mod:src/shapes.rs -contains-> cls:src/shapes.rs:Shape | {"line":4}"#,
    r#"edge mod:src/shapes.rs -imports-> ext:std | {"line":2,"module":"std::fmt","names":["fmt"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/shapes.rs -imports-> mod:src/util.rs | {"line":1,"module":"crate::util::area_of","names":["area_of"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/util.rs -contains-> fn:src/util.rs:area_of | {"line":1}"#,
];
const JAVA_SPEC: &[&str] = &[
    r#"node cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService | class | InvoiceService | src/main/java/com/acme/billing/InvoiceService.java:InvoiceService | src/main/java/com/acme/billing/InvoiceService.java | 6-21 | c0 | {"kind":"class","bases":["BaseService","Runnable"],"decorators":[],"attributes":["repo"],"visibility":"public"}"#,
    r#"node ext:java.util | external | java.util | java.util | NULL | NULL-NULL | c0 | {"languages":["java"]}"#,
    r#"node fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.InvoiceService | function | InvoiceService | src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.InvoiceService | src/main/java/com/acme/billing/InvoiceService.java | 9-11 | c1 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":true,"visibility":"public","parameters":[{"name":"repo","type":"Repository<Invoice>","default":null,"variadic":false,"keyword":false}],"return_type":null,"decorators":[]}"#,
    r#"node fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.remind | function | remind | src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.remind | src/main/java/com/acme/billing/InvoiceService.java | 20-20 | c1 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"private","parameters":[{"name":"i","type":"Invoice","default":null,"variadic":false,"keyword":false}],"return_type":"void","decorators":[]}"#,
    r#"node fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run | function | run | src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run | src/main/java/com/acme/billing/InvoiceService.java | 13-18 | c4 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"public","parameters":[],"return_type":"void","decorators":["Override"]}"#,
    r#"node mod:src/main/java/com/acme/billing/InvoiceService.java | module | InvoiceService | src/main/java/com/acme/billing/InvoiceService.java | src/main/java/com/acme/billing/InvoiceService.java | 1-21 | c0 | {"language":"java","total_lines":21,"parse_errors":0,"external_deps":["java.util"],"unresolved_imports":[],"package":"com.acme.billing"}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -contains-> fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.InvoiceService | {"line":9}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -contains-> fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.remind | {"line":20}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -contains-> fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run | {"line":13}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -inherits-> cls:src/main/java/com/acme/billing/BaseService.java:BaseService | {"line":6,"base_name":"BaseService","relation":"extends"}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -uses-> cls:src/main/java/com/acme/billing/Invoice.java:Invoice | {"line":7,"type_name":"Invoice","count":1}"#,
    r#"edge cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService -uses-> cls:src/main/java/com/acme/core/Repository.java:Repository | {"line":7,"type_name":"Repository","count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.InvoiceService -uses-> cls:src/main/java/com/acme/billing/Invoice.java:Invoice | {"line":9,"type_name":"Invoice","count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.InvoiceService -uses-> cls:src/main/java/com/acme/core/Repository.java:Repository | {"line":9,"type_name":"Repository","count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.remind -uses-> cls:src/main/java/com/acme/billing/Invoice.java:Invoice | {"line":20,"type_name":"Invoice","count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run -calls-> fn:src/main/java/com/acme/billing/Invoice.java:Invoice.isOverdue | {"line":16,"count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run -calls-> fn:src/main/java/com/acme/billing/Invoice.java:Invoice.isPaid | {"line":16,"count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run -calls-> fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.remind | {"line":16,"count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run -calls-> fn:src/main/java/com/acme/core/Repository.java:Repository.findAll | {"line":15,"count":1}"#,
    r#"edge fn:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService.run -uses-> cls:src/main/java/com/acme/billing/Invoice.java:Invoice | {"line":15,"type_name":"Invoice","count":1}"#,
    r#"edge mod:src/main/java/com/acme/billing/InvoiceService.java -contains-> cls:src/main/java/com/acme/billing/InvoiceService.java:InvoiceService | {"line":6}"#,
    r#"edge mod:src/main/java/com/acme/billing/InvoiceService.java -imports-> ext:java.util | {"line":4,"module":"java.util.List","names":["List"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/main/java/com/acme/billing/InvoiceService.java -imports-> mod:src/main/java/com/acme/core/Repository.java | {"line":3,"module":"com.acme.core.Repository","names":["Repository"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
];
const CSHARP_SPEC: &[&str] = &[
    r#"node cls:src/Billing/InvoiceService.cs:InvoiceService | class | InvoiceService | src/Billing/InvoiceService.cs:InvoiceService | src/Billing/InvoiceService.cs | 6-15 | c0 | {"kind":"class","bases":["ServiceBase","IInvoiceService"],"decorators":[],"attributes":["_repo","Name"],"visibility":"public"}"#,
    r#"node ext:System.Linq | external | System.Linq | System.Linq | NULL | NULL-NULL | c0 | {"languages":["csharp"]}"#,
    r#"node fn:src/Billing/InvoiceService.cs:InvoiceService.CountOverdue | function | CountOverdue | src/Billing/InvoiceService.cs:InvoiceService.CountOverdue | src/Billing/InvoiceService.cs | 12-12 | c2 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":"public","parameters":[],"return_type":"int","decorators":[]}"#,
    r#"node fn:src/Billing/InvoiceService.cs:InvoiceService.InvoiceService | function | InvoiceService | src/Billing/InvoiceService.cs:InvoiceService.InvoiceService | src/Billing/InvoiceService.cs | 10-10 | c1 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":true,"visibility":"public","parameters":[{"name":"repo","type":"IRepository<Invoice>","default":null,"variadic":false,"keyword":false}],"return_type":null,"decorators":[]}"#,
    r#"node mod:src/Billing/InvoiceService.cs | module | InvoiceService | src/Billing/InvoiceService.cs | src/Billing/InvoiceService.cs | 1-15 | c0 | {"language":"csharp","total_lines":15,"parse_errors":0,"external_deps":["System.Linq"],"unresolved_imports":[],"namespaces":["Acme.Billing"]}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -contains-> fn:src/Billing/InvoiceService.cs:InvoiceService.CountOverdue | {"line":12}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -contains-> fn:src/Billing/InvoiceService.cs:InvoiceService.InvoiceService | {"line":10}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -inherits-> cls:src/Billing/IInvoiceService.cs:IInvoiceService | {"line":6,"base_name":"IInvoiceService","relation":"implements"}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -inherits-> cls:src/Billing/ServiceBase.cs:ServiceBase | {"line":6,"base_name":"ServiceBase","relation":"extends"}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -uses-> cls:src/Billing/Invoice.cs:Invoice | {"line":8,"type_name":"Invoice","count":1}"#,
    r#"edge cls:src/Billing/InvoiceService.cs:InvoiceService -uses-> cls:src/Core/IRepository.cs:IRepository | {"line":8,"type_name":"IRepository","count":1}"#,
    r#"edge fn:src/Billing/InvoiceService.cs:InvoiceService.CountOverdue -calls-> fn:src/Core/IRepository.cs:IRepository.All | {"line":12,"count":1}"#,
    r#"edge fn:src/Billing/InvoiceService.cs:InvoiceService.InvoiceService -uses-> cls:src/Billing/Invoice.cs:Invoice | {"line":10,"type_name":"Invoice","count":1}"#,
    r#"edge fn:src/Billing/InvoiceService.cs:InvoiceService.InvoiceService -uses-> cls:src/Core/IRepository.cs:IRepository | {"line":10,"type_name":"IRepository","count":1}"#,
    r#"edge mod:src/Billing/InvoiceService.cs -contains-> cls:src/Billing/InvoiceService.cs:InvoiceService | {"line":6}"#,
    r#"edge mod:src/Billing/InvoiceService.cs -imports-> ext:System.Linq | {"line":2,"module":"System.Linq","names":[],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:src/Billing/InvoiceService.cs -imports-> mod:src/Core/IRepository.cs | {"line":1,"module":"Acme.Core","names":["IRepository"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
];
const QUALITY: &[&str] = &[
    r#"edge cls:js/diamond.js:Bottom -inherits-> cls:js/diamond.js:Left | {"line":9,"base_name":"Left","relation":"extends"}"#,
    r#"edge cls:js/diamond.js:Left -inherits-> cls:js/diamond.js:Top | {"line":7,"base_name":"Top","relation":"extends"}"#,
    r#"edge cls:js/diamond.js:Right -inherits-> cls:js/diamond.js:Top | {"line":8,"base_name":"Top","relation":"extends"}"#,
    r#"edge cls:py/diamond.py:Bottom -inherits-> cls:py/diamond.py:Left | {"line":14,"base_name":"Left","relation":"extends"}"#,
    r#"edge cls:py/diamond.py:Bottom -inherits-> cls:py/diamond.py:Right | {"line":14,"base_name":"Right","relation":"extends"}"#,
    r#"edge cls:py/diamond.py:Left -inherits-> cls:py/diamond.py:Top | {"line":6,"base_name":"Top","relation":"extends"}"#,
    r#"edge cls:py/diamond.py:Right -inherits-> cls:py/diamond.py:Top | {"line":10,"base_name":"Top","relation":"extends"}"#,
    r#"edge cls:ts/diamond.ts:Bottom -inherits-> cls:ts/diamond.ts:Left | {"line":6,"base_name":"Left","relation":"extends"}"#,
    r#"edge cls:ts/diamond.ts:Bottom -inherits-> cls:ts/diamond.ts:Right | {"line":6,"base_name":"Right","relation":"extends"}"#,
    r#"edge cls:ts/diamond.ts:Gem -inherits-> cls:ts/diamond.ts:Bottom | {"line":8,"base_name":"Bottom","relation":"implements"}"#,
    r#"edge cls:ts/diamond.ts:Left -inherits-> cls:ts/diamond.ts:Top | {"line":4,"base_name":"Top","relation":"extends"}"#,
    r#"edge cls:ts/diamond.ts:Right -inherits-> cls:ts/diamond.ts:Top | {"line":5,"base_name":"Top","relation":"extends"}"#,
    r#"edge fn:js/cycA.js:ping -calls-> fn:js/cycB.js:pong | {"line":4,"count":1}"#,
    r#"edge fn:js/cycB.js:pong -calls-> fn:js/cycA.js:ping | {"line":4,"count":1}"#,
    r#"edge fn:js/diamond.js:Bottom.run -calls-> fn:js/diamond.js:Top.top | {"line":11,"count":1}"#,
    r#"edge fn:js/user.js:run -calls-> fn:js/one.js:helper | {"line":5,"count":1}"#,
    r#"edge fn:js/user.js:run -calls-> fn:js/two.js:helper | {"line":5,"count":1}"#,
    r#"edge fn:py/cyc_a.py:ping -calls-> fn:py/cyc_b.py:pong | {"line":5,"count":1}"#,
    r#"edge fn:py/cyc_b.py:pong -calls-> fn:py/cyc_a.py:ping | {"line":5,"count":1}"#,
    r#"edge fn:py/diamond.py:Bottom.run -calls-> fn:py/diamond.py:Top.top | {"line":16,"count":1}"#,
    r#"edge fn:py/user.py:run -calls-> fn:py/one.py:helper | {"line":6,"count":1}"#,
    r#"edge fn:py/user.py:run -calls-> fn:py/two.py:helper | {"line":6,"count":1}"#,
    r#"edge fn:ts/cycA.ts:ping -calls-> fn:ts/cycB.ts:pong | {"line":4,"count":1}"#,
    r#"edge fn:ts/cycB.ts:pong -calls-> fn:ts/cycA.ts:ping | {"line":4,"count":1}"#,
    r#"edge fn:ts/diamond.ts:shine -calls-> fn:ts/diamond.ts:Top.top | {"line":15,"count":1}"#,
    r#"edge fn:ts/diamond.ts:shine -uses-> cls:ts/diamond.ts:Bottom | {"line":14,"type_name":"Bottom","count":1}"#,
    r#"edge fn:ts/user.ts:run -calls-> fn:ts/one.ts:helper | {"line":5,"count":1}"#,
    r#"edge fn:ts/user.ts:run -calls-> fn:ts/two.ts:helper | {"line":5,"count":1}"#,
    r#"edge mod:js/cycA.js -imports-> mod:js/cycB.js | {"line":1,"module":"./cycB","names":["pong"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:js/cycB.js -imports-> mod:js/cycA.js | {"line":1,"module":"./cycA","names":["ping"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:js/user.js -imports-> mod:js/one.js | {"line":1,"module":"./one","names":["helper"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:js/user.js -imports-> mod:js/two.js | {"line":2,"module":"./two","names":[],"alias":"two","type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:py/cyc_a.py -imports-> mod:py/cyc_b.py | {"line":1,"module":".cyc_b","names":["pong"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:py/cyc_b.py -imports-> mod:py/cyc_a.py | {"line":1,"module":".","names":["cyc_a"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:py/user.py -imports-> mod:py/one.py | {"line":1,"module":".one","names":["helper"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:py/user.py -imports-> mod:py/two.py | {"line":2,"module":".","names":["two"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:ts/cycA.ts -imports-> mod:ts/cycB.ts | {"line":1,"module":"./cycB","names":["pong"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:ts/cycB.ts -imports-> mod:ts/cycA.ts | {"line":1,"module":"./cycA","names":["ping"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:ts/user.ts -imports-> mod:ts/one.ts | {"line":1,"module":"./one","names":["helper"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
    r#"edge mod:ts/user.ts -imports-> mod:ts/two.ts | {"line":2,"module":"./two","names":[],"alias":"two","type_only":false,"dynamic":false,"count":1}"#,
];
