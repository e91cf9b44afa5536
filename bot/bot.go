package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/live"
	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// Slack's and our own time limits.
const (
	// ackBudget is how long an ack may take to be written; Slack wants it
	// within 3 s of the envelope (https://api.slack.com/apis/socket-mode).
	ackBudget = 2 * time.Second
	// validateBudget bounds the work done before a view_submission or
	// block_suggestion ack, which must carry the answer.
	validateBudget = 2200 * time.Millisecond
	// dedupTTL keeps de-duplication records past Slack's last redelivery
	// (~5 min) with margin; shared by all replicas through the store.
	dedupTTL = 10 * time.Minute
	// defaultWorkTimeout bounds the work after an ack.
	defaultWorkTimeout = 30 * time.Second
	// queueWait is how long an interaction that finds no room waits for
	// some, from its arrival: inside Slack's 3 s, so the ack (which may
	// carry the answer) still goes out in time; past it pdbot says "busy".
	queueWait = 1500 * time.Millisecond
	// replyTimeout bounds sending the answer and the audit row, which get a
	// fresh budget so a request that used up its own still gets its answer.
	replyTimeout = 10 * time.Second
)

// Config is everything the bot needs; cmd/pdbot builds it.
type Config struct {
	AppToken, BotToken store.Secret
	SlackAPIURL        string // with trailing slash
	PagerDutyAPIURL    string // without trailing slash
	Admins             []string
	Store              store.Store
	Logger             *zap.Logger
	// MetadataKey signs modal metadata; replicas must share it. Empty means
	// a random key (fine for one replica and tests).
	MetadataKey []byte
	// OldMetadataKeys still verify modal metadata (forms opened before a
	// master key rotation); they never sign.
	OldMetadataKeys [][]byte
	Registerer      prometheus.Registerer
	// PDTransport and SlackHTTP are test and tuning seams.
	PDTransport http.RoundTripper
	SlackHTTP   *http.Client
	WorkTimeout time.Duration
	// MaxInFlight bounds requests handled at once (default: sized by the
	// memory pdbot may use, see defaultMaxInFlight). One that finds no room
	// waits up to QueueWait from its arrival, then is answered "busy".
	MaxInFlight int
	// QueueWait overrides queueWait (tests); negative means no wait.
	QueueWait time.Duration
	// Routes replaces the route table (tests); nil means handlers.All().
	Routes []handlers.Route
	// PingInterval overrides slack-go's 30 s server-ping watchdog.
	PingInterval time.Duration
	Now          func() time.Time
	// Handled, when set, is called once for every envelope the bot took,
	// after its work is finished (answer delivered, audit row written): a
	// completion signal for the demo and tests, instead of waiting for
	// quiet.
	Handled func(envelopeID string)
	// PollInterval is PDBOT_POLL_INTERVAL: how often each API key's
	// PagerDuty log entries are read for live cards and subscriptions;
	// zero turns PagerDuty → Slack off.
	PollInterval time.Duration
	// PollTick, if set, replaces the poll interval's ticker (tests): one
	// poll round per value. PollInterval must still be set.
	PollTick <-chan time.Time
	// Polled, if set, is called after every poll round (tests, the demo).
	Polled func()
	// Replica names this process to the other replicas (poll leases);
	// empty means a random name.
	Replica string
}

// Bot is a running pdbot.
type Bot struct {
	cfg   Config
	log   *zap.Logger
	store store.Store
	api   *slack.Client
	// slackHTTP is api's HTTP client, for response_url posts (respond).
	slackHTTP *http.Client
	sm        *socketmode.Client
	table     *Table
	admins    map[string]bool
	metaKey   []byte
	// keyIDSecret keys API key fingerprints (mapping cache rows hold them).
	keyIDSecret []byte
	users       *userCache
	channels    *channelCache
	burst       *burst
	workers     *workers                    // goroutines for requests (workers.go)
	ackGuard    *ackGuard                   // bounds the read loop's early acks (ackguard.go)
	live        atomic.Pointer[live.Engine] // while Run runs with live cards on
	now         func() time.Time
	metrics     *metrics
	sem         chan struct{}
	pacers      *pdapi.Pacers // per PagerDuty key fingerprint
	wg          sync.WaitGroup
	ready       atomic.Bool
	team        atomic.Value // string: the workspace the bot is installed in
}

// New checks the configuration and builds the bot; it connects nothing yet.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil {
		return nil, errors.New("bot: no store")
	}
	if !strings.HasPrefix(cfg.AppToken.Reveal(), "xapp-") {
		return nil, errors.New("SLACK_APP_TOKEN: must be an app-level token (xapp-…)")
	}
	if !strings.HasPrefix(cfg.BotToken.Reveal(), "xoxb-") {
		return nil, errors.New("SLACK_BOT_TOKEN: must be a bot token (xoxb-…)")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.WorkTimeout == 0 {
		cfg.WorkTimeout = defaultWorkTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = defaultMaxInFlight()
	}
	if cfg.QueueWait == 0 {
		cfg.QueueWait = queueWait
	}
	if cfg.Routes == nil {
		cfg.Routes = handlers.All()
	}
	if cfg.SlackAPIURL == "" {
		cfg.SlackAPIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(cfg.SlackAPIURL, "/") {
		cfg.SlackAPIURL += "/"
	}
	if cfg.PagerDutyAPIURL == "" {
		cfg.PagerDutyAPIURL = "https://api.pagerduty.com"
	}
	key := cfg.MetadataKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("bot: metadata key: %w", err)
		}
	}
	slackHTTP := cfg.SlackHTTP
	if slackHTTP == nil {
		// Slack's API and response_url hosts get the same tuning as
		// PagerDuty's: kept-alive connections sized to the work in flight
		// (http.DefaultTransport keeps two idle ones a host, so a burst of
		// answers opened a connection each), HTTP/2, bounded waits.
		slackHTTP = &http.Client{Timeout: 10 * time.Second, Transport: pdapi.NewTransport(pdapi.TransportOptions{})}
	}
	api := slack.New(cfg.BotToken.Reveal(), slack.OptionAppLevelToken(cfg.AppToken.Reveal()), slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(slackHTTP))
	smOpts := []socketmode.Option{
		socketmode.OptionLog(zap.NewStdLog(cfg.Logger.Named("socketmode"))),
		socketmode.OptionDialer(socketDialer()),
	}
	if cfg.PingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(cfg.PingInterval))
	}
	b := &Bot{
		cfg:       cfg,
		log:       cfg.Logger,
		store:     cfg.Store,
		api:       api,
		slackHTTP: slackHTTP,
		sm:        socketmode.New(api, smOpts...),
		table:     NewTable(cfg.Routes),
		admins:    map[string]bool{},
		metaKey:   key,
		now:       cfg.Now,
		metrics:   newMetrics(cfg.Registerer),
		sem:       make(chan struct{}, cfg.MaxInFlight),
		pacers:    pdapi.NewPacers(pdapi.PerKeyRate, pdapi.PerKeyBurst),
	}
	b.users = newUserCache(api, b.now)
	b.channels = newChannelCache(api, b.now)
	b.workers = newWorkers()
	b.ackGuard = newAckGuard(earlyAckWait)
	b.burst = newBurst(b.workers.run)
	fp := hmac.New(sha256.New, key)
	fp.Write([]byte("pdbot api key fingerprint v1"))
	b.keyIDSecret = fp.Sum(nil)
	for _, a := range cfg.Admins {
		if a = strings.TrimSpace(a); a != "" {
			b.admins[a] = true
		}
	}
	return b, nil
}

// Routes exposes the route table (for help, the manifest test and the demo).
func (b *Bot) Routes() []handlers.Route { return b.table.Routes() }

// Ready reports whether the bot holds a live Socket Mode connection.
func (b *Bot) Ready() bool { return b.ready.Load() }

// Run connects over Socket Mode and serves until ctx ends. It returns nil on
// cancellation and an error when Slack refuses the tokens.
func (b *Bot) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Learn which workspace this is, so people of other organisations (in
	// shared channels) are told apart by more than what their payload says.
	if at, err := b.api.AuthTestContext(ctx); err == nil {
		b.team.Store(at.TeamID)
	} else if refusedTokens(err) {
		return fmt.Errorf("slack refused the bot token: %w", err)
	} else {
		b.log.Warn("auth.test failed; using each payload's team", zapErr(err))
	}
	runErr := make(chan error, 1)
	go func() {
		runErr <- b.runSocket(ctx)
		cancel()
	}()
	var liveDone sync.WaitGroup
	if eng := b.liveEngine(); eng != nil {
		b.live.Store(eng)
		liveDone.Go(func() { eng.Run(ctx) })
	}
	b.eventLoop(ctx)
	b.burst.stop() // work held for a burst's end runs (and ends) now
	b.wg.Wait()
	b.workers.stop()
	liveDone.Wait()
	b.ready.Store(false)
	err := <-runErr
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// runSocket keeps slack-go's Socket Mode client running: RunContext returns
// on fatal auth errors, which end the bot, and otherwise is restarted.
func (b *Bot) runSocket(ctx context.Context) error {
	backoff := time.Second
	for {
		err := b.sm.RunContext(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se slack.SlackErrorResponse
		if errors.As(err, &se) || refusedTokens(err) {
			return fmt.Errorf("slack refused the tokens: %w", err)
		}
		b.log.Warn("socket mode stopped; restarting", zapErr(err), zap.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// refusedTokens reports whether Slack refused a token for good, by the
// type of its answer: an API error code (auth.test, apps.connections.open)
// or apps.connections.open's 404 for a missing app token.
func refusedTokens(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked":
			return true
		}
	}
	var sc slack.StatusCodeError
	return errors.As(err, &sc) && sc.Code == http.StatusNotFound
}

func (b *Bot) eventLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-b.sm.Events:
			if !ok {
				return
			}
			b.burst.busy()
			b.onEvent(ctx, evt)
			if len(b.sm.Events) == 0 {
				b.burst.idle()
			}
		}
	}
}

func (b *Bot) onEvent(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeHello:
		b.ready.Store(true)
		b.log.Info("connected to Slack")
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnected:
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		b.ready.Store(false)
		b.log.Warn("socket mode trouble", zap.String("event", string(evt.Type)), zap.Any("detail", safeDetail(evt.Data)))
		return
	case socketmode.EventTypeInvalidAuth:
		b.ready.Store(false)
		b.log.Error("slack refused the app token (invalid_auth)")
		return
	}
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	in := Interaction{ID: evt.Request.EnvelopeID, Received: b.now()}
	switch d := evt.Data.(type) {
	case slack.SlashCommand:
		in.Command = &d
	case slack.InteractionCallback:
		in.Callback = &d
	case slackevents.EventsAPIEvent:
		in.Event = &d
	}
	id := in.ID
	e := b.newEnvelope(&in, func(ctx context.Context, payload any) error { return b.sm.AckCtx(ctx, id, payload) })
	// What can be acked before any work is acked here, in arrival order,
	// so a burst's acks do not queue behind the work of the requests before
	// them. Otherwise the loop never waits: slack-go stops reading the
	// socket (and misses Slack's pings) when its event buffer fills.
	early := false
	if payload, ok := b.earlyAck(in); ok {
		early = e.tryAck(payload, b.ackGuard)
	}
	b.wg.Add(1)
	b.burst.start()
	work := func() {
		defer b.wg.Done()
		defer b.burst.done()
		b.dispatch(ctx, e, in)
	}
	if early {
		b.burst.submit(work)
		return
	}
	b.workers.run(work)
}

// safeDetail keeps event details loggable: errors by message only.
func safeDetail(v any) any {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprintf("%T", v)
}

// zapErr logs an error with every URL in it cut to its scheme and host
// (logsafe.Err).
func zapErr(err error) zap.Field { return logsafe.Err(err) }

// socketReadBuffer is the kernel's receive buffer for the Socket Mode
// connection: room for a burst of a few thousand envelopes while the read
// loop catches up. Left to autotuning the buffer starts at 128 KiB; a burst
// fills it, the receive window closes, and TCP takes its 200 ms minimum to
// probe it open again, so every ack of the burst waits (BENCHMARKS.md).
const socketReadBuffer = 4 << 20

// socketDialer is slack-go's own Socket Mode dialer (its proxy, handshake
// timeout and write buffer) with socketReadBuffer set on the connection.
func socketDialer() *websocket.Dialer {
	var d net.Dialer
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 45 * time.Second,
		WriteBufferSize:  32 << 10,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(socketReadBuffer) // best effort: capped by net.core.rmem_max
			}
			return c, err
		},
	}
}
