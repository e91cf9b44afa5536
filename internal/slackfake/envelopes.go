package slackfake

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Envelope types.
const (
	TypeSlashCommands = "slash_commands"
	TypeInteractive   = "interactive"
	TypeEventsAPI     = "events_api"
)

// ErrNoEnvelope is returned by WaitAck on a nil Delivery (an interaction
// that Slack would not send, such as closing a view without notify_on_close).
var ErrNoEnvelope = errors.New("slackfake: no envelope was sent")

// Delivery is one envelope sent to the bot.
type Delivery struct {
	EnvelopeID string
	// TriggerID and ResponseURL are what the payload carried ("" if none).
	TriggerID, ResponseURL string
	// Type is the envelope type; Kind the interaction type (block_actions,
	// view_submission, …), the command for slash_commands, or the inner
	// event type for events_api.
	Type, Kind string
	Payload    json.RawMessage

	env  *envelope
	resp *responseURL // nil when the payload carries no response_url
}

type envelope struct {
	id, typ, kind string
	payload       json.RawMessage
	accepts       bool
	sentAt        time.Time
	connID        int
	attempt       int // redeliveries so far
	acked         chan struct{}
	ack           Ack

	// what the ack acts on
	user, channel, viewID string
	owner                 *Fake
}

// send registers and delivers an envelope.
func (f *Fake) send(env *envelope, triggerID, respURL string) (*Delivery, error) {
	env.id = newUUID()
	env.acked = make(chan struct{})
	env.owner = f
	f.mu.Lock()
	f.envelopes[env.id] = env
	f.envOrder = append(f.envOrder, env.id)
	var resp *responseURL
	if respURL != "" {
		resp = f.respURLs[strings.TrimPrefix(respURL, f.baseURL)]
	}
	f.mu.Unlock()
	d := &Delivery{EnvelopeID: env.id, TriggerID: triggerID, ResponseURL: respURL, Type: env.typ, Kind: env.kind, Payload: env.payload, env: env, resp: resp}
	if err := f.deliver(env); err != nil {
		return nil, err
	}
	return d, nil
}

// outgoing is an envelope a user action built, with the trigger_id and
// response_url its payload carries ("" if none).
type outgoing struct {
	env                    *envelope
	triggerID, responseURL string
}

// interact runs build under f.mu and sends the envelope it returns once the
// lock is released: a user action reads and changes the workspace
// atomically, and the bot can answer (and take the lock) as soon as the
// envelope is delivered. A nil outgoing sends nothing (as Slack sends
// nothing for some actions) and interact returns a nil Delivery.
func (f *Fake) interact(build func() (*outgoing, error)) (*Delivery, error) {
	out, err := func() (*outgoing, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return build()
	}()
	if err != nil || out == nil {
		return nil, err
	}
	return f.send(out.env, out.triggerID, out.responseURL)
}

// Redeliver sends an envelope again with the same envelope_id, on whichever
// socket comes next — as Slack does when a connection drops before its ack
// was read (revelrylabs/slax#614) or an Events API event was not acked. The
// bot must ack it again and must not act twice; later acks are counted in
// Ack.Count.
func (f *Fake) Redeliver(d *Delivery) error {
	if d == nil || d.env == nil {
		return ErrNoEnvelope
	}
	f.mu.Lock()
	d.env.attempt++
	f.mu.Unlock()
	return f.deliver(d.env)
}
