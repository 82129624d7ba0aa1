//! `sshd_config` (with `Include` and `Match`) and `sshd -T` output.

use crate::audit::source::{FileState, HostFiles, expand};

/// Where sshd reads its configuration.
pub const SSHD_CONFIG: &str = "/etc/ssh/sshd_config";
/// Ubuntu's drop-in directory, included at the top of the stock `sshd_config`.
pub const SSHD_CONFIG_D: &str = "/etc/ssh/sshd_config.d";
/// OpenSSH's limit on nested `Include`s.
const MAX_DEPTH: usize = 16;
/// A bound on files read through `Include`, so repeated includes cannot blow up.
const MAX_FILES: usize = 256;

/// One configuration line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The keyword, lower-case, with aliases mapped to their current name
    /// (`pubkeyacceptedkeytypes` becomes `pubkeyacceptedalgorithms`,
    /// `challengeresponseauthentication` becomes `kbdinteractiveauthentication`).
    pub keyword: String,
    /// The arguments, unquoted.
    pub args: Vec<String>,
    /// The file it came from.
    pub file: String,
    /// Its line number (1-based).
    pub line: usize,
}

impl Directive {
    /// The arguments joined by spaces (the value as written).
    pub fn value(&self) -> String {
        self.args.join(" ")
    }

    /// `file:line`, for evidence.
    pub fn origin(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A `Match` block: its criteria and the directives that apply to connections matching them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchBlock {
    /// The criteria as written (`User backup Address 10.0.0.0/8`).
    pub criteria: String,
    /// Where the block starts (`file:line`).
    pub origin: String,
    /// Its directives in order.
    pub directives: Vec<Directive>,
}

/// A parsed sshd configuration.
///
/// sshd uses the **first** value it reads for most keywords, so [`SshdConfig::first`] is the
/// effective global value; multi-valued keywords (`HostKey`, `Port`, `ListenAddress`, ...) are
/// read with [`SshdConfig::all`]. Settings inside `Match` blocks apply only to matching
/// connections, where they take precedence over the global ones; [`SshdConfig::overrides`]
/// lists them.
///
/// ```
/// use hardening_model::audit::parse::sshd::SshdConfig;
/// let cfg = SshdConfig::parse_text(
///     "/etc/ssh/sshd_config",
///     "permitrootlogin no\nPermitRootLogin yes\nMatch User backup\n  PasswordAuthentication yes\n",
/// );
/// assert_eq!(cfg.first("PermitRootLogin").unwrap().value(), "no");
/// assert_eq!(cfg.overrides("passwordauthentication").len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshdConfig {
    /// Directives outside any `Match` block, in reading order (includes expanded in place).
    pub global: Vec<Directive>,
    /// `Match` blocks in reading order.
    pub matches: Vec<MatchBlock>,
    /// Files read, in order.
    pub files: Vec<String>,
    /// Problems met while reading (unreadable includes, include loops, bad lines).
    pub problems: Vec<String>,
}

/// Why the main config could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The file does not exist.
    Missing,
    /// The file exists but could not be read.
    Unreadable(String),
}

impl SshdConfig {
    /// Reads `path` from `source`, following `Include` (globs, paths relative to `/etc/ssh`).
    ///
    /// # Errors
    /// When `path` itself is missing or unreadable; problems in included files are recorded
    /// in [`SshdConfig::problems`] instead.
    pub fn load(source: &dyn HostFiles, path: &str) -> Result<Self, LoadError> {
        let text = match source.read(path) {
            FileState::Present(text) => text,
            FileState::Missing => return Err(LoadError::Missing),
            FileState::Unreadable(why) => return Err(LoadError::Unreadable(why)),
        };
        let mut cfg = Self::default();
        let mut reader = Reader {
            source: Some(source),
            current: None,
        };
        reader.file(&mut cfg, path, &text, 0);
        Ok(cfg)
    }

    /// Parses one config text without following `Include` (recorded as a directive only).
    pub fn parse_text(path: &str, text: &str) -> Self {
        let mut cfg = Self::default();
        let mut reader = Reader {
            source: None,
            current: None,
        };
        reader.file(&mut cfg, path, text, 0);
        cfg
    }

    /// Parses the output of `sshd -T` (one `keyword value` per line, defaults filled in).
    pub fn from_effective(path: &str, text: &str) -> Self {
        let mut cfg = Self {
            files: vec![path.to_owned()],
            ..Self::default()
        };
        for (index, line) in text.lines().enumerate() {
            let Some((keyword, args)) = split_line(line) else {
                continue;
            };
            cfg.global.push(Directive {
                keyword: canonical(&keyword),
                args,
                file: path.to_owned(),
                line: index + 1,
            });
        }
        cfg
    }

    /// The first global directive for `keyword` (case-insensitive): the effective value for
    /// connections no `Match` block changes. `None` means sshd's default applies.
    pub fn first(&self, keyword: &str) -> Option<&Directive> {
        let keyword = canonical(keyword);
        self.global.iter().find(|d| d.keyword == keyword)
    }

    /// Every global directive for a multi-valued `keyword`, in order.
    pub fn all(&self, keyword: &str) -> Vec<&Directive> {
        let keyword = canonical(keyword);
        self.global
            .iter()
            .filter(|d| d.keyword == keyword)
            .collect()
    }

    /// For each `Match` block that sets `keyword`, the block and its first directive for it
    /// (the value matching connections get).
    pub fn overrides(&self, keyword: &str) -> Vec<(&MatchBlock, &Directive)> {
        let keyword = canonical(keyword);
        self.matches
            .iter()
            .filter_map(|m| {
                m.directives
                    .iter()
                    .find(|d| d.keyword == keyword)
                    .map(|d| (m, d))
            })
            .collect()
    }
}

struct Reader<'a> {
    source: Option<&'a dyn HostFiles>,
    /// Index of the active `Match` block, if any.
    current: Option<usize>,
}

impl Reader<'_> {
    fn file(&mut self, cfg: &mut SshdConfig, path: &str, text: &str, depth: usize) {
        cfg.files.push(path.to_owned());
        // A Match block opened inside an included file ends with that file.
        let outer = self.current;
        for (index, line) in text.lines().enumerate() {
            let Some((keyword, args)) = split_line(line) else {
                continue;
            };
            let directive = Directive {
                keyword: canonical(&keyword),
                args,
                file: path.to_owned(),
                line: index + 1,
            };
            match directive.keyword.as_str() {
                "match" => {
                    cfg.matches.push(MatchBlock {
                        criteria: directive.value(),
                        origin: directive.origin(),
                        directives: Vec::new(),
                    });
                    self.current = Some(cfg.matches.len() - 1);
                }
                "include" => self.include(cfg, &directive, depth),
                _ => match self.current.and_then(|i| cfg.matches.get_mut(i)) {
                    Some(block) => block.directives.push(directive),
                    None => cfg.global.push(directive),
                },
            }
        }
        if depth > 0 {
            self.current = outer;
        }
    }

    fn include(&mut self, cfg: &mut SshdConfig, directive: &Directive, depth: usize) {
        let Some(source) = self.source else {
            match self.current.and_then(|i| cfg.matches.get_mut(i)) {
                Some(block) => block.directives.push(directive.clone()),
                None => cfg.global.push(directive.clone()),
            }
            return;
        };
        if cfg.files.len() >= MAX_FILES {
            cfg.problems.push(format!(
                "{}: more than {MAX_FILES} files included, the rest not read",
                directive.origin()
            ));
            return;
        }
        if depth + 1 >= MAX_DEPTH {
            cfg.problems.push(format!(
                "{}: Include nested too deeply (loop?)",
                directive.origin()
            ));
            return;
        }
        for pattern in &directive.args {
            let absolute = if pattern.starts_with('/') {
                pattern.clone()
            } else {
                format!("/etc/ssh/{pattern}")
            };
            let paths = match expand(source, &absolute) {
                Ok(paths) => paths,
                Err(why) => {
                    cfg.problems.push(format!("{}: {why}", directive.origin()));
                    continue;
                }
            };
            let literal = !absolute.contains(['*', '?', '[']);
            for path in paths {
                match source.read(&path) {
                    FileState::Present(text) => self.file(cfg, &path, &text, depth + 1),
                    FileState::Missing if !literal => {}
                    FileState::Missing => cfg.problems.push(format!(
                        "{}: included file {path} is missing",
                        directive.origin()
                    )),
                    FileState::Unreadable(why) => cfg.problems.push(format!(
                        "{}: included file {path} is unreadable ({why})",
                        directive.origin()
                    )),
                }
            }
        }
    }
}

/// Maps deprecated keyword names to the ones `sshd -T` prints.
fn canonical(keyword: &str) -> String {
    let lower = keyword.to_ascii_lowercase();
    match lower.as_str() {
        "pubkeyacceptedkeytypes" => "pubkeyacceptedalgorithms".to_owned(),
        "challengeresponseauthentication" => "kbdinteractiveauthentication".to_owned(),
        _ => lower,
    }
}

/// Splits a line into keyword and arguments the way sshd does: `Keyword value`,
/// `Keyword=value` or `Keyword = value`; double quotes group; an unquoted `#` at the start of a
/// token starts a comment.
fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    let keyword = &line[..end];
    if keyword.is_empty() {
        return None;
    }
    let mut rest = line[end..].trim_start_matches([' ', '\t']);
    if let Some(stripped) = rest.strip_prefix('=') {
        rest = stripped.trim_start_matches([' ', '\t']);
    }
    Some((keyword.to_owned(), split_args(rest)))
}

fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_token = true;
            }
            ' ' | '\t' if !quoted => {
                if in_token {
                    args.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            '#' if !quoted && !in_token => break,
            c => {
                current.push(c);
                in_token = true;
            }
        }
    }
    if in_token {
        args.push(current);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MemoryHost;

    #[test]
    fn splits_keywords_like_sshd() {
        assert_eq!(
            split_line("  PermitRootLogin no"),
            Some(("PermitRootLogin".into(), vec!["no".into()]))
        );
        assert_eq!(
            split_line("LogLevel=VERBOSE"),
            Some(("LogLevel".into(), vec!["VERBOSE".into()]))
        );
        assert_eq!(
            split_line("LogLevel = VERBOSE # comment"),
            Some(("LogLevel".into(), vec!["VERBOSE".into()]))
        );
        assert_eq!(
            split_line("AuthorizedKeysFile \"/a b/keys\" .ssh/x"),
            Some((
                "AuthorizedKeysFile".into(),
                vec!["/a b/keys".into(), ".ssh/x".into()]
            ))
        );
        assert_eq!(split_line("# PermitRootLogin yes"), None);
        assert_eq!(split_line("   "), None);
    }

    #[test]
    fn includes_expand_in_place_and_first_value_wins() {
        let mut host = MemoryHost::new();
        host.insert(
            SSHD_CONFIG,
            "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n",
        )
        .insert(
            "/etc/ssh/sshd_config.d/50-cloud-init.conf",
            "PasswordAuthentication yes\n",
        )
        .insert(
            "/etc/ssh/sshd_config.d/10-hardening.conf",
            "passwordauthentication no\n",
        );
        let cfg = SshdConfig::load(&host, SSHD_CONFIG).unwrap();
        let first = cfg.first("PasswordAuthentication").unwrap();
        assert_eq!(first.value(), "no");
        assert_eq!(first.file, "/etc/ssh/sshd_config.d/10-hardening.conf");
        assert_eq!(cfg.files.len(), 3);
    }

    #[test]
    fn match_in_an_included_file_ends_with_that_file() {
        let mut host = MemoryHost::new();
        host.insert(SSHD_CONFIG, "Include conf.d/a.conf\nLogLevel VERBOSE\n")
            .insert(
                "/etc/ssh/conf.d/a.conf",
                "Match User x\nX11Forwarding yes\n",
            );
        let cfg = SshdConfig::load(&host, SSHD_CONFIG).unwrap();
        assert_eq!(cfg.first("loglevel").unwrap().value(), "VERBOSE");
        assert_eq!(cfg.overrides("x11forwarding").len(), 1);
    }

    #[test]
    fn include_loops_stop() {
        let mut host = MemoryHost::new();
        host.insert(SSHD_CONFIG, "Include /etc/ssh/sshd_config\n");
        let cfg = SshdConfig::load(&host, SSHD_CONFIG).unwrap();
        assert!(cfg.problems.iter().any(|p| p.contains("nested")));
    }
}
