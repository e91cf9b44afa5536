package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

const (
	// maxWait bounds one interaction: an envelope not acked and handled by
	// then gets "(no answer)". It is a safety net only: an interaction ends
	// when the bot says it is done (bot.Config.Handled), so nothing waits
	// for it in normal use.
	maxWait = 30 * time.Second
	// connectWait bounds the bot's Socket Mode connection at start-up.
	connectWait = 10 * time.Second
	// connectPoll is how often Run looks at bot.Ready while it connects (the
	// bot offers no readiness signal but Ready).
	connectPoll = 10 * time.Millisecond
)

// Options tune Run; the zero value is what `pdbot demo` uses.
type Options struct {
	// Log, if set, receives the bot's and the fakes' logs instead of a file in
	// the demo's temporary directory.
	Log io.Writer
	// Validator, if set, checks every request the fake PagerDuty receives
	// (tests pass PagerDuty's OpenAPI document; the binary links none).
	Validator pdfake.Validator
}

const banner = `pdbot demo: the real bot, connected over Socket Mode to an in-process fake
Slack workspace (Acme) and a fake PagerDuty account — no accounts needed,
nothing leaves this machine. Type /pd commands as a Slack user and read what
that user would see. Type "help" for the demo's own commands.
`

// Run runs the demo session: fakes, seed, store, bot, then the prompt loop
// reading in until "quit", end of input or ctx ends. When in and out are a
// terminal, the prompt has line editing and history; otherwise in is read
// line by line and each line is echoed after its prompt, so a piped session
// reads like a transcript.
func Run(ctx context.Context, in io.Reader, out io.Writer, opts Options) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also stops the line reader
	dir, err := os.MkdirTemp("", "pdbot-demo-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	logOut := opts.Log
	logPath := "(given writer)"
	if logOut == nil {
		logPath = filepath.Join(dir, "pdbot.log")
		f, err := os.Create(logPath)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer f.Close()
		logOut = f
	}
	log := newLogger(logOut)
	defer func() { _ = log.Sync() }()
	fakeLog := func(name string) func(string, ...any) {
		l := log.Named(name).Sugar()
		return func(format string, args ...any) { l.Debugf(format, args...) }
	}

	sfOpts := demoworld.SlackOptions()
	sfOpts.Logf = fakeLog("slackfake")
	sf, err := slackfake.New(sfOpts)
	if err != nil {
		return fmt.Errorf("fake Slack: %w", err)
	}
	defer sf.Close()
	pd, err := pdfake.New(pdfake.Options{Logf: fakeLog("pdfake"), Validator: opts.Validator})
	if err != nil {
		return fmt.Errorf("fake PagerDuty: %w", err)
	}
	defer pd.Close()
	// Incident #42 started a few minutes ago, so the cards read naturally.
	world := demoworld.SeedWorld(sf, pd, demoworld.NewAt(time.Now().Add(-12*time.Minute)))

	masterKey, err := store.GenerateMasterKey()
	if err != nil {
		return err
	}
	ring, err := store.ParseKeyRing(masterKey)
	if err != nil {
		return err
	}
	st, err := store.OpenBolt(filepath.Join(dir, "pdbot.db"), ring)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	if err := st.SetAPIKey(ctx, world.TeamID, store.DefaultChannel, store.Secret(world.PDKey), world.DefaultUser); err != nil {
		return fmt.Errorf("store the PagerDuty key: %w", err)
	}

	finished := newFinished()
	b, err := bot.New(bot.Config{
		AppToken:        store.Secret(sf.AppToken()),
		BotToken:        store.Secret(sf.BotToken()),
		SlackAPIURL:     sf.URL(),
		PagerDutyAPIURL: pd.URL(),
		Store:           st,
		Logger:          log.Named("bot"),
		Registerer:      prometheus.NewRegistry(),
		Handled:         finished.handled,
	})
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	botCtx, stopBot := context.WithCancel(ctx)
	botDone := make(chan error, 1)
	go func() { botDone <- b.Run(botCtx) }()
	defer func() {
		stopBot()
		if berr := <-botDone; berr != nil && err == nil {
			err = fmt.Errorf("bot: %w", berr)
		}
	}()
	if err := waitReady(ctx, b, botDone); err != nil {
		return err
	}

	fmt.Fprint(out, banner)
	if opts.Log == nil {
		fmt.Fprintf(out, "Bot log (deleted on exit): %s\n", logPath)
	}
	fmt.Fprintln(out)

	con, restore := openConsole(ctx, in, out)
	defer restore()
	s := newSession(sf, world, con, finished, maxWait)
	for !s.quit {
		line, err := con.readLine(ctx, s.prompt())
		if err != nil { // end of input, Ctrl-C or Ctrl-D, or ctx ended
			return nil
		}
		s.exec(ctx, line)
	}
	return nil
}

// waitReady waits until the bot holds its Socket Mode connection to the fake
// Slack, or fails when the bot stops or connectWait passes.
func waitReady(ctx context.Context, b *bot.Bot, botDone chan error) error {
	ctx, cancel := context.WithTimeout(ctx, connectWait)
	defer cancel()
	t := time.NewTicker(connectPoll)
	defer t.Stop()
	for !b.Ready() {
		select {
		case berr := <-botDone:
			botDone <- nil // Run's deferred stop reads it again
			return fmt.Errorf("the bot did not connect to the fake Slack: %w", berr)
		case <-ctx.Done():
			return errors.New("the bot did not connect to the fake Slack within 10s (see the log)")
		case <-t.C:
		}
	}
	return nil
}

// newLogger builds the demo's logger: everything, for people, to w.
func newLogger(w io.Writer) *zap.Logger {
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	ec.EncodeLevel = zapcore.CapitalLevelEncoder
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(ec), zapcore.Lock(zapcore.AddSync(w)), zapcore.DebugLevel))
}
