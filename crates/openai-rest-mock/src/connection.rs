//! What the standalone server allows a client connection: how long it may
//! take to send a request's head, how long it may stay idle between two
//! requests, and how long a request body may stall. A connection's watchdog
//! closes it when it overstays; the body timeout is applied where bodies
//! are read.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long the server waits on a client, and how many clients it serves
/// at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// From a connection's first byte (or its opening) to the end of the
    /// request's head.
    pub(crate) header_timeout: Duration,
    /// Between the end of an answer and the first byte of the next request
    /// on a kept-alive connection.
    pub(crate) idle_timeout: Duration,
    /// The longest a request body may send nothing.
    pub(crate) body_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub(crate) max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Reading a request's head (or waiting for a new connection's first).
const HEAD: u8 = 0;
/// Answering a request, from its head read to its answer's last byte.
const BUSY: u8 = 1;
/// Waiting for the next request.
const IDLE: u8 = 2;

/// What a connection is doing, and since when: shared by its reads, its
/// requests and its watchdog.
#[derive(Debug)]
pub(crate) struct Activity {
    opened: Instant,
    phase: AtomicU8,
    /// Milliseconds from `opened` to the start of the phase.
    since: AtomicU64,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            opened: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
        })
    }

    fn enter(&self, phase: u8) {
        let millis = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since.store(millis, Ordering::Relaxed);
        // Release: whoever reads the phase reads a `since` as new.
        self.phase.store(phase, Ordering::Release);
    }

    /// A request's head is read: its answer is under way. No clock read:
    /// a busy connection has no deadline, so its `since` is never read.
    pub(crate) fn busy(&self) {
        self.phase.store(BUSY, Ordering::Release);
    }

    /// The answer is sent: wait for the next request.
    pub(crate) fn idle(&self) {
        self.enter(IDLE);
    }

    /// When the connection is to be closed unless it moves on; none while
    /// a request is answered (the body timeout covers a stalled body).
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let timeout = match self.phase.load(Ordering::Acquire) {
            HEAD => limits.header_timeout,
            IDLE => limits.idle_timeout,
            _ => return None,
        };
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        Some(self.opened + since + timeout)
    }

    /// Completes when the connection has waited too long for a request's
    /// head, or for the next request; the caller then closes it.
    pub(crate) async fn overstayed(&self, limits: &Limits) -> &'static str {
        loop {
            match self.deadline(limits) {
                Some(deadline) if deadline <= Instant::now() => {
                    return match self.phase.load(Ordering::Acquire) {
                        IDLE => "idle",
                        _ => "no complete request head",
                    };
                }
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                // Busy: look again after the shorter timeout.
                None => {
                    tokio::time::sleep(limits.header_timeout.min(limits.idle_timeout)).await;
                }
            }
        }
    }
}

/// A client's stream, which marks the start of a request's head on the
/// first byte read after an idle wait.
pub(crate) struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    pub(crate) fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Watched { stream, activity }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(())))
            && buf.filled().len() > before
            && self.activity.phase.load(Ordering::Relaxed) == IDLE
        {
            self.activity.enter(HEAD);
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_follows_the_phase() {
        let limits = Limits {
            header_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(7),
            ..Limits::default()
        };
        let activity = Activity::new();
        let head = activity.deadline(&limits).unwrap();
        assert_eq!(head, activity.opened + Duration::from_secs(3));
        activity.busy();
        assert_eq!(activity.deadline(&limits), None);
        activity.idle();
        let idle = activity.deadline(&limits).unwrap();
        assert!(idle >= activity.opened + Duration::from_secs(7), "{idle:?}");
        assert!(idle <= Instant::now() + Duration::from_secs(7), "{idle:?}");
    }
}
