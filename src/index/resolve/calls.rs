//! Call resolution (`indexer.md` §10).

use crate::index::facts::{Callee, DefIdx, DefKind, Language, LocalTy, Receiver};

use super::builtins::is_builtin;
use super::symbols::{pick, Found, Pick, Resolver, TypeRes};

/// What a local name of a function is known to hold.
enum Local {
    /// Type text, resolved from the scope of this node.
    Typed(String, Option<usize>),
    Unknown,
    Absent,
}

impl Resolver<'_> {
    /// Target node of one call site, or `None` when the call is not linked.
    pub fn resolve_call(
        &self,
        file: usize,
        caller_def: Option<DefIdx>,
        callee: &Callee,
    ) -> Option<usize> {
        let caller = caller_def.and_then(|d| self.idx.def_node(file, d));
        match callee {
            Callee::Bare(name) => {
                let n = self.resolve_bare(file, caller, name)?;
                Some(self.callable(n))
            }
            Callee::SelfMember(f) => {
                let c = self.enclosing_class(caller)?;
                self.method(c, f)
            }
            Callee::SuperMember(f) => {
                let c = self.enclosing_class(caller)?;
                self.super_method(c, f)
            }
            Callee::New(text) => self.resolve_new(file, caller, text),
            Callee::Member { receiver, name } => {
                self.resolve_member(file, caller_def, caller, receiver, name)
            }
        }
    }

    /// A function node stays; a class becomes its constructor (or itself).
    fn callable(&self, n: usize) -> usize {
        if self.idx.is_class(n) {
            self.constructor(n)
        } else {
            n
        }
    }

    fn found_callable(&self, f: Option<Found>) -> Option<usize> {
        match f? {
            Found::Node(n) => Some(self.callable(n)),
            _ => None,
        }
    }

    /// Bare-name rules (a)–(f).
    pub fn resolve_bare(&self, file: usize, caller: Option<usize>, name: &str) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        // (a) nested definitions of the calling function and the functions enclosing it.
        for anc in self.idx.chain(caller) {
            if self.idx.is_class(anc) {
                continue;
            }
            if let Some(n) = pick(
                &self.idx,
                self.idx.children_of(file, Some(anc), name),
                |_| true,
            ) {
                return Some(n);
            }
        }
        let lang = self.idx.language(file)?;
        // (b) Java/C#: a method of the enclosing class, then of its outer classes (with bases).
        if matches!(lang, Language::Java | Language::CSharp) {
            for anc in self.idx.chain(caller) {
                if self.idx.is_class(anc) {
                    if let Some(m) = self.method(anc, name) {
                        return Some(m);
                    }
                }
            }
        }
        // (c) top-level definition of this file.
        if let Some(n) = self.idx.top_level(file, name) {
            return Some(n);
        }
        // (d) import bindings (explicit, then star imports).
        if self.is_bound(file, name) {
            return match self.binding(file, name)? {
                Found::Node(n) => Some(n),
                _ => None,
            };
        }
        if let Some(l) = self.links(file) {
            for &s in &l.py_stars {
                match self.lookup_export(s, name, 1) {
                    Some(Found::Node(n)) => return Some(n),
                    Some(_) => return None,
                    None => {}
                }
            }
            // Static imports (Java `import static a.C.*`, C# `using static N.C`).
            for &c in &l.static_classes {
                if let Some(m) = self.method(c, name) {
                    return Some(m);
                }
            }
            // (e) the package scope (Go: the other files of the package).
            for group in &l.scope_groups {
                match self.idx.top_level_in(group, name, false) {
                    Pick::One(n) => return Some(n),
                    Pick::Ambiguous => return None,
                    Pick::None => {}
                }
            }
        }
        // (f) unique global: Python, JS/TS, Go and Rust only.
        if matches!(lang, Language::Java | Language::CSharp) || is_builtin(lang, name) {
            return None;
        }
        let fam = lang.family();
        match self.idx.globals_by_name[fam].get(name).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    fn resolve_new(&self, file: usize, caller: Option<usize>, text: &str) -> Option<usize> {
        let text = text.trim();
        if text.contains('.') {
            let segs: Vec<&str> = text.split('.').collect();
            if let Some(n) = self.found_callable(self.resolve_path(file, &segs)) {
                return Some(n);
            }
        } else if let Some(n) = self.resolve_bare(file, caller, text) {
            return Some(self.callable(n));
        }
        match self.resolve_type(file, caller, text) {
            TypeRes::Class(c) => Some(self.constructor(c)),
            _ => None,
        }
    }

    fn local(&self, file: usize, caller_def: Option<DefIdx>, name: &str) -> Local {
        let Some(facts) = self.idx.files.get(file).map(|f| &f.facts) else {
            return Local::Absent;
        };
        let mut cur = caller_def;
        let mut steps = 0;
        while let Some(d) = cur {
            steps += 1;
            if steps > 256 {
                break;
            }
            let Some(def) = facts.defs.get(d as usize) else {
                break;
            };
            if def.kind == DefKind::Function {
                let entries: Vec<&LocalTy> = def
                    .locals
                    .iter()
                    .filter(|l| l.name == name)
                    .map(|l| &l.ty)
                    .collect();
                let scope = self.idx.def_node(file, d);
                match entries.as_slice() {
                    [] => {}
                    [LocalTy::Declared(t)] | [LocalTy::Ctor(t)] => {
                        return Local::Typed(t.clone(), scope)
                    }
                    _ => return Local::Unknown,
                }
                if let Some(p) = def
                    .function
                    .as_ref()
                    .and_then(|fi| fi.parameters.iter().find(|p| p.name == name))
                {
                    return match &p.type_ {
                        Some(t) => Local::Typed(t.clone(), scope),
                        None => Local::Unknown,
                    };
                }
            }
            cur = def.parent.filter(|&p| p < d);
        }
        Local::Absent
    }

    fn method_of_type(
        &self,
        file: usize,
        scope: Option<usize>,
        ty: &str,
        f: &str,
    ) -> Option<usize> {
        match self.resolve_type(file, scope, ty) {
            TypeRes::Class(c) => self.method(c, f),
            _ => None,
        }
    }

    fn resolve_member(
        &self,
        file: usize,
        caller_def: Option<DefIdx>,
        caller: Option<usize>,
        receiver: &Receiver,
        name: &str,
    ) -> Option<usize> {
        match receiver {
            Receiver::Ident(x) => {
                match self.local(file, caller_def, x) {
                    Local::Typed(t, scope) => return self.method_of_type(file, scope, &t, name),
                    Local::Unknown => return None,
                    Local::Absent => {}
                }
                if self.is_bound(file, x) {
                    return match self.binding(file, x)? {
                        Found::Module(m) => self.found_callable(self.lookup_export(m, name, 0)),
                        found @ Found::Package(_) => {
                            self.found_callable(self.member_of(&found, name))
                        }
                        Found::Node(n) if self.idx.is_class(n) => self.method(n, name),
                        _ => None,
                    };
                }
                // Java/C#: a field of the enclosing class used without `this.` (§10: field type).
                let lang = self.idx.language(file)?;
                if matches!(lang, Language::Java | Language::CSharp) {
                    if let Some(c) = self.enclosing_class(caller) {
                        if let Some((owner, ty)) = self.field_type(c, x) {
                            let owner_file = self.idx.node(owner)?.file;
                            return self.method_of_type(owner_file, Some(owner), &ty, name);
                        }
                    }
                }
                self.method_of_type(file, caller, x, name)
            }
            Receiver::Path(segs) => {
                let first = segs.first()?;
                if !matches!(self.local(file, caller_def, first), Local::Absent) {
                    return None;
                }
                let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
                match self.resolve_path(file, &segs) {
                    Some(Found::Module(m)) => {
                        return self.found_callable(self.lookup_export(m, name, 0))
                    }
                    Some(found @ Found::Package(_)) => {
                        return self.found_callable(self.member_of(&found, name))
                    }
                    Some(Found::Node(n)) if self.idx.is_class(n) => return self.method(n, name),
                    Some(_) => return None,
                    None => {}
                }
                self.method_of_type(file, caller, &segs.join("."), name)
            }
            Receiver::SelfField(x) => {
                let c = self.enclosing_class(caller)?;
                let (owner, ty) = self.field_type(c, x)?;
                let owner_file = self.idx.node(owner)?.file;
                self.method_of_type(owner_file, Some(owner), &ty, name)
            }
            Receiver::NewOf(t) => self.method_of_type(file, caller, t, name),
            Receiver::Other => None,
        }
    }

    /// Declared type of field `x` on class `c` or its bases (breadth-first).
    fn field_type(&self, c: usize, x: &str) -> Option<(usize, String)> {
        let mut level = vec![c];
        let mut seen = std::collections::HashSet::new();
        for _ in 0..64 {
            if level.is_empty() {
                break;
            }
            level.retain(|n| seen.insert(*n));
            level.sort_by(|a, b| {
                let ia = self.idx.node(*a).map(|n| n.id.as_str()).unwrap_or("");
                let ib = self.idx.node(*b).map(|n| n.id.as_str()).unwrap_or("");
                ia.cmp(ib)
            });
            for &k in &level {
                let Some(node) = self.idx.node(k) else {
                    continue;
                };
                let Some(facts) = self.idx.files.get(node.file).map(|f| &f.facts) else {
                    continue;
                };
                for &d in &node.defs {
                    let ft = facts
                        .defs
                        .get(d as usize)
                        .and_then(|d| d.class.as_ref())
                        .and_then(|ci| ci.field_types.iter().find(|(n, _)| n == x));
                    if let Some((_, t)) = ft {
                        return Some((k, t.clone()));
                    }
                }
            }
            let mut next = Vec::new();
            for &k in &level {
                for &b in self.bases(k) {
                    if !seen.contains(&b) && !next.contains(&b) {
                        next.push(b);
                    }
                }
            }
            level = next;
        }
        None
    }
}
