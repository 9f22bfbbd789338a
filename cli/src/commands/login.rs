//! `notify login`: asks for (or reads) the server URL and a token, checks them against the
//! server, and only then saves them in the configuration file.

use std::io::{self, BufRead, IsTerminal, Write};

use notify_shared::api::Me;
use notify_shared::config::{
    self, ClientConfig, DEFAULT_SERVER, ENV_SERVER, ENV_TOKEN, Source, Token,
};
use serde_json::json;

use crate::cli::{Globals, LoginArgs};
use crate::client::Client;
use crate::error::Error;
use crate::output::{Mode, tell, write_json, write_line};

/// The longest token line read from stdin; tokens are 43 characters.
const MAX_TOKEN_BYTES: u64 = 1024;

/// Runs `notify login`.
pub async fn run(_args: LoginArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let path = config::config_path()?;
    let current = current_server(globals);
    let interactive = io::stdin().is_terminal();
    let (server, token) = if interactive {
        let server = match &globals.server {
            Some(server) => server.clone(),
            None => ask_server(&current)?,
        };
        let token = rpassword::prompt_password("API token (not shown): ")
            .map_err(|e| Error::LoginToken(format!("cannot read the token: {e}")))?;
        (server, token)
    } else {
        (current, read_token(io::stdin().lock())?)
    };
    let token = check_token(&token)?;
    let config = ClientConfig {
        path: path.clone(),
        file_exists: path.exists(),
        server: server.trim_end_matches('/').to_owned(),
        server_source: Source::Flag,
        token: Some(token.clone()),
        token_source: Some(Source::Flag),
    };
    let client = Client::new(&config, globals.verbose)?;
    let me = client.me().await.map_err(|error| match error {
        Error::BadToken { .. } => Error::LoginRefused {
            server: config.server.clone(),
        },
        other => other,
    })?;
    config::save(&path, &config.server, &token)?;
    for (variable, what) in [(ENV_SERVER, "server"), (ENV_TOKEN, "token")] {
        if std::env::var_os(variable).is_some_and(|v| !v.is_empty()) {
            tell(format_args!(
                "note: {variable} is set and overrides the {what} saved in {}",
                path.display()
            ));
        }
    }
    render(&me, &config.server, &path, Mode::of(globals), out)
}

/// The server to offer: the flag, else `NOTIFY_SERVER`, else the file's (when it can be read),
/// else the default.
fn current_server(globals: &Globals) -> String {
    match ClientConfig::load(globals.server.clone()) {
        Ok(config) => config.server,
        Err(_) => globals
            .server
            .clone()
            .unwrap_or_else(|| DEFAULT_SERVER.to_owned()),
    }
}

/// Asks for the server URL on the terminal; Enter keeps `current`.
fn ask_server(current: &str) -> Result<String, Error> {
    eprint!("Server URL [{current}]: ");
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::LoginToken(format!("cannot read the server URL: {e}")))?;
    let line = line.trim();
    let server = if line.is_empty() { current } else { line };
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(config::ConfigError::BadServer(server.to_owned(), Source::Flag).into());
    }
    Ok(server.to_owned())
}

/// The token from the first line of `input` (stdin when it is not a terminal).
pub fn read_token(input: impl BufRead) -> Result<String, Error> {
    let mut line = String::new();
    input
        .take(MAX_TOKEN_BYTES)
        .read_line(&mut line)
        .map_err(|e| Error::LoginToken(format!("cannot read the token from stdin: {e}")))?;
    Ok(line)
}

/// A token as typed or piped, blanks around it dropped; it must be one word of visible ASCII.
pub fn check_token(text: &str) -> Result<Token, Error> {
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::LoginToken("no token was given".into()));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::LoginToken(
            "a token is one word of visible ASCII characters".into(),
        ));
    }
    Ok(Token::new(token.to_owned()))
}

fn render(
    me: &Me,
    server: &str,
    path: &std::path::Path,
    mode: Mode,
    out: &mut dyn Write,
) -> Result<(), Error> {
    match mode {
        Mode::Human => {
            write_line(out, format_args!("logged in to {server} as {}", me.user))?;
            write_line(out, format_args!("saved in {}", path.display()))
        }
        Mode::Json => write_json(
            out,
            &json!({
                "server": server,
                "user": me.user,
                "scopes": me.scopes,
                "config_path": path.to_string_lossy(),
            }),
        ),
        Mode::Quiet => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_one_trimmed_word() {
        let token = check_token("  abc_DEF-123\n").expect("valid");
        assert_eq!(token.expose(), "abc_DEF-123");
        for bad in ["", " \n", "two words", "tab\there", "é"] {
            assert!(
                matches!(check_token(bad), Err(Error::LoginToken(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_the_first_line_of_stdin_is_the_token() {
        let mut input: &[u8] = b"first\nsecond\n";
        assert_eq!(read_token(&mut input).expect("read"), "first\n");
        let long = vec![b'a'; 5000];
        let line = read_token(&long[..]).expect("read");
        assert_eq!(line.len(), 1024, "reading stops at the limit");
        assert!(check_token(&line).is_ok(), "and the check sees a long word");
    }
}
