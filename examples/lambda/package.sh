#!/bin/sh
# Packages each function as an AWS Lambda custom runtime (provided.al2023): one zip per function
# holding the static executable as `bootstrap`, then prints the commands that deploy it behind a
# Function URL. `./invoke package lambda [--out DIR]` runs this after building.
#
#   examples/lambda/package.sh BIN_DIR OUT_DIR
#
# The functions load libcurl (libcurl.so.4) and OpenSSL's libcrypto (libcrypto.so.3) when they
# first need them; Amazon Linux 2023 ships both (curl-minimal, openssl-libs).
set -eu
[ $# -eq 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
bin=$1
out=$2
mkdir -p "$out"
functions="ticket-metrics brand-filter sms-inbound agent-reply survey-dispatch"
for f in $functions; do
    [ -x "$bin/$f" ] || { echo "package: $bin/$f is missing; build first (swift build -c release)" >&2; exit 69; }
    python3 - "$bin/$f" "$out/$f.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = (0o100755 << 16)  # a regular file, executable: Lambda runs it as is
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, open(src, "rb").read())
PY
    echo "package: wrote $out/$f.zip"
done
cat <<TEXT

Deploy each function (replace ROLE_ARN; put the configuration of README "Configuration" in Variables):
TEXT
for f in $functions; do
    cat <<TEXT
  aws lambda create-function --function-name $f --runtime provided.al2023 --architectures x86_64 \\
      --handler bootstrap --timeout 10 --memory-size 256 --role ROLE_ARN --zip-file fileb://$out/$f.zip \\
      --environment 'Variables={ZENDESK_URL=https://SUBDOMAIN.zendesk.com,...}'
  aws lambda create-function-url-config --function-name $f --auth-type NONE
TEXT
done
cat <<TEXT

Then point each webhook at its function's URL: the functions verify Zendesk, Twilio and Klaviyo
signatures themselves (set PUBLIC_URL to the Function URL for Twilio's). A Function URL has no
spool: Twilio's inbound texts are not re-delivered on failure, so /sms/inbound is better behind the
invoker's spooled route when that matters.
TEXT
