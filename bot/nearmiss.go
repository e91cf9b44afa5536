package bot

import (
	"strings"

	"github.com/pdbot/pdbot/handlers"
)

// maxCommandWord bounds the words worth comparing with the subcommands: a
// longer one is no typo of a command (and may be something pasted).
const maxCommandWord = 20

// nearestCommand returns the subcommand (or alias) that word is most likely
// a typo of, when one is close enough: one edit for short words, two for
// words of five letters or more. Ties go to the alphabetically first.
func (t *Table) nearestCommand(word string) (string, bool) {
	word = strings.ToLower(word)
	n := len([]rune(word))
	if n == 0 || n > maxCommandWord {
		return "", false
	}
	limit := 1
	if n >= 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for id := range t.byKind[handlers.Slash] {
		if id == "" {
			continue
		}
		if d := editDistance(word, id); d < bestD || (d == bestD && id < best) {
			best, bestD = id, d
		}
	}
	return best, bestD <= limit
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours ("ntoe")
// cost one each.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
