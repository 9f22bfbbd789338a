//! The client configuration shared by `notify` and `notifyd`:
//! `$XDG_CONFIG_HOME/notify/config.toml`, then `NOTIFY_*` environment variables.
//!
//! The file holds a token, so like ssh we refuse to read it when group or others may.
//!
//! It must not write the file but whole: 0600 from its first byte, then renamed into place.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Server URL used when neither the file nor the environment names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8470";
/// Names the configuration file instead of the default path.
pub const ENV_CONFIG: &str = "NOTIFY_CONFIG";
/// Overrides `server` from the file.
pub const ENV_SERVER: &str = "NOTIFY_SERVER";
/// Overrides `token` from the file.
pub const ENV_TOKEN: &str = "NOTIFY_TOKEN";

/// An API token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token itself, for an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The contents of `config.toml`; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Base URL of the notify api, for example `http://127.0.0.1:8470`.
    pub server: Option<String>,
    /// API token (`notify-server users add NAME` prints one).
    pub token: Option<Token>,
}

/// Where a setting came from, so `notify config show` can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The configuration file.
    File,
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flag => "flag",
            Self::Env => "environment",
            Self::File => "config file",
            Self::Default => "default",
        })
    }
}

/// The effective client settings.
#[derive(Debug)]
pub struct ClientConfig {
    /// The file that was read (or would have been, when it does not exist).
    pub path: PathBuf,
    /// Whether that file exists.
    pub file_exists: bool,
    /// The api base URL, without a trailing slash.
    pub server: String,
    /// Where `server` came from.
    pub server_source: Source,
    /// The token, when one is configured.
    pub token: Option<Token>,
    /// Where `token` came from.
    pub token_source: Option<Source>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No home directory to find the default path in.
    #[error(
        "cannot find a configuration directory (is HOME set?); set {ENV_CONFIG} to a file path"
    )]
    NoConfigDir,
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Group or others may read the file.
    #[error(
        "{path} is accessible by group or others (mode {mode:03o}) and holds a token; run: chmod 600 {path}"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{path} is not a valid configuration: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error.
        message: String,
    },
    /// The server URL is not an http(s) URL.
    #[error("server {0:?} (from {1}) is not an http:// or https:// URL")]
    BadServer(String, Source),
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The default configuration file: `$NOTIFY_CONFIG`, else `$XDG_CONFIG_HOME/notify/config.toml`.
pub fn config_path() -> Result<PathBuf, ConfigError> {
    if let Some(path) = std::env::var_os(ENV_CONFIG) {
        return Ok(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "notify")
        .map(|dirs| dirs.config_dir().join("config.toml"))
        .ok_or(ConfigError::NoConfigDir)
}

impl ClientConfig {
    /// Loads the file (when it exists), then the environment, then `server_flag`.
    pub fn load(server_flag: Option<String>) -> Result<Self, ConfigError> {
        let path = config_path()?;
        let file = read_file(&path)?;
        let file_exists = file.is_some();
        let file = file.unwrap_or_default();

        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let (server, server_source) = match (server_flag, env(ENV_SERVER), file.server) {
            (Some(s), _, _) => (s, Source::Flag),
            (None, Some(s), _) => (s, Source::Env),
            (None, None, Some(s)) => (s, Source::File),
            (None, None, None) => (DEFAULT_SERVER.to_owned(), Source::Default),
        };
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ConfigError::BadServer(server, server_source));
        }
        let (token, token_source) = match (env(ENV_TOKEN), file.token) {
            (Some(t), _) => (Some(Token::new(t)), Some(Source::Env)),
            (None, Some(t)) => (Some(t), Some(Source::File)),
            (None, None) => (None, None),
        };
        Ok(Self {
            path,
            file_exists,
            server: server.trim_end_matches('/').to_owned(),
            server_source,
            token,
            token_source,
        })
    }
}

/// Replaces the file at `path` with one holding `server` and `token`, private from its first
/// byte (mode 0600, its directory created 0700), written to a temporary file and renamed over
/// the old one, so a crash leaves either the old file or the new one.
pub fn save(path: &Path, server: &str, token: &Token) -> Result<(), ConfigError> {
    let mut table = toml::Table::new();
    table.insert("server".into(), server.into());
    table.insert("token".into(), token.expose().into());
    let text = format!(
        "# Written by `notify login`. It holds a token: keep it private (chmod 600).\n{table}"
    );
    let failed = |source| ConfigError::Write {
        path: path.into(),
        source,
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        create_private_dir(dir).map_err(failed)?;
    }
    let temporary = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let written =
        write_private(&temporary, text.as_bytes()).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        // The temporary file may be half-written; the old file is untouched.
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(error));
    }
    if let Some(dir) = dir {
        // Makes the rename durable; a file system that cannot sync a directory loses nothing
        // more than the rename on a crash.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn read_file(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.into(),
                source,
            });
        }
    };
    check_private(path)?;
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.message().to_owned(),
        })
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::Permissions {
            path: path.into(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_files_are_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("notify-save-{}", uuid::Uuid::now_v7()));
        let path = dir.join("sub/config.toml");
        let token = Token::new("tok\"en=with quote".into());
        save(&path, "http://h:1", &token).expect("saved");
        save(&path, "http://h:2", &token).expect("replaced");

        let file = read_file(&path).expect("readable").expect("exists");
        assert_eq!(file.server.as_deref(), Some("http://h:2"));
        assert_eq!(file.token, Some(token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.join("sub")), 0o700);
        }
        let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["config.toml"], "no temporary file is left behind");
        std::fs::remove_dir_all(dir).expect("clean up");
    }
}
