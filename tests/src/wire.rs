//! What a client sent, as stable text for a reviewed snapshot: a change to
//! what goes over the wire shows up as a snapshot diff, and nothing else does.
//!
//! - the method, path and query (parameters sorted);
//! - every header but the transport ones (host, content-length, ...), sorted,
//!   with secrets redacted and this crate's version masked, so that a header
//!   nobody meant to send (progenitor's `api-version`, say) shows up;
//! - the body: JSON pretty-printed with sorted keys; multipart as its parts,
//!   each with name, file name and content type (text parts with their value,
//!   file parts with their size), the boundary masked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// Headers of the connection, not of the API: left out of snapshots.
const TRANSPORT_HEADERS: &[&str] = &[
    "accept-encoding",
    "connection",
    "content-length",
    "host",
    "transfer-encoding",
];

/// Headers whose value is a secret: shown as `[redacted]` (keeping a
/// `Bearer ` scheme, which is part of what the API documents).
const SECRET_HEADERS: &[&str] = &["api-key", "authorization"];

/// The wire text of a request.
pub fn describe(request: &wiremock::Request) -> String {
    let mut out = String::new();
    let mut query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let separator = if query.is_empty() { "" } else { "?" };
    writeln!(
        out,
        "{} {}{separator}{query}",
        request.method,
        request.url.path()
    )
    .unwrap();

    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in &request.headers {
        let name = name.as_str();
        if TRANSPORT_HEADERS.contains(&name) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.to_owned())
            .or_default()
            .push(header_value(name, &value));
    }
    writeln!(out, "headers:").unwrap();
    for (name, values) in &headers {
        for value in values {
            writeln!(out, "  {name}: {value}").unwrap();
        }
    }

    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    out.push_str(&body(content_type, &request.body));
    out
}

fn header_value(name: &str, value: &str) -> String {
    if SECRET_HEADERS.contains(&name) {
        return match value.strip_prefix("Bearer ") {
            Some(_) => "Bearer [redacted]".to_owned(),
            None => "[redacted]".to_owned(),
        };
    }
    if name == "content-type" && value.starts_with("multipart/form-data") {
        return "multipart/form-data; boundary=[boundary]".to_owned();
    }
    if name == "user-agent"
        && let Some((product, _version)) = value.split_once('/')
    {
        return format!("{product}/[version]");
    }
    value.to_owned()
}

fn body(content_type: &str, bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "body: none\n".to_owned();
    }
    // JSON, and a JSON merge patch (Azure's deployment update).
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if media == "application/json" || media.ends_with("+json") {
        return match serde_json::from_slice::<Value>(bytes) {
            Ok(json) => format!(
                "body (json):\n{}\n",
                serde_json::to_string_pretty(&sorted(json)).expect("JSON values serialize")
            ),
            Err(error) => format!(
                "body (invalid json: {error}): {}\n",
                String::from_utf8_lossy(bytes)
            ),
        };
    }
    if content_type.starts_with("multipart/form-data") {
        return match multipart(content_type, bytes) {
            Ok(parts) => {
                let mut out = String::from("body (multipart):\n");
                for part in parts {
                    out.push_str(&part);
                    out.push('\n');
                }
                out
            }
            Err(error) => format!("body (invalid multipart: {error})\n"),
        };
    }
    format!("body ({content_type}): {} bytes\n", bytes.len())
}

/// A JSON value with the keys of every object in order, whatever map the
/// features of serde_json in the build give `Value`.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            let mut out = serde_json::Map::new();
            for (k, v) in ordered {
                out.insert(k, v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The parts of a multipart/form-data body, one line each, in the order sent.
fn multipart(content_type: &str, body: &[u8]) -> Result<Vec<String>, String> {
    let boundary = content_type
        .split(';')
        .find_map(|param| param.trim().strip_prefix("boundary="))
        .ok_or("no boundary")?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    // A part ends where a line holding the next delimiter starts.
    let part_end = format!("\r\n{delimiter}");
    let mut parts = Vec::new();
    let mut rest = body
        .strip_prefix(delimiter.as_bytes())
        .ok_or("the body does not start with the boundary")?;
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a boundary")?;
        let end = find(rest, part_end.as_bytes()).ok_or("an unterminated part")?;
        let (part, after) = rest.split_at(end);
        rest = &after[part_end.len()..];
        let header_end = find(part, b"\r\n\r\n").ok_or("a part without a blank line")?;
        let headers = String::from_utf8_lossy(&part[..header_end]);
        let content = &part[header_end + 4..];
        parts.push(describe_part(&headers, content));
    }
}

fn describe_part(headers: &str, content: &[u8]) -> String {
    let mut name = String::new();
    let mut filename = None;
    let mut content_type = None;
    for line in headers.split("\r\n") {
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for param in value.split(';').map(str::trim) {
                    if let Some(v) = param.strip_prefix("name=") {
                        name = v.trim_matches('"').to_owned();
                    } else if let Some(v) = param.strip_prefix("filename=") {
                        filename = Some(v.trim_matches('"').to_owned());
                    }
                }
            }
            "content-type" => content_type = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    match filename {
        Some(filename) => format!(
            "  {name}: file {filename:?}, {}, {} bytes",
            content_type.as_deref().unwrap_or("no content type"),
            content.len()
        ),
        None => format!("  {name}: {:?}", String::from_utf8_lossy(content)),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> wiremock::Request {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        wiremock::Request {
            url: url.parse().unwrap(),
            method: method.parse().unwrap(),
            headers: map,
            body: body.to_vec(),
        }
    }

    #[test]
    fn json_requests_are_sorted_redacted_and_free_of_transport_headers() {
        let text = describe(&request(
            "POST",
            "http://127.0.0.1:1/openai/deployments/d/completions?z=1&api-version=2022-12-01",
            &[
                ("authorization", "Bearer sk-secret"),
                ("api-key", "azure-secret"),
                ("host", "127.0.0.1:1"),
                ("content-length", "20"),
                ("content-type", "application/json"),
                ("user-agent", "openai-rest-client/0.1.0"),
            ],
            br#"{"prompt":"x","model":"m","n":{"b":1,"a":2}}"#,
        ));
        assert_eq!(
            text,
            "POST /openai/deployments/d/completions?api-version=2022-12-01&z=1\n\
             headers:\n  \
               api-key: [redacted]\n  \
               authorization: Bearer [redacted]\n  \
               content-type: application/json\n  \
               user-agent: openai-rest-client/[version]\n\
             body (json):\n{\n  \"model\": \"m\",\n  \"n\": {\n    \"a\": 2,\n    \"b\": 1\n  },\n  \"prompt\": \"x\"\n}\n"
        );
        assert!(!text.contains("secret"));
    }

    #[test]
    fn multipart_bodies_list_their_parts_with_the_boundary_masked() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{\"a\":1}\n\r\n--XyZ--\r\n";
        let text = describe(&request(
            "POST",
            "http://h/v1/files",
            &[("content-type", "multipart/form-data; boundary=XyZ")],
            body,
        ));
        assert!(
            text.contains("content-type: multipart/form-data; boundary=[boundary]"),
            "{text}"
        );
        assert!(text.ends_with(
            "body (multipart):\n  purpose: \"fine-tune\"\n  file: file \"data.jsonl\", application/jsonl, 8 bytes\n"
        ), "{text}");
        assert!(!text.contains("XyZ"));
    }

    #[test]
    fn a_broken_multipart_body_is_described_not_panicked_on() {
        let text = describe(&request(
            "POST",
            "http://h/v1/files",
            &[("content-type", "multipart/form-data; boundary=XyZ")],
            b"--XyZ\r\nno blank line",
        ));
        assert!(text.contains("invalid multipart"), "{text}");
    }
}
