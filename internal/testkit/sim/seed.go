package sim

import (
	"time"
)

// seed fills a new server with the tenant's users, service health, and the
// example incident. now is the server's start time.
func (s *Server) seed(now time.Time) {
	s.services = []healthService{
		{id: "Exchange", name: "Exchange Online"},
		{id: "microsoftteams", name: "Microsoft Teams"},
		{id: "SharePoint", name: "SharePoint Online", pascal: true},
		{id: "OneDriveForBusiness", name: "OneDrive for Business"},
		{id: "OSDPPlatform", name: "Microsoft 365 suite", pascal: true},
		{id: "O365Client", name: "Microsoft 365 Apps"},
		{id: "MicrosoftEntra", name: "Microsoft Entra"},
	}
	for _, is := range seedIssues(now) {
		is.normalize(now)
		s.issues = append(s.issues, &is)
	}
	s.users = []user{
		{
			ID: "4f0c2b8e-3d6a-4e1f-9a7b-5c8d2e0f1a36", UPN: DefaultAdminUPN,
			DisplayName: "MOD Administrator", GivenName: "MOD", Surname: "Administrator", JobTitle: "IT Administrator",
			memberOf: []map[string]any{
				directoryRole("a1b9c4d2-6e3f-4a8b-b7c5-0d2e9f1a3b64", "Global Administrator",
					"Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.", GlobalAdminTemplateID),
				group("c7d2e5f8-1a4b-4c9d-8e3f-6b0a2d5c7e91", "IT Operations"),
			},
		},
		{
			ID: "8e5a1c3f-7b2d-4f6e-a9c0-3d1b6e8f2a47", UPN: DefaultUserUPN,
			DisplayName: "Adele Vance", GivenName: "Adele", Surname: "Vance", JobTitle: "Retail Manager",
			memberOf: []map[string]any{
				group("e2f4a6b8-3c5d-4e7f-9a1b-2c4d6e8f0a13", "All Company"),
				group("b3c5d7e9-4f6a-4b8c-8d0e-1f3a5b7c9d24", "Retail"),
			},
		},
	}
	s.seedInstanceLocked(now)
}

// seedInstanceLocked fills the ServiceNow instance: users and roles, the
// example incident INC0010023 and the work note the update example names.
func (s *Server) seedInstanceLocked(now time.Time) {
	s.seedDirectoryLocked(now)
	s.incNum = 10023
	in := s.mustInsertLocked("incident", map[string]any{
		"sys_id":            DefaultIncidentSysID,
		"short_description": "Outlook cannot connect to Exchange Online for the finance floor",
		"description":       "Since 08:40 UTC about 40 users get 'Trying to connect...' in Outlook desktop. OWA works.",
		"priority":          "1", "urgency": "1", "impact": "2", "state": "2",
		"category": "email", "assignment_group": "Messaging", "caller_id": "abel.tuter",
	}, "beth.anglin", now)
	in["opened_at"], in["sys_created_on"] = "2026-11-25 08:52:11", "2026-11-25 08:52:11"
	s.addJournalLocked(JournalEntry{
		SysID: DefaultJournalSysID, ElementID: DefaultIncidentSysID, Element: "work_notes", Name: "incident",
		Value: DefaultJournalValue, SysCreatedOn: "2026-11-25 11:29:41", SysCreatedBy: "beth.anglin",
	})
}

func html(paragraphs ...string) ItemBody {
	c := ""
	for i, p := range paragraphs {
		if i > 0 {
			c += "<br><br>"
		}
		c += p
	}
	return ItemBody{ContentType: "html", Content: "<p>" + c + "</p>"}
}

func at(t time.Time) *time.Time { return &t }

// seedIssues are realistic service health issues: three active, five
// resolved, enum values in both casings as Graph serves them.
func seedIssues(now time.Time) []HealthIssue {
	h := time.Hour
	return []HealthIssue{
		{
			ID: ExchangeIncidentID, Service: "Exchange Online", Classification: "incident", Status: "serviceDegradation",
			Title:   "Users may be unable to connect to Exchange Online using the Outlook desktop client",
			Feature: "Networking Issues", FeatureGroup: "Networking Issues",
			ImpactDescription: "Users may be unable to connect to Exchange Online using the Outlook desktop client; Outlook on the web is unaffected.",
			StartDateTime:     now.Add(-2 * h), LastModifiedDateTime: now.Add(-20 * time.Minute),
			Details: []KeyValue{{Name: "NotifyInApp", Value: "True"}},
			Posts: []HealthPost{
				{CreatedDateTime: now.Add(-100 * time.Minute), PostType: "regular", Description: html(
					"Title: Users may be unable to connect to Exchange Online using the Outlook desktop client",
					"User impact: Users may see 'Trying to connect...' in the Outlook desktop client.",
					"Current status: We're reviewing service telemetry to determine the cause.")},
				{CreatedDateTime: now.Add(-20 * time.Minute), PostType: "regular", Description: html(
					"Current status: We've identified a recent change to the Outlook connectivity infrastructure that is causing impact, and we're reverting it.",
					"Next update by: "+now.Add(40*time.Minute).Format("Monday, January 2, 2006, 3:04 PM")+" UTC")},
			},
		},
		{
			ID: "TM123789", Service: "Microsoft Teams", Classification: "Advisory", Status: "ServiceDegradation",
			Title:   "Some users may see delays when sending chat messages in Microsoft Teams",
			Feature: "Teams Components", FeatureGroup: "Teams Components",
			ImpactDescription: "Users may see chat messages in Microsoft Teams take longer than usual to be delivered.",
			StartDateTime:     now.Add(-5 * h), LastModifiedDateTime: now.Add(-1 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-1 * h), PostType: "regular", Description: html(
				"User impact: Users may see delays when sending chat messages.", "Current status: We're analyzing network traces.")}},
		},
		{
			ID: "SP123654", Service: "SharePoint Online", Classification: "advisory", Status: "extendedRecovery",
			Title:   "Users may see slow load times for some SharePoint Online sites",
			Feature: "SharePoint Features", FeatureGroup: "SharePoint Features",
			ImpactDescription: "Users may notice that some SharePoint Online sites load more slowly than expected.",
			StartDateTime:     now.Add(-26 * h), LastModifiedDateTime: now.Add(-3 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-3 * h), PostType: "regular", Description: html(
				"Current status: Performance is improving as our fix saturates the affected infrastructure.")}},
		},
		{
			ID: "EX123401", Service: "Exchange Online", Classification: "Advisory", Status: "ServiceRestored", IsResolved: true,
			Title:   "Some users may experience delays receiving email messages",
			Feature: "E-Mail and calendar access", FeatureGroup: "E-Mail and calendar access",
			ImpactDescription: "Some users may have experienced delays receiving email messages from external senders.",
			StartDateTime:     now.Add(-72 * h), EndDateTime: at(now.Add(-50 * h)), LastModifiedDateTime: now.Add(-49 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-49 * h), PostType: "regular", Description: html(
				"Final status: We've confirmed that the fix resolved the mail delivery delays.")}},
		},
		{
			ID: "OD123222", Service: "OneDrive for Business", Classification: "incident", Status: "serviceRestored", IsResolved: true,
			Title:   "Users may be unable to sync files with the OneDrive sync client",
			Feature: "OneDrive for Business", FeatureGroup: "OneDrive for Business",
			ImpactDescription: "Users were unable to sync files using the OneDrive sync client.",
			StartDateTime:     now.Add(-120 * h), EndDateTime: at(now.Add(-116 * h)), LastModifiedDateTime: now.Add(-115 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-115 * h), PostType: "regular", Description: html(
				"Final status: We reverted the offending update and confirmed sync is working.")}},
		},
		{
			ID: "MO123111", Service: "Microsoft 365 suite", Classification: "Incident", Status: "PostIncidentReviewPublished", IsResolved: true,
			Title:   "Users may be unable to access multiple Microsoft 365 services",
			Feature: "Portal", FeatureGroup: "Administration",
			ImpactDescription: "Users were unable to access multiple Microsoft 365 services, including Outlook on the web and Microsoft Teams.",
			StartDateTime:     now.Add(-240 * h), EndDateTime: at(now.Add(-236 * h)), LastModifiedDateTime: now.Add(-200 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-200 * h), PostType: "strategic", Description: html(
				"A post-incident report has been published.")}},
		},
		{
			ID: "TM123500", Service: "Microsoft Teams", Classification: "incident", Status: "serviceRestored", IsResolved: true,
			Title:   "Users may be unable to join Microsoft Teams meetings from the desktop client",
			Feature: "Teams Components", FeatureGroup: "Teams Components",
			ImpactDescription: "Users were unable to join Microsoft Teams meetings from the desktop client.",
			StartDateTime:     now.Add(-30 * h), EndDateTime: at(now.Add(-28 * h)), LastModifiedDateTime: now.Add(-27 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-27 * h), PostType: "quick", Description: html(
				"Final status: Meeting join is working again.")}},
		},
		{
			ID: "EX123399", Service: "Exchange Online", Classification: "advisory", Status: "falsePositive", IsResolved: true,
			Title:   "Users may be unable to access shared mailboxes",
			Feature: "E-Mail and calendar access", FeatureGroup: "E-Mail and calendar access",
			ImpactDescription: "After investigation, no impact to shared mailbox access was found.",
			StartDateTime:     now.Add(-96 * h), EndDateTime: at(now.Add(-95 * h)), LastModifiedDateTime: now.Add(-95 * h),
			Posts: []HealthPost{{CreatedDateTime: now.Add(-95 * h), PostType: "regular", Description: html(
				"Final status: This was a false positive; no user impact.")}},
		},
	}
}
