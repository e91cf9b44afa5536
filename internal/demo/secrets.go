package demo

import (
	"io"
	"regexp"
	"sync"

	"github.com/pdbot/pdbot/handlers"
)

// hiddenKey stands in for a key-shaped value the demo would otherwise print.
const hiddenKey = "[key hidden]"

// keyRun matches the runs of text that could be an API key or token; each is
// hidden when handlers.LooksLikeSecret says it is one. Like every pattern of
// the package it is compiled on first use: `pdbot serve` links the package
// but never runs it (see internal/pdfake/route.go).
var keyRun = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z0-9_+\-]{20,}`) })

// hideSecrets replaces every key-shaped value in s: the demo never repeats a
// key someone pasted, whether it echoes an input line, a form's values or
// its own messages.
func hideSecrets(s string) string {
	return keyRun().ReplaceAllStringFunc(s, func(run string) string {
		if handlers.LooksLikeSecret(run) {
			return hiddenKey
		}
		return run
	})
}

// hidingWriter writes through to w with hideSecrets applied. The demo
// writes whole lines (one fmt call each), so no key is split across writes.
type hidingWriter struct{ w io.Writer }

func (h hidingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(h.w, hideSecrets(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
