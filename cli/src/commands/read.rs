//! `notify read ID... | --all`, `notify unread ID...` and `notify cancel ID...`: one command
//! per id (or one read-all), each its own operation with a fresh UUIDv7 as idempotency key.
//!
//! Stdout gets each operation id as it is accepted (a JSON array of the answers with `--json`).
//! An id the server refuses does not stop the others; the refusals are reported at the end and
//! the command exits 1. A failure to reach the server stops at once: the next id would fail
//! the same way. `--wait` follows every accepted operation until it is applied, registering
//! each wait with notifyd before its command is sent ([`Waits`]).

use std::io::Write;

use notify_shared::commands::CommandAccepted;
use uuid::Uuid;

use notify_shared::api::OperationStatus;

use crate::cli::{CancelArgs, Globals, ReadArgs, UnreadArgs, WaitArgs};
use crate::client::{Client, Mark};
use crate::error::Error;
use crate::exit::Exit;
use crate::output::{Mode, note, write_json, write_line};
use crate::wait::Waits;
use crate::wait::poll::{Until, outcome};

/// What to mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// These notifications, this way.
    Each(Vec<Uuid>, Mark),
    /// Everything in the inbox, read.
    All,
}

/// Runs `notify read`.
pub async fn read(args: ReadArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let target = if args.all {
        Target::All
    } else {
        Target::Each(args.ids, Mark::Read)
    };
    run(target, args.wait, globals, out).await
}

/// Runs `notify unread`.
pub async fn unread(args: UnreadArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let target = Target::Each(args.ids, Mark::Unread);
    run(target, args.wait, globals, out).await
}

/// Runs `notify cancel`.
pub async fn cancel(args: CancelArgs, globals: &Globals, out: &mut dyn Write) -> Result<(), Error> {
    let target = Target::Each(args.ids, Mark::Cancel);
    run(target, args.wait, globals, out).await
}

async fn run(
    target: Target,
    wait_args: WaitArgs,
    globals: &Globals,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let client = super::connect(globals)?;
    let mode = Mode::of(globals);
    let cancelling = matches!(&target, Target::Each(_, Mark::Cancel));
    let mut waits = wait_args
        .wait
        .then(|| Waits::new(wait_args.timeout, client.server(), globals));
    let (accepted, refused) =
        submit(&client, target, &mut waits, globals.verbose, mode, out).await?;
    if mode == Mode::Json {
        write_json(out, &accepted)?;
    }
    if let Some(waits) = waits.filter(|_| !accepted.is_empty()) {
        out.flush().map_err(Error::Output)?;
        let views = waits.finish(&client, Until::Final).await?;
        views
            .iter()
            // A cancellation that took effect may resolve `cancelled`: that is its success.
            .filter(|view| !(cancelling && view.status == OperationStatus::Cancelled))
            .try_for_each(outcome)?;
    }
    last_error(refused, &mut anstream::stderr())
}

/// Sends the commands, each after registering its wait (with `--wait`); returns what was
/// accepted and what was refused.
async fn submit(
    client: &Client,
    target: Target,
    waits: &mut Option<Waits>,
    verbose: bool,
    mode: Mode,
    out: &mut dyn Write,
) -> Result<(Vec<CommandAccepted>, Vec<Error>), Error> {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut take = |answer: CommandAccepted, out: &mut dyn Write| {
        let printed = match mode {
            Mode::Human => write_line(out, answer.operation_id),
            Mode::Json | Mode::Quiet => Ok(()),
        };
        accepted.push(answer);
        printed
    };
    match target {
        Target::All => {
            let operation = Uuid::now_v7();
            note(verbose, format_args!("operation {operation}: read all"));
            if let Some(waits) = waits {
                waits.register(operation).await?;
            }
            take(client.read_all(operation).await?, out)?;
        }
        Target::Each(ids, mark) => {
            // An id to cancel may also be a send's operation id (what `send` printed): then
            // what of that send is still scheduled is cancelled.
            // Each queued id with the operation it was expanded from, if any.
            let mut queue: std::collections::VecDeque<(Uuid, Option<Uuid>)> =
                ids.into_iter().map(|id| (id, None)).collect();
            // Per expanded operation: whether any of its notifications was cancelled, and the
            // last refusal of one of them.
            let mut operations: Vec<(Uuid, bool, Option<Error>)> = Vec::new();
            while let Some((id, from_operation)) = queue.pop_front() {
                let operation = Uuid::now_v7();
                note(
                    verbose,
                    format_args!("operation {operation}: {} {id}", mark.as_str()),
                );
                if let Some(waits) = waits.as_mut() {
                    waits.register(operation).await?;
                }
                let answer = client.mark(id, mark, operation).await;
                if answer.is_err()
                    && let Some(waits) = waits.as_mut()
                {
                    waits.cancel(operation);
                }
                let of = |operations: &[(Uuid, bool, Option<Error>)]| {
                    from_operation.and_then(|from| operations.iter().position(|o| o.0 == from))
                };
                match answer {
                    Ok(answer) => {
                        // A command that changes nothing (a send cancelled before) is answered
                        // with the operation that did: wait for that one.
                        if let Some(waits) =
                            waits.as_mut().filter(|_| answer.operation_id != operation)
                        {
                            waits.cancel(operation);
                            waits.register(answer.operation_id).await?;
                        }
                        if let Some(index) = of(&operations) {
                            operations[index].1 = true;
                        }
                        take(answer, out)?;
                    }
                    Err(Error::NotScheduled(_))
                        if from_operation.is_none() && mark == Mark::Cancel =>
                    {
                        match client.operation(id).await {
                            Ok(view) if !view.notifications.is_empty() => {
                                operations.push((id, false, None));
                                queue.extend(view.notifications.into_iter().map(|n| (n, Some(id))));
                            }
                            _ => refused.push(Error::NotScheduled(id)),
                        }
                    }
                    // Of a send's operation, only what is still scheduled is cancelled.
                    Err(error) if from_operation.is_some() && error.exit_code() == Exit::Failed => {
                        note(verbose, format_args!("{error}"));
                        if let Some(index) = of(&operations) {
                            operations[index].2 = Some(error);
                        }
                    }
                    Err(error) if error.exit_code() == Exit::Failed => refused.push(error),
                    Err(error) => return Err(error),
                }
            }
            // An operation none of whose notifications could be cancelled is refused, whatever
            // the other ids named became.
            refused.extend(
                operations
                    .into_iter()
                    .filter(|(_, cancelled, _)| !cancelled)
                    .filter_map(|(_, _, refusal)| refusal),
            );
        }
    }
    Ok((accepted, refused))
}

/// Reports every refusal but the last on `err` (stderr) and returns the last (exit 1), or `Ok`.
pub fn last_error(mut refused: Vec<Error>, err: &mut dyn Write) -> Result<(), Error> {
    let Some(last) = refused.pop() else {
        return Ok(());
    };
    for error in &refused {
        error.report(err);
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_refusal_decides_the_exit_code() {
        let mut err = Vec::new();
        assert!(last_error(vec![], &mut err).is_ok());
        let error = last_error(
            vec![
                Error::NoNotification(Uuid::nil()),
                Error::NoNotification(Uuid::max()),
            ],
            &mut anstream::StripStream::new(&mut err),
        )
        .expect_err("refused");
        let reported = String::from_utf8(err).expect("utf-8");
        assert!(
            reported.starts_with(
                "notify: no notification 00000000-0000-0000-0000-000000000000 (or it is not yours)\n"
            ),
            "{reported}"
        );
        assert!(matches!(error, Error::NoNotification(id) if id == Uuid::max()));
        assert_eq!(error.exit_code(), Exit::Failed);
    }
}
