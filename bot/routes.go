package bot

import (
	"fmt"
	"strings"

	"github.com/pdbot/pdbot/handlers"
)

// Table is the one route table: slash subcommands, block action IDs, modal
// callback IDs, shortcut callback IDs and suggestion action IDs.
type Table struct {
	byKind map[handlers.Kind]map[string]*handlers.Route
	all    []handlers.Route
}

// NewTable builds the table. It panics on an empty or duplicate ID, or on a
// route that cannot work, so a mistake fails at start-up, not at 3 a.m.
func NewTable(routes []handlers.Route) *Table {
	t := &Table{byKind: map[handlers.Kind]map[string]*handlers.Route{}}
	for i := range routes {
		r := routes[i]
		if r.ID == "" && !(r.Kind == handlers.Slash) {
			panic(fmt.Sprintf("bot: %s route with an empty ID", r.Kind))
		}
		if r.ID != strings.ToLower(r.ID) && r.Kind == handlers.Slash {
			panic(fmt.Sprintf("bot: slash route %q must be lower case", r.ID))
		}
		if r.Handle == nil {
			panic(fmt.Sprintf("bot: %s route %q has no handler", r.Kind, r.ID))
		}
		if r.Kind == handlers.Slash && r.Usage == "" && r.ID != "" {
			panic(fmt.Sprintf("bot: slash route %q has no usage text", r.ID))
		}
		if r.Help == "" {
			panic(fmt.Sprintf("bot: %s route %q has no help text", r.Kind, r.ID))
		}
		if r.Modal && (r.Title == "" || len([]rune(r.Title)) > 24) {
			panic(fmt.Sprintf("bot: modal route %q needs a title of 1..24 characters", r.ID))
		}
		m := t.byKind[r.Kind]
		if m == nil {
			m = map[string]*handlers.Route{}
			t.byKind[r.Kind] = m
		}
		if _, dup := m[r.ID]; dup {
			panic(fmt.Sprintf("bot: duplicate %s route %q", r.Kind, r.ID))
		}
		m[r.ID] = &r
		for _, a := range r.Aliases {
			if r.Kind != handlers.Slash || a == "" || a != strings.ToLower(a) {
				panic(fmt.Sprintf("bot: %s route %q: alias %q must be a lower-case slash word", r.Kind, r.ID, a))
			}
			if _, dup := m[a]; dup {
				panic(fmt.Sprintf("bot: alias %q of %q is taken", a, r.ID))
			}
			m[a] = &r
		}
		t.all = append(t.all, r)
	}
	return t
}

// Lookup finds a route.
func (t *Table) Lookup(k handlers.Kind, id string) (*handlers.Route, bool) {
	r, ok := t.byKind[k][id]
	return r, ok
}

// Routes returns every route, in registration order.
func (t *Table) Routes() []handlers.Route { return append([]handlers.Route(nil), t.all...) }
