//! MU's Python shell-out path (`tests/python/test_shellout.py`): the stdlib-only script drives
//! the real binary with `--json` and urllib, as MU's CLI does. CI installs python3; without it
//! this test fails rather than skips.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon_support::run_cmd;
use crate::support::BIN;

#[test]
fn python_shell_out_contract() {
    let python = Command::new("python3").arg("--version").output();
    if let Err(e) = python {
        panic!("python3 is required for tests/python/test_shellout.py but cannot be run: {e}");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_shellout.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .env("MU_DAEMON_BIN", BIN)
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
