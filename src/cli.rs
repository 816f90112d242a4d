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
    propagate_version = true
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build or refresh the project's mubase (.mu/mubase).
    #[command(
        long_about = "Build or refresh the project's mubase (.mu/mubase). Files whose content \
                      hash is unchanged are not re-parsed unless --force is given. PATH defaults \
                      to the current directory; the nearest enclosing directory that holds \
                      .mu/mubase is the project root, otherwise PATH itself becomes one."
    )]
    Index(IndexArgs),
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
