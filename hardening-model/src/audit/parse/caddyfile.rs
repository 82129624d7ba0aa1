//! Just enough of the Caddyfile to audit it: blocks, directives, snippets and `import`.

/// One directive (or site address line) and its block, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// The words on the line, unquoted.
    pub tokens: Vec<String>,
    /// The directives inside its `{ ... }` block.
    pub children: Vec<Node>,
    /// The line it starts on (1-based).
    pub line: usize,
}

impl Node {
    /// The directive name (first word), or `""` for the global options block.
    pub fn name(&self) -> &str {
        self.tokens.first().map_or("", String::as_str)
    }

    /// This node and all nodes below it, depth first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }
}

/// A site block: its addresses and its directives (snippet imports expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The addresses, e.g. `example.com`, `:443`, `http://example.com`.
    pub addresses: Vec<String>,
    /// The directives.
    pub directives: Vec<Node>,
    /// The line the block starts on.
    pub line: usize,
}

impl Site {
    /// True when every address is plain HTTP (`http://...` or port 80), so TLS does not apply.
    pub fn is_http_only(&self) -> bool {
        !self.addresses.is_empty()
            && self
                .addresses
                .iter()
                .all(|a| a.starts_with("http://") || a.ends_with(":80"))
    }

    /// Every directive of the site, nested ones included.
    pub fn all_directives(&self) -> Vec<&Node> {
        self.directives.iter().flat_map(Node::walk).collect()
    }
}

/// A parsed Caddyfile.
///
/// ```
/// use hardening_model::audit::parse::caddyfile::Caddyfile;
/// let file = Caddyfile::parse("{\n\tadmin off\n}\nexample.com {\n\ttls {\n\t\tprotocols tls1.3\n\t}\n}\n").unwrap();
/// assert!(file.global_option(&["admin", "off"]));
/// assert_eq!(file.sites()[0].addresses, vec!["example.com"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caddyfile {
    /// The global options block's directives (empty when there is none).
    pub global: Vec<Node>,
    /// Top-level blocks other than the global options, snippets included.
    pub blocks: Vec<Node>,
    /// Problems met (imports that could not be resolved).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String, bool),
    Newline,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let flush = |out: &mut Vec<(Tok, usize)>,
                 word: &mut String,
                 in_word: &mut bool,
                 quoted: &mut bool,
                 line| {
        if *in_word {
            out.push((Tok::Word(std::mem::take(word), *quoted), line));
            *in_word = false;
            *quoted = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                flush(&mut out, &mut word, &mut in_word, &mut quoted, line);
                out.push((Tok::Newline, line));
                line += 1;
            }
            ' ' | '\t' | '\r' => flush(&mut out, &mut word, &mut in_word, &mut quoted, line),
            '#' if !in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push((Tok::Newline, line));
                        line += 1;
                        break;
                    }
                }
            }
            '"' | '`' if !in_word => {
                let start = line;
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '\\' if c == '"' => {
                            if let Some(next) = chars.next() {
                                if next != '"' {
                                    word.push('\\');
                                }
                                word.push(next);
                            }
                        }
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        '\n' => {
                            line += 1;
                            word.push('\n');
                        }
                        q => word.push(q),
                    }
                }
                if !closed {
                    return Err(format!("line {start}: unterminated quote"));
                }
                in_word = true;
                quoted = true;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    flush(&mut out, &mut word, &mut in_word, &mut quoted, line);
    Ok(out)
}

fn build(tokens: &[(Tok, usize)]) -> Result<Vec<Node>, String> {
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut current: Vec<String> = Vec::new();
    let mut current_line = 0;
    for (tok, line) in tokens {
        match tok {
            Tok::Word(w, false) if w == "{" => {
                let node = Node {
                    tokens: std::mem::take(&mut current),
                    children: Vec::new(),
                    line: *line,
                };
                stack.push(node);
            }
            Tok::Word(w, false) if w == "}" => {
                if !current.is_empty() {
                    push(
                        &mut stack,
                        Node {
                            tokens: std::mem::take(&mut current),
                            children: Vec::new(),
                            line: current_line,
                        },
                    );
                }
                if stack.len() < 2 {
                    return Err(format!("line {line}: unexpected '}}'"));
                }
                let done = stack.pop().unwrap_or_default();
                push(&mut stack, done);
            }
            Tok::Word(w, _) => {
                if current.is_empty() {
                    current_line = *line;
                }
                current.push(w.clone());
            }
            Tok::Newline => {
                if !current.is_empty() {
                    push(
                        &mut stack,
                        Node {
                            tokens: std::mem::take(&mut current),
                            children: Vec::new(),
                            line: current_line,
                        },
                    );
                }
            }
        }
    }
    if !current.is_empty() {
        push(
            &mut stack,
            Node {
                tokens: current,
                children: Vec::new(),
                line: current_line,
            },
        );
    }
    if stack.len() != 1 {
        return Err("unbalanced braces: a block is never closed".to_owned());
    }
    Ok(stack.pop().map(|root| root.children).unwrap_or_default())
}

fn push(stack: &mut [Node], node: Node) {
    if let Some(top) = stack.last_mut() {
        top.children.push(node);
    }
}

impl Caddyfile {
    /// Parses a Caddyfile.
    ///
    /// # Errors
    /// On an unterminated quote or unbalanced braces, with the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nodes = build(&tokenize(text)?)?;
        let mut file = Self::default();
        if nodes.first().is_some_and(|n| n.tokens.is_empty()) {
            file.global = nodes.remove(0).children;
        }
        // A single site without braces: the first line is the address, the rest directives.
        if !nodes.is_empty() && nodes.iter().all(|n| n.children.is_empty() || is_snippet(n)) {
            let (snippets, plain): (Vec<Node>, Vec<Node>) = nodes.into_iter().partition(is_snippet);
            let mut plain = plain.into_iter();
            if let Some(address) = plain.next() {
                let line = address.line;
                nodes = snippets;
                nodes.push(Node {
                    tokens: address.tokens,
                    children: plain.collect(),
                    line,
                });
            } else {
                nodes = snippets;
            }
        }
        file.blocks = nodes;
        Ok(file)
    }

    /// True when the global options block has a directive with exactly these words.
    pub fn global_option(&self, words: &[&str]) -> bool {
        self.global.iter().any(|n| {
            n.tokens
                .iter()
                .map(String::as_str)
                .eq(words.iter().copied())
        })
    }

    /// The site blocks, with `import` of snippets expanded.
    pub fn sites(&self) -> Vec<Site> {
        self.blocks
            .iter()
            .filter(|n| !is_snippet(n))
            .map(|n| Site {
                addresses: n
                    .tokens
                    .iter()
                    .map(|t| t.trim_end_matches(',').to_owned())
                    .filter(|t| !t.is_empty())
                    .collect(),
                directives: self.expand(&n.children, 0),
                line: n.line,
            })
            .collect()
    }

    fn expand(&self, nodes: &[Node], depth: usize) -> Vec<Node> {
        let mut out = Vec::new();
        for node in nodes {
            if node.name() == "import" && depth < 8 {
                let name = node.tokens.get(1).map_or("", String::as_str);
                let wanted = format!("({name})");
                if let Some(snippet) = self
                    .blocks
                    .iter()
                    .find(|b| b.tokens.first() == Some(&wanted))
                {
                    out.extend(self.expand(&snippet.children, depth + 1));
                    continue;
                }
            }
            let mut copy = node.clone();
            copy.children = self.expand(&node.children, depth + 1);
            out.push(copy);
        }
        out
    }
}

fn is_snippet(node: &Node) -> bool {
    node.tokens.len() == 1 && node.tokens[0].starts_with('(') && node.tokens[0].ends_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runbook_style_file_with_snippet_and_placeholders() {
        let text = "{\n  admin off # no API\n  servers {\n    protocols h1 h2\n  }\n}\n(sec) {\n  header {\n    X-Frame-Options \"DENY\"\n    -Server\n  }\n}\n{$SUBDOMAIN}.example.com, www.example.com {\n  tls {\n    protocols tls1.3\n  }\n  import sec\n  header_up X-Real-IP {client_ip}\n}\n";
        let f = Caddyfile::parse(text).unwrap();
        assert!(f.global_option(&["admin", "off"]));
        let sites = f.sites();
        assert_eq!(sites.len(), 1);
        assert_eq!(
            sites[0].addresses,
            vec!["{$SUBDOMAIN}.example.com", "www.example.com"]
        );
        let names: Vec<&str> = sites[0].all_directives().iter().map(|n| n.name()).collect();
        assert!(names.contains(&"X-Frame-Options"), "{names:?}");
        assert!(names.contains(&"protocols"));
    }

    #[test]
    fn rejects_unbalanced_input() {
        assert!(Caddyfile::parse("example.com {\n respond ok\n").is_err());
        assert!(Caddyfile::parse("}\n").is_err());
        assert!(Caddyfile::parse("a \"open\n").is_err());
    }

    #[test]
    fn a_site_without_braces() {
        let f = Caddyfile::parse("localhost\nrespond \"ok\"\n").unwrap();
        let sites = f.sites();
        assert_eq!(sites[0].addresses, vec!["localhost"]);
        assert_eq!(sites[0].directives[0].name(), "respond");
    }
}
