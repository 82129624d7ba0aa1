//! TLS certificates: create (uploaded or managed), retry issuance (plus the shared calls of
//! [`Handle`]). The private key is a secret: redacted in Debug and never logged.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::common::{Created, Handle, Resource};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::certificate::Certificate;
use crate::request::RequestSpec;

/// Marker for `/certificates`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = Certificate;
    const PATH: &'static str = "/certificates";
    const ONE: &'static str = "certificate";
    const MANY: &'static str = "certificates";
    fn name_of(model: &Certificate) -> Option<&str> {
        Some(&model.name)
    }
}

/// Certificate operations; from [`crate::Client::certificates`].
pub type Certificates<'a> = Handle<'a, Kind>;

/// What a certificate is made from.
#[derive(Clone)]
pub enum CertificateSource {
    /// An uploaded PEM chain and its private key.
    Uploaded {
        /// PEM certificate chain.
        certificate: String,
        /// PEM private key.
        private_key: SecretString,
    },
    /// Issued by Hetzner for these domains.
    Managed {
        /// Domain names.
        domain_names: Vec<String>,
    },
}

impl fmt::Debug for CertificateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uploaded { .. } => f.write_str("Uploaded { private_key: [redacted], .. }"),
            Self::Managed { domain_names } => f
                .debug_struct("Managed")
                .field("domain_names", domain_names)
                .finish(),
        }
    }
}

/// A request to create a certificate.
#[derive(Debug, Clone)]
pub struct CreateCertificate {
    /// Unique name.
    pub name: String,
    /// Uploaded or managed.
    pub source: CertificateSource,
    /// Labels.
    pub labels: Labels,
}

/// Builds `POST /certificates`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateCertificate) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    req.labels.validate()?;
    let mut body = match &req.source {
        CertificateSource::Uploaded {
            certificate,
            private_key,
        } => {
            if !certificate.contains("-----BEGIN CERTIFICATE-----") {
                return Err(Error::invalid("certificate", "must be a PEM certificate"));
            }
            if !private_key.expose_secret().contains("-----BEGIN ") {
                return Err(Error::invalid("private_key", "must be a PEM private key"));
            }
            json!({ "name": req.name, "type": "uploaded", "certificate": certificate, "private_key": private_key.expose_secret() })
        }
        CertificateSource::Managed { domain_names } => {
            if domain_names.is_empty() {
                return Err(Error::invalid("domain_names", "name at least one domain"));
            }
            json!({ "name": req.name, "type": "managed", "domain_names": domain_names })
        }
    };
    if !req.labels.is_empty() {
        body["labels"] = json!(req.labels);
    }
    Ok(RequestSpec::post("/certificates", body))
}

impl Handle<'_, Kind> {
    /// Creates a certificate; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateCertificate) -> Result<Created<Certificate>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Retries a failed issuance or renewal of a managed certificate.
    ///
    /// # Errors
    /// The API's error.
    pub async fn retry(&self, id: u64) -> Result<Action> {
        self.action(id, "retry", None).await
    }
}
