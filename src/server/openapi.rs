//! The OpenAPI 3.1 description served at `GET /openapi.json` (`http-api.md` §4.15). It is built
//! once and does not depend on the project a request was routed to. [`OPERATIONS`] lists the
//! operations it describes, so the router can be checked against it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

/// Every operation this release serves, as (method, path template), in endpoint order.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/status"),
    ("GET", "/nodes/{id}"),
    ("GET", "/node/{id}"),
    ("GET", "/nodes/{id}/neighbors"),
    ("GET", "/node/{id}/neighbors"),
    ("POST", "/nodes"),
    ("POST", "/query"),
    ("POST", "/impact"),
    ("POST", "/ancestors"),
    ("POST", "/deps"),
    ("POST", "/cycles"),
    ("GET", "/export"),
    ("POST", "/build"),
    ("GET", "/openapi.json"),
];

/// The OpenAPI 3.1.0 document, built on first use.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

const DESCRIPTION: &str = "Local code-graph daemon for MU projects.\n\n\
Every endpoint accepts `cwd`: a query parameter, or for `POST` also a body field (both given and \
different: 400). It routes the request to the MU project (nearest directory with `.mu/mubase`) \
that contains that absolute path; without it the daemon's own project answers. A `cwd` in no \
project gives 404; there is never a silent fallback. Every routed response, errors included, \
carries the `X-MU-Project` header with the root of the project that answered.\n\n\
Errors are always `{\"detail\": string}`. An unknown path gives `404 {\"detail\": \"Not Found\"}`; \
a known path with the wrong method gives `405 {\"detail\": \"Method Not Allowed\"}` with an \
`Allow` header.";

fn build() -> Value {
    let mut paths = Map::new();
    for op in operations() {
        let (path, method, value) = op.into_value();
        paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("path items are objects")
            .insert(method, value);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mu-daemon",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "http://127.0.0.1:9120"}],
        "security": [{}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Only required when the daemon runs with `--token` or \
                        `MU_DAEMON_TOKEN`; then every request needs `Authorization: Bearer \
                        <token>`. Without a token no authentication is used (the default).",
                },
            },
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Operations

/// One operation, before it is turned into its OpenAPI object.
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    description: &'static str,
    /// Parameters besides `cwd` (which every operation gets).
    params: Vec<Value>,
    /// Name of the request body schema (POST).
    body: Option<&'static str>,
    /// The 200 response.
    ok: Value,
    /// Endpoint-specific error causes, added to the conventions of §2.
    errors: Vec<(u16, &'static str)>,
}

impl Op {
    /// (path, lower-case method, operation object).
    fn into_value(self) -> (String, String, Value) {
        let mut params = vec![cwd_param()];
        params.extend(self.params);
        let mut responses = Map::new();
        responses.insert("200".into(), self.ok);
        for (code, text) in error_causes(self.method, self.path, &self.errors) {
            let mut resp = error_response(&text);
            if code == 401 {
                resp["headers"] = json!({"WWW-Authenticate": {
                    "description": "Always `Bearer`.",
                    "schema": {"type": "string", "const": "Bearer"},
                }});
            }
            responses.insert(code.to_string(), resp);
        }
        let mut op = json!({
            "operationId": self.id,
            "summary": self.summary,
            "description": self.description,
            "parameters": params,
            "responses": responses,
        });
        if let Some(name) = self.body {
            op["requestBody"] = json!({
                "required": false,
                "description": "A JSON object (`application/json`, any `+json` type, optional \
                    `charset`), at most 1 MiB. An empty body counts as `{}`; `null` means \
                    \"not given\" for every optional field; unknown fields are ignored.",
                "content": {"application/json": {"schema": schema_ref(name)}},
            });
        }
        (self.path.into(), self.method.to_lowercase(), op)
    }
}

/// The error statuses of one operation with their causes: the conventions of §2 plus the
/// endpoint's own.
fn error_causes(method: &str, path: &str, own: &[(u16, &str)]) -> BTreeMap<u16, String> {
    let post = method == "POST";
    let mut causes: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    let mut add = |code: u16, text: &'static str| causes.entry(code).or_default().push(text);
    add(
        400,
        "Invalid Host header, or `cwd` is not an absolute path.",
    );
    if post {
        add(400, "`cwd` differs between query and body.");
    }
    add(
        401,
        "A token is configured and the bearer token is missing or wrong.",
    );
    add(403, "Host or Origin not allowed.");
    add(404, "`cwd` is in no MU project.");
    if post {
        add(413, "Request body over 1 MiB (1,048,576 bytes).");
        add(
            422,
            "Body not JSON (content type or syntax), not an object, a required field missing or \
             a field of the wrong type.",
        );
    }
    add(
        500,
        "Unexpected internal failure (`Internal error: <summary>`).",
    );
    add(
        503,
        "The project's database is locked by another process, the daemon serving the project \
         did not respond, or this daemon is shutting down.",
    );
    if path != "/build" {
        add(503, "The 30 s request deadline passed.");
    }
    for &(code, text) in own {
        causes.entry(code).or_default().push(text);
    }
    causes.into_iter().map(|(c, t)| (c, t.join(" "))).collect()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema_ref("Error")}},
    })
}

/// The `X-MU-Project` header of routed responses.
fn project_header() -> Value {
    json!({"X-MU-Project": {
        "description": "Root of the project that answered; non-ASCII bytes, control characters \
            and `%` percent-encoded.",
        "schema": {"type": "string"},
    }})
}

/// A 200 response with a JSON body of the named schema.
fn ok_json(description: &str, schema: &str) -> Value {
    ok_content(
        description,
        json!({"application/json": {"schema": schema_ref(schema)}}),
    )
}

fn ok_content(description: &str, content: Value) -> Value {
    json!({"description": description, "headers": project_header(), "content": content})
}

fn cwd_param() -> Value {
    json!({
        "name": "cwd",
        "in": "query",
        "required": false,
        "description": "Absolute path used to route the request to the MU project containing it \
            (a file counts as its directory). Absent or empty: the daemon's own project. \
            For POST it may also be given in the body.",
        "schema": {"type": "string"},
    })
}

fn id_param() -> Value {
    json!({
        "name": "id",
        "in": "path",
        "required": true,
        "description": "Node reference: an id, a name, a qualified name or a file path, resolved \
            as in §3.3. The raw path segment is percent-decoded exactly once as UTF-8: `%2F`, \
            `%3A` and unencoded `/` and `:` are all accepted, `+` stays a plus sign. Clients \
            should encode every reserved character (`mod%3Asrc%2Fapp%2Fauth.py`); an id that \
            itself ends in `/neighbors` must encode that slash as `%2F`. Malformed escapes or \
            invalid UTF-8 give 400.",
        "schema": {"type": "string"},
        "example": "mod:src/app/auth.py",
    })
}

/// A query parameter.
fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": schema,
    })
}

/// A comma-separated list query parameter (`a,b,c`).
fn list_param(name: &str, description: &str, items: Value) -> Value {
    let mut p = query_param(name, description, json!({"type": "array", "items": items}));
    p["style"] = json!("form");
    p["explode"] = json!(false);
    p
}

fn operations() -> Vec<Op> {
    const NODE_404: &str = "The node reference is not resolved (`Node not found: <ref>`).";
    const BAD_ID: &str = "Invalid percent-encoding in node id.";
    const NODE_GET: &str = "One node by reference (§4.3). The response's `id` is the resolved \
        id, which may differ from the request when the reference was a name or a path.";
    const NEIGHBORS_GET: &str = "Direct neighbours (depth 1) of a node (§4.4). For `both`, the \
        outgoing neighbours come first, then the incoming ones, without duplicates; within each \
        direction neighbours are ordered by id. Only existing nodes are returned.";
    let neighbor_params = || {
        vec![
            id_param(),
            query_param(
                "direction",
                "`outgoing` (targets of the node's edges), `incoming` (sources of edges into \
                 it) or `both`. Another value gives 400 (after the node was resolved).",
                json!({"type": "string", "enum": ["outgoing", "incoming", "both"], "default": "both"}),
            ),
            list_param(
                "edge_types",
                "Comma-separated edge types to follow; all types when absent.",
                json!({"type": "string"}),
            ),
        ]
    };
    let node = |path, id, summary| Op {
        method: "GET",
        path,
        id,
        summary,
        description: NODE_GET,
        params: vec![id_param()],
        body: None,
        ok: ok_json("The node.", "Node"),
        errors: vec![(400, BAD_ID), (404, NODE_404)],
    };
    let neighbors = |path, id, summary| Op {
        method: "GET",
        path,
        id,
        summary,
        description: NEIGHBORS_GET,
        params: neighbor_params(),
        body: None,
        ok: ok_json("The neighbours and connecting edges.", "NeighborsResult"),
        errors: vec![(400, BAD_ID), (400, "Invalid direction."), (404, NODE_404)],
    };
    let post = |path, id, summary, description, body, ok: Value, errors| Op {
        method: "POST",
        path,
        id,
        summary,
        description,
        params: Vec::new(),
        body: Some(body),
        ok,
        errors,
    };
    vec![
        Op {
            method: "GET",
            path: "/health",
            id: "getHealth",
            summary: "Liveness",
            description: "Cheap liveness answer (§4.1). Never touches the database.",
            params: Vec::new(),
            body: None,
            ok: ok_json("The daemon is serving.", "Health"),
            errors: Vec::new(),
        },
        Op {
            method: "GET",
            path: "/status",
            id: "getStatus",
            summary: "Daemon and project status",
            description: "Daemon and project status (§4.2); the liveness probe of MU's clients. \
                Without parameters it answers 200 whenever the daemon is serving.",
            params: Vec::new(),
            body: None,
            ok: ok_json("Status of the daemon and the routed project.", "Status"),
            errors: Vec::new(),
        },
        node("/nodes/{id}", "getNode", "One node"),
        node(
            "/node/{id}",
            "getNodeAlias",
            "One node (alias of /nodes/{id})",
        ),
        neighbors(
            "/nodes/{id}/neighbors",
            "getNeighbors",
            "Direct neighbours of a node",
        ),
        neighbors(
            "/node/{id}/neighbors",
            "getNeighborsAlias",
            "Direct neighbours of a node (alias of /nodes/{id}/neighbors)",
        ),
        post(
            "/nodes",
            "getNodesBatch",
            "Several nodes by exact id",
            "Several nodes by exact id (§4.5), after path normalisation. Duplicates are \
             collapsed, keeping the first occurrence; both result lists keep request order.",
            "NodesRequest",
            ok_json("Found nodes and missing ids.", "NodesBatchResult"),
            vec![(422, "`ids` is empty or has more than 1000 items.")],
        ),
        post(
            "/query",
            "query",
            "MUQL or read-only SQL",
            "Run MUQL (`muql.md`: SELECT, SHOW, FIND, PATH, ANALYZE, DESCRIBE, terse forms) \
             or one read-only SQL statement (§4.6). Syntax errors, execution errors, \
             refused SQL and time-outs are not HTTP errors: they answer 200 with empty \
             `columns`/`rows` and `result.error` set. Results are capped at 10,000 rows.",
            "QueryRequest",
            ok_json("The query result, in its envelope.", "QueryResult"),
            Vec::new(),
        ),
        post(
            "/impact",
            "impact",
            "Transitive dependents (what breaks if X changes)",
            "Transitive dependents of a node (§4.8): breadth-first along edges backwards, each \
             node's predecessors in id order, excluding the node itself.",
            "ImpactRequest",
            ok_json("The dependents.", "ImpactResult"),
            vec![
                (
                    422,
                    "Neither `node` nor `node_id` given, they differ, or `depth` < 1.",
                ),
                (404, NODE_404),
            ],
        ),
        post(
            "/ancestors",
            "ancestors",
            "Transitive dependencies (what X stands on)",
            "Transitive dependencies of a node (§4.9): breadth-first along edges forward, \
             excluding the node itself. Same body and rules as `/impact`.",
            "ImpactRequest",
            ok_json("The dependencies.", "AncestorsResult"),
            vec![
                (
                    422,
                    "Neither `node` nor `node_id` given, they differ, or `depth` < 1.",
                ),
                (404, NODE_404),
            ],
        ),
        post(
            "/deps",
            "deps",
            "Depth-limited dependencies or dependents",
            "Breadth-first search limited to `depth` levels, excluding the start node (§4.10). \
             For `both`, the outgoing results come first, then the incoming ones not already \
             listed.",
            "DepsRequest",
            ok_json("The dependencies or dependents.", "DepsResult"),
            vec![
                (400, "Invalid direction."),
                (404, NODE_404),
                (422, "Neither `node` nor `node_id` given, or `depth` < 1."),
            ],
        ),
        post(
            "/cycles",
            "cycles",
            "Dependency cycles",
            "Strongly connected components of more than one node over the chosen edge types \
             (§4.11). Each cycle starts at its smallest id; cycles are sorted by their first \
             id. Self-loops are listed separately and not counted as cycles.",
            "CyclesRequest",
            ok_json("The cycles.", "CyclesResult"),
            Vec::new(),
        ),
        Op {
            method: "GET",
            path: "/export",
            id: "exportGraph",
            summary: "Graph export",
            description: "Export the graph or a selection of it (§4.12). Nodes are selected by \
                `nodes`, or else by `types` then `max_nodes`, in id order; edges are those \
                between selected nodes whose type passes `edge_types`. Mermaid output always \
                fits Mermaid's limits (500 edges, 50,000 characters), aggregating to modules and \
                then truncating when needed. Errors are always JSON.",
            params: vec![
                query_param(
                    "format",
                    "Output format.",
                    json!({"type": "string", "default": "json",
                           "enum": ["json", "mu", "mermaid", "d2", "cytoscape", "dot"]}),
                ),
                list_param(
                    "nodes",
                    "Comma-separated exact node ids to export; items are trimmed, unknown ids \
                     skipped. When given, `types` and `max_nodes` are ignored.",
                    json!({"type": "string"}),
                ),
                list_param(
                    "types",
                    "Comma-separated node types to include; all when absent.",
                    node_type(),
                ),
                list_param(
                    "edge_types",
                    "Comma-separated edge types to include; all when absent.",
                    json!({"type": "string"}),
                ),
                query_param(
                    "max_nodes",
                    "Keep the first N selected nodes in id order.",
                    json!({"type": "integer", "minimum": 1}),
                ),
                query_param(
                    "level",
                    "`node`, or `module` to aggregate nodes into their modules (edges merged \
                     with a `weight`).",
                    json!({"type": "string", "enum": ["node", "module"], "default": "node"}),
                ),
            ],
            body: None,
            ok: ok_content(
                "The export in the requested format.",
                json!({
                    "application/json": {
                        "schema": {"oneOf": [schema_ref("ExportGraph"), schema_ref("CytoscapeGraph")]},
                    },
                    "text/plain": {
                        "schema": {"type": "string",
                                   "description": "`mu`, `mermaid` or `d2` text (charset utf-8)."},
                    },
                    "text/vnd.graphviz": {
                        "schema": {"type": "string", "description": "`dot` text (charset utf-8)."},
                    },
                }),
            ),
            errors: vec![
                (400, "Unknown format, invalid node type or invalid level."),
                (422, "`max_nodes` is not a positive integer."),
            ],
        },
        post(
            "/build",
            "build",
            "Re-index the project",
            "Re-index the routed project and wait until the build is committed (§4.14). \
             Incremental by default (changed, added and removed files); `force: true` rebuilds \
             everything. Readers keep seeing the previous graph until the commit. No deadline.",
            "BuildRequest",
            ok_json("The committed build.", "BuildResult"),
            vec![
                (409, "A build is already running for the project."),
                (
                    422,
                    "The body has a `path` field (`Field 'path' is not supported; use cwd`).",
                ),
            ],
        ),
        Op {
            method: "GET",
            path: "/openapi.json",
            id: "getOpenApi",
            summary: "This OpenAPI document",
            description: "The OpenAPI 3.1 description of this API (§4.15). It does not depend on \
                the routed project.",
            params: Vec::new(),
            body: None,
            ok: ok_content(
                "The OpenAPI document.",
                json!({"application/json": {"schema": {"type": "object"}}}),
            ),
            errors: Vec::new(),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Schemas

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// `value` with a `description`.
fn described(mut value: Value, description: &str) -> Value {
    value["description"] = json!(description);
    value
}

fn string() -> Value {
    json!({"type": "string"})
}

fn int() -> Value {
    json!({"type": "integer"})
}

fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn float() -> Value {
    json!({"type": "number"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn nullable(ty: &str) -> Value {
    json!({"type": [ty, "null"]})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn strings() -> Value {
    array(string())
}

/// An object used as a map from strings to `values`.
fn map_of(values: Value) -> Value {
    json!({"type": "object", "additionalProperties": values})
}

fn node_type() -> Value {
    json!({"type": "string", "enum": ["module", "class", "function", "external"]})
}

fn object(props: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let properties: Map<String, Value> =
        props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    json!({"type": "object", "required": required, "properties": properties})
}

/// An object whose properties are all always present.
fn record(props: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    object(props, &required)
}

/// `cwd` as a body field.
fn cwd_field() -> Value {
    described(
        nullable("string"),
        "Absolute path routing the request (§2.12); must equal the `cwd` query parameter when \
         both are given.",
    )
}

/// `edge_types` of the traversal requests.
fn edge_types_field(default: &str) -> Value {
    let mut v = described(
        json!({"type": ["array", "null"], "items": {"type": "string"}}),
        default,
    );
    v["examples"] = json!([["imports", "calls"]]);
    v
}

fn depth_field(default: Option<u64>, unbounded: &str) -> Value {
    let mut v = described(
        json!({"type": ["integer", "null"], "minimum": 1}),
        &format!("Traversal depth, at least 1; values above 20 are treated as 20. {unbounded}"),
    );
    if let Some(d) = default {
        v["default"] = json!(d);
    }
    v
}

const DEFAULT_EDGE_TYPES: &str = "Edge types to follow. Absent, null or [] means [\"imports\", \
    \"calls\", \"inherits\", \"uses\"] (not `contains`). Unknown types match no edges.";

fn node_ref_fields(depth: Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "node",
            described(nullable("string"), "Node reference (§3.3)."),
        ),
        (
            "node_id",
            described(
                nullable("string"),
                "Alias of `node` used by older clients; must equal `node` when both are given.",
            ),
        ),
        ("edge_types", edge_types_field(DEFAULT_EDGE_TYPES)),
        ("depth", depth),
    ]
}

/// `node` or `node_id` must be given.
fn require_node(mut schema: Value) -> Value {
    schema["anyOf"] = json!([{"required": ["node"]}, {"required": ["node_id"]}]);
    schema
}

fn schemas() -> Value {
    let node = record(vec![
        (
            "id",
            described(
                string(),
                "`mod:<path>`, `cls:<path>:<Class>`, `fn:<path>:<func>`, \
                 `fn:<path>:<Class>.<method>` or `ext:<name>`; paths project-relative with `/`.",
            ),
        ),
        ("type", node_type()),
        (
            "node_type",
            described(node_type(), "Always the same value as `type`."),
        ),
        (
            "name",
            described(string(), "Short name; for a module the file stem."),
        ),
        ("qualified_name", nullable("string")),
        (
            "file_path",
            described(
                nullable("string"),
                "Project-relative; null for external nodes.",
            ),
        ),
        ("line_start", described(nullable("integer"), "1-based.")),
        ("line_end", nullable("integer")),
        (
            "properties",
            described(
                json!({"type": "object"}),
                "The stored JSON object; `{}` when none.",
            ),
        ),
        ("complexity", described(int(), "Default 0.")),
    ]);
    let edge = record(vec![
        ("id", string()),
        (
            "source_id",
            described(
                string(),
                "The dependent side: `source -> target` means source depends on target.",
            ),
        ),
        (
            "target_id",
            described(string(), "May name an id that has no node."),
        ),
        (
            "type",
            described(
                string(),
                "`contains`, `imports`, `inherits`, `calls` or `uses`.",
            ),
        ),
        ("properties", json!({"type": "object"})),
    ]);
    let status = record(vec![
        ("status", json!({"type": "string", "const": "running"})),
        (
            "mubase_path",
            described(string(), "Absolute path of the routed project's mubase."),
        ),
        (
            "stats",
            record(vec![
                ("nodes", count()),
                ("edges", count()),
                ("nodes_by_type", map_of(count())),
                ("edges_by_type", map_of(count())),
                ("file_size_kb", float()),
                ("version", described(string(), "`metadata.version`.")),
                (
                    "built_at",
                    described(nullable("string"), "`metadata.built_at`, as stored."),
                ),
                (
                    "root_path",
                    described(
                        nullable("string"),
                        "`metadata.root_path` if stored, else the project root.",
                    ),
                ),
            ]),
        ),
        (
            "language_stats",
            described(
                record(vec![
                    (
                        "languages",
                        described(map_of(count()), "Files per language."),
                    ),
                    ("percentages", map_of(float())),
                    ("primary_language", nullable("string")),
                    ("total_files", count()),
                ]),
                "`{}`, `{}`, null and 0 when the database has no language statistics.",
            ),
        ),
        (
            "connections",
            described(
                count(),
                "Open WebSocket connections on this daemon, all projects.",
            ),
        ),
        ("uptime_seconds", json!({"type": "number", "minimum": 0})),
        (
            "active_projects",
            described(count(), "Open projects: own plus secondary."),
        ),
        (
            "project_paths",
            described(
                strings(),
                "Mubase paths of the open projects, own project first.",
            ),
        ),
        ("node_count", described(count(), "Same as `stats.nodes`.")),
        ("edge_count", described(count(), "Same as `stats.edges`.")),
        (
            "schema_version",
            described(string(), "`metadata.schema_version`."),
        ),
        (
            "project_root",
            described(string(), "The routed project root."),
        ),
        (
            "primary",
            described(
                boolean(),
                "Whether the routed project is the daemon's own project.",
            ),
        ),
        (
            "watching",
            described(boolean(), "Whether that project's files are being watched."),
        ),
        ("pid", int()),
        ("port", int()),
        ("daemon_version", string()),
        (
            "indexing",
            record(vec![
                (
                    "state",
                    json!({"type": "string", "enum": ["idle", "indexing"]}),
                ),
                (
                    "files_done",
                    described(count(), "Files processed in the current (or last) run."),
                ),
                (
                    "files_total",
                    described(count(), "Files in that run; 0 before the first run."),
                ),
            ]),
        ),
    ]);
    let query_result = record(vec![
        (
            "result",
            object(
                vec![
                    ("columns", described(strings(), "Real column names.")),
                    (
                        "rows",
                        described(
                            array(array(json!({}))),
                            "One array per row, aligned with `columns`.",
                        ),
                    ),
                    ("row_count", count()),
                    (
                        "error",
                        described(
                            nullable("string"),
                            "MUQL syntax or execution error, time-out or refusal.",
                        ),
                    ),
                    ("execution_time_ms", float()),
                    (
                        "warning",
                        described(
                            string(),
                            "Present only when set, e.g. `Result truncated to 10000 rows`, a \
                             capped DEPTH or an ambiguous node reference.",
                        ),
                    ),
                    (
                        "message",
                        described(
                            string(),
                            "Present only when set: informational, e.g. `No path from a to b \
                             within depth 10`.",
                        ),
                    ),
                    (
                        "error_position",
                        described(
                            record(vec![
                                ("line", count()),
                                ("column", count()),
                                ("offset", count()),
                            ]),
                            "Present only with a positional error: 1-based line and column, \
                             0-based offset, in characters.",
                        ),
                    ),
                    (
                        "mode",
                        json!({"type": "string", "enum": ["muql", "sql"],
                               "description": "How the text was run."}),
                    ),
                ],
                &[
                    "columns",
                    "rows",
                    "row_count",
                    "error",
                    "execution_time_ms",
                    "mode",
                ],
            ),
        ),
        ("success", json!({"type": "boolean", "const": true})),
        ("error", json!({"type": "null"})),
    ]);
    let traversal = |list: &str| {
        record(vec![
            ("node_id", described(string(), "The resolved id.")),
            (list, strings()),
            ("count", count()),
            (
                "depth",
                described(nullable("integer"), "Effective depth; null = unbounded."),
            ),
            ("edge_types", described(strings(), "Effective edge types.")),
        ])
    };
    let export_stats = record(vec![
        ("node_count", count()),
        ("edge_count", count()),
        ("nodes_by_type", map_of(count())),
        ("edges_by_type", map_of(count())),
    ]);
    let export_edge = json!({"allOf": [schema_ref("Edge"), object(
        vec![("weight", described(json!({"type": "integer", "minimum": 1}),
            "Number of merged edges; only at `level=module`."))],
        &[],
    )]});
    let cytoscape_node = record(vec![(
        "data",
        record(vec![
            ("id", string()),
            ("label", described(string(), "The node's name.")),
            ("type", node_type()),
            ("file_path", nullable("string")),
            ("complexity", int()),
        ]),
    )]);
    let cytoscape_edge = record(vec![(
        "data",
        object(
            vec![
                ("id", string()),
                ("source", string()),
                ("target", string()),
                ("type", string()),
                ("weight", json!({"type": "integer", "minimum": 1})),
            ],
            &["id", "source", "target", "type"],
        ),
    )]);

    json!({
        "Node": node,
        "Edge": edge,
        "Error": record(vec![("detail", string())]),
        "Health": record(vec![
            ("status", json!({"type": "string", "const": "ok"})),
            ("service", json!({"type": "string", "const": "mu-daemon"})),
            ("pid", int()),
            ("port", int()),
            ("daemon_version", string()),
        ]),
        "Status": status,
        "NeighborsResult": record(vec![
            ("node_id", described(string(), "The resolved id.")),
            ("direction", json!({"type": "string", "enum": ["outgoing", "incoming", "both"]})),
            ("neighbors", array(schema_ref("Node"))),
            ("edges", described(array(schema_ref("Edge")),
                "The edges connecting the node to the returned neighbours.")),
        ]),
        "NodesBatchResult": record(vec![
            ("nodes", array(schema_ref("Node"))),
            ("missing", described(strings(), "Requested ids with no node, in request order.")),
        ]),
        "QueryResult": query_result,
        "ImpactResult": traversal("impacted_nodes"),
        "AncestorsResult": traversal("ancestor_nodes"),
        "DepsResult": record(vec![
            ("node_id", described(string(), "The resolved id.")),
            ("direction", json!({"type": "string", "enum": ["outgoing", "incoming", "both"]})),
            ("depth", int()),
            ("edge_types", strings()),
            ("dependencies", described(strings(), "Named `dependencies` for every direction.")),
            ("count", count()),
        ]),
        "CyclesResult": record(vec![
            ("cycles", described(array(strings()),
                "Each cycle starts at its smallest id; sorted by first id.")),
            ("cycle_count", count()),
            ("total_nodes_in_cycles", described(count(),
                "Sum of the cycle lengths; self-loops excluded.")),
            ("self_loops", described(strings(), "Nodes with an edge to themselves.")),
            ("edge_types", described(strings(), "Effective edge types.")),
        ]),
        "ExportGraph": record(vec![
            ("version", json!({"type": "string", "const": "1.0"})),
            ("format", json!({"type": "string", "const": "mubase-json"})),
            ("generated_at", json!({"type": "string", "format": "date-time"})),
            ("project_root", string()),
            ("level", json!({"type": "string", "enum": ["node", "module"]})),
            ("stats", export_stats),
            ("nodes", array(schema_ref("Node"))),
            ("edges", array(export_edge)),
        ]),
        "CytoscapeGraph": record(vec![(
            "elements",
            record(vec![
                ("nodes", array(cytoscape_node)),
                ("edges", array(cytoscape_edge)),
            ]),
        )]),
        "BuildResult": record(vec![
            ("project_root", string()),
            ("mode", json!({"type": "string", "enum": ["incremental", "full"]})),
            ("files_scanned", count()),
            ("files_changed", count()),
            ("files_removed", count()),
            ("files_failed", count()),
            ("node_count", described(count(), "After the build.")),
            ("edge_count", described(count(), "After the build.")),
            ("duration_ms", float()),
        ]),
        "NodesRequest": object(
            vec![
                ("ids", described(
                    json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1000}),
                    "Exact node ids (after path normalisation).",
                )),
                ("cwd", cwd_field()),
            ],
            &["ids"],
        ),
        "QueryRequest": object(
            vec![
                ("muql", described(string(), "MUQL, or one read-only SQL statement.")),
                ("cwd", cwd_field()),
            ],
            &["muql"],
        ),
        "ImpactRequest": require_node(object(
            {
                let mut f = node_ref_fields(depth_field(None, "Null means unbounded."));
                f.push(("cwd", cwd_field()));
                f
            },
            &[],
        )),
        "DepsRequest": require_node(object(
            {
                let mut f = node_ref_fields(depth_field(Some(2), ""));
                f.push(("direction", json!({"type": ["string", "null"], "default": "outgoing",
                    "enum": ["outgoing", "incoming", "both", null],
                    "description": "`outgoing` = dependencies, `incoming` = dependents, `both`. \
                        Another value gives 400."})));
                f.push(("cwd", cwd_field()));
                f
            },
            &[],
        )),
        "CyclesRequest": object(
            vec![
                ("edge_types", edge_types_field(
                    "Edge types forming the graph. Absent or null means [\"imports\"].")),
                ("cwd", cwd_field()),
            ],
            &[],
        ),
        "BuildRequest": object(
            vec![
                ("force", described(json!({"type": ["boolean", "null"], "default": false}),
                    "`true`: full rebuild; `false`: incremental build.")),
                ("path", described(json!({"not": {}}),
                    "Not supported: a body with `path` gives 422; use `cwd`.")),
                ("cwd", cwd_field()),
            ],
            &[],
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    /// Every operation object with its method and path.
    fn ops() -> Vec<(String, String, &'static Value)> {
        let mut out = Vec::new();
        for (path, item) in document()["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if METHODS.contains(&method.as_str()) {
                    out.push((method.to_uppercase(), path.clone(), op));
                }
            }
        }
        out
    }

    /// Follow a local `$ref`.
    fn resolve(v: &'static Value) -> &'static Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => document()
                .pointer(r.strip_prefix('#').unwrap())
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
            None => v,
        }
    }

    fn collect_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => collect_refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
            _ => {}
        }
    }

    fn keys(v: &Value) -> BTreeSet<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    fn required(v: &Value) -> BTreeSet<&str> {
        v["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect()
    }

    #[test]
    fn is_valid_openapi_3_1_json() {
        let doc = document();
        let text = serde_json::to_string(doc).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, doc);
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "mu-daemon");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:9120");
        assert_eq!(doc["security"], json!([{}, {"bearer": []}]));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(std::ptr::eq(doc, document()), "built once");
    }

    #[test]
    fn paths_are_exactly_the_operations() {
        let listed: BTreeSet<(String, String)> = OPERATIONS
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(listed.len(), OPERATIONS.len(), "OPERATIONS has duplicates");
        let documented: BTreeSet<(String, String)> =
            ops().into_iter().map(|(m, p, _)| (m, p)).collect();
        assert_eq!(documented, listed);
        for later in ["/context", "/contracts/verify", "/live", "/ws"] {
            assert!(document()["paths"].get(later).is_none(), "{later}");
        }
    }

    #[test]
    fn every_ref_resolves() {
        let mut refs = Vec::new();
        collect_refs(document(), &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            assert!(
                r.starts_with("#/components/schemas/")
                    || r.starts_with("#/components/securitySchemes/"),
                "{r}"
            );
            assert!(document().pointer(&r[1..]).is_some(), "dangling $ref {r}");
        }
    }

    #[test]
    fn every_schema_is_used() {
        let mut refs = Vec::new();
        collect_refs(document(), &mut refs);
        let used: BTreeSet<&str> = refs
            .iter()
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .collect();
        let defined = keys(&document()["components"]["schemas"]);
        assert_eq!(used, defined);
        for name in [
            "Node",
            "Edge",
            "Error",
            "Status",
            "QueryResult",
            "ImpactResult",
            "AncestorsResult",
            "DepsResult",
            "CyclesResult",
            "NeighborsResult",
            "NodesBatchResult",
            "BuildResult",
            "Health",
            "NodesRequest",
            "QueryRequest",
            "ImpactRequest",
            "DepsRequest",
            "CyclesRequest",
            "BuildRequest",
        ] {
            assert!(defined.contains(name), "{name}");
        }
    }

    #[test]
    fn node_schema_has_the_ten_fields() {
        let node = &document()["components"]["schemas"]["Node"];
        let fields: BTreeSet<&str> = [
            "id",
            "type",
            "node_type",
            "name",
            "qualified_name",
            "file_path",
            "line_start",
            "line_end",
            "properties",
            "complexity",
        ]
        .into();
        assert_eq!(keys(&node["properties"]), fields);
        assert_eq!(required(node), fields);
        let types = json!(["module", "class", "function", "external"]);
        assert_eq!(node["properties"]["type"]["enum"], types);
        assert_eq!(node["properties"]["node_type"]["enum"], types);
        assert_eq!(
            node["properties"]["file_path"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn status_schema_has_every_field() {
        let status = &document()["components"]["schemas"]["Status"];
        let top: BTreeSet<&str> = [
            "status",
            "mubase_path",
            "stats",
            "language_stats",
            "connections",
            "uptime_seconds",
            "active_projects",
            "project_paths",
            "node_count",
            "edge_count",
            "schema_version",
            "project_root",
            "primary",
            "watching",
            "pid",
            "port",
            "daemon_version",
            "indexing",
        ]
        .into();
        assert_eq!(keys(&status["properties"]), top);
        assert_eq!(required(status), top);
        let nested: &[(&str, &[&str])] = &[
            (
                "stats",
                &[
                    "nodes",
                    "edges",
                    "nodes_by_type",
                    "edges_by_type",
                    "file_size_kb",
                    "version",
                    "built_at",
                    "root_path",
                ],
            ),
            (
                "language_stats",
                &[
                    "languages",
                    "percentages",
                    "primary_language",
                    "total_files",
                ],
            ),
            ("indexing", &["state", "files_done", "files_total"]),
        ];
        for (name, fields) in nested {
            let obj = &status["properties"][name];
            let fields: BTreeSet<&str> = fields.iter().copied().collect();
            assert_eq!(keys(&obj["properties"]), fields, "{name}");
            assert_eq!(required(obj), fields, "{name}");
        }
    }

    #[test]
    fn operation_ids_are_present_and_unique() {
        let mut seen = BTreeSet::new();
        for (m, p, op) in ops() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {p}"));
            assert!(seen.insert(id), "duplicate operationId {id}");
            assert!(op["summary"].is_string(), "{m} {p}");
        }
        assert_eq!(seen.len(), OPERATIONS.len());
    }

    #[test]
    fn every_operation_accepts_cwd() {
        for (m, p, op) in ops() {
            let params = op["parameters"].as_array().unwrap();
            let in_query = params
                .iter()
                .any(|x| x["name"] == "cwd" && x["in"] == "query");
            assert!(in_query, "{m} {p}: no cwd query parameter");
            if let Some(body) = op.get("requestBody") {
                let schema = resolve(&body["content"]["application/json"]["schema"]);
                assert!(
                    schema["properties"].get("cwd").is_some(),
                    "{m} {p}: body without cwd"
                );
            }
            assert_eq!(op.get("requestBody").is_some(), m == "POST", "{m} {p}");
        }
    }

    #[test]
    fn responses_are_documented() {
        for (m, p, op) in ops() {
            let responses = op["responses"].as_object().unwrap();
            let ok = &responses["200"];
            assert!(ok["headers"].get("X-MU-Project").is_some(), "{m} {p}");
            assert!(!keys(&ok["content"]).is_empty(), "{m} {p}");
            for code in ["400", "401", "403", "404", "500", "503"] {
                assert!(responses.contains_key(code), "{m} {p}: no {code}");
            }
            for (code, r) in responses {
                if code != "200" {
                    assert_eq!(
                        r["content"]["application/json"]["schema"],
                        schema_ref("Error"),
                        "{m} {p} {code}"
                    );
                }
            }
            // Path parameters match the template.
            let templated = p.contains("{id}");
            let has_id = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["name"] == "id" && x["in"] == "path" && x["required"] == true);
            assert_eq!(templated, has_id, "{m} {p}");
        }
        let export = &document()["paths"]["/export"]["get"]["responses"]["200"]["content"];
        assert_eq!(
            keys(export),
            ["application/json", "text/plain", "text/vnd.graphviz"].into()
        );
        let build = &document()["paths"]["/build"]["post"]["responses"];
        assert!(build.get("409").is_some());
    }
}
