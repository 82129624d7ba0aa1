//! The three shell scripts of the backup part, rendered from its values.

use hardening_model::backup::QUIESCE_METRIC;
use hardening_model::docker::names::ServiceName;
use hardening_model::values::AbsPath;

use super::{BACKUP_ENV, Backups, RESTORE_HEALTH_TIMEOUT_SECS};
use crate::command::quote;

/// The bash array of the data services (their names need no quoting: `[a-z0-9_-]`).
fn services(names: &[ServiceName]) -> String {
    let names: Vec<&str> = names.iter().map(ServiceName::as_str).collect();
    format!("services=({})", names.join(" "))
}

/// The shared head of the backup and verify scripts: credentials required, store settings, and
/// `record FILE RESULT [DETAIL]`, which writes a status file that
/// [`JobStatus::parse`](hardening_model::backup::JobStatus::parse) reads.
fn head(b: &Backups, comment: &str) -> String {
    let store = &b.target.store;
    let args: Vec<String> = store
        .rclone_args()
        .iter()
        .map(|a| quote(a).into_owned())
        .collect();
    format!(
        r#"#!/bin/bash
# {comment}
set -euo pipefail
umask 077
: "${{RCLONE_S3_ACCESS_KEY_ID:?}}" "${{RCLONE_S3_SECRET_ACCESS_KEY:?}}" # from {env}
state={state}
prefix={prefix}
remote={remote}
s3=(rclone {args})
object=""
sum=""
record() {{
  {{ printf 'result=%s\nfinished_at=%s\nobject=%s\nsha256=%s\n' "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$object" "$sum"
    if [ -n "${{3:-}}" ]; then printf 'detail=%s\n' "${{3//$'\n'/ }}"; fi
    if [ -n "${{quiesce:-}}" ]; then printf 'quiesce_seconds=%s\n' "$quiesce"; fi; }} > "$1.tmp"
  chmod 0644 "$1.tmp"
  mv "$1.tmp" "$1"
}}
install -d -m 0700 "$state"
"#,
        env = BACKUP_ENV,
        state = quote(b.state_dir.as_str()),
        prefix = quote(store.key_prefix()),
        remote = quote(&store.remote()),
        args = args.join(" "),
    )
}

pub(super) fn backup(b: &Backups) -> String {
    let mut s = head(b, "off-host backup, age-encrypted to a recipient");
    s.push_str(&format!(
        r#"recipient={recipient}
compose_dir={compose}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="backup-$stamp.tar.gz.age"
object="$prefix/$name"
out="$state/spool/$name"
{services}
metrics={metrics}
stopped=0
resume() {{
  stopped=0
  docker compose start "${{services[@]}}" >/dev/null || logger -p daemon.err -t hardened-backup "restarting ${{services[*]}} failed"
  quiesce=$(awk -v t="$t0" '{{printf "%.2f", $1-t}}' /proc/uptime)
  if [ -d "$metrics" ]; then
    printf '# HELP {m} Seconds the data services were stopped by the last backup.\n# TYPE {m} gauge\n{m} %s\n' "$quiesce" > "$metrics/hardened-backup.prom.tmp"
    chmod 0644 "$metrics/hardened-backup.prom.tmp"
    mv "$metrics/hardened-backup.prom.tmp" "$metrics/hardened-backup.prom"
  fi
}}
finish() {{
  rc=$?
  if [ "$stopped" = 1 ]; then resume || true; fi
  rm -f "$out"
  if [ "$rc" -ne 0 ]; then
    record "$state/last-backup" fail "exit status $rc"
    logger -p daemon.err -t hardened-backup "backup failed (exit status $rc): $object"
  fi
}}
install -d -m 0700 "$state/spool"
trap finish EXIT
{data}
cd "$compose_dir"
t0=$(cut -d' ' -f1 /proc/uptime)
stopped=1
docker compose stop "${{services[@]}}"
tar -C "$(dirname "$data_dir")" -czf - "$(basename "$data_dir")" | age -e -r "$recipient" -o "$out"
resume
sum=$(sha256sum "$out" | cut -d' ' -f1)
bytes=$(stat -c %s "$out")
if [ -n "$("${{s3[@]}}" lsf "$remote/$name")" ]; then echo "$object exists in the store: not overwritten" >&2; exit 1; fi
"${{s3[@]}}" copyto "$out" "$remote/$name"
printf '%s %s %s %s\n' "$stamp" "$object" "$sum" "$bytes" >> "$state/manifest"
record "$state/last-backup" pass
logger -p daemon.info -t hardened-backup "backup uploaded: $object ($bytes bytes, sha256 $sum; ${{services[*]}} stopped ${{quiesce}}s)"
"#,
        services = services(&b.services),
        metrics = quote(b.metrics_dir.as_str()),
        m = QUIESCE_METRIC,
        recipient = quote(b.target.recipient.as_str()),
        compose = quote(b.compose_dir.as_str()),
        data = b.source_line(),
    ));
    s
}

pub(super) fn verify(b: &Backups) -> String {
    let mut s = head(b, "the newest stored copy against its upload manifest");
    s.push_str(
        r#"fail() {
  record "$state/last-verify" fail "$1"
  logger -p daemon.crit -t hardened-backup-verify "$1"
  echo "FAIL: $1" >&2
  exit 1
}
[ -s "$state/manifest" ] || fail "no upload recorded in $state/manifest"
read -r _ object sum _ < <(tail -n 1 "$state/manifest")
name=${object##*/}
got=$("${s3[@]}" cat "$remote/$name" | sha256sum | cut -d' ' -f1) || fail "cannot read $object from the store"
[ "$got" = "$sum" ] || fail "checksum mismatch: $object changed since upload"
record "$state/last-verify" pass
logger -p daemon.info -t hardened-backup-verify "verified $object"
echo "PASS: $object"
"#,
    );
    s
}

pub(super) fn restore(data_line: &str, compose_dir: &AbsPath, names: &[ServiceName]) -> String {
    format!(
        r#"#!/bin/bash
# replaces the data directory with the tar.gz on stdin (decrypted and checked by the operator),
# then waits for the data services' health check
set -euo pipefail
umask 077
{data}
compose_dir={compose}
{services}
parent=$(dirname "$data_dir")
base=$(basename "$data_dir")
incoming=$(mktemp -d "$parent/.restore-XXXXXX")
stopped=0
finish() {{
  rc=$?
  if [ "$stopped" = 1 ]; then docker compose start "${{services[@]}}" >/dev/null || logger -p daemon.err -t hardened-restore "restarting ${{services[*]}} failed"; fi
  rm -rf "$incoming"
  if [ "$rc" -ne 0 ] && [ "$swapped" = 0 ]; then logger -p daemon.err -t hardened-restore "restore failed (exit status $rc)"; fi
}}
swapped=0
trap finish EXIT
tar -xzf - -C "$incoming"
[ -d "$incoming/$base" ] || {{ echo "the archive holds no $base/ directory" >&2; exit 1; }}
cd "$compose_dir"
stopped=1
docker compose stop "${{services[@]}}"
rm -rf "$parent/.previous-$base"
if [ -e "$data_dir" ]; then mv "$data_dir" "$parent/.previous-$base"; fi
mv "$incoming/$base" "$data_dir"
stopped=0
docker compose start "${{services[@]}}" >/dev/null
swapped=1
logger -p daemon.notice -t hardened-restore "restored $data_dir (previous content in $parent/.previous-$base)"
echo "restored $data_dir"
end=$((SECONDS + ${{RESTORE_HEALTH_TIMEOUT:-{timeout}}}))
rc=0
for s in "${{services[@]}}"; do
  while :; do
    id=$(docker compose ps -aq "$s") || id=
    h=$(docker inspect --format '{{{{if .State.Health}}}}{{{{.State.Health.Status}}}}{{{{else}}}}{{{{.State.Status}}}}{{{{end}}}}' "$id" 2>/dev/null) || h=missing
    case $h in
      healthy|running) echo "health: $s $h"; break ;;
      unhealthy) rc=3; echo "health: $s unhealthy $(docker inspect --format '{{{{json .State.Health}}}}' "$id")"; break ;;
    esac
    if [ "$SECONDS" -ge "$end" ]; then rc=3; echo "health: $s timeout $h"; break; fi
    sleep 2
  done
done
if [ "$rc" -ne 0 ]; then logger -p daemon.err -t hardened-restore "restored, but ${{services[*]}} not healthy"; fi
exit "$rc"
"#,
        data = data_line,
        compose = quote(compose_dir.as_str()),
        services = services(names),
        timeout = RESTORE_HEALTH_TIMEOUT_SECS,
    )
}
