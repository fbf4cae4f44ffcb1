//! The scenario JSON Schema (`mscheck schema`, docs/scenario.schema.json) as editors use it,
//! checked with an independent validator: every shipped scenario conforms and points at it; the
//! broken files that are shape errors fail it; the ones only the loader can judge pass it.

mod common;

use mscheck::yaml;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schema() -> jsonschema::Validator {
    let out = common::run(&["schema"]);
    assert!(out.status.success(), "{}", common::text(&out));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("the schema is JSON");
    let committed = std::fs::read(common::root().join("docs/scenario.schema.json")).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&committed).unwrap(),
        schema,
        "docs/scenario.schema.json differs from `mscheck schema`"
    );
    jsonschema::validator_for(&schema).expect("a valid draft-07 schema")
}

fn as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    yaml::to_json(&yaml::parse(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display())))
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml")
            && p.file_name().is_some_and(|n| n != "requirements.yaml")
        {
            out.push(p);
        }
    }
}

/// The schema problems of one file, one line each.
fn problems(v: &jsonschema::Validator, path: &Path) -> Vec<String> {
    let instance = as_json(path);
    v.iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_shipped_scenario_conforms_and_names_the_schema() {
    let v = schema();
    let mut files = Vec::new();
    scenario_files(&common::root().join("suites"), &mut files);
    assert!(files.len() >= 85, "{} scenario files", files.len());
    let mut bad = Vec::new();
    for f in &files {
        for p in problems(&v, f) {
            bad.push(format!("{}: {p}", f.display()));
        }
        let first = std::fs::read_to_string(f).unwrap();
        let first = first.lines().next().unwrap_or_default();
        if first != "# yaml-language-server: $schema=../../docs/scenario.schema.json" {
            bad.push(format!(
                "{}: first line is not the schema comment",
                f.display()
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Broken files whose mistake is one of shape (an unknown key, a word outside a list): an
/// editor flags them as they are typed.
const SHAPE_ERRORS: &[&str] = &[
    "bad-check",
    "bad-sample",
    "bad-step-fields",
    "bad-wait",
    "capture-inside-step-body",
    "lowercase-requirement",
    "unknown-field",
    "unknown-step",
];

/// Broken files only the loader can judge (declared variables, covered IDs, what a server need
/// or a configuration key means).
const LOADER_ERRORS: &[&str] = &[
    "protected-config",
    "raw-config-unmarked",
    "unknown-accumulated-variable",
    "unknown-requirement",
    "unknown-server-need",
    "unknown-variable",
];

#[test]
fn broken_files_of_shape_fail_the_schema_and_the_others_need_the_loader() {
    let v = schema();
    let broken = common::root().join("tests/broken");
    for name in SHAPE_ERRORS {
        let p = broken.join(format!("{name}.yaml"));
        assert!(!problems(&v, &p).is_empty(), "{name} passes the schema");
    }
    for name in LOADER_ERRORS {
        let p = broken.join(format!("{name}.yaml"));
        assert_eq!(problems(&v, &p), Vec::<String>::new(), "{name}");
    }
    // Every broken file is in one list, or mscheck refuses to parse it at all (a syntax error;
    // nesting past its limit).
    let listed = SHAPE_ERRORS.len()
        + LOADER_ERRORS.len()
        + ["malformed-yaml", "nested-too-deep", "over-indented-key"].len();
    let yaml = std::fs::read_dir(&broken)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert_eq!(
        listed, yaml,
        "a new tests/broken file belongs in one of the lists"
    );
}

#[test]
fn an_unknown_step_field_is_named_by_the_validator() {
    let v = schema();
    let p = common::root().join("tests/broken/unknown-field.yaml");
    let all = problems(&v, &p).join("\n");
    assert!(all.contains("presett"), "{all}");
}
