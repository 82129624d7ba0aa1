//! `mounts`: fstab entries written by cloud-init (idempotent, unlike appending to `/etc/fstab`).

use hardening_model::values::AbsPath;

use crate::{Error, Result};

/// One fstab entry: device, mount point, type, options, dump, pass.
///
/// ```
/// use cloudinit_builder::Mount;
/// let tmp = Mount::new("tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev,noexec,size=1G")?;
/// assert_eq!(tmp.fields()[3], "rw,nosuid,nodev,noexec,size=1G");
/// assert!(Mount::new("tmpfs", "/tmp", "tmpfs", "rw nosuid").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount([String; 6]);

impl Mount {
    /// An entry with dump `0` and pass `0`.
    pub fn new(device: &str, mount_point: &str, fstype: &str, options: &str) -> Result<Self> {
        check_field("mounts.device", device)?;
        AbsPath::new(mount_point).map_err(|e| Error::from(e).within("mounts"))?;
        check_field("mounts.fstype", fstype)?;
        check_field("mounts.options", options)?;
        Ok(Self([
            device.to_owned(),
            mount_point.to_owned(),
            fstype.to_owned(),
            options.to_owned(),
            "0".to_owned(),
            "0".to_owned(),
        ]))
    }

    /// The six fstab fields.
    pub fn fields(&self) -> &[String; 6] {
        &self.0
    }
}

fn check_field(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if let Some(at) = value
        .chars()
        .position(|c| c.is_whitespace() || c.is_control() || c == '#')
    {
        return Err(Error::invalid(
            field,
            format!("whitespace, control character or '#' at position {at}"),
        ));
    }
    Ok(())
}
