package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/store"
)

// Canary secrets: no error line, log or printed Config may contain them.
var (
	canaryApp    = "xapp-1-A0TEST-CANARYAPPTOKEN-5150"
	canaryBot    = "xoxb-1-CANARYBOTTOKEN-8675309"
	canaryMaster = base64.StdEncoding.EncodeToString([]byte("CANARY-master-key-32-bytes-long!"))
	canaryOld    = base64.StdEncoding.EncodeToString([]byte("CANARY-older-key-32-bytes-long!!"))
	canaryPGPass = "CANARYpgPASSWORD"
	canaryShort  = base64.StdEncoding.EncodeToString([]byte("CANARY-16-bytes!"))
)

var canaries = []string{canaryApp, canaryBot, canaryMaster, canaryOld, canaryPGPass, canaryShort, "CANARY"}

func assertNoCanary(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(s, c) {
			t.Errorf("%s contains the secret canary %q:\n%s", what, c, s)
		}
	}
}

// goodEnv is a complete, valid configuration.
func goodEnv() map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN":  canaryApp,
		"SLACK_BOT_TOKEN":  canaryBot,
		"PDBOT_MASTER_KEY": canaryMaster + "," + canaryOld,
		"PDBOT_STORE":      "postgres://pdbot:" + canaryPGPass + "@db.internal:5432/pdbot?sslmode=require",
		"PDBOT_ADMINS":     "U0ALICE01,W0GRID0001",
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		SlackAPIURL:     "https://slack.com/api/",
		PagerDutyAPIURL: "https://api.pagerduty.com",
		Store:           "bolt:pdbot.db",
		HTTPAddr:        ":8080",
		LogLevel:        "info",
		LogFormat:       "json",
		PollInterval:    "5s",
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	// The defaults themselves are valid; only the secrets are missing.
	if err := cfg.Validate(needHTTP | needLog | needBot); err != nil {
		t.Errorf("Validate on defaults: %v", err)
	}
}

func TestConfigGood(t *testing.T) {
	cfg, err := loadConfig(goodEnv())
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(needServe); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.AppToken.Reveal() != canaryApp || cfg.BotToken.Reveal() != canaryBot {
		t.Error("tokens not read")
	}
	if diff := cmp.Diff([]string{"U0ALICE01", "W0GRID0001"}, cfg.Admins); diff != "" {
		t.Errorf("admins (-want +got):\n%s", diff)
	}
	// However the configuration is printed, no secret shows.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		assertNoCanary(t, "fmt "+verb+" of Config", fmt.Sprintf(verb, cfg))
	}
}

func TestConfigErrors(t *testing.T) {
	shortKeyFile := writeFile(t, canaryShort+"\n")
	goodAppFile := writeFile(t, canaryApp+"\n")
	badAppFile := writeFile(t, "xoxp-"+canaryBot+"\n")
	emptyFile := writeFile(t, "\n")

	tests := []struct {
		name  string
		need  need
		env   map[string]string // applied over goodEnv; "" deletes
		var_  string            // the variable the one line must name
		extra string            // and another fragment it must contain
	}{
		{"app token missing", needServe, map[string]string{"SLACK_APP_TOKEN": ""}, "SLACK_APP_TOKEN", "not set"},
		{"app token is a bot token", needServe, map[string]string{"SLACK_APP_TOKEN": canaryBot}, "SLACK_APP_TOKEN", "xapp-"},
		{"app token with a newline", needServe, map[string]string{"SLACK_APP_TOKEN": canaryApp + "\nx"}, "SLACK_APP_TOKEN", "whitespace"},
		{"app token only prefix", needServe, map[string]string{"SLACK_APP_TOKEN": "xapp-"}, "SLACK_APP_TOKEN", "prefix"},
		{"bot token missing", needServe, map[string]string{"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN", "not set"},
		{"bot token is an app token", needCheck, map[string]string{"SLACK_BOT_TOKEN": canaryApp}, "SLACK_BOT_TOKEN", "xoxb-"},
		{"bot token is a user token", needServe, map[string]string{"SLACK_BOT_TOKEN": "xoxp-" + canaryPGPass}, "SLACK_BOT_TOKEN", "xoxb-"},
		{"slack url not a url", needServe, map[string]string{"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL", "URL"},
		{"slack url ftp", needServe, map[string]string{"SLACK_API_URL": "ftp://slack.com/api/"}, "SLACK_API_URL", "URL"},
		{"slack url with credentials", needServe, map[string]string{"SLACK_API_URL": "https://u:" + canaryPGPass + "@slack.com/api/"}, "SLACK_API_URL", "credentials"},
		{"slack url plain http", needServe, map[string]string{"SLACK_API_URL": "http://slack.com/api/"}, "SLACK_API_URL", "https"},
		{"pagerduty url plain http", needServe, map[string]string{"PAGERDUTY_API_URL": "http://api.pagerduty.com"}, "PAGERDUTY_API_URL", "https"},
		{"pagerduty url plain http to a lookalike", needServe, map[string]string{"PAGERDUTY_API_URL": "http://127.0.0.1.example.com"}, "PAGERDUTY_API_URL", "https"},
		{"pagerduty url", needServe, map[string]string{"PAGERDUTY_API_URL": "::" + canaryPGPass}, "PAGERDUTY_API_URL", "URL"},
		{"store empty", needServe, map[string]string{"PDBOT_STORE": "bolt:"}, "PDBOT_STORE", "bolt:PATH"},
		{"store unknown with password", needServe, map[string]string{"PDBOT_STORE": "mysql://u:" + canaryPGPass + "@h/db"}, "PDBOT_STORE", "unsupported"},
		{"store password only", needRotate, map[string]string{"PDBOT_STORE": canaryPGPass}, "PDBOT_STORE", "unsupported"},
		{"store postgres without host", needServe, map[string]string{"PDBOT_STORE": "postgres://u:" + canaryPGPass + "@/db"}, "PDBOT_STORE", "host"},
		{"store bad postgres url", needServe, map[string]string{"PDBOT_STORE": "postgres://u:" + canaryPGPass + "@h:port%/db"}, "PDBOT_STORE", "postgres"},
		{"master key missing", needServe, map[string]string{"PDBOT_MASTER_KEY": ""}, "PDBOT_MASTER_KEY", "keygen"},
		{"master key missing for rotate", needRotate, map[string]string{"PDBOT_MASTER_KEY": ""}, "PDBOT_MASTER_KEY", "not set"},
		{"master key not base64", needServe, map[string]string{"PDBOT_MASTER_KEY": "CANARY!not*base64"}, "PDBOT_MASTER_KEY", "base64"},
		{"master key too short", needCheck, map[string]string{"PDBOT_MASTER_KEY": canaryShort}, "PDBOT_MASTER_KEY", "16 bytes"},
		{"master key second entry bad", needServe, map[string]string{"PDBOT_MASTER_KEY": canaryMaster + "," + canaryShort}, "PDBOT_MASTER_KEY", "entry 2"},
		{"master key empty entry", needServe, map[string]string{"PDBOT_MASTER_KEY": canaryMaster + ",,"}, "PDBOT_MASTER_KEY", "entry 2"},
		{"admins malformed", needServe, map[string]string{"PDBOT_ADMINS": "U0ALICE01,alice"}, "PDBOT_ADMINS", "entry 2"},
		{"webhook secret too short", needServe, map[string]string{"PDBOT_WEBHOOK_SECRET": "CANARYshort"}, "PDBOT_WEBHOOK_SECRET", "16 characters"},
		{"webhook secret with a space", needServe, map[string]string{"PDBOT_WEBHOOK_SECRET": "CANARY webhook secret value"}, "PDBOT_WEBHOOK_SECRET", "whitespace"},
		{"poll interval without unit", needServe, map[string]string{"PDBOT_POLL_INTERVAL": "5"}, "PDBOT_POLL_INTERVAL", "duration"},
		{"poll interval too short", needServe, map[string]string{"PDBOT_POLL_INTERVAL": "500ms"}, "PDBOT_POLL_INTERVAL", "at least 1s"},
		{"poll interval negative", needServe, map[string]string{"PDBOT_POLL_INTERVAL": "-5s"}, "PDBOT_POLL_INTERVAL", "at least 1s"},
		{"http addr", needServe, map[string]string{"PDBOT_HTTP_ADDR": "8080"}, "PDBOT_HTTP_ADDR", ":8080"},
		{"log level", needServe, map[string]string{"PDBOT_LOG_LEVEL": "loud"}, "PDBOT_LOG_LEVEL", "debug"},
		{"log format", needCheck, map[string]string{"PDBOT_LOG_FORMAT": "xml"}, "PDBOT_LOG_FORMAT", "json"},
		{"app token and file", needServe, map[string]string{"SLACK_APP_TOKEN_FILE": goodAppFile}, "SLACK_APP_TOKEN", "SLACK_APP_TOKEN_FILE are both set"},
		{"app token file missing", needServe, map[string]string{"SLACK_APP_TOKEN": "", "SLACK_APP_TOKEN_FILE": "/nonexistent/" + "app-token"}, "SLACK_APP_TOKEN_FILE", "/nonexistent/app-token"},
		{"app token file wrong kind", needServe, map[string]string{"SLACK_APP_TOKEN": "", "SLACK_APP_TOKEN_FILE": badAppFile}, "SLACK_APP_TOKEN_FILE", "xapp-"},
		{"bot token file empty", needServe, map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_BOT_TOKEN_FILE": emptyFile}, "SLACK_BOT_TOKEN_FILE", "empty"},
		{"master key file short", needServe, map[string]string{"PDBOT_MASTER_KEY": "", "PDBOT_MASTER_KEY_FILE": shortKeyFile}, "PDBOT_MASTER_KEY_FILE", "16 bytes"},
		{"master key and file", needRotate, map[string]string{"PDBOT_MASTER_KEY_FILE": shortKeyFile}, "PDBOT_MASTER_KEY", "PDBOT_MASTER_KEY_FILE are both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := goodEnv()
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			cfg, err := loadConfig(env)
			if err == nil {
				err = cfg.Validate(tt.need)
			}
			if err == nil {
				t.Fatal("no error")
			}
			line := err.Error()
			if strings.ContainsAny(line, "\r\n") {
				t.Errorf("error is not one line: %q", line)
			}
			if !strings.HasPrefix(line, tt.var_) {
				t.Errorf("error %q does not start with the variable %s", line, tt.var_)
			}
			if !strings.Contains(line, tt.extra) {
				t.Errorf("error %q does not say %q", line, tt.extra)
			}
			assertNoCanary(t, "error", line)
		})
	}
}

func TestConfigFileVariants(t *testing.T) {
	env := goodEnv()
	delete(env, "SLACK_APP_TOKEN")
	delete(env, "SLACK_BOT_TOKEN")
	delete(env, "PDBOT_MASTER_KEY")
	env["SLACK_APP_TOKEN_FILE"] = writeFile(t, canaryApp+"\n")
	env["SLACK_BOT_TOKEN_FILE"] = writeFile(t, canaryBot+"\r\n")
	env["PDBOT_MASTER_KEY_FILE"] = writeFile(t, canaryMaster+","+canaryOld)
	cfg, err := loadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(needServe); err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.AppToken.Reveal(), cfg.BotToken.Reveal(), cfg.MasterKey.Reveal()}
	want := []string{canaryApp, canaryBot, canaryMaster + "," + canaryOld}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets from files (-want +got):\n%s", diff)
	}
}

// TestConfigNeeds: each subcommand requires only what it uses.
func TestConfigNeeds(t *testing.T) {
	onlyStore := map[string]string{"PDBOT_MASTER_KEY": canaryMaster}
	cfg, err := loadConfig(onlyStore)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(needRotate); err != nil {
		t.Errorf("keys rotate with store and master key only: %v", err)
	}
	if err := cfg.Validate(needServe); err == nil || !strings.HasPrefix(err.Error(), "SLACK_APP_TOKEN") {
		t.Errorf("serve without tokens: %v, want a SLACK_APP_TOKEN error", err)
	}
}

// TestRunConfigErrorIsOneLine runs the commands as main does: bad
// configuration prints exactly one line naming the variable, exit 1.
func TestRunConfigErrorIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"check"}, {"keys", "rotate"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			env := goodEnv()
			env["PDBOT_MASTER_KEY"] = "CANARY" + canaryShort
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, env, strings.NewReader(""), &stdout, &stderr)
			if code != exitFail {
				t.Errorf("exit %d, want %d", code, exitFail)
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "PDBOT_MASTER_KEY") {
				t.Errorf("stderr = %q, want one line naming PDBOT_MASTER_KEY", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			assertNoCanary(t, "stderr", stderr.String())
		})
	}
}

func TestMetadataKeysFollowTheMasterKeys(t *testing.T) {
	a, err := metadataKeys(store.Secret(canaryMaster + "," + canaryOld))
	if err != nil {
		t.Fatal(err)
	}
	b, err := metadataKeys(store.Secret(canaryMaster))
	if err != nil {
		t.Fatal(err)
	}
	c, err := metadataKeys(store.Secret(canaryOld + "," + canaryMaster))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || len(b) != 1 || len(a[0]) != 32 {
		t.Fatalf("want one 32-byte key per master key, got %d and %d", len(a), len(b))
	}
	if !bytes.Equal(a[0], b[0]) || bytes.Equal(a[0], c[0]) || !bytes.Equal(a[0], c[1]) {
		t.Error("the signing key must come from the first (newest) master key, and older ones must follow")
	}
	raw, _ := base64.StdEncoding.DecodeString(canaryMaster)
	if bytes.Contains(a[0], raw) {
		t.Error("the metadata key must not contain the master key")
	}
}

// TestPlainHTTPOnlyToLoopback: tokens and keys never cross a network
// unencrypted, but the fakes and a local proxy on this machine still work.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:4010/api/", "http://localhost:8080", "http://[::1]:9000/", "http://127.5.6.7"} {
		env := goodEnv()
		env["SLACK_API_URL"], env["PAGERDUTY_API_URL"] = u, u
		cfg, err := loadConfig(env)
		if err == nil {
			err = cfg.Validate(needServe)
		}
		if err != nil {
			t.Errorf("%s: %v, want it accepted", u, err)
		}
	}
}
