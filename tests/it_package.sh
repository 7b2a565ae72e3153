#!/usr/bin/env bash
# it_package.sh — the Debian package as an operator gets it: built by the one
# documented command (deploy/build-deb.sh) in its own build folder (Release,
# no sanitizers), installed with dpkg -i, then
#   - the programs, units, sysusers.d file, man pages, completion and docs
#     are where Debian looks for them, and the giamsat user exists;
#   - every program says the version of CMakeLists.txt;
#   - man finds and renders the four pages; bash completes commands,
#     subcommands and flags;
#   - `systemd-analyze verify` accepts the installed units, and
#     `systemd-analyze security --offline=true` rates each at most 2.5;
# and the package is purged again at the end, whatever happens (trap).
# It changes the machine (installs into /usr): root or passwordless sudo;
# skipped (77) without either, or when giamsat is already installed (an
# operator's package is not this test's to remove).
#
# usage: it_package.sh BUILD_DIR
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-package-XXXXXX")
installed=
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "SKIP: needs root or passwordless sudo to dpkg -i"; exit 77; }
  sudo=(sudo -n)
fi
cleanup() {
  [ -z "$installed" ] || "${sudo[@]}" dpkg --purge giamsat >/dev/null || echo "could not remove giamsat" >&2
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok   $*"; }


# ---- build: the command README documents, in a folder of this build
deb=$("$top/deploy/build-deb.sh" "$build/package" 2>"$work/build.log" | tail -1) ||
  { tail -30 "$work/build.log" >&2; fail "deploy/build-deb.sh failed"; }
[ -f "$deb" ] || fail "deploy/build-deb.sh named no .deb: '$deb'"
version=$(sed -n 's/^project(giamsat VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ "$(dpkg-deb -f "$deb" Package)" = giamsat ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsodium libzmq libsqlite3 libsystemd0 systemd; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
pass "built $(basename "$deb"), Depends: $depends"
contents=$(dpkg-deb -c "$deb")
! grep -q '/usr/local' <<<"$contents" || fail "the package puts files under /usr/local"

# ---- install (the lock: two runs of the suite on one machine take turns)
exec 9>"${TMPDIR:-/tmp}/giamsat-it-package.lock"
flock 9
if [ "$(dpkg-query -W -f='${Status}' giamsat 2>/dev/null || true)" = "install ok installed" ]; then
  echo "SKIP: a giamsat package is already installed on this machine"
  exit 77
fi
installed=1
"${sudo[@]}" dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
pass "dpkg -i"

# Minimal images (debian:*-slim) tell dpkg not to install man pages and
# documents: there they are checked in the package instead.
excluded() { grep -qsE "^path-exclude[= ]*$1" /etc/dpkg/dpkg.cfg.d/*; }
man_files="/usr/share/man/man1/giamsat.1.gz /usr/share/man/man8/giamsat-node.8.gz
  /usr/share/man/man8/giamsat-hub.8.gz /usr/share/man/man5/giamsat.conf.5.gz"
doc_files=/usr/share/doc/giamsat/operations.md
for f in /usr/bin/giamsat /usr/bin/giamsat-node /usr/bin/giamsat-hub \
  /usr/lib/systemd/system/giamsat-node@.service /usr/lib/systemd/system/giamsat-hub@.service \
  /usr/lib/sysusers.d/giamsat.conf \
  /usr/share/bash-completion/completions/giamsat /usr/share/bash-completion/completions/giamsat-node \
  $man_files $doc_files; do
  if excluded "${f%/*}" || { [[ $f == /usr/share/man/* ]] && excluded /usr/share/man; } ||
    { [[ $f == /usr/share/doc/* ]] && excluded /usr/share/doc; }; then
    grep -q "\.$f\$" <<<"$contents" || fail "$f not in the package"
  else
    [ -f "$f" ] || fail "$f not installed"
  fi
done
pass "files in place"
getent passwd giamsat >/dev/null || fail "no giamsat user after install (systemd-sysusers)"
[ "$(getent passwd giamsat | cut -d: -f7)" != /bin/bash ] || fail "the giamsat user has a login shell"
pass "the giamsat user exists: $(getent passwd giamsat)"

for p in giamsat giamsat-node giamsat-hub; do
  [ "$(/usr/bin/$p --version)" = "$p $version" ] || fail "$p --version: $(/usr/bin/$p --version)"
done
pass "--version of the three programs is $version"
libs=$(ldd /usr/bin/giamsat-node)
! grep -q libasan <<<"$libs" || fail "the package's programs are built with sanitizers"

# ---- man pages (where dpkg installs them)
verify_man=()
if excluded /usr/share/man; then
  echo "skip man: this system excludes /usr/share/man from packages"
  verify_man=(--man=no) # Documentation=man:… cannot resolve here
else
  for page in "1 giamsat" "8 giamsat-node" "8 giamsat-hub" "5 giamsat.conf"; do
    read -r sec name <<<"$page"
    [ "$(man -w "$sec" "$name")" = "/usr/share/man/man$sec/$name.$sec.gz" ] ||
      fail "man -w $sec $name: $(man -w "$sec" "$name" 2>&1)"
    MANWIDTH=80 man "$sec" "$name" >"$work/man.txt" 2>"$work/man.err"
    [ ! -s "$work/man.err" ] || fail "man $sec $name warns: $(cat "$work/man.err")"
    grep -q "^NAME" "$work/man.txt" || fail "man $sec $name renders no NAME"
    grep -q "^ *$name - " "$work/man.txt" || fail "man $sec $name has no '$name - ...' line"
  done
  grep -q "LoadCredential" <<<"$(man 8 giamsat-node)" ||
    fail "giamsat-node(8) does not say how the passphrase is passed"
  pass "man giamsat, giamsat-node, giamsat-hub, giamsat.conf"
fi

# ---- completion, through bash-completion's loader when it is there
complete_words() { # the words bash offers for the command line "$*"
  bash -c '
    . /usr/share/bash-completion/completions/giamsat
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    case ${COMP_WORDS[0]} in giamsat) _giamsat ;; *) _giamsat_daemon ;; esac
    printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
offers() { # WORD COMMAND-LINE...: bash offers WORD for the command line
  local want=$1 got
  shift
  got=$(complete_words "$@")
  grep -qx -- "$want" <<<"$got" || fail "completion of '$*' offers no $want: $(tr '\n' ' ' <<<"$got")"
}
offers verify giamsat ver
offers verify-evidence giamsat ver
offers new giamsat key ""
offers consistency giamsat proof c
offers --role giamsat appoint --ro
offers inspector giamsat appoint --role ""
offers --config giamsat-node --con
pass "bash completion: commands, subcommands, flags, values"

# ---- the installed units: verify, then the exposure score of each
for unit in giamsat-node@ giamsat-hub@; do
  # An instance, as systemctl would start it, from the installed template.
  instance=/usr/lib/systemd/system/${unit}xa-an-binh.service
  systemd-analyze verify "${verify_man[@]}" "$instance" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log" >&2; fail "systemd-analyze verify $instance"; }
  # What it says of other units of this machine is not ours to judge.
  ! grep -i giamsat "$work/verify.log" || fail "systemd-analyze verify ${unit}.service warns"
  systemd-analyze security --offline=true "$instance" \
    >"$work/security.log" 2>&1 || { cat "$work/security.log" >&2; fail "systemd-analyze security ${unit}"; }
  score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$work/security.log")
  [ -n "$score" ] || { cat "$work/security.log" >&2; fail "no exposure level for $unit"; }
  awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || {
    grep '✗' "$work/security.log" >&2
    fail "$unit exposure $score, above 2.5"
  }
  pass "$unit: systemd-analyze verify clean, security exposure $score (<= 2.5)"
done

# ---- removal leaves no program behind
"${sudo[@]}" dpkg --purge giamsat >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
installed=
[ ! -e /usr/bin/giamsat-node ] || fail "giamsat-node still there after dpkg --purge"
[ ! -e /usr/lib/systemd/system/giamsat-node@.service ] || fail "unit still there after dpkg --purge"
pass "dpkg --purge (the giamsat user stays, as Debian does)"
echo "PASS it_package"
