//! The local socket the CLI talks to: where it is bound and how connections are accepted.
//!
//! The socket's directory is created 0700 when missing and then checked (owner, mode, not a
//! symlink) with `notify_shared::local::check_dir`; the daemon refuses to start when it is
//! unsafe. A socket file nobody answers on is stale and replaced; one that answers means
//! another daemon runs, and this one refuses to start. The socket file is 0600. Each
//! connection is served by `session`; this module must not interpret requests.

pub mod session;

use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use notify_shared::local::{check_dir, socket_chosen};
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use self::session::Context;

/// A bound socket, which knows its file so it can remove it (only if it is still its own).
#[derive(Debug)]
pub struct Listener {
    /// The listening socket.
    listener: UnixListener,
    /// Its path.
    path: PathBuf,
    /// The (device, inode) of the socket file it created.
    identity: (u64, u64),
}

impl Listener {
    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Binds the socket at `path` (see the module documentation for the checks).
pub fn bind(path: &Path) -> anyhow::Result<Listener> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .with_context(|| format!("socket path {} has no directory", path.display()))?;
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the socket directory {}", dir.display()))?;
    }
    check_dir(dir).map_err(|e| {
        anyhow::anyhow!(
            "refusing an unsafe socket directory: {e}; {}",
            e.advice(socket_chosen())
        )
    })?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                bail!(
                    "another notifyd is already listening on {}; stop it first",
                    path.display()
                );
            }
            tracing::info!(path = %path.display(), "replacing a stale socket");
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove the stale socket {}", path.display()))?;
        }
        Ok(_) => bail!("{} exists and is not a socket; remove it", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot chmod 600 {}", path.display()))?;
    let meta = std::fs::symlink_metadata(path)?;
    Ok(Listener {
        listener,
        path: path.to_owned(),
        identity: (meta.dev(), meta.ino()),
    })
}

/// Serves connections until `shutdown`, then waits a moment for them to end, and removes the
/// socket file.
pub async fn serve(listener: Listener, context: Arc<Context>, shutdown: CancellationToken) {
    let (done, mut all_done) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let context = Arc::clone(&context);
                    let shutdown = shutdown.clone();
                    let done = done.clone();
                    tokio::spawn(async move {
                        session::run(stream, &context, &shutdown).await;
                        drop(done);
                    });
                }
                Err(error) => {
                    // Out of file descriptors, most likely: let some connections end.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(done);
    let _ = tokio::time::timeout(Duration::from_secs(2), all_done.recv()).await;
    remove(&listener);
}

/// Removes the socket file, unless another daemon has replaced it since.
fn remove(listener: &Listener) {
    let ours = std::fs::symlink_metadata(&listener.path)
        .is_ok_and(|meta| (meta.dev(), meta.ino()) == listener.identity);
    if ours && let Err(error) = std::fs::remove_file(&listener.path) {
        tracing::warn!(%error, path = %listener.path.display(), "cannot remove the socket");
    }
}

#[cfg(test)]
mod tests;
