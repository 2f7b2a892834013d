//! The nodes these tests run: a data directory, a database on the backend under test, and a
//! `pacto serve` process when one is started; and the helpers the tests share.

use std::path::Path;
use std::process::{Command, Stdio};

use pacto_store::testing::TestDatabase;
use serde_json::Value;

/// The backend these tests run on: SQLite, or PostgreSQL when `PACTO_TEST_BACKEND=postgres`.
pub fn test_database() -> TestDatabase {
    match std::env::var("PACTO_TEST_BACKEND").as_deref() {
        Ok("postgres") => TestDatabase::postgres("federation").expect("PACTO_TEST_BACKEND=postgres needs PostgreSQL"),
        _ => TestDatabase::sqlite(),
    }
}

pub fn pacto(data: &Path, db: &TestDatabase, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env("PACTO_DATABASE", db.url())
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap()
}

pub fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A node: its data directory, its database and, once started, its server.
pub struct Node {
    pub dir: tempfile::TempDir,
    pub db: TestDatabase,
    pub child: Option<std::process::Child>,
    pub addr: String,
}

impl Node {
    pub fn new() -> Node {
        Node { dir: tempfile::tempdir().unwrap(), db: test_database(), child: None, addr: String::new() }
    }
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        pacto(self.dir.path(), &self.db, args)
    }
    pub fn run_stdin(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pacto"));
        cmd.env("PACTO_DATA_DIR", self.dir.path()).env("PACTO_DATABASE", self.db.url()).args(args);
        super::run_with_input(&mut cmd, input)
    }
    pub fn serve(&mut self) {
        self.serve_at("127.0.0.1:0", &[]);
    }
    /// Serve with more options (`--node-tls`).
    pub fn serve_with(&mut self, extra: &[&str]) {
        self.serve_at("127.0.0.1:0", extra);
    }
    /// Serve on a given address (one that outlives a restart).
    pub fn serve_on(&mut self, listen: &str) {
        self.serve_at(listen, &[]);
    }
    /// Stop the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    pub fn serve_at(&mut self, listen: &str, extra: &[&str]) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
            .env("PACTO_DATA_DIR", self.dir.path())
            .env("PACTO_DATABASE", self.db.url())
            .args(["serve", "--listen", listen])
            // No background sync unless the test asks for it.
            .args(if extra.contains(&"--sync-interval") { &[][..] } else { &["--sync-interval", "0"][..] })
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.addr = super::listening(&mut child);
        self.child = Some(child);
    }
    /// Add `partner` with an agreement; returns the password the partner uses here.
    pub fn add_partner(&self, partner: &str, agreement: &str) -> String {
        let path = self.dir.path().join(format!("{partner}-agreement.toml"));
        std::fs::write(&path, agreement).unwrap();
        let out = self.run(&["partner", "add", partner, "--basic", "--agreement", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find(|l| l.contains("shown only now"))
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    }
    pub fn connect(&self, partner: &str, to: &Node, user: &str, password: &str) {
        let url = format!("http://{}/api/", to.addr);
        let out =
            self.run_stdin(&["partner", "connect", partner, "--url", &url, "--user", user], &format!("{password}\n"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    /// This node's certificate fingerprint (`pacto node id`).
    pub fn id(&self) -> String {
        let o = self.run(&["node", "id"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }
    /// Everything the node's database holds, as bytes to search: the SQLite file and its log,
    /// or the text of the credential-bearing tables on PostgreSQL.
    pub fn database_bytes(&self) -> Vec<u8> {
        match &self.db.database {
            pacto_store::Database::Sqlite(p) => {
                let mut all = std::fs::read(p).unwrap();
                all.extend(std::fs::read(p.with_extension("db-wal")).unwrap_or_default());
                all
            }
            _ => ["remotes", "users", "api_tokens", "partner_certs", "meta"]
                .iter()
                .flat_map(|t| self.db.query(&format!("SELECT t::text FROM {t} t")))
                .flatten()
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
        }
    }
    pub fn ids(&self, collection: &str) -> Vec<String> {
        let out = self.run(&["export", "-c", collection]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> =
            v["objects"].as_array().into_iter().flatten().map(|o| o["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }
    pub fn promised(&self, partner: &str) -> Vec<String> {
        let out = self.run(&["agreement", "check", "--partner", partner, "--format", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> = v["collections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["disclosed"].as_array().cloned().unwrap_or_default())
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The private key's base64 body of a PEM file (what would leak).
pub fn pem_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().concat()
}
