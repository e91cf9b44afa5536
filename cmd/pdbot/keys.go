package main

import (
	"context"
	"fmt"

	"github.com/pdbot/pdbot/store"
)

// rotateKeys re-seals every stored API key under the newest master key
// (the first entry of PDBOT_MASTER_KEY). It returns how many records were
// rewritten; records that do not open are skipped and reported in err.
func rotateKeys(ctx context.Context, cfg Config) (int, error) {
	st, err := cfg.openStore(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.Reseal(ctx)
}

// keysStatus counts the stored API keys by the master key of
// PDBOT_MASTER_KEY that sealed them, without opening any.
func keysStatus(ctx context.Context, cfg Config) (store.KeyCensus, error) {
	st, err := cfg.openStore(ctx)
	if err != nil {
		return store.KeyCensus{}, err
	}
	defer st.Close()
	return st.KeyCensus(ctx)
}

// censusText is what `pdbot keys status` prints: one line of counts, and a
// second with advice when some keys open under no key of the ring.
func censusText(c store.KeyCensus) string {
	older := fmt.Sprintf("%d under an older one", c.Older)
	switch {
	case c.Older == 1:
		older += " (run pdbot keys rotate, or restart pdbot serve, to re-seal it)"
	case c.Older > 1:
		older = fmt.Sprintf("%d under older ones (run pdbot keys rotate, or restart pdbot serve, to re-seal them)", c.Older)
	}
	s := fmt.Sprintf("%s sealed: %d under the newest master key, %s, %d under no key in PDBOT_MASTER_KEY\n",
		plural(c.Total(), "API key", "API keys"), c.Newest, older, c.Unknown)
	switch {
	case c.Unknown == 1:
		s += "1 API key does not open: put back the master key that sealed it, or set it again with /pd key\n"
	case c.Unknown > 1:
		s += fmt.Sprintf("%d API keys do not open: put back the master key that sealed them, or set them again with /pd key\n", c.Unknown)
	}
	return s
}

// plural is "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
