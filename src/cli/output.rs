//! Printing results: a readable block or table for people, stable JSON for scripts.

use serde::Serialize;

use super::Format;
use crate::wire::OAuth2Client;

/// Prints any serialisable value as JSON.
pub fn json<T: Serialize>(value: &T, format: Format) -> anyhow::Result<()> {
    let s = if format == Format::JsonPretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    println!("{s}");
    Ok(())
}

fn join(v: &Option<Vec<String>>) -> String {
    v.as_ref().map(|v| v.join(", ")).unwrap_or_default()
}

/// The rows shown for one client, in order.
fn client_rows(c: &OAuth2Client) -> Vec<(&'static str, String)> {
    let mut rows = vec![("CLIENT ID", c.client_id.clone().unwrap_or_default())];
    if let Some(secret) = &c.client_secret {
        rows.push(("CLIENT SECRET", secret.clone()));
    }
    rows.extend([
        ("CLIENT NAME", c.client_name.clone().unwrap_or_default()),
        ("GRANT TYPES", join(&c.grant_types)),
        ("RESPONSE TYPES", join(&c.response_types)),
        ("SCOPE", c.scope.clone().unwrap_or_default()),
        ("AUDIENCE", join(&c.audience)),
        ("REDIRECT URIS", join(&c.redirect_uris)),
        (
            "AUTH METHOD",
            c.token_endpoint_auth_method.clone().unwrap_or_default(),
        ),
        ("OWNER", c.owner.clone().unwrap_or_default()),
    ]);
    rows
}

/// Prints one client as a key/value block.
pub fn client(c: &OAuth2Client) {
    for (k, v) in client_rows(c) {
        println!("{k:<16}{v}");
    }
}

/// Prints clients as a table with a header.
pub fn client_table(clients: &[OAuth2Client]) {
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|c| {
            vec![
                c.client_id.clone().unwrap_or_default(),
                c.client_name.clone().unwrap_or_default(),
                join(&c.grant_types),
                c.scope.clone().unwrap_or_default(),
                join(&c.redirect_uris),
            ]
        })
        .collect();
    let header = [
        "CLIENT ID",
        "CLIENT NAME",
        "GRANT TYPES",
        "SCOPE",
        "REDIRECT URIS",
    ];
    table(&header, &rows);
}

/// Prints rows under a header, columns padded to their widest cell.
pub fn table<R: AsRef<[String]>>(header: &[&str], rows: &[R]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, cell) in r.as_ref().iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.as_ref().iter().map(String::as_str).collect());
    }
}
