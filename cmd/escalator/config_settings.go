package main

import "github.com/escalator/escalator/internal/token"

// setting is a variable that must be set, and how to set it: the one text
// that the start-up checks and `escalator doctor` (which lists every unset
// one) both give.
type setting struct{ variable, fix string }

// The settings more than one command requires.
var (
	settingTenant       = setting{"ESCALATOR_TENANT", "set it to your tenant domain, e.g. contoso.onmicrosoft.com"}
	settingClientID     = setting{"ESCALATOR_CLIENT_ID", "set it to the Application (client) ID of the Entra app registration"}
	settingClientSecret = setting{"ESCALATOR_CLIENT_SECRET", "set it (or ESCALATOR_CLIENT_SECRET_FILE) to the secret's Value, not its ID"}
	settingSubscription = setting{"ESCALATOR_AZURE_SUBSCRIPTION_ID", "set it to the Azure subscription the support tickets are filed under"}
	settingServiceID    = setting{"ESCALATOR_SUPPORT_SERVICE_ID", "list the ids with GET /providers/Microsoft.Support/services, or set any value and run `escalator doctor`, which lists some"}
	settingProblemClass = setting{"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID", "list the ids with GET /providers/Microsoft.Support/services/{id}/problemClassifications"}
	settingServiceNow   = setting{"ESCALATOR_SERVICENOW_URL", "set it to your instance, e.g. https://contoso.service-now.com"}
)

// notSet is the error of s left unset.
func (s setting) notSet() error { return configError(s.variable, "is not set", s.fix) }

// required is a setting and its value.
type required struct {
	setting
	value string
}

// requireSet names the first unset variable and its fix.
func requireSet(vars ...required) error {
	for _, r := range vars {
		if r.value == "" {
			return r.notSet()
		}
	}
	return nil
}

// tokenKeyFix is how to make an ESCALATOR_TOKEN_KEY.
const tokenKeyFix = "generate one with `head -c 32 /dev/urandom | base64`"

// key decodes the token key (token.ParseKey: the one rule of what a key
// is); an empty key is allowed only without Redis.
func (c *redisConfig) key() ([]byte, error) {
	if c.TokenKey == "" {
		if c.URL != "" {
			return nil, configError("ESCALATOR_TOKEN_KEY", "is not set but ESCALATOR_REDIS_URL is", tokenKeyFix+" and give every replica the same value")
		}
		return nil, nil
	}
	k, err := token.ParseKey(c.TokenKey)
	if err != nil {
		return nil, configError("ESCALATOR_TOKEN_KEY", "is not base64 of 32 bytes", tokenKeyFix)
	}
	return k, nil
}

// keyring is the token cache's keyring over the key: nil without Redis,
// where no token is stored.
func (c *redisConfig) keyring() (*token.Keyring, error) {
	key, err := c.key()
	if err != nil || c.URL == "" {
		return nil, err
	}
	kr, err := token.NewKeyring(key)
	if err != nil {
		return nil, configError("ESCALATOR_TOKEN_KEY", err.Error(), tokenKeyFix)
	}
	return kr, nil
}
