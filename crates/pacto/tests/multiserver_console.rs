//! The web console across several `pacto serve` processes on one PostgreSQL database: a login
//! on one server holds on another, outlives its server being killed and started again, and a
//! logout on any server ends it on all.
//!
//! Skipped (with a message) without PostgreSQL, unless `PACTO_REQUIRE_POSTGRES=1`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use pacto_store::testing::TestDatabase;

const PASSWORD: &str = "console-multi-server-password";

/// A `pacto serve` process and its console.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

fn serve(data: &Path, db: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env("PACTO_DATABASE", db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::listening(&mut child);
    let agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    Server { child, base: format!("http://{addr}"), agent }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, the cookies it sets, body.
struct Got {
    status: u16,
    cookies: Vec<String>,
    body: String,
}

impl Got {
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_string))
    }
    /// The value of the page's hidden `csrf` input.
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

impl Server {
    fn got(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Got {
        let mut r = r.expect("the server answers");
        let cookies =
            r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_string()).collect();
        Got { status: r.status().as_u16(), cookies, body: r.body_mut().read_to_string().unwrap_or_default() }
    }

    fn get(&self, path: &str, cookie: &str) -> Got {
        Self::got(self.agent.get(&format!("{}{path}", self.base)).header("Cookie", cookie).call())
    }

    fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Got {
        Self::got(
            self.agent.post(&format!("{}{path}", self.base)).header("Cookie", cookie).send_form(form.iter().copied()),
        )
    }

    /// Log in: the session cookie.
    fn login(&self, user: &str) -> String {
        let form = self.get("/ui/login", "");
        let token = form.cookie("pacto_login").expect("the login form's cookie");
        let r = self.post(
            "/ui/login",
            &format!("pacto_login={token}"),
            &[("user", user), ("password", PASSWORD), ("csrf", &form.csrf())],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        format!("pacto_session={}", r.cookie("pacto_session").expect("a session cookie"))
    }
}

#[test]
fn a_console_session_is_every_servers() {
    let Some(db) = TestDatabase::postgres("multiserver_console") else { return };
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    common::pacto_on(&data, &url, &["collections", "create", "intel"], None);
    common::pacto_on(&data, &url, &["user", "add", "analyst", "--read", "intel"], Some(&format!("{PASSWORD}\n")));

    let mut one = serve(&data, &url);
    let two = serve(&data, &url);
    let cookie = one.login("analyst");
    assert_eq!(one.get("/", &cookie).status, 200);
    let page = two.get("/", &cookie);
    assert_eq!(page.status, 200, "the login made on the first server holds on the second: {}", page.body);

    // The first server killed and started again: the session is in the database, not in it.
    drop(one);
    one = serve(&data, &url);
    assert_eq!(one.get("/", &cookie).status, 200, "the session outlives its server");

    // A logout on the second server: the first refuses the cookie.
    let out = two.post("/ui/logout", &cookie, &[("csrf", &page.csrf())]);
    assert_eq!(out.status, 303, "{}", out.body);
    let refused = one.get("/", &cookie);
    assert_eq!(refused.status, 303, "logged out on the other server: to the login page");
    assert_eq!(two.get("/", &cookie).status, 303);
    assert_eq!(db.query_u64("SELECT count(*) FROM console_sessions"), 0);
}
