//! The shape the code keeps (architecture.md), checked on the sources: every module sits in a
//! layer and imports only from its own layer or those below, with no circle between modules;
//! tokens are made in one module; only wiring code touches the bundle the services are built
//! from.

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

fn rel(p: &Path) -> String {
    p.strip_prefix(src()).unwrap().display().to_string()
}

/// The layers, bottom first. A module may import from its own layer and those below, never from
/// one above; within a layer, the imports between modules may not close a circle. Every module
/// of the crate must be listed (a new one is placed deliberately).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation: time, the error types, wire shapes, counters",
        &[
            "clock", "error", "wire", "query", "metrics", "limits", "tasks",
        ],
    ),
    ("configuration", &["config"]),
    ("cryptography, outbound requests", &["crypto", "outbound"]),
    ("cache events between nodes", &["coherence"]),
    ("storage", &["storage"]),
    (
        "registries and OpenID Connect's library parts",
        &["clients", "keys", "users", "trust", "oidc"],
    ),
    ("the OAuth 2.0 core", &["oauth"]),
    ("the login and consent flows", &["flows"]),
    ("the OpenID provider's endpoints", &["provider"]),
    ("HTTP", &["http"]),
    ("the app", &["app"]),
    ("the command line", &["cli"]),
];

/// The crate's top-level modules (files and folders under `src/`, without the crate roots).
fn top_modules() -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(src())
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p.file_stem()?.to_str()?.to_owned();
            (p.is_dir() || p.extension().is_some_and(|x| x == "rs")).then_some(name)
        })
        .filter(|n| n != "lib" && n != "main")
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every import between top-level modules, as (from, to, file), production code only: a test
/// module may build its fixtures from anything.
fn module_imports() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for m in top_modules() {
        for (path, code) in module_files(&m) {
            let code = code.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
            for r in crate_refs(code) {
                if r != m && !r.is_empty() {
                    out.push((m.clone(), r, rel(&path)));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The imports that run up the layers, and the circles among modules (each as its path), for a
/// graph of `imports` over `layers`.
fn layer_violations(
    layers: &[(&str, &[&str])],
    imports: &[(String, String, String)],
) -> (Vec<String>, Vec<String>) {
    let layer_of = |m: &str| layers.iter().position(|(_, ms)| ms.contains(&m));
    let mut up = Vec::new();
    for (from, to, file) in imports {
        if let (Some(a), Some(b)) = (layer_of(from), layer_of(to))
            && b > a
        {
            up.push(format!(
                "{file}: {from} ({}) → crate::{to} ({})",
                layers[a].0, layers[b].0
            ));
        }
    }
    // Circles: a depth-first search over the module graph, reporting each back edge's cycle.
    let mut edges: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for (from, to, _) in imports {
        edges.entry(from).or_default().insert(to);
    }
    fn visit<'a>(
        m: &'a str,
        edges: &std::collections::BTreeMap<&'a str, std::collections::BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
        circles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| *s == m) {
            let mut c: Vec<&str> = stack[i..].to_vec();
            c.push(m);
            circles.push(c.join(" → "));
            return;
        }
        if !done.insert(m) {
            return;
        }
        stack.push(m);
        for next in edges.get(m).into_iter().flatten() {
            visit(next, edges, stack, done, circles);
        }
        stack.pop();
    }
    let mut circles = Vec::new();
    let mut done = Default::default();
    for m in edges.keys() {
        visit(m, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    (up, circles)
}

crate::test!(sync every_module_has_a_layer);
fn every_module_has_a_layer() {
    let listed: Vec<&str> = LAYERS
        .iter()
        .flat_map(|(_, ms)| ms.iter().copied())
        .collect();
    let missing: Vec<String> = top_modules()
        .into_iter()
        .filter(|m| !listed.contains(&m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer in tests/it/structure.rs: {missing:?}"
    );
}

crate::test!(sync imports_never_run_up_the_layers_nor_close_a_circle);
fn imports_never_run_up_the_layers_nor_close_a_circle() {
    let imports = module_imports();
    assert!(
        imports.iter().any(|(f, t, _)| f == "http" && t == "oauth"),
        "the scan sees imports"
    );
    let (up, circles) = layer_violations(LAYERS, &imports);
    assert!(
        up.is_empty() && circles.is_empty(),
        "{} imports run up the layers:\n{}\n{} circles:\n{}",
        up.len(),
        up.join("\n"),
        circles.len(),
        circles.join("\n")
    );
}

crate::test!(sync the_layer_check_sees_an_import_up_and_a_circle);
/// The check itself catches both faults.
fn the_layer_check_sees_an_import_up_and_a_circle() {
    let layers: &[(&str, &[&str])] = &[("low", &["a", "b"]), ("high", &["c"])];
    let edge = |f: &str, t: &str| (f.to_owned(), t.to_owned(), format!("{f}.rs"));
    let (up, circles) = layer_violations(layers, &[edge("c", "a"), edge("a", "b")]);
    assert!(up.is_empty() && circles.is_empty());
    let (up, circles) = layer_violations(layers, &[edge("a", "c"), edge("a", "b"), edge("b", "a")]);
    assert_eq!(up, ["a.rs: a (low) → crate::c (high)"]);
    assert_eq!(circles, ["a → b → a"]);
}

crate::test!(sync the_reference_scan_sees_grouped_imports);
fn the_reference_scan_sees_grouped_imports() {
    let refs = crate_refs("use crate::{\n    http::State,\n    oauth::{a, b::{c}},\n};");
    assert!(refs.contains(&"http".to_owned()) && refs.contains(&"oauth".to_owned()));
    assert!(!refs.contains(&"a".to_owned()) && !refs.contains(&"c".to_owned()));
}

crate::test!(sync tokens_are_minted_in_one_module);
/// Minting (codes, access, refresh and device codes through the HMAC signer, JWT access tokens
/// and ID tokens through the signing keys) happens in `oauth::mint` only.
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

crate::test!(sync only_wiring_touches_the_services_bundle);
/// The protocol's services are built from one bundle (`oauth::Services`) that only wiring code
/// and the services' constructors touch: handlers and the CLI receive the services themselves.
fn only_wiring_touches_the_services_bundle() {
    let mut found = Vec::new();
    for m in [
        "http", "cli", "storage", "clients", "keys", "users", "trust", "oidc",
    ] {
        for (path, code) in module_files(m) {
            if code.contains("Services") {
                found.push(rel(&path));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// A file under `folder` for each entry a registry lists: every file but `mod.rs` must appear in
/// `registry` as `pattern` with its name.
fn registered(folder: &str, registry: &str, pattern: impl Fn(&str) -> String) -> Vec<String> {
    let text = fs::read_to_string(src().join(registry)).unwrap();
    let mut missing = Vec::new();
    for e in fs::read_dir(src().join(folder)).unwrap().flatten() {
        let name = e.path().file_stem().unwrap().to_str().unwrap().to_owned();
        if name != "mod" && !text.contains(&pattern(&name)) {
            missing.push(format!("{folder}/{name}.rs"));
        }
    }
    missing
}

crate::test!(sync every_grant_and_authorization_step_is_registered);
/// A grant is its file plus one line in `TokenEndpoint::new`; an authorization step its file
/// plus one entry in `STEPS`. A file that is not registered does nothing, so it is a mistake.
fn every_grant_and_authorization_step_is_registered() {
    let mut missing = registered("oauth/grants", "oauth/grants/mod.rs", |n| {
        format!("Box::new({n}::")
    });
    missing.extend(registered(
        "oauth/authorize/steps",
        "oauth/authorize/mod.rs",
        |n| format!("steps::{n}::check"),
    ));
    assert!(missing.is_empty(), "not registered: {missing:?}");
}

/// The integration tests run on their own harness (`tests/it/harness.rs`): a `#[test]` there would
/// compile to nothing and never run, so every test is registered with `test!` or `per_database!`.
fn libtest_attributes() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut found = Vec::new();
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = fs::read_to_string(&p).unwrap();
                for (i, l) in text.lines().enumerate() {
                    let t = l.trim_start();
                    if t.starts_with("#[test]") || t.starts_with("#[tokio::test") {
                        found.push(format!(
                            "{}:{}",
                            p.strip_prefix(&dir).unwrap().display(),
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    found
}

crate::test!(sync every_integration_test_is_registered_with_the_harness);
fn every_integration_test_is_registered_with_the_harness() {
    let found = libtest_attributes();
    assert!(
        found.is_empty(),
        "use crate::test! or crate::per_database! instead of #[test] (it would never run): {found:?}"
    );
}
