package scenario

import (
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBad(b *testing.B) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("bad.yaml", data); err == nil {
			b.Fatal("bad.yaml parsed")
		}
	}
}
