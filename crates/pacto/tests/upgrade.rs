//! A data directory written by an earlier release (`tests/fixtures/datadir-v2`, made by
//! `make-datadir-v2.sh` at commit fa2a883, SQLite schema version 2) opens with this release,
//! is upgraded in place, and keeps everything: collections and every version, the ledger,
//! private sets, the detection setup, partners, and what a partner is served.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pacto_testkit::http::Client;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datadir-v2")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

fn pacto(data: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env_remove("PACTO_DATABASE")
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "pacto {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_data_directory_of_the_previous_release_opens_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_dir(&fixture(), &data);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["node-key", "pacto.db", "psi-keys/seized.key"] {
            std::fs::set_permissions(data.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    let listed = pacto(&data, &["collections", "list"]);
    for (name, objects) in [("default", 19), ("from-us-partner", 0), ("observations", 8), ("sightings", 2)] {
        let line = listed.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {listed}"));
        let n: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(n, objects, "{line}");
    }
    let bundle: Value = serde_json::from_str(&pacto(&data, &["export", "--collection", "default"])).unwrap();
    assert_eq!(bundle["objects"].as_array().unwrap().len(), 19);
    let ledger = pacto(&data, &["ledger", "show"]);
    assert_eq!(ledger.lines().filter(|l| l.contains("us-partner")).count(), 13, "{ledger}");
    assert!(pacto(&data, &["set", "list"]).contains("seized"));
    assert!(pacto(&data, &["detect", "status"]).contains("sightings:    sightings"));
    assert!(pacto(&data, &["partner", "list"]).contains("drop box: from-us-partner"));

    // The partner, with the password it was given then, reads what it read then.
    let password = std::fs::read_to_string(data.join("partner-password.txt")).unwrap();
    let password = password.lines().find(|l| l.contains("shown only now")).unwrap().rsplit(' ').next().unwrap();
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("partner-read.json")).unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", &data)
        .env_remove("PACTO_DATABASE")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::listening(&mut child);
    let mut c = Client::new(&addr, Some(("us-partner", password)));
    let r = c.request("GET", "/api/collections/default/objects/", None).unwrap();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let now: Value = serde_json::from_slice(&r.body).unwrap();
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> =
            v["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&now), ids(&before));
}
