//! A small W3C WebDriver client (the dozen commands the browser suite uses) over ureq, which
//! the node already uses: no WebDriver crate and its dependency tree for a test.

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    agent: ureq::Agent,
    session: String,
}

impl Browser {
    /// A headless Chromium session (the system's `chromium` when it is there).
    pub fn start(driver: &str) -> Browser {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .build()
            .into();
        let mut options = json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,1024", "--lang=en"]});
        let binary = std::env::var("PACTO_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if std::path::Path::new(&binary).exists() {
            options["binary"] = json!(binary);
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let v = call(&agent, "POST", &format!("{driver}/session"), Some(caps));
        let session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {v}")).to_string();
        Browser { agent, session: format!("{driver}/session/{session}") }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        call(&self.agent, method, &format!("{}{path}", self.session), body)
    }

    pub fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    pub fn title(&self) -> String {
        self.cmd("GET", "/title", None).as_str().unwrap_or_default().to_string()
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css:?} on {}: {v}", self.url())).to_string()
    }

    pub fn count(&self, css: &str) -> usize {
        let v = self.cmd("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        v.as_array().map_or(0, Vec::len)
    }

    /// Type into a field (a file input takes the file's path).
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), Some(json!({})));
        self.cmd("POST", &format!("/element/{e}/value"), Some(json!({"text": text})));
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// Click something that loads a new page, and wait until the new page has loaded (the old
    /// page's window carries a mark the new one does not).
    pub fn click_and_load(&self, css: &str) {
        self.script("window.pactoOldPage = true; return 'marked'");
        self.click(css);
        for _ in 0..200 {
            if self
                .script("return (window.pactoOldPage !== true && document.readyState === 'complete') ? 'new' : 'old'")
                == "new"
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("clicking {css:?} loaded no new page (still {})", self.url());
    }

    /// Choose an option of a select by its value.
    pub fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']"));
    }

    /// The visible text of an element.
    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("/element/{e}/text"), None).as_str().unwrap_or_default().to_string()
    }

    /// Press Tab.
    pub fn tab(&self) {
        let key = |t: &str| json!({"type": t, "value": "\u{E004}"});
        let actions =
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [key("keyDown"), key("keyUp")]}]});
        self.cmd("POST", "/actions", Some(actions));
    }

    /// Run a script in the page; its answer as text.
    pub fn script(&self, script: &str) -> String {
        let v = self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": []})));
        v.as_str().map_or_else(|| v.to_string(), str::to_string)
    }

    /// axe-core's serious and critical violations on the page (the library injected first).
    pub fn axe(&self, source: &str) -> Vec<String> {
        self.cmd("POST", "/execute/sync", Some(json!({"script": source, "args": []})));
        let run = r#"const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
              .catch(e => done(['axe failed: ' + e]));"#;
        let v = self.cmd("POST", "/execute/async", Some(json!({"script": run, "args": []})));
        v.as_array()
            .unwrap_or_else(|| panic!("axe answered {v}"))
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).unwrap()
    }

    pub fn quit(self) {
        self.cmd("DELETE", "", None);
    }
}

/// One WebDriver command: its `value`, or a panic with the driver's error.
fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Value {
    let r = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, b) => agent.post(url).send_json(b.unwrap_or_else(|| json!({}))),
    };
    let mut r = r.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
    let status = r.status().as_u16();
    let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
    if status >= 400 {
        panic!("WebDriver {method} {url}: {status} {v}");
    }
    v.get("value").cloned().unwrap_or(Value::Null)
}
