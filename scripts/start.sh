#!/usr/bin/env bash
# THE main command: bash scripts/start.sh
# Installs what is missing (scripts/setup.sh), brings the lab cloud up (lab/lab up, when this clone has it),
# packages the extension (.vsix), installs it into code-server and starts code-server on 127.0.0.1
# (port 8080 or the next free one) with the settings pointing at the lab; prints the URL and stays in the
# foreground until Ctrl-C. Options go to scripts/start.ts: --folder <path>, --port <n>.
# Env: LAB_SKIP_UP=1 skips `lab/lab up`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
if [[ ${LAB_SKIP_UP:-} != 1 && -x lab/lab ]]; then
  lab/lab up </dev/null || echo "[start] lab/lab up failed: starting without a working lab" >&2
fi
exec node node_modules/tsx/dist/cli.mjs scripts/start.ts "$@"
