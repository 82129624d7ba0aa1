//! The audit rules' syscall names checked against libseccomp's tables (`scmp_sys_resolver`).
//!
//! auditctl refuses a rule naming a syscall the architecture lacks, and with `-e 2` last a
//! failed load leaves the host unaudited. Every rule is rendered for `arch=b64` and `arch=b32`,
//! on x86_64 (CX/CPX/CCX servers) and on arm64 (CAX), so each name must exist on all four
//! tables.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use hardening_model::presets::host;

const ARCHES: [&str; 4] = ["x86_64", "x86", "aarch64", "arm"];

#[test]
fn every_audit_syscall_exists_on_every_architecture() {
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    let rules = host::audit_rules();
    let names = rules.syscall_names();
    assert!(names.len() >= 20, "{names:?}");
    for arch in ARCHES {
        for name in &names {
            let number = resolver.resolve(arch, name);
            assert!(
                number >= 0,
                "{name} is not a native syscall on {arch} ({number})"
            );
        }
    }
}

#[test]
fn the_runbook_names_that_were_dropped_are_missing_on_arm64() {
    // Why `open` and `creat` are not in the access-denied rule: arm64 has neither.
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    for name in ["open", "creat"] {
        assert!(resolver.resolve("x86_64", name) >= 0);
        assert!(resolver.resolve("aarch64", name) < 0, "{name}");
    }
}
