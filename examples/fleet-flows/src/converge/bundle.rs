//! Building and signing a bundle: the manifest, its SSHSIG signature and the contents.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use hardening_model::RenderedFile;
use hardening_model::converge::{
    AGENT_NAMESPACE, AGENT_SCRIPT, ManagedFile, Manifest, NAMESPACE, Selector, Validator,
};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey};

use crate::error::{Error, Result};

/// The operator's bundle signing key (Ed25519). Its Debug output shows the public key only.
///
/// ```
/// let signer = fleet_flows::converge::BundleSigner::generate()?;
/// assert!(signer.public_key_line().starts_with("ssh-ed25519 "));
/// # Ok::<(), fleet_flows::Error>(())
/// ```
pub struct BundleSigner {
    key: PrivateKey,
}

impl fmt::Debug for BundleSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleSigner")
            .field("public_key", &self.public_key_line())
            .finish_non_exhaustive()
    }
}

impl BundleSigner {
    /// A fresh random Ed25519 key.
    ///
    /// # Errors
    /// The system random source failed.
    pub fn generate() -> Result<Self> {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519).map_err(
            |e| Error::invalid("converge.signer", format!("key generation failed: {e}")),
        )?;
        Ok(Self { key })
    }

    /// An unencrypted OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`), Ed25519 only.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `converge.signer` (the key material is never repeated).
    pub fn from_openssh(pem: &str) -> Result<Self> {
        let key = PrivateKey::from_openssh(pem)
            .map_err(|_| Error::invalid("converge.signer", "not an OpenSSH private key"))?;
        if key.algorithm() != Algorithm::Ed25519 || key.is_encrypted() {
            return Err(Error::invalid(
                "converge.signer",
                "must be an unencrypted Ed25519 key",
            ));
        }
        Ok(Self { key })
    }

    /// The key in OpenSSH private key format, for the operator to store (mode 0600).
    ///
    /// # Errors
    /// Encoding failed.
    pub fn to_openssh(&self) -> Result<String> {
        self.key
            .to_openssh(LineEnding::LF)
            .map(|s| s.to_string())
            .map_err(|e| Error::invalid("converge.signer", format!("encoding failed: {e}")))
    }

    /// The public key line (`ssh-ed25519 AAAA...`) every host pins at first boot.
    pub fn public_key_line(&self) -> String {
        self.key.public_key().to_openssh().unwrap_or_default()
    }

    /// Signs `manifest_text` in namespace [`NAMESPACE`]: the armored SSHSIG that
    /// `ssh-keygen -Y verify -n hardened-fleet-bundle` accepts.
    fn sign(&self, manifest_text: &str) -> Result<String> {
        self.sign_in(NAMESPACE, manifest_text.as_bytes())
    }

    /// Signs an agent script in namespace [`AGENT_NAMESPACE`]: the `agent.sig` the host's
    /// bootstrap verifies before it installs the agent. [`Bundle::build`] signs
    /// [`AGENT_SCRIPT`] with it; call it directly to publish another agent build.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `converge.signer` when signing fails.
    pub fn sign_agent(&self, script: &[u8]) -> Result<String> {
        self.sign_in(AGENT_NAMESPACE, script)
    }

    fn sign_in(&self, namespace: &str, bytes: &[u8]) -> Result<String> {
        let sig = self
            .key
            .sign(namespace, HashAlg::Sha512, bytes)
            .map_err(|e| Error::invalid("converge.signer", format!("signing failed: {e}")))?;
        sig.to_pem(LineEnding::LF)
            .map_err(|e| Error::invalid("converge.signer", format!("encoding failed: {e}")))
    }
}

/// One desired host file and the tool that validates it.
#[derive(Debug, Clone)]
pub struct DesiredFile {
    /// The rendered file (path, mode, content).
    pub file: RenderedFile,
    /// Its validator on the host.
    pub validator: Validator,
}

impl DesiredFile {
    /// `file`, validated on the host by `validator`.
    pub fn new(file: RenderedFile, validator: Validator) -> Self {
        Self { file, validator }
    }
}

/// A signed bundle, ready to publish.
#[derive(Clone)]
pub struct Bundle {
    manifest: Manifest,
    manifest_text: String,
    signature: String,
    agent_signature: String,
    contents: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // contents may include keys lists; show sizes only
        f.debug_struct("Bundle")
            .field("version", &self.manifest.version())
            .field("files", &self.contents.len())
            .finish_non_exhaustive()
    }
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl Bundle {
    /// Builds and signs version `version` of the desired state for the hosts `selector`
    /// matches. `created_at` is `YYYY-MM-DDTHH:MM:SSZ`.
    ///
    /// # Errors
    /// [`Error::Model`] naming the manifest field (a path outside the managed directories, a
    /// mode with execute bits, version 0, duplicate paths); nothing is signed.
    pub fn build(
        signer: &BundleSigner,
        version: u64,
        created_at: &str,
        selector: Selector,
        files: &[DesiredFile],
    ) -> Result<Self> {
        let mut contents = BTreeMap::new();
        let mut managed = Vec::with_capacity(files.len());
        for (i, desired) in files.iter().enumerate() {
            let bytes = desired.file.content.as_bytes().to_vec();
            let sha = sha256_hex(&bytes);
            managed.push(
                ManagedFile::new(
                    &desired.file.path,
                    desired.file.mode,
                    &sha,
                    desired.validator,
                )
                .map_err(|e| e.within(&format!("bundle.files[{i}]")))?,
            );
            contents.insert(sha, bytes);
        }
        let manifest = Manifest::new(version, created_at, selector, managed)?;
        let manifest_text = manifest.render();
        let signature = signer.sign(&manifest_text)?;
        let agent_signature = signer.sign_agent(AGENT_SCRIPT.as_bytes())?;
        Ok(Self {
            manifest,
            manifest_text,
            signature,
            agent_signature,
            contents,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The signed manifest text.
    pub fn manifest_text(&self) -> &str {
        &self.manifest_text
    }

    /// The armored SSHSIG signature.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The armored SSHSIG signature of the agent ([`AGENT_SCRIPT`], namespace
    /// [`AGENT_NAMESPACE`]) published next to the bundle for the hosts' bootstrap.
    pub fn agent_signature(&self) -> &str {
        &self.agent_signature
    }

    /// The contents by SHA-256.
    pub fn contents(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.contents
    }

    /// Writes the store layout below `dir`: `files/<sha256>`, `agent`, `agent.sig`,
    /// `manifest.sig`, `manifest` (contents first, manifest last, so a host never sees a
    /// manifest whose files are missing).
    ///
    /// # Errors
    /// [`Error::Command`] (step `bundle write`) naming the file that could not be written.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        let fail = |p: &Path, e: std::io::Error| Error::Command {
            step: "bundle write".to_owned(),
            detail: format!("{}: {e}", p.display()),
        };
        let files = dir.join("files");
        std::fs::create_dir_all(&files).map_err(|e| fail(&files, e))?;
        for (sha, bytes) in &self.contents {
            let p = files.join(sha);
            std::fs::write(&p, bytes).map_err(|e| fail(&p, e))?;
        }
        for (name, text) in [
            ("agent", AGENT_SCRIPT),
            ("agent.sig", self.agent_signature.as_str()),
            ("manifest.sig", self.signature.as_str()),
            ("manifest", self.manifest_text.as_str()),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| fail(&p, e))?;
        }
        Ok(())
    }
}
