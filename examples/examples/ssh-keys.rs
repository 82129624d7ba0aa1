//! List admin SSH keys past their `expires` label; rotate one.
//!
//! ```text
//! cargo run --example ssh-keys                      # list expired admin keys
//! cargo run --example ssh-keys -- --rotate admin-alice-202610 --owner alice \
//!     --public-key-file new.pub --expires 2027-05-01
//! ```

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Parser;
use examples::{Backends, Error, exit_on_error};
use hetzner_client::helpers::admin_keys::AdminKey;

/// Admin SSH keys labelled with owner and expiry: list the expired ones, rotate one.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Name of the key to rotate (offline: the first expired key).
    #[arg(long)]
    rotate: Option<String>,
    /// Owner handle of the replacement key (a login name, not an e-mail).
    #[arg(long)]
    owner: Option<String>,
    /// File with the replacement OpenSSH public key.
    #[arg(long)]
    public_key_file: Option<std::path::PathBuf>,
    /// Expiry of the replacement, YYYY-MM-DD (default: 6 months from today).
    #[arg(long)]
    expires: Option<NaiveDate>,
}

async fn run(args: Args) -> examples::Result<()> {
    let backends = Backends::connect("example.com").await?;
    let today = chrono::Utc::now().date_naive();
    examples::demo::seed_admin_keys(&backends, today).await?;
    let expired = examples::ssh_keys::expired(&backends, today).await?;
    for line in examples::ssh_keys::describe(&expired) {
        println!("{line}");
    }
    let offline = backends.hetzner_sim.is_some();
    let target = match (&args.rotate, offline) {
        (Some(name), _) => name.clone(),
        (None, true) => match expired.first() {
            Some(k) => k.name.clone(),
            None => return Ok(()),
        },
        (None, false) => return Ok(()),
    };
    let owner = match (args.owner, offline) {
        (Some(o), _) => o,
        (None, true) => "alice".to_owned(),
        (None, false) => return Err(Error::invalid("owner", "required with --rotate")),
    };
    let public_key = match (args.public_key_file, offline) {
        (Some(path), _) => std::fs::read_to_string(&path)
            .map_err(|e| Error::invalid("public_key_file", format!("{}: {e}", path.display())))?
            .trim()
            .to_owned(),
        (None, true) => examples::demo::DEMO_KEYS[2].to_owned(),
        (None, false) => return Err(Error::invalid("public_key_file", "required with --rotate")),
    };
    let expires = args
        .expires
        .unwrap_or_else(|| today + chrono::Duration::days(182));
    if expires <= today {
        return Err(Error::invalid("expires", "must be in the future"));
    }
    let key = AdminKey {
        owner,
        public_key,
        expires,
    };
    let rotation = examples::ssh_keys::rotate(&backends, &target, &key).await?;
    println!(
        "rotated: {} (id {}) replaces {} (id {}, deleted)",
        rotation.new_key.1, rotation.new_key.0, rotation.old_key.1, rotation.old_key.0
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    exit_on_error(run(Args::parse()).await)
}
