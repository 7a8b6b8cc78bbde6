"""The real-Kubernetes test bed: build script, control-plane launcher and process helpers.

- ``build.sh``: builds kube-apiserver, kube-controller-manager, etcd, helm and kubeconform from Go
  modules into a per-user cache (``make controlplane``).
- ``cluster.ControlPlane``: starts etcd + kube-apiserver + kube-controller-manager on loopback.
- ``process.ManagedProcess``: a child process with its output in a log file, readiness waits and
  SIGTERM-then-SIGKILL teardown.

Only the standard library is used here, so the demo and the benchmarks can import it too.
"""
