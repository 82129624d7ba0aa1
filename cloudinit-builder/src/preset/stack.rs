//! The Compose stack (Caddy and the app), started after Docker and the firewall.

use hardening_model::RenderedFile;
use hardening_model::values::AbsPath;

use super::{Contribution, Part, Slot, Stage};
use crate::{Command, Error, Result, WriteFile};

/// A Compose project: its directory, `compose.yaml`, and the files it mounts (Caddyfile,
/// AppArmor and seccomp profiles, ...). Images should be pinned by digest (erratum 13).
#[derive(Debug, Clone)]
pub struct ComposeStack {
    dir: AbsPath,
    compose_file: String,
    files: Vec<RenderedFile>,
    secret_files: Vec<WriteFile>,
    apparmor_profiles: Vec<String>,
    before_up: Vec<Command>,
}

impl ComposeStack {
    /// The project in `dir`, with `compose` (its path must be inside `dir`) and other files.
    pub fn new(
        dir: &str,
        compose: RenderedFile,
        files: impl IntoIterator<Item = RenderedFile>,
    ) -> Result<Self> {
        let dir = AbsPath::new(dir).map_err(|e| Error::from(e).within("stack.dir"))?;
        let compose_path = AbsPath::new(compose.path.as_str())
            .map_err(|e| Error::from(e).within("stack.compose"))?;
        if !compose_path.is_within(&dir) {
            return Err(Error::invalid(
                "stack.compose.path",
                "must be inside the project directory",
            ));
        }
        let mut all = vec![compose];
        all.extend(files);
        Ok(Self {
            dir,
            compose_file: compose_path.as_str().to_owned(),
            files: all,
            secret_files: Vec::new(),
            apparmor_profiles: Vec::new(),
            before_up: Vec::new(),
        })
    }

    /// AppArmor profiles (paths among the files) to load before the containers start.
    pub fn apparmor_profiles<I, S>(mut self, paths: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for p in paths {
            let p =
                AbsPath::new(p.as_ref()).map_err(|e| Error::from(e).within("stack.apparmor"))?;
            self.apparmor_profiles.push(p.as_str().to_owned());
        }
        Ok(self)
    }

    /// Adds a secret env file (from [`WriteFile::secret_env`]: root-owned, `0600`) that a
    /// service reads with compose `env_file`; refused when it is not a secret file.
    pub fn with_secret_env(mut self, file: WriteFile) -> Result<Self> {
        if !file.is_secret() || file.mode() != crate::SECRET_MODE {
            return Err(Error::invalid(
                "stack.secret_env",
                "must be a WriteFile::secret_env file (root-owned, 0600)",
            ));
        }
        self.secret_files.push(file);
        Ok(self)
    }

    /// A command run before the images are pulled and the project started (e.g. installing a
    /// file a service mounts, such as the origin-pull CA); a failure stops the step.
    #[must_use]
    pub fn before_up(mut self, command: Command) -> Self {
        self.before_up.push(command);
        self
    }

    /// The files (compose first).
    pub fn files(&self) -> &[RenderedFile] {
        &self.files
    }
}

impl Part for ComposeStack {
    fn slot(&self) -> Slot {
        Slot::Stack
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        for f in &self.files {
            out.file(WriteFile::from(f.clone()));
        }
        for f in &self.secret_files {
            out.file(f.clone());
        }
        for command in &self.before_up {
            out.command(Stage::Stack, command.clone());
        }
        for profile in &self.apparmor_profiles {
            out.command(
                Stage::Stack,
                Command::argv(["apparmor_parser", "-r", "-W", profile.as_str()])?,
            );
        }
        let compose = |verb: &[&str]| {
            let mut argv = vec![
                "docker",
                "compose",
                "--project-directory",
                self.dir.as_str(),
                "-f",
                &self.compose_file,
            ];
            argv.extend(verb);
            Command::argv(argv)
        };
        out.command(
            Stage::Stack,
            Command::chain([
                compose(&["pull", "--quiet"])?,
                compose(&["up", "-d", "--wait"])?,
            ])?,
        );
        Ok(())
    }
}
