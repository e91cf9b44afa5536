package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestComposeFile: docker-compose.yml (two replicas on PostgreSQL) sets only
// variables pdbot reads, gives both replicas the same configuration and a
// postgres:// store, and passes the secrets through from the environment
// rather than holding them. (Docker itself is not on CI's machines; this
// checks what `docker compose config` cannot catch anyway.)
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Environment map[string]string `json:"environment"`
			Build       string            `json:"build"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	known := map[string]bool{}
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		if v, ok := ct.Field(i).Tag.Lookup("env"); ok {
			known[v] = true
		}
	}
	var replicas []string
	for name, s := range f.Services {
		if s.Build == "" {
			continue
		}
		replicas = append(replicas, name)
		for k, v := range s.Environment {
			if !known[k] {
				t.Errorf("%s sets %s, which pdbot does not read", name, k)
			}
			if (k == "SLACK_APP_TOKEN" || k == "SLACK_BOT_TOKEN" || k == "PDBOT_MASTER_KEY") && !strings.HasPrefix(v, "${") {
				t.Errorf("%s holds %s in the file; pass it from the environment", name, k)
			}
		}
		if st := s.Environment["PDBOT_STORE"]; !strings.HasPrefix(st, "postgres://") {
			t.Errorf("%s: PDBOT_STORE %q, want a postgres:// URL shared by the replicas", name, st)
		}
	}
	if len(replicas) < 2 {
		t.Fatalf("pdbot services %v, want two replicas", replicas)
	}
	if !reflect.DeepEqual(f.Services[replicas[0]].Environment, f.Services[replicas[1]].Environment) {
		t.Errorf("the replicas' configurations differ")
	}
}
