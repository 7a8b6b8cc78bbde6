"""`make bench`: the benchmark suite of pingone-operator (issue 7).

Runs the operator (a subprocess) against a local control plane (etcd + kube-apiserver +
kube-controller-manager, from testbed/) and the PingOne simulator (another subprocess),
and compares it with a bare httpx + kubernetes-client baseline (bench/baseline.py).

    python -m bench            # the full suite (~15-20 min on 2 cores)
    python -m bench --quick    # a smoke run of a few minutes
    python -m bench --help

Results: bench/results/latest.json (machine-readable) and a Markdown table printed at the end
(and written into bench/README.md by a full run).
"""
