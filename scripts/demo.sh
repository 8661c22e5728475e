#!/usr/bin/env bash
# drill's main job on the embedded lab: a rolling update under load through
# the lab ALB, without and with a preStop hook, then the two runs compared.
# Used by `make demo` (as root: the lab is built from network namespaces).
set -uo pipefail
cd "$(dirname "$0")/.."
out=runs/demo-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

bin/drill run --dir "$out/no-prestop" scenarios/rolling-update-no-prestop.yaml
no_prestop=$?
bin/drill run --dir "$out/prestop" scenarios/rolling-update-prestop.yaml
prestop=$?
bin/drill compare --labels no-prestop,prestop "$out/no-prestop" "$out/prestop"

echo
echo "without preStop: exit $no_prestop (3 = checks failed: the rollout dropped requests)"
echo "with preStop:    exit $prestop (0 = every check passed: no request dropped)"
echo "runs and reports: $out"
[ "$no_prestop" -eq 3 ] && [ "$prestop" -eq 0 ]
