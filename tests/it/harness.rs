//! The integration tests' own harness (`harness = false`, on libtest-mimic): every test is
//! registered with [`test!`] or [`per_database!`], with what it needs from outside ([`Need`]).
//! A test whose need is absent is reported as *ignored* in the runner's summary, and a line at the
//! start says why; with `LATCHKEY_REQUIRE_ALL` set (CI sets it) it fails instead, so nothing
//! passes by skipping there. `--include-ignored` runs them anyway (they then fail on the absent
//! tool). Each async test runs on its own multi-threaded tokio runtime with two workers.

use std::{
    future::Future,
    path::PathBuf,
    pin::Pin,
    sync::{LazyLock, Mutex},
};

pub use inventory;

/// Something a test needs that a fresh machine may not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// `TEST_POSTGRES_URL`: a PostgreSQL server where the test user may create databases.
    Postgres,
    /// `TEST_MYSQL_URL`: the same on MySQL or MariaDB.
    Mysql,
    /// `openssl` on the PATH (test keys and certificates).
    Openssl,
    /// `chromedriver` and Chromium (the real-browser tests).
    Browser,
    /// An Ory Hydra v2.3.0 binary (`HYDRA_BIN`, or what `bench/peers/hydra.sh` built).
    Hydra,
    /// Hydra's SDKs as `tests/sdk/install.sh` installs them (`LATCHKEY_SDKS`).
    Sdks,
}

impl Need {
    /// Why the need is not met here, or `None` when it is.
    pub fn absent(self) -> Option<String> {
        let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
        match self {
            Self::Postgres => {
                (!set("TEST_POSTGRES_URL")).then(|| "TEST_POSTGRES_URL is not set".into())
            }
            Self::Mysql => (!set("TEST_MYSQL_URL")).then(|| "TEST_MYSQL_URL is not set".into()),
            Self::Openssl => {
                static OK: LazyLock<bool> = LazyLock::new(|| {
                    std::process::Command::new("openssl")
                        .arg("version")
                        .output()
                        .is_ok_and(|o| o.status.success())
                });
                (!*OK).then(|| "openssl is not installed".into())
            }
            Self::Browser => crate::browser::which("chromedriver")
                .is_err()
                .then(|| "chromedriver is not installed".into()),
            Self::Hydra => crate::compat::hydra_binary().is_none().then(|| {
                "no Hydra binary (bench/peers/hydra.sh builds one, or set HYDRA_BIN)".into()
            }),
            Self::Sdks => (!sdks_dir().exists()).then(|| {
                format!(
                    "{} is missing (tests/sdk/install.sh installs Hydra's SDKs)",
                    sdks_dir().display()
                )
            }),
        }
    }
}

/// Where `tests/sdk/install.sh` installs Hydra's SDKs.
pub fn sdks_dir() -> PathBuf {
    std::env::var_os("LATCHKEY_SDKS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/latchkey-sdks")))
        .unwrap_or_else(|| PathBuf::from("/nonexistent/latchkey-sdks"))
}

/// Whether an absent need fails the test instead of ignoring it: `LATCHKEY_REQUIRE_ALL`, or the
/// older per-tool variables CI also sets.
fn required(need: Need) -> bool {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    set("LATCHKEY_REQUIRE_ALL")
        || match need {
            Need::Browser => set("LATCHKEY_REQUIRE_BROWSER"),
            Need::Hydra => set("LATCHKEY_REQUIRE_HYDRA"),
            Need::Sdks => set("LATCHKEY_REQUIRE_SDKS"),
            _ => false,
        }
}

pub type Body = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// One registered test.
pub struct Test {
    /// `module_path!()` where it was registered.
    pub module: &'static str,
    pub name: &'static str,
    pub needs: &'static [Need],
    pub body: TestBody,
}

pub enum TestBody {
    Async(Body),
    Sync(fn()),
}

inventory::collect!(Test);

/// Whether `--nocapture` was given: then [`note!`] prints (libtest-mimic does not capture a
/// test's output, so progress and measurements print only when asked for).
pub static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A line of progress or a measurement, printed with `--nocapture` only.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::harness::VERBOSE.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!($($arg)*);
        }
    };
}

/// While alive, names what a test is doing; if the test panics meanwhile, the name is printed
/// with the failure.
pub struct Doing(pub String);

impl Drop for Doing {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("(while: {})", self.0);
        }
    }
}

/// Registers `async fn name()` (or, with `sync`, `fn name()`) as a test, with what it needs.
#[macro_export]
macro_rules! test {
    (sync $name:ident $(, needs: [$($need:ident),*])?) => {
        $crate::harness::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: stringify!($name),
                needs: &[$($($crate::harness::Need::$need),*)?],
                body: $crate::harness::TestBody::Sync($name),
            }
        }
    };
    ($name:ident $(, needs: [$($need:ident),*])?) => {
        $crate::harness::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: stringify!($name),
                needs: &[$($($crate::harness::Need::$need),*)?],
                body: $crate::harness::TestBody::Async(|| Box::pin($name())),
            }
        }
    };
}

/// The one per-database mechanism: for each `async fn name(backend: Backend)`, the tests
/// `name::sqlite`, `name::postgres` (needs [`Need::Postgres`]) and `name::mysql` (needs
/// [`Need::Mysql`]), each with the `needs` given too. `server:` registers `async fn
/// name(TestServer)`s instead, each on a fresh server; `server(tweak):` with the configuration
/// adjusted by `tweak`.
#[macro_export]
macro_rules! per_database {
    (@all $name:ident, [$($need:ident),*], $run:expr) => {
        $crate::harness::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: concat!(stringify!($name), "::sqlite"),
                needs: &[$($crate::harness::Need::$need),*],
                body: $crate::harness::TestBody::Async(|| {
                    Box::pin(($run)($crate::support::Backend::Sqlite))
                }),
            }
        }
        $crate::harness::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: concat!(stringify!($name), "::postgres"),
                needs: &[$crate::harness::Need::Postgres, $($crate::harness::Need::$need),*],
                body: $crate::harness::TestBody::Async(|| {
                    Box::pin(($run)($crate::support::Backend::Postgres))
                }),
            }
        }
        $crate::harness::inventory::submit! {
            $crate::harness::Test {
                module: module_path!(),
                name: concat!(stringify!($name), "::mysql"),
                needs: &[$crate::harness::Need::Mysql, $($crate::harness::Need::$need),*],
                body: $crate::harness::TestBody::Async(|| {
                    Box::pin(($run)($crate::support::Backend::Mysql))
                }),
            }
        }
    };
    (server($tweak:path), needs: $needs:tt: $($name:ident),* $(,)?) => {$(
        $crate::per_database!(@all $name, $needs, |b| $crate::support::run_with(b, $tweak, $name));
    )*};
    (server($tweak:path): $($name:ident),* $(,)?) => {
        $crate::per_database!(server($tweak), needs: []: $($name),*);
    };
    (server, needs: $needs:tt: $($name:ident),* $(,)?) => {$(
        $crate::per_database!(@all $name, $needs, |b| $crate::support::run(b, $name));
    )*};
    (server: $($name:ident),* $(,)?) => {
        $crate::per_database!(server, needs: []: $($name),*);
    };
    (needs: $needs:tt: $($name:ident),* $(,)?) => {$(
        $crate::per_database!(@all $name, $needs, $name);
    )*};
    ($($name:ident),* $(,)?) => {
        $crate::per_database!(needs: []: $($name),*);
    };
}

/// Runs every registered test (the `it` binary's `main`).
pub fn main() {
    // libtest takes several name filters (`cargo test -- a b`), libtest-mimic one: the filters are
    // taken out here and applied below, the rest goes to libtest-mimic.
    const WITH_VALUE: &[&str] = &[
        "--test-threads",
        "--skip",
        "--format",
        "--color",
        "--logfile",
    ];
    let (mut filters, mut rest) = (Vec::new(), Vec::new());
    let mut raw = std::env::args();
    rest.extend(raw.next());
    while let Some(a) = raw.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            rest.push(a);
            rest.extend(raw.next());
        } else if a.starts_with('-') {
            rest.push(a);
        } else {
            filters.push(a);
        }
    }
    let args = libtest_mimic::Arguments::from_iter(rest);
    VERBOSE.store(args.nocapture, std::sync::atomic::Ordering::Relaxed);
    let mut tests: Vec<&Test> = inventory::iter::<Test>.into_iter().collect();
    tests.sort_by_key(|t| (t.module, t.name));
    let skipped: Mutex<std::collections::BTreeMap<String, usize>> = Default::default();
    let trials = tests
        .into_iter()
        .filter_map(|t| {
            let module = t.module.strip_prefix("it::").unwrap_or(t.module);
            let module = if module == "it" { "" } else { module };
            let name = if module.is_empty() {
                t.name.to_owned()
            } else {
                format!("{module}::{}", t.name)
            };
            let absent: Vec<(Need, String)> = t
                .needs
                .iter()
                .filter_map(|n| n.absent().map(|why| (*n, why)))
                .collect();
            let must = absent.iter().any(|(n, _)| required(*n));
            let ignored = !absent.is_empty() && !must;
            let selected = (filters.is_empty()
                || filters.iter().any(|f| {
                    if args.exact {
                        &name == f
                    } else {
                        name.contains(f.as_str())
                    }
                }))
                && !args.skip.iter().any(|k| {
                    if args.exact {
                        &name == k
                    } else {
                        name.contains(k.as_str())
                    }
                });
            if ignored && selected {
                for (_, why) in &absent {
                    *skipped.lock().unwrap().entry(why.clone()).or_default() += 1;
                }
            }
            if !selected {
                return None;
            }
            let body = match &t.body {
                TestBody::Async(f) => Ok(*f),
                TestBody::Sync(f) => Err(*f),
            };
            let trial = libtest_mimic::Trial::test(name, move || {
                if let Some((_, why)) = absent.first() {
                    return Err(format!("this test needs what is absent here: {why}").into());
                }
                let run = std::panic::catch_unwind(|| match body {
                    Ok(f) => tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("a tokio runtime")
                        .block_on(f()),
                    Err(f) => f(),
                });
                run.map_err(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "the test panicked".into());
                    msg.into()
                })
            })
            .with_ignored_flag(ignored);
            Some(trial)
        })
        .collect::<Vec<_>>();
    for (why, n) in skipped.into_inner().unwrap() {
        eprintln!("ignored: {n} tests, because {why}");
    }
    libtest_mimic::run(&args, trials).exit();
}
