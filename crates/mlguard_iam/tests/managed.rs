//! Real AWS managed policies (`tests/data/`, sources in `tests/data/README.md`) evaluated the
//! way the posture layer will: parsed from the shapes `get-account-authorization-details`
//! prints, attached to a principal, asked about requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlguard_iam::{expand_action, Context, Decision, DecisionKind, Gate, NamedPolicy, Policy, PolicySet, Request};
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:sts::111122223333:assumed-role/DataScientist/alice";
const ACCOUNT: &str = "111122223333";

fn fixture(name: &str) -> NamedPolicy {
    let path = format!("{}/tests/data/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let policy = Policy::from_json(&text).unwrap();
    assert!(policy.problems.is_empty(), "{name}: {:?}", policy.problems);
    NamedPolicy::new(format!("arn:aws:iam::aws:policy/{name}"), policy)
}

/// `kind [sid …]` (the statement index when there is no Sid), `ImplicitDeny(Gate)` for implicit denies.
fn render(d: &Decision) -> String {
    let mut s = match (d.kind, d.gate) {
        (DecisionKind::ImplicitDeny, Some(g)) => format!("ImplicitDeny({g:?})"),
        (k, _) => format!("{k:?}"),
    };
    for m in &d.matched {
        s.push(' ');
        s.push_str(&m.sid.clone().unwrap_or_else(|| format!("#{}", m.index)));
    }
    s
}

/// `check(policy, request, expected)`: `policy` alone attached to the principal.
fn check(policy: &NamedPolicy, request: Request, expected: &str) {
    let d = PolicySet::new([policy]).evaluate(&request);
    assert_eq!(render(&d), expected, "{}: {request:?}", policy.name);
}

#[test]
fn administrator_access_allows_everything() {
    let admin = fixture("AdministratorAccess");
    check(&admin, Request::new(ROLE, "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob"), "Allow #0");
    check(&admin, Request::new(ROLE, "iam:CreateAccessKey", "*"), "Allow #0");
    check(
        &admin,
        Request::new(ROLE, "sagemaker:DeleteDomain", "arn:aws:sagemaker:us-east-1:111122223333:domain/d-1"),
        "Allow #0",
    );
    check(&admin, Request::new(ROLE, "made-up:Action", "anything at all"), "Allow #0");
}

#[test]
fn s3_read_only_reads_but_does_not_write() {
    let ro = fixture("AmazonS3ReadOnlyAccess");
    check(&ro, Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::training-data/x.parquet"), "Allow #0");
    check(&ro, Request::new(ROLE, "s3:ListBucket", "arn:aws:s3:::training-data"), "Allow #0");
    check(&ro, Request::new(ROLE, "s3:DescribeJob", "arn:aws:s3:us-east-1:111122223333:job/j"), "Allow #0");
    check(
        &ro,
        Request::new(ROLE, "s3-object-lambda:GetObject", "arn:aws:s3-object-lambda:us-east-1:1:accesspoint/a"),
        "Allow #0",
    );
    check(&ro, Request::new(ROLE, "s3:PutObject", "arn:aws:s3:::training-data/x.parquet"), "ImplicitDeny(NoAllow)");
    check(&ro, Request::new(ROLE, "s3:DeleteObject", "arn:aws:s3:::training-data/x.parquet"), "ImplicitDeny(NoAllow)");
    check(&ro, Request::new(ROLE, "s3-object-lambda:PutObject", "*"), "ImplicitDeny(NoAllow)");
    check(&ro, Request::new(ROLE, "iam:CreateAccessKey", "*"), "ImplicitDeny(NoAllow)");

    // Which S3 actions out of a known list, and what `s3:Put*` covers among them.
    let known =
        ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket", "s3:PutObject", "s3:PutBucketPolicy", "s3:DeleteObject"];
    let set = PolicySet::new([&ro]);
    assert_eq!(
        set.allowed_actions(ROLE, "arn:aws:s3:::training-data/x", &Context::new(), &known),
        ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket"]
    );
    assert_eq!(expand_action("s3:Put*", &known), ["s3:PutObject", "s3:PutBucketPolicy"]);
    let statement = &ro.policy.statements[0];
    assert_eq!(statement.actions.expand(&known), ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket"]);
}

#[test]
fn sagemaker_full_access_creates_notebooks_outside_studio() {
    let sm = fixture("AmazonSageMakerFullAccess");
    assert_eq!(sm.policy.statements.len(), 44);
    let nb = "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research";
    check(&sm, Request::new(ROLE, "sagemaker:CreateNotebookInstance", nb), "Allow AllowAllNonAdminSageMakerActions");
    check(&sm, Request::new(ROLE, "SageMaker:createnotebookinstance", nb), "Allow AllowAllNonAdminSageMakerActions");
    check(
        &sm,
        Request::new(ROLE, "sagemaker:CreateTrainingJob", "arn:aws:sagemaker:us-east-1:111122223333:training-job/j"),
        "Allow AllowAllNonAdminSageMakerActions",
    );
    // Studio domains are carved out by NotResource; only the read actions come back.
    let domain = "arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc";
    check(&sm, Request::new(ROLE, "sagemaker:DeleteDomain", domain), "ImplicitDeny(NoAllow)");
    check(&sm, Request::new(ROLE, "sagemaker:CreateDomain", domain), "ImplicitDeny(NoAllow)");
    check(&sm, Request::new(ROLE, "sagemaker:DescribeDomain", domain), "Allow AllowStudioActions");
    // Outside SageMaker: no IAM administration.
    check(&sm, Request::new(ROLE, "iam:CreateAccessKey", "*"), "ImplicitDeny(NoAllow)");
    check(&sm, Request::new(ROLE, "iam:ListRoles", "*"), "Allow AllowAWSServiceActions");
}

#[test]
fn sagemaker_full_access_passes_roles_only_to_the_named_services() {
    let sm = fixture("AmazonSageMakerFullAccess");
    let any_role = "arn:aws:iam::111122223333:role/MyExecutionRole";
    let sm_role = "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole-2024";
    let pass = |role: &str| Request::new(ROLE, "iam:PassRole", role);
    // Without iam:PassedToService in the request, no statement grants iam:PassRole.
    check(&sm, pass(any_role), "ImplicitDeny(NoAllow)");
    check(&sm, pass(sm_role), "ImplicitDeny(NoAllow)");
    // To SageMaker: any role.
    check(
        &sm,
        pass(any_role).with("iam:PassedToService", ["sagemaker.amazonaws.com"]),
        "Allow AllowPassRoleToSageMaker",
    );
    // To Glue, RoboMaker or Step Functions: only roles named *AmazonSageMaker*.
    check(
        &sm,
        pass(sm_role).with("iam:PassedToService", ["glue.amazonaws.com"]),
        "Allow AllowPassRoleForSageMakerRoles",
    );
    check(&sm, pass(any_role).with("iam:PassedToService", ["glue.amazonaws.com"]), "ImplicitDeny(NoAllow)");
    // To any other service: nothing. Values are case-sensitive (StringEquals).
    check(&sm, pass(any_role).with("iam:PassedToService", ["ec2.amazonaws.com"]), "ImplicitDeny(NoAllow)");
    check(&sm, pass(any_role).with("iam:PassedToService", ["SageMaker.amazonaws.com"]), "ImplicitDeny(NoAllow)");
    // Condition key names are not case-sensitive.
    check(
        &sm,
        pass(any_role).with("IAM:passedtoservice", ["sagemaker.amazonaws.com"]),
        "Allow AllowPassRoleToSageMaker",
    );
}

#[test]
fn sagemaker_full_access_s3_by_bucket_name_or_object_tag() {
    let sm = fixture("AmazonSageMakerFullAccess");
    check(
        &sm,
        Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::my-sagemaker-data/x.csv"),
        "Allow AllowS3ObjectActions",
    );
    check(
        &sm,
        Request::new(ROLE, "s3:PutObject", "arn:aws:s3:::my-sagemaker-data/x.csv"),
        "Allow AllowS3ObjectActions",
    );
    // Bucket names match case-sensitively: only the three spellings listed.
    check(&sm, Request::new(ROLE, "s3:PutObject", "arn:aws:s3:::my-SAGEMAKER-data/x.csv"), "ImplicitDeny(NoAllow)");
    check(&sm, Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::payroll/x.csv"), "ImplicitDeny(NoAllow)");
    // …unless the object carries the SageMaker tag (StringEqualsIgnoreCase on the value).
    check(
        &sm,
        Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::payroll/x.csv")
            .with("s3:ExistingObjectTag/SageMaker", ["TRUE"]),
        "Allow AllowS3GetObjectWithSageMakerExistingObjectTag",
    );
    check(
        &sm,
        Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::payroll/x.csv").with("s3:ExistingObjectTag/SageMaker", ["no"]),
        "ImplicitDeny(NoAllow)",
    );
    check(&sm, Request::new(ROLE, "s3:DeleteBucket", "arn:aws:s3:::my-sagemaker-data"), "ImplicitDeny(NoAllow)");
}

#[test]
fn sagemaker_full_access_conditions_with_variables_and_if_exists() {
    let sm = fixture("AmazonSageMakerFullAccess");
    // StringEqualsIfExists: a flow definition without a work team type is allowed.
    let flow = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/review";
    check(&sm, Request::new(ROLE, "sagemaker:CreateFlowDefinition", flow), "Allow AllowFlowDefinitionActions");
    check(
        &sm,
        Request::new(ROLE, "sagemaker:CreateFlowDefinition", flow).with("sagemaker:WorkteamType", ["private-crowd"]),
        "Allow AllowFlowDefinitionActions",
    );
    check(
        &sm,
        Request::new(ROLE, "sagemaker:CreateFlowDefinition", flow).with("sagemaker:WorkteamType", ["public-crowd"]),
        "ImplicitDeny(NoAllow)",
    );
    // ${sagemaker:DomainId} in the resource and Null on the owner.
    let space = "arn:aws:sagemaker:us-east-1:111122223333:space/d-abc/shared-space";
    let create = || Request::new(ROLE, "sagemaker:CreateSpace", space);
    check(&sm, create().with("sagemaker:DomainId", ["d-abc"]), "Allow AllowMutatingActionsOnSharedSpacesWithoutOwner");
    check(&sm, create().with("sagemaker:DomainId", ["d-other"]), "ImplicitDeny(NoAllow)");
    // ArnLike with two variables: the owner must be the caller's own user profile.
    let owned = |owner: &str| {
        create()
            .with("sagemaker:DomainId", ["d-abc"])
            .with("sagemaker:UserProfileName", ["alice"])
            .with("sagemaker:OwnerUserProfileArn", [owner])
            .with("sagemaker:SpaceSharingType", ["Private"])
    };
    check(
        &sm,
        owned("arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc/alice"),
        "Allow RestrictMutatingActionsOnSpacesToOwnerUserProfile",
    );
    check(&sm, owned("arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc/bob"), "ImplicitDeny(NoAllow)");
    // Without the domain ID the variable cannot be filled: nothing applies, and that is reported.
    let d = PolicySet::new([&sm]).evaluate(&create());
    assert_eq!(render(&d), "ImplicitDeny(NoAllow)");
    assert!(!d.problems.is_empty());
    assert!(d.problems.iter().all(|p| p.message.contains("sagemaker:DomainId")), "{:?}", d.problems);
    // ${aws:PrincipalAccount} in a condition value.
    let express = "arn:aws:s3express:us-east-1:111122223333:bucket/sagemaker-fast--use1-az4--x-s3";
    let session = || Request::new(ROLE, "s3express:CreateSession", express);
    check(
        &sm,
        session().with("aws:ResourceAccount", [ACCOUNT]).with("aws:PrincipalAccount", [ACCOUNT]),
        "Allow AllowS3ExpressObjectActions",
    );
    check(
        &sm,
        session().with("aws:ResourceAccount", ["999999999999"]).with("aws:PrincipalAccount", [ACCOUNT]),
        "ImplicitDeny(NoAllow)",
    );
}

#[test]
fn managed_policies_combine_with_boundaries_scps_and_denies() {
    let sm = fixture("AmazonSageMakerFullAccess");
    let ro = fixture("AmazonS3ReadOnlyAccess");
    let admin = fixture("AdministratorAccess");
    let nb = "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research";
    let create_nb = Request::new(ROLE, "sagemaker:CreateNotebookInstance", nb);
    // S3 read-only as a permissions boundary takes SageMaker away.
    let d = PolicySet::new([&sm]).with_boundary(&ro).evaluate(&create_nb);
    assert_eq!(render(&d), "ImplicitDeny(PermissionsBoundary) AllowAllNonAdminSageMakerActions");
    assert_eq!(d.gate, Some(Gate::PermissionsBoundary));
    // ...but leaves reads of SageMaker buckets.
    let read = Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::my-sagemaker-data/x");
    assert_eq!(render(&PolicySet::new([&sm]).with_boundary(&ro).evaluate(&read)), "Allow AllowS3ObjectActions #0");
    // An SCP that denies notebook creation overrides AdministratorAccess.
    let scp = NamedPolicy::new(
        "deny-notebooks",
        Policy::from_value(&json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "NoNotebooks", "Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
                 "Condition": {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}}}
            ]
        }))
        .unwrap(),
    );
    let set = PolicySet::new([&admin, &sm]).with_scps([&scp]);
    assert_eq!(render(&set.evaluate(&create_nb)), "ExplicitDeny NoNotebooks");
    assert_eq!(
        render(&set.evaluate(&create_nb.clone().with("sagemaker:RootAccess", ["Disabled"]))),
        "Allow #0 AllowAllNonAdminSageMakerActions All"
    );
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as the IAM API does.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn documents_as_get_account_authorization_details_prints_them() {
    let text =
        std::fs::read_to_string(format!("{}/tests/data/AmazonSageMakerFullAccess.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let object: Value = serde_json::from_str(&text).unwrap();
    // Newer CLI output: the document is an object; older output: a URL-encoded string.
    let details = json!({
        "Policies": [
            {"PolicyName": "AmazonSageMakerFullAccess", "DefaultVersionId": "v29",
             "PolicyVersionList": [{"Document": object, "VersionId": "v29", "IsDefaultVersion": true}]},
            {"PolicyName": "AmazonSageMakerFullAccess-encoded", "DefaultVersionId": "v29",
             "PolicyVersionList": [{"Document": url_encode(&text), "VersionId": "v29", "IsDefaultVersion": true}]}
        ]
    });
    let docs: Vec<Policy> = details["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Policy::from_value(&p["PolicyVersionList"][0]["Document"]).unwrap())
        .collect();
    assert_eq!(docs[0], docs[1]);
    assert_eq!(docs[0].statements.len(), 44);
}
