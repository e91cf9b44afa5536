package demoworld_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps demoworld a leaf over the fakes: it must not import
// pdbot's own packages (bot, handlers, store), so bot tests can use it.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
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
			if strings.HasPrefix(p, "github.com/pdbot/pdbot/") && !allowed[p] {
				t.Errorf("%s imports %s; demoworld may import only the fakes", f, p)
			}
		}
	}
}
