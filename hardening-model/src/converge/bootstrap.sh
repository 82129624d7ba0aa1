#!/bin/sh
# hardened-fleet agent bootstrap: fetch the converge agent the operator published next to the
# bundles, verify it against the signer pinned at first boot (namespace hardened-fleet-agent),
# install it when its bytes changed, then run it.
#
# Exit status: the agent's; 2 agent rejected (nothing installed), 4 store unreachable and no
# agent installed yet. Both write the agent's status file.
set -eu
umask 077
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CONF=${HF_AGENT_CONF:-/etc/hardened-fleet/agent.conf}
# shellcheck disable=SC1090
. "$CONF"
: "${ROOT:=}" "${RCLONE_ARGS:=}"
STATE="$ROOT/var/lib/hardened-fleet"
AGENT="$ROOT/usr/local/sbin/hf-agent"
mkdir -p "$STATE" "${AGENT%/*}"
chmod 0700 "$STATE"
W=$(mktemp -d "$STATE/boot.XXXXXX")
trap 'rm -rf "$W"' EXIT
status() { # $1 state, $2 reason
  printf 'instance=%s\nstate=%s\nreason=%s\napplied_version=%s\noffered_version=0\nat=%s\n' \
    "$INSTANCE" "$1" "$2" "$(cat "$STATE/applied-version" 2>/dev/null || echo 0)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$W/status"
  chmod 0644 "$W/status" && mv -f "$W/status" "$STATE/status"
  echo "hf-bootstrap: $2" >&2
}
# shellcheck disable=SC2086
if rclone $RCLONE_ARGS copyto "$REMOTE/agent" "$W/agent" >/dev/null 2>&1 &&
  rclone $RCLONE_ARGS copyto "$REMOTE/agent.sig" "$W/agent.sig" >/dev/null 2>&1; then
  ssh-keygen -Y verify -f "$ROOT/etc/hardened-fleet/allowed_signers" -I "$SIGNER" \
    -n hardened-fleet-agent -s "$W/agent.sig" <"$W/agent" >/dev/null 2>&1 ||
    { status rejected "agent signature does not verify"; exit 2; }
  if ! cmp -s "$W/agent" "$AGENT"; then
    cp "$W/agent" "$AGENT.hf-new"
    chmod 0755 "$AGENT.hf-new"
    mv -f "$AGENT.hf-new" "$AGENT"
  fi
elif [ ! -f "$AGENT" ]; then
  status unreachable "store unreachable and no agent installed"
  exit 4
fi
rm -rf "$W"
exec sh "$AGENT"
