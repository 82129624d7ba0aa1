//! Plan (and optionally apply) the runbook's zone hardening, and print Cloudflare's IP ranges as
//! the values the Hetzner firewall and Caddy allow-list take.
//!
//! With `CLOUDFLARE_API_TOKEN` set it talks to the real API and only applies with `--apply`;
//! without it, it runs against the in-process simulator (a Free zone) and applies there.
//!
//! ```text
//! cargo run -p cloudflare-client --example harden_zone -- example.com [--apply]
//! ```

use cloudflare_client::hardening::{self, preset};
use cloudflare_client::simulator::Simulator;
use cloudflare_client::{Client, PlanTier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let zone_name = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "example.com".into());
    let mut apply = args.iter().any(|a| a == "--apply");
    let client = if std::env::var_os(cloudflare_client::ENV_TOKEN).is_some() {
        Client::from_env()?
    } else {
        println!(
            "{} is unset: using the in-process simulator",
            cloudflare_client::ENV_TOKEN
        );
        let sim = Simulator::new();
        sim.add_zone(&zone_name, PlanTier::Free);
        apply = true;
        sim.client()?
    };

    let zone = client
        .zones()
        .get_by_name(&zone_name)
        .await?
        .ok_or("zone not found")?;
    let tier = zone.plan_tier();
    println!("zone {} ({}), plan {tier}", zone.name, zone.id);
    let desired = preset::runbook_baseline(&tier)?;
    let plan = hardening::plan(&client, &zone.id, &desired).await?;
    for change in &plan.changes {
        println!("change: {change}");
    }
    for item in &plan.unsupported {
        println!("not on this plan: {item}");
    }
    if apply && !plan.is_empty() {
        let report = hardening::apply(&client, &plan).await?;
        println!("applied {} writes", report.writes);
        let again = hardening::plan(&client, &zone.id, &desired).await?;
        println!("second plan: {} changes", again.changes.len());
    }

    let ips = client.ips().get().await?;
    let nets: Vec<hardening_model::IpNet> = ips.to_model();
    println!(
        "cloudflare ranges (etag {}): {} IPv4 + {} IPv6",
        ips.etag,
        ips.ipv4.len(),
        ips.ipv6.len()
    );
    for net in nets {
        println!("  {net}");
    }
    Ok(())
}
