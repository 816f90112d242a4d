//! Helpers shared by the extractors: node text, lines, whitespace normalisation, docstrings.

use tree_sitter::Node;

/// Source bytes of a node (empty if the node lies outside `src`, which a tree parsed from
/// `src` never does).
pub fn bytes<'a>(node: Node, src: &'a [u8]) -> &'a [u8] {
    src.get(node.start_byte()..node.end_byte()).unwrap_or(&[])
}

/// Source text of a node, decoded lossily (invalid UTF-8 becomes U+FFFD).
pub fn text<'a>(node: Node, src: &'a [u8]) -> std::borrow::Cow<'a, str> {
    String::from_utf8_lossy(bytes(node, src))
}

/// 1-based first line of a node.
pub fn line_start(node: Node) -> u32 {
    node.start_position().row as u32 + 1
}

/// 1-based last line of a node. A node ending at column 0 of a line (a trailing newline
/// included in the node) ends on the previous line.
pub fn line_end(node: Node) -> u32 {
    let end = node.end_position();
    if end.column == 0 && end.row > node.start_position().row {
        end.row as u32
    } else {
        end.row as u32 + 1
    }
}

/// Named children of a node, skipping nodes of kind `comment` (Python, Go, C#).
pub fn named_children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// First named child that is not of kind `comment`.
pub fn first_named<'t>(n: Node<'t>) -> Option<Node<'t>> {
    let mut cursor = n.walk();
    let found = n
        .named_children(&mut cursor)
        .find(|c| c.kind() != "comment");
    found
}

/// Runs of whitespace become one space; leading/trailing whitespace removed.
pub fn normalize_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Cut to at most `max` characters (not bytes).
pub fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Number of `ERROR` and `MISSING` nodes in the tree.
pub fn count_errors(root: Node) -> u32 {
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Only descend into subtrees that contain an error.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return count;
            }
        }
    }
}

/// Docstring cleanup (`indexer.md` §5.6): common indentation removed (first line excluded from
/// the indentation computation), trimmed, cut to 2,000 characters. Comment markers must already
/// be stripped by the caller.
pub fn clean_docstring(raw: &str) -> Option<String> {
    let lines: Vec<&str> = raw.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(l.get(indent..).unwrap_or_else(|| l.trim_start()));
        } else {
            out.push_str(l.trim_start());
        }
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(cut_chars(trimmed, 2000))
    }
}
