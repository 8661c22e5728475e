SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN := bin

.PHONY: build test bench demo clean

build:
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/drill ./cmd/drill

test: build
	go vet ./...
	go test -count=1 ./...

bench: build
	go test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf $(BIN)
