"""The real-Kubernetes test bed that the tests, the demo and the benchmarks share.

- ``build.sh``: builds kube-apiserver, kube-controller-manager, etcd, helm and kubeconform from Go
  modules into a per-user cache (``make controlplane``; ``PINGONE_OPERATOR_CACHE`` moves it).
- ``cluster.ControlPlane``: starts etcd + kube-apiserver + kube-controller-manager on loopback.
- ``launcher.Launcher``: the PingOne simulator and the operator as child processes (the one place
  that knows their command lines, ready lines and environment); ``launcher.install_crds``.
- ``image.ensure_image``: the operator's image, built from the Dockerfile with podman on a
  debootstrapped Debian (``make image``), cached by a hash of its build context.
- ``process.ManagedProcess``: a child process with its output in a log file, readiness waits and
  SIGTERM-then-SIGKILL teardown.

Imported from the repository root (pytest's ``pythonpath``, ``python -m demo``, ``python -m bench``);
it is not part of the installed distribution. Only the standard library is used here.
"""
