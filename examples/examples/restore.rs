//! Restore an instance's data from its off-host encrypted backups onto a fresh host, and print
//! the schedule's RPO and RTO.
//!
//! Offline (no HCLOUD_TOKEN) the example provisions the instance in the simulator, deletes its
//! server (the lost host), provisions the fresh one and prints the plan without running it: the
//! store and SSH steps need a real bucket and a real host. With HCLOUD_TOKEN and
//! CLOUDFLARE_API_TOKEN it provisions (or finds) the instance's host and, with `--execute`,
//! runs the plan: download, decrypt with `--identity-file` here, then the host's restore script
//! over SSH. The identity never leaves this machine. The host's script stops only the app for
//! the swap and ends with its health check: the example prints it and exits non-zero when the app
//! is unhealthy or not healthy in time (the data is restored either way).
//!
//! ```text
//! cargo run --example restore -- --instance-id inst-0042 --subdomain acme --zone example.com
//! cargo run --example restore -- --instance-id inst-0042 --subdomain acme --zone example.com \
//!     --identity-file ~/keys/inst-0042.age --endpoint https://fsn1.your-objectstorage.com \
//!     --bucket fleet-backups --credentials-file ~/keys/s3-read --execute
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cloudinit_builder::preset::{DEFAULT_SCHEDULE, DEFAULT_VERIFY_SCHEDULE, ObjectStore};
use examples::cli::HostArgs;
use examples::provision::{find_server, provision};
use examples::restore::{Assumptions, check_object, execute, fresh_host, hm, objectives};
use examples::secrets::load_s3_credentials;
use examples::{Backends, Error, Progress, exit_on_error, init_tracing};

/// Restore an instance's data volume from the off-host store onto a fresh host.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Instance id whose backups are restored.
    #[arg(long, default_value = "inst-0001")]
    instance_id: String,
    /// Its customer subdomain.
    #[arg(long, default_value = "demo")]
    subdomain: String,
    /// Its Cloudflare zone.
    #[arg(long, default_value = "example.com")]
    zone: String,
    /// The operator's age identity file (AGE-SECRET-KEY-1...).
    #[arg(long, default_value = "backup-identity.age")]
    identity_file: PathBuf,
    /// S3 endpoint of the backups.
    #[arg(long, default_value = examples::host::DEMO_BACKUP_ENDPOINT)]
    endpoint: String,
    /// Bucket of the backups.
    #[arg(long, default_value = examples::host::DEMO_BACKUP_BUCKET)]
    bucket: String,
    /// Region of the bucket.
    #[arg(long, default_value = examples::host::DEMO_BACKUP_REGION)]
    region: String,
    /// A given object (backup-<stamp>.tar.gz.age) instead of the newest.
    #[arg(long)]
    object: Option<String>,
    /// File with the operator's S3 access key id and secret key, one per line (with --execute).
    #[arg(long)]
    credentials_file: Option<PathBuf>,
    /// Work directory on this machine for the downloaded and decrypted archive (0700).
    #[arg(long, default_value = "restore-work")]
    workdir: PathBuf,
    /// Run the plan (real API only); without it the plan is printed.
    #[arg(long)]
    execute: bool,
    /// Archive size assumed for the RTO, in MB.
    #[arg(long, default_value_t = 2147)]
    archive_mb: u64,
    /// Transfer throughput assumed for the RTO, in MB/s.
    #[arg(long, default_value_t = 50)]
    throughput_mb_s: u64,
    /// How the fresh host is built (its backups go to --endpoint/--bucket unless
    /// --backup-endpoint/--backup-bucket say otherwise).
    #[command(flatten)]
    host: HostArgs,
}

async fn run(args: Args) -> examples::Result<()> {
    // every input is checked before the first request and the first file
    if let Some(object) = &args.object {
        check_object(object)?;
    }
    let store = ObjectStore::new(&args.endpoint, &args.bucket, &args.region)?;
    let absolute = |field: &str, p: PathBuf| {
        std::path::absolute(&p).map_err(|e| Error::invalid(field, e.to_string()))
    };
    let identity_file = absolute("identity_file", args.identity_file)?;
    let workdir = absolute("workdir", args.workdir)?;
    let backends = Backends::from_env(&args.zone)?;
    let offline = backends.hetzner_sim.is_some();
    let mut host = args.host;
    if host.backup_endpoint.is_none() && host.backup_bucket.is_none() {
        host.backup_endpoint = Some(args.endpoint.clone());
        host.backup_bucket = Some(args.bucket.clone());
        host.backup_region = args.region.clone();
    }
    if host.backup_identity_file.is_none() && !offline {
        host.backup_identity_file = Some(identity_file.clone());
    }
    let prepared = host
        .inputs(args.instance_id, args.subdomain, args.zone)
        .prepare(!offline)?;
    if prepared
        .pending
        .iter()
        .any(|(field, file)| *field == "backup_identity_file" && file.generated())
    {
        return Err(Error::invalid(
            "identity_file",
            "does not exist: a restore needs the identity the backups were encrypted to",
        ));
    }
    let progress = Progress::stderr();
    for path in prepared.write_secrets()? {
        progress.step(format!(
            "wrote a new secret to {} (mode 0600): keep it",
            path.display()
        ));
    }
    backends.verify_cloudflare_token().await?;
    let request = prepared.request;
    if offline {
        progress
            .step("offline: provisioning the instance, then deleting its server (the lost host)");
        provision(&backends, &request, &progress).await?;
        if let Some(lost) = find_server(&backends, &request.instance()?).await? {
            backends.hetzner.servers().delete(lost.id).await?;
        }
    }
    let (mut plan, summary) = fresh_host(
        &backends,
        &request,
        &store,
        identity_file,
        workdir,
        &progress,
    )
    .await?;
    if let Some(object) = &args.object {
        plan = plan.object(object)?;
    }
    println!(
        "fresh host: server {} ({}) {} ssh port {}",
        summary.server_id,
        summary.server_name,
        summary.ipv4.as_deref().unwrap_or("-"),
        summary.ssh_port
    );
    println!(
        "identity read from {} (on this machine only)",
        plan.identity_file.display()
    );
    for line in plan.describe() {
        println!("{line}");
    }
    if args.execute {
        if offline {
            return Err(Error::invalid(
                "execute",
                "needs HCLOUD_TOKEN: the simulator's host has no SSH and the demo store no data",
            ));
        }
        let path = args
            .credentials_file
            .ok_or_else(|| Error::invalid("credentials_file", "required with --execute"))?;
        let credentials = load_s3_credentials("credentials_file", &path)?;
        let done = execute(&plan, &credentials, &progress)?;
        println!(
            "restored {} ({} bytes encrypted, {} bytes archive) via {}",
            done.object,
            done.encrypted_bytes,
            done.archive_bytes,
            done.steps.join(", ")
        );
        println!("health check: {}", done.health);
        if !done.health.is_healthy() {
            return Err(Error::State(format!(
                "the data of {} is restored, but the app is not healthy: {}",
                done.object, done.health
            )));
        }
    }
    let assumptions = Assumptions {
        archive_bytes: args.archive_mb * 1_000_000,
        throughput_bytes_per_sec: args.throughput_mb_s.max(1) * 1_000_000,
        ..Assumptions::default()
    };
    let o = objectives(DEFAULT_SCHEDULE, DEFAULT_VERIFY_SCHEDULE, &assumptions)?;
    for line in &o.basis {
        println!("{line}");
    }
    println!(
        "rpo={} verified_rpo={} rto={}",
        hm(o.rpo),
        hm(o.verified_rpo),
        hm(o.rto)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    exit_on_error(run(Args::parse()).await)
}
