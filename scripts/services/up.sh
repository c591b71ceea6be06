#!/usr/bin/env bash
# Install (if absent) and start every backing service, in the runtime document's order, each waited
# on until healthy. Idempotent: services already running from an earlier call are left as they are.
source "$(dirname "$0")/lib.sh"
HERE="$(dirname "$0")"

command -v curl >/dev/null && command -v ss >/dev/null || apt_ensure curl iproute2
# The tool executor's sandbox: bubblewrap, util-linux's setpriv/prlimit, and the runtimes it offers.
command -v bwrap >/dev/null || apt_ensure bubblewrap
{ command -v setpriv >/dev/null && command -v prlimit >/dev/null; } || apt_ensure util-linux
# The workspace quota's images (docs/sandbox.md, "Workspace quota"); flock and mount are util-linux.
[ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || apt_ensure e2fsprogs
[ -x /usr/bin/python3 ] || apt_ensure python3
# The offline provider's voice and ears (espeak-ng, pocketsphinx).
"$HERE/speech.sh" install
"$HERE/postgres.sh" install
"$HERE/redis.sh" install
# Kafka's jars and the Go builds of OPA, OpenFGA, Prometheus (promtool checks the alert rules in
# make test; SOMA_MONITORING=1 make dev-up runs Prometheus) and Jaeger (make test's tracing test;
# SOMA_TRACING=1 make dev-up runs it) are independent: side by side. SeaweedFS, the object store for
# backups to s3:// (make test's backup drill), only with SOMA_SEAWEEDFS=1.
with_seaweedfs() { [ "${SOMA_SEAWEEDFS:-0}" = 1 ]; }
svcs=(kafka opa openfga prometheus jaeger)
with_seaweedfs && svcs+=(seaweedfs)
pids=()
for svc in "${svcs[@]}"; do
  "$HERE/$svc.sh" install &
  pids+=("$!:$svc")
done
for entry in "${pids[@]}"; do
  wait "${entry%%:*}" || die "installing ${entry#*:} failed (see $LOG_DIR/${entry#*:}-install.log)"
done

"$HERE/postgres.sh" start
"$HERE/redis.sh" start
"$HERE/kafka.sh" start
"$HERE/openfga.sh" start
"$HERE/opa.sh" start
if with_seaweedfs; then "$HERE/seaweedfs.sh" start; fi
