//go:build tools

// Package tools pins the chosen dependencies while the packages that use
// them are being written; go mod tidy keeps whatever this file imports.
package tools

import (
	_ "github.com/PagerDuty/go-pagerduty"
	_ "github.com/caarlos0/env/v10"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/getkin/kin-openapi/routers/gorillamux"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/gorilla/websocket"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/socketmode"
	_ "go.etcd.io/bbolt"
	_ "go.uber.org/zap"
	_ "go.uber.org/zap/zaptest/observer"
	_ "golang.org/x/time/rate"
	_ "sigs.k8s.io/yaml"
)
