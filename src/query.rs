//! Query strings of URLs that go back to browsers and clients: appending a parameter, or
//! replacing one, with form encoding.

/// Sets a query parameter of a URL: any it had by that name is dropped (an authorization request
/// may not repeat a parameter, RFC 6749 §3.1), and the new one appended.
pub fn replace_param(url: &str, name: &str, value: &str) -> String {
    match url.split_once('?') {
        None => with_param(url, name, value),
        Some((base, query)) => {
            let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .filter(|(k, _)| k != name)
                .collect();
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.extend_pairs(&kept).append_pair(name, value);
            format!("{base}?{}", s.finish())
        }
    }
}

/// Appends a query parameter to a URL that may already have a query.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair(name, value);
    format!("{url}{sep}{}", s.finish())
}
