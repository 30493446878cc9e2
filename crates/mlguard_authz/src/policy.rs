//! Cedar policies: strict loading ([`Authorizer::load`]) and decisions
//! ([`Authorizer::authorize`]).
//!
//! Loading parses the schema (Cedar's human-readable syntax) and the policy set, renames each
//! policy to its `@id` annotation, and validates the set against the schema in strict mode. Any
//! problem is a [`LoadError`] listing every [`Problem`] with its file, line and column when Cedar
//! gives a location: there is no partial or permissive fallback.
//!
//! A decision builds the Cedar entities of one request from [`Principal`] and [`Resource`],
//! checks them and the request against the schema, and evaluates the policies. The request is
//! allowed only if Cedar allows it *and* nothing went wrong: an entity or request that does not
//! conform to the schema, or an error while evaluating any policy, denies and is reported in
//! [`Decision::errors`].

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use cedar::{EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use cedar_policy as cedar;
use miette::Diagnostic;
use serde::Serialize;

use crate::model::{Action, Principal, RequestContext, Resource, Version};

/// One problem in a schema or policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file (as given to [`Authorizer::load`]).
    pub file: String,
    /// 1-based line, when Cedar points at a location.
    pub line: Option<usize>,
    /// 1-based column (in characters), when Cedar points at a location.
    pub column: Option<usize>,
    /// Cedar's message, with its help when it has one.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("\n  {p}"))
        .collect::<String>()
}

/// Why policies could not be loaded. The caller must not serve requests without them.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The schema does not parse or is inconsistent.
    #[error("invalid Cedar schema:{}", list(.0))]
    Schema(Vec<Problem>),
    /// The policies do not parse, or their ids are missing or clash.
    #[error("invalid Cedar policies:{}", list(.0))]
    Policies(Vec<Problem>),
    /// The policies parse but do not validate against the schema.
    #[error("Cedar policies do not validate against the schema:{}", list(.0))]
    Validation(Vec<Problem>),
}

impl LoadError {
    /// The problems (empty for [`LoadError::Read`]).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Read { .. } => &[],
            Self::Schema(p) | Self::Policies(p) | Self::Validation(p) => p,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Flattens a Cedar diagnostic (and its related diagnostics) into problems.
fn collect(file: &str, src: &str, diag: &dyn Diagnostic, out: &mut Vec<Problem>) {
    let mut message = diag.to_string();
    if let Some(help) = diag.help() {
        message = format!("{message} (help: {help})");
    }
    let offset = diag
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    let (line, column) = offset.map(|o| line_col(src, o)).unzip();
    let problem = Problem {
        file: file.to_owned(),
        line,
        column,
        message,
    };
    if !out.contains(&problem) {
        out.push(problem);
    }
    if let Some(related) = diag.related() {
        for r in related {
            collect(file, src, r, out);
        }
    }
}

fn problems(file: &str, src: &str, diag: &dyn Diagnostic) -> Vec<Problem> {
    let mut out = Vec::new();
    collect(file, src, diag, &mut out);
    out
}

fn plain(file: &str, message: String) -> Problem {
    Problem {
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    }
}

/// The outcome of one authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Ids of the policies that decided: the satisfied `permit`s of an allow, the satisfied
    /// `forbid`s of an explicit deny, none for a default deny; sorted.
    pub reasons: Vec<String>,
    /// What went wrong; any error denies.
    pub errors: Vec<String>,
}

impl Decision {
    fn error(message: String) -> Self {
        Self {
            allowed: false,
            reasons: Vec::new(),
            errors: vec![message],
        }
    }
}

/// Entity type names of the registry schema, parsed once.
#[derive(Debug)]
struct Types {
    user: EntityTypeName,
    registry: EntityTypeName,
    audit_log: EntityTypeName,
    group: EntityTypeName,
    version: EntityTypeName,
}

/// A loaded, validated policy set and its schema.
#[derive(Debug)]
pub struct Authorizer {
    schema: cedar::Schema,
    policies: cedar::PolicySet,
    engine: cedar::Authorizer,
    types: Types,
    /// Indexed like [`Action::ALL`].
    actions: Vec<EntityUid>,
    warnings: Vec<Problem>,
}

fn type_name(name: &str, file: &str) -> Result<EntityTypeName, LoadError> {
    EntityTypeName::from_str(name)
        .map_err(|e| LoadError::Schema(vec![plain(file, format!("entity type `{name}`: {e}"))]))
}

impl Authorizer {
    /// Reads, parses and validates a schema (`.cedarschema`) and a policy set (`.cedar`).
    ///
    /// # Errors
    /// [`LoadError`] for an unreadable file, a parse error in either, a policy without a unique
    /// id, a template, or any strict-validation error.
    pub fn load(
        schema_path: impl AsRef<Path>,
        policy_path: impl AsRef<Path>,
    ) -> Result<Self, LoadError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| LoadError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let (schema_path, policy_path) = (schema_path.as_ref(), policy_path.as_ref());
        let schema_src = read(schema_path)?;
        let policy_src = read(policy_path)?;
        Self::from_sources(
            &schema_src,
            &schema_path.display().to_string(),
            &policy_src,
            &policy_path.display().to_string(),
        )
    }

    /// Like [`Authorizer::load`], from text; the names are used in problems.
    ///
    /// # Errors
    /// As [`Authorizer::load`].
    pub fn from_sources(
        schema_src: &str,
        schema_name: &str,
        policy_src: &str,
        policy_name: &str,
    ) -> Result<Self, LoadError> {
        let (schema, schema_warnings) = cedar::Schema::from_cedarschema_str(schema_src)
            .map_err(|e| LoadError::Schema(problems(schema_name, schema_src, &e)))?;
        let mut warnings: Vec<Problem> = schema_warnings
            .flat_map(|w| problems(schema_name, schema_src, &w))
            .collect();

        let parsed = cedar::PolicySet::from_str(policy_src)
            .map_err(|e| LoadError::Policies(problems(policy_name, policy_src, &e)))?;
        let policies = rename(&parsed, policy_name)?;

        let validation = cedar::Validator::new(schema.clone())
            .validate(&policies, cedar::ValidationMode::Strict);
        let errors: Vec<Problem> = validation
            .validation_errors()
            .flat_map(|e| problems(policy_name, policy_src, e))
            .collect();
        if !errors.is_empty() {
            return Err(LoadError::Validation(errors));
        }
        warnings.extend(
            validation
                .validation_warnings()
                .flat_map(|w| problems(policy_name, policy_src, w)),
        );

        let types = Types {
            user: type_name("User", schema_name)?,
            registry: type_name("Registry", schema_name)?,
            audit_log: type_name("AuditLog", schema_name)?,
            group: type_name("ModelPackageGroup", schema_name)?,
            version: type_name("ModelVersion", schema_name)?,
        };
        let action_type = type_name("Action", schema_name)?;
        let actions: Vec<EntityUid> = Action::ALL
            .iter()
            .map(|a| {
                EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(a.as_str()))
            })
            .collect();
        let declared: HashSet<&EntityUid> = schema.actions().collect();
        for (action, uid) in Action::ALL.iter().zip(&actions) {
            if !declared.contains(uid) {
                warnings.push(plain(
                    schema_name,
                    format!("schema declares no action `{action}`: it is always denied"),
                ));
            }
        }

        Ok(Self {
            schema,
            policies,
            engine: cedar::Authorizer::new(),
            types,
            actions,
            warnings,
        })
    }

    /// Warnings from the schema and from validation (e.g. a policy that can never apply).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Ids of the loaded policies, in file order.
    pub fn policy_ids(&self) -> Vec<String> {
        self.policies
            .policies()
            .map(|p| p.id().to_string())
            .collect()
    }

    /// Decides whether `principal` may do `action` on `resource`. Never fails: anything that
    /// goes wrong denies and is listed in [`Decision::errors`].
    pub fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
        context: &RequestContext,
    ) -> Decision {
        self.try_authorize(principal, action, resource, context)
            .unwrap_or_else(Decision::error)
    }

    fn uid(ty: &EntityTypeName, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id))
    }

    fn try_authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
        context: &RequestContext,
    ) -> Result<Decision, String> {
        let principal_uid = Self::uid(&self.types.user, &principal.id);
        let mut entities = Vec::with_capacity(3);
        entities.push(user_entity(principal, principal_uid.clone())?);
        let resource_uid = match resource {
            Resource::Registry => {
                let uid = Self::uid(&self.types.registry, "registry");
                entities.push(cedar::Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::AuditLog => {
                let uid = Self::uid(&self.types.audit_log, "audit-log");
                entities.push(cedar::Entity::new_no_attrs(uid.clone(), HashSet::new()));
                uid
            }
            Resource::Group(group) => {
                let uid = Self::uid(&self.types.group, &group.name);
                entities.push(group_entity(group, uid.clone())?);
                uid
            }
            Resource::Version(version) => {
                let group_uid = Self::uid(&self.types.group, &version.group.name);
                let uid = Self::uid(&self.types.version, &version.id());
                entities.push(group_entity(&version.group, group_uid.clone())?);
                entities.push(self.version_entity(version, uid.clone(), group_uid)?);
                uid
            }
        };
        let entities = cedar::Entities::from_entities(entities, Some(&self.schema))
            .map_err(|e| format!("request entities do not conform to the schema: {e}"))?;

        let mut pairs = vec![(
            "auth_method".to_owned(),
            RestrictedExpression::new_string(context.auth_method.as_str().to_owned()),
        )];
        if let Some(justification) = &context.justification {
            pairs.push((
                "justification".to_owned(),
                RestrictedExpression::new_string(justification.clone()),
            ));
        }
        let context = cedar::Context::from_pairs(pairs)
            .map_err(|e| format!("invalid request context: {e}"))?;

        let action_uid = self
            .actions
            .get(action as usize)
            .cloned()
            .ok_or_else(|| format!("no entity for action `{action}`"))?;
        let request = cedar::Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            context,
            Some(&self.schema),
        )
        .map_err(|e| format!("request does not conform to the schema: {e}"))?;

        let response = self
            .engine
            .is_authorized(&request, &self.policies, &entities);
        let diagnostics = response.diagnostics();
        // Cedar gives both as sets in no fixed order; sorted, a decision reads the same every time.
        let mut errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        errors.sort();
        let mut reasons: Vec<String> = diagnostics.reason().map(ToString::to_string).collect();
        reasons.sort();
        Ok(Decision {
            allowed: response.decision() == cedar::Decision::Allow && errors.is_empty(),
            reasons,
            errors,
        })
    }

    fn version_entity(
        &self,
        version: &Version,
        uid: EntityUid,
        group_uid: EntityUid,
    ) -> Result<cedar::Entity, String> {
        let number = i64::try_from(version.number)
            .map_err(|_| format!("model version `{}`: number out of range", version.id()))?;
        let attrs = [
            (
                "group",
                RestrictedExpression::new_entity_uid(group_uid.clone()),
            ),
            ("number", RestrictedExpression::new_long(number)),
            (
                "created_by",
                RestrictedExpression::new_entity_uid(Self::uid(
                    &self.types.user,
                    &version.created_by,
                )),
            ),
            (
                "approval_status",
                RestrictedExpression::new_string(version.approval_status.as_str().to_owned()),
            ),
            ("signed", RestrictedExpression::new_bool(version.signed)),
            (
                "retention_mode",
                RestrictedExpression::new_string(version.retention.as_str().to_owned()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v));
        cedar::Entity::new_with_tags(uid, attrs, [group_uid], [])
            .map_err(|e| format!("model version `{}`: {e}", version.id()))
    }
}

fn string_set(values: &std::collections::BTreeSet<String>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        values
            .iter()
            .map(|v| RestrictedExpression::new_string(v.clone())),
    )
}

fn user_entity(principal: &Principal, uid: EntityUid) -> Result<cedar::Entity, String> {
    let attrs = [
        ("roles".to_owned(), string_set(&principal.roles)),
        ("teams".to_owned(), string_set(&principal.teams)),
    ];
    let tags = principal
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), RestrictedExpression::new_string(v.clone())));
    cedar::Entity::new_with_tags(uid, attrs, [], tags)
        .map_err(|e| format!("principal `{}`: {e}", principal.id))
}

fn group_entity(group: &crate::model::Group, uid: EntityUid) -> Result<cedar::Entity, String> {
    let attrs = [
        (
            "owner_team".to_owned(),
            RestrictedExpression::new_string(group.owner_team.clone()),
        ),
        (
            "require_signature".to_owned(),
            RestrictedExpression::new_bool(group.require_signature),
        ),
    ];
    cedar::Entity::new_with_tags(uid, attrs, [], [])
        .map_err(|e| format!("model package group `{}`: {e}", group.name))
}

/// Gives each policy its `@id` (or keeps Cedar's `policyN` when it has none); refuses
/// templates and duplicate ids.
fn rename(parsed: &cedar::PolicySet, file: &str) -> Result<cedar::PolicySet, LoadError> {
    let mut problems = Vec::new();
    if let Some(t) = parsed.templates().next() {
        problems.push(plain(
            file,
            format!("templates are not supported (template `{}`)", t.id()),
        ));
    }
    let mut set = cedar::PolicySet::new();
    for policy in parsed.policies() {
        let policy = match policy.annotation("id") {
            Some(id) if id.trim().is_empty() => {
                problems.push(plain(
                    file,
                    format!("policy `{}` has an empty `@id`", policy.id()),
                ));
                continue;
            }
            Some(id) => policy.new_id(cedar::PolicyId::new(id)),
            None => policy.clone(),
        };
        let id = policy.id().to_string();
        if let Err(e) = set.add(policy) {
            problems.push(plain(file, format!("policy `{id}`: {e}")));
        }
    }
    if problems.is_empty() {
        Ok(set)
    } else {
        Err(LoadError::Policies(problems))
    }
}
