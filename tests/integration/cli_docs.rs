//! `completions/` and `man/` are generated from the clap definitions; they must not go stale.
//! Regenerate with: MU_REGENERATE=1 cargo test --release --test integration cli_docs

use std::path::Path;

fn generated() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
        clap_complete::Shell::Elvish,
        clap_complete::Shell::PowerShell,
    ] {
        let mut cmd = mu_daemon::cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "mu-daemon", &mut buf);
        let name = match shell {
            clap_complete::Shell::Bash => "mu-daemon.bash",
            clap_complete::Shell::Zsh => "_mu-daemon",
            clap_complete::Shell::Fish => "mu-daemon.fish",
            clap_complete::Shell::Elvish => "mu-daemon.elv",
            _ => "_mu-daemon.ps1",
        };
        files.push((format!("completions/{name}"), buf));
    }
    // clap_mangen names the pages of subcommands `mu-daemon-<sub>.1`.
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(mu_daemon::cli::command(), dir.path()).unwrap();
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    for page in pages {
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        files.push((format!("man/{name}"), std::fs::read(&page).unwrap()));
    }
    files
}

#[test]
fn cli_docs_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("MU_REGENERATE").is_some();
    let mut stale = Vec::new();
    let files = generated();
    for (rel, content) in &files {
        let path = root.join(rel);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
            stale.push(rel.clone());
        }
    }
    // No page left over from a removed subcommand.
    for dir in ["completions", "man"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let rel = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            if !files.iter().any(|(r, _)| *r == rel) {
                stale.push(rel);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}. Regenerate them with: \
         MU_REGENERATE=1 cargo test --release --test integration cli_docs"
    );
}

#[test]
fn completions_command_prints_the_same_script() {
    let p = crate::support::TempProject::empty();
    let out = p.run(&["completions", "zsh"]);
    assert!(out.status.success());
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/_mu-daemon"))
            .unwrap();
    assert_eq!(out.stdout, committed);
    let out = p.run(&["--json", "completions", "bash"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "completions");
    assert_eq!(v["shell"], "bash");
    assert!(v["script"].as_str().unwrap().contains("_mu__daemon()"));
}
