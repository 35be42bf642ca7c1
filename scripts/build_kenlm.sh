#!/usr/bin/env bash
# Builds KenLM's estimation tools (lmplz, build_binary) into the virtualenv's bin/.
# The kenlm wheel only ships the query module; the estimator lives in the same source
# distribution (lm/builder) and needs Boost, which Debian packages.
# Usage: scripts/build_kenlm.sh [VENV]   (default .venv; idempotent)
set -euo pipefail
VENV=${1:-.venv}
BIN="$VENV/bin"
if [ -x "$BIN/lmplz" ] && [ -x "$BIN/build_binary" ]; then exit 0; fi
need="libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev"
missing=$(for p in $need; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('kenlm'))" 2>/dev/null || echo "")
"$VENV/bin/pip" download -q --no-deps --no-binary kenlm -d "$work" "kenlm${version:+==$version}"
tar -xzf "$work"/kenlm-*.tar.gz -C "$work"
src=$(find "$work" -maxdepth 1 -type d -name 'kenlm-*' | head -1)
mkdir -p "$src/build"
(cd "$src/build" && cmake .. -DCMAKE_BUILD_TYPE=Release -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >/dev/null \
  && make -j"$(nproc)" lmplz build_binary >/dev/null)
install -m 755 "$src/build/bin/lmplz" "$src/build/bin/build_binary" "$BIN/"
echo "installed $BIN/lmplz $BIN/build_binary"
