//! Denser but equivalent file content, applied by [`HardenedHost::cloud_config`](super::HardenedHost::cloud_config)
//! to every text file of the document: the host gets the same behaviour in fewer bytes of
//! user-data, while the commented sources stay in the repository.
//!
//! - Scripts (`#!/bin/sh`, `#!/bin/bash`, `#!/usr/bin/python3`, `#!/usr/sbin/nft -f`):
//!   full-line comments and blank
//!   lines go, the interpreter line stays. Shell here-documents and Python triple-quoted
//!   strings are kept as they are.
//! - Configuration whose reader treats a line starting with `#` as a comment (sysctl.d,
//!   modprobe.d, modules-load.d, audit rules, `sshd_config.d`, chrony, limits.d, systemd units
//!   and drop-ins, which also take `;`): comment and blank lines go.
//! - JSON (`*.json`): serialised without insignificant whitespace.
//!
//! Anything else, and every secret, is written as rendered.

/// Directories whose files are line-oriented configuration with `#` comments.
const CONF_DIRS: [&str; 8] = [
    "/etc/sysctl.d/",
    "/etc/modprobe.d/",
    "/etc/modules-load.d/",
    "/etc/audit/rules.d/",
    "/etc/ssh/sshd_config.d/",
    "/etc/chrony/",
    "/etc/security/limits.d/",
    "/etc/systemd/system/",
];

/// The compact form of `text` written at `path`, or `None` when it stays as it is.
pub(crate) fn compact(path: &str, text: &str) -> Option<String> {
    let out = if ["#!/bin/sh", "#!/bin/bash", "#!/usr/sbin/nft"]
        .iter()
        .any(|i| text.starts_with(i))
    {
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
                if quotes % 2 == 1 {
                    triple = !triple;
                }
            }
            Lang::Shell => {}
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
    fn config_and_json_get_denser_and_other_files_stay() {
        assert_eq!(
            compact("/etc/sysctl.d/99-x.conf", "# why\n\nkernel.sysrq = 0\n").unwrap(),
            "kernel.sysrq = 0\n"
        );
        assert_eq!(
            compact("/etc/systemd/system/a.service", "; c\n[Unit]\n\n[Service]\n").unwrap(),
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
