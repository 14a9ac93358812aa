#!/usr/bin/env bash
# Builds the Kubernetes control plane the operator's tests run on, from Go modules:
#   etcd v3.6.4, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl v1.34.4,
# into $USHER_KUBERNETES_DIR/k8s/1.34.4-linux-amd64/ (default ~/.cache/usher/kubernetes), the layout
# fabric8's kube-api-test uses. The modules and their checksums are pinned in bin/kubernetes/go.mod
# and go.sum. A second run with the binaries present does nothing.
# Needs Go 1.24 or newer; the first build takes about 7 minutes on 2 cores and leaves about 350 MB.
# Prints the folder that holds the binaries as its last line.
set -euo pipefail
cd "$(dirname "$0")/kubernetes"

kube_version=1.34.4
root="${USHER_KUBERNETES_DIR:-$HOME/.cache/usher/kubernetes}"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
declare -A packages=(
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kubectl]=k8s.io/kubernetes/cmd/kubectl
)

say() { echo "kubernetes.sh: $*" >&2; }

platform="$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"
out="$root/k8s/$kube_version-$platform"

present=true
for b in "${binaries[@]}"; do [ -x "$out/$b" ] || present=false; done
if $present; then
  echo "$out"
  exit 0
fi

go_bin="$(command -v go || true)"
[ -n "$go_bin" ] || { [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go; }
if [ -z "$go_bin" ]; then
  say "Go 1.24 or newer is needed to build the Kubernetes binaries for the tests, and none is on PATH or in /usr/local/go/bin (https://go.dev/doc/install)"
  exit 1
fi
go_version="$("$go_bin" env GOVERSION)"
if ! [[ "$go_version" =~ ^go1\.([0-9]+) ]] || [ "${BASH_REMATCH[1]}" -lt 24 ]; then
  say "Go 1.24 or newer is needed to build the Kubernetes binaries for the tests; $go_bin is $go_version"
  exit 1
fi

# local: etcd's go.mod names a toolchain that would otherwise be downloaded.
# readonly: build exactly the pinned go.sum, fail rather than change it.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
# Without these the API server reports v0.0.0 and clients warn about the version skew.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$kube_version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=${kube_version%%.*}"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$(echo "$kube_version" | cut -d. -f2)"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$kube_version"

say "building the Kubernetes v$kube_version control plane with $go_version into $out"
say "(once per machine: about 7 minutes on 2 cores, 1.9 GB of memory, 350 MB of binaries)"
"$go_bin" mod download
mkdir -p "$out"
for b in "${binaries[@]}"; do
  if [ -x "$out/$b" ]; then continue; fi
  start=$SECONDS
  say "building $b (${packages[$b]})"
  # Into a temporary name, so that an interrupted build never leaves a binary that looks complete.
  "$go_bin" build -trimpath -ldflags "$ldflags" -o "$out/$b.partial" "${packages[$b]}"
  mv "$out/$b.partial" "$out/$b"
  say "built $b in $((SECONDS - start)) s"
done
say "done: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
