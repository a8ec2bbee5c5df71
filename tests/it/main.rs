//! Integration tests: one binary, real servers on port 0, real HTTP.
#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]
// Tests read the clocks directly: they are the world the server's injected clock stands in for.
#![allow(clippy::disallowed_methods)]

#[macro_use]
mod harness;
mod support;

mod admin_keys;
mod assertion;
mod attacks;
mod authcode;
mod bad_input;
mod browser;
mod cli;
mod clients;
mod coherence;
mod compat;
mod config_errors;
mod conformance;
mod cors;
mod dcr;
mod dev;
mod device;
mod flows;
mod flows_prompt;
mod health;
mod hook;
mod jwt;
mod jwt_bearer;
mod keys;
mod lifespans;
mod logout;
mod metrics;
mod migrate;
mod nodes;
mod oidcc;
mod openapi;
mod pairwise;
mod sdks;
mod sector;
mod ssrf;
mod structure;
mod tls;
mod tokens;
mod tutorial;
mod ui;
mod users;

fn main() {
    harness::main();
}
