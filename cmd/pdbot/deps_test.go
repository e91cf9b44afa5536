package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testOnly are packages (and their sub-packages) that belong to tests only:
// `pdbot demo` runs the fakes inside the binary, so their test constructors
// and OpenAPI validation live in packages the binary must not link.
var testOnly = []string{
	"testing",
	"github.com/getkin/kin-openapi",
	"github.com/pdbot/pdbot/internal/pdapi/pdapitest",
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

// TestBinaryKeepsDeadCodeElimination fails if anything linked into the binary
// can call methods through reflection by computed name (reflect's Method,
// MethodByName with a non-constant name, Go 1.26's Methods iterators): the
// linker then keeps every exported method of every reachable type, several
// MB (google.golang.org/protobuf before v1.36.12 did it through
// MethodByName("Methods"), golang/protobuf#1704). The first lines of the
// report name the culprit; github.com/aarzilli/whydeadcode explains the chain.
func TestBinaryKeepsDeadCodeElimination(t *testing.T) {
	if testing.Short() {
		t.Skip("links the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not in PATH (%v): cannot link the binary", err)
	}
	cmd := exec.Command(gobin, "build", "-o", filepath.Join(t.TempDir(), "pdbot"), "-ldflags=-dumpdep", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var deps bytes.Buffer
	cmd.Stderr = &deps // -dumpdep writes "from -> to" lines here
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v\n%s", err, lastLines(deps.String(), 20))
	}
	var culprits []string
	for line := range strings.Lines(deps.String()) {
		if strings.Contains(line, "<ReflectMethod>") {
			culprits = append(culprits, strings.TrimSpace(line))
		}
	}
	if len(culprits) > 0 {
		t.Errorf("the linker reaches reflection by method name, so it keeps every exported method of every reachable type (-dumpdep, %d lines):\n%s",
			len(culprits), strings.Join(culprits[:min(len(culprits), 10)], "\n"))
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
