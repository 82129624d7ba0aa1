//! Property tests: arbitrary contents, paths and argv round-trip through the rendered YAML
//! unchanged, and no input adds a key, a file or a command.

use std::collections::BTreeSet;

use cloudinit_builder::*;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support;

/// Splits a line the way a POSIX shell splits what [`cloudinit_builder::command::quote`] emits:
/// bare words, single-quoted strings and backslash-escaped characters.
fn shell_split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '\'' => {
                started = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                started = true;
                word.extend(chars.next());
            }
            other => {
                started = true;
                word.push(other);
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn path_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec("[A-Za-z0-9._+@:-]{1,12}", 1..5)
        .prop_map(|segs| format!("/{}", segs.join("/")))
        .prop_filter("no . or .. components", |p| {
            p.split('/').all(|s| s != "." && s != "..")
        })
}

fn argv_strategy() -> impl Strategy<Value = Vec<String>> {
    let arg = prop_oneof![
        any::<String>(),
        "[ -~]{0,20}",
        Just("'".to_owned()),
        Just("$(reboot)".to_owned()),
        Just("a; rm -rf /".to_owned()),
        Just("\n- rm -rf /\n".to_owned()),
        Just("yes".to_owned()),
    ]
    .prop_map(|s: String| s.replace('\0', ""));
    (
        "[a-z/][a-z0-9/._-]{0,10}",
        proptest::collection::vec(arg, 0..6),
    )
        .prop_map(|(p, mut rest)| {
            rest.insert(0, p);
            rest
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn file_contents_and_paths_round_trip(content in any::<String>(), path in path_strategy(), mode in 0u32..=0o7777) {
        let cfg = CloudConfig::new().write_file(WriteFile::new(&path, content.clone()).unwrap().permissions(mode).unwrap());
        let out = cfg.render().unwrap();
        let doc = support::parse(out.as_str());
        prop_assert_eq!(keys(&doc), BTreeSet::from(["write_files".to_owned()]));
        let files = doc["write_files"].as_array().unwrap();
        prop_assert_eq!(files.len(), 1);
        let mut expected = BTreeSet::from(["path".to_owned(), "content".to_owned()]);
        if mode != 0o644 {
            expected.insert("permissions".to_owned());
        }
        prop_assert_eq!(keys(&files[0]), expected);
        prop_assert_eq!(&files[0]["content"], &json!(content));
        prop_assert_eq!(&files[0]["path"], &json!(path));
        if mode != 0o644 {
            prop_assert_eq!(&files[0]["permissions"], &json!(format!("{mode:04o}")));
        }
    }

    #[test]
    fn argv_round_trips_as_one_command(argv in argv_strategy()) {
        let cmd = Command::argv(argv.clone()).unwrap();
        let cfg = CloudConfig::new().runcmd(cmd).bootcmd(Command::argv(argv.clone()).unwrap());
        let out = cfg.render().unwrap();
        let doc = support::parse(out.as_str());
        prop_assert_eq!(keys(&doc), BTreeSet::from(["runcmd".to_owned(), "bootcmd".to_owned()]));
        for key in ["runcmd", "bootcmd"] {
            let list = doc[key].as_array().unwrap();
            prop_assert_eq!(list.len(), 1);
            prop_assert_eq!(shell_split(list[0].as_str().unwrap()), argv.clone());
        }
    }

    #[test]
    fn arbitrary_strings_never_add_keys(s in any::<String>()) {
        let mut cfg = CloudConfig::new();
        let mut expected = BTreeSet::new();
        if let Ok(c) = cfg.clone().final_message(&s) { cfg = c; expected.insert("final_message"); }
        if let Ok(c) = cfg.clone().timezone(&s) { cfg = c; expected.insert("timezone"); }
        if let Ok(c) = cfg.clone().packages([&s]) { cfg = c; expected.insert("packages"); }
        if let Ok(f) = WriteFile::new(&s, s.clone()) { cfg = cfg.write_file(f); expected.insert("write_files"); }
        if let Ok(u) = User::new(&s) { cfg = cfg.user(u); expected.insert("users"); }
        if let Ok(p) = PhoneHome::new(&s) { cfg = cfg.phone_home(p); expected.insert("phone_home"); }
        if let Ok(r) = RawKey::parse("snap", &s) { cfg = cfg.raw(r).unwrap(); expected.insert("snap"); }
        let out = cfg.render().unwrap();
        let doc = support::parse(out.as_str());
        let expected: BTreeSet<String> = expected.into_iter().map(str::to_owned).collect();
        prop_assert_eq!(keys(&doc), expected);
        if let Some(m) = doc.get("final_message") {
            prop_assert_eq!(m, &json!(s));
        }
    }

    #[test]
    fn arbitrary_paths_are_refused_or_round_trip(path in any::<String>()) {
        if let Ok(f) = WriteFile::new(&path, "x") {
            let out = CloudConfig::new().write_file(f).render().unwrap();
            prop_assert_eq!(&support::parse(out.as_str())["write_files"][0]["path"], &json!(path));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// The real shell agrees with the splitter: `printf '%s\0'` prints exactly the arguments.
    #[test]
    fn real_shell_sees_exactly_the_arguments(argv in proptest::collection::vec(any::<String>().prop_map(|s| s.replace('\0', "")), 0..6)) {
        let mut full = vec!["printf".to_owned(), "%s\\0".to_owned()];
        full.extend(argv.iter().cloned());
        let line = Command::argv(full).unwrap().to_shell().into_owned();
        let out = std::process::Command::new("sh").arg("-c").arg(&line).output().unwrap();
        prop_assert!(out.status.success());
        let mut printed: Vec<String> = String::from_utf8(out.stdout).unwrap().split('\0').map(str::to_owned).collect();
        // printf reuses its format for each argument and prints it once with none.
        printed.pop();
        let expected = if argv.is_empty() { vec![String::new()] } else { argv.clone() };
        prop_assert_eq!(printed, expected);
    }

    /// Arbitrary contents and commands together still validate against the 26.1 schema.
    #[test]
    fn arbitrary_documents_match_the_schema(content in any::<String>(), argv in argv_strategy(), msg in any::<String>()) {
        let mut cfg = CloudConfig::new()
            .write_file(WriteFile::new("/etc/x", content).unwrap())
            .runcmd(Command::argv(argv).unwrap());
        if let Ok(c) = cfg.clone().final_message(&msg) { cfg = c; }
        let out = cfg.render().unwrap();
        support::assert_schema_in_process(out.as_str());
    }
}

#[test]
fn splitter_handles_the_quoting_forms() {
    assert_eq!(
        shell_split("a 'b c' 'it'\\''s' ''"),
        ["a", "b c", "it's", ""]
    );
}
