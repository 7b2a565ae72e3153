#!/usr/bin/env bash
# it_http.sh — the daemons' HTTP face (docs/http.md) from outside, with curl:
#   1. `node init --http` writes `http =`; a bad address is refused;
#   2. a real giamsat-node serves /healthz and /metrics; every line of
#      /metrics is checked against the Prometheus text format (0.0.4) and
#      giamsat_node_entries equals the Charter plus the statements submitted;
#   3. refusals: 404 for unknown and odd paths, 405 for PUT and DELETE, 413
#      for a body beyond the limit, 414 for a path beyond GS_HTTP_MAX_PATH;
#      HEAD answers GET's headers without the body; one connection carries
#      several requests; the request counters count what was asked;
#   4. a hub with `hub init --http` following the node: /healthz, its
#      /metrics parse, its entries and sync lag per log reach the node's log;
#   5. both daemons stop cleanly on SIGTERM with HTTP on;
#   6. a node whose log holds an entry with a forged signature (appended on
#      disk) starts quarantined: /healthz says 503 and why, /metrics says
#      giamsat_node_quarantined 1, and reads are still served.
#
# usage: it_http.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "FAIL: curl is not installed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-http-XXXXXX")
node_pid=
hub_pid=
cleanup() {
  for p in "$node_pid" "$hub_pid"; do
    [ -n "$p" ] || continue
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node.log" "$work/hub.log"; do
    [ -f "$f" ] && { echo "---- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# status METHOD URL [curl args...]: prints the HTTP status (000: no answer).
status() {
  local m=$1 u=$2
  shift 2
  curl -s -o "$work/body" -w '%{http_code}' -X "$m" "$@" "$u" || true
}
# want_status CODE WHAT METHOD URL [curl args...]
want_status() {
  local code=$1 what=$2
  shift 2
  local got
  got=$(status "$@")
  [ "$got" = "$code" ] || fail "$what: HTTP $got, want $code; body: $(head -c 300 "$work/body")"
  pass "$what: $code"
}

# check_metrics FILE: every line is a comment (# HELP / # TYPE with a known
# type) or a sample of the text format 0.0.4; a family's samples follow its
# TYPE line and are not split; histogram buckets grow with le and end at
# +Inf = _count.
check_metrics() {
  python3 - "$1" <<'EOF'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
value = r'(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)'
sample = re.compile(r'^(' + name + r')(\{(?:' + label + r')(?:,' + label + r')*,?\})? (' + value + r')(?: -?[0-9]+)?$')
comment = re.compile(r'^# (HELP|TYPE) (' + name + r') (.*)$')
types, seen_done, current = {}, set(), None
buckets = {}
counts = {}
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
if lines[-1] != '':
    sys.exit('the text does not end with a newline')
for n, line in enumerate(lines[:-1], 1):
    m = comment.match(line)
    if m:
        if m.group(1) == 'TYPE':
            if m.group(3) not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                sys.exit('line %d: unknown type: %s' % (n, line))
            if m.group(2) in types:
                sys.exit('line %d: a second TYPE for %s' % (n, m.group(2)))
            types[m.group(2)] = m.group(3)
        continue
    if line.startswith('#') or line == '':
        sys.exit('line %d: not a metric line: %r' % (n, line))
    m = sample.match(line)
    if not m:
        sys.exit('line %d: not a metric line: %r' % (n, line))
    metric = m.group(1)
    family = metric
    for suffix in ('_bucket', '_sum', '_count'):
        if metric.endswith(suffix) and types.get(metric[:-len(suffix)]) == 'histogram':
            family = metric[:-len(suffix)]
    if family not in types:
        sys.exit('line %d: %s has no TYPE line before it' % (n, metric))
    if family != current:
        if family in seen_done:
            sys.exit('line %d: the samples of %s are split' % (n, family))
        if current:
            seen_done.add(current)
        current = family
    labels = m.group(2) or ''
    if metric.endswith('_bucket') and family != metric:
        le = re.search(r'le="([^"]*)"', labels).group(1)
        key = (family, re.sub(r',?le="[^"]*"', '', labels))
        prev = buckets.get(key, (-1.0, -1.0))
        lev = float('inf') if le == '+Inf' else float(le)
        if lev <= prev[0] or float(m.group(3)) < prev[1]:
            sys.exit('line %d: histogram buckets do not grow' % n)
        buckets[key] = (lev, float(m.group(3)))
    if metric.endswith('_count') and family != metric:
        counts[(family, labels.replace('}', '').replace('{', ''))] = float(m.group(3))
for (family, labels), (le, v) in buckets.items():
    if le != float('inf'):
        sys.exit('%s%s: the last bucket is not +Inf' % (family, labels))
    key = (family, labels.replace('}', '').replace('{', '').rstrip(','))
    if key in counts and counts[key] != v:
        sys.exit('%s%s: +Inf bucket %s != _count %s' % (family, labels, v, counts[key]))
EOF
}

# metric FILE SERIES: the value of one series (exact name and labels).
metric() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' "$1"; }

origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
nport=$(free_port)
hport=$(free_port)
node_url=http://127.0.0.1:$nport
hub_url=http://127.0.0.1:$hport

# ------------------------------------------------------------ 1. init

expect 2 "node init refuses a bad --http" -- "$gs" node init --dir "$work/bad" --tier commune \
  --unit xa-an-binh --name "Xa An Binh" --http localhost:80
grep -q -- "--http" "$work/err" || fail "the refusal does not name --http: $(cat "$work/err")"
[ ! -e "$work/bad" ] || fail "a refused node init left a folder"
expect 0 "node init --http" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep" --http "127.0.0.1:$nport" --json
[ "$(jq -r .http "$work/out")" = "127.0.0.1:$nport" ] || fail "--json lacks http: $(cat "$work/out")"
grep -qx "http = 127.0.0.1:$nport" "$work/node/node.conf" || fail "node.conf lacks the http line"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/' "$work/node/node.conf"

# ------------------------------------------------------------ 2. node: health, metrics

"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
wait_until 120 "the node answers /healthz" curl -sf "$node_url/healthz"
want_status 200 "node /healthz" GET "$node_url/healthz"
grep -qx ok "$work/body" || fail "/healthz body: $(cat "$work/body")"

n=3
for i in $(seq 1 $n); do
  "$gs" key new --out "$work/p$i.key" >/dev/null
  expect 0 "appointment $i" -- "$gs" appoint --connect "$node_ep" --key "$work/node/node.key" \
    --person "$("$gs" key show "$work/p$i.key")" --name "Person $i" --role officer
done

want_status 200 "node /metrics" GET "$node_url/metrics"
cp "$work/body" "$work/node.metrics"
check_metrics "$work/node.metrics" || fail "node /metrics does not parse (above)"
pass "every line of the node's /metrics is in the text format"
[ "$(metric "$work/node.metrics" "giamsat_node_entries{origin=\"$origin\"}")" = $((n + 1)) ] ||
  fail "giamsat_node_entries is not the Charter + $n: $(grep giamsat_node_entries "$work/node.metrics")"
[ "$(metric "$work/node.metrics" 'giamsat_node_statements_total{result="accepted"}')" = $n ] ||
  fail "accepted statements: $(grep statements_total "$work/node.metrics")"
pass "giamsat_node_entries = 1 + $n statements submitted"
signed() {
  curl -sf "$node_url/metrics" >"$work/m" &&
    [ "$(metric "$work/m" "giamsat_node_checkpoint_size{origin=\"$origin\"}")" = $((n + 1)) ] &&
    [ "$(metric "$work/m" giamsat_node_checkpoints_signed_total)" -ge 1 ]
}
wait_until 120 "the node's checkpoint metrics reach size $((n + 1))" signed
pass "the checkpoint metrics follow the log"
grep -q 'giamsat_http_requests_total{route="healthz",code="2xx"} [1-9]' "$work/node.metrics" ||
  fail "the /healthz requests are not counted"

# ------------------------------------------------------------ 3. refusals, HEAD, keep-alive

want_status 404 "unknown path" GET "$node_url/nowhere"
want_status 404 "the root" GET "$node_url/"
want_status 404 "a dot-dot path" GET "$node_url/../../etc/passwd" --path-as-is
want_status 404 "a percent-encoded NUL" GET "$node_url/metrics%00"
want_status 404 "a prefix of an exact route" GET "$node_url/metric"
want_status 404 "an exact route with a tail" GET "$node_url/metrics/x"
want_status 405 "PUT" PUT "$node_url/metrics" --data x
grep -qi '^allow: ' <(curl -s -D - -o /dev/null -X PUT "$node_url/metrics") || fail "405 without Allow"
want_status 405 "DELETE" DELETE "$node_url/healthz"
head -c 70000 /dev/zero | tr '\0' a >"$work/big"
want_status 413 "a 70000-byte POST" POST "$node_url/metrics" --data-binary "@$work/big" \
  -H 'Expect:'
long=$(head -c 1100 /dev/zero | tr '\0' a)
want_status 414 "a 1101-byte path" GET "$node_url/$long"
want_status 414 "a 3000-byte query" GET "$node_url/metrics?$(head -c 3000 /dev/zero | tr '\0' q)"

curl -s -I "$node_url/metrics" >"$work/head" || fail "HEAD /metrics"
grep -q '^HTTP/1.1 200' "$work/head" || fail "HEAD /metrics: $(cat "$work/head")"
grep -qi '^content-type: text/plain; version=0.0.4' "$work/head" || fail "HEAD content type"
# HEAD then GET on one connection: the GET's status line must follow the
# HEAD's headers at once (a body after HEAD would come first).
python3 - "$nport" <<'EOF2' || fail "HEAD sent a body, or the GET after it was not answered"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
data = b""
while data.count(b"\r\n\r\n") < 2 or not data.endswith(b"ok\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, rest = data.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 200"), head
assert b"\r\ncontent-length: 3" in head.lower(), head
assert rest.startswith(b"HTTP/1.1 200"), rest[:40]
assert rest.endswith(b"\r\n\r\nok\n"), rest
EOF2
pass "HEAD: GET's headers, no body"

# One connection, three requests: curl reuses it (num_connects 0 after the first).
curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
  "$node_url/healthz" "$node_url/nowhere" "$node_url/metrics" >"$work/ka"
[ "$(tr '\n' ' ' <"$work/ka")" = "200 1 404 0 200 0 " ] ||
  fail "keep-alive: $(cat "$work/ka")"
pass "keep-alive: three requests on one connection, a 404 among them"

curl -sf "$node_url/metrics" >"$work/node.metrics2"
c404=$(metric "$work/node.metrics2" 'giamsat_http_requests_total{route="other",code="4xx"}')
[ "$c404" -ge 10 ] || fail "refusals counted: $c404"
check_metrics "$work/node.metrics2" || fail "node /metrics after the refusals"
pass "refusals are counted ($c404 4xx without a route)"
kill -0 "$node_pid" || fail "the node died"

# ------------------------------------------------------------ 4. a hub with --http

expect 0 "hub init --http" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep" \
  --http "127.0.0.1:$hport"
grep -qx "http = 127.0.0.1:$hport" "$work/hub/hub.conf" || fail "hub.conf lacks the http line"
expect 0 "the hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub.log" &
hub_pid=$!
wait_until 120 "the hub answers /healthz" curl -sf "$hub_url/healthz"
caught_up() {
  curl -sf "$hub_url/metrics" >"$work/hub.metrics" &&
    [ "$(metric "$work/hub.metrics" "giamsat_hub_log_entries{origin=\"$origin\"}")" = $((n + 1)) ] &&
    [ "$(metric "$work/hub.metrics" "giamsat_hub_sync_lag{origin=\"$origin\"}")" = 0 ]
}
wait_until 120 "the hub's metrics show $origin cosigned at $((n + 1))" caught_up
check_metrics "$work/hub.metrics" || fail "hub /metrics does not parse (above)"
pass "every line of the hub's /metrics is in the text format"
[ "$(metric "$work/hub.metrics" giamsat_hub_cosignatures_given_total)" -ge 1 ] ||
  fail "cosignatures given: $(grep cosignatures "$work/hub.metrics")"
[ "$(metric "$work/hub.metrics" giamsat_hub_evidence)" = 0 ] || fail "evidence on an honest log"
[ "$(metric "$work/hub.metrics" "giamsat_hub_log_frozen{origin=\"$origin\"}")" = 0 ] ||
  fail "the honest log is frozen"
pass "the hub's metrics: entries, lag 0, a cosignature given, no evidence"
want_status 200 "hub /healthz" GET "$hub_url/healthz"
want_status 404 "hub: unknown path" GET "$hub_url/nowhere"
want_status 405 "hub: PUT" PUT "$hub_url/healthz" --data x

# ------------------------------------------------------------ 5. clean stop

kill -TERM "$hub_pid" "$node_pid"
rc=0
wait "$hub_pid" || rc=$?
hub_pid=
[ "$rc" = 0 ] || fail "the hub exited $rc on SIGTERM"
rc=0
wait "$node_pid" || rc=$?
node_pid=
[ "$rc" = 0 ] || fail "the node exited $rc on SIGTERM"
pass "both daemons stop cleanly with HTTP on"

# ------------------------------------------------------------ 6. quarantined node: 503

expect 0 "a forged entry appended on disk" -- "$tool" append-forged "$work/node/node.db" "$origin" \
  "$work/p1.key"
"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
wait_until 120 "the restarted node answers /healthz" \
  sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$node_url/healthz')\" != 000 ]"
want_status 503 "a quarantined node's /healthz" GET "$node_url/healthz"
grep -q '^unhealthy: quarantined: ' "$work/body" || fail "/healthz does not say why: $(cat "$work/body")"
curl -sf "$node_url/metrics" >"$work/node.metrics3" || fail "/metrics of the quarantined node"
[ "$(metric "$work/node.metrics3" giamsat_node_quarantined)" = 1 ] ||
  fail "giamsat_node_quarantined: $(grep quarantined "$work/node.metrics3")"
check_metrics "$work/node.metrics3" || fail "the quarantined node's /metrics"
pass "a quarantined node: /healthz 503 with the reason, giamsat_node_quarantined 1"
kill -TERM "$node_pid"
rc=0
wait "$node_pid" || rc=$?
node_pid=
[ "$rc" = 0 ] || fail "the quarantined node exited $rc on SIGTERM"
echo "it_http: all checks passed"
