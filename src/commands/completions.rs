//! `mu-daemon completions <SHELL>` (`cli-and-registry.md` §3.8).

use serde_json::{json, Map};

use super::{CliError, Ctx};
use crate::cli::CompletionsArgs;

/// The completion script for a shell.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mu-daemon", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

pub fn run(ctx: &Ctx, args: &CompletionsArgs) -> Result<(), CliError> {
    let text = script(args.shell);
    if ctx.json {
        let mut body = Map::new();
        body.insert("shell".into(), json!(args.shell.to_string()));
        body.insert("script".into(), json!(text));
        ctx.print_json("completions", body);
    } else {
        super::out(&text);
    }
    Ok(())
}
