// Package storetest is the conformance suite every store.Store backend runs,
// so that bbolt and PostgreSQL behave the same to the rest of pdbot.
//
// A backend test calls Run with a function that opens a new, empty store
// owned by the test, and one that reopens the same storage under another
// master key ring (for the key-rotation case):
//
//	storetest.Run(t, openFresh, reopen)
//
// The suite covers LiveStore too; TakeAtOnce races holders on one or more
// stores (replicas) for a lease, for a backend's own tests.
//
// It also gives any package's tests a PostgreSQL schema of their own
// (PostgresSchema), skipping with a message when PDBOT_TEST_POSTGRES is
// unset. It owns no production code and must not be imported outside tests.
package storetest
