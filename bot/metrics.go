package bot

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	envelopes  *prometheus.CounterVec
	ackSeconds *prometheus.HistogramVec
	actions    *prometheus.CounterVec
	queued     prometheus.Counter
	busy       prometheus.Counter
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
	if reg != nil {
		reg.MustRegister(m.envelopes, m.ackSeconds, m.actions, m.queued, m.busy)
	}
	return m
}
