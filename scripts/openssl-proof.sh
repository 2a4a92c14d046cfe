#!/bin/sh
# A WipeCert proof with nothing but openssl (3.0 or later), curl and a POSIX shell
# (handbook: Erasure agents → Proofs from the OpenSSL command line).
#
#   openssl-proof.sh enrol   DIR    key + CSR (openssl req), enrol with a token, fetch the certificates
#   openssl-proof.sh report  DIR    DIR/report.json from the DEVICE_*, METHOD, … variables below
#   openssl-proof.sh sign    DIR    openssl cms -sign -md sha256 … -outform DER   → DIR/signed.der
#   openssl-proof.sh encrypt DIR    openssl cms -encrypt -aes-256-gcm … -outform DER → DIR/proof.der
#   openssl-proof.sh submit  DIR [FILE]            POST /api/v1/proofs with a service-account token
#   openssl-proof.sh status  DIR [ID] [SECONDS]    the proof's status (waiting up to SECONDS for a decision)
#   openssl-proof.sh all     DIR    report, sign, encrypt, submit, status 120
#
# Settings (environment):
#   WIPECERT_URL            the instance, e.g. https://wipecert.example.com
#   WIPECERT_ENROL_TOKEN    enrol: the single-use token from Agents → Enrol an agent
#   WIPECERT_CLIENT_ID, WIPECERT_CLIENT_SECRET
#                           submit/status: a service account (OAuth 2.0 client credentials)
#   WIPECERT_TOKEN_URL      its token endpoint (default: the dev realm, $WIPECERT_URL/realms/dev/protocol/openid-connect/token)
#   STATION_NAME            enrol: the station's name in the certificate (default: hostname)
# The report (erasure report schema v1; see the handbook's proof format page):
#   DEVICE_TYPE DEVICE_MANUFACTURER DEVICE_MODEL DEVICE_SERIAL DEVICE_CAPACITY_BYTES DEVICE_INTERFACE [DEVICE_FIRMWARE]
#   METHOD (Clear) TECHNIQUE (overwrite) PASSES (1) [PATTERN] STANDARD (NIST SP 800-88 Rev. 2) TOOL_NAME TOOL_VERSION
#   VERIFICATION (full|sample|none) [SAMPLE_PERCENT] VERIFICATION_RESULT (passed|failed|not_performed)
#   RESULT (erased|erased_with_warnings|failed) [WARNING_CODE WARNING_MESSAGE]
#   STARTED_AT ENDED_AT (RFC 3339, e.g. 2026-05-28T07:55:45Z) OPERATOR_NAME SITE [COUNTRY] [HOST_NAME] [ASSET_TAG]
#   ERASURE_LOG (the erasure tool's log file: its SHA-256 goes into the report)
set -eu

die() {
	echo "openssl-proof: $*" >&2
	exit 1
}
need() {
	eval "v=\${$1-}"
	[ -n "$v" ] || die "set $1"
}

# A JSON string: backslash and quote escaped; control characters refused (a report is one-line values).
jstr() {
	if printf '%s' "$1" | LC_ALL=C grep -q '[[:cntrl:]]'; then die "a value holds a control character: $1"; fi
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}
jint() {
	case "$1" in '' | *[!0-9]*) die "not a whole number: '$1'" ;; esac
	printf '%s' "$1"
}
# "key": value pairs; an empty value leaves the pair out (optional fields)
opt() { [ -z "$2" ] || printf ',"%s":%s' "$1" "$(jstr "$2")"; }

# A random UUID (RFC 9562 version 4) from openssl's generator.
uuid4() {
	h=$(openssl rand -hex 16)
	case $(printf '%s' "$h" | cut -c17) in [048c]) v=8 ;; [159d]) v=9 ;; [26ae]) v=a ;; *) v=b ;; esac
	printf '%s-%s-4%s-%s%s-%s' "$(printf '%s' "$h" | cut -c1-8)" "$(printf '%s' "$h" | cut -c9-12)" "$(printf '%s' "$h" | cut -c14-16)" "$v" "$(printf '%s' "$h" | cut -c18-20)" "$(printf '%s' "$h" | cut -c21-32)"
}

# The value of a top-level JSON string field (enough for the few answers read here: ids, codes, tokens).
jfield() { sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }

token() {
	need WIPECERT_URL
	need WIPECERT_CLIENT_ID
	need WIPECERT_CLIENT_SECRET
	url=${WIPECERT_TOKEN_URL:-$WIPECERT_URL/realms/dev/protocol/openid-connect/token}
	answer=$(curl -sS --fail-with-body -u "$WIPECERT_CLIENT_ID:$WIPECERT_CLIENT_SECRET" -d grant_type=client_credentials "$url") || die "token endpoint: $answer"
	t=$(printf '%s' "$answer" | jfield access_token)
	[ -n "$t" ] || die "no access_token in the token endpoint's answer"
	printf '%s' "$t"
}

enrol() {
	need WIPECERT_URL
	need WIPECERT_ENROL_TOKEN
	mkdir -p "$dir"
	umask 077
	# 1. the station's own P-256 key; WipeCert never sees it
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/station.key"
	# 2. a PKCS#10 request for it, signed with it (ecdsa-with-SHA256)
	openssl req -new -key "$dir/station.key" -sha256 -subj "/CN=${STATION_NAME:-$(hostname)}" -out "$dir/station.csr"
	# 3. enrol: the CSR as JSON, the answer as PEM (agent certificate, then its CA chain)
	awk 'BEGIN { printf "{\"csr\":\"" } { printf "%s\\n", $0 } END { printf "\"}" }' "$dir/station.csr" >"$dir/enrol.json"
	curl -sS --fail-with-body -H "Authorization: Bearer $WIPECERT_ENROL_TOKEN" -H 'Content-Type: application/json' \
		-H 'Accept: application/pem-certificate-chain' --data-binary @"$dir/enrol.json" -o "$dir/chain.pem" "$WIPECERT_URL/ingest/v1/enrolments" ||
		die "enrolment refused: $(cat "$dir/chain.pem")"
	awk '{ print } /-----END CERTIFICATE-----/ { exit }' "$dir/chain.pem" >"$dir/station.crt"
	awk 'seen { print } /-----END CERTIFICATE-----/ { seen = 1 }' "$dir/chain.pem" >"$dir/ca.pem"
	openssl verify -CAfile "$dir/ca.pem" "$dir/station.crt" >/dev/null || die "the agent certificate does not verify against the chain it came with"
	# 4. the certificate proofs are encrypted to
	curl -sS --fail-with-body -o "$dir/proof-encryption.crt" "$WIPECERT_URL/api/v1/public/keys/proof-encryption" || die "cannot fetch the proof-encryption certificate"
	openssl x509 -in "$dir/proof-encryption.crt" -noout -subject >/dev/null || die "the proof-encryption certificate is not a certificate"
	echo "enrolled: $(openssl x509 -in "$dir/station.crt" -noout -subject -serial | tr '\n' ' ')"
}

report() {
	for v in DEVICE_TYPE DEVICE_MANUFACTURER DEVICE_MODEL DEVICE_SERIAL DEVICE_CAPACITY_BYTES DEVICE_INTERFACE TOOL_NAME TOOL_VERSION STARTED_AT ENDED_AT OPERATOR_NAME SITE ERASURE_LOG; do need "$v"; done
	[ -r "$ERASURE_LOG" ] || die "cannot read ERASURE_LOG $ERASURE_LOG"
	log_sha256=$(openssl dgst -sha256 -r "$ERASURE_LOG" | cut -d' ' -f1)
	verification=${VERIFICATION:-full}
	case $verification in full) sample=${SAMPLE_PERCENT:-100} ;; none) sample=${SAMPLE_PERCENT:-0} ;; *) sample=${SAMPLE_PERCENT:-10} ;; esac
	result=${RESULT:-erased}
	warnings='[]'
	if [ -n "${WARNING_CODE-}" ]; then warnings="[{\"code\":$(jstr "$WARNING_CODE"),\"message\":$(jstr "${WARNING_MESSAGE:-$WARNING_CODE}")}]"; fi
	mkdir -p "$dir"
	{
		printf '{"schemaVersion":1,"reportId":"%s"' "$(uuid4)"
		printf ',"device":{"type":%s,"manufacturer":%s,"model":%s,"serial":%s,"capacityBytes":%s,"interface":%s%s}' \
			"$(jstr "$DEVICE_TYPE")" "$(jstr "$DEVICE_MANUFACTURER")" "$(jstr "$DEVICE_MODEL")" "$(jstr "$DEVICE_SERIAL")" "$(jint "$DEVICE_CAPACITY_BYTES")" "$(jstr "$DEVICE_INTERFACE")" "$(opt firmware "${DEVICE_FIRMWARE-}")"
		printf ',"sanitisation":{"method":%s,"technique":%s,"passes":%s%s,"standard":%s,"tool":{"name":%s,"version":%s}}' \
			"$(jstr "${METHOD:-Clear}")" "$(jstr "${TECHNIQUE:-overwrite}")" "$(jint "${PASSES:-1}")" "$(opt pattern "${PATTERN-}")" "$(jstr "${STANDARD:-NIST SP 800-88 Rev. 2}")" "$(jstr "$TOOL_NAME")" "$(jstr "$TOOL_VERSION")"
		printf ',"verification":{"method":%s,"samplePercent":%s,"result":%s}' "$(jstr "$verification")" "$(jint "$sample")" "$(jstr "${VERIFICATION_RESULT:-passed}")"
		printf ',"result":{"status":%s,"warnings":%s}' "$(jstr "$result")" "$warnings"
		printf ',"startedAt":%s,"endedAt":%s' "$(jstr "$STARTED_AT")" "$(jstr "$ENDED_AT")"
		printf ',"operator":{"name":%s},"location":{"site":%s%s}' "$(jstr "$OPERATOR_NAME")" "$(jstr "$SITE")" "$(opt country "${COUNTRY-}")"
		printf '%s,"host":{"hostname":%s}' "$(opt assetTag "${ASSET_TAG-}")" "$(jstr "${HOST_NAME:-$(hostname)}")"
		printf ',"agent":{"software":"WipeCert OpenSSL recipe","version":"1"},"erasureLogSha256":"%s"}' "$log_sha256"
	} >"$dir/report.json"
	echo "report: $dir/report.json"
}

sign() {
	[ -r "$dir/station.key" ] || die "enrol first ($dir/station.key is missing)"
	# -nodetach: the report travels inside the signature; -binary: no MIME line-ending conversion
	openssl cms -sign -binary -nodetach -md sha256 -in "$dir/report.json" -signer "$dir/station.crt" -inkey "$dir/station.key" -outform DER -out "$dir/signed.der"
	echo "signed: $dir/signed.der"
}

encrypt() {
	# RFC 5083 AuthEnvelopedData, AES-256-GCM (RFC 5084); the key wrapped with RSAES-OAEP SHA-256:
	# without the -keyopt options openssl uses PKCS #1 v1.5, which WipeCert refuses
	openssl cms -encrypt -binary -aes-256-gcm -in "$dir/signed.der" -recip "$dir/proof-encryption.crt" \
		-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256 -outform DER -out "$dir/proof.der"
	echo "encrypted: $dir/proof.der"
}

submit() {
	file=${1:-$dir/proof.der}
	t=$(token)
	answer=$(curl -sS --fail-with-body -H "Authorization: Bearer $t" -H 'Content-Type: application/pkcs7-mime' \
		-H "X-Filename: $(basename "$file")" -H "Idempotency-Key: $(uuid4)" --data-binary @"$file" "$WIPECERT_URL/api/v1/proofs") || die "submission refused: $answer"
	id=$(printf '%s' "$answer" | jfield publicId)
	[ -n "$id" ] || die "no publicId in the answer: $answer"
	printf '%s\n' "$id" >"$dir/proof.id"
	echo "$id"
}

status() {
	id=${1:-$(cat "$dir/proof.id")}
	wait=${2:-0}
	t=$(token)
	end=$(($(date +%s) + wait))
	while :; do
		answer=$(curl -sS --fail-with-body -H "Authorization: Bearer $t" "$WIPECERT_URL/api/v1/proofs/$id") || die "status: $answer"
		s=$(printf '%s' "$answer" | jfield status)
		case $s in CERTIFIED* | REJECTED) break ;; esac
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 1
	done
	code=$(printf '%s' "$answer" | jfield rejectionCode)
	cert=$(printf '%s' "$answer" | jfield certificateId)
	echo "$id $s${code:+ $code}${cert:+ certificate $cert}"
	case $s in REJECTED) return 3 ;; esac
}

[ $# -ge 2 ] || {
	sed -n '2,12p' "$0" >&2
	exit 2
}
command=$1
dir=$2
shift 2
case $command in
enrol) enrol ;;
report) report ;;
sign) sign ;;
encrypt) encrypt ;;
submit) submit "$@" ;;
status) status "$@" ;;
all)
	report
	sign
	encrypt
	submit >/dev/null
	status "" 120
	;;
*) die "unknown command $command (enrol, report, sign, encrypt, submit, status, all)" ;;
esac
