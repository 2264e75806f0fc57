//! `x-files`: the file parts of a multipart body and what the API required
//! of them. The spec writes the rules as `x-file` on each `format: binary`
//! property; `cargo xtask codegen` moves those properties out of the JSON
//! Schema (a file is not JSON) into `x-files`:
//!
//! ```yaml
//! x-files:
//!   image: {required: true, type: png, square: true, maxBytes: 4194303}
//!   mask: {type: png, maxBytes: 4194303, sameDimensionsAs: image}
//!   file: {required: true, extensions: [mp3, wav]}
//!   file: {required: true, type: jsonl, when: {purpose: fine-tune}, lines: {...}}
//! ```

use serde_json::Value;

use crate::violation::{FileProblem, Problem, Step, Violation};

/// A file part of a multipart body.
#[derive(Clone, Copy, Debug)]
pub struct File<'a> {
    /// The part's name, e.g. `image`.
    pub name: &'a str,
    /// The file name the part gives, if any.
    pub file_name: Option<&'a str>,
    /// Its content.
    pub bytes: &'a [u8],
}

pub(crate) struct FileRule {
    pub(crate) name: String,
    required: bool,
    /// The rule applies only while this text field has this value.
    when: Option<(String, Value)>,
    kind: Option<Kind>,
    square: bool,
    max_bytes: Option<u64>,
    same_dimensions_as: Option<String>,
    extensions: Vec<String>,
    /// For JSON Lines: the schema of each line.
    lines: Option<jsonschema::Validator>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Png,
    JsonLines,
}

pub(crate) fn parse(schema: &Value) -> Result<Vec<FileRule>, String> {
    let Some(files) = schema.get("x-files") else {
        return Ok(Vec::new());
    };
    let files = files.as_object().ok_or("`x-files` is not an object")?;
    files
        .iter()
        .map(|(name, rule)| {
            let text = |key: &str| rule.get(key).and_then(Value::as_str).map(str::to_owned);
            let when = match rule.get("when").map(Value::as_object) {
                None => None,
                Some(Some(when)) if when.len() == 1 => {
                    when.iter().next().map(|(k, v)| (k.clone(), v.clone()))
                }
                Some(_) => return Err(format!("`when` of file `{name}` names one field")),
            };
            let kind = match text("type").as_deref() {
                None => None,
                Some("png") => Some(Kind::Png),
                Some("jsonl") => Some(Kind::JsonLines),
                Some(other) => return Err(format!("file `{name}`: unknown type `{other}`")),
            };
            let lines = match rule.get("lines") {
                Some(lines) => Some(crate::compile(lines)?),
                None => None,
            };
            Ok(FileRule {
                name: name.clone(),
                required: rule.get("required") == Some(&Value::Bool(true)),
                when,
                kind,
                square: rule.get("square") == Some(&Value::Bool(true)),
                max_bytes: rule.get("maxBytes").and_then(Value::as_u64),
                same_dimensions_as: text("sameDimensionsAs"),
                extensions: (rule.get("extensions").and_then(Value::as_array))
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                lines,
            })
        })
        .collect()
}

pub(crate) fn check(
    rules: &[FileRule],
    fields: &Value,
    files: &[File<'_>],
) -> Result<(), Violation> {
    let part = |name: &str| files.iter().find(|file| file.name == name);
    for rule in rules {
        let fail = |problem| {
            Violation::at(
                vec![Step::Field(rule.name.clone())],
                fields.clone(),
                problem,
            )
        };
        let Some(file) = part(&rule.name) else {
            if rule.required {
                return Err(fail(Problem::Required));
            }
            continue;
        };
        if let Some((when, is)) = &rule.when
            && fields.get(when) != Some(is)
        {
            continue;
        }
        let fail = |problem| Err(fail(Problem::File(problem)));
        if rule
            .max_bytes
            .is_some_and(|max| file.bytes.len() as u64 > max)
        {
            return fail(FileProblem::TooLarge {
                limit: rule.max_bytes.unwrap_or_default(),
            });
        }
        if let Some(extension) = file
            .file_name
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, extension)| extension.to_ascii_lowercase())
            && !rule.extensions.is_empty()
            && !rule.extensions.contains(&extension)
        {
            return fail(FileProblem::Extension {
                allowed: rule.extensions.clone(),
            });
        }
        match rule.kind {
            Some(Kind::Png) => {
                let Some((width, height)) = png_dimensions(file.bytes) else {
                    return fail(FileProblem::NotPng);
                };
                if rule.square && width != height {
                    return fail(FileProblem::NotSquare { width, height });
                }
                let other = rule.same_dimensions_as.as_deref();
                if let Some(other_file) = other.and_then(part)
                    && png_dimensions(other_file.bytes)
                        .is_some_and(|other| other != (width, height))
                {
                    return fail(FileProblem::DimensionsDiffer {
                        other: other.unwrap_or_default().to_owned(),
                    });
                }
            }
            Some(Kind::JsonLines) => {
                if let Err(problem) = check_lines(file.bytes, rule.lines.as_ref()) {
                    return fail(problem);
                }
            }
            None => {}
        }
    }
    Ok(())
}

/// The width and height in a PNG's header chunk; `None` if the bytes do not
/// start like a PNG.
fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let header = bytes.strip_prefix(SIGNATURE)?.get(..16)?;
    if &header[4..8] != b"IHDR" {
        return None;
    }
    let number = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    Some((number(8), number(12)))
}

/// JSON Lines, each line valid under `schema`; blank lines are skipped.
fn check_lines(bytes: &[u8], schema: Option<&jsonschema::Validator>) -> Result<(), FileProblem> {
    let text = std::str::from_utf8(bytes).map_err(|_| FileProblem::NotJsonLines)?;
    let mut lines = 0;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: Value = serde_json::from_str(line).map_err(|_| FileProblem::NotJsonLines)?;
        if let Some(error) = schema.and_then(|schema| schema.validate(&record).err()) {
            return Err(FileProblem::Line {
                number: number + 1,
                violation: Box::new(crate::violation::from_error(&error, &record)),
            });
        }
        lines += 1;
    }
    if lines == 0 {
        return Err(FileProblem::NoLines);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_dimensions_come_from_the_header_chunk() {
        // A 2x2 RGB PNG's first 24 bytes.
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x02\x00\x00\x00\x02";
        assert_eq!(png_dimensions(png), Some((2, 2)));
        assert_eq!(png_dimensions(b"GIF89a"), None);
        assert_eq!(png_dimensions(&png[..20]), None);
    }

    #[test]
    fn json_lines_need_a_line_and_each_line_valid() {
        let schema = crate::compile(&serde_json::json!({"required": ["prompt"]})).unwrap();
        assert!(check_lines(b"{\"prompt\": \"a\"}\n\n", Some(&schema)).is_ok());
        let error = check_lines(b"{\"prompt\": \"a\"}\n{\"x\": 1}\n", Some(&schema)).unwrap_err();
        assert!(
            matches!(error, FileProblem::Line { number: 2, .. }),
            "{error}"
        );
        assert_eq!(check_lines(b"", Some(&schema)), Err(FileProblem::NoLines));
        assert_eq!(
            check_lines(b"not json", None),
            Err(FileProblem::NotJsonLines)
        );
    }
}
