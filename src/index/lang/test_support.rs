//! Helpers shared by the extractors' unit tests.

use tree_sitter::Tree;

use crate::index::facts::{LocalTy, LocalType};

/// Parse `src` with `language` (test input is always parseable).
pub fn parse(language: tree_sitter::Language, src: &[u8]) -> Tree {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).unwrap();
    parser.parse(src, None).unwrap()
}

pub fn s(x: &str) -> String {
    x.to_string()
}

pub fn declared(name: &str, ty: &str) -> LocalType {
    LocalType {
        name: s(name),
        ty: LocalTy::Declared(s(ty)),
    }
}

pub fn ctor(name: &str, ty: &str) -> LocalType {
    LocalType {
        name: s(name),
        ty: LocalTy::Ctor(s(ty)),
    }
}

pub fn unknown(name: &str) -> LocalType {
    LocalType {
        name: s(name),
        ty: LocalTy::Unknown,
    }
}
