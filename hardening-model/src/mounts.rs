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
//! (`nosuid,nodev`), and its options come from `/etc/fstab`, not from a unit file. It and
//! `/proc` are [`ApiMount`]s: one `/etc/fstab` line each (replaced, never appended twice), read
//! at every boot by `systemd-remount-fs.service`, and applied live by `mount -o remount`.
//!
//! Every change is applied live as well as persisted: a tmpfs unit that is already mounted
//! (Debian 13 mounts `/tmp` itself; a container runtime does too) is remounted with the unit's
//! options by `systemctl reload-or-restart`, which `enable --now` would leave as it was until
//! the next boot.

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

/// The group exempt from `/proc`'s `hidepid` ([`ApiMount::proc_hidepid`]).
pub const PROC_GROUP: &str = "proc";

/// Units that must see other users' processes under `hidepid`: they get [`PROC_GROUP`] as a
/// supplementary group (`systemd-logind` resolves the session of a login's process, `polkitd`
/// checks the process asking for an action; both run with fewer capabilities than the
/// processes they look at, so `hidepid` would hide those from them).
pub const HIDEPID_EXEMPT_UNITS: &[&str] = &["systemd-logind.service", "polkit.service"];

/// An API file system whose options come from one `/etc/fstab` line: `/dev/shm` or `/proc`.
///
/// ```
/// use hardening_model::mounts::ApiMount;
/// assert_eq!(ApiMount::dev_shm().fstab_line(), "tmpfs /dev/shm tmpfs nosuid,nodev,noexec 0 0");
/// assert_eq!(
///     ApiMount::proc_hidepid().fstab_line(),
///     "proc /proc proc nosuid,nodev,noexec,hidepid=invisible,gid=proc 0 0"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiMount {
    what: &'static str,
    mount_point: &'static str,
    options: &'static str,
}

impl ApiMount {
    /// `/dev/shm` `nosuid,nodev,noexec` (CIS 1.1.2.2.x).
    pub fn dev_shm() -> Self {
        Self {
            what: "tmpfs",
            mount_point: "/dev/shm",
            options: "nosuid,nodev,noexec",
        }
    }

    /// `/proc` with `hidepid=invisible`: other users' processes are not even listed. The
    /// members of [`PROC_GROUP`] (`gid=`) still see them; [`MountPolicy::files`] gives the
    /// [`HIDEPID_EXEMPT_UNITS`] that group.
    pub fn proc_hidepid() -> Self {
        Self {
            what: "proc",
            mount_point: "/proc",
            options: "nosuid,nodev,noexec,hidepid=invisible,gid=proc",
        }
    }

    /// The mount point.
    pub fn mount_point(&self) -> &str {
        self.mount_point
    }

    /// The mount options as `/etc/fstab` carries them (`gid=` by group name; `mount`
    /// resolves it).
    pub fn options(&self) -> &str {
        self.options
    }

    /// The `/etc/fstab` line.
    pub fn fstab_line(&self) -> String {
        format!(
            "{} {} {} {} 0 0",
            self.what, self.mount_point, self.what, self.options
        )
    }

    /// Replaces any `/etc/fstab` line for the mount point with [`fstab_line`](Self::fstab_line)
    /// (idempotent), then remounts with the options from `/etc/fstab`.
    fn command(&self) -> HostCommand {
        let at = self.mount_point;
        HostCommand::new(
            [
                "sh".to_owned(),
                "-c".to_owned(),
                format!(
                    "sed -i \"\\%^[^#]\\S*\\s\\+{at}\\s%d\" /etc/fstab && echo \"{}\" >> /etc/fstab && mount -o remount {at}",
                    self.fstab_line()
                ),
            ],
            format!("persist the options of {at} in /etc/fstab and apply them now"),
        )
    }
}

/// The mounts of a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountPolicy {
    tmpfs: Vec<TmpfsMount>,
    block: Vec<BlockMount>,
    api: Vec<ApiMount>,
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

    /// Adds an API file system's options; a mount point may appear once (field
    /// `mounts.api[i]`).
    pub fn api(mut self, mount: ApiMount) -> Result<Self> {
        if self.api.iter().any(|m| m.mount_point == mount.mount_point) {
            return Err(Error::invalid(
                format!("mounts.api[{}].mount_point", self.api.len()),
                "the mount point is used twice",
            ));
        }
        self.api.push(mount);
        Ok(self)
    }

    /// The tmpfs mounts.
    pub fn tmpfs_mounts(&self) -> &[TmpfsMount] {
        &self.tmpfs
    }

    /// The API file systems whose options the policy sets.
    pub fn api_mounts(&self) -> &[ApiMount] {
        &self.api
    }

    fn hides_pids(&self) -> bool {
        self.api.iter().any(|m| m.options.contains("hidepid="))
    }

    /// One mount unit per tmpfs mount, and with `hidepid` a drop-in per
    /// [`HIDEPID_EXEMPT_UNITS`] unit adding [`PROC_GROUP`] (harmless where the unit is absent).
    pub fn files(&self) -> Vec<RenderedFile> {
        let mut files: Vec<RenderedFile> = self.tmpfs.iter().map(TmpfsMount::unit).collect();
        if self.hides_pids() {
            for unit in HIDEPID_EXEMPT_UNITS {
                files.push(RenderedFile::root(
                    format!("/etc/systemd/system/{unit}.d/hidepid.conf"),
                    0o644,
                    format!("[Service]\nSupplementaryGroups={PROC_GROUP}\n"),
                ));
            }
        }
        files
    }

    /// Entries for cloud-init's `mounts` key (block devices only).
    pub fn cloud_init_mounts(&self) -> Vec<[String; 6]> {
        self.block
            .iter()
            .map(BlockMount::cloud_init_entry)
            .collect()
    }

    /// Every command, in order: [`api_commands`](Self::api_commands), then
    /// [`tmpfs_commands`](Self::tmpfs_commands).
    pub fn commands(&self) -> Vec<HostCommand> {
        let mut all = self.api_commands();
        all.extend(self.tmpfs_commands());
        all
    }

    /// `/dev/shm` and `/proc`: with `hidepid`, the [`PROC_GROUP`] group is created and the
    /// exempt units restarted into it first (`try-restart`: only if running; polkit's may fail
    /// where it is not installed); then each
    /// `/etc/fstab` line is replaced and the mount remounted (live now, and at every boot by
    /// `systemd-remount-fs.service`).
    pub fn api_commands(&self) -> Vec<HostCommand> {
        let mut steps = Vec::new();
        if self.hides_pids() {
            steps.push(HostCommand::new(
                ["groupadd", "-f", "-r", PROC_GROUP],
                "the group that may see every process under hidepid",
            ));
            steps.push(HostCommand::new(
                ["systemctl", "daemon-reload"],
                "load the hidepid drop-ins",
            ));
            // logind is part of systemd; polkit is absent from minimal installs, where
            // restarting it fails harmlessly.
            for (i, unit) in HIDEPID_EXEMPT_UNITS.iter().enumerate() {
                let restart = HostCommand::new(
                    ["systemctl", "try-restart", unit],
                    "give the unit the hidepid group before /proc hides processes",
                );
                steps.push(if i == 0 {
                    restart
                } else {
                    restart.allow_failure()
                });
            }
        }
        steps.extend(self.api.iter().map(ApiMount::command));
        steps
    }

    /// The tmpfs units after they are written: `daemon-reload`, `systemctl enable` (mounted at
    /// every boot), then `systemctl reload-or-restart`: a unit already mounted is remounted
    /// with the unit's options now, one not yet mounted is mounted (idempotent).
    pub fn tmpfs_commands(&self) -> Vec<HostCommand> {
        if self.tmpfs.is_empty() {
            return Vec::new();
        }
        let units = self.tmpfs.iter().map(TmpfsMount::unit_name);
        let mut enable = vec!["systemctl".to_owned(), "enable".to_owned()];
        enable.extend(units.clone());
        let mut apply = vec!["systemctl".to_owned(), "reload-or-restart".to_owned()];
        apply.extend(units);
        vec![
            HostCommand::new(["systemctl", "daemon-reload"], "load the new mount units"),
            HostCommand::new(enable, "mount the hardened tmpfs at every boot"),
            HostCommand::new(
                apply,
                "apply the options now: remount what is mounted, mount the rest",
            ),
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
        // A /tmp that is already mounted is remounted now (reload), not left until a reboot.
        assert_eq!(
            lines,
            [
                "systemctl daemon-reload",
                "systemctl enable tmp.mount var-tmp.mount",
                "systemctl reload-or-restart tmp.mount var-tmp.mount"
            ]
        );
        assert!(p.files()[0].content.contains("\nWhere=/tmp\n"));
        assert!(!p.files().iter().any(|f| f.path.contains("fstab")));
    }

    #[test]
    fn api_mounts_replace_their_fstab_line_and_remount_now() {
        let p = MountPolicy::new()
            .api(ApiMount::dev_shm())
            .unwrap()
            .api(ApiMount::proc_hidepid())
            .unwrap();
        assert_eq!(
            p.clone().api(ApiMount::dev_shm()).unwrap_err().field(),
            "mounts.api[2].mount_point"
        );
        let steps = p.api_commands();
        let lines: Vec<String> = steps.iter().map(HostCommand::shell_line).collect();
        assert_eq!(lines[0], "groupadd -f -r proc");
        assert_eq!(lines[2], "systemctl try-restart systemd-logind.service");
        assert!(!steps[2].may_fail && steps[3].may_fail);
        // Run the fstab edit twice on a file that already has a /dev/shm line and a comment
        // naming it: one line for the mount point remains, the comment stays.
        let dir = std::env::temp_dir().join(format!("mounts-fstab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fstab = dir.join("fstab");
        std::fs::write(
            &fstab,
            "# tmpfs /dev/shm is hardened below\nUUID=1 / ext4 defaults 0 1\ntmpfs  /dev/shm\ttmpfs defaults 0 0\n",
        )
        .unwrap();
        let shm = &steps[4].argv[2];
        let edit = shm
            .split(" && mount ")
            .next()
            .unwrap()
            .replace("/etc/fstab", &fstab.display().to_string());
        for _ in 0..2 {
            let ok = std::process::Command::new("sh")
                .args(["-c", &edit])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let text = std::fs::read_to_string(&fstab).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            text,
            "# tmpfs /dev/shm is hardened below\nUUID=1 / ext4 defaults 0 1\ntmpfs /dev/shm tmpfs nosuid,nodev,noexec 0 0\n"
        );
        assert!(shm.ends_with("&& mount -o remount /dev/shm"));
        assert!(steps[5].argv[2].contains("hidepid=invisible,gid=proc"));
        let dropins: Vec<String> = p.files().into_iter().map(|f| f.path).collect();
        assert_eq!(
            dropins,
            [
                "/etc/systemd/system/systemd-logind.service.d/hidepid.conf",
                "/etc/systemd/system/polkit.service.d/hidepid.conf"
            ]
        );
    }
}
