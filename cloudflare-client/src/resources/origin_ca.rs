//! Origin CA certificates (`/certificates`): certificates Cloudflare issues for the origin, trusted
//! by Cloudflare's edge in SSL mode Full (strict). The caller keeps the private key: only the
//! CSR is sent, so no key ever passes through this crate.
//!
//! Creates are not idempotent. A create whose answer was lost is reconciled by its CSR
//! (listing the zone's certificates), so a retry never issues a second certificate.

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::transport::request::{RequestSpec, check_id};

api_enum! {
    /// The key type of the certificate.
    pub enum RequestType {
        /// RSA.
        OriginRsa => "origin-rsa",
        /// ECDSA.
        OriginEcc => "origin-ecc",
        /// For Keyless SSL servers.
        KeylessCertificate => "keyless-certificate",
    }
}

/// Validity periods (days) the API accepts.
pub const VALIDITY_DAYS: [u32; 7] = [7, 30, 90, 365, 730, 1095, 5475];

/// A certificate to request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOriginCertificate {
    /// PEM certificate signing request (`-----BEGIN CERTIFICATE REQUEST-----`).
    pub csr: String,
    /// Hostnames or wildcards (`*.example.com`) the certificate covers.
    pub hostnames: Vec<String>,
    /// Key type; must match the CSR's key.
    pub request_type: RequestType,
    /// Days of validity, one of [`VALIDITY_DAYS`].
    pub requested_validity: u32,
}

impl NewOriginCertificate {
    /// An ECDSA certificate for `hostnames`, valid for 90 days (short-lived: rotate it).
    pub fn ecc(csr: impl Into<String>, hostnames: Vec<String>) -> Self {
        Self {
            csr: csr.into(),
            hostnames,
            request_type: RequestType::OriginEcc,
            requested_validity: 90,
        }
    }

    /// Set the validity in days.
    pub fn validity_days(mut self, days: u32) -> Self {
        self.requested_validity = days;
        self
    }

    fn check(&self) -> Result<()> {
        let csr = self.csr.trim();
        if !(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----")
            || csr.starts_with("-----BEGIN NEW CERTIFICATE REQUEST-----"))
            || !csr.contains("-----END")
        {
            return Err(Error::invalid("csr", "a PEM certificate signing request"));
        }
        if csr.contains("PRIVATE KEY") {
            return Err(Error::invalid(
                "csr",
                "contains a private key; send only the CSR",
            ));
        }
        if self.hostnames.is_empty() || self.hostnames.len() > 100 {
            return Err(Error::invalid("hostnames", "name 1 to 100 hostnames"));
        }
        for (i, h) in self.hostnames.iter().enumerate() {
            let bare = h.strip_prefix("*.").unwrap_or(h);
            crate::resources::dns::check_dns_name(&format!("hostnames[{i}]"), bare)?;
            if bare.contains('*') {
                return Err(Error::invalid(
                    format!("hostnames[{i}]"),
                    "a wildcard is only allowed as the first label (*.example.com)",
                ));
            }
        }
        if !VALIDITY_DAYS.contains(&self.requested_validity) {
            return Err(Error::invalid(
                "requested_validity",
                format!("must be one of {VALIDITY_DAYS:?} days"),
            ));
        }
        Ok(())
    }
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OriginCertificate {
    /// Certificate id.
    pub id: String,
    /// The PEM certificate.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The CSR it was issued for.
    #[serde(default)]
    pub csr: Option<String>,
    /// Hostnames.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// Expiry.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// Key type.
    #[serde(default)]
    pub request_type: Option<RequestType>,
    /// Validity in days.
    #[serde(default)]
    pub requested_validity: Option<u32>,
}

/// The answer to a revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Revoked {
    /// Certificate id.
    pub id: String,
    /// When it was revoked.
    #[serde(default)]
    pub revoked_at: Option<String>,
}

/// `POST /certificates`.
pub fn create_request(new: &NewOriginCertificate) -> Result<RequestSpec> {
    new.check()?;
    RequestSpec::new(Method::POST, "/certificates")
        .with_json(new)
        .map_err(Error::from)
}

/// `GET /certificates?zone_id=`.
pub fn list_request(zone_id: &str) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    Ok(RequestSpec::get("/certificates").with_query("zone_id", zone_id))
}

/// `GET /certificates/{id}`.
pub fn get_request(certificate_id: &str) -> Result<RequestSpec> {
    check_id("certificate_id", certificate_id)?;
    Ok(RequestSpec::get(format!("/certificates/{certificate_id}")))
}

/// `DELETE /certificates/{id}` (revoke).
pub fn revoke_request(certificate_id: &str) -> Result<RequestSpec> {
    check_id("certificate_id", certificate_id)?;
    Ok(RequestSpec::new(
        Method::DELETE,
        format!("/certificates/{certificate_id}"),
    ))
}

/// Origin CA calls; from [`Client::origin_ca`].
#[derive(Debug, Clone, Copy)]
pub struct OriginCaApi<'a> {
    client: &'a Client,
}

impl<'a> OriginCaApi<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Request a certificate for hostnames of `zone_id` (the zone is used to reconcile a
    /// create whose answer was lost: its certificates are listed and the one with this CSR
    /// returned).
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client, csr_pem: String) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::origin_ca::NewOriginCertificate;
    /// let zone = "023e105f4ecef8ad9ca31a8372d0c353";
    /// let new = NewOriginCertificate::ecc(csr_pem, vec!["acme.example.com".into()]);
    /// let cert = client.origin_ca().create(zone, &new).await?;
    /// // Install cert.certificate with your private key; revoke it when rotated:
    /// client.origin_ca().revoke(&cert.id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        zone_id: &str,
        new: &NewOriginCertificate,
    ) -> Result<OriginCertificate> {
        let spec = create_request(new)?;
        check_id("zone_id", zone_id)?;
        match self.client.send::<OriginCertificate>(&spec).await {
            Ok(r) => Ok(r.result),
            Err(e) if e.is_retryable() => {
                let existing = self.list(zone_id).await.ok().and_then(|all| {
                    all.into_iter()
                        .find(|c| c.csr.as_deref().map(str::trim) == Some(new.csr.trim()))
                });
                match existing {
                    Some(found) => {
                        tracing::info!(id = %found.id, "certificate create reconciled by CSR");
                        Ok(found)
                    }
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The zone's Origin CA certificates.
    pub async fn list(&self, zone_id: &str) -> Result<Vec<OriginCertificate>> {
        Ok(self.client.send(&list_request(zone_id)?).await?.result)
    }

    /// One certificate.
    pub async fn get(&self, certificate_id: &str) -> Result<OriginCertificate> {
        Ok(self
            .client
            .send(&get_request(certificate_id)?)
            .await?
            .result)
    }

    /// Revoke a certificate (idempotent `DELETE`).
    pub async fn revoke(&self, certificate_id: &str) -> Result<Revoked> {
        Ok(self
            .client
            .send(&revoke_request(certificate_id)?)
            .await?
            .result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSR: &str =
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

    #[test]
    fn checks_before_sending() {
        let ok = NewOriginCertificate::ecc(CSR, vec!["*.example.com".into(), "example.com".into()]);
        let r = create_request(&ok).unwrap();
        assert_eq!(r.body.as_ref().unwrap()["request_type"], "origin-ecc");
        assert_eq!(r.body.unwrap()["requested_validity"], 90);
        let e = create_request(&ok.clone().validity_days(14)).unwrap_err();
        assert!(e.to_string().contains("requested_validity"), "{e}");
        let e =
            create_request(&NewOriginCertificate::ecc("junk", vec!["a.com".into()])).unwrap_err();
        assert!(e.to_string().contains("csr"), "{e}");
        let with_key = format!("{CSR}-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
        let e =
            create_request(&NewOriginCertificate::ecc(with_key, vec!["a.com".into()])).unwrap_err();
        assert!(e.to_string().contains("private key"), "{e}");
        let e =
            create_request(&NewOriginCertificate::ecc(CSR, vec!["a.*.com".into()])).unwrap_err();
        assert!(e.to_string().contains("hostnames[0]"), "{e}");
        assert_eq!(revoke_request("abc").unwrap().method, Method::DELETE);
    }
}
