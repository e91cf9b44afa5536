package bot

import (
	"context"
	"testing"

	"github.com/pdbot/pdbot/handlers"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"note", "note", 0}, {"ntoe", "note", 1}, {"nte", "note", 1}, {"notes", "note", 1},
		{"acknowlege", "acknowledge", 1}, {"reslove", "resolve", 1}, {"", "ack", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNearestCommand(t *testing.T) {
	tbl := NewTable(handlers.All())
	for word, want := range map[string]string{
		"ntoe": "note", "NTOE": "note", "acknowlege": "acknowledge", "resovle": "resolve", "whomai": "whoami",
		"escalte": "escalate", "gte": "get", "xyzzy": "", "u+pastedkeycanary99": "", "": "",
		"abcdefghijklmnopqrstuvwxyz": "",
	} {
		got, ok := tbl.nearestCommand(word)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("nearestCommand(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestRouteTableRefusesBadAliases(t *testing.T) {
	route := func(id string, aliases ...string) handlers.Route {
		return handlers.Route{Kind: handlers.Slash, ID: id, Usage: id, Help: id, Aliases: aliases,
			Handle: func(context.Context, *handlers.Request) (handlers.Reply, error) { return handlers.Reply{}, nil }}
	}
	for name, routes := range map[string][]handlers.Route{
		"alias of another route": {route("ack"), route("note", "ack")},
		"route after an alias":   {route("note", "ack"), route("ack")},
		"alias twice":            {route("ack", "a"), route("note", "a")},
		"upper case":             {route("ack", "Acknowledge")},
		"empty":                  {route("ack", "")},
		"not slash":              {func() handlers.Route { r := route("x", "y"); r.Kind = handlers.Action; return r }()},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewTable did not panic")
				}
			}()
			NewTable(routes)
		})
	}
	tbl := NewTable([]handlers.Route{route("ack", "acknowledge")})
	if r, ok := tbl.Lookup(handlers.Slash, "acknowledge"); !ok || r.ID != "ack" {
		t.Errorf("alias lookup: %v %v", r, ok)
	}
	if n := len(tbl.Routes()); n != 1 {
		t.Errorf("Routes() lists %d routes, want the aliased one once", n)
	}
}
