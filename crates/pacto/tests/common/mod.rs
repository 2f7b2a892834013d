//! Shared by the command-line crate's test binaries (each includes it as `mod common`; not every
//! binary uses every helper): starting a server and reading its address, running a command with
//! input, and the multi-node harness (`node`: a node is a data directory, a database and a
//! `pacto serve` process).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

mod node;
#[allow(unused_imports)]
pub use node::*;

/// The address a `pacto serve` just spawned (with its stderr piped) listens on, read from the
/// line that announces it (`TAXII 2.1 at http://ADDRESS/taxii2/`); the rest of its output is
/// drained on a thread so that the server never blocks on a full pipe.
pub fn listening(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stderr.take().expect("the server's stderr, piped")).lines();
    let addr = loop {
        let line = lines.next().expect("the server announces its address").expect("server output");
        if let Some(rest) = line.split("TAXII 2.1 at ").nth(1).and_then(|r| r.split("://").nth(1)) {
            break rest.split('/').next().unwrap_or_default().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    addr
}

/// Run pacto with its data directory and database given, `stdin` on its standard input; it
/// must succeed, and what it printed is returned.
pub fn pacto_on(data: &std::path::Path, db: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pacto"));
    cmd.env("PACTO_DATA_DIR", data).env("PACTO_DATABASE", db).arg("--no-progress").args(args);
    let out = run_with_input(&mut cmd, stdin.unwrap_or_default());
    assert!(out.status.success(), "pacto {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Run a command with `input` on its standard input, and collect what it printed.
pub fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin, piped").write_all(input.as_bytes()).expect("write to stdin");
    child.wait_with_output().expect("wait for the command")
}
