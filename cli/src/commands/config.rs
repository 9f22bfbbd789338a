//! `notify config show` and `notify config path`: where the settings come from and who the
//! token belongs to.
//!
//! `show` exits 0 even when the server cannot be asked (that is what one runs it to find
//! out); it fails only when the configuration itself cannot be loaded. It never prints the
//! token, only whether there is one and where it came from.

use std::io::Write;

use notify_shared::api::Me;
use notify_shared::config::{self, ClientConfig};
use serde_json::json;

use crate::cli::Globals;
use crate::client::Client;
use crate::error::Error;
use crate::output::{Mode, write_json, write_line};

/// Runs `notify config show`.
pub async fn show(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let config = ClientConfig::load(globals.server.clone())?;
    let me = match Client::new(&config, globals.verbose) {
        Ok(client) => client.me().await,
        Err(error) => Err(error),
    };
    match Mode::of(globals) {
        Mode::Human => {
            out.write_all(show_text(&config, me.as_ref()).as_bytes())
                .map_err(Error::Output)?;
            if let Err(error) = &me {
                error.report(&mut anstream::stderr());
            }
            Ok(())
        }
        Mode::Json => write_json(out, &show_json(&config, me.as_ref())),
        Mode::Quiet => Ok(()),
    }
}

/// Runs `notify config path`; touches neither the file nor the network.
pub fn path(globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let path = config::config_path()?;
    match Mode::of(globals) {
        Mode::Human => write_line(out, path.display()),
        Mode::Json => write_json(out, &json!({ "path": path.to_string_lossy() })),
        Mode::Quiet => Ok(()),
    }
}

/// The human form of `config show`: one `label  value` line per setting.
pub fn show_text(config: &ClientConfig, me: Result<&Me, &Error>) -> String {
    let exists = if config.file_exists {
        "exists"
    } else {
        "not found"
    };
    let token = match config.token_source {
        Some(source) if config.token.is_some() => format!("set ({source})"),
        _ => "not set".to_owned(),
    };
    let (user, scopes) = match me {
        Ok(me) => (me.user.to_string(), scope_list(me)),
        Err(_) => ("unknown".to_owned(), "unknown".to_owned()),
    };
    let rows = [
        (
            "config file",
            format!("{} ({exists})", config.path.display()),
        ),
        (
            "server",
            format!("{} ({})", config.server, config.server_source),
        ),
        ("token", token),
        ("user", user),
        ("scopes", scopes),
    ];
    rows.iter()
        .map(|(label, value)| format!("{label:<12} {value}\n"))
        .collect()
}

/// The JSON form of `config show`; every key is always present.
pub fn show_json(config: &ClientConfig, me: Result<&Me, &Error>) -> serde_json::Value {
    json!({
        "config_path": config.path.to_string_lossy(),
        "config_exists": config.file_exists,
        "server": config.server,
        "server_source": config.server_source.to_string(),
        "token_set": config.token.is_some(),
        "token_source": config.token_source.map(|s| s.to_string()),
        "user": me.ok().map(|me| me.user.as_str()),
        "scopes": me.ok().map(|me| me.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        "error": me.err().map(ToString::to_string),
    })
}

fn scope_list(me: &Me) -> String {
    if me.scopes.is_empty() {
        return "none".to_owned();
    }
    me.scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify_shared::UserId;
    use notify_shared::api::Scope;
    use notify_shared::config::{Source, Token};

    fn config(token: bool) -> ClientConfig {
        ClientConfig {
            path: "/home/u/.config/notify/config.toml".into(),
            file_exists: false,
            server: "http://127.0.0.1:8470".into(),
            server_source: Source::Default,
            token: token.then(|| Token::new("secret-token".into())),
            token_source: token.then_some(Source::Env),
        }
    }

    fn me() -> Me {
        Me {
            user: UserId::parse("alice").expect("valid"),
            scopes: vec![Scope::Send, Scope::Inbox],
        }
    }

    #[test]
    fn text_shows_sources_and_never_the_token() {
        let text = show_text(&config(true), Ok(&me()));
        assert_eq!(
            text,
            "config file  /home/u/.config/notify/config.toml (not found)\n\
             server       http://127.0.0.1:8470 (default)\n\
             token        set (environment)\n\
             user         alice\n\
             scopes       send, inbox\n"
        );
    }

    #[test]
    fn text_without_a_token_says_unknown() {
        let error = Error::NoToken { path: "/c".into() };
        let text = show_text(&config(false), Err(&error));
        assert!(
            text.contains("token        not set\nuser         unknown\nscopes       unknown\n"),
            "{text}"
        );
    }

    #[test]
    fn json_has_every_key_and_a_null_user_on_error() {
        let ok = show_json(&config(true), Ok(&me()));
        assert_eq!(ok["user"], "alice");
        assert_eq!(ok["scopes"], json!(["send", "inbox"]));
        assert_eq!(ok["error"], serde_json::Value::Null);
        assert_eq!(ok["token_source"], "environment");
        assert!(!ok.to_string().contains("secret-token"));

        let error = Error::Unreachable {
            server: "http://127.0.0.1:8470".into(),
            reason: "connection refused".into(),
            attempts: 1,
        };
        let failed = show_json(&config(true), Err(&error));
        assert_eq!(failed["user"], serde_json::Value::Null);
        assert_eq!(failed["scopes"], serde_json::Value::Null);
        assert_eq!(
            failed["error"],
            "could not reach the server at http://127.0.0.1:8470: connection refused"
        );
    }
}
