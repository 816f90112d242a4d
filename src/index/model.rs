//! Rows of the graph as they are stored (`mubase.md` §6–§8): the output of resolution and the
//! input of the store writer. `properties` is canonical JSON text (§7), built by serialising the
//! `*Props` structs below, whose field order is the spec's key order.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeType {
    Module,
    Class,
    Function,
    External,
}

impl NodeType {
    pub const ALL: [NodeType; 4] = [
        NodeType::Module,
        NodeType::Class,
        NodeType::Function,
        NodeType::External,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Module => "module",
            NodeType::Class => "class",
            NodeType::Function => "function",
            NodeType::External => "external",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeType {
    Contains,
    Imports,
    Inherits,
    Calls,
    Uses,
}

impl EdgeType {
    pub const ALL: [EdgeType; 5] = [
        EdgeType::Contains,
        EdgeType::Imports,
        EdgeType::Inherits,
        EdgeType::Calls,
        EdgeType::Uses,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeType::Contains => "contains",
            EdgeType::Imports => "imports",
            EdgeType::Inherits => "inherits",
            EdgeType::Calls => "calls",
            EdgeType::Uses => "uses",
        }
    }
}

/// One row of `nodes` (the nine core columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub id: String,
    pub node_type: NodeType,
    pub name: String,
    pub qualified_name: Option<String>,
    pub file_path: Option<String>,
    pub line_start: Option<i32>,
    pub line_end: Option<i32>,
    /// Canonical JSON object text.
    pub properties: String,
    pub complexity: i32,
}

/// One row of `edges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRow {
    pub id: String,
    pub source_id: String,
    pub target_id: String,
    pub edge_type: EdgeType,
    /// Canonical JSON object text.
    pub properties: String,
}

impl EdgeRow {
    pub fn make_id(source: &str, edge_type: EdgeType, target: &str) -> String {
        format!("edge:{source}:{}:{target}", edge_type.as_str())
    }
}

/// `mubase.md` §7.1.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleProps<'a> {
    pub language: &'a str,
    pub total_lines: u32,
    pub parse_errors: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_failed: Option<bool>,
    pub external_deps: Vec<String>,
    pub unresolved_imports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docstring: Option<&'a str>,
}

/// `mubase.md` §7.2.
#[derive(Debug, Clone, Serialize)]
pub struct ClassProps<'a> {
    pub kind: &'a str,
    pub bases: Vec<&'a str>,
    pub decorators: &'a [String],
    pub attributes: &'a [String],
    pub visibility: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docstring: Option<&'a str>,
}

/// `mubase.md` §7.3.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionProps<'a> {
    pub is_method: bool,
    pub is_async: bool,
    pub is_static: bool,
    pub is_classmethod: bool,
    pub is_property: bool,
    pub is_constructor: bool,
    pub visibility: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<&'a str>,
    pub parameters: Vec<ParamProps<'a>>,
    pub return_type: Option<&'a str>,
    pub decorators: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overloads: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docstring: Option<&'a str>,
}

/// `mubase.md` §7.3.1.
#[derive(Debug, Clone, Serialize)]
pub struct ParamProps<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub type_: Option<&'a str>,
    pub default: Option<&'a str>,
    pub variadic: bool,
    pub keyword: bool,
}

/// `mubase.md` §7.4.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalProps {
    pub languages: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainsProps {
    pub line: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportsProps<'a> {
    pub line: u32,
    pub module: &'a str,
    pub names: Vec<String>,
    pub alias: Option<&'a str>,
    pub type_only: bool,
    pub dynamic: bool,
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InheritsProps<'a> {
    pub line: u32,
    pub base_name: &'a str,
    pub relation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallsProps<'a> {
    pub line: u32,
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsesProps<'a> {
    pub line: u32,
    pub type_name: &'a str,
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
}

/// Serialise a properties struct to canonical JSON (compact, non-ASCII unescaped, key order =
/// field order). Serialising these plain structs cannot fail.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("properties structs always serialise")
}
