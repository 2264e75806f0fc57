//! `verify` against mocks standing in for the live API: a clean one passes
//! every case, one whose fixtures were altered (a field removed, a field
//! added, a type changed) is reported for each, a server that is not the
//! API is one line, and no secret is ever printed.

use std::collections::BTreeSet;
use std::process::Command;

use openai_contract_tests::cases::CASES;
use openai_contract_tests::verify::{Options, Report, Target, Verdict, VerifyError, verify};
use openai_rest_mock::{Fixtures, MockOptions, OpenAiMock, OperationId};
use serde_json::{Map, Value};

const KEY: &str = "sk-verify-test-key-0123456789abcdefK7Q2";
const ORGANIZATION: &str = "org-VerifyTestOrganization01";
const AZURE_KEY: &str = "azure-verify-test-key-0123456789A9Z3";
const DEPLOYMENT: &str = "deployment-8f3c2a1e9d7b4c6a9e5f0b2d4c6e8a1f";

fn openai(mock: &OpenAiMock) -> Target {
    Target::OpenAi {
        base_url: mock.base_url(),
        api_key: KEY.into(),
        organization: Some(ORGANIZATION.into()),
    }
}

fn azure(mock: &OpenAiMock) -> Target {
    Target::Azure {
        endpoint: mock.azure_endpoint(),
        api_key: AZURE_KEY.into(),
        deployment: DEPLOYMENT.into(),
    }
}

fn costly() -> Options {
    Options {
        allow_costly: true,
        ..Options::default()
    }
}

fn skipped(report: &Report) -> BTreeSet<&'static str> {
    report
        .rows
        .iter()
        .filter(|row| matches!(row.verdict, Verdict::Skipped(_)))
        .map(|row| row.case)
        .collect()
}

#[tokio::test]
async fn a_clean_mock_passes_every_case_of_both_specs() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    for target in [openai(&mock), azure(&mock)] {
        let report = verify(&target, &costly()).await.unwrap();
        assert!(report.passed(), "{report}");
        let cases = CASES.iter().filter(|case| case.api == target.api()).count();
        assert_eq!(report.rows.len(), cases, "{report}");
        for row in &report.rows {
            match &row.verdict {
                Verdict::Checked(checked) => {
                    assert!(!row.fails(), "{}: {checked:?}", row.case)
                }
                // No run makes a model to delete.
                Verdict::Skipped(_) if row.operation == OperationId::DeleteModel => {}
                other => panic!("{}: {other:?}\n{report}", row.case),
            }
        }
        let table = report.to_string();
        assert!(
            !table.contains("BREAK") && !table.contains("ERROR"),
            "{table}"
        );
    }
}

#[tokio::test]
async fn without_the_flag_what_costs_money_or_changes_the_account_is_skipped_and_never_sent() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let costly = [
        OperationId::CreateImage,
        OperationId::CreateImageEdit,
        OperationId::CreateImageVariation,
        OperationId::CreateFile,
        OperationId::DeleteFile,
        OperationId::CreateFineTune,
        OperationId::CancelFineTune,
        OperationId::DeleteModel,
        OperationId::CreateDeployment,
        OperationId::DeleteDeployment,
    ];
    for operation in costly {
        mock.expect(operation, 0);
    }
    let report = verify(&openai(&mock), &Options::default()).await.unwrap();
    assert!(report.passed(), "{report}");
    assert_eq!(
        skipped(&report),
        BTreeSet::from([
            "createImage",
            "createImage_b64_json",
            "createImageEdit",
            "createImageVariation",
            "createFile",
            "deleteFile",
            "createFineTune",
            "cancelFineTune",
            "deleteModel",
        ])
    );
    let table = report.to_string();
    assert!(
        table.contains("skipped: generates images, which costs money (run with --allow-costly)"),
        "{table}"
    );
    // Reads run on what the account lists.
    assert!(matches!(
        report.row("retrieveFile").unwrap().verdict,
        Verdict::Checked(_)
    ));

    let report = verify(&azure(&mock), &Options::default()).await.unwrap();
    assert!(report.passed(), "{report}");
    assert!(skipped(&report).contains("createDeployment"), "{report}");
}

/// The embedded fixture `case` of `operation` as a JSON object.
fn fixture_object(operation: OperationId, case: &str) -> Map<String, Value> {
    let bytes = Fixtures::default().get(operation, case).unwrap().to_vec();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn each_kind_of_contract_break_is_reported() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;

    // A field removed: the first of retrieveModel's.
    let mut model = fixture_object(OperationId::RetrieveModel, "response");
    let removed = model.keys().next().unwrap().clone();
    model.remove(&removed);
    mock.set_fixture(
        OperationId::RetrieveModel,
        "response.json",
        serde_json::to_vec(&model).unwrap(),
    )
    .unwrap();

    // A field added to every event of a stream.
    let stream = Fixtures::default()
        .get(OperationId::CreateCompletion, "stream")
        .unwrap()
        .to_vec();
    let mut altered = String::new();
    for event in String::from_utf8(stream).unwrap().split_inclusive("\n\n") {
        match event.strip_prefix("data: {") {
            Some(rest) => altered.push_str(&format!("data: {{\"contract_test_extra\":1,{rest}")),
            None => altered.push_str(event),
        }
    }
    mock.set_fixture(OperationId::CreateCompletion, "stream.sse", altered)
        .unwrap();

    // A type changed: retrieveFile's first number becomes a string.
    let mut file = fixture_object(OperationId::RetrieveFile, "response");
    let (changed, number) = file
        .iter_mut()
        .find(|(_, value)| value.is_number())
        .expect("retrieveFile has a number");
    *number = Value::String(number.to_string());
    let changed = changed.clone();
    mock.set_fixture(
        OperationId::RetrieveFile,
        "response.json",
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();

    let report = verify(&openai(&mock), &costly()).await.unwrap();
    assert!(!report.passed());
    let checked = |case: &str| match &report.row(case).unwrap().verdict {
        Verdict::Checked(checked) => checked.clone(),
        other => panic!("{case}: {other:?}"),
    };

    let model = checked("retrieveModel");
    assert!(model.fields.broken, "{model:?}");
    assert!(
        model.fields.text.contains(&format!("missing $.{removed}")),
        "{model:?}"
    );

    let stream = checked("createCompletion_stream");
    assert!(stream.decode.broken, "{stream:?}");
    assert!(
        stream
            .decode
            .text
            .contains("unknown field `$.contract_test_extra`"),
        "{stream:?}"
    );
    assert_eq!(stream.fields.text, "extra $.contract_test_extra");

    let file = checked("retrieveFile");
    assert!(file.decode.broken, "{file:?}");
    assert!(
        file.decode.text.contains("invalid type: string"),
        "{file:?}"
    );
    assert!(
        !file.fields.broken,
        "the same fields, one of another type ({changed})"
    );

    let failing: BTreeSet<&str> = report
        .rows
        .iter()
        .filter(|row| row.fails())
        .map(|row| row.case)
        .collect();
    assert_eq!(
        failing,
        BTreeSet::from(["retrieveModel", "createCompletion_stream", "retrieveFile"]),
        "{report}"
    );
    assert_eq!(report.to_string().matches("BREAK").count(), 3, "{report}");
}

#[tokio::test]
async fn a_server_that_is_not_the_api_is_said_in_one_line_after_one_request() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            wiremock::ResponseTemplate::new(404)
                .set_body_raw("<html>Not Found</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let target = Target::OpenAi {
        base_url: format!("{}/v1", server.uri()),
        api_key: KEY.into(),
        organization: None,
    };
    let error = verify(&target, &costly()).await.unwrap_err();
    let VerifyError::NotTheApi(message) = &error else {
        panic!("{error:?}")
    };
    assert!(!message.contains('\n'), "{message}");
    assert!(message.contains("is not the OpenAI API"), "{message}");
    assert!(message.contains("404 text/html"), "{message}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let target = Target::Azure {
        endpoint: nobody.clone(),
        api_key: AZURE_KEY.into(),
        deployment: DEPLOYMENT.into(),
    };
    let error = verify(&target, &costly()).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{nobody} cannot be reached")),
        "{message}"
    );
    assert!(
        !message.contains('\n') && !message.contains(AZURE_KEY),
        "{message}"
    );
}

#[tokio::test]
async fn errors_are_reported_without_a_secret() {
    let mock = OpenAiMock::start_with(
        MockOptions::default()
            .stateless(true)
            .api_key("sk-another-key-entirely-0123456789"),
    )
    .await;
    // OpenAI's 401 code, and that of the gateway before Azure's authoring
    // API (its first case lists deployments).
    for (target, secret, tail, code) in [
        (openai(&mock), KEY, "K7Q2", "invalid_api_key"),
        (azure(&mock), AZURE_KEY, "A9Z3", "401: Access denied"),
    ] {
        let report = verify(&target, &costly()).await.unwrap();
        assert!(!report.passed());
        let first = &report.rows[0];
        assert!(
            matches!(&first.verdict, Verdict::Error { status: Some(401), message } if message.contains(code)),
            "{report}"
        );
        let table = report.to_string();
        for shown in [secret, tail, ORGANIZATION] {
            assert!(!table.contains(shown), "{shown} in\n{table}");
        }
    }
}

/// Runs `cargo xtask verify`'s program with `args` and only `env` of the
/// variables it reads: its exit code, stdout and stderr.
fn run_verify(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verify"));
    for name in [
        "OPENAI_API_KEY",
        "OPENAI_ORGANIZATION",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_DEPLOYMENT",
    ] {
        command.env_remove(name);
    }
    let output = command
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_program_exits_by_what_it_found() {
    let mock = OpenAiMock::start_with(MockOptions::default().stateless(true)).await;
    let base_url = mock.base_url();
    let clean = tokio::task::spawn_blocking(move || {
        run_verify(&["--base-url", &base_url], &[("OPENAI_API_KEY", KEY)])
    })
    .await
    .unwrap();
    assert_eq!(clean.0, 0, "{clean:?}");
    assert!(
        clean
            .1
            .starts_with(&format!("OpenAI API at {}", mock.base_url())),
        "{}",
        clean.1
    );
    assert!(clean.1.contains("listModels"), "{}", clean.1);

    // Azure's list of models (its own objects) gains a field the spec lacks.
    let mut model = fixture_object(OperationId::ListModels, "azure");
    model.insert("contract_test_extra".into(), Value::Bool(true));
    mock.set_fixture(
        OperationId::ListModels,
        "azure.json",
        serde_json::to_vec(&model).unwrap(),
    )
    .unwrap();
    let endpoint = mock.azure_endpoint();
    let broken = tokio::task::spawn_blocking(move || {
        run_verify(
            &["--azure"],
            &[
                ("AZURE_OPENAI_ENDPOINT", endpoint.as_str()),
                ("AZURE_OPENAI_API_KEY", AZURE_KEY),
                ("AZURE_OPENAI_DEPLOYMENT", DEPLOYMENT),
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(broken.0, 1, "{broken:?}");
    assert!(broken.1.contains("BREAK"), "{}", broken.1);
    assert!(!broken.1.contains(AZURE_KEY), "{}", broken.1);

    let missing = tokio::task::spawn_blocking(|| run_verify(&[], &[]))
        .await
        .unwrap();
    assert_eq!(
        (missing.0, missing.2.as_str()),
        (2, "error: OPENAI_API_KEY is not set\n")
    );
}
