//! The web console's sessions on SQLite (`console_sessions`, `console_visits`; schema 8).

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::{ConsoleSession, Result, SessionLimits, SessionStore};

const COLUMNS: &str = "id_hash, username, csrf, last_visit_us, started_us, seen_us";

fn row(r: &Row<'_>) -> rusqlite::Result<ConsoleSession> {
    Ok(ConsoleSession {
        id_hash: r.get(0)?,
        user: r.get(1)?,
        csrf: r.get(2)?,
        last_visit_us: r.get(3)?,
        started_us: r.get(4)?,
        seen_us: r.get(5)?,
    })
}

/// The earliest start and last use a session may have and still be live at `now_us`.
fn bounds(now_us: i64, limits: &SessionLimits) -> (i64, i64) {
    (now_us.saturating_sub(limits.life_us), now_us.saturating_sub(limits.idle_us))
}

impl SessionStore for SqliteStore {
    fn start_session(&mut self, session: &ConsoleSession, keep: usize) -> Result<ConsoleSession> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let previous: Option<i64> = tx
            .query_row("SELECT at_us FROM console_visits WHERE username = ?1", [&session.user], |r| r.get(0))
            .optional()?;
        tx.execute(
            "INSERT INTO console_visits (username, at_us) VALUES (?1, ?2)
             ON CONFLICT (username) DO UPDATE SET at_us = excluded.at_us",
            params![session.user, session.started_us],
        )?;
        let stored = ConsoleSession { last_visit_us: previous.unwrap_or(session.last_visit_us), ..session.clone() };
        tx.execute(
            &format!("INSERT INTO console_sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![stored.id_hash, stored.user, stored.csrf, stored.last_visit_us, stored.started_us, stored.seen_us],
        )?;
        tx.execute(
            "DELETE FROM console_sessions WHERE username = ?1 AND id_hash NOT IN
               (SELECT id_hash FROM console_sessions WHERE username = ?1
                ORDER BY started_us DESC, id_hash DESC LIMIT ?2)",
            params![stored.user, i64::try_from(keep).unwrap_or(i64::MAX)],
        )?;
        tx.commit()?;
        Ok(stored)
    }

    fn session(&self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<Option<ConsoleSession>> {
        let (started, seen) = bounds(now_us, limits);
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM console_sessions WHERE id_hash = ?1 AND started_us > ?2 AND seen_us > ?3"
                ),
                params![id_hash, started, seen],
                row,
            )
            .optional()?)
    }

    fn touch_session(&mut self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<bool> {
        let (started, seen) = bounds(now_us, limits);
        let n = self.conn.execute(
            "UPDATE console_sessions SET seen_us = max(seen_us, ?4)
             WHERE id_hash = ?1 AND started_us > ?2 AND seen_us > ?3",
            params![id_hash, started, seen, now_us],
        )?;
        Ok(n > 0)
    }

    fn end_session(&mut self, id_hash: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])? > 0)
    }

    fn end_user_sessions(&mut self, user: &str) -> Result<u64> {
        Ok(self.conn.execute("DELETE FROM console_sessions WHERE username = ?1", [user])? as u64)
    }

    fn purge_sessions(&mut self, now_us: i64, limits: &SessionLimits, max: usize) -> Result<u64> {
        let (started, seen) = bounds(now_us, limits);
        let n = self.conn.execute(
            "DELETE FROM console_sessions WHERE id_hash IN
               (SELECT id_hash FROM console_sessions WHERE started_us <= ?1 OR seen_us <= ?2 LIMIT ?3)",
            params![started, seen, i64::try_from(max).unwrap_or(i64::MAX)],
        )?;
        Ok(n as u64)
    }
}
