//! ENC-001 over tiny snapshots, with the default and a configured classification tag.

mod common;

use mlguard_core::config::Config;
use serde_json::json;

fn run(tags: serde_json::Value, enclaves: Option<bool>, state: &str, cfg: &Config) -> Vec<String> {
    let mut inst = json!({"InstanceId": "i-1", "InstanceType": "m5.xlarge", "State": {"Name": state}, "Tags": tags});
    if let Some(e) = enclaves {
        inst["EnclaveOptions"] = json!({"Enabled": e});
    }
    let inv = common::load([(
        "111122223333/us-east-1/ec2/describe-instances.json",
        json!({"Reservations": [{"Instances": [inst]}]}).to_string(),
    )]);
    mlguard_posture::audit(&inv, cfg)
        .0
        .into_iter()
        .map(|f| f.rule_id)
        .filter(|r| r.starts_with("ENC-"))
        .collect()
}

#[test]
fn sensitive_instances_need_enclaves() {
    let d = Config::default();
    let conf = json!([{"Key": "data-classification", "Value": "Confidential"}]);
    assert_eq!(run(conf.clone(), Some(false), "running", &d), ["ENC-001"]);
    // An answer without EnclaveOptions means disabled.
    assert_eq!(run(conf.clone(), None, "running", &d), ["ENC-001"]);
    assert_eq!(
        run(conf.clone(), Some(true), "running", &d),
        Vec::<String>::new()
    );
    // Public data, no tag, or a terminated instance: nothing to protect.
    assert_eq!(
        run(
            json!([{"Key": "data-classification", "Value": "public"}]),
            Some(false),
            "running",
            &d
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(json!([]), Some(false), "running", &d),
        Vec::<String>::new()
    );
    assert_eq!(
        run(conf, Some(false), "terminated", &d),
        Vec::<String>::new()
    );
}

#[test]
fn the_classification_tag_is_configurable() {
    let cfg = Config::parse("[data]\nclassification_tag = \"dlp\"\nsensitive_values = [\"red\"]\n")
        .unwrap_or_default();
    assert_eq!(
        run(
            json!([{"Key": "dlp", "Value": "RED"}]),
            Some(false),
            "running",
            &cfg
        ),
        ["ENC-001"]
    );
    assert_eq!(
        run(
            json!([{"Key": "data-classification", "Value": "confidential"}]),
            Some(false),
            "running",
            &cfg
        ),
        Vec::<String>::new()
    );
}
