#!/bin/sh
# Generate a throw-away CA plus server and client certificates for the fake
# Kubernetes API server (tests/k8s/fake_apiserver.py).
#
#   gen_certs.sh DIR [SAN_IP...]
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key (SANs: IP
# 127.0.0.1, DNS localhost, plus every SAN_IP given) and DIR/client.crt,
# DIR/client.key (CN nodegw, O system:nodes; for client-certificate auth).
# Keys are EC P-256 unless NODEGW_CERT_KEY=rsa (RSA 2048).  Needs the openssl CLI.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [SAN_IP...]" >&2
    exit 2
fi
dir=$1
shift
mkdir -p "$dir"
cd "$dir"

newkey() {
    if [ "${NODEGW_CERT_KEY:-ec}" = rsa ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    else
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    fi
    chmod 600 "$1"
}

san="IP:127.0.0.1,DNS:localhost"
for ip in "$@"; do
    san="$san,IP:$ip"
done

newkey ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=nodegw-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out ca.crt

# sign NAME SUBJECT EXTENSIONS
sign() {
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -sha256 -days 825 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

sign server "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName=$san"

sign client "/O=system:nodes/CN=nodegw" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer"

rm -f ca.srl
