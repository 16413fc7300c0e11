#!/usr/bin/env bash
# Deploy one published image to a Docker host over SSH, with docker compose.
#
#   deploy/deploy.sh ghcr.io/OWNER/REPO:TAG
#
# On the host (once): Docker with the compose plugin, a user that may run docker, and in
# DEPLOY_PATH a `.env` with the production settings (ENVIRONMENT=production,
# POSTGRES_PASSWORD, BACKBONE_ASSISTANT_JWT_SECRET, BACKBONE_LLM_*...). This script copies
# docker-compose.yml there, logs in to the registry when given a token, pulls the image,
# runs the migrations, starts or updates every service, and waits until they are healthy
# (a failure exits non-zero, which fails the deploy job).
#
# Environment (CI passes them from the `production` environment's secrets and vars):
#   DEPLOY_HOST         the host (required)
#   DEPLOY_USER         the SSH user (default: deploy)
#   DEPLOY_PATH         the directory on the host (default: /opt/backbone)
#   DEPLOY_SSH_PORT     default 22
#   DEPLOY_SSH_KEY      a private key (else the agent's or ~/.ssh's)
#   DEPLOY_KNOWN_HOSTS  the host's key line(s); without them the host key must already be known
#   REGISTRY_USER, REGISTRY_TOKEN   to pull a private image (CI: the actor and GITHUB_TOKEN)
#   DEPLOY_WAIT         seconds to wait for the services to be healthy (default 180)
set -euo pipefail

image=${1:?usage: deploy/deploy.sh IMAGE:TAG}
host=${DEPLOY_HOST:?set DEPLOY_HOST}
user=${DEPLOY_USER:-deploy}
path=${DEPLOY_PATH:-/opt/backbone}
port=${DEPLOY_SSH_PORT:-22}
wait_seconds=${DEPLOY_WAIT:-180}
root=$(cd "$(dirname "$0")/.." && pwd)

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
ssh_options=(-p "$port" -o BatchMode=yes -o StrictHostKeyChecking=yes)
if [[ -n ${DEPLOY_SSH_KEY:-} ]]; then
  (umask 077 && printf '%s\n' "$DEPLOY_SSH_KEY" > "$workdir/key")
  ssh_options+=(-i "$workdir/key" -o IdentitiesOnly=yes)
fi
if [[ -n ${DEPLOY_KNOWN_HOSTS:-} ]]; then
  printf '%s\n' "$DEPLOY_KNOWN_HOSTS" > "$workdir/known_hosts"
  ssh_options+=(-o UserKnownHostsFile="$workdir/known_hosts")
fi
target="$user@$host"

remote() { ssh "${ssh_options[@]}" "$target" "$@"; }

echo "deploy: $image to $target:$path"
remote "mkdir -p '$path'"
# scp spells the port -P: the options after ssh's "-p PORT".
scp -P "$port" "${ssh_options[@]:2}" "$root/docker-compose.yml" "$target:$path/docker-compose.yml"

if [[ -n ${REGISTRY_TOKEN:-} ]]; then
  registry=${image%%/*}
  printf '%s' "$REGISTRY_TOKEN" | remote "docker login '$registry' -u '${REGISTRY_USER:?set REGISTRY_USER}' --password-stdin"
fi

# On the host: the image comes from the registry (compose must not build it), the
# migrations run once, then every service starts or is replaced, and the script waits
# until each service that has a health check reports healthy.
remote "bash -s -- $(printf '%q ' "$path" "$image" "$wait_seconds")" <<'REMOTE'
set -euo pipefail
cd "$1"
export BACKBONE_IMAGE=$2
wait_seconds=$3
docker compose pull --quiet
docker compose run --rm --no-build migrate
docker compose up -d --no-build --remove-orphans
deadline=$((SECONDS + wait_seconds))
while :; do
  waiting=$(docker compose ps --format '{{.Service}} {{.Health}}' \
    | awk '$2 != "" && $2 != "healthy" {printf "%s(%s) ", $1, $2}')
  [[ -z $waiting ]] && break
  if (( SECONDS >= deadline )); then
    echo "deploy: not healthy after ${wait_seconds}s: $waiting" >&2
    docker compose ps >&2
    exit 1
  fi
  sleep 3
done
docker compose ps
REMOTE

if [[ -n ${REGISTRY_TOKEN:-} ]]; then
  remote "docker logout '${image%%/*}'" >/dev/null
fi
echo "deploy: $image is up on $host"
