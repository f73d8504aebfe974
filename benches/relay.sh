#!/usr/bin/env bash
# The relay's benchmark, on loopback, every figure from one run:
#   1. sign-ins per second with 60 KB photos, phone → relay → platform simulator over WebSocket
#      and over HTTP, beside websocat bridging pre-signed vendor frames from WebSocket straight
#      to the simulator's TCP port (the ratio relay ÷ websocat; aim ≥ 1.0×);
#   2. latency at a fixed rate (open loop), relay vs the websocat path, and what the relay adds;
#   3. relay RSS per idle /v1/link WebSocket at 5,000 links (aim ≤ 16 KiB), unauthenticated
#      and after one C_AUTH each, each on a freshly started relay.
# It installs websocat if missing, builds the release binaries and the load generator
# (crates/relay/benches/relay_load.rs), starts platform-sim, the relays and websocat on free ports, and
# stops them all on exit.
#
# Knobs (environment): CONNS (8), DEPTH (8), PHOTO_BYTES (61440), TPUT_SECS (10),
# WARMUP_SECS (2), LAT_RATE (1000), LAT_SECS (10), LAT_PHOTO_BYTES (8192), IDLE_LINKS (5000),
# PATHS (websocat,relay-ws,relay-http), PHASES (idle,throughput,latency),
# ROUNDS (2: throughput runs per path, interleaved; the best counts), RELAY_LOG (RUST_LOG of
# the relay, default warn), NO_BUILD (set: use the binaries as built), RELAY_BIN (another relay
# binary to measure), PHOTO_CHECK (off: the relay's photo re-check; refuse to measure with it).
set -euo pipefail
cd "$(dirname "$0")/.."

ulimit -n 20000
export PATH="$HOME/.cargo/bin:$PATH"

CONNS=${CONNS:-8}
PHONES=$CONNS
RELAY_SNS=${RELAY_SNS:-$CONNS}
PHASES=${PHASES:-idle,throughput,latency}
# 60 KB photos at 1,000 frames/s saturate this 2-core machine on every path (the direct path's
# p99 goes past 0.5 s), so the latency phase uses 8 KB photos unless told otherwise.
LAT_PHOTO_BYTES=${LAT_PHOTO_BYTES:-8192}
export CONNS PHONES LAT_PHOTO_BYTES

if ! command -v websocat >/dev/null; then
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
PIDS=()
cleanup() {
    local pid
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
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
PLATFORM_SIM_ACCESS_SECRET=$VENDOR_SECRET RUST_LOG=warn "$BIN/platform-sim" \
    --tcp 127.0.0.1:0 --http 127.0.0.1:0 --access-id bench-vendor --access-key bench-vendor-key \
    --max-connections 4096 "${SNS[@]}" >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!
PIDS+=("$SIM_PID")
SIM_LINE=$(first_line "$WORK/sim.out" "$SIM_PID")
SIM_TCP=$(json_field tcp <<<"$SIM_LINE")
SIM_HTTP=$(json_field http <<<"$SIM_LINE")
[ -n "$SIM_TCP" ] && [ -n "$SIM_HTTP" ] || { echo "platform-sim did not start" >&2; exit 1; }
export SIM_HTTP

# The relay's configuration: phone i is BENCH-PHONE-000i (accessId bench-phone-000i) and goes
# to platform sn BENCH-RELAY-(i mod RELAY_SNS); the rate limit is raised out of the way.
write_config() {
    local dir=$1 i
    {
        echo "listen = \"127.0.0.1:0\""
        echo "data_dir = \"$dir/data\""
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

# start_relay NAME: a fresh relay with its own store; sets RELAY_PID and RELAY_URL.
start_relay() {
    local dir="$WORK/$1"
    mkdir -p "$dir"
    write_config "$dir"
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

has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }

if has_phase idle; then
    echo "3. idle links (${IDLE_LINKS:-5000}), each on a fresh relay" >&2
    start_relay relay-idle
    IDLE_AUTH=0 "$LOAD" idle
    stop_relay
    start_relay relay-idle-auth
    IDLE_AUTH=1 "$LOAD" idle
    stop_relay
fi

if has_phase throughput || has_phase latency; then
    WEBSOCAT_PORT=$(free_port)
    websocat --binary --buffer-size 2097152 "ws-l:127.0.0.1:$WEBSOCAT_PORT" "tcp:$SIM_TCP" \
        >"$WORK/websocat.out" 2>"$WORK/websocat.err" &
    WEBSOCAT_PID=$!
    PIDS+=("$WEBSOCAT_PID")
    export WATCH_PIDS="sim=$SIM_PID,websocat=$WEBSOCAT_PID"
    export WEBSOCAT_URL="ws://127.0.0.1:$WEBSOCAT_PORT/"
    start_relay relay
    if has_phase throughput; then
        echo "1. throughput" >&2
        "$LOAD" throughput
    fi
    if has_phase latency; then
        echo "2. latency" >&2
        "$LOAD" latency
    fi
fi

"$LOAD" report
echo
echo "websocat $(websocat --version 2>/dev/null | head -n 1 | sed 's/^websocat //'); $(nproc) cores; relay log level ${RELAY_LOG:-warn}; store on $(df -T "$WORK" | awk 'NR==2 {print $2}')"
