package token_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/token"
)

// entraV1 answers like Entra's v1 endpoint: numbers as strings.
func entraV1() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("client_secret") != "example-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"trace_id":"0000","correlation_id":"1111"}`)
			return
		}
		fmt.Fprint(w, `{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","expires_on":"1750000000","resource":"https://graph.microsoft.com","access_token":"eyJ0eXAiOiJKV1Qi.example"}`)
	}))
}

func ExampleNewEntra() {
	srv := entraV1()
	defer srv.Close()

	entra, err := token.NewEntra(token.EntraConfig{
		LoginURL:     srv.URL, // default https://login.microsoftonline.com
		Tenant:       "contoso.onmicrosoft.com",
		ClientID:     "escalator-dev",
		ClientSecret: "example-secret",
		Resource:     "https://graph.microsoft.com",
		Version:      "v1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cache, err := token.NewCache(token.CacheOptions{}) // in-process only
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()

	graph := cache.Source(entra, entra.Identity())
	tok, err := graph.AccessToken(context.Background())
	fmt.Println(tok, err)
	// Output: eyJ0eXAiOiJKV1Qi.example <nil>
}

func ExampleError() {
	srv := entraV1()
	defer srv.Close()
	entra, _ := token.NewEntra(token.EntraConfig{LoginURL: srv.URL, Tenant: "contoso.onmicrosoft.com",
		ClientID: "escalator-dev", ClientSecret: "a-wrong-secret", Resource: "https://graph.microsoft.com"})

	_, err := entra.Fetch(context.Background())
	var te *token.Error
	if errors.As(err, &te) {
		fmt.Println(te.StatusCode, te.Code, te.HasCode(7000215), fault.Classify(err))
	}
	// Output: 401 invalid_client true permanent
}

func ExampleParseKey() {
	_, err := token.ParseKey("c2hvcnQ=")
	fmt.Println(err)
	// Output: token key decodes to 5 bytes, want 32 (e.g. `openssl rand -base64 32`)
}

// A fleet shares tokens through Redis: construct the cache like this in
// every replica, with the same ESCALATOR_TOKEN_KEY.
func ExampleNewCache() {
	key, err := token.ParseKey(os.Getenv("ESCALATOR_TOKEN_KEY"))
	if err != nil {
		key = token.GenerateKey() // what `escalator dev` does
	}
	ring, err := token.NewKeyring(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	if err := token.InstrumentRedis(rdb, nil, nil); err != nil { // statements off
		fmt.Println(err)
		return
	}
	cache, err := token.NewCache(token.CacheOptions{
		Redis:   rdb,
		Keyring: ring,
		Logger:  slog.Default(),
		Skew:    30 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()
	fmt.Println(cache.Status().Backend)
	// Output: redis
}

func ExampleFetcherFunc() {
	cache, _ := token.NewCache(token.CacheOptions{})
	defer cache.Close()
	calls := 0
	src := cache.Source(token.FetcherFunc(func(context.Context) (token.Grant, error) {
		calls++
		return token.Grant{AccessToken: "t", ExpiresIn: time.Hour}, nil
	}), token.Identity{Authority: "https://sim.example", ClientID: "test"})
	for range 3 {
		_, _ = src.AccessToken(context.Background())
	}
	fmt.Println("fetches:", calls)
	// Output: fetches: 1
}
