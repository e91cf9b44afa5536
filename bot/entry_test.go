package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"go.uber.org/zap/zaptest"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// responseURLs records what the bot posts to response_url, as Slack would
// take it.
type responseURLs struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts []string
}

func newResponseURLs(t *testing.T) *responseURLs {
	r := &responseURLs{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts = append(r.posts, string(body))
		r.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *responseURLs) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.posts...)
}

// acks records the acks of one Dispatch call.
type acks struct {
	mu       sync.Mutex
	payloads []string
}

func (a *acks) ack(_ context.Context, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.payloads = append(a.payloads, string(b))
	a.mu.Unlock()
	return nil
}

// newDispatchBot builds the real bot, never connected over Socket Mode,
// against slackfake's Web API and pdfake seeded with the demo world; tests
// drive it through Dispatch.
func newDispatchBot(t *testing.T, tune func(*bot.Config)) (*bot.Bot, *pdfake.Server, *slackfake.Fake) {
	t.Helper()
	sf, err := slackfake.New(demoworld.SlackOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	pd := pdfaketest.New(t)
	demoworld.Seed(sf, pd)
	mk, err := store.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := store.ParseKeyRing(mk)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(t.TempDir()+"/pdbot.db", ring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.SetAPIKey(ctx, demoworld.TeamID, store.DefaultChannel, store.Secret(demoworld.DemoPDKey), demoworld.AliceID); err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{
		AppToken:        store.Secret(sf.AppToken()),
		BotToken:        store.Secret(sf.BotToken()),
		SlackAPIURL:     sf.URL(),
		PagerDutyAPIURL: pd.URL(),
		Store:           st,
		Logger:          zaptest.NewLogger(t),
		Registerer:      prometheus.NewRegistry(),
	}
	if tune != nil {
		tune(&cfg)
	}
	b, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, pd, sf
}

// TestDispatchWithoutWebsocket drives a slash command, a button and a view
// submission through the bot's one entry point: no Socket Mode connection is
// ever opened, yet each is acked once and acts in PagerDuty as the person
// who asked.
func TestDispatchWithoutWebsocket(t *testing.T) {
	var handled []string
	var hmu sync.Mutex
	b, pd, sf := newDispatchBot(t, func(c *bot.Config) {
		c.Handled = func(id string) {
			hmu.Lock()
			handled = append(handled, id)
			hmu.Unlock()
		}
	})
	ctx := context.Background()
	rurl := newResponseURLs(t)
	dispatch := func(in bot.Interaction) []string {
		t.Helper()
		var a acks
		b.Dispatch(ctx, in, a.ack)
		if len(a.payloads) != 1 {
			t.Fatalf("%s: %d acks, want exactly 1: %q", in.ID, len(a.payloads), a.payloads)
		}
		return a.payloads
	}
	team := slack.Team{ID: demoworld.TeamID}
	user := slack.User{ID: demoworld.BobID}

	// A slash command: acked bare at once, answered through response_url.
	dispatch(bot.Interaction{ID: "E-slash", Command: &slack.SlashCommand{
		TeamID: demoworld.TeamID, ChannelID: demoworld.IncChannelID, UserID: demoworld.BobID,
		Command: "/pd", Text: "note checking the replicas", ResponseURL: rurl.srv.URL + "/slash",
	}})
	inc, _ := pd.Incident(demoworld.Incident42ID)
	if n := len(inc.Notes); n != 1 || inc.Notes[0].Content != "checking the replicas" || inc.Notes[0].UserID != demoworld.PDBobID {
		t.Fatalf("after /pd note: notes %+v, want one by %s", inc.Notes, demoworld.PDBobID)
	}
	if posts := rurl.all(); len(posts) != 1 || !strings.Contains(posts[0], "added a note") {
		t.Errorf("response_url posts after /pd note: %q, want one that says the note was added", posts)
	}

	// A button: the card's Acknowledge, on the card's incident.
	dispatch(bot.Interaction{ID: "E-button", Callback: &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, Team: team, User: user,
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: demoworld.IncChannelID}}},
		ResponseURL: rurl.srv.URL + "/button",
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: handlers.ActionAck, Value: demoworld.Incident42ID},
		}},
	}})
	if inc, _ := pd.Incident(demoworld.Incident42ID); inc.Status != "acknowledged" || len(inc.Acknowledgers) == 0 || inc.Acknowledgers[0] != demoworld.PDBobID {
		t.Fatalf("after the Acknowledge button: status %q by %v, want acknowledged by %s", inc.Status, inc.Acknowledgers, demoworld.PDBobID)
	}

	// A view submission: an empty note is refused on the ack, with the
	// field's error; a written one is added.
	meta, err := b.SealFormForTest(demoworld.TeamID, handlers.NoteCallback, demoworld.IncChannelID, demoworld.BobID, demoworld.Incident42ID)
	if err != nil {
		t.Fatal(err)
	}
	submit := func(id, text string) []string {
		return dispatch(bot.Interaction{ID: id, Callback: &slack.InteractionCallback{
			Type: slack.InteractionTypeViewSubmission, Team: team, User: user,
			View: slack.View{ID: "V1", CallbackID: handlers.NoteCallback, PrivateMetadata: meta,
				State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
					"note": {"note_input": {Type: "plain_text_input", Value: text}},
				}}},
		}})
	}
	if got := submit("E-empty", ""); !strings.Contains(got[0], `"response_action":"errors"`) || !strings.Contains(got[0], `"note"`) {
		t.Errorf("ack of an empty note form: %s, want a field error on the note", got[0])
	}
	submit("E-submit", "replica 2 is lagging")
	inc, _ = pd.Incident(demoworld.Incident42ID)
	if n := len(inc.Notes); n != 2 || inc.Notes[1].Content != "replica 2 is lagging" || inc.Notes[1].UserID != demoworld.PDBobID {
		t.Fatalf("after the note form: notes %+v, want a second one by %s", inc.Notes, demoworld.PDBobID)
	}

	// A redelivery of the same ID does nothing more.
	dispatch(bot.Interaction{ID: "E-submit", Callback: &slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission, Team: team, User: user,
		View: slack.View{ID: "V1", CallbackID: handlers.NoteCallback, PrivateMetadata: meta,
			State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
				"note": {"note_input": {Type: "plain_text_input", Value: "replica 2 is lagging"}},
			}}},
	}})
	if inc, _ := pd.Incident(demoworld.Incident42ID); len(inc.Notes) != 2 {
		t.Errorf("a redelivered submission added a note: %d notes, want 2", len(inc.Notes))
	}
	if sf.Connections() != 0 {
		t.Errorf("%d Socket Mode connections, want none", sf.Connections())
	}
	hmu.Lock()
	defer hmu.Unlock()
	if want := []string{"E-slash", "E-button", "E-empty", "E-submit", "E-submit"}; strings.Join(handled, ",") != strings.Join(want, ",") {
		t.Errorf("Handled saw %v, want %v", handled, want)
	}
}

// noteSubmission is a note form's submission by user, with metadata meta,
// under the callback_id form.
func noteSubmission(id, form, user, meta, text string) bot.Interaction {
	return bot.Interaction{ID: id, Callback: &slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission, Team: slack.Team{ID: demoworld.TeamID}, User: slack.User{ID: user},
		View: slack.View{ID: "V1", CallbackID: form, PrivateMetadata: meta,
			Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("note", slack.NewTextBlockObject(slack.PlainTextType, "Note", false, false), nil, slack.NewPlainTextInputBlockElement(nil, "note_input"))}},
			State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
				"note": {"note_input": {Type: "plain_text_input", Value: text}},
			}}},
	}}
}

// TestFormMetadataExpiresAndIsBoundToItsForm: a form's signed metadata is
// good for 24 hours, for the form it was sealed for and the person it was
// opened for; past that, or lifted into another form, the submission keeps
// the form open with advice and nothing reaches PagerDuty.
func TestFormMetadataExpiresAndIsBoundToItsForm(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	b, pd, _ := newDispatchBot(t, func(c *bot.Config) { c.Now = now })
	ctx := context.Background()
	submit := func(in bot.Interaction) string {
		t.Helper()
		var a acks
		b.Dispatch(ctx, in, a.ack)
		if len(a.payloads) != 1 {
			t.Fatalf("%d acks, want 1", len(a.payloads))
		}
		return a.payloads[0]
	}
	meta, err := b.SealFormForTest(demoworld.TeamID, handlers.NoteCallback, demoworld.IncChannelID, demoworld.BobID, demoworld.Incident42ID)
	if err != nil {
		t.Fatal(err)
	}
	lifted, err := b.SealFormForTest(demoworld.TeamID, handlers.UpdateCallback, demoworld.IncChannelID, demoworld.BobID, demoworld.Incident42ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := submit(noteSubmission("E1", handlers.NoteCallback, demoworld.BobID, lifted, "from another form")); !strings.Contains(got, "cannot verify this form") {
		t.Errorf("metadata of the update form in the note form: ack %s, want the form kept open with advice", got)
	}
	if got := submit(noteSubmission("E2", handlers.NoteCallback, demoworld.AliceID, meta, "as someone else")); !strings.Contains(got, "cannot verify this form") {
		t.Errorf("Bob's form submitted by Alice: ack %s, want the form kept open with advice", got)
	}
	mu.Lock()
	clock = clock.Add(24*time.Hour + time.Second)
	mu.Unlock()
	if got := submit(noteSubmission("E3", handlers.NoteCallback, demoworld.BobID, meta, "a day late")); !strings.Contains(got, "has expired") || !strings.Contains(got, `"note"`) {
		t.Errorf("a form submitted a day after it opened: ack %s, want an expiry error on the note field", got)
	}
	if w := pd.Writes(); len(w) != 0 {
		t.Errorf("PagerDuty writes from refused forms: %d", len(w))
	}
	mu.Lock()
	clock = clock.Add(-2 * time.Second)
	mu.Unlock()
	submit(noteSubmission("E4", handlers.NoteCallback, demoworld.BobID, meta, "just in time"))
	if inc, _ := pd.Incident(demoworld.Incident42ID); len(inc.Notes) != 1 || inc.Notes[0].Content != "just in time" {
		t.Errorf("notes %+v, want the one submitted within the day", inc.Notes)
	}
}

// gate holds every PagerDuty request until it is opened, and says when the
// first one arrived.
type gate struct {
	next    http.RoundTripper
	arrived chan struct{}
	once    sync.Once
	open    chan struct{}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.once.Do(func() { close(g.arrived) })
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return g.next.RoundTrip(r)
}

// TestSaturatedFormsAndClicksAreAnswered: with no room for more work, a
// form's submission stays open with a field error (nothing typed is lost),
// and a click gets an ephemeral answer instead of silence.
func TestSaturatedFormsAndClicksAreAnswered(t *testing.T) {
	g := &gate{next: http.DefaultTransport, arrived: make(chan struct{}), open: make(chan struct{})}
	b, pd, _ := newDispatchBot(t, func(c *bot.Config) { c.MaxInFlight = 1; c.QueueWait = -1; c.PDTransport = g })
	ctx := context.Background()
	rurl := newResponseURLs(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var a acks
		b.Dispatch(ctx, bot.Interaction{ID: "E-slow", Command: &slack.SlashCommand{
			TeamID: demoworld.TeamID, ChannelID: demoworld.IncChannelID, UserID: demoworld.BobID,
			Command: "/pd", Text: "get", ResponseURL: rurl.srv.URL + "/slow",
		}}, a.ack)
	}()
	<-g.arrived // the one slot is taken, waiting on PagerDuty

	meta, err := b.SealFormForTest(demoworld.TeamID, handlers.NoteCallback, demoworld.IncChannelID, demoworld.BobID, demoworld.Incident42ID)
	if err != nil {
		t.Fatal(err)
	}
	var a acks
	b.Dispatch(ctx, noteSubmission("E-form", handlers.NoteCallback, demoworld.BobID, meta, "typed at 3 a.m."), a.ack)
	if len(a.payloads) != 1 || !strings.Contains(a.payloads[0], `"response_action":"errors"`) || !strings.Contains(a.payloads[0], "too many requests") {
		t.Errorf("ack of a form pdbot had no room for: %q, want a field error that keeps it open", a.payloads)
	}
	a = acks{}
	b.Dispatch(ctx, bot.Interaction{ID: "E-click", Callback: &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, Team: slack.Team{ID: demoworld.TeamID}, User: slack.User{ID: demoworld.BobID},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: demoworld.IncChannelID}}},
		ResponseURL: rurl.srv.URL + "/click",
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: handlers.ActionAck, Value: demoworld.Incident42ID},
		}},
	}}, a.ack)
	if posts := rurl.all(); len(posts) != 1 || !strings.Contains(posts[0], "too many requests") || !strings.Contains(posts[0], `"response_type":"ephemeral"`) {
		t.Errorf("response_url posts after a click pdbot had no room for: %q, want one ephemeral busy answer", posts)
	}
	close(g.open)
	<-done
	if w := pd.Writes(); len(w) != 0 {
		t.Errorf("writes from refused work: %d", len(w))
	}
}

// TestFullBotQueuesRatherThanRefuses: an interaction that finds every slot
// taken waits for one while Slack's ack window allows, and is then served
// as usual, not answered "busy".
func TestFullBotQueuesRatherThanRefuses(t *testing.T) {
	g := &gate{next: http.DefaultTransport, arrived: make(chan struct{}), open: make(chan struct{})}
	reg := prometheus.NewRegistry()
	b, pd, _ := newDispatchBot(t, func(c *bot.Config) {
		c.MaxInFlight, c.QueueWait, c.PDTransport, c.Registerer = 1, time.Minute, g, reg
	})
	ctx := context.Background()
	rurl := newResponseURLs(t)
	slash := func(id, text string) bot.Interaction {
		return bot.Interaction{ID: id, Command: &slack.SlashCommand{
			TeamID: demoworld.TeamID, ChannelID: demoworld.IncChannelID, UserID: demoworld.BobID,
			Command: "/pd", Text: text, ResponseURL: rurl.srv.URL + "/" + id,
		}}
	}
	var wg sync.WaitGroup
	var first, second acks
	wg.Go(func() { b.Dispatch(ctx, slash("E1", "get"), first.ack) })
	<-g.arrived // E1 holds the only slot, waiting on PagerDuty
	wg.Go(func() { b.Dispatch(ctx, slash("E2", "note queued behind the first"), second.ack) })
	for deadline := time.Now().Add(30 * time.Second); counter(t, reg, "pdbot_queued_total") < 1; runtime.Gosched() {
		if time.Now().After(deadline) { // a safety net for a broken build, not a timing assertion
			t.Fatal("the second command never waited for room")
		}
	}
	close(g.open)
	wg.Wait()
	if strings.Contains(strings.Join(second.payloads, ""), "too many requests") {
		t.Errorf("the queued command was answered busy: %q", second.payloads)
	}
	if inc, _ := pd.Incident(demoworld.Incident42ID); len(inc.Notes) != 1 || inc.Notes[0].Content != "queued behind the first" {
		t.Errorf("notes %+v, want the queued command's note", inc.Notes)
	}
	if n := counter(t, reg, "pdbot_busy_total"); n != 0 {
		t.Errorf("pdbot_busy_total = %v, want 0", n)
	}
}

// counter reads a counter from reg (0 when it has not been touched).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
