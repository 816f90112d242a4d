//! Per-language extraction: a syntax tree in, [`FileFacts`] out (`indexer.md` §4–§7).
//!
//! Each language module exposes `extract(tree, src) -> FileFacts`; [`parse_and_extract`] picks the
//! grammar, parses with a timeout and counts `ERROR`/`MISSING` nodes. Extraction is pure and
//! never touches the file system or the database.

pub mod common;
pub mod csharp;
pub mod go;
pub mod java;
pub mod python;
pub mod rust;
#[cfg(test)]
pub mod test_support;
pub mod typescript;

use crate::index::facts::{FileFacts, Language};

/// Which grammar parses a file: TSX needs its own (`indexer.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Go,
    Rust,
    Java,
    CSharp,
}

impl Grammar {
    /// Grammar and language for a path, by extension; `None` for files that are not indexed.
    pub fn for_path(path: &str) -> Option<(Grammar, Language)> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "py" | "pyi" | "pyw" => (Grammar::Python, Language::Python),
            "ts" | "mts" | "cts" => (Grammar::TypeScript, Language::TypeScript),
            "tsx" => (Grammar::Tsx, Language::TypeScript),
            "js" | "mjs" | "cjs" | "jsx" => (Grammar::JavaScript, Language::JavaScript),
            "go" => (Grammar::Go, Language::Go),
            "rs" => (Grammar::Rust, Language::Rust),
            "java" => (Grammar::Java, Language::Java),
            "cs" => (Grammar::CSharp, Language::CSharp),
            _ => return None,
        })
    }

    pub fn ts_language(self) -> tree_sitter::Language {
        match self {
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Grammar::Go => tree_sitter_go::LANGUAGE.into(),
            Grammar::Rust => tree_sitter_rust::LANGUAGE.into(),
            Grammar::Java => tree_sitter_java::LANGUAGE.into(),
            Grammar::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
        }
    }

    pub const ALL: [Grammar; 8] = [
        Grammar::Python,
        Grammar::TypeScript,
        Grammar::Tsx,
        Grammar::JavaScript,
        Grammar::Go,
        Grammar::Rust,
        Grammar::Java,
        Grammar::CSharp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Grammar::Python => "tree-sitter-python",
            Grammar::TypeScript => "tree-sitter-typescript (typescript)",
            Grammar::Tsx => "tree-sitter-typescript (tsx)",
            Grammar::JavaScript => "tree-sitter-javascript",
            Grammar::Go => "tree-sitter-go",
            Grammar::Rust => "tree-sitter-rust",
            Grammar::Java => "tree-sitter-java",
            Grammar::CSharp => "tree-sitter-c-sharp",
        }
    }
}

/// Budget for the summed length of a file's qualified names. Pathological nesting (thousands
/// of nested named functions) makes qualified names grow quadratically; such a file is treated
/// as `parse_failed` instead of exhausting memory downstream.
pub const QNAME_BUDGET_BYTES: usize = 8 << 20;

/// Parse timeout per file (`indexer.md` §4).
pub const PARSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

thread_local! {
    static PARSERS: std::cell::RefCell<Vec<(Grammar, tree_sitter::Parser)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Parse `src` with the grammar and extract its facts. Never panics on input: a parser timeout
/// or a panic inside an extractor yields `parse_failed` facts.
pub fn parse_and_extract(grammar: Grammar, src: &[u8]) -> FileFacts {
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let pos = match parsers.iter().position(|(g, _)| *g == grammar) {
            Some(p) => p,
            None => {
                let mut p = tree_sitter::Parser::new();
                if p.set_language(&grammar.ts_language()).is_err() {
                    return None;
                }
                parsers.push((grammar, p));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[pos].1;
        let deadline = std::time::Instant::now() + PARSE_TIMEOUT;
        let mut progress = |_: &tree_sitter::ParseState| std::time::Instant::now() >= deadline;
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let len = src.len();
        let tree = parser.parse_with_options(
            &mut |offset, _| if offset < len { &src[offset..] } else { &[] },
            None,
            Some(options),
        );
        parser.reset();
        tree
    });
    let Some(tree) = tree else {
        return FileFacts {
            parse_failed: true,
            ..FileFacts::default()
        };
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut facts = match grammar {
            Grammar::Python => python::extract(&tree, src),
            Grammar::TypeScript | Grammar::Tsx | Grammar::JavaScript => {
                typescript::extract(&tree, src, grammar)
            }
            Grammar::Go => go::extract(&tree, src),
            Grammar::Rust => rust::extract(&tree, src),
            Grammar::Java => java::extract(&tree, src),
            Grammar::CSharp => csharp::extract(&tree, src),
        };
        facts.parse_errors = common::count_errors(tree.root_node());
        facts
    }));
    match result {
        Ok(facts)
            if facts.defs.iter().map(|d| d.qname.len()).sum::<usize>() <= QNAME_BUDGET_BYTES =>
        {
            facts
        }
        Ok(facts) => FileFacts {
            parse_failed: true,
            parse_errors: facts.parse_errors,
            ..FileFacts::default()
        },
        Err(_) => FileFacts {
            parse_failed: true,
            ..FileFacts::default()
        },
    }
}

/// Load every grammar and parse a one-line snippet in each; the error names the grammar
/// (`indexer.md` §2: a failure is a start failure).
pub fn self_check() -> Result<(), String> {
    for g in Grammar::ALL {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&g.ts_language())
            .map_err(|e| format!("cannot load {}: {e}", g.name()))?;
        let snippet: &[u8] = match g {
            Grammar::Python => b"x = 1\n",
            Grammar::Go => b"package p\n",
            Grammar::Rust => b"fn f() {}\n",
            Grammar::Java => b"class C {}\n",
            Grammar::CSharp => b"class C {}\n",
            _ => b"let x = 1;\n",
        };
        p.parse(snippet, None)
            .ok_or_else(|| format!("{} failed to parse a one-line snippet", g.name()))?;
    }
    Ok(())
}
