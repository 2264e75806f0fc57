//! `--help` at every level, every documented operation with a subcommand,
//! and the shell completions.

use openai_rest_raw::operations::OPERATIONS;

use crate::mock::{openai, run};

/// The subcommand of each operationId of both specs.
fn subcommand(operation: &str) -> &'static str {
    match operation {
        "listModels" => "models.list",
        "retrieveModel" => "models.get",
        "deleteModel" => "models.delete",
        "listEngines" => "engines.list",
        "retrieveEngine" => "engines.get",
        "createCompletion" => "completions.create",
        "createChatCompletion" => "chat_completions.create",
        "createEdit" => "edits.create",
        "createEmbedding" => "embeddings.create",
        "createModeration" => "moderations.create",
        "createImage" => "image.create",
        "createImageEdit" => "image.create_edit",
        "createImageVariation" => "image.create_variation",
        "createTranscription" => "audio.transcribe",
        "createTranslation" => "audio.translate",
        "createFile" => "files.create",
        "listFiles" => "files.list",
        "retrieveFile" => "files.get",
        "deleteFile" => "files.delete",
        "downloadFile" => "files.download",
        "importFile" => "files.import",
        "createFineTune" => "fine_tunes.create",
        "listFineTunes" => "fine_tunes.list",
        "retrieveFineTune" => "fine_tunes.get",
        "cancelFineTune" => "fine_tunes.cancel",
        "listFineTuneEvents" => "fine_tunes.events",
        "deleteFineTune" => "fine_tunes.delete",
        "listDeployments" => "deployments.list",
        "retrieveDeployment" => "deployments.get",
        "createDeployment" => "deployments.create",
        "updateDeployment" => "deployments.update",
        "deleteDeployment" => "deployments.delete",
        other => panic!("{other} has no subcommand"),
    }
}

#[test]
fn every_documented_operation_has_a_subcommand_with_help() {
    let help = run(openai().args(["api", "--help"]));
    let listed = help.ok();
    for operation in OPERATIONS {
        let name = subcommand(operation.id.as_str());
        assert!(
            listed.contains(name),
            "`openai api --help` lacks {name}:\n{listed}"
        );
        let own = run(openai().args(["api", name, "--help"]));
        assert!(own.ok().contains("Usage: openai api"), "{own:#?}");
    }
    for extra in [
        "fine_tunes.follow",
        "fine_tunes.results",
        "fine_tunes.delete_model",
        "images.generate",
        "images.edit",
    ] {
        assert!(listed.contains(extra), "`openai api --help` lacks {extra}");
    }
}

#[test]
fn the_top_levels_help() {
    let top = run(openai().arg("--help"));
    for word in [
        "api",
        "tools",
        "completion",
        "--api-type",
        "--api-base",
        "--api-version",
        "--deployment",
        "OPENAI_API_KEY",
    ] {
        assert!(top.ok().contains(word), "no {word} in {top:#?}");
    }
    let tools = run(openai().args(["tools", "--help"]));
    assert!(tools.ok().contains("fine_tunes.prepare_data"), "{tools:#?}");
    // No subcommand: the usage, and a usage error.
    let bare = run(&mut openai());
    assert!(bare.failed(2).contains("Usage: openai"), "{bare:#?}");
    let version = run(openai().arg("--version"));
    assert_eq!(
        version.ok().trim(),
        format!("openai {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run(openai().args(["completion", shell]));
        assert!(
            script.ok().contains("fine_tunes.prepare_data"),
            "{shell}: {script:#?}"
        );
    }
}
