//! The cursor the current official SDKs send on lists, honoured on lists
//! that had none in 2023.
//!
//! openai-python 1.x pages `client.files.list()` by asking again with
//! `?after=<the last id>` until a page says `"has_more": false` or comes
//! back empty, and openai-node 4.x does the same (it takes a missing
//! `has_more` for `false`). A list that ignored the cursor would send the
//! same page for ever. So on every list (OpenAI's and Azure's), `after`
//! starts the page after the item of that id and `limit` cuts it; a page
//! asked for with either says `has_more`. A request with neither gets the
//! list exactly as the API of 2023 sent it.

use bytes::Bytes;
use openai_rest_raw::operations::OperationId;

use crate::error::Invalid;
use crate::json::Json;

/// The largest `limit` the API took when it paged its lists.
const MAX_LIMIT: u64 = 10_000;

/// A page of a list that the request asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Page {
    /// The id of the item the page starts after.
    after: Option<String>,
    /// The most items on the page.
    limit: Option<u64>,
}

impl Page {
    /// The page `query` asks of `operation`: `None` for an operation that
    /// is not a list, or a request that names no page.
    pub(crate) fn from_query(
        operation: OperationId,
        query: &[(String, String)],
    ) -> Result<Option<Page>, Invalid> {
        use OperationId::*;
        let is_list = matches!(
            operation,
            ListFiles
                | ListFineTunes
                | ListFineTuneEvents
                | ListModels
                | ListEngines
                | ListDeployments
        );
        let value = |name: &str| {
            (query.iter())
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let (after, limit) = (value("after"), value("limit"));
        if !is_list || (after.is_none() && limit.is_none()) {
            return Ok(None);
        }
        let limit = limit
            .map(|limit| {
                limit
                    .parse::<u64>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        Invalid::new(
                            Some("limit"),
                            format!(
                                "Invalid limit '{limit}': it must be a whole number from 1 to {MAX_LIMIT}"
                            ),
                        )
                    })
            })
            .transpose()?;
        Ok(Some(Page {
            after: after.map(str::to_owned),
            limit,
        }))
    }

    /// The page of the list answer `body`: the items after the cursor (none
    /// when no item has its id, as after the last one, or when it was
    /// deleted since), at most `limit` of them, and whether more follow.
    /// `None` when `body` is not a list.
    pub(crate) fn of(&self, body: &[u8]) -> Option<Bytes> {
        let mut list: Json = serde_json::from_slice(body).ok()?;
        let Json::Object(fields) = &mut list else {
            return None;
        };
        let data = fields
            .iter_mut()
            .find_map(|(key, value)| (key == "data").then_some(value))?
            .as_array_mut()?;
        let start = match &self.after {
            None => 0,
            Some(after) => (data.iter())
                .position(|item| matches!(item.get("id"), Some(Json::String(id)) if id == after))
                .map_or(data.len(), |at| at + 1),
        };
        let end = self.limit.map_or(data.len(), |limit| {
            data.len().min(start.saturating_add(limit as usize))
        });
        let has_more = end < data.len();
        data.truncate(end);
        data.drain(..start.min(end));
        fields.retain(|(key, _)| key != "has_more");
        fields.push(("has_more".into(), Json::Bool(has_more)));
        Some(list.to_bytes(true).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        (pairs.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn page(pairs: &[(&str, &str)]) -> Page {
        Page::from_query(OperationId::ListFiles, &query(pairs))
            .unwrap()
            .unwrap()
    }

    const LIST: &str = r#"{"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}"#;

    fn ids_and_more(page: &Page) -> (Vec<String>, bool) {
        let body: serde_json::Value =
            serde_json::from_slice(&page.of(LIST.as_bytes()).unwrap()).unwrap();
        let ids = body["data"].as_array().unwrap().iter();
        let ids = ids
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect();
        (ids, body["has_more"].as_bool().unwrap())
    }

    #[test]
    fn a_plain_list_request_names_no_page() {
        assert_eq!(Page::from_query(OperationId::ListFiles, &[]).unwrap(), None);
        let other = query(&[("api-version", "2022-12-01"), ("order", "desc")]);
        assert_eq!(
            Page::from_query(OperationId::ListFiles, &other).unwrap(),
            None
        );
    }

    #[test]
    fn operations_other_than_lists_have_no_pages() {
        let cursor = query(&[("after", "a"), ("limit", "0")]);
        assert_eq!(
            Page::from_query(OperationId::RetrieveFile, &cursor).unwrap(),
            None
        );
    }

    #[test]
    fn after_starts_past_the_cursor_and_ends_empty() {
        assert_eq!(
            ids_and_more(&page(&[("after", "a")])),
            (vec!["b".into(), "c".into()], false)
        );
        assert_eq!(ids_and_more(&page(&[("after", "c")])), (vec![], false));
    }

    #[test]
    fn an_unknown_cursor_is_past_the_end() {
        // As after an item deleted while the list was paged through.
        assert_eq!(ids_and_more(&page(&[("after", "gone")])), (vec![], false));
    }

    #[test]
    fn limit_cuts_the_page_and_says_more_follow() {
        assert_eq!(
            ids_and_more(&page(&[("limit", "2")])),
            (vec!["a".into(), "b".into()], true)
        );
        assert_eq!(
            ids_and_more(&page(&[("after", "a"), ("limit", "1")])),
            (vec!["b".into()], true)
        );
        assert_eq!(
            ids_and_more(&page(&[("after", "b"), ("limit", "1")])),
            (vec!["c".into()], false)
        );
    }

    #[test]
    fn a_limit_out_of_range_is_refused_by_name() {
        for limit in ["0", "10001", "-1", "ten", ""] {
            let error =
                Page::from_query(OperationId::ListFiles, &query(&[("limit", limit)])).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("limit"), "{limit}");
            assert!(error.message.contains(limit), "{}", error.message);
        }
    }

    #[test]
    fn the_envelope_keeps_its_other_fields_in_order() {
        let body = page(&[("after", "a")]).of(LIST.as_bytes()).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        let object = text.find("\"object\"").unwrap();
        let data = text.find("\"data\"").unwrap();
        let more = text.find("\"has_more\"").unwrap();
        assert!(object < data && data < more, "{text}");
    }

    #[test]
    fn a_body_that_is_not_a_list_is_left_alone() {
        let cursor = page(&[("after", "a")]);
        assert_eq!(cursor.of(br#"{"id": "a"}"#), None);
        assert_eq!(cursor.of(b"not json"), None);
    }
}
