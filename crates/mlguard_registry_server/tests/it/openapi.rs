//! `openapi.yaml` against the router, both ways.

use crate::common::openapi_doc;
use mlguard_registry_server::server::route_list;
use std::collections::BTreeSet;

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let doc = openapi_doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let served: BTreeSet<(String, String)> = route_list().into_iter().map(|(m, p)| (m.to_lowercase(), p)).collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                documented.insert((method.to_string(), path.clone()));
            }
        }
    }
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not in openapi.yaml: {missing:?}");
    assert!(extra.is_empty(), "in openapi.yaml but not served: {extra:?}");
}

#[test]
fn every_operation_documents_its_path_parameters_and_errors() {
    let doc = openapi_doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| *k != "parameters") {
            let mut declared = BTreeSet::new();
            for p in item["parameters"].as_array().into_iter().flatten().chain(op["parameters"].as_array().into_iter().flatten()) {
                let p = match p.get("$ref").and_then(|r| r.as_str()) {
                    Some(r) => &doc["components"]["parameters"][r.rsplit('/').next().unwrap()],
                    None => p,
                };
                if p["in"] == "path" {
                    declared.insert(p["name"].as_str().unwrap().to_string());
                }
            }
            let wanted: BTreeSet<String> = names.iter().map(|s| s.to_string()).collect();
            assert_eq!(declared, wanted, "{method} {path}: path parameters");
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401 undocumented");
        }
    }
}
