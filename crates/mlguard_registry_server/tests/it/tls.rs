//! https and mutual TLS, with the test certificates of `tests/tls` (made by `tests/tls/gen.sh`).

use crate::common::*;
use mlguard_registry_server::cli::{run_model, Connection, ModelArgs, ModelCommand};
use mlguard_registry_server::client::{Client, ClientError};
use mlguard_registry_server::config::TlsFiles;
use mlguard_registry_server::tls::ClientTls;
use mlguard_registry_server::{start, Options, ServeError};
use std::path::PathBuf;

fn pki(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tls").join(name)
}

fn tls_files(client_ca: bool) -> TlsFiles {
    TlsFiles { cert: pki("server.pem"), key: pki("server.key"), client_ca: client_ca.then(|| pki("ca.pem")) }
}

fn client(url: &str, token: &str, ca: bool, cert: Option<&str>) -> Client {
    let tls = ClientTls { ca: ca.then(|| pki("ca.pem")), cert: cert.map(|c| pki(&format!("{c}.pem"))), key: cert.map(|c| pki(&format!("{c}.key"))) };
    Client::with_tls(url, token, &tls).unwrap()
}

fn transport_error(r: Result<impl std::fmt::Debug, ClientError>) -> String {
    match r {
        Err(ClientError::Transport { message, .. }) => message,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn https_serves_clients_that_trust_its_ca_and_nothing_in_plain_http() {
    let mut s = setup("tls");
    s.config.tls = Some(tls_files(false));
    let srv = server(&s);
    assert!(srv.url().starts_with("https://127.0.0.1:"), "{}", srv.url());
    let c = client(&srv.url(), &s.tokens.alice, true, None);
    assert!(c.list_groups().unwrap().groups.is_empty());
    // The token is still required: TLS alone authenticates nobody.
    let anon = client(&srv.url(), "", true, None);
    assert_eq!(anon.list_groups().unwrap_err().status(), Some(401));
    // Without the CA the certificate is not trusted (the public roots do not include it).
    let msg = transport_error(client(&srv.url(), &s.tokens.alice, false, None).list_groups());
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    // Plain http to the TLS port gets no HTTP answer.
    let plain = Client::new(&srv.url().replacen("https", "http", 1), &s.tokens.alice);
    assert!(plain.list_groups().is_err());
}

#[test]
fn mutual_tls_refuses_clients_without_a_certificate_from_the_configured_ca() {
    let mut s = setup("mtls");
    s.config.tls = Some(tls_files(true));
    let srv = server(&s);
    // A certificate from the configured CA, and a token: served.
    let ok = client(&srv.url(), &s.tokens.alice, true, Some("client"));
    assert!(ok.list_groups().unwrap().groups.is_empty());
    // The certificate without a token: authenticated machine, no principal.
    assert_eq!(client(&srv.url(), "", true, Some("client")).list_groups().unwrap_err().status(), Some(401));
    // A token without a certificate, or with one from another CA: the handshake fails, so no
    // request reaches the API.
    let none = transport_error(client(&srv.url(), &s.tokens.alice, true, None).list_groups());
    let other = transport_error(client(&srv.url(), &s.tokens.alice, true, Some("other-client")).list_groups());
    for m in [&none, &other] {
        assert!(!m.is_empty());
    }
    // The refused requests changed nothing and were not served: the log holds no entry for them.
    let auditor = client(&srv.url(), &s.tokens.audrey, true, Some("client"));
    assert!(auditor.audit_log().unwrap().entries.is_empty());
}

#[test]
fn the_cli_reaches_a_mutual_tls_server_with_its_certificate_flags() {
    let mut s = setup("mtls-cli");
    s.config.tls = Some(tls_files(true));
    let srv = server(&s);
    let token = s.dir.path().join("admin.token");
    std::fs::write(&token, format!("{}\n", s.tokens.admin)).unwrap();
    let conn = Connection { server: Some(srv.url()), token_file: Some(token), ca_cert: Some(pki("ca.pem")), client_cert: Some(pki("client.pem")), client_key: Some(pki("client.key")) };
    let list = |conn: &Connection| run_model(&ModelArgs { conn: conn.clone(), command: ModelCommand::List { group: None } });
    list(&conn).unwrap();
    // Without the client certificate the same command fails.
    let bare = Connection { client_cert: None, client_key: None, ..conn.clone() };
    assert!(list(&bare).is_err());
    // A certificate without its key is a usage error naming the file.
    let half = Connection { client_key: None, ..conn };
    let e = list(&half).unwrap_err().to_string();
    assert!(e.contains("client.pem") && e.contains("key"), "{e}");
}

#[test]
fn bad_tls_files_stop_the_server_with_the_file_named() {
    let s = setup("tls-bad");
    let cases = [
        (TlsFiles { cert: pki("missing.pem"), key: pki("server.key"), client_ca: None }, "missing.pem"),
        // The key of another certificate.
        (TlsFiles { cert: pki("server.pem"), key: pki("client.key"), client_ca: None }, "server.pem"),
        // A key where certificates are expected.
        (TlsFiles { cert: pki("server.pem"), key: pki("server.key"), client_ca: Some(pki("client.key")) }, "client.key"),
    ];
    for (files, named) in cases {
        let mut c = s.config.clone();
        c.tls = Some(files);
        match start(&c, Options::default()) {
            Err(e @ ServeError::Tls(_)) => assert!(e.to_string().contains(named), "{e}"),
            Err(e) => panic!("expected a TLS error naming {named}, got {e}"),
            Ok(_) => panic!("started with bad TLS files ({named})"),
        }
    }
}
