//! MIME multi-part output.

use base64::Engine as _;
use cloudinit_builder::*;

/// Splits a multipart document into (headers, body) per part, checking the framing.
fn parts(doc: &str) -> Vec<(String, String)> {
    let first = doc.lines().next().unwrap();
    let boundary = first
        .split("boundary=\"")
        .nth(1)
        .and_then(|s| s.strip_suffix('"'))
        .unwrap();
    let delim = format!("--{boundary}\n");
    let end = format!("--{boundary}--\n");
    assert!(doc.ends_with(&end));
    let body = &doc[..doc.len() - end.len()];
    body.split(&delim)
        .skip(1)
        .map(|p| {
            let (h, b) = p.split_once("\n\n").unwrap();
            (h.to_owned(), b.to_owned())
        })
        .collect()
}

#[test]
fn cloud_config_and_script_round_trip() {
    let cfg = crate::support::everything().render().unwrap();
    let doc = MultiPart::new()
        .cloud_config(&cfg)
        .shell_script("late.sh", "#!/bin/sh\necho 'héllo'\n")
        .unwrap()
        .render()
        .unwrap();
    let p = parts(doc.as_str());
    assert_eq!(p.len(), 2);
    assert!(
        p[0].0
            .contains("Content-Type: text/cloud-config; charset=\"us-ascii\"")
    );
    assert!(p[0].0.contains("Content-Transfer-Encoding: 7bit"));
    assert_eq!(p[0].1, cfg.as_str());
    assert!(
        p[1].0
            .contains("Content-Type: text/x-shellscript; charset=\"utf-8\"")
    );
    assert!(p[1].0.contains("Content-Transfer-Encoding: base64"));
    let script = base64::engine::general_purpose::STANDARD
        .decode(p[1].1.replace('\n', ""))
        .unwrap();
    assert_eq!(script, "#!/bin/sh\necho 'héllo'\n".as_bytes());
    // Deterministic.
    let again = MultiPart::new()
        .cloud_config(&cfg)
        .shell_script("late.sh", "#!/bin/sh\necho 'héllo'\n")
        .unwrap()
        .render()
        .unwrap();
    assert_eq!(doc, again);
}

#[test]
fn boundary_never_occurs_in_a_part_and_bad_parts_are_refused() {
    // A script that contains the boundary the first attempt would pick.
    let script = "#!/bin/sh\necho hi\n";
    let first = MultiPart::new()
        .shell_script("a.sh", script)
        .unwrap()
        .render()
        .unwrap();
    let boundary = first.as_str().split('"').nth(1).unwrap().to_owned();
    let sneaky = format!("#!/bin/sh\necho hi\n# --{boundary}\n");
    let doc = MultiPart::new()
        .shell_script("a.sh", &sneaky)
        .unwrap()
        .render()
        .unwrap();
    let chosen = doc.as_str().split('"').nth(1).unwrap();
    assert!(!sneaky.contains(chosen));
    assert_eq!(parts(doc.as_str()).len(), 1);
    assert!(
        MultiPart::new()
            .shell_script("a.sh", "echo no shebang")
            .is_err()
    );
    assert!(
        MultiPart::new()
            .shell_script("../a.sh", "#!/bin/sh\n")
            .is_err()
    );
    assert!(MultiPart::new().render().is_err());
}
