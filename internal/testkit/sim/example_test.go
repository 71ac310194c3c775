package sim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// A test points its clients at one httptest server and inspects the result.
func Example() {
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {sim.DefaultClientID},
		"client_secret": {sim.DefaultClientSecret}, "resource": {sim.GraphResource},
	}
	res, err := http.Post(ts.URL+"/"+sim.DefaultTenant+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"` // v1: a string
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()

	req, _ := http.NewRequest("GET", ts.URL+"/v1.0/admin/serviceAnnouncement/issues/"+sim.ExchangeIncidentID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var issue sim.HealthIssue
	_ = json.NewDecoder(res.Body).Decode(&issue)
	res.Body.Close()

	fmt.Println(tok.ExpiresIn, issue.Service, issue.IsResolved)
	fmt.Println(s.Calls("GET /v1.0/admin/serviceAnnouncement/issues/{id}"))
	// Output:
	// 3599 Exchange Online false
	// 1
}
