//! The systemd user unit of notifyd: the template shipped with the daemon, pointed at the
//! notifyd binary found on this machine, and written where `systemctl --user` looks.
//!
//! It must not start or enable the unit: it writes the file and says what to run.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The unit as the daemon ships it.
pub const TEMPLATE: &str = include_str!("../../../../daemon/systemd/notifyd.service");

/// What to run after installing.
pub const NEXT_STEPS: &str =
    "systemctl --user daemon-reload && systemctl --user enable --now notifyd";

/// `$XDG_CONFIG_HOME/systemd/user/notifyd.service` (or under `~/.config`).
pub fn path() -> Result<PathBuf, Error> {
    let dirs = directories::BaseDirs::new().ok_or_else(|| Error::Install {
        path: "~/.config/systemd/user".into(),
        reason: "cannot tell where your home directory is; set HOME".into(),
    })?;
    Ok(dirs.config_dir().join("systemd/user/notifyd.service"))
}

/// `template` with its `ExecStart=` running `notifyd` (its arguments and any `-`, `@`, `+`, `!`
/// prefix kept).
pub fn render(template: &str, notifyd: &Path) -> Result<String, Error> {
    let exe = systemd_word(notifyd)?;
    let mut found = false;
    let mut unit = String::with_capacity(template.len() + exe.len());
    for line in template.split_inclusive('\n') {
        match line.strip_prefix("ExecStart=") {
            Some(command) if !found => {
                found = true;
                let prefix_len =
                    command.len() - command.trim_start_matches(['-', '@', '+', '!']).len();
                let (prefix, rest) = command.split_at(prefix_len);
                let args = rest
                    .trim_end_matches(['\n', '\r'])
                    .split_once(char::is_whitespace)
                    .map(|(_, args)| args);
                unit.push_str("ExecStart=");
                unit.push_str(prefix);
                unit.push_str(&exe);
                if let Some(args) = args {
                    unit.push(' ');
                    unit.push_str(args);
                }
                unit.push_str(&line[line.trim_end_matches(['\n', '\r']).len()..]);
            }
            _ => unit.push_str(line),
        }
    }
    if !found {
        return Err(Error::Internal(
            "the notifyd.service template has no ExecStart= line".into(),
        ));
    }
    Ok(unit)
}

/// `path` as one word of a systemd command line: `%` doubled, quoted when it holds blanks,
/// quotes or backslashes.
fn systemd_word(path: &Path) -> Result<String, Error> {
    let text = path.to_str().ok_or_else(|| Error::Install {
        path: path.to_owned(),
        reason: "the path of notifyd is not valid UTF-8, which a unit file cannot name".into(),
    })?;
    let text = text.replace('%', "%%");
    if text.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '\\')) {
        Ok(format!(
            "\"{}\"",
            text.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    } else {
        Ok(text)
    }
}

/// What [`install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// The file was written.
    Written,
    /// The file already held exactly this unit.
    Unchanged,
}

/// Writes `unit` to `path` (through a temporary file beside it, so a reader never sees half a
/// unit). A different file already there is kept unless `force`.
pub fn install(path: &Path, unit: &str, force: bool) -> Result<Installed, Error> {
    let failed = |e: std::io::Error| Error::Install {
        path: path.to_owned(),
        reason: crate::client::phrase(&e.to_string()),
    };
    match std::fs::read(path) {
        Ok(existing) if existing == unit.as_bytes() => return Ok(Installed::Unchanged),
        Ok(_) if !force => {
            return Err(Error::UnitExists {
                path: path.to_owned(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let temporary = path.with_extension("service.new");
    std::fs::write(&temporary, unit).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e)
    })?;
    Ok(Installed::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE_WITH_ARGS: &str = "[Unit]\nDescription=notify daemon\n\n[Service]\n\
        Type=notify\nExecStart=-%h/.local/bin/notifyd --log info\nRestart=on-failure\n";

    #[test]
    fn exec_start_runs_the_binary_found_and_keeps_the_rest() {
        let unit = render(TEMPLATE_WITH_ARGS, Path::new("/opt/notify/bin/notifyd")).expect("ok");
        assert_eq!(
            unit,
            "[Unit]\nDescription=notify daemon\n\n[Service]\nType=notify\n\
             ExecStart=-/opt/notify/bin/notifyd --log info\nRestart=on-failure\n"
        );
        let bare = render("ExecStart=notifyd", Path::new("/usr/bin/notifyd")).expect("ok");
        assert_eq!(bare, "ExecStart=/usr/bin/notifyd");
        assert!(render("[Service]\n", Path::new("/x")).is_err());
    }

    #[test]
    fn the_shipped_template_has_an_exec_start() {
        let unit = render(TEMPLATE, Path::new("/home/u/bin/notifyd")).expect("ok");
        assert!(unit.contains("\nExecStart=/home/u/bin/notifyd"), "{unit}");
    }

    #[test]
    fn odd_paths_are_quoted_for_systemd() {
        let word = |p: &str| systemd_word(Path::new(p)).expect("utf-8");
        assert_eq!(word("/usr/bin/notifyd"), "/usr/bin/notifyd");
        assert_eq!(word("/home/u/100%/notifyd"), "/home/u/100%%/notifyd");
        assert_eq!(
            word("/home/u/My Tools/notifyd"),
            "\"/home/u/My Tools/notifyd\""
        );
        assert_eq!(word("/a\"b/notifyd"), "\"/a\\\"b/notifyd\"");
    }

    #[test]
    fn a_different_unit_is_replaced_only_with_force() {
        let dir = std::env::temp_dir().join(format!("notify-unit-{}", uuid::Uuid::now_v7()));
        let path = dir.join("systemd/user/notifyd.service");
        assert_eq!(
            install(&path, "a\n", false).expect("new"),
            Installed::Written
        );
        assert_eq!(
            install(&path, "a\n", false).expect("same"),
            Installed::Unchanged
        );
        let error = install(&path, "b\n", false).expect_err("differs");
        assert!(matches!(error, Error::UnitExists { .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "a\n");
        assert_eq!(
            install(&path, "b\n", true).expect("forced"),
            Installed::Written
        );
        assert_eq!(std::fs::read_to_string(&path).expect("replaced"), "b\n");
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
