//! `pacto import`: stream files into a collection through the store's ingest.

use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use pacto_node::{Ingest, IngestReport};
use pacto_store::StoreError;
use serde_json::json;

use super::{EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE};
use crate::cli::{Global, ImportArgs, InputFormat, OutputFormat};
use crate::config;
use crate::input::{Source, SourceError};
use crate::progress::Progress;

pub fn run(g: &Global, args: ImportArgs) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    let collection = match store.collection(&args.collection)? {
        Some(c) => {
            if let Some(why) = config::local_write_refusal(g, &c.name) {
                anyhow::bail!("{why}");
            }
            c
        }
        None => {
            if let Some(why) = config::local_write_refusal(g, &args.collection) {
                anyhow::bail!("{why}");
            }
            if !args.create {
                let names: Vec<String> = store.collections()?.into_iter().map(|c| c.name).collect();
                let hint = crate::input::closest(&args.collection, &names)
                    .map(|n| format!(" (did you mean {n:?}?)"))
                    .unwrap_or_default();
                anyhow::bail!(
                    "no collection {:?}{hint}; add --create to create it, or `pacto collections list`",
                    args.collection
                );
            }
            let c = store.create_collection(&args.collection, &args.collection, None)?;
            eprintln!("created collection {} ({})", c.name, c.id);
            c
        }
    };
    let mut worst = EXIT_OK;
    for path in &args.files {
        let display = path.display().to_string();
        let started = Instant::now();
        let opened = match args.input() {
            InputFormat::Stix => Source::open(path).map_err(|e| format!("cannot be read: {e}")),
            InputFormat::Misp => misp_source(path, &display),
        };
        let src = match opened {
            Ok(s) => s,
            Err(why) => {
                report_unusable(&args, &display, &why, None);
                worst = EXIT_UNUSABLE;
                continue;
            }
        };
        let counter = src.read_bytes.clone();
        let mut progress = Progress::new(&format!("import {display}"), src.size, g.no_progress);
        let (report, result) = Ingest::run(&mut *store, &collection, args.batch_size, |ingest| {
            src.for_each(|o| -> Result<(), StoreError> {
                ingest.offer(o)?;
                let read = ingest.report().read;
                if read % 4096 == 0 {
                    progress.update(counter.load(Ordering::Relaxed), read);
                }
                Ok(())
            })
        })
        .with_context(|| format!("{display}: writing to the store"))?;
        progress.finish();
        // Whatever was read before a problem is kept: each object is whole, each batch atomic.
        let secs = started.elapsed().as_secs_f64();
        let file_name = display.as_str();
        tracing::info!(
            file = file_name,
            read = report.read,
            added = report.added,
            unchanged = report.unchanged,
            rejected = report.rejected,
            secs,
            "import finished"
        );
        match result {
            Ok(_) => {
                print_report(&args, &display, &report, secs, None);
                if report.rejected > 0 {
                    worst = worst.max(EXIT_INVALID);
                }
            }
            Err(SourceError::Read(pacto_stix::ReadError::Callback(e))) => {
                return Err(anyhow::Error::new(e).context(format!("{display}: writing to the store")));
            }
            Err(e) => {
                let why = match e {
                    SourceError::Io(e) => format!("cannot be read: {e}"),
                    SourceError::Read(e) => crate::input::explain(&e, report.read),
                };
                report_unusable(&args, &display, &why, Some((&report, secs)));
                worst = EXIT_UNUSABLE;
            }
        }
    }
    super::after_write(g, &mut *store)?;
    Ok(worst)
}

/// A MISP file as a STIX bundle in memory (MISP exports are read whole; misp-stix does the
/// same), with each event's conversion warnings on standard error.
fn misp_source(path: &std::path::Path, display: &str) -> Result<Source, String> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot be read: {e}"))?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot be read: {e}"))?
    };
    let events = pacto_misp::read_events(&text).map_err(|e| format!("is not a MISP export: {e}"))?;
    let mut objects = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let converted =
            pacto_misp::to_stix(event).map_err(|e| format!("holds event {i}, which cannot be mapped: {e}"))?;
        for w in &converted.warnings {
            eprintln!("{display}: event {i}: {w}");
        }
        objects.extend(converted.objects);
    }
    let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects});
    Ok(Source::from_bytes(bundle.to_string().into_bytes()))
}

fn report_unusable(args: &ImportArgs, file: &str, why: &str, partial: Option<(&IngestReport, f64)>) {
    match partial {
        Some((r, secs)) => print_report(args, file, r, secs, Some(why)),
        None => match args.report() {
            OutputFormat::Json => println!("{}", json!({"file": file, "unusable": why})),
            OutputFormat::Text => eprintln!("{file} {why}"),
        },
    }
}

fn print_report(args: &ImportArgs, file: &str, r: &IngestReport, secs: f64, unusable: Option<&str>) {
    match args.report() {
        OutputFormat::Json => {
            let mut v = json!({"file": file, "collection": args.collection, "seconds": secs, "report": r});
            if let Some(u) = unusable {
                v["unusable"] = json!(u);
            }
            println!("{v}");
        }
        OutputFormat::Text => {
            for rej in r.rejections.iter().take(50) {
                let at = match (rej.index, &rej.id) {
                    (Some(i), Some(id)) => format!("object {i} ({id})"),
                    (Some(i), None) => format!("object {i}"),
                    (None, Some(id)) => id.clone(),
                    (None, None) => "object".into(),
                };
                eprintln!("{file}: rejected {at}:");
                for reason in &rej.reasons {
                    eprintln!("    {reason}");
                }
            }
            if r.rejected > 50 {
                eprintln!("{file}: ... and {} more rejected (use --format json for all details)", r.rejected - 50);
            }
            for w in &r.first_warnings {
                eprintln!("{file}: warning: {w}");
            }
            if r.warnings > r.first_warnings.len() as u64 {
                eprintln!(
                    "{file}: ... and {} more warnings (`pacto validate FILE` lists them all)",
                    r.warnings - r.first_warnings.len() as u64
                );
            }
            if let Some(u) = unusable {
                eprintln!("{file} {u}");
            }
            if unusable.is_some() && r.read > 0 {
                eprintln!(
                    "{file}: the {} objects read before the problem were kept; rerun with the repaired file to complete the import",
                    r.read
                );
            }
            let rate = if secs > 0.0 { r.read as f64 / secs } else { 0.0 };
            println!(
                "{file}: read {}, added {}, unchanged {}, rejected {}, warnings {} in {secs:.2} s ({rate:.0} objects/s)",
                r.read, r.added, r.unchanged, r.rejected, r.warnings
            );
        }
    }
}
