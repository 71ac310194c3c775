package escalation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// directoryMaxAnswer bounds one Graph answer; a page of memberOf is small.
const directoryMaxAnswer = 4 << 20

// directoryMaxPages bounds how many memberOf pages are followed, so that a
// misbehaving nextLink cannot loop forever.
const directoryMaxPages = 100

// userSelect is what LookupUser asks for: the default properties lack
// accountEnabled and usageLocation.
const userSelect = "id,userPrincipalName,displayName,mail,givenName,surname,accountEnabled," +
	"jobTitle,mobilePhone,businessPhones,preferredLanguage,usageLocation"

// ErrUserNotFound is returned (wrapped) when Graph has no such user. It is
// permanent.
var ErrUserNotFound = errors.New("user not found in the directory")

// DirectoryConfig configures NewDirectory.
type DirectoryConfig struct {
	// GraphURL is Microsoft Graph's root. Default https://graph.microsoft.com.
	GraphURL string
	// Tokens supplies Graph access tokens (internal/token implements it);
	// required. The application needs User.Read.All (and
	// RoleManagement.Read.Directory or Directory.Read.All for memberOf).
	Tokens outbound.TokenSource
	// HTTPClient defaults to outbound.NewClient(outbound.Options{Name: "graph"}).
	HTTPClient *http.Client
}

// Directory reads users and their directory roles from Microsoft Graph: it
// checks the Microsoft 365 admin account before it is linked as the contact
// of support cases.
type Directory struct {
	graph    *url.URL
	graphAPI outbound.Caller
}

// User is a Microsoft Entra user.
type User struct {
	ID                string   `json:"id"`
	UserPrincipalName string   `json:"userPrincipalName"`
	DisplayName       string   `json:"displayName"`
	Mail              string   `json:"mail"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	AccountEnabled    bool     `json:"accountEnabled"`
	JobTitle          string   `json:"jobTitle"`
	MobilePhone       string   `json:"mobilePhone"`
	BusinessPhones    []string `json:"businessPhones"`
	PreferredLanguage string   `json:"preferredLanguage"`
	// UsageLocation is a two-letter country code (ISO 3166-1), may be empty.
	UsageLocation string `json:"usageLocation"`
}

// Role is an activated directory role the user is a direct member of.
type Role struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	Description    string `json:"description"`
	RoleTemplateID string `json:"roleTemplateId"`
}

// NewDirectory validates cfg and returns a Directory.
func NewDirectory(cfg DirectoryConfig) (*Directory, error) {
	raw := cfg.GraphURL
	if raw == "" {
		raw = "https://graph.microsoft.com"
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("directory: Graph URL %q must be an absolute http(s) URL such as https://graph.microsoft.com", cfg.GraphURL)
	}
	if cfg.Tokens == nil {
		return nil, errors.New("directory: a token source for Microsoft Graph is required")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = outbound.NewClient(outbound.Options{Name: "graph"})
	}
	return &Directory{graph: u, graphAPI: outbound.Caller{
		Client: hc, Tokens: cfg.Tokens, Peer: "graph", MaxBody: directoryMaxAnswer, NotFound: ErrUserNotFound,
	}}, nil
}

// LookupUser reads the user upn (a user principal name or an object id).
// A user that does not exist is ErrUserNotFound.
func (d *Directory) LookupUser(ctx context.Context, upn string) (User, error) {
	if strings.TrimSpace(upn) == "" {
		return User{}, fault.Permanentf("look up user: empty user principal name")
	}
	target := d.endpoint([]string{"v1.0", "users", upn}, url.Values{"$select": {userSelect}})
	data, err := d.get(ctx, target)
	if err != nil {
		return User{}, fmt.Errorf("look up user %s: %w", upn, err)
	}
	var u User
	if err := json.Unmarshal(data, &u); err != nil {
		return User{}, fmt.Errorf("look up user %s: decode: %w", upn, fault.AsPermanent(err))
	}
	if u.ID == "" {
		return User{}, fmt.Errorf("look up user %s: %w", upn, fault.Permanentf("answer has no id"))
	}
	return u, nil
}

// DirectoryRoles lists the directory roles userID is a direct member of,
// following @odata.nextLink; groups and administrative units are skipped.
func (d *Directory) DirectoryRoles(ctx context.Context, userID string) ([]Role, error) {
	if strings.TrimSpace(userID) == "" {
		return nil, fault.Permanentf("list directory roles: empty user id")
	}
	roles := []Role{}
	next := d.endpoint([]string{"v1.0", "users", userID, "memberOf"}, nil)
	for page := 0; next != ""; page++ {
		if page == directoryMaxPages {
			return nil, fault.Permanentf("list directory roles of %s: more than %d pages", userID, directoryMaxPages)
		}
		data, err := d.get(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("list directory roles of %s: %w", userID, err)
		}
		var p memberOfPage
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("list directory roles of %s: decode: %w", userID, fault.AsPermanent(err))
		}
		for _, m := range p.Value {
			if m.ODataType == "#microsoft.graph.directoryRole" {
				roles = append(roles, m.Role)
			}
		}
		next = p.NextLink
		if next != "" {
			if err := d.sameOrigin(next); err != nil {
				return nil, fmt.Errorf("list directory roles of %s: %w", userID, err)
			}
		}
	}
	return roles, nil
}

type memberOfPage struct {
	Value []struct {
		ODataType string `json:"@odata.type"`
		Role
	} `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// sameOrigin refuses a nextLink that would carry the Graph token to another
// host.
func (d *Directory) sameOrigin(link string) error {
	u, err := url.Parse(link)
	if err != nil || !outbound.SameOrigin(d.graph, u) {
		return fault.Permanentf("next page link %q is not on %s", link, d.graph.Host)
	}
	return nil
}

// endpoint joins escaped path segments to the Graph root.
func (d *Directory) endpoint(segments []string, q url.Values) string {
	u := *d.graph
	var path, raw strings.Builder
	path.WriteString(d.graph.Path)
	raw.WriteString(d.graph.EscapedPath())
	for _, s := range segments {
		path.WriteString("/" + s)
		raw.WriteString("/" + url.PathEscape(s))
	}
	u.Path, u.RawPath = path.String(), raw.String()
	u.RawQuery = q.Encode()
	return u.String()
}

// get sends an authenticated GET and returns the bounded body of a 2xx; a
// 404 matches ErrUserNotFound.
func (d *Directory) get(ctx context.Context, target string) ([]byte, error) {
	req, err := outbound.NewJSONRequest(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	ans, err := d.graphAPI.Send(req)
	return ans.Body, err
}
