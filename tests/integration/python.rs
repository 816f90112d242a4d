//! MU's Python paths, with the standard library only: the shell-out path
//! (`tests/python/test_shellout.py`: subcommands with `--json`, urllib) and the API client
//! (`tests/python/test_api_client.py`: every call of MU's `DaemonClient`). CI installs python3;
//! without it these tests fail rather than skip.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon_support::run_cmd;
use crate::support::{fixtures_dir, BIN};

fn run_script(name: &str) {
    let python = Command::new("python3").arg("--version").output();
    if let Err(e) = python {
        panic!("python3 is required for tests/python/{name} but cannot be run: {e}");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name);
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .env("MU_DAEMON_BIN", BIN)
        .env("MU_SHOP_FIXTURE", fixtures_dir().join("shop"))
        .env_remove("MU_LOG")
        .env_remove("MU_DAEMON_TOKEN");
    let out = run_cmd(cmd, Duration::from_secs(300));
    assert_eq!(
        out.code,
        0,
        "python3 {} failed (exit {}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        script.display(),
        out.code,
        out.stdout,
        out.stderr
    );
}

#[test]
fn python_shell_out_contract() {
    run_script("test_shellout.py");
}

#[test]
fn python_api_client_contract() {
    run_script("test_api_client.py");
}
