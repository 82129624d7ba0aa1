//! Denser but equivalent file content, applied by [`HardenedHost::cloud_config`](super::HardenedHost::cloud_config)
//! to every text file of the document: the host gets the same behaviour in fewer bytes of
//! user-data, while the commented sources stay in the repository.
//!
//! - Scripts (`#!/bin/sh`, `#!/bin/bash`, `#!/usr/bin/python3`, `#!/usr/sbin/nft -f`):
//!   full-line comments and blank
//!   lines go, the interpreter line stays. Shell here-documents and Python triple-quoted
//!   strings are kept as they are.
//!   Shell scripts lose their indentation, except on lines that continue a quoted string, a
//!   here-document or a backslash-continued line; a script whose quotes do not balance keeps it.
//!   Runs of three or more consecutive shell commands that differ only in one address
//!   (`198.51.100.0/24`, `2001:db8::/32`) become one `for` loop over the addresses: the same
//!   commands in the same order, under the same `set -e`.
//! - Configuration whose reader treats a line starting with `#` as a comment (sysctl.d,
//!   modprobe.d, modules-load.d, audit rules, `sshd_config.d`, chrony, limits.d, the converge agent's
//!   shell-sourced configuration, systemd units and drop-ins, which also take `;`): comment and blank lines go.
//! - apt configuration (`/etc/apt/apt.conf.d/`): `//` comment and blank lines go.
//! - JSON (`*.json`): serialised without insignificant whitespace.
//!
//! Anything else, and every secret, is written as rendered.

/// Directories whose files are line-oriented configuration with `#` comments.
const CONF_DIRS: [&str; 9] = [
    "/etc/sysctl.d/",
    "/etc/modprobe.d/",
    "/etc/modules-load.d/",
    "/etc/audit/rules.d/",
    "/etc/ssh/sshd_config.d/",
    "/etc/chrony/",
    "/etc/security/limits.d/",
    "/etc/systemd/system/",
    "/etc/hardened-fleet/",
];

/// What the host receives for a file rendered as `text` at `path`: the dense form this module
/// describes, or `text` itself when nothing applies. Use it to compare a rendered file with the
/// content of a document [`HardenedHost`](super::HardenedHost) produced.
///
/// ```
/// use cloudinit_builder::preset::shipped_content;
/// let script = "#!/bin/sh\n# say hello\n\necho hello\n";
/// assert_eq!(shipped_content("/usr/local/sbin/hello", script), "#!/bin/sh\necho hello\n");
/// assert_eq!(shipped_content("/etc/motd", "# kept\n"), "# kept\n");
/// ```
pub fn shipped_content(path: &str, text: &str) -> String {
    compact(path, text).unwrap_or_else(|| text.to_owned())
}

/// The compact form of `text` written at `path`, or `None` when it stays as it is.
pub(crate) fn compact(path: &str, text: &str) -> Option<String> {
    let out = if text.starts_with("#!/bin/sh") || text.starts_with("#!/bin/bash") {
        loops(&dedent(&script(text, Lang::Shell)))
    } else if text.starts_with("#!/usr/sbin/nft") {
        script(text, Lang::Shell)
    } else if text.starts_with("#!/usr/bin/python3") {
        script(text, Lang::Python)
    } else if CONF_DIRS.iter().any(|d| path.starts_with(d)) {
        let systemd = path.starts_with("/etc/systemd/");
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.is_empty() || t.starts_with('#') || (systemd && t.starts_with(';')))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    } else if path.starts_with("/etc/apt/apt.conf.d/") {
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.is_empty() || t.starts_with("//"))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    } else if path.ends_with(".json") {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        format!("{}\n", serde_json::to_string(&value).ok()?)
    } else {
        return None;
    };
    (out != text).then_some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Shell,
    Python,
}

/// A script without its full-line comments and blank lines (the first line kept).
fn script(text: &str, lang: Lang) -> String {
    let mut out = String::with_capacity(text.len());
    // The terminator of the shell here-document being copied, if any.
    let mut heredoc: Option<String> = None;
    // Inside a Python triple-quoted string.
    let mut triple = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let keep = if i == 0 {
            true
        } else if let Some(end) = &heredoc {
            if t == end.as_str() {
                heredoc = None;
            }
            true
        } else if triple {
            true
        } else {
            !(t.is_empty() || t.starts_with('#'))
        };
        if keep {
            out.push_str(line);
            out.push('\n');
        }
        match lang {
            Lang::Shell if heredoc.is_none() && !t.starts_with('#') => {
                heredoc = heredoc_terminator(line);
            }
            Lang::Python => {
                let quotes = line.matches("\"\"\"").count() + line.matches("'''").count();
                if !quotes.is_multiple_of(2) {
                    triple = !triple;
                }
            }
            Lang::Shell => {}
        }
    }
    out
}

/// Where a shell scanner stands at the end of a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The quote state after `line`, starting in `state`: single and double quotes, backslash
/// escapes outside single quotes, and `#` comments at the start of a word.
fn scan(line: &str, mut state: Quote) -> Quote {
    let mut chars = line.chars().peekable();
    let mut word_start = true;
    while let Some(c) = chars.next() {
        match (state, c) {
            (Quote::None, '#') if word_start => return state,
            (Quote::None, '\\') | (Quote::Double, '\\') => {
                chars.next();
            }
            (Quote::None, '\'') => state = Quote::Single,
            (Quote::None, '"') => state = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => state = Quote::None,
            _ => {}
        }
        word_start =
            state == Quote::None && (c.is_whitespace() || matches!(c, ';' | '&' | '|' | '('));
    }
    state
}

/// A shell script without leading whitespace on the lines where it is insignificant: not
/// inside a quoted string or a here-document, not after a backslash-continued line. The
/// script is returned as it is when its quotes do not balance (a construct the scanner does
/// not follow).
fn dedent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut state = Quote::None;
    let mut heredoc: Option<String> = None;
    let mut continued = false;
    for line in text.lines() {
        if let Some(end) = &heredoc {
            if line.trim_start() == end.as_str() {
                heredoc = None;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let strip = state == Quote::None && !continued;
        out.push_str(if strip { line.trim_start() } else { line });
        out.push('\n');
        let start = state;
        state = scan(line, state);
        continued = state == Quote::None && line.ends_with('\\');
        if start == Quote::None && !line.trim_start().starts_with('#') {
            heredoc = heredoc_terminator(line);
        }
    }
    if state == Quote::None && heredoc.is_none() {
        out
    } else {
        text.to_owned()
    }
}

/// An address word: a CIDR or IP address, nothing the shell would expand or split.
fn is_address(word: &str) -> bool {
    word.len() >= 3
        && word.chars().any(|c| c.is_ascii_digit())
        && word.contains(['.', ':'])
        && word
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/'))
}

/// `line` split around its `i`-th space-separated word.
fn around(line: &str, i: usize) -> Option<(&str, &str, &str)> {
    let mut start = 0;
    for (n, word) in line.split(' ').enumerate() {
        if n == i {
            let end = start + word.len();
            return Some((&line[..start], word, &line[end..]));
        }
        start += word.len() + 1;
    }
    None
}

/// The position of the one address word in which `a` and `b` differ, if that is their only
/// difference.
fn differs_in_address(a: &str, b: &str) -> Option<usize> {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if wa.len() != wb.len() {
        return None;
    }
    let mut diff = wa.iter().zip(&wb).enumerate().filter(|(_, (x, y))| x != y);
    let (i, (x, y)) = diff.next()?;
    (diff.next().is_none() && is_address(x) && is_address(y)).then_some(i)
}

/// Folds runs of 3+ lines that differ only in one address word into `for` loops. Lines in a
/// here-document, or inside a quoted string spanning lines, are never folded: only lines
/// without quotes other than complete `'...'` words take part.
fn loops(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let simple = |l: &str| {
        !l.starts_with([' ', '\t', '#'])
            && !l.contains(['"', '`', '$', '\\', '<', '>', '|', '&', ';', '(', ')'])
            && l.matches('\'').count().is_multiple_of(2)
            && !l.ends_with('\\')
    };
    let mut out = String::with_capacity(text.len());
    // Inside a here-document, or after a line that opens a quote it does not close.
    let mut heredoc: Option<String> = None;
    let mut open_quote = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(end) = &heredoc {
            if line.trim_start() == end.as_str() {
                heredoc = None;
            }
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        // A line that leaves a quote open: copy up to the line that closes it.
        let quotes = line.matches('\'').count() + line.matches('"').count();
        if open_quote || !quotes.is_multiple_of(2) {
            if !quotes.is_multiple_of(2) {
                open_quote = !open_quote;
            }
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let pos = if simple(line) && i + 1 < lines.len() && simple(lines[i + 1]) {
            differs_in_address(line, lines[i + 1])
        } else {
            None
        };
        if let Some(pos) = pos {
            while j < lines.len()
                && simple(lines[j])
                && differs_in_address(line, lines[j]) == Some(pos)
                && around(line, pos).map(|(a, _, c)| (a, c))
                    == around(lines[j], pos).map(|(a, _, c)| (a, c))
            {
                j += 1;
            }
        }
        if let (Some(pos), true) = (pos, j - i >= 3) {
            let words: Vec<&str> = lines[i..j]
                .iter()
                .filter_map(|l| around(l, pos).map(|(_, w, _)| w))
                .collect();
            let (head, _, tail) = around(line, pos).unwrap_or((line, "", ""));
            out.push_str(&format!(
                "for a in {}; do {head}\"$a\"{tail}; done\n",
                words.join(" ")
            ));
            i = j;
        } else {
            heredoc = heredoc_terminator(line);
            out.push_str(line);
            out.push('\n');
            i += 1;
        }
    }
    out
}

/// The word that ends a here-document started on `line` (`<<WORD`, `<<'WORD'`, `<<-WORD`).
fn heredoc_terminator(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("<<")?;
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn scripts_lose_comments_and_blank_lines_but_keep_the_interpreter_and_heredocs() {
        let src = "#!/bin/sh\n# about\nset -eu\n\n  # indented\ncat >x <<'EOF'\n# kept\n\nEOF\necho '#' # trailing\n";
        assert_eq!(
            compact("/usr/local/sbin/x", src).unwrap(),
            "#!/bin/sh\nset -eu\ncat >x <<'EOF'\n# kept\n\nEOF\necho '#' # trailing\n"
        );
        let py = "#!/usr/bin/python3\n# c\nX = \"\"\"\n# kept\n\"\"\"\n\nprint(X)\n";
        assert_eq!(
            compact("/usr/local/sbin/y", py).unwrap(),
            "#!/usr/bin/python3\nX = \"\"\"\n# kept\n\"\"\"\nprint(X)\n"
        );
    }

    #[test]
    fn shell_indentation_goes_except_inside_strings_heredocs_and_continuations() {
        let src = "#!/bin/sh\nif true; then\n  echo 'a\n  b'\n  x=\"c\n  d\" # it's\n  cat <<EOF\n  kept\nEOF\n  ls \\\n    -l\nfi\n";
        assert_eq!(
            compact("/usr/local/sbin/x", src).unwrap(),
            "#!/bin/sh\nif true; then\necho 'a\n  b'\nx=\"c\n  d\" # it's\ncat <<EOF\n  kept\nEOF\nls \\\n    -l\nfi\n"
        );
        // Unbalanced quotes: the scanner is lost, the indentation stays.
        let odd = "#!/bin/sh\n  echo \"a\n";
        assert_eq!(compact("/usr/local/sbin/x", odd), None);
    }

    #[test]
    fn runs_differing_in_one_address_become_loops() {
        let src = "#!/bin/sh\nset -eu\nufw allow from 192.0.2.0/24 to any port 80 comment 'HTTP'\nufw allow from 198.51.100.0/24 to any port 80 comment 'HTTP'\nufw allow from 2001:db8::/32 to any port 80 comment 'HTTP'\nufw allow from 192.0.2.0/24 to any port 443\nufw allow from 198.51.100.0/24 to any port 443\necho done\n";
        assert_eq!(
            compact("/usr/local/sbin/fw", src).unwrap(),
            "#!/bin/sh\nset -eu\nfor a in 192.0.2.0/24 198.51.100.0/24 2001:db8::/32; do ufw allow from \"$a\" to any port 80 comment 'HTTP'; done\nufw allow from 192.0.2.0/24 to any port 443\nufw allow from 198.51.100.0/24 to any port 443\necho done\n"
        );
        // Words that are not addresses, and lines the shell would read differently, stay.
        let quoted = "#!/bin/sh\necho 'start\nx 192.0.2.1 y\nx 192.0.2.2 y\nx 192.0.2.3 y\nend'\n";
        assert_eq!(compact("/usr/local/sbin/q", quoted), None);
        let other = "#!/bin/sh\nsystemctl mask a.service\nsystemctl mask b.service\nsystemctl mask c.service\necho \"1.2.3.4\"\necho \"1.2.3.5\"\necho \"1.2.3.6\"\n";
        assert_eq!(compact("/usr/local/sbin/o", other), None);
    }

    #[test]
    fn config_and_json_get_denser_and_other_files_stay() {
        assert_eq!(
            compact("/etc/sysctl.d/99-x.conf", "# why\n\nkernel.sysrq = 0\n").unwrap(),
            "kernel.sysrq = 0\n"
        );
        assert_eq!(
            compact(
                "/etc/systemd/system/a.service",
                "; c\n[Unit]\n\n[Service]\n"
            )
            .unwrap(),
            "[Unit]\n[Service]\n"
        );
        assert_eq!(
            compact("/etc/docker/x.json", "{\n  \"a\": [\n    1\n  ]\n}\n").unwrap(),
            "{\"a\":[1]}\n"
        );
        assert_eq!(compact("/etc/caddy/Caddyfile", "# c\n:80\n"), None);
        assert_eq!(compact("/etc/docker/bad.json", "{ nope"), None);
        assert_eq!(compact("/etc/sysctl.d/y.conf", "a = 1\n"), None);
    }
}
