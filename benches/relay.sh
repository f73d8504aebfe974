#!/usr/bin/env bash
# The relay's benchmark, on loopback, every figure from one run:
#   1. sign-ins per second with 60 KB photos, phone → relay → platform simulator over WebSocket
#      and over HTTP, beside websocat bridging pre-signed vendor frames from WebSocket straight
#      to the simulator's TCP port (the ratio relay ÷ websocat; aim ≥ 1.0×);
#   2. latency at a fixed rate (open loop), relay vs the websocat path, and what the relay adds;
#   3. relay RSS per idle /v1/link WebSocket at 5,000 links (aim ≤ 16 KiB), unauthenticated
#      and after one C_AUTH each, each on a freshly started relay.
# It installs websocat if a phase needs it, builds the release binaries and the load generator
# (crates/relay/benches/relay_load.rs), starts platform-sim, the relays and websocat on free ports, and
# stops them all on exit.
#
# The relay's store is SQLite (in its data_dir) unless PATHS names relay-ws-pg or relay-http-pg:
# these are relay-ws and relay-http against a second relay whose store is a fresh database on a
# throwaway PostgreSQL server (scripts/postgres.sh, in the work dir; installed with apt-get when
# missing), beside its own platform simulator. Throughput phase only: its runs interleave with
# the SQLite paths' round by round, its table follows the SQLite one, then the ratio
# PostgreSQL ÷ SQLite of the best runs (aim ≥ 0.7×). For example
#   PATHS=relay-ws,relay-ws-pg,relay-http,relay-http-pg PHASES=throughput ./benches/relay.sh
#
# The cluster: PATHS relay-ws-cluster, relay-http-cluster are relay-ws and relay-http through
# HAProxy (Debian's, installed with apt-get when missing; round robin, /healthz checks) to two
# relays sharing one more fresh database on the same PostgreSQL server ([cluster] lease_secs
# LEASE_SECS, each its relay_id and advertise_url), beside a simulator of their own; interleaved
# with the other paths, reported in a third table, with cluster ÷ SQLite beside PostgreSQL ÷
# SQLite. PHASES failover (after the others) kills the relay holding phone 0's sn with SIGKILL,
# FAILOVERS times, and measures the seconds until a sign-in through HAProxy is accepted again
# (the killed relay is started again between kills). The issue's run, about 4 minutes:
#   PATHS=relay-ws,relay-ws-pg,relay-ws-cluster,relay-http,relay-http-pg,relay-http-cluster \
#     PHASES=throughput,failover ./benches/relay.sh
#
# Knobs (environment): CONNS (8), DEPTH (8), PHOTO_BYTES (61440), TPUT_SECS (10),
# WARMUP_SECS (2), LAT_RATE (1000), LAT_SECS (10), LAT_PHOTO_BYTES (8192), IDLE_LINKS (5000),
# PATHS (websocat,relay-ws,relay-http; also relay-ws-pg, relay-http-pg), PHASES
# (idle,throughput,latency), ROUNDS (2: throughput runs per path, interleaved; the best counts),
# RELAY_LOG (RUST_LOG of the relay, default warn), NO_BUILD (set: use the binaries as built),
# RELAY_BIN (another relay binary to measure), PHOTO_CHECK (off: the relay's photo re-check;
# refuse to measure with it), LEASE_SECS (10: the cluster's [cluster] lease_secs), FAILOVERS (3).
set -euo pipefail
cd "$(dirname "$0")/.."

ulimit -n 20000
export PATH="$HOME/.cargo/bin:$PATH"

CONNS=${CONNS:-8}
PHONES=$CONNS
RELAY_SNS=${RELAY_SNS:-$CONNS}
PHASES=${PHASES:-idle,throughput,latency}
PATHS=${PATHS:-websocat,relay-ws,relay-http}
ROUNDS=${ROUNDS:-2}
LEASE_SECS=${LEASE_SECS:-10}
FAILOVERS=${FAILOVERS:-3}
# 60 KB photos at 1,000 frames/s saturate this 2-core machine on every path (the direct path's
# p99 goes past 0.5 s), so the latency phase uses 8 KB photos unless told otherwise.
LAT_PHOTO_BYTES=${LAT_PHOTO_BYTES:-8192}
export CONNS PHONES LAT_PHOTO_BYTES

has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }
has_path() { [[ ",$PATHS," == *",$1,"* ]]; }

# SQLITE_PATHS: PATHS without the -pg and -cluster ones (the latency phase measures those alone).
# WITH_PG: set when the throughput phase measures the relay on PostgreSQL; WITH_CLUSTER: the
# cluster (a -cluster path, or the failover phase).
SQLITE_PATHS=""
WITH_PG=""
WITH_CLUSTER=""
if has_phase failover; then WITH_CLUSTER=1; fi
for path in ${PATHS//,/ }; do
    if [[ $path == *-pg ]]; then
        if has_phase throughput; then WITH_PG=1; fi
    elif [[ $path == *-cluster ]]; then
        if has_phase throughput; then WITH_CLUSTER=1; fi
    else
        SQLITE_PATHS+="${SQLITE_PATHS:+,}$path"
    fi
done
WITH_WEBSOCAT=""
if has_path websocat && { has_phase throughput || has_phase latency; }; then
    WITH_WEBSOCAT=1
fi

if [ -n "$WITH_WEBSOCAT" ] && ! command -v websocat >/dev/null; then
    echo "websocat is missing; installing it with cargo install --locked websocat" >&2
    cargo install --locked websocat
fi
BIN="${CARGO_TARGET_DIR:-target}/release"
if [ -z "${NO_BUILD:-}" ]; then
    # One cargo run, release profile for all three, so the library is built once.
    echo "building the release binaries and the load generator" >&2
    LOAD=$(cargo build --locked --release --bins --bench relay_load \
        --message-format=json-render-diagnostics \
        | sed -n 's/.*"executable":"\([^"]*relay_load[^"]*\)".*/\1/p' | tail -n 1)
else
    LOAD=$(ls -t "$BIN"/deps/relay_load-* 2>/dev/null | grep -v '\.d$' | head -n 1)
fi
[ -x "${LOAD:-}" ] || { echo "cannot find the relay_load executable" >&2; exit 1; }
RELAY_BIN=${RELAY_BIN:-$BIN/relay}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zj-relay-bench.XXXXXX")
export RESULTS="$WORK/results.jsonl"
# The runs against the relay on PostgreSQL, reported apart (under the keys relay-ws, relay-http).
RESULTS_PG="$WORK/results-pg.jsonl"
# The runs through the cluster, and the failover phase.
RESULTS_CLUSTER="$WORK/results-cluster.jsonl"
: >"$RESULTS"
PIDS=()
PG_DIR=""
cleanup() {
    local pid
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
    # pg_ctl detaches the server: stop it here, once the relay using it is gone.
    if [ -n "$PG_DIR" ]; then
        scripts/postgres.sh stop "$PG_DIR" || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# first_line FILE PID: waits (up to 20 s) for the first line a child writes to FILE.
first_line() {
    local i
    for i in $(seq 200); do
        if [ -s "$1" ] && [ "$(wc -l <"$1")" -ge 1 ]; then
            head -n 1 "$1"
            return
        fi
        kill -0 "$2" 2>/dev/null || { echo "process $2 exited; see ${1%.out}.err:" >&2; cat "${1%.out}.err" >&2; exit 1; }
        sleep 0.1
    done
    echo "no address line in $1" >&2
    exit 1
}

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
export CLK_TCK
export VENDOR_SECRET="bench-vendor-secret-$RANDOM$RANDOM"

# The platform simulator: the relay's sns and the direct path's sns, all the vendor's.
SNS=()
RELAY_SN_LIST=""
for i in $(seq 0 $((RELAY_SNS - 1))); do
    sn=$(printf 'BENCH-RELAY-%02d' "$i")
    SNS+=(--sn "$sn")
    RELAY_SN_LIST+="${RELAY_SN_LIST:+, }\"$sn\""
done
for i in $(seq 0 $((CONNS - 1))); do
    SNS+=(--sn "$(printf 'BENCH-DIRECT-%02d' "$i")")
done
# start_sim NAME: a simulator; sets SIM_PID, SIM_TCP and SIM_HTTP (which write_config uses).
start_sim() {
    local line
    PLATFORM_SIM_ACCESS_SECRET=$VENDOR_SECRET RUST_LOG=warn "$BIN/platform-sim" \
        --tcp 127.0.0.1:0 --http 127.0.0.1:0 --access-id bench-vendor --access-key bench-vendor-key \
        --max-connections 4096 "${SNS[@]}" >"$WORK/$1.out" 2>"$WORK/$1.err" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    line=$(first_line "$WORK/$1.out" "$SIM_PID")
    SIM_TCP=$(json_field tcp <<<"$line")
    SIM_HTTP=$(json_field http <<<"$line")
    [ -n "$SIM_TCP" ] && [ -n "$SIM_HTTP" ] || { echo "platform-sim did not start" >&2; exit 1; }
}
start_sim sim
export SIM_HTTP

# The relay's configuration: phone i is BENCH-PHONE-000i (accessId bench-phone-000i) and goes
# to platform sn BENCH-RELAY-(i mod RELAY_SNS); the rate limit is raised out of the way.
# write_config DIR [STORE_URL [RELAY_ID PORT]]: without STORE_URL, the store is SQLite in
# DIR/data; with RELAY_ID, a member of the cluster listening on PORT.
write_config() {
    local dir=$1 store_url=${2:-} relay_id=${3:-} port=${4:-0} i
    {
        echo "listen = \"127.0.0.1:$port\""
        echo "data_dir = \"$dir/data\""
        if [ -n "$store_url" ]; then
            echo "[store]"
            echo "url = \"$store_url\""
        fi
        if [ -n "$relay_id" ]; then
            echo "[cluster]"
            echo "relay_id = \"$relay_id\""
            echo "lease_secs = $LEASE_SECS"
            echo "advertise_url = \"http://127.0.0.1:$port\""
        fi
        echo "[platform]"
        echo "tcp = \"$SIM_TCP\""
        echo "http = \"http://$SIM_HTTP/api/device\""
        echo "access_id = \"bench-vendor\""
        echo "access_key = \"bench-vendor-key\""
        echo "access_secret_env = \"VENDOR_SECRET\""
        echo "sns = [$RELAY_SN_LIST]"
        for i in $(seq 0 $((PHONES - 1))); do
            local id
            id=$(printf 'bench-phone-%04d' "$i")
            echo "[[phones]]"
            echo "sn = \"$(printf 'BENCH-PHONE-%04d' "$i")\""
            echo "access_id = \"$id\""
            echo "access_key = \"$id-key\""
            echo "access_secret = \"$id-secret\""
            echo "platform_sn = \"$(printf 'BENCH-RELAY-%02d' $((i % RELAY_SNS)))\""
        done
        echo "[limits]"
        echo "max_links = 10000"
        echo "link_idle_secs = 600"
        echo "frames_per_minute = 100000000"
        echo "frames_burst = 1000000"
        # The photo re-check (about 5 ms of CPU a sign-in) is off by default: the comparison
        # with websocat is of the transport. PHOTO_CHECK=refuse measures the relay with it.
        echo "[photo]"
        echo "check = \"${PHOTO_CHECK:-off}\""
    } >"$dir/relay.toml"
}

# start_relay NAME [STORE_URL [RELAY_ID PORT]]: a fresh relay with its own store (SQLite, or
# STORE_URL; a cluster member with RELAY_ID); sets RELAY_PID and RELAY_URL. restart_relay NAME
# starts it again on the configuration it had.
start_relay() {
    local dir="$WORK/$1"
    mkdir -p "$dir"
    write_config "$dir" "${2:-}" "${3:-}" "${4:-0}"
    restart_relay "$1"
}
restart_relay() {
    local dir="$WORK/$1"
    RUST_LOG=${RELAY_LOG:-warn} "$RELAY_BIN" serve --config "$dir/relay.toml" \
        >"$dir/relay.out" 2>>"$dir/relay.err" &
    RELAY_PID=$!
    PIDS+=("$RELAY_PID")
    RELAY_URL=$(first_line "$dir/relay.out" "$RELAY_PID" | json_field url)
    [ -n "$RELAY_URL" ] || { echo "the relay did not start; see $dir/relay.err" >&2; exit 1; }
    export RELAY_PID RELAY_URL
}

stop_relay() {
    local pid kept=()
    kill "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$RELAY_PID" ] || kept+=("$pid")
    done
    PIDS=("${kept[@]}")
}

# start_pg_server: a throwaway PostgreSQL server in WORK/postgres (stopped by cleanup); sets
# PSQL, PG_VERSION and ZJ_TEST_POSTGRES_URL (its postgres database).
start_pg_server() {
    local line
    scripts/postgres.sh install
    # mktemp's mode 0700 would keep the server's user (postgres, when run as root) out.
    chmod 711 "$WORK"
    PG_DIR="$WORK/postgres"
    line=$(scripts/postgres.sh start "$PG_DIR")
    eval "$line"
    PSQL=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
    PG_VERSION=$("$PSQL" -At "$ZJ_TEST_POSTGRES_URL" -c 'SHOW server_version')
}

# new_database NAME: a fresh database on the server; prints its URL.
new_database() {
    "$PSQL" -q "$ZJ_TEST_POSTGRES_URL" -c "CREATE DATABASE $1"
    echo "${ZJ_TEST_POSTGRES_URL%/*}/$1"
}

# start_pg_relay: a fresh database on the server, its own simulator (so that each report checks
# the sign-ins of one back end) and a relay with its store in that database; sets
# PG_RELAY_PID, PG_RELAY_URL, PG_SIM_PID and PG_SIM_HTTP, and leaves RELAY_* and SIM_* as they
# were.
start_pg_relay() {
    local SIM_PID SIM_TCP SIM_HTTP RELAY_PID RELAY_URL store_url
    store_url=$(new_database relay_bench)
    start_sim sim-pg
    start_relay relay-pg "$store_url"
    PG_RELAY_PID=$RELAY_PID PG_RELAY_URL=$RELAY_URL PG_SIM_PID=$SIM_PID PG_SIM_HTTP=$SIM_HTTP
}

# start_cluster: a fresh database, its own simulator, two relays on it (cluster-a, cluster-b,
# on fixed ports so that a killed one starts again where HAProxy looks for it; cluster-a first,
# so it takes every sn's lease: the leases are not balanced) and HAProxy in front; sets
# CLUSTER_URL (HAProxy), CLUSTER_URLS, CLUSTER_NAMES, CLUSTER_PIDS (arrays), CLUSTER_SIM_PID,
# CLUSTER_SIM_HTTP, HAPROXY_VERSION; leaves RELAY_* and SIM_* as they were.
start_cluster() {
    local SIM_PID SIM_TCP SIM_HTTP RELAY_PID RELAY_URL store_url name port lb_port i
    if [ ! -x /usr/sbin/haproxy ]; then
        echo "HAProxy is missing; installing Debian's haproxy with apt-get" >&2
        local sudo_cmd=""
        [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq haproxy >/dev/null
    fi
    HAPROXY_VERSION=$(/usr/sbin/haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')
    store_url=$(new_database relay_cluster)
    start_sim sim-cluster
    CLUSTER_SIM_PID=$SIM_PID CLUSTER_SIM_HTTP=$SIM_HTTP
    CLUSTER_NAMES=(cluster-a cluster-b) CLUSTER_URLS=() CLUSTER_PIDS=()
    for name in "${CLUSTER_NAMES[@]}"; do
        port=$(free_port)
        start_relay "$name" "$store_url" "$name" "$port"
        CLUSTER_URLS+=("$RELAY_URL") CLUSTER_PIDS+=("$RELAY_PID")
    done
    lb_port=$(free_port)
    {
        echo "global"
        echo "    maxconn 4000"
        echo "defaults"
        echo "    mode http"
        echo "    option redispatch"
        echo "    retries 2"
        echo "    timeout connect 2s"
        echo "    timeout client 60s"
        echo "    timeout server 60s"
        echo "    timeout http-keep-alive 10s"
        echo "    timeout tunnel 1h"
        echo "frontend phones"
        echo "    bind 127.0.0.1:$lb_port"
        echo "    default_backend relays"
        echo "backend relays"
        echo "    balance roundrobin"
        echo "    option httpchk GET /healthz"
        echo "    http-check expect status 200"
        echo "    default-server inter 1s fall 2 rise 2"
        for i in 0 1; do
            echo "    server ${CLUSTER_NAMES[$i]} ${CLUSTER_URLS[$i]#http://} check"
        done
    } >"$WORK/haproxy.cfg"
    /usr/sbin/haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.out" 2>"$WORK/haproxy.err" &
    PIDS+=("$!")
    HAPROXY_PID=$!
    CLUSTER_URL="http://127.0.0.1:$lb_port"
    for i in $(seq 100); do
        curl -sf -o /dev/null "$CLUSTER_URL/healthz" && return
        kill -0 "$HAPROXY_PID" 2>/dev/null || { cat "$WORK/haproxy.err" >&2; exit 1; }
        sleep 0.1
    done
    echo "HAProxy does not answer at $CLUSTER_URL" >&2
    exit 1
}

# held_sns: how many sns each relay of the cluster holds ("cluster-a 8, cluster-b 0").
held_sns() {
    local i out=""
    for i in 0 1; do
        out+="${out:+, }${CLUSTER_NAMES[$i]} $(curl -s -m 3 "${CLUSTER_URLS[$i]}/healthz" \
            | python3 -c 'import json, sys
try: print(len(json.load(sys.stdin)["cluster"]["heldSns"]))
except Exception: print("down")')"
    done
    echo "$out"
}

# failover_run: one kill of the holder of phone 0's sn (results in RESULTS_CLUSTER), then the
# killed relay started again and back in HAProxy's rotation.
failover_run() {
    local killed RELAY_PID RELAY_URL
    # The load generator kills one of them: no "Killed" notice from this shell.
    disown "${CLUSTER_PIDS[@]}" 2>/dev/null || true
    RESULTS=$RESULTS_CLUSTER RELAY_URL=$CLUSTER_URL READY_URLS="${CLUSTER_URLS[0]},${CLUSTER_URLS[1]}" \
        FAILOVER_URLS="${CLUSTER_URLS[0]},${CLUSTER_URLS[1]}" \
        FAILOVER_PIDS="${CLUSTER_PIDS[0]},${CLUSTER_PIDS[1]}" LEASE_SECS=$LEASE_SECS \
        "$LOAD" failover
    killed=$(tail -n 1 "$RESULTS_CLUSTER" | python3 -c 'import json, sys; print(json.load(sys.stdin)["killed"])')
    wait "${CLUSTER_PIDS[$killed]}" 2>/dev/null || true
    restart_relay "${CLUSTER_NAMES[$killed]}"
    CLUSTER_PIDS[killed]=$RELAY_PID
    # HAProxy takes it back after two good checks a second apart.
    sleep 3
}

# throughput_run ROUND PATH: one throughput run of PATH. A -pg path is its SQLite twin run
# against the relay on PostgreSQL (results in RESULTS_PG), a -cluster path through HAProxy to
# the cluster (results in RESULTS_CLUSTER; CPU: both relays under "relay").
throughput_run() {
    local round=$1 path=${2%-pg} results=$RESULTS pid=$RELAY_PID url=$RELAY_URL sim=$SIM_PID note=""
    local ready=$RELAY_URL more=""
    if [ "$path" != "$2" ]; then
        results=$RESULTS_PG pid=$PG_RELAY_PID url=$PG_RELAY_URL sim=$PG_SIM_PID ready=$PG_RELAY_URL
        note=", store on PostgreSQL"
    elif [[ $path == *-cluster ]]; then
        path=${path%-cluster}
        results=$RESULTS_CLUSTER pid=${CLUSTER_PIDS[0]} url=$CLUSTER_URL sim=$CLUSTER_SIM_PID
        ready="${CLUSTER_URLS[0]},${CLUSTER_URLS[1]}" more=",relay=${CLUSTER_PIDS[1]}"
        note=", HAProxy → 2 relays on PostgreSQL"
    fi
    # The load generator runs one round of one path; its progress line gets the round's number.
    RESULTS=$results PATHS=$path ROUNDS=1 RELAY_PID=$pid RELAY_URL=$url READY_URLS=$ready \
        WATCH_PIDS="sim=$sim${WEBSOCAT_PID:+,websocat=$WEBSOCAT_PID}$more" "$LOAD" throughput 2>&1 \
        | sed "s/round 1:/round $round:/; s|records/s\$|records/s$note|" >&2
}

# pg_ratios: PostgreSQL ÷ SQLite and cluster ÷ SQLite of the best throughput runs, for each
# path measured on both.
pg_ratios() {
    python3 - "$RESULTS" "$RESULTS_PG" "$RESULTS_CLUSTER" <<'EOF'
import json, os, sys

def best(name):
    rates = {}
    if not os.path.exists(name):
        return rates
    for line in open(name):
        if line.strip():
            run = json.loads(line)
            if run["phase"] == "throughput":
                rates[run["path"]] = max(rates.get(run["path"], 0.0), run["records_per_s"])
    return rates

sqlite, pg, cluster = best(sys.argv[1]), best(sys.argv[2]), best(sys.argv[3])
if not pg and not cluster:
    sys.exit(0)
print("\n   Side by side, best runs, records/s (aim: one relay on PostgreSQL ≥ 0.70× SQLite;")
print("   PostgreSQL's and HAProxy's own CPU are under others above)")
print(f"   {'path':<28} {'SQLite':>7} {'PG':>7} {'cluster':>8} {'PG ÷ SQLite':>12} {'cluster ÷ SQLite':>17}")
for path, label in (("relay-ws", "WS /v1/link"), ("relay-http", "HTTP /v1/frame")):
    if path not in sqlite and path not in pg and path not in cluster:
        continue
    cell = lambda rates: f"{rates[path]:.0f}" if path in rates else "-"
    ratio = lambda rates: (f"{rates[path] / sqlite[path]:.2f}×" if path in rates and sqlite.get(path) else "-")
    pg_ratio = ratio(pg)
    if path in pg and path in sqlite:
        pg_ratio += " (meets)" if pg[path] / sqlite[path] >= 0.7 else " (MISSES)"
    print(f"   {label:<28} {cell(sqlite):>7} {cell(pg):>7} {cell(cluster):>8} {pg_ratio:>12} {ratio(cluster):>17}")
EOF
}

if has_phase idle; then
    echo "3. idle links (${IDLE_LINKS:-5000}), each on a fresh relay" >&2
    start_relay relay-idle
    IDLE_AUTH=0 "$LOAD" idle
    stop_relay
    start_relay relay-idle-auth
    IDLE_AUTH=1 "$LOAD" idle
    stop_relay
fi

WEBSOCAT_PID=""
if has_phase throughput || has_phase latency || has_phase failover; then
    export WATCH_PIDS="sim=$SIM_PID"
    if [ -n "$WITH_WEBSOCAT" ]; then
        WEBSOCAT_PORT=$(free_port)
        websocat --binary --buffer-size 2097152 "ws-l:127.0.0.1:$WEBSOCAT_PORT" "tcp:$SIM_TCP" \
            >"$WORK/websocat.out" 2>"$WORK/websocat.err" &
        WEBSOCAT_PID=$!
        PIDS+=("$WEBSOCAT_PID")
        WATCH_PIDS+=",websocat=$WEBSOCAT_PID"
        export WEBSOCAT_URL="ws://127.0.0.1:$WEBSOCAT_PORT/"
    fi
    if [ -n "$WITH_PG" ] || [ -n "$WITH_CLUSTER" ]; then
        start_pg_server
    fi
    if [ -n "$WITH_PG" ]; then
        start_pg_relay
    fi
    if [ -n "$WITH_CLUSTER" ]; then
        start_cluster
    fi
    start_relay relay
    if has_phase throughput; then
        echo "1. throughput" >&2
        # Rounds interleave the paths (both back ends), so a burst of load from elsewhere on
        # the machine hits one run of a path rather than all of them.
        for round in $(seq "$ROUNDS"); do
            for path in ${PATHS//,/ }; do
                throughput_run "$round" "$path"
            done
        done
    fi
    if has_phase latency && [ -n "$SQLITE_PATHS" ]; then
        echo "2. latency" >&2
        PATHS=$SQLITE_PATHS "$LOAD" latency
    fi
    if [ -n "$WITH_CLUSTER" ]; then
        CLUSTER_HELD=$(held_sns)
    fi
    if has_phase failover; then
        echo "4. failover (lease_secs $LEASE_SECS), $FAILOVERS kills" >&2
        for _ in $(seq "$FAILOVERS"); do
            failover_run
        done
    fi
fi

"$LOAD" report
if [ -s "$RESULTS_PG" ]; then
    # The same table for the relay on PostgreSQL (÷ direct is '-': websocat is in the first).
    RESULTS=$RESULTS_PG SIM_HTTP=$PG_SIM_HTTP "$LOAD" report \
        | sed '0,/^1\. Sign-ins per second (aim[^)]*)/s//1b. Sign-ins per second with the relay'"'"'s store on PostgreSQL/'
fi
if [ -s "$RESULTS_CLUSTER" ]; then
    RESULTS=$RESULTS_CLUSTER SIM_HTTP=$CLUSTER_SIM_HTTP "$LOAD" report \
        | sed '0,/^1\. Sign-ins per second (aim[^)]*)/s//1c. Sign-ins per second through HAProxy to two relays on PostgreSQL (sns held: '"$CLUSTER_HELD"')/'
fi
if [ -s "$RESULTS_PG" ] || [ -s "$RESULTS_CLUSTER" ]; then
    pg_ratios
fi
echo
footer="$(nproc) cores; relay log level ${RELAY_LOG:-warn}; store on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
if [ -n "$WEBSOCAT_PID" ]; then
    footer="websocat $(websocat --version 2>/dev/null | head -n 1 | sed 's/^websocat //'); $footer"
fi
if [ -n "$WITH_PG" ] || [ -n "$WITH_CLUSTER" ]; then
    footer+="; PostgreSQL $PG_VERSION (scripts/postgres.sh defaults)"
fi
if [ -n "$WITH_CLUSTER" ]; then
    footer+="; HAProxy $HAPROXY_VERSION; lease_secs $LEASE_SECS"
fi
echo "$footer"
