//! IAM-004 (privilege-escalation paths) and IAM-005 (who can poison a model) over tiny
//! snapshots: each method is one case, with the near miss that must stay quiet next to it.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test by panicking")]

mod common;

use mlguard_core::config::Config;
use mlguard_core::Finding;
use serde_json::{json, Value};

const A: &str = "111122223333";

fn user(name: &str, statements: Value, groups: &[&str]) -> Value {
    json!({"UserName": name, "Arn": format!("arn:aws:iam::{A}:user/{name}"), "Path": "/", "GroupList": groups,
           "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}], "AttachedManagedPolicies": []})
}

fn role(name: &str, service: &str, statements: Value) -> Value {
    json!({"RoleName": name, "Arn": format!("arn:aws:iam::{A}:role/{name}"), "Path": "/",
           "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
           "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}], "AttachedManagedPolicies": []})
}

fn allow(action: Value, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn admin_role(name: &str, service: &str) -> Value {
    role(name, service, json!([allow(json!("*"), "*")]))
}

fn audit(users: Vec<Value>, roles: Vec<Value>, groups: Vec<Value>, extra: Vec<(String, String)>) -> Vec<Finding> {
    let mut files: Vec<(String, String)> = vec![(
        format!("{A}/global/iam/get-account-authorization-details.json"),
        json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": []}).to_string(),
    )];
    files.extend(extra);
    let inv = common::load(files);
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    f
}

fn of<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.rule_id == rule).collect()
}

fn methods(f: &Finding) -> Vec<String> {
    f.evidence["paths"].as_array().unwrap().iter().map(|p| p["method"].as_str().unwrap().to_string()).collect()
}

#[test]
fn passrole_with_notebook_and_presigned_url_reaches_an_admin_role() {
    let ds = user("ds", json!([allow(json!(["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]), "*"), allow(json!("iam:PassRole"), "*")]), &[]);
    let f = audit(vec![ds], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![]);
    let e = of(&f, "IAM-004");
    assert_eq!(e.len(), 1, "{f:#?}");
    assert_eq!(e[0].resource_id, format!("arn:aws:iam::{A}:user/ds"));
    assert_eq!(e[0].severity, mlguard_core::Severity::Critical);
    assert_eq!(methods(e[0]), ["PassRole + SageMaker notebook + presigned URL"]);
    let chain: Vec<&str> = e[0].evidence["paths"][0]["chain"].as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(chain, ["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]);
    assert_eq!(e[0].evidence["reaches_admin"], true);
}

#[test]
fn each_link_of_the_chain_is_required() {
    // Without the presigned URL the notebook cannot be opened.
    let ds = user("ds", json!([allow(json!("sagemaker:CreateNotebookInstance"), "*"), allow(json!("iam:PassRole"), "*")]), &[]);
    assert!(of(&audit(vec![ds], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![]), "IAM-004").is_empty());
    // PassRole scoped away from the admin role.
    let ds = user("ds", json!([allow(json!(["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]), "*"), allow(json!("iam:PassRole"), &format!("arn:aws:iam::{A}:role/weak"))]), &[]);
    let weak = role("weak", "sagemaker.amazonaws.com", json!([allow(json!("logs:PutLogEvents"), "*")]));
    assert!(of(&audit(vec![ds], vec![admin_role("admin-exec", "sagemaker.amazonaws.com"), weak], vec![], vec![]), "IAM-004").is_empty());
    // The admin role trusts Lambda, not SageMaker: a notebook cannot run as it.
    let ds = user("ds", json!([allow(json!(["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]), "*"), allow(json!("iam:PassRole"), "*")]), &[]);
    assert!(of(&audit(vec![ds], vec![admin_role("admin-fn", "lambda.amazonaws.com")], vec![], vec![]), "IAM-004").is_empty());
}

#[test]
fn passed_to_service_condition_is_honoured() {
    let pass_to_glue = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}});
    let ds = user("ds", json!([allow(json!("sagemaker:CreateTrainingJob"), "*"), pass_to_glue]), &[]);
    assert!(of(&audit(vec![ds], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![]), "IAM-004").is_empty());
    let pass_to_sm = json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}});
    let ds = user("ds", json!([allow(json!("sagemaker:CreateTrainingJob"), "*"), pass_to_sm]), &[]);
    let f = audit(vec![ds], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["PassRole + SageMaker training job"]);
}

#[test]
fn iam_self_modification_methods() {
    for (action, method) in [("iam:PutUserPolicy", "iam:Put*Policy on itself"), ("iam:AttachUserPolicy", "iam:Attach*Policy on itself")] {
        let u = user("dev", json!([allow(json!(action), &format!("arn:aws:iam::{A}:user/${{aws:username}}"))]), &[]);
        let f = audit(vec![u], vec![], vec![], vec![]);
        assert_eq!(methods(of(&f, "IAM-004")[0]), [method], "{action}");
    }
    // A permissions boundary caps what rewriting one's own policy can reach.
    let mut u = user("dev", json!([allow(json!("iam:PutUserPolicy"), "*")]), &[]);
    u["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": format!("arn:aws:iam::{A}:policy/b"), "PermissionsBoundaryType": "Policy"});
    let boundary = json!({"PolicyName": "b", "Arn": format!("arn:aws:iam::{A}:policy/b"), "DefaultVersionId": "v1", "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [allow(json!("iam:PutUserPolicy"), "*")]}, "VersionId": "v1", "IsDefaultVersion": true}]});
    let inv = common::load([(
        format!("{A}/global/iam/get-account-authorization-details.json"),
        json!({"UserDetailList": [u], "GroupDetailList": [], "RoleDetailList": [], "Policies": [boundary]}).to_string(),
    )]);
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    assert!(of(&f, "IAM-004").is_empty(), "{f:#?}");
}

#[test]
fn create_policy_version_on_an_attached_customer_policy() {
    let parn = format!("arn:aws:iam::{A}:policy/dev-tools");
    let pol = json!({"PolicyName": "dev-tools", "Arn": parn, "DefaultVersionId": "v1", "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [allow(json!("iam:CreatePolicyVersion"), &parn)]}, "VersionId": "v1", "IsDefaultVersion": true}]});
    let u = json!({"UserName": "dev", "Arn": format!("arn:aws:iam::{A}:user/dev"), "Path": "/", "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "dev-tools", "PolicyArn": parn}]});
    let inv = common::load([(
        format!("{A}/global/iam/get-account-authorization-details.json"),
        json!({"UserDetailList": [u], "GroupDetailList": [], "RoleDetailList": [], "Policies": [pol]}).to_string(),
    )]);
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["iam:CreatePolicyVersion on an attached policy"]);
}

#[test]
fn other_users_credentials_and_groups() {
    let admin_user = user("root-ish", json!([allow(json!("*"), "*")]), &[]);
    // Own keys only (a policy variable): no path.
    let own = user("dev", json!([allow(json!("iam:CreateAccessKey"), &format!("arn:aws:iam::{A}:user/${{aws:username}}"))]), &[]);
    assert!(of(&audit(vec![own, admin_user.clone()], vec![], vec![], vec![]), "IAM-004").is_empty());
    // Any user's keys: a path to the administrator user.
    let any = user("dev", json!([allow(json!("iam:CreateAccessKey"), &format!("arn:aws:iam::{A}:user/*"))]), &[]);
    let f = audit(vec![any, admin_user.clone()], vec![], vec![], vec![]);
    let e = of(&f, "IAM-004");
    assert_eq!(e.len(), 1);
    assert_eq!(methods(e[0]), ["iam:CreateAccessKey on another user"]);
    assert_eq!(e[0].evidence["paths"][0]["target"], format!("arn:aws:iam::{A}:user/root-ish"));
    // Joining the admins group.
    let admins = json!({"GroupName": "admins", "Arn": format!("arn:aws:iam::{A}:group/admins"), "Path": "/", "GroupPolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17", "Statement": [allow(json!("*"), "*")]}}], "AttachedManagedPolicies": []});
    let joiner = user("dev", json!([allow(json!("iam:AddUserToGroup"), "*")]), &[]);
    let f = audit(vec![joiner], vec![], vec![admins.clone()], vec![]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["iam:AddUserToGroup"]);
    // A member already has what the group gives: nothing to gain, and no finding for the group's own admin power.
    let member = user("dev", json!([]), &["admins"]);
    assert!(of(&audit(vec![member], vec![], vec![admins], vec![]), "IAM-004").is_empty());
}

#[test]
fn update_assume_role_policy_is_enough_in_the_same_account() {
    // Rewriting the trust policy to name oneself is enough to assume the role in the same account.
    let u = user("dev", json!([allow(json!("iam:UpdateAssumeRolePolicy"), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("ops", "ec2.amazonaws.com")], vec![], vec![]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["iam:UpdateAssumeRolePolicy, then sts:AssumeRole"]);
    // Unless a permissions boundary withholds sts:AssumeRole.
    let mut u = user("dev", json!([allow(json!("iam:UpdateAssumeRolePolicy"), "*")]), &[]);
    u["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": format!("arn:aws:iam::{A}:policy/b"), "PermissionsBoundaryType": "Policy"});
    let boundary = json!({"PolicyName": "b", "Arn": format!("arn:aws:iam::{A}:policy/b"), "DefaultVersionId": "v1", "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [allow(json!("iam:*"), "*")]}, "VersionId": "v1", "IsDefaultVersion": true}]});
    let inv = common::load([(
        format!("{A}/global/iam/get-account-authorization-details.json"),
        json!({"UserDetailList": [u], "GroupDetailList": [], "RoleDetailList": [admin_role("ops", "ec2.amazonaws.com")], "Policies": [boundary]}).to_string(),
    )]);
    let (f, _) = mlguard_posture::audit(&inv, &Config::default());
    assert!(of(&f, "IAM-004").iter().all(|x| !x.resource_id.ends_with("user/dev")), "{f:#?}");
}

#[test]
fn presigned_url_on_someone_elses_notebook() {
    let nb = (
        format!("{A}/us-east-1/sagemaker/nb/describe-notebook-instance.json"),
        json!({"NotebookInstanceName": "nb", "NotebookInstanceArn": format!("arn:aws:sagemaker:us-east-1:{A}:notebook-instance/nb"), "RoleArn": format!("arn:aws:iam::{A}:role/admin-exec"), "DirectInternetAccess": "Disabled", "RootAccess": "Disabled", "SubnetId": "subnet-1", "KmsKeyId": "k"}).to_string(),
    );
    let u = user("dev", json!([allow(json!("sagemaker:CreatePresignedNotebookInstanceUrl"), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![nb.clone()]);
    let e: Vec<&Finding> = of(&f, "IAM-004").into_iter().filter(|x| x.resource_id.ends_with("user/dev")).collect();
    assert_eq!(methods(e[0]), ["sagemaker:CreatePresignedNotebookInstanceUrl on an existing notebook"]);
    // Scoped to the user's own notebooks by name: no path.
    let u = user("dev", json!([allow(json!("sagemaker:CreatePresignedNotebookInstanceUrl"), &format!("arn:aws:sagemaker:us-east-1:{A}:notebook-instance/${{aws:username}}-*"))]), &[]);
    let f = audit(vec![u], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![nb]);
    assert!(of(&f, "IAM-004").iter().all(|x| !x.resource_id.ends_with("user/dev")), "{f:#?}");
}

#[test]
fn escalation_is_followed_over_several_hops() {
    // a can mint b's keys; b can pass the admin role to a notebook: a reaches admin in two hops.
    let a = user("a", json!([allow(json!("iam:CreateAccessKey"), &format!("arn:aws:iam::{A}:user/b"))]), &[]);
    let b = user("b", json!([allow(json!(["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl", "iam:PassRole"]), "*")]), &[]);
    let f = audit(vec![a, b], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![]);
    let fa = of(&f, "IAM-004").into_iter().find(|x| x.resource_id.ends_with("user/a")).unwrap();
    assert_eq!(fa.evidence["reaches_admin"], true);
    assert_eq!(fa.evidence["paths"][0]["then_admin_through"], format!("arn:aws:iam::{A}:user/b"));
    assert_eq!(fa.severity, mlguard_core::Severity::Critical);
}

/// A training job writing `s3://models/...` as `trainer`, and the bucket's settings.
fn model_bucket_files(policy: Option<Value>) -> Vec<(String, String)> {
    let mut v = vec![
        (
            format!("{A}/us-east-1/sagemaker/job/describe-training-job.json"),
            json!({"TrainingJobName": "job", "TrainingJobArn": format!("arn:aws:sagemaker:us-east-1:{A}:training-job/job"), "RoleArn": format!("arn:aws:iam::{A}:role/trainer"),
                   "OutputDataConfig": {"S3OutputPath": "s3://models/out/", "KmsKeyId": "k"}, "InputDataConfig": []}).to_string(),
        ),
        (format!("{A}/us-east-1/s3/models/get-bucket-versioning.json"), json!({"Status": "Enabled"}).to_string()),
    ];
    if let Some(p) = policy {
        v.push((format!("{A}/us-east-1/s3/models/get-bucket-policy.json"), json!({"Policy": p.to_string()}).to_string()));
    }
    v
}

#[test]
fn the_training_role_writing_its_bucket_is_expected() {
    let trainer = role("trainer", "sagemaker.amazonaws.com", json!([allow(json!("s3:PutObject"), "arn:aws:s3:::models/*")]));
    let f = audit(vec![], vec![trainer], vec![], model_bucket_files(None));
    assert!(of(&f, "IAM-005").is_empty(), "{f:#?}");
}

#[test]
fn version_destroyers_and_other_writers_are_reported() {
    let trainer = role("trainer", "sagemaker.amazonaws.com", json!([allow(json!(["s3:PutObject", "s3:DeleteObjectVersion"]), "arn:aws:s3:::models/*")]));
    let dev = user("dev", json!([allow(json!("s3:PutObject"), "arn:aws:s3:::models/*")]), &[]);
    let reader = user("reader", json!([allow(json!("s3:GetObject"), "arn:aws:s3:::models/*")]), &[]);
    let f = audit(vec![dev, reader], vec![trainer], vec![], model_bucket_files(None));
    let e = of(&f, "IAM-005");
    assert_eq!(e.len(), 1);
    let who: Vec<(&str, bool)> = e[0].evidence["who"].as_array().unwrap().iter().map(|w| (w["principal"].as_str().unwrap(), w["expected_writer"].as_bool().unwrap())).collect();
    assert_eq!(who, [(format!("arn:aws:iam::{A}:user/dev").as_str(), false), (format!("arn:aws:iam::{A}:role/trainer").as_str(), true)]);
}

#[test]
fn a_bucket_policy_deny_removes_poisoners_and_a_grant_adds_outsiders() {
    let dev = user("dev", json!([allow(json!("s3:*"), "arn:aws:s3:::models/*")]), &[]);
    let trainer = role("trainer", "sagemaker.amazonaws.com", json!([allow(json!("s3:PutObject"), "arn:aws:s3:::models/*")]));
    let deny_others = json!({"Version": "2012-10-17", "Statement": [{"Sid": "OnlyTrainerWrites", "Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:DeleteObjectVersion"], "Resource": "arn:aws:s3:::models/*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": format!("arn:aws:iam::{A}:role/trainer")}}}]});
    assert!(of(&audit(vec![dev.clone()], vec![trainer.clone()], vec![], model_bucket_files(Some(deny_others))), "IAM-005").is_empty());
    let cross = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::models/*"}]});
    let f = audit(vec![], vec![trainer], vec![], model_bucket_files(Some(cross)));
    let e = of(&f, "IAM-005");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].evidence["other_accounts"], json!(["s3:PutObject"]));
}

#[test]
fn execution_roles_that_can_approve_models() {
    let pkg = (
        format!("{A}/us-east-1/sagemaker/list-model-package-groups.json"),
        json!({"ModelPackageGroupSummaryList": [{"ModelPackageGroupName": "g", "ModelPackageGroupArn": format!("arn:aws:sagemaker:us-east-1:{A}:model-package-group/g")}]}).to_string(),
    );
    let nb = (
        format!("{A}/us-east-1/sagemaker/nb/describe-notebook-instance.json"),
        json!({"NotebookInstanceName": "nb", "NotebookInstanceArn": format!("arn:aws:sagemaker:us-east-1:{A}:notebook-instance/nb"), "RoleArn": format!("arn:aws:iam::{A}:role/exec")}).to_string(),
    );
    let approver = user("approver", json!([allow(json!("sagemaker:UpdateModelPackage"), &format!("arn:aws:sagemaker:us-east-1:{A}:model-package/*"))]), &[]);
    // A human approver alone: fine.
    let exec = role("exec", "sagemaker.amazonaws.com", json!([allow(json!("sagemaker:DescribeModelPackage"), "*")]));
    assert!(of(&audit(vec![approver.clone()], vec![exec], vec![], vec![pkg.clone(), nb.clone()]), "IAM-005").is_empty());
    // The notebook's role can approve: reported, with both principals in the evidence.
    let exec = role("exec", "sagemaker.amazonaws.com", json!([allow(json!("sagemaker:*"), "*")]));
    let f = audit(vec![approver], vec![exec], vec![], vec![pkg, nb]);
    let e = of(&f, "IAM-005");
    assert_eq!(e.len(), 1, "{f:#?}");
    assert_eq!(e[0].resource_id, format!("arn:aws:sagemaker:us-east-1:{A}:model-package-group/g"));
    assert_eq!(e[0].evidence["who"].as_array().unwrap().len(), 2);
}

#[test]
fn lifecycle_configuration_on_someone_elses_notebook() {
    let nb = (
        format!("{A}/us-east-1/sagemaker/nb/describe-notebook-instance.json"),
        json!({"NotebookInstanceName": "nb", "NotebookInstanceArn": format!("arn:aws:sagemaker:us-east-1:{A}:notebook-instance/nb"), "RoleArn": format!("arn:aws:iam::{A}:role/admin-exec"), "NotebookInstanceStatus": "InService"}).to_string(),
    );
    let all = ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance", "sagemaker:UpdateNotebookInstance", "sagemaker:StartNotebookInstance"];
    let u = user("dev", json!([allow(json!(all), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![nb.clone()]);
    let e = of(&f, "IAM-004").into_iter().find(|x| x.resource_id.ends_with("user/dev")).unwrap();
    assert_eq!(methods(e), ["lifecycle configuration on an existing notebook"]);
    assert_eq!(e.evidence["paths"][0]["chain"].as_array().unwrap().len(), 4);
    // A running notebook cannot be updated without stopping it first.
    let u = user("dev", json!([allow(json!([all[0], all[2], all[3]]), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("admin-exec", "sagemaker.amazonaws.com")], vec![], vec![nb]);
    assert!(of(&f, "IAM-004").iter().all(|x| !x.resource_id.ends_with("user/dev")));
}

#[test]
fn passrole_to_ecs_and_codebuild_and_ssm_on_instances() {
    let u = user("dev", json!([allow(json!(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("task", "ecs-tasks.amazonaws.com")], vec![], vec![]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["PassRole + ECS task"]);
    let u = user("dev", json!([allow(json!(["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"]), "*")]), &[]);
    let f = audit(vec![u], vec![admin_role("build", "codebuild.amazonaws.com")], vec![], vec![]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["PassRole + CodeBuild project"]);
    // Run Command on an instance whose profile holds an administrator role.
    let mut ops = admin_role("ops", "ec2.amazonaws.com");
    ops["InstanceProfileList"] = json!([{"InstanceProfileName": "ops", "Arn": format!("arn:aws:iam::{A}:instance-profile/ops"), "Roles": []}]);
    let inst = (
        format!("{A}/us-east-1/ec2/describe-instances.json"),
        json!({"Reservations": [{"Instances": [{"InstanceId": "i-0123456789abcdef0", "IamInstanceProfile": {"Arn": format!("arn:aws:iam::{A}:instance-profile/ops"), "Id": "AIPA"}}]}]}).to_string(),
    );
    let u = user("dev", json!([allow(json!("ssm:SendCommand"), "*")]), &[]);
    let f = audit(vec![u], vec![ops.clone()], vec![], vec![inst.clone()]);
    assert_eq!(methods(of(&f, "IAM-004")[0]), ["ssm:SendCommand on an instance"]);
    // Scoped to other instances: nothing.
    let u = user("dev", json!([allow(json!("ssm:SendCommand"), &format!("arn:aws:ec2:us-east-1:{A}:instance/i-ffff*")), allow(json!("ssm:SendCommand"), "arn:aws:ssm:*::document/*")]), &[]);
    assert!(of(&audit(vec![u], vec![ops], vec![], vec![inst]), "IAM-004").is_empty());
}
