package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pdbot/pdbot/internal/demo"
	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/store"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // bad configuration or a failed command
	exitUsage = 2 // unknown subcommand or arguments
)

const usageText = `pdbot — run PagerDuty incident actions from Slack.

Usage:
  pdbot serve        run the bot (Socket Mode) with /healthz, /readyz and /metrics on PDBOT_HTTP_ADDR
  pdbot demo         try the whole bot against in-process fake Slack and PagerDuty (no accounts needed)
  pdbot keygen       print a new master key for PDBOT_MASTER_KEY
  pdbot keys rotate  re-seal every stored API key under the newest master key
  pdbot keys status  count the stored API keys under the newest, an older and no master key
  pdbot check        validate the configuration and the Slack tokens
  pdbot version      print the version
  pdbot help         print this help

Configuration is read from the environment: SLACK_APP_TOKEN, SLACK_BOT_TOKEN,
PDBOT_MASTER_KEY (each also as a _FILE variant), SLACK_API_URL, PAGERDUTY_API_URL,
PDBOT_STORE, PDBOT_ADMINS, PDBOT_HTTP_ADDR, PDBOT_LOG_LEVEL, PDBOT_LOG_FORMAT.
See README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], envMap(os.Environ()), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// envMap turns os.Environ into the map loadConfig reads.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// run is main without the process: it parses the subcommand, reads and
// validates the configuration the subcommand needs, and runs it. It returns
// the exit code.
func run(ctx context.Context, args []string, environ map[string]string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if cmd == "keys" {
		if len(rest) == 0 || (rest[0] != "rotate" && rest[0] != "status") {
			fmt.Fprintf(stderr, "pdbot: unknown command %q\n\n%s", strings.TrimSpace("keys "+strings.Join(rest, " ")), usageText)
			return exitUsage
		}
		cmd, rest = "keys "+rest[0], rest[1:]
	}
	if len(rest) > 0 && cmd != "help" {
		fmt.Fprintf(stderr, "pdbot %s: unexpected arguments %q\n\n%s", cmd, strings.Join(rest, " "), usageText)
		return exitUsage
	}

	fail := func(err error) int {
		fmt.Fprintf(stderr, "pdbot %s: %s\n", cmd, oneLine(err))
		return exitFail
	}
	// setup loads the configuration and validates the parts cmd needs.
	setup := func(n need) (Config, error) {
		cfg, err := loadConfig(environ)
		if err == nil {
			err = cfg.Validate(n)
		}
		return cfg, err
	}

	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK

	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionString())
		return exitOK

	case "keygen":
		k, err := store.GenerateMasterKey()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, k)
		return exitOK

	case "keys rotate":
		cfg, err := setup(needRotate)
		if err != nil {
			return fail(err)
		}
		n, err := rotateKeys(ctx, cfg)
		if n > 0 || err == nil {
			fmt.Fprintf(stdout, "re-sealed %d keys under the newest master key\n", n)
		}
		if err != nil {
			return fail(err)
		}
		return exitOK

	case "keys status":
		cfg, err := setup(needRotate)
		if err != nil {
			return fail(err)
		}
		c, err := keysStatus(ctx, cfg)
		if err != nil {
			return fail(err)
		}
		fmt.Fprint(stdout, censusText(c))
		return exitOK

	case "check":
		cfg, err := setup(needCheck)
		if err != nil {
			return fail(err)
		}
		summary, err := check(ctx, cfg)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, "OK: "+summary)
		return exitOK

	case "serve":
		cfg, err := setup(needServe)
		if err != nil {
			return fail(err)
		}
		log, err := newLogger(cfg.LogLevel, cfg.LogFormat, stderr)
		if err != nil {
			return fail(err)
		}
		defer func() { _ = log.Sync() }()
		if err := serve(ctx, cfg, log); err != nil {
			log.Error("pdbot stopped", logsafe.Err(err))
			return fail(err)
		}
		return exitOK

	case "demo":
		if err := demo.Run(ctx, stdin, stdout, demo.Options{}); err != nil {
			return fail(err)
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "pdbot: unknown command %q\n\n%s", cmd, usageText)
	return exitUsage
}

// oneLine folds an error message onto one line (some drivers report
// multi-line errors): every problem is reported as one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
