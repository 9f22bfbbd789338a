//! Each error's exit code, message and hint, as the user sees them.

use notify_shared::config::Source;

use super::*;

fn render(error: &Error) -> String {
    let mut buf = Vec::new();
    error.report(&mut anstream::StripStream::new(&mut buf));
    String::from_utf8(buf).expect("utf-8")
}

#[test]
fn each_error_maps_to_its_exit_code() {
    let path = PathBuf::from("/home/u/.config/notify/config.toml");
    let problem = |status| Box::new(Problem::new(status, "x", "X"));
    let cases = [
        (
            Error::Config(ConfigError::BadServer("ftp://x".into(), Source::Flag)),
            Exit::Usage,
        ),
        (
            Error::Config(ConfigError::Permissions {
                path: path.clone(),
                mode: 0o644,
            }),
            Exit::Usage,
        ),
        (Error::NoToken { path: path.clone() }, Exit::Usage),
        (Error::MalformedToken { path: path.clone() }, Exit::Usage),
        (Error::BadToken { path }, Exit::Usage),
        (Error::Invalid(vec![]), Exit::Usage),
        (Error::StdinIsTerminal, Exit::Usage),
        (Error::StdinNotUtf8, Exit::Usage),
        (Error::Conflict("x".into()), Exit::Usage),
        (
            Error::Secret {
                from: "stdin".into(),
                reason: "it is empty".into(),
            },
            Exit::Usage,
        ),
        (
            Error::Refused {
                problem: problem(403),
            },
            Exit::Usage,
        ),
        (
            Error::Refused {
                problem: problem(422),
            },
            Exit::Failed,
        ),
        (
            Error::Refused {
                problem: problem(409),
            },
            Exit::Failed,
        ),
        (
            Error::BadResponse {
                server: "s".into(),
                what: "w".into(),
            },
            Exit::Failed,
        ),
        (Error::Internal("x".into()), Exit::Failed),
        (Error::NoNotification(Uuid::nil()), Exit::Failed),
        (Error::NoOperation(Uuid::nil()), Exit::Failed),
        (
            Error::OperationEnded {
                id: Uuid::nil(),
                status: OperationStatus::Failed,
                notification: None,
            },
            Exit::Failed,
        ),
        (
            Error::TimedOut {
                operation: Uuid::nil(),
                last: None,
                after: Duration::from_secs(30),
                others: 0,
            },
            Exit::TimedOut,
        ),
        (
            Error::Unreachable {
                server: "s".into(),
                reason: "r".into(),
                attempts: 4,
            },
            Exit::Unreachable,
        ),
        (
            Error::ServerFailed {
                server: "s".into(),
                problem: problem(503),
            },
            Exit::Unreachable,
        ),
        (Error::NoNotifyd { beside: None }, Exit::Usage),
        (
            Error::Exec {
                path: "/bin/notifyd".into(),
                reason: "r".into(),
            },
            Exit::Failed,
        ),
        (
            Error::UnitExists {
                path: "/u/notifyd.service".into(),
            },
            Exit::Failed,
        ),
        (
            Error::Install {
                path: "/u/notifyd.service".into(),
                reason: "r".into(),
            },
            Exit::Failed,
        ),
        (
            Error::Daemon(DaemonError::Stopped { reason: None }),
            Exit::Unreachable,
        ),
    ];
    for (error, exit) in cases {
        assert_eq!(error.exit_code(), exit, "{error}");
    }
    assert_eq!(Exit::TimedOut as u8, 4);
}

#[test]
fn bad_token_names_the_config_file() {
    let error = Error::BadToken {
        path: "/c/config.toml".into(),
    };
    assert_eq!(
        render(&error),
        "notify: the server refused the token\nhint: check NOTIFY_TOKEN or token in /c/config.toml\n"
    );
}

#[test]
fn problems_render_lowercase_with_their_fields() {
    let problem = Problem::new(422, "unknown-recipient", "Unknown Recipient")
        .with_detail("nothing was sent")
        .with_errors(vec![Violation::new("to", "there is no user bob".into())]);
    assert_eq!(
        render(&Error::Refused {
            problem: Box::new(problem)
        }),
        "notify: unknown recipient: nothing was sent\n  to: there is no user bob\n\
         hint: fix what is listed above and try again\n"
    );
}

#[test]
fn local_violations_list_every_field() {
    let error = Error::Invalid(vec![
        Violation::new("body", "the message is empty".into()),
        Violation::new("tags", "at most 10 tags, got 11".into()),
    ]);
    assert_eq!(
        render(&error),
        "notify: invalid notification\n  body: the message is empty\n  tags: at most 10 tags, got 11\n\
         hint: fix what is listed above; nothing was sent\n"
    );
}

#[test]
fn server_failures_name_the_server() {
    let problem =
        Problem::new(503, "unavailable", "Service Unavailable").with_detail("the database is down");
    let error = Error::ServerFailed {
        server: "http://h:1".into(),
        problem: Box::new(problem),
    };
    assert!(render(&error).starts_with(
        "notify: the server at http://h:1 failed: service unavailable: the database is down\nhint: "
    ));
}

#[test]
fn a_timeout_exits_4_and_says_how_to_follow_up() {
    let error = Error::TimedOut {
        operation: Uuid::nil(),
        last: Some(OperationStatus::Dispatched),
        after: Duration::from_millis(1_500),
        others: 2,
    };
    assert_eq!(error.exit_code(), Exit::TimedOut);
    assert_eq!(
        render(&error),
        "notify: timed out after 1s500ms waiting for operation 00000000-0000-0000-0000-000000000000 \
         (still dispatched) and 2 more\n\
         hint: the operation may still complete: notify status 00000000-0000-0000-0000-000000000000\n"
    );
    let unseen = Error::TimedOut {
        operation: Uuid::nil(),
        last: None,
        after: Duration::from_secs(30),
        others: 0,
    };
    assert!(
        unseen.to_string().ends_with("(not yet visible)"),
        "{unseen}"
    );
}

#[test]
fn missing_ids_say_whose() {
    let error = Error::NoNotification(Uuid::max());
    assert_eq!(
        render(&error),
        "notify: no notification ffffffff-ffff-ffff-ffff-ffffffffffff (or it is not yours)\n\
         hint: `notify list` shows the ids in your inbox, `notify sent` those you sent\n"
    );
}

#[test]
fn failed_operations_point_at_the_history() {
    let error = Error::OperationEnded {
        id: Uuid::nil(),
        status: OperationStatus::PartiallyDelivered,
        notification: Some(Uuid::max()),
    };
    assert_eq!(
        render(&error),
        "notify: operation 00000000-0000-0000-0000-000000000000 was only partially delivered\n\
         hint: see what happened: notify show ffffffff-ffff-ffff-ffff-ffffffffffff --events\n"
    );
}
