#![doc = include_str!("../README.md")]
#![warn(missing_docs, clippy::missing_errors_doc)]

mod admin;
mod answer;
mod azure_shapes;
mod clock;
#[cfg(feature = "server")]
mod connection;
mod error;
mod fake_api;
mod faults;
#[cfg(feature = "server")]
mod fixture_writer;
mod fixtures;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing;
mod generation;
mod handlers;
mod input;
mod json;
mod mock;
mod options;
mod page;
mod params;
#[cfg(feature = "server")]
mod proxy;
mod rate_limit;
mod replies;
mod routes;
#[cfg(feature = "server")]
mod server;
mod store;
mod token_budget;
mod uploads;

pub use faults::{FAULT_HEADER, Fault};
pub use fixtures::{FixtureError, Fixtures};
pub use mock::{ExpectedCalls, OpenAiMock, OperationMatcher, operation};
pub use openai_rest_raw::operations::OperationId;
pub use options::MockOptions;
#[cfg(feature = "server")]
pub use proxy::{Exchange, RecordError, RecordOptions, Recorded, record};
#[cfg(feature = "server")]
pub use server::serve;
/// The wiremock crate the test library runs on: for your own
/// [`Mock`](wiremock::Mock)s on [`OpenAiMock::server`] and for reading
/// [`received_requests`](wiremock::MockServer::received_requests), with the
/// same version as the mock.
pub use wiremock;
