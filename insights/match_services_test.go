package insights

import (
	"slices"
	"testing"
)

// matched is the services MatchServices finds, in order, and the terms of
// each.
func matched(text string) (services []string, terms map[string][]string) {
	terms = make(map[string][]string)
	for _, m := range MatchServices(text) {
		services = append(services, m.Service)
		terms[m.Service] = m.Terms
	}
	return services, terms
}

// The causes of issue 16's wrong matches: hints alone ("sign in",
// "password", "meeting", "o365", "license") and other products' words.
func TestMatchServicesEvidence(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		want  []string
		terms []string // of the first service, when not nil
	}{
		{"hints alone", "can't log in, password expired", nil, nil},
		{"a hint needs its own service", "Outlook keeps asking for my password", []string{ServiceExchange}, []string{"outlook"}},
		{"a product anchors its hints", "MFA prompt loops at sign-in", []string{ServiceEntra}, []string{"mfa", "sign in"}},
		{"a Microsoft context lets hints count", "can't log in to office 365, password rejected", []string{ServiceEntra}, []string{"log in", "password"}},
		{"context alone is no match", "office 365 is slow today", nil, nil},
		{"suite hint with context", "new starter needs an O365 licence", []string{ServiceSuite}, []string{"licence", "o365"}},
		{"context does not anchor next to a product", "Teams says my O365 password expired", []string{ServiceTeams}, []string{"teams"}},
		{"a topic counts alone", "not receiving emails since this morning", []string{ServiceExchange}, []string{"emails"}},
		{"competitor: meeting", "Zoom meeting audio drops every call", nil, nil},
		{"competitor: mfa", "Okta MFA push not received", nil, nil},
		{"competitor: email", "Gmail calendar and email not syncing", nil, nil},
		{"competitor: sign in", "Cisco AnyConnect VPN login failed, password works elsewhere", nil, nil},
		{"competitor keeps products", "the Zoom add-in disappeared from Outlook, can't schedule meetings from my calendar",
			[]string{ServiceExchange}, []string{"outlook"}},
		{"competitor keeps error codes", "Gmail users get 550 5.7.1 when emailing us", []string{ServiceExchange}, []string{"5.7.1"}},
		{"printer scan to email", "the printer can't scan to email since Monday", []string{ServiceExchange}, []string{"scan to email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, terms := matched(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("MatchServices(%q) = %q, want %q (terms %q)", tt.text, got, tt.want, terms)
			}
			if tt.terms != nil && !slices.Equal(terms[got[0]], tt.terms) {
				t.Errorf("terms of %s = %q, want %q", got[0], terms[got[0]], tt.terms)
			}
		})
	}
}

func TestMatchServicesErrorCodes(t *testing.T) {
	tests := []struct {
		text  string
		want  []string
		terms []string
	}{
		{"AADSTS50057: The user account is disabled", []string{ServiceEntra}, []string{"aadsts50057"}},
		{"error AADSTS 50020 when signing in", []string{ServiceEntra}, []string{"aadsts", "signing in"}},
		{"Remote server returned 550 5.1.1 RESOLVER.ADR.RecipNotFound", []string{ServiceExchange}, []string{"5.1.1"}},
		{"bounce 554 5.4.14 hop count exceeded, mail loop", []string{ServiceExchange}, []string{"5.4.14", "mail"}},
		{"version 2.1.0 and 5.17.3 are not status codes", nil, nil},
		// An 0x… code names no service, but lets the hints count.
		{"error 0x80070005", nil, nil},
		{"sign in fails with 0x8004de40", []string{ServiceEntra}, []string{"sign in"}},
	}
	for _, tt := range tests {
		got, terms := matched(tt.text)
		if !slices.Equal(got, tt.want) || tt.terms != nil && !slices.Equal(terms[got[0]], tt.terms) {
			t.Errorf("MatchServices(%q) = %q %q, want %q %q", tt.text, got, terms, tt.want, tt.terms)
		}
	}
}

func TestMatchServicesTypos(t *testing.T) {
	tests := []struct {
		text  string
		want  []string
		terms []string
	}{
		{"outlok not opening", []string{ServiceExchange}, []string{"outlook"}},
		{"sharepiont site 404", []string{ServiceSharePoint}, []string{"sharepoint", "site"}},
		{"onedrrive stuck", []string{ServiceOneDrive}, []string{"onedrive"}},
		{"the mailbox's rules", []string{ServiceExchange}, []string{"mailboxes"}},
		// Inflections are other words, and short words are never guessed.
		{"exchanged outlooks", nil, nil},
		{"teans chat", nil, nil},
	}
	for _, tt := range tests {
		got, terms := matched(tt.text)
		if !slices.Equal(got, tt.want) || tt.terms != nil && !slices.Equal(terms[got[0]], tt.terms) {
			t.Errorf("MatchServices(%q) = %q %q, want %q %q", tt.text, got, terms, tt.want, tt.terms)
		}
	}
}

func TestMatchServicesIgnoresWhatWorks(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"My mic doesn't work in Slack huddles, fine in Teams.", nil},
		{"Outlook cannot connect. Teams and OneDrive work normally.", []string{ServiceExchange}},
		{"Teams is not working, Outlook works", []string{ServiceTeams}},
		{"Outlook fails but OWA works", []string{ServiceExchange}},
		{"Outlook fails, OWA works", []string{ServiceExchange}},
	}
	for _, tt := range tests {
		if got, terms := matched(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("MatchServices(%q) = %q %q, want %q", tt.text, got, terms, tt.want)
		}
	}
}
