package pdfaketest

import (
	"os"
	"testing"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// SpecEnv is the environment variable that names PagerDuty's OpenAPI document
// (JSON) for tests.
const SpecEnv = "PDBOT_PD_OPENAPI"

var _ pdfake.Validator = (*Spec)(nil)

// EnvSpec returns the document named by $PDBOT_PD_OPENAPI, parsed once per
// test binary, or nil (with a NOTICE in t's log) when the variable is unset.
// t fails at once if the document cannot be loaded.
func EnvSpec(t testing.TB) *Spec {
	t.Helper()
	path := os.Getenv(SpecEnv)
	if path == "" {
		t.Log("NOTICE: " + SpecEnv + " unset, OpenAPI validation skipped")
		return nil
	}
	sp, err := Load(path)
	if err != nil {
		t.Fatalf("pdfaketest: %v", err)
	}
	return sp
}

// New starts a pdfake.Server for t, validating against the document named by
// $PDBOT_PD_OPENAPI (loudly skipping validation when it is unset). When t
// ends the server is closed, and t fails if any request was invalid against
// the document, unless the server's AllowInvalid was called.
func New(t testing.TB) *pdfake.Server {
	t.Helper()
	return NewWith(t, pdfake.Options{})
}

// NewWith is New with options of the test's own, such as a fake clock
// (Options.Now). It sets Validator, and Logf to t.Logf unless opts has one.
func NewWith(t testing.TB, opts pdfake.Options) *pdfake.Server {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	// The validator is always the document's (or none, with the NOTICE).
	opts.Validator = nil
	if sp := EnvSpec(t); sp != nil {
		opts.Validator = sp
	}
	s, err := pdfake.New(opts)
	if err != nil {
		t.Fatalf("pdfake: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if s.InvalidAllowed() {
			return
		}
		for _, r := range s.InvalidRequests() {
			t.Errorf("pdfake: invalid request %s %s: %s", r.Method, r.Path, r.Invalid)
		}
	})
	return s
}
