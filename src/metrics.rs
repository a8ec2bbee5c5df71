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
    collections::HashMap,
    sync::{Arc, LazyLock, RwLock},
};

use poem::{Endpoint, IntoResponse, PathPattern, Request, Response, Result};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
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

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every series Latchkey keeps.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Histograms<RouteLabels>,
    tokens: Family<TokenLabels, Counter>,
    flows: Family<FlowLabels, Counter>,
    pub sign_in_failures: Counter,
    pub sign_in_throttled: Counter,
    cache: Family<CacheLabels, Counter>,
    write_batch: Histogram,
    pool: Family<StateLabels, Gauge>,
    /// Route patterns seen, interned so that a request's labels borrow instead of allocating.
    routes: RwLock<HashMap<Arc<str>, &'static str>>,
}

fn latency_buckets() -> Histogram {
    // 100 µs to ~3.3 s: token and introspection answers sit at the low end, argon2 mid-range.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0001, 2.0, 16,
    ))
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
        let durations: Histograms<RouteLabels> =
            Family::new_with_constructor(latency_buckets as fn() -> Histogram);
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
        Self {
            registry,
            requests,
            durations,
            tokens,
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
        self.tokens
            .get_or_create(&TokenLabels { grant, kind })
            .inc();
    }

    pub fn flow(&self, kind: &'static str, event: &'static str) {
        self.flows.get_or_create(&FlowLabels { kind, event }).inc();
    }

    pub fn cache(&self, cache: &'static str, event: &'static str) {
        self.cache
            .get_or_create(&CacheLabels { cache, event })
            .inc();
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
    let m = metrics();
    let route = m.route(resp.data::<PathPattern>());
    m.requests
        .get_or_create(&RequestLabels {
            listener,
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    m.durations
        .get_or_create(&RouteLabels { listener, route })
        .observe(start.elapsed().as_secs_f64());
    Ok(resp)
}
