//! Command-line surface. Every option that has an environment variable names it here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "pacto",
    version,
    about = "Share STIX 2.1 intelligence between sovereign parties, each on its own node."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Where the node keeps its database [default: $XDG_DATA_HOME/pacto, else ~/.local/share/pacto]
    #[arg(long, global = true, env = "PACTO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The node's database: sqlite:PATH or postgres://USER@HOST/DB [default: sqlite:DIR/pacto.db in the data directory]
    #[arg(long, global = true, env = "PACTO_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Log level (error, warn, info, debug, trace) or a tracing filter; PACTO_LOG overrides it
    #[arg(long, global = true, default_value = "warn", value_name = "FILTER")]
    pub log_level: String,
    /// Log line format on stderr
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Never show a progress bar (plain progress lines are still printed when not a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check STIX files against the spec's MUST rules (errors) and SHOULD rules (warnings).
    ///
    /// Exit code 0: every file valid; 1: some object invalid; 2: some input unusable
    /// (unreadable, not JSON, not STIX content).
    Validate(ValidateArgs),
    /// Import STIX files (bundles, bare objects, or JSON lists of objects) into a collection.
    ///
    /// Invalid objects are rejected with their reasons; valid ones are stored in batched
    /// transactions. Rerunning an interrupted import completes it without duplicates.
    /// Exit code 0: all stored or unchanged; 1: some objects rejected; 2: unusable input.
    Import(ImportArgs),
    /// Write a collection as one STIX bundle.
    Export(ExportArgs),
    /// List, create and describe collections.
    #[command(subcommand)]
    Collections(CollectionsCmd),
    /// Run the node's TAXII 2.1 server (loopback, plain HTTP unless given a certificate).
    Serve(ServeArgs),
    /// Manage the accounts that may call this node's TAXII API.
    #[command(subcommand)]
    User(UserCmd),
    /// Partners: accounts whose access is set by a sharing agreement file.
    #[command(subcommand)]
    Partner(PartnerCmd),
    /// API tokens for people and tools (`Authorization: Bearer …` or `Token …`).
    #[command(subcommand)]
    Token(TokenCmd),
    /// This node's identity between nodes: its certificate's fingerprint.
    #[command(subcommand)]
    Node(NodeCmd),
    /// Sharing agreements: explain what a partner would receive.
    #[command(subcommand)]
    Agreement(AgreementCmd),
    /// The disclosure ledger: show, verify, export.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Receipts partners' nodes gave for what they disclosed to this node (kept by sync).
    #[command(subcommand)]
    Receipts(ReceiptsCmd),
    /// Pull what partners grant this node into their inbound collections (inbound.PARTNER).
    Sync {
        /// Only this partner
        #[arg(long)]
        partner: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Show one object: every version in every collection that holds it, with where each came
    /// from (a partner, by sync), newest first.
    Show {
        /// The object's STIX id
        id: String,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List sightings, newest first: when each was made, what it sighted, how often.
    Sightings {
        /// Only sightings added at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// The collection to read [default: detection's sightings collection]
        #[arg(long, short, value_name = "NAME")]
        collection: Option<String>,
        /// At most this many (the newest)
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Send objects to a partner's drop box, within this node's agreement for the partner
    /// (what it withholds is counted by reason); every object sent is ledgered.
    Send(SendArgs),
    /// Private sets for private matching: import (one item per line), list, remove.
    #[command(subcommand)]
    Set(SetCmd),
    /// Match a file's items privately against a partner's set: prints the items the partner
    /// also holds (or only how many, with --count); nothing else is learned by either side.
    Match {
        /// The partner holding the set (as connected with `pacto partner connect`)
        #[arg(long)]
        partner: String,
        /// The partner's private set to match against
        #[arg(long)]
        set: String,
        /// One item per line
        file: PathBuf,
        /// The rule the partner's set uses (serial, e164, email, text, bytes)
        #[arg(long, default_value = "serial")]
        normalize: String,
        /// Learn only how many match
        #[arg(long)]
        count: bool,
    },
    /// Trace seized firearms privately against a partner's labelled set (a dealer sales
    /// registry): prints each matching firearm with what the partner's agreement lets it
    /// receive of the record (one JSON line each) and writes the trace as a STIX bundle (the
    /// seized x-firearm objects, each sale as a `sold` relationship from the dealer's identity,
    /// a note with the trace reference). The partner learns only how many firearms were asked
    /// about.
    Trace {
        /// The partner holding the labelled set (as connected with `pacto partner connect`)
        #[arg(long)]
        partner: String,
        /// The partner's labelled set (its dealer sales registry)
        #[arg(long)]
        set: String,
        /// The seized firearms: STIX (its x-firearm objects) or CSV with a header naming
        /// `manufacturer` and `serial_number` (or `serial`), and optionally `model`,
        /// `firearm_type`, `caliber`, `country_of_manufacture`
        file: PathBuf,
        /// Write the STIX bundle here (for `pacto import`)
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
    },
    /// STIX patterns: check one and explain it, or say where and why it is wrong.
    #[command(subcommand)]
    Pattern(PatternCmd),
    /// Indicators against observations on this node: which collections, and a catch-up run
    /// (`pacto serve` matches continuously; import and sync match what they bring).
    #[command(subcommand)]
    Detect(DetectCmd),
    /// Match the indicators in some files against the observed-data in others, and write the
    /// matches as a bundle of STIX sightings (stdout, or --out).
    ///
    /// Exit code 0: done; 1: some indicator or observation could not be used; 2: unusable input.
    MatchIndicators {
        /// A file of indicators (repeat for several)
        #[arg(long = "indicators", short = 'i', required = true, value_name = "FILE")]
        indicators: Vec<PathBuf>,
        /// Files of observed-data and the objects they reference
        #[arg(required = true, value_name = "OBSERVATIONS")]
        observations: Vec<PathBuf>,
        /// Write the sightings bundle here instead of stdout
        #[arg(long, short = 'o')]
        out: Option<PathBuf>,
        /// Candidate observations kept per pattern of several observation expressions
        #[arg(long, default_value_t = 100_000)]
        window: usize,
        /// Summary format (on stderr)
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// The organisation that sights: an identity with this name is added, and each sighting
        /// names it as creator and as where it was sighted
        #[arg(long, value_name = "NAME")]
        sighted_by: Option<String>,
    },
    /// Copy received objects (every version) into a local collection, keeping their provenance.
    Adopt {
        /// The inbound collection (inbound.PARTNER)
        #[arg(long)]
        from: String,
        /// The local collection
        #[arg(long)]
        to: String,
        /// Object ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// What partners sent that no one here has adopted or dismissed yet, newest first; or
    /// dismiss it (it stays in inbound.PARTNER, off this list until a newer version arrives).
    Review {
        /// Only what this partner sent
        #[arg(long)]
        partner: Option<String>,
        /// Dismiss these objects (every version held now) instead of listing; needs --partner
        #[arg(long, value_name = "ID", requires = "partner")]
        dismiss: Vec<String>,
        /// Dismiss everything the partner sent that awaits review now; needs --partner
        #[arg(long, requires = "partner", conflicts_with = "dismiss")]
        dismiss_all: bool,
        /// At most this many listed
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Search the node's objects (names, descriptions, patterns, observable values, ids): every
    /// word must occur, as a word or the start of one; newest first.
    Search(SearchArgs),
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// Words to find (none: every object the filters admit)
    #[arg(default_value = "")]
    pub query: String,
    /// Only objects of this STIX type (repeatable)
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Only objects marked with this TLP level (clear, green, amber, amber+strict, red, none)
    #[arg(long)]
    pub tlp: Option<String>,
    /// Only objects carrying this label (repeatable: all of them)
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Only this collection (repeatable)
    #[arg(long = "collection")]
    pub collections: Vec<String>,
    /// Only objects received from (or adopted from) this partner
    #[arg(long)]
    pub partner: Option<String>,
    /// Only objects added at or after this time (RFC 3339)
    #[arg(long)]
    pub since: Option<String>,
    /// Only objects added before this time (RFC 3339)
    #[arg(long)]
    pub before: Option<String>,
    /// Search as this account sees the node (its read rights); default: every collection
    #[arg(long = "as")]
    pub as_user: Option<String>,
    /// At most this many hits, best first
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Make a token (printed once; only its hash is kept) with rights per collection
    Create {
        /// A name for it (letters, digits, `.`, `_`, `-`), never reused
        #[arg(long)]
        name: String,
        /// Collections it may read (names, comma-separated; `*` for all)
        #[arg(long, value_delimiter = ',', default_value = "")]
        read: Vec<String>,
        /// Collections it may write (names, comma-separated; `*` for all)
        #[arg(long, value_delimiter = ',', default_value = "")]
        write: Vec<String>,
        /// Lifetime, e.g. 90d, 12h, 30m [default: no expiry]
        #[arg(long, value_name = "LIFETIME")]
        expires: Option<String>,
    },
    /// List tokens: rights, expiry, last use, revocation
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Revoke a token (refused from then on; it stays listed)
    Revoke {
        /// The token's name
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum NodeCmd {
    /// Print the SHA-256 fingerprint of this node's certificate (made on first use): give it to
    /// partners, who pin it (`partner add --cert`, `partner connect --fingerprint`)
    Id,
}

#[derive(Subcommand, Debug)]
pub enum PartnerCmd {
    /// Add a partner: its agreement file (copied into the node's agreements directory; its
    /// `partner` must be NAME) and how its node authenticates: by its certificate's fingerprint
    /// (`--cert`, mutual TLS, no password), or, for a partner that cannot, a password printed
    /// once (`--basic`).
    Add {
        /// The partner's account name on this node (its agreement's `partner`)
        name: String,
        /// The sharing agreement (TOML) that sets what the partner may read, write and match
        #[arg(long, value_name = "FILE")]
        agreement: PathBuf,
        /// The SHA-256 fingerprint of the partner node's certificate (its `pacto node id`)
        #[arg(long, value_name = "FINGERPRINT", conflicts_with = "basic")]
        cert: Option<String>,
        /// Give the partner a password for HTTP Basic instead (compatibility)
        #[arg(long)]
        basic: bool,
    },
    /// Bind a partner to a new certificate of its node (it changed its key): the old one is
    /// refused from then on
    Cert {
        /// The partner's account name
        name: String,
        /// The SHA-256 fingerprint of the partner node's new certificate
        fingerprint: String,
    },
    /// List partners and what they are granted
    List,
    /// Show one partner's agreement
    Show {
        /// The partner's account name
        name: String,
    },
    /// Remove a partner's account, agreement and connection
    Remove {
        /// The partner's account name
        name: String,
    },
    /// How this node reaches the partner's TAXII server, for sync: its URL, and either the
    /// fingerprint of its node's certificate (mutual TLS: the server must present exactly that
    /// certificate, and this node presents its own) or the account this node uses there
    /// (password on the first line of standard input; sealed before it is stored). Checked
    /// before it is saved: the partner answers, accepts this node, and grants the collections listed
    Connect {
        /// The partner's name on this node (names inbound.NAME)
        name: String,
        /// The partner's discovery URL (…/taxii2/, followed to its default API root) or API
        /// root (e.g. https://taxii.partner.example/api/)
        #[arg(long)]
        url: String,
        /// The SHA-256 fingerprint of the partner node's certificate (its `pacto node id`)
        #[arg(long, value_name = "FINGERPRINT", required_unless_present = "user")]
        fingerprint: Option<String>,
        /// The account this node uses at the partner (HTTP Basic, for compatibility)
        #[arg(long)]
        user: Option<String>,
        /// PEM file of CA certificates to trust for this partner (default: the public roots)
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// Save without checking (the partner is not reachable yet)
        #[arg(long)]
        no_check: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SetCmd {
    /// Import a private set (a new version replaces the old): one item per line, or a CSV file
    /// with a header (a `.csv` file, or any --item-column or --payload-column given). With
    /// --payload-column the set is labelled: each item carries those columns as its payload,
    /// and a partner whose agreement grants `mode = "labelled"` receives the fields it lists
    /// for the items it matches.
    Import {
        /// The set's name (what partners name in a query)
        name: String,
        /// The CSV file (or one item per line)
        file: PathBuf,
        /// serial, e164, email, text, bytes, firearm
        #[arg(long, default_value = "serial")]
        normalize: String,
        /// CSV: the column(s) that make the item (repeat; joined by a tab). Default: for the
        /// firearm rule `manufacturer` and `serial_number` (or `serial`), else `item`
        #[arg(long = "item-column", value_name = "COLUMN")]
        item_columns: Vec<String>,
        /// CSV: a column that goes into each item's payload (repeat)
        #[arg(long = "payload-column", value_name = "COLUMN")]
        payload_columns: Vec<String>,
    },
    /// List private sets
    List,
    /// Remove a private set
    Remove {
        /// The set's name
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    /// What a partner would receive from its shared collections, object by object
    Check {
        /// The partner, by its account name on this node
        #[arg(long)]
        partner: String,
        /// Only this collection
        #[arg(long)]
        collection: Option<String>,
        /// Output format: text, or JSON with every object and reason
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Only counts: per collection, how many objects would go and how many stay, by reason
        #[arg(long)]
        summary: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCmd {
    /// Entries, newest first (one line each), and a summary of what matched (on stderr)
    Show {
        /// Only entries of this partner (its account name)
        #[arg(long)]
        partner: Option<String>,
        /// Only entries at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z)
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only entries about this object (its STIX id)
        #[arg(long, value_name = "ID")]
        object: Option<String>,
        /// Only entries of this kind (disclosure, manifest, versions, response, psi-query, sent, …)
        #[arg(long)]
        kind: Option<String>,
        /// At most this many lines
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Verify the ledger: this node's own (chain, signed checkpoints, and the last signed
    /// Merkle tree head), or an export (version 2), which passes only if every entry is covered
    /// by a checkpoint signed with --public-key
    Verify {
        /// An export to check instead of this node's ledger
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The signing node's public key (hex, or its verifier key `pacto/ledger/…+…+…`), for an export
        #[arg(long, value_name = "KEY", requires = "file")]
        public_key: Option<String>,
        /// A signed checkpoint of that node's ledger you already hold (from a proof or an
        /// earlier export): the export must extend it (catches truncation and forks)
        #[arg(long, value_name = "FILE", requires = "file")]
        checkpoint: Option<PathBuf>,
    },
    /// Sign the ledger's head (refused unless it extends the last one signed) and write the
    /// ledger in the documented export format, version 2 (JSON Lines)
    Export {
        /// Write here instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Turn a version 1 export this node wrote into a version 2 export, signed with its key
    Migrate {
        /// The version 1 export
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Write the migrated ledger here instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a proof (JSON) a third party can check with the node's public key: that entry N is
    /// in the signed log, or that the log extends a signed checkpoint they hold
    Prove {
        /// Prove that this entry (its sequence number) is in the log
        #[arg(long, value_name = "N", required_unless_present = "from")]
        entry: Option<u64>,
        /// Prove that the log extends this signed checkpoint (a file holding its note)
        #[arg(long, value_name = "FILE", conflicts_with = "entry")]
        from: Option<PathBuf>,
    },
    /// Audit a partner's ledger: ask its node to prove every entry this node holds a receipt
    /// for, and that its log extends the checkpoints held; says exactly what differs (exit 1)
    Audit {
        /// The partner (as in `pacto partner connect`)
        #[arg(long)]
        partner: String,
        /// A checkpoint of the partner's log another partner handed over (from `pacto receipts
        /// export`): the log shown to this node must extend it too (catches a forked log)
        #[arg(long, value_name = "FILE")]
        compare: Vec<PathBuf>,
    },
    /// The partners' cosignatures (as witnesses) of this node's signed heads, newest first
    Cosignatures {
        /// Only this partner's cosignatures
        #[arg(long)]
        partner: Option<String>,
    },
    /// Hand the ledger over to a new key: a rotation entry whose head both keys sign, so a
    /// verifier trusting either key accepts the whole log and partners follow on their next
    /// sync. Stop every server of this node first, and restart them afterwards
    RotateKey,
    /// Print this node's public key (give it to partners so they can verify exports)
    Key {
        /// Print the verifier key (`origin+key id+base64`, C2SP signed-note) instead of hex
        #[arg(long)]
        vkey: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ReceiptsCmd {
    /// The receipts kept from a partner, newest first
    List {
        /// The partner (as in `pacto partner connect`)
        #[arg(long)]
        partner: String,
        /// At most this many lines
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Check every receipt kept from a partner offline: signed by its pinned key, naming this
    /// node, each entry in the signed log, each log extending the one before
    Verify {
        /// Only this partner's receipts
        #[arg(long)]
        partner: String,
    },
    /// Write the receipts kept from a partner (JSON Lines: a header with its key, then one
    /// receipt per line); the last line's checkpoint is what `ledger audit --compare` takes
    Export {
        /// The partner whose receipts to export
        #[arg(long)]
        partner: String,
        /// Write here instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write only the newest checkpoint (the signed note), for another partner's audit
        #[arg(long)]
        checkpoint: bool,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TOML configuration (listen address, TLS, API roots, collections, users)
    #[arg(long, env = "PACTO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8443]
    #[arg(long, env = "PACTO_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// PEM certificate chain: serve HTTPS (with --tls-key)
    #[arg(long, env = "PACTO_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert
    #[arg(long, env = "PACTO_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with the node's own certificate (the one `pacto node id` names, which
    /// partners pin)
    #[arg(long, env = "PACTO_NODE_TLS", conflicts_with = "tls_cert")]
    pub node_tls: bool,
    /// Base URL clients reach this server at (used in discovery)
    #[arg(long, env = "PACTO_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds between syncs with partners (0: never) [default: 300]
    #[arg(long, env = "PACTO_SYNC_INTERVAL", value_name = "SECONDS")]
    pub sync_interval: Option<u64>,
    /// File holding a token (first line) that may read /metrics as `Authorization: Bearer TOKEN`
    #[arg(long, env = "PACTO_METRICS_TOKEN_FILE", value_name = "FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback (passwords and tokens then cross the
    /// network in clear: only behind a TLS-terminating proxy)
    #[arg(long, env = "PACTO_INSECURE_HTTP")]
    pub insecure_http: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user, or replace its password and rights. The password (at least 8 characters;
    /// a long passphrase is better) is asked for without echo on a terminal, else read from the
    /// first line of standard input, unless --password is given.
    Add {
        /// The account's name
        name: String,
        /// The password (visible to other local users in the process list; prefer stdin)
        #[arg(long)]
        password: Option<String>,
        /// Collections the user may read (names, comma-separated; `*` for all)
        #[arg(long, value_delimiter = ',', default_value = "")]
        read: Vec<String>,
        /// Collections the user may write (names, comma-separated; `*` for all)
        #[arg(long, value_delimiter = ',', default_value = "")]
        write: Vec<String>,
    },
    /// Remove a user
    Remove {
        /// The account's name
        name: String,
    },
    /// List users and their rights
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Files to check; `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Judge objects without spec_version as this version (default: the bundle's, else 2.1)
    #[arg(long, value_name = "2.0|2.1")]
    pub spec_version: Option<String>,
    /// Print errors only
    #[arg(long)]
    pub no_warnings: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files to import; `-` reads standard input
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The collection to import into
    #[arg(long, short, value_name = "NAME")]
    pub collection: String,
    /// Create the collection if it does not exist (without it, a missing collection is an
    /// error that names the closest existing one)
    #[arg(long)]
    pub create: bool,
    /// Objects per transaction
    #[arg(long, default_value_t = 2000)]
    pub batch_size: usize,
    /// What the files hold: STIX (a bundle, an object, a list), or MISP event JSON as MISP's
    /// REST API exports it (mapped to STIX as misp-stix does; docs/interop.md)
    #[arg(long, value_enum, default_value_t = InputFormat::Stix)]
    pub from: InputFormat,
    /// How the report is printed: text or json; `misp` is short for `--from misp` (text report)
    #[arg(long, value_enum, default_value_t = ImportFormat::Text)]
    pub format: ImportFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Stix,
    Misp,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    Text,
    Json,
    Misp,
}

impl ImportArgs {
    /// The input format, `--format misp` counting as `--from misp`.
    pub fn input(&self) -> InputFormat {
        if self.format == ImportFormat::Misp { InputFormat::Misp } else { self.from }
    }

    /// The report's rendering.
    pub fn report(&self) -> OutputFormat {
        if self.format == ImportFormat::Json { OutputFormat::Json } else { OutputFormat::Text }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionsArg {
    All,
    Last,
    First,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The collection to export
    #[arg(long, short, value_name = "NAME")]
    pub collection: String,
    /// Write here instead of standard output (written whole, then moved into place)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which versions of each object
    #[arg(long, value_enum, default_value_t = VersionsArg::All)]
    pub versions: VersionsArg,
    /// Only objects of these types (repeatable)
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Leave out objects whose latest version is revoked
    #[arg(long)]
    pub exclude_revoked: bool,
    /// A STIX bundle, or MISP event JSON (each report or grouping an event; docs/interop.md)
    #[arg(long, value_enum, default_value_t = ExportFormat::Stix)]
    pub format: ExportFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Stix,
    Misp,
}

#[derive(Subcommand, Debug)]
pub enum CollectionsCmd {
    /// List collections with their counts
    List {
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Create a collection
    Create {
        /// Short name (letters, digits, '-', '_', '.')
        name: String,
        /// Title shown to TAXII clients [default: the name]
        #[arg(long)]
        title: Option<String>,
        /// Description shown to TAXII clients
        #[arg(long)]
        description: Option<String>,
    },
    /// Show one collection: id, counts, objects by type
    Describe {
        /// The collection's name or id
        name: String,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Delete a collection and every version it holds (asks first on a terminal). A partner's
    /// inbound collection is refused (remove the partner instead).
    Delete {
        /// The collection's name or id
        name: String,
        /// Delete it even though it holds objects
        #[arg(long)]
        force: bool,
        /// Do not ask for confirmation on a terminal
        #[arg(long, short)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum PatternCmd {
    /// Parse a pattern: explain what it matches, or point at its error.
    ///
    /// Exit code 0: valid; 1: invalid.
    Check {
        /// The STIX pattern, e.g. "[ipv4-addr:value = '198.51.100.1']"
        pattern: String,
        /// The grammar: 2.1, or 2.0 (START/STOP with string timestamps)
        #[arg(long, default_value = "2.1")]
        stix_version: String,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Subcommand, Debug)]
pub enum DetectCmd {
    /// Choose the collections: indicators from some, observations from others (they may be the
    /// same), sightings into one (created if missing).
    Setup {
        /// Collections whose indicators are applied (comma-separated; `inbound.*` names every
        /// partner's inbound collection)
        #[arg(long, value_delimiter = ',', required = true)]
        indicators: Vec<String>,
        /// Collections whose observed-data is matched (comma-separated; a trailing `*` is a prefix)
        #[arg(long, value_delimiter = ',', required = true)]
        observations: Vec<String>,
        /// The collection sightings are written to
        #[arg(long, default_value = "sightings")]
        sightings: String,
        /// The organisation that sights: an identity with this name is stored with the
        /// sightings, and each names it as creator and as where it was sighted
        #[arg(long, value_name = "NAME")]
        sighted_by: Option<String>,
    },
    /// Show the setup.
    Status,
    /// Match everything that arrived since the last run.
    Run {
        /// Also match every observation already seen against the indicators in force (after
        /// new indicators arrive: hunt through history). Sightings already recorded are kept.
        #[arg(long)]
        retro: bool,
    },
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["file", "collection"]))]
pub struct SendArgs {
    /// The partner: connected (`pacto partner connect`) and with an agreement on this node
    #[arg(long)]
    pub partner: String,
    /// A STIX file (a bundle, an object or a list of objects; `-` for standard input)
    pub file: Option<PathBuf>,
    /// Send from this local collection (the latest version of each object) instead of a file
    #[arg(long, short = 'c')]
    pub collection: Option<String>,
    /// Only these objects of the collection (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', requires = "collection")]
    pub ids: Vec<String>,
    /// For a file: the share of the agreement it is judged by, named by its collection
    /// [default: the agreement's only share]
    #[arg(long, conflicts_with = "collection")]
    pub share: Option<String>,
    /// The partner's collection to write to [default: the only one it lets this node write to]
    #[arg(long)]
    pub to: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every argument of every subcommand, as `pacto SUB … --name`, that has no help text.
    fn without_help(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if a.is_hide_set() || matches!(a.get_id().as_str(), "help" | "version") {
                continue;
            }
            if a.get_help().is_none() && a.get_long_help().is_none() {
                out.push(format!(
                    "{path} {}",
                    a.get_long().map_or_else(|| a.get_id().to_string(), |l| format!("--{l}"))
                ));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() && sub.get_long_about().is_none() && sub.get_name() != "help" {
                out.push(format!("{path} {} (the command itself)", sub.get_name()));
            }
            without_help(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_option_and_command_has_help_text() {
        let mut missing = Vec::new();
        without_help(&super::Cli::command(), "pacto", &mut missing);
        assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
    }
}
