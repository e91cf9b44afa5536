package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/internal/logsafe"
	"github.com/pdbot/pdbot/store"
)

// sealedKeysRefresh is how often serve counts the sealed API keys again for
// pdbot_sealed_api_keys. The count reads only each record's key-id byte.
//
// Serve re-seals only at start-up, never on these refreshes: during a
// rolling restart, a replica not yet restarted holds the previous ring,
// and re-sealing periodically there would undo the new replicas' work.
// Keys such a replica sets meanwhile show up as "older" here and in
// `pdbot keys status` until the next restart or `pdbot keys rotate`.
const sealedKeysRefresh = 10 * time.Minute

// keyStore is what keyMaintainer needs of the store.
type keyStore interface {
	Reseal(ctx context.Context) (int, error)
	KeyCensus(ctx context.Context) (store.KeyCensus, error)
}

// keyMaintainer is serve's one goroutine for the sealed API keys: at
// start-up it re-seals every key still under an older key of
// PDBOT_MASTER_KEY (so a bolt user rotates by restarting with NEW,OLD), and
// it keeps the pdbot_sealed_api_keys gauge up to date. Replicas may run it
// at once: Store.Reseal rewrites each record once in total, and a replica
// whose ring lacks the key a record is under leaves that record alone.
type keyMaintainer struct {
	st    keyStore
	log   *zap.Logger
	gauge *prometheus.GaugeVec
	every time.Duration
}

// newKeyMaintainer registers pdbot_sealed_api_keys on reg.
func newKeyMaintainer(st keyStore, log *zap.Logger, reg prometheus.Registerer) *keyMaintainer {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "pdbot_sealed_api_keys",
		Help: "Stored PagerDuty API keys by the master key that sealed them: newest; older (re-sealed at serve start-up or by pdbot keys rotate); unknown (no key of PDBOT_MASTER_KEY opens them).",
	}, []string{"master_key"})
	reg.MustRegister(g)
	return &keyMaintainer{st: st, log: log, gauge: g, every: sealedKeysRefresh}
}

// run re-seals once, then counts every m.every until ctx ends. It returns
// only once ctx has ended; Reseal stops between records then, so the
// caller can wait for run before closing the store.
func (m *keyMaintainer) run(ctx context.Context) {
	m.reseal(ctx)
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		m.census(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reseal runs Store.Reseal and logs the outcome: how many keys it
// rewrote, and one line per key that failed, naming its team and channel
// (store errors never hold a key).
func (m *keyMaintainer) reseal(ctx context.Context) {
	n, err := m.st.Reseal(ctx)
	if ctx.Err() != nil {
		m.log.Info("re-sealing API keys stopped by shutdown", zap.Int("resealed", n))
		return
	}
	var failures []error
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		failures = multi.Unwrap()
	} else if err != nil {
		failures = []error{err}
	}
	for _, f := range failures {
		if errors.Is(f, store.ErrCannotUnseal) {
			m.log.Warn("API key not re-sealed: no key of PDBOT_MASTER_KEY opens it", logsafe.Err(f))
		} else {
			m.log.Warn("API key not re-sealed", logsafe.Err(f))
		}
	}
	m.log.Info("re-sealed API keys under the newest master key", zap.Int("resealed", n), zap.Int("failed", len(failures)))
}

// census counts the sealed keys into the gauge.
func (m *keyMaintainer) census(ctx context.Context) {
	c, err := m.st.KeyCensus(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("counting sealed API keys", logsafe.Err(err))
		}
		return
	}
	m.gauge.WithLabelValues("newest").Set(float64(c.Newest))
	m.gauge.WithLabelValues("older").Set(float64(c.Older))
	m.gauge.WithLabelValues("unknown").Set(float64(c.Unknown))
}
