//! Where the file parts of an upload go as they arrive: nowhere in the
//! stateless mock, which answers from the checks alone; or a new file in a
//! directory, for a store that keeps uploads. A file is removed unless it is
//! kept, so that an upload refused or broken off leaves nothing behind.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;

/// Where the file parts of uploads go.
#[derive(Clone, Debug, Default)]
pub(crate) enum Destination {
    /// Nowhere: only their checks and sizes are kept.
    #[default]
    Discard,
    /// A new file each, in this directory.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the seam for a store that keeps uploads")
    )]
    Directory(PathBuf),
}

impl Destination {
    /// Where the next file part goes.
    pub(crate) async fn open(&self) -> io::Result<Sink> {
        let Destination::Directory(dir) = self else {
            return Ok(Sink {
                file: None,
                stored: None,
            });
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "upload-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let stored = Stored {
            path: dir.join(name),
            kept: false,
        };
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&stored.path)
            .await?;
        Ok(Sink {
            file: Some(file),
            stored: Some(stored),
        })
    }
}

/// A file part on its way to its destination. Dropped before
/// [`finish`](Sink::finish), it removes what it wrote.
pub(crate) struct Sink {
    file: Option<tokio::fs::File>,
    stored: Option<Stored>,
}

impl Sink {
    pub(crate) async fn write(&mut self, piece: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(piece).await,
            None => Ok(()),
        }
    }

    /// The file part is whole: its file, if it has one.
    pub(crate) async fn finish(mut self) -> io::Result<Option<Stored>> {
        if let Some(file) = &mut self.file {
            file.flush().await?;
        }
        Ok(self.stored.take())
    }
}

/// An uploaded file in its destination, removed when dropped unless kept.
#[derive(Debug)]
pub(crate) struct Stored {
    path: PathBuf,
    kept: bool,
}

impl Stored {
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the seam for a store that keeps uploads")
    )]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the file: it is the store's now.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the seam for a store that keeps uploads")
    )]
    pub(crate) fn keep(mut self) -> PathBuf {
        self.kept = true;
        std::mem::take(&mut self.path)
    }
}

impl Drop for Stored {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let path = std::mem::take(&mut self.path);
        // Off the async runtime's threads when there is one.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || std::fs::remove_file(path));
            }
            Err(_) => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("openai-rest-mock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    /// Removal runs on the blocking pool: wait for it.
    async fn until_empty(dir: &Path) {
        for _ in 0..200 {
            if files_in(dir) == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{} still holds {} files", dir.display(), files_in(dir));
    }

    #[tokio::test]
    async fn a_file_broken_off_or_not_kept_is_removed_and_a_kept_one_stays() {
        let dir = temp_dir("uploads");
        let destination = Destination::Directory(dir.clone());

        let mut broken = destination.open().await.unwrap();
        broken.write(b"half of it").await.unwrap();
        assert_eq!(files_in(&dir), 1);
        drop(broken);
        until_empty(&dir).await;

        let mut refused = destination.open().await.unwrap();
        refused.write(b"all of it").await.unwrap();
        let refused = refused.finish().await.unwrap().unwrap();
        assert_eq!(std::fs::read(refused.path()).unwrap(), b"all of it");
        drop(refused);
        until_empty(&dir).await;

        let mut kept = destination.open().await.unwrap();
        kept.write(b"one ").await.unwrap();
        kept.write(b"two").await.unwrap();
        let kept = kept.finish().await.unwrap().unwrap().keep();
        assert_eq!(std::fs::read(&kept).unwrap(), b"one two");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn discarding_writes_nothing() {
        let mut sink = Destination::Discard.open().await.unwrap();
        sink.write(b"bytes").await.unwrap();
        assert!(sink.finish().await.unwrap().is_none());
    }
}
