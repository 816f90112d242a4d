//! One file per subcommand: argument handling, human and `--json` output, exit codes
//! (`cli-and-registry.md` §2.3, §2.4). Errors of every layer are mapped to exit codes and JSON
//! error codes here, in [`CliError`].

mod common;
mod completions;
mod index;
mod list;
mod query;
mod serve;
mod start;
mod status;
mod stop;

use clap::Parser;
use serde_json::{json, Map, Value};

use crate::cli::{Cli, Command};

/// Exit codes (`cli-and-registry.md` §2.3).
pub mod exit {
    pub const OK: i32 = 0;
    pub const USER: i32 = 1;
    pub const USAGE: i32 = 2;
    /// Start failure, or not running (`status`).
    pub const NOT_RUNNING: i32 = 3;
    pub const INTERNAL: i32 = 4;
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub exit: i32,
    pub message: String,
    pub extra: Map<String, Value>,
    /// A line printed after the error in human output (`Hint: …`).
    pub hint: Option<String>,
    /// Lines printed after the error in human output (a log tail).
    pub details: Vec<String>,
}

impl CliError {
    pub fn new(code: &'static str, exit: i32, message: impl Into<String>) -> Self {
        CliError {
            code,
            exit,
            message: message.into(),
            extra: Map::new(),
            hint: None,
            details: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn details(mut self, lines: Vec<String>) -> Self {
        self.details = lines;
        self
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

impl From<crate::registry::RegistryError> for CliError {
    fn from(e: crate::registry::RegistryError) -> Self {
        use crate::registry::RegistryError as R;
        match &e {
            R::LockTimeout { .. } => {
                CliError::new("registry_lock_timeout", exit::INTERNAL, e.to_string())
            }
            R::TooNew { .. } => CliError::new("registry_too_new", exit::USER, e.to_string()),
            R::UnsafeHome { .. } => CliError::new("unsafe_mu_home", exit::USER, e.to_string()),
            R::Io { .. } => CliError::new("internal", exit::INTERNAL, e.to_string()),
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
            S::Corrupt { .. } | S::Db { .. } | S::Closed { .. } => {
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

/// MU's legacy launcher form (§3.9): `mu-daemon <root> --port N --build [--host H]`. When the
/// first argument that is not a global flag is neither a subcommand nor a help/version flag,
/// the invocation is `serve`.
fn legacy_argv(args: Vec<std::ffi::OsString>) -> (Vec<std::ffi::OsString>, bool) {
    let is_global = |a: &str| {
        matches!(a, "--json" | "--verbose")
            || (a.starts_with('-')
                && !a.starts_with("--")
                && a[1..].chars().all(|c| c == 'v')
                && a.len() > 1)
    };
    let Some(pos) = args
        .iter()
        .skip(1)
        .position(|a| !is_global(&a.to_string_lossy()))
        .map(|p| p + 1)
    else {
        return (args, false);
    };
    let first = args[pos].to_string_lossy().into_owned();
    let legacy_flag = matches!(
        first.split('=').next().unwrap_or(""),
        "--port" | "-p" | "--host" | "--no-watch" | "--mubase" | "--build" | "--mcp"
    );
    let subcommand = crate::cli::SUBCOMMANDS.contains(&first.as_str());
    if subcommand || (first.starts_with('-') && !legacy_flag) {
        return (args, false);
    }
    let mut out = args;
    out.insert(pos, "serve".into());
    (out, true)
}

/// Parse the command line, run the command, return the exit code.
pub fn main() -> i32 {
    let (argv, legacy) = legacy_argv(std::env::args_os().collect());
    if legacy && argv.iter().any(|a| a == "--mcp") {
        eprintln!("Error: stdio mode is not supported by mu-daemon.");
        return exit::USAGE;
    }
    let cli = Cli::parse_from(argv);
    let ctx = Ctx {
        json: cli.json,
        verbose: cli.verbose,
    };
    let name = match &cli.command {
        Command::Start(_) => "start",
        Command::Run(_) => "run",
        Command::Serve(_) => "serve",
        Command::Stop(_) => "stop",
        Command::List => "list",
        Command::Status(_) => "status",
        Command::Index(_) => "index",
        Command::Query(_) => "query",
        Command::Completions(_) => "completions",
    };
    // A bug must still end with the documented exit code for internal errors (4), after the
    // panic message has been printed by the default hook.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &cli.command {
        Command::Start(a) => start::run(&ctx, a),
        Command::Run(a) => serve::run(&ctx, a, serve::Mode::Run, None, &serve::Legacy::default())
            .map(|()| exit::OK),
        Command::Serve(a) => {
            if a.mcp {
                return Err(CliError::new(
                    "usage",
                    exit::USAGE,
                    "stdio mode is not supported by mu-daemon.",
                ));
            }
            let legacy = serve::Legacy {
                build: a.build,
                mubase: a.mubase.clone(),
            };
            serve::run(&ctx, &a.server, serve::Mode::Serve, a.ready_fd, &legacy).map(|()| exit::OK)
        }
        Command::Stop(a) => stop::run(&ctx, a),
        Command::List => list::run(&ctx),
        Command::Status(a) => status::run(&ctx, a),
        Command::Index(a) => index::run(&ctx, a).map(|()| exit::OK),
        Command::Query(a) => query::run(&ctx, a),
        Command::Completions(a) => completions::run(&ctx, a).map(|()| exit::OK),
    }))
    .unwrap_or_else(|_| {
        Err(CliError::new(
            "internal",
            exit::INTERNAL,
            "internal error (a bug in mu-daemon; the message above says where)",
        ))
    });
    match result {
        Ok(code) => code,
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
                if let Some(h) = &e.hint {
                    eprintln!("Hint: {h}");
                }
                for line in &e.details {
                    eprintln!("{line}");
                }
            }
            e.exit
        }
    }
}
