package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pdbot/pdbot/store"
)

// rotateKeys re-seals every stored API key under the newest master key
// (the first entry of PDBOT_MASTER_KEY). It returns how many records were
// rewritten; records that do not open are skipped and reported in err.
func rotateKeys(ctx context.Context, cfg Config) (int, error) {
	ring, err := store.ParseKeyRing(cfg.MasterKey.Reveal())
	if err != nil {
		return 0, err
	}
	st, err := store.Open(ctx, cfg.Store.Reveal(), ring)
	if err != nil {
		return 0, storeErr(err)
	}
	defer st.Close()
	return st.Reseal(ctx)
}

// storeErr makes a store error name PDBOT_STORE. The store never puts a
// database password into its errors.
func storeErr(err error) error {
	if strings.HasPrefix(err.Error(), "PDBOT_STORE") {
		return err
	}
	return fmt.Errorf("PDBOT_STORE: %w", err)
}
