//! `pacto validate`: findings as text lines or JSON Lines, exit code by the worst outcome.

use std::io::{BufWriter, Write};
use std::sync::atomic::Ordering;

use pacto_stix::validate::{self, Finding, Location, Session, Severity, SpecVersion};
use serde_json::{Value, json};

use super::{EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE};
use crate::cli::{Global, OutputFormat, ValidateArgs};
use crate::input::{Source, SourceError};
use crate::progress::Progress;

pub fn run(g: &Global, args: ValidateArgs) -> anyhow::Result<i32> {
    let forced = match args.spec_version.as_deref() {
        None => None,
        Some(s) => {
            Some(SpecVersion::parse(s).ok_or_else(|| anyhow::anyhow!("--spec-version must be 2.0 or 2.1, not {s:?}"))?)
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut worst = EXIT_OK;
    for path in &args.files {
        let code = validate_file(g, &args, forced, path, &mut out)?;
        worst = worst.max(code);
    }
    out.flush()?;
    Ok(worst)
}

struct Printer<'a, W: Write> {
    out: &'a mut W,
    file: &'a str,
    format: OutputFormat,
    warnings: bool,
}

impl<W: Write> Printer<'_, W> {
    fn finding(&mut self, f: &Finding) -> std::io::Result<()> {
        if f.severity == Severity::Warning && !self.warnings {
            return Ok(());
        }
        match self.format {
            OutputFormat::Json => {
                let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("kind".into(), json!("finding"));
                    m.insert("file".into(), json!(self.file));
                }
                writeln!(self.out, "{v}")
            }
            OutputFormat::Text => {
                let sev = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let mut whose = String::new();
                if let Some(i) = f.index {
                    whose.push_str(&format!("object {i}"));
                }
                if let Some(id) = &f.id {
                    if !whose.is_empty() {
                        whose.push(' ');
                    }
                    whose.push_str(id);
                }
                if whose.is_empty() {
                    writeln!(self.out, "{}: {}: {sev} [{}]: {}", self.file, f.path, f.rule, f.message)
                } else {
                    writeln!(self.out, "{}: {}: {sev} [{}] ({whose}): {}", self.file, f.path, f.rule, f.message)
                }
            }
        }
    }
}

fn validate_file<W: Write>(
    g: &Global,
    args: &ValidateArgs,
    forced: Option<SpecVersion>,
    path: &std::path::Path,
    out: &mut W,
) -> anyhow::Result<i32> {
    let display = path.display().to_string();
    let mut p = Printer { out, file: &display, format: args.format, warnings: !args.no_warnings };
    let (mut errors, mut warnings, mut objects) = (0usize, 0usize, 0u64);
    let mut unusable: Option<String> = None;
    match Source::open(path) {
        Err(e) => unusable = Some(format!("cannot read: {e}")),
        Ok(src) => {
            let counter = src.read_bytes.clone();
            let mut progress = Progress::new(&format!("validate {display}"), src.size, g.no_progress);
            let mut session = Session::new();
            let result = src.for_each(|o| -> std::io::Result<()> {
                objects += 1;
                let default_version = forced.unwrap_or(match o.bundle_spec_version {
                    Some("2.0") => SpecVersion::V20,
                    _ => SpecVersion::V21,
                });
                session.check(o.raw, Location { index: o.index, path: o.path, default_version });
                let findings = session.findings();
                for f in findings {
                    p.finding(f)?;
                }
                let (e, w) = validate::count(findings);
                errors += e;
                warnings += w;
                if objects % 4096 == 0 {
                    progress.update(counter.load(Ordering::Relaxed), objects);
                }
                Ok(())
            });
            progress.finish();
            match result {
                Ok(env) => {
                    if let Some(header) = env.bundle {
                        let mut hf = Vec::new();
                        validate::validate_bundle_header(&header, env.list_len, &mut hf);
                        for f in &hf {
                            p.finding(f)?;
                        }
                        let (e, w) = validate::count(&hf);
                        errors += e;
                        warnings += w;
                    }
                }
                Err(SourceError::Io(e)) => unusable = Some(format!("cannot read: {e}")),
                Err(SourceError::Read(pacto_stix::ReadError::Callback(e))) => return Err(e.into()),
                Err(SourceError::Read(e)) => unusable = Some(e.to_string()),
            }
        }
    }
    let valid = errors == 0 && unusable.is_none();
    match args.format {
        OutputFormat::Json => {
            let mut summary = json!({"kind": "summary", "file": display, "valid": valid, "objects": objects, "errors": errors, "warnings": warnings});
            if let Some(u) = &unusable {
                summary["unusable"] = json!(u);
            }
            writeln!(p.out, "{summary}")?;
        }
        OutputFormat::Text => match &unusable {
            Some(u) => writeln!(p.out, "{display}: unusable: {u}")?,
            None => writeln!(
                p.out,
                "{display}: {} ({objects} objects, {errors} errors, {warnings} warnings)",
                if valid { "valid" } else { "INVALID" }
            )?,
        },
    }
    Ok(if unusable.is_some() {
        EXIT_UNUSABLE
    } else if errors > 0 {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
