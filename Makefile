# pingone-operator: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv controlplane testbed image test test-unit test-e2e demo crds bench constraints clean

help:
	@echo "make demo        run the operator end to end on a local API server + PingOne simulator"
	@echo "make test        build what is missing, then run every test (unit, integration, e2e)"
	@echo "make test-unit   unit and integration tests only (no control plane)"
	@echo "make image       build the operator's image with podman (testbed/image.py)"
	@echo "make crds        regenerate crds/ and the chart's CRDs from the pydantic model"
	@echo "make bench       run the benchmarks"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[make] installing pingone-operator and test tools into $(VENV)..."
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# Builds kube-apiserver, kube-controller-manager, etcd (and helm, kubeconform) from Go modules into
# a cache outside the checkout; only what is missing (a cold build takes 10-20 minutes on 2 cores).
# The demo and the benchmarks need only these; the tests also need the rest of the test bed.
controlplane:
	testbed/build.sh k8s
	testbed/build.sh tools

# Everything the tests use: the control plane, plus Argo CD, the kstatus checker and the rest.
testbed:
	testbed/build.sh all

# The operator's image from the Dockerfile, with podman on a debootstrapped Debian base; rebuilt
# only when the build context changed (cold: about 5 minutes, with the base; warm: seconds).
image:
	$(PYTHON) -m testbed.image

crds: $(STAMP)
	$(BIN)/pingone-operator crds --write crds
	$(BIN)/pingone-operator crds --write helm/pingone-operator/crds

test-unit: $(STAMP)
	$(BIN)/pytest tests -m "not e2e" -q

test-e2e: $(STAMP) testbed image
	$(BIN)/pytest tests -m e2e -q

test: $(STAMP) testbed image
	$(BIN)/pytest tests -q

demo: $(STAMP) controlplane
	$(BIN)/python -m demo

bench: $(STAMP) controlplane
	$(BIN)/python -m bench

# Exact runtime versions for the image: the closure of pyproject.toml's ranges in a fresh venv.
constraints:
	rm -rf .cache/constraints-venv && $(PYTHON) -m venv .cache/constraints-venv
	.cache/constraints-venv/bin/pip install --quiet --upgrade pip && .cache/constraints-venv/bin/pip install --quiet .
	{ echo "# Exact versions for the image (Dockerfile: pip install -c constraints.txt .): the runtime closure of"; \
	  echo "# pyproject.toml's ranges, tested together. Regenerate with \`make constraints\`."; \
	  .cache/constraints-venv/bin/pip freeze --exclude pingone-operator; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
