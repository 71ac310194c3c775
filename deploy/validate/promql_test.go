package validate

import (
	"encoding/json"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

var promParser = parser.NewParser(parser.Options{})

// parseRules parses deploy/prometheus/escalator-rules.yaml with
// Prometheus's own rule parser (unknown fields refused).
func parseRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	path := deployPath("prometheus", "escalator-rules.yaml")
	groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, promParser, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("rules: %v", err)
	}
	if groups == nil {
		t.FailNow()
	}
	return groups
}

// grafanaDashboard is the part of the dashboard JSON the checks read.
type grafanaDashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name, Type string
		} `json:"list"`
	} `json:"templating"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	b, err := os.ReadFile(deployPath("grafana", "escalator.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	return d
}

// grafanaVars are Grafana's interval variables, replaced by a duration so
// the expression parses as Prometheus will see it.
var grafanaVars = regexp.MustCompile(`\$__(rate_interval|interval|range)`)

// metricNames are the metric names an expression selects.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := promParser.ParseExpr(grafanaVars.ReplaceAllString(expr, "5m"))
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return nil
	}
	var out []string
	for _, sel := range parser.ExtractSelectors(e) {
		for _, m := range sel {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				out = append(out, m.Value)
			}
		}
	}
	return out
}

func TestRulesParse(t *testing.T) {
	readme, err := os.ReadFile(repoRootFile("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(readme))
	var alerts int
	for _, g := range parseRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("alert %s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s has no summary", r.Alert)
			}
			anchor, ok := strings.CutPrefix(r.Annotations["runbook"], "README.md#")
			if !ok || !anchors[anchor] {
				t.Errorf("alert %s: runbook %q is not a heading of the README", r.Alert, r.Annotations["runbook"])
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerts", alerts)
	}
}

func repoRootFile(name string) string { return repoRoot + "/" + name }

// markdownAnchors are GitHub's anchors of the headings of a Markdown text.
func markdownAnchors(md string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		out[strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-")] = true
	}
	return out
}

// TestDashboardAndRulesUseExportedMetrics runs the fleet, scrapes it, and
// checks that every metric the dashboard and the rules select is one
// Escalator exports under that exact name (after the Prometheus
// exporter's translation: "." to "_", units as suffixes, "_total" on
// counters), a recording rule of the file, or Prometheus's own "up".
func TestDashboardAndRulesUseExportedMetrics(t *testing.T) {
	lines, exported := exercise(t)
	defined := map[string]bool{"up": true}
	type use struct{ where, expr string }
	var uses []use
	for _, g := range parseRules(t).Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				defined[r.Record] = true
			}
			uses = append(uses, use{"rule " + r.Record + r.Alert, r.Expr})
		}
	}
	d := readDashboard(t)
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			uses = append(uses, use{"panel " + p.Title, tg.Expr})
		}
	}
	dashboardNames := map[string]bool{}
	for _, u := range uses {
		for _, n := range metricNames(t, u.where, u.expr) {
			if strings.HasPrefix(u.where, "panel ") {
				dashboardNames[n] = true
			}
			if !exported[n] && !defined[n] {
				t.Errorf("%s: %s is not exported by Escalator", u.where, n)
			}
		}
		checkLabels(t, u.where, u.expr, exportedLabels(lines))
	}
	// What on-call looks at is on the dashboard.
	for _, n := range []string{
		"escalator_ingest_events_total", "escalator_messages_total", "escalator_dead_letters_total",
		"escalator_jetstream_consumer_pending", "escalator_jetstream_consumer_ack_pending", "messaging_process_duration_seconds_bucket",
		"http_client_request_duration_seconds_count", "escalator_token_acquisitions_total", "escalator_token_failures_total",
		"escalator_cases_opened_total", "escalator_health_incidents_created_total", "escalator_replica",
		"escalator_jetstream_stream_leader",
	} {
		if !dashboardNames[n] {
			t.Errorf("the dashboard shows nothing of %s", n)
		}
	}
	var missing []string
	for n := range exported {
		if strings.HasPrefix(n, "escalator_") && !dashboardNames[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	t.Logf("exported escalator_* metrics not on the dashboard: %v", missing)
}

func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	if !slices.ContainsFunc(d.Templating.List, func(v struct{ Name, Type string }) bool {
		return v.Name == "datasource" && v.Type == "datasource"
	}) {
		t.Error("no datasource variable: the dashboard would be tied to one Grafana's data source")
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %+v, %d targets", p.Title, p.Datasource, len(p.Targets))
		}
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, p.GridPos)
		}
	}
}

// exportedLabels are the label names each scraped metric carries.
func exportedLabels(lines []string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, l := range lines {
		name, rest, ok := strings.Cut(l, "{")
		if !ok {
			continue
		}
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, m := range labelName.FindAllStringSubmatch(rest[:strings.LastIndex(rest, "}")+1], -1) {
			out[name][m[1]] = true
		}
	}
	return out
}

var labelName = regexp.MustCompile(`(?:^|,)([a-zA-Z_][a-zA-Z0-9_]*)="`)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = map[string]bool{"job": true, "instance": true}

// checkLabels fails when an expression selects, or groups one metric, by
// a label that metric does not carry: a panel grouping by a label nobody
// sets shows one unnamed series, an alert matching one never fires.
func checkLabels(t *testing.T, where, expr string, have map[string]map[string]bool) {
	t.Helper()
	e, err := promParser.ParseExpr(grafanaVars.ReplaceAllString(expr, "5m"))
	if err != nil {
		return // metricNames reported it
	}
	check := func(metric, label string) {
		if labels, exported := have[metric]; exported && !labels[label] && !targetLabels[label] {
			t.Errorf("%s: %s has no label %s", where, metric, label)
		}
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				if m.Name != labels.MetricName {
					check(n.Name, m.Name)
				}
			}
		case *parser.AggregateExpr:
			if n.Without {
				return nil
			}
			// Grouping labels are checked when one metric is aggregated.
			var names []string
			for _, sel := range parser.ExtractSelectors(n.Expr) {
				for _, m := range sel {
					if m.Name == labels.MetricName && !slices.Contains(names, m.Value) {
						names = append(names, m.Value)
					}
				}
			}
			if len(names) == 1 {
				for _, g := range n.Grouping {
					check(names[0], g)
				}
			}
		}
		return nil
	})
}
