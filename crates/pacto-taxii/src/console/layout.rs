//! The console's frame (header, navigation, skip link), its style sheet, and the pieces pages
//! share: TLP badges (FIRST TLP 2.0 colours), tables of hits, times.

use maud::{DOCTYPE, Markup, html};
use pacto_node::browse::Hit;

use super::Viewer;

/// The style sheet (served from `/ui/static/console.css`: no inline style under the policy).
/// TLP badges use FIRST's TLP 2.0 colours (RGB): RED 255,43,43; AMBER 255,192,0; GREEN 51,255,0;
/// CLEAR 255,255,255; each on black, as the standard asks.
pub const CSS: &str = r#"
:root { --fg: #1b1f24; --bg: #ffffff; --muted: #4a5560; --line: #c8cdd3; --link: #0b4f9c; --accent: #0b4f9c; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header { background: #14213d; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
header a { color: #fff; }
header nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .75rem; margin: 0; padding: 0; }
header form { margin-left: auto; }
.brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; }
main { padding: 1rem; max-width: 78rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: .35rem .5rem; vertical-align: top; }
th { background: #eef1f4; }
code, pre { font-family: ui-monospace, monospace; font-size: .9rem; }
pre { background: #f4f6f8; border: 1px solid var(--line); padding: .75rem; overflow: auto; white-space: pre-wrap; word-break: break-all; }
.muted { color: var(--muted); }
.error { border: 2px solid #b00020; background: #fdecee; padding: .5rem 1rem; }
.ok { border: 2px solid #1e6b30; background: #e8f5ea; padding: .5rem 1rem; }
form.inline { display: inline; margin: 0; }
label { display: block; font-weight: 600; margin-top: .5rem; }
input, select, textarea, button { font: inherit; padding: .3rem .5rem; border: 1px solid #6b7580; border-radius: 3px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; margin-top: .5rem; }
header button { background: transparent; border-color: #fff; margin: 0; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
.filters label { margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 1rem; }
.card { border: 1px solid var(--line); padding: .5rem 1rem; min-width: 12rem; }
.card .n { font-size: 1.6rem; font-weight: 700; }
.tlp { display: inline-block; background: #000; padding: 0 .4rem; font-weight: 700; font-family: ui-monospace, monospace; border-radius: 2px; }
.tlp-red { color: #ff2b2b; } .tlp-amber, .tlp-amber-strict { color: #ffc000; } .tlp-green { color: #33ff00; } .tlp-clear { color: #ffffff; }
svg.graph { border: 1px solid var(--line); max-width: 100%; height: auto; background: #fbfcfd; }
svg.graph line { stroke: #6b7580; stroke-width: 1.5; }
svg.graph circle { fill: #dbe7f5; stroke: #0b4f9c; stroke-width: 2; }
svg.graph circle.centre { fill: #0b4f9c; }
svg.graph text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
svg.graph text.edge { fill: #4a5560; font-size: 11px; }
svg.graph a:focus circle { stroke: #ffbf47; stroke-width: 4; }
"#;

/// A whole page: the frame around `body`. `viewer` is None on the login and error pages.
pub fn page(title: &str, viewer: Option<&Viewer>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // htmx's own indicator style would be an inline style, which the policy forbids.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false}"#;
                title { (title) " · pacto" }
                link rel="stylesheet" href="/ui/static/console.css";
                script src="/ui/static/htmx.min.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    a class="brand" href="/" { "pacto" }
                    @if let Some(v) = viewer {
                        nav aria-label="Main" {
                            ul {
                                li { a href="/" { "Dashboard" } }
                                li { a href="/ui/search" { "Search" } }
                                li { a href="/ui/review" { "Review" } }
                                li { a href="/ui/import" { "Import" } }
                                li { a href="/ui/pattern" { "Pattern check" } }
                                @if v.is_admin() {
                                    li { a href="/ui/partners" { "Partners" } }
                                    li { a href="/ui/ledger" { "Ledger" } }
                                    li { a href="/ui/sets" { "Private sets" } }
                                    li { a href="/ui/users" { "Users" } }
                                    li { a href="/ui/health" { "Health" } }
                                }
                            }
                        }
                        form method="post" action="/ui/logout" {
                            input type="hidden" name="csrf" value=(v.session.csrf);
                            button type="submit" { "Log out " (v.session.user) }
                        }
                    }
                }
                main id="main" { h1 { (title) } (body) }
            }
        }
    }
}

pub fn error_body(title: &str, message: &str) -> Markup {
    html! {
        p class="error" role="alert" { strong { (title) ": " } (message) }
        p { a href="/" { "Back to the dashboard" } }
    }
}

pub fn login_body(csrf: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p class="error" role="alert" { (e) } }
        form method="post" action="/ui/login" {
            input type="hidden" name="csrf" value=(csrf);
            label for="user" { "Account" }
            input id="user" name="user" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            div { button type="submit" { "Log in" } }
        }
        p class="muted" { "The node's accounts (" code { "pacto user add" } "); what each may read is what it sees here." }
    }
}

/// A TLP badge, in FIRST's colours; nothing when unmarked.
pub fn tlp(level: Option<&str>) -> Markup {
    html! {
        @if let Some(l) = level {
            span class={ "tlp tlp-" (l.replace('+', "-")) } { "TLP:" (l.to_uppercase()) }
        }
    }
}

/// A time in microseconds, as RFC 3339.
pub fn time(us: i64) -> String {
    pacto_stix::Timestamp::from_micros(us).format(0)
}

/// The link to an object's page.
pub fn object_href(collection: &str, id: &str) -> String {
    format!("/ui/objects/{}/{}", urlencode(collection), urlencode(id))
}

/// Percent-encode a path segment or query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Hits as a table.
pub fn hits(caption: &str, hits: &[Hit]) -> Markup {
    html! {
        @if hits.is_empty() {
            p class="muted" { "Nothing." }
        } @else {
            table {
                caption class="muted" { (caption) }
                thead { tr { th scope="col" { "Object" } th scope="col" { "Type" } th scope="col" { "TLP" }
                    th scope="col" { "Collection" } th scope="col" { "Added" } } }
                tbody {
                    @for h in hits {
                        tr {
                            td { a href=(object_href(&h.collection, &h.id)) { (h.title) } }
                            td { (h.type_name) }
                            td { (tlp(h.tlp)) }
                            td { (h.collection) }
                            td { (time(h.date_added)) }
                        }
                    }
                }
            }
        }
    }
}
