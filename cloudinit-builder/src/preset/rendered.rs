//! A part made of rendered files and staged commands, for any hardening-model renderer.

use hardening_model::RenderedFile;

use super::{Contribution, Part, Slot, Stage};
use crate::{Command, Result, WriteFile};

/// Files from hardening-model renderers plus the commands that apply them, in one slot.
///
/// ```
/// use cloudinit_builder::preset::{RenderedPart, Slot, Stage};
/// use hardening_model::RenderedFile;
/// let sysctl = RenderedPart::new(Slot::Sysctl)
///     .file(RenderedFile::root("/etc/sysctl.d/99-hardening.conf", 0o644, "kernel.kptr_restrict = 2\n"))
///     .command(Stage::Kernel, ["sysctl", "--system"])?;
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RenderedPart {
    slot: Slot,
    packages: Vec<String>,
    files: Vec<RenderedFile>,
    commands: Vec<(Stage, Command)>,
}

impl RenderedPart {
    /// An empty part for `slot`.
    pub fn new(slot: Slot) -> Self {
        Self {
            slot,
            packages: Vec::new(),
            files: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// Adds a rendered file.
    #[must_use]
    pub fn file(mut self, file: RenderedFile) -> Self {
        self.files.push(file);
        self
    }

    /// Adds rendered files.
    #[must_use]
    pub fn files(mut self, files: impl IntoIterator<Item = RenderedFile>) -> Self {
        self.files.extend(files);
        self
    }

    /// Adds a package.
    #[must_use]
    pub fn package(mut self, name: &str) -> Self {
        self.packages.push(name.to_owned());
        self
    }

    /// Adds a command (argv, quoted) run in `stage`.
    pub fn command<I, S>(mut self, stage: Stage, argv: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.commands.push((stage, Command::argv(argv)?));
        Ok(self)
    }

    /// Adds argv commands run in `stage` as one entry, each only if the previous succeeded.
    pub fn chained<I, S>(
        mut self,
        stage: Stage,
        commands: impl IntoIterator<Item = I>,
    ) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmds = commands
            .into_iter()
            .map(Command::argv)
            .collect::<Result<Vec<_>>>()?;
        self.commands.push((stage, Command::chain(cmds)?));
        Ok(self)
    }
}

impl Part for RenderedPart {
    fn slot(&self) -> Slot {
        self.slot.clone()
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        for p in &self.packages {
            out.package(p);
        }
        for f in &self.files {
            out.file(WriteFile::from(f.clone()));
        }
        for (stage, c) in &self.commands {
            out.command(*stage, c.clone());
        }
        Ok(())
    }
}
