//! `check-jsonschema --schemafile` on a YAML or JSON document.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

const HINT: &str = "bash .ci/install-validators installs pip check-jsonschema into .ci/venv";

/// check-jsonschema (PyPI), a JSON Schema validator that also rejects duplicate YAML keys.
#[derive(Debug, Clone)]
pub struct CheckJsonschema {
    bin: PathBuf,
}

/// Finds `check-jsonschema`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn check_jsonschema() -> Option<CheckJsonschema> {
    require("check-jsonschema", HINT).map(|bin| CheckJsonschema { bin })
}

impl CheckJsonschema {
    /// Runs `check-jsonschema --schemafile SCHEMA DOCUMENT`. The document is parsed as YAML
    /// (which also reads JSON), so a `#cloud-config` first line is just a comment.
    pub fn check(&self, schema: &Path, document: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("check-jsonschema")?;
        let file = dir.write("document.yaml", document)?;
        exec::run(
            Command::new(&self.bin)
                .arg("--no-cache")
                .arg("--schemafile")
                .arg(schema)
                .arg(&file)
                .env("HOME", dir.path())
                .env("XDG_CACHE_HOME", dir.path().join("cache")),
        )
        .map(|_| ())
    }
}

/// The cloud-init 26.1 `cloud-config` JSON schema (what Ubuntu 24.04 runs), from tag
/// `ubuntu/26.1-0ubuntu1_24.04.1` of canonical/cloud-init. Unlike Debian's older schema it rejects
/// unknown top-level keys.
pub fn cloud_init_26_1_schema() -> PathBuf {
    crate::workspace_root()
        .join("hardening-model")
        .join("validators")
        .join("schemas")
        .join("cloud-init-26.1-schema-cloud-config-v1.json")
}

/// A JSON schema of a Falco rules file (rule, macro, list and version items with the fields
/// Falco's rules reference documents; unknown keys refused; a new rule needs `desc`,
/// `condition`, `output` and `priority`). The falco binary does not install here, so this
/// with check-jsonschema's YAML parser is the closest real check of a rules file.
pub fn falco_rules_schema() -> PathBuf {
    crate::workspace_root()
        .join("hardening-model")
        .join("validators")
        .join("schemas")
        .join("falco-rules.schema.json")
}
