//! Property tests: adversarial strings never escape their quoted position (or a `$list`
//! reference) in a rules expression, list items are canonical networks or refused,
//! checked DNS names are safe everywhere, and the rate gate never overfills a window.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::sync::Arc;
use std::time::Duration;

use cloudflare_client::expression::{Expr, Field, Token, field, quote, tokenize};
use cloudflare_client::resources::dns::check_dns_name;
use cloudflare_client::transport::rate_limit::{
    Budget, ManualClock, RateLimitConfig, RateLimitStore, Reservation, SlidingWindow,
};
use proptest::prelude::*;

fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z\"\\\\(){}\\[\\] .*@#,;=!<>&|-]{0,40}",
        Just(r#"x" or true or ""#.to_owned()),
        Just(r#"\" or (ip.src in {0.0.0.0/0}) or \""#.to_owned()),
        Just("\\".to_owned()),
        Just(r#"a\\" or "b"#.to_owned()),
    ]
}

fn w(s: &str) -> Token {
    Token::Word(s.to_owned())
}

fn p(c: char) -> Token {
    Token::Punct(c)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn list_names_never_escape_their_reference(s in adversarial()) {
        match field("ip.src").in_list(&s) {
            Ok(e) => {
                let toks = tokenize(&e.to_string()).unwrap();
                prop_assert_eq!(toks, vec![p('('), w("ip.src"), w("in"), p('$'), w(&s), p(')')]);
            }
            Err(_) => prop_assert!(
                cloudflare_client::resources::lists::check_list_name(&s).is_err()
                    || s.bytes().any(|b| b.is_ascii_uppercase())
            ),
        }
    }

    #[test]
    fn list_items_are_canonical_networks_or_refused(s in adversarial()) {
        if let Ok(item) = cloudflare_client::resources::lists::ListItem::ip(&s) {
            let net: Result<ipnet::IpNet, _> = item.ip.parse();
            let addr: Result<std::net::Ipv4Addr, _> = item.ip.parse();
            prop_assert!(net.is_ok() || addr.is_ok(), "{}", item.ip);
            prop_assert!(!item.ip.chars().any(char::is_whitespace));
        }
    }

    #[test]
    fn comparison_strings_stay_quoted(s in adversarial()) {
        let path = field("http.request.uri.path");
        match path.eq(&s) {
            Ok(e) => {
                let toks = tokenize(&e.to_string()).unwrap();
                prop_assert_eq!(toks, vec![p('('), w("http.request.uri.path"), w("eq"), Token::Str(s.clone()), p(')')]);
            }
            Err(_) => prop_assert!(s.chars().any(char::is_control)),
        }
        if let Ok(e) = path.starts_with(&s) {
            let toks = tokenize(&e.to_string()).unwrap();
            prop_assert_eq!(toks, vec![p('('), w("starts_with"), p('('), w("http.request.uri.path"), p(','), Token::Str(s.clone()), p(')'), p(')')]);
        }
    }

    #[test]
    fn sets_and_combinations_keep_every_string_in_place(a in adversarial(), b in adversarial()) {
        let (Ok(set), Ok(host)) = (field("http.request.method").in_strings(&[a.as_str(), b.as_str()]), field("http.host").contains(&b)) else {
            prop_assert!(a.chars().chain(b.chars()).any(char::is_control));
            return Ok(());
        };
        let expr = Expr::any_of([set, host.negate()]);
        let toks = tokenize(&expr.to_string()).unwrap();
        let expected = vec![
            p('('), w("http.request.method"), w("in"), p('{'), Token::Str(a.clone()), Token::Str(b.clone()), p('}'), p(')'),
            w("or"),
            p('('), w("not"), p('('), w("http.host"), w("contains"), Token::Str(b.clone()), p(')'), p(')'),
        ];
        prop_assert_eq!(toks, expected);
    }

    #[test]
    fn header_names_stay_quoted(name in adversarial(), value in adversarial()) {
        if let Ok(e) = Field::header(&name).and_then(|f| f.eq(&value)) {
            let toks = tokenize(&e.to_string()).unwrap();
            // (any(http.request.headers["name"][*] eq "value"))
            prop_assert_eq!(toks.len(), 14);
            prop_assert_eq!(&toks[1], &w("any"));
            prop_assert_eq!(&toks[3], &w("http.request.headers"));
            prop_assert_eq!(&toks[5], &Token::Str(name.to_ascii_lowercase()));
            prop_assert_eq!(&toks[11], &Token::Str(value.clone()));
        }
    }

    #[test]
    fn checked_dns_names_are_safe_everywhere(s in prop_oneof![adversarial(), "[a-z0-9*_.-]{1,70}"]) {
        if check_dns_name("name", &s).is_ok() {
            prop_assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.*@".contains(&b)), "{:?}", s);
            // Nothing to escape: the literal is the name itself.
            prop_assert_eq!(quote(&s).unwrap(), format!("\"{s}\""));
            let e = field("http.host").eq(&s).unwrap();
            prop_assert_eq!(tokenize(&e.to_string()).unwrap()[3].clone(), Token::Str(s.clone()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn gate_never_overfills_a_window(limit in 1u32..50, window_s in 1u64..60, arrivals in prop::collection::vec(0u64..5_000, 1..300)) {
        let clock = Arc::new(ManualClock::default());
        let gate = SlidingWindow::with_clock(RateLimitConfig { limit, window: Duration::from_secs(window_s), margin: Duration::ZERO, per_second: 0 }, clock.clone());
        let mut sorted = arrivals.clone();
        sorted.sort_unstable();
        let slots: Vec<Duration> = sorted.iter().map(|ms| {
            let arrival = Duration::from_millis(*ms);
            clock.set(arrival);
            match futures::executor::block_on(gate.reserve(Budget::DEFAULT, None)) {
                Ok(Reservation::Granted { wait, .. }) => arrival + wait,
                other => panic!("a waiting reservation is always granted: {other:?}"),
            }
        }).collect();
        for (i, s) in slots.iter().enumerate() {
            prop_assert!(*s >= Duration::from_millis(sorted[i]), "slot before arrival");
            let in_window = slots[..=i].iter().filter(|x| **x + Duration::from_secs(window_s) > *s).count();
            prop_assert!(in_window <= limit as usize);
        }
    }

}
