//! The web console over HTTP (no browser: see crates/pacto/tests/console_browser.rs for that):
//! its security promises, each tested by the attack it stops — a forged form (no or another
//! session's CSRF token), a page framed or scripted from elsewhere (the policy), a stolen
//! cookie read by script (HttpOnly) or sent cross-site (SameSite), password guessing through
//! the console (the API's throttle), and an account reading a collection it has no right to.

mod common;

use common::{PASSWORD, node_with};
use pacto_store::Incoming;
use pacto_taxii::ServerConfig;
use serde_json::json;

struct Web {
    base: String,
    agent: ureq::Agent,
}

struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.as_str()).collect()
    }
    /// The value of the first cookie `name` this answer sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_string))
    }
    /// The value of a hidden `csrf` input on the page.
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

impl Web {
    fn new(node: &common::Node) -> Web {
        Web::at(node.addr)
    }

    /// The console of the server at `addr`.
    fn at(addr: std::net::SocketAddr) -> Web {
        let config = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build();
        Web { base: format!("http://{addr}"), agent: config.into() }
    }

    fn got(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Got {
        let mut r = r.expect("the server answers");
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        Got { status: r.status().as_u16(), headers, body: r.body_mut().read_to_string().unwrap_or_default() }
    }

    fn get(&self, path: &str, cookie: &str) -> Got {
        Self::got(self.agent.get(&format!("{}{path}", self.base)).header("Cookie", cookie).call())
    }

    fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Got {
        Self::got(
            self.agent.post(&format!("{}{path}", self.base)).header("Cookie", cookie).send_form(form.iter().copied()),
        )
    }

    /// Log in: the session cookie, and the CSRF token of its pages.
    fn login(&self, user: &str) -> (String, String) {
        let form = self.get("/ui/login", "");
        let token = form.cookie("pacto_login").unwrap();
        let r = self.post(
            "/ui/login",
            &format!("pacto_login={token}"),
            &[("user", user), ("password", PASSWORD), ("csrf", &form.csrf())],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = format!("pacto_session={}", r.cookie("pacto_session").unwrap());
        let csrf = self.get("/", &cookie).csrf();
        (cookie, csrf)
    }
}

fn obj(v: serde_json::Value) -> Incoming {
    Incoming::new(&pacto_stix::StixObject::from_value(v).unwrap(), pacto_stix::SpecVersion::V21)
}

const SECRET_TOOL: &str = "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const IND: &str = "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44";

/// `intel`: an indicator; `secret`: a tool related to it, with words of its own.
fn console_node() -> common::Node {
    node_with(ServerConfig::default(), Vec::new(), |s| {
        let intel = s.collection("intel").unwrap().unwrap();
        let secret = s.collection("secret").unwrap().unwrap();
        let t = "2020-01-01T00:00:00.000Z";
        s.add_batch(
            &intel,
            &[obj(json!({"type": "indicator", "spec_version": "2.1", "id": IND, "created": t, "modified": t,
            "name": "Payment front domain", "pattern": "[domain-name:value = 'pagos-rapidos.example']",
            "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}))],
        )
        .unwrap();
        s.add_batch(
            &secret,
            &[
                obj(json!({"type": "tool", "spec_version": "2.1", "id": SECRET_TOOL, "created": t, "modified": t,
                    "name": "Informant handset"})),
                obj(json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--11111111-17d4-4cbf-938f-98ee46b3cd3f",
                    "created": t, "modified": t, "relationship_type": "related-to", "source_ref": IND, "target_ref": SECRET_TOOL})),
            ],
        )
        .unwrap();
    })
}

#[test]
fn every_page_has_the_strict_policy_and_no_inline_script_or_style() {
    let node = console_node();
    let web = Web::new(&node);
    let (cookie, _) = web.login("admin");
    for path in [
        "/ui/login",
        "/",
        "/ui/search?q=payment",
        "/ui/review",
        &format!("/ui/objects/intel/{IND}"),
        "/ui/import",
        "/ui/pattern?pattern=%5Bx%3Ay+%3D+1%5D",
        "/ui/partners",
        "/ui/ledger",
        "/ui/sets",
        "/ui/users",
        "/ui/health",
    ] {
        let r = web.get(path, &cookie);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.header("content-security-policy"), Some(pacto_taxii::console::CSP), "{path}");
        assert!(!pacto_taxii::console::CSP.contains("unsafe"), "no unsafe-inline, no unsafe-eval");
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        // Scripts only from files; no style attributes (the policy would block them anyway).
        assert_eq!(
            r.body.matches("<script").count(),
            r.body.matches("<script src=\"/ui/static/htmx.min.js\" defer></script>").count(),
            "{path}"
        );
        assert!(!r.body.contains(" style="), "{path}");
        assert!(!r.body.contains(" on") || !regex_like_handler(&r.body), "{path}: an inline event handler");
    }
    let js = web.get("/ui/static/htmx.min.js", "");
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").unwrap().starts_with("text/javascript"));
}

/// Whether the page has an inline event handler attribute (` onclick=`, ` onload=`, …).
fn regex_like_handler(body: &str) -> bool {
    body.match_indices(" on").any(|(i, _)| {
        let rest = &body[i + 3..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase()).collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    })
}

#[test]
fn cookies_are_httponly_samesite_strict_and_sessions_end() {
    let node = console_node();
    let web = Web::new(&node);
    let form = web.get("/ui/login", "");
    let c = form.cookies();
    assert!(
        c.iter().all(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure")),
        "{c:?}"
    );
    // Not logged in: to the login page, never the content.
    let r = web.get("/", "");
    assert_eq!((r.status, r.header("location")), (303, Some("/ui/login")));
    let r = web.get("/", "pacto_session=0123456789abcdef");
    assert_eq!(r.status, 303, "a made-up session");
    let (cookie, csrf) = web.login("reader");
    assert_eq!(web.get("/", &cookie).status, 200);
    // Logging out needs the token too; after it the cookie is worth nothing.
    assert_eq!(web.post("/ui/logout", &cookie, &[("csrf", "forged")]).status, 403);
    let out = web.post("/ui/logout", &cookie, &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(out.cookies().iter().any(|c| c.starts_with("pacto_session=;") && c.contains("Max-Age=0")));
    assert_eq!(web.get("/", &cookie).status, 303);
    // A removed account's session ends at once.
    let (cookie, _) = web.login("reader");
    node.store().remove_user("reader").unwrap();
    assert_eq!(web.get("/", &cookie).status, 303);
}

/// The session id in a `pacto_session=…` cookie.
fn session_id(cookie: &str) -> &str {
    cookie.strip_prefix("pacto_session=").unwrap()
}

#[test]
fn a_session_survives_a_restart_and_only_its_hash_is_stored() {
    let mut node = console_node();
    let web = Web::new(&node);
    let (cookie, csrf) = web.login("reader");
    let id = session_id(&cookie).to_string();
    assert_eq!(id.len(), 64, "32 random bytes");
    // The database holds the SHA-256 of the id, never the id: reading it lets no one log in.
    let rows =
        node.db.query("SELECT id_hash, username, csrf, last_visit_us, started_us, seen_us FROM console_sessions");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], pacto_node::tokens::hash(&id));
    assert_eq!(rows[0][1], "reader");
    assert_eq!(rows[0][2], csrf, "the forms' token");
    assert!(rows.iter().flatten().all(|v| !v.contains(&id)), "the id itself is nowhere in {rows:?}");
    let visits = node.db.query("SELECT username, at_us FROM console_visits");
    assert!(visits.iter().flatten().all(|v| !v.contains(&id)));
    assert_eq!(web.get("/", &format!("pacto_session={}", rows[0][0])).status, 303, "the hash is no cookie");
    // A restart: the new server's memory holds nothing, the database everything.
    node.restart();
    let web = Web::new(&node);
    let page = web.get("/", &cookie);
    assert_eq!(page.status, 200, "still logged in after the restart: {}", page.body);
    assert_eq!(page.csrf(), csrf, "the same session");
    let out = web.post("/ui/logout", &cookie, &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(web.get("/", &cookie).status, 303);
    assert_eq!(node.db.query_u64("SELECT count(*) FROM console_sessions"), 0, "a logout removes the row");
}

#[test]
fn a_logout_ends_the_session_for_every_server() {
    let node = console_node();
    let (one, two) = (Web::new(&node), Web::at(node.another_server()));
    let (cookie, csrf) = one.login("reader");
    assert_eq!(two.get("/", &cookie).status, 200, "a login on one server holds on the other");
    let (other, _) = one.login("reader");
    let out = two.post("/ui/logout", &cookie, &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(one.get("/", &cookie).status, 303, "logged out on the other server");
    assert_eq!(two.get("/", &cookie).status, 303);
    assert_eq!(one.get("/", &other).status, 200, "another session of the account goes on");
    // A removed account's sessions end on every server, whichever notices.
    node.store().remove_user("reader").unwrap();
    assert_eq!(two.get("/", &other).status, 303);
    assert_eq!(node.db.query_u64("SELECT count(*) FROM console_sessions"), 0);
    assert_eq!(one.get("/", &other).status, 303);
}

#[test]
fn a_sessions_use_is_written_at_most_once_a_minute_and_it_ends_idle_or_old() {
    let node = console_node();
    let web = Web::new(&node);
    let (cookie, _) = web.login("reader");
    let seen = || node.db.query_u64("SELECT seen_us FROM console_sessions");
    let at_login = seen();
    for _ in 0..3 {
        assert_eq!(web.get("/", &cookie).status, 200);
    }
    assert_eq!(seen(), at_login, "page views within a minute of the last recorded use write nothing");
    // The recorded use a minute and more ago (no sleeping: the row is moved back): the next
    // view writes it again.
    node.db.execute("UPDATE console_sessions SET seen_us = seen_us - 61000000");
    assert_eq!(web.get("/", &cookie).status, 200);
    assert!(seen() >= at_login, "written again at the view: {} < {at_login}", seen());
    // Unused for an hour: ended.
    node.db.execute("UPDATE console_sessions SET seen_us = seen_us - 3600000000");
    assert_eq!(web.get("/", &cookie).status, 303, "idle for an hour");
    // Twelve hours after login, however recently used: ended.
    let (cookie, _) = web.login("reader");
    node.db.execute("UPDATE console_sessions SET started_us = started_us - 43200000000");
    assert_eq!(web.get("/", &cookie).status, 303, "twelve hours old");
    // Each login removes expired sessions: both rows are gone at the next.
    web.login("reader");
    assert_eq!(node.db.query_u64("SELECT count(*) FROM console_sessions"), 1);
}

#[test]
fn forms_without_this_sessions_token_are_refused() {
    let node = console_node();
    {
        let mut s = node.store();
        let c = s.create_collection("analysis", "Analysis", None).unwrap();
        let _ = c;
    }
    let web = Web::new(&node);
    // The login form: without its cookie, or with another page's token.
    let form = web.get("/ui/login", "");
    let r = web.post("/ui/login", "", &[("user", "admin"), ("password", PASSWORD), ("csrf", &form.csrf())]);
    assert_eq!(r.status, 403);
    assert!(r.cookie("pacto_session").is_none());
    let r = web.post("/ui/login", "pacto_login=abc", &[("user", "admin"), ("password", PASSWORD), ("csrf", "abd")]);
    assert_eq!(r.status, 403);
    // A logged-in admin's session, and a form forged elsewhere (no token, another session's).
    let (cookie, csrf) = web.login("admin");
    let (_, other_csrf) = web.login("writer");
    for token in ["", other_csrf.as_str()] {
        let r = web.post("/ui/adopt", &cookie, &[("csrf", token), ("from", "intel"), ("to", "analysis"), ("id", IND)]);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("security token"));
    }
    assert_eq!(web.get(&format!("/ui/objects/analysis/{IND}"), &cookie).status, 404, "nothing was adopted");
    let r = web.post("/ui/adopt", &cookie, &[("csrf", &csrf), ("from", "intel"), ("to", "analysis"), ("id", IND)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(web.get(&format!("/ui/objects/analysis/{IND}"), &cookie).status, 200);
}

#[test]
fn console_logins_are_throttled_like_the_apis() {
    let node = console_node();
    let web = Web::new(&node);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let form = web.get("/ui/login", "");
        let token = form.cookie("pacto_login").unwrap();
        let r = web.post(
            "/ui/login",
            &format!("pacto_login={token}"),
            &[("user", "admin"), ("password", "wrong"), ("csrf", &form.csrf())],
        );
        statuses.push(r.status);
        if r.status == 429 {
            assert!(r.header("retry-after").is_some());
            assert!(r.body.contains("Try again in"), "{}", r.body);
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(statuses[..statuses.len() - 1].iter().all(|s| *s == 401), "{statuses:?}");
}

#[test]
fn a_collection_without_rights_shows_nowhere_in_the_console() {
    let node = console_node();
    let web = Web::new(&node);
    let (cookie, _) = web.login("reader");
    let dashboard = web.get("/", &cookie);
    assert!(dashboard.body.contains("intel") && !dashboard.body.contains("secret"), "{}", dashboard.body);
    let search = web.get("/ui/search?q=informant", &cookie);
    assert!(search.body.contains("0 found") && !search.body.contains(SECRET_TOOL), "{}", search.body);
    let search = web.get("/ui/search?collection=secret", &cookie);
    assert!(search.body.contains("0 found"), "{}", search.body);
    let page = web.get(&format!("/ui/objects/intel/{IND}"), &cookie);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(SECRET_TOOL) && !page.body.contains("Informant"), "a neighbour in the graph");
    assert!(page.body.contains("No relationship"), "{}", page.body);
    let hidden = web.get(&format!("/ui/objects/secret/{SECRET_TOOL}"), &cookie);
    let absent = web.get(&format!("/ui/objects/nosuch/{SECRET_TOOL}"), &cookie);
    assert_eq!((hidden.status, absent.status), (404, 404));
    assert_eq!(hidden.body, absent.body, "as if it did not exist");
    // Operator pages are for administrators.
    for path in ["/ui/partners", "/ui/ledger", "/ui/users", "/ui/health", "/ui/sets"] {
        assert_eq!(web.get(path, &cookie).status, 403, "{path}");
    }
    // The administrator sees both, and the neighbour.
    let (admin, _) = web.login("admin");
    let page = web.get(&format!("/ui/objects/intel/{IND}"), &admin);
    assert!(page.body.contains("Informant handset") && page.body.contains("<svg"), "{}", page.body);
}

/// The partners page tells the operator each connection's last sync (and, when it failed, why
/// and when it last succeeded) and when the next one is due.
#[test]
fn the_partners_page_shows_each_connections_last_and_next_sync() {
    let every = std::time::Duration::from_secs(300);
    let node = node_with(ServerConfig { sync_every: Some(every), ..ServerConfig::default() }, Vec::new(), |s| {
        for p in ["mx", "ca"] {
            let remote = pacto_store::Remote {
                partner: p.into(),
                api_root: format!("https://{p}.example/api/"),
                username: "us".into(),
                password: "sealed".into(),
                ca_file: None,
                fingerprint: None,
            };
            s.put_remote(&remote).unwrap();
        }
        let failed = json!({"time": "2026-12-03T10:00:00.000Z", "ok": false,
            "message": "mx refused the page: the receipt is missing", "last_success": "2026-12-02T09:00:00.000Z"});
        let key = pacto_node::sync::outcome_key("mx");
        s.add_with_settings(None, &[], &[(key, failed.to_string())], &[]).unwrap();
    });
    let web = Web::new(&node);
    let (cookie, _) = web.login("admin");
    let page = web.get("/ui/partners", &cookie);
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("FAILED") && b.contains("the receipt is missing"), "{b}");
    assert!(b.contains("last success: 2026-12-02T09:00:00.000Z"), "{b}");
    assert!(b.contains("2026-12-03T10:05:00Z"), "the next run, 5 minutes after the last: {b}");
    assert!(b.contains("never") && b.contains("at the next run"), "ca never synced: {b}");
}

/// What partners sent awaits review until someone decides: the queue, a forged dismissal
/// refused, a dismissal that cannot be turned into a redirect elsewhere, the decision shown on
/// the object page with the receipt its version arrived under; and a reader without rights to
/// the partner's collection sees none of it, nor its receipts, and cannot decide on it.
#[test]
fn the_review_queue_takes_decisions_and_shows_nothing_to_one_without_rights() {
    const RECEIVED: &str = "tool--77777777-17d4-4cbf-938f-98ee46b3cd3f";
    let node = console_node();
    {
        let mut s = node.store();
        let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
        let t = "2020-01-01T00:00:00.000Z";
        let o = obj(json!({"type": "tool", "spec_version": "2.1", "id": RECEIVED, "created": t, "modified": t,
            "name": "Handset from mx"}));
        let prov = pacto_store::Provenance {
            id: RECEIVED.into(),
            version: o.version.clone(),
            partner: "mx".into(),
            remote_collection: "c1".into(),
            remote_date_added: "2021-01-01T00:00:00.000000Z".into(),
            fetched_us: 1,
            receipt: Some(7),
        };
        s.add_synced(&inbound, &[o], &[prov], &[], ("mx", "c1", "cursor")).unwrap();
    }
    let web = Web::new(&node);
    let (admin, csrf) = web.login("admin");
    assert!(web.get("/", &admin).body.contains("1 awaiting review"));
    let queue = web.get("/ui/review", &admin);
    assert!(queue.body.contains("Handset from mx") && queue.body.contains("1 awaiting review"), "{}", queue.body);
    let page = web.get(&format!("/ui/objects/inbound.mx/{RECEIVED}"), &admin);
    assert!(page.body.contains("/ui/receipts/mx/7") && page.body.contains("awaits review"), "{}", page.body);
    // A forged form decides nothing.
    let r = web.post("/ui/dismiss", &admin, &[("csrf", ""), ("from", "inbound.mx"), ("id", RECEIVED)]);
    assert_eq!(r.status, 403);
    assert!(web.get("/ui/review", &admin).body.contains("Handset from mx"));
    // The reader may not read inbound.mx: nothing of it in the queue, its receipts, a decision.
    let (reader, reader_csrf) = web.login("reader");
    let theirs = web.get("/ui/review", &reader);
    assert!(!theirs.body.contains("Handset") && !theirs.body.contains("inbound.mx"), "{}", theirs.body);
    let dashboard = web.get("/", &reader).body;
    assert!(!dashboard.contains("Handset") && !dashboard.contains("1 awaiting"), "{dashboard}");
    assert_eq!(web.get("/ui/review?collection=inbound.mx", &reader).status, 404);
    assert_eq!(web.get("/ui/receipts/mx/7", &reader).status, 404);
    let r = web.post("/ui/dismiss", &reader, &[("csrf", &reader_csrf), ("from", "inbound.mx"), ("id", RECEIVED)]);
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(web.get("/ui/review", &admin).body.contains("Handset from mx"));
    // The administrator dismisses it; "back" only ever leads within the console.
    let r = web.post(
        "/ui/dismiss",
        &admin,
        &[("csrf", &csrf), ("from", "inbound.mx"), ("id", RECEIVED), ("back", "https://elsewhere.example/")],
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/ui/review")));
    assert!(web.get("/ui/review", &admin).body.contains("Nothing awaits review"));
    let page = web.get(&format!("/ui/objects/inbound.mx/{RECEIVED}"), &admin);
    assert!(page.body.contains("dismissed by admin"), "{}", page.body);
}

/// The ledger page checks the whole ledger and says so plainly when it does not verify (an
/// entry written into the database behind the node's back), and when it checked.
#[test]
fn the_ledger_page_says_when_the_ledger_does_not_verify() {
    let node = console_node();
    let web = Web::new(&node);
    let (admin, _) = web.login("admin");
    let page = web.get("/ui/ledger", &admin);
    assert!(page.body.contains("Verified: 0 entries"), "{}", page.body);
    {
        let mut s = node.store();
        let forged = serde_json::json!({"seq": 1, "time": "2026-01-01T00:00:00Z", "partner": "mx", "kind": "disclosure",
            "collection": "intel", "object_id": IND, "object_version": null, "digest": "00", "prev": "00", "hash": "00"});
        s.ledger_append(&[(1, "mx".into(), forged.to_string())], None).unwrap();
    }
    // The ledger grew since the last check: the next view checks again (and a failed check is
    // never kept).
    let page = web.get("/ui/ledger", &admin);
    assert!(page.body.contains("DOES NOT VERIFY") && page.body.contains("checked"), "{}", page.body);
}
