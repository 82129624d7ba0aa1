//! POSIX shell quoting for the rendered scripts.

/// Quotes one argument for POSIX `sh`: wrapped in single quotes, each `'` written as `'\''`.
/// Nothing inside single quotes is special to the shell, so the argument stays one word.
pub(crate) fn quote(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// One command line: every argument quoted, separated by single spaces.
pub(crate) fn line(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_argument() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(
            line(&["ufw".to_owned(), "$(id)".to_owned()]),
            "'ufw' '$(id)'"
        );
    }
}
