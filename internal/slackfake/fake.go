package slackfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used when Options leaves a field empty.
const (
	DefaultTeamID     = "T0FAKETEAM"
	DefaultTeamName   = "Fake Workspace"
	DefaultTeamDomain = "fake"
	DefaultAppID      = "A0FAKE"
	DefaultAppToken   = "xapp-1-A0FAKE-CANARYAPPTOKEN0000"
	DefaultBotToken   = "xoxb-CANARYBOTTOKEN-0000"
	DefaultBotUserID  = "U0PDBOT000"
	DefaultBotID      = "B0PDBOT000"
	DefaultBotName    = "pdbot"

	// DefaultPingInterval is how often the fake sends websocket PING frames.
	// slack-go drops a connection that saw no server ping for 30 s
	// (socketmode maxPingInterval); Slack pings well within that.
	DefaultPingInterval = 5 * time.Second
	// DefaultTriggerTTL is how long a trigger_id is good for (Slack modal docs: 3 s).
	DefaultTriggerTTL = 3 * time.Second
)

// Options configures a Fake. The zero value is usable: every empty field
// takes its Default… value.
type Options struct {
	TeamID, TeamName, AppID string
	// TeamDomain is the workspace sub-domain (permalinks use https://fake.slack.com/…
	// whatever it is, so tests can match them); default "fake".
	TeamDomain string
	// AppToken is the app-level token (xapp-…) apps.connections.open requires;
	// BotToken the bot token (xoxb-…) every other method requires.
	AppToken, BotToken string
	// BotUserID, BotID and BotName identify the bot user (auth.test, message posters).
	BotUserID, BotID, BotName string
	// PingInterval is how often each socket gets a PING frame (first one right
	// after hello). Default 5 s.
	PingInterval time.Duration
	// TriggerTTL is how long a trigger_id stays usable. Default 3 s.
	TriggerTTL time.Duration
	// ConnectWait bounds how long an interaction waits for a socket when none
	// is connected. Default 5 s.
	ConnectWait time.Duration
	// Logf, if set, receives one line per notable event. It never receives
	// tokens, tickets, trigger_ids or response_urls.
	Logf func(format string, args ...any)
}

// Fake is an in-process Slack workspace with one installed app. All methods
// are safe for concurrent use.
type Fake struct {
	opts    Options
	ln      net.Listener
	srv     *http.Server
	baseURL string // http://127.0.0.1:PORT (no trailing slash)
	start   time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	seq      int64 // message timestamp sequence
	users    map[string]User
	channels map[string]*Channel
	messages map[string][]*Message // channel → in-channel messages in order
	ephem    []*Message            // ephemerals, in order
	views    map[string]*viewState // view id → view
	stacks   map[string][]string   // user → open modal stack, bottom first
	triggers map[string]*trigger
	respURLs map[string]*responseURL
	// triggerSweepAt and respURLSweepAt are the sizes at which the tables
	// above are next swept of expired entries.
	triggerSweepAt, respURLSweepAt int
	tickets                        map[string]time.Time // unused connection tickets → issue time
	conns                          map[int]*conn
	connSeq                        int
	rr                             int // round-robin cursor
	envelopes                      map[string]*envelope
	// suggested remembers the options the bot offered for an external
	// select (view ID + action ID → value → option), so a submission carries
	// the chosen option's text as Slack's does.
	suggested map[string]map[string]any
	envOrder  []string
	calls     []Call
	failures  map[string]*scripted
	rejected  int // client frames refused for size
	// versions holds each in-channel message's versions, oldest first.
	versions map[*Message][]MessageVersion
	// notMember names the channels the bot was removed from (RemoveBot).
	notMember map[string]bool
	// members are the users in channels pdbot created or invited people to.
	members map[string][]string
	limits  *rateLimiter // nil: no rate limits (EnableRateLimits)
}

type scripted struct {
	errCode    string
	failN      int
	retryAfter int
	limitN     int
}

// Call is one recorded Web API request.
type Call struct {
	Method string
	// Params holds the form fields (without the token) or, for a JSON body,
	// its top-level fields: strings as they are, anything else as JSON text.
	Params url.Values
	// Body is the raw request body. For form requests it holds the token.
	Body  []byte
	Token string
	Time  time.Time
	// Error is the error code answered ("" on success; "ratelimited" for a 429).
	Error string
}

// User is a workspace member as users.info reports it.
type User struct {
	ID, Name, RealName, Email, TeamID string
	IsAdmin, IsOwner, IsRestricted    bool
	IsUltraRestricted, IsBot, Deleted bool
}

// Channel is a conversation as conversations.info reports it.
type Channel struct {
	ID, Name, Topic, Purpose string
	IsPrivate                bool
}

// New starts a fake Slack listening on 127.0.0.1 (a random port).
func New(opts Options) (*Fake, error) {
	setDefault := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	setDefault(&opts.TeamID, DefaultTeamID)
	setDefault(&opts.TeamName, DefaultTeamName)
	setDefault(&opts.TeamDomain, DefaultTeamDomain)
	setDefault(&opts.AppID, DefaultAppID)
	setDefault(&opts.AppToken, DefaultAppToken)
	setDefault(&opts.BotToken, DefaultBotToken)
	setDefault(&opts.BotUserID, DefaultBotUserID)
	setDefault(&opts.BotID, DefaultBotID)
	setDefault(&opts.BotName, DefaultBotName)
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.TriggerTTL <= 0 {
		opts.TriggerTTL = DefaultTriggerTTL
	}
	if opts.ConnectWait <= 0 {
		opts.ConnectWait = 5 * time.Second
	}
	if !strings.HasPrefix(opts.AppToken, "xapp-") {
		return nil, errors.New("slackfake: AppToken must start with xapp-")
	}
	if !strings.HasPrefix(opts.BotToken, "xoxb-") {
		return nil, errors.New("slackfake: BotToken must start with xoxb-")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fake{
		opts:           opts,
		ln:             ln,
		baseURL:        "http://" + ln.Addr().String(),
		start:          time.Now(),
		ctx:            ctx,
		cancel:         cancel,
		users:          map[string]User{},
		channels:       map[string]*Channel{},
		messages:       map[string][]*Message{},
		views:          map[string]*viewState{},
		stacks:         map[string][]string{},
		triggers:       map[string]*trigger{},
		respURLs:       map[string]*responseURL{},
		triggerSweepAt: 1000, respURLSweepAt: 1000,
		tickets:   map[string]time.Time{},
		conns:     map[int]*conn{},
		envelopes: map[string]*envelope{},
		failures:  map[string]*scripted{},
		suggested: map[string]map[string]any{},
		versions:  map[*Message][]MessageVersion{},
		notMember: map[string]bool{},
		members:   map[string][]string{},
	}
	f.users[opts.BotUserID] = User{ID: opts.BotUserID, Name: opts.BotName, RealName: opts.BotName, TeamID: opts.TeamID, IsBot: true}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", f.serveAPI)
	mux.HandleFunc("/link/", f.serveSocket)
	mux.HandleFunc("/commands/", f.serveResponseURL)
	mux.HandleFunc("/actions/", f.serveResponseURL)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		_ = f.srv.Serve(ln)
	}()
	f.logf("slackfake: listening on %s (team %s, app %s)", f.baseURL, opts.TeamID, opts.AppID)
	return f, nil
}

// URL is the Web API base, with its trailing slash, for slack.OptionAPIURL.
func (f *Fake) URL() string { return f.baseURL + "/api/" }

// AppToken is the app-level token apps.connections.open accepts.
func (f *Fake) AppToken() string { return f.opts.AppToken }

// BotToken is the bot token the other Web API methods accept.
func (f *Fake) BotToken() string { return f.opts.BotToken }

// TeamID is the workspace ID.
func (f *Fake) TeamID() string { return f.opts.TeamID }

// AppID is the installed app's ID (hello's connection_info.app_id, api_app_id).
func (f *Fake) AppID() string { return f.opts.AppID }

// BotUserID is the bot's user ID (auth.test user_id, poster of bot messages).
func (f *Fake) BotUserID() string { return f.opts.BotUserID }

// Close closes every socket and stops the server. It is safe to call twice.
func (f *Fake) Close() {
	f.mu.Lock()
	f.cancel() // under the lock: goTracked never adds to wg after this
	conns := make([]*conn, 0, len(f.conns))
	for _, c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	for _, c := range conns {
		c.close(1001, "server shutting down")
	}
	_ = f.srv.Close()
	f.wg.Wait()
}

func (f *Fake) logf(format string, args ...any) {
	if f.opts.Logf != nil {
		f.opts.Logf(format, args...)
	}
}

// AddUser adds or replaces a workspace member. An empty TeamID means this workspace.
func (f *Fake) AddUser(u User) {
	if u.TeamID == "" {
		u.TeamID = f.opts.TeamID
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[u.ID] = u
}

// AddChannel adds or replaces a conversation.
func (f *Fake) AddChannel(c Channel) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cc := c
	f.channels[c.ID] = &cc
}

// SetTopic changes a channel's topic (adding the channel if unknown).
func (f *Fake) SetTopic(channel, topic string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channelLocked(channel).Topic = topic
}

// SetPurpose changes a channel's purpose (adding the channel if unknown).
func (f *Fake) SetPurpose(channel, purpose string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channelLocked(channel).Purpose = purpose
}

func (f *Fake) channelLocked(id string) *Channel {
	c, ok := f.channels[id]
	if !ok {
		c = &Channel{ID: id, Name: strings.ToLower(id)}
		f.channels[id] = c
	}
	return c
}

// PostAsUser posts a message from a human user into a channel (for message
// shortcuts) and returns its ts.
func (f *Fake) PostAsUser(user, channel, text string) (ts string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := &Message{TS: f.nextTSLocked(), Channel: channel, User: user, Text: text}
	f.addMessageLocked(m, "user")
	return m.TS
}

// nextTSLocked returns a fresh, strictly increasing message timestamp.
func (f *Fake) nextTSLocked() string {
	f.seq++
	us := f.start.UnixMicro() + f.seq
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// WaitFor polls cond every few milliseconds until it is true or ctx is done.
func (f *Fake) WaitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slackfake: condition not met: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Calls returns the recorded Web API calls to method, or all calls when
// method is "", oldest first.
func (f *Fake) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			c.Params = cloneValues(c.Params)
			out = append(out, c)
		}
	}
	return out
}

// FailMethod makes the next n calls to method answer {"ok":false,"error":errCode}.
func (f *Fake) FailMethod(method, errCode string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.scriptLocked(method)
	s.errCode, s.failN = errCode, n
}

// RateLimitMethod makes the next n calls to method answer HTTP 429 with
// Retry-After: retryAfter (seconds), which slack-go turns into *slack.RateLimitedError.
func (f *Fake) RateLimitMethod(method string, retryAfter int, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.scriptLocked(method)
	s.retryAfter, s.limitN = retryAfter, n
}

func (f *Fake) scriptLocked(method string) *scripted {
	s, ok := f.failures[method]
	if !ok {
		s = &scripted{}
		f.failures[method] = s
	}
	return s
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// randHex returns n random bytes as hex.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID, the form of Slack's envelope_id.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns a Slack-style ID: prefix + 10 upper-case letters and digits.
func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

// mustJSON marshals v, which is always marshalable here.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("slackfake: marshal: %v", err))
	}
	return b
}

// ResetRecords forgets the recorded Web API calls and every acked envelope,
// so long runs (benchmarks, the demo) stay small. Envelopes still waiting
// for their ack are kept.
func (f *Fake) ResetRecords() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	kept := f.envOrder[:0]
	for _, id := range f.envOrder {
		if e, ok := f.envelopes[id]; ok && e.ack.Count == 0 {
			kept = append(kept, id)
			continue
		}
		delete(f.envelopes, id)
	}
	f.envOrder = kept
}
