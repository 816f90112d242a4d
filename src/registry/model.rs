//! The `daemons.json` document (§7.2, §7.3): tolerant parsing into well-formed and malformed
//! entries, and the canonical writer (pretty, 2-space indent, trailing newline, sorted entries,
//! unknown fields kept at both levels).

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::Entry;

/// The entry fields this version understands, in the order writers emit them.
pub(crate) const KNOWN_FIELDS: [&str; 10] = [
    "project_path",
    "pid",
    "port",
    "mubase_path",
    "started_at",
    "last_heartbeat",
    "host",
    "process_start_time",
    "daemon_version",
    "log_path",
];

/// One element of the `daemons` array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// Understood: used for decisions.
    Entry(Entry),
    /// Not understood (§7.3): written back exactly as read, never used for decisions.
    Malformed { raw: Value, reason: String },
}

impl Slot {
    /// The string `project_path` of the element if it has one, for sorting.
    fn sort_key(&self) -> Option<String> {
        match self {
            Slot::Entry(e) => Some(path_string(&e.project_path)),
            Slot::Malformed { raw, .. } => raw
                .get("project_path")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// A parsed registry document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub version: u64,
    /// Top-level members other than `version` and `daemons`, kept unchanged.
    pub extra: Map<String, Value>,
    pub slots: Vec<Slot>,
}

impl Default for Document {
    fn default() -> Self {
        Document {
            version: super::REGISTRY_VERSION,
            extra: Map::new(),
            slots: Vec::new(),
        }
    }
}

impl Document {
    /// Parse the bytes of a registry file. `Err` means the file is unreadable in the sense of
    /// §7.5 (invalid JSON, empty, truncated, or wrong top-level shape); malformed entries are not
    /// an error.
    pub fn parse(bytes: &[u8]) -> Result<Document, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let Value::Object(mut top) = value else {
            return Err("the top level is not an object".into());
        };
        let version = match top.remove("version") {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| "\"version\" is not a non-negative integer".to_string())?,
            None => return Err("\"version\" is missing".into()),
        };
        let daemons = match top.remove("daemons") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err("\"daemons\" is not an array".into()),
            None => return Err("\"daemons\" is missing".into()),
        };
        let slots = daemons.into_iter().map(parse_slot).collect();
        Ok(Document {
            version,
            extra: top,
            slots,
        })
    }

    /// The canonical text: entries sorted by `project_path` (elements without a string
    /// `project_path` last, in their original order), pretty-printed with 2-space indentation and
    /// a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut sorted = self.clone();
        sorted.sort();
        let mut out = serde_json::to_vec_pretty(&sorted).expect("serialising JSON values");
        out.push(b'\n');
        out
    }

    /// Stable sort by `project_path`.
    pub fn sort(&mut self) {
        self.slots
            .sort_by(|a, b| match (a.sort_key(), b.sort_key()) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Entry(e) => Some(e),
            Slot::Malformed { .. } => None,
        })
    }

    /// One warning per malformed element, `<i>` counting from 0 in the current order:
    /// `Registry <file> has a malformed entry (daemons[<i>]): <reason>; it is kept and ignored.`
    pub fn malformed_warnings(&self, file: &Path) -> Vec<String> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Slot::Malformed { reason, .. } => Some(format!(
                    "Registry {} has a malformed entry (daemons[{i}]): {reason}; it is kept and ignored.",
                    file.display()
                )),
                Slot::Entry(_) => None,
            })
            .collect()
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Slots<'a>(&'a [Slot]);
        impl Serialize for Slots<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for slot in self.0 {
                    match slot {
                        Slot::Entry(e) => seq.serialize_element(e)?,
                        Slot::Malformed { raw, .. } => seq.serialize_element(raw)?,
                    }
                }
                seq.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("daemons", &Slots(&self.slots))?;
        for (k, v) in &self.extra {
            if k != "version" && k != "daemons" {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl Serialize for Entry {
    /// Known fields in the §7.2 order (absent optional fields omitted), then unknown fields.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("project_path", &path_string(&self.project_path))?;
        m.serialize_entry("pid", &self.pid)?;
        m.serialize_entry("port", &self.port)?;
        if let Some(p) = &self.mubase_path {
            m.serialize_entry("mubase_path", &path_string(p))?;
        }
        if let Some(t) = &self.started_at {
            m.serialize_entry("started_at", &format_time(t))?;
        }
        if let Some(t) = &self.last_heartbeat {
            m.serialize_entry("last_heartbeat", &format_time(t))?;
        }
        if let Some(h) = &self.host {
            m.serialize_entry("host", h)?;
        }
        if let Some(t) = &self.process_start_time {
            m.serialize_entry("process_start_time", t)?;
        }
        if let Some(v) = &self.daemon_version {
            m.serialize_entry("daemon_version", v)?;
        }
        if let Some(p) = &self.log_path {
            m.serialize_entry("log_path", &path_string(p))?;
        }
        for (k, v) in &self.extra {
            if !KNOWN_FIELDS.contains(&k.as_str()) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// `2026-11-27T09:14:03Z`; sub-second digits only when the value has them.
pub(crate) fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn parse_slot(raw: Value) -> Slot {
    match parse_entry(&raw) {
        Ok(e) => Slot::Entry(e),
        Err(reason) => Slot::Malformed { raw, reason },
    }
}

/// A well-formed entry, or the reason it is malformed (§7.3): `project_path`, `pid` and `port`
/// are required; every known field that is present must have the right type (`null` is a wrong
/// type). `project_path` must be absolute, `pid` a positive `pid_t`, `port` in 1..=65535.
fn parse_entry(raw: &Value) -> Result<Entry, String> {
    let Value::Object(obj) = raw else {
        return Err("not a JSON object".into());
    };
    let wrong = |k: &str| format!("\"{k}\" has the wrong type");
    let string = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong(k)),
        }
    };
    let uint = |k: &str| -> Result<Option<u64>, String> {
        match obj.get(k) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| wrong(k)),
        }
    };
    let time = |k: &str| -> Result<Option<DateTime<Utc>>, String> {
        match string(k)? {
            None => Ok(None),
            Some(s) => DateTime::parse_from_rfc3339(&s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| format!("\"{k}\" is not an RFC 3339 date-time")),
        }
    };
    let missing = |k: &str| format!("\"{k}\" is missing");

    let project_path = string("project_path")?.ok_or_else(|| missing("project_path"))?;
    if !project_path.starts_with('/') {
        return Err("\"project_path\" is not an absolute path".into());
    }
    let pid = uint("pid")?.ok_or_else(|| missing("pid"))?;
    if pid == 0 || pid > i32::MAX as u64 {
        return Err("\"pid\" is out of range".into());
    }
    let port = uint("port")?.ok_or_else(|| missing("port"))?;
    if port == 0 || port > u16::MAX as u64 {
        return Err("\"port\" is out of range".into());
    }
    let extra = obj
        .iter()
        .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Entry {
        project_path: PathBuf::from(project_path),
        pid: pid as u32,
        port: port as u16,
        mubase_path: string("mubase_path")?.map(PathBuf::from),
        started_at: time("started_at")?,
        last_heartbeat: time("last_heartbeat")?,
        host: string("host")?,
        process_start_time: uint("process_start_time")?,
        daemon_version: string("daemon_version")?,
        log_path: string("log_path")?.map(PathBuf::from),
        extra,
    })
}
