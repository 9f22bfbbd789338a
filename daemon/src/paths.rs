//! Where the daemon keeps its state, and the file-permission rules for it: the state
//! directory is 0700, every file in it 0600, written atomically.
//!
//! This module only resolves paths and does careful file I/O; it knows nothing of what the
//! files mean.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use notify_shared::local::current_uid;

/// Names the state directory instead of the default.
pub const ENV_STATE_DIR: &str = "NOTIFYD_STATE_DIR";

/// The state directory: `$NOTIFYD_STATE_DIR`, else `$XDG_STATE_HOME/notify`, else
/// `~/.local/state/notify`.
pub fn state_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV_STATE_DIR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "notify")
        .and_then(|dirs| dirs.state_dir().map(Path::to_path_buf))
        .context("cannot find a state directory (is HOME set?); set NOTIFYD_STATE_DIR")
}

/// Creates `dir` (and its parents) with mode 0700 when missing, then checks that it belongs
/// to this user and that group and others have no access.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
    let meta = fs::metadata(dir).with_context(|| format!("cannot inspect {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    if meta.uid() != current_uid() {
        bail!(
            "{} belongs to uid {}, not to you; remove it or set {ENV_STATE_DIR}",
            dir.display(),
            meta.uid()
        );
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{} is accessible by group or others (mode {mode:03o}) and holds credentials; run: chmod 700 {}",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Fails when group or others may access `path` (it holds a secret).
pub fn check_private_file(path: &Path) -> anyhow::Result<()> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot inspect {}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "{} is accessible by group or others (mode {mode:03o}) and holds credentials; run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Opens `path` for appending, creating it with mode 0600.
pub fn open_append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Replaces `path` with `contents` atomically and durably: a 0600 temporary file beside it,
/// fsynced, renamed over it, then the directory fsynced.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Fsyncs the directory holding `path`, so that a rename or a new file survives a crash.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A temporary directory for tests, removed on drop.

    use std::path::{Path, PathBuf};

    /// A fresh 0700 directory under the system temporary directory.
    #[derive(Debug)]
    pub struct TempDir(PathBuf);

    impl TempDir {
        /// Creates one.
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("notifyd-test-{}", uuid::Uuid::now_v7()));
            super::ensure_private_dir(&path).expect("temp dir");
            Self(path)
        }

        /// Its path.
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::TempDir;
    use super::*;

    #[test]
    fn private_dir_and_files() {
        let tmp = TempDir::new();
        let dir = tmp.path().join("a/b");
        ensure_private_dir(&dir).expect("created");
        assert_eq!(
            fs::metadata(&dir).expect("meta").permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).expect("chmod");
        assert!(ensure_private_dir(&dir).is_err());
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");

        let file = dir.join("secret.json");
        write_atomic(&file, b"{}").expect("written");
        assert_eq!(
            fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        check_private_file(&file).expect("private");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = check_private_file(&file).expect_err("too open").to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }
}
