//! The web console's sessions (`SessionStore`), on every backend: a session is found by the
//! hash of its id while it is live and not after, a login moves the account's visit, an account
//! keeps a bounded number of sessions, and every connection to the database sees the same ones.

use pacto_store::testing::TestDatabase;
use pacto_store::{ConsoleSession, SessionLimits, on_every_backend};

const MIN: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MIN;
const LIMITS: SessionLimits = SessionLimits { life_us: 12 * HOUR, idle_us: HOUR };
/// An instant to start from (2026-01-01, microseconds).
const T0: i64 = 1_767_225_600_000_000;

fn session(id_hash: &str, user: &str, at: i64) -> ConsoleSession {
    ConsoleSession {
        id_hash: id_hash.into(),
        user: user.into(),
        csrf: format!("csrf-{id_hash}"),
        last_visit_us: at - 24 * HOUR,
        started_us: at,
        seen_us: at,
    }
}

on_every_backend!(a_session_is_found_while_live, |db: &TestDatabase| {
    let mut s = db.open();
    let stored = s.start_session(&session("h1", "alice", T0), 100).unwrap();
    assert_eq!(stored, session("h1", "alice", T0), "a first login keeps the visit it was given");
    assert_eq!(s.session("h1", T0 + MIN, &LIMITS).unwrap(), Some(stored.clone()));
    assert_eq!(s.session("h2", T0 + MIN, &LIMITS).unwrap(), None, "another hash finds nothing");
    // Idle: one hour unused ends it; a touch before then keeps it.
    assert_eq!(s.session("h1", T0 + HOUR, &LIMITS).unwrap(), None, "idle for an hour");
    assert!(s.touch_session("h1", T0 + 50 * MIN, &LIMITS).unwrap());
    let seen = s.session("h1", T0 + HOUR, &LIMITS).unwrap().expect("touched, so still live");
    assert_eq!(seen.seen_us, T0 + 50 * MIN);
    // A touch from an earlier instant (another server's clock, a late request) does not move it back.
    assert!(s.touch_session("h1", T0 + 40 * MIN, &LIMITS).unwrap());
    assert_eq!(s.session("h1", T0 + HOUR, &LIMITS).unwrap().unwrap().seen_us, T0 + 50 * MIN);
    // A session idle past its limit is not brought back by a touch.
    assert!(!s.touch_session("h1", T0 + 50 * MIN + HOUR, &LIMITS).unwrap());
    assert_eq!(s.session("h1", T0 + 50 * MIN + HOUR, &LIMITS).unwrap(), None);
    assert!(!s.touch_session("nope", T0, &LIMITS).unwrap());
});

on_every_backend!(a_session_ends_after_its_life_however_used, |db: &TestDatabase| {
    let mut s = db.open();
    s.start_session(&session("h1", "alice", T0), 100).unwrap();
    let mut t = T0;
    while t + 30 * MIN < T0 + 12 * HOUR {
        t += 30 * MIN;
        assert!(s.touch_session("h1", t, &LIMITS).unwrap(), "used every half hour, live at {t}");
    }
    assert!(s.session("h1", T0 + 12 * HOUR - 1, &LIMITS).unwrap().is_some());
    assert_eq!(s.session("h1", T0 + 12 * HOUR, &LIMITS).unwrap(), None, "twelve hours after login");
    assert!(!s.touch_session("h1", T0 + 12 * HOUR, &LIMITS).unwrap());
});

on_every_backend!(a_login_moves_the_accounts_visit, |db: &TestDatabase| {
    let mut s = db.open();
    let first = s.start_session(&session("h1", "alice", T0), 100).unwrap();
    assert_eq!(first.last_visit_us, T0 - 24 * HOUR);
    let second = s.start_session(&session("h2", "alice", T0 + HOUR), 100).unwrap();
    assert_eq!(second.last_visit_us, T0, "the previous login");
    assert_eq!(s.session("h2", T0 + HOUR, &LIMITS).unwrap().unwrap().last_visit_us, T0);
    let third = s.start_session(&session("h3", "alice", T0 + 2 * HOUR), 100).unwrap();
    assert_eq!(third.last_visit_us, T0 + HOUR);
    let bob = s.start_session(&session("h4", "bob", T0 + 2 * HOUR), 100).unwrap();
    assert_eq!(bob.last_visit_us, T0 + 2 * HOUR - 24 * HOUR, "another account's visits are its own");
    // The first session still holds the visit it began with.
    assert_eq!(s.session("h1", T0 + 30 * MIN, &LIMITS).unwrap().unwrap().last_visit_us, T0 - 24 * HOUR);
    // The same hash twice is refused, and moves nothing.
    assert!(s.start_session(&session("h3", "alice", T0 + 3 * HOUR), 100).is_err());
    let fourth = s.start_session(&session("h5", "alice", T0 + 4 * HOUR), 100).unwrap();
    assert_eq!(fourth.last_visit_us, T0 + 2 * HOUR, "a refused login moved no visit");
});

on_every_backend!(an_account_keeps_its_newest_sessions, |db: &TestDatabase| {
    let mut s = db.open();
    for i in 0..5 {
        s.start_session(&session(&format!("a{i}"), "alice", T0 + i * MIN), 3).unwrap();
    }
    s.start_session(&session("b0", "bob", T0), 3).unwrap();
    let now = T0 + 5 * MIN;
    let live: Vec<bool> = (0..5).map(|i| s.session(&format!("a{i}"), now, &LIMITS).unwrap().is_some()).collect();
    assert_eq!(live, [false, false, true, true, true], "the oldest went");
    assert!(s.session("b0", now, &LIMITS).unwrap().is_some(), "another account's sessions stay");
    assert_eq!(db.query_u64("SELECT count(*) FROM console_sessions"), 4);
});

on_every_backend!(sessions_end_one_or_all_of_an_account, |db: &TestDatabase| {
    let mut s = db.open();
    s.start_session(&session("a1", "alice", T0), 100).unwrap();
    s.start_session(&session("a2", "alice", T0), 100).unwrap();
    s.start_session(&session("b1", "bob", T0), 100).unwrap();
    assert!(s.end_session("a1").unwrap());
    assert!(!s.end_session("a1").unwrap(), "ended already");
    assert_eq!(s.session("a1", T0, &LIMITS).unwrap(), None);
    assert!(s.session("a2", T0, &LIMITS).unwrap().is_some());
    s.start_session(&session("a3", "alice", T0), 100).unwrap();
    assert_eq!(s.end_user_sessions("alice").unwrap(), 2);
    assert_eq!(s.session("a2", T0, &LIMITS).unwrap(), None);
    assert_eq!(s.session("a3", T0, &LIMITS).unwrap(), None);
    assert!(s.session("b1", T0, &LIMITS).unwrap().is_some(), "bob's stays");
    assert_eq!(s.end_user_sessions("alice").unwrap(), 0);
});

on_every_backend!(purging_removes_the_expired_only_and_is_bounded, |db: &TestDatabase| {
    let mut s = db.open();
    for i in 0..5 {
        s.start_session(&session(&format!("old{i}"), "alice", T0), 100).unwrap();
    }
    s.start_session(&session("fresh", "alice", T0 + 2 * HOUR), 100).unwrap();
    s.start_session(&session("long", "bob", T0 - 10 * HOUR), 100).unwrap();
    for t in 1..=14 {
        assert!(s.touch_session("long", T0 - 10 * HOUR + t * 50 * MIN, &LIMITS).unwrap());
    }
    let now = T0 + 2 * HOUR + MIN;
    // old*: idle for two hours; long: used 21 minutes ago, but begun twelve hours and a minute ago.
    assert_eq!(s.purge_sessions(now, &LIMITS, 4).unwrap(), 4, "at most four at once");
    assert_eq!(s.purge_sessions(now, &LIMITS, 100).unwrap(), 2);
    assert_eq!(s.purge_sessions(now, &LIMITS, 100).unwrap(), 0);
    let left = db.query("SELECT id_hash FROM console_sessions");
    assert_eq!(left, vec![vec!["fresh".to_string()]]);
});

on_every_backend!(every_connection_sees_the_same_sessions, |db: &TestDatabase| {
    let mut one = db.open();
    let mut two = db.open();
    let started = one.start_session(&session("h1", "alice", T0), 100).unwrap();
    assert_eq!(two.session("h1", T0 + MIN, &LIMITS).unwrap(), Some(started));
    assert!(two.touch_session("h1", T0 + 50 * MIN, &LIMITS).unwrap());
    assert!(one.session("h1", T0 + HOUR, &LIMITS).unwrap().is_some(), "the other's touch counts");
    let again = two.start_session(&session("h2", "alice", T0 + HOUR), 100).unwrap();
    assert_eq!(again.last_visit_us, T0, "the visit the other connection recorded");
    assert!(two.end_session("h1").unwrap());
    assert_eq!(one.session("h1", T0 + HOUR, &LIMITS).unwrap(), None, "ended for every connection");
    drop(one);
    drop(two);
    // Reopened (a restart), the sessions are still there.
    assert!(db.open().session("h2", T0 + HOUR, &LIMITS).unwrap().is_some());
});

// Removing an account (`pacto user remove`, with no console request to notice) ends its
// sessions at once.
on_every_backend!(removing_an_account_ends_its_sessions, |db: &TestDatabase| {
    let mut s = db.open();
    let user = |name: &str| pacto_store::User {
        name: name.into(),
        password_hash: String::new(),
        can_read: vec!["*".into()],
        can_write: vec![],
    };
    s.put_user(&user("alice")).unwrap();
    s.put_user(&user("bob")).unwrap();
    s.start_session(&session("a1", "alice", T0), 100).unwrap();
    s.start_session(&session("b1", "bob", T0), 100).unwrap();
    assert!(s.remove_user("alice").unwrap());
    assert_eq!(s.session("a1", T0, &LIMITS).unwrap(), None);
    assert!(s.session("b1", T0, &LIMITS).unwrap().is_some());
});
