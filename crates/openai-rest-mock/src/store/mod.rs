//! The mock's memory, so that it behaves like the API over a sequence of
//! calls: one file per resource (files, models, fine-tunes, deployments),
//! each a typed record with its lifecycle, in the shape of OpenAI's objects
//! (the handlers show them in Azure's at the edge); the store's seed
//! (`seed.rs`). This module holds them under one lock, so that concurrent
//! clients lose no update and never see a half-made object, and moves them
//! in time by [`Store::advance`], which the request pipeline calls once per
//! request, and applies what one resource's lifecycle makes for another.

pub(crate) mod deployments;
pub(crate) mod files;
pub(crate) mod fine_tunes;
pub(crate) mod ids;
pub(crate) mod models;
mod seed;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use openai_rest_raw::operations::OperationId;

use crate::clock::Clock;
use crate::fixtures::{Content, Fixtures};
use crate::json::Json;
use crate::routes::Route;
use crate::uploads::{self, Destination, Shelf};

use deployments::Deployments;
use files::{File, FileContent, Files};
use fine_tunes::{FineTunes, Made};
use models::{Model, Models};

/// The docs: "the size of all the files uploaded by one organization can be
/// up to 1 GB".
const MAX_STORED_BYTES: u64 = 1 << 30;

pub(crate) struct Store {
    /// Shared with the pipeline, whose rate limits count on it too.
    clock: Arc<Clock>,
    /// The shapes of the objects the store makes, from the fixtures.
    pub(crate) templates: Templates,
    /// Where uploads are written as they arrive, and the bytes they hold
    /// against the 1 GB.
    shelf: Arc<Shelf>,
    state: Mutex<State>,
}

/// The shapes of new objects: the fixtures' examples.
pub(crate) struct Templates {
    pub(crate) file: Json,
    pub(crate) model: Json,
}

/// Every resource.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) files: Files,
    pub(crate) models: Models,
    pub(crate) fine_tunes: FineTunes,
    pub(crate) deployments: Deployments,
}

impl Store {
    pub(crate) fn new(fixtures: &Fixtures, clock: Arc<Clock>) -> Store {
        let template = |operation| json(fixtures, operation).cloned().unwrap_or(Json::Null);
        let templates = Templates {
            file: template(OperationId::CreateFile),
            model: template(OperationId::RetrieveModel),
        };
        let state = seed::seeded(fixtures, &clock, &templates);
        Store {
            clock,
            templates,
            shelf: Arc::new(Shelf::new(MAX_STORED_BYTES)),
            state: Mutex::new(state),
        }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Back to the documented objects (the clock goes on); the uploads'
    /// bytes are removed from disk.
    pub(crate) fn reset(&self, fixtures: &Fixtures) {
        let seeded = seed::seeded(fixtures, &self.clock, &self.templates);
        let mut old = std::mem::replace(&mut *self.lock(), seeded);
        for file in old.files.drain() {
            self.remove(file);
        }
    }

    /// Where the file parts of uploads to `route` go: the store's
    /// directory, each counted against the 1 GB as it arrives, for a file
    /// the store keeps (`POST /files`); nowhere for the others, which are
    /// answered from their checks.
    pub(crate) fn destination(&self, route: &Route) -> Destination {
        match route.operation.id {
            OperationId::CreateFile => Destination::Directory(self.shelf.clone()),
            _ => Destination::Discard,
        }
    }

    /// Removes a file's bytes from disk (off the runtime's threads), if it
    /// has any there.
    pub(crate) fn remove(&self, file: File) {
        if let FileContent::Disk { path, size } = file.content {
            self.shelf.release(size);
            uploads::remove(path);
        }
    }

    pub(crate) fn advance_clock(&self, by: std::time::Duration) {
        self.clock.advance(by);
    }

    /// Every lifecycle takes the steps due by the clock's now. The one way
    /// time moves in the store: called once per request, before its answer.
    pub(crate) fn advance(&self) {
        let now = self.clock.elapsed();
        let mut state = self.lock();
        let State {
            files,
            models,
            fine_tunes,
            deployments,
        } = &mut *state;
        files.advance(now, &self.clock);
        for made in fine_tunes.advance(now, &self.clock, &self.templates.file) {
            match made {
                Made::ResultsFile(file) => files.push(file),
                Made::Model { id, base, created } => {
                    models.add(Model::fine_tuned(
                        &self.templates.model,
                        &id,
                        &base,
                        created,
                    ));
                }
            }
        }
        deployments.advance(now, &self.clock);
    }

    /// The state, as the last [`Store::advance`] left it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fixtures changed: the answers made from them are to be made
    /// anew.
    pub(crate) fn fixtures_changed(&self) {
        self.lock().models.forget_listed();
    }
}

/// A fixture's JSON document.
pub(crate) fn json(fixtures: &Fixtures, operation: OperationId) -> Option<&Json> {
    json_case(fixtures, operation, "response")
}

/// The JSON document of the fixture `case` of `operation`.
pub(crate) fn json_case<'a>(
    fixtures: &'a Fixtures,
    operation: OperationId,
    case: &str,
) -> Option<&'a Json> {
    match &fixtures.case(operation, case)?.content {
        Content::Json(doc) => Some(doc),
        _ => None,
    }
}
