//! `pacto pattern check` (explain a pattern or its error) and `pacto match-indicators` (indicators
//! against observations, in batch over files).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use pacto_detect::{Detector, IndicatorOutcome, OwnedObservation, identity, sighting};
use pacto_pattern::{Pattern, Syntax};
use serde_json::{Value, json};

use super::{EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE};
use crate::cli::{Global, OutputFormat};
use crate::input::{Source, SourceError};
use crate::progress::Progress;

pub fn check(pattern: &str, stix_version: &str, format: OutputFormat) -> anyhow::Result<i32> {
    let syntax = match stix_version {
        "2.1" => Syntax::V21,
        "2.0" => Syntax::V20,
        v => anyhow::bail!("unknown STIX version {v:?}: 2.1 or 2.0"),
    };
    let parsed = Pattern::parse_with(pattern, syntax);
    if format == OutputFormat::Json {
        let out = match &parsed {
            Ok(p) => {
                json!({"valid": true, "evaluable": p.unusable().is_empty(), "canonical": p.to_string(),
                       "observation_expressions": p.observation_expressions(), "comparisons": p.comparisons().len(),
                       "unusable": p.unusable(), "advice": p.advice()})
            }
            Err(e) => {
                json!({"valid": false, "line": e.line, "column": e.column, "offset": e.offset, "message": e.message})
            }
        };
        println!("{out}");
        return Ok(if parsed.is_ok_and(|p| p.unusable().is_empty()) { EXIT_OK } else { EXIT_INVALID });
    }
    match parsed {
        Ok(p) => {
            println!(
                "valid STIX {stix_version} pattern: {} observation expression(s), {} comparison(s)",
                p.observation_expressions(),
                p.comparisons().len()
            );
            println!("canonical: {p}");
            println!("matches:");
            for line in p.explain().lines() {
                println!("  {line}");
            }
            for w in p.unusable() {
                println!("cannot be evaluated: {w}");
            }
            for a in p.advice() {
                println!("note: {a}");
            }
            Ok(if p.unusable().is_empty() { EXIT_OK } else { EXIT_INVALID })
        }
        Err(e) => {
            let line = pattern.lines().nth(e.line - 1).unwrap_or("");
            println!("invalid pattern: {e}");
            println!("  {line}");
            println!(
                "  {}{}",
                " ".repeat(e.column - 1),
                "^".repeat(e.width.min(line.chars().count().saturating_sub(e.column - 1)).max(1))
            );
            Ok(EXIT_INVALID)
        }
    }
}

/// Every object of a file, in order; `what` names the role in messages.
fn read_file(path: &Path, g: &Global, what: &str, mut f: impl FnMut(Value)) -> Result<(), String> {
    let display = path.display().to_string();
    let src = Source::open(path).map_err(|e| format!("{display}: cannot read: {e}"))?;
    let counter = src.read_bytes.clone();
    let mut progress = Progress::new(&format!("{what} {display}"), src.size, g.no_progress);
    let mut n = 0u64;
    let r = src.for_each(|o| -> Result<(), String> {
        let v: Value = serde_json::from_str(o.raw.get()).map_err(|e| e.to_string())?;
        f(v);
        n += 1;
        if n.is_multiple_of(4096) {
            progress.update(counter.load(Ordering::Relaxed), n);
        }
        Ok(())
    });
    progress.finish();
    r.map(|_| ()).map_err(|e| match e {
        SourceError::Io(e) => format!("{display}: cannot read: {e}"),
        SourceError::Read(e) => format!("{display}: {e}"),
    })
}

pub struct MatchArgs {
    pub indicators: Vec<PathBuf>,
    pub observations: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub window: usize,
    pub format: OutputFormat,
    pub sighted_by: Option<String>,
}

pub fn match_indicators(g: &Global, a: MatchArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let mut detector = Detector::new(a.window);
    let mut invalid: Vec<(String, String)> = Vec::new();
    for path in &a.indicators {
        if let Err(e) = read_file(path, g, "indicators", |v| {
            if let IndicatorOutcome::Invalid(e) = detector.indicator(&v) {
                invalid.push((v.get("id").and_then(Value::as_str).unwrap_or("").to_string(), e));
            }
        }) {
            eprintln!("pacto: {e}");
            return Ok(EXIT_UNUSABLE);
        }
    }
    for (id, e) in &invalid {
        eprintln!("pacto: indicator {id}: pattern does not parse: {e}");
    }
    let created = pacto_stix::Timestamp::now().format(3);
    let mut sightings: Vec<Value> = Vec::new();
    // Who sighted: an identity object leads the bundle, and every sighting refers to it.
    let by = a.sighted_by.as_deref().map(|name| {
        let id = identity(name, &created);
        let ref_id = id["id"].as_str().unwrap_or_default().to_string();
        sightings.push(id);
        ref_id
    });
    let mut observations = 0u64;
    let mut unusable = 0u64;
    for path in &a.observations {
        // Observed-data is matched as soon as the objects it references have been read; the
        // rest waits for the end of the file.
        let mut seen: HashMap<String, Value> = HashMap::new();
        let mut waiting: Vec<Value> = Vec::new();
        let mut observe = |od: &Value, seen: &HashMap<String, Value>, detector: &mut Detector| {
            observations += 1;
            let obs = OwnedObservation::new(od, |r| seen.get(r).cloned());
            match detector.observe(obs) {
                Ok(ms) => sightings.extend(ms.iter().map(|m| sighting(m, &created, by.as_deref()))),
                Err(e) => {
                    unusable += 1;
                    eprintln!(
                        "pacto: {}: {}: {e}",
                        path.display(),
                        od.get("id").and_then(Value::as_str).unwrap_or("?")
                    );
                }
            }
        };
        let r = read_file(path, g, "observations", |v| match v.get("type").and_then(Value::as_str) {
            Some("observed-data") => {
                let ready = v
                    .get("object_refs")
                    .and_then(Value::as_array)
                    .is_none_or(|refs| refs.iter().filter_map(Value::as_str).all(|r| seen.contains_key(r)));
                if ready { observe(&v, &seen, &mut detector) } else { waiting.push(v) }
            }
            Some(_) => {
                if let Some(id) = v.get("id").and_then(Value::as_str) {
                    seen.insert(id.to_string(), v);
                }
            }
            None => {}
        });
        for od in waiting {
            observe(&od, &seen, &mut detector);
        }
        if let Err(e) = r {
            eprintln!("pacto: {e}");
            return Ok(EXIT_UNUSABLE);
        }
    }
    let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": sightings});
    match &a.out {
        Some(p) => std::fs::write(p, serde_json::to_vec_pretty(&bundle)?)
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &bundle)?;
            writeln!(stdout)?;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let summary = json!({"indicators": detector.indicators(), "invalid_indicators": invalid.len(), "observations": observations,
                         "unusable_observations": unusable,
                         "sightings": bundle["objects"].as_array().map_or(0, |o| o.iter().filter(|s| s["type"] == "sighting").count()),
                         "expressions_evaluated": detector.evaluated, "seconds": secs});
    match a.format {
        OutputFormat::Json => eprintln!("{summary}"),
        OutputFormat::Text => eprintln!(
            "pacto: {} indicators ({} invalid), {observations} observations ({unusable} unusable), {} sightings in {secs:.2}s",
            detector.indicators(),
            invalid.len(),
            summary["sightings"]
        ),
    }
    Ok(if invalid.is_empty() && unusable == 0 { EXIT_OK } else { EXIT_INVALID })
}
