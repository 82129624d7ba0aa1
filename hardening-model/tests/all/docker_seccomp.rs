//! Seccomp: every syscall name resolves to a native x86_64 number with `scmp_sys_resolver`
//! (runc silently ignores unknown names), Docker's argument filters are kept, and adversarial
//! names never add a JSON member.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeSet;

use hardening_model::docker::SeccompProfile;
use hardening_model::docker::seccomp::{Action, SyscallRule};
use hardening_model::presets::stack;
use proptest::prelude::*;
use serde_json::Value;

#[test]
fn every_name_is_a_native_x86_64_syscall() {
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    for profile in [
        SeccompProfile::docker_default_x86_64(),
        stack::seccomp_profile().unwrap(),
    ] {
        for name in profile.syscall_names() {
            let nr = resolver.resolve("x86_64", name);
            assert!(nr >= 0, "{name} resolves to {nr} on x86_64");
        }
    }
    // the harness really distinguishes: pseudo and unknown names are negative
    assert!(resolver.resolve("x86_64", "send") < 0);
    assert!(resolver.resolve("x86_64", "no_such_syscall") < 0);
}

#[test]
fn erratum_12_filters_are_in_the_json() {
    let json: Value =
        serde_json::from_str(&stack::seccomp_profile().unwrap().to_json().unwrap()).unwrap();
    let rules = json["syscalls"].as_array().unwrap();
    let clone = rules
        .iter()
        .find(|r| r["names"] == serde_json::json!(["clone"]))
        .unwrap();
    assert_eq!(clone["action"], "SCMP_ACT_ALLOW");
    assert_eq!(clone["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
    assert_eq!(clone["args"][0]["value"], 0x7E02_0000u64);
    assert_eq!(clone["args"][0]["valueTwo"], 0);
    let clone3 = rules
        .iter()
        .find(|r| r["names"] == serde_json::json!(["clone3"]))
        .unwrap();
    assert_eq!(clone3["action"], "SCMP_ACT_ERRNO");
    assert_eq!(clone3["errnoRet"], 38);
    let families: BTreeSet<u64> = rules
        .iter()
        .filter(|r| r["names"] == serde_json::json!(["socket"]))
        .map(|r| r["args"][0]["value"].as_u64().unwrap())
        .collect();
    assert_eq!(families, BTreeSet::from([1, 2, 10, 16]));
    let allowed: BTreeSet<&str> = rules
        .iter()
        .filter(|r| r["action"] == "SCMP_ACT_ALLOW" && r.get("args").is_none())
        .flat_map(|r| {
            r["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
        })
        .collect();
    for needed in [
        "chmod",
        "fork",
        "fchdir",
        "close_range",
        "msync",
        "semctl",
        "fgetxattr",
        "listxattr",
    ] {
        assert!(allowed.contains(needed), "{needed}");
    }
    for denied in [
        "clone", "clone3", "socket", "ptrace", "mount", "mknod", "unshare", "keyctl", "bpf",
    ] {
        assert!(
            !allowed.contains(denied),
            "{denied} must not be allowed unconditionally"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// A syscall name is rejected naming `seccomp.syscall`, or the JSON keeps its members and
    /// the name reads back unchanged.
    #[test]
    fn adversarial_syscall_names(name in prop_oneof![any::<String>(), "[a-z_\"\\\\{},:\\] ]{1,12}"]) {
        match SyscallRule::new(&[name.as_str()], Action::Log) {
            Err(e) => prop_assert_eq!(e.field(), "seccomp.syscall"),
            Ok(rule) => {
                let p = SeccompProfile::deny_all().with_rule(rule);
                let v: Value = serde_json::from_str(&p.to_json().unwrap()).unwrap();
                let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
                prop_assert_eq!(keys, BTreeSet::from(["architectures", "defaultAction", "defaultErrnoRet", "syscalls"]));
                prop_assert_eq!(v["syscalls"][0]["names"][0].as_str().unwrap(), name.as_str());
                prop_assert_eq!(v["syscalls"][0].as_object().unwrap().len(), 2);
            }
        }
    }
}
