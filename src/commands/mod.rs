//! One file per subcommand: argument handling, human and `--json` output, exit codes
//! (`cli-and-registry.md` §2.3, §2.4). Errors of every layer are mapped to exit codes and JSON
//! error codes here, in [`CliError`].

mod completions;
mod index;

use clap::Parser;
use serde_json::{json, Map, Value};

use crate::cli::{Cli, Command};

/// Exit codes (`cli-and-registry.md` §2.3).
pub mod exit {
    pub const OK: i32 = 0;
    pub const USER: i32 = 1;
    pub const INTERNAL: i32 = 4;
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub exit: i32,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl CliError {
    pub fn new(code: &'static str, exit: i32, message: impl Into<String>) -> Self {
        CliError {
            code,
            exit,
            message: message.into(),
            extra: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }
}

impl From<crate::project::ProjectError> for CliError {
    fn from(e: crate::project::ProjectError) -> Self {
        use crate::project::ProjectError as P;
        match &e {
            P::NotFound(p) => CliError::new("invalid_path", exit::USER, e.to_string())
                .with("path", json!(p.display().to_string())),
            P::Refused(p) => CliError::new("refused_path", exit::USER, e.to_string())
                .with("path", json!(p.display().to_string())),
            P::Io { path, .. } => CliError::new("invalid_path", exit::USER, e.to_string())
                .with("path", json!(path.display().to_string())),
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError as S;
        match &e {
            S::Locked { pid, .. } => {
                CliError::new("database_locked", exit::USER, e.to_string()).with("pid", json!(pid))
            }
            S::Corrupt { .. } | S::Db { .. } => {
                CliError::new("internal", exit::INTERNAL, e.to_string())
            }
        }
    }
}

impl From<crate::index::IndexError> for CliError {
    fn from(e: crate::index::IndexError) -> Self {
        use crate::index::IndexError as I;
        match e {
            I::Store(s) => s.into(),
            I::ReadOnly(_) => CliError::new("database_too_new", exit::USER, e.to_string()),
            I::Pool(_) => CliError::new("internal", exit::INTERNAL, e.to_string()),
        }
    }
}

/// Output context shared by the commands.
pub struct Ctx {
    pub json: bool,
    pub verbose: u8,
}

impl Ctx {
    /// Print the one JSON object of a `--json` run.
    pub fn print_json(&self, command: &str, mut body: Map<String, Value>) {
        let mut obj = Map::new();
        obj.insert("schema_version".into(), json!(1));
        obj.insert("command".into(), json!(command));
        obj.append(&mut body);
        out(&format!("{}\n", Value::Object(obj)));
    }

    /// A warning on stderr (suppressed with `--json`).
    pub fn warn(&self, msg: &str) {
        if !self.json {
            eprintln!("Warning: {msg}");
        }
    }
}

/// Write to stdout. A closed pipe (`mu-daemon … | head`) is not an error worth a panic: the
/// reader has gone, so the rest of the output is dropped.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Parse the command line, run the command, return the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let ctx = Ctx {
        json: cli.json,
        verbose: cli.verbose,
    };
    let name = match &cli.command {
        Command::Index(_) => "index",
        Command::Completions(_) => "completions",
    };
    // A bug must still end with the documented exit code for internal errors (4), after the
    // panic message has been printed by the default hook.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &cli.command {
        Command::Index(a) => index::run(&ctx, a),
        Command::Completions(a) => completions::run(&ctx, a),
    }))
    .unwrap_or_else(|_| {
        Err(CliError::new(
            "internal",
            exit::INTERNAL,
            "internal error (a bug in mu-daemon; the message above says where)",
        ))
    });
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            if ctx.json {
                let mut err = Map::new();
                err.insert("code".into(), json!(e.code));
                err.insert("message".into(), json!(e.message));
                let mut extra = e.extra;
                err.append(&mut extra);
                let mut body = Map::new();
                body.insert("error".into(), Value::Object(err));
                ctx.print_json(name, body);
            } else {
                eprintln!("Error: {}", e.message);
            }
            e.exit
        }
    }
}
