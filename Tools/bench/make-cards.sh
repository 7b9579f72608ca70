#!/usr/bin/env bash
# Makes COUNT distinct test cards for Tools/bench-login.sh: an EC P-384 authentication key and
# certificate each, issued by the TEST PKI's EC Citizen CA with the extensions of a real card's
# authentication certificate and a distinct, well-formed national register number.
#   Tools/bench/make-cards.sh COUNT DIR     → DIR/<i>.crt and DIR/<i>.key
# Not for production: the keys are written unprotected.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="$1" DIR="$2"
CA=Hardware/test-pki/ec
mkdir -p "$DIR"
EXT="$DIR/ext.cnf"
cat >"$EXT" <<'CNF'
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 2.16.56.13.6.1.1.1000
authorityInfoAccess    = OCSP;URI:http://127.0.0.1:8889/citizen-ca, caIssuers;URI:http://127.0.0.1:8890/ec/citizen-ca.der
crlDistributionPoints  = URI:http://127.0.0.1:8890/crl/ec-citizen-ca.crl
CNF
make_card() {   # make_card INDEX: born 1 Jan 1980 + INDEX/997 days, serial INDEX%997+1 (checksum mod 97)
    local i=$1 day serial first nine check nn
    day=$(date -u -d "1980-01-01 + $((i / 997)) days" +%y%m%d)
    serial=$(printf '%03d' $((i % 997 + 1)))
    nine="$day$serial"
    check=$((97 - (10#$nine % 97)))
    nn="$nine$(printf '%02d' "$check")"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$DIR/$i.key" 2>/dev/null
    openssl req -new -key "$DIR/$i.key" -subj "/C=BE/CN=Bench Card$i (Authentication)/SN=Card$i/GN=Bench/serialNumber=$nn" \
        -out "$DIR/$i.csr" 2>/dev/null
    openssl x509 -req -in "$DIR/$i.csr" -CA "$CA/citizen-ca.crt" -CAkey "$CA/citizen-ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -days 365 -sha384 -extfile "$EXT" -out "$DIR/$i.crt" 2>/dev/null
    rm -f "$DIR/$i.csr"
}
for ((i = 0; i < COUNT; i++)); do
    make_card "$i" &
    (( (i + 1) % 8 == 0 )) && wait
done
wait
rm -f "$EXT"
echo "make-cards: $COUNT cards in $DIR"
