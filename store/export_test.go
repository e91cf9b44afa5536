package store

import "time"

// Exported for the external tests (package store_test), which cannot reach
// unexported names but must edit raw records.

// RecordKey is recordKey: the bbolt key of a team's channel or user record.
var RecordKey = recordKey

// BoltAPIKeysBucket names the bbolt bucket of sealed API keys.
var BoltAPIKeysBucket = bktAPIKeys

// SetBoltOpenTimeout shortens the lock wait for a test and restores it after.
func SetBoltOpenTimeout(d time.Duration) (restore func()) {
	old := boltOpenTimeout
	boltOpenTimeout = d
	return func() { boltOpenTimeout = old }
}
