//! ufw state from `ufw status verbose` output, from `/etc/ufw` files, or from a ufw script.

/// One firewall rule as the audit needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UfwRule {
    /// `allow`, `limit`, `deny` or `reject` (lower-case).
    pub action: String,
    /// The destination port or range (`2222`, `443`, `60000:61000`), `None` for any port.
    pub port: Option<String>,
    /// The source (`any` for anywhere).
    pub from: String,
    /// True for an incoming rule (the default).
    pub incoming: bool,
}

/// ufw's configuration or state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UfwState {
    /// `Some(true)` when ufw is active / enabled.
    pub enabled: Option<bool>,
    /// The default incoming policy (`deny`, `reject` or `allow`).
    pub default_incoming: Option<String>,
    /// Rules in order.
    pub rules: Vec<UfwRule>,
}

fn is_anywhere(source: &str) -> bool {
    matches!(
        source.to_ascii_lowercase().as_str(),
        "anywhere" | "anywhere (v6)" | "any" | "0.0.0.0/0" | "::/0"
    )
}

impl UfwRule {
    /// True when the rule admits traffic from any address.
    pub fn from_anywhere(&self) -> bool {
        is_anywhere(&self.from)
    }

    /// True when the rule lets traffic in (`allow` or `limit`).
    pub fn admits(&self) -> bool {
        self.incoming && matches!(self.action.as_str(), "allow" | "limit")
    }
}

impl UfwState {
    /// Parses `ufw status verbose` output.
    pub fn from_status(text: &str) -> Self {
        let mut state = Self::default();
        let mut in_rules = false;
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(status) = trimmed.strip_prefix("Status:") {
                state.enabled = Some(status.trim() == "active");
            } else if let Some(defaults) = trimmed.strip_prefix("Default:") {
                state.default_incoming = defaults
                    .split(',')
                    .find(|d| d.contains("(incoming)"))
                    .and_then(|d| d.split_whitespace().next())
                    .map(str::to_ascii_lowercase);
            } else if trimmed.starts_with("--") {
                in_rules = true;
            } else if in_rules && !trimmed.is_empty() {
                let columns: Vec<&str> = trimmed
                    .split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                if columns.len() < 3 {
                    continue;
                }
                let mut action = columns[1].split_whitespace();
                let verb = action.next().unwrap_or_default().to_ascii_lowercase();
                let incoming = action.next().is_none_or(|d| d.eq_ignore_ascii_case("in"));
                let to = columns[0].trim_end_matches(" (v6)");
                let port = to
                    .split_whitespace()
                    .last()
                    .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .map(|t| t.split('/').next().unwrap_or(t).to_owned());
                state.rules.push(UfwRule {
                    action: verb,
                    port,
                    from: columns[2].trim_end_matches(" (v6)").to_owned(),
                    incoming,
                });
            }
        }
        state
    }

    /// Reads the persisted configuration: `ENABLED=` in `/etc/ufw/ufw.conf`,
    /// `DEFAULT_INPUT_POLICY=` in `/etc/default/ufw` and the `### tuple ###` lines of
    /// `/etc/ufw/user.rules` and `user6.rules`.
    pub fn from_files(ufw_conf: &str, default_ufw: Option<&str>, user_rules: &[&str]) -> Self {
        let mut state = Self {
            enabled: shell_var(ufw_conf, "ENABLED").map(|v| v.eq_ignore_ascii_case("yes")),
            ..Self::default()
        };
        state.default_incoming = default_ufw
            .and_then(|t| shell_var(t, "DEFAULT_INPUT_POLICY"))
            .map(|v| match v.to_ascii_uppercase().as_str() {
                "DROP" => "deny".to_owned(),
                "REJECT" => "reject".to_owned(),
                "ACCEPT" => "allow".to_owned(),
                other => other.to_ascii_lowercase(),
            });
        for text in user_rules {
            for line in text.lines() {
                // ### tuple ### ACTION PROTO DPORT DST SPORT SRC DIRECTION
                let Some(tuple) = line.strip_prefix("### tuple ###") else {
                    continue;
                };
                let fields: Vec<&str> = tuple.split_whitespace().collect();
                if fields.len() < 6 {
                    continue;
                }
                let direction = fields.get(6).copied().unwrap_or("in");
                state.rules.push(UfwRule {
                    action: fields[0].to_ascii_lowercase(),
                    port: (fields[2] != "any").then(|| fields[2].to_owned()),
                    from: fields[5].to_owned(),
                    incoming: direction.starts_with("in"),
                });
            }
        }
        state
    }

    /// Reads a shell script of ufw commands (`ufw default deny incoming`,
    /// `ufw limit proto tcp from any to any port 2222`, `ufw --force enable`), as rendered from
    /// a firewall policy. Single and double quotes around words are removed.
    pub fn from_script(text: &str) -> Self {
        let mut state = Self::default();
        for line in text.lines() {
            let words = shell_words(line);
            let Some(start) = words.iter().position(|w| w == "ufw" || w.ends_with("/ufw")) else {
                continue;
            };
            let args: Vec<&str> = words[start + 1..]
                .iter()
                .map(String::as_str)
                .filter(|w| !w.starts_with("--") || *w == "--dry-run")
                .collect();
            match args.as_slice() {
                ["enable", ..] => state.enabled = Some(true),
                ["disable", ..] => state.enabled = Some(false),
                ["default", policy, rest @ ..] if rest.first().is_none_or(|d| *d == "incoming") => {
                    state.default_incoming = Some(policy.to_ascii_lowercase());
                }
                [action @ ("allow" | "limit" | "deny" | "reject"), rest @ ..] => {
                    state.rules.push(rule_from_args(action, rest));
                }
                _ => {}
            }
        }
        state
    }
}

fn rule_from_args(action: &str, rest: &[&str]) -> UfwRule {
    let mut incoming = true;
    let mut from = "any".to_owned();
    let mut port = None;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "in" => incoming = true,
            "out" => incoming = false,
            "from" => {
                if let Some(v) = rest.get(i + 1) {
                    from = (*v).to_owned();
                    i += 1;
                }
            }
            "port" => {
                if let Some(v) = rest.get(i + 1) {
                    port = Some((*v).to_owned());
                    i += 1;
                }
            }
            "proto" | "to" | "on" | "comment" => i += 1,
            simple if i == 0 && simple.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                port = Some(simple.split('/').next().unwrap_or(simple).to_owned());
            }
            _ => {}
        }
        i += 1;
    }
    UfwRule {
        action: action.to_owned(),
        port,
        from,
        incoming,
    }
}

fn shell_var(text: &str, name: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let (key, value) = line.trim().split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// Splits a shell line into words, removing quotes; stops at an unquoted `#`.
pub(crate) fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                    in_word = true;
                }
            }
            (None, ' ' | '\t' | ';' | '&' | '|') => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, '#') if !in_word => break,
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_verbose() {
        let text = "Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), deny (routed)\nNew profiles: skip\n\nTo                         Action      From\n--                         ------      ----\n2222/tcp                   LIMIT IN    Anywhere\n443/tcp                    ALLOW IN    173.245.48.0/20\n2222/tcp (v6)              LIMIT IN    Anywhere (v6)\n";
        let s = UfwState::from_status(text);
        assert_eq!(s.enabled, Some(true));
        assert_eq!(s.default_incoming.as_deref(), Some("deny"));
        assert_eq!(s.rules.len(), 3);
        assert_eq!(s.rules[0].port.as_deref(), Some("2222"));
        assert!(s.rules[0].from_anywhere() && s.rules[0].admits());
        assert!(!s.rules[1].from_anywhere());
    }

    #[test]
    fn parses_a_script_with_quotes() {
        let s = UfwState::from_script(
            "#!/bin/sh\nset -eu\n'ufw' 'default' 'deny' 'incoming'\nufw limit proto tcp from any to any port '2222' comment 'ssh # rate'\nufw --force enable\n",
        );
        assert_eq!(s.enabled, Some(true));
        assert_eq!(s.default_incoming.as_deref(), Some("deny"));
        assert_eq!(s.rules[0].port.as_deref(), Some("2222"));
        assert_eq!(s.rules[0].action, "limit");
    }

    #[test]
    fn parses_persisted_files() {
        let s = UfwState::from_files(
            "ENABLED=yes\n",
            Some("DEFAULT_INPUT_POLICY=\"DROP\"\n"),
            &["### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"],
        );
        assert_eq!(s.enabled, Some(true));
        assert_eq!(s.default_incoming.as_deref(), Some("deny"));
        assert!(s.rules[0].from_anywhere());
    }
}
