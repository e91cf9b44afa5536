package handlers

import (
	"context"
	"sort"
	"strings"
)

func helpRoute(routes []Route) Route {
	return Route{
		Kind: Slash, ID: "help", Usage: "help", Help: "Show this help.",
		Handle: func(ctx context.Context, r *Request) (Reply, error) {
			return Reply{Text: HelpText(routes), NoAudit: true}, nil
		},
	}
}

// HelpText lists every slash route with its usage, generated from the table.
func HelpText(routes []Route) string {
	var lines []string
	picker := ""
	for _, rt := range routes {
		if rt.Kind == Slash && rt.ID == "" {
			picker = "• `/pd` — " + rt.Help + "\n"
		}
		if rt.Kind != Slash || rt.ID == "" {
			continue
		}
		lines = append(lines, "• `/pd "+rt.Usage+"` — "+rt.Help)
	}
	sort.Strings(lines)
	return "*pdbot* runs PagerDuty actions from Slack, as you. INC is an incident ID, an incident URL or #NUMBER; leave it out in a channel linked to an incident (`/pd link`) or whose topic names one.\n" +
		picker + "• `/pd help` — Show this help.\n" + strings.Join(filterOut(lines, "`/pd help`"), "\n")
}

func filterOut(lines []string, sub string) []string {
	out := lines[:0:0]
	for _, l := range lines {
		if !strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// All returns every route pdbot serves.
func All() []Route {
	cache := newSuggestCache()
	var rs []Route
	for _, f := range []func() []Route{noteRoutes, noteModalRoutes, statusRoutes, updateRoutes, getRoutes, escalateRoutes, respondersRoutes,
		pickerRoutes, linkRoutes, whoamiRoutes, keyRoutes, mapRoutes} {
		rs = append(rs, f()...)
	}
	rs = append(rs, suggestRoutes(cache)...)
	return append(rs, helpRoute(rs))
}
