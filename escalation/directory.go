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
	"github.com/escalator/escalator/internal/graph"
	"github.com/escalator/escalator/internal/outbound"
)

// directoryMaxAnswer bounds one Graph answer; a page of memberOf is small.
const directoryMaxAnswer = 4 << 20

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
	graph *graph.Client
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
	g, err := graph.New(graph.Config{URL: cfg.GraphURL, Tokens: cfg.Tokens, HTTPClient: cfg.HTTPClient,
		MaxBody: directoryMaxAnswer, NotFound: ErrUserNotFound})
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return &Directory{graph: g}, nil
}

// LookupUser reads the user upn (a user principal name or an object id).
// A user that does not exist is ErrUserNotFound.
func (d *Directory) LookupUser(ctx context.Context, upn string) (User, error) {
	if strings.TrimSpace(upn) == "" {
		return User{}, fault.Permanentf("look up user: empty user principal name")
	}
	target := d.graph.Endpoint([]string{"v1.0", "users", upn}, url.Values{"$select": {userSelect}})
	data, err := d.graph.Get(ctx, target)
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
	first := d.graph.Endpoint([]string{"v1.0", "users", userID, "memberOf"}, nil)
	err := d.graph.Pages(ctx, first, func(data []byte) (string, error) {
		var p memberOfPage
		if err := json.Unmarshal(data, &p); err != nil {
			return "", fmt.Errorf("decode: %w", fault.AsPermanent(err))
		}
		for _, m := range p.Value {
			if m.ODataType == "#microsoft.graph.directoryRole" {
				roles = append(roles, m.Role)
			}
		}
		return p.NextLink, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list directory roles of %s: %w", userID, err)
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
