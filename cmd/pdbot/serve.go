package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/internal/pdwebhook"
	"github.com/pdbot/pdbot/store"
)

const (
	// shutdownGrace bounds how long the HTTP server may take to finish
	// in-flight probe and scrape requests after the bot stopped.
	shutdownGrace = 10 * time.Second
	// readHeaderTimeout guards the ops port against slow clients.
	readHeaderTimeout = 5 * time.Second
	// metadataLabel derives the modal-metadata signing key from the master
	// key, so every replica with the same PDBOT_MASTER_KEY agrees on it.
	metadataLabel = "pdbot modal metadata v1"
)

// serve runs the bot until ctx ends (SIGINT/SIGTERM), with the ops HTTP server
// alongside. cfg has been validated for needServe.
func serve(ctx context.Context, cfg Config, log *zap.Logger) error {
	defer startGCTuner()()
	metaKeys, err := metadataKeys(cfg.MasterKey)
	if err != nil {
		return err
	}
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	// Closed after b.Run has returned, which waits for every command in
	// flight: Close then writes their queued audit rows.
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("store close", logsafe.Err(err))
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Re-seal keys under older master keys and keep their gauge, in the
	// background. Deferred calls run last first: the goroutine is stopped
	// and waited for before the store closes.
	keys := newKeyMaintainer(st, log, reg)
	keysCtx, stopKeys := context.WithCancel(ctx)
	var keysDone sync.WaitGroup
	keysDone.Go(func() { keys.run(keysCtx) })
	defer keysDone.Wait()
	defer stopKeys()

	poll, err := cfg.pollInterval()
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Config{
		PollInterval:    poll,
		AppToken:        cfg.AppToken,
		BotToken:        cfg.BotToken,
		SlackAPIURL:     cfg.SlackAPIURL,
		PagerDutyAPIURL: cfg.PagerDutyAPIURL,
		Admins:          cfg.Admins,
		Store:           st,
		Logger:          log,
		MetadataKey:     metaKeys[0],
		OldMetadataKeys: metaKeys[1:],
		Registerer:      reg,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("PDBOT_HTTP_ADDR: %w", err)
	}
	probes := &readiness{connected: b.Ready}
	stopDraining := context.AfterFunc(ctx, func() { probes.draining.Store(true) })
	defer stopDraining()
	ops := opsHandler(probes, reg)
	if secret := cfg.WebhookSecret.Reveal(); secret != "" {
		// PagerDuty v3 webhooks make changes show sooner: each verified
		// delivery brings live cards up to date now (internal/pdwebhook).
		ops.Handle("POST /pagerduty/webhook", pdwebhook.Handler(secret, st, time.Now, func(pdwebhook.Event) { b.PagerDutyChanged() }))
	}
	srv := &http.Server{Handler: ops, ReadHeaderTimeout: readHeaderTimeout}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	log.Info("pdbot serving", zap.String("version", versionString()), zap.String("http_addr", ln.Addr().String()))

	runErr := b.Run(ctx)
	probes.draining.Store(true)

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("ops server shutdown", logsafe.Err(err))
	}
	if err := <-srvErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		runErr = errors.Join(runErr, fmt.Errorf("ops server: %w", err))
	}
	if runErr == nil {
		log.Info("pdbot stopped")
	}
	return runErr
}

// metadataKeys derives the keys that sign modal private_metadata, one per
// master key: HMAC-SHA256(master key, metadataLabel), newest first. The
// newest signs; the others still verify, so forms opened before a master
// key rotation (or by a replica not yet restarted) can still be submitted.
// Replicas that share PDBOT_MASTER_KEY share them.
func metadataKeys(masterKey store.Secret) ([][]byte, error) {
	var keys [][]byte
	for i, entry := range strings.Split(masterKey.Reveal(), ",") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("PDBOT_MASTER_KEY: entry %d is not standard base64", i+1)
		}
		m := hmac.New(sha256.New, raw)
		m.Write([]byte(metadataLabel))
		keys = append(keys, m.Sum(nil))
	}
	return keys, nil
}

// readiness answers /readyz: ready while the bot holds a live Socket Mode
// connection and the process is not shutting down.
type readiness struct {
	connected func() bool
	draining  atomic.Bool
}

func (r *readiness) check() (ok bool, reason string) {
	switch {
	case r.draining.Load():
		return false, "shutting down"
	case !r.connected():
		return false, "not connected to Slack"
	}
	return true, "ok"
}

// opsHandler serves /healthz (liveness: the process answers), /readyz
// (readiness: connected to Slack) and /metrics (Prometheus, from g).
func opsHandler(r *readiness, g prometheus.Gatherer) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, reason := r.check(); !ok {
			writePlain(w, http.StatusServiceUnavailable, reason)
			return
		}
		writePlain(w, http.StatusOK, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}
