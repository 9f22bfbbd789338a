//! Catching the rebuilt model up with the live one and putting it in its place, atomically.
//!
//! The live projector goes on while a rebuild runs, so when the rebuilt schema is loaded the
//! live model may hold events appended after the rebuild's cut. Those are applied to the
//! rebuilt schema with the projector's own code ([`crate::projector::apply`]): first while the
//! projector runs, then, for the last few, in the transaction that swaps the schemas. A
//! projector applies each batch while holding [`hold`]'s shared lock and the swap takes it
//! exclusively, so no batch lands in the old model after the last catch-up; an event that no
//! projector has applied yet is still in its queue and lands in the new model. The old schema
//! is dropped in the same transaction, so a statement prepared against it is planned again
//! against the new one.
//!
//! This module must not decide what a row holds: only the projector's code and the fold do.

use std::collections::HashSet;

use notify_shared::UserId;
use notify_shared::event::Envelope;
use sqlx::types::Json;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::target::{SCHEMA, Target};
use crate::db;
use crate::failpoint;
use crate::projector::apply;
use crate::projector::resolved::Resolved;

/// The advisory lock between a projector's batch (shared) and the switch (exclusive).
const MODEL_LOCK: i64 = 0x6e6f_7469_6679_726d;

/// The name the live schema gets for the moment it takes to drop it.
const REPLACED: &str = "notify_replaced";

/// Events applied per transaction while catching up.
const CHUNK: usize = 2000;

/// Catch-up rounds done while the projector runs, before the last one under the lock.
const ROUNDS: usize = 5;

/// Taken by a projector at the start of each batch's transaction: a switch waits for the batch,
/// and a batch that waits for a switch then writes to the new model.
pub async fn hold(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(MODEL_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the switch did.
#[derive(Debug)]
pub struct Switched {
    /// Events caught up from the live model.
    pub caught_up: u64,
    /// Operations final in the new model and not in the old one: a projector that gets their
    /// last events now finds them applied and tells nobody, so the rebuild tells their
    /// requesters.
    pub resolved: Vec<Resolved>,
}

/// Applies to `target` what the live model applied of the events appended after `cut`, then
/// makes it the live model.
pub async fn catch_up_and_switch(
    write: &PgPool,
    read: &PgPool,
    target: &Target,
    cut: i64,
) -> anyhow::Result<Switched> {
    let mut catch_up = CatchUp {
        seen: cut,
        waiting: Vec::new(),
        applied: 0,
    };
    for _ in 0..ROUNDS {
        let mut conn = read.acquire().await?;
        let due = catch_up.due(write, &mut conn).await?;
        drop(conn);
        let done = due.len() < CHUNK;
        for chunk in due.chunks(CHUNK) {
            let mut tx = target.pool.begin().await?;
            apply::apply_all(&mut tx, chunk).await?;
            tx.commit().await?;
        }
        if done {
            break;
        }
    }
    failpoint::hit("rebuild.before_switch");
    let mut attempt = 0;
    loop {
        match switch(write, read, catch_up.clone()).await {
            Ok(switched) => return Ok(switched),
            // Chosen as a deadlock's victim against a reader: nothing changed; try again.
            Err(error) if db::is_transient(&error) && attempt < 3 => {
                attempt += 1;
                tracing::warn!(%error, "the switch to the rebuilt read model was interrupted; trying again");
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// The last catch-up and the swap, in one transaction.
async fn switch(
    write: &PgPool,
    read: &PgPool,
    mut catch_up: CatchUp,
) -> Result<Switched, sqlx::Error> {
    let mut conn = read.acquire().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MODEL_LOCK)
        .execute(&mut *tx)
        .await?;
    let due = catch_up.due(write, &mut tx).await?;
    sqlx::query(&format!("SET LOCAL search_path = {SCHEMA}"))
        .execute(&mut *tx)
        .await?;
    for chunk in due.chunks(CHUNK) {
        apply::apply_all(&mut tx, chunk).await?;
    }
    let live: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public')")
            .fetch_one(&mut *tx)
            .await?;
    let resolved = newly_resolved(&mut tx).await?;
    if live {
        sqlx::query(&format!("ALTER SCHEMA public RENAME TO {REPLACED}"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(&format!("ALTER SCHEMA {SCHEMA} RENAME TO public"))
        .execute(&mut *tx)
        .await?;
    if live {
        sqlx::query(&format!("DROP SCHEMA {REPLACED} CASCADE"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    // It ran the projector's statements under another search path: not for the pool.
    conn.detach();
    Ok(Switched {
        caught_up: catch_up.applied,
        resolved,
    })
}

/// The operations final in the rebuilt model that the live one has not seen resolve.
async fn newly_resolved(conn: &mut PgConnection) -> Result<Vec<Resolved>, sqlx::Error> {
    let live: bool = sqlx::query_scalar("SELECT to_regclass('public.operations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !live {
        return Ok(Vec::new()); // a new read DB: nobody waits on it
    }
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(&format!(
        "SELECT n.id, n.requester, n.status FROM {SCHEMA}.operations n
         LEFT JOIN public.operations o ON o.id = n.id
         WHERE n.resolved_at IS NOT NULL AND o.resolved_at IS NULL"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(operation_id, requester, status)| {
            Some(Resolved {
                operation_id,
                requester: UserId::parse(requester).ok()?,
                status: status.parse().ok()?,
            })
        })
        .collect())
}

/// The events after the cut, as far as the catch-up has looked at them.
#[derive(Debug, Clone)]
struct CatchUp {
    /// The last store position looked at.
    seen: i64,
    /// Events looked at that no projector had applied yet.
    waiting: Vec<Uuid>,
    /// Events caught up so far.
    applied: u64,
}

impl CatchUp {
    /// The events the live model applied since the last call (of those appended after the
    /// cut), in the store's order.
    async fn due(
        &mut self,
        write: &PgPool,
        read: &mut PgConnection,
    ) -> Result<Vec<Envelope>, sqlx::Error> {
        let appended: Vec<(i64, Uuid)> =
            sqlx::query_as("SELECT position, id FROM events WHERE position > $1 ORDER BY position")
                .bind(self.seen)
                .fetch_all(write)
                .await?;
        if let Some((last, _)) = appended.last() {
            self.seen = *last;
        }
        let mut candidates = std::mem::take(&mut self.waiting);
        candidates.extend(appended.into_iter().map(|(_, id)| id));
        let live_model: bool =
            sqlx::query_scalar("SELECT to_regclass('public.applied_events') IS NOT NULL")
                .fetch_one(&mut *read)
                .await?;
        if candidates.is_empty() || !live_model {
            return Ok(Vec::new());
        }
        let applied: HashSet<Uuid> = sqlx::query_scalar(
            "SELECT event_id FROM public.applied_events WHERE event_id = ANY($1)",
        )
        .bind(&candidates)
        .fetch_all(&mut *read)
        .await?
        .into_iter()
        .collect();
        let (due, waiting): (Vec<Uuid>, Vec<Uuid>) =
            candidates.into_iter().partition(|id| applied.contains(id));
        self.waiting = waiting;
        self.applied += due.len() as u64;
        let found: Vec<Json<Envelope>> =
            sqlx::query_scalar("SELECT document FROM events WHERE id = ANY($1) ORDER BY position")
                .bind(&due)
                .fetch_all(write)
                .await?;
        Ok(found.into_iter().map(|Json(e)| e).collect())
    }
}
