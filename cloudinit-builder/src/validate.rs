//! Whole-document checks run before every rendering: entries re-validated, duplicate paths,
//! and secrets found outside their `0600` files.

use std::collections::BTreeSet;

use crate::secret::MIN_SECRET_LEN;
use crate::write_file::Content;
use crate::{CloudConfig, Error, Result};

const SECRET_ELSEWHERE: &str = "a secret value may only appear in a root-owned 0600 file";

impl CloudConfig {
    /// Checks the whole document without rendering it.
    pub fn validate(&self) -> Result<()> {
        if self.no_default_user && self.users.is_empty() {
            return Err(Error::invalid(
                "users",
                "without the default user at least one user is required (the host could not be logged into)",
            ));
        }
        let mut paths = BTreeSet::new();
        for (i, f) in self.write_files.iter().enumerate() {
            let field = format!("write_files[{i}]");
            f.validate().map_err(|e| e.within(&field))?;
            if !f.append && !paths.insert(f.path.as_str()) {
                return Err(Error::invalid(
                    format!("{field}.path"),
                    "another entry already writes this path",
                ));
            }
        }
        self.check_secrets()
    }

    /// Every secret value, with the index of the file that holds it.
    fn secret_values(&self) -> Result<Vec<(usize, &str)>> {
        let mut out = Vec::new();
        for (i, f) in self.write_files.iter().enumerate() {
            if let Content::Secret { values, .. } = &f.content {
                for v in values {
                    let v = v.expose();
                    if v.chars().count() < MIN_SECRET_LEN {
                        return Err(Error::invalid(
                            format!("write_files[{i}].content"),
                            format!("a secret must have at least {MIN_SECRET_LEN} characters"),
                        ));
                    }
                    out.push((i, v));
                }
            }
        }
        Ok(out)
    }

    /// Every string of the document that is not inside a secret file, named by its field.
    pub(crate) fn public_strings(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |field: String, s: &str| out.push((field, s.to_owned()));
        for (i, p) in self.packages.iter().enumerate() {
            push(format!("packages[{i}]"), p);
        }
        for (name, s) in &self.apt_sources {
            push(format!("apt.sources.{name}.source"), &s.source);
            match (s.keyid(), s.keyserver()) {
                (Some(id), Some(server)) => {
                    push(format!("apt.sources.{name}.keyid"), id);
                    push(format!("apt.sources.{name}.keyserver"), server);
                }
                _ => push(format!("apt.sources.{name}.key"), &s.key),
            }
        }
        for (i, u) in self.users.iter().enumerate() {
            if let Some(s) = &u.sudo {
                push(format!("users[{i}].sudo"), s);
            }
            for (j, k) in u.ssh_keys.iter().enumerate() {
                push(format!("users[{i}].ssh_authorized_keys[{j}]"), k.as_str());
            }
        }
        if let Some(tz) = &self.timezone {
            push("timezone".into(), tz);
        }
        for (i, m) in self.mounts.iter().enumerate() {
            push(format!("mounts[{i}]"), &m.fields().join(" "));
        }
        for (i, c) in self.bootcmd.iter().enumerate() {
            push(format!("bootcmd[{i}]"), &c.to_shell());
        }
        for (i, c) in self.runcmd.iter().enumerate() {
            push(format!("runcmd[{i}]"), &c.to_shell());
        }
        for (i, f) in self.write_files.iter().enumerate() {
            push(format!("write_files[{i}].path"), &f.path);
            match &f.content {
                Content::Text(t) => push(format!("write_files[{i}].content"), t),
                Content::Binary(b) => {
                    push(
                        format!("write_files[{i}].content"),
                        &String::from_utf8_lossy(b),
                    );
                }
                Content::Secret { .. } => {}
            }
        }
        if let Some(m) = self.power_state.as_ref().and_then(|p| p.message.as_ref()) {
            push("power_state.message".into(), m);
        }
        if let Some(p) = &self.phone_home {
            push("phone_home.url".into(), &p.url);
        }
        if let Some(m) = &self.final_message {
            push("final_message".into(), m);
        }
        for (key, raw) in &self.raw {
            collect_json(&format!("raw.{key}"), &raw.value, &mut out);
        }
        out
    }

    fn check_secrets(&self) -> Result<()> {
        let secrets = self.secret_values()?;
        if secrets.is_empty() {
            return Ok(());
        }
        for (field, text) in self.public_strings() {
            if secrets.iter().any(|(_, s)| text.contains(s)) {
                return Err(Error::SecretExposed {
                    field,
                    reason: SECRET_ELSEWHERE,
                });
            }
        }
        Ok(())
    }
}

fn collect_json(field: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::String(s) => out.push((field.to_owned(), s.clone())),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_json(&format!("{field}[{i}]"), x, out);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push((format!("{field}.{k}"), k.clone()));
                collect_json(&format!("{field}.{k}"), x, out);
            }
        }
        other => out.push((field.to_owned(), other.to_string())),
    }
}
