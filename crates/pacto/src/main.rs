//! `pacto`: the node's one binary. This file only parses arguments, sets up logging and
//! dispatches; each command lives in `cmd/`.

mod cli;
mod cmd;
mod config;
mod input;
mod progress;
mod tls;

use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = cli::Cli::parse();
    init_logging(&cli.global);
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pacto: {e:#}");
            cmd::EXIT_UNUSABLE
        }
    };
    std::process::exit(code);
}

fn init_logging(g: &cli::Global) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PACTO_LOG").unwrap_or_else(|_| EnvFilter::new(&g.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match g.log_format {
        cli::LogFormat::Json => builder.json().init(),
        cli::LogFormat::Text => builder.with_target(false).compact().init(),
    }
}
