//! `xmllint` (libxml2) on an XML document, well-formedness alone or against an XSD schema.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// libxml2's command-line XML parser and schema validator.
#[derive(Debug, Clone)]
pub struct Xmllint {
    bin: PathBuf,
}

/// Finds `xmllint`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn xmllint() -> Option<Xmllint> {
    require(
        "xmllint",
        "apt-get install libxml2-utils, or bash .ci/install-validators",
    )
    .map(|bin| Xmllint { bin })
}

impl Xmllint {
    /// Runs `xmllint --noout --nonet DOCUMENT`: Ok when the document is well-formed XML.
    pub fn check(&self, xml: &str) -> Result<(), Rejection> {
        self.run(None, xml)
    }

    /// Runs `xmllint --noout --nonet --schema SCHEMA DOCUMENT`: Ok when the document is
    /// well-formed and valid against the XSD.
    pub fn check_schema(&self, schema: &Path, xml: &str) -> Result<(), Rejection> {
        self.run(Some(schema), xml)
    }

    fn run(&self, schema: Option<&Path>, xml: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("xmllint")?;
        let file = dir.write("document.xml", xml)?;
        let mut cmd = Command::new(&self.bin);
        cmd.args(["--noout", "--nonet"]);
        if let Some(schema) = schema {
            cmd.arg("--schema").arg(schema);
        }
        exec::run(cmd.arg(&file)).map(|_| ())
    }
}

/// An XSD of the Wazuh agent's `<ossec_config>` block: the client, syscheck, rootcheck and
/// localfile sections with the options and value types of the Wazuh 4.x reference; other
/// sections are accepted with any content, unknown ones refused.
pub fn wazuh_agent_schema() -> PathBuf {
    crate::workspace_root()
        .join("hardening-model")
        .join("validators")
        .join("schemas")
        .join("wazuh-agent-ossec-config.xsd")
}
