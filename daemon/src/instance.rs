//! One daemon per state directory: two daemons on the same seen-ids, receipts and device file
//! (a `su` shell with another `XDG_RUNTIME_DIR`, say) would each take deliveries whose
//! receipts only the other knows of. The first holds an exclusive lock on `notifyd.lock` for
//! as long as it runs (the kernel drops it when the process dies, however it dies) and writes
//! its pid and socket there, so that a second one can say which daemon is in the way.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, bail};

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "notifyd.lock";

/// The lock of this daemon's state directory, held until dropped (or the process ends).
#[derive(Debug)]
pub struct Instance {
    _file: File,
}

impl Instance {
    /// Takes `state_dir`'s lock for this process, which serves `socket`; fails with who holds
    /// it when another daemon does.
    pub fn lock(state_dir: &Path, socket: &Path) -> anyhow::Result<Self> {
        let path = state_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // Best effort: the holder may be writing it this very moment.
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another notifyd".to_owned()
                } else {
                    format!("another notifyd ({holder})")
                };
                bail!(
                    "{holder} already runs on the state directory {}; stop it first \
                     (`systemctl --user stop notifyd`), or give this one its own with NOTIFYD_STATE_DIR",
                    state_dir.display()
                );
            }
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| {
                writeln!(
                    file,
                    "pid {}, socket {}",
                    std::process::id(),
                    socket.display()
                )
            })
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_with_the_first_ones_pid_and_socket() {
        let dir = std::env::temp_dir().join(format!("notifyd-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let first = Instance::lock(&dir, Path::new("/run/user/1/notify/notifyd.sock"))
            .expect("the first one locks");
        let error = Instance::lock(&dir, Path::new("/tmp/other.sock"))
            .expect_err("the second one is refused")
            .to_string();
        assert!(
            error.contains(&format!("pid {}", std::process::id()))
                && error.contains("/run/user/1/notify/notifyd.sock"),
            "{error}"
        );
        drop(first);
        Instance::lock(&dir, Path::new("/tmp/other.sock")).expect("free again once dropped");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
