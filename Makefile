SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin

.PHONY: build kube containerd deps test bench demo clean

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
KUBE_SRCS := $(shell find kube -name '*.go' -not -path 'kube/bin/*') kube/go.mod kube/go.sum

# Static (CGO_ENABLED=0): the same binary runs on the host and, for the
# lab's kubelet node runtime, in drill's scratch image.
build:
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o $(BIN)/drill ./cmd/drill

kube: $(BIN)/drill-kube

$(BIN)/drill-kube: $(KUBE_SRCS)
	cd kube && go build -trimpath -ldflags "$(KUBE_LDFLAGS)" -o ../$(BIN)/drill-kube ./cmd/drill-kube

# containerd v2 and its runc shim for the lab's kubelet node runtime, built
# from the Go module proxy. A stamp file names the pinned version, so the
# binaries are rebuilt only when CONTAINERD_VERSION changes.
CONTAINERD_VERSION := v2.4.2
CONTAINERD_MOD := github.com/containerd/containerd/v2
CONTAINERD_STAMP := $(BIN)/.containerd-$(CONTAINERD_VERSION)

containerd: $(CONTAINERD_STAMP)

$(CONTAINERD_STAMP):
	rm -f $(BIN)/.containerd-*
	GOBIN=$(CURDIR)/$(BIN) CGO_ENABLED=0 go install -trimpath \
		-ldflags "-X $(CONTAINERD_MOD)/version.Version=$(CONTAINERD_VERSION)" \
		$(CONTAINERD_MOD)/cmd/containerd@$(CONTAINERD_VERSION) \
		$(CONTAINERD_MOD)/cmd/containerd-shim-runc-v2@$(CONTAINERD_VERSION) \
		$(CONTAINERD_MOD)/cmd/ctr@$(CONTAINERD_VERSION)
	touch $@

deps:
	bash scripts/deps.sh

test: deps build kube containerd
	go vet ./...
	DRILL_BIN=$(CURDIR)/$(BIN)/drill DRILL_KUBE_BIN=$(CURDIR)/$(BIN)/drill-kube go test -count=1 -timeout 30m ./...
	# Tests that change the host's global conntrack limit run alone, after the rest.
	DRILL_HOST_SYSCTL_TESTS=1 DRILL_BIN=$(CURDIR)/$(BIN)/drill DRILL_KUBE_BIN=$(CURDIR)/$(BIN)/drill-kube go test -count=1 -timeout 15m -run 'TestConntrackScenarios|TestConntrackTimeWaitScenarios' -v ./cmd/drill

bench: build
	go test -run '^$$' -bench . -benchtime 3x ./...

demo: deps build kube containerd
	bash scripts/demo.sh

clean:
	rm -rf $(BIN)
