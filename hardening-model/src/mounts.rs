//! Mount hardening (runbook 2.4): tmpfs mounts as systemd mount units, block devices as
//! entries for cloud-init's `mounts` key. Nothing is ever appended to `/etc/fstab`.
//!
//! The runbook writes `/etc/fstab.d/...` (which nothing reads at boot), appends it to
//! `/etc/fstab` from `runcmd` (duplicated on every rerun) and runs `mount -o remount /tmp`
//! (which fails: `/tmp` is not a mount point on a fresh 24.04 host). Instead:
//! - a [`TmpfsMount`] renders a complete systemd mount unit (`tmp.mount`, `var-tmp.mount`)
//!   enabled with `systemctl enable --now`, which mounts it now and at every boot. cloud-init's
//!   `mounts` key cannot carry these: its `cc_mounts` skips any entry whose first field is not a
//!   block device or network share, and `tmpfs` is neither.
//! - a [`BlockMount`] (e.g. a Hetzner volume for `/var/lib/docker`) becomes one
//!   `[fs_spec, fs_file, fs_vfstype, fs_mntops, fs_freq, fs_passno]` entry for cloud-init's
//!   `mounts`, which manages its own fstab lines idempotently.
//!
//! `/dev/shm` is refused as a [`TmpfsMount`]: systemd mounts it itself early at boot
//! (`nosuid,nodev`), and its options come from `/etc/fstab`, not from a unit file.

use crate::command::HostCommand;
use crate::values::AbsPath;
use crate::{Error, Problem, RenderedFile, Result};

/// Mount points that are API filesystems or must never be replaced by a tmpfs.
const REFUSED: &[&str] = &[
    "/", "/boot", "/dev", "/dev/shm", "/etc", "/proc", "/run", "/sys", "/usr", "/var",
];

/// Options shared by every hardened mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountFlags {
    /// `nodev`: device files are not interpreted.
    pub nodev: bool,
    /// `nosuid`: set-user-ID bits are ignored.
    pub nosuid: bool,
    /// `noexec`: binaries cannot be executed from the mount.
    pub noexec: bool,
}

impl MountFlags {
    /// `nodev,nosuid,noexec` (CIS 1.1.2.x).
    pub const HARDENED: Self = Self {
        nodev: true,
        nosuid: true,
        noexec: true,
    };

    fn push_into(self, opts: &mut Vec<String>) {
        for (on, name) in [
            (self.nosuid, "nosuid"),
            (self.nodev, "nodev"),
            (self.noexec, "noexec"),
        ] {
            if on {
                opts.push(name.to_owned());
            }
        }
    }
}

/// A tmpfs mounted by a systemd mount unit.
///
/// ```
/// use hardening_model::mounts::{MountFlags, TmpfsMount};
/// use hardening_model::values::AbsPath;
///
/// let tmp = TmpfsMount::new(AbsPath::new("/var/tmp").unwrap(), 256, 0o1777, MountFlags::HARDENED).unwrap();
/// assert_eq!(tmp.unit_name(), "var-tmp.mount");
/// let unit = tmp.unit();
/// assert_eq!(unit.path, "/etc/systemd/system/var-tmp.mount");
/// assert!(unit.content.contains("Options=mode=1777,strictatime,nosuid,nodev,noexec,size=256M\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsMount {
    mount_point: AbsPath,
    size_mib: u32,
    mode: u32,
    flags: MountFlags,
}

impl TmpfsMount {
    /// A tmpfs of `size_mib` MiB (1 to 1048576) with permission `mode` (at most `0o7777`).
    pub fn new(mount_point: AbsPath, size_mib: u32, mode: u32, flags: MountFlags) -> Result<Self> {
        if REFUSED.contains(&mount_point.as_str()) {
            return Err(Error::invalid(
                "mount_point",
                "this path is an API filesystem or system directory and cannot be a tmpfs unit",
            ));
        }
        if !(1..=1_048_576).contains(&size_mib) {
            return Err(Error::new(
                "size_mib",
                Problem::OutOfRange {
                    min: 1,
                    max: 1_048_576,
                    value: size_mib.into(),
                },
            ));
        }
        if mode > 0o7777 {
            return Err(Error::invalid("mode", "must be at most 0o7777"));
        }
        Ok(Self {
            mount_point,
            size_mib,
            mode,
            flags,
        })
    }

    /// The mount point.
    pub fn mount_point(&self) -> &AbsPath {
        &self.mount_point
    }

    /// The mount options, e.g. `mode=1777,strictatime,nosuid,nodev,noexec,size=512M`.
    pub fn options(&self) -> String {
        let mut opts = vec![format!("mode={:o}", self.mode), "strictatime".to_owned()];
        self.flags.push_into(&mut opts);
        opts.push(format!("size={}M", self.size_mib));
        opts.join(",")
    }

    /// The unit name systemd requires for this mount point (`systemd-escape --path`).
    pub fn unit_name(&self) -> String {
        format!("{}.mount", escape_path(self.mount_point.as_str()))
    }

    /// The mount unit in `/etc/systemd/system` (mode 0644).
    pub fn unit(&self) -> RenderedFile {
        let at = self.mount_point.as_str();
        RenderedFile::root(
            format!("/etc/systemd/system/{}", self.unit_name()),
            0o644,
            format!(
                "# Rendered by hardening-model: tmpfs on {at} (CIS 1.1.2.x mount options).\n\
                 [Unit]\n\
                 Description=Hardened tmpfs on {at}\n\
                 ConditionPathIsSymbolicLink=!{at}\n\
                 DefaultDependencies=no\n\
                 Conflicts=umount.target\n\
                 Before=local-fs.target umount.target\n\
                 After=swap.target\n\
                 \n\
                 [Mount]\n\
                 What=tmpfs\n\
                 Where={at}\n\
                 Type=tmpfs\n\
                 Options={}\n\
                 \n\
                 [Install]\n\
                 WantedBy=local-fs.target\n",
                self.options()
            ),
        )
    }
}

/// `systemd-escape --path`: `/` becomes `-`, bytes outside `[A-Za-z0-9:_.]` (and a leading
/// `.`) become `\xNN`.
fn escape_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::new();
    for (i, b) in trimmed.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.') => {
                out.push(char::from(b))
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// A block-device filesystem type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFs {
    /// ext4.
    Ext4,
    /// XFS.
    Xfs,
}

/// A block device (e.g. a Hetzner volume under `/dev/disk/by-id/`) mounted through
/// cloud-init's `mounts` key.
///
/// ```
/// use hardening_model::mounts::{BlockFs, BlockMount, MountFlags};
/// use hardening_model::values::AbsPath;
///
/// let m = BlockMount {
///     device: AbsPath::new("/dev/disk/by-id/scsi-0HC_Volume_1").unwrap(),
///     mount_point: AbsPath::new("/var/lib/docker").unwrap(),
///     fs: BlockFs::Ext4,
///     flags: MountFlags { nodev: true, nosuid: true, noexec: false },
/// };
/// assert_eq!(m.cloud_init_entry()[3], "defaults,nofail,nosuid,nodev");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockMount {
    /// The device path.
    pub device: AbsPath,
    /// Where it is mounted.
    pub mount_point: AbsPath,
    /// Its filesystem.
    pub fs: BlockFs,
    /// Hardening options.
    pub flags: MountFlags,
}

impl BlockMount {
    /// The six fstab fields cloud-init's `mounts` key takes. `nofail` keeps a missing volume
    /// from dropping the host into emergency mode at boot.
    pub fn cloud_init_entry(&self) -> [String; 6] {
        let mut opts = vec!["defaults".to_owned(), "nofail".to_owned()];
        self.flags.push_into(&mut opts);
        let fs = match self.fs {
            BlockFs::Ext4 => "ext4",
            BlockFs::Xfs => "xfs",
        };
        [
            self.device.to_string(),
            self.mount_point.to_string(),
            fs.to_owned(),
            opts.join(","),
            "0".to_owned(),
            "2".to_owned(),
        ]
    }
}

/// The mounts of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountPolicy {
    tmpfs: Vec<TmpfsMount>,
    block: Vec<BlockMount>,
}

impl MountPolicy {
    /// No mounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tmpfs mount; a mount point may appear once (field `mounts.tmpfs[i]`).
    pub fn tmpfs(mut self, mount: TmpfsMount) -> Result<Self> {
        self.check_unique(
            &format!("mounts.tmpfs[{}]", self.tmpfs.len()),
            &mount.mount_point,
        )?;
        self.tmpfs.push(mount);
        Ok(self)
    }

    /// Adds a block-device mount (field `mounts.block[i]`).
    pub fn block(mut self, mount: BlockMount) -> Result<Self> {
        self.check_unique(
            &format!("mounts.block[{}]", self.block.len()),
            &mount.mount_point,
        )?;
        self.block.push(mount);
        Ok(self)
    }

    fn check_unique(&self, field: &str, at: &AbsPath) -> Result<()> {
        let taken = self.tmpfs.iter().map(|m| &m.mount_point);
        if taken
            .chain(self.block.iter().map(|m| &m.mount_point))
            .any(|p| p == at)
        {
            return Err(Error::invalid(
                format!("{field}.mount_point"),
                "the mount point is used twice",
            ));
        }
        Ok(())
    }

    /// The tmpfs mounts.
    pub fn tmpfs_mounts(&self) -> &[TmpfsMount] {
        &self.tmpfs
    }

    /// One mount unit per tmpfs mount.
    pub fn files(&self) -> Vec<RenderedFile> {
        self.tmpfs.iter().map(TmpfsMount::unit).collect()
    }

    /// Entries for cloud-init's `mounts` key (block devices only).
    pub fn cloud_init_mounts(&self) -> Vec<[String; 6]> {
        self.block
            .iter()
            .map(BlockMount::cloud_init_entry)
            .collect()
    }

    /// The commands that activate the units after they are written: `daemon-reload`, then
    /// `systemctl enable --now` for every unit (mounts now and at each boot; idempotent).
    pub fn commands(&self) -> Vec<HostCommand> {
        if self.tmpfs.is_empty() {
            return Vec::new();
        }
        let mut enable = vec![
            "systemctl".to_owned(),
            "enable".to_owned(),
            "--now".to_owned(),
        ];
        enable.extend(self.tmpfs.iter().map(TmpfsMount::unit_name));
        vec![
            HostCommand::new(["systemctl", "daemon-reload"], "load the new mount units"),
            HostCommand::new(enable, "mount the hardened tmpfs now and at every boot"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpfs(p: &str) -> Result<TmpfsMount> {
        TmpfsMount::new(AbsPath::new(p)?, 512, 0o1777, MountFlags::HARDENED)
    }

    #[test]
    fn escaping_matches_systemd() {
        assert_eq!(escape_path("/tmp"), "tmp");
        assert_eq!(escape_path("/var/tmp"), "var-tmp");
        assert_eq!(escape_path("/srv/my-data"), "srv-my\\x2ddata");
        assert_eq!(escape_path("/.hidden/x"), "\\x2ehidden-x");
    }

    #[test]
    fn refuses_api_filesystems_and_duplicates() {
        assert_eq!(tmpfs("/dev/shm").unwrap_err().field(), "mount_point");
        let p = MountPolicy::new().tmpfs(tmpfs("/tmp").unwrap()).unwrap();
        assert_eq!(
            p.tmpfs(tmpfs("/tmp").unwrap()).unwrap_err().field(),
            "mounts.tmpfs[1].mount_point"
        );
        assert_eq!(
            TmpfsMount::new(
                AbsPath::new("/tmp").unwrap(),
                0,
                0o1777,
                MountFlags::HARDENED
            )
            .unwrap_err()
            .field(),
            "size_mib"
        );
    }

    #[test]
    fn commands_enable_every_unit() {
        let p = MountPolicy::new()
            .tmpfs(tmpfs("/tmp").unwrap())
            .unwrap()
            .tmpfs(tmpfs("/var/tmp").unwrap())
            .unwrap();
        let lines: Vec<String> = p.commands().iter().map(HostCommand::shell_line).collect();
        assert_eq!(
            lines,
            [
                "systemctl daemon-reload",
                "systemctl enable --now tmp.mount var-tmp.mount"
            ]
        );
        assert!(p.files()[0].content.contains("\nWhere=/tmp\n"));
        assert!(!p.files().iter().any(|f| f.path.contains("fstab")));
    }
}
