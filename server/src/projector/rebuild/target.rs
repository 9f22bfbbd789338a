//! The schema a rebuild fills while the live read model goes on serving: created empty by
//! the read migrations, loaded with COPY while it has no index or key, then given its keys,
//! indexes and statistics at once.
//!
//! It must not touch the live model (`public`): replacing it is [`super::switch`]'s.

use futures::{StreamExt, TryStreamExt};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};

use super::copy::Table;
use crate::db::READ_MIGRATIONS;

/// The schema being filled. A rebuild that stops before its switch leaves it behind; the next
/// rebuild drops it first.
pub const SCHEMA: &str = "notify_rebuild";

/// The new read model, while it is filled.
#[derive(Debug)]
pub struct Target {
    /// Connections whose `search_path` is [`SCHEMA`], so the projector's own statements
    /// (unqualified) write there.
    pub pool: PgPool,
    /// What `finish` runs, stage by stage: the keys, then the indexes, then the foreign keys.
    deferred: [Vec<String>; 3],
}

impl Target {
    /// Drops what an interrupted rebuild left, creates [`SCHEMA`] with the read migrations and
    /// takes its keys and indexes off until [`Target::finish`].
    pub async fn prepare(read: &PgPool) -> Result<Self, sqlx::Error> {
        abandon(read).await?;
        sqlx::query(&format!("CREATE SCHEMA {SCHEMA}"))
            .execute(read)
            .await?;
        let options = read.connect_options().as_ref().clone().options([
            ("search_path", SCHEMA),
            // Only the switch's commit must be durable, and it is made on the live pool.
            ("synchronous_commit", "off"),
            ("maintenance_work_mem", "256MB"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        READ_MIGRATIONS.run(&pool).await?;
        let deferred = defer(&pool).await?;
        Ok(Self { pool, deferred })
    }

    /// Loads `tables` in one transaction.
    pub async fn load(&self, tables: Vec<Table>) -> Result<(), sqlx::Error> {
        load(&self.pool, tables).await
    }

    /// Builds the keys and indexes taken off by `prepare` and analyzes every table once.
    pub async fn finish(&self) -> Result<(), sqlx::Error> {
        for stage in &self.deferred {
            // The statements of a stage build different tables' indexes: two at a time.
            futures::stream::iter(stage)
                .map(|statement| async move { sqlx::query(statement).execute(&self.pool).await })
                .buffer_unordered(2)
                .try_collect::<Vec<_>>()
                .await?;
        }
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = $1",
        )
        .bind(SCHEMA)
        .fetch_all(&self.pool)
        .await?;
        sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Removes what a rebuild that will not finish has built (nothing, once it switched).
pub async fn abandon(read: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .execute(read)
        .await?;
    Ok(())
}

/// Loads `tables` into the schema of `pool` (a [`Target`]'s) in one transaction.
pub async fn load(pool: &PgPool, tables: Vec<Table>) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    for table in tables {
        let mut copy = tx.copy_in_raw(&table.statement).await?;
        copy.send(table.data).await?;
        copy.finish().await?;
    }
    tx.commit().await
}

/// Drops the new schema's foreign keys, keys and indexes (so COPY maintains none), and returns
/// the statements that put them back, in stages that work in order: keys, indexes, foreign
/// keys.
async fn defer(pool: &PgPool) -> Result<[Vec<String>; 3], sqlx::Error> {
    // (table, name, definition, whether a foreign key), foreign keys first.
    let constraints: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT t.oid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid),
                c.contype = 'f'
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = $1 AND c.contype IN ('p', 'u', 'f') AND t.relname <> '_sqlx_migrations'
         ORDER BY c.contype = 'f' DESC, t.relname, c.conname",
    )
    .bind(SCHEMA)
    .fetch_all(pool)
    .await?;
    let mut keys = Vec::new();
    let mut foreign = Vec::new();
    for (table, name, definition, is_foreign) in constraints {
        sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .execute(pool)
            .await?;
        let add = format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}");
        if is_foreign {
            foreign.push(add);
        } else {
            keys.push(add);
        }
    }
    // What is left are the indexes that no constraint owns.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT quote_ident(indexname), indexdef FROM pg_indexes
         WHERE schemaname = $1 AND tablename <> '_sqlx_migrations'",
    )
    .bind(SCHEMA)
    .fetch_all(pool)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {SCHEMA}.{name}"))
            .execute(pool)
            .await?;
    }
    let indexes = indexes
        .into_iter()
        .map(|(_, definition)| definition)
        .collect();
    Ok([keys, indexes, foreign])
}
