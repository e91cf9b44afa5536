package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// maxTargets bounds how many users or policies one command may name.
const maxTargets = 20

// resolveUser turns a Slack mention, a PagerDuty email or a PagerDuty user ID
// into a PagerDuty user.
func resolveUser(ctx context.Context, r *Request, spec string) (Actor, error) {
	spec = strings.TrimSpace(spec)
	if m := mentionRe.FindStringSubmatch(spec); m != nil {
		a, err := r.Slack.Actor(ctx, m[1], r.PD)
		var ue *UserError
		if errors.As(err, &ue) {
			return Actor{}, Userf("pdbot cannot tell who <@%s> is in PagerDuty; give their PagerDuty email instead.", m[1])
		}
		return a, err
	}
	if pdapi.ValidObjectID(spec) {
		// PagerDuty checks the ID when it gets the write; no lookup needed.
		return Actor{ID: spec, Name: spec}, nil
	}
	return findPDUser(ctx, r, spec)
}

// resolveUsers resolves a comma-separated (or repeated) list of users.
func resolveUsers(ctx context.Context, r *Request, specs []string) ([]Actor, error) {
	if len(specs) > maxTargets {
		return nil, Userf("That is %d people; name at most %d at once.", len(specs), maxTargets)
	}
	var out []Actor
	seen := map[string]bool{}
	for _, s := range specs {
		a, err := resolveUser(ctx, r, s)
		if err != nil {
			return nil, err
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// resolvePolicy finds an escalation policy by ID or by name: an exact
// (case-insensitive) name first, else the only partial match; several
// partial matches are listed back to the requester.
func resolvePolicy(ctx context.Context, r *Request, spec string) (id, name string, err error) {
	spec = strings.Trim(strings.TrimSpace(FromSlack(spec)), `"“”`)
	if pdapi.ValidObjectID(spec) {
		return spec, spec, nil
	}
	if spec == "" || len(spec) > 200 {
		return "", "", Userf("Name an escalation policy (its name or ID).")
	}
	if LooksLikeSecret(spec) {
		return "", "", Userf("That looks like an API key, not a policy name, so pdbot did not look it up. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
	}
	ps, _, err := r.PD.SearchPolicies(ctx, spec, maxOptions)
	if err != nil {
		return "", "", err
	}
	var partial []pagerduty.EscalationPolicy
	for _, p := range ps {
		if strings.EqualFold(p.Name, spec) {
			return p.ID, p.Name, nil
		}
		partial = append(partial, p)
	}
	switch len(partial) {
	case 0:
		return "", "", Userf("No escalation policy has that name. Check the spelling, or run `/pd escalate` alone to pick one from a list.")
	case 1:
		return partial[0].ID, partial[0].Name, nil
	}
	var names []string
	for i, p := range partial {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(partial)-5))
			break
		}
		names = append(names, "“"+Escape(p.Name)+"” ("+p.ID+")")
	}
	return "", "", Userf("Several escalation policies match: %s. Give the exact name or the ID.", strings.Join(names, ", "))
}

// splitList splits "a,b, c" into its items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// kvArgs parses `key=value` arguments. A value may be quoted
// (policy="Database On-Call"), the free-text key (e.g. resolution) takes the
// words that follow it, and words that are not key=value go to rest. A
// quoted "key=value" is text. An unclosed quote is an error rather than a
// guess that could swallow later arguments.
func kvArgs(s string, keys map[string]bool, textKey string) (map[string][]string, string, error) {
	words, err := splitQuoted(s)
	if err != nil {
		return nil, "", err
	}
	out := map[string][]string{}
	var rest []string
	cur := ""
	for _, w := range words {
		k, v, ok := strings.Cut(w.text, "=")
		if ok && !w.quoted && keys[strings.ToLower(k)] {
			k = strings.ToLower(k)
			out[k] = append(out[k], v)
			cur = k
			continue
		}
		text := w.text
		if w.quoted {
			text = `"` + text + `"` // free text keeps the user's quotes
		}
		if cur == textKey && textKey != "" {
			n := len(out[cur]) - 1
			out[cur][n] = strings.TrimSpace(out[cur][n] + " " + text)
			continue
		}
		rest = append(rest, text)
	}
	return out, strings.Join(rest, " "), nil
}

type word struct {
	text   string
	quoted bool // the whole word was quoted: it is text, never key=value
}

func isQuote(c rune) bool { return c == '"' || c == '“' || c == '”' }

// splitQuoted splits on white space. A quote that opens a word or a value
// (right after "=") groups words until the closing quote and is dropped;
// any other quote is part of the text.
func splitQuoted(s string) ([]word, error) {
	var out []word
	var b strings.Builder
	inQuote, quoted := false, false
	flush := func() {
		if b.Len() > 0 {
			out = append(out, word{text: b.String(), quoted: quoted})
		}
		b.Reset()
		quoted = false
	}
	for _, c := range s {
		switch {
		case inQuote && isQuote(c):
			inQuote = false
		case !inQuote && isQuote(c) && b.Len() == 0:
			inQuote, quoted = true, true
		case !inQuote && isQuote(c) && strings.HasSuffix(b.String(), "="):
			inQuote = true
		case !inQuote && (c == ' ' || c == '\n' || c == '\t'):
			flush()
		default:
			b.WriteRune(c)
		}
	}
	if inQuote {
		return nil, Userf("A quote is not closed. Put quotes around a whole value, like `policy=\"Database On-Call\"`.")
	}
	flush()
	return out, nil
}
