#!/usr/bin/env bash
# A relay cluster on this machine, every part real and bound to 127.0.0.1 only:
#   a throwaway PostgreSQL server (scripts/postgres.sh) with a fresh database `attendance`,
#   platform-sim (the platform, sn 1388186),
#   two relays (relay-a, relay-b) on that database, each with [store] url and [cluster] set,
#   HAProxy in front (Debian's /usr/sbin/haproxy, installed with apt-get when missing):
#   WebSocket-capable (`timeout tunnel`), a relay taken out of rotation when /healthz fails.
# It prints the load balancer's URL, the demo's credentials and what to try, then shows which
# relay holds the sn whenever that changes; Enter starts a killed relay again. Ctrl-C (or any
# exit) stops everything it started and removes its work directory (KEEP=1 keeps it).
#
#   ./scripts/cluster-demo.sh           build, start, print, watch
#   ./scripts/cluster-demo.sh --check   start, then check it end to end and stop: the phone page
#                                       and both relays' /healthz through HAProxy, sign-ins
#                                       through HAProxy (C_AUTH at one relay, C_SIGN_IN at the
#                                       other), the sn's holder SIGKILLed, the survivor taking
#                                       the sn and accepting a sign-in, one platform session at
#                                       a time, the killed relay started again
#
# Knobs (environment): LEASE_SECS (10: [cluster] lease_secs), LB_PORT (8080, or a free port
# when taken), NO_BUILD (set: use the binaries as built), CARGO_TARGET_DIR, RELAY_LOG (info),
# PHOTO_CHECK ([photo] check; "refuse" by default, "flag" under --check, whose photo has no
# face), KEEP (set: keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

CHECK=""
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac

LEASE_SECS=${LEASE_SECS:-10}
PLATFORM_SN=1388186
PERSON_ID=4508004291609636864
SITE_CENTER_LNG=120.2110
SITE_CENTER_LAT=30.2090
if [ -n "$CHECK" ]; then PHOTO_CHECK=${PHOTO_CHECK:-flag}; else PHOTO_CHECK=${PHOTO_CHECK:-refuse}; fi

say() { printf '%s\n' "$*" >&2; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
random_hex() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }

# --- What it needs -------------------------------------------------------------------------
scripts/postgres.sh install
HAPROXY=/usr/sbin/haproxy
if [ ! -x "$HAPROXY" ]; then
  say "HAProxy is missing; installing Debian's haproxy with apt-get"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq haproxy >/dev/null
fi
BIN="${CARGO_TARGET_DIR:-target}/release"
if [ -z "${NO_BUILD:-}" ]; then
  say "building relay and platform-sim (release)"
  cargo build --locked --release --bin relay --bin platform-sim >&2
fi
for binary in relay platform-sim; do
  [ -x "$BIN/$binary" ] || { say "$BIN/$binary is missing (unset NO_BUILD to build it)"; exit 1; }
done
PSQL=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)

# --- Start and stop ------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zj-cluster-demo.XXXXXX")
# mktemp's mode 0700 would keep the server's user (postgres, when run as root) out.
chmod 711 "$WORK"
PG_DIR="$WORK/postgres"
declare -A PID=()
cleanup() {
  local name
  trap - EXIT INT TERM
  for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
  for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
  # pg_ctl detaches the server: stop it once the relays using it are gone.
  scripts/postgres.sh stop "$PG_DIR" >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# first_line FILE PID: the first line a child writes to FILE (waits up to 30 s).
first_line() {
  local i
  for i in $(seq 300); do
    if [ -s "$1" ]; then head -n 1 "$1"; return; fi
    kill -0 "$2" 2>/dev/null || { say "process $2 exited; its log:"; cat "${1%.out}.err" >&2; exit 1; }
    sleep 0.1
  done
  say "nothing on $1 after 30 s"; exit 1
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# PostgreSQL and the database the relays share.
eval "$(scripts/postgres.sh start "$PG_DIR")"
"$PSQL" -q "$ZJ_TEST_POSTGRES_URL" -c 'CREATE DATABASE attendance'
STORE_URL="${ZJ_TEST_POSTGRES_URL%/*}/attendance"

# Secrets, in files only this user reads: the vendor's (every relay and the simulator share
# it), the manager API token, the demo phone's.
umask 077
VENDOR_SECRET=$(random_hex)
printf '%s' "$VENDOR_SECRET" >"$WORK/vendor-secret"
MANAGER_TOKEN=$(random_hex)
printf '%s' "$MANAGER_TOKEN" >"$WORK/manager-token"
PHONE_ID="phone-$(random_hex | cut -c1-12)"
PHONE_KEY=$(random_hex)
PHONE_SECRET=$(random_hex)
umask 022

# The platform simulator, with the demo worker on its roster and a T_SEND_PERSON task for the
# sn (the sn's lease holder runs it).
PLATFORM_SIM_ACCESS_SECRET=$VENDOR_SECRET RUST_LOG=warn "$BIN/platform-sim" \
  --tcp 127.0.0.1:0 --http 127.0.0.1:0 --access-id demo-vendor --access-key demo-key \
  --sn "$PLATFORM_SN" >"$WORK/sim.out" 2>"$WORK/sim.err" &
PID[sim]=$!
line=$(first_line "$WORK/sim.out" "${PID[sim]}")
SIM_TCP=$(json_field tcp <<<"$line")
SIM_HTTP=$(json_field http <<<"$line")
curl -sf -X POST "http://$SIM_HTTP/sim/persons" \
  -d "[{\"personId\":\"$PERSON_ID\",\"name\":\"张三\",\"idcardNo\":\"330106199001011234\"}]" >/dev/null
curl -sf -X POST "http://$SIM_HTTP/sim/tasks" \
  -d "{\"sn\":\"$PLATFORM_SN\",\"apicode\":\"T_SEND_PERSON\",\"personIds\":[\"$PERSON_ID\"]}" >/dev/null

# The two relays: same store, same vendor secret, same phones; their own id, port and data dir.
declare -A PORT=()
for name in relay-a relay-b; do
  PORT[$name]=$(free_port)
  mkdir -p "$WORK/$name"
  cat >"$WORK/$name/relay.toml" <<EOF
listen = "127.0.0.1:${PORT[$name]}"
data_dir = "$WORK/$name/data"

[store]
url = "$STORE_URL"

[cluster]
relay_id = "$name"
lease_secs = $LEASE_SECS
advertise_url = "http://127.0.0.1:${PORT[$name]}"

[platform]
tcp = "$SIM_TCP"
http = "http://$SIM_HTTP/api/device"
access_id = "demo-vendor"
access_key = "demo-key"
access_secret_file = "$WORK/vendor-secret"
sns = ["$PLATFORM_SN"]

[[phones]]
sn = "PHONE-DEMO-0001"
access_id = "$PHONE_ID"
access_key = "$PHONE_KEY"
access_secret = "$PHONE_SECRET"
platform_sn = "$PLATFORM_SN"

[manager]
token_file = "$WORK/manager-token"

[http]
trusted_proxies = ["127.0.0.1/32"]

[photo]
check = "$PHOTO_CHECK"
EOF
done

# start_relay NAME: starts it (again) in the background, waits for its address line.
start_relay() {
  local name=$1
  : >"$WORK/$name/relay.out"
  RUST_LOG=${RELAY_LOG:-info} "$BIN/relay" serve --config "$WORK/$name/relay.toml" \
    >"$WORK/$name/relay.out" 2>>"$WORK/$name/relay.err" &
  PID[$name]=$!
  first_line "$WORK/$name/relay.out" "${PID[$name]}" >/dev/null
}
# One at a time: the first applies the schema (the second would wait on its advisory lock).
start_relay relay-a
start_relay relay-b

# HAProxy: round robin over both relays, each checked on /healthz every second (out after 2
# failures, 503 included: the store not answering), WebSocket links kept for an hour of
# silence (`timeout tunnel`; the relay closes idle links sooner), a request whose relay refuses
# the connection sent to the other one (`option redispatch`, `retries`).
LB_PORT=${LB_PORT:-8080}
port_free "$LB_PORT" || LB_PORT=$(free_port)
STATS_PORT=$(free_port)
cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 4000

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    timeout http-keep-alive 10s
    timeout tunnel 1h

frontend phones
    bind 127.0.0.1:$LB_PORT
    default_backend relays

backend relays
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
    server relay-a 127.0.0.1:${PORT[relay-a]} check
    server relay-b 127.0.0.1:${PORT[relay-b]} check

frontend stats
    bind 127.0.0.1:$STATS_PORT
    stats enable
    stats uri /
    stats refresh 2s
EOF
"$HAPROXY" -c -q -f "$WORK/haproxy.cfg"
"$HAPROXY" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.out" 2>"$WORK/haproxy.err" &
PID[haproxy]=$!
LB="http://127.0.0.1:$LB_PORT"
for _ in $(seq 100); do
  curl -sf -o /dev/null "$LB/healthz" && break
  kill -0 "${PID[haproxy]}" 2>/dev/null || { cat "$WORK/haproxy.err" >&2; exit 1; }
  sleep 0.1
done

# holders: "relay-a:[…] relay-b:[…]", each relay's cluster.heldSns (down when it does not answer).
holders() {
  local name out=""
  for name in relay-a relay-b; do
    out+="$name:$(curl -s -m 4 "http://127.0.0.1:${PORT[$name]}/healthz" \
      | python3 -c 'import json, sys
try: print(json.dumps(json.load(sys.stdin)["cluster"]["heldSns"], separators=(",", ":")))
except Exception: print("down")' 2>/dev/null) "
  done
  printf '%s\n' "${out% }"
}
# holder_of SN: the relay whose /healthz lists SN (empty when none does).
holder_of() {
  local pair
  for pair in $(holders); do
    [[ ${pair#*:} == *"\"$1\""* ]] && { printf '%s\n' "${pair%%:*}"; return; }
  done
  true
}
wait_holder() {
  local i holder
  for i in $(seq 300); do
    holder=$(holder_of "$PLATFORM_SN")
    [ -n "$holder" ] && { printf '%s\n' "$holder"; return; }
    sleep 0.1
  done
  say "no relay took sn $PLATFORM_SN within 30 s: $(holders)"; exit 1
}
HOLDER=$(wait_holder)

# A site with a fence around the demo's place and a team enrollment code, through HAProxy
# with the manager token (as `relay demo` makes them).
manager() {
  local method=$1 path=$2 body=${3:-}
  curl -sf -X "$method" -H "Authorization: Bearer $MANAGER_TOKEN" -H 'content-type: application/json' \
    ${body:+-d "$body"} "$LB/v1/manager$path"
}
SITE_ID=$(manager POST /sites "{\"name\":\"滨江区江南大道项目工地\",\"sn\":\"$PLATFORM_SN\"}" | json_field siteId)
fence_ring=$(python3 -c "
lng, lat, d = $SITE_CENTER_LNG, $SITE_CENTER_LAT, 0.002
print([[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]])")
manager PUT "/sites/$SITE_ID/fence" \
  "{\"crs\":\"wgs84\",\"maxAccuracyM\":50,\"uncertainPolicy\":\"flag\",\"geojson\":{\"type\":\"Polygon\",\"coordinates\":[$fence_ring]}}" >/dev/null
ENROLL_CODE=$(manager POST "/sites/$SITE_ID/enrollments" '{"binding":"team"}' | json_field code)

# A phone, in Python's standard library: C_AUTH and C_SIGN_IN over POST /v1/frame, signed per
# PROTOCOL.md §3 (MD5; param′ without img), each request on a new connection (so HAProxy's
# round robin sends consecutive requests to different relays).
cat >"$WORK/phone.py" <<'EOF'
import base64, datetime, hashlib, json, os, sys, time, urllib.request

URL, SN, ACCESS_ID, ACCESS_KEY, SECRET = (os.environ[k] for k in
    ("LB", "PHONE_SN", "PHONE_ID", "PHONE_KEY", "PHONE_SECRET"))

def stamp():
    beijing = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    return beijing.strftime("%Y%m%d%H%M%S")

def post(body):
    request = urllib.request.Request(URL + "/v1/frame", data=body.encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)

def md5(*parts):
    return hashlib.md5("".join(parts).encode()).hexdigest()

def auth():
    ts = stamp()
    sign = md5("v1.0.0", SN, "C_AUTH", ACCESS_ID, ACCESS_KEY, ts, SECRET)
    reply = post(json.dumps({"version": "v1.0.0", "sn": SN, "apicode": "C_AUTH", "accessId": ACCESS_ID,
                             "accessKey": ACCESS_KEY, "timeStamp": ts, "sign": sign}))
    if not reply.get("success"):
        sys.exit(f"C_AUTH refused: {reply}")
    return reply["response"]["token"]

def sign_in(token, record_id, person_id):
    ts = stamp()
    head = json.dumps({"personId": person_id, "type": "64"}, separators=(",", ":"))[:-1] + ","
    tail = json.dumps({"recordTime": int(time.time() * 1000),
                       "coordinate": {"longitude": 120.2110, "latitude": 30.2090},
                       "recordId": record_id}, separators=(",", ":"))[1:]
    img = base64.b64encode(os.urandom(2048)).decode()
    param = head + json.dumps({"img": img})[1:-1] + "," + tail
    sign = md5("v1.0.0", SN, token, "C_SIGN_IN", ts, head + tail, SECRET)
    fields = json.dumps({"version": "v1.0.0", "sn": SN, "token": token, "apicode": "C_SIGN_IN",
                         "timeStamp": ts, "sign": sign})
    return post(fields[:-1] + ',"param":' + param + "}")

# phone.py signin PERSON COUNT: C_AUTH once, then COUNT sign-ins, one line of JSON each
# ({"recordId", "success", "error"}); phone.py until-accepted PERSON SECS: a fresh record every
# 0.2 s until one is accepted, then prints the seconds since the start and the attempts.
mode, person = sys.argv[1], sys.argv[2]
token = auth()
run = f"{int(time.time() * 1000):x}"
if mode == "signin":
    for i in range(int(sys.argv[3])):
        reply = sign_in(token, f"demo-{run}-{i}", person)
        print(json.dumps({"recordId": f"demo-{run}-{i}", "success": reply.get("success"),
                          "error": reply.get("error")}), flush=True)
else:
    started, attempts, deadline = time.monotonic(), 0, time.monotonic() + float(sys.argv[3])
    while time.monotonic() < deadline:
        attempts += 1
        try:
            reply = sign_in(token, f"failover-{run}-{attempts}", person)
        except Exception as error:
            reply = {"success": False, "error": str(error)}
        if reply.get("success"):
            print(json.dumps({"secs": round(time.monotonic() - started, 2), "attempts": attempts}))
            sys.exit(0)
        time.sleep(0.2)
    sys.exit(f"no sign-in accepted in {sys.argv[3]} s; last reply {reply}")
EOF
export LB PHONE_ID PHONE_KEY PHONE_SECRET PHONE_SN=PHONE-DEMO-0001
phone() { python3 "$WORK/phone.py" "$@"; }

# --- The end-to-end check ------------------------------------------------------------------
if [ -n "$CHECK" ]; then
  fail() { say "CHECK FAILED: $*"; exit 1; }
  say "check: load balancer $LB, relay-a :${PORT[relay-a]}, relay-b :${PORT[relay-b]}, lease ${LEASE_SECS} s"
  page=$(curl -sf "$LB/")
  grep -qi '<html' <<<"$page" || fail "the phone page is not served through HAProxy"
  say "  ok: the clock-in page through HAProxy ($(wc -c <<<"$page") bytes)"
  curl -sf "$LB/manager" | grep -qi '<html' || fail "the manager page is not served through HAProxy"
  seen=""
  for _ in 1 2 3 4; do
    seen+="$(curl -sf "$LB/healthz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["cluster"]["relayId"])') "
  done
  [[ $seen == *relay-a* && $seen == *relay-b* ]] || fail "/healthz through HAProxy saw only: $seen"
  say "  ok: /healthz through HAProxy answered by both relays ($seen)"
  say "  ok: sn $PLATFORM_SN held by $HOLDER ($(holders))"
  replies=$(phone signin "$PERSON_ID" 4)
  printf '%s\n' "$replies" | sed 's/^/    /' >&2
  [ "$(grep -c '"success": true' <<<"$replies")" -eq 4 ] || fail "sign-ins through HAProxy were refused"
  say "  ok: C_AUTH and 4 sign-ins through HAProxy, alternating relays"
  survivor=relay-a
  [ "$HOLDER" = relay-a ] && survivor=relay-b
  kill -KILL "${PID[$HOLDER]}"
  wait "${PID[$HOLDER]}" 2>/dev/null || true
  unset "PID[$HOLDER]"
  say "  killed $HOLDER (SIGKILL); sign-ins through HAProxy until one is accepted"
  took=$(phone until-accepted "$PERSON_ID" $((LEASE_SECS + 30))) || fail "no sign-in after the kill"
  now_holder=$(holder_of "$PLATFORM_SN")
  [ "$now_holder" = "$survivor" ] || fail "after the kill the sn is held by '$now_holder', not $survivor"
  say "  ok: $survivor took sn $PLATFORM_SN; first sign-in accepted after the kill: $took (lease ${LEASE_SECS} s)"
  devices=$(curl -sf "http://$SIM_HTTP/sim/devices")
  python3 - "$devices" <<'PY' || fail "the simulator saw two platform sessions of the sn at once: $devices"
import json, sys
device = json.loads(sys.argv[1])[0]
sys.exit(0 if device["maxSessions"] == 1 else 1)
PY
  say "  ok: never two platform sessions of the sn at once (simulator: maxSessions 1)"
  count=$(curl -sf "http://$SIM_HTTP/sim/signins" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
  [ "$count" -eq 5 ] || fail "the simulator holds $count sign-ins, not 5"
  say "  ok: the simulator holds the 5 accepted sign-ins, each once"
  start_relay "$HOLDER"
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${PORT[$HOLDER]}/healthz" && break
    sleep 0.1
  done
  say "  ok: $HOLDER started again: $(holders)"
  say "CHECK PASSED"
  exit 0
fi

# --- Interactive ---------------------------------------------------------------------------
cat <<EOF

Cluster demo: PostgreSQL, platform-sim, two relays and HAProxy on 127.0.0.1 (lease ${LEASE_SECS} s)

  Load balancer (phones, pages, manager):  $LB
  HAProxy's statistics:                    http://127.0.0.1:$STATS_PORT/
  relay-a  http://127.0.0.1:${PORT[relay-a]}  pid ${PID[relay-a]}
  relay-b  http://127.0.0.1:${PORT[relay-b]}  pid ${PID[relay-b]}
  platform-sim  http://$SIM_HTTP  (GET /sim/signins, /sim/devices)
  PostgreSQL    $STORE_URL

  Clock in:     open $LB/ and enroll with code $ENROLL_CODE (site $SITE_ID)
  Manager API:  Authorization: Bearer $MANAGER_TOKEN   ($LB/manager)
  Phone (configured by hand): sn PHONE-DEMO-0001, accessId $PHONE_ID,
                accessKey $PHONE_KEY, accessSecret $PHONE_SECRET
  Work directory: $WORK (configurations, logs: relay-*/relay.err, haproxy.err)

What to try:
  curl -s $LB/healthz                           # twice: each relay answers in turn
  curl -s http://127.0.0.1:${PORT[relay-a]}/metrics | grep relay_sn_lease_held
  kill -9 ${PID[$HOLDER]}                            # $HOLDER holds sn $PLATFORM_SN now
  curl -s http://127.0.0.1:${PORT[relay-b]}/healthz  # cluster.heldSns: the survivor takes the sn
                                                  # within about ${LEASE_SECS} s; phones keep going through $LB
  curl -s http://$SIM_HTTP/sim/devices               # maxSessions stays 1
  Enter here starts a killed relay again; Ctrl-C stops everything.

EOF
last=""
while true; do
  state=$(holders)
  if [ "$state" != "$last" ]; then
    say "$(date +%T) holders of sn $PLATFORM_SN: $state"
    last=$state
  fi
  for name in relay-a relay-b; do
    if [ -n "${PID[$name]:-}" ] && ! kill -0 "${PID[$name]}" 2>/dev/null; then
      wait "${PID[$name]}" 2>/dev/null || true
      unset "PID[$name]"
      say "$(date +%T) $name exited; press Enter to start it again"
    fi
  done
  kill -0 "${PID[haproxy]}" 2>/dev/null || { say "HAProxy exited: $(tail -n 5 "$WORK/haproxy.err")"; exit 1; }
  if [ -t 0 ]; then
    if read -r -t 1 _; then
      for name in relay-a relay-b; do
        if [ -z "${PID[$name]:-}" ]; then
          start_relay "$name"
          say "$(date +%T) $name started again (pid ${PID[$name]})"
        fi
      done
    fi
  else
    sleep 1
  fi
done
