//! The files generated from the clap definitions of `notify`, `notifyd` and `notify-server`:
//! a man page for each command and subcommand in `man/`, and completions for every shell
//! clap_complete knows in `completions/`.
//!
//! Everything is rendered in memory, so `cargo xtask generate` writes exactly what the
//! staleness test compares with the committed files.
//!
//! It must not write anything by hand: every file comes from the clap definitions, and a test fails
//! when one is stale.

use std::path::{Path, PathBuf};

use clap::{Command, CommandFactory, ValueEnum};
use clap_complete::Shell;

/// One generated file: its path relative to the workspace root, and its contents.
#[derive(Debug, PartialEq, Eq)]
pub struct Artifact {
    /// For example `man/notify-prefs-set.1` or `completions/notify.bash`.
    pub path: PathBuf,
    /// The bytes to write.
    pub contents: Vec<u8>,
}

/// The folders that hold only generated files (and a README that says so).
pub const FOLDERS: [&str; 2] = ["man", "completions"];

/// The three commands whose documentation is generated.
pub fn commands() -> [Command; 3] {
    [
        notify_cli::Cli::command(),
        notifyd::cli::Args::command(),
        notify_server::cli::Args::command(),
    ]
}

/// Every generated file, in a stable order.
pub fn artifacts() -> std::io::Result<Vec<Artifact>> {
    let mut artifacts = Vec::new();
    for command in commands() {
        man_pages(command.clone(), &mut artifacts)?;
        completions(command, &mut artifacts);
    }
    Ok(artifacts)
}

/// Names of other packages' man pages that a page of ours would otherwise take (with the
/// package): installed beside them, ours would shadow theirs, and `man notify-send` is
/// libnotify's page on most desktops.
pub const TAKEN: [(&str, &str); 1] = [("notify-send", "libnotify-bin")];

/// The name of the page of the command git-style named `name` (`notify-prefs-set`): that name,
/// unless another package's page has it ([`TAKEN`]); then `-cli` follows the program's name
/// (`notify-cli-send`).
pub fn page_name(name: &str) -> String {
    match TAKEN.iter().find(|(taken, _)| *taken == name) {
        Some(_) => name.replacen('-', "-cli-", 1),
        None => name.to_owned(),
    }
}

/// The man page of `command` and of each of its visible subcommands (`notify-prefs-set.1`,
/// ..., named by [`page_name`]), each footed with the program and its version
/// (`notify 0.1.0`).
fn man_pages(command: Command, artifacts: &mut Vec<Artifact>) -> std::io::Result<()> {
    fn walk(command: Command, source: &str, artifacts: &mut Vec<Artifact>) -> std::io::Result<()> {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub.clone(), source, artifacts)?;
        }
        let name = command
            .get_display_name()
            .unwrap_or_else(|| command.get_name())
            .to_owned();
        let man =
            clap_mangen::Man::new(command.clone().display_name(page_name(&name))).source(source);
        let mut contents = Vec::new();
        man.render(&mut contents)?;
        artifacts.push(Artifact {
            path: Path::new("man").join(man.get_filename()),
            contents: refer_by_page_name(&command, &name, contents),
        });
        Ok(())
    }
    let source = format!(
        "{} {}",
        command.get_name(),
        command.get_version().unwrap_or_default()
    );
    let mut command = command.disable_help_subcommand(true);
    command.build();
    walk(command, &source, artifacts)
}

/// `page` (of `command`, named `name`) with its list of subcommands naming their pages by
/// [`page_name`]: clap_mangen names them `name-sub(1)` whatever the page is called.
fn refer_by_page_name(command: &Command, name: &str, page: Vec<u8>) -> Vec<u8> {
    let mut page = String::from_utf8(page).expect("clap_mangen writes UTF-8");
    for sub in command.get_subcommands() {
        let git_style = format!("{name}-{}", sub.get_name());
        let renamed = page_name(&git_style);
        if renamed != git_style {
            let roff = |name: &str| format!("{}(1)", name.replace('-', "\\-"));
            page = page.replace(&roff(&git_style), &roff(&renamed));
        }
    }
    page.into_bytes()
}

/// Completions of `command` for every shell.
fn completions(mut command: Command, artifacts: &mut Vec<Artifact>) {
    let name = command.get_name().to_owned();
    for shell in Shell::value_variants() {
        let mut contents = Vec::new();
        clap_complete::generate(*shell, &mut command, &name, &mut contents);
        artifacts.push(Artifact {
            path: Path::new("completions").join(clap_complete::Generator::file_name(shell, &name)),
            contents,
        });
    }
}

/// Writes every artifact under `root` and removes generated files that are no longer made
/// (anything in the folders but their READMEs). Returns how many files changed.
pub fn write_all(root: &Path) -> std::io::Result<usize> {
    let artifacts = artifacts()?;
    let mut changed = 0;
    for stale in stale_files(root, &artifacts)? {
        std::fs::remove_file(root.join(stale))?;
        changed += 1;
    }
    for artifact in &artifacts {
        let path = root.join(&artifact.path);
        if std::fs::read(&path).ok().as_deref() != Some(&artifact.contents[..]) {
            std::fs::write(path, &artifact.contents)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Files in the generated folders that no artifact makes.
pub fn stale_files(root: &Path, artifacts: &[Artifact]) -> std::io::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for folder in FOLDERS {
        for entry in std::fs::read_dir(root.join(folder))? {
            let path = Path::new(folder).join(entry?.file_name());
            let made = artifacts.iter().any(|a| a.path == path);
            if !made && path.file_name() != Some("README.md".as_ref()) {
                stale.push(path);
            }
        }
    }
    stale.sort();
    Ok(stale)
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}
