//! The shape the code keeps (architecture.md), checked on the sources: the core imports nothing
//! above it, the storage and crypto layers nothing of the protocol, tokens are made in one
//! module, and the HTTP layer calls the core's methods instead of reaching into its parts.

use std::{
    fs,
    path::{Path, PathBuf},
};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file of a module (a folder or a file), with its text minus comments.
fn module_files(module: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut dirs = vec![src().join(module)];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.into_iter()
        .map(|p| {
            let code = strip_comments(&fs::read_to_string(&p).unwrap());
            (p, code)
        })
        .collect()
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate modules a file refers to: `crate::x` paths, and the names inside `use crate::{…}`.
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // A grouped import: the first name of each top-level item.
            let (mut depth, mut name, mut item_start) = (1, String::new(), true);
            for c in group.chars() {
                if depth == 1 && (c.is_alphanumeric() || c == '_') {
                    if item_start {
                        name.push(c);
                    }
                    continue;
                }
                if !name.is_empty() {
                    refs.push(std::mem::take(&mut name));
                    item_start = false;
                }
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            refs.push(name);
        }
    }
    refs
}

fn assert_no_refs(modules: &[&str], forbidden: &[&str], why: &str) {
    let mut found = Vec::new();
    for m in modules {
        for (path, code) in module_files(m) {
            for r in crate_refs(&code) {
                if forbidden.contains(&r.as_str()) {
                    found.push(format!("{} → crate::{r}", rel(&path)));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

fn rel(p: &Path) -> String {
    p.strip_prefix(src()).unwrap().display().to_string()
}

#[test]
fn the_core_imports_nothing_above_it() {
    assert_no_refs(
        &[
            "oauth",
            "oidc",
            "flows",
            "crypto",
            "storage",
            "clients",
            "keys",
            "users",
            "coherence",
            "wire",
            "clock",
            "config",
            "tasks",
            "error",
            "limits",
            "trust",
        ],
        &["http", "app", "cli"],
        "the core may not use the HTTP layer, the app or the CLI",
    );
    assert_no_refs(
        &[
            "storage",
            "crypto",
            "wire",
            "coherence",
            "clock",
            "tasks",
            "limits",
        ],
        &["oauth", "oidc", "flows", "clients", "keys", "users"],
        "storage, crypto, wire, coherence, clock and tasks sit below the protocol",
    );
}

#[test]
fn the_reference_scan_sees_grouped_imports() {
    let refs = crate_refs("use crate::{\n    http::State,\n    oauth::{a, b::{c}},\n};");
    assert!(refs.contains(&"http".to_owned()) && refs.contains(&"oauth".to_owned()));
    assert!(!refs.contains(&"a".to_owned()) && !refs.contains(&"c".to_owned()));
}

/// Minting (codes, access, refresh and device codes through the HMAC signer, JWT access tokens
/// and ID tokens through the signing keys) happens in `oauth::mint` only.
#[test]
fn tokens_are_minted_in_one_module() {
    let mint_dir = src().join("oauth").join("mint");
    let patterns = [
        "signer.mint(",
        ".mint(TokenKind::",
        "mint_access_token(",
        "sign_id_token(",
        ".sign(&header",
    ];
    let mut found = Vec::new();
    for m in [
        "oauth", "oidc", "flows", "storage", "keys", "clients", "http", "cli",
    ] {
        for (path, code) in module_files(m) {
            if path.starts_with(&mint_dir) {
                continue;
            }
            let code = code.split("#[cfg(test)]").next().unwrap_or_default();
            for p in patterns {
                if code.contains(p) {
                    found.push(format!("{}: {p}", rel(&path)));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "tokens are minted in src/oauth/mint only:\n{}",
        found.join("\n")
    );
}

/// Handlers call the core's methods; they do not reach into its stores, signers or caches.
#[test]
fn the_http_layer_calls_the_core_and_does_not_reach_into_it() {
    let core = fs::read_to_string(src().join("oauth").join("mod.rs")).unwrap();
    let body = core
        .split("pub struct OAuthCore {")
        .nth(1)
        .unwrap()
        .split("\n}")
        .next()
        .unwrap();
    let fields: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub(crate) "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(
        fields.contains(&"tokens") && fields.contains(&"issuer"),
        "{fields:?}"
    );
    let mut found = Vec::new();
    for (path, code) in module_files("http") {
        let flat: String = code.split_whitespace().collect();
        for f in &fields {
            let reach = format!(".oauth.{f}.");
            let reach_end = format!(".oauth.{f})");
            if flat.contains(&reach) || flat.contains(&reach_end) {
                found.push(format!("{}: .oauth.{f}", rel(&path)));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
