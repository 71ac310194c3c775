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

// synonymKind is how much a phrase of the synonym table says on its own.
type synonymKind uint8

const (
	// kindName is the service's own name: "exchange online", "sharepoint".
	kindName synonymKind = iota
	// kindProduct is a product, client or feature only the service has:
	// "outlook", "owa", "conditional access".
	kindProduct
	// kindTopic is a word that on its own points at the service in a
	// Microsoft 365 shop, but that other products use too: "email",
	// "mfa". A competing product named in the text cancels it.
	kindTopic
	// kindHint is a word common in incidents about the service and about
	// anything else: "sign in", "password", "meeting", "sync". It counts
	// only when the same service has a name, product or topic in the text,
	// or, when no service has one, when the text is plainly about
	// Microsoft (a context word or an error code). A competing product
	// cancels it.
	kindHint
	// kindContext is a hint of the Microsoft 365 suite that also tells the
	// text is about Microsoft: "office 365", "o365". It lets the hints of
	// other services count (see kindHint) but never matches the suite alone.
	kindContext
	// kindCompetitor is a non-Microsoft product ("zoom", "citrix", "gmail"):
	// it cancels every topic, hint and context word of the text.
	kindCompetitor
)

// Weights of the kinds: how sure a phrase makes us that the incident is
// about the service. A service's Score is the sum over its distinct
// phrases that counted.
const (
	weightName    = 3
	weightProduct = 2 // products, and Microsoft error codes of the service
	weightHint    = 1 // topics, hints and context words
)

func (k synonymKind) weight() int {
	switch k {
	case kindName:
		return weightName
	case kindProduct:
		return weightProduct
	case kindTopic, kindHint, kindContext:
		return weightHint
	}
	return 0
}

// serviceSynonym is one phrase of the synonym table: its words as the
// incident text spells them (lower case, split on anything that is not a
// letter or digit, apostrophes dropped: "sign-in" is "sign in", "can't" is
// "cant"), matched as a whole sequence of words, without stemming, so the
// table lists the plural and British forms it wants.
type serviceSynonym struct {
	phrase string
	kind   synonymKind
}

// serviceSynonyms maps the words of an incident to the Microsoft 365
// service they point at. It is data: to teach the matcher a word, add a
// line here (and a case to TestMatchServices), then check the figures of
// TestEvaluation.
//
// Matching takes, at each word of the text, the longest phrase that
// starts there (so "exchange online" is one match, not "exchange" plus
// "online", and "team site" points at SharePoint rather than Teams). Error
// codes are recognised by their shape (matchErrorCode): AADSTS… is an
// Entra product, an SMTP status code (5.7.1) an Exchange one, and a 0x…
// code tells the text is about Microsoft.
var serviceSynonyms = []struct {
	service  string
	synonyms []serviceSynonym
}{
	{ServiceExchange, []serviceSynonym{
		{"exchange online", kindName}, {"exchange", kindName}, {"exo", kindName},
		{"outlook", kindProduct}, {"owa", kindProduct}, {"outlook on the web", kindProduct},
		{"outlook web app", kindProduct}, {"outlook web access", kindProduct},
		{"mailbox", kindProduct}, {"mailboxes", kindProduct}, {"shared mailbox", kindProduct},
		{"autodiscover", kindProduct}, {"activesync", kindProduct}, {"mail flow", kindProduct},
		{"ndr", kindProduct}, {"non delivery report", kindProduct}, {"distribution list", kindProduct},
		{"distribution group", kindProduct}, {"free busy", kindProduct}, {"scan to email", kindProduct},
		{"automatic replies", kindProduct},
		{"email", kindTopic}, {"emails", kindTopic}, {"e mail", kindTopic}, {"e mails", kindTopic},
		{"inbox", kindTopic}, {"calendar", kindTopic}, {"calendars", kindTopic}, {"out of office", kindTopic},
		{"mail", kindHint}, {"smtp", kindHint}, {"imap", kindHint}, {"pop3", kindHint}, {"spam", kindHint}, {"junk", kindHint},
	}},
	{ServiceTeams, []serviceSynonym{
		{"microsoft teams", kindName}, {"ms teams", kindName}, {"teams", kindName},
		{"teams meeting", kindName}, {"teams meetings", kindName},
		{"teams room", kindProduct}, {"teams rooms", kindProduct}, {"teams phone", kindProduct},
		{"meeting", kindHint}, {"meetings", kindHint}, {"chat", kindHint}, {"chats", kindHint},
		{"call", kindHint}, {"calls", kindHint}, {"channel", kindHint}, {"channels", kindHint},
		{"presence", kindHint}, {"webinar", kindHint}, {"live event", kindHint},
	}},
	{ServiceSharePoint, []serviceSynonym{
		{"sharepoint online", kindName}, {"sharepoint", kindName}, {"spo", kindName},
		{"team site", kindProduct}, {"communication site", kindProduct}, {"hub site", kindProduct},
		{"document library", kindProduct}, {"document libraries", kindProduct},
		{"site", kindHint}, {"sites", kindHint}, {"intranet", kindHint}, {"list view", kindHint},
	}},
	{ServiceOneDrive, []serviceSynonym{
		{"onedrive for business", kindName}, {"onedrive", kindName}, {"one drive", kindName},
		{"odb", kindName}, {"known folder move", kindProduct}, {"kfm", kindProduct}, {"files on demand", kindProduct},
		{"sync client", kindProduct}, {"sync", kindHint}, {"syncing", kindHint},
	}},
	{ServiceEntra, []serviceSynonym{
		{"microsoft entra", kindName}, {"entra id", kindName}, {"entra", kindName},
		{"azure ad", kindName}, {"azure active directory", kindName}, {"aad", kindName},
		{"conditional access", kindProduct}, {"sspr", kindProduct}, {"entra connect", kindProduct},
		{"azure ad connect", kindProduct}, {"aadsts", kindProduct}, {"adfs", kindProduct}, {"ad fs", kindProduct},
		{"hybrid join", kindProduct}, {"workplace join", kindProduct}, {"dsregcmd", kindProduct},
		{"mfa", kindTopic}, {"multi factor", kindTopic}, {"multifactor", kindTopic},
		{"two factor", kindTopic}, {"2fa", kindTopic}, {"authenticator", kindTopic},
		{"single sign on", kindTopic}, {"sso", kindTopic},
		{"sign in", kindHint}, {"signin", kindHint}, {"sign ins", kindHint}, {"signing in", kindHint},
		{"login", kindHint}, {"log in", kindHint}, {"log into", kindHint}, {"logging in", kindHint}, {"logon", kindHint},
		{"password", kindHint}, {"password reset", kindHint}, {"authentication", kindHint}, {"locked out", kindHint},
	}},
	{ServiceIntune, []serviceSynonym{
		{"microsoft intune", kindName}, {"intune", kindName}, {"endpoint manager", kindName},
		{"mdm", kindProduct}, {"company portal", kindProduct}, {"autopilot", kindProduct},
		{"app protection policy", kindProduct}, {"compliance policy", kindProduct},
		{"enrollment", kindHint}, {"enrolment", kindHint}, {"enroll", kindHint}, {"enrol", kindHint},
		{"device compliance", kindHint}, {"compliant device", kindHint},
	}},
	{ServiceApps, []serviceSynonym{
		{"microsoft 365 apps", kindName}, {"m365 apps", kindName}, {"office apps", kindName},
		{"office 365 proplus", kindName}, {"microsoft 365 apps for enterprise", kindName},
		{"word", kindProduct}, {"excel", kindProduct}, {"powerpoint", kindProduct},
		{"onenote", kindProduct}, {"click to run", kindProduct}, {"unlicensed product", kindProduct},
		{"office desktop", kindProduct},
		{"activation", kindHint}, {"activate", kindHint},
	}},
	{ServiceSuite, []serviceSynonym{
		{"microsoft 365 suite", kindName}, {"admin center", kindProduct}, {"service health", kindProduct},
		{"microsoft 365", kindContext}, {"office 365", kindContext}, {"m365", kindContext}, {"o365", kindContext},
		{"tenant", kindHint}, {"license", kindHint}, {"licenses", kindHint}, {"licence", kindHint}, {"licences", kindHint},
		{"outage", kindHint},
	}},
	{ServicePurview, []serviceSynonym{
		{"microsoft purview", kindName}, {"purview", kindName},
		{"dlp", kindProduct}, {"data loss prevention", kindProduct}, {"ediscovery", kindProduct},
		{"sensitivity label", kindProduct}, {"sensitivity labels", kindProduct},
		{"retention policy", kindProduct}, {"retention policies", kindProduct},
		{"litigation hold", kindProduct}, {"message encryption", kindProduct},
		{"audit log", kindProduct}, {"retention", kindHint}, {"compliance", kindHint},
	}},
	{ServiceDefender, []serviceSynonym{
		{"microsoft defender xdr", kindName}, {"microsoft defender", kindName}, {"defender", kindName},
		{"microsoft 365 defender", kindName}, {"safe links", kindProduct}, {"safe attachments", kindProduct},
		{"quarantine", kindProduct}, {"quarantined", kindProduct},
		{"phishing", kindTopic}, {"phish", kindTopic}, {"malware", kindTopic},
	}},
	{ServicePlanner, []serviceSynonym{{"planner", kindName}}},
	{ServicePowerBI, []serviceSynonym{{"power bi", kindName}, {"powerbi", kindName}}},
}

// competitors are non-Microsoft products an incident may be about instead:
// naming one cancels the topics and hints of the text ("meeting" in a Zoom
// call, "password" for SAP, "email" in Gmail), while the names and
// products of Microsoft services still count ("the Zoom add-in in
// Outlook" is about Outlook). With no service left, Recommend gives no
// article at all.
var competitors = []string{
	"zoom", "webex", "cisco", "slack", "google", "gmail", "google workspace", "google drive",
	"yahoo", "thunderbird", "icloud", "dropbox", "whatsapp",
	"citrix", "vmware", "teamviewer", "vpn", "anyconnect", "globalprotect", "forticlient",
	"okta", "duo", "sap", "concur", "workday", "salesforce", "jira", "confluence",
	"adobe", "acrobat", "docusign", "printer", "printers",
	"mapped drive", "network drive", "shared drive", "file share", "network share", "file server",
}

// driveLetters are the drives of on-premises file shares ("the S: drive",
// "H drive"), competitors too; not "a drive" or "I drive".
const driveLetters = "bcdefghjklmnopqrstuvwxyz"

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
