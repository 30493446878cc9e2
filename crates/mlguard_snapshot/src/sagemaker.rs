//! SageMaker resources, as `aws sagemaker list-*` / `describe-*` print them: the compute that
//! runs in (or beside) a VPC, where its data comes from and goes to, and the model registry.
//!
//! Listings are account-wide (`sagemaker/list-models.json`); `describe-*` calls and
//! `list-model-packages` live under `sagemaker/<name>/` (for `list-model-packages`, the model
//! package group name).

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcConfig {
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotebookInstance {
    pub notebook_instance_name: String,
    pub notebook_instance_arn: String,
    #[serde(default)]
    pub notebook_instance_status: Option<String>,
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub network_interface_id: Option<String>,
    /// `Enabled` (the default) or `Disabled`.
    #[serde(default)]
    pub direct_internet_access: Option<String>,
    #[serde(default)]
    pub root_access: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Absent means IMDSv1 and IMDSv2 are both served (the CreateNotebookInstance default).
    #[serde(default)]
    pub instance_metadata_service_configuration: Option<InstanceMetadataServiceConfiguration>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceMetadataServiceConfiguration {
    /// `1` (IMDSv1 and IMDSv2) or `2` (IMDSv2 only).
    #[serde(default)]
    pub minimum_instance_metadata_service_version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrainingJob {
    pub training_job_name: String,
    pub training_job_arn: String,
    #[serde(default)]
    pub training_job_status: Option<String>,
    #[serde(default)]
    pub vpc_config: Option<VpcConfig>,
    #[serde(default)]
    pub enable_network_isolation: bool,
    #[serde(default)]
    pub enable_inter_container_traffic_encryption: bool,
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Training data channels.
    #[serde(default)]
    pub input_data_config: Vec<Channel>,
    #[serde(default)]
    pub output_data_config: Option<OutputDataConfig>,
    #[serde(default)]
    pub resource_config: Option<ResourceConfig>,
    /// Where the trained model was written (`S3ModelArtifacts`).
    #[serde(default)]
    pub model_artifacts: Option<ModelArtifacts>,
    /// Where checkpoints are written.
    #[serde(default)]
    pub checkpoint_config: Option<CheckpointConfig>,
}

impl TrainingJob {
    /// The S3 URIs the job reads its channels from.
    pub fn input_s3_uris(&self) -> impl Iterator<Item = &str> {
        self.input_data_config.iter().filter_map(|c| Some(c.data_source.as_ref()?.s3_data_source.as_ref()?.s3_uri.as_str()))
    }
}

/// One training channel (`InputDataConfig[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Channel {
    pub channel_name: String,
    #[serde(default)]
    pub data_source: Option<DataSource>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataSource {
    #[serde(default)]
    pub s3_data_source: Option<S3DataSource>,
    #[serde(default)]
    pub file_system_data_source: Option<FileSystemDataSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3DataSource {
    pub s3_uri: String,
    /// `S3Prefix`, `ManifestFile` or `AugmentedManifestFile`.
    #[serde(default)]
    pub s3_data_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileSystemDataSource {
    pub file_system_id: String,
    /// `EFS` or `FSxLustre`.
    #[serde(default)]
    pub file_system_type: Option<String>,
    #[serde(default)]
    pub directory_path: Option<String>,
}

/// Where a training job writes its model, and the KMS key for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutputDataConfig {
    #[serde(default)]
    pub s3_output_path: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceConfig {
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub instance_count: Option<i64>,
    /// The KMS key for the ML storage volumes.
    #[serde(default)]
    pub volume_kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelArtifacts {
    #[serde(default)]
    pub s3_model_artifacts: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckpointConfig {
    #[serde(default)]
    pub s3_uri: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingNetworkConfig {
    #[serde(default)]
    pub enable_network_isolation: bool,
    #[serde(default)]
    pub enable_inter_container_traffic_encryption: bool,
    #[serde(default)]
    pub vpc_config: Option<VpcConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingJob {
    pub processing_job_name: String,
    pub processing_job_arn: String,
    #[serde(default)]
    pub processing_job_status: Option<String>,
    #[serde(default)]
    pub network_config: Option<ProcessingNetworkConfig>,
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub processing_inputs: Vec<ProcessingInput>,
    #[serde(default)]
    pub processing_output_config: Option<ProcessingOutputConfig>,
    #[serde(default)]
    pub processing_resources: Option<ProcessingResources>,
}

impl ProcessingJob {
    /// The S3 URIs the job reads.
    pub fn input_s3_uris(&self) -> impl Iterator<Item = &str> {
        self.processing_inputs.iter().filter_map(|i| Some(i.s3_input.as_ref()?.s3_uri.as_str()))
    }

    /// The S3 URIs the job writes.
    pub fn output_s3_uris(&self) -> impl Iterator<Item = &str> {
        self.processing_output_config.iter().flat_map(|c| &c.outputs).filter_map(|o| Some(o.s3_output.as_ref()?.s3_uri.as_str()))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingInput {
    pub input_name: String,
    #[serde(default)]
    pub s3_input: Option<ProcessingS3>,
}

/// `S3Input` of a processing input or `S3Output` of a processing output.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingS3 {
    pub s3_uri: String,
    #[serde(default)]
    pub local_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingOutputConfig {
    #[serde(default)]
    pub outputs: Vec<ProcessingOutput>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingOutput {
    pub output_name: String,
    #[serde(default)]
    pub s3_output: Option<ProcessingS3>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingResources {
    #[serde(default)]
    pub cluster_config: Option<ClusterConfig>,
}

/// Instances of a processing or monitoring job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterConfig {
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub instance_count: Option<i64>,
    #[serde(default)]
    pub volume_kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Model {
    pub model_name: String,
    pub model_arn: String,
    #[serde(default)]
    pub vpc_config: Option<VpcConfig>,
    #[serde(default)]
    pub enable_network_isolation: bool,
    #[serde(default)]
    pub execution_role_arn: Option<String>,
    #[serde(default)]
    pub primary_container: Option<ContainerDefinition>,
    /// The containers of an inference pipeline (instead of `primary_container`).
    #[serde(default)]
    pub containers: Vec<ContainerDefinition>,
}

impl Model {
    /// The primary container, then the pipeline containers.
    pub fn all_containers(&self) -> impl Iterator<Item = &ContainerDefinition> {
        self.primary_container.iter().chain(&self.containers)
    }
}

/// A container of a model or of a model package's inference specification.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    #[serde(default)]
    pub image: Option<String>,
    /// Model package containers name the image digest.
    #[serde(default)]
    pub image_digest: Option<String>,
    /// The model artifacts (`s3://…/model.tar.gz`).
    #[serde(default)]
    pub model_data_url: Option<String>,
    /// The newer form of `model_data_url`.
    #[serde(default)]
    pub model_data_source: Option<ModelDataSource>,
    /// The registered model package the container was created from (name or ARN).
    #[serde(default)]
    pub model_package_name: Option<String>,
    /// `SingleModel` or `MultiModel`.
    #[serde(default)]
    pub mode: Option<String>,
}

impl ContainerDefinition {
    /// Where the model artifacts come from: `ModelDataUrl`, else `ModelDataSource.S3DataSource.S3Uri`.
    pub fn model_data_uri(&self) -> Option<&str> {
        self.model_data_url.as_deref().or_else(|| Some(self.model_data_source.as_ref()?.s3_data_source.as_ref()?.s3_uri.as_str()))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelDataSource {
    #[serde(default)]
    pub s3_data_source: Option<S3ModelDataSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3ModelDataSource {
    pub s3_uri: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserSettings {
    #[serde(default)]
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainSettings {
    #[serde(default)]
    pub security_group_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Domain {
    pub domain_id: String,
    pub domain_arn: String,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// `PublicInternetOnly` (the default) or `VpcOnly`.
    #[serde(default)]
    pub app_network_access_type: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    #[serde(default)]
    pub default_user_settings: Option<UserSettings>,
    #[serde(default)]
    pub domain_settings: Option<DomainSettings>,
    /// The customer managed key of the domain's EFS volume (the AWS managed key when absent).
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

/// One element of `list-notebook-instances` `NotebookInstances`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotebookInstanceSummary {
    pub notebook_instance_name: String,
    pub notebook_instance_arn: String,
    #[serde(default)]
    pub notebook_instance_status: Option<String>,
    #[serde(default)]
    pub instance_type: Option<String>,
}

/// One element of `list-training-jobs` `TrainingJobSummaries`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrainingJobSummary {
    pub training_job_name: String,
    pub training_job_arn: String,
    #[serde(default)]
    pub training_job_status: Option<String>,
}

/// One element of `list-processing-jobs` `ProcessingJobSummaries`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingJobSummary {
    pub processing_job_name: String,
    pub processing_job_arn: String,
    #[serde(default)]
    pub processing_job_status: Option<String>,
}

/// One element of `list-models` `Models`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelSummary {
    pub model_name: String,
    pub model_arn: String,
}

/// One element of `list-endpoint-configs` `EndpointConfigs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointConfigSummary {
    pub endpoint_config_name: String,
    pub endpoint_config_arn: String,
}

/// One element of `list-endpoints` `Endpoints`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointSummary {
    pub endpoint_name: String,
    pub endpoint_arn: String,
    #[serde(default)]
    pub endpoint_status: Option<String>,
}

/// One element of `list-domains` `Domains`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainSummary {
    pub domain_id: String,
    #[serde(default)]
    pub domain_arn: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// One element of `list-model-package-groups` `ModelPackageGroupSummaryList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelPackageGroupSummary {
    pub model_package_group_name: String,
    pub model_package_group_arn: String,
    #[serde(default)]
    pub model_package_group_status: Option<String>,
}

/// One element of `list-monitoring-schedules` `MonitoringScheduleSummaries`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringScheduleSummary {
    pub monitoring_schedule_name: String,
    pub monitoring_schedule_arn: String,
    /// `Pending`, `Failed`, `Scheduled` or `Stopped`.
    #[serde(default)]
    pub monitoring_schedule_status: Option<String>,
    #[serde(default)]
    pub endpoint_name: Option<String>,
    /// `DataQuality`, `ModelQuality`, `ModelBias` or `ModelExplainability`.
    #[serde(default)]
    pub monitoring_type: Option<String>,
    #[serde(default)]
    pub monitoring_job_definition_name: Option<String>,
}

/// `describe-endpoint-config`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointConfig {
    pub endpoint_config_name: String,
    pub endpoint_config_arn: String,
    #[serde(default)]
    pub production_variants: Vec<ProductionVariant>,
    #[serde(default)]
    pub shadow_production_variants: Vec<ProductionVariant>,
    #[serde(default)]
    pub data_capture_config: Option<DataCaptureConfig>,
    /// The KMS key for the ML storage volumes of the endpoint instances.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub async_inference_config: Option<AsyncInferenceConfig>,
    #[serde(default)]
    pub execution_role_arn: Option<String>,
    #[serde(default)]
    pub vpc_config: Option<VpcConfig>,
    #[serde(default)]
    pub enable_network_isolation: bool,
}

/// A model served by an endpoint configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductionVariant {
    pub variant_name: String,
    #[serde(default)]
    pub model_name: Option<String>,
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub initial_instance_count: Option<i64>,
    /// Serverless variants have no instances (and no VPC).
    #[serde(default)]
    pub serverless_config: Option<serde_json::Value>,
}

/// Inference data capture of an endpoint configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataCaptureConfig {
    #[serde(default)]
    pub enable_capture: bool,
    #[serde(default)]
    pub initial_sampling_percentage: Option<i64>,
    #[serde(default)]
    pub destination_s3_uri: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// `Input`, `Output` (or `InputAndOutput`) for each entry.
    #[serde(default)]
    pub capture_options: Vec<CaptureOption>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CaptureOption {
    #[serde(default)]
    pub capture_mode: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsyncInferenceConfig {
    #[serde(default)]
    pub output_config: Option<AsyncInferenceOutputConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsyncInferenceOutputConfig {
    #[serde(default)]
    pub s3_output_path: Option<String>,
    #[serde(default)]
    pub s3_failure_path: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

/// `describe-endpoint`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    pub endpoint_name: String,
    pub endpoint_arn: String,
    #[serde(default)]
    pub endpoint_config_name: Option<String>,
    /// `InService`, `Creating`, `Updating`, `Failed`, …
    #[serde(default)]
    pub endpoint_status: Option<String>,
    /// The capture actually running (`CaptureStatus` `Started` / `Stopped`).
    #[serde(default)]
    pub data_capture_config: Option<DataCaptureSummary>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataCaptureSummary {
    #[serde(default)]
    pub enable_capture: bool,
    #[serde(default)]
    pub capture_status: Option<String>,
    #[serde(default)]
    pub current_sampling_percentage: Option<i64>,
    #[serde(default)]
    pub destination_s3_uri: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

/// One element of `list-model-packages` `ModelPackageSummaryList`; the model package group is
/// the resource folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelPackageSummary {
    pub model_package_arn: String,
    #[serde(default)]
    pub model_package_name: Option<String>,
    #[serde(default)]
    pub model_package_group_name: Option<String>,
    #[serde(default)]
    pub model_package_version: Option<i64>,
    #[serde(default)]
    pub model_package_status: Option<String>,
    /// `Approved`, `Rejected` or `PendingManualApproval`.
    #[serde(default)]
    pub model_approval_status: Option<String>,
}

/// `describe-model-package`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelPackage {
    pub model_package_name: String,
    pub model_package_arn: String,
    #[serde(default)]
    pub model_package_group_name: Option<String>,
    #[serde(default)]
    pub model_package_version: Option<i64>,
    #[serde(default)]
    pub model_package_status: Option<String>,
    /// `Approved`, `Rejected` or `PendingManualApproval`.
    #[serde(default)]
    pub model_approval_status: Option<String>,
    #[serde(default)]
    pub approval_description: Option<String>,
    #[serde(default)]
    pub inference_specification: Option<InferenceSpecification>,
    /// Where the model was built from (commit, repository, project).
    #[serde(default)]
    pub metadata_properties: Option<MetadataProperties>,
    #[serde(default)]
    pub source_uri: Option<String>,
    /// `SecurityConfig.KmsKeyId`: the key encrypting the package's model card and metrics.
    #[serde(default)]
    pub security_config: Option<ModelPackageSecurityConfig>,
}

impl ModelPackage {
    pub fn is_approved(&self) -> bool {
        self.model_approval_status.as_deref() == Some("Approved")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InferenceSpecification {
    #[serde(default)]
    pub containers: Vec<ContainerDefinition>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataProperties {
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub generated_by: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelPackageSecurityConfig {
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

/// `describe-monitoring-schedule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringSchedule {
    pub monitoring_schedule_name: String,
    pub monitoring_schedule_arn: String,
    /// `Pending`, `Failed`, `Scheduled` or `Stopped`.
    #[serde(default)]
    pub monitoring_schedule_status: Option<String>,
    #[serde(default)]
    pub monitoring_type: Option<String>,
    #[serde(default)]
    pub endpoint_name: Option<String>,
    #[serde(default)]
    pub monitoring_schedule_config: Option<MonitoringScheduleConfig>,
    #[serde(default)]
    pub last_monitoring_execution_summary: Option<MonitoringExecutionSummary>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringScheduleConfig {
    #[serde(default)]
    pub schedule_config: Option<ScheduleConfig>,
    /// Set for data quality schedules defined inline; other types name a job definition.
    #[serde(default)]
    pub monitoring_job_definition: Option<MonitoringJobDefinition>,
    #[serde(default)]
    pub monitoring_job_definition_name: Option<String>,
    #[serde(default)]
    pub monitoring_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleConfig {
    /// `cron(0 * ? * * *)` and the like.
    #[serde(default)]
    pub schedule_expression: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringJobDefinition {
    #[serde(default)]
    pub monitoring_output_config: Option<MonitoringOutputConfig>,
    #[serde(default)]
    pub monitoring_resources: Option<MonitoringResources>,
    #[serde(default)]
    pub network_config: Option<ProcessingNetworkConfig>,
    #[serde(default)]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringOutputConfig {
    #[serde(default)]
    pub monitoring_outputs: Vec<MonitoringOutput>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringOutput {
    #[serde(default)]
    pub s3_output: Option<ProcessingS3>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringResources {
    #[serde(default)]
    pub cluster_config: Option<ClusterConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringExecutionSummary {
    /// `Completed`, `CompletedWithViolations`, `Failed`, …
    #[serde(default)]
    pub monitoring_execution_status: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
}
