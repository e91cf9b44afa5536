package slackfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// bot is slack-go's real Socket Mode client connected to a fake, with its
// envelope events collected for the test to answer.
type bot struct {
	api    *slack.Client
	client *socketmode.Client
	reqs   chan socketmode.Event
	hellos chan struct{}
}

func startBot(t *testing.T, f *slackfake.Fake, opts ...socketmode.Option) *bot {
	t.Helper()
	api := slack.New(f.BotToken(), slack.OptionAppLevelToken(f.AppToken()), slack.OptionAPIURL(f.URL()))
	b := &bot{
		api:    api,
		client: socketmode.New(api, opts...),
		reqs:   make(chan socketmode.Event, 200),
		hellos: make(chan struct{}, 100),
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = b.client.RunContext(ctx)
	}()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.client.Events:
				switch evt.Type {
				case socketmode.EventTypeHello:
					b.hellos <- struct{}{}
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					b.reqs <- evt
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-runDone
	})
	return b
}

// waitHello waits for the next hello.
func (b *bot) waitHello(t *testing.T) {
	t.Helper()
	select {
	case <-b.hellos:
	case <-time.After(5 * time.Second):
		t.Fatal("no hello within 5s")
	}
}

// next returns the next envelope event.
func (b *bot) next(t *testing.T) socketmode.Event {
	t.Helper()
	select {
	case evt := <-b.reqs:
		return evt
	case <-time.After(5 * time.Second):
		t.Fatal("no envelope within 5s")
		return socketmode.Event{}
	}
}

// ack acks evt with payload (nil for a plain ack).
func (b *bot) ack(t *testing.T, evt socketmode.Event, payload any) {
	t.Helper()
	if err := b.client.Ack(*evt.Request, payload); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

// waitAck waits for the fake to record the ack of d.
func waitAck(t *testing.T, d *slackfake.Delivery) slackfake.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := d.WaitAck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newFake starts a fake with people and a channel tests share.
func newFake(t *testing.T, opts slackfake.Options) *slackfake.Fake {
	t.Helper()
	opts.Logf = t.Logf
	f, err := slackfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	seed(f)
	return f
}

func seed(f *slackfake.Fake) {
	f.AddUser(slackfake.User{ID: "U0ALICE", Name: "alice", RealName: "Alice Doe", Email: "alice@example.com", IsAdmin: true})
	f.AddUser(slackfake.User{ID: "U0BOB", Name: "bob", RealName: "Bob Roe", Email: "bob@example.com"})
	f.AddChannel(slackfake.Channel{ID: "C0INC", Name: "inc-42", Topic: "https://acme.pagerduty.com/incidents/PABC123", Purpose: "incident room"})
	f.AddChannel(slackfake.Channel{ID: "C0OPS", Name: "ops"})
}

// connected starts a fake (default options plus opts) and a bot that got hello.
func connected(t *testing.T, opts slackfake.Options, smOpts ...socketmode.Option) (*slackfake.Fake, *bot) {
	t.Helper()
	f := newFake(t, opts)
	b := startBot(t, f, smOpts...)
	b.waitHello(t)
	return f, b
}
