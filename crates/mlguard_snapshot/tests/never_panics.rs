//! The loader never panics and never loses good elements, whatever a file holds.
//! (The coverage-guided fuzz target is in fuzz/; this runs in every test run.)

use mlguard_snapshot::{commands::COMMANDS, Inventory, Scope, Snapshot};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

fn write_one(cmd_index: usize, body: &[u8]) -> PathBuf {
    let cmd = &COMMANDS[cmd_index % COMMANDS.len()];
    let root = std::env::temp_dir().join(format!("mlguard-snap-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    let region = if cmd.global { "global" } else { "us-east-1" };
    let base = root.join("111122223333").join(region).join(cmd.service);
    let dir = match cmd.scope {
        Scope::Account => base,
        Scope::Resource => base.join("res-1"),
    };
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{}.json", cmd.name)), body);
    root
}

/// Keys that the loader looks for, so that generated objects reach the typed readers.
const KEYS: &[&str] = &[
    "Vpcs",
    "VpcId",
    "CidrBlock",
    "Subnets",
    "SubnetId",
    "Routes",
    "Entries",
    "Reservations",
    "Instances",
    "SecurityGroups",
    "GroupId",
    "IpPermissions",
    "Buckets",
    "Name",
    "Status",
    "Policy",
    "PublicAccessBlockConfiguration",
    "ServerSideEncryptionConfiguration",
    "Rules",
    "WebACL",
    "WebACLs",
    "Id",
    "Statement",
    "NotStatement",
    "RateBasedStatement",
    "Limit",
    "RoleDetailList",
    "RoleName",
    "Arn",
    "Policies",
    "PolicyVersionList",
    "Document",
    "items",
    "item",
    "id",
    "jobId",
    "trailList",
    "IsLogging",
    "DetectorIds",
    "Features",
    "ProductionVariants",
    "DataCaptureConfig",
    "ModelPackageSummaryList",
    "ModelPackageArn",
    "InputDataConfig",
    "PrimaryContainer",
];

fn json_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("1".to_string()),
        Just("\"10.0.0.0/16\"".to_string()),
        Just("\"vpc-1\"".to_string()),
        Just("[]".to_string()),
        Just("true".to_string()),
        "[a-zA-Z0-9{}\\[\\]\":,./-]{0,20}".prop_map(|s| s),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..4)
                .prop_map(|v| format!("{{{}}}", v.iter().map(|(k, x)| format!("\"{k}\":{x}")).collect::<Vec<_>>().join(","))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_bytes_never_panic(i in 0..COMMANDS.len(), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let root = write_one(i, &body);
        if let Ok(snap) = Snapshot::open(&root) {
            let _ = Inventory::load(&snap);
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn json_shaped_input_never_panics(i in 0..COMMANDS.len(), body in json_like()) {
        let root = write_one(i, body.as_bytes());
        if let Ok(snap) = Snapshot::open(&root) {
            let inv = Inventory::load(&snap);
            prop_assert!(inv.files_read <= 1);
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}

#[test]
fn good_elements_survive_a_bad_one() {
    let body = r#"{"Vpcs": [{"VpcId": "vpc-a", "CidrBlock": "10.0.0.0/16"}, {"VpcId": 7}, {"VpcId": "vpc-c", "CidrBlock": "10.2.0.0/16"}]}"#;
    let i = COMMANDS.iter().position(|c| c.name == "describe-vpcs").unwrap_or(0);
    let root = write_one(i, body.as_bytes());
    let snap = Snapshot::open(&root);
    assert!(snap.is_ok());
    if let Ok(snap) = snap {
        let inv = Inventory::load(&snap);
        let ids: Vec<&str> = inv.ec2.vpcs.iter().map(|v| v.vpc_id.as_str()).collect();
        assert_eq!(ids, ["vpc-a", "vpc-c"]);
        assert_eq!(inv.diagnostics.len(), 1);
        assert_eq!(inv.diagnostics[0].path, "$.Vpcs[1].VpcId");
        assert!(inv.diagnostics[0].message.contains("expected a string"), "{}", inv.diagnostics[0].message);
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn pages_are_merged_in_order() {
    let i = COMMANDS.iter().position(|c| c.name == "describe-vpcs").unwrap_or(0);
    let root = write_one(i, br#"{"Vpcs": [{"VpcId": "vpc-1"}]}"#);
    let dir = root.join("111122223333/us-east-1/ec2");
    let _ = std::fs::write(dir.join("describe-vpcs.2.json"), r#"{"Vpcs": [{"VpcId": "vpc-2"}]}"#);
    let _ = std::fs::write(dir.join("describe-vpcs.10.json"), r#"{"Vpcs": [{"VpcId": "vpc-10"}]}"#);
    let snap = Snapshot::open(&root);
    assert!(snap.is_ok());
    if let Ok(snap) = snap {
        let inv = Inventory::load(&snap);
        let ids: Vec<&str> = inv.ec2.vpcs.iter().map(|v| v.vpc_id.as_str()).collect();
        assert_eq!(ids, ["vpc-1", "vpc-2", "vpc-10"]);
    }
    let _ = std::fs::remove_dir_all(&root);
}
