//! What is wrong with a value, as data: where (a path down to the field),
//! the value found there, and the rule it breaks with the schema's bound.

use std::fmt;

#[cfg(feature = "jsonschema")]
use jsonschema::ValidationError;
#[cfg(feature = "jsonschema")]
use jsonschema::error::{TypeKind, ValidationErrorKind};
#[cfg(feature = "jsonschema")]
use jsonschema::paths::LocationSegment;
use serde_json::Value;

/// One broken rule.
///
/// Its `Display` is the API's own wording (`0 is less than the minimum of
/// 1`); [`param`](Self::param) is the API's `param` (`messages[0].role`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Violation {
    /// Where: empty for the whole value, else down to the field at fault
    /// (for a missing or unknown field, that field).
    pub path: Vec<Step>,
    /// The value at fault (for a missing field, the object that misses it).
    pub value: Value,
    /// The rule, with the schema's bound.
    pub problem: Problem,
}

/// A step of a [`Violation`]'s path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object's field.
    Field(String),
    /// An array's item.
    Index(usize),
}

/// The rule a value breaks.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// Not of the JSON type the schema names (`integer`, `string`, ...).
    Type {
        /// The types allowed (a nullable field's `null` left out).
        expected: Vec<&'static str>,
    },
    /// A required field is missing.
    Required,
    /// A field the schema does not declare (`additionalProperties: false`).
    Unknown,
    /// Not one of the values the schema lists.
    Enum {
        /// The values allowed.
        allowed: Vec<Value>,
    },
    /// Below `minimum` (`exclusive`: at or below `exclusiveMinimum`).
    Minimum {
        /// The bound.
        limit: f64,
        /// Whether the bound itself is refused.
        exclusive: bool,
    },
    /// Above `maximum` (`exclusive`: at or above `exclusiveMaximum`).
    Maximum {
        /// The bound.
        limit: f64,
        /// Whether the bound itself is refused.
        exclusive: bool,
    },
    /// A string shorter than `minLength` characters.
    MinLength {
        /// The bound.
        limit: u64,
    },
    /// A string longer than `maxLength` characters.
    MaxLength {
        /// The bound.
        limit: u64,
    },
    /// An array of fewer than `minItems` items.
    MinItems {
        /// The bound.
        limit: u64,
    },
    /// An array of more than `maxItems` items.
    MaxItems {
        /// The bound.
        limit: u64,
    },
    /// None of the forms the schema allows (`anyOf`, the spec's `oneOf`).
    NoForm,
    /// `x-rules` `notLessThan`: the field is less than another one (or its
    /// default).
    NotLessThan {
        /// The other field.
        other: String,
        /// Its value, or its default.
        other_value: Value,
    },
    /// `x-rules` `maximum` with `when`: above `limit` while another field
    /// has a value.
    MaximumWhen {
        /// The bound.
        limit: f64,
        /// The other field.
        when: String,
        /// Its value that brings the bound.
        is: Value,
    },
    /// A file part of a multipart body breaks its `x-files` rule.
    File(FileProblem),
    /// A rule the specs do not use, in the validator's words.
    Other(String),
}

/// What is wrong with a file part.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum FileProblem {
    /// Not a PNG.
    NotPng,
    /// A PNG that is not square.
    NotSquare {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// Larger than `maxBytes`.
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
    /// Not the same width and height as another file part.
    DimensionsDiffer {
        /// The other part.
        other: String,
    },
    /// A file name whose extension is not one of these.
    Extension {
        /// The extensions allowed.
        allowed: Vec<String>,
    },
    /// Not UTF-8 JSON Lines.
    NotJsonLines,
    /// No line at all.
    NoLines,
    /// A line (numbered from 1) longer than `limit` bytes.
    LineTooLong {
        /// The line's number.
        number: usize,
        /// The most bytes a line may have.
        limit: usize,
    },
    /// A line (numbered from 1) that breaks the schema of lines.
    Line {
        /// The line's number.
        number: usize,
        /// What is wrong with it.
        violation: Box<Violation>,
    },
}

impl Violation {
    pub(crate) fn at(path: Vec<Step>, value: Value, problem: Problem) -> Self {
        Violation {
            path,
            value,
            problem,
        }
    }

    /// The violation of a value inside: `step` first on its path.
    pub(crate) fn under(mut self, step: Step) -> Self {
        self.path.insert(0, step);
        self
    }

    /// The API's `param`: the path written `messages[0].role`; `None` for
    /// the whole value.
    pub fn param(&self) -> Option<String> {
        if self.path.is_empty() {
            return None;
        }
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Field(field) if out.is_empty() => out.push_str(field),
                Step::Field(field) => {
                    out.push('.');
                    out.push_str(field);
                }
                Step::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        Some(out)
    }

    /// The name of the field at fault: the last field of the path.
    pub fn field(&self) -> Option<&str> {
        self.path.iter().rev().find_map(|step| match step {
            Step::Field(field) => Some(field.as_str()),
            Step::Index(_) => None,
        })
    }
}

/// A value for a message: its JSON, cut short.
fn shown(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = shown(&self.value);
        let field = self.field().unwrap_or_default();
        match &self.problem {
            Problem::Type { expected } => {
                write!(f, "{value} is not of type '{}'", expected.join("', '"))
            }
            Problem::Required => write!(f, "'{field}' is a required property"),
            Problem::Unknown => write!(f, "Unrecognized request argument supplied: {field}"),
            Problem::Enum { allowed } => {
                let allowed: Vec<String> = allowed.iter().map(shown).collect();
                write!(f, "{value} is not one of [{}]", allowed.join(", "))
            }
            Problem::Minimum { limit, exclusive } => {
                let or_equal = if *exclusive { " or equal to" } else { "" };
                write!(f, "{value} is less than{or_equal} the minimum of {limit}")
            }
            Problem::Maximum { limit, exclusive } => {
                let or_equal = if *exclusive { " or equal to" } else { "" };
                write!(
                    f,
                    "{value} is greater than{or_equal} the maximum of {limit}"
                )
            }
            Problem::MinLength { .. } | Problem::MinItems { .. } => {
                write!(f, "{value} is too short")
            }
            Problem::MaxLength { .. } | Problem::MaxItems { .. } => {
                write!(f, "{value} is too long")
            }
            Problem::NoForm => write!(f, "{value} is not valid under any of the given schemas"),
            Problem::NotLessThan { other, other_value } => write!(
                f,
                "{field} ({value}) must be greater than or equal to {other} ({other_value})"
            ),
            Problem::MaximumWhen { limit, when, is } => write!(
                f,
                "{field} cannot be greater than {limit} when {when} is {is}"
            ),
            Problem::File(problem) => write!(f, "'{field}': {problem}"),
            Problem::Other(message) => f.write_str(message),
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::NotPng => f.write_str("the image must be a valid PNG file"),
            FileProblem::NotSquare { width, height } => {
                write!(f, "the image must be square, it is {width}x{height}")
            }
            FileProblem::TooLarge { limit } => {
                write!(f, "the file must be at most {limit} bytes")
            }
            FileProblem::DimensionsDiffer { other } => {
                write!(f, "it must have the same dimensions as the {other}")
            }
            FileProblem::Extension { allowed } => write!(
                f,
                "Invalid file format. Supported formats: {}",
                allowed.join(", ")
            ),
            FileProblem::NotJsonLines => f.write_str("the file is not UTF-8 JSON Lines"),
            FileProblem::NoLines => f.write_str("the file has no lines"),
            FileProblem::LineTooLong { number, limit } => {
                write!(f, "line {number} of the file is longer than {limit} bytes")
            }
            FileProblem::Line { number, violation } => {
                write!(f, "line {number} of the file is invalid: {violation}")?;
                match violation.param() {
                    Some(param) => write!(f, " - '{param}'"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(feature = "jsonschema")]
/// The violation a validator's error stands for; in an `anyOf`, the error
/// of the one form that has the value's type, when only one has it.
pub(crate) fn from_error(error: &ValidationError<'_>, root: &Value) -> Violation {
    // The validator writes a numeric key (`logit_bias`'s token ids) as an
    // index: the value says which it is.
    let mut at = Some(root);
    let mut path: Vec<Step> = Vec::new();
    for segment in error.instance_path().iter() {
        let key = match segment {
            LocationSegment::Property(field) => field.into_owned(),
            LocationSegment::Index(index) => index.to_string(),
        };
        let step = match (at, key.parse::<usize>()) {
            (Some(Value::Array(_)), Ok(index)) => Step::Index(index),
            _ => Step::Field(key),
        };
        at = at.and_then(|value| match &step {
            Step::Index(index) => value.get(index),
            Step::Field(field) => value.get(field),
        });
        path.push(step);
    }
    let value = error.instance().clone().into_owned();
    let number = |limit: &Value| limit.as_f64().unwrap_or(f64::NAN);
    let problem = match error.kind() {
        ValidationErrorKind::Type { kind } => Problem::Type {
            expected: match kind {
                TypeKind::Single(kind) => vec![kind.as_str()],
                TypeKind::Multiple(kinds) => {
                    let all: Vec<&'static str> = kinds.iter().map(|kind| kind.as_str()).collect();
                    let some: Vec<&'static str> =
                        all.iter().copied().filter(|kind| *kind != "null").collect();
                    if some.is_empty() { all } else { some }
                }
            },
        },
        ValidationErrorKind::Required { property } => {
            path.push(Step::Field(
                property.as_str().unwrap_or_default().to_owned(),
            ));
            Problem::Required
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            path.push(Step::Field(unexpected.first().cloned().unwrap_or_default()));
            Problem::Unknown
        }
        ValidationErrorKind::Enum { options } => Problem::Enum {
            allowed: options.as_array().cloned().unwrap_or_default(),
        },
        ValidationErrorKind::Minimum { limit } => Problem::Minimum {
            limit: number(limit),
            exclusive: false,
        },
        ValidationErrorKind::ExclusiveMinimum { limit } => Problem::Minimum {
            limit: number(limit),
            exclusive: true,
        },
        ValidationErrorKind::Maximum { limit } => Problem::Maximum {
            limit: number(limit),
            exclusive: false,
        },
        ValidationErrorKind::ExclusiveMaximum { limit } => Problem::Maximum {
            limit: number(limit),
            exclusive: true,
        },
        ValidationErrorKind::MinLength { limit } => Problem::MinLength { limit: *limit },
        ValidationErrorKind::MaxLength { limit } => Problem::MaxLength { limit: *limit },
        ValidationErrorKind::MinItems { limit } => Problem::MinItems { limit: *limit },
        ValidationErrorKind::MaxItems { limit } => Problem::MaxItems { limit: *limit },
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(error) = the_form_meant(error.instance_path().as_str(), context) {
                return from_error(error, root);
            }
            Problem::NoForm
        }
        _ => Problem::Other(error.to_string()),
    };
    Violation::at(path, value, problem)
}

#[cfg(feature = "jsonschema")]
/// Of the forms a value fits none of, the one it was meant for: the only
/// form whose failure is not about the type of the value itself (at `at`),
/// or else the only form that is not `null` (a nullable field's other form).
fn the_form_meant<'e>(
    at: &str,
    forms: &'e [Vec<ValidationError<'static>>],
) -> Option<&'e ValidationError<'static>> {
    let is_type = |error: &ValidationError<'_>, null: bool| match error.kind() {
        ValidationErrorKind::Type { kind } => {
            error.instance_path().as_str() == at
                && (!null || matches!(kind, TypeKind::Single(kind) if kind.as_str() == "null"))
        }
        _ => false,
    };
    let one = |forms: Vec<&'e Vec<ValidationError<'static>>>| match forms.as_slice() {
        [form] => form.first(),
        _ => None,
    };
    let fitting: Vec<_> = (forms.iter())
        .filter(|form| !form.iter().all(|error| is_type(error, false)))
        .collect();
    if !fitting.is_empty() {
        return one(fitting);
    }
    one((forms.iter())
        .filter(|form| !form.iter().any(|error| is_type(error, true)))
        .collect())
}
