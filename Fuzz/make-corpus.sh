#!/usr/bin/env bash
# Writes the seed corpora Fuzz/Corpus/<target>/ from the project's own data: the test PKI of
# Hardware/test-pki (certificates, CRLs, an OCSP response, public keys in each format), rows like
# the KBO import test fixtures, request bodies of the HTTP API, and (through the built fuzz
# binaries' `--seeds DIR`) the files, APDU responses and vpcd frames of the virtual specimen
# cards. Run by `Tools/fuzz.sh --corpus`; the output is committed (small files only).
#   Fuzz/make-corpus.sh BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$1"
PKI=Hardware/test-pki
OUT=Fuzz/Corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for target in FuzzEIDFiles FuzzAPDU FuzzVPCDFrames; do
    rm -rf "$OUT/$target"
    "$BIN/$target" --seeds "$OUT/$target"
done

c="$OUT/FuzzCertificates"; rm -rf "$c"; mkdir -p "$c"
cp "$PKI/ec/root.der" "$c/ec-root.der"
cp "$PKI/rsa/citizen-ca.der" "$c/rsa-citizen-ca.der"
openssl x509 -in "$PKI/persons/specimen-1.8/auth.crt" -outform DER -out "$c/ec-auth.der"
{ cat "$c/ec-auth.der"; head -c 200 /dev/zero; } >"$c/ec-auth-padded.der"   # as read from the card
cat "$PKI/ec/citizen-ca.crt" "$PKI/ec/root.crt" >"$c/ec-chain.pem"
cp "$PKI/crl/ec-citizen-ca.crl" "$c/ec-citizen-ca.crl"
cp "$PKI/crl/rsa-root.crl.pem" "$c/rsa-root.crl.pem"
openssl ocsp -issuer "$PKI/ec/citizen-ca.crt" -cert "$PKI/persons/specimen-1.8/auth.crt" -reqout "$tmp/req.der" -no_nonce >/dev/null
openssl ocsp -index "$PKI/ec/db/citizen-ca.index.txt" -rsigner "$PKI/ec/ocsp-citizen-ca.crt" -rkey "$PKI/ec/ocsp-citizen-ca.key" \
    -CA "$PKI/ec/citizen-ca.crt" -reqin "$tmp/req.der" -respout "$c/ec-ocsp-good.der" -ndays 1 >/dev/null 2>&1
openssl ocsp -issuer "$PKI/ec/citizen-ca.crt" -cert "$PKI/persons/specimen-1.8/auth.crt" -reqout "$tmp/req-nonce.der" >/dev/null
openssl ocsp -index "$PKI/ec/db/citizen-ca.index.txt" -rsigner "$PKI/ec/ocsp-citizen-ca.crt" -rkey "$PKI/ec/ocsp-citizen-ca.key" \
    -CA "$PKI/ec/citizen-ca.crt" -reqin "$tmp/req-nonce.der" -respout "$c/ec-ocsp-nonce.der" -ndays 1 >/dev/null 2>&1

k="$OUT/FuzzPublicKeys"; rm -rf "$k"; mkdir -p "$k"
openssl x509 -in "$PKI/persons/specimen-1.8/auth.crt" -pubkey -noout >"$k/ec-p384-spki.pem"
openssl pkey -pubin -in "$k/ec-p384-spki.pem" -outform DER -out "$k/ec-p384-spki.der"
openssl x509 -in "$PKI/rsa/root.crt" -pubkey -noout >"$k/rsa-spki.pem"
openssl rsa -pubin -in "$k/rsa-spki.pem" -RSAPublicKey_out -out "$k/rsa-pkcs1.pem" 2>/dev/null
ssh-keygen -i -m PKCS8 -f "$k/rsa-spki.pem" >"$k/rsa.pub"
ssh-keygen -i -m PKCS8 -f "$k/ec-p384-spki.pem" >"$k/ec-p384.pub"
cp "$PKI/persons/specimen-1.8/auth.crt" "$k/ec-auth-certificate.pem"

v="$OUT/FuzzKBOCSV"; rm -rf "$v"; mkdir -p "$v"
printf '%s\n' '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate"' \
    '"0441.928.931","AC","000","2","014",,"09-08-1960"' '"0566.988.259","AC","000","2","014",,"01-01-2000"' >"$v/enterprise.csv"
printf '%s\n' '"EstablishmentNumber","StartDate","EnterpriseNumber"' '"2.000.000.339","01-01-2000","0441.928.931"' >"$v/establishment.csv"
printf '%s\n' '"EntityNumber","Language","TypeOfDenomination","Denomination"' '"0441.928.931","2","001","FN HERSTAL, ""NV"""' >"$v/denomination.csv"
printf '\xef\xbb\xbf%s\r\n%s\r\n' '"EnterpriseNumber","Denomination"' '"0314595348","multi
line ""quoted"" name"' >"$v/bom-crlf-multiline.csv"
printf '%s\n' 'person,organisation,role,source,reference,valid_from,valid_until' '85073003328,0566988259,zaakvoerder,feed,x,01-01-2010,' >"$v/representatives.csv"

h="$OUT/FuzzHTTPBodies"; rm -rf "$h"; mkdir -p "$h"
der=$(base64 -w0 "$k/ec-p384-spki.der")
cert=$(base64 -w0 "$c/ec-auth.der")
printf '%s' '{"application":"wex","cardBinding":"534C494E33660013930D29C77F032F16"}' >"$h/eid-challenge.json"
printf '%s' "{\"transactionId\":\"tx-0001\",\"signature\":\"MGQCMA==\",\"certificate\":\"$cert\",\"intermediates\":[]}" >"$h/eid-login.json"
printf '%s' '{"application":"wex","organisation":"0441928931"}' >"$h/session-organisation.json"
printf '%s' "{\"der\":\"$der\",\"policy\":\"bsi\"}" >"$h/keys-check-der.json"
printf '%s' "{\"pem\":$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$k/rsa-spki.pem")}" >"$h/keys-check-pem.json"
printf '%s' 'grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=wex' >"$h/oidc-token.form"
printf '%s' 'response_type=code&client_id=wex&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid+profile&state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256' >"$h/oidc-authorize.query"
printf '%s' 'Basic d2V4OnMlM0FjcmV0' >"$h/basic-header"
du -sh "$OUT"; find "$OUT" -type f | wc -l
