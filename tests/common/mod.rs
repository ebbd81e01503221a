//! Helpers shared by the integration tests: run the real binary, read its JSON.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

pub mod truth;

pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("nianbao").expect("the nianbao binary is built by cargo test")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout (CI and every developer machine have it).
pub fn shared() -> Option<PathBuf> {
    let p = root().join("..").join("shared");
    p.is_dir().then_some(p)
}

pub fn check_json(args: &[&str]) -> (Output, Value) {
    let out = bin().current_dir(root()).arg("check").args(args).args(["--format", "json", "--fail-on", "never"]).output().expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("check printed invalid JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out, json)
}

/// The report whose path ends with `name`.
pub fn report<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["reports"].as_array().expect("reports").iter().find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name))).unwrap_or_else(|| panic!("no report {name}"))
}

pub fn value<'a>(report: &'a Value, field: &str) -> &'a Value {
    &report["fields"][field]["value"]
}

pub fn rules_fired(report: &Value) -> Vec<(String, String)> {
    report["findings"].as_array().expect("findings").iter().map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f["severity"].as_str().unwrap_or("").to_string())).collect()
}

pub fn fired(report: &Value, rule: &str) -> bool {
    rules_fired(report).iter().any(|(r, _)| r == rule)
}

pub fn fired_as(report: &Value, rule: &str, severity: &str) -> bool {
    rules_fired(report).iter().any(|(r, s)| r == rule && s == severity)
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// Values compare as JSON, but numbers by value (YAML `3` and JSON `3.0` are one number) and a
/// YAML string against a JSON number by its text (fee amounts are strings in the output).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => s.parse::<f64>().ok() == x.as_f64(),
        _ => a == b,
    }
}
