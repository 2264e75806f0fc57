//! The fine-tune commands: the whole story from a local file to a model
//! that completes, a cancelled job, Ctrl-C during a follow, and the others.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::mock::{Mock, created_job, openai, training_file, unfollowed_job};

/// The fine-tuned model's name from a follow's output.
fn model_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("Fine-tuned model: "))
        .unwrap_or_else(|| panic!("no model named in {stdout}"))
        .to_owned()
}

#[test]
fn a_local_file_is_uploaded_fine_tuned_on_and_the_model_completes() {
    let mock = Mock::fast();
    let dir = tempfile::tempdir().unwrap();
    let train = training_file(dir.path(), "train.jsonl");
    let created = mock.openai(&[
        "api",
        "fine_tunes.create",
        "-t",
        train.to_str().unwrap(),
        "-m",
        "curie",
        "--suffix",
        "cli",
    ]);
    let stdout = created.ok();
    assert!(
        created
            .stderr
            .contains(&format!("Uploaded {} as file-", train.display())),
        "{created:#?}"
    );
    assert!(stdout.contains("Created fine-tune ft-"), "{created:#?}");
    for event in ["Job started", "Completed epoch 4/4", "Fine-tune succeeded"] {
        assert!(stdout.contains(event), "no `{event}` in {created:#?}");
    }
    let model = model_of(stdout);
    assert!(
        model.starts_with("curie:ft-") && model.contains(":cli-"),
        "{model}"
    );

    // The model is usable.
    let completion = mock.openai(&[
        "api",
        "completions.create",
        "-m",
        &model,
        "-p",
        "Say hi ->",
        "--json",
    ]);
    assert_eq!(completion.json()["object"], "text_completion");

    // The job, its events, its results and the other listings.
    let id = created_job(stdout);
    let jobs = mock.openai(&["api", "fine_tunes.list"]).json();
    let job = jobs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id.as_str())
        .unwrap();
    assert_eq!(job["status"], "succeeded");
    let got = mock.openai(&["api", "fine_tunes.get", "-i", &id]).json();
    assert_eq!(got["fine_tuned_model"], model.as_str());
    let events = mock.openai(&["api", "fine_tunes.events", "-i", &id]).json();
    assert!(events["data"].as_array().unwrap().len() >= 5, "{events}");
    let deprecated = mock.openai(&["api", "fine_tunes.events", "-i", &id, "--stream"]);
    assert!(
        deprecated.failed(2).contains("fine_tunes.follow -i"),
        "{deprecated:#?}"
    );
    let results = mock.openai(&["api", "fine_tunes.results", "-i", &id]);
    assert!(results.ok().starts_with("step,"), "{results:#?}");
    // Following a job that has ended prints its events and its model again.
    assert_eq!(
        model_of(mock.openai(&["api", "fine_tunes.follow", "-i", &id]).ok()),
        model
    );

    // The same file again: the uploaded one is offered; no answer uploads anew.
    let again = mock.openai(&[
        "api",
        "fine_tunes.create",
        "-t",
        train.to_str().unwrap(),
        "--no_follow",
    ]);
    assert!(
        again
            .stderr
            .contains("Already uploaded for fine-tuning as train.jsonl"),
        "{again:#?}"
    );
    assert!(again.stderr.contains("Uploaded "), "{again:#?}");
    assert_eq!(again.json()["status"], "pending");

    // Deleting the model: then it no longer completes.
    let deleted = mock
        .openai(&["api", "fine_tunes.delete_model", "-i", &model])
        .json();
    assert_eq!(deleted["deleted"], true);
    let gone = mock.openai(&["api", "completions.create", "-m", &model, "-p", "Hi"]);
    assert!(gone.failed(1).contains("HTTP status 404"), "{gone:#?}");
}

#[test]
fn an_uploaded_file_is_used_by_its_id() {
    let mock = Mock::fast();
    let dir = tempfile::tempdir().unwrap();
    let train = training_file(dir.path(), "train.jsonl");
    let file = mock
        .openai(&[
            "api",
            "files.create",
            "-f",
            train.to_str().unwrap(),
            "-p",
            "fine-tune",
        ])
        .json();
    let id = file["id"].as_str().unwrap();
    let job = mock.openai(&[
        "api",
        "fine_tunes.create",
        "-t",
        id,
        "-v",
        id,
        "--no_follow",
        "--n_epochs",
        "2",
    ]);
    let job = job.json();
    assert_eq!(job["training_files"][0]["id"], id);
    assert_eq!(job["hyperparams"]["n_epochs"], 2);
    let missing = mock.openai(&["api", "fine_tunes.create", "-t", "file-nope", "--no_follow"]);
    assert!(missing.failed(1).contains("training_file"), "{missing:#?}");
}

#[test]
fn a_cancelled_job_fails_the_follow() {
    let mock = Mock::stopped_clock();
    let dir = tempfile::tempdir().unwrap();
    let job = unfollowed_job(&mock, dir.path());
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["status"], "pending");
    assert_eq!(
        mock.openai(&["api", "fine_tunes.cancel", "-i", id]).json()["status"],
        "cancelled"
    );
    let followed = mock.openai(&["api", "fine_tunes.follow", "-i", id]);
    assert!(
        followed.stdout.contains("Fine-tune cancelled"),
        "{followed:#?}"
    );
    assert!(
        followed.failed(1).contains("was cancelled"),
        "{followed:#?}"
    );
    // An unknown job: the API's 404, with no advice to follow it again.
    let unknown = mock.openai(&["api", "fine_tunes.follow", "-i", "ft-nope"]);
    let stderr = unknown.failed(1);
    assert!(
        stderr.contains("HTTP status 404") && !stderr.contains("again"),
        "{unknown:#?}"
    );
    // Cancelling again: the API's 400.
    assert!(
        mock.openai(&["api", "fine_tunes.cancel", "-i", id])
            .failed(1)
            .contains("HTTP status 400")
    );
}

#[test]
fn ctrl_c_stops_following_not_the_job() {
    let mock = Mock::stopped_clock();
    let dir = tempfile::tempdir().unwrap();
    let job = unfollowed_job(&mock, dir.path());
    let id = job["id"].as_str().unwrap();

    let mut follow = openai()
        .env("OPENAI_API_BASE", mock.base_url())
        .args(["api", "fine_tunes.follow", "-i", id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once it has printed an event, it is following.
    let mut stdout = BufReader::new(follow.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("Created fine-tune"), "{first}");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let output = follow.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(output.status.code(), Some(130), "{rest}");
    assert!(
        rest.contains(&format!("openai api fine_tunes.follow -i {id}")),
        "{rest}"
    );
    assert!(rest.contains("(it is pending)"), "{rest}");
    // Not cancelled.
    assert_eq!(
        mock.openai(&["api", "fine_tunes.get", "-i", id]).json()["status"],
        "pending"
    );
}

#[test]
fn a_follow_survives_a_dropped_connection() {
    let mock = Mock::fast();
    let dir = tempfile::tempdir().unwrap();
    let job = unfollowed_job(&mock, dir.path());
    let id = job["id"].as_str().unwrap();
    let status = mock.admin(
        "faults",
        r#"{"operation": "listFineTuneEvents", "fault": "drop_connection"}"#,
    );
    assert!(status.contains("204"), "{status}");
    let followed = mock.openai(&["api", "fine_tunes.follow", "-i", id]);
    assert!(model_of(followed.ok()).starts_with("curie:ft-"));
    // Each event once, however the stream went.
    assert_eq!(
        followed.ok().matches("Job started").count(),
        1,
        "{followed:#?}"
    );
}
