//! Small helpers on relative, '/'-separated project paths.

/// Directory part of a relative path (`""` for a file at the root).
pub fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Last segment of a path.
pub fn basename(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// File stem: the base name up to its last `.` (a leading dot does not count).
pub fn file_stem(path: &str) -> &str {
    let base = basename(path);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}

/// Join `rel` onto directory `dir` and normalise `.`/`..`/empty segments. `None` when the
/// result would leave the project root or `rel` is absolute.
pub fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in dir.split('/').chain(rel.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `dir/name` without a leading `/` when `dir` is the root.
pub fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Every proper ancestor directory of `path` (`a/b/c.py` → `a/b`, `a`, `""`).
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut cur = Some(path);
    std::iter::from_fn(move || {
        let p = cur?;
        if p.is_empty() {
            cur = None;
            return None;
        }
        let d = dirname(p);
        cur = Some(d);
        Some(d)
    })
}

/// Extension of the last segment (without the dot), if any.
pub fn extension(path: &str) -> Option<&str> {
    let base = basename(path);
    match base.rfind('.') {
        Some(i) if i > 0 => Some(&base[i + 1..]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_helpers() {
        assert_eq!(dirname("a/b/c.py"), "a/b");
        assert_eq!(dirname("c.py"), "");
        assert_eq!(file_stem("pkg/__init__.py"), "__init__");
        assert_eq!(file_stem("web/index.ts"), "index");
        assert_eq!(file_stem(".eslintrc.js"), ".eslintrc");
        assert_eq!(join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join("a", "../../c"), None);
        assert_eq!(join("", "./x/./y"), Some("x/y".to_string()));
        let anc: Vec<&str> = ancestors("a/b/c.py").collect();
        assert_eq!(anc, vec!["a/b", "a", ""]);
        assert_eq!(extension("./logo.svg"), Some("svg"));
    }
}
