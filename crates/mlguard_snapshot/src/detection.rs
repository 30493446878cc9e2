//! Detection services: GuardDuty detectors (`aws guardduty`), Macie (`aws macie2`, which prints
//! camelCase keys) and CloudTrail trails (`aws cloudtrail`).
//!
//! Per-resource calls: `guardduty/<detector-id>/get-detector.json` and
//! `cloudtrail/<trail-name>/get-trail-status.json` / `get-event-selectors.json`; neither
//! `get-detector` nor `get-trail-status` names its resource, so the folder does.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `ENABLED` / `DISABLED` of one GuardDuty data source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSourceStatus {
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KubernetesDataSource {
    #[serde(default)]
    pub audit_logs: Option<DataSourceStatus>,
}

/// `DataSources` of `get-detector` (the older view; newer accounts also report [`Feature`]s).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSources {
    #[serde(default)]
    pub cloud_trail: Option<DataSourceStatus>,
    #[serde(rename = "DNSLogs", default)]
    pub dns_logs: Option<DataSourceStatus>,
    #[serde(default)]
    pub flow_logs: Option<DataSourceStatus>,
    #[serde(default)]
    pub s3_logs: Option<DataSourceStatus>,
    #[serde(default)]
    pub kubernetes: Option<KubernetesDataSource>,
}

/// One GuardDuty protection plan (`S3_DATA_EVENTS`, `RUNTIME_MONITORING`, …) and its status.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Feature {
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub additional_configuration: Vec<FeatureConfiguration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeatureConfiguration {
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
}

/// `get-detector`; the detector id is the resource folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Detector {
    /// `ENABLED` or `DISABLED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub service_role: Option<String>,
    #[serde(default)]
    pub finding_publishing_frequency: Option<String>,
    #[serde(default)]
    pub data_sources: Option<DataSources>,
    #[serde(default)]
    pub features: Vec<Feature>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Detector {
    pub fn is_enabled(&self) -> bool {
        self.status.as_deref() == Some("ENABLED")
    }

    /// The status of a protection plan by name (`S3_DATA_EVENTS`), from `Features`.
    pub fn feature(&self, name: &str) -> Option<&str> {
        self.features.iter().find(|f| f.name == name).and_then(|f| f.status.as_deref())
    }

    /// Whether S3 protection is on: the `S3_DATA_EVENTS` feature, else `DataSources.S3Logs`.
    pub fn s3_protection(&self) -> Option<bool> {
        let status = self.feature("S3_DATA_EVENTS").or_else(|| self.data_sources.as_ref()?.s3_logs.as_ref()?.status.as_deref())?;
        Some(status == "ENABLED")
    }
}

/// `macie2 get-macie-session` (camelCase). The call fails when Macie is not enabled, so there
/// is no file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MacieSession {
    /// `ENABLED` or `PAUSED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub finding_publishing_frequency: Option<String>,
    #[serde(default)]
    pub service_role: Option<String>,
}

/// `macie2 get-automated-discovery-configuration` (camelCase): automated sensitive data
/// discovery samples every bucket of the account except those the classification scope excludes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomatedDiscovery {
    /// `ENABLED` or `DISABLED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub classification_scope_id: Option<String>,
}

/// `macie2 get-classification-scope --id <classificationScopeId>` (camelCase).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationScope {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub s3: ScopeS3,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeS3 {
    #[serde(default)]
    pub excludes: ScopeExcludes,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeExcludes {
    #[serde(default)]
    pub bucket_names: Vec<String>,
}

/// The buckets of one account that a classification job analyses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketDefinition {
    pub account_id: String,
    #[serde(default)]
    pub buckets: Vec<String>,
}

/// One element of `macie2 list-classification-jobs` `items` (camelCase).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassificationJob {
    pub job_id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `RUNNING`, `PAUSED`, `CANCELLED`, `COMPLETE`, `IDLE` or `USER_PAUSED`.
    #[serde(default)]
    pub job_status: Option<String>,
    /// `ONE_TIME` or `SCHEDULED`.
    #[serde(default)]
    pub job_type: Option<String>,
    /// Named buckets; a job has either these or `bucket_criteria`.
    #[serde(default)]
    pub bucket_definitions: Vec<BucketDefinition>,
    /// Property- and tag-based bucket selection, evaluated by Macie at each run; kept as printed.
    #[serde(default)]
    pub bucket_criteria: Option<serde_json::Value>,
}

impl ClassificationJob {
    /// Whether the job names `bucket` of `account` in its bucket definitions.
    pub fn names_bucket(&self, account: &str, bucket: &str) -> bool {
        self.bucket_definitions.iter().any(|d| d.account_id == account && d.buckets.iter().any(|b| b == bucket))
    }
}

/// One element of `cloudtrail describe-trails` `trailList`. A region's listing includes
/// multi-region trails created in another home region (shadow trails).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Trail {
    pub name: String,
    #[serde(rename = "TrailARN", default)]
    pub trail_arn: Option<String>,
    #[serde(default)]
    pub home_region: Option<String>,
    #[serde(default)]
    pub is_multi_region_trail: bool,
    #[serde(default)]
    pub is_organization_trail: bool,
    #[serde(default)]
    pub include_global_service_events: bool,
    #[serde(default)]
    pub log_file_validation_enabled: bool,
    #[serde(default)]
    pub s3_bucket_name: Option<String>,
    #[serde(default)]
    pub s3_key_prefix: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub cloud_watch_logs_log_group_arn: Option<String>,
    #[serde(default)]
    pub has_custom_event_selectors: bool,
    #[serde(default)]
    pub has_insight_selectors: bool,
}

/// `get-trail-status`; the trail name is the resource folder. Times are not read (the CLI
/// prints some as numbers and some as strings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrailStatus {
    #[serde(default)]
    pub is_logging: Option<bool>,
    #[serde(default)]
    pub latest_delivery_error: Option<String>,
    #[serde(default)]
    pub latest_digest_delivery_error: Option<String>,
    #[serde(default)]
    pub latest_cloud_watch_logs_delivery_error: Option<String>,
}

/// A basic event selector (`EventSelectors`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelector {
    /// `ReadOnly`, `WriteOnly` or `All`.
    #[serde(default)]
    pub read_write_type: Option<String>,
    #[serde(default)]
    pub include_management_events: Option<bool>,
    #[serde(default)]
    pub data_resources: Vec<DataResource>,
    #[serde(default)]
    pub exclude_management_event_sources: Vec<String>,
}

/// Data events of one resource type (`AWS::S3::Object`) for the ARNs or prefixes in `values`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataResource {
    #[serde(default)]
    pub r#type: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

/// An advanced event selector (`AdvancedEventSelectors`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedEventSelector {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub field_selectors: Vec<FieldSelector>,
}

/// One condition of an advanced event selector (`eventCategory`, `resources.type`, …).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldSelector {
    pub field: String,
    #[serde(default)]
    pub equals: Vec<String>,
    #[serde(default)]
    pub starts_with: Vec<String>,
    #[serde(default)]
    pub ends_with: Vec<String>,
    #[serde(default)]
    pub not_equals: Vec<String>,
    #[serde(default)]
    pub not_starts_with: Vec<String>,
    #[serde(default)]
    pub not_ends_with: Vec<String>,
}

/// `get-event-selectors`; a trail uses either basic or advanced selectors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelectors {
    #[serde(rename = "TrailARN", default)]
    pub trail_arn: Option<String>,
    #[serde(default)]
    pub event_selectors: Vec<EventSelector>,
    #[serde(default)]
    pub advanced_event_selectors: Vec<AdvancedEventSelector>,
}
