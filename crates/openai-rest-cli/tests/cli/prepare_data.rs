//! `openai tools fine_tunes.prepare_data` on good and bad files: each
//! report is a reviewed snapshot, and `-q` writes the prepared file.

use std::path::Path;

use crate::mock::{Run, openai, run};

/// prepare_data on a file `name` holding `content`, in a new directory;
/// the run (its paths shown as `<dir>`) and the directory.
fn prepare(name: &str, content: &str, extra: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let mut args = vec![
        "tools",
        "fine_tunes.prepare_data",
        "-f",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut ran = run(openai().args(&args));
    let shown = dir.path().to_str().unwrap();
    ran.stdout = ran.stdout.replace(shown, "<dir>");
    ran.stderr = ran.stderr.replace(shown, "<dir>");
    (ran, dir)
}

fn jsonl(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(p, c)| format!("{}\n", serde_json::json!({"prompt": p, "completion": c})))
        .collect()
}

fn prepared(dir: &Path, name: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(name))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn a_good_file_needs_nothing() {
    let words = ["apple", "river", "Moon", "tiger", "cloud", "piano"];
    let pairs: Vec<(String, String)> = (0..120)
        .map(|i| {
            let (first, second) = (words[i % 6], words[(i / 6) % 6]);
            (
                format!("{first} and {second} {i}\n\n###\n\n"),
                format!(" {second}, then {first} {i} END"),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let (ran, dir) = prepare("good.jsonl", &jsonl(&pairs), &["-q"]);
    insta::assert_snapshot!("good", ran.ok());
    assert!(!dir.path().join("good_prepared.jsonl").exists());
}

#[test]
fn a_bad_file_is_reported_and_fixed_with_q() {
    let content = jsonl(&[
        ("What is 1+1", "Two"),
        ("What is 1+1", "Two"),
        ("What is 2+2", "Four"),
        ("What is 3+3", ""),
        ("What is 4+4", "Eight"),
    ]);
    let (ran, dir) = prepare("bad.jsonl", &content, &["-q"]);
    insta::assert_snapshot!("bad", ran.ok());
    let examples = prepared(dir.path(), "bad_prepared.jsonl");
    assert_eq!(
        examples,
        [
            serde_json::json!({"prompt": "What is 1+1 ->", "completion": " Two\n"}),
            serde_json::json!({"prompt": "What is 2+2 ->", "completion": " Four\n"}),
            serde_json::json!({"prompt": "What is 4+4 ->", "completion": " Eight\n"}),
        ]
    );
    // Run again: the first prepared file is kept, the next one numbered.
    let path = dir.path().join("bad.jsonl");
    run(openai().args([
        "tools",
        "fine_tunes.prepare_data",
        "-q",
        "-f",
        path.to_str().unwrap(),
    ]))
    .ok();
    assert!(dir.path().join("bad_prepared (1).jsonl").exists());
}

#[test]
fn a_csv_with_other_columns_and_upper_case() {
    let content = "Prompt,completion,source\n\
                   \"ANSWER THIS, PLEASE: RED?\",\" COLOR\n\",web\n\
                   \"ANSWER THIS, PLEASE: TWO?\",\" NUMBER\n\",web\n\
                   \"ANSWER THIS, PLEASE: CAT?\",\" ANIMAL\n\",book\n";
    let (ran, dir) = prepare("upper.csv", content, &["-q"]);
    insta::assert_snapshot!("csv", ran.ok());
    let examples = prepared(dir.path(), "upper_prepared.jsonl");
    assert_eq!(examples.len(), 3);
    // Lower cased, then without the prefix; the `?` is its separator.
    assert_eq!(
        examples[0],
        serde_json::json!({"prompt": "red?", "completion": " color\n"})
    );
}

#[test]
fn a_classification_is_split_for_validation() {
    let pairs: Vec<(String, &str)> = (0..30)
        .map(|i| {
            (
                format!("Review {i}: {} ->", ["fine", "dull", "great"][i % 3]),
                if i % 3 == 1 { " negative" } else { " positive" },
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let (ran, dir) = prepare("reviews.jsonl", &jsonl(&pairs), &["-q"]);
    insta::assert_snapshot!("classification", ran.ok());
    let train = prepared(dir.path(), "reviews_prepared_train.jsonl");
    let valid = prepared(dir.path(), "reviews_prepared_valid.jsonl");
    assert_eq!((train.len(), valid.len()), (24, 6));
}

#[test]
fn unusable_files_fail_with_the_reason() {
    let (no_completion, _dir) = prepare(
        "keys.jsonl",
        "{\"prompt\": \"a\", \"answer\": \"b\"}\n",
        &["-q"],
    );
    insta::assert_snapshot!("no_completion", no_completion.failed(1));
    let (same, _dir) = prepare(
        "same.jsonl",
        &jsonl(&[("Hi ->", " a\n"), ("Hi ->", " b\n")]),
        &["-q"],
    );
    assert!(
        same.failed(1).contains("every prompt is `Hi ->`"),
        "{same:#?}"
    );
    let (broken, _dir) = prepare(
        "broken.jsonl",
        "{\"prompt\": \"a\", \"completion\": \"b\"}\n{oops\n",
        &["-q"],
    );
    assert!(broken.failed(1).contains("line 2"), "{broken:#?}");
    let (excel, _dir) = prepare("sheet.xlsx", "", &["-q"]);
    assert!(
        excel.failed(1).contains("save its sheet as CSV"),
        "{excel:#?}"
    );
}
