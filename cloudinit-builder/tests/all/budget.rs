//! The size budget: compress the largest files until the document fits, or explain why not.

use std::io::Read as _;

use base64::Engine as _;
use cloudinit_builder::*;

use crate::support;

fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as u8
        })
        .collect()
}

fn gunzip_b64(s: &str) -> Vec<u8> {
    let gz = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn largest_file_is_compressed_first_and_decodes_back() {
    let big = "net.ipv4.conf.all.rp_filter = 1\n".repeat(1500); // ~48 KB
    let small = "x = 1\n".repeat(300); // ~1.8 KB
    let cfg = CloudConfig::new()
        .write_file(WriteFile::new("/etc/small.conf", small.clone()).unwrap())
        .write_file(WriteFile::new("/etc/big.conf", big.clone()).unwrap());
    let out = cfg.render_within(HETZNER_USER_DATA_LIMIT).unwrap();
    assert!(out.len() <= HETZNER_USER_DATA_LIMIT);
    assert_eq!(out.compressed_files(), ["/etc/big.conf"]);
    let doc = support::parse(out.as_str());
    assert_eq!(doc["write_files"][0]["content"], serde_json::json!(small));
    assert_eq!(
        doc["write_files"][1]["encoding"],
        serde_json::json!("gz+b64")
    );
    let content = doc["write_files"][1]["content"].as_str().unwrap();
    assert_eq!(gunzip_b64(content), big.as_bytes());
    support::assert_valid(out.as_str());
}

#[test]
fn fitting_document_is_untouched() {
    let cfg = support::everything_with_big_file();
    let plain = cfg.render().unwrap();
    let within = cfg.render_within(plain.len()).unwrap();
    assert_eq!(plain, within);
    assert!(within.compressed_files().is_empty());
    // One byte less forces a compression.
    let tighter = cfg.render_within(plain.len() - 1).unwrap();
    assert!(tighter.len() < plain.len());
    assert_eq!(tighter.compressed_files().len(), 1);
}

#[test]
fn secret_and_binary_files_compress_too() {
    let key = Secret::new("k".repeat(4000)).unwrap();
    let cfg = CloudConfig::new()
        .write_file(WriteFile::secret("/etc/k", &key).unwrap())
        .write_file(WriteFile::binary("/etc/b", vec![7u8; 6000]).unwrap());
    let out = cfg.render_within(1000).unwrap();
    let doc = support::parse(out.as_str());
    assert_eq!(
        doc["write_files"][0]["permissions"],
        serde_json::json!("0600")
    );
    assert_eq!(
        gunzip_b64(doc["write_files"][0]["content"].as_str().unwrap()),
        key.expose().as_bytes()
    );
    assert_eq!(
        gunzip_b64(doc["write_files"][1]["content"].as_str().unwrap()),
        vec![7u8; 6000]
    );
    support::assert_valid(out.as_str());
}

#[test]
fn incompressible_overflow_is_a_typed_error_naming_the_largest_parts() {
    let cfg = CloudConfig::new()
        .packages(["jq"])
        .unwrap()
        .write_file(WriteFile::binary("/opt/blob", noise(30_000, 1)).unwrap())
        .write_file(WriteFile::new("/etc/small", "tiny\n\n\nblank lines above\n").unwrap())
        .runcmd(Command::argv(["true"]).unwrap());
    let err = cfg.render_within(HETZNER_USER_DATA_LIMIT).unwrap_err();
    let Error::TooLarge(overflow) = &err else {
        panic!("{err}")
    };
    assert_eq!(overflow.limit, HETZNER_USER_DATA_LIMIT);
    assert!(overflow.size > HETZNER_USER_DATA_LIMIT);
    assert_eq!(overflow.over_by(), overflow.size - HETZNER_USER_DATA_LIMIT);
    assert_eq!(overflow.largest[0].name, "write_files[/opt/blob]");
    assert!(overflow.largest[0].bytes > 40_000);
    assert!(overflow.largest.iter().any(|p| p.name == "packages"));
    assert!(
        overflow
            .largest
            .iter()
            .all(|p| !p.name.trim().is_empty() && !p.name.contains('\n'))
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "{} over the 32768-byte budget",
            overflow.over_by()
        )),
        "{msg}"
    );
    assert!(msg.contains("write_files[/opt/blob]"), "{msg}");
    // Part sizes add up to the document minus its header.
    let all: usize = cfg.render().map(|u| u.len()).unwrap();
    assert!(all >= overflow.size);
}

#[test]
fn tiny_files_are_not_made_larger() {
    let cfg = CloudConfig::new().write_file(WriteFile::new("/etc/a", "a\n").unwrap());
    let err = cfg.render_within(10).unwrap_err();
    assert!(matches!(err, Error::TooLarge(_)));
}

#[test]
fn gzip_can_be_asked_for() {
    let text = "forced\n".repeat(50);
    let cfg =
        CloudConfig::new().write_file(WriteFile::new("/etc/f", text.clone()).unwrap().gzip(true));
    for out in [
        cfg.render().unwrap(),
        cfg.render_within(HETZNER_USER_DATA_LIMIT).unwrap(),
    ] {
        assert_eq!(out.compressed_files(), ["/etc/f"]);
        let doc = support::parse(out.as_str());
        assert_eq!(
            doc["write_files"][0]["encoding"],
            serde_json::json!("gz+b64")
        );
        assert_eq!(
            gunzip_b64(doc["write_files"][0]["content"].as_str().unwrap()),
            text.as_bytes()
        );
        support::assert_valid(out.as_str());
    }
}
