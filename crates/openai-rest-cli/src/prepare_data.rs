//! `openai tools fine_tunes.prepare_data`: checks training examples against
//! the fine-tuning guide's advice (the keys, the number of examples, empty
//! and duplicated ones, a separator at the end of each prompt, a leading
//! space and an ending on each completion, ...), reports each finding,
//! offers the fixes, and writes the result as `<name>_prepared.jsonl`.
//!
//! The checks run in a fixed order on the examples as the necessary fixes
//! leave them; the recommended fixes are asked for (or, with `-q`, taken)
//! after the report, and applied in the same order.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::dataset::{self, Table};
use crate::failure::Failure;

/// Fewer examples than this gets the advice to collect more.
const FEW_EXAMPLES: usize = 100;
/// Prompt plus completion longer than this (in characters) is a long example.
const LONG_EXAMPLE_CHARS: usize = 10_000;
/// A common prompt prefix longer than this is worth removing.
const LONG_PROMPT_PREFIX: usize = 12;
/// A common completion prefix at least this long is worth removing.
const LONG_COMPLETION_PREFIX: usize = 5;
/// A common separator or ending longer than this gets a shorter one suggested.
const LONG_XFIX: usize = 10;
/// Prompt separators to suggest, the first that no prompt contains.
const SEPARATORS: [&str; 6] = [
    " ->",
    "\n\n###\n\n",
    "\n\n===\n\n",
    "\n\n---\n\n",
    "\n\n===>\n\n",
    "\n\n--->\n\n",
];
const FALLBACK_SEPARATOR: &str = "\n\n### =>\n\n";
/// Completion endings to suggest, the first that no completion contains.
const ENDINGS: [&str; 9] = ["\n", ".", " END", "***", "+++", "&&&", "$$$", "@@@", "%%%"];
const FALLBACK_ENDING: &str = " [END]";
/// Where the guide explains all this.
const GUIDE: &str = "https://platform.openai.com/docs/guides/fine-tuning/preparing-your-dataset";

/// One training example.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Example {
    prompt: String,
    completion: String,
}

/// What the examples are for, which decides which checks apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    /// Every prompt empty.
    OpenEnded,
    /// Few distinct completions: on average at least three examples each.
    Classification,
    /// Anything else.
    Conditional,
}

#[derive(Clone, Copy, Debug)]
enum Field {
    Prompt,
    Completion,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Prompt => "prompt",
            Field::Completion => "completion",
        }
    }

    fn of(self, example: &Example) -> &str {
        match self {
            Field::Prompt => &example.prompt,
            Field::Completion => &example.completion,
        }
    }

    fn of_mut(self, example: &mut Example) -> &mut String {
        match self {
            Field::Prompt => &mut example.prompt,
            Field::Completion => &mut example.completion,
        }
    }
}

/// A change to the examples a finding recommends.
#[derive(Clone, Debug)]
enum Fix {
    DropDuplicates,
    DropLong,
    Lowercase(Field),
    AddPromptSeparator(String),
    RemovePromptPrefix(String),
    /// The prefix, and whether to keep its leading space.
    RemoveCompletionPrefix(String, bool),
    AddCompletionEnding(String),
    AddLeadingSpace,
}

impl Fix {
    fn apply(&self, examples: &mut Vec<Example>) {
        match self {
            Fix::DropDuplicates => {
                let mut seen = HashSet::new();
                examples.retain(|example| seen.insert(example.clone()));
            }
            Fix::DropLong => examples.retain(|example| !is_long(example)),
            Fix::Lowercase(field) => {
                for example in examples {
                    let value = field.of_mut(example);
                    *value = value.to_lowercase();
                }
            }
            Fix::AddPromptSeparator(separator) => {
                for example in examples {
                    example.prompt.push_str(separator);
                }
            }
            Fix::RemovePromptPrefix(prefix) => {
                for example in examples {
                    if let Some(rest) = strip_prefix(&example.prompt, prefix) {
                        example.prompt = rest.to_owned();
                    }
                }
            }
            Fix::RemoveCompletionPrefix(prefix, keep_space) => {
                for example in examples {
                    if let Some(rest) = strip_prefix(&example.completion, prefix) {
                        let space = if *keep_space { " " } else { "" };
                        example.completion = format!("{space}{rest}");
                    }
                }
            }
            Fix::AddCompletionEnding(ending) => {
                for example in examples {
                    example.completion.push_str(ending);
                }
            }
            Fix::AddLeadingSpace => {
                for example in examples {
                    if !example.completion.starts_with(' ') {
                        example.completion.insert(0, ' ');
                    }
                }
            }
        }
    }
}

/// `value` without `prefix`, also when an earlier fix lower cased both.
fn strip_prefix<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    value
        .strip_prefix(prefix)
        .or_else(|| value.strip_prefix(prefix.to_lowercase().as_str()))
}

/// What one check found: a note for the report, and what to do about it.
#[derive(Debug, Default)]
struct Finding {
    note: Option<String>,
    /// A change already made, as the file cannot be used without it.
    necessary: Option<String>,
    /// A change to ask for, and the change.
    recommended: Option<(String, Fix)>,
}

impl Finding {
    fn note(note: impl Into<String>) -> Self {
        Self {
            note: Some(note.into()),
            ..Self::default()
        }
    }
}

/// Runs the checks on `file`, reads the answers to its questions from
/// `input` (unless `quiet`, which takes every suggestion), and writes the
/// report to `out`.
///
/// # Errors
///
/// A file that cannot be read or used (no `prompt` or `completion`, every
/// prompt or completion the same), or output that cannot be written.
pub fn run(
    file: &Path,
    quiet: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let mut ask = |out: &mut dyn Write, question: &str| -> Result<bool, Failure> {
        write!(out, "{question} [Y/n]: ")?;
        if quiet {
            writeln!(out, "Y")?;
            return Ok(true);
        }
        out.flush()?;
        let mut answer = String::new();
        // No input at all is a no: nothing is changed or written unasked.
        if input.read_line(&mut answer)? == 0 {
            writeln!(out)?;
            return Ok(false);
        }
        Ok(!answer.trim().eq_ignore_ascii_case("n"))
    };

    writeln!(out, "Analyzing {}...", file.display())?;
    let read = dataset::read(file).map_err(Failure::new)?;
    let mut findings = Vec::new();
    if let Some(conversion) = &read.conversion {
        findings.push(Finding {
            note: Some(format!("The file {conversion}.")),
            necessary: Some("Convert it to JSON Lines".to_owned()),
            recommended: None,
        });
    }
    let (mut examples, column_findings) = columns(read.table)?;
    findings.insert(0, Finding::note(count_note(examples.len())));
    findings.extend(column_findings);
    findings.push(drop_empty_completions(&mut examples));
    for check in CHECKS {
        findings.push(check(&examples)?);
    }
    for finding in &findings {
        if let Some(note) = &finding.note {
            writeln!(out, "- {note}")?;
        }
    }

    let mut changed = findings.iter().any(|f| f.necessary.is_some());
    if changed || findings.iter().any(|f| f.recommended.is_some()) {
        writeln!(out, "\nChanges:")?;
        for finding in &findings {
            if let Some((what, fix)) = &finding.recommended
                && ask(out, &format!("- [Recommended] {what}"))?
            {
                fix.apply(&mut examples);
                changed = true;
            }
            if let Some(what) = &finding.necessary {
                writeln!(out, "- [Necessary] {what}")?;
            }
        }
    } else {
        writeln!(out, "\nNothing to change.")?;
    }
    finish(file, examples, changed, &mut ask, out)
}

type Check = fn(&[Example]) -> Result<Finding, Failure>;

/// The checks after the keys and empty completions, in the order they run.
const CHECKS: [Check; 10] = [
    classification,
    duplicates,
    long_examples,
    |examples| Ok(uppercase(examples, Field::Prompt)),
    |examples| Ok(uppercase(examples, Field::Completion)),
    prompt_separator,
    prompt_prefix,
    completion_prefix,
    completion_ending,
    leading_space,
];

fn count_note(count: usize) -> String {
    let mut note = format!("{count} prompt-completion pairs.");
    if count < FEW_EXAMPLES {
        note.push_str(
            " Aim for a few hundred at least: the model tends to get better by a similar \
             step each time the number of examples doubles.",
        );
    }
    note
}

/// The examples from the `prompt` and `completion` columns: a column
/// named so in another case is taken, other columns are dropped.
fn columns(table: Table) -> Result<(Vec<Example>, Vec<Finding>), Failure> {
    let mut findings = Vec::new();
    let mut index = |wanted: &str| -> Result<usize, Failure> {
        if let Some(i) = table.columns.iter().position(|c| c == wanted) {
            return Ok(i);
        }
        match table
            .columns
            .iter()
            .position(|c| c.to_lowercase() == wanted)
        {
            Some(i) => {
                findings.push(Finding {
                    note: Some(format!(
                        "The key `{}` should be `{wanted}`, in lower case.",
                        table.columns[i]
                    )),
                    necessary: Some(format!("Rename `{}` to `{wanted}`", table.columns[i])),
                    recommended: None,
                });
                Ok(i)
            }
            None => Err(Failure::new(format!(
                "the examples have no `{wanted}` key (or column); they have {}",
                quoted_list(&table.columns)
            ))),
        }
    };
    let prompt = index("prompt")?;
    let completion = index("completion")?;
    let others: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != prompt && *i != completion)
        .map(|(_, c)| c.clone())
        .collect();
    if !others.is_empty() {
        findings.push(Finding {
            note: Some(format!(
                "Each example should have exactly two keys, prompt and completion; these others are left out: {}.",
                quoted_list(&others)
            )),
            necessary: Some(format!("Remove the keys {}", quoted_list(&others))),
            recommended: None,
        });
    }
    let examples = table
        .rows
        .into_iter()
        .map(|mut row| Example {
            completion: std::mem::take(&mut row[completion]),
            prompt: std::mem::take(&mut row[prompt]),
        })
        .collect();
    Ok((examples, findings))
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "row N" or "rows N, M, ..." (counting from 0), for a note.
fn rows(positions: &[usize]) -> String {
    let shown: Vec<String> = positions.iter().take(20).map(usize::to_string).collect();
    let more = positions.len().saturating_sub(shown.len());
    let noun = if positions.len() == 1 { "row" } else { "rows" };
    let mut text = format!("{noun} {}", shown.join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Empty completions teach nothing: they are dropped at once.
fn drop_empty_completions(examples: &mut Vec<Example>) -> Finding {
    let empty: Vec<usize> = positions(examples, |e| e.completion.is_empty());
    if empty.is_empty() {
        return Finding::default();
    }
    examples.retain(|e| !e.completion.is_empty());
    Finding {
        note: Some(format!(
            "{} with an empty completion, at {} (counting from 0).",
            count(empty.len(), "example"),
            rows(&empty)
        )),
        necessary: Some(format!(
            "Remove the {} with an empty completion",
            count(empty.len(), "example")
        )),
        recommended: None,
    }
}

/// `count` and the noun, in the plural unless one.
fn count(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn positions(examples: &[Example], mut select: impl FnMut(&Example) -> bool) -> Vec<usize> {
    examples
        .iter()
        .enumerate()
        .filter(|(_, e)| select(e))
        .map(|(i, _)| i)
        .collect()
}

fn task(examples: &[Example]) -> Task {
    if examples.iter().all(|e| e.prompt.is_empty()) {
        return Task::OpenEnded;
    }
    let distinct: HashSet<&str> = examples.iter().map(|e| e.completion.as_str()).collect();
    if distinct.len() * 3 < examples.len() {
        Task::Classification
    } else {
        Task::Conditional
    }
}

fn classification(examples: &[Example]) -> Result<Finding, Failure> {
    if task(examples) != Task::Classification {
        return Ok(Finding::default());
    }
    Ok(Finding::note(
        "The examples look like a classification: a small, fast model such as `ada` is \
         usually enough, and a held-out validation set tells how well it does.",
    ))
}

fn duplicates(examples: &[Example]) -> Result<Finding, Failure> {
    let mut seen = HashSet::new();
    let repeated = positions(examples, |e| !seen.insert(e.clone()));
    if repeated.is_empty() {
        return Ok(Finding::default());
    }
    Ok(Finding {
        note: Some(format!(
            "{} the prompt and completion of an earlier one, at {}.",
            count(repeated.len(), "example repeats").replace("examples repeats", "examples repeat"),
            rows(&repeated)
        )),
        necessary: None,
        recommended: Some((
            format!("Remove the {}", count(repeated.len(), "duplicate")),
            Fix::DropDuplicates,
        )),
    })
}

fn is_long(example: &Example) -> bool {
    example.prompt.chars().count() + example.completion.chars().count() > LONG_EXAMPLE_CHARS
}

fn long_examples(examples: &[Example]) -> Result<Finding, Failure> {
    if task(examples) == Task::OpenEnded {
        return Ok(Finding::default());
    }
    let long = positions(examples, is_long);
    if long.is_empty() {
        return Ok(Finding::default());
    }
    Ok(Finding {
        note: Some(format!(
            "{} over {LONG_EXAMPLE_CHARS} characters, at {}; an example \
             should stay under 2048 tokens.",
            count(long.len(), "example"),
            rows(&long)
        )),
        necessary: None,
        recommended: Some((
            format!(
                "Remove the {} over {LONG_EXAMPLE_CHARS} characters",
                count(long.len(), "example")
            ),
            Fix::DropLong,
        )),
    })
}

/// Mostly uppercase text: more than a third of the letters.
fn uppercase(examples: &[Example], field: Field) -> Finding {
    let (mut upper, mut lower) = (0usize, 0usize);
    for example in examples {
        for c in field.of(example).chars().filter(|c| c.is_alphabetic()) {
            upper += usize::from(c.is_uppercase());
            lower += usize::from(c.is_lowercase());
        }
    }
    if upper * 2 <= lower {
        return Finding::default();
    }
    let name = field.name();
    Finding {
        note: Some(format!(
            "Over a third of the letters of the {name}s are uppercase, which tends to work \
             worse than the usual mix; lower case them unless case matters to the task \
             (see {GUIDE})."
        )),
        necessary: None,
        recommended: Some((format!("Lower case every {name}"), Fix::Lowercase(field))),
    }
}

/// The longest prefix (or suffix) all the values share, in whole characters.
fn common_affix<'a>(values: impl Iterator<Item = &'a str>, suffix: bool) -> String {
    let mut common: Option<Vec<char>> = None;
    for value in values {
        let chars: Vec<char> = if suffix {
            value.chars().rev().collect()
        } else {
            value.chars().collect()
        };
        common = Some(match common {
            None => chars,
            Some(mut shared) => {
                let same = shared
                    .iter()
                    .zip(&chars)
                    .take_while(|(a, b)| a == b)
                    .count();
                shared.truncate(same);
                shared
            }
        });
    }
    let mut common = common.unwrap_or_default();
    if suffix {
        common.reverse();
    }
    common.into_iter().collect()
}

/// A separator or ending as the report shows it, newlines escaped.
fn shown(text: &str) -> String {
    text.replace('\n', "\\n")
}

/// The note on a common `ending` of `values` (the prompts' separator or the
/// completions' ending, named `what`): too long, or found inside a value too.
fn ending_note<'a>(
    mut values: impl Iterator<Item = &'a str>,
    ending: &str,
    suggestion: &str,
    what: &str,
) -> String {
    let mut note = format!("Every {what} ends with `{}`.", shown(ending));
    if ending.chars().count() > LONG_XFIX {
        note.push_str(&format!(
            " It is long: a shorter one such as `{}` would do.",
            shown(suggestion)
        ));
    }
    // `ending` ends each value: cutting it off leaves a char boundary.
    if values.any(|value| value[..value.len() - ending.len()].contains(ending)) {
        note.push_str(&format!(
            " Some {what}s hold it more than once: pick one that no {what} contains."
        ));
    }
    note
}

fn prompt_separator(examples: &[Example]) -> Result<Finding, Failure> {
    if task(examples) == Task::OpenEnded {
        return Ok(Finding::default());
    }
    let common = common_affix(examples.iter().map(|e| e.prompt.as_str()), true);
    if examples.iter().all(|e| e.prompt == common) {
        return Err(Failure::new(format!(
            "every prompt is `{}`: leave them all empty for open-ended generation, or make them differ",
            shown(&common)
        )));
    }
    let suggestion = SEPARATORS
        .iter()
        .find(|s| {
            // " ->" reads as part of a prompt that spans lines.
            let multiline = examples.iter().any(|e| e.prompt.contains('\n'));
            let used = examples.iter().any(|e| e.prompt.contains(**s));
            let unsuitable = **s == " ->" && multiline;
            !(used || unsuitable)
        })
        .copied()
        .unwrap_or(FALLBACK_SEPARATOR);
    if common.is_empty() {
        return Ok(Finding {
            note: Some(format!(
                "The prompts do not end with a common separator, which shows the model where \
                 the prompt ends and the completion begins (see {GUIDE}). For open-ended \
                 generation, leave the prompts empty instead."
            )),
            necessary: None,
            recommended: Some((
                format!(
                    "Add the separator `{}` to the end of every prompt",
                    shown(suggestion)
                ),
                Fix::AddPromptSeparator(suggestion.to_owned()),
            )),
        });
    }
    let prompts = examples.iter().map(|e| e.prompt.as_str());
    Ok(Finding::note(ending_note(
        prompts, &common, suggestion, "prompt",
    )))
}

fn prompt_prefix(examples: &[Example]) -> Result<Finding, Failure> {
    let common = common_affix(examples.iter().map(|e| e.prompt.as_str()), false);
    // Identical prompts were refused by the separator check.
    if common.is_empty() || examples.iter().all(|e| e.prompt == common) {
        return Ok(Finding::default());
    }
    let mut finding = Finding::note(format!("Every prompt starts with `{}`.", shown(&common)));
    if common.chars().count() > LONG_PROMPT_PREFIX {
        finding.note = Some(format!(
            "Every prompt starts with `{}`. A fine-tuned model needs no instructions or \
             examples of the task in its prompts: the input alone is usually enough.",
            shown(&common)
        ));
        finding.recommended = Some((
            format!("Remove the prefix `{}` from every prompt", shown(&common)),
            Fix::RemovePromptPrefix(common),
        ));
    }
    Ok(finding)
}

fn completion_prefix(examples: &[Example]) -> Result<Finding, Failure> {
    let common = common_affix(examples.iter().map(|e| e.completion.as_str()), false);
    if common.chars().count() < LONG_COMPLETION_PREFIX
        || examples.iter().all(|e| e.completion == common)
    {
        return Ok(Finding::default());
    }
    let keep_space = common.starts_with(' ');
    Ok(Finding {
        note: Some(format!(
            "Every completion starts with `{}`; the completions usually need only the output itself.",
            shown(&common)
        )),
        necessary: None,
        recommended: Some((
            format!(
                "Remove the prefix `{}` from every completion",
                shown(&common)
            ),
            Fix::RemoveCompletionPrefix(common, keep_space),
        )),
    })
}

fn completion_ending(examples: &[Example]) -> Result<Finding, Failure> {
    if matches!(task(examples), Task::OpenEnded | Task::Classification) {
        return Ok(Finding::default());
    }
    let common = common_affix(examples.iter().map(|e| e.completion.as_str()), true);
    if examples.iter().all(|e| e.completion == common) {
        return Err(Failure::new(format!(
            "every completion is `{}`: the model would only learn to repeat it",
            shown(&common)
        )));
    }
    let suggestion = ENDINGS
        .iter()
        .find(|s| !examples.iter().any(|e| e.completion.contains(**s)))
        .copied()
        .unwrap_or(FALLBACK_ENDING);
    if common.is_empty() {
        return Ok(Finding {
            note: Some(format!(
                "The completions do not end with a common ending, which shows the model where \
                 to stop (see {GUIDE})."
            )),
            necessary: None,
            recommended: Some((
                format!("Add the ending `{}` to every completion", shown(suggestion)),
                Fix::AddCompletionEnding(suggestion.to_owned()),
            )),
        });
    }
    let completions = examples.iter().map(|e| e.completion.as_str());
    Ok(Finding::note(ending_note(
        completions,
        &common,
        suggestion,
        "completion",
    )))
}

fn leading_space(examples: &[Example]) -> Result<Finding, Failure> {
    if examples.iter().all(|e| e.completion.starts_with(' ')) {
        return Ok(Finding::default());
    }
    Ok(Finding {
        note: Some(format!(
            "Not every completion starts with a space, which tokenizes better (see {GUIDE})."
        )),
        necessary: None,
        recommended: Some((
            "Add a space to the start of every completion without one".to_owned(),
            Fix::AddLeadingSpace,
        )),
    })
}

/// Writes the examples when anything changed (asking first, unless quiet),
/// and says how to fine-tune on them.
fn finish(
    file: &Path,
    examples: Vec<Example>,
    changed: bool,
    ask: &mut dyn FnMut(&mut dyn Write, &str) -> Result<bool, Failure>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let task = task(&examples);
    let separator = common_affix(examples.iter().map(|e| e.prompt.as_str()), true);
    let ending = common_affix(examples.iter().map(|e| e.completion.as_str()), true);
    let split = task == Task::Classification
        && ask(
            out,
            "- [Recommended] Split the examples into a training and a validation file",
        )?;

    let mut command;
    if !changed && !split {
        writeln!(out, "\nThe file can be used as it is:")?;
        command = format!("openai api fine_tunes.create -t \"{}\"", file.display());
    } else if ask(out, "\nWrite the examples to a new JSON Lines file?")? {
        let names = output_names(file, split);
        if split {
            let (train, valid) = split_examples(examples.clone());
            write_jsonl(&names[0], &train)?;
            write_jsonl(&names[1], &valid)?;
            writeln!(
                out,
                "\nWrote `{}` and `{}`.",
                names[0].display(),
                names[1].display()
            )?;
            command = format!(
                "openai api fine_tunes.create -t \"{}\" -v \"{}\" --compute_classification_metrics",
                names[0].display(),
                names[1].display()
            );
            let classes = class_counts(&examples);
            if classes.len() == 2 {
                command.push_str(&format!(
                    " --classification_positive_class \"{}\"",
                    classes[0].0
                ));
            } else {
                command.push_str(&format!(" --classification_n_classes {}", classes.len()));
            }
        } else {
            write_jsonl(&names[0], &examples)?;
            writeln!(out, "\nWrote `{}`.", names[0].display())?;
            command = format!("openai api fine_tunes.create -t \"{}\"", names[0].display());
        }
        writeln!(out, "Fine-tune on it with:")?;
    } else {
        writeln!(out, "Nothing written.")?;
        return Ok(());
    }
    writeln!(out, "> {command}\n")?;
    if !separator.is_empty() {
        writeln!(
            out,
            "Once fine-tuned, end each prompt with `{}` so that the model answers it instead of continuing it.",
            shown(&separator)
        )?;
    }
    // A classification's classes are its completions: their shared tail is
    // no ending.
    if task == Task::Conditional && !ending.is_empty() {
        writeln!(
            out,
            "Pass `stop=[\"{}\"]` so that each completion stops where the examples end.",
            shown(&ending)
        )?;
    }
    writeln!(out, "{}", estimate(task, examples.len()))?;
    Ok(())
}

/// A rough training time for curie, from the count of examples (after the
/// queue, which takes its own time).
fn estimate(task: Task, count: usize) -> String {
    let per_example = if task == Task::Classification {
        1.44
    } else {
        0.82
    };
    let seconds = 140.0 + per_example * count as f64;
    let (value, unit) = if seconds < 3600.0 {
        (seconds / 60.0, "minutes")
    } else if seconds < 86_400.0 {
        (seconds / 3600.0, "hours")
    } else {
        (seconds / 86_400.0, "days")
    };
    format!(
        "Training a `curie` model on it should take about {value:.1} {unit} once it starts \
         (less for `ada` and `babbage`), after its time in the queue."
    )
}

/// `<name>_prepared.jsonl` beside `file` (or `_prepared_train` and
/// `_prepared_valid`), numbered ` (1)`, ` (2)`, ... past files already there.
fn output_names(file: &Path, split: bool) -> Vec<PathBuf> {
    let stem = file.with_extension("");
    let suffixes: &[&str] = if split { &["_train", "_valid"] } else { &[""] };
    (0..)
        .map(|n| {
            let number = if n == 0 {
                String::new()
            } else {
                format!(" ({n})")
            };
            suffixes
                .iter()
                .map(|suffix| {
                    PathBuf::from(format!("{}_prepared{suffix}{number}.jsonl", stem.display()))
                })
                .collect::<Vec<_>>()
        })
        .find(|names| names.iter().all(|name| !name.exists()))
        .unwrap_or_default()
}

/// Training and validation examples: at most 1,000 (and at most a fifth)
/// held out, picked by a seeded shuffle so that a run is repeatable.
fn split_examples(mut examples: Vec<Example>) -> (Vec<Example>, Vec<Example>) {
    let train_count = examples
        .len()
        .saturating_sub(1000)
        .max(examples.len() * 4 / 5);
    fastrand::Rng::with_seed(42).shuffle(&mut examples);
    let valid = examples.split_off(train_count);
    (examples, valid)
}

/// Each completion and how many examples have it, most first.
fn class_counts(examples: &[Example]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for example in examples {
        match counts
            .iter_mut()
            .find(|(class, _)| *class == example.completion)
        {
            Some((_, count)) => *count += 1,
            None => counts.push((example.completion.clone(), 1)),
        }
    }
    // Stable: classes of equal count keep their first appearance's order.
    counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    counts
}

fn write_jsonl(path: &Path, examples: &[Example]) -> Result<(), Failure> {
    let mut text = String::new();
    for example in examples {
        // prompt before completion, as in the guide.
        text.push_str(&format!(
            "{{\"prompt\":{},\"completion\":{}}}\n",
            serde_json::Value::from(example.prompt.as_str()),
            serde_json::Value::from(example.completion.as_str())
        ));
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(pairs: &[(&str, &str)]) -> Vec<Example> {
        pairs
            .iter()
            .map(|(p, c)| Example {
                prompt: p.to_string(),
                completion: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn common_affixes_are_whole_characters() {
        let values = ["héllo ->", "jéllo ->"];
        assert_eq!(common_affix(values.iter().copied(), true), "éllo ->");
        assert_eq!(common_affix(values.iter().copied(), false), "");
        assert_eq!(common_affix(["abc", "ab"].iter().copied(), false), "ab");
        assert_eq!(common_affix(std::iter::empty(), true), "");
    }

    #[test]
    fn the_task_is_inferred_from_the_completions() {
        assert_eq!(task(&examples(&[("", " a"), ("", " b")])), Task::OpenEnded);
        let classes = examples(&[
            ("a", " x"),
            ("b", " x"),
            ("c", " x"),
            ("d", " y"),
            ("e", " y"),
            ("f", " y"),
            ("g", " x"),
        ]);
        assert_eq!(task(&classes), Task::Classification);
        assert_eq!(
            task(&examples(&[("a", " x"), ("b", " y")])),
            Task::Conditional
        );
    }

    #[test]
    fn fixes_change_what_they_say() {
        let mut data = examples(&[("Q: one", "One"), ("Q: one", "One"), ("Q: two", " two")]);
        Fix::DropDuplicates.apply(&mut data);
        assert_eq!(data.len(), 2);
        Fix::AddLeadingSpace.apply(&mut data);
        Fix::AddPromptSeparator(" ->".into()).apply(&mut data);
        Fix::AddCompletionEnding("\n".into()).apply(&mut data);
        assert_eq!(
            data,
            examples(&[("Q: one ->", " One\n"), ("Q: two ->", " two\n")])
        );
        Fix::RemoveCompletionPrefix(" ".into(), false).apply(&mut data);
        assert_eq!(data[0].completion, "One\n");
    }

    #[test]
    fn a_split_holds_out_a_fifth_at_most_a_thousand() {
        let data: Vec<Example> = (0..10)
            .map(|i| Example {
                prompt: i.to_string(),
                completion: " x".into(),
            })
            .collect();
        let (train, valid) = split_examples(data.clone());
        assert_eq!((train.len(), valid.len()), (8, 2));
        let mut all: Vec<Example> = train.into_iter().chain(valid).collect();
        all.sort_by(|a, b| a.prompt.cmp(&b.prompt));
        assert_eq!(all, data);
        let many = vec![
            Example {
                prompt: "p".into(),
                completion: " c".into()
            };
            10_000
        ];
        assert_eq!(split_examples(many).1.len(), 1000);
    }

    #[test]
    fn no_answer_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A CSV file needs converting: the question to write is asked.
        let file = dir.path().join("data.csv");
        std::fs::write(&file, "prompt,completion\na ->, b\nc ->, d\n").unwrap();
        let mut out = Vec::new();
        run(&file, false, &mut &b""[..], &mut out).unwrap();
        let report = String::from_utf8(out).unwrap();
        assert!(report.contains("Nothing written."), "{report}");
        assert!(
            report.contains("[Necessary] Convert it to JSON Lines"),
            "{report}"
        );
        assert!(!dir.path().join("data_prepared.jsonl").exists());
    }
}
