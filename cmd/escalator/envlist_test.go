package main

import (
	"encoding/json"
	"testing"
)

func TestEnvListsEveryFlagVariable(t *testing.T) {
	out, _, err := runRoot(t, nil, "env")
	if err != nil {
		t.Fatal(err)
	}
	var vars []envVariable
	if err := json.Unmarshal([]byte(out), &vars); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	got := map[string]envVariable{}
	for _, v := range vars {
		got[v.Variable] = v
	}
	// Variables that serve reads, one of a healthcheck, one of dev only.
	for name, command := range map[string]string{
		"ESCALATOR_NATS_URL": "serve", "ESCALATOR_ADMIN_ADDR": "healthcheck",
		"ESCALATOR_CONCURRENCY": "serve", "ESCALATOR_INGEST_TOKENS": "serve",
	} {
		v, ok := got[name]
		if !ok {
			t.Errorf("%s is not listed", name)
			continue
		}
		if !contains(v.Commands, command) {
			t.Errorf("%s lists commands %v, want %s among them", name, v.Commands, command)
		}
	}
	if v := got["ESCALATOR_CONCURRENCY"]; v.Default != "32" || v.Flag != "concurrency" {
		t.Errorf("ESCALATOR_CONCURRENCY: %+v", v)
	}
	// dev listens on loopback, serve on every interface: serve's default.
	if v := got["ESCALATOR_ADMIN_ADDR"]; v.Default != ":9090" {
		t.Errorf("ESCALATOR_ADMIN_ADDR default %q, want serve's :9090", v.Default)
	}
	if !got["ESCALATOR_CLIENT_SECRET"].Secret || !got["ESCALATOR_INGEST_TOKENS"].Secret || got["ESCALATOR_NATS_URL"].Secret {
		t.Error("secret flags are not marked as such")
	}
	if _, ok := got["ESCALATOR_HELP"]; ok {
		t.Error("the help flag is listed")
	}
	// Nested commands are named by their path.
	if v := got["ESCALATOR_NATS_URL"]; !contains(v.Commands, "account link") {
		t.Errorf("ESCALATOR_NATS_URL commands %v lack \"account link\"", v.Commands)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
