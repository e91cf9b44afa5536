package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// testOnly are packages (and their sub-packages) that belong to tests only:
// `pdbot demo` runs the fakes inside the binary, so their test constructors
// and OpenAPI validation live in packages the binary must not link.
var testOnly = []string{
	"testing",
	"github.com/getkin/kin-openapi",
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest",
	"github.com/pdbot/pdbot/internal/slackfake/slackfaketest",
	"github.com/google/go-cmp",
	"go.uber.org/zap/zaptest",
}

// TestNoTestCodeInBinary fails if the product binary links test code.
func TestNoTestCodeInBinary(t *testing.T) {
	// go test puts its own GOROOT/bin first in PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not in PATH (%v): cannot list the binary's dependencies", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/pdbot/pdbot/cmd/pdbot").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, d := range deps {
		for _, bad := range testOnly {
			if d == bad || strings.HasPrefix(d, bad+"/") {
				t.Errorf("./cmd/pdbot links %s, which is for tests only", d)
			}
		}
	}
}
