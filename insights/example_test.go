package insights_test

import (
	"fmt"

	"github.com/escalator/escalator/insights"
)

// What works ("OWA works", "Teams is fine") is not what the incident is
// about, and "password" counts for Entra only next to an Entra product.
func ExampleMatchServices() {
	for _, m := range insights.MatchServices("Outlook cannot connect to Exchange Online, keeps asking for the password; OWA works. Teams is fine. SharePoint sync is slow.") {
		fmt.Println(m.Service, m.Terms, m.Score)
	}
	// Output:
	// Exchange Online [outlook exchange online] 5
	// SharePoint Online [sharepoint] 3
}

func ExampleCatalog_Recommend() {
	catalog, err := insights.LoadCatalog()
	if err != nil {
		fmt.Println(err)
		return
	}
	text := "Users get NDR 550 5.1.1 when they send mail to a partner"
	for _, m := range catalog.Recommend(text, insights.MatchServices(text), 3) {
		fmt.Println(m.Article.Title)
	}
	// Output:
	// Fix NDR error 550 5.1.1 through 5.1.20 in Exchange Online
	// Fix NDR error 5.7.57 in Exchange Online
	// Fix NDR error 550 5.7.1 in Exchange Online
}
