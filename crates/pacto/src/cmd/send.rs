//! `pacto send`: objects to a partner's drop box within this node's agreement for it; and the
//! report-back of sightings of partners' indicators (run by `pacto sync` and by the server's
//! sync leader).

use anyhow::Context;
use pacto_federation::agreement::Agreement;
use pacto_node::client::{Access, ClientLimits, TaxiiClient};
use pacto_node::ledger::Log;
use pacto_node::send::{self, Outgoing, ReportOutcome};
use pacto_stix::validate::{Location, Session, SpecVersion};
use pacto_store::{Remote, Store};
use serde_json::{Value, json};

use super::{EXIT_INVALID, EXIT_OK};
use crate::cli::{Global, OutputFormat, SendArgs};
use crate::config;
use crate::input::{Source, SourceError};

/// This node's agreement for `partner`, or why a send cannot go.
fn agreement(g: &Global, partner: &str) -> anyhow::Result<Agreement> {
    config::load_agreements(&config::agreements_dir(g)).into_iter().find(|a| a.partner == partner).with_context(|| {
        format!(
            "no agreement for {partner:?}: a send goes only within this node's agreement for the partner \
             (`pacto partner add {partner} --agreement FILE`)"
        )
    })
}

fn client(g: &Global, remote: &Remote) -> anyhow::Result<TaxiiClient> {
    let identity = config::node_identity(g)?;
    let access = Access::of_remote(remote, Some(&identity));
    Ok(TaxiiClient::with_access(&remote.api_root, &access, &remote.partner, ClientLimits::default())?)
}

pub fn run(g: &Global, args: SendArgs) -> anyhow::Result<i32> {
    let a = agreement(g, &args.partner)?;
    let mut store = config::open_store(g)?;
    let remote = config::remote(g, &*store, &args.partner)?;
    let (out, invalid) = match (&args.collection, &args.file) {
        (Some(name), _) => {
            let share = a.share(name).with_context(|| {
                format!("the agreement for {} does not share collection {name:?}, so nothing of it may go", a.partner)
            })?;
            let c = store.collection(name)?.with_context(|| format!("no collection {name:?}"))?;
            (send::from_collection(&mut *store, &c, share, &args.ids)?, 0)
        }
        (None, Some(path)) => {
            let share = match (&args.share, a.share.as_slice()) {
                (Some(s), _) => {
                    a.share(s).with_context(|| format!("the agreement for {} has no share of {s:?}", a.partner))?
                }
                (None, [one]) => one,
                (None, []) => anyhow::bail!("the agreement for {} shares nothing, so nothing may go", a.partner),
                (None, many) => anyhow::bail!(
                    "the agreement for {} has {} shares ({}): name the one the file is judged by with --share",
                    a.partner,
                    many.len(),
                    many.iter().map(|s| s.collection.as_str()).collect::<Vec<_>>().join(", ")
                ),
            };
            let (objects, invalid) = read_file(path)?;
            let name = path.file_name().map_or_else(|| "-".into(), |n| n.to_string_lossy().to_string());
            (send::from_objects(&mut *store, share, &format!("file:{name}"), objects)?, invalid)
        }
        (None, None) => anyhow::bail!("give a FILE or --collection"),
    };
    let log = super::ledger::log(g)?;
    let mut client = client(g, &remote)?;
    let delivery = if out.objects.is_empty() {
        None
    } else {
        let to = send::dropbox(&mut client, &remote.partner, args.to.as_deref())?;
        Some(send::send(&mut *store, &log, &mut client, &remote.partner, &to, &out)?)
    };
    print(&args, &out, invalid, delivery.as_ref());
    let failed = delivery.as_ref().is_some_and(|d| d.failed > 0);
    Ok(if failed || invalid > 0 { EXIT_INVALID } else { EXIT_OK })
}

fn print(args: &SendArgs, out: &Outgoing, invalid: usize, d: Option<&send::Delivery>) {
    match args.format {
        OutputFormat::Json => println!(
            "{}",
            json!({"partner": args.partner, "source": out.source, "to": d.map(|d| &d.collection),
                   "sent": d.map_or(0, |d| d.sent), "succeeded": d.map_or(0, |d| d.succeeded),
                   "failed": d.map_or(0, |d| d.failed), "failures": d.map(|d| &d.failures),
                   "invalid": invalid, "withheld": out.withheld})
        ),
        OutputFormat::Text => {
            for f in d.iter().flat_map(|d| &d.failures) {
                eprintln!("{}: refused {f}", args.partner);
            }
            match d {
                Some(d) => println!(
                    "sent {} objects to {}'s collection {}: {} stored, {} refused",
                    d.sent, args.partner, d.collection, d.succeeded, d.failed
                ),
                None => println!("nothing to send to {}", args.partner),
            }
            for (why, n) in &out.withheld {
                println!("  withheld {n}: {why}");
            }
            if invalid > 0 {
                println!("  not sent {invalid}: invalid STIX (see above)");
            }
        }
    }
}

/// The file's objects that pass validation (as an import checks them), and how many did not
/// (each reported on standard error).
fn read_file(path: &std::path::Path) -> anyhow::Result<(Vec<Value>, usize)> {
    let display = path.display().to_string();
    let src = Source::open(path).with_context(|| format!("cannot read {display}"))?;
    let mut session = Session::new();
    let (mut objects, mut invalid) = (Vec::new(), 0);
    let read = src.for_each(|raw| -> Result<(), std::convert::Infallible> {
        let default_version = if raw.bundle_spec_version == Some("2.0") { SpecVersion::V20 } else { SpecVersion::V21 };
        let checked = pacto_node::check_object(
            &mut session,
            raw.raw,
            Location { index: raw.index, path: raw.path, default_version },
        );
        match checked.result {
            Ok(_) => objects.extend(serde_json::from_str::<Value>(raw.raw.get()).ok()),
            Err(reasons) => {
                invalid += 1;
                eprintln!("{display}: not sent: object {}: {}", raw.index.unwrap_or(0), reasons.join("; "));
            }
        }
        Ok(())
    });
    match read {
        Ok(_) => Ok((objects, invalid)),
        Err(SourceError::Io(e)) => anyhow::bail!("cannot read {display}: {e}"),
        Err(SourceError::Read(e)) => {
            anyhow::bail!("{display} {}", crate::input::explain(&e, (objects.len() + invalid) as u64))
        }
    }
}

/// Report back to each partner whose agreement says `report_sightings = true` the sightings
/// detection made of its indicators (see `pacto_node::send::report_sightings`). Each partner's
/// failure is its own: logged and returned, the others still served.
pub fn report_sightings(
    g: &Global,
    store: &mut dyn Store,
    log: &Log,
    remotes: &[Remote],
) -> Vec<Result<ReportOutcome, String>> {
    let Ok(Some(setup)) = pacto_detect::Setup::load(store) else { return Vec::new() };
    let agreements = config::load_agreements(&config::agreements_dir(g));
    let mut results = Vec::new();
    for r in remotes {
        if !agreements.iter().any(|a| a.partner == r.partner && a.report_sightings) {
            continue;
        }
        let outcome = client(g, r).map_err(|e| e.to_string()).and_then(|mut c| {
            send::report_sightings(store, log, &mut c, &r.partner, &setup.sightings, None).map_err(|e| e.to_string())
        });
        match &outcome {
            Ok(o) if o.reported > 0 => tracing::info!(partner = r.partner, reported = o.reported, "sightings reported"),
            Ok(_) => {}
            Err(e) => tracing::warn!(partner = r.partner, error = e, "sightings not reported; will retry"),
        }
        results.push(outcome);
    }
    results
}
