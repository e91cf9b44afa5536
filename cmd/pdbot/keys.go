package main

import (
	"context"
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
