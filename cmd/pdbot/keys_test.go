package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake/slackfaketest"
	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

// canaryAPIKey is an API key the tests seal; no output may hold it (it
// contains "CANARY", which assertNoCanary looks for).
const canaryAPIKey = store.Secret("u+CANARYpdKEY-status-7781")

// sealInBolt writes API keys into the bolt file at path, each sealed under
// the master keys given for it (PDBOT_MASTER_KEY encodings).
func sealInBolt(t *testing.T, path string, keys map[string]string) {
	t.Helper()
	for channel, masterKeys := range keys {
		st, err := store.OpenBolt(path, storetest.MustParseKeyRing(t, masterKeys))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetAPIKey(context.Background(), "T0TEAM", channel, canaryAPIKey, "U0ADMIN"); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeysStatus counts the keys of a bolt file by master key, before and
// after `pdbot keys rotate`, and never prints a key.
func TestKeysStatus(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "pdbot.db")
	_, lost := storetest.NewKeyRing(t, 1)
	sealInBolt(t, dbPath, map[string]string{
		"C0NEW":  canaryMaster,
		"C0OLD1": canaryOld,
		"C0OLD2": canaryOld,
		"C0LOST": lost[0],
	})
	env := map[string]string{"PDBOT_STORE": "bolt:" + dbPath, "PDBOT_MASTER_KEY": canaryMaster + "," + canaryOld}

	code, out, errOut := runCmd(t, env, "keys", "status")
	want := "4 API keys sealed: 1 under the newest master key, 2 under older ones (run pdbot keys rotate, or restart pdbot serve, to re-seal them), 1 under no key in PDBOT_MASTER_KEY\n" +
		"1 API key does not open: put back the master key that sealed it, or set it again with /pd key\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("keys status: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	assertNoCanary(t, "keys status output", out+errOut)

	if code, _, errOut := runCmd(t, env, "keys", "rotate"); code != exitFail || !strings.Contains(errOut, "C0LOST") {
		t.Errorf("keys rotate: exit %d, stderr %q; want exit 1 naming the channel whose key does not open", code, errOut)
	}
	code, out, errOut = runCmd(t, env, "keys", "status")
	want = "4 API keys sealed: 3 under the newest master key, 0 under an older one, 1 under no key in PDBOT_MASTER_KEY\n" +
		"1 API key does not open: put back the master key that sealed it, or set it again with /pd key\n"
	if code != exitOK || out != want {
		t.Errorf("keys status after rotate: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	assertNoCanary(t, "keys status output", out+errOut)

	// keys status needs what keys rotate needs, and says which variable is wrong.
	code, out, errOut = runCmd(t, map[string]string{"PDBOT_STORE": "bolt:" + dbPath}, "keys", "status")
	if code != exitFail || out != "" || !strings.Contains(errOut, "PDBOT_MASTER_KEY") {
		t.Errorf("keys status without a master key: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCensusText(t *testing.T) {
	for _, tt := range []struct {
		c    store.KeyCensus
		want string
	}{
		{store.KeyCensus{}, "0 API keys sealed: 0 under the newest master key, 0 under an older one, 0 under no key in PDBOT_MASTER_KEY\n"},
		{store.KeyCensus{Newest: 1}, "1 API key sealed: 1 under the newest master key, 0 under an older one, 0 under no key in PDBOT_MASTER_KEY\n"},
		{store.KeyCensus{Newest: 2, Older: 1}, "3 API keys sealed: 2 under the newest master key, 1 under an older one (run pdbot keys rotate, or restart pdbot serve, to re-seal it), 0 under no key in PDBOT_MASTER_KEY\n"},
		{store.KeyCensus{Unknown: 2}, "2 API keys sealed: 0 under the newest master key, 0 under an older one, 2 under no key in PDBOT_MASTER_KEY\n" +
			"2 API keys do not open: put back the master key that sealed them, or set them again with /pd key\n"},
	} {
		if got := censusText(tt.c); got != tt.want {
			t.Errorf("censusText(%+v) =\n%s\nwant\n%s", tt.c, got, tt.want)
		}
	}
}

// TestServeResealsAtStartup is a bolt user's rotation: serve restarted with
// PDBOT_MASTER_KEY=NEW,OLD re-seals the key sealed under OLD in the
// background, the gauge shows it, and after a clean stop the key opens
// under NEW alone.
func TestServeResealsAtStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	dbPath := filepath.Join(t.TempDir(), "pdbot.db")
	sealInBolt(t, dbPath, map[string]string{"C0CHAN": canaryOld})
	sf := slackfaketest.New(t)
	pd := pdfaketest.New(t)
	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_APP_TOKEN":   sf.AppToken(),
		"SLACK_BOT_TOKEN":   sf.BotToken(),
		"SLACK_API_URL":     sf.URL(),
		"PAGERDUTY_API_URL": pd.URL(),
		"PDBOT_STORE":       "bolt:" + dbPath,
		"PDBOT_MASTER_KEY":  canaryMaster + "," + canaryOld,
		"PDBOT_HTTP_ADDR":   addr,
		"PDBOT_LOG_LEVEL":   "debug",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, strings.NewReader(""), &stdout, &stderr) }()

	// Wait for the gauge to report the re-seal. The deadline only bounds a
	// failure; nothing is asserted about how long it took.
	want := []string{
		`pdbot_sealed_api_keys{master_key="newest"} 1`,
		`pdbot_sealed_api_keys{master_key="older"} 0`,
		`pdbot_sealed_api_keys{master_key="unknown"} 0`,
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		metrics := ""
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(b)
		}
		if containsAll(metrics, want) {
			break
		}
		select {
		case c := <-done:
			t.Fatalf("serve exited early with %d:\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gauge never showed the key re-sealed; /metrics:\n%s\nlogs:\n%s", metrics, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited with %d after cancellation:\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	logs := stderr.String()
	if !strings.Contains(logs, "re-sealed API keys under the newest master key") || !strings.Contains(logs, `"resealed":1`) {
		t.Errorf("no log line saying one key was re-sealed:\n%s", logs)
	}
	assertNoCanary(t, "serve logs", logs)
	assertNoCanary(t, "serve stdout", stdout.String())

	st, err := store.OpenBolt(dbPath, storetest.MustParseKeyRing(t, canaryMaster))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.APIKey(context.Background(), "T0TEAM", "C0CHAN"); err != nil || got != canaryAPIKey {
		t.Errorf("after serve the key does not open under NEW alone: %v", err)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// blockingStore is a keyStore whose Reseal holds until its context ends,
// as a long re-seal would when SIGTERM comes.
type blockingStore struct {
	started chan struct{}
}

func (b *blockingStore) Reseal(ctx context.Context) (int, error) {
	close(b.started)
	<-ctx.Done()
	return 0, ctx.Err()
}

func (b *blockingStore) KeyCensus(context.Context) (store.KeyCensus, error) {
	return store.KeyCensus{}, errors.New("blockingStore: census not expected")
}

// TestKeyMaintainerStopsOnCancel: a re-seal under way when serve's context
// ends returns, and so does run, so serve can wait for it before closing
// the store.
func TestKeyMaintainerStopsOnCancel(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	st := &blockingStore{started: make(chan struct{})}
	m := newKeyMaintainer(st, zap.New(core), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.run(ctx)
		close(done)
	}()
	<-st.started
	cancel()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if logs.FilterMessage("re-sealing API keys stopped by shutdown").Len() != 1 {
		t.Errorf("no log line for the stopped re-seal: %v", logs.All())
	}
	if n := logs.FilterLevelExact(zapcore.WarnLevel).Len(); n != 0 {
		t.Errorf("%d warnings for a shutdown: %v", n, logs.All())
	}
}

// TestKeyMaintainerRollingRestart: on PostgreSQL, a replica not yet
// restarted (ring OLD) sets a key after the new replica's start-up re-seal;
// the new replica's next count shows it under an older key (for keys status
// and the gauge to tell), and the re-sealed key stays under NEW.
func TestKeyMaintainerRollingRestart(t *testing.T) {
	dsn, _ := storetest.PostgresSchema(t)
	ctx := context.Background()
	open := func(masterKeys string) store.Store {
		t.Helper()
		st, err := store.OpenPostgres(ctx, dsn, storetest.MustParseKeyRing(t, masterKeys))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	oldReplica := open(canaryOld)
	if err := oldReplica.SetAPIKey(ctx, "T0TEAM", "C0FIRST", canaryAPIKey, "U0ADMIN"); err != nil {
		t.Fatal(err)
	}

	core, logs := observer.New(zapcore.DebugLevel)
	reg := prometheus.NewRegistry()
	m := newKeyMaintainer(open(canaryMaster+","+canaryOld), zap.New(core), reg)
	m.every = time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		m.run(runCtx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()

	newOnly := open(canaryMaster)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened; logs: %v", what, logs.All())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	opensUnderNew := func(channel string) func() bool {
		return func() bool {
			got, err := newOnly.APIKey(ctx, "T0TEAM", channel)
			return err == nil && got == canaryAPIKey
		}
	}
	waitFor("the start-up re-seal", opensUnderNew("C0FIRST"))

	if err := oldReplica.SetAPIKey(ctx, "T0TEAM", "C0LATER", canaryAPIKey, "U0ADMIN"); err != nil {
		t.Fatal(err)
	}
	waitFor("the gauge counting the later key under an older master key", func() bool {
		g := sealedGauge(t, reg)
		return g["newest"] == 1 && g["older"] == 1 && g["unknown"] == 0
	})
	if !opensUnderNew("C0FIRST")() {
		t.Error("the key re-sealed at start-up no longer opens under NEW alone")
	}
	for _, e := range logs.All() {
		assertNoCanary(t, "maintainer log", fmt.Sprint(e.Message, e.ContextMap()))
	}
}

// sealedGauge reads pdbot_sealed_api_keys from reg, by master_key label.
func sealedGauge(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "pdbot_sealed_api_keys" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "master_key" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}
