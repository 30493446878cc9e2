//! A deterministic generator of realistic CloudTrail corpora for tests and benchmarks.
//!
//! It writes the S3 delivery layout (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, one
//! `{"Records":[...]}` file per five minutes and region, optionally gzip-compressed) with a mix
//! of services, principals (IAM users, SSO and instance roles, AWS services), user agents and
//! errors (about 4% access denied), S3 data events on ML buckets, and a small rate of the
//! attacks the built-in rules detect, so every code path is exercised at benchmark scale.

use crate::record::format_time;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Stop after about this many bytes of (uncompressed) JSON.
    pub bytes: u64,
    pub seed: u64,
    /// Records per delivered file.
    pub records_per_file: usize,
    pub gzip: bool,
    /// Write JSON Lines (one record per line, `.jsonl`) instead of `{"Records":[...]}`, for
    /// tools that read only JSON Lines.
    pub jsonl: bool,
    /// Unix seconds of the first event.
    pub start: i64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions { bytes: 10 << 20, seed: 1, records_per_file: 2000, gzip: false, jsonl: false, start: 1_735_689_600 }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub files: u64,
    pub records: u64,
    pub bytes: u64,
    /// Injected attack events.
    pub attacks: u64,
}

struct Rng(u64);

impl Rng {
    /// SplitMix64 (Steele, Lea, Flood 2014).
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        let i = self.below(v.len());
        v.get(i)
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "777788889999"];
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "us-west-2"];
const AGENTS: [&str; 6] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2 prompt/off command/s3.cp",
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.10.13 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51",
    "aws-sdk-java/2.25.6 Linux/5.10.205 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/adaptive",
    "console.amazonaws.com",
    "terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8",
    "AmazonSageMaker",
];

/// (event source, event name, read-only, weight)
const CALLS: [(&str, &str, bool, u32); 24] = [
    ("s3.amazonaws.com", "GetObject", true, 30),
    ("s3.amazonaws.com", "PutObject", false, 8),
    ("s3.amazonaws.com", "HeadObject", true, 6),
    ("s3.amazonaws.com", "ListObjects", true, 5),
    ("sts.amazonaws.com", "AssumeRole", true, 8),
    ("sts.amazonaws.com", "GetCallerIdentity", true, 3),
    ("ec2.amazonaws.com", "DescribeInstances", true, 6),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true, 3),
    ("ec2.amazonaws.com", "RunInstances", false, 1),
    ("kms.amazonaws.com", "Decrypt", true, 8),
    ("kms.amazonaws.com", "GenerateDataKey", true, 3),
    ("sagemaker.amazonaws.com", "DescribeTrainingJob", true, 4),
    ("sagemaker.amazonaws.com", "CreateTrainingJob", false, 1),
    ("sagemaker.amazonaws.com", "InvokeEndpoint", true, 5),
    ("sagemaker.amazonaws.com", "ListModelPackages", true, 2),
    ("logs.amazonaws.com", "CreateLogStream", false, 3),
    ("logs.amazonaws.com", "DescribeLogGroups", true, 2),
    ("iam.amazonaws.com", "GetRole", true, 2),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", true, 1),
    ("lambda.amazonaws.com", "Invoke", true, 2),
    ("ecr.amazonaws.com", "GetAuthorizationToken", true, 2),
    ("ecr.amazonaws.com", "BatchGetImage", true, 2),
    ("cloudtrail.amazonaws.com", "LookupEvents", true, 1),
    ("signin.amazonaws.com", "ConsoleLogin", false, 1),
];

struct Who {
    identity: Value,
    ip: String,
    agent: usize,
}

fn principals(rng: &mut Rng, account: &str) -> Vec<Who> {
    let mut v = Vec::new();
    for i in 0..12 {
        let name = format!("user{i:02}");
        v.push(Who {
            identity: json!({"type": "IAMUser", "principalId": format!("AIDA{}", rng.hex(17).to_uppercase()), "arn": format!("arn:aws:iam::{account}:user/{name}"), "accountId": account, "accessKeyId": format!("AKIA{}", rng.hex(16).to_uppercase()), "userName": name}),
            ip: format!("198.51.100.{}", 10 + i),
            agent: i % 3,
        });
    }
    for (i, role) in ["training-role", "pipeline-role", "inference-role", "AWSReservedSSO_DataScientist_0123456789abcdef", "etl-role"].iter().enumerate() {
        let rid = format!("AROA{}", rng.hex(17).to_uppercase());
        let session = if i == 3 { format!("person{i}@example.com") } else { format!("session-{}", rng.hex(8)) };
        v.push(Who {
            identity: json!({"type": "AssumedRole", "principalId": format!("{rid}:{session}"), "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"), "accountId": account, "accessKeyId": format!("ASIA{}", rng.hex(16).to_uppercase()),
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid, "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account, "userName": role}, "webIdFederationData": {}, "attributes": {"creationDate": "2025-01-01T00:00:00Z", "mfaAuthenticated": "false"}}}),
            ip: format!("10.{}.{}.{}", i, rng.below(250), 1 + rng.below(250)),
            agent: 1 + i % 4,
        });
    }
    let rid = format!("AROA{}", rng.hex(17).to_uppercase());
    let inst = format!("i-0{}", rng.hex(16));
    v.push(Who {
        identity: json!({"type": "AssumedRole", "principalId": format!("{rid}:{inst}"), "arn": format!("arn:aws:sts::{account}:assumed-role/gpu-node-role/{inst}"), "accountId": account, "accessKeyId": format!("ASIA{}", rng.hex(16).to_uppercase()),
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid, "arn": format!("arn:aws:iam::{account}:role/gpu-node-role"), "accountId": account, "userName": "gpu-node-role"}, "ec2RoleDelivery": "2.0", "attributes": {"creationDate": "2025-01-01T00:00:00Z", "mfaAuthenticated": "false"}}}),
        ip: "10.0.12.7".into(),
        agent: 1,
    });
    v
}

fn attack(rng: &mut Rng, account: &str, bucket: &str) -> (&'static str, &'static str, Value, Option<&'static str>) {
    match rng.below(6) {
        0 => ("cloudtrail.amazonaws.com", "StopLogging", json!({"name": format!("arn:aws:cloudtrail:us-east-1:{account}:trail/org-trail")}), None),
        1 => ("s3.amazonaws.com", "PutBucketVersioning", json!({"bucketName": bucket, "VersioningConfiguration": {"Status": "Suspended"}, "Host": format!("{bucket}.s3.amazonaws.com")}), None),
        2 => ("ec2.amazonaws.com", "ModifySnapshotAttribute", json!({"snapshotId": format!("snap-0{}", rng.hex(16)), "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": {"add": {"items": [{"userId": "999988887777"}]}}}), None),
        3 => ("iam.amazonaws.com", "CreateAccessKey", json!({"userName": "ci-deployer"}), None),
        4 => ("guardduty.amazonaws.com", "DeleteDetector", json!({"detectorId": rng.hex(32)}), None),
        _ => ("ec2.amazonaws.com", "GetPasswordData", json!({"instanceId": format!("i-0{}", rng.hex(16))}), Some("Client.UnauthorizedOperation")),
    }
}

fn request(rng: &mut Rng, source: &str, name: &str, bucket: &str, region: &str) -> Value {
    match (source, name) {
        ("s3.amazonaws.com", _) => json!({"bucketName": bucket, "key": format!("datasets/v{}/part-{:05}.parquet", rng.below(9), rng.below(99_999)), "Host": format!("{bucket}.s3.{region}.amazonaws.com")}),
        ("sts.amazonaws.com", "AssumeRole") => json!({"roleArn": "arn:aws:iam::111122223333:role/pipeline-role", "roleSessionName": format!("s-{}", rng.hex(8)), "durationSeconds": 3600}),
        ("kms.amazonaws.com", _) => json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": format!("arn:aws:kms:{region}:111122223333:key/{}", rng.hex(32))}),
        ("sagemaker.amazonaws.com", _) => json!({"trainingJobName": format!("train-{}", rng.hex(10))}),
        ("ec2.amazonaws.com", _) => json!({"instancesSet": {}, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "ml"}]}}]}}),
        ("logs.amazonaws.com", _) => json!({"logGroupName": "/aws/sagemaker/TrainingJobs", "logStreamName": format!("train-{}/algo-1", rng.hex(10))}),
        _ => Value::Null,
    }
}

/// Writes a corpus under `out`; returns what was written.
pub fn generate(opts: &SynthOptions, out: &Path) -> std::io::Result<SynthStats> {
    let mut rng = Rng(opts.seed);
    let mut stats = SynthStats::default();
    let whos: Vec<(String, Vec<Who>)> = ACCOUNTS.iter().map(|a| (a.to_string(), principals(&mut rng, a))).collect();
    let total_weight: u32 = CALLS.iter().map(|c| c.3).sum();
    let mut t = opts.start;
    let mut file_no: u64 = 0;
    while stats.bytes < opts.bytes {
        let acct_i = (file_no as usize) % ACCOUNTS.len();
        let region = REGIONS[(file_no as usize / ACCOUNTS.len()) % REGIONS.len()];
        let (account, who) = match whos.get(acct_i) {
            Some(w) => (&w.0, &w.1),
            None => break,
        };
        let bucket = format!("ml-training-data-{account}");
        let mut records = Vec::with_capacity(opts.records_per_file);
        for _ in 0..opts.records_per_file {
            t += 1 + (rng.next() % 2) as i64 * i64::from(rng.below(100) == 0);
            let w = match rng.pick(who) {
                Some(w) => w,
                None => break,
            };
            let mut x = (rng.next() % u64::from(total_weight)) as u32;
            let mut call = CALLS[0];
            for c in CALLS {
                if x < c.3 {
                    call = c;
                    break;
                }
                x -= c.3;
            }
            let (mut source, mut name, read_only, _) = call;
            let mut req = request(&mut rng, source, name, &bucket, region);
            let mut err: Option<&str> = (rng.below(25) == 0).then_some("AccessDenied");
            if rng.below(20_000) == 0 {
                let (s, n, r, e) = attack(&mut rng, account, &bucket);
                source = s;
                name = n;
                req = r;
                err = e;
                stats.attacks += 1;
            }
            let data = source == "s3.amazonaws.com" && matches!(name, "GetObject" | "PutObject" | "HeadObject");
            let mut rec = json!({
                "eventVersion": "1.09",
                "userIdentity": w.identity,
                "eventTime": format_time(t),
                "eventSource": source,
                "eventName": name,
                "awsRegion": region,
                "sourceIPAddress": w.ip,
                "userAgent": AGENTS[w.agent % AGENTS.len()],
                "requestParameters": req,
                "responseElements": if err.is_some() || read_only { Value::Null } else { json!({"requestId": rng.hex(20)}) },
                "additionalEventData": if data { json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader", "x-amz-id-2": rng.hex(40), "bytesTransferredOut": rng.below(1 << 20)}) } else { Value::Null },
                "requestID": rng.hex(16).to_uppercase(),
                "eventID": format!("{}-{}-{}-{}-{}", rng.hex(8), rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(12)),
                "readOnly": read_only,
                "resources": if data { json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/datasets/")}, {"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]) } else { Value::Null },
                "eventType": "AwsApiCall",
                "managementEvent": !data,
                "recipientAccountId": account,
                "eventCategory": if data { "Data" } else { "Management" },
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": format!("{}.{region}.amazonaws.com", source.trim_end_matches(".amazonaws.com"))},
            });
            if let (Some(e), Some(o)) = (err, rec.as_object_mut()) {
                o.insert("errorCode".into(), json!(e));
                o.insert("errorMessage".into(), json!(format!("User is not authorized to perform: {}:{name}", source.trim_end_matches(".amazonaws.com"))));
            }
            records.push(rec);
        }
        let day = format_time(t);
        let dir: PathBuf = out.join("AWSLogs").join(account).join("CloudTrail").join(region).join(&day[0..4]).join(&day[5..7]).join(&day[8..10]);
        std::fs::create_dir_all(&dir)?;
        let stamp = format!("{}{}{}T{}{}Z", &day[0..4], &day[5..7], &day[8..10], &day[11..13], &day[14..16]);
        let base = format!("{account}_CloudTrail_{region}_{stamp}_{}", rng.hex(16));
        let body = if opts.jsonl {
            let mut b = Vec::new();
            for r in &records {
                serde_json::to_writer(&mut b, r).map_err(std::io::Error::other)?;
                b.push(b'\n');
            }
            b
        } else {
            serde_json::to_vec(&json!({ "Records": records })).map_err(std::io::Error::other)?
        };
        let ext = if opts.jsonl { "jsonl" } else { "json" };
        stats.bytes += body.len() as u64;
        stats.records += records.len() as u64;
        if opts.gzip {
            let f = std::fs::File::create(dir.join(format!("{base}.{ext}.gz")))?;
            let mut e = flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::fast());
            e.write_all(&body)?;
            e.finish()?.flush()?;
        } else {
            std::fs::write(dir.join(format!("{base}.{ext}")), &body)?;
        }
        stats.files += 1;
        file_no += 1;
    }
    Ok(stats)
}
