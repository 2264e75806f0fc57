//! What the mock sends back, whoever makes it (a handler, a check, a
//! fault, the admin API): an [`Answer`], its status, headers and [`Body`].
//! The transports (wiremock, hyper) turn it into their own response.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;

use crate::error::ApiError;
use crate::json::Json;

/// What the mock sends back: the one word for it, whoever makes it (a
/// handler, a check, a fault, the admin API).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// Most values are constants: only a few answers format one.
    pub(crate) headers: Vec<(&'static str, Cow<'static, str>)>,
    pub(crate) body: Body,
    /// How long to wait before answering.
    pub(crate) delay: Duration,
}

impl Answer {
    /// A 204: no body, whatever a fixture holds.
    pub(crate) fn no_content() -> Answer {
        Answer {
            status: 204,
            headers: Vec::new(),
            body: Body::Full(Bytes::new()),
            delay: Duration::ZERO,
        }
    }

    /// A success (its status set by the operation, see `handlers::answer`)
    /// with a body of `content_type`.
    pub(crate) fn ok(content_type: Option<&'static str>, body: Body) -> Answer {
        Answer {
            status: 200,
            headers: (content_type)
                .map(|content_type| ("content-type", content_type.into()))
                .into_iter()
                .collect(),
            body,
            delay: Duration::ZERO,
        }
    }

    /// A success with a JSON document.
    pub(crate) fn json(doc: &Json) -> Answer {
        Answer::ok(
            Some("application/json"),
            Body::Full(doc.to_bytes(true).into()),
        )
    }

    pub(crate) fn error(error: &ApiError) -> Answer {
        Answer {
            status: error.status,
            headers: vec![("content-type", "application/json".into())],
            body: Body::Full(error.body()),
            delay: Duration::ZERO,
        }
    }
}

#[derive(Debug)]
pub(crate) enum Body {
    Full(Bytes),
    /// Server-sent events, each `data: ...\n\n`, the last `data: [DONE]`.
    Events(Vec<Bytes>),
    /// Server-sent events as they happen: those so far, then the rest.
    Live(Live),
    /// A stored file's bytes, read as they are sent.
    File {
        file: std::fs::File,
        size: u64,
    },
}

impl Body {
    /// The whole body, as the test library answers (wiremock sends whole
    /// bodies): a live stream's events so far; a stored file read at once.
    pub(crate) fn whole(self) -> std::io::Result<Vec<u8>> {
        Ok(match self {
            Body::Full(bytes) => bytes.to_vec(),
            Body::Events(events) => events.concat(),
            Body::Live(live) => live.now.concat(),
            Body::File { mut file, size } => {
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                std::io::Read::read_to_end(&mut file, &mut bytes)?;
                bytes
            }
        })
    }
}

/// A stream of events that goes on while something (a fine-tune) runs.
pub(crate) struct Live {
    /// The events so far; with `data: [DONE]` last when nothing follows.
    pub(crate) now: Vec<Bytes>,
    /// The events still to come, then `data: [DONE]`; `None` when `now` is
    /// all. Only the standalone server waits for them: wiremock answers
    /// whole bodies.
    pub(crate) rest: Option<LiveStream>,
}

/// Sync too, as hyper's boxed bodies must be.
pub(crate) type LiveStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Bytes> + Send + Sync + 'static>>;

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("now", &self.now)
            .field("rest", &self.rest.as_ref().map(|_| "..."))
            .finish()
    }
}

pub(crate) const DONE: &[u8] = b"data: [DONE]\n\n";
