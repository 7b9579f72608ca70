#!/usr/bin/env bash
# Builds the Sleutel TEST PKI under Hardware/test-pki/ with the openssl CLI and checks it
# together with the virtual card profiles in Hardware/cards/*.json.
#
#   Tools/make-test-pki.sh            generate what is missing (nothing if the tree is complete),
#                                     then run all checks
#   Tools/make-test-pki.sh --force    delete and regenerate every key, certificate and CRL
#   Tools/make-test-pki.sh --check    only run the checks
#
# The person certificates are issued from the card profiles: every profile whose
# certificates.auth points at ../test-pki/persons/<profile>/ gets its keys and certificates
# there, issued by the CA named in certificates.ca, with surname/given names/national number
# taken from the profile. Profiles named expired-* get certificates valid 2020-01-01 to
# 2024-01-01; profiles named revoked-* get certificates that are revoked on the CA's CRL.
#
# TEST ONLY. These roots must never be trusted in production. See Hardware/test-pki/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PKI="$REPO/Hardware/test-pki"
CARDS="$REPO/Hardware/cards"
export OPENSSL_CONF="$REPO/Tools/test-pki/openssl.cnf"
CNF="$OPENSSL_CONF"

# Loopback endpoints written into the certificates (documented in Hardware/test-pki/README.md)
OCSP_PORT_RSA=8888          # OCSP responder for the RSA tree: http://127.0.0.1:8888/<ca>
OCSP_PORT_EC=8889           # OCSP responder for the EC tree:  http://127.0.0.1:8889/<ca>
FILES_PORT=8890             # static files rooted at Hardware/test-pki (CRLs, CA certificates)
FILES_URL="http://127.0.0.1:$FILES_PORT"

CA_START=20200101000000Z    # CA certificates: 20 years
CA_END=20400101000000Z
LEAF_START=20250101000000Z  # normal leaf certificates: 10 years
LEAF_END=20350101000000Z
EXPIRED_START=20200101000000Z
EXPIRED_END=20240101000000Z
CRL_DAYS=3650

MODE=generate
case "${1:-}" in
    "") ;;
    --force) MODE=force ;;
    --check) MODE=check ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--force|--check]" >&2; exit 2 ;;
esac

command -v openssl >/dev/null || { echo "make-test-pki: openssl not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "make-test-pki: python3 not found" >&2; exit 1; }

# Run a command quietly; show its output only when it fails.
q() {
    local out
    if ! out=$("$@" 2>&1); then
        echo "make-test-pki: FAILED: $*" >&2
        echo "$out" >&2
        exit 1
    fi
}

# ---------------------------------------------------------------------------------------------
# Profiles -> person list (tab separated):
#   profile tree ca surname given first nn has_sign has_basic
# ---------------------------------------------------------------------------------------------
persons() {
    python3 - "$CARDS" <<'PY'
import json, os, sys, glob
cards = sys.argv[1]
for path in sorted(glob.glob(os.path.join(cards, "*.json"))):
    p = json.load(open(path, encoding="utf-8"))
    c = p["certificates"]
    auth = c.get("auth")
    if not auth:
        continue
    parts = os.path.normpath(auth).split(os.sep)
    if len(parts) < 4 or parts[-4:-2] != ["test-pki", "persons"] or parts[-2] != p["name"]:
        continue
    ca_parts = os.path.normpath(c["ca"]).split(os.sep)
    tree, ca = ca_parts[-2], os.path.splitext(ca_parts[-1])[0]
    i = p["identity"]
    esc = lambda s: s.replace("\\", "\\\\").replace("/", "\\/")
    given = i["givenNames"]
    first = given.split()[0] if given.split() else ""
    print("\t".join([p["name"], tree, ca, esc(i["surname"]), esc(given), esc(first),
                     i["nationalNumber"], "1" if c.get("sign") else "0",
                     "1" if c.get("basicKey") else "0"]))
PY
}

# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------
genkey() { # genkey rsa|ec <bits|-> <out>
    if [ "$1" = rsa ]; then
        q openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$3"
    else
        q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
            -pkeyopt ec_param_enc:named_curve -out "$3"
    fi
}

# pki_env <tree> <issuing-ca> <policy>
pki_env() {
    export PKI_TREE="$1" PKI_TREE_DIR="$PKI/$1" PKI_CA="$2" PKI_POLICY="$3"
    if [ "$1" = rsa ]; then
        export PKI_MD=sha256 PKI_ROOT_PATHLEN="CA:TRUE"
        export PKI_OCSP_URL="http://127.0.0.1:$OCSP_PORT_RSA/$2"
    else
        export PKI_MD=sha384 PKI_ROOT_PATHLEN="CA:TRUE,pathlen:1"
        export PKI_OCSP_URL="http://127.0.0.1:$OCSP_PORT_EC/$2"
    fi
    export PKI_FILES_URL="$FILES_URL"
}

# issue <tree> <issuing-ca> <extensions> <policy> <subject> <key> <out.crt> <start> <end> [selfsign]
issue() {
    local tree=$1 ca=$2 ext=$3 policy=$4 subj=$5 key=$6 out=$7 start=$8 end=$9 self=${10:-}
    local csr="$out.csr"
    pki_env "$tree" "$ca" "$policy"
    q openssl req -new -config "$CNF" -utf8 -key "$key" -subj "$subj" -out "$csr"
    local extra=()
    if [ -n "$self" ]; then extra=(-selfsign -keyfile "$key"); fi
    q openssl ca -batch -config "$CNF" -utf8 -notext -preserveDN -md "$PKI_MD" \
        -extensions "$ext" -startdate "$start" -enddate "$end" -in "$csr" -out "$out" "${extra[@]}"
    rm -f "$csr"
}

init_db() { # init_db <tree> <ca>
    local db="$PKI/$1/db"
    mkdir -p "$db/newcerts"
    : > "$db/$2.index.txt"
    echo "unique_subject = no" > "$db/$2.index.txt.attr"
    echo 01 > "$db/$2.crlnumber"
    [ -f "$db/serial" ] || echo 1000 > "$db/serial"
}

policy_for() { # policy_for <tree> <ca> <auth|sign|rrn>
    local arc
    if [ "$1" = rsa ]; then
        arc=2.16.56.12
        case "$2:$3" in
            *:rrn)            echo "$arc.1.1.4" ;;
            citizen-ca:auth)  echo "$arc.1.1.2.2" ;;
            citizen-ca:sign)  echo "$arc.1.1.2.1" ;;
            foreigner-ca:auth) echo "$arc.1.1.7.2" ;;
            foreigner-ca:sign) echo "$arc.1.1.7.1" ;;
            *) echo "make-test-pki: no policy for $*" >&2; exit 1 ;;
        esac
    else
        arc=2.16.56.13.6
        case "$2:$3" in
            *:rrn)            echo "$arc.0.1" ;;
            citizen-ca:auth)  echo "$arc.1.1.1000" ;;
            citizen-ca:sign)  echo "$arc.1.2.1000" ;;
            foreigner-ca:auth) echo "$arc.2.1.1000" ;;
            foreigner-ca:sign) echo "$arc.2.2.1000" ;;
            *) echo "make-test-pki: no policy for $*" >&2; exit 1 ;;
        esac
    fi
}

build_tree() { # build_tree rsa|ec
    local t=$1 d="$PKI/$1" alg rootbits cabits rootcn
    if [ "$t" = rsa ]; then alg=rsa rootbits=4096 cabits=4096 rootcn="Sleutel TEST Belgium Root CA4"
    else alg=ec rootbits=- cabits=- rootcn="Sleutel TEST Belgium Root CA6"; fi
    echo "make-test-pki: $t tree"
    mkdir -p "$d"
    rm -f "$d/db/serial"
    for ca in root citizen-ca foreigner-ca; do init_db "$t" "$ca"; done

    genkey "$alg" "$rootbits" "$d/root.key"
    issue "$t" root v3_root 2.5.29.32.0 "/C=BE/CN=$rootcn" "$d/root.key" "$d/root.crt" \
        "$CA_START" "$CA_END" selfsign

    genkey "$alg" "$cabits" "$d/citizen-ca.key"
    issue "$t" root v3_intermediate 2.5.29.32.0 "/C=BE/serialNumber=202001/CN=Sleutel TEST Citizen CA" \
        "$d/citizen-ca.key" "$d/citizen-ca.crt" "$CA_START" "$CA_END"
    genkey "$alg" "$cabits" "$d/foreigner-ca.key"
    issue "$t" root v3_intermediate 2.5.29.32.0 "/C=BE/serialNumber=202001/CN=Sleutel TEST Foreigner CA" \
        "$d/foreigner-ca.key" "$d/foreigner-ca.crt" "$CA_START" "$CA_END"

    genkey "$alg" 2048 "$d/rrn.key"
    issue "$t" root v3_rrn "$(policy_for "$t" root rrn)" "/C=BE/O=RRN/OU=TEST/CN=RRN" \
        "$d/rrn.key" "$d/rrn.crt" "$CA_START" "$CA_END"

    # delegated OCSP responder certificates, one per issuing CA
    local ca label
    for ca in root citizen-ca foreigner-ca; do
        case $ca in root) label="Root CA";; citizen-ca) label="Citizen CA";; *) label="Foreigner CA";; esac
        genkey "$alg" 2048 "$d/ocsp-$ca.key"
        issue "$t" "$ca" v3_ocsp 2.5.29.32.0 "/C=BE/O=Sleutel TEST/CN=Sleutel TEST OCSP Responder ($label, $t)" \
            "$d/ocsp-$ca.key" "$d/ocsp-$ca.crt" "$LEAF_START" "$LEAF_END"
    done

    for ca in root citizen-ca foreigner-ca; do
        q openssl x509 -in "$d/$ca.crt" -outform DER -out "$d/$ca.der"
    done
}

build_person() { # build_person profile tree ca surname given first nn has_sign has_basic
    local name=$1 t=$2 ca=$3 sur=$4 given=$5 first=$6 nn=$7 has_sign=$8 has_basic=$9
    local d="$PKI/persons/$name" alg start=$LEAF_START end=$LEAF_END
    [ "$t" = rsa ] && alg=rsa || alg=ec
    case $name in expired-*) start=$EXPIRED_START end=$EXPIRED_END ;; esac
    echo "make-test-pki: person $name ($t/$ca)"
    mkdir -p "$d"
    local base="/C=BE/CN=$first $sur (%s)/SN=$sur/GN=$given/serialNumber=$nn"
    # shellcheck disable=SC2059
    local subj_auth subj_sign
    subj_auth=$(printf "$base" Authentication)
    subj_sign=$(printf "$base" Signature)

    genkey "$alg" 2048 "$d/auth.key"
    issue "$t" "$ca" v3_auth "$(policy_for "$t" "$ca" auth)" "$subj_auth" "$d/auth.key" "$d/auth.crt" "$start" "$end"
    if [ "$has_sign" = 1 ]; then
        genkey "$alg" 2048 "$d/sign.key"
        issue "$t" "$ca" v3_sign "$(policy_for "$t" "$ca" sign)" "$subj_sign" "$d/sign.key" "$d/sign.crt" "$start" "$end"
    fi
    if [ "$has_basic" = 1 ]; then
        genkey ec - "$d/basic.key"
    fi
    case $name in
        revoked-*)
            pki_env "$t" "$ca" 2.5.29.32.0
            q openssl ca -batch -config "$CNF" -revoke "$d/auth.crt" -crl_reason keyCompromise
            if [ "$has_sign" = 1 ]; then
                q openssl ca -batch -config "$CNF" -revoke "$d/sign.crt" -crl_reason keyCompromise
            fi
            ;;
    esac
}

build_crls() {
    mkdir -p "$PKI/crl"
    local t ca
    for t in rsa ec; do
        for ca in root citizen-ca foreigner-ca; do
            pki_env "$t" "$ca" 2.5.29.32.0
            q openssl ca -batch -config "$CNF" -gencrl -crldays "$CRL_DAYS" -md "$PKI_MD" \
                -out "$PKI/crl/$t-$ca.crl.pem"
            q openssl crl -in "$PKI/crl/$t-$ca.crl.pem" -outform DER -out "$PKI/crl/$t-$ca.crl"
        done
        rm -f "$PKI/$t/db/"*.old
    done
}

generate() {
    rm -rf "$PKI/rsa" "$PKI/ec" "$PKI/persons" "$PKI/crl"
    mkdir -p "$PKI"
    build_tree rsa
    build_tree ec
    local line
    while IFS=$'\t' read -r -a f; do
        build_person "${f[@]}"
    done < <(persons)
    build_crls
    echo "make-test-pki: generated under ${PKI#"$REPO/"}"
}

expected_files() {
    local t ca
    for t in rsa ec; do
        for ca in root citizen-ca foreigner-ca rrn; do echo "$PKI/$t/$ca.crt"; echo "$PKI/$t/$ca.key"; done
        for ca in root citizen-ca foreigner-ca; do echo "$PKI/crl/$t-$ca.crl.pem"; echo "$PKI/crl/$t-$ca.crl"; done
    done
    while IFS=$'\t' read -r name _ _ _ _ _ _ has_sign has_basic; do
        echo "$PKI/persons/$name/auth.crt"; echo "$PKI/persons/$name/auth.key"
        if [ "$has_sign" = 1 ]; then echo "$PKI/persons/$name/sign.crt"; echo "$PKI/persons/$name/sign.key"; fi
        if [ "$has_basic" = 1 ]; then echo "$PKI/persons/$name/basic.key"; fi
    done < <(persons)
}

# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
FAILS=0
fail() { echo "make-test-pki: CHECK FAILED: $*" >&2; FAILS=$((FAILS + 1)); }

check_verify() { # check_verify <label> <expect: ok|expired|revoked> <root> <ca-or-empty> <leaf> [crl...]
    local label=$1 expect=$2 root=$3 ca=$4 leaf=$5; shift 5
    local args=(-CAfile "$root") out
    [ -n "$ca" ] && args+=(-untrusted "$ca")
    case $expect in
        ok)
            out=$(openssl verify "${args[@]}" "$leaf" 2>&1) || { fail "$label: $out"; return; } ;;
        expired)
            if out=$(openssl verify "${args[@]}" "$leaf" 2>&1); then fail "$label: expected expiry, verified OK"; return; fi
            grep -q "certificate has expired" <<<"$out" || { fail "$label: unexpected error: $out"; return; }
            # 2022-01-01T00:00:00Z: inside the validity period, everything else must be fine
            out=$(openssl verify -attime 1640995200 "${args[@]}" "$leaf" 2>&1) || { fail "$label (-attime 2022): $out"; return; } ;;
        revoked)
            out=$(openssl verify "${args[@]}" "$leaf" 2>&1) || { fail "$label (without CRL): $out"; return; }
            local crlargs=() c
            for c in "$@"; do crlargs+=(-CRLfile "$c"); done
            if out=$(openssl verify -crl_check_all "${crlargs[@]}" "${args[@]}" "$leaf" 2>&1); then
                fail "$label: expected revoked, verified OK with CRLs"; return
            fi
            grep -q "certificate revoked" <<<"$out" || { fail "$label: unexpected error: $out"; return; } ;;
    esac
    echo "  ok  $label ($expect)"
}

check_keypair() { # check_keypair <crt> <key>
    local a b
    a=$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum)
    b=$(openssl pkey -in "$2" -pubout -outform DER 2>/dev/null | sha256sum)
    [ "$a" = "$b" ] || fail "key $2 does not match $1"
    head -n1 "$2" | grep -q -- "-----BEGIN PRIVATE KEY-----" || fail "$2 is not PKCS#8 PEM"
}

run_checks() {
    echo "make-test-pki: checking profiles"
    python3 - "$CARDS" "$PKI" <<'PY' || FAILS=$((FAILS + 1))
import json, os, re, sys, glob, subprocess
cards, pki = sys.argv[1], sys.argv[2]
errors = []
def err(p, m): errors.append(f"{p}: {m}")

def nn_ok(nn, birth_year):
    """National number YYMMDDSSSCC: CC = 97 - (first 9 digits mod 97), '2' prefixed for births >= 2000."""
    if not re.fullmatch(r"\d{11}", nn): return False
    body = ("2" if birth_year is not None and birth_year >= 2000 else "") + nn[:9]
    return 97 - int(body) % 97 == int(nn[9:])

def card_ok(cn):
    """eID: 12 digits, CC = first 10 digits mod 97. Foreigner: letter + 9 digits, CC = the 7 digits mod 97."""
    m = re.fullmatch(r"(\d{10})(\d{2})", cn) or re.fullmatch(r"[A-Z](\d{7})(\d{2})", cn)
    return bool(m) and int(m.group(1)) % 97 == int(m.group(2))

# self-test of the helpers with the spec's examples (§3.2, §3.6)
assert nn_ok("71715100070", 1971)
assert card_ok("B021329690") and not card_ok("592000000170")

KEYS = ["name", "description", "applet", "pin", "pinTriesLeft", "chipSerial", "identity", "address", "photo", "certificates"]
IKEYS = ["cardNumber", "validityBegin", "validityEnd", "deliveryMunicipality", "nationalNumber", "surname",
         "givenNames", "thirdInitial", "nationality", "birthLocation", "birthDate", "sex", "nobleCondition",
         "documentType", "specialStatus", "extraTags"]
CKEYS = ["auth", "authKey", "sign", "signKey", "ca", "root", "rrn", "rrnKey", "basicKey"]
files = sorted(glob.glob(os.path.join(cards, "*.json")))
if not files: err(cards, "no profiles")
for path in files:
    n = os.path.basename(path)
    try:
        p = json.load(open(path, encoding="utf-8"))
    except Exception as e:
        err(n, f"JSON: {e}"); continue
    before = len(errors)
    for k in KEYS:
        if k not in p: err(n, f"missing {k}")
    if len(errors) > before: continue
    i, a, c = p["identity"], p["address"], p["certificates"]
    for k in IKEYS:
        if k not in i: err(n, f"identity.{k} missing")
    for k in ["streetAndNumber", "zip", "municipality"]:
        if k not in a: err(n, f"address.{k} missing")
    for k in CKEYS:
        if k not in c: err(n, f"certificates.{k} missing")
    if len(errors) > before: continue
    if p["name"] + ".json" != n: err(n, "name does not match file name")
    if p["applet"] not in ("1.7", "1.8"): err(n, "applet")
    if p["applet"] == "1.7" and p.get("photoHash") not in ("sha1", "sha256"): err(n, "photoHash")
    if p["applet"] == "1.8" and p.get("photoHash") not in (None, "sha384"): err(n, "photoHash on 1.8")
    if (p["applet"] == "1.8") != (c["basicKey"] is not None): err(n, "basicKey iff applet 1.8")
    if not re.fullmatch(r"\d{4,8}", p["pin"]): err(n, "pin")
    if p["pinTriesLeft"] not in (0, 1, 2, 3): err(n, "pinTriesLeft")
    if not re.fullmatch(r"[0-9A-F]{32}", p["chipSerial"]): err(n, "chipSerial")
    for k in ("validityBegin", "validityEnd"):
        if not re.fullmatch(r"\d\d\.\d\d\.\d{4}", i[k]): err(n, k)
    m = re.search(r"(\d{4})$", i["birthDate"])
    year = int(m.group(1)) if m else None
    if not nn_ok(i["nationalNumber"], year): err(n, f"national number {i['nationalNumber']} check digits")
    sss = int(i["nationalNumber"][6:9])
    if (sss % 2 == 1) != (i["sex"] == "M"): err(n, "sex does not match the national number sequence parity")
    if not card_ok(i["cardNumber"]): err(n, f"card number {i['cardNumber']} check digits")
    if not re.fullmatch(r"\d{1,2}", i["documentType"]): err(n, "documentType")
    for t, v in i["extraTags"].items():
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", t) or not re.fullmatch(r"([0-9A-Fa-f]{2})*", v): err(n, f"extraTags {t}")
    for k, v in [("thirdInitial", 3), ("surname", 110), ("givenNames", 95)]:
        if len(i[k].encode()) > v: err(n, f"{k} too long")
    base = os.path.dirname(path)
    photo = os.path.join(base, p["photo"])
    if not os.path.isfile(photo): err(n, f"photo {p['photo']} missing")
    else:
        b = open(photo, "rb").read()
        if b[:2] != b"\xff\xd8" or b[-2:] != b"\xff\xd9": err(n, "photo is not a JPEG")
    for k in CKEYS:
        if c[k] is not None and not os.path.isfile(os.path.join(base, c[k])): err(n, f"certificates.{k} {c[k]} missing")
    if c["auth"] is None or c["authKey"] is None or c["ca"] is None or c["root"] is None or c["rrn"] is None or c["rrnKey"] is None:
        err(n, "auth/ca/root/rrn are required"); continue
    if (c["sign"] is None) != (c["signKey"] is None): err(n, "sign and signKey must both be set or both null")
    tree = os.path.basename(os.path.dirname(os.path.normpath(c["ca"])))
    if tree != ("rsa" if p["applet"] == "1.7" else "ec"): err(n, f"applet {p['applet']} uses the {tree} tree")
    foreign = os.path.basename(c["ca"]).startswith("foreigner")
    if foreign != (int(i["documentType"]) >= 11): err(n, "Foreigner CA iff foreigner document type")
    # certificate subjects carry the profile's identity
    for k, role in (("auth", "Authentication"), ("sign", "Signature")):
        if c[k] is None or not os.path.isfile(os.path.join(base, c[k])): continue
        subj = subprocess.run(["openssl", "x509", "-in", os.path.join(base, c[k]), "-noout", "-subject",
                               "-nameopt", "RFC2253,-esc_msb,utf8,sname"], capture_output=True, text=True).stdout
        for want in (f"serialNumber={i['nationalNumber']}", f"SN={i['surname']}", f"GN={i['givenNames']}", f"({role})"):
            if want not in subj: err(n, f"{k} subject lacks {want!r}: {subj.strip()}")
    if len(errors) == before: print(f"  ok  {n}: NN {i['nationalNumber']}, card {i['cardNumber']}")
for e in errors: print("make-test-pki: CHECK FAILED: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

    echo "make-test-pki: checking certificates"
    local t ca
    for t in rsa ec; do
        local d="$PKI/$t"
        check_verify "$t/root" ok "$d/root.crt" "" "$d/root.crt"
        for ca in citizen-ca foreigner-ca rrn ocsp-root; do
            check_verify "$t/$ca" ok "$d/root.crt" "" "$d/$ca.crt"
        done
        for ca in citizen-ca foreigner-ca; do
            check_verify "$t/ocsp-$ca" ok "$d/root.crt" "$d/$ca.crt" "$d/ocsp-$ca.crt"
        done
        for ca in root citizen-ca foreigner-ca rrn ocsp-root ocsp-citizen-ca ocsp-foreigner-ca; do
            check_keypair "$d/$ca.crt" "$d/$ca.key"
            if openssl x509 -in "$d/$ca.crt" -noout -subject -issuer -nameopt RFC2253 | grep -qv TEST; then
                fail "$t/$ca: subject or issuer without TEST"
            fi
        done
    done
    local name tree ca_ sur given first nn has_sign has_basic expect
    while IFS=$'\t' read -r name tree ca_ sur given first nn has_sign has_basic; do
        local d="$PKI/persons/$name" r="$PKI/$tree/root.crt" i="$PKI/$tree/$ca_.crt"
        case $name in expired-*) expect=expired ;; revoked-*) expect=revoked ;; *) expect=ok ;; esac
        local crls=("$PKI/crl/$tree-root.crl.pem" "$PKI/crl/$tree-$ca_.crl.pem")
        check_verify "$name/auth" "$expect" "$r" "$i" "$d/auth.crt" "${crls[@]}"
        check_keypair "$d/auth.crt" "$d/auth.key"
        if [ "$has_sign" = 1 ]; then
            check_verify "$name/sign" "$expect" "$r" "$i" "$d/sign.crt" "${crls[@]}"
            check_keypair "$d/sign.crt" "$d/sign.key"
        else
            [ ! -e "$d/sign.crt" ] || fail "$name: has sign.crt but the profile has no signature certificate"
        fi
        if [ "$has_basic" = 1 ]; then
            openssl pkey -in "$d/basic.key" -noout -text 2>/dev/null | grep -q "NIST CURVE: P-384" \
                || fail "$name: basic.key is not P-384"
        fi
        # non-revoked certificates must verify against the CRLs too
        if [ "$expect" = ok ]; then
            openssl verify -crl_check_all -CRLfile "${crls[0]}" -CRLfile "${crls[1]}" -CAfile "$r" -untrusted "$i" \
                "$d/auth.crt" >/dev/null 2>&1 || fail "$name/auth: fails with CRL checking"
        fi
    done < <(persons)
    # the CRLs are signed by their CA
    for t in rsa ec; do
        for ca in root citizen-ca foreigner-ca; do
            openssl crl -in "$PKI/crl/$t-$ca.crl.pem" -noout -verify -CAfile \
                <(cat "$PKI/$t/root.crt" "$PKI/$t/$ca.crt") 2>&1 | grep -q "verify OK" \
                || fail "crl/$t-$ca.crl.pem does not verify"
        done
    done
    if [ "$FAILS" -ne 0 ]; then
        echo "make-test-pki: $FAILS check(s) FAILED" >&2
        exit 1
    fi
    echo "make-test-pki: all checks passed"
}

# ---------------------------------------------------------------------------------------------
case $MODE in
    force) generate ;;
    generate)
        missing=0 present=0
        while read -r f; do
            if [ -e "$f" ]; then present=$((present + 1)); else missing=$((missing + 1)); fi
        done < <(expected_files)
        if [ "$missing" -eq 0 ]; then
            echo "make-test-pki: test PKI complete (use --force to regenerate)"
        elif [ "$present" -eq 0 ] || [ ! -e "$PKI/rsa/root.crt" ] || [ ! -e "$PKI/ec/root.crt" ]; then
            generate
        else
            echo "make-test-pki: $missing file(s) missing from an existing test PKI (a profile was added?);" \
                 "re-run with --force to regenerate everything" >&2
            exit 1
        fi
        ;;
    check) ;;
esac
run_checks
