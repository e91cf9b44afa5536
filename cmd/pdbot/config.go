package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v10"
	"go.uber.org/zap/zapcore"

	"github.com/pdbot/pdbot/store"
)

// Config is pdbot's configuration, read from the environment once at start-up
// (DESIGN.md, "Configuration"). Secrets are store.Secret so that they print as
// "<secret>"; the _FILE fields name files holding them (Docker and Kubernetes
// secrets) and are folded into the secrets by loadConfig.
type Config struct {
	AppToken     store.Secret `env:"SLACK_APP_TOKEN"`
	AppTokenFile string       `env:"SLACK_APP_TOKEN_FILE"`
	BotToken     store.Secret `env:"SLACK_BOT_TOKEN"`
	BotTokenFile string       `env:"SLACK_BOT_TOKEN_FILE"`

	SlackAPIURL     string `env:"SLACK_API_URL" envDefault:"https://slack.com/api/"`
	PagerDutyAPIURL string `env:"PAGERDUTY_API_URL" envDefault:"https://api.pagerduty.com"`

	// Store is PDBOT_STORE; a postgres:// URL may carry a password.
	Store store.Secret `env:"PDBOT_STORE" envDefault:"bolt:pdbot.db"`

	MasterKey     store.Secret `env:"PDBOT_MASTER_KEY"`
	MasterKeyFile string       `env:"PDBOT_MASTER_KEY_FILE"`

	Admins   []string `env:"PDBOT_ADMINS" envSeparator:","`
	HTTPAddr string   `env:"PDBOT_HTTP_ADDR" envDefault:":8080"`

	// WebhookSecret turns on PagerDuty v3 webhooks at POST
	// /pagerduty/webhook on HTTPAddr, signed with it.
	WebhookSecret     store.Secret `env:"PDBOT_WEBHOOK_SECRET"`
	WebhookSecretFile string       `env:"PDBOT_WEBHOOK_SECRET_FILE"`
	LogLevel          string       `env:"PDBOT_LOG_LEVEL" envDefault:"info"`
	LogFormat         string       `env:"PDBOT_LOG_FORMAT" envDefault:"json"`

	// PollInterval is PDBOT_POLL_INTERVAL, kept as text so that a bad value
	// is reported by Validate in pdbot's own words (see pollInterval).
	PollInterval string `env:"PDBOT_POLL_INTERVAL" envDefault:"5s"`
}

// minPollInterval is the shortest PDBOT_POLL_INTERVAL: polling faster
// buys little latency and spends each key's PagerDuty budget (the poller
// keeps to a tenth of its 960 requests a minute).
const minPollInterval = time.Second

// need says which parts of the configuration a subcommand uses; only those
// are required and validated.
type need uint8

const (
	needSlack need = 1 << iota // tokens and API URLs
	needStore                  // PDBOT_STORE and PDBOT_MASTER_KEY
	needHTTP                   // PDBOT_HTTP_ADDR
	needLog                    // PDBOT_LOG_LEVEL and PDBOT_LOG_FORMAT
	needBot                    // PDBOT_ADMINS and PAGERDUTY_API_URL

	needServe  = needSlack | needStore | needHTTP | needLog | needBot
	needCheck  = needServe // check validates everything serve would use
	needRotate = needStore
)

// maxSecretFile bounds what a _FILE variant may hold; a token or key list is
// far smaller, so anything bigger is the wrong file.
const maxSecretFile = 64 << 10

// loadConfig reads the configuration from environ (os.Environ in main, a map
// in tests) and resolves the _FILE variants. It does not validate; see
// Validate. Errors are one line naming the variable.
func loadConfig(environ map[string]string) (Config, error) {
	var c Config
	if environ == nil {
		environ = map[string]string{}
	}
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return Config{}, firstEnvError(err)
	}
	for _, s := range []struct {
		name string
		val  *store.Secret
		file string
	}{
		{"SLACK_APP_TOKEN", &c.AppToken, c.AppTokenFile},
		{"SLACK_BOT_TOKEN", &c.BotToken, c.BotTokenFile},
		{"PDBOT_MASTER_KEY", &c.MasterKey, c.MasterKeyFile},
		{"PDBOT_WEBHOOK_SECRET", &c.WebhookSecret, c.WebhookSecretFile},
	} {
		if s.file == "" {
			continue
		}
		if *s.val != "" {
			return Config{}, fmt.Errorf("%s and %s_FILE are both set; set only one", s.name, s.name)
		}
		v, err := readSecretFile(s.file)
		if err != nil {
			return Config{}, fmt.Errorf("%s_FILE: %w", s.name, err)
		}
		*s.val = v
	}
	return c, nil
}

// firstEnvError turns caarlos0/env's aggregate error into its first line.
// The variables pdbot reads are all strings, so this is belt and braces.
func firstEnvError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(line)
}

// readSecretFile reads a secret from path, without the trailing newline that
// editors and `echo` add. Errors name the file, never its content.
func readSecretFile(path string) (store.Secret, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, maxSecretFile)
	}
	v := strings.TrimRight(string(b), "\r\n \t")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return store.Secret(v), nil
}

// slackUserID is the shape of a Slack user ID (U… or, on Enterprise Grid, W…).
var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// Validate checks the parts of c that n names and returns the first problem as
// one line that names the variable. No line contains a value of a secret: it
// says what is wrong, not what was given.
func (c Config) Validate(n need) error {
	if n&needSlack != 0 {
		if err := checkToken(fileName("SLACK_APP_TOKEN", c.AppTokenFile), c.AppToken, "xapp-", "an app-level token (xapp-…) with connections:write"); err != nil {
			return err
		}
		if err := checkToken(fileName("SLACK_BOT_TOKEN", c.BotTokenFile), c.BotToken, "xoxb-", "a bot token (xoxb-…)"); err != nil {
			return err
		}
		if err := checkURL("SLACK_API_URL", c.SlackAPIURL); err != nil {
			return err
		}
	}
	if n&needBot != 0 {
		if err := checkURL("PAGERDUTY_API_URL", c.PagerDutyAPIURL); err != nil {
			return err
		}
		if _, err := c.pollInterval(); err != nil {
			return err
		}
		for i, a := range c.Admins {
			if a = strings.TrimSpace(a); !slackUserID.MatchString(a) {
				return fmt.Errorf("PDBOT_ADMINS: entry %d is not a Slack user ID (U… or W…); want a comma-separated list of them", i+1)
			}
		}
	}
	if n&needStore != 0 {
		if _, err := c.storeSpec(); err != nil {
			return err
		}
		if c.MasterKey == "" {
			return errors.New("PDBOT_MASTER_KEY: not set; want base64 of 32 bytes (`pdbot keygen` prints one), or set PDBOT_MASTER_KEY_FILE")
		}
		if _, err := c.keyRing(); err != nil {
			return err
		}
	}
	if n&needHTTP != 0 {
		if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
			return errors.New("PDBOT_HTTP_ADDR: want host:port or :port, such as :8080")
		}
		if w := c.WebhookSecret.Reveal(); w != "" && (len(w) < 16 || strings.ContainsFunc(w, func(r rune) bool { return r <= ' ' || r == 0x7f })) {
			return fmt.Errorf("%s: want the signing secret PagerDuty shows for the webhook subscription (at least 16 characters, no whitespace)", fileName("PDBOT_WEBHOOK_SECRET", c.WebhookSecretFile))
		}
	}
	if n&needLog != 0 {
		if _, err := zapcore.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
			return errors.New("PDBOT_LOG_LEVEL: want debug, info, warn or error")
		}
		if c.LogFormat != "json" && c.LogFormat != "console" {
			return errors.New("PDBOT_LOG_FORMAT: want json or console")
		}
	}
	return nil
}

// pollInterval parses PDBOT_POLL_INTERVAL: a Go duration of at least
// minPollInterval, or 0 to turn PagerDuty → Slack off.
func (c Config) pollInterval() (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(c.PollInterval))
	switch {
	case strings.TrimSpace(c.PollInterval) == "0":
		return 0, nil
	case err != nil:
		return 0, errors.New("PDBOT_POLL_INTERVAL: not a duration; want one such as 5s or 1m (at least 1s), or 0 to turn live cards off")
	case d == 0:
		return 0, nil
	case d < minPollInterval:
		return 0, errors.New("PDBOT_POLL_INTERVAL: shorter than 1s; want at least 1s, or 0 to turn live cards off")
	}
	return d, nil
}

// fileName names the variable a secret came from: the _FILE variant when it
// was used, so the error points at what the operator actually set.
func fileName(name, file string) string {
	if file != "" {
		return name + "_FILE"
	}
	return name
}

func checkToken(name string, v store.Secret, prefix, want string) error {
	s := v.Reveal()
	switch {
	case s == "":
		return fmt.Errorf("%s: not set; want %s (or set %s_FILE)", name, want, name)
	case !strings.HasPrefix(s, prefix):
		return fmt.Errorf("%s: does not start with %q; want %s", name, prefix, want)
	case len(s) == len(prefix):
		return fmt.Errorf("%s: holds only the prefix; want %s", name, want)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%s: contains whitespace or control characters; want %s", name, want)
	}
	return nil
}

// checkURL wants an absolute https URL; plain http only to this machine
// (the fakes, a local proxy), since tokens and API keys travel in its
// headers. It never repeats the value (a URL can carry credentials).
func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: not an absolute http(s) URL", name)
	}
	if u.User != nil {
		return fmt.Errorf("%s: must not contain credentials", name)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("%s: plain http sends tokens and API keys unencrypted; use https (http is allowed only to localhost)", name)
	}
	return nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// storeSpec parses PDBOT_STORE. Its errors never repeat the value (a
// postgres URL can hold a password).
func (c Config) storeSpec() (store.Spec, error) {
	spec, err := store.ParseSpec(c.Store.Reveal())
	if err != nil {
		return store.Spec{}, fmt.Errorf("PDBOT_STORE: %w", err)
	}
	return spec, nil
}

// keyRing parses the master keys; errors name the variable they came from
// and the entry at fault, never key material.
func (c Config) keyRing() (*store.KeyRing, error) {
	ring, err := store.ParseKeyRing(c.MasterKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fileName("PDBOT_MASTER_KEY", c.MasterKeyFile), err)
	}
	return ring, nil
}

// openStore opens the store PDBOT_STORE names under the master key ring.
// The store's errors name no variable and hold no password; this adds the
// variable's name.
func (c Config) openStore(ctx context.Context) (store.Store, error) {
	ring, err := c.keyRing()
	if err != nil {
		return nil, err
	}
	spec, err := c.storeSpec()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, spec, ring)
	if err != nil {
		return nil, fmt.Errorf("PDBOT_STORE: %w", err)
	}
	return st, nil
}
