package insights

import (
	"slices"
	"testing"
)

func TestMatchServices(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // services, strongest first
		// terms wanted for the first service (nil: not checked)
		terms []string
	}{
		// "OWA works" says what is not the problem (problemText).
		{"example incident", "Outlook cannot connect to Exchange Online for the finance floor / Since 08:40 UTC about 40 users get 'Trying to connect...' in Outlook desktop. OWA works.",
			[]string{ServiceExchange}, []string{"outlook", "exchange online"}},
		{"owa", "OWA shows 403 after login, Outlook desktop works", []string{ServiceExchange}, []string{"owa"}},
		{"mailbox", "Shared mailboxes not showing, mailbox full", []string{ServiceExchange}, []string{"mailboxes", "mailbox"}},
		{"email is a hint", "cannot send email", []string{ServiceExchange}, []string{"email"}},
		{"teams", "Teams meeting audio drops; chat is slow", []string{ServiceTeams}, []string{"teams meeting", "chat"}},
		// A hint alone is no match: "meeting" was Teams for a Zoom call too.
		{"meeting alone", "meeting recordings are missing", nil, nil},
		{"meeting with teams", "Teams meeting recordings are missing from the meeting chat", []string{ServiceTeams}, []string{"teams meeting", "meeting", "chat"}},
		{"sharepoint", "SharePoint site returns 403", []string{ServiceSharePoint}, []string{"sharepoint", "site"}},
		{"team site is sharepoint", "the finance team site is slow", []string{ServiceSharePoint}, []string{"team site"}},
		{"onedrive", "OneDrive sync stuck", []string{ServiceOneDrive}, []string{"onedrive", "sync"}},
		{"sign-in", "users can't sign-in, MFA prompt loops", []string{ServiceEntra}, []string{"sign in", "mfa"}},
		{"azure ad", "Azure AD conditional access blocks login", []string{ServiceEntra}, []string{"azure ad", "conditional access", "login"}},
		// "sync" alone no longer pulls in OneDrive.
		{"entra", "Entra ID sync errors", []string{ServiceEntra}, []string{"entra id"}},
		{"intune", "Intune enrollment fails on Autopilot", []string{ServiceIntune}, []string{"intune", "enrollment", "autopilot"}},
		{"apps", "Excel and Word crash after activation", []string{ServiceApps}, []string{"excel", "word", "activation"}},
		{"apps longest match", "Microsoft 365 Apps for enterprise won't start", []string{ServiceApps}, []string{"microsoft 365 apps for enterprise"}},
		{"suite", "Microsoft 365 admin center is slow", []string{ServiceSuite}, []string{"microsoft 365", "admin center"}},
		{"purview", "DLP policy tips missing, eDiscovery search fails", []string{ServicePurview}, []string{"dlp", "ediscovery"}},
		// "mail" alone no longer pulls in Exchange Online.
		{"defender", "Safe Links rewriting broken, mail quarantined", []string{ServiceDefender}, []string{"safe links", "quarantined"}},
		{"strongest first", "Teams meeting invite from Outlook: Outlook and OWA and the mailbox", []string{ServiceExchange, ServiceTeams}, nil},
		{"tie keeps first mention", "onedrive and sharepoint", []string{ServiceOneDrive, ServiceSharePoint}, nil},
		{"repeated term counted once", "outlook outlook outlook, teams", []string{ServiceTeams, ServiceExchange}, nil},
		{"case insensitive", "EXCHANGE ONLINE", []string{ServiceExchange}, []string{"exchange online"}},
		{"no match", "the printer on floor 3 is jammed", nil, nil},
		{"empty", "", nil, nil},
		{"word boundaries", "exchanged outlooks", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MatchServices(tt.text)
			var names []string
			for _, m := range got {
				names = append(names, m.Service)
			}
			if !slices.Equal(names, tt.want) {
				t.Fatalf("MatchServices(%q) services = %q, want %q (%+v)", tt.text, names, tt.want, got)
			}
			if tt.terms != nil && !slices.Equal(got[0].Terms, tt.terms) {
				t.Errorf("terms = %q, want %q", got[0].Terms, tt.terms)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Score > got[i-1].Score {
					t.Errorf("not ordered by score: %+v", got)
				}
			}
		})
	}
}

func TestMatchServicesScore(t *testing.T) {
	got := MatchServices("Outlook and OWA fail; Exchange Online is down; email bounces")
	if len(got) != 1 || got[0].Score != weightProduct+weightProduct+weightName+weightHint {
		t.Fatalf("MatchServices = %+v, want one match of score %d", got, 2+2+3+1)
	}
}

func TestSynonymTableIsWellFormed(t *testing.T) {
	seen := make(map[string]string)
	for _, s := range serviceSynonyms {
		if s.service == "" || len(s.synonyms) == 0 {
			t.Errorf("service %q has no synonyms", s.service)
		}
		for _, syn := range s.synonyms {
			ws := words(syn.phrase)
			if len(ws) == 0 || syn.kind > kindContext {
				t.Errorf("%s: bad synonym %+v", s.service, syn)
			}
			key := joinWords(ws)
			if other, dup := seen[key]; dup {
				t.Errorf("phrase %q maps to %s and %s", syn.phrase, other, s.service)
			}
			seen[key] = s.service
		}
	}
	for _, c := range competitors {
		key := joinWords(words(c))
		if other, dup := seen[key]; dup || key == "" {
			t.Errorf("competitor %q is empty or also a phrase of %q", c, other)
		}
		seen[key] = "competitor"
	}
}

func joinWords(ws []string) string {
	out := ""
	for i, w := range ws {
		if i > 0 {
			out += " "
		}
		out += w
	}
	return out
}

func TestCanonicalService(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Exchange Online", ServiceExchange},
		{"exchange online", ServiceExchange},
		{" Microsoft Teams ", ServiceTeams},
		{"Identity Service", ServiceEntra},
		{"Microsoft Entra ID", ServiceEntra},
		{"Microsoft 365 Apps", ServiceApps},
		{"Outlook", ServiceExchange},
		{"Windows", "Windows"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CanonicalService(tt.in); got != tt.want {
			t.Errorf("CanonicalService(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
