package bot

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	envelopes  *prometheus.CounterVec
	ackSeconds *prometheus.HistogramVec
	actions    *prometheus.CounterVec
	queued     prometheus.Counter
	busy       prometheus.Counter

	// byKind holds envelopes' and ackSeconds' series for each kind of
	// interaction, made once: the read loop counts every envelope, and a
	// vector's label lookup (hashing the value, a locked map) for each was
	// avoidable work in a burst.
	byKind map[string]kindMetrics
}

type kindMetrics struct {
	envelopes  prometheus.Counter
	ackSeconds prometheus.Observer
}

// kind is the series of one kind of interaction (Interaction.kind).
func (m *metrics) kind(typ string) kindMetrics {
	if k, ok := m.byKind[typ]; ok {
		return k
	}
	return kindMetrics{m.envelopes.WithLabelValues(typ), m.ackSeconds.WithLabelValues(typ)}
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pdbot_envelopes_total", Help: "Socket Mode envelopes received, by type.",
		}, []string{"type"}),
		ackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pdbot_ack_seconds", Help: "Time from receiving an envelope to acking it.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2, 3},
		}, []string{"type"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pdbot_actions_total", Help: "Routed requests, by route and result.",
		}, []string{"route", "result"}),
		queued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pdbot_queued_total", Help: "Interactions that found MaxInFlight reached and waited for room.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pdbot_busy_total", Help: "Interactions answered \"busy\": no room freed in time.",
		}),
	}
	m.byKind = map[string]kindMetrics{}
	for _, typ := range []string{"slash_commands", "interactive", "events_api", "unknown"} {
		m.byKind[typ] = kindMetrics{m.envelopes.WithLabelValues(typ), m.ackSeconds.WithLabelValues(typ)}
	}
	if reg != nil {
		reg.MustRegister(m.envelopes, m.ackSeconds, m.actions, m.queued, m.busy)
	}
	return m
}
