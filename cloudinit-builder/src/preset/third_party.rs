//! An operator's own signed apt repository and the packages installed from it.

use super::{Contribution, Part, RunbookInputs, Slot, Stage};
use crate::{AptSource, Command, Error, Result};

/// A signed third-party apt repository of the operator's own, with the packages to install
/// from it. Like the preset's own repositories (Falco, Alloy, Wazuh) its list reaches apt
/// only in the [`THIRD_PARTY_SOURCES_STEP`](super::THIRD_PARTY_SOURCES_STEP) step, after every
/// distribution package, and its packages are installed right after, in [`Stage::Monitoring`].
/// It fills [`Slot::Custom`]`("apt.NAME")`, `NAME` being the source's name.
///
/// ```
/// use cloudinit_builder::AptSource;
/// use cloudinit_builder::preset::{Slot, ThirdPartySource, Part};
/// # let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGXample\n-----END PGP PUBLIC KEY BLOCK-----\n";
/// let source = AptSource::signed("vendor", "https://apt.example.com/deb", "stable", ["main"], key)?;
/// let part = ThirdPartySource::new(source, ["vendor-agent"])?;
/// assert_eq!(part.slot(), Slot::Custom("apt.vendor".into()));
/// assert!(ThirdPartySource::new(part.source().clone(), ["Bad Name"]).is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ThirdPartySource {
    source: AptSource,
    packages: Vec<String>,
}

impl ThirdPartySource {
    /// `source` and the packages installed from it (`[a-z0-9][a-z0-9.+-]*`, at least one);
    /// a bad name is refused naming `apt.packages[i]`.
    pub fn new<I, S>(source: AptSource, packages: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let packages: Vec<String> = packages.into_iter().map(Into::into).collect();
        if packages.is_empty() {
            return Err(Error::invalid("apt.packages", "name at least one package"));
        }
        for (i, p) in packages.iter().enumerate() {
            let ok = p.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && p.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '+' | '-')
                });
            if !ok {
                return Err(Error::invalid(
                    format!("apt.packages[{i}]"),
                    "must match [a-z0-9][a-z0-9.+-]*",
                ));
            }
        }
        Ok(Self { source, packages })
    }

    /// The repository.
    pub fn source(&self) -> &AptSource {
        &self.source
    }

    /// The packages installed from it.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }
}

impl Part for ThirdPartySource {
    fn slot(&self) -> Slot {
        Slot::Custom(format!("apt.{}", self.source.name()))
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.apt_source(self.source.clone());
        let mut install = vec![
            "env".to_owned(),
            "DEBIAN_FRONTEND=noninteractive".to_owned(),
            "apt-get".to_owned(),
            "install".to_owned(),
            "-y".to_owned(),
            "--no-install-recommends".to_owned(),
        ];
        install.extend(self.packages.iter().cloned());
        out.command(Stage::Monitoring, Command::argv(install)?);
        Ok(())
    }
}

impl RunbookInputs {
    /// A signed apt repository of the operator's own and the packages installed from it
    /// ([`ThirdPartySource`]): put in place by the `apt_sources` step with the preset's own
    /// repositories, its packages installed right after. A second source with the same name
    /// replaces the first.
    #[must_use]
    pub fn third_party(mut self, source: ThirdPartySource) -> Self {
        self.third_party
            .retain(|s| s.source().name() != source.source().name());
        self.third_party.push(source);
        self
    }
}
