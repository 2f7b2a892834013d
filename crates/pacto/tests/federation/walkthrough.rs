//! The README's walkthrough, run as written.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;

/// The README's walkthrough, run as written: every command of its block, in order, on two nodes
/// (the only changes: the placeholders become the fingerprints `node id` printed, the port a
/// free one). A command added to or changed in the README is run by this test as it stands.
#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("## Two agencies, two nodes")
        .nth(1)
        .and_then(|r| r.split("```sh\n").nth(1))
        .and_then(|r| r.split("```").next())
        .expect("the walkthrough's sh block");
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("examples"), work.path().join("examples")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut nodes = [("./mx", Node::new()), ("./us", Node::new())];
    let mut fingerprints: Vec<(String, String)> = Vec::new();
    let mut current = 0usize;
    let mut ran = 0;
    for line in block.lines() {
        let line = line.split("  #").next().unwrap().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(dir) = line.strip_prefix("export PACTO_DATA_DIR=") {
            current = nodes.iter().position(|(d, _)| *d == dir).expect(dir);
            continue;
        }
        for command in line.split(" && ") {
            let mut command = command.to_string();
            for (placeholder, fp) in &fingerprints {
                command = command.replace(placeholder, fp);
            }
            command = command.replace("127.0.0.1:8443", &format!("127.0.0.1:{port}"));
            let (node, command) = match command.strip_prefix("PACTO_DATA_DIR=") {
                Some(rest) => {
                    let (dir, rest) = rest.split_once(' ').unwrap();
                    (nodes.iter().position(|(d, _)| *d == dir).expect(dir), rest.to_string())
                }
                None => (current, command),
            };
            let background = command.ends_with(" &");
            let words: Vec<String> =
                command.trim_end_matches(" &").split_whitespace().map(|w| w.trim_matches('\'').to_string()).collect();
            assert_eq!(words[0], "pacto", "{command}");
            let n = &mut nodes[node].1;
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_pacto"));
            cmd.env("PACTO_DATA_DIR", n.dir.path())
                .env("PACTO_DATABASE", n.db.url())
                .current_dir(work.path())
                .arg("--no-progress")
                .args(&words[1..]);
            ran += 1;
            if background {
                let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
                let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
                while !lines.next().expect("server output").unwrap().contains("TAXII 2.1 at https://") {}
                std::thread::spawn(move || for _ in lines {});
                n.child = Some(child);
                continue;
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "`{command}` failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if words[1..] == ["node", "id"] {
                let name = nodes[node].0.trim_start_matches("./").to_uppercase();
                fingerprints
                    .push((format!("{name}-FINGERPRINT"), String::from_utf8(out.stdout).unwrap().trim().to_string()));
            }
        }
    }
    assert!(ran >= 20, "only {ran} commands found in the walkthrough");
    // What it promised: the US node holds what mx granted, and sightings of mx's indicators.
    let (mx, us) = (&nodes[0].1, &nodes[1].1);
    assert!(!us.ids("inbound.mx").is_empty());
    assert_eq!(us.ids("inbound.mx"), mx.promised("us-partner"));
    assert!(work.path().join("ledger.jsonl").exists());
    // us sent mx its analysis and its sightings of mx's indicator, linked to it.
    let dropbox = mx.run(&["export", "-c", "from-us-partner"]);
    let dropbox: Value = serde_json::from_slice(&dropbox.stdout).unwrap();
    let objects = dropbox["objects"].as_array().unwrap();
    assert!(objects.iter().any(|o| o["type"] == "sighting"
        && o["sighting_of_ref"] == "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44"
        && o["created_by_ref"].as_str().is_some_and(|by| objects.iter().any(|i| i["id"] == by && i["name"] == "US"))));
    assert!(String::from_utf8(us.run(&["ledger", "show", "--kind", "sent"]).stdout).unwrap().contains("sighting--"));
    assert!(us.db.query_u64("SELECT count(*) FROM remotes WHERE password = '' AND username = ''") == 1);
}
