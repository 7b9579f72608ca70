#!/usr/bin/env bash
# Regenerates the ROGUE root and RRN certificate used by `sleutel virtual-card run --tamper rogue-root`
# (a forged card whose whole chain is self-consistent; only a check against the trusted roots sees it).
# Deliberately outside Hardware/test-pki, so `--test-roots Hardware/test-pki` never trusts this root.
set -euo pipefail
cd "$(dirname "$0")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out root.key
openssl req -x509 -new -key root.key -sha384 -subj "/C=BE/CN=Sleutel ROGUE Belgium Root CA6" \
    -days 7300 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out rrn.key
openssl req -new -key rrn.key -subj "/C=BE/O=RRN/OU=ROGUE/CN=RRN" -out rrn.csr
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >rrn.ext
openssl x509 -req -in rrn.csr -CA root.crt -CAkey root.key -set_serial 0x0E01 -sha384 \
    -days 7300 -extfile rrn.ext -out rrn.crt
rm -f rrn.csr rrn.ext
