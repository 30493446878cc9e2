//! `mlguard collect` against endpoints that misbehave: one that is not there, one that answers
//! garbage, one that throttles. A small HTTP server on loopback plays AWS; it answers STS's
//! GetCallerIdentity and EC2's DescribeVpcs in their query-protocol XML, and what the test asks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const IDENTITY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;
const NO_VPCS: &str = r#"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>2</requestId><vpcSet/></DescribeVpcsResponse>"#;
/// EC2's throttling error, as EC2 sends it.
const THROTTLED: &str = r#"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>3</RequestID></Response>"#;

/// What the fake answers: `(status, body)` for an action, given how often it was asked before
/// and the request body.
type Script = dyn Fn(&str, usize, &str) -> (u16, String) + Send + Sync;

struct Fake {
    url: String,
    seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl Fake {
    fn start(script: Box<Script>) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let url = format!("http://{}", l.local_addr().map(|a| a.to_string()).unwrap_or_default());
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let seen2 = seen.clone();
        let script: Arc<Script> = Arc::from(script);
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let (seen, script) = (seen2.clone(), script.clone());
                std::thread::spawn(move || serve(s, &seen, &*script));
            }
        });
        Fake { url, seen }
    }

    fn count(&self, action: &str) -> usize {
        self.seen.lock().map(|m| m.get(action).copied().unwrap_or(0)).unwrap_or(0)
    }
}

/// Serves requests on one connection (keep-alive) until the client closes it.
fn serve(s: TcpStream, seen: &Mutex<HashMap<String, usize>>, script: &Script) {
    let mut w = match s.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut len = 0usize;
        let mut target = String::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if let Some(v) = lower.strip_prefix("x-amz-target:") {
                target = v.trim().to_owned();
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body);
        // Query protocols name the action in the form body; JSON ones in X-Amz-Target; REST
        // ones by path.
        let action = body.split('&').find_map(|kv| kv.strip_prefix("Action=")).map(str::to_owned).unwrap_or(if target.is_empty() { path } else { target });
        let n = {
            let mut m = seen.lock().unwrap_or_else(|p| p.into_inner());
            let e = m.entry(action.clone()).or_insert(0);
            *e += 1;
            *e - 1
        };
        let (status, text) = script(&action, n, &body);
        let _ = write!(w, "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{text}", text.len());
        let _ = w.flush();
    }
}

fn mlguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlguard"))
        .args(args)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/mlguard-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mlguard-test-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap_or_else(|e| panic!("running mlguard: {e}"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mlguard-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn manifest(dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap_or_else(|e| panic!("manifest.json: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("manifest.json: {e}"))
}

#[test]
fn unreachable_endpoint_stops_with_exit_2_and_a_manifest() {
    // A port with nothing listening: bind one, then let it go.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
    let out = tempdir("unreachable");
    let o = mlguard(&["collect", "--endpoint-url", &format!("http://127.0.0.1:{port}"), "--max-attempts", "2", "--out", out.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("collection stopped: EndpointUnreachable"), "{stderr}");
    let m = manifest(&out);
    assert_eq!(m["complete"], false);
    assert_eq!(m["stopped"]["error_code"], "EndpointUnreachable");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn malformed_response_stops_with_exit_2() {
    let fake = Fake::start(Box::new(|_, _, _| (200, "this is not XML <<<".into())));
    let out = tempdir("malformed");
    let o = mlguard(&["collect", "--endpoint-url", &fake.url, "--max-attempts", "1", "--out", out.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("MalformedResponse"), "{stderr}");
    assert_eq!(manifest(&out)["stopped"]["error_code"], "MalformedResponse");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn throttling_is_retried_and_what_still_fails_is_recorded() {
    // DescribeVpcs is throttled twice, then answered; everything else but STS is a 503.
    let fake = Fake::start(Box::new(|action, n, _| match action {
        "GetCallerIdentity" => (200, IDENTITY.into()),
        "DescribeVpcs" if n < 2 => (400, THROTTLED.into()),
        "DescribeVpcs" => (200, NO_VPCS.into()),
        _ => (503, "Service Unavailable".into()),
    }));
    let out = tempdir("throttled");
    let o = mlguard(&["collect", "--endpoint-url", &fake.url, "--max-attempts", "3", "--out", out.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Calls failed (the 503s), so the run is not clean; but it went on to the end.
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(fake.count("DescribeVpcs"), 3, "two throttled attempts, then the answer");
    assert_eq!(fake.count("DescribeSubnets"), 3, "a 503 is tried --max-attempts times");
    let m = manifest(&out);
    assert!(m["stopped"].is_null(), "{m}");
    assert_eq!(m["complete"], false);
    let calls = m["calls"].as_array().cloned().unwrap_or_default();
    let vpcs = calls.iter().find(|c| c["command"] == "describe-vpcs").cloned().unwrap_or_default();
    assert_eq!(vpcs["outcome"], "ok", "{vpcs}");
    let subnets = calls.iter().find(|c| c["command"] == "describe-subnets").cloned().unwrap_or_default();
    assert_eq!(subnets["outcome"], "failed", "{subnets}");
    let written = std::fs::read_to_string(out.join("123456789012/us-east-1/ec2/describe-vpcs.json")).unwrap_or_default();
    assert!(written.contains("\"Vpcs\": []"), "{written}");
    let _ = std::fs::remove_dir_all(&out);
}

fn vpcs_page(id: &str, next: Option<&str>) -> String {
    let token = next.map(|t| format!("<nextToken>{t}</nextToken>")).unwrap_or_default();
    format!(
        r#"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>4</requestId><vpcSet><item><vpcId>{id}</vpcId><cidrBlock>10.0.0.0/16</cidrBlock><state>available</state><ownerId>123456789012</ownerId><isDefault>false</isDefault></item></vpcSet>{token}</DescribeVpcsResponse>"#
    )
}

fn notebooks_page(name: &str, next: Option<&str>) -> String {
    let token = next.map(|t| format!(r#","NextToken":"{t}""#)).unwrap_or_default();
    format!(r#"{{"NotebookInstances":[{{"NotebookInstanceName":"{name}","NotebookInstanceArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{name}","NotebookInstanceStatus":"InService","CreationTime":1700000000.0}}]{token}}}"#)
}

#[test]
fn every_page_is_followed_and_kept() {
    // Two pages each of an XML listing (EC2, merged into one file as the CLI prints it) and of a
    // JSON one (SageMaker, one file per page); a listing whose service repeats the token it was
    // sent is recorded as failed rather than followed forever. Everything else is denied.
    let fake = Fake::start(Box::new(|action, _, body| match action {
        "GetCallerIdentity" => (200, IDENTITY.into()),
        "DescribeVpcs" if body.contains("NextToken=page-2") => (200, vpcs_page("vpc-22222222", None)),
        "DescribeVpcs" => (200, vpcs_page("vpc-11111111", Some("page-2"))),
        "DescribeSubnets" => (200, r#"<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>5</requestId><subnetSet/><nextToken>again</nextToken></DescribeSubnetsResponse>"#.into()),
        "sagemaker.listnotebookinstances" if body.contains(r#""NextToken":"t2""#) => (200, notebooks_page("nb-2", None)),
        "sagemaker.listnotebookinstances" => (200, notebooks_page("nb-1", Some("t2"))),
        "sagemaker.describenotebookinstance" => {
            let name = if body.contains("nb-2") { "nb-2" } else { "nb-1" };
            (200, format!(r#"{{"NotebookInstanceName":"{name}","NotebookInstanceArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{name}","NotebookInstanceStatus":"InService","DirectInternetAccess":"Disabled","RootAccess":"Disabled"}}"#))
        }
        _ => (403, r#"<ErrorResponse><Error><Code>AccessDenied</Code><Message>denied</Message></Error><RequestId>6</RequestId></ErrorResponse>"#.into()),
    }));
    let out = tempdir("pages");
    let o = mlguard(&["collect", "--endpoint-url", &fake.url, "--max-attempts", "1", "--out", out.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(fake.count("DescribeVpcs"), 2, "{stderr}");
    assert_eq!(fake.count("sagemaker.listnotebookinstances"), 2, "{stderr}");
    let m = manifest(&out);
    let calls = m["calls"].as_array().cloned().unwrap_or_default();
    let call = |cmd: &str| calls.iter().find(|c| c["command"] == cmd && c["resource"].is_null()).cloned().unwrap_or_default();
    assert_eq!(call("describe-vpcs")["outcome"], "ok", "{m}");
    assert_eq!(call("describe-vpcs")["pages"], 2, "{m}");
    assert_eq!(call("list-notebook-instances")["pages"], 2, "{m}");
    assert_eq!(call("describe-subnets")["outcome"], "failed", "{m}");
    assert_eq!(call("describe-subnets")["error_code"], "RepeatedNextToken", "{m}");

    let region = out.join("123456789012/us-east-1");
    let vpcs: Value = serde_json::from_str(&std::fs::read_to_string(region.join("ec2/describe-vpcs.json")).unwrap_or_default()).unwrap_or_default();
    let ids: Vec<&str> = vpcs["Vpcs"].as_array().into_iter().flatten().filter_map(|v| v["VpcId"].as_str()).collect();
    assert_eq!(ids, ["vpc-11111111", "vpc-22222222"]);
    for (file, name) in [("list-notebook-instances.json", "nb-1"), ("list-notebook-instances.2.json", "nb-2")] {
        let page = std::fs::read_to_string(region.join("sagemaker").join(file)).unwrap_or_default();
        assert!(page.contains(name), "{file}: {page}");
    }
    for name in ["nb-1", "nb-2"] {
        assert!(region.join("sagemaker").join(name).join("describe-notebook-instance.json").is_file(), "{name}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn audit_refuses_collection_options_without_live() {
    let o = Command::new(env!("CARGO_BIN_EXE_mlguard")).args(["audit", "--profile", "prod", "examples/secure-ml-platform"]).current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--profile is a collection option: it needs --live"), "{stderr}");
}
