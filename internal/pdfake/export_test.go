package pdfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// SpecLoads reports how many times an OpenAPI document was parsed in this
// test binary.
func SpecLoads() int64 { return specLoads.Load() }

// QueryParams exposes the per-operation query parameter lists.
var QueryParams = queryParams

// DocumentQueryParams returns the query parameters the document declares for
// op ("METHOD /template"), or ok false if s does not validate.
func DocumentQueryParams(s *Server, op string) (names []string, ok bool) {
	if s.spec == nil {
		return nil, false
	}
	method, template, _ := strings.Cut(op, " ")
	pi, o := s.spec.operation(template, method)
	if o == nil {
		return nil, true
	}
	for _, params := range []openapi3.Parameters{pi.Parameters, o.Parameters} {
		for _, p := range params {
			if p.Value.In == openapi3.ParameterInQuery {
				names = append(names, p.Value.Name)
			}
		}
	}
	return names, true
}

var responseOptions = func() *openapi3filter.Options {
	o := *validationOptions
	o.IncludeResponseStatus = true
	return &o
}()

// ValidateResponse checks a response of pdfake against the document's
// response schema for the operation template.
func ValidateResponse(s *Server, req *http.Request, template string, status int, header http.Header, body []byte) error {
	pi, op := s.spec.operation(template, req.Method)
	in := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   &routers.Route{Spec: s.spec.doc, Path: template, PathItem: pi, Method: req.Method, Operation: op},
		Options: validationOptions,
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(strings.NewReader(string(body))),
		Options:                responseOptions,
	})
	if err == nil {
		return nil
	}
	return errors.New(strings.Join(flattenError(err), "\n"))
}
