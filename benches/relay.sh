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
# Knobs (environment): CONNS (8), DEPTH (8), PHOTO_BYTES (61440), TPUT_SECS (10),
# WARMUP_SECS (2), LAT_RATE (1000), LAT_SECS (10), LAT_PHOTO_BYTES (8192), IDLE_LINKS (5000),
# PATHS (websocat,relay-ws,relay-http; also relay-ws-pg, relay-http-pg), PHASES
# (idle,throughput,latency), ROUNDS (2: throughput runs per path, interleaved; the best counts),
# RELAY_LOG (RUST_LOG of the relay, default warn), NO_BUILD (set: use the binaries as built),
# RELAY_BIN (another relay binary to measure), PHOTO_CHECK (off: the relay's photo re-check;
# refuse to measure with it).
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
# 60 KB photos at 1,000 frames/s saturate this 2-core machine on every path (the direct path's
# p99 goes past 0.5 s), so the latency phase uses 8 KB photos unless told otherwise.
LAT_PHOTO_BYTES=${LAT_PHOTO_BYTES:-8192}
export CONNS PHONES LAT_PHOTO_BYTES

has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }
has_path() { [[ ",$PATHS," == *",$1,"* ]]; }

# SQLITE_PATHS: PATHS without the -pg ones (the latency phase measures those alone).
# WITH_PG: set when the throughput phase measures the relay on PostgreSQL.
SQLITE_PATHS=""
WITH_PG=""
for path in ${PATHS//,/ }; do
    if [[ $path == *-pg ]]; then
        if has_phase throughput; then WITH_PG=1; fi
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
# write_config DIR [STORE_URL]: without STORE_URL, the store is SQLite in DIR/data.
write_config() {
    local dir=$1 store_url=${2:-} i
    {
        echo "listen = \"127.0.0.1:0\""
        echo "data_dir = \"$dir/data\""
        if [ -n "$store_url" ]; then
            echo "[store]"
            echo "url = \"$store_url\""
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

# start_relay NAME [STORE_URL]: a fresh relay with its own store (SQLite, or STORE_URL);
# sets RELAY_PID and RELAY_URL.
start_relay() {
    local dir="$WORK/$1"
    mkdir -p "$dir"
    write_config "$dir" "${2:-}"
    RUST_LOG=${RELAY_LOG:-warn} "$RELAY_BIN" serve --config "$dir/relay.toml" \
        >"$dir/relay.out" 2>"$dir/relay.err" &
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

# start_pg_relay: a throwaway PostgreSQL server in WORK/postgres (stopped by cleanup), a fresh
# database on it, its own simulator (so that each report checks the sign-ins of one back end)
# and a relay with its store in that database; sets PG_RELAY_PID, PG_RELAY_URL, PG_SIM_PID,
# PG_SIM_HTTP and PG_VERSION, and leaves RELAY_* and SIM_* as they were.
start_pg_relay() {
    local SIM_PID SIM_TCP SIM_HTTP RELAY_PID RELAY_URL line psql store_url
    scripts/postgres.sh install
    # mktemp's mode 0700 would keep the server's user (postgres, when run as root) out.
    chmod 711 "$WORK"
    PG_DIR="$WORK/postgres"
    line=$(scripts/postgres.sh start "$PG_DIR")
    eval "$line"
    psql=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
    store_url="${ZJ_TEST_POSTGRES_URL%/*}/relay_bench"
    "$psql" -q "$ZJ_TEST_POSTGRES_URL" -c 'CREATE DATABASE relay_bench'
    PG_VERSION=$("$psql" -At "$store_url" -c 'SHOW server_version')
    start_sim sim-pg
    start_relay relay-pg "$store_url"
    PG_RELAY_PID=$RELAY_PID PG_RELAY_URL=$RELAY_URL PG_SIM_PID=$SIM_PID PG_SIM_HTTP=$SIM_HTTP
}

# throughput_run ROUND PATH: one throughput run of PATH. A -pg path is its SQLite twin run
# against the relay on PostgreSQL (results in RESULTS_PG).
throughput_run() {
    local round=$1 path=${2%-pg} results=$RESULTS pid=$RELAY_PID url=$RELAY_URL sim=$SIM_PID note=""
    if [ "$path" != "$2" ]; then
        results=$RESULTS_PG pid=$PG_RELAY_PID url=$PG_RELAY_URL sim=$PG_SIM_PID
        note=", store on PostgreSQL"
    fi
    # The load generator runs one round of one path; its progress line gets the round's number.
    RESULTS=$results PATHS=$path ROUNDS=1 RELAY_PID=$pid RELAY_URL=$url \
        WATCH_PIDS="sim=$sim${WEBSOCAT_PID:+,websocat=$WEBSOCAT_PID}" "$LOAD" throughput 2>&1 \
        | sed "s/round 1:/round $round:/; s|records/s\$|records/s$note|" >&2
}

# pg_ratios: PostgreSQL ÷ SQLite of the best throughput runs, for each path measured on both.
pg_ratios() {
    python3 - "$RESULTS" "$RESULTS_PG" <<'EOF'
import json, sys

def best(name):
    rates = {}
    for line in open(name):
        if line.strip():
            run = json.loads(line)
            if run["phase"] == "throughput":
                rates[run["path"]] = max(rates.get(run["path"], 0.0), run["records_per_s"])
    return rates

sqlite, pg = best(sys.argv[1]), best(sys.argv[2])
print("\n   PostgreSQL ÷ SQLite, best runs (aim ≥ 0.70×; PostgreSQL's own CPU is under others above)")
for path, label in (("relay-ws", "relay WS /v1/link → sim"), ("relay-http", "relay HTTP /v1/frame → sim")):
    if path in sqlite and path in pg:
        ratio = pg[path] / sqlite[path] if sqlite[path] else float("nan")
        print(f"   {label:<34} {pg[path]:>7.0f} ÷ {sqlite[path]:<7.0f} = {ratio:.2f}×")
    elif path in pg:
        print(f"   {label:<34} (no SQLite run to compare: add {path} to PATHS)")
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
if has_phase throughput || has_phase latency; then
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
    if [ -n "$WITH_PG" ]; then
        start_pg_relay
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
fi

"$LOAD" report
if [ -s "$RESULTS_PG" ]; then
    # The same table for the relay on PostgreSQL (÷ direct is '-': websocat is in the first).
    RESULTS=$RESULTS_PG SIM_HTTP=$PG_SIM_HTTP "$LOAD" report \
        | sed '0,/^1\. Sign-ins per second (aim[^)]*)/s//1b. Sign-ins per second with the relay'"'"'s store on PostgreSQL/'
    pg_ratios
fi
echo
footer="$(nproc) cores; relay log level ${RELAY_LOG:-warn}; store on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
if [ -n "$WEBSOCAT_PID" ]; then
    footer="websocat $(websocat --version 2>/dev/null | head -n 1 | sed 's/^websocat //'); $footer"
fi
if [ -n "$WITH_PG" ]; then
    footer+="; PostgreSQL $PG_VERSION (scripts/postgres.sh defaults)"
fi
echo "$footer"
