//! Property test: every expression the crate's builder makes, from any field of the Rules
//! language that fits the comparison and any string (however hostile), combined with `and`,
//! `or`, `not`, `any_of` and `all_of`, is accepted by the crate's own checker
//! ([`cloudflare_client::expression::parse`]) — the same checker the simulator applies. The
//! differential test in `wirefilter.rs` keeps that checker in step with Cloudflare's engine.

#![allow(clippy::unwrap_used)] // tests may unwrap

use cloudflare_client::expression::{Expr, Field, Type, field, field_names, field_type, parse};
use proptest::prelude::*;

fn fields_of(ty: Type) -> Vec<&'static str> {
    field_names()
        .filter(|n| field_type(n) == Some(ty.clone()))
        .collect()
}

/// Any string without control characters (the builder refuses those, by design).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\p{Cc}]{0,24}",
        "[a-z\"\\\\(){}\\[\\] .*@#,;=!<>&|$-]{0,24}",
        Just(r#"x" or true or ""#.to_owned()),
        Just("\\".to_owned()),
    ]
}

/// One comparison made by the builder.
fn leaf() -> impl Strategy<Value = Expr> {
    let bytes = fields_of(Type::Bytes);
    let bools = fields_of(Type::Bool);
    let byte_field = prop::sample::select(bytes);
    prop_oneof![
        (byte_field.clone(), 0..6usize, text()).prop_map(|(f, op, s)| {
            let f = field(f);
            match op {
                0 => f.eq(&s),
                1 => f.ne(&s),
                2 => f.contains(&s),
                3 => f.wildcard(&s),
                4 => f.starts_with(&s),
                _ => f.ends_with(&s),
            }
            .unwrap()
        }),
        (byte_field, prop::collection::vec(text(), 1..4))
            .prop_map(|(f, v)| field(f).in_strings(&v).unwrap()),
        (text(), text(), 0..3usize).prop_map(|(name, value, op)| {
            let h = Field::header(&name).unwrap();
            match op {
                0 => h.eq(&value),
                1 => h.contains(&value),
                _ => h.starts_with(&value),
            }
            .unwrap()
        }),
        prop::sample::select(bools).prop_map(|f| field(f).is_true().unwrap()),
        "[a-z0-9_]{1,20}".prop_map(|l| field("ip.src").in_list(&l).unwrap()),
        prop::collection::vec((any::<[u8; 4]>(), 8u8..=32), 1..4).prop_map(|nets| {
            let nets: Vec<ipnet::IpNet> = nets
                .into_iter()
                .map(|(a, len)| ipnet::Ipv4Net::new(a.into(), len).unwrap().trunc().into())
                .collect();
            field("ip.src").in_nets(&nets).unwrap()
        }),
        // matches takes a regular expression; an escaped literal is always one.
        "[a-z./]{1,12}".prop_map(|s| field("http.host").matches(&format!("^{s}$")).unwrap()),
    ]
}

fn tree() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.clone().prop_map(Expr::negate),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::any_of),
            Just(Expr::always()),
            prop::collection::vec(inner, 0..4).prop_map(Expr::all_of),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn built_expressions_always_parse(expr in tree()) {
        let text = expr.to_string();
        if text == "false" {
            // an empty any_of (or a negated `always`): matches nothing, refused by build()
            prop_assert!(expr.build().is_err());
            return Ok(());
        }
        if let Err(e) = parse(&text) {
            prop_assert!(false, "the builder made {text}, which the checker refuses: {e}");
        }
        if text.len() <= cloudflare_client::expression::MAX_LEN {
            prop_assert_eq!(expr.build().unwrap(), text);
        }
    }
}

#[test]
fn the_builder_refuses_what_the_language_does_not_have() {
    assert!(field("http.request.uri.pth").eq("x").is_err());
    assert!(field("ip.src").contains("1.2").is_err());
    assert!(field("cf.threat_score").eq("high").is_err());
    assert!(field("http.host").matches("(").is_err());
    assert!(field("http.host").is_true().is_err());
    assert!(Expr::any_of([]).build().is_err());
}
