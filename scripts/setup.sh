#!/usr/bin/env bash
# Installs what the tests and the demo need, idempotently (a few seconds when all is there):
#   - Debian packages (chromium for Playwright, libkrb5-dev + ripgrep for code-server's native modules,
#     openssh/iproute2/iptables for the lab hosts, python3-openstacksdk as the differential tier's reference);
#   - the npm dependencies of this project (npm ci, only when package-lock.json changed);
#   - code-server (a real VS Code from npm) into .cache/code-server/, offline-safe.
# Usage: bash scripts/setup.sh        (CODE_SERVER_VERSION overrides the pinned version)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}" # newest code-server whose engines.node is 20
CACHE="$ROOT/.cache"
CS_DIR="$CACHE/code-server"
CS_PKG="$CS_DIR/node_modules/code-server"
CS_STAMP="$CS_DIR/.installed-$CODE_SERVER_VERSION"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- Debian packages
APT_PACKAGES=(chromium libkrb5-dev ripgrep openssh-server openssh-client netcat-openbsd iproute2 iptables procps sudo
  python3 make g++ unzip python3-openstacksdk)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  t=$(now)
  SUDO=(); [[ $(id -u) == 0 ]] || SUDO=(sudo)
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "Debian packages installed in $(since "$t") s"
fi

# ---------------------------------------------------------------- project npm dependencies
node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ $node_major == 20 ]] || log "warning: Node $node_major found; code-server $CODE_SERVER_VERSION needs Node 20"
# npm ci only when node_modules does not match package-lock.json (a version differs or a package is missing).
lock_matches() {
  [[ -f node_modules/.package-lock.json ]] || return 1
  node -e '
    const want = require("./package-lock.json").packages, have = require("./node_modules/.package-lock.json").packages;
    for (const [k, v] of Object.entries(want)) {
      if (!k || v.link) continue;
      if (!have[k] ? !v.optional : have[k].version !== v.version) { console.error(`[setup] ${k} is not as locked`); process.exit(1); }
    }'
}
if ! lock_matches; then
  t=$(now)
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  log "npm ci done in $(since "$t") s"
fi

# ---------------------------------------------------------------- code-server
# Checks that code-server's postinstall ran and that its native modules load with this Node.
verify_code_server() {
  [[ -x "$CS_DIR/node_modules/.bin/code-server" && -L "$CS_PKG/lib/vscode/node_modules.asar" ]] || return 1
  [[ -x "$CS_PKG/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]] || return 1
  (cd "$CS_PKG" && node -e '
    const mods = ["argon2", "./lib/vscode/node_modules/node-pty", "./lib/vscode/node_modules/kerberos",
      "./lib/vscode/node_modules/@vscode/spdlog", "./lib/vscode/node_modules/@parcel/watcher",
      "./lib/vscode/node_modules/native-watchdog"];
    for (const m of mods) { try { require(m); } catch (e) { console.error(`[setup] ${m}: ${e.message.split("\n")[0]}`); process.exit(1); } }
  ') || return 1
}

if [[ ! -f "$CS_STAMP" ]] || ! verify_code_server; then
  t=$(now)
  log "installing code-server@$CODE_SERVER_VERSION into .cache/code-server (offline-safe)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR" "$CACHE/tmp"
  # @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds
  # $TMPDIR/vscode-ripgrep-cache-<its version>/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz;
  # a tar.gz holding Debian's rg at its root is accepted. Read its version from code-server's shrinkwrap.
  tarball="$CACHE/tmp/code-server-$CODE_SERVER_VERSION.tgz"
  [[ -f "$tarball" ]] || (cd "$CACHE/tmp" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null)
  rg_version=$(tar -xzOf "$tarball" package/lib/vscode/npm-shrinkwrap.json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages["node_modules/@vscode/ripgrep"].version))')
  rg_cache="$CACHE/tmp/vscode-ripgrep-cache-$rg_version"
  mkdir -p "$rg_cache"
  tar -czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  # The project-local prefix gets its own package.json so npm 11's install-script policy (allowScripts)
  # records that code-server's own postinstall and argon2's build are meant to run. The nested
  # `npm install` of code-server's postinstall (lib/vscode: node-pty, kerberos, spdlog, ripgrep, ...) runs
  # under npm 11's advisory policy (it prints "not yet covered by allowScripts" and runs them);
  # verify_code_server fails loudly if a future npm skips them.
  cat >"$CS_DIR/package.json" <<EOF
{
  "name": "code-server-cache",
  "private": true,
  "description": "Project-local code-server for tests and the demo (scripts/setup.sh).",
  "allowScripts": { "code-server": true, "argon2": true }
}
EOF
  # unsafe_perm: code-server's postinstall refuses to run as root without it; yes: node-pty runs `npx node-gyp`;
  # nodedir: build native modules against the local Node headers instead of downloading them.
  (
    cd "$CS_DIR"
    # JOBS: node-gyp compiles each native module with make -j<cores>.
    export TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr JOBS=max \
      npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    npm install --no-save --foreground-scripts --loglevel=warn "$tarball" >"$CACHE/code-server-install.log" 2>&1
  ) || { tail -40 "$CACHE/code-server-install.log" >&2; die "code-server install failed (log: .cache/code-server-install.log)"; }
  grep -q 'Using cached download' "$CACHE/code-server-install.log" || log "note: ripgrep cache was not used (see .cache/code-server-install.log)"
  verify_code_server || { tail -40 "$CACHE/code-server-install.log" >&2; die "code-server installed but its native modules or postinstall are missing"; }
  touch "$CS_STAMP"
  cs_version=$(XDG_CONFIG_HOME="$CACHE/tmp/xdg" XDG_DATA_HOME="$CACHE/tmp/xdg" "$CS_DIR/node_modules/.bin/code-server" --version | tail -1)
  log "code-server $cs_version installed in $(since "$t") s ($(du -sm "$CS_DIR" | cut -f1) MB)"
fi
