//! Loading is strict: every broken schema or policy file is refused with its name and Cedar's
//! message, and a location when Cedar gives one.

// Helpers outside `#[test]` functions expect too: a failed step fails the test.
#![expect(clippy::expect_used, reason = "test helpers: a failed step fails the test")]

use std::path::{Path, PathBuf};

use mlguard_authz::{Authorizer, LoadError, DEFAULT_POLICIES, DEFAULT_SCHEMA};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// Writes `schema` and `policies` to a fresh directory and loads them from there.
fn load(name: &str, schema: &str, policies: &str) -> Result<Authorizer, LoadError> {
    let dir =
        std::env::temp_dir().join(format!("mlguard_authz_load_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (s, p) = (dir.join("registry.cedarschema"), dir.join("registry.cedar"));
    std::fs::write(&s, schema).expect("write schema");
    std::fs::write(&p, policies).expect("write policies");
    let result = Authorizer::load(&s, &p);
    std::fs::remove_dir_all(&dir).expect("cleanup");
    result
}

fn with_policy(extra: &str) -> String {
    format!("{DEFAULT_POLICIES}\n{extra}\n")
}

/// Line (1-based) of the first line of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle present");
    text[..at].matches('\n').count() + 1
}

#[test]
fn default_files_load_cleanly() {
    let dir = policies_dir();
    let authz = Authorizer::load(dir.join("registry.cedarschema"), dir.join("registry.cedar"))
        .expect("default policies load");
    assert!(authz.warnings().is_empty(), "{:?}", authz.warnings());
    assert_eq!(authz.policy_ids().len(), 17);
}

#[test]
fn syntax_error_is_refused_with_location() {
    let extra = "@id(\"broken\")\npermit (principal, action == Action::\"ListModels\", resource)\nwhen { principal.roles.contains(\"x\") ";
    let policies = with_policy(extra);
    let err = load("syntax", DEFAULT_SCHEMA, &policies).expect_err("syntax error");
    let LoadError::Policies(problems) = &err else {
        panic!("expected a parse error: {err}")
    };
    let text = err.to_string();
    assert!(text.contains("registry.cedar"), "{text}");
    // The parser reports the end of input, after the unclosed `when {`.
    let first = &problems[0];
    assert!(
        first.line.expect("a line") >= line_of(&policies, "@id(\"broken\")"),
        "{text}"
    );
    assert!(first.column.is_some(), "{text}");
}

#[test]
fn syntax_error_in_the_middle_points_at_its_line() {
    let policies = DEFAULT_POLICIES.replacen(
        "permit (principal, action == Action::\"PullArtifact\", resource)",
        "permit (principal, action === Action::\"PullArtifact\", resource)",
        1,
    );
    assert_ne!(policies, DEFAULT_POLICIES);
    let err = load("middle", DEFAULT_SCHEMA, &policies).expect_err("syntax error");
    let problems = err.problems();
    assert!(!problems.is_empty());
    assert_eq!(
        problems[0].line,
        Some(line_of(&policies, "action === Action")),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!(
            "registry.cedar:{}:",
            line_of(&policies, "action === Action")
        )),
        "{err}"
    );
}

#[test]
fn unknown_entity_type_is_refused() {
    let policies = with_policy("@id(\"bad-type\") permit (principal is Userr, action, resource);");
    let err = load("type", DEFAULT_SCHEMA, &policies).expect_err("unknown entity type");
    assert!(matches!(err, LoadError::Validation(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("Userr"), "{text}");
    assert!(text.contains("bad-type"), "{text}");
    assert_eq!(
        err.problems()[0].line,
        Some(line_of(&policies, "@id(\"bad-type\")")),
        "{text}"
    );
}

#[test]
fn unknown_attribute_is_refused() {
    let policies = with_policy(
        "@id(\"bad-attr\") permit (principal, action == Action::\"ApproveVersion\", resource)\nwhen { resource.created_byy == principal };",
    );
    let err = load("attr", DEFAULT_SCHEMA, &policies).expect_err("unknown attribute");
    assert!(matches!(err, LoadError::Validation(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("created_byy"), "{text}");
    assert_eq!(
        err.problems()[0].line,
        Some(line_of(&policies, "when { resource.created_byy")),
        "{text}"
    );
}

#[test]
fn unknown_action_is_refused() {
    let policies = with_policy(
        "@id(\"bad-action\") permit (principal, action == Action::\"DeployModel\", resource);",
    );
    let err = load("action", DEFAULT_SCHEMA, &policies).expect_err("unknown action");
    assert!(matches!(err, LoadError::Validation(_)), "{err}");
    assert!(err.to_string().contains("DeployModel"), "{err}");
}

#[test]
fn type_error_is_refused() {
    // Strict mode: comparing a Bool attribute with a String is an error, not "false".
    let policies = with_policy(
        "@id(\"bad-cmp\") permit (principal, action == Action::\"PullArtifact\", resource)\nwhen { resource.signed == \"yes\" };",
    );
    let err = load("typeerr", DEFAULT_SCHEMA, &policies).expect_err("type error");
    assert!(matches!(err, LoadError::Validation(_)), "{err}");
}

#[test]
fn schema_syntax_error_is_refused_with_location() {
    let schema = DEFAULT_SCHEMA.replacen("entity Registry;", "entity Registry", 1);
    let err = load("schema", &schema, DEFAULT_POLICIES).expect_err("schema error");
    let LoadError::Schema(problems) = &err else {
        panic!("expected a schema error: {err}")
    };
    assert!(err.to_string().contains("registry.cedarschema"), "{err}");
    assert!(problems[0].line.is_some(), "{err}");
}

#[test]
fn schema_missing_a_type_fails_validation() {
    // Removing an entity type the policies use makes them invalid.
    let schema = DEFAULT_SCHEMA.replacen("entity AuditLog;", "", 1);
    let err = load("schema-type", &schema, DEFAULT_POLICIES).expect_err("invalid");
    assert!(
        matches!(err, LoadError::Schema(_) | LoadError::Validation(_)),
        "{err}"
    );
    assert!(err.to_string().contains("AuditLog"), "{err}");
}

#[test]
fn duplicate_ids_and_templates_are_refused() {
    let dup = with_policy(
        "@id(\"read-metadata\") permit (principal, action == Action::\"ListModels\", resource);",
    );
    let err = load("dup", DEFAULT_SCHEMA, &dup).expect_err("duplicate id");
    assert!(matches!(err, LoadError::Policies(_)), "{err}");
    assert!(err.to_string().contains("read-metadata"), "{err}");

    let template = with_policy("@id(\"tpl\") permit (principal == ?principal, action == Action::\"ListModels\", resource);");
    let err = load("tpl", DEFAULT_SCHEMA, &template).expect_err("template");
    assert!(err.to_string().contains("template"), "{err}");
}

#[test]
fn missing_file_is_refused() {
    let err = Authorizer::load(
        "/nonexistent/registry.cedarschema",
        policies_dir().join("registry.cedar"),
    )
    .expect_err("missing");
    assert!(matches!(err, LoadError::Read { .. }));
    assert!(
        err.to_string()
            .contains("/nonexistent/registry.cedarschema"),
        "{err}"
    );
}

#[test]
fn empty_policy_set_denies_everything() {
    let authz = load("empty", DEFAULT_SCHEMA, "// nothing\n").expect("empty set is valid");
    let p = mlguard_authz::Principal::new("root").with_roles(["admin", "approver", "auditor"]);
    for action in mlguard_authz::Action::ALL {
        let d = authz.authorize(
            &p,
            *action,
            &mlguard_authz::Resource::AuditLog,
            &mlguard_authz::RequestContext::token(),
        );
        assert!(!d.allowed);
    }
}
