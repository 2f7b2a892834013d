//! One module per command.

mod agreement;
mod collections;
mod detect;
mod export;
mod import;
mod ledger;
mod node;
mod partner;
mod pattern;
mod psi;
mod search;
mod send;
mod serve;
mod show;
mod sync;
mod token;
mod user;
mod validate;

use crate::cli::{Cli, Command};

pub use detect::after_write;

pub const EXIT_OK: i32 = 0;
/// Some content was invalid or rejected.
pub const EXIT_INVALID: i32 = 1;
/// Some input could not be used at all.
pub const EXIT_UNUSABLE: i32 = 2;

pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Validate(args) => validate::run(&cli.global, args),
        Command::Import(args) => import::run(&cli.global, args),
        Command::Export(args) => export::run(&cli.global, args),
        Command::Collections(c) => collections::run(&cli.global, c),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::User(c) => user::run(&cli.global, c),
        Command::Partner(c) => partner::run(&cli.global, c),
        Command::Token(c) => token::run(&cli.global, c),
        Command::Node(crate::cli::NodeCmd::Id) => node::id(&cli.global),
        Command::Agreement(c) => agreement::run(&cli.global, c),
        Command::Ledger(c) => ledger::run(&cli.global, c),
        Command::Receipts(c) => ledger::receipts(&cli.global, c),
        Command::Sync { partner, format } => sync::run(&cli.global, partner, format),
        Command::Pattern(crate::cli::PatternCmd::Check { pattern, stix_version, format }) => {
            pattern::check(&pattern, &stix_version, format)
        }
        Command::Detect(c) => detect::run(&cli.global, c),
        Command::MatchIndicators { indicators, observations, out, window, format, sighted_by } => {
            pattern::match_indicators(
                &cli.global,
                pattern::MatchArgs { indicators, observations, out, window, format, sighted_by },
            )
        }
        Command::Search(args) => search::run(&cli.global, args),
        Command::Adopt { from, to, ids } => sync::adopt(&cli.global, &from, &to, &ids),
        Command::Review { partner, dismiss, dismiss_all, limit, format } => {
            sync::review(&cli.global, partner.as_deref(), &dismiss, dismiss_all, limit, format)
        }
        Command::Show { id, format } => show::show(&cli.global, &id, format),
        Command::Sightings { since, collection, limit, format } => {
            show::sightings(&cli.global, since.as_deref(), collection, limit, format)
        }
        Command::Send(args) => send::run(&cli.global, args),
        Command::Set(c) => psi::set(&cli.global, c),
        Command::Trace { partner, set, file, out } => psi::trace(&cli.global, &partner, &set, &file, out.as_deref()),
        Command::Match { partner, set, file, normalize, count } => {
            psi::matching(&cli.global, &partner, &set, &file, &normalize, count)
        }
    }
}
