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

/// A file part read piece by piece, as an upload arrives: its size, its
/// first bytes (a PNG's header) and, for JSON Lines, each line checked as
/// soon as it ends, so that no file is ever held whole. Made by
/// [`Schema::file_check`](crate::Schema::file_check).
pub struct FileCheck<'s> {
    name: String,
    file_name: Option<String>,
    bytes: u64,
    /// The first bytes, up to a PNG's header chunk.
    head: Vec<u8>,
    lines: Option<JsonLines<'s>>,
}

/// A PNG's signature and header chunk: all it takes to read its size.
const PNG_HEAD: usize = 24;

/// The longest line of a JSON Lines file read: a training example of early
/// 2023 is a few kilobytes (2,048 tokens), and a line is held whole while it
/// is checked.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

impl<'s> FileCheck<'s> {
    pub(crate) fn new(rules: &'s [FileRule], name: &str, file_name: Option<&str>) -> Self {
        let rule = rules.iter().find(|rule| rule.name == name);
        FileCheck {
            name: name.to_owned(),
            file_name: file_name.map(str::to_owned),
            bytes: 0,
            head: Vec::new(),
            lines: rule
                .filter(|rule| rule.kind == Some(Kind::JsonLines))
                .map(|rule| JsonLines::new(rule.lines.as_ref())),
        }
    }

    /// Reads the next piece of the file.
    pub fn update(&mut self, piece: &[u8]) {
        self.bytes += piece.len() as u64;
        let wanted = PNG_HEAD.saturating_sub(self.head.len()).min(piece.len());
        self.head.extend_from_slice(&piece[..wanted]);
        if let Some(lines) = &mut self.lines {
            lines.update(piece);
        }
    }

    /// The bytes read so far.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// Whether nothing has been read yet.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The file read to its end: what
    /// [`Schema::check_read_files`](crate::Schema::check_read_files) checks.
    pub fn finish(self) -> ReadFile {
        ReadFile {
            name: self.name,
            file_name: self.file_name,
            bytes: self.bytes,
            png: png_dimensions(&self.head),
            lines: self.lines.map(JsonLines::finish),
        }
    }
}

/// A file part read to its end by a [`FileCheck`]: what its rules need of
/// it, without its content.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadFile {
    name: String,
    file_name: Option<String>,
    bytes: u64,
    png: Option<(u32, u32)>,
    /// For JSON Lines: the first problem of its lines, if any.
    lines: Option<Result<(), FileProblem>>,
}

impl ReadFile {
    /// The part's name, e.g. `file`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name the part gave, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }
}

pub(crate) fn check(
    rules: &[FileRule],
    fields: &Value,
    files: &[ReadFile],
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
        if rule.max_bytes.is_some_and(|max| file.bytes > max) {
            return fail(FileProblem::TooLarge {
                limit: rule.max_bytes.unwrap_or_default(),
            });
        }
        if let Some(extension) = file
            .file_name
            .as_deref()
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
                let Some((width, height)) = file.png else {
                    return fail(FileProblem::NotPng);
                };
                if rule.square && width != height {
                    return fail(FileProblem::NotSquare { width, height });
                }
                let other = rule.same_dimensions_as.as_deref();
                if let Some(other_file) = other.and_then(part)
                    && other_file.png.is_some_and(|other| other != (width, height))
                {
                    return fail(FileProblem::DimensionsDiffer {
                        other: other.unwrap_or_default().to_owned(),
                    });
                }
            }
            Some(Kind::JsonLines) => {
                if let Some(Err(problem)) = &file.lines {
                    return fail(problem.clone());
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

/// JSON Lines read piece by piece, each line valid under `schema`; blank
/// lines are skipped. The whole file must be UTF-8, which outranks a
/// problem of a line.
struct JsonLines<'s> {
    schema: Option<&'s jsonschema::Validator>,
    /// The line under way.
    line: Vec<u8>,
    /// Lines ended so far, blank ones included.
    number: usize,
    /// Lines that are not blank.
    records: usize,
    /// The first problem of a line; nothing more is checked after it but
    /// UTF-8.
    problem: Option<FileProblem>,
    utf8: Utf8,
}

impl<'s> JsonLines<'s> {
    fn new(schema: Option<&'s jsonschema::Validator>) -> Self {
        JsonLines {
            schema,
            line: Vec::new(),
            number: 0,
            records: 0,
            problem: None,
            utf8: Utf8::default(),
        }
    }

    fn update(&mut self, piece: &[u8]) {
        self.utf8.update(piece);
        for part in piece.split_inclusive(|byte| *byte == b'\n') {
            if self.problem.is_some() {
                return;
            }
            let (text, ended) = match part.strip_suffix(b"\n") {
                Some(text) => (text, true),
                None => (part, false),
            };
            if self.line.len() + text.len() > MAX_LINE_BYTES {
                self.problem = Some(FileProblem::LineTooLong {
                    number: self.number + 1,
                    limit: MAX_LINE_BYTES,
                });
                return;
            }
            self.line.extend_from_slice(text);
            if ended {
                self.end_line();
            }
        }
    }

    fn end_line(&mut self) {
        self.number += 1;
        let line = std::mem::take(&mut self.line);
        // Invalid UTF-8 is the whole file's problem (see `finish`).
        let Ok(text) = std::str::from_utf8(&line) else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        self.records += 1;
        let Ok(record) = serde_json::from_str::<Value>(text) else {
            self.problem = Some(FileProblem::NotJsonLines);
            return;
        };
        if let Some(error) = self
            .schema
            .and_then(|schema| schema.validate(&record).err())
        {
            self.problem = Some(FileProblem::Line {
                number: self.number,
                violation: Box::new(crate::violation::from_error(&error, &record)),
            });
        }
        // Keep the buffer's capacity for the next line.
        self.line = line;
        self.line.clear();
    }

    fn finish(mut self) -> Result<(), FileProblem> {
        if self.problem.is_none() && !self.line.is_empty() {
            self.end_line();
        }
        if !self.utf8.finish() {
            return Err(FileProblem::NotJsonLines);
        }
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        if self.records == 0 {
            return Err(FileProblem::NoLines);
        }
        Ok(())
    }
}

/// UTF-8 validity of bytes read piece by piece: a character split between
/// two pieces is carried over.
#[derive(Default)]
struct Utf8 {
    carry: Vec<u8>,
    invalid: bool,
}

impl Utf8 {
    fn update(&mut self, mut piece: &[u8]) {
        // Complete the character carried over, one byte at a time (at most 3).
        while !self.carry.is_empty() && !self.invalid {
            let Some((&byte, rest)) = piece.split_first() else {
                return;
            };
            self.carry.push(byte);
            piece = rest;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(error) => self.invalid = error.error_len().is_some(),
            }
        }
        if self.invalid {
            return;
        }
        if let Err(error) = std::str::from_utf8(piece) {
            match error.error_len() {
                Some(_) => self.invalid = true,
                None => self.carry = piece[error.valid_up_to()..].to_vec(),
            }
        }
    }

    fn finish(&self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
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

    /// Checks `bytes` as JSON Lines cut into pieces of `size` bytes.
    fn check_lines(
        bytes: &[u8],
        schema: Option<&jsonschema::Validator>,
        size: usize,
    ) -> Result<(), FileProblem> {
        let mut lines = JsonLines::new(schema);
        for piece in bytes.chunks(size) {
            lines.update(piece);
        }
        lines.finish()
    }

    #[test]
    fn json_lines_need_a_line_and_each_line_valid_however_they_arrive() {
        let schema = crate::compile(&serde_json::json!({"required": ["prompt"]})).unwrap();
        for size in [1, 2, 3, 7, 1000] {
            let lines = |bytes: &[u8], schema| check_lines(bytes, schema, size);
            assert!(lines(b"{\"prompt\": \"a\"}\n\n", Some(&schema)).is_ok());
            assert!(
                lines(
                    "{\"prompt\": \"\u{1F600}\"}\r\n{\"prompt\": \"b\"}".as_bytes(),
                    Some(&schema)
                )
                .is_ok()
            );
            let error = lines(b"{\"prompt\": \"a\"}\n{\"x\": 1}\n", Some(&schema)).unwrap_err();
            assert!(
                matches!(error, FileProblem::Line { number: 2, .. }),
                "{error}"
            );
            assert_eq!(lines(b"", Some(&schema)), Err(FileProblem::NoLines));
            assert_eq!(lines(b"\n \n", Some(&schema)), Err(FileProblem::NoLines));
            assert_eq!(lines(b"not json", None), Err(FileProblem::NotJsonLines));
            // Invalid UTF-8 anywhere outranks an earlier line's problem.
            assert_eq!(
                lines(b"{\"x\": 1}\n{\"prompt\": \"\xff\"}\n", Some(&schema)),
                Err(FileProblem::NotJsonLines)
            );
            // A character cut off at the end.
            assert_eq!(
                lines(b"{\"prompt\": \"a\"}\n\xf0\x9f", None),
                Err(FileProblem::NotJsonLines)
            );
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_being_held() {
        let mut line = vec![b' '; MAX_LINE_BYTES + 1];
        line.extend(b"{}\n");
        assert_eq!(
            check_lines(&line, None, 64 * 1024),
            Err(FileProblem::LineTooLong {
                number: 1,
                limit: MAX_LINE_BYTES
            })
        );
    }
}
