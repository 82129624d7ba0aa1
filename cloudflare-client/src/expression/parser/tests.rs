//! Unit tests of the parser: valid expressions, the issue's examples, type and syntax errors.

use super::*;

fn bad(expr: &str) -> String {
    match parse(expr) {
        Ok(p) => panic!("accepted {expr}: {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_expressions() {
    for e in [
        "true",
        "ssl",
        "not ssl",
        "!ssl and (ssl or not ssl) xor ssl",
        r#"http.host eq "example.com" ^^ ssl"#,
        r#"http.request.method in {"GET" "POST"}"#,
        r#"http.request.method in {}"#,
        "ip.src in {192.0.2.0/24 2001:db8::/32 10.0.0.1..10.0.0.9}",
        "ip.src eq 192.0.2.1",
        "ip.src in $admin_ips",
        "cf.threat_score ge 10 && cf.bot_management.score lt 30",
        "ip.src.asnum in {13335 64512..65534}",
        "cf.bot_management.score eq -1",
        "http.request.timestamp.sec & 1",
        r#"http.host matches r"^www\.""#,
        r##"http.host eq r#"a"b"#"##,
        r#"http.host eq "\x41\101\"\\""#,
        r#"http.host strict wildcard "*.example.com""#,
        r#"any(http.request.headers.names[*] == "x-api-key")"#,
        r#"all(http.request.headers["accept"][*] contains "json")"#,
        r#"http.request.headers["x"][0] eq "a""#,
        r#"any(lower(http.request.headers.names[*])[*] contains "x")"#,
        r#"lower(http.host) eq "a" and len(http.host) gt 3"#,
        r#"starts_with(http.request.uri.path, "/api/")"#,
        r#"concat("a", http.host, "b") eq "x""#,
        r#"regex_replace(http.host, "a", "b") eq "c""#,
        r#"wildcard_replace(http.request.full_uri, "*", "${1}") eq "x""#,
        r#"url_decode(http.request.uri.query) contains "<script""#,
        r#"to_string(cf.bot_management.score) eq "1""#,
        r#"has_key(http.request.headers, "x")"#,
        r#"substring(http.host, 1, 2) eq "a""#,
        r#"http.request.cookies["session"][0] ne """#,
    ] {
        if let Err(err) = parse(e) {
            panic!("refused {e}: {err}");
        }
    }
}

#[test]
fn the_issues_examples_are_refused_naming_what_is_wrong() {
    let e = bad("(http.request.uri.path contains)");
    assert!(
        e.contains("http.request.uri.path") && e.contains("string"),
        "{e}"
    );
    let e = bad(r#"(http.request.uri.pth contains "/.env")"#);
    assert!(e.contains("unknown field `http.request.uri.pth`"), "{e}");
    let e = bad(r#"fooo(http.host) eq "a""#);
    assert!(e.contains("unknown function `fooo`"), "{e}");
    let e = bad(r#"ip.src contains "1.2""#);
    assert!(
        e.contains("`contains`") && e.contains("ip.src") && e.contains("Ip"),
        "{e}"
    );
}

#[test]
fn type_and_syntax_errors() {
    for (expr, needle) in [
        ("", "expected a field"),
        ("ssl eq true", "`eq` cannot be used on `ssl`"),
        ("http.host", "must be true or false"),
        ("(ssl", "expected `)`"),
        ("ssl)", "unexpected input"),
        ("not", "expected a field"),
        ("ssl and", "expected a field"),
        (r#"http.host eq "a" or or ssl"#, "unknown field `or`"),
        (r#"http.host eq "a" "b""#, "unexpected input"),
        (r#"http.host EQ "a""#, "unexpected input"),
        (r#"HTTP.HOST eq "a""#, "unknown field"),
        ("http.host contains 5", "expected a string literal"),
        ("http.host bitwise_and 1", "cannot be used on `http.host`"),
        (r#"http.host matches "(""#, "invalid regular expression"),
        (r#"http.host eq "\n""#, "unknown escape"),
        (r#"http.host eq "a"#, "unterminated string"),
        ("ip.src eq 1.2.3.0/24", "expected an IP address"),
        (r#"ip.src in {1.2.3.4 "x"}"#, "IP address, CIDR or range"),
        (
            r#"http.request.method in {"GET", "POST"}"#,
            "string literal",
        ),
        ("ip.src in $Foo", "list is named"),
        ("cf.threat_score in {5..1}", "empty range"),
        (
            r#"starts_with(http.host, 1)"#,
            "argument 2 of `starts_with` must be Bytes",
        ),
        (
            r#"lower(http.host, "x") eq "a""#,
            "`lower` takes 1 argument",
        ),
        (r#"lower() eq "a""#, "`lower` takes 1"),
        ("any(ssl)", "argument 1 of `any` must be Array<Bool>"),
        (r#"http.request.headers["a"] eq "b""#, "Array<Bytes>"),
        (r#"http.request.uri.path[0] eq "a""#, "needs an array"),
        (
            r#"http.request.uri.args["a"][*] eq "b""#,
            "must be true or false",
        ),
        (
            r#"any(lower(http.request.headers.names[*]) contains "x")"#,
            "cannot be used",
        ),
        (r#"concat(http.host, 1) eq "a""#, "argument 2 of `concat`"),
        (
            r#"concat(http.host, http.request.headers.names) eq "a""#,
            "one type",
        ),
    ] {
        let e = bad(expr);
        assert!(e.contains(needle), "{expr}: {e}");
    }
}

#[test]
fn what_an_expression_uses() {
    let p = parse(
        r#"(any(lower(http.request.headers.names[*])[*] eq "x") and ip.src in $a) or (ip.src in $b and not ip.src in $a)"#,
    )
    .unwrap();
    assert_eq!(p.fields, ["http.request.headers.names", "ip.src"]);
    assert_eq!(p.functions, ["any", "lower"]);
    assert_eq!(p.lists, ["a", "b"]);
    assert_eq!(p.operators, ["eq", "in"]);
    let p = parse(r#"http.host ~ "a" && cf.threat_score >= 1"#).unwrap();
    assert_eq!(p.operators, ["matches", "ge"]);
}

#[test]
fn errors_point_at_the_column() {
    let e = parse(r#"ssl and ip.src contains "1""#).unwrap_err();
    assert_eq!(e.column, 16, "{e}");
}
