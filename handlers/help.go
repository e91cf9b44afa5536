package handlers

import (
	"context"
	"slices"
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

// HelpText lists every slash route with its usage, generated from the
// table: the incident actions first, then the commands about the channel
// and the requester, then the admin commands in a section of their own.
func HelpText(routes []Route) string {
	var actions, setup, admin []string
	picker := ""
	for _, rt := range routes {
		if rt.Kind != Slash {
			continue
		}
		if rt.ID == "" {
			picker = "• `/pd` — " + rt.Help + "\n"
			continue
		}
		line := "• `/pd " + rt.Usage + "` — " + rt.Help
		if len(rt.Aliases) > 0 {
			line += " Also `/pd " + strings.Join(rt.Aliases, "`, `/pd ") + "`."
		}
		switch {
		case rt.AdminOnly:
			admin = append(admin, line)
		case rt.NoGuests || rt.Incident == NoIncident || rt.Incident == ChannelIncident:
			setup = append(setup, line)
		default:
			actions = append(actions, line)
		}
	}
	if !slices.ContainsFunc(routes, func(rt Route) bool { return rt.Kind == Slash && rt.ID == "help" }) {
		setup = append(setup, "• `/pd help` — Show this help.") // All builds it from the others
	}
	for _, ls := range [][]string{actions, setup, admin} {
		sort.Strings(ls)
	}
	var b strings.Builder
	b.WriteString("*pdbot* runs PagerDuty actions from Slack, as you. INC is an incident ID, an incident URL or #NUMBER (`/pd get 43` takes a bare number too); leave it out in a channel linked to an incident (`/pd link`) or whose topic names one.\n")
	b.WriteString("*Incident actions*\n" + picker + strings.Join(actions, "\n"))
	if len(setup) > 0 {
		b.WriteString("\n*This channel and you*\n" + strings.Join(setup, "\n"))
	}
	if len(admin) > 0 {
		b.WriteString("\n*For admins* (workspace admins and owners, and PDBOT_ADMINS)\n" + strings.Join(admin, "\n"))
	}
	return b.String()
}

// All returns every route pdbot serves.
func All() []Route {
	cache := newSuggestCache()
	looks := newLookups()
	var rs []Route
	for _, f := range []func() []Route{noteRoutes, noteModalRoutes, statusRoutes, updateRoutes, getRoutes,
		func() []Route { return escalateRoutes(looks) }, respondersRoutes,
		snoozeRoutes, func() []Route { return priorityRoutes(looks) }, mergeRoutes, statusUpdateRoutes,
		pickerRoutes, linkRoutes, shareRoutes, subscribeRoutes, triggerRoutes, openListRoutes, whoamiRoutes, keyRoutes, mapRoutes} {
		rs = append(rs, f()...)
	}
	rs = append(rs, oncallRoutes(newOncallCaches())...)
	rs = append(rs, workflowRoutes(newWorkflowCache())...)
	rs = append(rs, suggestRoutes(cache)...)
	rs = append(rs, incidentPickRoutes(cache)...)
	return append(rs, helpRoute(rs))
}
