package pdfake

import (
	"context"
	"maps"
	"net/http"
	"slices"
)

// Validator checks requests against a description of PagerDuty's API. Tests
// use PagerDuty's own OpenAPI document (package pdfaketest); the product
// binary links no validator, so the document's parser stays out of it. A
// Validator must be safe for concurrent use.
type Validator interface {
	// HasOperation reports whether PagerDuty's API has an operation for
	// method on the path template (such as "/incidents/{id}"), whether pdfake
	// serves it or not.
	HasOperation(method, template string) bool
	// Validate returns the reasons a request is invalid, one per problem, or
	// nil if it is valid.
	Validate(ctx context.Context, in ValidationInput) []string
}

// ValidationInput is one request, as a Validator sees it.
type ValidationInput struct {
	// Request is the request as received; its body was already read into Body.
	Request *http.Request
	Body    []byte
	// Template is the path template the request matched, and PathParams its
	// path parameters by name.
	Template   string
	PathParams map[string]string
	// KeyUserEmail is the email of the user the request's API key is bound
	// to when it is a user-level key, else "". With such a key the acting
	// user comes from the key, and From is optional (notes §1.2, §4.5).
	KeyUserEmail string
}

// Operations returns the operations pdfake serves, as "METHOD /template",
// sorted.
func Operations() []string {
	return slices.Sorted(maps.Keys(queryParams))
}
