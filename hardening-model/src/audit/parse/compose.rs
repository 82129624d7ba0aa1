//! docker-compose.yml and daemon.json, as JSON values.

use serde_json::Value;

/// A compose file's services (name and definition) and top-level keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeFile {
    /// Where it was read from.
    pub path: String,
    /// The whole document.
    pub document: Value,
}

impl ComposeFile {
    /// Parses YAML text into a JSON value.
    ///
    /// # Errors
    /// When the YAML is invalid or its top level is not a mapping.
    pub fn parse(path: &str, text: &str) -> Result<Self, String> {
        let document: Value =
            serde_saphyr::from_str(text).map_err(|e| first_line(&e.to_string()))?;
        if !document.is_object() {
            return Err("the top level is not a mapping".to_owned());
        }
        Ok(Self {
            path: path.to_owned(),
            document,
        })
    }

    /// `(name, definition)` for every service.
    pub fn services(&self) -> Vec<(&str, &Value)> {
        self.document
            .get("services")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default()
    }
}

/// Parses `daemon.json`.
///
/// # Errors
/// When it is not JSON or not an object.
pub fn parse_daemon_json(text: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if value.is_object() {
        Ok(value)
    } else {
        Err("the top level is not an object".to_owned())
    }
}

/// The volume sources and targets of a service (short `src:dst[:mode]` and long syntax).
pub fn volume_paths(service: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for volume in service
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match volume {
            Value::String(short) => out.extend(short.split(':').take(2).map(str::to_owned)),
            Value::Object(long) => {
                for key in ["source", "target"] {
                    if let Some(s) = long.get(key).and_then(Value::as_str) {
                        out.push(s.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A nested value by keys, e.g. `["deploy", "resources", "limits", "memory"]`.
pub fn at<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(value, |v, k| v.get(*k))
}

/// A value rendered as a short string (`"3G"`, `512`, `true`).
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_services_and_volumes() {
        let c = ComposeFile::parse(
            "/opt/app/docker-compose.yml",
            "services:\n  a:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n      - type: bind\n        source: ./data\n        target: /data\n",
        )
        .unwrap();
        let services = c.services();
        assert_eq!(services.len(), 1);
        let paths = volume_paths(services[0].1);
        assert_eq!(
            paths,
            vec![
                "/var/run/docker.sock",
                "/var/run/docker.sock",
                "./data",
                "/data"
            ]
        );
        assert!(ComposeFile::parse("x", "- a\n").is_err());
        assert!(ComposeFile::parse("x", "a: [\n").is_err());
    }
}
