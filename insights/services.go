package insights

// Microsoft 365 service names as Microsoft Graph service health names them
// (the `service` property of serviceHealth and serviceHealthIssue; Graph's
// own example of GET /v1.0/admin/serviceAnnouncement/healthOverviews lists
// "Exchange Online", "Identity Service" and "Microsoft 365 suite"). Names
// are compared case-insensitively and through serviceAliases, so older
// names ("Identity Service" for Microsoft Entra) and other spellings
// ("Microsoft 365 Apps") match too; see CanonicalService.
const (
	ServiceExchange   = "Exchange Online"
	ServiceTeams      = "Microsoft Teams"
	ServiceSharePoint = "SharePoint Online"
	ServiceOneDrive   = "OneDrive for Business"
	ServiceEntra      = "Microsoft Entra"
	ServiceIntune     = "Microsoft Intune"
	ServiceApps       = "Microsoft 365 apps"
	ServiceSuite      = "Microsoft 365 suite"
	ServicePurview    = "Microsoft Purview"
	ServiceDefender   = "Microsoft Defender XDR"
	ServicePlanner    = "Planner"
	ServicePowerBI    = "Power BI"
)

// Weights of a synonym: how sure a phrase makes us that the incident is
// about the service.
const (
	weightName    = 3 // the service's own name: "exchange online", "sharepoint"
	weightProduct = 2 // a product or client of the service: "outlook", "owa", "mfa"
	weightHint    = 1 // a word common in incidents about it: "email", "meeting", "site"
)

// serviceSynonym is one phrase of the synonym table: its words as the
// incident text spells them (lower case, split on anything that is not a
// letter or digit, apostrophes dropped: "sign-in" is "sign in", "can't" is
// "cant"), matched as a whole sequence of words, without stemming, so the
// table lists the plural forms it wants.
type serviceSynonym struct {
	phrase string
	weight int
}

// serviceSynonyms maps the words of an incident to the Microsoft 365
// service they point at. It is data: to teach the matcher a word, add a
// line here (and a case to TestMatchServices).
//
// Matching takes, at each word of the text, the longest phrase that
// starts there (so "exchange online" is one match, not "exchange" plus
// "online", and "team site" points at SharePoint rather than Teams). A
// service's strength is the sum of the weights of the distinct phrases
// that matched it.
var serviceSynonyms = []struct {
	service  string
	synonyms []serviceSynonym
}{
	{ServiceExchange, []serviceSynonym{
		{"exchange online", weightName}, {"exchange", weightName}, {"exo", weightName},
		{"outlook", weightProduct}, {"owa", weightProduct}, {"outlook on the web", weightProduct},
		{"outlook web app", weightProduct}, {"outlook web access", weightProduct},
		{"mailbox", weightProduct}, {"mailboxes", weightProduct}, {"shared mailbox", weightProduct},
		{"autodiscover", weightProduct}, {"activesync", weightProduct}, {"mail flow", weightProduct},
		{"ndr", weightProduct}, {"non delivery report", weightProduct}, {"distribution list", weightProduct},
		{"distribution group", weightProduct}, {"free busy", weightProduct},
		{"email", weightHint}, {"emails", weightHint}, {"e mail", weightHint}, {"mail", weightHint},
		{"calendar", weightHint}, {"calendars", weightHint}, {"inbox", weightHint},
		{"smtp", weightHint}, {"imap", weightHint}, {"pop3", weightHint}, {"out of office", weightHint},
		{"spam", weightHint}, {"junk", weightHint},
	}},
	{ServiceTeams, []serviceSynonym{
		{"microsoft teams", weightName}, {"ms teams", weightName}, {"teams", weightName},
		{"teams meeting", weightName}, {"teams meetings", weightName},
		{"teams room", weightProduct}, {"teams rooms", weightProduct}, {"teams phone", weightProduct},
		{"meeting", weightHint}, {"meetings", weightHint}, {"chat", weightHint}, {"chats", weightHint},
		{"call", weightHint}, {"calls", weightHint}, {"channel", weightHint}, {"channels", weightHint},
		{"presence", weightHint}, {"webinar", weightHint}, {"live event", weightHint},
	}},
	{ServiceSharePoint, []serviceSynonym{
		{"sharepoint online", weightName}, {"sharepoint", weightName}, {"spo", weightName},
		{"team site", weightProduct}, {"communication site", weightProduct}, {"hub site", weightProduct},
		{"document library", weightProduct}, {"document libraries", weightProduct},
		{"site", weightHint}, {"sites", weightHint}, {"intranet", weightHint}, {"list view", weightHint},
	}},
	{ServiceOneDrive, []serviceSynonym{
		{"onedrive for business", weightName}, {"onedrive", weightName}, {"one drive", weightName},
		{"odb", weightName}, {"known folder move", weightProduct}, {"files on demand", weightProduct},
		{"sync client", weightProduct}, {"sync", weightHint}, {"syncing", weightHint},
	}},
	{ServiceEntra, []serviceSynonym{
		{"microsoft entra", weightName}, {"entra id", weightName}, {"entra", weightName},
		{"azure ad", weightName}, {"azure active directory", weightName}, {"aad", weightName},
		{"mfa", weightProduct}, {"multi factor", weightProduct}, {"multifactor", weightProduct},
		{"two factor", weightProduct}, {"2fa", weightProduct}, {"conditional access", weightProduct},
		{"sspr", weightProduct}, {"password reset", weightProduct}, {"authenticator", weightProduct},
		{"single sign on", weightProduct}, {"sso", weightProduct}, {"entra connect", weightProduct},
		{"azure ad connect", weightProduct}, {"aadsts", weightProduct},
		{"sign in", weightHint}, {"signin", weightHint}, {"sign ins", weightHint}, {"login", weightHint},
		{"log in", weightHint}, {"logon", weightHint}, {"password", weightHint},
		{"authentication", weightHint}, {"locked out", weightHint},
	}},
	{ServiceIntune, []serviceSynonym{
		{"microsoft intune", weightName}, {"intune", weightName}, {"endpoint manager", weightName},
		{"mdm", weightProduct}, {"company portal", weightProduct}, {"autopilot", weightProduct},
		{"app protection policy", weightProduct}, {"compliance policy", weightProduct},
		{"enrollment", weightHint}, {"enrolment", weightHint}, {"enroll", weightHint},
		{"device compliance", weightHint}, {"compliant device", weightHint},
	}},
	{ServiceApps, []serviceSynonym{
		{"microsoft 365 apps", weightName}, {"m365 apps", weightName}, {"office apps", weightName},
		{"office 365 proplus", weightName}, {"microsoft 365 apps for enterprise", weightName},
		{"word", weightProduct}, {"excel", weightProduct}, {"powerpoint", weightProduct},
		{"onenote", weightProduct}, {"click to run", weightProduct}, {"activation", weightHint},
		{"activate", weightHint}, {"unlicensed product", weightProduct}, {"office desktop", weightProduct},
	}},
	{ServiceSuite, []serviceSynonym{
		{"microsoft 365 suite", weightName}, {"microsoft 365", weightHint}, {"office 365", weightHint},
		{"m365", weightHint}, {"o365", weightHint}, {"admin center", weightHint},
		{"tenant", weightHint}, {"license", weightHint}, {"licenses", weightHint},
	}},
	{ServicePurview, []serviceSynonym{
		{"microsoft purview", weightName}, {"purview", weightName},
		{"dlp", weightProduct}, {"data loss prevention", weightProduct}, {"ediscovery", weightProduct},
		{"sensitivity label", weightProduct}, {"sensitivity labels", weightProduct},
		{"retention policy", weightProduct}, {"retention policies", weightProduct},
		{"litigation hold", weightProduct}, {"message encryption", weightProduct},
		{"audit log", weightProduct}, {"retention", weightHint}, {"compliance", weightHint},
	}},
	{ServiceDefender, []serviceSynonym{
		{"microsoft defender xdr", weightName}, {"microsoft defender", weightName}, {"defender", weightName},
		{"microsoft 365 defender", weightName}, {"safe links", weightProduct}, {"safe attachments", weightProduct},
		{"quarantine", weightProduct}, {"quarantined", weightProduct},
		{"phishing", weightHint}, {"phish", weightHint}, {"malware", weightHint},
	}},
	{ServicePlanner, []serviceSynonym{{"planner", weightName}}},
	{ServicePowerBI, []serviceSynonym{{"power bi", weightName}, {"powerbi", weightName}}},
}

// serviceAliases maps other names of a service (older Graph names,
// names used by Microsoft's articles) to the name used here, in lower case.
var serviceAliases = map[string]string{
	"identity service":                  ServiceEntra,
	"microsoft entra id":                ServiceEntra,
	"azure active directory":            ServiceEntra,
	"office 365 client":                 ServiceApps,
	"microsoft 365 apps for enterprise": ServiceApps,
	"microsoft 365 defender":            ServiceDefender,
	"microsoft defender":                ServiceDefender,
	"outlook":                           ServiceExchange,
	"onedrive":                          ServiceOneDrive,
	"sharepoint":                        ServiceSharePoint,
	"intune":                            ServiceIntune,
}
