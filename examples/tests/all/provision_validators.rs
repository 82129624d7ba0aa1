//! The user_data the provision flow sends, checked by the real validators: the cloud-init
//! 26.1 JSON schema (check-jsonschema) and Debian's `cloud-init schema`. Each check skips with
//! a printed reason when its tool is missing, and fails when `CI` is set.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use examples::provision::{ProvisionRequest, provision};
use examples::{Backends, Progress};

async fn provisioned_user_data() -> String {
    let backends = Backends::simulated("example.com").unwrap();
    let summary = provision(
        &backends,
        &ProvisionRequest::new("inst-0099", "shop", "example.com"),
        &Progress::silent(),
    )
    .await
    .unwrap();
    let sent = backends
        .hetzner_sim
        .as_ref()
        .unwrap()
        .user_data(summary.server_id)
        .unwrap();
    // The validators read the cloud-config cloud-init gets out of the gzip MIME part.
    cloudinit_builder::cloud_config_of(&sent)
        .unwrap()
        .into_owned()
}

#[tokio::test(start_paused = true)]
async fn sent_user_data_passes_the_cloud_init_json_schema() {
    let user_data = provisioned_user_data().await;
    let Some(tool) = hardening_validators::check_jsonschema() else {
        return;
    };
    let schema = hardening_validators::cloud_init_26_1_schema();
    tool.check(&schema, &user_data).unwrap();
}

#[tokio::test(start_paused = true)]
async fn sent_user_data_passes_cloud_init_schema() {
    let user_data = provisioned_user_data().await;
    let Some(tool) = hardening_validators::cloud_init() else {
        return;
    };
    tool.check(&user_data).unwrap();
}
