package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Kind says which Slack surface a route answers.
type Kind int

// The kinds of routes. IDs are unique within a kind.
const (
	Slash           Kind = iota // a /pd subcommand ("" is bare /pd)
	Action                      // a block action_id (buttons)
	Submission                  // a modal callback_id (view_submission)
	Shortcut                    // a global shortcut callback_id
	MessageShortcut             // a message shortcut callback_id
	Suggestion                  // an external_select action_id (block_suggestion)
)

func (k Kind) String() string {
	return [...]string{"slash", "action", "submission", "shortcut", "message_shortcut", "suggestion"}[k]
}

// IncidentMode says how a slash route finds its incident.
type IncidentMode int

const (
	// NoIncident: the route does not act on an incident.
	NoIncident IncidentMode = iota
	// LeadingRef: an optional reference as the first word, the rest is text;
	// without one, the channel's incident.
	LeadingRef
	// OnlyRef: the whole argument, when given, must be a reference; without
	// one, the channel's incident.
	OnlyRef
	// RequiredRef: the whole argument must be a reference (no fallback).
	RequiredRef
	// FromValue: the incident comes from the button value or the modal's
	// metadata, checked by the handler.
	FromValue
	// ChannelIncident: the text names no incident; when it is empty, the
	// channel's incident (link, topic, purpose) if it has one, else none,
	// and the handler decides what then (offers a picker, asks).
	ChannelIncident
)

// Route is one entry of the route table.
type Route struct {
	Kind  Kind
	ID    string
	Usage string // slash: the arguments, e.g. "note [INC] TEXT"
	Help  string // one line for /pd help

	// Aliases are other slash words for the same route (`acknowledge` for
	// `ack`); /pd help names them on the route's line.
	Aliases []string

	Incident IncidentMode
	NeedsKey bool // a PagerDuty client keyed for the channel
	// NoKeyFor, if set, says which requests of a NeedsKey route need no
	// key after all, by their text: those that read pdbot's store only.
	NoKeyFor   func(text string) bool
	NeedsActor bool // the requester's PagerDuty identity (implies NeedsKey); also on routes that open a write's form
	AdminOnly  bool
	// NoGuests refuses guests (restricted accounts), bots and people of
	// other organisations: for changes that steer what everyone else in the
	// channel acts on or sees.
	NoGuests bool
	// Steers says, for NoGuests refusals, what the route does to the channel
	// ("subscribe this channel to PagerDuty services"); "" reads as
	// "change which incident this channel is about".
	Steers string
	// BareNumber: with OnlyRef, a bare number N is the incident #N
	// (`/pd get 43`).
	BareNumber bool
	// FreeText marks routes whose text goes to PagerDuty or into a channel
	// (a note, a message, a resolution, a title): the slash arguments, the
	// form's text inputs and a message shortcut's message. The dispatcher
	// refuses key-shaped text in them (CheckFreeText) before any request.
	FreeText bool
	// LoneObjectIDIsArg: with LeadingRef, a single word shaped like a
	// PagerDuty object ID (P + 6) is the argument, not the incident
	// (`/pd escalate PEPWEB1` names a policy).
	LoneObjectIDIsArg bool
	// LoneRefIsArg: with LeadingRef, a single incident reference is the
	// argument, not the incident (`/pd merge #43` merges #43 into the
	// channel's incident); with more words the first is the incident.
	LoneRefIsArg bool
	// Modal marks routes that answer with a modal: the dispatcher opens a
	// loading modal within the trigger's lifetime before any slow call and
	// fills it with the handler's modal.
	Modal bool
	// Title is the loading modal's title (≤ 24 characters).
	Title string

	// Validate checks a submission before it is acknowledged, so field errors
	// can ride on the ack. It must be quick; ctx carries a short deadline.
	Validate func(ctx context.Context, r *Request) map[string]string
	Handle   func(ctx context.Context, r *Request) (Reply, error)
}

// Example is the route's usage as an example to show people: the optional
// incident written as a number (`note #42 TEXT`), since "[INC]" reads as
// something to type.
func (r *Route) Example() string {
	return strings.Replace(r.Usage, "[INC]", "#42", 1)
}

// Writes reports whether the route changes something (in PagerDuty, or
// pdbot's own keys, links and mappings) rather than only reading: such a
// route is not carried out unless its de-duplication claim was recorded.
func (r *Route) Writes() bool { return r.NeedsActor || r.AdminOnly || r.NoGuests }

// Actor is the PagerDuty user a Slack user acts as.
type Actor struct {
	ID    string
	Email string
	Name  string
}

// Request is what a handler gets.
type Request struct {
	Team, Channel, User string // Slack IDs; Channel is the payload's channel
	UserName            string // Slack display name, for confirmations

	// Text is the slash argument text after the subcommand and, for
	// LeadingRef routes, after the incident reference (Slack-escaped).
	Text string
	// Incident is the resolved incident ID ("" when the route needs none).
	Incident string
	// Fetched is the incident as PagerDuty just returned it, when resolving
	// a #NUMBER already fetched it; Current reuses it instead of asking again.
	Fetched *pagerduty.Incident
	// IncidentSource says where Incident came from ("argument", "link",
	// "topic", "purpose", "button", "form", "message"), for messages.
	IncidentSource string

	PD    *pdapi.Client // nil unless the route needs a key
	Actor Actor         // zero unless the route needs an actor

	// Interactive surfaces.
	Values          map[string]map[string]slack.BlockAction // view state
	PrivateMetadata string                                  // verified by the dispatcher
	Action          *slack.BlockAction
	Message         *slack.Message // message shortcuts and card buttons
	Permalink       string         // message shortcuts
	AuthorName      string         // message shortcuts
	Query           string         // suggestions

	Now func() time.Time
	// Lookup gives handlers a way to resolve Slack users named in text.
	Slack SlackLookup
	// Store gives handlers the few store operations they need.
	Store StoreOps
	// Channels opens incident channels (`/pd trigger`).
	Channels ChannelOps
}

// SlackLookup is the slice of Slack that handlers may use.
type SlackLookup interface {
	// Actor maps a Slack user to their PagerDuty user, the way the requester
	// is mapped (admin override, else exact email match).
	Actor(ctx context.Context, userID string, pd *pdapi.Client) (Actor, error)
	// BotInChannel reports whether pdbot is a member of the channel, so it
	// can post there (conversations.info's is_member; a channel Slack does
	// not show it is one it is not in).
	BotInChannel(ctx context.Context, channel string) (bool, error)
}

// StoreOps is the slice of the store that handlers may use; the dispatcher
// binds it to the request's team.
type StoreOps interface {
	SetLink(ctx context.Context, channel, incidentID string) error
	// DeleteLink forgets a channel's link; existed is false when there was none.
	DeleteLink(ctx context.Context, channel string) (existed bool, err error)
	SetMapping(ctx context.Context, slackUser string, a Actor, override bool) error
	// KeyStatus describes the key of a channel ("" = workspace default).
	KeyStatus(ctx context.Context, channel string) (last4, setBy string, updated time.Time, err error)
	SetKey(ctx context.Context, channel, key, setBy string) error
	// DeleteKey deletes a key; existed is false when there was none.
	DeleteKey(ctx context.Context, channel string) (existed bool, err error)
	// CheckKey validates a key against PagerDuty before it is saved.
	CheckKey(ctx context.Context, key string) error
	// Overrides lists the admin overrides (/pd map), by Slack user.
	Overrides(ctx context.Context) ([]Override, error)
	// DeleteOverride removes a user's admin override; existed is false
	// when they had none.
	DeleteOverride(ctx context.Context, slackUser string) (existed bool, err error)

	// AddSubscription subscribes a channel to a service, replacing its
	// subscription to the same service.
	AddSubscription(ctx context.Context, channel string, s Subscription) error
	// Subscriptions lists a channel's subscriptions, by service ID.
	Subscriptions(ctx context.Context, channel string) ([]Subscription, error)
	// DeleteSubscription removes a channel's subscription to a service;
	// existed is false when there was none.
	DeleteSubscription(ctx context.Context, channel, serviceID string) (existed bool, err error)
}

// Subscription asks for a live card in a channel for every new incident on
// a PagerDuty service (`/pd subscribe`).
type Subscription struct {
	ServiceID   string
	ServiceName string // when subscribed
	Urgency     string // "" (any), "high" or "low"
	CreatedBy   string // Slack user ID
	CreatedAt   time.Time
}

// Override is an admin's mapping of a Slack user to a PagerDuty user.
type Override struct {
	SlackUser string
	Actor     Actor
	UpdatedAt time.Time
}

// Reply is what a handler returns.
type Reply struct {
	Text   string
	Blocks []slack.Block
	// InChannel makes the reply visible to the channel (confirmations);
	// otherwise only the requester sees it.
	InChannel bool
	// Modal opens (or, after a loading modal, fills) a modal.
	Modal *slack.ModalViewRequest
	// Options answer a suggestion.
	Options []*slack.OptionBlockObject
	// Audit names the incident acted on when it differs from Request.Incident.
	AuditIncident string
	// NoAudit marks read-only answers that need no audit row.
	NoAudit bool
	// ReplaceOriginal makes the answer to a button replace the message the
	// button was on (so a confirmation's buttons cannot be pressed again).
	ReplaceOriginal bool
	// DeleteOriginal makes the answer to a button delete the message the
	// button was on first (a confirmation only its requester saw), so the
	// answer can be posted for the channel.
	DeleteOriginal bool
	// Live is a live card to post in the request's channel before the
	// reply. A reply with no Text and no Blocks is only the card, and the
	// requester hears only if it could not be posted.
	Live *LivePost
}

// LivePost is a live card (DESIGN.md, "Live cards"): a channel message the
// dispatcher posts with chat.postMessage, not through response_url, so it
// can be updated in place for as long as it is followed, and records with
// its ts for the incident.
type LivePost struct {
	// Channel is where to post it; "" is the request's channel.
	Channel  string
	Incident string // the incident ID (allow-listed)
	Text     string // the notification text (mrkdwn, escaped)
	Blocks   []slack.Block
	// Thread, if set, is a first line posted in the card's thread (mrkdwn,
	// escaped): what the card itself cannot keep, since the poller
	// re-renders it from the incident.
	Thread string
}

// UserError is an error whose message is meant for the requester as is.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Userf builds a UserError.
func Userf(format string, a ...any) error {
	return &UserError{Msg: sprintf(format, a...)}
}

// Current returns the incident id for answers that only show it (a card, a
// form): the one fetched while resolving the request's #NUMBER, else a
// fresh GET. A write decides on Latest instead.
func (r *Request) Current(ctx context.Context, id string) (*pagerduty.Incident, error) {
	if r.Fetched != nil && r.Fetched.ID == id {
		return r.Fetched, nil
	}
	return r.PD.GetIncident(ctx, id)
}
