//! The web console's sessions on PostgreSQL (`console_sessions`, `console_visits`; migration 7),
//! shared by every server on the database.

use postgres::Row;

use super::PostgresStore;
use crate::{ConsoleSession, Result, SessionLimits, SessionStore};

const COLUMNS: &str = "id_hash, username, csrf, last_visit_us, started_us, seen_us";

fn row(r: &Row) -> ConsoleSession {
    ConsoleSession {
        id_hash: r.get(0),
        user: r.get(1),
        csrf: r.get(2),
        last_visit_us: r.get(3),
        started_us: r.get(4),
        seen_us: r.get(5),
    }
}

/// The earliest start and last use a session may have and still be live at `now_us`.
fn bounds(now_us: i64, limits: &SessionLimits) -> (i64, i64) {
    (now_us.saturating_sub(limits.life_us), now_us.saturating_sub(limits.idle_us))
}

impl SessionStore for PostgresStore {
    fn start_session(&mut self, session: &ConsoleSession, keep: usize) -> Result<ConsoleSession> {
        let mut c = self.client()?;
        let mut tx = c.transaction()?;
        // The account's visit row, locked until commit: two logins of one account at once
        // each see the visit the other moved, never the same one.
        tx.execute(
            "INSERT INTO console_visits (username, at_us) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING",
            &[&session.user, &i64::MIN],
        )?;
        let previous: i64 =
            tx.query_one("SELECT at_us FROM console_visits WHERE username = $1 FOR UPDATE", &[&session.user])?.get(0);
        tx.execute("UPDATE console_visits SET at_us = $2 WHERE username = $1", &[&session.user, &session.started_us])?;
        let last_visit_us = if previous == i64::MIN { session.last_visit_us } else { previous };
        let stored = ConsoleSession { last_visit_us, ..session.clone() };
        tx.execute(
            &format!("INSERT INTO console_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
            &[&stored.id_hash, &stored.user, &stored.csrf, &stored.last_visit_us, &stored.started_us, &stored.seen_us],
        )?;
        tx.execute(
            "DELETE FROM console_sessions WHERE username = $1 AND id_hash NOT IN
               (SELECT id_hash FROM console_sessions WHERE username = $1
                ORDER BY started_us DESC, id_hash DESC LIMIT $2)",
            &[&stored.user, &i64::try_from(keep).unwrap_or(i64::MAX)],
        )?;
        tx.commit()?;
        Ok(stored)
    }

    fn session(&self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<Option<ConsoleSession>> {
        let (started, seen) = bounds(now_us, limits);
        Ok(self
            .client()?
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM console_sessions WHERE id_hash = $1 AND started_us > $2 AND seen_us > $3"
                ),
                &[&id_hash, &started, &seen],
            )?
            .map(|r| row(&r)))
    }

    fn touch_session(&mut self, id_hash: &str, now_us: i64, limits: &SessionLimits) -> Result<bool> {
        let (started, seen) = bounds(now_us, limits);
        let n = self.client()?.execute(
            "UPDATE console_sessions SET seen_us = greatest(seen_us, $4)
             WHERE id_hash = $1 AND started_us > $2 AND seen_us > $3",
            &[&id_hash, &started, &seen, &now_us],
        )?;
        Ok(n > 0)
    }

    fn end_session(&mut self, id_hash: &str) -> Result<bool> {
        Ok(self.client()?.execute("DELETE FROM console_sessions WHERE id_hash = $1", &[&id_hash])? > 0)
    }

    fn end_user_sessions(&mut self, user: &str) -> Result<u64> {
        Ok(self.client()?.execute("DELETE FROM console_sessions WHERE username = $1", &[&user])?)
    }

    fn purge_sessions(&mut self, now_us: i64, limits: &SessionLimits, max: usize) -> Result<u64> {
        let (started, seen) = bounds(now_us, limits);
        Ok(self.client()?.execute(
            "DELETE FROM console_sessions WHERE id_hash IN
               (SELECT id_hash FROM console_sessions WHERE started_us <= $1 OR seen_us <= $2 LIMIT $3)",
            &[&started, &seen, &i64::try_from(max).unwrap_or(i64::MAX)],
        )?)
    }
}
