package pdfaketest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// Spec is PagerDuty's OpenAPI document, loaded and patched once, then only
// read. It is a pdfake.Validator.
type Spec struct {
	doc *openapi3.T
	// ops holds "METHOD /template" for every operation in the whole
	// document, including those pruned from doc.
	ops map[string]bool
}

// specCache holds one parsed document per path for the whole test binary: the
// document is 2.7 MB and takes far longer to parse than any test takes to run.
var specCache = struct {
	mu      sync.Mutex
	entries map[string]*specEntry
}{entries: map[string]*specEntry{}}

type specEntry struct {
	once sync.Once
	spec *Spec
	err  error
}

// specLoads counts how many times a document was actually parsed (for tests).
var specLoads atomic.Int64

// Load returns the parsed document at path, parsing it on first use only.
func Load(path string) (*Spec, error) {
	specCache.mu.Lock()
	e, ok := specCache.entries[path]
	if !ok {
		e = &specEntry{}
		specCache.entries[path] = e
	}
	specCache.mu.Unlock()
	e.once.Do(func() {
		specLoads.Add(1)
		e.spec, e.err = parseSpec(path)
	})
	return e.spec, e.err
}

func parseSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read PagerDuty OpenAPI document: %w", err)
	}
	pruned, ops, err := prune(data)
	if err != nil {
		return nil, fmt.Errorf("read PagerDuty OpenAPI document %s: %w", path, err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(pruned)
	if err != nil {
		return nil, fmt.Errorf("load PagerDuty OpenAPI document %s: %w", path, err)
	}
	if err := patchSpec(doc); err != nil {
		return nil, fmt.Errorf("patch PagerDuty OpenAPI document %s: %w", path, err)
	}
	return &Spec{doc: doc, ops: ops}, nil
}

// httpMethods are the path item keys that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// prune keeps only the paths pdfake serves (all components stay) and returns
// every operation of the full document. Quirk 0: the full document does not
// load. The 200 responses of PUT /event_orchestrations/{id}/cache_variables/
// {cache_variable_id}/data (and its services/ twin) $ref a requestBodies
// component, which kin-openapi rightly refuses. Those paths are not pdfake's,
// so dropping the paths pdfake does not serve both sidesteps such breakage
// elsewhere in the document and makes loading several times faster.
func prune(data []byte) ([]byte, map[string]bool, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, err
	}
	var paths map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw["paths"], &paths); err != nil {
		return nil, nil, fmt.Errorf("paths: %w", err)
	}
	ops := map[string]bool{}
	kept := map[string]map[string]json.RawMessage{}
	for template, item := range paths {
		for _, m := range httpMethods {
			if _, ok := item[m]; ok {
				ops[strings.ToUpper(m)+" "+template] = true
			}
		}
		if servedTemplates[template] {
			kept[template] = item
		}
	}
	for template := range servedTemplates {
		if kept[template] == nil {
			return nil, nil, fmt.Errorf("the document has no path %s", template)
		}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil, nil, err
	}
	raw["paths"] = b
	out, err := json.Marshal(raw)
	return out, ops, err
}

// servedTemplates are the path templates of the operations pdfake serves.
var servedTemplates = func() map[string]bool {
	m := map[string]bool{}
	for _, op := range pdfake.Operations() {
		_, template, _ := strings.Cut(op, " ")
		m[template] = true
	}
	return m
}()

// patchSpec corrects, in memory only, the places where PagerDuty's document
// disagrees with PagerDuty's API. The file on disk is never changed.
func patchSpec(doc *openapi3.T) error {
	// Quirk 1: the shared Authorization parameter carries the pattern
	// ^(Token token=[A-Za-z0-9]+|Bearer [A-Za-z0-9]+)$, but real keys contain
	// '_', '+' and '-' (notes §1.1). None of the operations pdfake serves
	// references it today; drop the pattern so none ever applies it. The
	// security scheme itself is satisfied by a no-op AuthenticationFunc and the
	// key is checked by pdfake's server.
	if doc.Components != nil {
		if p := doc.Components.Parameters["header_Authorization"]; p != nil && p.Value != nil && p.Value.Schema != nil && p.Value.Schema.Value != nil {
			p.Value.Schema.Value.Pattern = ""
		}
	}

	// Quirk 2: the request schema of POST /incidents/{id}/responder_requests
	// shows each target UNWRAPPED ({"id","type"}), and since that schema has
	// neither "required" nor "additionalProperties": false it accepts anything.
	// The real API (and the spec's own request example, and go-pagerduty) use
	// the wrapped form {"responder_request_target":{"id","type"}}; the unwrapped
	// form is answered 404/2100 (go-pagerduty#451, notes §2.6). Replace this one
	// property schema (not the shared component) with the wrapped form, so an
	// unwrapped target is an invalid request.
	pi := doc.Paths.Value("/incidents/{id}/responder_requests")
	if pi == nil || pi.Post == nil || pi.Post.RequestBody == nil || pi.Post.RequestBody.Value == nil {
		return errors.New("POST /incidents/{id}/responder_requests has no request body")
	}
	mt := pi.Post.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return errors.New("POST /incidents/{id}/responder_requests has no JSON schema")
	}
	props := mt.Schema.Value.Properties
	old := props["responder_request_targets"]
	if old == nil || old.Value == nil || old.Value.Items == nil {
		return errors.New("POST /incidents/{id}/responder_requests: responder_request_targets has no items")
	}
	wrapper := openapi3.NewObjectSchema()
	wrapper.Properties = openapi3.Schemas{"responder_request_target": old.Value.Items}
	wrapper.Required = []string{"responder_request_target"}
	targets := openapi3.NewArraySchema()
	targets.Description = old.Value.Description
	targets.Items = openapi3.NewSchemaRef("", wrapper)
	props["responder_request_targets"] = openapi3.NewSchemaRef("", targets)
	if err := patchCreateIncident(doc); err != nil {
		return err
	}
	return patchLogEntries(doc)
}

// patchCreateIncident corrects the request schema of POST /incidents.
// Quirk 9: its body ($ref IncidentBody) says details is an object, but the
// operation's own request example, PagerDuty's web app and its API
// reference send a string ("A disk is getting full on this machine…"),
// which the API takes. Replace this one property (not the shared
// component) with {type: incident_body, details: string}.
func patchCreateIncident(doc *openapi3.T) error {
	pi := doc.Paths.Value("/incidents")
	if pi == nil || pi.Post == nil || pi.Post.RequestBody == nil || pi.Post.RequestBody.Value == nil {
		return errors.New("POST /incidents has no request body")
	}
	mt := pi.Post.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return errors.New("POST /incidents has no JSON schema")
	}
	inc := mt.Schema.Value.Properties["incident"]
	if inc == nil || inc.Value == nil || inc.Value.Properties["body"] == nil {
		return errors.New("POST /incidents: incident has no body property")
	}
	body := openapi3.NewObjectSchema()
	typ := openapi3.NewStringSchema()
	typ.Enum = []any{"incident_body"}
	body.Properties = openapi3.Schemas{
		"type":    openapi3.NewSchemaRef("", typ),
		"details": openapi3.NewSchemaRef("", openapi3.NewStringSchema()),
	}
	body.Required = []string{"type"}
	inc.Value.Properties["body"] = openapi3.NewSchemaRef("", body)
	return nil
}

// undocumentedLogEntryTypes are log entry types PagerDuty sends that the
// document's LogEntry enum omits (integrations branch on them; pdfake writes
// them for priority changes, responder requests and status updates; the
// last name is unverified).
var undocumentedLogEntryTypes = []any{"priority_change_log_entry", "responder_request_log_entry", "status_update_log_entry"}

// logEntryOperations are the operations whose responses hold log entries.
var logEntryOperations = []string{"/log_entries", "/log_entries/{id}", "/incidents/{id}/log_entries"}

// patchLogEntries corrects the response schemas of log entries, which no
// real log entry could match as written.
func patchLogEntries(doc *openapi3.T) error {
	schemas := doc.Components.Schemas
	get := func(name string) (*openapi3.Schema, error) {
		if ref := schemas[name]; ref != nil && ref.Value != nil {
			return ref.Value, nil
		}
		return nil, fmt.Errorf("the document has no schema %s", name)
	}

	// Quirk 6: Channel is a oneOf of NagiosChannel, APIChannel, EmailChannel,
	// WebTriggerChannel and WebsiteChannel, none of which requires a property
	// the others lack or forbids extra ones: every channel matches all five,
	// so "exactly one" never holds. They describe alternatives: anyOf.
	ch, err := get("Channel")
	if err != nil {
		return err
	}
	if len(ch.OneOf) == 0 {
		return errors.New("schema Channel has no oneOf")
	}
	ch.AnyOf, ch.OneOf = ch.OneOf, nil

	// Quirk 7: AcknowledgeLogEntry restricts type to
	// "acknowledgement_log_entry", while LogEntry (which it extends) allows
	// only "acknowledge_log_entry", the name the API sends: nothing can match.
	ack, err := get("AcknowledgeLogEntry")
	if err != nil {
		return err
	}
	if typ := ownEnum(ack, "type"); typ != nil {
		typ.Enum = []any{"acknowledge_log_entry"}
	} else {
		return errors.New("schema AcknowledgeLogEntry has no type enum")
	}

	// Quirk 8: the responses are a oneOf of 15 log entry schemas, which
	// leaves out types the API sends (LogEntry's own enum lists
	// field_value_change_log_entry and custom_field_value_change_log_entry,
	// which have no schema of their own; priority_change_log_entry and
	// responder_request_log_entry are in neither). Accept any LogEntry, its
	// enum extended with those types.
	base, err := get("LogEntry")
	if err != nil {
		return err
	}
	if typ := ownEnum(base, "type"); typ != nil {
		typ.Enum = append(typ.Enum, undocumentedLogEntryTypes...)
	} else {
		return errors.New("schema LogEntry has no type enum")
	}
	for _, template := range logEntryOperations {
		pi := doc.Paths.Value(template)
		if pi == nil || pi.Get == nil || pi.Get.Responses.Value("200") == nil {
			return fmt.Errorf("the document has no GET %s 200 response", template)
		}
		mt := pi.Get.Responses.Value("200").Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			return fmt.Errorf("GET %s: no JSON response schema", template)
		}
		if n := widenLogEntryOneOf(mt.Schema, schemas["LogEntry"], map[*openapi3.Schema]bool{}); n == 0 {
			return fmt.Errorf("GET %s: no oneOf of log entries in the response schema", template)
		}
	}
	return nil
}

// ownEnum returns the enum schema of property name that sc declares in one
// of its inline allOf parts (never one it inherits through a $ref, which
// other schemas share), or nil.
func ownEnum(sc *openapi3.Schema, name string) *openapi3.Schema {
	for _, part := range sc.AllOf {
		if part.Ref != "" || part.Value == nil {
			continue
		}
		if p := part.Value.Properties[name]; p != nil && p.Ref == "" && p.Value != nil && len(p.Value.Enum) > 0 {
			return p.Value
		}
	}
	return nil
}

// widenLogEntryOneOf turns each oneOf of log entry schemas under ref into an
// anyOf that also allows the base LogEntry, and returns how many it changed.
func widenLogEntryOneOf(ref *openapi3.SchemaRef, logEntry *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) int {
	if ref == nil || ref.Value == nil || ref.Ref != "" || seen[ref.Value] {
		return 0 // components are patched by name above, not here
	}
	sc := ref.Value
	seen[sc] = true
	n := 0
	if len(sc.OneOf) > 0 && strings.HasSuffix(sc.OneOf[0].Ref, "LogEntry") {
		sc.AnyOf, sc.OneOf = append(sc.OneOf, logEntry), nil
		n++
	}
	for _, sub := range sc.AllOf {
		n += widenLogEntryOneOf(sub, logEntry, seen)
	}
	for _, sub := range sc.Properties {
		n += widenLogEntryOneOf(sub, logEntry, seen)
	}
	n += widenLogEntryOneOf(sc.Items, logEntry, seen)
	return n
}

// validationOptions are shared by every validation: no-op authentication
// (pdfake checks keys itself, see patchSpec), no defaults written into the
// request, every error reported, short error texts, and "format": "email"
// checked for this validation only (no global kin-openapi state is touched).
var validationOptions = func() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults: true,
		// Quirk 5: every reference schema inherits id and type marked readOnly
		// (from Tag/allOf/0) while Reference requires them, so an assignee
		// {"id","type":"user_reference"} in a request body would be refused.
		// PagerDuty requires exactly those fields: readOnly is not enforced.
		ExcludeReadOnlyValidations: true,
		MultiError:                 true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		},
	}
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		msg := err.Reason
		if err.Origin != nil {
			msg += " (" + err.Origin.Error() + ")"
		}
		if p := err.JSONPointer(); len(p) > 0 {
			return fmt.Sprintf("at /%s: %s", strings.Join(p, "/"), msg)
		}
		return msg
	})
	return o
}()

// HasOperation reports whether the full document has method on template.
func (sp *Spec) HasOperation(method, template string) bool {
	return sp.ops[method+" "+template]
}

// operation returns the document's operation for a path template and method.
func (sp *Spec) operation(template, method string) (*openapi3.PathItem, *openapi3.Operation) {
	pi := sp.doc.Paths.Value(template)
	if pi == nil {
		return nil, nil
	}
	return pi, pi.GetOperation(method)
}

// Validate checks in.Request (with its already-read body) against the
// document's operation for in.Template and returns the reasons it is invalid,
// or nil. in.KeyUserEmail, when not empty, is the email of the user a
// user-level key is bound to (see the From quirk below).
func (sp *Spec) Validate(ctx context.Context, in pdfake.ValidationInput) []string {
	r, body, template := in.Request, in.Body, in.Template
	pi, op := sp.operation(template, r.Method)
	if op == nil {
		return []string{fmt.Sprintf("PagerDuty's API has no operation %s %s", r.Method, template)}
	}
	req := r.Clone(ctx)
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	req.ContentLength = int64(len(body))

	// Quirk 3: the document marks Content-Type (enum ["application/json"]) as
	// required on every operation, GETs included. go-pagerduty sends it on
	// every request, but the real API needs it only when there is a body, and
	// accepts parameters such as "; charset=utf-8". So: a GET without it is
	// fine, and a JSON media type with parameters counts as application/json.
	ct := req.Header.Get("Content-Type")
	switch {
	case ct == "" && r.Method == http.MethodGet:
		req.Header.Set("Content-Type", "application/json")
	case ct != "":
		if mediaType, _, err := mime.ParseMediaType(ct); err == nil && mediaType == "application/json" {
			req.Header.Set("Content-Type", "application/json")
		}
	}

	// Quirk 4: the document marks From as required on PUT /incidents,
	// PUT /incidents/{id} and POST notes, but with a user-level API key the
	// acting user comes from the key and From is optional (notes §1.2, §4.5).
	// A missing From with a user key is filled in with that user's email. An
	// empty From stays empty: it is malformed (1028) whatever the key.
	if _, present := req.Header["From"]; !present && in.KeyUserEmail != "" {
		req.Header.Set("From", in.KeyUserEmail)
	}

	input := &openapi3filter.RequestValidationInput{
		Request:     req,
		PathParams:  in.PathParams,
		QueryParams: r.URL.Query(),
		Route: &routers.Route{
			Spec:      sp.doc,
			Path:      template,
			PathItem:  pi,
			Method:    r.Method,
			Operation: op,
		},
		Options: validationOptions,
	}
	err := openapi3filter.ValidateRequest(ctx, input)
	if err == nil {
		return nil
	}
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		return []string{err.Error()}
	}
	var reasons []string
	for _, e := range me {
		reasons = append(reasons, flattenError(e)...)
	}
	return reasons
}

// flattenError turns nested kin-openapi errors into one line per problem,
// each naming the parameter or the body it is about.
func flattenError(err error) []string {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []string
		for _, inner := range e {
			out = append(out, flattenError(inner)...)
		}
		return out
	case *openapi3filter.RequestError:
		prefix := "request"
		switch {
		case e.Parameter != nil:
			prefix = fmt.Sprintf("parameter %q in %s", e.Parameter.Name, e.Parameter.In)
		case e.RequestBody != nil:
			prefix = "request body"
		}
		if e.Err == nil {
			return []string{prefix + ": " + e.Reason}
		}
		var out []string
		for _, line := range flattenError(e.Err) {
			out = append(out, prefix+": "+line)
		}
		return out
	}
	return []string{err.Error()}
}

// QueryParams returns the query parameters the document declares for op
// ("METHOD /template"), or nil if it has no such operation.
func (sp *Spec) QueryParams(op string) []string {
	method, template, _ := strings.Cut(op, " ")
	pi, o := sp.operation(template, method)
	if o == nil {
		return nil
	}
	var names []string
	for _, params := range []openapi3.Parameters{pi.Parameters, o.Parameters} {
		for _, p := range params {
			if p.Value.In == openapi3.ParameterInQuery {
				names = append(names, p.Value.Name)
			}
		}
	}
	return names
}

// responseOptions are validationOptions, with the response status checked.
var responseOptions = func() *openapi3filter.Options {
	o := *validationOptions
	o.IncludeResponseStatus = true
	return &o
}()

// ValidateResponse checks a response to req against the document's response
// schema for the operation template.
func (sp *Spec) ValidateResponse(req *http.Request, template string, status int, header http.Header, body []byte) error {
	pi, op := sp.operation(template, req.Method)
	if op == nil {
		return fmt.Errorf("PagerDuty's API has no operation %s %s", req.Method, template)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   &routers.Route{Spec: sp.doc, Path: template, PathItem: pi, Method: req.Method, Operation: op},
		Options: validationOptions,
	}
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                responseOptions,
	})
	if err == nil {
		return nil
	}
	return errors.New(strings.Join(flattenError(err), "\n"))
}
