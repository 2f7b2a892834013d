//! `pacto export`: a collection as one STIX bundle, streamed.

use std::io::{BufWriter, Write};

use anyhow::Context;
use pacto_store::{Query, StoreError, Versions, prelude::*};

use super::EXIT_OK;
use crate::cli::{ExportArgs, ExportFormat, Global, VersionsArg};
use crate::config;

pub fn run(g: &Global, args: ExportArgs) -> anyhow::Result<i32> {
    let store = config::open_store(g)?;
    let collection = store
        .collection(&args.collection)?
        .with_context(|| format!("no collection {:?} (see `pacto collections list`)", args.collection))?;
    let query = Query {
        versions: match args.versions {
            VersionsArg::All => Versions::all(),
            VersionsArg::Last => Versions::last(),
            VersionsArg::First => Versions::first(),
        },
        types: args.types.clone(),
        exclude_revoked: args.exclude_revoked,
        ..Query::default()
    };
    if args.format == ExportFormat::Misp {
        return misp(&*store, &collection, &query, &args);
    }
    // STIX 2.0 objects carry no spec_version; a bundle of only 2.0 objects says so itself.
    let mut all_20 = true;
    let mut any = false;
    store.scan(&collection, &Query { limit: None, ..query.clone() }, &mut |o| {
        any = true;
        all_20 &= o.spec_version == "2.0";
        Ok(())
    })?;
    let bundle_version = (any && all_20).then_some("2.0");
    let count = match &args.output {
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            let n = write_bundle(&*store, &collection, &query, bundle_version, &mut w)?;
            w.flush()?;
            n
        }
        Some(path) => {
            let tmp = path.with_extension("partial");
            let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let n = write_bundle(&*store, &collection, &query, bundle_version, &mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))?;
            n
        }
    };
    tracing::info!(collection = %collection.name, objects = count, "export finished");
    if args.output.is_some() {
        eprintln!("exported {count} objects from {}", collection.name);
    }
    Ok(EXIT_OK)
}

fn write_bundle<W: Write>(
    store: &dyn Store,
    collection: &pacto_store::Collection,
    query: &Query,
    bundle_version: Option<&str>,
    w: &mut W,
) -> anyhow::Result<u64> {
    let id = format!("bundle--{}", uuid::Uuid::new_v4());
    write!(w, "{{\"type\":\"bundle\",\"id\":\"{id}\"")?;
    if let Some(v) = bundle_version {
        write!(w, ",\"spec_version\":\"{v}\"")?;
    }
    let mut n = 0u64;
    store.scan(collection, query, &mut |o| {
        let sep = if n == 0 { ",\"objects\":[\n" } else { ",\n" };
        w.write_all(sep.as_bytes())
            .and_then(|_| w.write_all(o.raw.as_bytes()))
            .map_err(|e| StoreError::Other(format!("writing the bundle: {e}")))?;
        n += 1;
        Ok(())
    })?;
    // An empty bundle has no objects list at all (STIX lists must not be empty).
    w.write_all(if n == 0 { b"}\n" } else { b"\n]}\n" })?;
    Ok(n)
}

/// The collection as MISP events: one `{"Event": …}`, or a list when there are several.
fn misp(
    store: &dyn Store,
    collection: &pacto_store::Collection,
    query: &Query,
    args: &ExportArgs,
) -> anyhow::Result<i32> {
    let mut objects = Vec::new();
    store.scan(collection, &Query { limit: None, ..query.clone() }, &mut |o| {
        let v: serde_json::Value =
            serde_json::from_str(&o.raw).map_err(|e| StoreError::Other(format!("stored object {}: {e}", o.id)))?;
        objects.push(v);
        Ok(())
    })?;
    let (mut events, warnings) = pacto_misp::to_misp(&objects);
    for w in &warnings {
        eprintln!("{}: {w}", collection.name);
    }
    let doc = if events.len() == 1 { events.remove(0) } else { serde_json::Value::Array(events) };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &args.output {
        None => std::io::stdout().write_all(text.as_bytes())?,
        Some(path) => {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))?;
            eprintln!("exported {} objects from {} as MISP", objects.len(), collection.name);
        }
    }
    Ok(EXIT_OK)
}
