//! Where the file parts of an upload go as they arrive: nowhere in the
//! stateless mock, which answers from the checks alone; or a new file in
//! the store's directory, counted against its limit as it grows. A file is
//! removed unless the store keeps it, so that an upload refused or broken
//! off leaves nothing behind. Nothing here blocks an async runtime's
//! threads: files are written, and removed, on its blocking pool.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

/// Where the file parts of uploads go.
#[derive(Clone, Debug, Default)]
pub(crate) enum Destination {
    /// Nowhere: only their checks and sizes are kept.
    #[default]
    Discard,
    /// A new file each, in this directory.
    Directory(Arc<Shelf>),
}

/// A temporary directory for uploads, made with the first one and removed
/// with its files when dropped, and the bytes its files may hold in all.
#[derive(Debug)]
pub(crate) struct Shelf {
    dir: OnceCell<tempfile::TempDir>,
    limit: u64,
    /// The bytes of the files kept and of those being written.
    used: AtomicU64,
}

/// A file part would take the shelf over its limit of this many bytes.
#[derive(Debug)]
pub(crate) struct Full(pub(crate) u64);

/// Why a file part was not written.
#[derive(Debug)]
pub(crate) enum WriteError {
    Full(Full),
    Io(io::Error),
}

impl From<io::Error> for WriteError {
    fn from(error: io::Error) -> Self {
        WriteError::Io(error)
    }
}

impl Shelf {
    pub(crate) fn new(limit: u64) -> Shelf {
        Shelf {
            dir: OnceCell::new(),
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// Counts `bytes` more against the limit, unless they would cross it.
    pub(crate) fn reserve(&self, bytes: u64) -> Result<(), Full> {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .map(drop)
            .map_err(|_| Full(self.limit))
    }

    /// Counts `bytes` no more: a file removed, or never kept.
    pub(crate) fn release(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    async fn dir(&self) -> io::Result<&Path> {
        let dir = self
            .dir
            .get_or_try_init(|| async {
                let made = tokio::task::spawn_blocking(|| {
                    tempfile::Builder::new()
                        .prefix("openai-rest-mock-")
                        .tempdir()
                })
                .await;
                made.map_err(io::Error::other)?
            })
            .await?;
        Ok(dir.path())
    }
}

impl Destination {
    /// Where the next file part goes.
    pub(crate) async fn open(&self) -> io::Result<Sink> {
        let Destination::Directory(shelf) = self else {
            return Ok(Sink {
                file: None,
                stored: None,
            });
        };
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = shelf
            .dir()
            .await?
            .join(format!("upload-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Sink {
            file: Some(file),
            stored: Some(Stored {
                path,
                size: 0,
                shelf: Some(shelf.clone()),
            }),
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
    /// Writes the next piece; an error once the shelf is full.
    pub(crate) async fn write(&mut self, piece: &[u8]) -> Result<(), WriteError> {
        let (Some(file), Some(stored)) = (&mut self.file, &mut self.stored) else {
            return Ok(());
        };
        if let Some(shelf) = &stored.shelf {
            shelf
                .reserve(piece.len() as u64)
                .map_err(WriteError::Full)?;
        }
        stored.size += piece.len() as u64;
        file.write_all(piece).await?;
        Ok(())
    }

    /// The file part is whole: its file, if it has one.
    pub(crate) async fn finish(mut self) -> io::Result<Option<Stored>> {
        if let Some(file) = &mut self.file {
            file.flush().await?;
        }
        Ok(self.stored.take())
    }
}

/// An uploaded file in its destination, removed (and no more counted)
/// when dropped unless kept.
#[derive(Debug)]
pub(crate) struct Stored {
    path: PathBuf,
    size: u64,
    /// `None` once kept.
    shelf: Option<Arc<Shelf>>,
}

impl Stored {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the file where it is, still counted against its shelf's limit:
    /// the store's now, which removes it and releases its bytes itself.
    pub(crate) fn keep(mut self) -> PathBuf {
        self.shelf = None;
        std::mem::take(&mut self.path)
    }
}

impl Drop for Stored {
    fn drop(&mut self) {
        if let Some(shelf) = self.shelf.take() {
            shelf.release(self.size);
            remove(std::mem::take(&mut self.path));
        }
    }
}

/// Removes a file, off the async runtime's threads when there is one.
pub(crate) fn remove(path: PathBuf) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || std::fs::remove_file(path));
        }
        Err(_) => {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let shelf = Arc::new(Shelf::new(1024));
        let destination = Destination::Directory(shelf.clone());

        let mut broken = destination.open().await.unwrap();
        broken.write(b"half of it").await.unwrap();
        let dir = shelf.dir().await.unwrap().to_owned();
        assert_eq!(files_in(&dir), 1);
        assert_eq!(shelf.used.load(Ordering::Relaxed), 10);
        drop(broken);
        until_empty(&dir).await;
        assert_eq!(shelf.used.load(Ordering::Relaxed), 0);

        let mut refused = destination.open().await.unwrap();
        refused.write(b"all of it").await.unwrap();
        let refused = refused.finish().await.unwrap().unwrap();
        assert_eq!(std::fs::read(&refused.path).unwrap(), b"all of it");
        drop(refused);
        until_empty(&dir).await;

        let mut kept = destination.open().await.unwrap();
        kept.write(b"one ").await.unwrap();
        kept.write(b"two").await.unwrap();
        let kept = kept.finish().await.unwrap().unwrap();
        assert_eq!(kept.size(), 7);
        let kept = kept.keep();
        assert_eq!(std::fs::read(&kept).unwrap(), b"one two");
        assert_eq!(shelf.used.load(Ordering::Relaxed), 7);
    }

    #[tokio::test]
    async fn a_file_that_would_fill_the_shelf_is_refused_as_it_grows() {
        let shelf = Arc::new(Shelf::new(10));
        let destination = Destination::Directory(shelf.clone());
        let mut sink = destination.open().await.unwrap();
        sink.write(b"123456").await.unwrap();
        let error = sink.write(b"7890a").await.unwrap_err();
        assert!(matches!(error, WriteError::Full(Full(10))), "{error:?}");
        drop(sink);
        assert_eq!(shelf.used.load(Ordering::Relaxed), 0);
        shelf.reserve(10).unwrap();
        assert!(shelf.reserve(1).is_err());
    }

    #[tokio::test]
    async fn discarding_writes_nothing() {
        let mut sink = Destination::Discard.open().await.unwrap();
        sink.write(b"bytes").await.unwrap();
        assert!(sink.finish().await.unwrap().is_none());
    }
}
