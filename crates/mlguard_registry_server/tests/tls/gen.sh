#!/usr/bin/env bash
# Makes the test-only certificates of tests/it/tls.rs (P-256 keys, valid 100 years): a CA, a
# server certificate for 127.0.0.1 and localhost, a client certificate from that CA, and a
# client certificate from another CA that the server does not trust. The keys are test
# fixtures, public on purpose; nothing else may trust these CAs.
# Usage: crates/mlguard_registry_server/tests/tls/gen.sh   (rewrites the files next to it)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca() { # name cn
  key "$tmp/$1.key"
  openssl req -x509 -new -key "$tmp/$1.key" -subj "/CN=$2" -days 36500 -sha256 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem"
}
leaf() { # name cn ca eku san
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' "$4" "$5" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$tmp/$3.key" -CAcreateserial -days 36500 -sha256 \
    -extfile "$tmp/$1.ext" -out "$1.pem"
}
ca ca "mlguard test CA"
ca other-ca "mlguard untrusted test CA"
leaf server "127.0.0.1" ca serverAuth "subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf client "ci-pipeline" ca clientAuth ""
leaf other-client "ci-pipeline" other-ca clientAuth ""
rm -f ./*.srl
