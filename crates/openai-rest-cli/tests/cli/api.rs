//! The `api` subcommands that make one call, against OpenAI's API.

use crate::mock::{Mock, data, openai, run, training_file};

#[test]
fn completions_print_the_text_or_the_json() {
    let mock = Mock::fast();
    let args = [
        "api",
        "completions.create",
        "-m",
        "text-davinci-003",
        "-p",
        "Say this is a test",
    ];
    // The prompt, then its completion: the Python CLI asked with `echo`.
    assert_eq!(
        mock.openai(&args).ok(),
        "Say this is a test\n\nThis is indeed a test\n"
    );

    let streamed = mock.openai(&[&args[..], &["--stream", "-M", "7", "-t", "0"]].concat());
    assert!(
        streamed.ok().contains("This is indeed a test"),
        "{streamed:#?}"
    );

    let json = mock.openai(&[&args[..], &["--json"]].concat()).json();
    assert_eq!(json["object"], "text_completion");
    assert_eq!(
        json["choices"][0]["text"],
        "Say this is a test\n\nThis is indeed a test"
    );

    // A stream as JSON: one event per line.
    let events = mock.openai(&[&args[..], &["--stream", "--json"]].concat());
    let lines: Vec<serde_json::Value> = events
        .ok()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(lines.len() > 1, "{events:#?}");
    assert!(
        lines
            .iter()
            .all(|event| event["object"] == "text_completion")
    );
}

#[test]
fn completions_refuse_what_cannot_work_before_sending() {
    let mock = Mock::fast();
    let no_model = mock.openai(&["api", "completions.create", "-p", "Hi"]);
    assert!(no_model.failed(2).contains("-m MODEL"), "{no_model:#?}");
    let several_streams = mock.openai(&[
        "api",
        "completions.create",
        "-m",
        "ada",
        "-n",
        "2",
        "--stream",
    ]);
    assert!(
        several_streams.failed(2).contains("--stream"),
        "{several_streams:#?}"
    );
    // Out of the documented range: the client's check, nothing sent.
    let too_hot = mock.openai(&["api", "completions.create", "-m", "ada", "-t", "3"]);
    assert!(too_hot.failed(2).contains("temperature"), "{too_hot:#?}");
}

#[test]
fn chat_completions_take_role_content_pairs() {
    let mock = Mock::fast();
    let args = [
        "api",
        "chat_completions.create",
        "-m",
        "gpt-3.5-turbo",
        "-g",
        "system",
        "Be kind.",
        "-g",
        "user",
        "Hello!",
    ];
    assert_eq!(
        mock.openai(&args).ok(),
        "\n\nHello there, how may I assist you today?\n"
    );
    let streamed = mock.openai(&[&args[..], &["--stream"]].concat());
    assert_eq!(
        streamed.ok(),
        "\n\nHello there, how may I assist you today?\n"
    );
    let json = mock.openai(&[&args[..], &["--json"]].concat()).json();
    assert_eq!(json["object"], "chat.completion");
    let bad_role = mock.openai(&[
        "api",
        "chat_completions.create",
        "-m",
        "gpt-3.5-turbo",
        "-g",
        "robot",
        "Hi",
    ]);
    assert!(bad_role.failed(2).contains("robot"), "{bad_role:#?}");
}

#[test]
fn models_and_engines() {
    let mock = Mock::fast();
    let models = mock.openai(&["api", "models.list"]).json();
    assert_eq!(models["object"], "list");
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "text-davinci-003")
    );
    let model = mock
        .openai(&["api", "models.get", "-i", "text-davinci-003"])
        .json();
    assert_eq!(model["id"], "text-davinci-003");

    // A base model cannot be deleted: the API's error, on one line.
    let refused = mock.openai(&["api", "models.delete", "-i", "text-davinci-003"]);
    let stderr = refused.failed(1);
    assert_eq!(stderr.lines().count(), 1, "{refused:#?}");
    assert!(stderr.starts_with("Error: "), "{refused:#?}");
    assert!(stderr.contains("HTTP status 403"), "{refused:#?}");

    let missing = mock.openai(&["api", "models.get", "-i", "no-such-model"]);
    let stderr = missing.failed(1);
    assert!(
        stderr.contains("invalid_request_error") && stderr.contains("HTTP status 404"),
        "{missing:#?}"
    );

    let engines = mock.openai(&["api", "engines.list"]).json();
    assert_eq!(engines["object"], "list");
    let id = engines["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        mock.openai(&["api", "engines.get", "-i", &id]).json()["id"],
        id.as_str()
    );
}

#[test]
fn edits_embeddings_and_moderations() {
    let mock = Mock::fast();
    let edit = mock
        .openai(&[
            "api",
            "edits.create",
            "-m",
            "text-davinci-edit-001",
            "-i",
            "What day of the wek is it?",
            "-I",
            "Fix the spelling mistakes",
        ])
        .json();
    assert_eq!(edit["object"], "edit");
    let embeddings = mock
        .openai(&[
            "api",
            "embeddings.create",
            "-i",
            "The food was delicious",
            "-i",
            "and the waiter",
        ])
        .json();
    assert_eq!(embeddings["object"], "list");
    assert!(
        embeddings["data"][0]["embedding"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let moderation = mock
        .openai(&["api", "moderations.create", "-i", "I want to kill them."])
        .json();
    assert!(
        moderation["results"][0]["flagged"].is_boolean(),
        "{moderation}"
    );
}

#[test]
fn images_by_the_python_names_and_the_issue_names() {
    let mock = Mock::fast();
    let otter = data("otter.png");
    let otter = otter.to_str().unwrap();
    for name in ["image.create", "images.generate"] {
        let images = mock
            .openai(&[
                "api",
                name,
                "-p",
                "A cute baby sea otter",
                "-n",
                "2",
                "-s",
                "256x256",
            ])
            .json();
        assert!(images["data"][0]["url"].is_string(), "{images}");
    }
    for name in ["image.create_edit", "images.edit"] {
        let images = mock
            .openai(&[
                "api",
                name,
                "-p",
                "A sunlit otter",
                "-I",
                otter,
                "-M",
                otter,
            ])
            .json();
        assert!(images["data"].is_array(), "{images}");
    }
    for name in ["image.create_variation", "images.create_variation"] {
        let images = mock.openai(&["api", name, "-I", otter, "-n", "1"]).json();
        assert!(images["data"].is_array(), "{images}");
    }
    let missing = mock.openai(&[
        "api",
        "image.create_variation",
        "-I",
        "/nonexistent/otter.png",
    ]);
    assert!(missing.failed(2).contains("otter.png"), "{missing:#?}");
}

#[test]
fn audio_as_json_or_text() {
    let mock = Mock::fast();
    let hello = data("hello.mp3");
    let hello = hello.to_str().unwrap();
    let transcript = mock
        .openai(&["api", "audio.transcribe", "-f", hello, "--language", "en"])
        .json();
    assert!(transcript["text"].is_string(), "{transcript}");
    let text = mock.openai(&[
        "api",
        "audio.transcribe",
        "-f",
        hello,
        "--response-format",
        "text",
    ]);
    assert!(
        !text.ok().trim().is_empty() && !text.ok().trim_start().starts_with('{'),
        "{text:#?}"
    );
    let translation = mock
        .openai(&["api", "audio.translate", "-f", hello, "-t", "0"])
        .json();
    assert!(translation["text"].is_string(), "{translation}");
    let srt = mock.openai(&[
        "api",
        "audio.translate",
        "-f",
        hello,
        "--response-format",
        "srt",
    ]);
    assert!(srt.ok().contains("-->"), "{srt:#?}");
}

#[test]
fn files_from_upload_to_delete() {
    let mock = Mock::fast();
    let dir = tempfile::tempdir().unwrap();
    let path = training_file(dir.path(), "train.jsonl");
    let file = mock
        .openai(&[
            "api",
            "files.create",
            "-f",
            path.to_str().unwrap(),
            "-p",
            "fine-tune",
        ])
        .json();
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["filename"], "train.jsonl");

    let list = mock.openai(&["api", "files.list"]).json();
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id.as_str())
    );
    assert_eq!(
        mock.openai(&["api", "files.get", "-i", &id]).json()["id"],
        id.as_str()
    );

    let content = mock.openai(&["api", "files.download", "-i", &id]);
    assert_eq!(content.ok(), std::fs::read_to_string(&path).unwrap());
    let copy = dir.path().join("copy.jsonl");
    mock.openai(&[
        "api",
        "files.download",
        "-i",
        &id,
        "--output",
        copy.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&path).unwrap());

    let deleted = mock.openai(&["api", "files.delete", "-i", &id]).json();
    assert_eq!(deleted["deleted"], true);
    assert!(
        mock.openai(&["api", "files.get", "-i", &id])
            .failed(1)
            .contains("HTTP status 404")
    );
}

#[test]
fn a_missing_or_wrong_key_says_what_to_do_and_shows_no_secret() {
    let mock = Mock::start(openai_rest_mock::MockOptions::default().api_key("sk-the-only-key"));
    let no_key = run(openai()
        .env_remove("OPENAI_API_KEY")
        .env("OPENAI_API_BASE", mock.base_url())
        .args(["api", "models.list"]));
    assert!(
        no_key.failed(2).contains("set OPENAI_API_KEY"),
        "{no_key:#?}"
    );

    // KEY is not the key the mock lets in; `run` checks it is never printed.
    let wrong = mock.openai(&["api", "models.list"]);
    let stderr = wrong.failed(1);
    assert!(stderr.contains("HTTP status 401"), "{wrong:#?}");

    let flag = run(openai().env_remove("OPENAI_API_KEY").args([
        "-b",
        &mock.base_url(),
        "-k",
        "sk-the-only-key",
        "api",
        "models.list",
    ]));
    flag.json();
    assert!(!format!("{flag:?}").contains("sk-the-only-key"));
}

#[test]
fn a_dropped_connection_is_retried() {
    let mock = Mock::fast();
    let status = mock.admin(
        "faults",
        r#"{"operation": "listModels", "fault": "drop_connection"}"#,
    );
    assert!(status.contains("204"), "{status}");
    assert_eq!(
        mock.openai(&["api", "models.list"]).json()["object"],
        "list"
    );
}
