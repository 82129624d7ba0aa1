#!/bin/sh
# hardened-fleet converge agent: pull a signed desired-state bundle, verify it against the
# signer pinned at first boot, validate every file with the tool that reads it, apply it
# atomically, roll back if the host would lose its control path, and report the outcome.
#
# Exit status: 0 applied or already current, 2 bundle rejected (nothing changed),
# 3 applied but rolled back (the previous files are back), 4 the store could not be read.
set -eu
umask 077
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CONF=${HF_AGENT_CONF:-/etc/hardened-fleet/agent.conf}
# shellcheck disable=SC1090
. "$CONF"
: "${ROOT:=}" "${REPORT_REMOTE:=}" "${HEALTH_URL:=}" "${RCLONE_ARGS:=}" "${UFW_RELOAD:=ufw reload}"
: "${NFT:=nft}" "${SSHD:=sshd}" "${CADDY:=caddy}"
ETC="$ROOT/etc/hardened-fleet"
STATE="$ROOT/var/lib/hardened-fleet"
mkdir -p "$STATE"
chmod 0700 "$STATE"
exec 9>"$STATE/lock"
flock -n 9 || { echo "hf-agent: another run holds the lock" >&2; exit 0; }
WORK=$(mktemp -d "$STATE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/files" "$WORK/backup"

applied=$(cat "$STATE/applied-version" 2>/dev/null || echo 0)
offered=0

log() { echo "hf-agent: $*" >&2; }

hmac_sha256() { # $1 key file, message on stdin; the key never appears in argv
  python3 -c 'import hashlib,hmac,sys
key=open(sys.argv[1],"rb").read().strip()
print(hmac.new(key,sys.stdin.buffer.read(),hashlib.sha256).hexdigest())' "$1"
}

report() { # $1 state, $2 reason
  {
    echo "instance=$INSTANCE"
    echo "state=$1"
    echo "reason=$2"
    echo "applied_version=$applied"
    echo "offered_version=$offered"
    echo "at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    if [ -f "$STATE/managed" ]; then
      while read -r k p; do
        if [ -f "$ROOT$p" ]; then
          echo "file $(sha256sum <"$ROOT$p" | cut -d' ' -f1) $p"
        else
          echo "file missing $p"
        fi
      done <"$STATE/managed"
    fi
  } >"$WORK/status"
  mv -f "$WORK/status" "$STATE/status.tmp" && chmod 0644 "$STATE/status.tmp" && mv -f "$STATE/status.tmp" "$STATE/status"
  if [ -f "$ETC/report.key" ]; then
    { cat "$STATE/status"; echo "hmac=$(hmac_sha256 "$ETC/report.key" <"$STATE/status")"; } >"$WORK/report"
    mv -f "$WORK/report" "$STATE/report"
    if [ -n "$REPORT_REMOTE" ]; then
      # shellcheck disable=SC2086
      rclone $RCLONE_ARGS copyto "$STATE/report" "$REPORT_REMOTE/$INSTANCE.status" >/dev/null 2>&1 \
        || log "report upload failed (kept in $STATE/report)"
    fi
  fi
}

reject() { log "rejected: $1"; report rejected "$1"; exit 2; }

fetch() { # $1 object below REMOTE, $2 local file
  # shellcheck disable=SC2086
  rclone $RCLONE_ARGS copyto "$REMOTE/$1" "$2" >/dev/null 2>&1
}

if ! fetch manifest "$WORK/manifest" || ! fetch manifest.sig "$WORK/manifest.sig"; then
  log "store unreachable or bundle missing"
  report unreachable "store unreachable or bundle missing"
  exit 4
fi

# 1. authenticity: only the signer pinned at first boot, only this namespace.
ssh-keygen -Y verify -f "$ETC/allowed_signers" -I "$SIGNER" -n "$NAMESPACE" \
  -s "$WORK/manifest.sig" <"$WORK/manifest" >/dev/null 2>&1 || reject "signature does not verify"

# 2. the manifest itself (its format is checked line by line; anything else rejects).
manifest_sha=$(sha256sum <"$WORK/manifest" | cut -d' ' -f1)
line=0
: >"$WORK/plan"
while IFS= read -r l; do
  line=$((line + 1))
  case $line in
    1) [ "$l" = "hardened-fleet-bundle 1" ] || reject "unknown manifest format" ;;
    2) offered=${l#version }
       case $offered in ''|*[!0-9]*) offered=0; reject "bad version line" ;; esac ;;
    3) case $l in "created_at "*) ;; *) reject "bad created_at line" ;; esac ;;
    *)
      set -f
      # shellcheck disable=SC2086
      set -- $l
      set +f
      case $1 in
        selector)
          [ $# -eq 2 ] || reject "bad selector line $line"
          grep -qxF "$2" "$ETC/labels" 2>/dev/null || { log "bundle is for $2, not this host"; report current "not selected"; exit 0; } ;;
        file)
          [ $# -eq 5 ] || reject "bad file line $line"
          case $2 in 0[0-7][0-7][0-7]) ;; *) reject "bad mode on line $line" ;; esac
          case $4 in *[!0-9a-f]*) reject "bad digest on line $line" ;; esac
          [ ${#4} -eq 64 ] || reject "bad digest on line $line"
          case $5 in /etc/*) ;; *) reject "path outside /etc on line $line" ;; esac
          case $5 in *..*|*[!A-Za-z0-9._/@:+-]*) reject "bad path on line $line" ;; esac
          echo "$2 $3 $4 $5" >>"$WORK/plan" ;;
        *) reject "unknown line $line" ;;
      esac ;;
  esac
done <"$WORK/manifest"
[ "$line" -ge 4 ] || reject "manifest names no file"

# 3. no replay, no downgrade.
if [ "$offered" -le "$applied" ]; then
  if [ "$offered" -eq "$applied" ] && [ "$(cat "$STATE/applied-manifest.sha256" 2>/dev/null)" = "$manifest_sha" ]; then
    report current "version $applied is applied"
    exit 0
  fi
  [ "$offered" -eq "$applied" ] && reject "version $offered replayed with other content"
  reject "version $offered is older than applied $applied"
fi

# 4. every file: fetched, digest checked, validated by the real tool. Nothing changed yet.
while read -r mode kind sha path; do
  f="$WORK/files/$sha"
  [ -f "$f" ] || fetch "files/$sha" "$f" || reject "content $sha missing"
  [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$sha" ] || reject "content of $path does not match its digest"
  case $kind in
    nft) "$NFT" -c -f "$f" >/dev/null 2>&1 || reject "nft -c rejects $path" ;;
    sshd) "$SSHD" -t -f "$f" >/dev/null 2>&1 || reject "sshd -t rejects $path" ;;
    caddy) "$CADDY" validate --adapter caddyfile --config "$f" >/dev/null 2>&1 || reject "caddy validate rejects $path" ;;
    ssh-keys) ssh-keygen -l -f "$f" >/dev/null 2>&1 || reject "ssh-keygen -l rejects $path" ;;
    ufw) t=iptables-restore; case $path in *6.rules) t=ip6tables-restore ;; esac
      $t --test "$f" >/dev/null 2>&1 || reject "$t --test rejects $path" ;;
    plain) ;;
    *) reject "unknown validator $kind" ;;
  esac
done <"$WORK/plan"

# 5. apply: stage, rename over the target (atomic per file), remove files no longer named.
n=0
: >"$WORK/undo"
cut -d' ' -f2 "$WORK/plan" >"$WORK/kinds"
cut -d' ' -f4 "$WORK/plan" >"$WORK/paths"
while read -r mode kind sha path; do
  n=$((n + 1))
  target="$ROOT$path"
  mkdir -p "$(dirname "$target")"
  if [ -f "$target" ]; then
    cp -p "$target" "$WORK/backup/$n"
    echo "restore $n $path" >>"$WORK/undo"
  else
    echo "remove $n $path" >>"$WORK/undo"
  fi
  cp "$WORK/files/$sha" "$target.hf-new"
  chmod "$mode" "$target.hf-new"
  mv -f "$target.hf-new" "$target"
done <"$WORK/plan"
[ -f "$STATE/managed" ] && while read -r kind path; do
  grep -qxF "$path" "$WORK/paths" && continue
  echo "$kind" >>"$WORK/kinds"
  [ -f "$ROOT$path" ] || continue
  n=$((n + 1))
  cp -p "$ROOT$path" "$WORK/backup/$n"
  echo "restore $n $path" >>"$WORK/undo"
  rm -f "$ROOT$path"
done <"$STATE/managed"

reload() {
  ok=0
  for r in "nft:$NFT_RELOAD" "ufw:$UFW_RELOAD" "sshd|ssh-keys|plain:$SSHD_RELOAD" "caddy:$CADDY_RELOAD"; do
    if grep -qxE "${r%%:*}" "$WORK/kinds"; then sh -c "${r#*:}" >/dev/null 2>&1 || ok=1; fi
  done
  return $ok
}

control_path_ok() {
  tries=0
  while [ $tries -lt "${CHECK_TRIES:-5}" ]; do
    tries=$((tries + 1))
    sleep "${CHECK_DELAY:-1}"
    if [ -n "$(ssh-keyscan -T 3 -p "$SSH_PORT" "$SSH_CHECK_HOST" 2>/dev/null)" ]; then
      if [ -z "$HEALTH_URL" ] || curl -fsS --max-time 5 -o /dev/null "$HEALTH_URL" 2>/dev/null; then
        return 0
      fi
    fi
  done
  return 1
}

if ! reload || ! control_path_ok; then
  log "control path lost after applying version $offered: rolling back"
  while read -r action n path; do
    target="$ROOT$path"
    if [ "$action" = restore ]; then
      cp -p "$WORK/backup/$n" "$target.hf-new"
      mv -f "$target.hf-new" "$target"
    else
      rm -f "$target"
    fi
  done <"$WORK/undo"
  reload || log "reload after rollback failed"
  report rolled-back "control path lost after applying version $offered"
  exit 3
fi

# 6. record and report.
echo "$offered" >"$STATE/applied-version.tmp" && mv -f "$STATE/applied-version.tmp" "$STATE/applied-version"
echo "$manifest_sha" >"$STATE/applied-manifest.sha256"
cut -d' ' -f2,4 "$WORK/plan" >"$STATE/managed"
applied=$offered
report applied "version $offered applied"
log "applied version $offered"
