package pdapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestMergeStatusUpdateWorkflowNotes(t *testing.T) {
	s := newSeeded(t)
	s.AddIncident(pdfake.Incident{ID: "Q0MERGEME00001", Number: 150, Title: "Dup", ServiceID: "PSV1"})
	s.AddWorkflow(pdfake.Workflow{ID: "PWF0001", Name: "Kickoff"})
	c := fakeClient(s, aliceMail)
	ctx := context.Background()

	if err := c.Merge(ctx, incA, []string{"Q0MERGEME00001"}); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Incident("Q0MERGEME00001"); in.MergedInto != incA {
		t.Errorf("not merged: %+v", in)
	}
	if err := c.PostStatusUpdate(ctx, incA, "Failing over"); err != nil {
		t.Fatal(err)
	}
	ws, err := c.Workflows(ctx)
	if err != nil || len(ws) != 1 || ws[0].Name != "Kickoff" || ws[0].Disabled() {
		t.Fatalf("Workflows = %+v, %v", ws, err)
	}
	if id, err := c.StartWorkflow(ctx, "PWF0001", incA); err != nil || id == "" {
		t.Fatalf("StartWorkflow = %q, %v", id, err)
	}
	if _, err := c.AddNote(ctx, incA, "hello"); err != nil {
		t.Fatal(err)
	}
	notes, err := c.Notes(ctx, incA)
	if err != nil || len(notes) != 1 || notes[0].Content != "hello" {
		t.Fatalf("Notes = %+v, %v", notes, err)
	}
	for _, w := range s.Writes() {
		if w.Header.Get("From") != aliceMail {
			t.Errorf("%s %s: From %q", w.Method, w.Path, w.Header.Get("From"))
		}
	}

	// PagerDuty's refusals come back as APIError values.
	err = c.Merge(ctx, incA, []string{"PNOPE00"})
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || !ae.NotFound() {
		t.Errorf("merge of an unknown source: %v, want a 404 APIError", err)
	}

	// Malformed IDs never reach PagerDuty; nor do writes without a requester.
	before := len(s.Requests())
	bad := []error{
		c.Merge(ctx, "../users", []string{incA}),
		c.Merge(ctx, incA, []string{"P1?x=1"}),
		c.Merge(ctx, incA, nil),
		c.PostStatusUpdate(ctx, "x/y", "m"),
		func() error { _, err := c.StartWorkflow(ctx, "../x", incA); return err }(),
		func() error { _, err := c.Notes(ctx, "#1"); return err }(),
		fakeClient(s, "").PostStatusUpdate(ctx, incA, "m"),
	}
	for i, err := range bad {
		if err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if !errors.Is(bad[len(bad)-1], pdapi.ErrNoRequester) {
		t.Errorf("write without a requester: %v", bad[len(bad)-1])
	}
	if len(s.Requests()) != before {
		t.Error("a malformed request reached PagerDuty")
	}
}
