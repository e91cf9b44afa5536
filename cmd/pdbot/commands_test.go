package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pdbot/pdbot/internal/slackfake/slackfaketest"
	"github.com/pdbot/pdbot/store"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, env, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // substring of stdout+stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"keys"}, exitUsage, "unknown command"},
		{[]string{"keys", "list"}, exitUsage, `"keys list"`},
		{[]string{"serve", "now"}, exitUsage, "unexpected arguments"},
		{[]string{"keys", "status", "now"}, exitUsage, `pdbot keys status: unexpected arguments "now"`},
		{[]string{"help"}, exitOK, "pdbot keys rotate"},
		{[]string{"help"}, exitOK, "pdbot keys status"},
		{[]string{"--help"}, exitOK, "pdbot demo"},
		{[]string{"version"}, exitOK, "pdbot "},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, map[string]string{}, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(out+errOut, tt.out) {
				t.Errorf("output does not contain %q:\n%s%s", tt.out, out, errOut)
			}
		})
	}
}

func TestVersionLdflags(t *testing.T) {
	old := version
	t.Cleanup(func() { version = old })
	version = "v9.8.7"
	if got := versionString(); !strings.HasPrefix(got, "pdbot v9.8.7") {
		t.Errorf("versionString() = %q, want it to start with pdbot v9.8.7", got)
	}
}

// TestKeygen: the printed key is one line that PDBOT_MASTER_KEY accepts, and
// every run prints a new one. keygen needs no configuration.
func TestKeygen(t *testing.T) {
	seen := map[string]bool{}
	for range 3 {
		code, out, errOut := runCmd(t, map[string]string{"PDBOT_LOG_LEVEL": "nonsense"}, "keygen")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		key := strings.TrimSuffix(out, "\n")
		if strings.Contains(key, "\n") {
			t.Fatalf("keygen printed more than one line: %q", out)
		}
		ring, err := store.ParseKeyRing(key)
		if err != nil {
			t.Fatalf("store.ParseKeyRing(keygen output): %v", err)
		}
		if ring.Len() != 1 {
			t.Errorf("ring has %d keys, want 1", ring.Len())
		}
		if seen[key] {
			t.Error("keygen printed the same key twice")
		}
		seen[key] = true
	}
}

// TestKeysRotate seals a key under an old master key, then rotates with
// NEW,OLD: the record is re-sealed and opens with NEW alone.
func TestKeysRotate(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "pdbot.db")
	oldRing, err := store.ParseKeyRing(canaryOld)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(dbPath, oldRing)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	apiKey := store.Secret("u+CANARYpdKEY-rotate")
	if err := st.SetAPIKey(ctx, "T0TEAM", "C0CHAN", apiKey, "U0ADMIN"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"PDBOT_STORE": "bolt:" + dbPath, "PDBOT_MASTER_KEY": canaryMaster + "," + canaryOld}
	code, out, errOut := runCmd(t, env, "keys", "rotate")
	if code != exitOK || out != "re-sealed 1 keys under the newest master key\n" {
		t.Fatalf("keys rotate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, out, _ = runCmd(t, env, "keys", "rotate")
	if out != "re-sealed 0 keys under the newest master key\n" {
		t.Errorf("second rotate: stdout %q, want 0 keys", out)
	}

	newRing, err := store.ParseKeyRing(canaryMaster)
	if err != nil {
		t.Fatal(err)
	}
	st, err = store.OpenBolt(dbPath, newRing)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.APIKey(ctx, "T0TEAM", "C0CHAN")
	if err != nil || got != apiKey {
		t.Errorf("after rotation the key does not open with the new master key alone: %v", err)
	}
}

func TestReadiness(t *testing.T) {
	connected := false
	r := &readiness{connected: func() bool { return connected }}
	reg := prometheus.NewRegistry()
	probe := prometheus.NewCounter(prometheus.CounterOpts{Name: "pdbot_test_probe_total", Help: "test"})
	reg.MustRegister(probe)
	probe.Inc()
	srv := httptest.NewServer(opsHandler(r, reg))
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	type result struct {
		code int
		body string
	}
	check := func(step, path string, want result) {
		t.Helper()
		code, body := get(path)
		if code != want.code || !strings.Contains(body, want.body) {
			t.Errorf("%s: GET %s = %d %q, want %d containing %q", step, path, code, body, want.code, want.body)
		}
	}

	check("starting", "/healthz", result{200, "ok"})
	check("starting", "/readyz", result{503, "not connected to Slack"})
	connected = true
	check("connected", "/readyz", result{200, "ok"})
	check("connected", "/metrics", result{200, "pdbot_test_probe_total 1"})
	connected = false
	check("connection lost", "/readyz", result{503, "not connected to Slack"})
	check("connection lost", "/healthz", result{200, "ok"})
	connected = true
	r.draining.Store(true)
	check("draining", "/readyz", result{503, "shutting down"})
	check("draining", "/healthz", result{200, "ok"})
	check("unknown path", "/nope", result{404, ""})

	resp, err := http.Post(srv.URL+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", resp.StatusCode)
	}
}

// TestCheck runs `pdbot check` against the fake Slack: good tokens pass,
// a bad one fails with one line naming the variable and no secret.
func TestCheck(t *testing.T) {
	sf := slackfaketest.New(t)
	base := func() map[string]string {
		return map[string]string{
			"SLACK_APP_TOKEN":  sf.AppToken(),
			"SLACK_BOT_TOKEN":  sf.BotToken(),
			"SLACK_API_URL":    sf.URL(),
			"PDBOT_STORE":      "bolt:" + filepath.Join(t.TempDir(), "pdbot.db"),
			"PDBOT_MASTER_KEY": canaryMaster,
		}
	}
	code, out, errOut := runCmd(t, base(), "check")
	if code != exitOK || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("check with good tokens: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	for _, tt := range []struct{ name, variable, value string }{
		{"bad bot token", "SLACK_BOT_TOKEN", canaryBot},
		{"bad app token", "SLACK_APP_TOKEN", canaryApp},
		{"store cannot open", "PDBOT_STORE", "bolt:" + filepath.Join(t.TempDir(), "missing", "pdbot.db")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := base()
			env[tt.variable] = tt.value
			code, out, errOut := runCmd(t, env, "check")
			if code != exitFail {
				t.Errorf("exit %d, want %d", code, exitFail)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tt.variable+":") {
				t.Errorf("stderr = %q, want one line naming %s", errOut, tt.variable)
			}
			assertNoCanary(t, "stderr", errOut)
		})
	}
}
