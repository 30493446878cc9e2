//! SageMaker resources that run in (or beside) a VPC, as `aws sagemaker describe-*` prints them.

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
}
