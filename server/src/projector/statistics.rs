//! Fresh planner statistics for the read tables while they grow from empty (a new install,
//! a rebuild): ANALYZE after the first [`FIRST`] events applied, then each time that doubled.
//!
//! Without statistics the planner guesses that a join on an id matches 0.5 % of a table, and
//! plans whole-table scans where an index finds one row: the projector's statements then take
//! a second each on tables of 25,000 rows. Autovacuum analyzes only after a minute, and then
//! only by its thresholds; this runs a few times in a process's life (the doubling), and costs
//! one small sample of each table when it does.

use sqlx::PgPool;

/// Events applied before the first ANALYZE.
const FIRST: u64 = 2_000;

/// The tables the projector fills.
pub const READ_TABLES: &str = "applied_events, aggregate_versions, pending_events, notifications, \
                               timeline, inboxes, operation_notifications, operations, \
                               deliveries, preferences";

/// When the read tables are analyzed next.
#[derive(Debug)]
pub struct Statistics {
    applied: u64,
    next: u64,
}

impl Default for Statistics {
    fn default() -> Self {
        Self {
            applied: 0,
            next: FIRST,
        }
    }
}

impl Statistics {
    /// Counts `events` more applied; analyzes the read tables when they reached the next mark.
    pub async fn applied(&mut self, read: &PgPool, events: usize) -> Result<(), sqlx::Error> {
        self.applied += events as u64;
        if self.applied < self.next {
            return Ok(());
        }
        while self.next <= self.applied {
            self.next *= 2;
        }
        // A small sample (3,000 rows a table, not 30,000) is enough to tell an index lookup
        // from a scan, and keeps the pause short for the statements running beside it;
        // autovacuum refines it later with the server's own target.
        let mut tx = read.begin().await?;
        sqlx::query("SET LOCAL default_statistics_target = 10")
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ANALYZE {READ_TABLES}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marks_double() {
        let mut statistics = Statistics::default();
        let mut marks = Vec::new();
        for _ in 0..40 {
            statistics.applied += 500;
            if statistics.applied >= statistics.next {
                while statistics.next <= statistics.applied {
                    statistics.next *= 2;
                }
                marks.push(statistics.applied);
            }
        }
        assert_eq!(marks, [2_000, 4_000, 8_000, 16_000]);
    }
}
