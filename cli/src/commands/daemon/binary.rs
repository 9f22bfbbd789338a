//! Finding the `notifyd` binary: next to this `notify` first (they are installed together),
//! then in `PATH`.
//!
//! It must not run what it finds: `daemon run` does that.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The daemon's file name.
pub const NAME: &str = "notifyd";

/// The notifyd to run: the one beside the current executable, else the first in `PATH`.
pub fn find() -> Result<PathBuf, Error> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_owned));
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_in(beside.as_deref(), &path).ok_or(Error::NoNotifyd { beside })
}

/// The first executable `notifyd` in `beside`, then in the directories of `path`.
pub fn find_in(beside: Option<&Path>, path: &OsStr) -> Option<PathBuf> {
    beside
        .into_iter()
        .map(Path::to_owned)
        .chain(std::env::split_paths(path).filter(|dir| dir.is_absolute()))
        .map(|dir| dir.join(NAME))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("notify-bin-{}-{name}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    fn install(dir: &Path, mode: u32) -> PathBuf {
        let file = dir.join(NAME);
        std::fs::write(&file, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        file
    }

    #[test]
    fn beside_the_cli_wins_over_path_and_only_executables_count() {
        let (beside, first, second) = (dir("beside"), dir("first"), dir("second"));
        let path = std::env::join_paths([&first, &second]).expect("path");
        assert_eq!(find_in(Some(&beside), &path), None);
        install(&first, 0o644);
        let found = install(&second, 0o755);
        assert_eq!(find_in(Some(&beside), &path), Some(found));
        let found = install(&beside, 0o755);
        assert_eq!(find_in(Some(&beside), &path), Some(found));
        // A relative PATH entry would depend on where notify happens to run.
        assert_eq!(find_in(None, OsStr::new("relative:")), None);
        for dir in [beside, first, second] {
            std::fs::remove_dir_all(dir).expect("cleanup");
        }
    }
}
