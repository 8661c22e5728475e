SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin

.PHONY: build image kube containerd deps chartlib test test-unit bench demo clean docs cross

# Built binaries that take minutes are kept by content under CACHE: a fresh
# clone of the same sources copies them instead of building them again.
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/drill

# The lab's Kubernetes components (separate Go module kube/, one multi-call
# binary). Rebuilt only when kube/ sources change; a cold build takes minutes.
KUBE_VERSION := v1.37.2
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=37 \
	-X k8s.io/component-base/version.gitCommit=drill-kube \
	-X k8s.io/component-base/version.gitTreeState=clean \
	-X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
	-X k8s.io/client-go/pkg/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/client-go/pkg/version.gitMajor=1 \
	-X k8s.io/client-go/pkg/version.gitMinor=37
KUBE_SRCS := $(sort $(shell find kube -name '*.go' -not -path 'kube/bin/*')) kube/go.mod kube/go.sum

# Static (CGO_ENABLED=0): the same binary runs on the host and, on the
# lab's nodes, in drill's scratch image.
build:
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o $(BIN)/drill ./cmd/drill

# drill's container image for a registry, built without a container engine
# by the code that builds the lab's (pkg/image): an OCI image layout and an
# OCI archive of it, tagged $(VERSION), for this machine's architecture.
# Push with crane or skopeo (docs/eks.md).
IMAGE_REPO ?= ghcr.io/drillkit/drill
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)

image: build
	go run ./tools/drill-image --version=$(VERSION) --repository=$(IMAGE_REPO) --revision=$(REVISION) \
		--drill=$(BIN)/drill --layout=$(BIN)/drill-image --archive=$(BIN)/drill-image.oci.tar

kube: $(BIN)/drill-kube

# docs/cli.md from the command tree (a unit test fails while it is stale).
docs:
	go generate ./cmd/drill

KUBE_HASH = $(shell (echo '$(KUBE_LDFLAGS)'; cat $(KUBE_SRCS)) | sha256sum | cut -c1-16)

$(BIN)/drill-kube: $(KUBE_SRCS)
	@mkdir -p $(BIN) $(CACHE)
	if [ -x $(CACHE)/drill-kube-$(KUBE_HASH) ]; then \
		cp $(CACHE)/drill-kube-$(KUBE_HASH) $@; \
	else \
		(cd kube && go build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o ../$@.tmp ./cmd/drill-kube) && \
		rm -f $(CACHE)/drill-kube-* && cp $@.tmp $(CACHE)/drill-kube-$(KUBE_HASH) && mv $@.tmp $@; \
	fi

# containerd v2 and its runc shim for the lab's nodes, built
# from the Go module proxy. A stamp file names the pinned version, so the
# binaries are rebuilt only when CONTAINERD_VERSION changes.
CONTAINERD_VERSION := v2.4.2
CONTAINERD_MOD := github.com/containerd/containerd/v2
CONTAINERD_STAMP := $(BIN)/.containerd-$(CONTAINERD_VERSION)

containerd: $(CONTAINERD_STAMP)

CONTAINERD_CACHE := $(CACHE)/containerd-$(CONTAINERD_VERSION)
CONTAINERD_BINS := containerd containerd-shim-runc-v2 ctr

$(CONTAINERD_STAMP):
	rm -f $(BIN)/.containerd-*
	@mkdir -p $(BIN)
	if [ ! -f $(CONTAINERD_CACHE)/.complete ]; then \
		rm -rf $(CONTAINERD_CACHE) && mkdir -p $(CONTAINERD_CACHE) && \
		GOBIN=$(CONTAINERD_CACHE) CGO_ENABLED=0 go install -trimpath \
			-ldflags "-X $(CONTAINERD_MOD)/version.Version=$(CONTAINERD_VERSION)" \
			$(CONTAINERD_MOD)/cmd/containerd@$(CONTAINERD_VERSION) \
			$(CONTAINERD_MOD)/cmd/containerd-shim-runc-v2@$(CONTAINERD_VERSION) \
			$(CONTAINERD_MOD)/cmd/ctr@$(CONTAINERD_VERSION) && \
		touch $(CONTAINERD_CACHE)/.complete; \
	fi
	cd $(CONTAINERD_CACHE) && cp $(CONTAINERD_BINS) $(CURDIR)/$(BIN)/
	touch $@

deps:
	bash scripts/deps.sh

# The charting library the HTML report embeds, re-fetched from npm at the
# version and checksum pinned in the script (the files are committed).
chartlib:
	bash scripts/fetch-chartlib.sh

# Every tier as root: unit tests and, with the lab build tag, the tests
# that need root, network namespaces and the lab (docs/testing.md).
LAB_ENV := DRILL_BIN=$(CURDIR)/$(BIN)/drill DRILL_KUBE_BIN=$(CURDIR)/$(BIN)/drill-kube

test: deps build kube containerd
	go vet -tags lab ./...
	$(MAKE) cross PLATFORMS="$(TEST_PLATFORMS)"
	$(LAB_ENV) go test -tags lab -count=1 -p 3 -parallel 3 -timeout 30m ./...
	# Tests that change the host's global conntrack limit run alone, after the rest.
	DRILL_HOST_SYSCTL_TESTS=1 $(LAB_ENV) go test -tags lab -count=1 -timeout 15m -run 'TestConntrackScenarios|TestConntrackTimeWaitScenarios' -v ./cmd/drill

# drill builds for every system its users run it from (docs/cli.md#platforms).
# make test builds one platform per system and per architecture family; a
# cold build costs minutes per platform, a warm one seconds.
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
TEST_PLATFORMS := linux/arm64 darwin/arm64 windows/amd64
cross:
	for p in $(PLATFORMS); do \
		echo "go build ./... for $$p"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} go build ./... || exit 1; \
	done

# The unit tier alone: no root, no lab, nothing installed.
test-unit:
	go vet ./...
	go test -count=1 ./...

bench: build
	go test -run '^$$' -bench . -benchtime 3x ./...

demo: deps build kube containerd
	bash scripts/demo.sh

clean:
	rm -rf $(BIN)
