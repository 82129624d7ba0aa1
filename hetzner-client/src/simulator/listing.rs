//! The list every endpoint shares: `name` and `label_selector` filters, `sort`, and
//! `page`/`per_page`, over borrowed entries. Filters and sort read the entries in place (a
//! sort computes one key per entry and field); only the entries of the requested page are
//! serialised, so a list costs O(page) JSON however many entries the project holds.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Value, json};

use super::generic::labels_of;
use super::state::{Query, Reply};
use crate::labels::{LabelSelector, Labels};
use crate::models::action::Action;
use crate::models::firewall::Firewall;
use crate::models::image::Image;
use crate::models::ssh_key::SshKey;

/// Fields a list may be sorted by.
const SORT_FIELDS: &[&str] = &[
    "id",
    "name",
    "created",
    "status",
    "command",
    "description",
    "started",
    "finished",
    "type",
    "size",
];

/// What the shared list needs of an entry.
pub(crate) trait Listed {
    /// Its name, for `name=`.
    fn name(&self) -> Option<&str>;
    /// Its labels, for `label_selector=` (`None`: the kind has none, no selector matches).
    fn labels(&self) -> Option<Cow<'_, Labels>>;
    /// The entry as the API answers it.
    fn json(&self) -> Value;
    /// The value of the sort field `field` (`null` when absent).
    fn field(&self, field: &str) -> Value {
        self.json().get(field).cloned().unwrap_or(Value::Null)
    }
    /// The sort field `field` as borrowed text, when it is a string held as one (`name`):
    /// sorting by it then copies nothing.
    fn text(&self, _field: &str) -> Option<&str> {
        None
    }
}

impl Listed for Value {
    fn name(&self) -> Option<&str> {
        self.get("name").and_then(Value::as_str)
    }

    fn labels(&self) -> Option<Cow<'_, Labels>> {
        Some(Cow::Owned(labels_of(self)))
    }

    fn json(&self) -> Value {
        self.clone()
    }

    fn field(&self, field: &str) -> Value {
        self.get(field).cloned().unwrap_or(Value::Null)
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }
}

/// The JSON of one field of a typed entry.
fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `Listed` for a kind with a name, labels and a creation time, sortable by `id`, `name` and
/// `created` (firewalls and SSH keys).
macro_rules! listed_by_name {
    ($($kind:ty),+) => {$(
        impl Listed for $kind {
            fn name(&self) -> Option<&str> {
                Some(&self.name)
            }

            fn labels(&self) -> Option<Cow<'_, Labels>> {
                Some(Cow::Borrowed(&self.labels))
            }

            fn json(&self) -> Value {
                to_json(self)
            }

            fn field(&self, field: &str) -> Value {
                match field {
                    "id" => json!(self.id),
                    "name" => json!(self.name),
                    "created" => to_json(&self.created),
                    _ => Value::Null,
                }
            }

            fn text(&self, field: &str) -> Option<&str> {
                (field == "name").then_some(self.name.as_str())
            }
        }
    )+};
}

listed_by_name!(Firewall, SshKey);

impl Listed for Image {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn labels(&self) -> Option<Cow<'_, Labels>> {
        Some(Cow::Borrowed(&self.labels))
    }

    fn json(&self) -> Value {
        to_json(self)
    }
}

impl Listed for Action {
    fn name(&self) -> Option<&str> {
        None
    }

    fn labels(&self) -> Option<Cow<'_, Labels>> {
        None
    }

    fn json(&self) -> Value {
        to_json(self)
    }

    fn field(&self, field: &str) -> Value {
        match field {
            "id" => json!(self.id),
            "command" => json!(self.command),
            "status" => to_json(&self.status),
            "started" => to_json(&self.started),
            "finished" => to_json(&self.finished),
            _ => Value::Null,
        }
    }
}

/// A precomputed sort key: numbers compare as numbers, strings as themselves, anything else
/// by its JSON text.
struct Key<'a> {
    number: Option<f64>,
    text: Cow<'a, str>,
}

impl<'a> Key<'a> {
    /// The key of `item` for `field`, borrowed where the entry holds it as text.
    fn of<T: Listed + ?Sized>(item: &'a T, field: &str) -> Self {
        if let Some(text) = item.text(field) {
            return Self {
                number: None,
                text: Cow::Borrowed(text),
            };
        }
        let value = item.field(field);
        let text = match &value {
            Value::String(s) => s.clone(),
            Value::Number(_) => String::new(),
            other => other.to_string(),
        };
        Self {
            number: value.as_f64(),
            text: Cow::Owned(text),
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number, other.number) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => self.text.cmp(&other.text),
        }
    }
}

/// The `sort` parameters as `(field, descending)`, or the `invalid_input` reply.
fn sorts(query: &Query) -> Result<Vec<(&str, bool)>, Reply> {
    query
        .all("sort")
        .into_iter()
        .map(|sort| {
            let (field, order) = sort.split_once(':').unwrap_or((sort, "asc"));
            match (SORT_FIELDS.contains(&field), order) {
                (true, "asc") => Ok((field, false)),
                (true, "desc") => Ok((field, true)),
                _ => Err(Reply::invalid("sort", "invalid sort field or order")),
            }
        })
        .collect()
}

/// Filters, sorts and paginates `items` the way every list endpoint does, answering
/// `{ key: [...], meta: { pagination } }` with only the page's entries serialised.
pub(crate) fn list<T: Listed + ?Sized>(key: &str, items: Vec<&T>, query: &Query) -> Reply {
    let mut items = items;
    if let Some(name) = query.get("name") {
        items.retain(|item| item.name() == Some(name));
    }
    if let Some(selector) = query.get("label_selector") {
        let Ok(selector) = LabelSelector::parse(selector) else {
            return Reply::invalid("label_selector", "invalid label selector");
        };
        items.retain(|item| item.labels().is_some_and(|l| selector.matches(&l)));
    }
    let sorts = match sorts(query) {
        Ok(sorts) => sorts,
        Err(reply) => return reply,
    };
    if !sorts.is_empty() {
        let mut keyed: Vec<(Vec<Key>, &T)> = items
            .into_iter()
            .map(|item| {
                let keys = sorts
                    .iter()
                    .map(|(field, _)| Key::of(item, field))
                    .collect();
                (keys, item)
            })
            .collect();
        // stable, so entries equal on every field keep their stored order
        keyed.sort_by(|(a, _), (b, _)| {
            sorts
                .iter()
                .zip(a.iter().zip(b))
                .map(|((_, descending), (x, y))| {
                    let ord = x.cmp(y);
                    if *descending { ord.reverse() } else { ord }
                })
                .find(|ord| ord.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        items = keyed.into_iter().map(|(_, item)| item).collect();
    }
    let page = query
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(25)
        .clamp(1, 50);
    let total = items.len() as u64;
    let last = total.div_ceil(per_page).max(1);
    let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let slice: Vec<Value> = items
        .iter()
        .skip(start)
        .take(usize::try_from(per_page).unwrap_or(50))
        .map(|item| item.json())
        .collect();
    Reply::json(
        200,
        json!({
            key: slice,
            "meta": { "pagination": {
                "page": page,
                "per_page": per_page,
                "previous_page": if page > 1 { Some(page - 1) } else { None },
                "next_page": if page < last { Some(page + 1) } else { None },
                "last_page": last,
                "total_entries": total,
            } }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        Query(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn names(reply: &Reply, key: &str) -> Vec<String> {
        reply.body.as_ref().expect("a body")[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn entries() -> Vec<Value> {
        vec![
            json!({"id": 3, "name": "c", "status": "off", "labels": {"role": "web"}}),
            json!({"id": 1, "name": "a", "status": "running", "labels": {"role": "db"}}),
            json!({"id": 10, "name": "b", "status": "off"}),
        ]
    }

    #[test]
    fn sorts_by_several_fields_numbers_as_numbers() {
        let entries = entries();
        let refs: Vec<&Value> = entries.iter().collect();
        let reply = list("things", refs.clone(), &query(&[("sort", "id")]));
        assert_eq!(names(&reply, "things"), ["a", "c", "b"]);
        let reply = list(
            "things",
            refs.clone(),
            &query(&[("sort", "status:desc"), ("sort", "id:desc")]),
        );
        assert_eq!(names(&reply, "things"), ["a", "b", "c"]);
        let reply = list("things", refs, &query(&[("sort", "labels")]));
        let body = reply.body.expect("an error body");
        assert_eq!(body["error"]["code"], "invalid_input");
    }

    #[test]
    fn filters_then_pages() {
        let entries = entries();
        let refs: Vec<&Value> = entries.iter().collect();
        let reply = list(
            "things",
            refs.clone(),
            &query(&[("label_selector", "role")]),
        );
        assert_eq!(names(&reply, "things"), ["c", "a"]);
        let reply = list("things", refs.clone(), &query(&[("name", "b")]));
        assert_eq!(names(&reply, "things"), ["b"]);
        let reply = list(
            "things",
            refs,
            &query(&[("per_page", "2"), ("page", "2"), ("sort", "name")]),
        );
        assert_eq!(names(&reply, "things"), ["c"]);
        let meta = &reply.body.as_ref().expect("a body")["meta"]["pagination"];
        assert_eq!(meta["total_entries"], 3);
        assert_eq!(meta["last_page"], 2);
        assert_eq!(meta["previous_page"], 1);
        assert!(meta["next_page"].is_null());
    }
}
