package demo

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the demo a product package, apart from the tests: it
// uses the fakes' non-test constructors, so it imports no testing package
// (nor the fakes' test helpers), and of pdbot's own packages only the bot,
// what the bot is built from, and the fakes and their world.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/pdbot/pdbot/bot":                true,
		"github.com/pdbot/pdbot/handlers":           true, // shortcut callback IDs
		"github.com/pdbot/pdbot/store":              true,
		"github.com/pdbot/pdbot/internal/demoworld": true,
		"github.com/pdbot/pdbot/internal/pdfake":    true,
		"github.com/pdbot/pdbot/internal/slackfake": true,
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case p == "testing" || strings.HasPrefix(p, "testing/") || strings.HasSuffix(p, "test"):
				t.Errorf("%s imports %s; the demo is not a test", f, p)
			case strings.HasPrefix(p, "github.com/pdbot/pdbot/") && !allowed[p]:
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
