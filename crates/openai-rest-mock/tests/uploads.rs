//! Uploads land in the store's temporary directory as they arrive, in both
//! transports: the store keeps the file where it was written, `/content`
//! reads it back from there, a delete removes it, and an upload broken off
//! by its client leaves nothing behind. One test in its own process, since
//! it points the temporary directory (`TMPDIR`) at a directory of its own
//! to look into.

#[path = "integration/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{KEY, Server, file};
use openai_rest_mock::MockOptions;
use reqwest::multipart::Form;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The files in the mock's upload directories under `root`.
fn uploads_in(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            files.extend(std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()));
        }
    }
    files
}

/// Waits for the uploads under `root` to be `count` (removals run on the
/// blocking pool).
async fn until_uploads(root: &Path, count: usize) {
    for _ in 0..300 {
        if uploads_in(root).len() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("uploads: {:?}, not {count}", uploads_in(root));
}

#[test]
fn uploads_are_written_where_the_store_keeps_them_and_a_broken_one_leaves_nothing() {
    let root =
        std::env::temp_dir().join(format!("openai-rest-mock-uploads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // SAFETY: the only test of this process, before any other thread runs.
    unsafe { std::env::set_var("TMPDIR", &root) };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(uploads(&root));
    std::fs::remove_dir_all(&root).unwrap();
}

async fn uploads(root: &Path) {
    let line = b"{\"prompt\": \"a\", \"completion\": \"b\"}\n";
    // Larger than any single piece a body arrives in.
    let content: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 60_000)
        .collect();
    for server in Server::modes(MockOptions::default()).await {
        let mode = server.mode;
        let form = Form::new()
            .text("purpose", "fine-tune")
            .part("file", file(content.clone(), "train.jsonl"));
        let created = server.post_form("/files", form).await;
        assert_eq!(created.status, 200, "{mode}: {}", created.text());
        let id = created.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(created.json()["bytes"], content.len(), "{mode}");
        let on_disk = uploads_in(root);
        assert_eq!(on_disk.len(), 1, "{mode}: {on_disk:?}");
        assert_eq!(std::fs::read(&on_disk[0]).unwrap(), content, "{mode}");

        let download = server.get(&format!("/files/{id}/content")).await;
        assert_eq!(download.status, 200, "{mode}");
        assert!(download.body == content, "{mode}: not the bytes uploaded");

        if mode == "standalone" {
            // Half of an upload, then the client goes away.
            let addr = server.openai.trim_start_matches("http://");
            let addr = addr.trim_end_matches("/v1");
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST /v1/files HTTP/1.1\r\nhost: mock\r\nauthorization: Bearer {KEY}\r\n\
                 content-type: multipart/form-data; boundary=XyZ\r\ncontent-length: 10000000\r\n\r\n\
                 --XyZ\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
                 --XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(&content[..1_000_000]).await.unwrap();
            until_uploads(root, 2).await;
            drop(stream);
            until_uploads(root, 1).await;
        }

        let deleted = server
            .request("DELETE", &format!("/files/{id}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 200, "{mode}");
        until_uploads(root, 0).await;
    }
}
