#!/usr/bin/env bash
# The Helm chart, checked offline (part of `make test`'s unit stage): helm lint --strict and
# helm template for each deploy/helm/somaagent/ci/*-values.yaml, each render validated by kubeconform
# against the Kubernetes schemas of the oldest and newest minor the chart supports, then
# scripts/helm-check.ts (custom resources, and the chart against the code). Failure cases too:
# values that must be refused are refused, with the reason.
source "$(dirname "$0")/services/lib.sh"
CHART="$ROOT/deploy/helm/somaagent"
"$ROOT/scripts/services/k8s-tools.sh" install
eval "$("$ROOT/scripts/services/k8s-tools.sh" paths)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# helm says so on stderr for each link in files/ (they point at conf/ and deploy/prometheus/).
quiet_links() { grep -v 'found symbolic link in path' >&2 || true; }

renders=()
for values in "$CHART"/ci/*-values.yaml; do
  name="$(basename "$values" -values.yaml)"
  "$HELM" lint --strict "$CHART" -f "$values" >"$OUT/lint.log" 2> >(quiet_links) \
    || { cat "$OUT/lint.log"; die "helm lint --strict failed for ci/$name-values.yaml"; }
  for v in $K8S_SCHEMA_VERSIONS; do
    "$HELM" template soma "$CHART" -n somaagent -f "$values" --kube-version "$v" >"$OUT/$name-$v.yaml" 2> >(quiet_links) \
      || die "helm template failed for ci/$name-values.yaml (Kubernetes $v)"
    "$KUBECONFORM" -strict -summary -kubernetes-version "$v" -skip ServiceMonitor,PrometheusRule,ScaledObject \
      -schema-location "$SCHEMA_DIR/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "$OUT/$name-$v.yaml" | sed "s|$OUT/||; s|^Summary|ci/$name-values.yaml on $v|" || die "kubeconform: ci/$name-values.yaml does not render valid Kubernetes $v objects"
    renders+=("$OUT/$name-$v.yaml")
  done
done
(cd "$ROOT" && npx tsx scripts/helm-check.ts "$CRD_MODELS_DIR" "${renders[@]}")

# Refused values: each must fail to render, saying why.
refused() { # refused <expected message> <helm args...>
  local want="$1"; shift
  if "$HELM" template soma "$CHART" --kube-version 1.37.0 "$@" >/dev/null 2>"$OUT/err.log"; then die "helm template accepted $*"; fi
  grep -qF -- "$want" "$OUT/err.log" || { cat "$OUT/err.log" >&2; die "helm template refused $* without saying: $want"; }
}
MIN=(-f "$CHART/ci/minimal-values.yaml")
refused "database.url is required" "${MIN[@]}" --set database.url=
refused "needs executor.sandbox.privilegedReason" "${MIN[@]}" --set executor.sandbox.mode=privileged
refused "kafka.brokers is required" "${MIN[@]}" --set bus.transport=kafka
refused "needs kafka.sasl.password" "${MIN[@]}" --set kafka.sasl.mechanism=plain --set kafka.sasl.username=u
refused "SOMA_SERVER_METRICS_TOKEN" "${MIN[@]}" --set metrics.serviceMonitor.enabled=true
refused "publicUrl is required" "${MIN[@]}" --set publicUrl=
refused "additional properties 'gatway' not allowed" "${MIN[@]}" --set gatway.replicas=2 # values.schema.json
refused "/executor/sandbox/mode': value must be one of" "${MIN[@]}" --set executor.sandbox.mode=host
refused "/tracing/otlpEndpoint': 'jaeger:4318' does not match" "${MIN[@]}" --set tracing.otlpEndpoint=jaeger:4318 # a URL, scheme included
ok "helm chart: lint, render and schemas of $(ls "$CHART"/ci/*-values.yaml | wc -l) values files on Kubernetes ${K8S_SCHEMA_VERSIONS// /, }; 9 refused values refused"
