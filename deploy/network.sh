#!/usr/bin/env bash
# deploy/network.sh — a whole multi-tier giamsat network on one machine.
#
#   deploy/network.sh up DIR       make (first time) and start the network in DIR
#   deploy/network.sh down DIR     stop every daemon of the network in DIR
#   deploy/network.sh status DIR   which daemons run, and each log's checkpoint
#
# The network, all on ipc:// sockets under DIR (nothing leaves the machine):
#
#   central node  giamsat/central/chinh-phu        witnessed by the central hub
#   central hub   giamsat/hub/trung-uong           follows everything below;
#                                                  witnessed by both province hubs
#                                                  and by the press monitor
#   province nodes giamsat/province/ha-noi, da-nang  witnessed by their province
#                                                  hub and the central hub
#   province hubs giamsat/hub/ha-noi, da-nang      follow their province and its
#                                                  communes, and witness the
#                                                  central hub
#   commune nodes giamsat/commune/phuc-xa, ba-dinh (Ha Noi),
#                 hai-chau, thanh-khe (Da Nang)    witnessed by their province
#                                                  hub and the central hub
#   press monitor witnesses the central hub's own log, watches all hubs
#
# The three hubs also serve HTTP on 127.0.0.1 (docs/http.md): tiles of every
# log they hold, the web view that verifies in the browser, Atom feeds,
# /metrics. Their ports are the first free ones from GIAMSAT_HTTP_PORT
# (default 8470) on, chosen when the network is made; DIR/web.url names the
# central hub's web view.
#
# The central hub fetches every commune log from the province hub's replica
# AND from the node itself, so a province hub that altered a replica, or a
# node that showed two hubs different checkpoints, is caught.
#
# GIAMSAT_BIN (default: build/ next to this script's folder) holds the
# binaries: cli/giamsat, node/giamsat-node, hub/giamsat-hub.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GIAMSAT_BIN:-$top/build}
gs=$bin/cli/giamsat
node_bin=$bin/node/giamsat-node
hub_bin=$bin/hub/giamsat-hub

usage() { echo "usage: $0 up|down|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

provinces=(ha-noi da-nang)
communes_of() {
  case $1 in
    ha-noi) echo phuc-xa ba-dinh ;;
    da-nang) echo hai-chau thanh-khe ;;
  esac
}

say() { printf '%s\n' "$*"; }

vkey_of() { # KEYFILE NAME [--cosigner]
  "$gs" key show "$1" --name "$2" ${3:-}
}

add_witness() { # CONF ENDPOINT VKEY  — adds a line to the [witness] section
  # The section may be followed by [log ...] sections (hub follow appends
  # them), so the line goes right under the section's header, not at the end.
  if ! grep -q '^\[witness\]' "$1"; then printf '\n[witness]\n' >>"$1"; fi
  sed -i "/^\[witness\]\$/a witness = $2,$3" "$1"
}

# The first port from $1 on that nothing on 127.0.0.1 answers.
free_port() {
  local p
  for ((p = $1; p < $1 + 200; p++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  say "no free port in $1..$(($1 + 199)) for HTTP: set GIAMSAT_HTTP_PORT" >&2
  return 1
}

make_network() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  say "making the network in $dir"
  # Fast checkpoints so a demonstration does not wait.
  local fast='s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 200/'

  "$gs" node init --dir "$dir/node-chinh-phu" --tier central --unit chinh-phu \
    --name "Chinh phu (Government)" >/dev/null
  sed -i "$fast" "$dir/node-chinh-phu/node.conf"
  local central_origin=giamsat/central/chinh-phu
  local central_vkey; central_vkey=$(vkey_of "$dir/node-chinh-phu/node.key" $central_origin)

  local http_port; http_port=$(free_port "${GIAMSAT_HTTP_PORT:-8470}")
  "$gs" hub init --dir "$dir/hub-trung-uong" --name trung-uong \
    --http "127.0.0.1:$http_port" >/dev/null
  echo "http://127.0.0.1:$http_port/web/" >"$dir/web.url"
  local chub_origin=giamsat/hub/trung-uong
  local chub_vkey chub_cos
  chub_vkey=$(vkey_of "$dir/hub-trung-uong/hub.key" $chub_origin)
  chub_cos=$(vkey_of "$dir/hub-trung-uong/hub.key" $chub_origin --cosigner)
  local chub_ep=ipc://$dir/hub-trung-uong/hub.sock

  "$gs" hub follow --config "$dir/hub-trung-uong/hub.conf" --origin $central_origin \
    --log-key "$central_vkey" --source "ipc://$dir/node-chinh-phu/node.sock" >/dev/null
  add_witness "$dir/node-chinh-phu/node.conf" "$chub_ep" "$chub_cos"

  for p in "${provinces[@]}"; do
    local porigin=giamsat/province/$p
    "$gs" node init --dir "$dir/node-$p" --tier province --unit "$p" --name "Tinh $p" \
      --parent-origin $central_origin --parent-key "$central_vkey" >/dev/null
    sed -i "$fast" "$dir/node-$p/node.conf"
    local pvkey; pvkey=$(vkey_of "$dir/node-$p/node.key" "$porigin")

    http_port=$(free_port $((http_port + 1)))
    "$gs" hub init --dir "$dir/hub-$p" --name "$p" --http "127.0.0.1:$http_port" >/dev/null
    local phub_origin=giamsat/hub/$p
    local phub_vkey phub_cos
    phub_vkey=$(vkey_of "$dir/hub-$p/hub.key" "$phub_origin")
    phub_cos=$(vkey_of "$dir/hub-$p/hub.key" "$phub_origin" --cosigner)
    local phub_ep=ipc://$dir/hub-$p/hub.sock

    # The province hub follows its province node and witnesses the centre.
    "$gs" hub follow --config "$dir/hub-$p/hub.conf" --origin "$porigin" --log-key "$pvkey" \
      --source "ipc://$dir/node-$p/node.sock" >/dev/null
    "$gs" hub follow --config "$dir/hub-$p/hub.conf" --origin $chub_origin \
      --log-key "$chub_vkey" --source "$chub_ep" >/dev/null
    add_witness "$dir/hub-trung-uong/hub.conf" "$phub_ep" "$phub_cos"
    # The central hub follows the province node and the province hub's own log.
    "$gs" hub follow --config "$dir/hub-trung-uong/hub.conf" --origin "$porigin" \
      --log-key "$pvkey" --source "ipc://$dir/node-$p/node.sock" --source "$phub_ep" >/dev/null
    "$gs" hub follow --config "$dir/hub-trung-uong/hub.conf" --origin "$phub_origin" \
      --log-key "$phub_vkey" --source "$phub_ep" >/dev/null
    add_witness "$dir/hub-$p/hub.conf" "$chub_ep" "$chub_cos"
    add_witness "$dir/node-$p/node.conf" "$phub_ep" "$phub_cos"
    add_witness "$dir/node-$p/node.conf" "$chub_ep" "$chub_cos"

    for c in $(communes_of "$p"); do
      local corigin=giamsat/commune/$c
      "$gs" node init --dir "$dir/node-$c" --tier commune --unit "$c" --name "Xa $c" \
        --parent-origin "$porigin" --parent-key "$pvkey" >/dev/null
      sed -i "$fast" "$dir/node-$c/node.conf"
      local cvkey; cvkey=$(vkey_of "$dir/node-$c/node.key" "$corigin")
      "$gs" hub follow --config "$dir/hub-$p/hub.conf" --origin "$corigin" --log-key "$cvkey" \
        --source "ipc://$dir/node-$c/node.sock" >/dev/null
      # The centre reads the province hub's replica first, the node second.
      "$gs" hub follow --config "$dir/hub-trung-uong/hub.conf" --origin "$corigin" \
        --log-key "$cvkey" --source "$phub_ep" --source "ipc://$dir/node-$c/node.sock" >/dev/null
      add_witness "$dir/node-$c/node.conf" "$phub_ep" "$phub_cos"
      add_witness "$dir/node-$c/node.conf" "$chub_ep" "$chub_cos"
    done
  done

  # The press monitor: its own key, a trust file, and it witnesses the centre.
  mkdir -p "$dir/monitor"
  chmod 700 "$dir/monitor"
  "$gs" key new --out "$dir/monitor/monitor.key" >/dev/null
  local mon_cos; mon_cos=$(vkey_of "$dir/monitor/monitor.key" press-monitor --cosigner)
  add_witness "$dir/hub-trung-uong/hub.conf" "ipc://$dir/monitor/monitor.sock" "$mon_cos"
  {
    echo "# giamsat trust file (C2SP tlog-policy), written by deploy/network.sh"
    echo "log $central_vkey"
    for p in "${provinces[@]}"; do
      echo "log $(vkey_of "$dir/node-$p/node.key" "giamsat/province/$p")"
      echo "log $(vkey_of "$dir/hub-$p/hub.key" "giamsat/hub/$p")"
      for c in $(communes_of "$p"); do
        echo "log $(vkey_of "$dir/node-$c/node.key" "giamsat/commune/$c")"
      done
    done
    echo "log $chub_vkey"
    echo "witness trung-uong $chub_cos"
    for p in "${provinces[@]}"; do
      echo "witness $p $(vkey_of "$dir/hub-$p/hub.key" "giamsat/hub/$p" --cosigner)"
    done
    echo "witness press $mon_cos"
    echo "group hubs any trung-uong ${provinces[*]}"
    echo "quorum hubs"
  } >"$dir/trust.policy"
  touch "$dir/.made"
}

start() { # NAME CMD...
  local name=$1; shift
  local pidf=$dir/run/$name.pid
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then return; fi
  "$@" >>"$dir/logs/$name.log" 2>&1 &
  echo $! >"$pidf"
}

# Every daemon started must still run, and each socket must answer.
wait_ready() {
  local socks=("$dir/node-chinh-phu/node.sock" "$dir/hub-trung-uong/hub.sock")
  for p in "${provinces[@]}"; do
    socks+=("$dir/node-$p/node.sock" "$dir/hub-$p/hub.sock")
    for c in $(communes_of "$p"); do
      [ -d "$dir/node-$c" ] && socks+=("$dir/node-$c/node.sock")
    done
  done
  local left=("${socks[@]}")
  # Two minutes at most: a loaded machine starts daemons slowly.
  local end=$(($(date +%s) + 120))
  while [ "$(date +%s)" -lt "$end" ]; do
    for pidf in "$dir"/run/*.pid; do
      [ -f "$pidf" ] || continue
      if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
        local name; name=$(basename "$pidf" .pid)
        rm -f "$pidf"
        say "$name failed to start; the end of $dir/logs/$name.log:" >&2
        tail -n 5 "$dir/logs/$name.log" >&2
        return 1
      fi
    done
    local still=()
    for s in "${left[@]}"; do
      "$gs" checkpoint --connect "ipc://$s" --timeout 500 >/dev/null 2>&1 || still+=("$s")
    done
    [ ${#still[@]} -eq 0 ] && return 0
    left=("${still[@]}")
    sleep 0.2
  done
  say "not answering after 120 s: ${left[*]}" >&2
  return 1
}

up() {
  [ -f "$dir/.made" ] || make_network
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/run" "$dir/logs"
  start node-chinh-phu "$node_bin" --config "$dir/node-chinh-phu/node.conf"
  for p in "${provinces[@]}"; do
    start "node-$p" "$node_bin" --config "$dir/node-$p/node.conf"
    for c in $(communes_of "$p"); do
      # A commune node deleted for good stays gone.
      if [ -d "$dir/node-$c" ]; then
        start "node-$c" "$node_bin" --config "$dir/node-$c/node.conf"
      fi
    done
  done
  start hub-trung-uong "$hub_bin" --config "$dir/hub-trung-uong/hub.conf"
  for p in "${provinces[@]}"; do
    start "hub-$p" "$hub_bin" --config "$dir/hub-$p/hub.conf"
  done
  local subs=()
  for h in trung-uong "${provinces[@]}"; do subs+=(--subscribe "ipc://$dir/hub-$h/hub.pub"); done
  start monitor "$gs" monitor --trust "$dir/trust.policy" \
    --connect "ipc://$dir/hub-trung-uong/hub.sock" "${subs[@]}" \
    --witness-key "$dir/monitor/monitor.key" --witness-name press-monitor \
    --listen "ipc://$dir/monitor/monitor.sock" --db "$dir/monitor/monitor.db"
  # Ready when every daemon runs and every node and hub answers.
  wait_ready || exit 1
  say "network up in $dir (logs in $dir/logs, trust file $dir/trust.policy)"
}

down() {
  [ -d "$dir/run" ] || return 0
  for pidf in "$dir"/run/*.pid; do
    [ -f "$pidf" ] || continue
    local pid; pid=$(cat "$pidf")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pidf in "$dir"/run/*.pid; do
    [ -f "$pidf" ] || continue
    local pid; pid=$(cat "$pidf")
    # A clean stop within 30 s, or killed.
    local end=$(($(date +%s) + 30))
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidf"
  done
  say "network in $dir stopped"
}

status() {
  dir=$(cd "$dir" && pwd)
  for pidf in "$dir"/run/*.pid; do
    [ -f "$pidf" ] || continue
    local name; name=$(basename "$pidf" .pid)
    if kill -0 "$(cat "$pidf")" 2>/dev/null; then say "running  $name"; else say "stopped  $name"; fi
  done
  for s in "$dir"/node-*/node.sock "$dir"/hub-*/hub.sock; do
    [ -S "$s" ] || continue
    local cp; cp=$("$gs" checkpoint --connect "ipc://$s" --timeout 1000 2>/dev/null || true)
    [ -n "$cp" ] || continue
    local sigs; sigs=$(printf '%s\n' "$cp" | grep -c '^— ' || true)
    say "$(printf '%s' "$cp" | sed -n 1p) size $(printf '%s' "$cp" | sed -n 2p), $sigs signature(s)"
  done
  for conf in "$dir"/hub-*/hub.conf; do
    local ep; ep=$(sed -n 's/^http *= *//p' "$conf")
    [ -n "$ep" ] && say "web      $(basename "$(dirname "$conf")")  http://$ep/web/"
  done
  return 0
}

case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  *) usage ;;
esac
