//! An in-memory stand-in for the host agent, for fleet-scale tests and benchmarks against the
//! API simulators: the same decisions in the same order as the agent script (signature in
//! namespace `hardened-fleet-bundle` by the pinned key, no replay or downgrade, every digest,
//! managed files a newer bundle no longer names removed),
//! without the real tools or a real root. The script itself is tested against a real root.

use std::collections::BTreeMap;

use cloudinit_builder::Secret;
use hardening_model::converge::{Manifest, NAMESPACE};
use ssh_key::{PublicKey, SshSig};

use super::bundle::{Bundle, sha256_hex};
use crate::error::{Error, Result};

/// One simulated host: its pinned signer, applied version and managed files.
#[derive(Debug, Clone)]
pub struct SimulatedHost {
    instance: String,
    signer: PublicKey,
    report_key: Secret,
    applied: u64,
    applied_manifest: Option<String>,
    files: BTreeMap<String, Vec<u8>>,
}

impl SimulatedHost {
    /// A host that pins `signer_line` (`ssh-ed25519 ...`) and signs reports with `report_key`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `converge.signer_key` when the key does not parse.
    pub fn new(instance: &str, signer_line: &str, report_key: Secret) -> Result<Self> {
        let signer = PublicKey::from_openssh(signer_line)
            .map_err(|_| Error::invalid("converge.signer_key", "not an OpenSSH public key"))?;
        Ok(Self {
            instance: instance.to_owned(),
            signer,
            report_key,
            applied: 0,
            applied_manifest: None,
            files: BTreeMap::new(),
        })
    }

    /// The version it holds.
    pub fn applied_version(&self) -> u64 {
        self.applied
    }

    /// Overwrites a managed file locally (what an intruder or a hand edit does).
    pub fn tamper(&mut self, path: &str, content: &[u8]) {
        self.files.insert(path.to_owned(), content.to_vec());
    }

    /// Pulls `bundle`: `Ok(true)` when applied, `Ok(false)` when already current; an error
    /// (nothing changed) when rejected.
    ///
    /// # Errors
    /// [`Error::State`] saying why the bundle was rejected.
    pub fn pull(&mut self, bundle: &Bundle) -> Result<bool> {
        let reject = |why: &str| Err(Error::State(format!("{}: rejected: {why}", self.instance)));
        let Ok(sig) = SshSig::from_pem(bundle.signature()) else {
            return reject("signature does not parse");
        };
        if self
            .signer
            .verify(NAMESPACE, bundle.manifest_text().as_bytes(), &sig)
            .is_err()
        {
            return reject("signature does not verify");
        }
        let Ok(manifest) = Manifest::parse(bundle.manifest_text()) else {
            return reject("manifest does not parse");
        };
        if manifest.version() <= self.applied {
            if manifest.version() == self.applied
                && self.applied_manifest.as_deref() == Some(bundle.manifest_text())
            {
                return Ok(false);
            }
            return reject("version is not newer than the applied one");
        }
        let mut staged = Vec::new();
        for f in manifest.files() {
            match bundle.contents().get(f.sha256()) {
                Some(bytes) if sha256_hex(bytes) == f.sha256() => {
                    staged.push((f.path().to_owned(), bytes.clone()));
                }
                _ => return reject("content does not match its digest"),
            }
        }
        // files the bundle no longer names are removed, as the agent removes them
        self.files = staged.into_iter().collect();
        self.applied = manifest.version();
        self.applied_manifest = Some(bundle.manifest_text().to_owned());
        Ok(true)
    }

    /// The report the agent would upload: status lines and an `hmac=` line.
    pub fn report(&self) -> String {
        let mut body = format!(
            "instance={}\nstate=applied\nreason=simulated\napplied_version={}\noffered_version={}\nat=2026-12-07T18:00:00Z\n",
            self.instance, self.applied, self.applied
        );
        for (path, bytes) in &self.files {
            body.push_str(&format!("file {} {path}\n", sha256_hex(bytes)));
        }
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            self.report_key.expose().trim().as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&key, body.as_bytes());
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        format!("{body}hmac={hex}\n")
    }
}
