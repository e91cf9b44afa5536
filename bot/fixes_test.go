package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// claimsDown is a store whose de-duplication records cannot be written.
type claimsDown struct{ store.Store }

func (claimsDown) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("claims table unavailable")
}

// TestWritesFailClosedWithoutDeduplication: when the store cannot record an
// envelope's claim, a write is not carried out (a redelivery to another
// replica could repeat it) and the requester is told to try again; a read
// goes on.
func TestWritesFailClosedWithoutDeduplication(t *testing.T) {
	h := newHarness(t, tuned(func(c *bot.Config) { c.Store = claimsDown{c.Store} }))
	got := h.slash(alice, incCh, "/pd note the replica is back")
	contains(t, got.Text, "did nothing", "Try again")
	got = h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "did nothing")
	if len(h.writes()) != 0 {
		t.Errorf("writes without a de-duplication record: %v", paths(h.writes()))
	}
	contains(t, h.slash(alice, incCh, "/pd get").Text, "Incident #42")
}

// TestDemotedAdminIsRefusedAtOnce: admin rights are read from Slack afresh,
// not from the user cache, so an admin demoted a moment ago cannot manage
// keys.
func TestDemotedAdminIsRefusedAtOnce(t *testing.T) {
	h := newHarness(t)
	contains(t, h.slash(alice, opsCh, "/pd key status").Text, "ending in")
	h.sf.AddUser(slackfake.User{ID: alice, Name: demoworld.AliceName, RealName: demoworld.AliceReal, Email: demoworld.AliceEmail, TeamID: demoworld.TeamID})
	got := h.slash(alice, opsCh, "/pd key status")
	contains(t, got.Text, "Only workspace admins")
	if strings.Contains(got.Text, "ending in") {
		t.Errorf("a demoted admin still sees the key: %q", got.Text)
	}
}
