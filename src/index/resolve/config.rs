//! Resolution config files: lenient JSON (tsconfig/jsconfig/package.json), tsconfig `extends`
//! chains, JS workspaces, `.murc.toml` `[resolve] python_roots` (`indexer.md` §8.2, §8.3).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::paths;

/// Parse JSON that may contain `//` and `/* */` comments and trailing commas.
pub fn parse_lenient_json(text: &str) -> Option<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    // Pass 1: drop comments.
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_str = false;
    while let Some(&c) = chars.get(i) {
        if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match (c, chars.get(i + 1).copied()) {
            ('"', _) => {
                in_str = true;
                out.push(c);
                i += 1;
            }
            ('/', Some('/')) => {
                while let Some(&c2) = chars.get(i) {
                    if c2 == '\n' {
                        break;
                    }
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i < chars.len() {
                    if chars.get(i) == Some(&'*') && chars.get(i + 1) == Some(&'/') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
                out.push(' ');
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Pass 2: drop trailing commas.
    let chars: Vec<char> = out.chars().collect();
    let mut clean = String::with_capacity(out.len());
    let mut in_str = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if in_str {
            clean.push(c);
            if c == '\\' {
                if let Some(&n) = chars.get(i + 1) {
                    clean.push(n);
                    i += 1;
                }
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_str = true;
        } else if c == ',' {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                j += 1;
            }
            if matches!(chars.get(j), Some('}') | Some(']')) {
                i += 1;
                continue;
            }
        }
        clean.push(c);
        i += 1;
    }
    serde_json::from_str(&clean).ok()
}

/// `[resolve] python_roots = ["a", "b"]` of `.murc.toml` (a minimal reader for that one key;
/// multi-line arrays accepted).
pub fn murc_python_roots(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut collecting: Option<String> = None;
    for raw in text.lines() {
        let line = strip_toml_comment(raw).trim().to_string();
        if let Some(buf) = collecting.as_mut() {
            buf.push_str(&line);
            buf.push(' ');
            if line.contains(']') {
                let b = buf.clone();
                return toml_string_list(&b);
            }
            continue;
        }
        if line.starts_with('[') && !line.contains('=') {
            section = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        let full_key_matches = (section == "resolve" && key == "python_roots")
            || (section.is_empty() && key == "resolve.python_roots");
        if !full_key_matches {
            continue;
        }
        let value = value.trim();
        if value.contains(']') {
            return toml_string_list(value);
        }
        collecting = Some(format!("{value} "));
    }
    Vec::new()
}

fn strip_toml_comment(line: &str) -> &str {
    let mut in_str: Option<char> = None;
    for (i, c) in line.char_indices() {
        match in_str {
            Some(q) if c == q => in_str = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => in_str = Some(c),
            None if c == '#' => return &line[..i],
            None => {}
        }
    }
    line
}

fn toml_string_list(value: &str) -> Vec<String> {
    let inner = value
        .trim()
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or("");
    inner
        .split(',')
        .map(|s| s.trim().trim_matches(|c| c == '"' || c == '\'').trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
        .collect()
}

/// Effective path mapping of one tsconfig/jsconfig after its `extends` chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TsConfig {
    /// Resolved `baseUrl` directory (relative to the project root).
    pub base_url: Option<String>,
    /// `compilerOptions.paths` in file order.
    pub paths: Vec<(String, Vec<String>)>,
    /// Directory of the config that declared `paths`.
    pub paths_dir: String,
}

impl TsConfig {
    /// Directory substitutions are relative to.
    pub fn subst_base(&self) -> &str {
        self.base_url.as_deref().unwrap_or(&self.paths_dir)
    }
}

/// Parsed config JSON files and the resolved tsconfig chains (memoised).
pub struct ConfigFiles<'a> {
    pub files: &'a BTreeMap<String, String>,
    json: HashMap<&'a str, Value>,
}

impl<'a> ConfigFiles<'a> {
    pub fn new(files: &'a BTreeMap<String, String>) -> Self {
        let mut json = HashMap::new();
        for (path, text) in files {
            if path.ends_with(".json") {
                if let Some(v) = parse_lenient_json(text) {
                    json.insert(path.as_str(), v);
                }
            }
        }
        ConfigFiles { files, json }
    }

    pub fn json(&self, path: &str) -> Option<&Value> {
        self.json.get(path)
    }

    pub fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Effective config at `path` (which must exist), following `extends` up to 10 levels.
    pub fn tsconfig(&self, path: &str) -> TsConfig {
        self.tsconfig_depth(path, 0)
    }

    fn tsconfig_depth(&self, path: &str, depth: u32) -> TsConfig {
        let mut cfg = TsConfig::default();
        let Some(v) = self.json(path) else {
            return cfg;
        };
        let dir = paths::dirname(path);
        if depth < 10 {
            let extends: Vec<&str> = match v.get("extends") {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect(),
                _ => Vec::new(),
            };
            for ext in extends {
                if let Some(p) = self.extends_target(dir, ext) {
                    let base = self.tsconfig_depth(&p, depth + 1);
                    if base.base_url.is_some() {
                        cfg.base_url = base.base_url;
                    }
                    if !base.paths.is_empty() {
                        cfg.paths = base.paths;
                        cfg.paths_dir = base.paths_dir;
                    }
                }
            }
        }
        if let Some(co) = v.get("compilerOptions") {
            if let Some(b) = co.get("baseUrl").and_then(|b| b.as_str()) {
                cfg.base_url = paths::join(dir, b);
            }
            if let Some(Value::Object(map)) = co.get("paths") {
                cfg.paths = map
                    .iter()
                    .map(|(k, v)| {
                        let subs = match v {
                            Value::Array(a) => a
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect(),
                            Value::String(s) => vec![s.clone()],
                            _ => Vec::new(),
                        };
                        (k.clone(), subs)
                    })
                    .collect();
                cfg.paths_dir = dir.to_string();
            }
        }
        cfg
    }

    fn extends_target(&self, dir: &str, ext: &str) -> Option<String> {
        let bases: Vec<String> = if ext.starts_with("./") || ext.starts_with("../") {
            vec![paths::join(dir, ext)?]
        } else if ext.starts_with('/') {
            return None;
        } else {
            vec![paths::join("node_modules", ext)?]
        };
        for b in bases {
            let cands = [
                b.clone(),
                format!("{b}.json"),
                paths::child(&b, "tsconfig.json"),
            ];
            for c in cands {
                if self.json.contains_key(c.as_str()) {
                    return Some(c);
                }
            }
        }
        None
    }
}

/// A workspace package: its name, directory and parsed `package.json`.
#[derive(Debug, Clone)]
pub struct WsPackage {
    pub name: String,
    pub dir: String,
}

/// Workspace packages from the root `package.json` `workspaces` and `pnpm-workspace.yaml`.
pub fn workspace_packages(cfg: &ConfigFiles<'_>) -> Vec<WsPackage> {
    let mut globs: Vec<String> = Vec::new();
    if let Some(v) = cfg.json("package.json") {
        let list = match v.get("workspaces") {
            Some(Value::Array(a)) => Some(a),
            Some(Value::Object(o)) => o.get("packages").and_then(|p| p.as_array()),
            _ => None,
        };
        if let Some(list) = list {
            globs.extend(list.iter().filter_map(|x| x.as_str().map(str::to_string)));
        }
    }
    if let Some(text) = cfg.files.get("pnpm-workspace.yaml") {
        globs.extend(pnpm_packages(text));
    }
    let (neg, pos): (Vec<String>, Vec<String>) = globs
        .into_iter()
        .map(|g| {
            g.trim()
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string()
        })
        .partition(|g| g.starts_with('!'));
    let neg: Vec<String> = neg.iter().map(|g| g[1..].to_string()).collect();
    let mut out: Vec<WsPackage> = Vec::new();
    for path in cfg.files.keys() {
        if paths::basename(path) != "package.json" || path == "package.json" {
            continue;
        }
        if path.split('/').any(|s| s == "node_modules") {
            continue;
        }
        let dir = paths::dirname(path);
        if !pos.iter().any(|g| glob_match(g, dir)) || neg.iter().any(|g| glob_match(g, dir)) {
            continue;
        }
        let Some(name) = cfg
            .json(path)
            .and_then(|v| v.get("name"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        out.push(WsPackage {
            name: name.to_string(),
            dir: dir.to_string(),
        });
    }
    out
}

/// The `packages:` list of a pnpm-workspace.yaml (simple line-based reader).
pub fn pnpm_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let no_comment = line.split(" #").next().unwrap_or("");
        let t = no_comment.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t') || t.starts_with('-');
        if !indented {
            inside = t.starts_with("packages:");
            if inside {
                // Inline flow list: packages: ["a/*", "b"]
                let rest = t["packages:".len()..].trim();
                if rest.starts_with('[') {
                    out.extend(toml_string_list(rest));
                    inside = false;
                }
            }
            continue;
        }
        if inside {
            if let Some(item) = t.strip_prefix('-') {
                let item = item.trim().trim_matches(|c| c == '"' || c == '\'');
                if !item.is_empty() {
                    out.push(item.to_string());
                }
            }
        }
    }
    out
}

/// Glob match of a '/'-separated path with `*` (within a segment) and `**` (any segments).
pub fn glob_match(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    glob_segs(&g, &p, 0)
}

fn glob_segs(g: &[&str], p: &[&str], depth: u32) -> bool {
    if depth > 64 {
        return false;
    }
    match g.first() {
        None => p.is_empty(),
        Some(&"**") => (0..=p.len()).any(|k| glob_segs(&g[1..], &p[k..], depth + 1)),
        Some(seg) => match p.first() {
            Some(first) => seg_match(seg, first) && glob_segs(&g[1..], &p[1..], depth + 1),
            None => false,
        },
    }
}

fn seg_match(pat: &str, s: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let first = parts.first().copied().unwrap_or("");
    let last = parts.last().copied().unwrap_or("");
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_json() {
        let v = parse_lenient_json(
            "{\n // c\n \"a\": [1, 2,], /* x */ \"b\": \"//not\", \"c\": {\"d\": 1,},\n}",
        )
        .unwrap();
        assert_eq!(v["b"], "//not");
        assert_eq!(v["a"][1], 2);
        assert_eq!(v["c"]["d"], 1);
    }

    #[test]
    fn murc() {
        let t = "[scanner]\nignore=[\"x\"]\n[resolve]\npython_roots = [\"lib\", \"./app/\"] # c\n";
        assert_eq!(murc_python_roots(t), vec!["lib", "app"]);
        let t = "[resolve]\npython_roots = [\n  \"a\",\n  \"b\",\n]\n";
        assert_eq!(murc_python_roots(t), vec!["a", "b"]);
    }

    #[test]
    fn globs_and_pnpm() {
        assert!(glob_match("packages/*", "packages/a"));
        assert!(!glob_match("packages/*", "packages/a/b"));
        assert!(glob_match("packages/**", "packages/a/b"));
        assert!(glob_match("apps/web-*", "apps/web-x"));
        let y = "packages:\n  - 'packages/*'\n  - \"apps/**\"\n  # c\nother: 1\n";
        assert_eq!(pnpm_packages(y), vec!["packages/*", "apps/**"]);
    }
}
