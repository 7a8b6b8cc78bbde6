#!/usr/bin/env bash
# Builds the test bed's Go binaries from Go modules into a cache outside the checkout:
#   kube-apiserver, kube-controller-manager, etcd   (one wrapper module, pinned k8s version)
#   helm, kubeconform                                (a second module, so their pins stay apart)
#   argocd (multi-call: CLI, application controller, repo server) and its CRDs; redis-server (apt)
#   kstatus (testbed/kstatus/main.go on sigs.k8s.io/cli-utils: kstatus's verdict on objects)
#   promtool                                         (its own module: Prometheus pins client-go too)
# Only what is missing is built; a warm machine returns in a second. Prints the bin folder.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.37.2}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
KUBECONFORM_VERSION=${KUBECONFORM_VERSION:-v0.8.0}
# v3.1.x: from v3.2 on, argo-cd's go.mod replaces gitops-engine with a path the proxy does not serve.
ARGOCD_VERSION=${ARGOCD_VERSION:-v3.1.16}
CLI_UTILS_VERSION=${CLI_UTILS_VERSION:-v0.37.2}
# Prometheus tags its Go module v0.X.Y for release 3.X.Y: v0.316.0 is Prometheus 3.16.0.
PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-v0.316.0}
CACHE=${PINGONE_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pingone-operator}
BIN="$CACHE/k8sbin/v$K8S_VERSION"
TOOLS_BIN="$CACHE/tools/helm-$HELM_VERSION-kubeconform-$KUBECONFORM_VERSION"
ARGOCD_BIN="$CACHE/argocd/$ARGOCD_VERSION"
PROMTOOL_BIN="$CACHE/tools/promtool-$PROMETHEUS_VERSION"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$CACHE/build"
export GOFLAGS=-mod=mod CGO_ENABLED=0
# print-bin must work on a machine without Go (binaries restored from a cache).
if command -v go >/dev/null 2>&1; then export GOPATH=${GOPATH:-$(go env GOPATH)}; fi

# One build at a time: `make demo` and `make test` may start side by side; the second waits for
# the lock, then finds the binaries built.
lock() { mkdir -p "$CACHE"; exec 9>"$CACHE/.build.lock"; command -v flock >/dev/null 2>&1 && flock 9 || true; }

log() { printf '[controlplane build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Prints a dot every 30 s while a long go build runs, so nobody stares at a silent terminal.
with_progress() {
  local what=$1; shift
  log "building $what (cold builds take minutes on 2 cores)..."
  local start=$SECONDS next=$((SECONDS + 30))
  "$@" & local pid=$!
  # Poll every second (a 30 s sleep would add up to 30 s to every build), report every 30 s.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      log "  ...still building $what ($((SECONDS - start)) s)"; next=$((next + 30))
    fi
  done
  wait "$pid"
  log "built $what in $((SECONDS - start)) s"
}

build_k8s() {
  local mod="$WORK/k8s-$K8S_VERSION" sv="0.${K8S_VERSION#1.}" minor
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  mkdir -p "$mod" "$BIN"
  if [ ! -f "$mod/go.mod" ]; then
    log "preparing wrapper module for k8s.io/kubernetes v$K8S_VERSION"
    (cd "$mod" && go mod init pingone-operator.invalid/k8sbin >/dev/null 2>&1)
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
    # k8s.io/kubernetes points its staging modules at ./staging; replace each with its published version.
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod"); do
      (cd "$mod" && go mod edit -replace="$m=$m@v$sv")
    done
    (cd "$mod" && go get "k8s.io/kubernetes@v$K8S_VERSION" >&2)
    local ev
    ev=$(cd "$mod" && go list -m -f '{{.Version}}' go.etcd.io/etcd/client/v3)
    (cd "$mod" && go get "go.etcd.io/etcd/server/v3@$ev" >&2)
  fi
  local ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  for cmd in kube-apiserver kube-controller-manager; do
    [ -x "$BIN/$cmd" ] || with_progress "$cmd" bash -c "cd '$mod' && go build -trimpath -ldflags '$ldf' -o '$BIN/$cmd.tmp' k8s.io/kubernetes/cmd/$cmd && mv '$BIN/$cmd.tmp' '$BIN/$cmd'"
  done
  [ -x "$BIN/etcd" ] || with_progress etcd bash -c "cd '$mod' && go build -trimpath -ldflags '-s -w' -o '$BIN/etcd.tmp' go.etcd.io/etcd/server/v3 && mv '$BIN/etcd.tmp' '$BIN/etcd'"
}

build_tools() {
  local mod="$WORK/tools-$HELM_VERSION" hminor kminor
  mkdir -p "$mod" "$TOOLS_BIN"
  if [ ! -f "$mod/go.mod" ]; then
    (cd "$mod" && go mod init pingone-operator.invalid/tools >/dev/null 2>&1)
    (cd "$mod" && go get "helm.sh/helm/v3@$HELM_VERSION" "github.com/yannh/kubeconform@$KUBECONFORM_VERSION" >&2)
  fi
  # Helm's default KubeVersion comes from its client-go minor; stamp it so lint/template agree.
  kminor=$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)
  local ldf="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kminor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kminor"
  [ -x "$TOOLS_BIN/helm" ] || with_progress helm bash -c "cd '$mod' && go build -trimpath -ldflags '$ldf' -o '$TOOLS_BIN/helm.tmp' helm.sh/helm/v3/cmd/helm && mv '$TOOLS_BIN/helm.tmp' '$TOOLS_BIN/helm'"
  [ -x "$TOOLS_BIN/kubeconform" ] || with_progress kubeconform bash -c "cd '$mod' && go build -trimpath -ldflags '-s -w -X main.version=$KUBECONFORM_VERSION' -o '$TOOLS_BIN/kubeconform.tmp' github.com/yannh/kubeconform/cmd/kubeconform && mv '$TOOLS_BIN/kubeconform.tmp' '$TOOLS_BIN/kubeconform'"
}

build_argocd() {
  local mod="$WORK/argocd-$ARGOCD_VERSION" mp="github.com/argoproj/argo-cd/v3"
  mkdir -p "$mod" "$ARGOCD_BIN"
  if [ ! -f "$mod/go.mod" ]; then
    log "preparing wrapper module for $mp $ARGOCD_VERSION"
    (cd "$mod" && go mod init pingone-operator.invalid/argocd >/dev/null 2>&1)
    local info
    info=$(go mod download -json "$mp@$ARGOCD_VERSION")
    # Replaces apply only in the main module: copy argo-cd's (k8s.io/* pins and the like) into ours.
    for r in $(go mod edit -json "$(echo "$info" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
    print(old + "=" + r["New"]["Path"] + "@" + r["New"]["Version"])'); do
      (cd "$mod" && go mod edit -replace="$r")
    done
    (cd "$mod" && go get "$mp@$ARGOCD_VERSION" >&2)
  fi
  local ldf="-s -w -X $mp/common.version=${ARGOCD_VERSION#v} -X $mp/common.gitTreeState=clean"
  [ -x "$ARGOCD_BIN/argocd" ] || with_progress argocd bash -c "cd '$mod' && go build -trimpath -ldflags '$ldf' -o '$ARGOCD_BIN/argocd.tmp' $mp/cmd && mv '$ARGOCD_BIN/argocd.tmp' '$ARGOCD_BIN/argocd'"
  # The binary runs the component it is named after.
  ln -sf argocd "$ARGOCD_BIN/argocd-application-controller"
  ln -sf argocd "$ARGOCD_BIN/argocd-repo-server"
  ln -sf argocd "$ARGOCD_BIN/argocd-server"
  # The install's own CRDs, from the same module version as the binary.
  if [ ! -f "$ARGOCD_BIN/crds/application-crd.yaml" ]; then
    local dir
    dir=$(cd "$mod" && go list -m -f '{{.Dir}}' "$mp")
    mkdir -p "$ARGOCD_BIN/crds" && cp "$dir"/manifests/crds/*-crd.yaml "$ARGOCD_BIN/crds/" && chmod 644 "$ARGOCD_BIN"/crds/*
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { log "redis-server is missing: install Debian's redis-server (as root)"; exit 1; }
    log "installing Debian's redis-server (Argo CD's cache)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 redis-server >&2
  fi
}

build_kstatus() {
  # Keyed by the program's content too, so an edit of main.go rebuilds it.
  local sum out mod
  sum=$(sha256sum "$HERE/kstatus/main.go" | cut -c1-12)
  out="$CACHE/kstatus/cli-utils-$CLI_UTILS_VERSION-$sum"
  mod="$WORK/kstatus-$CLI_UTILS_VERSION"
  [ -x "$out/kstatus" ] && return 0
  mkdir -p "$mod" "$out"
  if [ ! -f "$mod/go.mod" ]; then
    (cd "$mod" && go mod init pingone-operator.invalid/kstatus >/dev/null 2>&1)
    (cd "$mod" && go get "sigs.k8s.io/cli-utils@$CLI_UTILS_VERSION" >&2)
  fi
  cp "$HERE/kstatus/main.go" "$mod/main.go"
  with_progress kstatus bash -c "cd '$mod' && go build -trimpath -ldflags '-s -w' -o '$out/kstatus.tmp' . && mv '$out/kstatus.tmp' '$out/kstatus'"
}

build_promtool() {
  local mod="$WORK/promtool-$PROMETHEUS_VERSION" mp="github.com/prometheus/prometheus" release
  [ -x "$PROMTOOL_BIN/promtool" ] && return 0
  mkdir -p "$mod" "$PROMTOOL_BIN"
  if [ ! -f "$mod/go.mod" ]; then
    (cd "$mod" && go mod init pingone-operator.invalid/promtool >/dev/null 2>&1)
    (cd "$mod" && go get "$mp@$PROMETHEUS_VERSION" >&2)
  fi
  release=$(cat "$(cd "$mod" && go list -m -f '{{.Dir}}' "$mp")/VERSION")
  with_progress promtool bash -c "cd '$mod' && go build -trimpath -ldflags '-s -w -X github.com/prometheus/common/version.Version=$release' -o '$PROMTOOL_BIN/promtool.tmp' $mp/cmd/promtool && mv '$PROMTOOL_BIN/promtool.tmp' '$PROMTOOL_BIN/promtool'"
}

case "${1:-all}" in
  k8s|tools|argocd|kstatus|promtool|all) lock ;;
esac
case "${1:-all}" in
  k8s) build_k8s ;;
  tools) build_tools ;;
  argocd) build_argocd ;;
  kstatus) build_kstatus ;;
  promtool) build_promtool ;;
  all) build_k8s; build_tools; build_argocd; build_kstatus; build_promtool ;;
  print-bin) ;;
  print-argocd) echo "$ARGOCD_BIN"; exit 0 ;;
  print-kstatus) echo "$CACHE/kstatus/cli-utils-$CLI_UTILS_VERSION-$(sha256sum "$HERE/kstatus/main.go" | cut -c1-12)/kstatus"; exit 0 ;;
  print-promtool) echo "$PROMTOOL_BIN/promtool"; exit 0 ;;
  *) echo "usage: $0 [all|k8s|tools|argocd|kstatus|promtool|print-bin|print-argocd|print-kstatus|print-promtool]" >&2; exit 2 ;;
esac
echo "$BIN:$TOOLS_BIN"
