package pdapi_test

import "github.com/pdbot/pdbot/internal/pdapi/pdapitest"

// The recording fake PagerDuty these tests answer from, shared with the
// other package that calls PagerDuty through pdapi (see pdapitest).
const canaryKey = pdapitest.CanaryKey

type seen = pdapitest.Request

var (
	newFakePD = pdapitest.NewServer
	writeJSON = pdapitest.WriteJSON
	pdError   = pdapitest.Error
	testCtx   = pdapitest.Ctx
)
