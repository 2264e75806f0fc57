//! A list answer: `{"object": "list", "data": [...]}` on both APIs.

/// A list the API answered (files, fine-tunes, events, models): its items
/// in `data`, in the API's order.
///
/// ```
/// use openai_rest_client::List;
///
/// let list = List { object: "list".to_owned(), data: vec![1, 2] };
/// assert_eq!(list.data.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct List<T> {
    /// Always `list`.
    pub object: String,
    /// The items.
    pub data: Vec<T>,
}

impl<T> List<T> {
    /// The list with each item converted from the raw type the API's answer
    /// decoded into.
    pub(crate) fn from_raw<R>(object: String, data: Vec<R>) -> List<T>
    where
        T: From<R>,
    {
        List {
            object,
            data: data.into_iter().map(T::from).collect(),
        }
    }
}
