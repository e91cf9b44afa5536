package slackfake_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

func TestWaitResponseReturnsTheFirstPost(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd get")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	waitAck(t, d)

	// Nothing posted yet: a done context ends the wait with its error.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.WaitResponse(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("before any post: err = %v, want context.Canceled", err)
	}

	// A waiter already waiting is released by the post, after the post
	// was applied.
	type result struct {
		r   slackfake.Response
		err error
		eph int
	}
	got := make(chan result, 1)
	go func() {
		r, err := d.WaitResponse(ctxT(t))
		got <- result{r, err, len(f.Ephemerals("U0ALICE", "C0INC"))}
	}()
	post := func(opts ...slack.MsgOption) {
		t.Helper()
		if _, _, err := b.api.PostMessageContext(ctxT(t), "", opts...); err != nil {
			t.Fatal(err)
		}
	}
	post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("first", false))
	res := <-got
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.eph != 1 {
		t.Errorf("the waiter saw %d ephemerals, want the post applied (1)", res.eph)
	}
	want := slackfake.Response{Text: "first", ResponseType: "ephemeral"}
	if diff := cmp.Diff(want, res.r, cmpopts.IgnoreFields(slackfake.Response{}, "Latency")); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if res.r.Latency <= 0 {
		t.Errorf("latency %v, want > 0", res.r.Latency)
	}

	// A later post does not change the answer.
	post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("second", false))
	r, err := d.WaitResponse(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "first" {
		t.Errorf("after a second post: %q, want the first", r.Text)
	}
}

func TestWaitResponseReportsARefusedPost(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	for _, tc := range []struct {
		name, body, code string
	}{
		{"no text", `{"response_type":"ephemeral"}`, "no_text"},
		{"not JSON", `{"text":`, "invalid_payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := f.Slash("U0ALICE", "C0INC", "/pd get")
			if err != nil {
				t.Fatal(err)
			}
			b.ack(t, b.next(t), nil)
			waitAck(t, d)
			resp, err := http.Post(d.ResponseURL, "application/json", bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			r, err := d.WaitResponse(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != tc.code {
				t.Errorf("Error = %q, want %q", r.Error, tc.code)
			}
		})
	}
}

func TestWaitResponseWithoutAResponseURL(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Shortcut("U0ALICE", "new_note")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	waitAck(t, d)
	if _, err := d.WaitResponse(ctxT(t)); !errors.Is(err, slackfake.ErrNoResponseURL) {
		t.Errorf("shortcut: err = %v, want ErrNoResponseURL", err)
	}
	var none *slackfake.Delivery
	if _, err := none.WaitResponse(ctxT(t)); !errors.Is(err, slackfake.ErrNoEnvelope) {
		t.Errorf("nil delivery: err = %v, want ErrNoEnvelope", err)
	}
}
