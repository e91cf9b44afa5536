package pdapi_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/pdapi"
)

func TestValidIDs(t *testing.T) {
	tests := []struct {
		in               string
		incident, object bool
	}{
		{"PT4KHLK", true, true},
		{"Q1ABCDEFGHIJKL", true, false},
		{"PXPGF42", true, true},
		{"pxpgf42", false, false},
		{"PXPGF4", false, false},
		{"", false, false},
		{"../users", false, false},
		{"PXPGF4\n", false, false},
	}
	for _, tt := range tests {
		got := [2]bool{pdapi.ValidIncidentID(tt.in), pdapi.ValidObjectID(tt.in)}
		if want := [2]bool{tt.incident, tt.object}; got != want {
			t.Errorf("%q: ValidIncidentID, ValidObjectID = %v, want %v", tt.in, got, want)
		}
	}
}

// TestIDChecksMatchPatterns checks the hand-written ID and segment checks
// against the regular expressions they replace, on every short string over a
// small alphabet and on random longer ones around the length limits.
func TestIDChecksMatchPatterns(t *testing.T) {
	checks := []struct {
		name    string
		check   func(string) bool
		pattern *regexp.Regexp
	}{
		{"ValidIncidentID", pdapi.ValidIncidentID, regexp.MustCompile(`^(P[A-Z0-9]{6}|Q[A-Z0-9]{13})$`)},
		{"ValidObjectID", pdapi.ValidObjectID, regexp.MustCompile(`^P[A-Z0-9]{6}$`)},
		{"validSegment", pdapi.ValidSegment, regexp.MustCompile(`^([a-z][a-z_]{0,63}|[A-Z0-9]{1,20})$`)},
	}
	alphabet := []string{"P", "Q", "a", "z", "_", "A", "Z", "0", "9", "/", ".", "%", " ", "\n", "é", "-"}
	var inputs []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := []int{6, 7, 8, 13, 14, 15, 19, 20, 21, 63, 64, 65}[rng.IntN(12)]
		var b strings.Builder
		first := []string{"P", "Q", "a", "A"}[rng.IntN(4)]
		b.WriteString(first)
		for b.Len() < n {
			// Mostly characters that keep the string valid, so the length
			// limits are what decide.
			if rng.IntN(50) == 0 {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else if first == "a" {
				b.WriteString([]string{"a", "z", "_"}[rng.IntN(3)])
			} else {
				b.WriteString([]string{"A", "Z", "0", "9"}[rng.IntN(4)])
			}
		}
		inputs = append(inputs, b.String())
	}
	for _, c := range checks {
		for _, in := range inputs {
			if got, want := c.check(in), c.pattern.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the pattern says %v", c.name, in, got, want)
			}
		}
	}
}
