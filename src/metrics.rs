//! Prometheus metrics, served at `GET /admin/metrics/prometheus` (Hydra's path) in the OpenMetrics
//! text format. One process-wide set of counters ([`metrics`]): every server a process runs adds
//! to the same series, as a Prometheus client library's default registry does.
//!
//! What is counted, and where:
//! - `latchkey_http_requests_total{listener, method, route, status}` and
//!   `latchkey_http_request_duration_seconds{listener, route}` — [`layer`], by route *pattern*
//!   (`/admin/clients/:id`), never the raw path, so the series stay bounded.
//! - `latchkey_tokens_issued_total{grant, kind}` — the issuer, for every token it mints.
//! - `latchkey_flows_total{kind, event}` — browser and device flows `started`, `completed`,
//!   `rejected` (by the login or consent app).
//! - `latchkey_sign_in_failures_total`, `latchkey_sign_in_throttled_total` — the built-in app.
//! - `latchkey_cache_events_total{cache, event}` — `hit`, `miss`, `invalidation` of the
//!   in-process caches (clients, flows, key sets, tokens, client secrets).
//! - `latchkey_db_write_batch_size` — how many writes each group commit carried;
//!   `latchkey_db_pool_connections{state}` — the pool's open and idle connections at scrape time.
//! - `latchkey_build_info{version}` — 1.
//!
//! The hot paths pay an atomic add per counter and, per request, one read-locked family lookup;
//! `bench/caches.sh` measures before and after.

use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{
        Arc, LazyLock, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use poem::{Endpoint, IntoResponse, PathPattern, Request, Response, Result};
use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::{
        MetricType, TypedMetric, counter::Counter, family::Family, gauge::Gauge,
        histogram::Histogram,
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub listener: &'static str,
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub listener: &'static str,
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub grant: &'static str,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FlowLabels {
    /// `browser` (the authorization endpoint) or `device` (RFC 8628).
    pub kind: &'static str,
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Upper bounds of the request latency buckets, in µs: 100 µs to ~3.3 s, doubling (token and
/// introspection answers sit at the low end, argon2 mid-range).
const LATENCY_BOUNDS_US: [u64; 16] = {
    let mut b = [0; 16];
    let mut i = 0;
    while i < 16 {
        b[i] = 100 << i;
        i += 1;
    }
    b
};

/// A latency histogram of plain atomics (the client library's own takes a lock per observation,
/// which both cores then contend for on every request): one add to a bucket, one to the sum.
#[derive(Clone, Debug, Default)]
pub struct Latency(Arc<LatencyCells>);

#[derive(Debug, Default)]
struct LatencyCells {
    /// Per bucket (not cumulative); the last is above every bound.
    buckets: [AtomicU64; 17],
    sum_us: AtomicU64,
}

impl Latency {
    fn observe(&self, elapsed: std::time::Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let i = LATENCY_BOUNDS_US.partition_point(|b| *b < us);
        self.0.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.0.sum_us.fetch_add(us, Ordering::Relaxed);
    }
}

impl TypedMetric for Latency {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        // Per bucket, as the encoder takes them (it writes them cumulative).
        let mut count = 0;
        let mut buckets = Vec::with_capacity(17);
        for (i, cell) in self.0.buckets.iter().enumerate() {
            let n = cell.load(Ordering::Relaxed);
            count += n;
            let bound = LATENCY_BOUNDS_US
                .get(i)
                .map_or(f64::INFINITY, |b| *b as f64 / 1e6);
            buckets.push((bound, n));
        }
        let sum = self.0.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// A cache's counters, resolved once: counting a hit is one atomic add.
#[derive(Clone, Debug)]
pub struct CacheCounters {
    pub hit: Counter,
    pub miss: Counter,
    pub invalidation: Counter,
}

/// The grants and kinds of `tokens_issued`, made at start (so they also show as 0).
const GRANTS: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "authorization_endpoint",
];
const KINDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "authorization_code",
];

/// Every series Latchkey keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Latency>,
    tokens: Family<TokenLabels, Counter>,
    token_series: Vec<(&'static str, &'static str, Counter)>,
    flows: Family<FlowLabels, Counter>,
    pub sign_in_failures: Counter,
    pub sign_in_throttled: Counter,
    cache: Family<CacheLabels, Counter>,
    write_batch: Histogram,
    pool: Family<StateLabels, Gauge>,
    /// Route patterns seen, interned so that a request's labels borrow instead of allocating.
    routes: RwLock<HashMap<Arc<str>, &'static str>>,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by listener, method, route pattern and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Latency>::default();
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by listener and route pattern",
            prometheus_client::registry::Unit::Seconds,
            durations.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "tokens_issued",
            "Tokens and codes issued, by grant and kind",
            tokens.clone(),
        );
        let flows = Family::<FlowLabels, Counter>::default();
        registry.register(
            "flows",
            "Login and consent flows started, completed and rejected",
            flows.clone(),
        );
        let sign_in_failures = Counter::default();
        registry.register(
            "sign_in_failures",
            "Wrong e-mail or password at the built-in sign-in page",
            sign_in_failures.clone(),
        );
        let sign_in_throttled = Counter::default();
        registry.register(
            "sign_in_throttled",
            "Sign-in attempts refused for too many recent failures",
            sign_in_throttled.clone(),
        );
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_events",
            "In-process cache hits, misses and invalidations, by cache",
            cache.clone(),
        );
        let write_batch = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]);
        registry.register(
            "db_write_batch_size",
            "Writes carried by each group commit",
            write_batch.clone(),
        );
        let pool = Family::<StateLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections (open, idle), at scrape time",
            pool.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running version", build);
        let token_series = GRANTS
            .iter()
            .flat_map(|g| KINDS.iter().map(move |k| (*g, *k)))
            .map(|(grant, kind)| {
                let c = tokens.get_or_create(&TokenLabels { grant, kind }).clone();
                (grant, kind, c)
            })
            .collect();
        Self {
            registry,
            requests,
            durations,
            tokens,
            token_series,
            flows,
            sign_in_failures,
            sign_in_throttled,
            cache,
            write_batch,
            pool,
            routes: RwLock::default(),
        }
    }

    pub fn token(&self, grant: &'static str, kind: &'static str) {
        match self
            .token_series
            .iter()
            .find(|(g, k, _)| *g == grant && *k == kind)
        {
            Some((.., c)) => {
                c.inc();
            }
            None => {
                self.tokens
                    .get_or_create(&TokenLabels { grant, kind })
                    .inc();
            }
        }
    }

    /// A cache's three counters, for it to keep (see [`CacheCounters`]).
    pub fn cache_counters(&self, cache: &'static str) -> CacheCounters {
        let c = |event| {
            self.cache
                .get_or_create(&CacheLabels { cache, event })
                .clone()
        };
        CacheCounters {
            hit: c("hit"),
            miss: c("miss"),
            invalidation: c("invalidation"),
        }
    }

    pub fn flow(&self, kind: &'static str, event: &'static str) {
        self.flows.get_or_create(&FlowLabels { kind, event }).inc();
    }

    pub fn write_batch(&self, size: usize) {
        self.write_batch.observe(size as f64);
    }

    /// A route pattern as a `'static` label (patterns are few: one per route).
    fn route(&self, pattern: Option<&PathPattern>) -> &'static str {
        let Some(p) = pattern else {
            return "unmatched";
        };
        if let Some(r) = self.routes.read().ok().and_then(|m| m.get(&p.0).copied()) {
            return r;
        }
        let Ok(mut m) = self.routes.write() else {
            return "unmatched";
        };
        // Bounded by the routes mounted; the guard is against surprises.
        if m.len() >= 512 {
            return "other";
        }
        m.entry(p.0.clone())
            .or_insert_with(|| Box::leak(p.0.to_string().into_boxed_str()))
    }

    /// The text a scrape gets, with the pool gauges read now.
    pub fn render(&self, pool: Option<(u32, u32)>) -> String {
        if let Some((open, idle)) = pool {
            self.pool
                .get_or_create(&StateLabels { state: "open" })
                .set(i64::from(open));
            self.pool
                .get_or_create(&StateLabels { state: "idle" })
                .set(i64::from(idle));
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static M: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &M
}

fn method_label(m: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// One request series' handles, as a thread keeps them.
struct Series {
    listener: &'static str,
    method: &'static str,
    status: u16,
    requests: Counter,
    latency: Latency,
}

thread_local! {
    /// Handles by route pattern, so that counting a request touches no lock and no shared map:
    /// two atomic adds on the series itself (bounded by routes × methods × statuses).
    static SERIES: RefCell<HashMap<Box<str>, Vec<Series>>> = RefCell::default();
}

impl Metrics {
    fn count(
        &self,
        listener: &'static str,
        method: &'static str,
        resp: &Response,
        elapsed: std::time::Duration,
    ) {
        let pattern = resp.data::<PathPattern>();
        let key = pattern.map_or("unmatched", |p| &*p.0);
        let status = resp.status().as_u16();
        SERIES.with_borrow_mut(|all| {
            if !all.contains_key(key) {
                all.insert(key.into(), Vec::new());
            }
            let Some(list) = all.get_mut(key) else { return };
            let at = match list
                .iter()
                .position(|s| s.listener == listener && s.method == method && s.status == status)
            {
                Some(at) => at,
                None => {
                    let route = self.route(pattern);
                    list.push(Series {
                        listener,
                        method,
                        status,
                        requests: self
                            .requests
                            .get_or_create(&RequestLabels {
                                listener,
                                method,
                                route,
                                status,
                            })
                            .clone(),
                        latency: self
                            .durations
                            .get_or_create(&RouteLabels { listener, route })
                            .clone(),
                    });
                    list.len() - 1
                }
            };
            list[at].requests.inc();
            list[at].latency.observe(elapsed);
        });
    }
}

/// The middleware counting every request of a listener (outermost, so it sees the final status).
pub async fn layer<E: Endpoint>(
    listener: &'static str,
    ep: Arc<E>,
    req: Request,
) -> Result<Response> {
    let start = crate::clock::stopwatch();
    let method = method_label(req.method());
    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    metrics().count(listener, method, &resp, start.elapsed());
    Ok(resp)
}
