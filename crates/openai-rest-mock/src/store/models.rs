//! The models resource: the base models every organization saw, the
//! documented ones, and the fine-tuned models the organization made (which
//! it can delete). Models have no lifecycle of their own: a fine-tune adds
//! one when it succeeds.

use std::collections::HashSet;

use bytes::Bytes;
use openai_rest_raw::operations::Api;

use crate::error::ApiError;
use crate::json::Json;

/// The owner the docs print for an organization's own models.
pub(crate) const ORGANIZATION_OWNER: &str = "organization-owner";

/// A model.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub(crate) id: String,
    /// Unix seconds.
    pub(crate) created: Option<u64>,
    pub(crate) owned_by: Option<String>,
    /// The base a fine-tuned model was made from; `None` for a base model.
    pub(crate) root: Option<String>,
    pub(crate) parent: Option<String>,
    /// The rest of the object as the fixture or recording gave it (its
    /// fields' order, its `permission`).
    pub(crate) shape: Json,
}

fn text(doc: &Json, key: &str) -> Option<String> {
    match doc.get(key)? {
        Json::String(text) => Some(text.clone()),
        _ => None,
    }
}

/// Whether `id` names an Azure fine-tuned model (`curie.ft-...`): found by
/// its dot, not a substring search, whose setup costs more than the check
/// of a short id (asked for every completion).
fn is_azure_fine_tune(id: &str) -> bool {
    // A byte loop: a char searcher costs more to set up than a model's
    // name takes to scan, on every request that names one.
    let bytes = id.as_bytes();
    (0..bytes.len()).any(|at| bytes[at] == b'.' && bytes[at..].starts_with(b".ft-"))
}

/// Whether `api` shows the model `id` (see [`Model::is_seen_by`]).
fn is_seen_by(id: &str, api: Api) -> bool {
    api == Api::Azure || !is_azure_fine_tune(id)
}

impl Model {
    /// A model as an object in OpenAI's shape describes it; `None` without
    /// an id.
    pub(crate) fn from_object(object: Json) -> Option<Model> {
        Some(Model {
            id: text(&object, "id")?,
            created: object.get("created").and_then(Json::as_u64),
            owned_by: text(&object, "owned_by"),
            root: text(&object, "root"),
            parent: text(&object, "parent"),
            shape: object,
        })
    }

    /// A base model of `template`'s shape: its own root, with no parent.
    pub(crate) fn base(template: &Json, id: &str) -> Model {
        Model {
            id: id.to_owned(),
            created: template.get("created").and_then(Json::as_u64),
            owned_by: Some("openai".into()),
            root: Some(id.to_owned()),
            parent: None,
            shape: template.clone(),
        }
    }

    /// A fine-tuned model of the organization, made at `created`: its base
    /// is its root and parent.
    pub(crate) fn fine_tuned(template: &Json, id: &str, base: &str, created: u64) -> Model {
        Model {
            id: id.to_owned(),
            created: Some(created),
            owned_by: Some(ORGANIZATION_OWNER.into()),
            root: Some(base.to_owned()),
            parent: Some(base.to_owned()),
            shape: template.clone(),
        }
    }

    /// Whether `api` shows the model. OpenAI never named a model as Azure
    /// names a fine-tuned one (`curie.ft-<job>`): the model of Azure's
    /// examples is Azure's alone, and OpenAI's clients, which read a
    /// fine-tuned model's base from before its `:`, never see it.
    pub(crate) fn is_seen_by(&self, api: Api) -> bool {
        is_seen_by(&self.id, api)
    }

    /// The model in OpenAI's shape.
    pub(crate) fn to_openai(&self) -> Json {
        let text = |value: &Option<String>| value.as_deref().map_or(Json::Null, Json::from);
        let mut object = self.shape.clone();
        object.replace("id", self.id.as_str().into());
        if let Some(created) = self.created {
            object.replace("created", created.into());
        }
        if let Some(owned_by) = &self.owned_by {
            object.replace("owned_by", owned_by.as_str().into());
        }
        object.replace("root", text(&self.root));
        object.replace("parent", text(&self.parent));
        object
    }
}

/// Every model `GET /models` lists, in order: base models first.
#[derive(Debug, Default)]
pub(crate) struct Models {
    models: Vec<Model>,
    /// Their ids: every completion, chat, edit and embedding asks whether
    /// its model is one, and a scan of the list costs more than a lookup.
    ids: foldhash::HashSet<String>,
    /// Those that cannot be deleted: the API's, not the organization's.
    base: HashSet<String>,
    /// `GET /models`'s answer, made once per change: the list most asked
    /// for, and the longest.
    listed: Option<Bytes>,
}

impl Models {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Model> {
        self.models.iter()
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|model| model.id == id)
    }

    /// The model `id` as `api` shows it (see [`Model::is_seen_by`]).
    pub(crate) fn get_for(&self, id: &str, api: Api) -> Option<&Model> {
        self.get(id).filter(|model| model.is_seen_by(api))
    }

    /// Whether `api` shows a model `id`: [`Models::get_for`] is `Some`.
    pub(crate) fn shows(&self, id: &str, api: Api) -> bool {
        self.contains(id) && is_seen_by(id, api)
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// A model the organization made (not the API's).
    pub(crate) fn is_owned(&self, id: &str) -> bool {
        !self.base.contains(id) && self.contains(id)
    }

    /// Adds `model` unless one of its id is known.
    pub(crate) fn add(&mut self, model: Model) {
        if self.ids.insert(model.id.clone()) {
            self.models.push(model);
            self.listed = None;
        }
    }

    /// Marks the models known so far as the API's own, but those `owned`
    /// says the organization owns.
    pub(crate) fn mark_base(&mut self, owned: impl Fn(&Model) -> bool) {
        for model in &self.models {
            if !owned(model) {
                self.base.insert(model.id.clone());
            }
        }
    }

    /// Deletes a fine-tuned model of the organization; a base model is the
    /// API's 403.
    pub(crate) fn delete(&mut self, id: &str) -> Result<(), ApiError> {
        let at = (self.models.iter())
            .position(|model| model.id == id)
            .ok_or_else(|| model_not_found(id, Some("model")))?;
        if self.base.contains(id) {
            return Err(ApiError {
                param: Some("model".into()),
                ..ApiError::invalid_request(
                    403,
                    format!(
                        "You do not have permission to delete the model {id}: only fine-tuned models owned by your organization can be deleted"
                    ),
                )
            });
        }
        self.models.remove(at);
        self.ids.remove(id);
        self.listed = None;
        Ok(())
    }

    /// The list's answer, made by `make` when the models changed since it
    /// was last made.
    pub(crate) fn listed(&mut self, make: impl FnOnce(&[Model]) -> Option<Bytes>) -> Option<Bytes> {
        if self.listed.is_none() {
            self.listed = make(&self.models);
        }
        self.listed.clone()
    }

    /// The answers made from the fixtures are to be made anew.
    pub(crate) fn forget_listed(&mut self) {
        self.listed = None;
    }
}

pub(crate) fn model_not_found(id: &str, param: Option<&str>) -> ApiError {
    ApiError {
        param: param.map(str::to_owned),
        code: Some("model_not_found"),
        ..ApiError::invalid_request(404, format!("The model `{id}` does not exist"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Json {
        serde_json::from_str(
            r#"{"id":"x","object":"model","created":1,"owned_by":"openai","permission":[],"root":"x","parent":null}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_model_named_as_azure_names_them_is_azures_alone() {
        let mut models = Models::default();
        models.add(Model::fine_tuned(&template(), "curie.ft-72a2", "curie", 1));
        models.add(Model::fine_tuned(
            &template(),
            "curie:ft-acmeco-x",
            "curie",
            1,
        ));
        assert!(models.get_for("curie.ft-72a2", Api::Azure).is_some());
        assert!(models.get_for("curie.ft-72a2", Api::OpenAi).is_none());
        assert!(models.get_for("curie:ft-acmeco-x", Api::OpenAi).is_some());
        assert!(models.get_for("curie:ft-acmeco-x", Api::Azure).is_some());
    }

    #[test]
    fn shows_says_what_get_for_finds_through_adds_and_deletes() {
        let mut models = Models::default();
        let ids = ["curie.ft-72a2", "curie:ft-acmeco-x", "davinci", "gone"];
        let agree = |models: &Models| {
            for id in ids {
                for api in [Api::OpenAi, Api::Azure] {
                    let found = models.get_for(id, api).is_some();
                    assert_eq!(models.shows(id, api), found, "{id} {api:?}");
                }
            }
        };
        agree(&models);
        for id in ids {
            models.add(Model::fine_tuned(&template(), id, "curie", 1));
        }
        // A second of the same id is not added.
        models.add(Model::fine_tuned(&template(), "davinci", "curie", 2));
        assert_eq!(models.iter().count(), 4);
        agree(&models);
        models.delete("gone").unwrap();
        assert!(!models.contains("gone"));
        agree(&models);
    }

    #[test]
    fn base_models_cannot_be_deleted_and_fine_tuned_ones_can() {
        let mut models = Models::default();
        models.add(Model::base(&template(), "curie"));
        models.mark_base(|_| false);
        models.add(Model::fine_tuned(&template(), "curie:ft-x", "curie", 5));
        assert!(models.is_owned("curie:ft-x") && !models.is_owned("curie"));
        assert_eq!(models.delete("curie").unwrap_err().status, 403);
        models.delete("curie:ft-x").unwrap();
        assert_eq!(models.delete("curie:ft-x").unwrap_err().status, 404);
    }

    #[test]
    fn the_list_is_made_again_after_a_change() {
        let mut models = Models::default();
        models.add(Model::base(&template(), "ada"));
        let made = |models: &[Model]| Some(Bytes::from(models.len().to_string()));
        assert_eq!(models.listed(made).unwrap(), "1");
        models.add(Model::fine_tuned(&template(), "ada:ft-x", "ada", 5));
        assert_eq!(models.listed(made).unwrap(), "2");
    }

    #[test]
    fn a_fine_tuned_model_shows_its_base_and_owner() {
        let shown = Model::fine_tuned(&template(), "ada:ft-x", "ada", 5).to_openai();
        assert_eq!(shown.get("parent"), Some(&Json::from("ada")));
        assert_eq!(shown.get("owned_by"), Some(&Json::from(ORGANIZATION_OWNER)));
        assert_eq!(shown.get("created"), Some(&Json::from(5u64)));
        let base = Model::base(&template(), "ada").to_openai();
        assert_eq!(base.get("parent"), Some(&Json::Null));
        assert_eq!(base.get("root"), Some(&Json::from("ada")));
    }
}
