package validate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/loopback"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

const runIngestToken = "validate-ingest-token-0123456789"

// fleet is Escalator as the manifests run it: one `serve --worker=false`
// and one `serve --ingest=false` process of the built binary, over a real
// NATS and Redis, with the simulator for Microsoft and ServiceNow.
type fleet struct {
	bin                      string
	sim                      *sim.Server
	simURL                   string
	natsURL                  string
	ingestURL                string
	ingestAdmin, workerAdmin string
	workerEnv                []string
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{bin: escalator(t), sim: sim.New(sim.Config{})}
	hs := httptest.NewServer(f.sim.Handler())
	t.Cleanup(hs.Close)
	f.simURL = hs.URL
	f.natsURL = testserver.NATS(t).ClientURL()
	rds := testserver.StartRedis(t)
	ingestAddr := loopback.Free(t)
	f.ingestURL, f.ingestAdmin, f.workerAdmin = "http://"+ingestAddr, loopback.Free(t), loopback.Free(t)
	common := []string{"ESCALATOR_NATS_URL=" + f.natsURL, "ESCALATOR_LOG_FORMAT=text", "ESCALATOR_LOG_LEVEL=warn"}
	f.start(t, "ingest", append(common, "ESCALATOR_INGEST_ADDR="+ingestAddr, "ESCALATOR_ADMIN_ADDR="+f.ingestAdmin,
		"ESCALATOR_INGEST_TOKENS="+runIngestToken), "serve", "--worker=false")
	f.workerEnv = append(common, "ESCALATOR_ADMIN_ADDR="+f.workerAdmin,
		"ESCALATOR_REDIS_URL="+rds.URL(), "ESCALATOR_TOKEN_KEY="+base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"ESCALATOR_TENANT="+sim.DefaultTenant, "ESCALATOR_CLIENT_ID="+sim.DefaultClientID, "ESCALATOR_CLIENT_SECRET="+sim.DefaultClientSecret,
		"ESCALATOR_LOGIN_URL="+hs.URL, "ESCALATOR_GRAPH_URL="+hs.URL, "ESCALATOR_ARM_URL="+hs.URL,
		"ESCALATOR_AZURE_SUBSCRIPTION_ID="+sim.DefaultSubscription, "ESCALATOR_SUPPORT_SERVICE_ID="+sim.Microsoft365ServiceID,
		"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID="+sim.Microsoft365ProblemClassificationID,
		"ESCALATOR_SERVICENOW_URL="+hs.URL, "ESCALATOR_SERVICENOW_CLIENT_ID="+sim.DefaultServiceNowClientID,
		"ESCALATOR_SERVICENOW_CLIENT_SECRET="+sim.DefaultServiceNowClientSecret,
		"ESCALATOR_SERVICENOW_INTEGRATION_USER="+sim.IntegrationUser,
		"ESCALATOR_HEALTH_SYNC=true", "ESCALATOR_HEALTH_INTERVAL=1s", "ESCALATOR_CASE_SYNC_INTERVAL=1s",
		"ESCALATOR_HEALTH_ASSIGNMENT_GROUP=Messaging", "ESCALATOR_HEALTH_CATEGORY=Software")
	f.waitReady(t, f.ingestAdmin)
	return f
}

// startWorker starts the worker process and waits until it is ready.
func (f *fleet) startWorker(t *testing.T) {
	t.Helper()
	f.start(t, "worker", f.workerEnv, "serve", "--ingest=false")
	f.waitReady(t, f.workerAdmin)
}

// start runs the binary with only env (nothing of this process's
// environment leaks in) and stops it with SIGTERM when the test ends, as
// Kubernetes would.
func (f *fleet) start(t *testing.T, name string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(f.bin, args...)
	cmd.Env = append(env, "HOME="+t.TempDir())
	var logs logtest.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited after SIGTERM: %v\n%s", name, err, logs.String())
			}
		case <-time.After(40 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 40s of SIGTERM\n%s", name, logs.String())
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, logs.String())
		}
	})
}

// waitReady polls the binary's own healthcheck on /readyz, as the image's
// HEALTHCHECK would, until it exits 0.
func (f *fleet) waitReady(t *testing.T, admin string) {
	t.Helper()
	waitUntil(t, "escalator healthcheck readyz on "+admin, func() bool {
		cmd := exec.Command(f.bin, "healthcheck", "readyz")
		cmd.Env = []string{"ESCALATOR_ADMIN_ADDR=" + admin}
		return cmd.Run() == nil
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// event reads an example event of cmd/escalator/examples and edits it.
func event(t *testing.T, file string, edit func(ev map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "cmd", "escalator", "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	out, _ := json.Marshal(ev)
	return out
}

func (f *fleet) post(t *testing.T, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.ingestURL+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+runIngestToken)
	req.Header.Set("Content-Type", "application/cloudevents+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("post: %s %s", resp.Status, b)
	}
}

// createIncident makes a new incident at the simulated instance.
func (f *fleet) createIncident(t *testing.T, short string) (sysID, number string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"short_description": short})
	req, _ := http.NewRequest(http.MethodPost, f.simURL+"/api/now/table/incident", bytes.NewReader(body))
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			SysID  string `json:"sys_id"`
			Number string `json:"number"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Result.SysID == "" {
		t.Fatalf("create incident: %s %v", resp.Status, err)
	}
	return out.Result.SysID, out.Result.Number
}

// linkAccount runs `escalator account link` as an operator would.
func (f *fleet) linkAccount(t *testing.T) {
	t.Helper()
	cmd := exec.Command(f.bin, "account", "link", sim.DefaultAdminUPN, "--by", "validate")
	cmd.Env = []string{"HOME=" + t.TempDir(), "ESCALATOR_NATS_URL=" + f.natsURL, "ESCALATOR_TENANT=" + sim.DefaultTenant,
		"ESCALATOR_CLIENT_ID=" + sim.DefaultClientID, "ESCALATOR_CLIENT_SECRET=" + sim.DefaultClientSecret,
		"ESCALATOR_LOGIN_URL=" + f.simURL, "ESCALATOR_GRAPH_URL=" + f.simURL}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("account link: %v\n%s", err, out)
	}
}

// scrape returns the samples of admin's /metrics as "name{labels}" → value
// text lines, and the metric names.
func scrape(t *testing.T, admin string) (lines []string, names map[string]bool) {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names = map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
		name := l
		if i := strings.IndexAny(l, "{ "); i >= 0 {
			name = l[:i]
		}
		names[name] = true
	}
	return lines, names
}

// sample is the sum of the samples of name whose labels contain every
// matcher (k="v"), and whether there was one.
func sample(lines []string, name string, matchers ...string) (float64, bool) {
	var sum float64
	found := false
	for _, l := range lines {
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		ok := true
		for _, m := range matchers {
			if !strings.Contains(l, m) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(l[strings.LastIndex(l, " ")+1:], &v); err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
}
