//! The differential compatibility suite: the same sequences of requests sent to Ory Hydra v2.3.0
//! and to Latchkey, comparing what a client can observe — status codes, JSON field names, types,
//! nullability and (where they are not random by nature) values, error codes, the query parameters
//! of `Location` headers and of `redirect_to` URLs, `Link`, `Cache-Control`, `WWW-Authenticate`.
//! Ids, secrets, timestamps, tokens, challenges and error prose are compared by type only.
//!
//! Every difference that remains is listed with its reason in `differences.toml`; the test fails
//! on a difference that is not listed, and on a listed one that no longer happens (so the list
//! stays true). Hydra is the binary `bench/peers/hydra.sh` builds (or `HYDRA_BIN`); without it
//! the test is skipped, unless `LATCHKEY_REQUIRE_HYDRA` is set (CI sets it).
//!
//! Scenarios are in `scenarios.rs`: each step is one request, built per server from that server's
//! variables (`{name}` in paths, JSON strings and form values), so a challenge or token captured
//! from one server's answer is sent back to that server only.

mod scenarios;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    authcode::free_port,
    support::{Backend, KillOnDrop, TestDb, TestServer},
};

crate::test!(sync globs);
fn globs() {
    assert!(matches("a*", "abc"));
    assert!(matches("body[*].x", "body[12].x"));
    assert!(matches("token.*-missing-*", "token.code-missing-code"));
    assert!(!matches("body[*].x", "body[1].y"));
    assert!(matches("*", ""));
    assert!(!matches("abc", "ab"));
}

/// Shared by both servers so that their answers can be compared literally.
pub const SECRET: &str = "compat-secret-0123456789abcdef";
/// Both servers' pairwise salt, so that their pairwise identifiers can be compared by value.
pub const PAIRWISE_SALT: &str = "compat-pairwise-salt";
pub const LOGIN: &str = "http://127.0.0.1:9/login";
pub const CONSENT: &str = "http://127.0.0.1:9/consent";
pub const LOGOUT: &str = "http://127.0.0.1:9/logout";
pub const ERROR: &str = "http://127.0.0.1:9/error";

/// Which listener a request goes to.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub enum On {
    Public,
    Admin,
}

/// One server under comparison.
pub struct Peer {
    pub name: &'static str,
    pub public: String,
    pub admin: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    pub vars: HashMap<String, String>,
}

/// What a request produced.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Option<Value>,
}

impl Resp {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// A parameter of the `Location` URL's query or fragment.
    pub fn location_param(&self, name: &str) -> Option<String> {
        url_param(self.location()?, name)
    }

    /// A string field of the JSON body, by a `/`-separated pointer.
    pub fn field(&self, pointer: &str) -> Option<String> {
        match self.json.as_ref()?.pointer(pointer)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

pub fn url_param(url: &str, name: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    u.query_pairs()
        .chain(url::form_urlencoded::parse(
            u.fragment().unwrap_or_default().as_bytes(),
        ))
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A request, described once for both servers; `{var}` is replaced per server.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Req {
    method: String,
    on: On,
    path: String,
    #[serde(default, skip_serializing_if = "Body::is_none")]
    body: Body,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    basic: Option<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bearer: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Body {
    #[default]
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    Raw(Option<String>, String),
}

impl Body {
    fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

pub fn req(method: &str, on: On, path: &str) -> Req {
    Req {
        method: method.to_owned(),
        on,
        path: path.to_owned(),
        body: Body::None,
        headers: Vec::new(),
        basic: None,
        bearer: None,
    }
}

pub fn get(on: On, path: &str) -> Req {
    req("GET", on, path)
}
pub fn post(on: On, path: &str) -> Req {
    req("POST", on, path)
}
pub fn delete(on: On, path: &str) -> Req {
    req("DELETE", on, path)
}

impl Req {
    pub fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    pub fn form(mut self, f: &[(&str, &str)]) -> Self {
        self.body = Body::Form(
            f.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }
    pub fn basic(mut self, user: &str, pass: &str) -> Self {
        self.basic = Some((user.to_owned(), pass.to_owned()));
        self
    }
}

crate::api_by_fields!(Peer);

impl Peer {
    pub fn new(name: &'static str, public: String, admin: String) -> Self {
        Self {
            name,
            public,
            admin,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
            vars: HashMap::new(),
        }
    }

    /// Replaces every `{name}` with this server's variable (unknown names stay as they are).
    fn subst(&self, s: &str) -> String {
        let mut out = s
            .replace("{public}", &self.public)
            .replace("{admin}", &self.admin);
        for (k, v) in &self.vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }

    fn subst_json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.subst(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst_json(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.subst_json(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    async fn send(&mut self, r: &Req) -> Resp {
        let path = self.subst(&r.path);
        let url = if path.starts_with("http") {
            path
        } else {
            let base = match r.on {
                On::Public => &self.public,
                On::Admin => &self.admin,
            };
            format!("{base}{path}")
        };
        let method: reqwest::Method = r.method.parse().expect("an HTTP method");
        let mut b = self.http.request(method, &url);
        if url.starts_with(&self.public) && !self.cookies.is_empty() {
            let jar = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            b = b.header("cookie", jar);
        }
        for (k, v) in &r.headers {
            b = b.header(k, self.subst(v));
        }
        if let Some((u, p)) = &r.basic {
            b = b.basic_auth(self.subst(u), Some(self.subst(p)));
        }
        if let Some(t) = &r.bearer {
            b = b.bearer_auth(self.subst(t));
        }
        b = match &r.body {
            Body::None => b,
            Body::Json(v) => b.json(&self.subst_json(v)),
            Body::Form(f) => {
                let f: Vec<(String, String)> =
                    f.iter().map(|(k, v)| (k.clone(), self.subst(v))).collect();
                b.form(&f)
            }
            Body::Raw(ct, body) => {
                let b = match ct {
                    Some(ct) => b.header("content-type", ct),
                    None => b,
                };
                b.body(self.subst(body))
            }
        };
        let resp = b
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {url}: {e}", self.name));
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            if let Some((k, val)) = kv.split_once('=') {
                let attrs = attrs.to_ascii_lowercase();
                if attrs.contains("max-age=0") || attrs.contains("max-age=-") || val.is_empty() {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies.insert(k.trim().to_owned(), val.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).ok();
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn clear_cookies(&mut self) {
        self.cookies.clear();
    }
}

/// Keys whose values are random or time-dependent by nature: compared by type only.
const RANDOM_KEYS: &[&str] = &[
    "client_secret",
    "registration_access_token",
    "created_at",
    "updated_at",
    "requested_at",
    "authenticated_at",
    "expires_at",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "expires_in",
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "challenge",
    "login_challenge",
    "consent_challenge",
    "logout_challenge",
    "login_verifier",
    "consent_verifier",
    "logout_verifier",
    "login_session_id",
    "consent_request_id",
    "session_id",
    "sid",
    "jti",
    "kid",
    "n",
    "e",
    "d",
    "p",
    "q",
    "dp",
    "dq",
    "qi",
    "x",
    "y",
    "x5c",
    "x5t",
    "x5t#S256",
    "page_token",
    "error_description",
    "error_hint",
    "error_debug",
    "message",
    "reason",
    "request_id",
    "debug",
    "details",
];

/// Renders a string value: its server's address replaced, random values by kind.
fn render_str(peer: &Peer, key: &str, s: &str) -> String {
    if RANDOM_KEYS.contains(&key) {
        return "<random>".into();
    }
    let s = without_uuids(
        &s.replace(&peer.public, "{public}")
            .replace(&peer.admin, "{admin}"),
    );
    if chrono::DateTime::parse_from_rfc3339(&s).is_ok() {
        return "<time>".into();
    }
    if s.split('.').count() == 3 && s.starts_with("eyJ") {
        return "<jwt>".into();
    }
    if s.starts_with("ory_") {
        return "<token>".into();
    }
    s
}

/// Replaces every UUID in `s` (a generated id, alone or in a path) with `<uuid>`.
fn without_uuids(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if rest.len() >= 36
            && rest.is_char_boundary(36)
            && uuid::Uuid::try_parse(&rest[..36]).is_ok()
        {
            out.push_str("<uuid>");
            rest = &rest[36..];
        } else {
            let ch = rest.chars().next().unwrap_or_default();
            out.push(ch);
            rest = &rest[ch.len_utf8()..];
        }
    }
    out
}

/// A URL with a query or a fragment: its base at `path`, each parameter at `path?name` (query)
/// or `path#name` (fragment), so that one extra parameter is one difference.
fn flatten_url(peer: &Peer, path: &str, s: &str, out: &mut BTreeMap<String, String>) -> bool {
    let is_url = s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/');
    if !is_url || !(s.contains('?') || s.contains('#')) {
        return false;
    }
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    out.insert(
        path.to_owned(),
        format!("url {}", render_str(peer, "", base)),
    );
    for (sep, part) in [("?", query), ("#", fragment)] {
        for (k, v) in url::form_urlencoded::parse(part.as_bytes()) {
            out.insert(format!("{path}{sep}{k}"), render_str(peer, &k, &v));
        }
    }
    true
}

/// Flattens an observation into `path → rendered value`. Arrays of scalars are sets here (their
/// order means nothing to a client), so they are sorted first.
fn flatten(peer: &Peer, path: &str, key: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    let rendered = match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("bool {b}"),
        Value::Number(_) if RANDOM_KEYS.contains(&key) => "number".to_owned(),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            if !RANDOM_KEYS.contains(&key) && flatten_url(peer, path, s, out) {
                return;
            }
            format!("string {}", render_str(peer, key, s))
        }
        Value::Array(a) => {
            let mut items: Vec<&Value> = a.iter().collect();
            if items.iter().all(|x| !x.is_object() && !x.is_array()) {
                items.sort_by_key(|x| x.to_string());
            }
            for (i, x) in items.into_iter().enumerate() {
                flatten(peer, &format!("{path}[{i}]"), key, x, out);
            }
            format!("array of {}", a.len())
        }
        Value::Object(o) => {
            for (k, x) in o {
                flatten(peer, &format!("{path}.{k}"), k, x, out);
            }
            "object".to_owned()
        }
    };
    out.insert(path.to_owned(), rendered);
}

/// Everything of a response a client can observe and that is not random by nature. The body of
/// a redirect is not (browsers never show it).
fn observe(peer: &Peer, r: &Resp) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("status".into(), r.status.to_string());
    for h in [
        "cache-control",
        "www-authenticate",
        "link",
        "x-total-count",
        "pragma",
    ] {
        let v: Vec<String> = r
            .headers
            .get_all(h)
            .iter()
            .map(|v| render_header(peer, h, v.to_str().unwrap_or("<binary>")))
            .collect();
        if !v.is_empty() {
            out.insert(format!("header.{h}"), v.join(", "));
        }
    }
    if let Some(loc) = r.location()
        && !flatten_url(peer, "header.location", loc, &mut out)
    {
        out.insert("header.location".into(), render_str(peer, "location", loc));
    }
    if (300..400).contains(&r.status) {
        return out;
    }
    if let Some(ct) = r.headers.get("content-type").and_then(|v| v.to_str().ok()) {
        let media = ct.split(';').next().unwrap_or_default().trim();
        out.insert("header.content-type".into(), media.to_ascii_lowercase());
    }
    match &r.json {
        Some(v) => flatten(peer, "body", "", v, &mut out),
        None if r.text.is_empty() => {}
        None => {
            out.insert("body".into(), "text".into());
        }
    }
    out
}

fn render_header(peer: &Peer, name: &str, v: &str) -> String {
    match name {
        "link" => v
            .split(',')
            .map(|l| {
                let l = l.trim();
                match (l.find('<'), l.find('>')) {
                    (Some(a), Some(b)) if a < b => {
                        let mut parts = BTreeMap::new();
                        if !flatten_url(peer, "", &l[a + 1..b], &mut parts) {
                            parts.insert(String::new(), render_str(peer, "link", &l[a + 1..b]));
                        }
                        let url: Vec<String> =
                            parts.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
                        format!("<{}>{}", url.join(" "), &l[b + 1..])
                    }
                    _ => l.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        "www-authenticate" => {
            // The scheme, realm-less parameter names and the error code; descriptions are prose.
            let mut parts: Vec<String> = v
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    if p.contains("error_description=") {
                        "error_description=<prose>".to_owned()
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            parts.sort();
            parts.join(",")
        }
        _ => v.to_owned(),
    }
}

/// What [`Run::save`] takes from each server's last answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Take {
    /// A field of the JSON body, by pointer (a string as is, anything else as JSON).
    Field(String),
    /// A parameter of the `Location` URL's query or fragment.
    LocationParam(String),
    /// The `next` link of a `Link` header (pagination).
    NextLink,
}

impl Take {
    fn value_in(&self, r: &Resp) -> Option<String> {
        match self {
            Self::Field(p) => r.field(p),
            Self::LocationParam(n) => r.location_param(n),
            Self::NextLink => {
                let link = r.headers.get("link")?.to_str().ok()?;
                link.split(',')
                    .find(|l| l.contains("rel=\"next\""))
                    .and_then(|l| Some(l[l.find('<')? + 1..l.find('>')?].to_owned()))
            }
        }
    }
}

/// One line of `scenarios.jsonl`: what the runner does next.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "do")]
pub enum Action {
    /// Send to both servers and compare the answers under this step name.
    Step { step: String, req: Req },
    /// Send to both without comparing (to bring them back to the same state).
    Quiet { req: Req },
    /// Keep a value of each server's last answer as that server's `{var}`.
    Save { var: String, take: Take },
    /// A new browser (no cookies) on both.
    NewBrowser,
    /// An area that computes its requests (keys, signatures, times): run in code.
    Code { area: String },
}

/// A difference between the two servers' answers to one step.
#[derive(Debug, Clone)]
pub struct Difference {
    pub step: String,
    pub path: String,
    pub hydra: String,
    pub latchkey: String,
}

/// A run of the suite over both servers.
pub struct Run {
    /// With `COMPAT_RECORD` set: the actions taken, to write out as data.
    pub record: Option<Vec<Action>>,
    pub peers: [Peer; 2],
    pub diffs: Vec<Difference>,
    pub steps: BTreeSet<String>,
    pub last: Option<[Resp; 2]>,
}

impl Run {
    /// Sends `r` to both servers, records their differences under `step`, and returns both
    /// answers (Hydra's first).
    pub async fn step(&mut self, step: &str, r: Req) -> [Resp; 2] {
        assert!(self.steps.insert(step.to_owned()), "step {step} twice");
        if let Some(rec) = &mut self.record {
            rec.push(Action::Step {
                step: step.to_owned(),
                req: r.clone(),
            });
        }
        let h = self.peers[0].send(&r).await;
        let l = self.peers[1].send(&r).await;
        let (mut oh, mut ol) = (observe(&self.peers[0], &h), observe(&self.peers[1], &l));
        if h.status != l.status {
            // One answered and one refused: the rest of the two bodies cannot compare; the status
            // and the error code say it all.
            for o in [&mut oh, &mut ol] {
                o.retain(|k, _| !k.starts_with("body") || k == "body.error");
            }
        }
        let keys: BTreeSet<&String> = oh.keys().chain(ol.keys()).collect();
        for k in keys {
            let (a, b) = (oh.get(k), ol.get(k));
            if a != b {
                self.diffs.push(Difference {
                    step: step.to_owned(),
                    path: k.clone(),
                    hydra: a.cloned().unwrap_or_else(|| "<absent>".into()),
                    latchkey: b.cloned().unwrap_or_else(|| "<absent>".into()),
                });
            }
        }
        self.last = Some([h.clone(), l.clone()]);
        [h, l]
    }

    /// Sends `r` to both servers without comparing: to put them back in the same state after a
    /// step where one accepted what the other refused.
    pub async fn quiet(&mut self, r: Req) {
        if let Some(rec) = &mut self.record {
            rec.push(Action::Quiet { req: r.clone() });
        }
        for p in &mut self.peers {
            p.send(&r).await;
        }
    }

    /// Stores a value taken from each server's last answer as that server's variable `name`.
    /// Panics when either server's answer lacks it: the sequence cannot go on.
    pub fn save(&mut self, name: &str, take: Take) {
        if let Some(rec) = &mut self.record {
            rec.push(Action::Save {
                var: name.to_owned(),
                take: take.clone(),
            });
        }
        let last = self.last.as_ref().expect("a step before save");
        for (peer, r) in self.peers.iter_mut().zip(last) {
            let v = take.value_in(r).unwrap_or_else(|| {
                panic!(
                    "{}: cannot take {name} from the answer ({} {:?}): {}",
                    peer.name,
                    r.status,
                    r.location(),
                    r.text
                )
            });
            peer.vars.insert(name.to_owned(), v);
        }
    }

    /// A new browser on both servers.
    pub fn new_browser(&mut self) {
        if let Some(rec) = &mut self.record {
            rec.push(Action::NewBrowser);
        }
        for p in &mut self.peers {
            p.clear_cookies();
        }
    }
}

/// One listed difference.
#[derive(Deserialize, Debug)]
struct Listed {
    step: String,
    path: String,
    /// When given, the entry only covers differences where Hydra's (Latchkey's) rendered value
    /// is this one.
    hydra: Option<String>,
    latchkey: Option<String>,
    reason: String,
}

impl Listed {
    fn covers(&self, d: &Difference) -> bool {
        matches(&self.step, &d.step)
            && matches(&self.path, &d.path)
            && self.hydra.as_ref().is_none_or(|h| matches(h, &d.hydra))
            && self
                .latchkey
                .as_ref()
                .is_none_or(|l| matches(l, &d.latchkey))
    }
}

#[derive(Deserialize, Debug)]
struct ListedFile {
    difference: Vec<Listed>,
}

/// A glob: `*` matches any run of characters (none included); everything else matches itself.
fn matches(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => {
            let Some(rest) = s.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| matches(tail, &rest[i..]))
        }
    }
}

/// The Hydra binary of a test registered with `needs: [Hydra]` (the harness checked it is there).
pub fn hydra() -> PathBuf {
    hydra_binary().expect("a Hydra binary (bench/peers/hydra.sh builds one)")
}

pub fn hydra_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HYDRA_BIN") {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("PEER_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("latchkey-peers"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/latchkey-peers"))
        })?;
    let bin = cache.join("hydra-v2.3.0/hydra");
    bin.exists().then_some(bin)
}

/// Starts Hydra on loopback, in memory, configured as Latchkey is below. The ports are picked
/// free, then bound by Hydra; another test may take one in between, so both listeners must answer
/// while Hydra still runs (it exits when it cannot bind), or it is started again on new ports.
async fn start_hydra(bin: &PathBuf) -> (KillOnDrop, String, String) {
    start_hydra_with(bin, &[]).await
}

/// [`start_hydra`] with more settings in its environment.
pub async fn start_hydra_with(
    bin: &PathBuf,
    extra: &[(&str, String)],
) -> (KillOnDrop, String, String) {
    for _ in 0..3 {
        let (public, admin) = (free_port(), free_port());
        let issuer = format!("http://127.0.0.1:{public}/");
        let child = Command::new(bin)
            .args(["serve", "all", "--dev"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DSN", "memory")
            .env("SQA_OPT_OUT", "true")
            .env("LOG_LEVEL", "error")
            .env("SECRETS_SYSTEM", SECRET)
            .env("URLS_SELF_ISSUER", &issuer)
            .env("URLS_LOGIN", LOGIN)
            .env("URLS_CONSENT", CONSENT)
            .env("URLS_LOGOUT", LOGOUT)
            .env("URLS_ERROR", ERROR)
            .env(
                "OIDC_SUBJECT_IDENTIFIERS_SUPPORTED_TYPES",
                "public,pairwise",
            )
            .env("OIDC_SUBJECT_IDENTIFIERS_PAIRWISE_SALT", PAIRWISE_SALT)
            .env("OIDC_DYNAMIC_CLIENT_REGISTRATION_ENABLED", "true")
            .env("SERVE_PUBLIC_HOST", "127.0.0.1")
            .env("SERVE_ADMIN_HOST", "127.0.0.1")
            .env("SERVE_PUBLIC_PORT", public.to_string())
            .env("SERVE_ADMIN_PORT", admin.to_string())
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hydra");
        let mut child = KillOnDrop(child);
        let (public_url, admin_url) = (
            format!("http://127.0.0.1:{public}"),
            format!("http://127.0.0.1:{admin}"),
        );
        for _ in 0..300 {
            if child.0.try_wait().ok().flatten().is_some() {
                break;
            }
            let ours = |url: String| async move {
                reqwest::get(url)
                    .await
                    .is_ok_and(|r| r.status().is_success())
            };
            if ours(format!("{admin_url}/health/ready")).await
                && ours(format!("{public_url}/health/ready")).await
                && child.0.try_wait().ok().flatten().is_none()
            {
                return (child, public_url, admin_url);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("Hydra did not start (three tries)");
}

async fn start_latchkey() -> TestServer {
    let db = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let port = free_port();
    TestServer::start_with(db, |c| {
        c.serve.public.port = port;
        c.urls.self_.issuer = format!("http://127.0.0.1:{port}/");
        c.secrets.system = vec![latchkey::config::Secret(SECRET.into())];
        c.urls.login = Some(LOGIN.into());
        c.urls.consent = Some(CONSENT.into());
        c.urls.logout = Some(LOGOUT.into());
        c.urls.error = Some(ERROR.into());
        c.oidc.subject_identifiers.supported_types = vec!["public".into(), "pairwise".into()];
        c.oidc.dynamic_client_registration.enabled = true;
        c.oidc.subject_identifiers.pairwise.salt = latchkey::config::Secret(PAIRWISE_SALT.into());
    })
    .await
}

crate::test!(same_answers_as_hydra, needs: [Hydra, Openssl]);
async fn same_answers_as_hydra() {
    let bin = crate::compat::hydra();
    let (_hydra, h_public, h_admin) = start_hydra(&bin).await;
    let lk = start_latchkey().await;
    let mut run = Run {
        record: std::env::var_os("COMPAT_RECORD").map(|_| Vec::new()),
        peers: [
            Peer::new("hydra", h_public, h_admin),
            Peer::new("latchkey", lk.public.clone(), lk.admin.clone()),
        ],
        diffs: Vec::new(),
        steps: BTreeSet::new(),
        last: None,
    };
    scenarios::all(&mut run).await;
    if let (Some(path), Some(rec)) = (std::env::var_os("COMPAT_RECORD"), &run.record) {
        let lines: Vec<String> = rec
            .iter()
            .map(|a| serde_json::to_string(a).unwrap())
            .collect();
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
    lk.stop().await;

    let listed: ListedFile =
        toml::from_str(include_str!("differences.toml")).expect("differences.toml");
    let mut used = vec![false; listed.difference.len()];
    let mut unlisted = Vec::new();
    for d in &run.diffs {
        let hit = listed.difference.iter().position(|l| l.covers(d));
        match hit {
            Some(i) => used[i] = true,
            None => unlisted.push(d),
        }
    }
    let stale: Vec<&Listed> = listed
        .difference
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(l, _)| l)
        .collect();
    if let Some(path) = std::env::var_os("COMPAT_REPORT") {
        let all: String = run
            .diffs
            .iter()
            .map(|d| format!("{}\t{}\t{}\t{}\n", d.step, d.path, d.hydra, d.latchkey))
            .collect();
        std::fs::write(path, all).expect("write COMPAT_REPORT");
    }
    let mut report = String::new();
    for d in &unlisted {
        report.push_str(&format!(
            "  {} {}\n      hydra:    {}\n      latchkey: {}\n",
            d.step, d.path, d.hydra, d.latchkey
        ));
    }
    for l in &stale {
        report.push_str(&format!(
            "  listed but not seen: {} {} ({})\n",
            l.step, l.path, l.reason
        ));
    }
    crate::note!(
        "compat: {} steps, {} differences, {} listed, {} unlisted, {} stale",
        run.steps.len(),
        run.diffs.len(),
        run.diffs.len() - unlisted.len(),
        unlisted.len(),
        stale.len()
    );
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "differences from Hydra v2.3.0 not in tests/it/compat/differences.toml:\n{report}"
    );
}
