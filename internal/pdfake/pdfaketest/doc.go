// Package pdfaketest starts pdfake servers for tests, validating every request
// against PagerDuty's own OpenAPI document.
//
// The document is PagerDuty's, not ours: it is never copied into the project.
// Tests find it through $PDBOT_PD_OPENAPI (see SpecEnv); without it New
// skips validation with a loud NOTICE in the test log, never silently. It is
// parsed once per test binary, and patched in memory only where it disagrees
// with the real API (see patchSpec and Spec.Validate).
//
// It owns the OpenAPI parser (kin-openapi) and imports package testing, so only
// tests may import it: the product binary (which runs pdfake for `pdbot demo`)
// must link neither. cmd/pdbot's TestNoTestCodeInBinary keeps it so.
package pdfaketest
