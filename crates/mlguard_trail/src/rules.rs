//! The documentation of every built-in detection, with its GuardDuty finding type (where
//! GuardDuty has one) and MITRE ATT&CK techniques.
//!
//! GuardDuty finding types: <https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html>.
//! ATT&CK for cloud (IaaS) techniques: <https://attack.mitre.org/matrices/enterprise/cloud/iaas/>.

use mlguard_core::{Practice, RuleDoc, Severity};

const CT_DOCS: (&str, &str) = ("CloudTrail record contents", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html");
const GD_TYPES: (&str, &str) = ("GuardDuty finding types", "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html");
const WA_LOG: &str = "SEC04-BP01 Configure service and application logging";
const WA_ALERT: &str = "SEC04-BP03 Correlate and enrich security alerts";
const WA_LP: &str = "SEC03-BP02 Grant least privilege access";
const WA_DATA: &str = "SEC08-BP04 Enforce access control";

pub static TAMPER_TRAIL: RuleDoc = RuleDoc {
    id: "CT-TAMPER-001",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "CloudTrail logging stopped or trail deleted",
    what: "Flags `StopLogging` and `DeleteTrail` calls (a failed attempt is reported at low severity). GuardDuty: `Stealth:IAMUser/CloudTrailLoggingDisabled`. ATT&CK T1562.008 (Impair Defenses: Disable or Modify Cloud Logs).",
    why: "Turning off the audit trail is what an intruder does before acting; everything after it is invisible.",
    example: "`aws cloudtrail stop-logging --name org-trail` by an access key used from a new address.",
    remediation: "Restart logging (`aws cloudtrail start-logging`), find who made the call, and deny `cloudtrail:StopLogging`/`DeleteTrail` with an SCP outside a break-glass role.",
    well_architected: WA_LOG,
    docs: &[CT_DOCS, GD_TYPES, ("Stopping and starting CloudTrail logging", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-turning-off-logging.html")],
};

pub static TAMPER_SELECTORS: RuleDoc = RuleDoc {
    id: "CT-TAMPER-002",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "CloudTrail event selectors drop events",
    what: "Flags `PutEventSelectors` whose selectors exclude management events or record only reads or only writes, and advanced selectors that select no management events. ATT&CK T1562.008.",
    why: "Narrowing what a trail records blinds detection while the trail still looks enabled.",
    example: "`put-event-selectors` with `IncludeManagementEvents: false` and `ReadWriteType: ReadOnly`.",
    remediation: "Restore selectors that record all management events (read and write) and the data events the ML buckets need; restrict `cloudtrail:PutEventSelectors` with an SCP.",
    well_architected: WA_LOG,
    docs: &[CT_DOCS, ("Logging management events", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html")],
};

pub static TAMPER_DETECTION: RuleDoc = RuleDoc {
    id: "CT-TAMPER-003",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Threat detection disabled (GuardDuty, Macie, Security Hub, Config)",
    what: "Flags GuardDuty `DeleteDetector`, `UpdateDetector` with `enable: false`, disassociation from the administrator account, Macie `DisableMacie`, Security Hub `DisableSecurityHub`, and AWS Config recorder stop/delete (failed attempts at low severity). ATT&CK T1562.001 (Impair Defenses: Disable or Modify Tools).",
    why: "The services that would raise the alarm are switched off first; GuardDuty cannot report its own deletion.",
    example: "`aws guardduty delete-detector --detector-id ...`.",
    remediation: "Re-enable the service, manage it from a delegated administrator account, and deny these calls with an SCP.",
    well_architected: WA_LOG,
    docs: &[CT_DOCS, ("GuardDuty: suspending or disabling", "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html")],
};

pub static TAMPER_NETLOGS: RuleDoc = RuleDoc {
    id: "CT-TAMPER-004",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "VPC flow logs or DNS query logs deleted",
    what: "Flags `DeleteFlowLogs`, `DeleteResolverQueryLogConfig` and `DisassociateResolverQueryLogConfig`. ATT&CK T1562.008.",
    why: "Flow and DNS logs are how exfiltration from ML subnets is traced afterwards.",
    example: "`aws ec2 delete-flow-logs --flow-log-ids fl-...` on the training VPC.",
    remediation: "Recreate the flow logs / query logging and restrict the delete calls to an infrastructure pipeline role.",
    well_architected: WA_LOG,
    docs: &[CT_DOCS, ("VPC Flow Logs", "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html")],
};

pub static TAMPER_ORG: RuleDoc = RuleDoc {
    id: "CT-TAMPER-005",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Account leaves its organization",
    what: "Flags `LeaveOrganization`, including failed attempts (reported at low severity). ATT&CK T1666 (Modify Cloud Resource Hierarchy).",
    why: "Leaving the organization removes the account from its SCPs and central logging.",
    example: "`aws organizations leave-organization` from a member account.",
    remediation: "Deny `organizations:LeaveOrganization` with an SCP; investigate the principal.",
    well_architected: WA_LOG,
    docs: &[CT_DOCS, ("Leaving an organization", "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_remove.html")],
};

pub static PRIVESC_NOTEBOOK: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-001",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "SageMaker notebook created with a passed role, then opened by its creator",
    what: "Flags one principal calling `CreateNotebookInstance` with a `RoleArn` (which needs `iam:PassRole`) and then `CreatePresignedNotebookInstanceUrl` for that notebook within the window. GuardDuty: `PrivilegeEscalation:IAMUser/AnomalousBehavior`. ATT&CK T1098.003 (Additional Cloud Roles), T1078.004.",
    why: "A notebook runs with its execution role: whoever can create one with a powerful role and open it gets that role's permissions in a shell — a known IAM privilege-escalation path.",
    example: "A developer role creates `nb-x` with `AmazonSageMaker-AdminRole` and opens it a minute later.",
    remediation: "Limit `iam:PassRole` to the notebook roles the principal needs (condition `iam:PassedToService`), and confirm the notebook is legitimate; delete it if not.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, GD_TYPES, ("SageMaker notebook instance presigned URLs", "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-access.html")],
};

pub static PRIVESC_FOREIGN_NOTEBOOK: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-002",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Presigned URL created for someone else's SageMaker notebook",
    what: "Flags `CreatePresignedNotebookInstanceUrl` for a notebook whose creation (seen in the logs or the state store) was by another principal. ATT&CK T1078.004 (Valid Accounts: Cloud Accounts), T1550.001.",
    why: "Opening another principal's notebook hands over its execution role and its data without touching IAM.",
    example: "An analyst opens the training team's notebook, whose role can write the model bucket.",
    remediation: "Scope `sagemaker:CreatePresignedNotebookInstanceUrl` by resource tag or name to each owner.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, ("Control access to notebook instances", "https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-access.html")],
};

pub static PRIVESC_SELF: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-003",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Principal changed its own permissions",
    what: "Flags `AttachUserPolicy`, `PutUserPolicy`, `AddUserToGroup` on the caller's own user, `AttachRolePolicy`/`PutRolePolicy` on the caller's own role, and `CreatePolicyVersion` with `SetAsDefault` or `SetDefaultPolicyVersion` (known IAM escalation methods). GuardDuty: `PrivilegeEscalation:IAMUser/AnomalousBehavior`. ATT&CK T1098.003.",
    why: "A principal granting itself permissions is the textbook privilege-escalation step.",
    example: "User `dev` calls `attach-user-policy --user-name dev --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`.",
    remediation: "Revert the change, remove the IAM write permission from the principal, and check for further use of the new permissions.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, GD_TYPES, ("IAM policy versions", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html")],
};

pub static PRIVESC_ADMIN: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-004",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Administrator access granted",
    what: "Flags attaching `AdministratorAccess`, or an inline policy that the IAM evaluator finds allows every probed administrative action on any resource (whether written as `*`, as `NotAction` or as service wildcards), to a user, group or role; when the same principal created that identity within the window the finding carries both events (create-then-escalate sequence). GuardDuty: `Persistence:IAMUser/AnomalousBehavior`. ATT&CK T1098.003, T1136.003 (Create Cloud Account).",
    why: "A new or existing identity with full access is the persistence an intruder wants.",
    example: "`create-user backup` then `attach-user-policy --user-name backup --policy-arn .../AdministratorAccess`.",
    remediation: "Detach the policy, remove the identity if it is not known, and route administrator grants through a reviewed pipeline.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, GD_TYPES],
};

pub static PRIVESC_CREDS: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-005",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Credentials created for another user",
    what: "Flags `CreateAccessKey`, `CreateLoginProfile` and `UpdateLoginProfile` where the target user is not the caller. GuardDuty: `Persistence:IAMUser/AnomalousBehavior`. ATT&CK T1098.001 (Additional Cloud Credentials).",
    why: "Minting keys or a console password for someone else is a backdoor that survives the caller's own revocation.",
    example: "User `ops` calls `create-access-key --user-name ci-deployer`.",
    remediation: "Delete the new key or login profile, rotate the target's credentials, and restrict these calls to the user themselves (`${aws:username}`).",
    well_architected: WA_LP,
    docs: &[CT_DOCS, GD_TYPES],
};

pub static PRIVESC_TRUST: RuleDoc = RuleDoc {
    id: "CT-PRIVESC-006",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Role trust policy opened to another account or to everyone",
    what: "Flags `UpdateAssumeRolePolicy` and `CreateRole` whose trust policy lets an AWS principal of another account, or anyone, assume the role, decided by evaluating the policy for outsiders (`sts:ExternalId` is the caller's to send, so it does not keep anyone out; an organisation condition does). ATT&CK T1098.003.",
    why: "A trust policy naming an outside account is a standing backdoor into the account.",
    example: "Trust statement `{\"Principal\": {\"AWS\": \"arn:aws:iam::193672423079:root\"}}` added to an existing role.",
    remediation: "Remove the outside principal from the trust policy; require `sts:ExternalId` or organization conditions for legitimate cross-account roles.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, ("Role trust policies", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html")],
};

pub static S3_NEW_WRITER: RuleDoc = RuleDoc {
    id: "CT-S3-001",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "New principal writing or deleting in a model or training-data bucket",
    what: "Flags `PutObject`, `CopyObject`, `DeleteObject`, `DeleteObjects` and `DeleteObjectVersion` (S3 data events) on a bucket listed in `mlguard.toml` `[buckets]` by a principal that had not written there before, once the bucket's baseline is past its learning period. GuardDuty: `Impact:S3/AnomalousBehavior.Write` / `Impact:S3/AnomalousBehavior.Delete`. ATT&CK T1565.001 (Stored Data Manipulation), T1485.",
    why: "Model artifacts and training data are the crown jewels of an ML platform: a new writer can poison a model or delete its lineage.",
    example: "A notebook role that never wrote to `acme-models` overwrites `model.tar.gz`.",
    remediation: "Confirm the writer; restrict bucket writes to the training and registry roles in the bucket policy and keep versioning with Object Lock.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, GD_TYPES, ("Logging data events", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html")],
};

pub static S3_VERSIONING: RuleDoc = RuleDoc {
    id: "CT-S3-002",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Bucket versioning suspended or MFA delete disabled",
    what: "Flags `PutBucketVersioning` that suspends versioning or disables MFA delete (high severity on an ML bucket). ATT&CK T1490 (Inhibit System Recovery).",
    why: "Without versions an overwrite or delete of a model or dataset cannot be undone.",
    example: "`put-bucket-versioning --versioning-configuration Status=Suspended` on the training-data bucket.",
    remediation: "Re-enable versioning; protect the bucket with Object Lock and deny `s3:PutBucketVersioning` outside the platform role.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, ("S3 versioning", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html")],
};

pub static S3_LIFECYCLE: RuleDoc = RuleDoc {
    id: "CT-S3-003",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Lifecycle rule that expires objects or old versions",
    what: "Flags `PutBucketLifecycle` whose enabled rules expire current objects within 7 days or noncurrent versions within 30 days (high severity on an ML bucket). ATT&CK T1485 (Data Destruction).",
    why: "A lifecycle rule deletes data silently and later, out of sight of per-call detections.",
    example: "A rule with `NoncurrentVersionExpiration: {NoncurrentDays: 1}` on the model bucket.",
    remediation: "Remove the rule; keep noncurrent versions of models and datasets for the retention the audit needs.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, ("S3 lifecycle", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html")],
};

pub static REGISTRY: RuleDoc = RuleDoc {
    id: "CT-REG-001",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Model package approval changed or model package deleted",
    what: "Flags `UpdateModelPackage` that changes `ModelApprovalStatus`, and `DeleteModelPackage`/`DeleteModelPackageGroup` in the SageMaker Model Registry. ATT&CK T1565.001.",
    why: "Approval is what lets a model reach production endpoints; approving one outside the pipeline ships an unreviewed model.",
    example: "A data scientist's role sets a package to `Approved` directly.",
    remediation: "Allow approval changes only to the release pipeline role; check which endpoints deployed the package since.",
    well_architected: WA_ALERT,
    docs: &[CT_DOCS, ("Model Registry approval status", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html")],
};

pub static EXFIL_BUCKET: RuleDoc = RuleDoc {
    id: "CT-EXFIL-001",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Bucket opened to the public or to another account",
    what: "Flags `PutBucketPolicy` whose policy, evaluated for an outsider and for each foreign account it names, lets anyone or another account in (a `Deny` or an organisation, VPC endpoint or source-account condition keeps a grant private; a condition on what the caller chooses, such as its user agent, does not), `PutBucketAcl` granting AllUsers/AuthenticatedUsers or a public canned ACL, and `DeleteBucketPublicAccessBlock`/`PutBucketPublicAccessBlock` that turns protections off. GuardDuty: `Policy:S3/BucketPublicAccessGranted`, `Policy:S3/BucketBlockPublicAccessDisabled`. ATT&CK T1537 (Transfer Data to Cloud Account), T1530.",
    why: "Opening a bucket is the quickest exfiltration path for datasets and models.",
    example: "`put-bucket-policy` with `{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"}`.",
    remediation: "Revert the policy or ACL, enable Block Public Access at account level, and review access logs for reads since.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, GD_TYPES, ("Blocking public access", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html")],
};

pub static EXFIL_SHARE: RuleDoc = RuleDoc {
    id: "CT-EXFIL-002",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Snapshot or AMI shared with another account or made public",
    what: "Flags `ModifySnapshotAttribute` adding `createVolumePermission`, `ModifyImageAttribute` adding `launchPermission`, and `ModifyDBSnapshotAttribute`/`ModifyDBClusterSnapshotAttribute` adding `restore` accounts (public = critical). GuardDuty: `Exfiltration:S3/AnomalousBehavior` has no snapshot counterpart. ATT&CK T1537.",
    why: "A shared disk snapshot or image copies a whole training host, with its data and credentials, to another account.",
    example: "`modify-snapshot-attribute --attribute createVolumePermission --operation-type add --user-ids 098797384747`.",
    remediation: "Remove the permission, check whether the other account copied it, and deny sharing outside the organization with an SCP.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, ("Share an EBS snapshot", "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html")],
};

pub static EXFIL_RESOURCE_POLICY: RuleDoc = RuleDoc {
    id: "CT-EXFIL-003",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Resource policy opened to the public or to another account",
    what: "Flags resource-based policies that, evaluated for outsiders, let anyone in (high) or a principal of another account (medium): ECR `SetRepositoryPolicy`, KMS `PutKeyPolicy`/`CreateKey`, Secrets Manager `PutResourcePolicy`, SQS `SetQueueAttributes`, SNS `SetTopicAttributes`, OpenSearch domain access policies, and Lambda `AddPermission` for `*` or another account. ATT&CK T1537, T1098.",
    why: "Model containers in ECR, the keys that encrypt datasets, and functions that serve models become reachable from outside the account.",
    example: "`set-repository-policy` with `{\"Principal\":\"*\",\"Action\":[\"ecr:BatchGetImage\"]}` on the inference image repository.",
    remediation: "Restore the policy; allow outside principals only with `aws:PrincipalOrgID` or explicit account conditions.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, ("Resource-based policies", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html")],
};

pub static KMS_KEY_LOSS: RuleDoc = RuleDoc {
    id: "CT-KMS-001",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "KMS key disabled or scheduled for deletion",
    what: "Flags successful `DisableKey` and `ScheduleKeyDeletion`. ATT&CK T1485 (Data Destruction), T1486.",
    why: "Data encrypted under a deleted key — training sets, model artifacts, volumes — is lost for good; disabling a key is a ransom lever.",
    example: "`schedule-key-deletion --pending-window-in-days 7` on the key of the model bucket.",
    remediation: "Cancel the deletion (`cancel-key-deletion`) or re-enable the key; restrict these calls to a key-administrator role.",
    well_architected: "SEC08-BP01 Implement secure key management",
    docs: &[CT_DOCS, ("Deleting KMS keys", "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html")],
};

pub static CRED_INSTANCE: RuleDoc = RuleDoc {
    id: "CT-CRED-001",
    severity: Severity::High,
    practice: Practice::ThreatDetection,
    title: "Instance-role credentials used from outside the account's networks",
    what: "Flags calls made with EC2 instance-role session credentials (session named after the instance) from a public address that is not in the known networks (`--known-network`), reported as outside AWS when it is not in `--aws-ip-ranges` either. GuardDuty: `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS` (`.InsideAWS` when the address is AWS's). ATT&CK T1552.005 (Cloud Instance Metadata API), T1078.004.",
    why: "Instance credentials are meant to be used from the instance; use elsewhere means they were stolen, typically through SSRF to the metadata service.",
    example: "`assumed-role/training-role/i-0abc...` calling `GetCallerIdentity` from 45.33.32.156.",
    remediation: "Revoke the role's active sessions, require IMDSv2, and add the `aws:EC2InstanceSourceVPC`/`aws:EC2InstanceSourcePrivateIPv4` conditions.",
    well_architected: WA_ALERT,
    docs: &[CT_DOCS, GD_TYPES, ("AWS IP address ranges", "https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html")],
};

pub static CRED_ROOT: RuleDoc = RuleDoc {
    id: "CT-CRED-002",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Root user activity",
    what: "Flags any call made by the root user (not service events). GuardDuty: `Policy:IAMUser/RootCredentialUsage`. ATT&CK T1078.004.",
    why: "Root cannot be limited by IAM policies; daily use of it means a compromise is unbounded.",
    example: "`ConsoleLogin` followed by `CreateAccessKey` as root.",
    remediation: "Confirm the task required root; otherwise rotate the root password, remove root access keys and enforce MFA.",
    well_architected: WA_LP,
    docs: &[CT_DOCS, GD_TYPES, ("Tasks that require root", "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#root-user-tasks")],
};

pub static CRED_NO_MFA: RuleDoc = RuleDoc {
    id: "CT-CRED-003",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Console login without MFA",
    what: "Flags a successful `ConsoleLogin` by an IAM user or root with `MFAUsed: No`, except SAML federation logins (MFA is the identity provider's). ATT&CK T1078.004.",
    why: "A password alone is phishable; console access to an ML account reaches notebooks and data.",
    example: "`ConsoleLogin` with `additionalEventData.MFAUsed = No` for user `alice`.",
    remediation: "Require MFA for console users (an IAM condition `aws:MultiFactorAuthPresent`) or move people to IAM Identity Center.",
    well_architected: "SEC02-BP01 Use strong sign-in mechanisms",
    docs: &[CT_DOCS],
};

pub static BASE_UNSEEN_API: RuleDoc = RuleDoc {
    id: "CT-BASE-001",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Principal called a sensitive API it had never used",
    what: "After a principal's learning period, flags its first call of an API in a sensitive family (IAM, KMS, STS federation, S3 bucket policy/ACL, SageMaker model registry, CloudTrail, GuardDuty, Organizations), with the principal's baseline (known APIs with frequency classes, user agents, networks) as evidence. GuardDuty: `*:IAMUser/AnomalousBehavior` (the tactic depends on the API). ATT&CK T1078.004.",
    why: "Stolen credentials are used differently from their owner's routine; sensitive firsts are the signal worth a look.",
    example: "A training role that only ever called SageMaker and S3 reads calls `iam:CreateAccessKey`.",
    remediation: "Ask the owner; if unexpected, revoke the credentials and review everything the principal did since.",
    well_architected: WA_ALERT,
    docs: &[CT_DOCS, ("GuardDuty anomaly detection", "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html")],
};

pub static BASE_DENIED_BURST: RuleDoc = RuleDoc {
    id: "CT-BASE-002",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Burst of access-denied errors",
    what: "Flags a principal receiving at least the threshold (default 10) access-denied or unauthorized-operation errors within the window (default 10 minutes), once per window. GuardDuty: `Discovery:IAMUser/AnomalousBehavior`. ATT&CK T1580 (Cloud Infrastructure Discovery), T1087.004.",
    why: "Enumerating what stolen credentials can do produces a trail of denials.",
    example: "40 `GetPasswordData` calls denied in a minute.",
    remediation: "Identify the caller and the credentials; revoke them if the activity is not a known tool.",
    well_architected: WA_ALERT,
    docs: &[CT_DOCS, ("GuardDuty IAM finding types", "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html")],
};

pub static BASE_VOLUME: RuleDoc = RuleDoc {
    id: "CT-BASE-003",
    severity: Severity::Medium,
    practice: Practice::ThreatDetection,
    title: "Anomalous GetObject volume",
    what: "Flags a principal whose `GetObject` calls in one hour exceed both an absolute floor (default 1,000) and ten times its mean hourly volume over the baseline. GuardDuty: `Exfiltration:S3/AnomalousBehavior`. ATT&CK T1530 (Data from Cloud Storage).",
    why: "Bulk reads of a dataset or model bucket are how data leaves.",
    example: "A role that reads 50 objects an hour reads 20,000 in one hour.",
    remediation: "Confirm the job; otherwise revoke the credentials and tighten the bucket policy to the expected readers.",
    well_architected: WA_DATA,
    docs: &[CT_DOCS, GD_TYPES],
};

/// Every built-in detection, for `mlguard rules` and SARIF.
pub static RULES: &[&RuleDoc] = &[
    &TAMPER_TRAIL,
    &TAMPER_SELECTORS,
    &TAMPER_DETECTION,
    &TAMPER_NETLOGS,
    &TAMPER_ORG,
    &PRIVESC_NOTEBOOK,
    &PRIVESC_FOREIGN_NOTEBOOK,
    &PRIVESC_SELF,
    &PRIVESC_ADMIN,
    &PRIVESC_CREDS,
    &PRIVESC_TRUST,
    &S3_NEW_WRITER,
    &S3_VERSIONING,
    &S3_LIFECYCLE,
    &REGISTRY,
    &EXFIL_BUCKET,
    &EXFIL_SHARE,
    &EXFIL_RESOURCE_POLICY,
    &KMS_KEY_LOSS,
    &CRED_INSTANCE,
    &CRED_ROOT,
    &CRED_NO_MFA,
    &BASE_UNSEEN_API,
    &BASE_DENIED_BURST,
    &BASE_VOLUME,
];

/// The GuardDuty finding type and ATT&CK technique ids of a built-in rule, for evidence.
pub fn mapping(id: &str) -> (Option<&'static str>, &'static [&'static str]) {
    match id {
        "CT-TAMPER-001" => (Some("Stealth:IAMUser/CloudTrailLoggingDisabled"), &["T1562.008"]),
        "CT-TAMPER-002" | "CT-TAMPER-004" => (None, &["T1562.008"]),
        "CT-TAMPER-003" => (None, &["T1562.001"]),
        "CT-TAMPER-005" => (None, &["T1666"]),
        "CT-PRIVESC-001" => (Some("PrivilegeEscalation:IAMUser/AnomalousBehavior"), &["T1098.003", "T1078.004"]),
        "CT-PRIVESC-002" => (None, &["T1078.004", "T1550.001"]),
        "CT-PRIVESC-003" => (Some("PrivilegeEscalation:IAMUser/AnomalousBehavior"), &["T1098.003"]),
        "CT-PRIVESC-004" => (Some("Persistence:IAMUser/AnomalousBehavior"), &["T1098.003", "T1136.003"]),
        "CT-PRIVESC-005" => (Some("Persistence:IAMUser/AnomalousBehavior"), &["T1098.001"]),
        "CT-PRIVESC-006" => (None, &["T1098.003"]),
        "CT-S3-001" => (Some("Impact:S3/AnomalousBehavior.Write"), &["T1565.001", "T1485"]),
        "CT-S3-002" => (None, &["T1490"]),
        "CT-S3-003" | "CT-REG-001" => (None, &["T1485", "T1565.001"]),
        "CT-EXFIL-001" => (Some("Policy:S3/BucketPublicAccessGranted"), &["T1537", "T1530"]),
        "CT-EXFIL-002" => (None, &["T1537"]),
        "CT-EXFIL-003" => (None, &["T1537", "T1098"]),
        "CT-KMS-001" => (None, &["T1485", "T1486"]),
        "CT-CRED-001" => (Some("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"), &["T1552.005", "T1078.004"]),
        "CT-CRED-002" => (Some("Policy:IAMUser/RootCredentialUsage"), &["T1078.004"]),
        "CT-CRED-003" => (None, &["T1078.004"]),
        "CT-BASE-001" => (Some("PrivilegeEscalation:IAMUser/AnomalousBehavior"), &["T1078.004"]),
        "CT-BASE-002" => (Some("Discovery:IAMUser/AnomalousBehavior"), &["T1580", "T1087.004"]),
        "CT-BASE-003" => (Some("Exfiltration:S3/AnomalousBehavior"), &["T1530"]),
        _ => (None, &[]),
    }
}
