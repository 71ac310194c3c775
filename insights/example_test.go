package insights_test

import (
	"fmt"

	"github.com/escalator/escalator/insights"
)

func ExampleMatchServices() {
	for _, m := range insights.MatchServices("Outlook cannot connect to Exchange Online; OWA works. Teams is fine.") {
		fmt.Println(m.Service, m.Terms, m.Score)
	}
	// Output:
	// Exchange Online [outlook exchange online owa] 7
	// Microsoft Teams [teams] 3
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
	// NDR error 550 5.1.10 RESOLVER.ADR.RecipientNotFound
	// Fix NDR error 550 5.1.1 through 5.1.20 in Exchange Online
	// Fix NDR error 550 5.7.1 in Exchange Online
}
