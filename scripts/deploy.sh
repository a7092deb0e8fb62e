#!/usr/bin/env bash
# Deploys one stack with Pulumi's local file backend (no Pulumi Cloud account needed):
#   npm run deploy -- dev        (or: bash scripts/deploy.sh prod)
#   npm run destroy -- dev       (bash scripts/deploy.sh --destroy dev): pulumi destroy, then lists
#                                the data volumes it kept and how to delete them
# State goes to .pulumi-state/ unless PULUMI_BACKEND_URL says otherwise; the secrets passphrase
# comes from PULUMI_CONFIG_PASSPHRASE(_FILE) or is generated once per stack into .pulumi-state/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=up
if [ "${1:-}" = --destroy ]; then
  mode=destroy
  shift
fi
stack=${1:-dev}
shift || true

if ! command -v pulumi >/dev/null 2>&1; then
  echo "deploy: the Pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/iac/download-install/), then run this again." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "deploy: no Docker Engine answers. Start Docker (as root on Debian: bash scripts/docker-engine.sh), then run this again." >&2
  exit 1
fi
[ -d node_modules ] || npm ci

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  passphrase=.pulumi-state/passphrase-$stack
  if [ ! -f "$passphrase" ] && [ "$mode" = destroy ]; then
    echo "deploy: no secrets passphrase for stack $stack in $passphrase; set PULUMI_CONFIG_PASSPHRASE(_FILE) to the one it was deployed with" >&2
    exit 1
  fi
  if [ ! -f "$passphrase" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$passphrase")
    echo "deploy: generated the secrets passphrase of stack $stack in $passphrase; back it up, state secrets need it"
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE=$PWD/$passphrase
fi

if [ "$mode" = destroy ]; then
  pulumi stack select "$stack"
  pulumi destroy --yes --stack "$stack" "$@"
  # destroy keeps the data volumes (retainOnDelete): say which, and how to go on from them.
  echo "deploy: destroy keeps the data volumes of stack $stack (their data, with this deploy's passwords); on this Docker Engine:"
  node --import tsx cli/volumes.ts --stack "$stack" || true
  echo "deploy: a later deploy of $stack starts on kept volumes and needs their passwords (docs/operations.md, \"Re-creating a stack on kept volumes\");"
  echo "        npm run volumes -- --stack $stack --remove deletes them and their data."
  exit 0
fi
pulumi stack select --create --secrets-provider passphrase "$stack"
pulumi up --yes --stack "$stack" "$@"
