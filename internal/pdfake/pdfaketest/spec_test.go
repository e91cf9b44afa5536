package pdfaketest_test

import (
	"os"
	"testing"

	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

func TestSpecParsedOncePerBinary(t *testing.T) {
	if os.Getenv(pdfaketest.SpecEnv) == "" {
		t.Skip("PDBOT_PD_OPENAPI unset: nothing to parse")
	}
	before := pdfaketest.SpecLoads() // other tests (or -count) may have loaded it already
	for range 3 {
		pdfaketest.New(t)
	}
	if n := pdfaketest.SpecLoads() - before; n > 1 {
		t.Errorf("document parsed %d times for 3 servers, want at most once per test binary", n)
	}
}

func TestLoadBadSpecPath(t *testing.T) {
	if _, err := pdfaketest.Load(t.TempDir() + "/missing.json"); err == nil {
		t.Error("Load of a missing document succeeded")
	}
}
