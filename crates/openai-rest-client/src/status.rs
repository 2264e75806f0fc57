//! Where a file or a fine-tune job is, in one vocabulary for both APIs.

use openai_rest_raw::azure::types::State;

/// The status of a [`File`](crate::files::File) or a
/// [`FineTune`](crate::fine_tunes::FineTune), the same on both backends.
///
/// OpenAI and Azure name the same states differently: a file OpenAI calls
/// `uploaded` (not yet checked) is `notRunning` on Azure, a job OpenAI calls
/// `cancelled` is `canceled` on Azure. Each state is one value here, and
/// what the API sent can be told from it and the object's kind; a word
/// neither API documented is kept as [`Status::Other`].
///
/// ```
/// use openai_rest_client::Status;
/// use openai_rest_client::types::State;
///
/// // Azure's `canceled` is OpenAI's `cancelled`.
/// assert_eq!(Status::from(State::Canceled), Status::Cancelled);
/// assert_eq!(Status::from(State::NotRunning), Status::Pending);
/// assert!(Status::Cancelled.is_final());
/// assert!(!Status::Pending.is_final());
/// assert_eq!(Status::Other("paused".into()).to_string(), "paused");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Not started yet: a job OpenAI calls `pending`, a file it calls
    /// `uploaded` (not checked yet); Azure's `notRunning`.
    Pending,
    /// `running`: a job at work (on Azure, also a file being checked).
    Running,
    /// Done: a job's `succeeded`, a checked file OpenAI calls `processed`;
    /// Azure's `succeeded`.
    Succeeded,
    /// OpenAI's `cancelled`, Azure's `canceled`.
    Cancelled,
    /// `failed`; a file OpenAI could not process says `error`.
    Failed,
    /// `deleted`.
    Deleted,
    /// A status neither API documented, as it was sent.
    Other(String),
}

impl Status {
    /// Whether the file or job has reached its end: succeeded, cancelled,
    /// failed or deleted.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Status::Succeeded | Status::Cancelled | Status::Failed | Status::Deleted
        )
    }

    /// A status as OpenAI sends it, for a file or a job.
    pub(crate) fn from_openai(status: String) -> Status {
        match status.as_str() {
            "pending" | "uploaded" => Status::Pending,
            "running" => Status::Running,
            "succeeded" | "processed" => Status::Succeeded,
            "cancelled" => Status::Cancelled,
            "failed" | "error" => Status::Failed,
            "deleted" => Status::Deleted,
            _ => Status::Other(status),
        }
    }
}

impl From<State> for Status {
    fn from(state: State) -> Status {
        match state {
            State::NotRunning => Status::Pending,
            State::Running => Status::Running,
            State::Succeeded => Status::Succeeded,
            State::Canceled => Status::Cancelled,
            State::Failed => Status::Failed,
            State::Deleted => Status::Deleted,
        }
    }
}

/// Encoded as its [`Display`](std::fmt::Display) word.
impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::fmt::Display for Status {
    /// The state in OpenAI's words for a job (`pending`, `running`,
    /// `succeeded`, `cancelled`, `failed`, `deleted`), or the word sent.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Cancelled => "cancelled",
            Status::Failed => "failed",
            Status::Deleted => "deleted",
            Status::Other(status) => status,
        })
    }
}
