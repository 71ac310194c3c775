package validate

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// composeFile is the part of the Compose specification deploy/compose.yaml
// uses; other fields are refused (top-level x- extensions are dropped
// first: they only hold anchors).
type composeFile struct {
	Services map[string]composeService `json:"services"`
	Volumes  map[string]struct{}       `json:"volumes"`
}

type composeService struct {
	Image       string                                `json:"image"`
	Build       *struct{ Context, Dockerfile string } `json:"build,omitempty"`
	Command     []string                              `json:"command"`
	Profiles    []string                              `json:"profiles,omitempty"`
	Ports       []string                              `json:"ports,omitempty"`
	Environment map[string]string                     `json:"environment,omitempty"`
	EnvFile     []struct {
		Path     string `json:"path"`
		Required bool   `json:"required"`
	} `json:"env_file,omitempty"`
	Deploy *struct {
		Replicas int `json:"replicas"`
	} `json:"deploy,omitempty"`
	DependsOn map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on,omitempty"`
	Healthcheck *struct {
		Disable bool `json:"disable"`
	} `json:"healthcheck,omitempty"`
	Volumes         []string `json:"volumes,omitempty"`
	Restart         string   `json:"restart,omitempty"`
	ReadOnly        bool     `json:"read_only,omitempty"`
	SecurityOpt     []string `json:"security_opt,omitempty"`
	CapDrop         []string `json:"cap_drop,omitempty"`
	StopGracePeriod string   `json:"stop_grace_period,omitempty"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	path := deployPath("compose.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := yaml.Unmarshal(b, &top); err != nil { // resolves anchors and << merges
		t.Fatalf("%s: %v", path, err)
	}
	for k := range top {
		if strings.HasPrefix(k, "x-") {
			delete(top, k)
		}
	}
	js, _ := json.Marshal(top)
	var f composeFile
	strictJSON(t, path, js, &f)
	return f
}

// escalatorServices are the services running the image, by name.
func (f composeFile) escalatorServices() map[string]composeService {
	out := map[string]composeService{}
	for name, s := range f.Services {
		if s.Image == "escalator:local" {
			out[name] = s
		}
	}
	return out
}

// commandPath is the `escalator` command a service runs: its leading
// arguments that are not flags ("serve", "account link").
func commandPath(known map[string]envVariable, args []string) string {
	commands := map[string]bool{} // command paths and their parents
	for _, v := range known {
		for _, c := range v.Commands {
			words := strings.Fields(c)
			for i := range words {
				commands[strings.Join(words[:i+1], " ")] = true
			}
		}
	}
	path := ""
	for _, a := range args {
		next := strings.TrimSpace(path + " " + a)
		if strings.HasPrefix(a, "-") || !commands[next] {
			break
		}
		path = next
	}
	return path
}

func TestCompose(t *testing.T) {
	f := readCompose(t)
	known := knownVars(t)
	want := []string{"ingest", "nats", "redis", "sim", "sim-ingest", "sim-setup", "sim-worker", "worker"}
	var got []string
	for name := range f.Services {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	for name, s := range f.escalatorServices() {
		t.Run(name, func(t *testing.T) {
			cmd := commandPath(known, s.Command)
			if cmd == "" {
				t.Fatalf("command %v is no escalator command", s.Command)
			}
			for k := range s.Environment {
				checkVar(t, known, name, cmd, k)
			}
			checkComposePorts(t, known, name, cmd, s)
			for dep := range s.DependsOn {
				d, ok := f.Services[dep]
				if !ok {
					t.Errorf("depends on %s, which is not a service", dep)
				} else if len(d.Profiles) > 0 && !slices.Equal(d.Profiles, s.Profiles) {
					t.Errorf("depends on %s of profile %v from profile %v", dep, d.Profiles, s.Profiles)
				}
			}
			if nu := s.Environment["ESCALATOR_NATS_URL"]; nu != "" {
				u, err := url.Parse(nu)
				if err != nil || u.Host != "nats:4222" {
					t.Errorf("ESCALATOR_NATS_URL %q is not the nats service", nu)
				}
			}
		})
	}
	t.Run("sim profile has no secrets", func(t *testing.T) { checkSimProfile(t, f) })
	t.Run("prod profile reads the env file", func(t *testing.T) {
		for _, name := range []string{"ingest", "worker"} {
			s := f.Services[name]
			if !slices.Equal(s.Profiles, []string{"prod"}) || len(s.EnvFile) != 1 || s.EnvFile[0].Path != "escalator.env" {
				t.Errorf("%s: profiles %v, env_file %+v; want profile prod reading escalator.env", name, s.Profiles, s.EnvFile)
			}
		}
	})
	t.Run("two workers in each profile", func(t *testing.T) {
		for _, name := range []string{"worker", "sim-worker"} {
			s := f.Services[name]
			if s.Deploy == nil || s.Deploy.Replicas != 2 || !slices.Contains(s.Command, "--ingest=false") {
				t.Errorf("%s: %+v %v, want 2 replicas of serve --ingest=false", name, s.Deploy, s.Command)
			}
		}
		if !slices.Contains(f.Services["nats"].Command, "-js") {
			t.Error("nats runs without JetStream (-js)")
		}
	})
}

// checkComposePorts: a published container port is the port the process
// listens on (its variable, else the binary's default; sim's --addr).
func checkComposePorts(t *testing.T, known map[string]envVariable, name, cmd string, s composeService) {
	t.Helper()
	listens := map[string]bool{}
	addr := func(variable string) string {
		if v, ok := s.Environment[variable]; ok {
			return v
		}
		return known[variable].Default
	}
	switch cmd {
	case "serve":
		if !slices.Contains(s.Command, "--ingest=false") {
			listens[port(addr("ESCALATOR_INGEST_ADDR"))] = true
		}
		listens[port(addr("ESCALATOR_ADMIN_ADDR"))] = true
	case "sim":
		for i, a := range s.Command {
			if a == "--addr" && i+1 < len(s.Command) {
				listens[port(s.Command[i+1])] = true
			}
		}
	}
	for _, p := range s.Ports {
		parts := strings.Split(p, ":")
		if !listens[parts[len(parts)-1]] {
			t.Errorf("publishes container port %s, where the process does not listen (it listens on %v)", parts[len(parts)-1], listens)
		}
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// checkSimProfile: the sim profile runs on the simulator's public defaults
// and no env file, pointed at the sim service.
func checkSimProfile(t *testing.T, f composeFile) {
	t.Helper()
	simAddr := f.Services["sim"].Command[len(f.Services["sim"].Command)-1]
	simURL := "http://sim:" + port(simAddr)
	wantValues := map[string]string{
		"ESCALATOR_TENANT": sim.DefaultTenant, "ESCALATOR_CLIENT_ID": sim.DefaultClientID,
		"ESCALATOR_CLIENT_SECRET": sim.DefaultClientSecret, "ESCALATOR_AZURE_SUBSCRIPTION_ID": sim.DefaultSubscription,
		"ESCALATOR_SUPPORT_SERVICE_ID":                sim.Microsoft365ServiceID,
		"ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID": sim.Microsoft365ProblemClassificationID,
		"ESCALATOR_SERVICENOW_CLIENT_ID":              sim.DefaultServiceNowClientID,
		"ESCALATOR_SERVICENOW_CLIENT_SECRET":          sim.DefaultServiceNowClientSecret,
		"ESCALATOR_SERVICENOW_INTEGRATION_USER":       sim.IntegrationUser,
		"ESCALATOR_LOGIN_URL":                         simURL, "ESCALATOR_GRAPH_URL": simURL, "ESCALATOR_ARM_URL": simURL, "ESCALATOR_SERVICENOW_URL": simURL,
	}
	for name, s := range f.escalatorServices() {
		if !slices.Equal(s.Profiles, []string{"sim"}) {
			continue
		}
		if len(s.EnvFile) > 0 {
			t.Errorf("%s reads an env file: the sim profile must run without one", name)
		}
		if slices.Equal(s.Command, []string{"serve", "--ingest=false"}) {
			for k := range wantValues {
				if _, ok := s.Environment[k]; !ok {
					t.Errorf("%s: %s is not set to the simulator's value", name, k)
				}
			}
		}
		for k, v := range s.Environment {
			if w, ok := wantValues[k]; ok && v != w {
				t.Errorf("%s: %s=%s, the simulator expects %s", name, k, v, w)
			}
		}
	}
	if !slices.Contains(f.Services["sim-setup"].Command, sim.DefaultAdminUPN) {
		t.Errorf("sim-setup links %v, not the simulator's admin %s", f.Services["sim-setup"].Command, sim.DefaultAdminUPN)
	}
}
