//! The generated files are what the clap definitions make today, they work in a real shell,
//! and every `--help` reads as it was reviewed (insta snapshots in `snapshots/`).

use std::process::Command;

use clap_complete::Shell;
use xtask::{artifacts, commands, stale_files, workspace_root};

#[test]
fn man_pages_and_completions_are_fresh() {
    let root = workspace_root();
    let artifacts = artifacts().expect("rendered");
    let mut stale: Vec<String> = artifacts
        .iter()
        .filter(|a| std::fs::read(root.join(&a.path)).ok().as_deref() != Some(&a.contents[..]))
        .map(|a| a.path.display().to_string())
        .collect();
    stale.extend(
        stale_files(&root, &artifacts)
            .expect("listed")
            .iter()
            .map(|p| format!("{} (no longer generated)", p.display())),
    );
    assert!(
        stale.is_empty(),
        "stale generated files; run `cargo xtask generate` and commit them:\n  {}",
        stale.join("\n  ")
    );
    let names: Vec<_> = artifacts
        .iter()
        .map(|a| a.path.display().to_string())
        .collect();
    for expected in [
        "man/notify.1",
        "man/notify-cli-send.1",
        "man/notify-prefs-set.1",
        "man/notifyd.1",
        "man/notify-server-users-add.1",
        "completions/notify.bash",
        "completions/_notify",
        "completions/notify.fish",
        "completions/notify.elv",
        "completions/_notify.ps1",
        "completions/notify-server.bash",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} in {names:?}"
        );
    }
}

#[test]
fn notify_completions_prints_the_committed_scripts() {
    let root = workspace_root();
    for (shell, file) in [(Shell::Bash, "notify.bash"), (Shell::Zsh, "_notify")] {
        let mut printed = Vec::new();
        notify_cli::commands::completions::run(
            notify_cli::cli::CompletionsArgs { shell },
            &mut printed,
        )
        .expect("printed");
        let committed = std::fs::read(root.join("completions").join(file)).expect("committed");
        assert!(
            printed == committed,
            "notify completions {shell} differs from {file}"
        );
    }
}

/// What bash offers for `line` (the cursor at its end), after sourcing notify.bash.
fn bash_completes(line: &str) -> Vec<String> {
    let script = workspace_root().join("completions/notify.bash");
    let program = r#"
        source "$SCRIPT" || exit 9
        complete -p notify >/dev/null || exit 8
        read -ra COMP_WORDS <<< "$LINE"
        [[ "$LINE" == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMP_LINE="$LINE"
        COMP_POINT=${#LINE}
        _notify notify "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let output = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(program)
        .env("SCRIPT", script)
        .env("LINE", line)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "bash failed ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let words = bash_completes("notify se");
    assert_eq!(words, ["send", "sent"]);

    let all = bash_completes("notify ");
    for subcommand in [
        "send",
        "list",
        "login",
        "completions",
        "prefs",
        "daemon",
        "run",
    ] {
        assert!(
            all.contains(&subcommand.to_owned()),
            "{subcommand} in {all:?}"
        );
    }
    assert_eq!(bash_completes("notify send --pri"), ["--priority"]);
    assert_eq!(
        bash_completes("notify send --priority "),
        ["low", "normal", "high", "urgent"]
    );
    assert_eq!(bash_completes("notify prefs s"), ["show", "set"]);
    assert_eq!(bash_completes("notify completions z"), ["zsh"]);
}

/// Each command and subcommand, as the words that name it: `["notify", "prefs", "set"]`.
/// The `help` subcommands clap adds are left out: they print their parent's help.
fn command_paths(command: &clap::Command, path: Vec<String>, paths: &mut Vec<Vec<String>>) {
    let shown = |s: &&clap::Command| !s.is_hide_set() && s.get_name() != "help";
    for sub in command.get_subcommands().filter(shown) {
        let mut sub_path = path.clone();
        sub_path.push(sub.get_name().to_owned());
        command_paths(sub, sub_path, paths);
    }
    paths.push(path);
}

/// The long help of the command at `path`, as `--help` prints it on a 100-column terminal.
fn long_help(root: &clap::Command, path: &[String]) -> String {
    let mut command = root.clone().term_width(100);
    command.build();
    let mut current = &mut command;
    for name in &path[1..] {
        current = current
            .find_subcommand_mut(name)
            .expect("path names a subcommand");
    }
    current.render_long_help().to_string()
}

#[test]
fn every_help_matches_its_snapshot() {
    for root in commands() {
        let mut paths = Vec::new();
        command_paths(&root, vec![root.get_name().to_owned()], &mut paths);
        for path in paths {
            let name = format!("help-{}", path.join("-"));
            insta::assert_snapshot!(name, long_help(&root, &path));
        }
    }
}

#[test]
fn every_notify_subcommand_explains_itself_with_examples() {
    let mut root = <notify_cli::Cli as clap::CommandFactory>::command();
    root.build();
    let mut paths = Vec::new();
    command_paths(&root, vec!["notify".into()], &mut paths);
    let mut missing = Vec::new();
    for path in &paths {
        let command = path[1..].iter().fold(&root, |command, name| {
            command
                .find_subcommand(name)
                .expect("path names a subcommand")
        });
        let about = command.get_about().map(ToString::to_string);
        let long_about = command.get_long_about().map(ToString::to_string);
        let examples = command
            .get_after_help()
            .is_some_and(|after| after.to_string().starts_with("Examples:\n"));
        let described = about.is_some() && long_about.is_some_and(|l| Some(&l) != about.as_ref());
        if !(described && examples) {
            missing.push(path.join(" "));
        }
    }
    assert!(
        missing.is_empty(),
        "a one-line summary, a longer description and examples are missing in: {missing:?}"
    );
}

#[test]
fn no_man_page_takes_the_name_of_another_packages_page() {
    let artifacts = artifacts().expect("rendered");
    let pages: Vec<String> = artifacts
        .iter()
        .filter_map(|a| a.path.strip_prefix("man").ok()?.to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".1"))
        .collect();
    for (taken, package) in xtask::TAKEN {
        assert!(
            !pages.contains(&format!("{taken}.1")),
            "{taken}(1) is {package}'s page"
        );
    }
    // `notify`'s page names the renamed page, not the one it would have had.
    let notify = artifacts
        .iter()
        .find(|a| a.path == std::path::Path::new("man/notify.1"))
        .expect("notify.1");
    let notify = String::from_utf8_lossy(&notify.contents);
    assert!(notify.contains("notify\\-cli\\-send(1)"), "{notify}");
    assert!(!notify.contains("notify\\-send(1)"), "{notify}");

    // And none is the name of a page a package installed on this machine (scripts/services
    // installs libnotify-bin, whose notify-send(1) the send page once shadowed). Packages put
    // their pages in /usr/share/man; ours go to /usr/local or ~/.local (README).
    let packaged = std::path::Path::new("/usr/share/man/man1");
    assert!(
        packaged.join("notify-send.1.gz").exists(),
        "libnotify-bin's notify-send(1) is installed (scripts/services), so this test can fail"
    );
    for page in &pages {
        for file in [packaged.join(page), packaged.join(format!("{page}.gz"))] {
            assert!(
                !file.exists(),
                "{} is another package's page",
                file.display()
            );
        }
    }
}
