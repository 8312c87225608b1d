#!/bin/sh
# Serves the bundle's functions under lighttpd's mod_cgi, without the invoker.
#
#   examples/lighttpd/setup.sh DIR ENV_FILE      # writes DIR/docroot and DIR/lighttpd.conf
#   lighttpd -D -f DIR/lighttpd.conf             # listens on $PORT (default 8080) of $BIND (127.0.0.1)
#   ./invoke check --public-url https://your.host    # through your https proxy / tunnel
#
# ENV_FILE holds the functions' configuration, one NAME=value per line (# comments and blank lines
# are skipped; no quoting): ZENDESK_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN, ZENDESK_WEBHOOK_SECRET,
# KLAVIYO_API_KEY, PUBLIC_URL, … (README, Configuration). Secrets may be given as NAME_FILE=path.
# BUNDLE_BIN names the directory of the built executables (default: this repository's
# .build/release, built by ./invoke).
#
# Each route of functions.json becomes a file of the document root, a link to its executable, and
# lighttpd runs every file as a CGI/1.1 program. /zendesk/tickets is a pipeline in the invoker
# (brand-filter | ticket-metrics); a CGI server runs one program per request, so it serves
# ticket-metrics alone (select brands in the Zendesk webhook's trigger or event filter instead).
# /healthz answers 200 for `./invoke check` and load balancers.
set -eu

if [ $# -ne 2 ]; then
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
fi
dir=$1
env_file=$2
here=$(cd "$(dirname "$0")" && pwd)
bin=${BUNDLE_BIN:-$here/../../.build/release}
bin=$(cd "$bin" && pwd)
port=${PORT:-8080}
bind=${BIND:-127.0.0.1}

[ -r "$env_file" ] || { echo "setup.sh: cannot read $env_file" >&2; exit 66; }
for f in sms-inbound agent-reply ticket-metrics survey-dispatch; do
    [ -x "$bin/$f" ] || { echo "setup.sh: $bin/$f is missing; run ./invoke test or swift build -c release first" >&2; exit 69; }
done

mkdir -p "$dir/docroot/zendesk" "$dir/docroot/sms" "$dir/docroot/klaviyo" "$dir/docroot/survey"
root=$(cd "$dir" && pwd)
link() { ln -sfn "$bin/$1" "$root/docroot/$2"; }
link ticket-metrics  zendesk/tickets
link agent-reply     zendesk/comments
link sms-inbound     sms/inbound
link agent-reply     sms/status
link sms-inbound     klaviyo/webhooks
link survey-dispatch survey/dispatch
cat > "$root/docroot/healthz" <<'HEALTH'
#!/bin/sh
printf 'Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{"status":"ok"}\n'
HEALTH
chmod 755 "$root/docroot/healthz"

# lighttpd's setenv takes "NAME" => "value" pairs; values are written with " and \ escaped.
environment=$(grep -v '^[[:space:]]*#' "$env_file" | grep '=' | while IFS= read -r line; do
    name=${line%%=*}
    value=$(printf '%s' "${line#*=}" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf '    "%s" => "%s",\n' "$name" "$value"
done)

cat > "$root/lighttpd.conf" <<CONF
# Written by examples/lighttpd/setup.sh; run: lighttpd -D -f $root/lighttpd.conf
server.document-root = "$root/docroot"
server.bind = "$bind"
server.port = $port
server.modules = ("mod_setenv", "mod_cgi")
server.errorlog = "$root/error.log"
server.upload-dirs = ("$root")
# Every file of the document root is run directly as a CGI program.
cgi.assign = ("" => "")
# Zendesk waits about 10 s for a webhook's answer; a function's own budget is 8 s.
server.max-read-idle = 15
setenv.add-environment = (
$environment
)
CONF
echo "wrote $root/lighttpd.conf and $root/docroot; start it with: lighttpd -D -f $root/lighttpd.conf"
