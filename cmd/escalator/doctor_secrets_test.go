package main

import (
	"encoding/base64"
	"maps"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/testkit/loopback"
)

// Distinctive values of every secret variable, none of which any output may
// show.
const (
	leakEntraSecret  = "leak-entra-secret-4f9a"
	leakSnowSecret   = "leak-snow-secret-77c1"
	leakSnowPassword = "leak-snow-password-5d2e"
	leakRedisPass    = "leak-redis-pw-0b3e"
	leakRedisQuery   = "leak-redis-qpw-91aa"
	leakNATSPass     = "leak-nats-pw-3c4d"
	leakNATSToken    = "leak-nats-token-8e8e"
	leakIngestToken  = "leak-ingest-token-aaaaaaaa"
	leakShortToken   = "leak-short"
	leakURLPass      = "leak-url-pw-6a6a"
	leakSigning      = "leak-signing-secret-c0c0c0c0"
)

var (
	// leakTokenKey is a valid key (base64 of 32 bytes), leakBadKey one of
	// the wrong length.
	leakTokenKey = base64.StdEncoding.EncodeToString([]byte("leak-token-key-0123456789abcdef!"))
	leakBadKey   = base64.StdEncoding.EncodeToString([]byte("leak-token-key-too-short"))
)

func leakedSecrets() []string {
	return []string{leakEntraSecret, leakSnowSecret, leakSnowPassword, leakRedisPass, leakRedisQuery,
		leakNATSPass, leakNATSToken, leakIngestToken, leakShortToken, leakURLPass, leakSigning, leakTokenKey, leakBadKey}
}

func assertNoSecret(t *testing.T, where, out string) {
	t.Helper()
	for _, s := range leakedSecrets() {
		if strings.Contains(out, s) {
			t.Errorf("%s shows the secret %q:\n%s", where, s, out)
		}
	}
}

// TestDoctorNeverPrintsSecrets runs doctor against misconfigurations in
// which every secret variable has a distinctive value — wrong secrets,
// URLs that do not parse, unreachable servers with credentials in their
// URLs — and wants none of the values in its text or JSON output.
func TestDoctorNeverPrintsSecrets(t *testing.T) {
	base := doctorEnv(t)
	redisHost := strings.TrimPrefix(base["ESCALATOR_REDIS_URL"], "redis://")
	unreachable := loopback.Free(t)
	tests := []struct {
		name   string
		change map[string]string
		// mention must appear in the output: the misconfiguration was seen.
		mention []string
	}{
		{
			name: "wrong secrets",
			change: map[string]string{
				"ESCALATOR_CLIENT_SECRET":            leakEntraSecret,
				"ESCALATOR_SERVICENOW_CLIENT_SECRET": leakSnowSecret,
				"ESCALATOR_REDIS_URL":                "redis://doctor:" + leakRedisPass + "@" + redisHost,
				"ESCALATOR_TOKEN_KEY":                leakTokenKey,
				"ESCALATOR_INGEST_TOKENS":            leakIngestToken + ", " + leakShortToken,
				"ESCALATOR_INGEST_SIGNING_SECRETS":   leakSigning + ", short",
			},
			mention: []string{"AADSTS7000215", "access_denied", "redis://doctor:xxxxx@", "ESCALATOR_INGEST_TOKENS has a token shorter"},
		},
		{
			name: "URLs that do not parse",
			change: map[string]string{
				"ESCALATOR_REDIS_URL":      "redis://doctor:" + leakRedisPass + "@127.0.0.1:notaport",
				"ESCALATOR_NATS_URL":       "nats://natsuser:" + leakNATSPass + "@127.0.0.1:notaport",
				"ESCALATOR_SERVICENOW_URL": "snowuser:" + leakURLPass + "@contoso.service-now.com",
				"ESCALATOR_TOKEN_KEY":      leakBadKey,
				"ESCALATOR_INGEST_TOKENS":  leakIngestToken + ",,",
			},
			mention: []string{"ESCALATOR_REDIS_URL is", "ESCALATOR_NATS_URL has an invalid URL", "ESCALATOR_SERVICENOW_URL is", "ESCALATOR_TOKEN_KEY is not base64", "ESCALATOR_INGEST_TOKENS has an empty entry"},
		},
		{
			name: "unreachable servers with credentials",
			change: map[string]string{
				"ESCALATOR_NATS_URL": "nats://natsuser:" + leakNATSPass + "@" + unreachable,
				// Sentinel, asked of a Redis that is none.
				"ESCALATOR_REDIS_URL":                "redis://" + redisHost + "?master_name=m&password=" + leakRedisQuery,
				"ESCALATOR_TOKEN_KEY":                leakTokenKey,
				"ESCALATOR_LOGIN_URL":                "http://loginuser:" + leakURLPass + "@" + unreachable,
				"ESCALATOR_SERVICENOW_CLIENT_ID":     "",
				"ESCALATOR_SERVICENOW_CLIENT_SECRET": "",
				"ESCALATOR_SERVICENOW_USER":          "admin",
				"ESCALATOR_SERVICENOW_PASSWORD":      leakSnowPassword,
			},
			mention: []string{"cannot connect to NATS at nats://natsuser:xxxxx@", "password=xxxxx", "loginuser:xxxxx@"},
		},
		{
			name: "credentials in URLs without a scheme",
			change: map[string]string{
				"ESCALATOR_NATS_URL":  "nats://" + leakNATSToken + "@" + unreachable,
				"ESCALATOR_REDIS_URL": "doctor:" + leakRedisPass + "@" + redisHost,
				"ESCALATOR_TOKEN_KEY": leakTokenKey,
				"ESCALATOR_GRAPH_URL": "graphuser:" + leakURLPass + "@graph.microsoft.com",
			},
			mention: []string{"nats://xxxxx@", "ESCALATOR_REDIS_URL is \"xxxxx@", "ESCALATOR_GRAPH_URL is \"xxxxx@graph.microsoft.com\""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envm := maps.Clone(base)
			maps.Copy(envm, tt.change)
			var all string
			for _, args := range [][]string{nil, {"-o", "json"}} {
				out, err := runDoctorCmd(t, envm, args...)
				if !isExit(err, 1) {
					t.Fatalf("doctor %v: err = %v, want exit 1\n%s", args, err, out)
				}
				assertNoSecret(t, "doctor "+strings.Join(args, " "), out)
				all += out
			}
			for _, want := range tt.mention {
				if !strings.Contains(all, want) && !strings.Contains(all, strings.ReplaceAll(want, `"`, `\"`)) {
					t.Errorf("output lacks %q:\n%s", want, all)
				}
			}
		})
	}
}

// TestStartErrorsNeverEchoSecrets: the one line serve and dev print on a
// bad start quotes no secret, whichever setting is wrong.
func TestStartErrorsNeverEchoSecrets(t *testing.T) {
	good := serveEnv("nats://" + loopback.Free(t))
	good["ESCALATOR_CLIENT_SECRET"] = leakEntraSecret
	good["ESCALATOR_SERVICENOW_CLIENT_SECRET"] = leakSnowSecret
	good["ESCALATOR_INGEST_TOKENS"] = leakIngestToken
	tests := []struct {
		name, variable string
		env            map[string]string
		args           []string
	}{
		{"NATS URL that does not parse", "ESCALATOR_NATS_URL", map[string]string{"ESCALATOR_NATS_URL": "nats://u:" + leakNATSPass + "@127.0.0.1:notaport"}, nil},
		{"NATS unreachable with a password", "ESCALATOR_NATS_URL", map[string]string{"ESCALATOR_NATS_URL": "nats://u:" + leakNATSPass + "@" + loopback.Free(t)}, nil},
		{"NATS unreachable with a token", "ESCALATOR_NATS_URL", map[string]string{"ESCALATOR_NATS_URL": "nats://" + leakNATSToken + "@" + loopback.Free(t)}, nil},
		{"Redis URL that does not parse", "ESCALATOR_REDIS_URL", map[string]string{"ESCALATOR_REDIS_URL": "redis://u:" + leakRedisPass + "@127.0.0.1:notaport", "ESCALATOR_TOKEN_KEY": leakTokenKey}, nil},
		{"Redis URL without a scheme", "ESCALATOR_REDIS_URL", map[string]string{"ESCALATOR_REDIS_URL": "u:" + leakRedisPass + "@127.0.0.1:6379", "ESCALATOR_TOKEN_KEY": leakTokenKey}, nil},
		{"Redis URL with a bad query", "ESCALATOR_REDIS_URL", map[string]string{"ESCALATOR_REDIS_URL": "redis://h:1?password=" + leakRedisQuery + "&db=x", "ESCALATOR_TOKEN_KEY": leakTokenKey}, nil},
		{"token key of the wrong length", "ESCALATOR_TOKEN_KEY", map[string]string{"ESCALATOR_REDIS_URL": "redis://127.0.0.1:1", "ESCALATOR_TOKEN_KEY": leakBadKey}, nil},
		{"ServiceNow URL without a scheme", "ESCALATOR_SERVICENOW_URL", map[string]string{"ESCALATOR_SERVICENOW_URL": "u:" + leakURLPass + "@contoso.service-now.com"}, nil},
		{"ServiceNow URL without a scheme, ingest only", "ESCALATOR_SERVICENOW_URL", map[string]string{"ESCALATOR_SERVICENOW_URL": "u:" + leakURLPass + "@contoso.service-now.com"}, []string{"serve", "--worker=false"}},
		{"login URL without a scheme", "ESCALATOR_LOGIN_URL", map[string]string{"ESCALATOR_LOGIN_URL": "u:" + leakURLPass + "@login.microsoftonline.com"}, nil},
		{"empty ingest token", "ESCALATOR_INGEST_TOKENS", map[string]string{"ESCALATOR_INGEST_TOKENS": leakIngestToken + ",," + leakShortToken}, nil},
		{"short ingest token", "ESCALATOR_INGEST_TOKENS", map[string]string{"ESCALATOR_INGEST_TOKENS": leakIngestToken + "," + leakShortToken}, nil},
		{"empty signing secret", "ESCALATOR_INGEST_SIGNING_SECRETS", map[string]string{"ESCALATOR_INGEST_SIGNING_SECRETS": leakSigning + ","}, nil},
		{"dev: empty ingest token", "ESCALATOR_INGEST_TOKENS", nil, []string{"dev", "--data", t.TempDir(), "--ingest-tokens", leakIngestToken + ","}},
		{"dev: short ingest token", "ESCALATOR_INGEST_TOKENS", nil, []string{"dev", "--data", t.TempDir(), "--ingest-tokens", leakShortToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envm := maps.Clone(good)
			maps.Copy(envm, tt.env)
			args := tt.args
			if args == nil {
				args = []string{"serve"}
			}
			stdout, stderr, err := runRoot(t, envm, args...)
			if err == nil {
				t.Fatal("started")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.variable) || strings.Contains(msg, "\n") {
				t.Errorf("want one line naming %s, got %q", tt.variable, msg)
			}
			assertNoSecret(t, "the error", msg)
			assertNoSecret(t, "stdout and stderr", stdout+stderr)
		})
	}
}
