package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// subs returns the channel's subscriptions as the store holds them.
func (h *harness) subs(channel string) []store.Subscription {
	h.t.Helper()
	ss, err := h.st.Subscriptions(context.Background(), demoworld.TeamID, channel)
	if err != nil {
		h.t.Fatalf("read subscriptions: %v", err)
	}
	return ss
}

// liveCards returns every live card the store follows.
func (h *harness) liveCards() []store.LiveCard {
	h.t.Helper()
	cs, err := h.st.LiveCards(context.Background())
	if err != nil {
		h.t.Fatalf("read live cards: %v", err)
	}
	return cs
}

// subsSummary is "SERVICE/urgency/creator" for each subscription.
func subsSummary(ss []store.Subscription) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ServiceID+"/"+s.ServiceName+"/"+s.Urgency+"/"+s.CreatedBy)
	}
	return strings.Join(out, ", ")
}

// lastAudit returns the newest audit row's action and result.
func (h *harness) lastAudit() store.AuditEntry {
	h.t.Helper()
	var last store.AuditEntry
	h.waitFor("an audit row", func() bool {
		as, err := h.st.Audit(context.Background(), demoworld.TeamID, 1)
		if err != nil || len(as) == 0 {
			return false
		}
		last = as[0]
		return true
	})
	return last
}

func TestSubscribeByNameAndByID(t *testing.T) {
	h := newHarness(t)
	// An exact name, case aside, with spaces and no quotes; then an ID.
	got := h.slash(alice, opsCh, "/pd subscribe orders db, "+demoworld.ServiceWebID+" urgency=high")
	if got.Ephemeral {
		t.Fatalf("the subscription was not announced in the channel: %s", got.Text)
	}
	contains(t, got.Text, "Alice Smith subscribed this channel", "*Orders DB*", "*Checkout Web*", "high urgency only")
	want := demoworld.ServiceDBID + "/Orders DB/high/" + alice + ", " + demoworld.ServiceWebID + "/Checkout Web/high/" + alice
	if s := subsSummary(h.subs(opsCh)); s != want {
		t.Errorf("subscriptions %s, want %s", s, want)
	}
	if a := h.lastAudit(); a.Action != "slash:subscribe" || a.Result != "ok" || a.User != alice || a.Channel != opsCh {
		t.Errorf("audit row %+v", a)
	}
	if len(h.writes()) != 0 {
		t.Errorf("subscribing wrote to PagerDuty: %v", paths(h.writes()))
	}

	// The same again changes nothing and says so to the requester only.
	got = h.slash(alice, opsCh, "/pd subscribe Checkout Web urgency=high")
	if !got.Ephemeral {
		t.Errorf("a no-op subscription was announced: %s", got.Text)
	}
	contains(t, got.Text, "already follows *Checkout Web*", "nothing changed")
	// A partial name that matches one service; any urgency now.
	got = h.slash(bob, opsCh, "/pd subscribe checkout")
	contains(t, got.Text, "Bob Jones changed this channel's subscription to *Checkout Web* to any urgency")
	if s := subsSummary(h.subs(opsCh)); !strings.Contains(s, demoworld.ServiceWebID+"/Checkout Web//"+bob) {
		t.Errorf("subscriptions after the change: %s", s)
	}
	// Quoted names work too.
	h.slash(alice, incCh, `/pd subscribe "Orders DB" urgency=LOW`)
	if s := subsSummary(h.subs(incCh)); s != demoworld.ServiceDBID+"/Orders DB/low/"+alice {
		t.Errorf("quoted: %s", s)
	}
}

func TestSubscribeRefusesUnknownAndAmbiguousNames(t *testing.T) {
	h := newHarness(t)
	h.pd.AddService(pdfake.Service{ID: "PSVCAPI", Name: "Orders API", EscalationPolicyID: demoworld.PolicyDBID})
	h.pd.AddService(pdfake.Service{ID: "PSVCDBR", Name: "Orders DB Replicas", EscalationPolicyID: demoworld.PolicyDBID})
	for _, tc := range []struct{ line, want string }{
		{"/pd subscribe Orders", "“Orders” matches several services: “Orders API” (PSVCAPI)"},
		{"/pd subscribe Checkout Web, Nope", "no service is called “Nope”"},
		{"/pd subscribe PNOSUCH", "no service is called “PNOSUCH”"},
		{"/pd subscribe Orders DB urgency=urgent", "Urgency is `high` or `low`"},
		{"/pd subscribe urgency=high", "Name the services"},
		{"/pd subscribe Orders DB urgency=high urgency=low", "Give `urgency=` once"},
	} {
		got := h.slash(alice, opsCh, tc.line)
		if !got.Ephemeral {
			t.Errorf("%s: answered in the channel: %s", tc.line, got.Text)
		}
		contains(t, got.Text, tc.want)
		if ss := h.subs(opsCh); len(ss) != 0 {
			t.Fatalf("%s: saved %s", tc.line, subsSummary(ss))
		}
	}
	// An exact name wins over the partial matches that contain it.
	got := h.slash(alice, opsCh, "/pd subscribe Orders DB")
	contains(t, got.Text, "subscribed this channel", "*Orders DB*")
	if s := subsSummary(h.subs(opsCh)); s != demoworld.ServiceDBID+"/Orders DB//"+alice {
		t.Errorf("exact name: %s", s)
	}
}

func TestSubscribeRefusesGuestsBotsAndUnmappedUsers(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ who, want string }{
		{demoworld.DaveID, "Guests cannot change which PagerDuty services this channel follows"},
		{demoworld.DeployBotID, "Bots cannot change which PagerDuty services this channel follows"},
		{demoworld.ErinID, "No PagerDuty user has your Slack email"},
	} {
		for _, line := range []string{"/pd subscribe Orders DB", "/pd unsubscribe all"} {
			if tc.who == demoworld.ErinID && strings.Contains(line, "unsubscribe") {
				continue // removing needs no PagerDuty identity
			}
			got := h.slash(tc.who, opsCh, line)
			contains(t, got.Text, tc.want)
		}
	}
	if ss := h.subs(opsCh); len(ss) != 0 {
		t.Fatalf("saved %s", subsSummary(ss))
	}
	// And the bare form does not open for them either.
	d, err := h.sf.Slash(demoworld.DaveID, opsCh, "/pd subscribe")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	v := h.topView(demoworld.DaveID, func(v slackfake.View) bool { return !strings.Contains(v.PlainText(), "Loading") })
	if v.CallbackID == "subscribe_submit" {
		t.Error("a guest got the subscribe form")
	}
	contains(t, v.PlainText(), "Guests cannot")
}

func TestSubscribeAsksToInviteWhenNotInChannel(t *testing.T) {
	h := newHarness(t)
	h.sf.RemoveBot(opsCh)
	got := h.slash(alice, opsCh, "/pd subscribe Orders DB")
	contains(t, got.Text, "pdbot is not in this channel", "/invite @pdbot")
	if ss := h.subs(opsCh); len(ss) != 0 {
		t.Fatalf("saved %s", subsSummary(ss))
	}
	for _, r := range h.pd.Requests() {
		if strings.HasPrefix(r.Path, "/services") {
			t.Errorf("looked services up for a channel it cannot post in: %s", r.Path)
		}
	}
}

func TestSubscribeFromModal(t *testing.T) {
	h := newHarness(t)
	v := h.openModal(alice, opsCh, "/pd subscribe", "subscribe_submit")
	contains(t, v.PlainText(), "Services", "High urgency only")

	// Type-ahead answers from GET /services, once per word typed.
	h.pd.ResetRequests()
	options := func(q string) []string {
		t.Helper()
		a := h.ack(must(h.sf.Suggest(alice, v.ID, "service_search", q)))
		var resp struct{ Options []struct{ Value string } }
		if err := json.Unmarshal(a.Payload, &resp); err != nil {
			t.Fatalf("suggestion ack %s: %v", a.Payload, err)
		}
		var out []string
		for _, o := range resp.Options {
			out = append(out, o.Value)
		}
		return out
	}
	if got := strings.Join(options(""), ","); got != demoworld.ServiceWebID+","+demoworld.ServiceDBID {
		t.Errorf("options for nothing: %s", got)
	}
	if got := strings.Join(options("ord"), ","); got != demoworld.ServiceDBID {
		t.Errorf("options for ord: %s", got)
	}
	if got := strings.Join(options("web"), ","); got != demoworld.ServiceWebID {
		t.Errorf("options for web: %s", got)
	}
	services := 0
	for _, r := range h.pd.Requests() {
		if r.Path == "/services" {
			services++
		}
	}
	if services != 1 {
		t.Errorf("type-ahead asked PagerDuty %d times; a narrower query should reuse a complete answer", services)
	}

	before := h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{
		"services": {"service_search": {SelectedOptions: []string{demoworld.ServiceDBID, demoworld.ServiceWebID}}},
		"urgency":  {"urgency_choice": {SelectedOption: "low"}},
	})
	got := h.next(alice, opsCh, before, "the subscribe form")
	if got.Ephemeral {
		t.Errorf("not announced: %s", got.Text)
	}
	contains(t, got.Text, "Alice Smith subscribed this channel", "*Orders DB* and *Checkout Web*", "low urgency only")
	want := demoworld.ServiceDBID + "/Orders DB/low/" + alice + ", " + demoworld.ServiceWebID + "/Checkout Web/low/" + alice
	if s := subsSummary(h.subs(opsCh)); s != want {
		t.Errorf("subscriptions %s, want %s", s, want)
	}
	if a := h.lastAudit(); a.Action != "submission:subscribe_submit" || a.Result != "ok" {
		t.Errorf("audit row %+v", a)
	}
}

func TestSubscriptionsAndUnsubscribe(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, opsCh, "/pd subscriptions")
	contains(t, got.Text, "follows no PagerDuty services")
	contains(t, h.slash(bob, opsCh, "/pd unsubscribe all").Text, "nothing to unsubscribe from")

	h.slash(alice, opsCh, "/pd subscribe Orders DB, Checkout Web urgency=high")
	got = h.slash(bob, opsCh, "/pd subscriptions")
	if !got.Ephemeral {
		t.Error("the list was posted in the channel")
	}
	contains(t, got.Text, "*Checkout Web* (`"+demoworld.ServiceWebID+"`) — high urgency only — subscribed by <@"+alice+">", "*Orders DB*")

	// Bare: asks which.
	got = h.slash(bob, opsCh, "/pd unsubscribe")
	contains(t, got.Text, "Say which", "*Orders DB* and *Checkout Web*", "`/pd unsubscribe all`")
	// Not subscribed: says so, removes nothing.
	got = h.slash(bob, opsCh, "/pd unsubscribe Orders DB, Search")
	contains(t, got.Text, "Nothing was unsubscribed", "this channel does not follow “Search”")
	if n := len(h.subs(opsCh)); n != 2 {
		t.Fatalf("%d subscriptions left, want 2", n)
	}
	// One, by name as subscribed (case aside).
	got = h.slash(bob, opsCh, "/pd unsubscribe orders db")
	if got.Ephemeral {
		t.Errorf("not announced: %s", got.Text)
	}
	contains(t, got.Text, "Bob Jones unsubscribed this channel from new incidents on *Orders DB*")
	if s := subsSummary(h.subs(opsCh)); s != demoworld.ServiceWebID+"/Checkout Web/high/"+alice {
		t.Errorf("left: %s", s)
	}
	if a := h.lastAudit(); a.Action != "slash:unsubscribe" || a.Result != "ok" || a.User != bob {
		t.Errorf("audit row %+v", a)
	}
	// All.
	h.slash(alice, opsCh, "/pd subscribe Orders DB")
	got = h.slash(bob, opsCh, "/pd unsubscribe all")
	contains(t, got.Text, "*Orders DB* and *Checkout Web*")
	if ss := h.subs(opsCh); len(ss) != 0 {
		t.Errorf("left after all: %s", subsSummary(ss))
	}
	// By ID.
	h.slash(alice, opsCh, "/pd subscribe Orders DB")
	contains(t, h.slash(bob, opsCh, "/pd unsubscribe "+demoworld.ServiceDBID).Text, "from new incidents on *Orders DB*")
	if ss := h.subs(opsCh); len(ss) != 0 {
		t.Errorf("left after by ID: %s", subsSummary(ss))
	}
}

// liveMessage waits for the live card the store records in channel and
// returns it with the message it names.
func (h *harness) liveMessage(channel, incident string) (store.LiveCard, slackfake.Message) {
	h.t.Helper()
	var card store.LiveCard
	h.waitFor("a live card in "+channel, func() bool {
		for _, c := range h.liveCards() {
			if c.Channel == channel && c.IncidentID == incident {
				card = c
				return true
			}
		}
		return false
	})
	m, ok := h.sf.Message(channel, card.TS)
	if !ok {
		h.t.Fatalf("the live card's ts %s names no message in %s", card.TS, channel)
	}
	if m.Ephemeral || m.User != h.sf.BotUserID() {
		h.t.Fatalf("the live card is not the bot's channel message: %+v", m)
	}
	posted := false
	for _, c := range h.sf.Calls("chat.postMessage") {
		if c.Params.Get("channel") == channel && strings.Contains(c.Params.Get("blocks"), "card_actions") {
			posted = true
		}
	}
	if !posted {
		h.t.Fatal("the live card was not posted with chat.postMessage")
	}
	return card, m
}

func TestLinkPostsLiveCard(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd link "+demoworld.Incident43ID)
	contains(t, got.Text, "linked this channel to `"+demoworld.Incident43ID+"`")
	card, m := h.liveMessage(opsCh, demoworld.Incident43ID)
	contains(t, string(m.Blocks), "Checkout 502s", "card_actions")
	if strings.Contains(string(m.Blocks), "card_share") {
		t.Error("a live card has a Share button")
	}
	if card.Team != demoworld.TeamID || card.PostedAt.IsZero() {
		t.Errorf("live card %+v", card)
	}
	if n := len(h.liveCards()); n != 1 {
		t.Errorf("%d live cards, want 1", n)
	}

	// Where pdbot cannot post, the link still holds and the channel hears why there is no card.
	h.sf.RemoveBot(incCh)
	h.allowSlackErrors = true
	got = h.slash(alice, incCh, "/pd link "+demoworld.Incident43ID)
	contains(t, got.Text, "linked this channel", "/invite @pdbot")
	if n := len(h.liveCards()); n != 1 {
		t.Errorf("%d live cards, want still 1", n)
	}
}

func TestShareButtonPostsLiveCard(t *testing.T) {
	h := newHarness(t)
	private := h.card(bob, incCh)
	if !private.Ephemeral || !strings.Contains(string(private.Blocks), `"card_share"`) {
		t.Fatalf("the /pd get answer has no Share button: %s", private.Blocks)
	}
	before := len(h.sf.Messages(incCh))
	h.click(bob, incCh, private, "card_share")
	_, m := h.liveMessage(incCh, inc42)
	contains(t, m.Text, "Bob Jones shared incident #42 Orders DB latency")
	contains(t, string(m.Blocks), "card_actions")
	// Who shared it is the thread's first line, which the card's updates
	// leave alone.
	h.waitFor("the Shared by line", func() bool { return len(h.sf.Thread(incCh, m.TS)) == 1 })
	contains(t, h.sf.Thread(incCh, m.TS)[0].Text, "Shared by Bob Jones")
	if n := len(h.sf.Messages(incCh)) - len(h.sf.Thread(incCh, m.TS)); n != before+1 {
		t.Errorf("%d channel messages after Share, want %d", n, before+1)
	}
	if len(h.writes()) != 0 {
		t.Errorf("Share wrote to PagerDuty: %v", paths(h.writes()))
	}
	if a := h.lastAudit(); a.Action != "action:card_share" || a.Result != "ok" || a.Incident != inc42 {
		t.Errorf("audit row %+v", a)
	}

	// Where pdbot is not in the channel, the sharer is told to invite it.
	h.sf.RemoveBot(incCh)
	h.allowSlackErrors = true
	private = h.card(bob, incCh)
	snap := h.snapshot(bob, incCh)
	h.click(bob, incCh, private, "card_share")
	got := h.next(bob, incCh, snap, "Share where pdbot is not")
	if !got.Ephemeral {
		t.Errorf("advice in the channel: %s", got.Text)
	}
	contains(t, got.Text, "pdbot is not in this channel", "/invite @pdbot")
	if n := len(h.liveCards()); n != 1 {
		t.Errorf("%d live cards, want 1", n)
	}
}

// TestLiveCommandsOnPostgres: subscriptions and live cards land in the
// PostgreSQL store as in the bolt one.
func TestLiveCommandsOnPostgres(t *testing.T) {
	h := newHarness(t, onPostgres())
	contains(t, h.slash(alice, opsCh, "/pd subscribe Orders DB, Checkout Web urgency=low").Text, "subscribed this channel")
	if s := subsSummary(h.subs(opsCh)); s != demoworld.ServiceDBID+"/Orders DB/low/"+alice+", "+demoworld.ServiceWebID+"/Checkout Web/low/"+alice {
		t.Errorf("subscriptions %s", s)
	}
	contains(t, h.slash(bob, opsCh, "/pd unsubscribe checkout web").Text, "*Checkout Web*")
	if n := len(h.subs(opsCh)); n != 1 {
		t.Errorf("%d subscriptions left, want 1", n)
	}
	h.slash(alice, opsCh, "/pd link "+demoworld.Incident43ID)
	h.liveMessage(opsCh, demoworld.Incident43ID)
}
