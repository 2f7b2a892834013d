//! `pacto set` (this node's private sets), `pacto match` (a private query to a partner) and
//! `pacto trace` (a labelled query: seized firearms against a partner's sales registry).

use std::path::Path;

use anyhow::Context;
use pacto_node::psi::{ImportError, MatchError, SetItems};
use pacto_psi::{Normalizer, Outcome, PsiError};
use serde_json::{Map, Value, json};

use super::EXIT_OK;
use crate::cli::{Global, SetCmd};
use crate::config;

fn rule(s: &str) -> anyhow::Result<Normalizer> {
    Normalizer::parse(s).with_context(|| format!("unknown rule {s:?}: serial, e164, email, text, bytes or firearm"))
}

fn lines(file: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(text
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect())
}

pub fn set(g: &Global, cmd: SetCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    match cmd {
        SetCmd::Import { name, file, normalize, item_columns, payload_columns } => {
            let n = rule(&normalize)?;
            let is_csv = !item_columns.is_empty()
                || !payload_columns.is_empty()
                || file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let (items, rows) = if is_csv {
                let (items, rows) = csv_items(&file, n, &item_columns, &payload_columns)?;
                (items, Some(rows))
            } else {
                (SetItems::Plain(lines(&file)?), None)
            };
            let stored = match pacto_node::psi::import_set(&mut *store, &config::psi_keys(g), &name, n, &items) {
                Ok(s) => s,
                Err(ImportError::Items(e)) => {
                    anyhow::bail!("{}: {}", file.display(), at_rows(&e, rows.as_deref()))
                }
                Err(e) => return Err(e.into()),
            };
            match &stored.labels {
                Some(l) => println!(
                    "private set {name}: {} distinct items ({} rule), labelled with {}; only their encoding is kept",
                    stored.items,
                    n.id(),
                    l.fields.join(", ")
                ),
                None => println!(
                    "private set {name}: {} distinct items ({} rule); only their encoding is kept",
                    stored.items,
                    n.id()
                ),
            }
        }
        SetCmd::List => {
            let keys = config::psi_keys(g);
            for s in store.psi_sets()? {
                // A secret an earlier version left in the database moves to its key file.
                if s.secret.is_some() {
                    keys.secret(&mut *store, &s).map_err(|e| anyhow::anyhow!(e))?;
                }
                let labels = s.labels.as_ref().map(|l| format!("  labelled: {}", l.fields.join(", ")));
                println!(
                    "{:<24} {:>10} items  rule {:<7} since {}{}",
                    s.name,
                    s.items,
                    s.normalizer,
                    pacto_stix::Timestamp::from_micros(s.created_us).format(0),
                    labels.unwrap_or_default()
                );
            }
        }
        SetCmd::Remove { name } => {
            if !store.remove_psi_set(&name)? {
                anyhow::bail!("no private set {name:?}");
            }
            config::psi_keys(g).remove(&name).with_context(|| format!("cannot remove the key of set {name:?}"))?;
            println!("private set {name} removed");
        }
    }
    Ok(EXIT_OK)
}

pub fn matching(
    g: &Global,
    partner: &str,
    set: &str,
    file: &Path,
    normalize: &str,
    count: bool,
) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let remote = config::remote(g, &*store, partner)?;
    let identity = remote.fingerprint.is_some().then(|| config::node_identity(g)).transpose()?;
    let n = rule(normalize)?;
    let items = lines(file)?;
    match pacto_node::psi::query(&mut *store, &remote, identity.as_ref(), set, &items, n, count) {
        Ok(Outcome::Matches(found)) => {
            for i in found {
                println!("{}", String::from_utf8_lossy(&items[i]));
            }
        }
        Ok(Outcome::Count(c)) => println!("{c}"),
        // The items are the file's: say which file.
        Err(e @ MatchError::Items(_)) => return Err(anyhow::Error::new(e).context(file.display().to_string())),
        Err(e) => return Err(e.into()),
    }
    Ok(EXIT_OK)
}

/// A CSV file with a header: its column names and its data rows, each with its line number.
struct Table {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(file: &Path) -> anyhow::Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let header: Vec<String> = reader
            .headers()
            .with_context(|| format!("{}: the header", file.display()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            // csv's errors name the record, line and byte.
            let record = record.with_context(|| file.display().to_string())?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(|f| f.trim().to_string()).collect()));
        }
        Ok(Table { header, rows })
    }

    /// The index of the first of `names` the header has.
    fn column(&self, file: &Path, names: &[&str]) -> anyhow::Result<usize> {
        names.iter().find_map(|n| self.header.iter().position(|h| h == n)).with_context(|| {
            format!(
                "{}: the header has no column {} (it has: {})",
                file.display(),
                names.join(" or "),
                self.header.join(", ")
            )
        })
    }
}

/// A CSV file's items (its item columns joined by a tab) and, with payload columns, each one's
/// payload (`pacto_psi::payload::record`: its non-empty payload fields); and each item's line.
fn csv_items(
    file: &Path,
    n: Normalizer,
    item_columns: &[String],
    payload_columns: &[String],
) -> anyhow::Result<(SetItems, Vec<u64>)> {
    let table = Table::read(file)?;
    let item_cols: Vec<usize> = if item_columns.is_empty() {
        match n {
            Normalizer::Firearm => {
                vec![table.column(file, &["manufacturer"])?, table.column(file, &["serial_number", "serial"])?]
            }
            _ => vec![table.column(file, &["item"])?],
        }
    } else {
        item_columns.iter().map(|c| table.column(file, &[c.as_str()])).collect::<anyhow::Result<_>>()?
    };
    let payload_cols: Vec<(usize, &String)> = payload_columns
        .iter()
        .map(|c| table.column(file, &[c.as_str()]).map(|i| (i, c)))
        .collect::<anyhow::Result<_>>()?;
    let lines: Vec<u64> = table.rows.iter().map(|(line, _)| *line).collect();
    let item = |row: &[String]| item_cols.iter().map(|&i| row[i].as_str()).collect::<Vec<_>>().join("\t").into_bytes();
    if payload_cols.is_empty() {
        return Ok((SetItems::Plain(table.rows.iter().map(|(_, row)| item(row)).collect()), lines));
    }
    let items = table
        .rows
        .iter()
        .map(|(line, row)| {
            let fields: Vec<(&str, &str)> =
                payload_cols.iter().map(|(i, name)| (name.as_str(), row[*i].as_str())).collect();
            let payload =
                pacto_psi::payload::record(&fields).with_context(|| format!("{}: line {line}", file.display()))?;
            Ok((item(row), payload.into_bytes()))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((SetItems::Labelled { fields: payload_columns.to_vec(), items }, lines))
}

/// An item error, with the CSV lines of the items it names (when the items came from CSV).
fn at_rows(e: &PsiError, lines: Option<&[u64]>) -> String {
    let Some(lines) = lines else { return e.to_string() };
    let line = |i: &usize| lines.get(*i).copied().unwrap_or_default();
    match e {
        PsiError::Normalize { index, source } => format!("line {}: {source}", line(index)),
        PsiError::Payload { index, why } => format!("line {}: the payload: {why}", line(index)),
        PsiError::DuplicateItem { first, second } => format!(
            "lines {} and {} are the same item under the rule; merge their payloads into one row",
            line(first),
            line(second)
        ),
        other => other.to_string(),
    }
}

/// The x-firearm properties a seizure CSV may carry besides manufacturer and serial.
const FIREARM_COLUMNS: &[&str] = &["model", "firearm_type", "caliber", "country_of_manufacture"];

/// Seized firearms: a STIX file's x-firearm objects, or a CSV file's rows as x-firearm objects.
/// Those without a maker and a serial cannot be traced: they are left out, and said so.
fn seized_firearms(file: &Path) -> anyhow::Result<Vec<Value>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let stix = bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[');
    let mut firearms = Vec::new();
    let left_out =
        |what: String| eprintln!("{}: {what} has no manufacturer and serial_number: not traced", file.display());
    if stix {
        let v: Value = serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", file.display()))?;
        let objects = match v {
            Value::Array(list) => list,
            Value::Object(mut o) if o.get("type").and_then(Value::as_str) == Some("bundle") => {
                match o.remove("objects") {
                    Some(Value::Array(list)) => list,
                    _ => anyhow::bail!("{}: the bundle has no list of objects", file.display()),
                }
            }
            other => vec![other],
        };
        for (i, o) in objects.into_iter().enumerate() {
            if o.get("type").and_then(Value::as_str) != Some(pacto_stix::firearm::TYPE) {
                continue;
            }
            match pacto_node::trace::item(&o) {
                Ok(_) => firearms.push(o),
                Err(pacto_node::trace::FirearmError::Incomplete) => {
                    left_out(format!("object {i} ({})", o["id"].as_str().unwrap_or("no id")))
                }
                Err(e) => anyhow::bail!("{}: object {i} ({}): {e}", file.display(), o["id"]),
            }
        }
    } else {
        let table = Table::read(file)?;
        let maker = table.column(file, &["manufacturer"])?;
        let serial = table.column(file, &["serial_number", "serial"])?;
        let extra: Vec<(usize, &str)> =
            FIREARM_COLUMNS.iter().filter_map(|c| table.header.iter().position(|h| h == c).map(|i| (i, *c))).collect();
        for (line, row) in &table.rows {
            if row[maker].is_empty() || row[serial].is_empty() {
                left_out(format!("line {line}"));
                continue;
            }
            let mut p = Map::new();
            p.insert("manufacturer".into(), json!(row[maker]));
            p.insert("serial_number".into(), json!(row[serial]));
            for (i, name) in &extra {
                if !row[*i].is_empty() {
                    p.insert(name.to_string(), json!(row[*i]));
                }
            }
            firearms.push(pacto_node::trace::firearm(p));
        }
    }
    if firearms.is_empty() {
        anyhow::bail!("{}: no firearm with a manufacturer and a serial number to trace", file.display());
    }
    Ok(firearms)
}

pub fn trace(g: &Global, partner: &str, set: &str, file: &Path, out: Option<&Path>) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let remote = config::remote(g, &*store, partner)?;
    let identity = remote.fingerprint.is_some().then(|| config::node_identity(g)).transpose()?;
    let seized = seized_firearms(file)?;
    let items = seized.iter().map(pacto_node::trace::item).collect::<Result<Vec<_>, _>>()?;
    let traces = match pacto_node::psi::trace(&mut *store, &remote, identity.as_ref(), set, &items, Normalizer::Firearm)
    {
        Ok(t) => t,
        Err(e @ MatchError::Items(_)) => return Err(anyhow::Error::new(e).context(file.display().to_string())),
        Err(e) => return Err(e.into()),
    };
    for t in &traces {
        let f = &seized[t.index];
        let text = String::from_utf8_lossy(&t.payload);
        let payload = serde_json::from_str::<Value>(&text).unwrap_or_else(|_| json!(text));
        let line = json!({
            "id": f["id"], "manufacturer": f["manufacturer"], "serial_number": f["serial_number"], "payload": payload,
        });
        println!("{line}");
    }
    eprintln!("{} of {} firearms traced in {partner}'s set {set}", traces.len(), seized.len());
    if let Some(out) = out {
        let created = pacto_stix::Timestamp::now().format(3);
        let bundle = pacto_node::trace::bundle(partner, set, &seized, &traces, &created);
        let text = serde_json::to_string_pretty(&bundle)?;
        std::fs::write(out, text + "\n").with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("the trace as STIX: {} (pacto import {} --collection …)", out.display(), out.display());
    }
    Ok(EXIT_OK)
}
