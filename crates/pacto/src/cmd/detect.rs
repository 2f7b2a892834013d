//! `pacto detect`: which collections' indicators are applied to which collections'
//! observations, and the catch-up run (`pacto serve` runs it continuously).

use pacto_detect::{Hunter, Setup};
use pacto_store::prelude::*;

use super::EXIT_OK;
use crate::cli::{DetectCmd, Global};
use crate::config;
use crate::progress::Progress;

/// Objects read per collection per step.
pub const PAGE: usize = 2000;

pub fn run(g: &Global, cmd: DetectCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    match cmd {
        DetectCmd::Setup { indicators, observations, sightings, sighted_by } => {
            for name in indicators.iter().chain(&observations).filter(|n| !n.ends_with('*')) {
                if store.collection(name)?.is_none() {
                    anyhow::bail!("no collection {name:?} (create it with `pacto collections create`)");
                }
            }
            // Sightings are written by detection; a partner's inbound collection is sync's alone,
            // and its drop box its own.
            let sightings_name = store.collection(&sightings)?.map_or_else(|| sightings.clone(), |c| c.name);
            if let Some(why) = config::local_write_refusal(g, &sightings_name) {
                anyhow::bail!("{why}");
            }
            if store.collection(&sightings)?.is_none() {
                store.create_collection(&sightings, "Sightings", Some("Matches of indicators against observations"))?;
                println!("created collection {sightings}");
            }
            // The sighting organisation's identity lives beside the sightings that refer to it.
            let sighted_by = match sighted_by {
                Some(name) => {
                    let coll =
                        store.collection(&sightings)?.ok_or_else(|| anyhow::anyhow!("no collection {sightings:?}"))?;
                    Some(pacto_node::detect::sighting_identity(&mut *store, &coll, &name)?)
                }
                None => None,
            };
            let setup = Setup { indicators, observations, sightings, sighted_by };
            setup.save(&mut *store)?;
            println!(
                "indicators from {} are matched against observed-data in {}; sightings go to {}",
                setup.indicators.join(", "),
                setup.observations.join(", "),
                setup.sightings
            );
        }
        DetectCmd::Status => match Setup::load(&*store)? {
            Some(s) => {
                println!("indicators:   {}", s.indicators.join(", "));
                println!("observations: {}", s.observations.join(", "));
                println!("sightings:    {}", s.sightings);
                if let Some(by) = &s.sighted_by {
                    println!("sighted by:   {by}");
                }
                let n = s.counts(&*store)?;
                for (c, count) in &n.indicators {
                    println!("  {c}: {count} indicators");
                }
                for (c, total, pending) in &n.observations {
                    println!("  {c}: {total} observed-data, {} matched, {pending} not read yet", total - pending);
                }
                println!("  {}: {} sightings", s.sightings, n.sightings);
            }
            None => println!("detection is not set up (`pacto detect setup`)"),
        },
        DetectCmd::Run { retro } => {
            let setup = Setup::load(&*store)?
                .ok_or_else(|| anyhow::anyhow!("detection is not set up (`pacto detect setup`)"))?;
            let mut h = Hunter::new(setup);
            let mut progress = Progress::items("detect", "observations", g.no_progress);
            let r = h.catch_up_with(&mut *store, PAGE, &mut |t| progress.update(0, t.observations))?;
            let past = if retro {
                Some(h.retro_hunt(&mut *store, PAGE, &mut |t| progress.update(0, r.observations + t.observations))?)
            } else {
                None
            };
            progress.finish();
            println!(
                "{} indicators in force ({} invalid), {} new observations ({} unusable, {} incomplete), {} sightings",
                h.detector.indicators(),
                r.invalid_indicators,
                r.observations,
                r.unusable_observations,
                r.incomplete_observations,
                r.sightings
            );
            if let Some(p) = past {
                println!(
                    "history: {} observations matched again against the indicators in force: {} new sightings",
                    p.observations, p.sightings
                );
            }
        }
    }
    Ok(EXIT_OK)
}

/// After an import or a sync: match what arrived, when detection is set up.
pub fn after_write<S: Store + ?Sized>(g: &Global, store: &mut S) -> anyhow::Result<()> {
    if let Some(setup) = Setup::load(store)? {
        let mut h = Hunter::new(setup);
        let mut progress = Progress::items("detect", "observations", g.no_progress);
        let r = h.catch_up_with(store, PAGE, &mut |t| progress.update(0, t.observations))?;
        progress.finish();
        if r.observations > 0 {
            eprintln!(
                "pacto: matched {} new observations against {} indicators: {} sightings",
                r.observations,
                h.detector.indicators(),
                r.sightings
            );
        }
    }
    Ok(())
}
