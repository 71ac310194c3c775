package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// FetchToken asks the simulator at baseURL for a v1 client-credentials
// token of resource (GraphResource, ARMResource), with the default tenant
// and app, the way Escalator's token sources do: what tests of a client
// against the simulator need before their first call.
func FetchToken(baseURL, resource string) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "resource": {resource}}
	res, err := http.Post(baseURL+"/"+DefaultTenant+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("sim token: %w", err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil {
		return "", fmt.Errorf("sim token: %w", err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("sim token: %s answered no access token", res.Status)
	}
	return tok.AccessToken, nil
}
