//! Typed decoding of response bodies straight from their bytes, with no `serde_json::Value`
//! tree in between: the value under one key of an object ([`decode_key`]), and list pages
//! ([`decode_page`]) whose entries are decoded one by one, so an entry that does not fit is
//! kept raw in [`Page::undecoded`] (and logged) instead of failing the whole page or being
//! lost.
//!
//! Errors name the JSON path of the first value that does not fit (`meta.pagination.page`,
//! `server.public_net`), as [`Error::Decode`].

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess,
    SeqAccess, Visitor,
};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::pagination::{Page, Pagination, Undecoded};

/// Runs `seed` over the JSON `body`, naming the path of the first misfit in the error.
fn run<'de, S: DeserializeSeed<'de>>(body: &'de [u8], seed: S) -> Result<S::Value> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut json, &mut track);
    let value = seed.deserialize(tracked).map_err(|source| Error::Decode {
        path: track.path().to_string(),
        source,
    })?;
    json.end().map_err(|source| Error::Decode {
        path: String::new(),
        source,
    })?;
    Ok(value)
}

/// Decodes the value under `key` of a JSON object body; an absent key reads as `null`
/// (so `Option<T>` is `None`). Every other key is skipped without being built.
pub(crate) fn decode_key<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<T> {
    run(
        body,
        Keyed {
            key,
            value: PhantomData,
        },
    )
}

/// Decodes a list body: the entries under `key` plus `meta.pagination`.
///
/// Each entry is decoded on its own; one that does not fit `T` is kept raw in
/// [`Page::undecoded`] with a warning naming its index and the path inside it, so one odd
/// entry never hides the others and is never lost. An
/// absent `key` is an empty page; a `key` that is not a list, or a `meta.pagination` that does
/// not fit, is an [`Error::Decode`] naming the path.
pub(crate) fn decode_page<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<Page<T>> {
    run(
        body,
        PageSeed {
            key,
            items: PhantomData,
        },
    )
}

/// Which of the keys a seed looks for a map key is.
struct KeyIs<'k>(&'k [&'k str]);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    /// The index in the wanted keys, `None` for any other key.
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIs<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|wanted| *wanted == key))
    }
}

/// The value under one key of an object.
struct Keyed<'k, T> {
    key: &'k str,
    value: PhantomData<fn() -> T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Keyed<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Keyed<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut found = None;
        while let Some(which) = map.next_key_seed(KeyIs(&[self.key]))? {
            match which {
                Some(_) if found.is_none() => found = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match found {
            Some(value) => Ok(value),
            None => T::deserialize(().into_deserializer()),
        }
    }
}

/// `meta` of a list body.
#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    pagination: Option<Pagination>,
}

/// A list body: entries under `key`, and `meta`.
struct PageSeed<'k, T> {
    key: &'k str,
    items: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for PageSeed<'_, T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list body with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        let mut entries = None;
        let mut pagination = None;
        while let Some(which) = map.next_key_seed(KeyIs(&[self.key, "meta"]))? {
            match which {
                Some(0) if entries.is_none() => {
                    entries = Some(map.next_value_seed(Entries {
                        key: self.key,
                        item: PhantomData,
                    })?);
                }
                Some(1) => pagination = map.next_value::<Meta>()?.pagination,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (items, undecoded) = entries.unwrap_or_default();
        Ok(Page {
            items,
            pagination,
            undecoded,
        })
    }
}

/// The entries of a list, each decoded from its own raw JSON so a misfit is kept raw.
struct Entries<'k, T> {
    key: &'k str,
    item: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Entries<'_, T> {
    type Value = (Vec<T>, Vec<Undecoded>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Entries<'_, T> {
    type Value = (Vec<T>, Vec<Undecoded>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of `{}`", self.key)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let mut undecoded = Vec::new();
        let mut index = 0usize;
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            let mut json = serde_json::Deserializer::from_str(raw.get());
            match serde_path_to_error::deserialize::<_, T>(&mut json) {
                Ok(item) => items.push(item),
                Err(err) => {
                    tracing::warn!(
                        list = self.key,
                        index,
                        path = %err.path(),
                        category = ?err.inner().classify(),
                        "a list entry does not decode; kept raw in Page::undecoded"
                    );
                    undecoded.push(Undecoded {
                        list: self.key.to_owned(),
                        index,
                        path: err.path().to_string(),
                        reason: err.inner().to_string(),
                        raw: raw.get().to_owned(),
                    });
                }
            }
            index += 1;
        }
        Ok((items, undecoded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Thing {
        id: u64,
        name: String,
    }

    #[test]
    fn pages_decode_with_nullable_meta() {
        let body = br#"{"things":[1,2],"meta":{"pagination":{"page":1,"per_page":2,"previous_page":null,"next_page":2,"last_page":null,"total_entries":null}}}"#;
        let page: Page<u32> = decode_page(body, "things").unwrap();
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.pagination.unwrap().next_page, Some(2));
    }

    #[test]
    fn a_malformed_entry_is_kept_raw_and_the_others_decoded() {
        let body = br#"{"meta":{"pagination":{"page":1,"per_page":3,"previous_page":null,"next_page":null,"last_page":1,"total_entries":3}},
            "things":[{"id":1,"name":"a"},{"id":"oops","name":"b"},{"id":3,"name":"c","extra":[1,{"x":null}]}],
            "other":{"ignored":[1,2,3]}}"#;
        let page: Page<Thing> = decode_page(body, "things").unwrap();
        let ids: Vec<u64> = page.items.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 3]);
        assert_eq!(page.items[1].name, "c");
        assert_eq!(page.pagination.unwrap().total_entries, Some(3));
        assert_eq!(page.undecoded.len(), 1);
        let odd = &page.undecoded[0];
        assert_eq!((odd.index, odd.path.as_str()), (1, "id"));
        assert_eq!(odd.raw, r#"{"id":"oops","name":"b"}"#);
        match page.complete().unwrap_err() {
            Error::Decode { path, .. } => assert_eq!(path, "things[1].id"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_absent_list_is_empty_and_a_wrong_shape_names_the_path() {
        let page: Page<u32> = decode_page(br#"{"meta":{}}"#, "things").unwrap();
        assert!(page.items.is_empty() && page.pagination.is_none());
        let path = |body: &[u8]| match decode_page::<u32>(body, "things").unwrap_err() {
            Error::Decode { path, .. } => path,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(path(br#"{"things":{"a":1}}"#), "things");
        assert_eq!(
            path(br#"{"things":[],"meta":{"pagination":{"page":"x"}}}"#),
            "meta.pagination.page"
        );
        assert!(matches!(
            decode_page::<u32>(br#"{"things":[1]"#, "things"),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(
            decode_page::<u32>(br#"{"things":[1]} x"#, "things"),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn the_value_under_a_key_skips_the_rest() {
        let body = br#"{"action":{"id":9},"thing":{"id":4,"name":"d"},"next_actions":[]}"#;
        let thing: Thing = decode_key(body, "thing").unwrap();
        assert_eq!(
            thing,
            Thing {
                id: 4,
                name: "d".into()
            }
        );
        let missing: Option<Thing> = decode_key(body, "absent").unwrap();
        assert_eq!(missing, None);
        match decode_key::<Thing>(br#"{"thing":{"id":4,"name":5}}"#, "thing").unwrap_err() {
            Error::Decode { path, .. } => assert_eq!(path, "thing.name"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
