package store_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoForbiddenImports keeps store independent of Slack and PagerDuty.
func TestNoForbiddenImports(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/pdbot/pdbot/store/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/slack-go/", "github.com/PagerDuty/"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("store depends on %s", dep)
			}
		}
	}
}
