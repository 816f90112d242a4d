//! The command line (`cli-and-registry.md` §2, §3): clap definitions only. Also the source of the
//! generated `completions/` and `man/` files.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mu-daemon",
    version,
    about = "Local code-graph daemon: indexes a project into .mu/mubase and serves it",
    long_about = "mu-daemon builds a code graph (modules, classes, functions, external packages and \
                  the contains/imports/inherits/calls/uses edges between them) for a project and \
                  stores it in DuckDB at <project>/.mu/mubase.",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Print exactly one JSON object on stdout instead of human-readable output.
    #[arg(long, global = true)]
    pub json: bool,

    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// Subcommand names: an invocation whose first argument is none of these is MU's legacy
/// launcher form `mu-daemon <root> --port N --build` (§3.9) and runs as `serve`.
pub const SUBCOMMANDS: &[&str] = &[
    "start",
    "run",
    "serve",
    "stop",
    "list",
    "status",
    "index",
    "query",
    "completions",
    "help",
];

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a background daemon for the project and wait until it is ready.
    #[command(
        long_about = "Start a background daemon for the project and return once it serves. \
                      Indexes the project first when .mu/mubase is missing. Already running for \
                      this project: says where and exits 0."
    )]
    Start(ServerArgs),
    /// Run the daemon in the foreground, logging to the terminal; Ctrl-C stops it.
    Run(ServerArgs),
    /// The daemon process itself (what `start` launches; for supervisors such as systemd).
    Serve(ServeArgs),
    /// Stop daemons: this project's, the one on a port, or all of them.
    Stop(StopArgs),
    /// List the running daemons of this user.
    List,
    /// Report on this project's daemon (exit 3 when none runs).
    Status(StatusArgs),
    /// Build or refresh the project's mubase (.mu/mubase).
    #[command(
        long_about = "Build or refresh the project's mubase (.mu/mubase). Files whose content \
                      hash is unchanged are not re-parsed unless --force is given. PATH defaults \
                      to the current directory; the nearest enclosing directory that holds \
                      .mu/mubase is the project root, otherwise PATH itself becomes one."
    )]
    Index(IndexArgs),
    /// Run a MUQL query (or one read-only SQL SELECT) on the project's graph.
    #[command(
        long_about = "Run a MUQL query (or one read-only SQL SELECT) on the project's graph and \
                      print the result as a table, as CSV (--csv) or as JSON (--json). The \
                      project's running daemon answers when there is one; otherwise the mubase \
                      is opened read-only. Examples: 'SHOW callers OF OrderService.place', \
                      'fn c>10 sort c- 5', 'SELECT name, fan_in FROM classes ORDER BY fan_in \
                      DESC LIMIT 10'. Exit 1 when the query has an error."
    )]
    Query(QueryArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Project directory (or a file or directory inside it).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Rebuild everything, ignoring content hashes.
    #[arg(long)]
    pub force: bool,
}

/// Server options shared by `start`, `run` and `serve` (§2.5).
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Project directory (or a file or directory inside it).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// TCP port; 0 lets the operating system choose a free one.
    #[arg(short, long, default_value_t = 9120)]
    pub port: u16,
    /// Address to listen on: an IP literal or `localhost`. A non-loopback address needs a token.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Bearer token (at least 16 characters) every request must carry. Prefer MU_DAEMON_TOKEN:
    /// arguments are visible to other users in `ps`.
    #[arg(long, env = "MU_DAEMON_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Do not watch files; the graph changes only through /build and `index`.
    #[arg(long)]
    pub no_watch: bool,
    /// MUQL/SQL time cap in seconds (1 to 300).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub query_timeout: u64,
    /// DuckDB thread cap for this daemon [default: min(4, CPUs)].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub db_threads: Option<u32>,
    /// DuckDB memory limit for this daemon, e.g. 512MiB.
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    pub db_memory: String,
}

/// `serve`: the server options plus the readiness pipe and MU's legacy flags (§3.3, §3.9).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Write end of the readiness pipe (set by `start`).
    #[arg(long, hide = true)]
    pub ready_fd: Option<i32>,
    /// Legacy: serve first, then run an incremental index in the background.
    #[arg(long, hide = true)]
    pub build: bool,
    /// Legacy: must equal <PATH>/.mu/mubase.
    #[arg(long, hide = true)]
    pub mubase: Option<PathBuf>,
    /// Legacy: MU's stdio mode, not supported.
    #[arg(long, hide = true)]
    pub mcp: bool,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Project whose daemon to stop [default: the current directory].
    #[arg(conflicts_with_all = ["all", "port"])]
    pub path: Option<PathBuf>,
    /// Stop every running daemon, in parallel.
    #[arg(long, conflicts_with = "port")]
    pub all: bool,
    /// Stop the daemon serving this port.
    #[arg(short, long)]
    pub port: Option<u16>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Project directory (or a file or directory inside it).
    #[arg(default_value = ".")]
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query: MUQL (SELECT, SHOW, FIND, PATH, ANALYZE, DESCRIBE or a terse form) or SQL.
    pub muql: String,
    /// Project directory (or a file or directory inside it).
    #[arg(short = 'C', long = "path", default_value = ".")]
    pub path: PathBuf,
    /// Print the rows as CSV: a header line, then one line per row.
    #[arg(long)]
    pub csv: bool,
    /// Time cap in seconds when no daemon runs and the mubase is read directly (a running
    /// daemon applies its own --query-timeout).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The clap command, for generators.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// A DuckDB memory size such as `512MiB`, `1GiB` or `2GB`.
fn parse_size(s: &str) -> Result<String, String> {
    let t = s.trim();
    let digits = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let units = ["", "B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"];
    match num.parse::<f64>() {
        Ok(n) if n > 0.0 && units.iter().any(|u| u.eq_ignore_ascii_case(unit.trim())) => {
            Ok(t.to_string())
        }
        _ => Err(format!(
            "'{s}' is not a size; use a number with a unit, e.g. 512MiB or 1GiB"
        )),
    }
}
