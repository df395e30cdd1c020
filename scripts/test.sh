#!/usr/bin/env bash
# THE test command: bash scripts/test.sh
#
# setup → lab up (once) → build → type check → lint → package the .vsix → the test tiers in order:
#   unit         mocha in plain Node over src/core           test/unit/**/*.test.ts
#   differential our config readers against the real tools   test/differential/**/*.test.ts (ssh -G, ssh-keygen -F,
#                (no lab)                                    openstacksdk's get_one() through Debian's python3)
#   integration  mocha in plain Node against the lab          test/integration/**/*.test.ts (LAB_SKIP_UP=1)
#   extension    mocha inside code-server's extension host    test/extension/suite/*.test.ts
#   e2e          Playwright + Chromium + code-server + .vsix  test/e2e/**/*.test.ts
# Each prints its own counts; the run ends with a summary table and the line `summary: N passed, N failed`.
# Exit code 0 only when every step and tier passed. Benchmarks (bench/) are not part of pass/fail:
# run them with `npx tsx bench/run.ts`.
#
# Env: TIERS=unit,integration     run a subset (also: typecheck, lint, differential, extension, e2e); default: everything
#      KEEP_RUN=1                 keep code-server run folders under .run/ even when tests pass
#      LAB_SKIP_UP=1              don't run `lab/lab up` (the lab is managed by the caller)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CI="${CI:-}" FORCE_COLOR=0 NO_COLOR=1 npm_config_update_notifier=false
ALL_TIERS="typecheck,lint,unit,differential,integration,extension,e2e"
TIERS=",${TIERS:-$ALL_TIERS},"
want() { [[ $TIERS == *",$1,"* ]]; }

RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$$"
LOGS="$ROOT/.run/test/$RUN_ID"
mkdir -p "$LOGS"
# keep the logs of the last 10 runs
ls -1d "$ROOT"/.run/test/*/ 2>/dev/null | sort | head -n -10 | xargs -r rm -rf

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_START=$(now)

ROWS=()          # "name|passed|failed|pending|seconds|note"
TOTAL_PASSED=0 TOTAL_FAILED=0 OK=1

banner() { printf '\n==== %s ====\n' "$*"; }
row() { ROWS+=("$1|$2|$3|$4|$5|$6"); }

# A step that is not a test tier (setup, build, type check, ...): ok or one failure.
step() { # name logfile cmd...
  local name=$1 log=$2; shift 2
  banner "$name"
  local t; t=$(now)
  "$@" </dev/null 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} dt; dt=$(secs "$t")
  if ((rc == 0)); then row "$name" - - - "$dt" ok
  else row "$name" - 1 - "$dt" "failed (exit $rc, log ${log#"$ROOT"/})"; TOTAL_FAILED=$((TOTAL_FAILED + 1)); OK=0; fi
  return "$rc"
}

# A test tier: runs mocha (or a runner printing mocha's spec output) and reads its counts.
tier() { # name logfile cmd...
  local name=$1 log=$2; shift 2
  banner "tier: $name"
  local t; t=$(now)
  "$@" </dev/null 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} dt; dt=$(secs "$t")
  local clean passed failed pending note
  clean=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log")
  passed=$(grep -Eo '^ +[0-9]+ passing' <<<"$clean" | tail -1 | grep -Eo '[0-9]+' || true)
  failed=$(grep -Eo '^ +[0-9]+ failing' <<<"$clean" | tail -1 | grep -Eo '[0-9]+' || true)
  pending=$(grep -Eo '^ +[0-9]+ pending' <<<"$clean" | tail -1 | grep -Eo '[0-9]+' || true)
  if [[ -z $passed && -z $failed ]]; then
    # no closing counts (killed by the tier's timeout, or crashed): count the spec reporter's lines so far
    passed=$(grep -cE '^ +✔ ' <<<"$clean" || true)
    failed=$(grep -cE '^ +[0-9]+\) ' <<<"$clean" || true)
  fi
  passed=${passed:-0} failed=${failed:-0} pending=${pending:-0}
  if ((rc == 124)); then failed=$((failed + 1)); note="timed out after ${dt}s (counts so far; log ${log#"$ROOT"/})"
  elif ((rc != 0 && failed == 0)); then failed=1; note="crashed (exit $rc, log ${log#"$ROOT"/})"
  elif ((rc != 0)); then note="failed (log ${log#"$ROOT"/})"
  else note=ok; fi
  printf -- '---- %s: %s passed, %s failed, %s pending in %ss\n' "$name" "$passed" "$failed" "$pending" "$dt"
  row "$name" "$passed" "$failed" "$pending" "$dt" "$note"
  TOTAL_PASSED=$((TOTAL_PASSED + passed)) TOTAL_FAILED=$((TOTAL_FAILED + failed))
  ((rc == 0)) || OK=0
}

skip_tier() { row "$1" 0 0 0 0.0 "$2"; printf -- '---- %s: skipped (%s)\n' "$1" "$2"; }

has_tests() { [[ -n $(find "$1" -name '*.test.ts' -print -quit 2>/dev/null) ]]; }

summary() {
  banner "summary"
  printf '%-13s %7s %7s %8s %9s  %s\n' step passed failed pending seconds result
  local r name p f pe s note
  for r in "${ROWS[@]}"; do
    IFS='|' read -r name p f pe s note <<<"$r"
    printf '%-13s %7s %7s %8s %9s  %s\n' "$name" "$p" "$f" "$pe" "$s" "$note"
  done
  printf '%-13s %7s %7s %8s %9s\n' total "$TOTAL_PASSED" "$TOTAL_FAILED" "" "$(secs "$T_START")"
  [[ -n ${VSIX_NOTE:-} ]] && echo "$VSIX_NOTE"
  [[ -n ${ACTIVATION_NOTE:-} ]] && echo "$ACTIVATION_NOTE"
  echo "logs: ${LOGS#"$ROOT"/}"
  if ((OK)); then echo "result: PASS"; else echo "result: FAIL"; fi
  echo "summary: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
}

# ------------------------------------------------------------------ preparation
if ! step setup "$LOGS/setup.log" bash scripts/setup.sh; then summary; exit 1; fi

needs_lab=0
for t in integration extension e2e; do want $t && needs_lab=1; done
if ((needs_lab)); then
  if [[ ${LAB_SKIP_UP:-} == 1 ]]; then
    row lab - - - 0.0 "skipped (LAB_SKIP_UP=1: the caller manages the lab)"
  elif [[ -x lab/lab ]]; then
    # The one `lab up` of the run (fast when the lab is already up); tests then skip their own.
    step lab "$LOGS/lab.log" timeout 1500 lab/lab up || true
    export LAB_SKIP_UP=1
  else
    row lab - - - 0.0 "skipped (no lab/lab in this clone)"
  fi
fi

if ! step build "$LOGS/build.log" node esbuild.mjs --tests; then summary; exit 1; fi
want typecheck && { step typecheck "$LOGS/typecheck.log" npx tsc -p . || true; }
want lint && { step lint "$LOGS/lint.log" npx eslint src test bench || true; }

if want e2e || [[ $TIERS == ",$ALL_TIERS," ]]; then
  # dist/<name>-<version>.vsix: what the e2e tier installs and the README's main command ships.
  if step package "$LOGS/package.log" npx tsx test/runners/vsix.ts --no-build; then
    VSIX_NOTE=".vsix: $(grep -o 'packaged .*' "$LOGS/package.log" | sed 's/^packaged //')"
  fi
fi

# ------------------------------------------------------------------ tiers
# Tests and the tools they drive (Playwright's artifacts, mkdtemp, ssh-agent sockets) write their temporary
# files into this run's folder, not the system's.
export TMPDIR="$LOGS/tmp"
mkdir -p "$TMPDIR" && chmod 1777 "$TMPDIR" # like /tmp: tests also run commands as other users
MOCHA=(npx mocha --require tsx/cjs --reporter spec --no-color)
if want unit; then
  if has_tests test/unit; then tier unit "$LOGS/unit.log" timeout 600 "${MOCHA[@]}" 'test/unit/**/*.test.ts'
  else skip_tier unit "no tests yet"; fi
fi
if want differential; then
  if has_tests test/differential; then
    tier differential "$LOGS/differential.log" timeout 900 "${MOCHA[@]}" --timeout 60000 'test/differential/**/*.test.ts'
  else skip_tier differential "no tests yet"; fi
fi
if want integration; then
  if has_tests test/integration; then
    tier integration "$LOGS/integration.log" timeout 1500 "${MOCHA[@]}" --timeout 60000 'test/integration/**/*.test.ts'
  else skip_tier integration "no tests yet"; fi
fi
if want extension; then
  tier extension "$LOGS/extension.log" timeout 600 npx tsx test/runners/extension-host.ts --no-build
  ACTIVATION_NOTE=$(grep -m1 '^activation time:' "$LOGS/extension.log" || true)
fi
if want e2e; then
  tier e2e "$LOGS/e2e.log" timeout 900 "${MOCHA[@]}" --timeout 120000 'test/e2e/**/*.test.ts'
fi

summary
((OK)) || exit 1
