package pdapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
)

// The headers go-pagerduty sends, so a raw request looks like its own.
const (
	acceptHeader      = "application/vnd.pagerduty+json;version=2"
	contentTypeHeader = "application/json"
	userAgentHeader   = "go-pagerduty/" + pagerduty.Version
)

// Limits of classic offset pagination (https://developer.pagerduty.com/docs/pagination).
const (
	// maxOffset is PagerDuty's ceiling on offset+limit: past it, it
	// answers 400 instead of a page.
	maxOffset = 10000
	// maxErrorBody bounds what is read of an error answer.
	maxErrorBody = 64 << 10
)

// ErrListTooLong is returned by List when a collection goes on past
// PagerDuty's 10,000-item pagination ceiling: narrow the query.
var ErrListTooLong = errors.New("PagerDuty lists at most 10000 items by offset")

// Call is one PagerDuty REST request for Do.
type Call struct {
	// Method is the HTTP method. Anything but GET and HEAD is a write: it
	// carries From and is refused for a client that acts as nobody.
	Method string
	// Path is the URL path as segments: resource names and IDs, such as
	// {"incidents", id, "notes"}. Each must be a lower-case resource name or
	// upper-case letters and digits (an ID or a number), and is escaped, so
	// no value can climb out of its segment. Check an ID's kind
	// (ValidIncidentID, ValidObjectID) before it gets here.
	Path []string
	// Query is the query string; nil sends none.
	Query url.Values
	// Body is sent as JSON; nil sends none.
	Body any
}

// Do sends one request with the headers go-pagerduty sends (the key,
// PagerDuty's versioned Accept, a JSON Content-Type; From on writes),
// through the client's retries and pacing, and decodes a JSON answer into
// out (nil: the answer is dropped). A refusal comes back as a
// pagerduty.APIError value, as from go-pagerduty: StatusCode and, when the
// answer is JSON, the parsed error object.
func (c *Client) Do(ctx context.Context, call Call, out any) error {
	ctx, cancel := callCtx(ctx)
	defer cancel()
	path, err := buildPath(call.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", call.Method, err)
	}
	write := call.Method != http.MethodGet && call.Method != http.MethodHead
	if write {
		if err := c.requireFrom(); err != nil {
			return err
		}
	}
	var body io.Reader
	if call.Body != nil {
		b, err := json.Marshal(call.Body)
		if err != nil {
			return fmt.Errorf("%s %s: encode body: %w", call.Method, path, err)
		}
		// A bytes.Reader lets the retry transport resend the same body.
		body = bytes.NewReader(b)
	}
	u := c.base + path
	if len(call.Query) > 0 {
		u += "?" + call.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", call.Method, path, err)
	}
	req.Header.Set("Accept", acceptHeader)
	req.Header.Set("Authorization", "Token token="+c.key.key)
	req.Header.Set("Content-Type", contentTypeHeader)
	req.Header.Set("User-Agent", userAgentHeader)
	if write {
		req.Header.Set("From", c.from)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", call.Method, path, withCtx(ctx, err))
	}
	defer func() {
		// Read to the end, so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", call.Method, path, withCtx(ctx, err))
	}
	return nil
}

// buildPath joins allow-listed segments into an escaped path. A refused
// segment is not quoted: it could be anything, a pasted key included.
func buildPath(segs []string) (string, error) {
	if len(segs) == 0 {
		return "", errors.New("empty path")
	}
	var b strings.Builder
	for i, s := range segs {
		if !validSegment(s) {
			return "", fmt.Errorf("malformed path segment %d", i+1)
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String(), nil
}

// apiError reads a refusal the way go-pagerduty does: the status, and the
// error object when the answer says it is JSON.
func apiError(resp *http.Response) error {
	ae := pagerduty.APIError{StatusCode: resp.StatusCode}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var doc pagerduty.APIError
		if json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&doc) == nil {
			ae.APIError = doc.APIError
		}
	}
	return ae
}

// List reads a collection that PagerDuty pages with limit, offset and more
// (classic pagination), such as GET /users or GET /log_entries: the items
// under key in each page, decoded as T and handed to each in order, until
// each returns false, more is false, a page comes back empty (so an answer
// that says more but holds nothing cannot spin), or PagerDuty's
// 10,000-item ceiling (ErrListTooLong). It asks for full pages and moves on
// by the number of items PagerDuty returned, which may be fewer than asked.
// query must not set limit or offset; it is not changed.
func List[T any](ctx context.Context, c *Client, path []string, query url.Values, key string, each func(T) bool) error {
	name, err := buildPath(path)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	q := maps.Clone(query)
	if q == nil {
		q = url.Values{}
	}
	for offset := 0; ; {
		if offset >= maxOffset {
			return fmt.Errorf("list %s: %w", name, ErrListTooLong)
		}
		q.Set("limit", strconv.Itoa(min(pageLimit, maxOffset-offset)))
		q.Set("offset", strconv.Itoa(offset))
		var page map[string]json.RawMessage
		if err := c.Do(ctx, Call{Method: http.MethodGet, Path: path, Query: q}, &page); err != nil {
			return fmt.Errorf("list %s: %w", name, err)
		}
		raw, ok := page[key]
		if !ok {
			return fmt.Errorf("list %s: the answer has no %q", name, key)
		}
		var items []T
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("list %s: decode %s: %w", name, key, err)
		}
		var more bool
		if m, ok := page["more"]; ok {
			if err := json.Unmarshal(m, &more); err != nil {
				return fmt.Errorf("list %s: decode more: %w", name, err)
			}
		}
		for _, it := range items {
			if !each(it) {
				return nil
			}
		}
		if !more || len(items) == 0 {
			return nil
		}
		offset += len(items)
	}
}
