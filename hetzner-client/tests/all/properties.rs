//! Property tests: labels, names and selectors never let adversarial text through.
#![allow(clippy::unwrap_used)]

use hetzner_client::labels::{validate_key, validate_value};
use hetzner_client::names::{opaque_server_name, validate_hostname};
use hetzner_client::{LabelSelector, Labels};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(10_000)
}

fn label_like() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?"
}

/// Characters that would carry selector, shell or YAML syntax, or are simply out of place.
const HOSTILE: &[char] = &[
    ',', '=', '!', '(', ')', ' ', '@', '/', '\n', '\r', '\t', '\0', '"', '\'', '$', ';',
    '\u{202e}', 'é', '.', '-', '_',
];

/// `valid` most of the time (so most cases reach the assertions), a near miss (one hostile or
/// misplaced character inserted anywhere, or the length pushed past the limit) some of the
/// time, and anything at all otherwise.
fn mostly(
    valid: impl Strategy<Value = String> + Clone + 'static,
    anything: &'static str,
) -> impl Strategy<Value = String> {
    let near_miss = (
        valid.clone(),
        any::<prop::sample::Index>(),
        prop::sample::select(HOSTILE),
    )
        .prop_map(|(s, at, c)| {
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(at.index(chars.len() + 1), c);
            chars.into_iter().collect::<String>()
        });
    let too_long = valid.clone().prop_map(|s| format!("{s}{}", "a".repeat(64)));
    prop_oneof![
        8 => valid,
        2 => near_miss,
        1 => too_long,
        1 => anything,
    ]
}

/// Valid label values: empty or label-shaped.
fn valid_value() -> impl Strategy<Value = String> + Clone {
    prop_oneof![1 => Just(String::new()), 9 => label_like()]
}

/// Label values, mostly valid.
fn label_value() -> impl Strategy<Value = String> {
    mostly(valid_value(), "\\PC{0,70}")
}

/// DNS subdomains (key prefixes, hostnames): 1 to 4 parts.
fn subdomain() -> impl Strategy<Value = String> + Clone {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?){0,3}"
}

/// Valid label keys: a name with an optional DNS-subdomain prefix.
fn valid_key() -> impl Strategy<Value = String> + Clone {
    (proptest::option::of(subdomain()), label_like()).prop_map(|(prefix, name)| match prefix {
        Some(prefix) => format!("{prefix}/{name}"),
        None => name,
    })
}

/// Label keys, mostly valid.
fn label_key() -> impl Strategy<Value = String> {
    mostly(valid_key(), "\\PC{0,80}")
}

/// A key, a value and an `in` value for a selector: all valid three times in four, else each
/// mostly valid (so a near miss in any one of them is drawn too).
fn selector_parts() -> impl Strategy<Value = (String, String, String)> {
    prop_oneof![
        3 => (valid_key(), valid_value(), valid_value()),
        1 => (label_key(), label_value(), label_value()),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Whatever is accepted as a label value is safe inside a selector: no separator,
    /// operator, parenthesis, space or control character.
    #[test]
    fn accepted_values_carry_no_selector_syntax(value in label_value()) {
        if validate_value(&value).is_ok() {
            prop_assert!(value.chars().count() <= 63);
            prop_assert!(!value.contains([',', '=', '!', '(', ')', ' ', '@', '/', '\n', '\r', '\t']));
        }
    }

    #[test]
    fn accepted_keys_are_hetzner_shaped(key in label_key()) {
        if validate_key(&key).is_ok() {
            let name = key.rsplit('/').next().unwrap_or("");
            prop_assert!(!name.is_empty() && name.len() <= 63);
            prop_assert!(!key.starts_with("hetzner.cloud/"));
            prop_assert!(!key.contains([',', '=', '!', '(', ')', ' ', '\n']));
        }
    }

    #[test]
    fn valid_labels_are_accepted_and_round_trip_through_a_selector(pairs in proptest::collection::btree_map(label_like(), label_like(), 0..6)) {
        // skip draws that happen to look like ids (the personal-data rule refuses them)
        prop_assume!(pairs.values().all(|v| !(v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()))));
        prop_assume!(pairs.values().all(|v| { let l = v.to_ascii_lowercase(); !["cus_", "sub_", "pi_", "in_"].iter().any(|p| l.starts_with(p)) }));
        let labels = Labels::from_map(pairs.clone()).unwrap();
        let selector = labels.selector();
        let text = selector.to_query().unwrap();
        let parsed = LabelSelector::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &selector);
        prop_assert!(parsed.matches(&labels));
    }

    /// A selector built from adversarial values either is refused or has exactly one term
    /// per builder call: nothing injects an extra condition.
    #[test]
    fn selectors_never_gain_injected_terms((key, value, other) in selector_parts()) {
        let selector = LabelSelector::new().eq(key.clone(), value.clone()).is_in("tier", [other.clone()]);
        if let Ok(text) = selector.to_query() {
            let parsed = LabelSelector::parse(&text).unwrap();
            prop_assert_eq!(parsed, selector);
            prop_assert_eq!(text, format!("{key}={value},tier in ({other})"));
        }
    }

    #[test]
    fn hostnames_accepted_are_rfc1123(name in mostly(subdomain(), "\\PC{0,80}")) {
        if validate_hostname("name", &name).is_ok() {
            prop_assert!(name.len() <= 253);
            prop_assert!(name.split('.').all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')));
        }
    }

    #[test]
    fn generated_names_are_valid_and_reveal_only_the_location(location in "[a-z0-9]{1,16}") {
        let name = opaque_server_name(&location).unwrap();
        prop_assert!(validate_hostname("name", &name).is_ok());
        let suffix = name.strip_prefix(&format!("rc-{location}-")).unwrap();
        prop_assert_eq!(suffix.len(), 6);
        prop_assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn bad_locations_never_reach_a_name(location in "\\PC{0,20}") {
        match opaque_server_name(&location) {
            Ok(name) => prop_assert!(location.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) && name.starts_with("rc-")),
            Err(e) => prop_assert!(e.to_string().starts_with("invalid location")),
        }
    }

    #[test]
    fn uuids_and_emails_are_refused_as_label_values(a in "[0-9a-f]{8}", b in "[0-9a-f]{4}", c in "[0-9a-f]{4}", d in "[0-9a-f]{4}", e in "[0-9a-f]{12}", user in "[a-z]{1,10}") {
        let uuid = format!("{a}-{b}-{c}-{d}-{e}");
        prop_assert!(Labels::new().with("id", uuid).is_err());
        let err = Labels::new().with("who", format!("{user}@example.com")).unwrap_err();
        prop_assert!(err.to_string().contains("email"));
    }
}
